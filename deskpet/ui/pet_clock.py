"""PetClock: ticks the pet machine when something is due, and not otherwise.

A fixed 100 ms tick woke the GUI thread ten times a second even while the pet slept, half of its
idle CPU. The machine knows when a tick can next change anything (`PetMachine.next_due`) and says
so after every change; this clock arms one single-shot timer for that moment. Asleep with no
model, or asleep with the owner away, nothing is due and the timer stays off.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Qt, QTimer

from deskpet.pet import PetMachine

# A wake a few ms late is invisible; one per frame at most keeps a burst of dues cheap.
LATE_MS = 2


class PetClock(QObject):
    """Calls `machine.tick()` at the machine's next due time.

    Attributes:
        timer: the single-shot QTimer (object name "pet-clock"); inactive when nothing is due.
    """

    def __init__(self, machine: PetMachine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._machine = machine
        self._running = False
        self.timer = QTimer(self)
        self.timer.setObjectName("pet-clock")
        self.timer.setSingleShot(True)
        # A coarse timer may fire up to 5% early: the tick would find nothing due yet.
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._fire)
        machine.set_due_listener(self._plan)

    def start(self) -> None:
        """Tick once now (catching up on anything due) and from then on when due."""
        self._running = True
        self._machine.tick()  # its due listener arms the timer

    def stop(self) -> None:
        self._running = False
        self.timer.stop()

    def _fire(self) -> None:
        self._machine.tick()

    def _plan(self, seconds: float | None) -> None:
        if not self._running:
            return
        if seconds is None:
            self.timer.stop()
            return
        ms = math.ceil(seconds * 1000) + LATE_MS
        # An earlier wake already set is kept: that tick plans again.
        if self.timer.isActive() and self.timer.remainingTime() <= ms:
            return
        self.timer.start(ms)
