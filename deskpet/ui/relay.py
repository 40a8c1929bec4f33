"""WorkerRelay: the InferenceWorker's events, re-emitted as Qt signals on the GUI thread.

The worker calls its `on_event` callback on its own thread. `WorkerRelay.post` is that callback:
it only emits a private signal, which a queued connection delivers to a slot on the relay's
thread (the GUI thread), where the event is unpacked into typed signals. Nothing waits and
nothing is shared: the event objects are plain dataclasses the worker never touches again.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot

from deskpet.inference.protocol import (
    ConversationReset,
    Failed,
    Finished,
    ModelChecked,
    ModelLoading,
    ModelReady,
    Token,
    WarmedUp,
)


class WorkerRelay(QObject):
    """Brings worker events onto the thread this object lives on.

    Signals:
        on_model_loading(int, str): the load's request id and a progress message while the
            model loads (or downloads).
        on_model_ready(int, dict): the load's request id and the model's info
            (`InferenceWorker.model_info`).
        on_token(int, object, object): request id, conversation id (str or None for a
            narration) and the `TokenEvent`.
        on_finished(object): the `Finished` event of a chat or narration.
        on_failed(int, str): request id and a one-line message.
        on_warmed_up(int, float): the request id of the load whose model is now warm, and the
            seconds the warm-up took.
        on_model_checked(int, str, str): request id, the model checked, and "" or why it
            cannot be loaded.
        on_conversation_reset(int, str): request id and conversation id (reset or restored).
        on_event(object): every event, after its typed signal.
    """

    on_model_loading = Signal(int, str)
    on_model_ready = Signal(int, dict)
    on_token = Signal(int, object, object)
    on_finished = Signal(object)
    on_failed = Signal(int, str)
    on_warmed_up = Signal(int, float)
    on_model_checked = Signal(int, str, str)
    on_conversation_reset = Signal(int, str)
    on_event = Signal(object)

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("worker-relay")
        # Queued even when posted from this thread, so handlers never run inside the worker.
        self._posted.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    def post(self, event: object) -> None:
        """Hand over one worker event; safe from any thread, never blocks."""
        self._posted.emit(event)

    @Slot(object)
    def _dispatch(self, event: object) -> None:
        if isinstance(event, Token):
            self.on_token.emit(event.request_id, event.conversation, event.event)
        elif isinstance(event, Finished):
            self.on_finished.emit(event)
        elif isinstance(event, Failed):
            self.on_failed.emit(event.request_id, event.message)
        elif isinstance(event, ModelLoading):
            self.on_model_loading.emit(event.request_id, event.message)
        elif isinstance(event, ModelReady):
            self.on_model_ready.emit(event.request_id, event.info)
        elif isinstance(event, WarmedUp):
            self.on_warmed_up.emit(event.request_id, event.seconds)
        elif isinstance(event, ModelChecked):
            self.on_model_checked.emit(event.request_id, event.source, event.reason)
        elif isinstance(event, ConversationReset):
            self.on_conversation_reset.emit(event.request_id, event.conversation)
        self.on_event.emit(event)
