"""Relay: worker events and agent events, re-emitted as Qt signals on the GUI thread.

The InferenceWorker calls its `on_event` callback on its own thread, and the bridge server and
the Codex rollout tailer call theirs on their own threads. `Relay.post` is all of those
callbacks: it only emits a private signal, which a queued connection delivers to a slot on the
relay's thread (the GUI thread), where each event is handed to the handler watching its request
and unpacked into typed signals. Nothing waits and nothing is shared: worker events are plain
dataclasses the worker never touches again, and AgentEvents are frozen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from deskpet.bridge.events import AgentEvent
from deskpet.inference.protocol import (
    ConversationReset,
    Done,
    Failed,
    Finished,
    ModelChecked,
    ModelLoading,
    ModelReady,
    Token,
    WarmedUp,
)


class Relay(QObject):
    """Brings worker and agent events onto the thread this object lives on.

    `watch(request_id, handler)` routes one request's events to whoever submitted it; every
    worker event also goes out as the typed signals below.

    Signals:
        on_model_loading(int, str): the load's request id and a progress message while the
            model loads (or downloads).
        on_model_ready(int, dict): the load's request id and the model's info
            (`InferenceWorker.model_info`).
        on_token(int, object, object): request id, conversation id (str or None for a
            narration) and the `TokenEvent`.
        on_finished(object): the `Finished` event of a chat or narration.
        on_failed(int, str, str): request id, a one-line message and the failure kind
            (deskpet.inference.protocol: NO_MODEL, CONTEXT_FULL, LOAD, ADAPTER, INTERNAL).
        on_warmed_up(int, float): the request id of the load whose model is now warm, and the
            seconds the warm-up took.
        on_model_checked(int, str, str): request id, the model checked, and "" or why it
            cannot be loaded.
        on_conversation_reset(int, str): request id and conversation id (reset or restored).
        on_done(int): the request's last event: nothing more will come for this id.
        on_event(object): every worker event, after its typed signal.
        on_agent_event(object): one `AgentEvent`, in the order the bridge threads posted them.
    """

    on_model_loading = Signal(int, str)
    on_model_ready = Signal(int, dict)
    on_token = Signal(int, object, object)
    on_finished = Signal(object)
    on_failed = Signal(int, str, str)
    on_warmed_up = Signal(int, float)
    on_model_checked = Signal(int, str, str)
    on_conversation_reset = Signal(int, str)
    on_done = Signal(int)
    on_event = Signal(object)
    on_agent_event = Signal(object)

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("relay")
        self._watchers: dict[int, Callable[[object], None]] = {}
        # Queued even when posted from this thread, so handlers never run inside the worker
        # or the bridge.
        self._posted.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    def post(self, event: object) -> None:
        """Hand over one worker event or AgentEvent; safe from any thread, never blocks."""
        self._posted.emit(event)

    def watch(self, request_id: int, handler: Callable[[object], None]) -> None:
        """Call `handler` on this thread with each event of `request_id`, in order, up to and
        including its Done, before the typed signals. Watch right after submitting, on this
        thread: events arrive only through its event loop, so none is missed. Watching an id
        again replaces its handler."""
        self._watchers[request_id] = handler

    def unwatch(self, request_id: int) -> None:
        """Stop handing `request_id`'s events to its handler (the signals still carry them)."""
        self._watchers.pop(request_id, None)

    @Slot(object)
    def _dispatch(self, event: object) -> None:
        if isinstance(event, AgentEvent):
            self.on_agent_event.emit(event)
            return
        request_id = getattr(event, "request_id", None)
        if isinstance(event, Done):
            handler = self._watchers.pop(request_id, None)
        else:
            handler = self._watchers.get(request_id)
        if handler is not None:
            handler(event)
        match event:
            case Token():
                self.on_token.emit(event.request_id, event.conversation, event.event)
            case Finished():
                self.on_finished.emit(event)
            case Failed():
                self.on_failed.emit(event.request_id, event.message, event.kind)
            case ModelLoading():
                self.on_model_loading.emit(event.request_id, event.message)
            case ModelReady():
                self.on_model_ready.emit(event.request_id, event.info)
            case WarmedUp():
                self.on_warmed_up.emit(event.request_id, event.seconds)
            case ModelChecked():
                self.on_model_checked.emit(event.request_id, event.source, event.reason)
            case ConversationReset():
                self.on_conversation_reset.emit(event.request_id, event.conversation)
            case Done():
                self.on_done.emit(event.request_id)
        self.on_event.emit(event)
