"""How smoothly the pet animates while other work runs: the numbers behind `deskpet bench --ui`.

A real PetWindow plays one looping animation (painting every frame) while the caller's work
runs in the background; the sprite player records when each frame changed. A tick that comes
late means the GUI thread was held up (the GIL, a blocking call), which is what the owner would
see as a stutter. Runs offscreen as well as on a screen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from deskpet.settings import Settings
from deskpet.ui.pet_window import PetWindow

_app: QApplication | None = None

# "talking" is what the pet plays while the model writes: frames of one even length.
DEFAULT_STATE = "talking"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def measure_smoothness(
    seconds: float = 5.0,
    start_work: Callable[[], Any] | None = None,
    state: str = DEFAULT_STATE,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Animate the pet for `seconds` while `start_work()` runs, and report frame timing.

    `start_work` is called once the pet is animating; it should start its work in the
    background and return at once. If it returns a callable, that is called at the end to
    stop the work. Needs a QApplication (one is made if there is none; set
    QT_QPA_PLATFORM=offscreen first to measure without a screen). `settings` defaults to a
    Settings that are never saved so the benchmark never moves the owner's pet.

    Returns a dict: state, seconds, frames, scheduled_ms (the theme's typical frame length),
    interval_p50_ms / interval_p99_ms / interval_max_ms (time between frame changes) and
    late_p50_ms / late_p99_ms / late_max_ms (how much later than scheduled each frame came).
    """
    global _app
    if QApplication.instance() is None:
        _app = QApplication([])  # kept: Qt needs its application alive after we return
    window = PetWindow(settings=settings or _UnsavedSettings())
    window.player.play(state)
    window.show()
    stop = None
    try:
        window.player.record_ticks(True)
        if start_work is not None:
            stop = start_work()
        loop = QEventLoop()
        QTimer.singleShot(round(seconds * 1000), loop.quit)
        loop.exec()
        window.player.record_ticks(False)
    finally:
        if callable(stop):
            stop()
        window.hide()
        window.deleteLater()
    return _summary(window.player.tick_times, state, seconds)


def _summary(ticks: list[tuple[float, int]], state: str, seconds: float) -> dict[str, Any]:
    intervals, late = [], []
    for (before, _), (after, scheduled) in zip(ticks, ticks[1:], strict=False):
        gap_ms = (after - before) * 1000
        intervals.append(gap_ms)
        late.append(max(0.0, gap_ms - scheduled))
    scheduled = [ms for _, ms in ticks]
    return {
        "state": state,
        "seconds": seconds,
        "frames": len(ticks),
        "scheduled_ms": percentile([float(ms) for ms in scheduled], 50),
        "interval_p50_ms": percentile(intervals, 50),
        "interval_p99_ms": percentile(intervals, 99),
        "interval_max_ms": max(intervals, default=0.0),
        "late_p50_ms": percentile(late, 50),
        "late_p99_ms": percentile(late, 99),
        "late_max_ms": max(late, default=0.0),
    }


class _UnsavedSettings(Settings):
    """Defaults only, never written: the benchmark must not touch the owner's settings."""

    def __init__(self) -> None:
        super().__init__(Path(os.devnull).with_name("deskpet-bench-unsaved.yaml"))

    def save(self) -> bool:
        return False
