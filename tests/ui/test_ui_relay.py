"""Relay: worker and agent events posted on other threads arrive on the GUI thread, as typed
signals and to the handler watching their request."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from deskpet.bridge.events import AgentEvent
from deskpet.inference.generate import TokenEvent
from deskpet.inference.protocol import (
    LOAD,
    Done,
    Failed,
    Finished,
    ModelChecked,
    ModelLoading,
    ModelReady,
    Token,
)
from deskpet.inference.worker import InferenceWorker
from deskpet.ui.relay import Relay


def post_from_a_thread(relay: Relay, events: list) -> None:
    thread = threading.Thread(target=lambda: [relay.post(e) for e in events])
    thread.start()
    thread.join()


def test_events_from_a_worker_thread_arrive_on_the_gui_thread(qtbot):
    relay = Relay()
    gui = QThread.currentThread()
    seen = []
    relay.on_model_loading.connect(
        lambda _id, msg: seen.append(("loading", msg, QThread.currentThread()))
    )
    relay.on_model_ready.connect(
        lambda _id, info: seen.append(("ready", info, QThread.currentThread()))
    )
    relay.on_token.connect(
        lambda rid, conv, ev: seen.append(("token", (rid, conv, ev.text), QThread.currentThread()))
    )
    relay.on_finished.connect(
        lambda ev: seen.append(("finished", ev.text, QThread.currentThread()))
    )
    relay.on_failed.connect(
        lambda rid, msg, kind: seen.append(("failed", (msg, kind), QThread.currentThread()))
    )
    relay.on_done.connect(lambda rid: seen.append(("done", rid, QThread.currentThread())))

    # GIVEN a thread that is not the GUI thread posting worker events
    with qtbot.waitSignal(relay.on_done, timeout=5000):
        post_from_a_thread(
            relay,
            [
                ModelLoading(1, "Loading demo"),
                ModelReady(1, {"name": "demo"}),
                Token(2, "neko", TokenEvent("Paris", 7)),
                Failed(3, "boom", LOAD),
                Finished(2, "neko", "stop", "Paris"),
                Done(2),
            ],
        )
    # THEN each arrives once, in order, as its typed signal, on the GUI thread
    assert [kind for kind, _, _ in seen] == [
        "loading",
        "ready",
        "token",
        "failed",
        "finished",
        "done",
    ]
    assert seen[2][1] == (2, "neko", "Paris")
    assert seen[3][1] == ("boom", LOAD)
    assert seen[5][1] == 2
    assert all(where is gui for _, _, where in seen)


def test_a_watched_request_reaches_its_handler_first_until_its_done(qtbot):
    relay = Relay()
    gui = QThread.currentThread()
    handled, signalled = [], []
    relay.on_event.connect(lambda e: signalled.append(e))
    # GIVEN a handler watching request 2 only
    relay.watch(2, lambda e: handled.append((e, QThread.currentThread(), len(signalled))))
    token = Token(2, "neko", TokenEvent("Hi", 5))
    other = Token(3, "bolt", TokenEvent("Yo", 6))
    finished = Finished(2, "neko", "stop", "Hi")
    late = Token(2, "neko", TokenEvent("!", 7))  # the worker sends none after a Done
    with qtbot.waitSignal(relay.on_done, timeout=5000, check_params_cb=lambda rid: rid == 3):
        post_from_a_thread(relay, [token, other, finished, Done(2), late, Done(3)])
    # THEN it got request 2's events in order, on the GUI thread, each before its signals
    assert [e for e, _, _ in handled] == [token, finished, Done(2)]
    assert all(where is gui for _, where, _ in handled)
    assert [before for _, _, before in handled] == [0, 2, 3]
    # ... request 3 went to the signals only, and after its Done the handler was dropped
    assert signalled == [token, other, finished, Done(2), late, Done(3)]


def test_agent_events_arrive_on_their_own_signal(qtbot):
    relay = Relay()
    gui = QThread.currentThread()
    agents, worker_events = [], []
    relay.on_agent_event.connect(lambda e: agents.append((e, QThread.currentThread())))
    relay.on_event.connect(worker_events.append)
    first = AgentEvent("claude", "hook", "turn_complete", session="s1", project="deskpet")
    second = AgentEvent("codex", "rollout", "working", session="s2")
    # GIVEN a bridge thread posting agent events through the same relay as the worker
    with qtbot.waitSignal(relay.on_done, timeout=5000):
        post_from_a_thread(relay, [first, second, Done(9)])
    # THEN they arrive in order on the GUI thread, and never as worker events
    assert [e for e, _ in agents] == [first, second]
    assert all(where is gui for _, where in agents)
    assert worker_events == [Done(9)]


def test_a_real_worker_answers_the_handler_watching_its_request(qtbot, demo_gguf):
    # GIVEN the real worker posting to the relay, as the app wires them
    relay = Relay()
    worker = InferenceWorker(relay.post).start()
    handled = []
    try:
        request = worker.check(demo_gguf)
        relay.watch(request, handled.append)
        # WHEN it has read the model's header
        with qtbot.waitSignal(relay.on_done, timeout=60_000):
            pass
        # THEN the submitter heard the answer and the end of its request
        assert [type(e) for e in handled] == [ModelChecked, Done]
        assert handled[0].source == str(demo_gguf) and handled[0].reason == ""
    finally:
        assert worker.shutdown(5)
