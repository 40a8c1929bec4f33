"""Every request's events end with exactly one Done, on a stream of its own; Failed says
what kind of failure it was. The real demo model on the worker's own thread."""

from __future__ import annotations

import time

import pytest

from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import (
    ADAPTER,
    CONTEXT_FULL,
    LOAD,
    NO_MODEL,
    Done,
    Failed,
    Finished,
    ModelLoading,
    ModelReady,
    SwitchAdapter,
    Token,
    WarmedUp,
)
from deskpet.inference.worker import InferenceWorker

GREEDY = Sampling.greedy()
TIMEOUT = 300.0


def read(worker, request, timeout=TIMEOUT) -> list:
    return list(worker.events_for(request, timeout=timeout))


def kinds(events) -> list[str]:
    return [type(e).__name__ for e in events]


def dones(heard, request) -> int:
    return sum(isinstance(e, Done) and e.request_id == request for e in heard)


def settle(worker) -> None:
    """Wait until everything submitted before has been served: the worker is one thread, so
    a late event of an earlier request would come before this request's Done."""
    read(worker, worker.check("nothing-here", stream=True))


@pytest.fixture(scope="module")
def heard():
    return []


@pytest.fixture(scope="module")
def worker(demo_gguf, heard):
    worker = InferenceWorker(heard.append, context_window=160).start()
    load = worker.load(demo_gguf, stream=True)
    assert any(isinstance(e, ModelReady) for e in read(worker, load)), heard
    yield worker
    assert worker.shutdown(5)


def test_a_load_streams_progress_ready_warm_then_done_and_chats_go_before_its_warm_up(
    demo_gguf,
):
    heard = []
    worker = InferenceWorker(heard.append).start()
    try:
        # GIVEN a load, and a chat sent while the model loads
        load = worker.load(demo_gguf, stream=True)
        chat = worker.chat("early", "Hi", sampling=GREEDY, max_tokens=4, stream=True)
        # THEN the load's own stream says: loading..., ready, warm, done, all under its id
        events = read(worker, load)
        names = kinds(events)
        assert names[-3:] == ["ModelReady", "WarmedUp", "Done"], names
        assert set(names[:-3]) == {"ModelLoading"}
        assert all(e.request_id == load for e in events)
        assert events[-2].seconds >= 0
        # AND the warm-up kept its low priority: the chat was answered before it ran
        assert isinstance(read(worker, chat)[-2], Finished)
        order = [(type(e), e.request_id) for e in heard]
        assert order.index((ModelReady, load)) < order.index((Finished, chat))
        assert order.index((Finished, chat)) < order.index((WarmedUp, load))
        settle(worker)
        assert dones(heard, load) == 1 and dones(heard, chat) == 1
    finally:
        assert worker.shutdown(5)


def test_a_load_that_fails_streams_loading_failed_done(worker, heard, tmp_path):
    load = worker.load(tmp_path / "missing.gguf", stream=True)
    events = read(worker, load)
    assert isinstance(events[0], ModelLoading)
    assert kinds(events[-2:]) == ["Failed", "Done"] and events[-2].kind == LOAD
    settle(worker)
    assert dones(heard, load) == 1


def test_a_chat_ends_with_one_done(worker, heard):
    request = worker.chat("one", "Hello!", sampling=GREEDY, max_tokens=6, stream=True)
    events = read(worker, request)
    assert isinstance(events[0], Token) and kinds(events[-2:]) == ["Finished", "Done"]
    settle(worker)
    assert dones(heard, request) == 1
    assert [e for e in heard if e.request_id == request][-1] == Done(request)


def test_a_chat_cancelled_while_queued_ends_with_one_done(worker, heard):
    # GIVEN a chat waiting behind a long answer, cancelled before its turn
    busy = worker.chat("busy", "Tell me a long story about a dragon.", max_tokens=64, stream=True)
    queued = worker.chat("queued", "Hello!", max_tokens=6, stream=True)
    worker.cancel(queued)
    # THEN it ends as cancelled without writing anything, and ends once
    events = read(worker, queued)
    assert kinds(events) == ["Finished", "Done"] and events[0].reason == "cancelled"
    assert isinstance(read(worker, busy)[-2], Finished)
    settle(worker)
    assert dones(heard, queued) == 1 and dones(heard, busy) == 1


def test_failures_carry_their_kind(worker, heard):
    # A message that cannot fit a 160-token window, whatever is dropped
    full = worker.chat("full", "Hello!", max_tokens=400, stream=True)
    failed = read(worker, full)[-2]
    assert isinstance(failed, Failed) and failed.kind == CONTEXT_FULL
    ghost = worker.submit(SwitchAdapter("ghost"), stream=True)
    failed = read(worker, ghost)[-2]
    assert isinstance(failed, Failed) and failed.kind == ADAPTER
    assert "\n" not in failed.message
    settle(worker)
    assert dones(heard, full) == 1 and dones(heard, ghost) == 1


def test_without_a_model_a_chat_fails_as_no_model_and_ends_once(tmp_path):
    heard = []
    worker = InferenceWorker(heard.append).start()
    try:
        request = worker.chat("x", "hello", stream=True)
        events = read(worker, request, timeout=30)
        assert kinds(events) == ["Failed", "Done"] and events[0].kind == NO_MODEL
        assert "no model is loaded" in events[0].message
        settle(worker)
        assert dones(heard, request) == 1
    finally:
        assert worker.shutdown(5)


def test_requests_still_queued_at_shutdown_and_after_it_get_their_done(demo_gguf):
    heard = []
    worker = InferenceWorker(heard.append).start()
    # GIVEN a load running and requests waiting behind it
    load = worker.load(demo_gguf, stream=True)
    waiting = [worker.chat("w", f"Question {i}", stream=True) for i in range(3)]
    assert isinstance(next(worker.events_for(load, timeout=TIMEOUT)), ModelLoading)
    # WHEN the worker stops
    assert worker.shutdown(TIMEOUT)
    # THEN every stream ends, the waiting ones with nothing but their Done
    for request in waiting:
        assert read(worker, request, timeout=5) == [Done(request)]
    late = worker.chat("w", "Anyone there?", stream=True)
    assert read(worker, late, timeout=5) == [Done(late)]
    for request in (load, *waiting, late):
        assert dones(heard, request) == 1


def test_a_stream_is_read_once_and_only_when_asked_for(worker):
    unasked = worker.check("nothing-here")
    with pytest.raises(ValueError, match="stream=True"):
        worker.events_for(unasked)
    asked = worker.check("nothing-here", stream=True)
    assert kinds(read(worker, asked)) == ["ModelChecked", "Done"]
    with pytest.raises(ValueError, match="read it once"):
        worker.events_for(asked)


def test_a_stream_gives_up_after_its_timeout_and_the_request_goes_on(worker):
    request = worker.chat("slow", "Tell me a long story.", max_tokens=64, stream=True)
    events = worker.events_for(request, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=f"request {request} did not end"):
        for _ in events:
            pass
    assert time.monotonic() - started < 5
    worker.cancel(request)
    settle(worker)
