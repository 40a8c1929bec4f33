"""BridgeRelay: AgentEvents from the bridge's threads, re-emitted on the GUI thread.

The bridge server and the Codex rollout tailer call their `on_event` callback on their own
threads. `BridgeRelay.post` is that callback: it only emits a private signal, which a queued
connection delivers on the relay's thread (the GUI thread). AgentEvents are frozen
dataclasses, so nothing is shared that either side could change.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot

from deskpet.bridge.events import AgentEvent


class BridgeRelay(QObject):
    """Brings agent events onto the thread this object lives on.

    Signals:
        on_agent_event(object): one `AgentEvent`, in the order the bridge threads posted them.
    """

    on_agent_event = Signal(object)

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bridge-relay")
        # Queued even when posted from this thread: the bridge never runs GUI code.
        self._posted.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    def post(self, event: AgentEvent) -> None:
        """Hand over one event; safe from any thread, never blocks."""
        self._posted.emit(event)

    @Slot(object)
    def _dispatch(self, event: object) -> None:
        if isinstance(event, AgentEvent):
            self.on_agent_event.emit(event)
