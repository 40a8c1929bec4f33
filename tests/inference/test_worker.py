"""InferenceWorker with the real demo model on its own thread: priorities, cancel, bad input."""

from __future__ import annotations

import time

import pytest

from deskpet.inference.generate import Sampling, TokenEvent
from deskpet.inference.protocol import (
    LOAD,
    NO_MODEL,
    ConversationReset,
    Done,
    Failed,
    Finished,
    ModelChecked,
    ModelReady,
    ResetConversation,
    RestoreConversation,
    Token,
)
from deskpet.inference.worker import InferenceWorker

GREEDY = Sampling.greedy()
TIMEOUT = 300.0  # seconds: a load and an answer on a busy CPU-only machine


def read(worker, request, timeout=TIMEOUT) -> list:
    """Every event of a request submitted with stream=True, its Done last."""
    events = list(worker.events_for(request, timeout=timeout))
    assert isinstance(events[-1], Done) and events[-1].request_id == request, events
    assert all(e.request_id == request for e in events)
    return events


def outcome(worker, request, timeout=TIMEOUT):
    """The event saying how a request ended: the one just before its Done."""
    return read(worker, request, timeout)[-2]


def load_model(worker, source) -> None:
    events = read(worker, worker.load(source, stream=True))
    assert any(isinstance(e, ModelReady) for e in events), events


@pytest.fixture(scope="module")
def heard():
    """Every event the module's worker sent, in the order it sent them."""
    return []


@pytest.fixture(scope="module")
def worker(demo_gguf, heard):
    worker = InferenceWorker(heard.append).start()
    load_model(worker, demo_gguf)
    yield worker
    assert worker.shutdown()


def test_answers_the_france_question_with_paris(worker):
    request = worker.chat(
        "france", "What is the capital of France?", sampling=GREEDY, max_tokens=24, stream=True
    )
    seen = read(worker, request)
    done = seen[-2]
    assert isinstance(done, Finished) and "Paris" in done.text
    tokens = [e for e in seen if isinstance(e, Token)]
    assert tokens and all(isinstance(t.event, TokenEvent) for t in tokens)
    assert "".join(t.event.text for t in tokens).strip() == done.text.strip()
    assert done.reason == "stop" and done.stats["generation_tokens"] > 0


def test_cancel_mid_answer_then_the_next_question_works(worker):
    request = worker.chat(
        "cancel",
        "Write a long story about a brave little dragon.",
        sampling=GREEDY,
        max_tokens=200,
        stream=True,
    )
    events = worker.events_for(request, timeout=TIMEOUT)
    assert isinstance(next(events), Token)
    worker.cancel(request)
    done = list(events)[-2]
    assert isinstance(done, Finished) and done.reason == "cancelled"
    # Cancel is checked between tokens: at most the token in flight arrives after it.
    assert done.stats["generation_tokens"] < 10
    follow = worker.chat(
        "cancel", "What is the capital of France?", sampling=GREEDY, max_tokens=24, stream=True
    )
    after = outcome(worker, follow)
    assert after.reason in ("stop", "length") and after.text


def test_narration_is_preempted_by_the_owners_chat(worker, heard):
    narration = worker.narrate(
        "Claude edited app.py and ran the tests.", max_tokens=60, sampling=GREEDY, stream=True
    )
    told = worker.events_for(narration, timeout=TIMEOUT)
    assert isinstance(next(told), Token)
    chat = worker.chat("owner", "Hello!", sampling=GREEDY, max_tokens=8, stream=True)
    assert list(told)[-2].reason == "preempted"
    assert outcome(worker, chat).reason in ("stop", "length")
    finished = [e.request_id for e in heard if isinstance(e, Finished)]
    assert finished.index(narration) < finished.index(chat)


def test_queued_chat_runs_before_queued_narration(worker, heard):
    busy = worker.chat(
        "busy", "Count from one to ten.", sampling=GREEDY, max_tokens=12, stream=True
    )
    narration = worker.narrate("Codex ran ls.", sampling=GREEDY, max_tokens=8, stream=True)
    chat = worker.chat("busy2", "Hi", sampling=GREEDY, max_tokens=4, stream=True)
    for request in (busy, narration, chat):
        assert isinstance(outcome(worker, request), Finished)
    ours = (busy, narration, chat)
    order = [e.request_id for e in heard if isinstance(e, Finished) and e.request_id in ours]
    assert order == [busy, chat, narration]


