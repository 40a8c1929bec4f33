"""Cheaper narration on the real demo model: it stops once its first sentence has ended, and
the narrator's fixed instructions (its system prompt) are read once and reused."""

from __future__ import annotations

import pytest

from deskpet.bridge import events as ev
from deskpet.bridge.narrator import Narrator, first_sentence
from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import Done, Finished
from deskpet.inference.sentence import first_sentence_end
from deskpet.inference.worker import InferenceWorker

TIMEOUT = 300.0
CAP = 60  # the agents controller's narration cap


def finished(worker, request) -> Finished:
    events = list(worker.events_for(request, timeout=TIMEOUT))
    assert isinstance(events[-1], Done)
    assert isinstance(events[-2], Finished), events[-2]
    return events[-2]


@pytest.fixture(scope="module")
def worker(demo_gguf):
    worker = InferenceWorker().start()
    list(worker.events_for(worker.load(demo_gguf, stream=True), timeout=TIMEOUT))
    yield worker
    assert worker.shutdown()


@pytest.mark.parametrize(
    "text",
    [
        "Claude fixed v3.5 today. Then more",
        'It ran git!" she said',
        "one line\nanother. x",
        "Hi",
        "Claude 修好了测试。然后又改了文档",
        "它问：“要继续吗？”然后等着",
    ],
)
def test_the_worker_cuts_where_the_bubble_would(text):
    end = first_sentence_end(text)
    kept = text[:end] if end is not None else text
    assert first_sentence(kept) == first_sentence(text)


def test_a_chinese_sentence_ends_at_its_own_full_stop():
    # Chinese puts no space after 。！？, so the English rule alone would never stop there.
    assert first_sentence("Claude 修好了测试。然后又改了文档") == "Claude 修好了测试。"
    assert first_sentence_end("修好了！接着") == len("修好了！")
    assert first_sentence_end("还在写") is None


@pytest.mark.slow
def test_narration_stops_after_its_first_sentence(worker):
    # GIVEN a finished Claude turn, through the narrator as the app builds it
    narrator = Narrator()
    narrator.offer(
        ev.from_payload(
            "claude",
            {
                "hook_event_name": "Stop",
                "session_id": "s1",
                "cwd": "/src/shop",
                "last_assistant_message": "I fixed the login test. All tests pass now.",
            },
        )
    )
    request = narrator.next_request()

    # WHEN the worker narrates it under the usual cap
    done = finished(
        worker,
        worker.narrate(
            request.prompt,
            system_prompt=request.system_prompt,
            max_tokens=CAP,
            sampling=Sampling.greedy(),
            stream=True,
        ),
    )

    # THEN it ended at the sentence, well under the cap, and the text is that one sentence
    assert done.reason == "stop"
    assert 0 < done.stats["generation_tokens"] < CAP
    assert done.text and first_sentence(done.text) == done.text.strip(" \"'")
    assert request.line(done.text).startswith("Claude · shop: ")


@pytest.mark.slow
def test_the_second_narration_reuses_the_instruction_prefix(worker):
    system = "You narrate what a coding agent just did, in one short sentence, like a cat."
    ask = dict(system_prompt=system, max_tokens=2, sampling=Sampling.greedy(), stream=True)

    first = finished(worker, worker.narrate("Agent: Codex\nWhat it did: ran ls", **ask))
    second = finished(worker, worker.narrate("Agent: Gemini\nWhat it did: read a file", **ask))
    fresh = finished(worker, worker.narrate("Agent: Gemini", reuse_prefix=False, **ask))

    prefix = first.stats["prefix_tokens"]
    assert prefix > 10
    assert first.stats["prefix_prefill_tokens"] == prefix  # read once...
    assert second.stats["prefix_prefill_tokens"] == 0  # ...then taken from the cache
    assert second.stats["prefix_tokens"] == prefix
    assert fresh.stats["prefix_prefill_tokens"] == prefix  # the switch the bench compares
    # Only the facts' turn is prefilled with the prompt: the prefix is not in its count.
    assert second.stats["prompt_tokens"] < prefix
