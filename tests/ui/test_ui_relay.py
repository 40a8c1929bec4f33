"""WorkerRelay: events posted on another thread arrive as typed signals on the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from deskpet.inference.generate import TokenEvent
from deskpet.inference.protocol import INTERNAL, Failed, Finished, ModelLoading, ModelReady, Token
from deskpet.ui.relay import WorkerRelay


def test_events_from_a_worker_thread_arrive_on_the_gui_thread(qtbot):
    relay = WorkerRelay()
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
    relay.on_failed.connect(lambda rid, msg: seen.append(("failed", msg, QThread.currentThread())))

    def worker_thread():
        relay.post(ModelLoading(1, "Loading demo"))
        relay.post(ModelReady(1, {"name": "demo"}))
        relay.post(Token(2, "neko", TokenEvent("Paris", 7)))
        relay.post(Failed(3, "boom", INTERNAL))
        relay.post(Finished(2, "neko", "stop", "Paris"))

    # GIVEN a thread that is not the GUI thread posting worker events
    with qtbot.waitSignal(relay.on_finished, timeout=5000):
        thread = threading.Thread(target=worker_thread)
        thread.start()
        thread.join()
    # THEN each arrives once, in order, as its typed signal, on the GUI thread
    assert [kind for kind, _, _ in seen] == ["loading", "ready", "token", "failed", "finished"]
    assert seen[2][1] == (2, "neko", "Paris")
    assert all(where is gui for _, _, where in seen)