def test_worker_survives_bad_requests_and_serves_the_next(worker, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    for source in (tmp_path / "nope", bad, tmp_path):
        events = read(worker, worker.load(source, stream=True))
        failed = events[-2]
        assert isinstance(failed, Failed) and "\n" not in failed.message
        assert failed.kind == LOAD
        assert not any(isinstance(e, ModelReady) for e in events)
    # The model loaded before is still in place and answers.
    request = worker.chat(
        "after-bad", "What is the capital of France?", sampling=GREEDY, max_tokens=24, stream=True
    )
    assert "Paris" in outcome(worker, request).text


def test_reset_and_new_system_prompt(worker):
    reset = ResetConversation("sys", "You are a pirate. Answer like a pirate.")
    assert isinstance(outcome(worker, worker.submit(reset, stream=True)), ConversationReset)
    request = worker.chat("sys", "Hello!", sampling=GREEDY, max_tokens=12, stream=True)
    assert outcome(worker, request).text


def test_context_window_overflow_drops_old_turns_and_keeps_answering(
    demo_lm, tmp_path, monkeypatch
):
    # A tiny MiniCPM-shaped model with the demo tokenizer: the window arithmetic is the point,
    # not the words, and five turns of the real model cost a minute of this CPU.
    from helpers.fake_hub import tiny_repo_files

    from deskpet.inference.chat import Conversation

    dropped = []
    make_room = Conversation.make_room
    monkeypatch.setattr(
        Conversation,
        "make_room",
        lambda self, *a: dropped.append(make_room(self, *a)) or dropped[-1],
    )
    tiny_repo_files(tmp_path, demo_lm.tokenizer)
    worker = InferenceWorker(context_window=160).start()
    try:
        load_model(worker, tmp_path)
        for i in range(5):
            request = worker.chat(
                "small",
                f"Tell me fact number {i} about cats.",
                sampling=GREEDY,
                max_tokens=24,
                stream=True,
            )
            done = outcome(worker, request)
            assert isinstance(done, Finished) and done.text, done
        assert any(dropped), "five turns must overflow a 160-token window"
    finally:
        assert worker.shutdown()


def test_chat_without_a_model_fails_cleanly_and_shutdown_is_quick(demo_gguf):
    worker = InferenceWorker().start()
    try:
        failed = outcome(worker, worker.chat("x", "hello", stream=True), timeout=10)
        assert isinstance(failed, Failed) and failed.kind == NO_MODEL
        assert "no model is loaded" in failed.message
        load_model(worker, demo_gguf)
        request = worker.chat(
            "x", "Tell me a very long story.", sampling=GREEDY, max_tokens=400, stream=True
        )
        answer = worker.events_for(request, timeout=TIMEOUT)
        assert isinstance(next(answer), Token)
        started = time.monotonic()
        assert worker.shutdown(timeout=1.0)
        assert time.monotonic() - started < 1.0
        # The answer stopped where it was, and its stream still ended.
        rest = list(answer)
        assert rest[-2].reason == "cancelled" and isinstance(rest[-1], Done)
    finally:
        worker.shutdown()


def test_restored_conversation_continues_like_the_original(worker):
    first = worker.chat(
        "orig", "What is the capital of France?", sampling=GREEDY, max_tokens=24, stream=True
    )
    answer = outcome(worker, first).text
    restore = RestoreConversation("copy", None, [("What is the capital of France?", answer)])
    assert isinstance(outcome(worker, worker.submit(restore, stream=True)), ConversationReset)
    texts = []
    for conv in ("orig", "copy"):
        request = worker.chat(conv, "And of Italy?", sampling=GREEDY, max_tokens=16, stream=True)
        texts.append(outcome(worker, request).text)
    assert texts[0] == texts[1] and texts[0]


def test_a_listener_that_raises_does_not_end_the_worker(tmp_path):
    # GIVEN a listener that fails on the first event it gets (a relay deleted at quit)
    seen = []

    def listener(event):
        seen.append(event)
        if len(seen) == 1:
            raise RuntimeError("Internal C++ object already deleted.")

    worker = InferenceWorker(listener).start()
    try:
        worker.check(tmp_path / "nothing")
        second = worker.check(tmp_path / "still-nothing")
        # THEN the next request is still answered
        deadline = time.monotonic() + 30
        while not any(isinstance(e, Done) and e.request_id == second for e in seen):
            assert time.monotonic() < deadline and worker.alive
            time.sleep(0.01)
        assert isinstance(seen[-2], ModelChecked) and "still-nothing" in seen[-2].source
    finally:
        assert worker.shutdown(5)


def test_shutdown_waits_for_the_step_in_progress(demo_gguf):
    """The process must never exit while the worker is inside MLX (it aborts), so shutdown
    waits out a long prefill chunk instead of returning with the thread still running."""
    # GIVEN a worker in the middle of reading a long message, 64 tokens a chunk
    worker = InferenceWorker(prefill_chunk=64).start()
    load_model(worker, demo_gguf)
    chat = worker.chat("long", "tell me about it " * 60, sampling=GREEDY, stream=True)
    time.sleep(0.5)
    # WHEN deskpet quits
    ended = worker.shutdown()
    # THEN the thread has ended by the time shutdown returns, and the chat was told
    assert ended and not worker.alive
    assert isinstance(read(worker, chat, timeout=5)[-1], Done)
