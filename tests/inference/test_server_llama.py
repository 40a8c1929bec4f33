"""The server brain against a real llama.cpp server (llama-cpp-python's, from PyPI) serving the
demo GGUF on loopback: the worker's requests answered, follow-ups, cancel, the terminal chat.
The bubble through the app's wiring is in tests/ui/test_ui_server_brain.py.

One server for the module: it starts in a few seconds, and every answer here is short and
greedy (the demo model, about 10 tokens a second on this machine's shared CPU)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers.llama_server import LlamaServer, available

from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import Chat, Failed, Finished, ModelReady, Narrate, Token
from deskpet.inference.server_brain import ServerBrain

pytestmark = pytest.mark.skipif(
    not available(), reason="llama-cpp-python[server] is not installed (the test extra has it)"
)
GREEDY = Sampling.greedy()


@pytest.fixture(scope="module")
def llama(demo_gguf, tmp_path_factory):
    server = LlamaServer(demo_gguf, log=tmp_path_factory.mktemp("llama") / "server.log")
    try:
        yield server.wait()
    finally:
        server.close()


@pytest.fixture
def brain(llama):
    b = ServerBrain(url=llama.url).start()
    yield b
    assert b.shutdown()


def answer(brain, request) -> Finished:
    rid = brain.submit(request, stream=True)
    events = list(brain.events_for(rid, timeout=180))
    assert not [e for e in events if isinstance(e, Failed)], events
    [fin] = [e for e in events if isinstance(e, Finished)]
    return fin


def test_the_demo_model_answers_and_remembers_through_llama_cpp(brain, llama):
    rid = brain.load("", stream=True)
    [ready] = [e for e in brain.events_for(rid, timeout=30) if isinstance(e, ModelReady)]
    assert ready.info["name"] == llama.model_id
    france = Chat("c", "What is the capital of France?", sampling=GREEDY, max_tokens=24)
    first = answer(brain, france)
    assert first.reason == "stop" and "Paris" in first.text
    assert first.stats["generation_tokens"] > 1 and first.stats["time_to_first_token"] > 0
    # The follow-up only makes sense with the first turn sent along.
    second = answer(brain, Chat("c", "And of Germany?", sampling=GREEDY, max_tokens=24))
    assert "Berlin" in second.text
    narration = answer(brain, Narrate("The agent ran the tests and they passed.", max_tokens=30))
    assert narration.conversation is None and narration.text


def test_cancel_stops_a_long_answer_and_the_next_one_works(brain):
    story = Chat("c", "Write a long story about a brave little dragon.", sampling=GREEDY)
    story.max_tokens = 400
    rid = brain.submit(story, stream=True)
    events = []
    for event in brain.events_for(rid, timeout=180):
        events.append(event)
        if isinstance(event, Token) and len(events) == 2:
            brain.cancel(rid)
    [fin] = [e for e in events if isinstance(e, Finished)]
    assert fin.reason == "cancelled"
    assert fin.stats["generation_tokens"] < 20
    again = answer(brain, Chat("d", "What is the capital of France?", sampling=GREEDY))
    assert "Paris" in again.text


def test_the_terminal_chat_answers_through_llama_cpp(llama, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "deskpet.cli", "chat", "--server", llama.url]
        + ["--temperature", "0", "--max-tokens", "24"],
        input=b"What is the capital of France?\n",
        capture_output=True,
        timeout=240,
        env=dict(os.environ, DESKPET_HOME=str(tmp_path)),
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "Paris" in done.stdout.decode()
