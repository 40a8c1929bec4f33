"""What the pet costs while nothing happens: the idle-CPU numbers of `deskpet bench --ui`.

A real PetWindow, PetMachine (on the app's PetClock, which ticks only when something is due)
and PetLife run as in the app, with the eyes on. CPU is the process's own time (every thread)
over wall time, in percent of one core. Three phases: the pointer mover alone, idle with the
pointer moving near the pet (the eyes at work), and asleep with the pointer still. Offscreen the
pointer can only be moved by a timer in this process, which a real desktop does not pay for;
the mover alone is measured in the same run, and the pet's share is idle minus that.
"""

from __future__ import annotations

import math
import time
from typing import Any

from PySide6.QtCore import QEventLoop, QPoint, QTimer
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication

from deskpet.pet import PetMachine
from deskpet.platform import DefaultPlatform
from deskpet.ui.pet_clock import PetClock
from deskpet.ui.pet_life import PetLife
from deskpet.ui.pet_window import PetWindow
from deskpet.ui.smoothness import IDLE_CPU_TARGET, UnsavedSettings

WARM_UP_MS = 1000
POINTER_MS = 33  # the pointer mover: 30 moves a second, like a hand on a mouse


def measure_idle_cpu(seconds: float = 30.0, asleep: bool = False) -> dict[str, Any]:
    """Run the pet for `seconds` and return {"phase", "seconds", "cpu_percent", "looks"}.

    `looks` counts the eyes' changes of direction (0 asleep: proof the eyes rested)."""
    settings = UnsavedSettings()
    settings.put("eyes_follow", True)
    machine = PetMachine()
    window = PetWindow(settings=settings, platform=DefaultPlatform())
    life = PetLife(window, settings)
    machine.add_listener(window.set_display)
    machine.add_listener(life.set_display)
    clock = PetClock(machine)
    window.move(300, 300)
    window.show()
    if asleep:
        machine.no_model()  # asleep until a model loads: the sleep animation
    window.set_display(machine.display)
    life.settings_changed()
    clock.start()
    looks: list[int | None] = []
    window.player.on_frame.connect(lambda _p: looks.append(life.look))
    mover = pointer_mover(window.frameGeometry().center())
    if not asleep:
        mover.start()
    # The first second draws every frame of the theme once (Theme.prerender, then cached): a
    # cost of showing the pet, not of it sitting there, so it is left out of the measure.
    warm = QEventLoop()
    QTimer.singleShot(WARM_UP_MS, warm.quit)
    warm.exec()
    wall, cpu_percent = run_for(seconds)
    mover.stop()
    clock.stop()
    life.clock_timer.stop()
    window.hide()
    window.deleteLater()
    changes = sum(1 for a, b in zip(looks, looks[1:], strict=False) if a != b)
    return {
        "phase": "asleep" if asleep else "idle, eyes on, pointer moving",
        "seconds": round(wall, 2),
        "cpu_percent": cpu_percent,
        "looks": changes,
    }


def pointer_mover(centre: QPoint) -> QTimer:
    """A timer (not started) that moves the pointer in a slow circle 150 px around `centre`,
    30 times a second like a hand on a mouse: every look direction comes round in turn."""
    mover = QTimer()
    mover.setInterval(POINTER_MS)
    step = [0]

    def move_pointer() -> None:
        step[0] += 1
        angle = step[0] * POINTER_MS / 1000 * 0.8
        QCursor.setPos(centre + QPoint(round(150 * math.cos(angle)), round(150 * math.sin(angle))))

    mover.timeout.connect(move_pointer)
    return mover


def measure_pointer_alone(seconds: float = 30.0) -> dict[str, Any]:
    """The mover with no pet on screen: what the idle phase pays that is not the pet's."""
    mover = pointer_mover(QPoint(364, 364))  # about where the idle phase's pet stands
    mover.start()
    wall, cpu_percent = run_for(seconds)
    mover.stop()
    phase = "the pointer mover alone"
    return {"phase": phase, "seconds": round(wall, 2), "cpu_percent": cpu_percent}


def run_for(seconds: float) -> tuple[float, float]:
    """Run the event loop for `seconds`: (wall seconds, this process's CPU in % of one core)."""
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    loop.exec()
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    return wall, 100.0 * cpu / wall if wall else 0.0


def settle(most_seconds: float = 20.0, quiet_percent: float = 2.0) -> float:
    """Wait (at most `most_seconds`) until the process is quiet: a model just loaded keeps a
    core busy for a few seconds, which is not the pet's doing. Returns the seconds waited."""
    waited = 0.0
    while waited < most_seconds:
        cpu0 = time.process_time()
        time.sleep(1.0)
        waited += 1.0
        if 100.0 * (time.process_time() - cpu0) < quiet_percent:
            break
    return waited


def idle_cpu_phases(seconds: float) -> dict[str, Any]:
    """Both phases, for `deskpet bench --ui` (needs a QApplication)."""
    app = QApplication.instance()
    assert app is not None, "make the QApplication first"
    settled = settle()
    pointer = measure_pointer_alone(seconds)
    idle = measure_idle_cpu(seconds)
    asleep = measure_idle_cpu(seconds, asleep=True)
    eyes_share = max(0.0, idle["cpu_percent"] - pointer["cpu_percent"])
    return {
        "pointer_alone": pointer,
        "idle_eyes": idle,
        "asleep": asleep,
        "idle_eyes_pet_percent": eyes_share,
        "settled_seconds": settled,
        "pass_idle_cpu": max(eyes_share, asleep["cpu_percent"]) < IDLE_CPU_TARGET,
    }
