"""InferenceWorker with the real demo model on its own thread: priorities, cancel, bad input."""

from __future__ import annotations

import time

import pytest
from helpers.worker_events import next_event

from deskpet.inference.generate import Sampling, TokenEvent
from deskpet.inference.worker import (
    ConversationReset,
    Failed,
    Finished,
    InferenceWorker,
    ModelChecked,
    ModelReady,
    ResetConversation,
    Token,
)

GREEDY = Sampling.greedy()


@pytest.fixture(scope="module")
def worker(demo_gguf):
    worker = InferenceWorker().start()
    worker.load(demo_gguf)
    ready = next_event(worker, (ModelReady, Failed))
    assert isinstance(ready, ModelReady), ready
    yield worker
    assert worker.shutdown()


def test_answers_the_france_question_with_paris(worker):
    request = worker.chat(
        "france", "What is the capital of France?", sampling=GREEDY, max_tokens=24
    )
    seen = []
    done = next_event(worker, Finished, request, seen=seen)
    assert "Paris" in done.text
    tokens = [e for e in seen if isinstance(e, Token) and e.request_id == request]
    assert tokens and all(isinstance(t.event, TokenEvent) for t in tokens)
    assert "".join(t.event.text for t in tokens).strip() == done.text.strip()
    assert done.reason == "stop" and done.stats["generation_tokens"] > 0


def test_cancel_mid_answer_then_the_next_question_works(worker):
    request = worker.chat(
        "cancel", "Write a long story about a brave little dragon.", sampling=GREEDY, max_tokens=200
    )
    next_event(worker, Token, request)
    worker.cancel(request)
    seen = []
    done = next_event(worker, Finished, request, seen=seen)
    assert done.reason == "cancelled"
    # Cancel is checked between tokens: at most the token in flight arrives after it.
    assert done.stats["generation_tokens"] < 10
    follow = worker.chat("cancel", "What is the capital of France?", sampling=GREEDY, max_tokens=24)
    after = next_event(worker, Finished, follow)
    assert after.reason in ("stop", "length") and after.text


def test_narration_is_preempted_by_the_owners_chat(worker):
    narration = worker.narrate(
        "Claude edited app.py and ran the tests.", max_tokens=60, sampling=GREEDY
    )
    next_event(worker, Token, narration)
    chat = worker.chat("owner", "Hello!", sampling=GREEDY, max_tokens=8)
    seen = []
    first = next_event(worker, Finished, seen=seen)
    assert first.request_id == narration and first.reason == "preempted"
    assert next_event(worker, Finished, chat).reason in ("stop", "length")


def test_queued_chat_runs_before_queued_narration(worker):
    busy = worker.chat("busy", "Count from one to ten.", sampling=GREEDY, max_tokens=12)
    narration = worker.narrate("Codex ran ls.", sampling=GREEDY, max_tokens=8)
    chat = worker.chat("busy2", "Hi", sampling=GREEDY, max_tokens=4)
    order = []
    while len(order) < 3:
        order.append(next_event(worker, Finished).request_id)
    assert order == [busy, chat, narration]


def test_worker_survives_bad_requests_and_serves_the_next(worker, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    for source in (tmp_path / "nope", bad, tmp_path):
        request = worker.load(source)
        failed = next_event(worker, (Failed, ModelReady), request)
        assert isinstance(failed, Failed) and "\n" not in failed.message
    # The model loaded before is still in place and answers.
    request = worker.chat(
        "after-bad", "What is the capital of France?", sampling=GREEDY, max_tokens=24
    )
    assert "Paris" in next_event(worker, Finished, request).text


def test_reset_and_new_system_prompt(worker):
    request = worker.submit(ResetConversation("sys", "You are a pirate. Answer like a pirate."))
    next_event(worker, ConversationReset, request)
    request = worker.chat("sys", "Hello!", sampling=GREEDY, max_tokens=12)
    assert next_event(worker, Finished, request).text


def test_context_window_overflow_drops_old_turns_and_keeps_answering(demo_gguf):
    worker = InferenceWorker(context_window=160).start()
    try:
        worker.load(demo_gguf)
        next_event(worker, ModelReady)
        for i in range(5):
            request = worker.chat(
                "small", f"Tell me fact number {i} about cats.", sampling=GREEDY, max_tokens=24
            )
            done = next_event(worker, (Finished, Failed), request)
            assert isinstance(done, Finished) and done.text, done
    finally:
        assert worker.shutdown()


def test_chat_without_a_model_fails_cleanly_and_shutdown_is_quick(demo_gguf):
    worker = InferenceWorker().start()
    request = worker.chat("x", "hello")
    failed = next_event(worker, Failed, request, timeout=10)
    assert "no model is loaded" in failed.message
    worker.load(demo_gguf)
    next_event(worker, ModelReady)
    worker.chat("x", "Tell me a very long story.", sampling=GREEDY, max_tokens=400)
    next_event(worker, Token)
    started = time.monotonic()
    assert worker.shutdown(timeout=1.0)
    assert time.monotonic() - started < 1.0


def test_restored_conversation_continues_like_the_original(worker):
    from deskpet.inference.worker import RestoreConversation

    first = worker.chat("orig", "What is the capital of France?", sampling=GREEDY, max_tokens=24)
    answer = next_event(worker, Finished, first).text
    request = worker.submit(
        RestoreConversation("copy", None, [("What is the capital of France?", answer)])
    )
    next_event(worker, ConversationReset, request)
    texts = []
    for conv in ("orig", "copy"):
        request = worker.chat(conv, "And of Italy?", sampling=GREEDY, max_tokens=16)
        texts.append(next_event(worker, Finished, request).text)
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
        while not any(getattr(e, "request_id", None) == second for e in seen):
            assert time.monotonic() < deadline and worker.alive
            time.sleep(0.01)
        assert isinstance(seen[-1], ModelChecked) and "still-nothing" in seen[-1].source
    finally:
        assert worker.shutdown(5)
