"""The animation clock: one QTimer on the GUI thread steps through a theme animation.

The player only swaps pre-rendered pixmaps (`Theme.pixmaps` renders once per size and device
pixel ratio), so a tick costs a list lookup and a repaint. The timer is single-shot and re-armed
with each frame's own duration, because frames of one animation may have different lengths.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap

from deskpet.ui.theme import Animation, Theme


class SpritePlayer(QObject):
    """Plays one theme animation at a time.

    `play(name)` switches to the theme state `name` and starts at its first frame; asking for
    the animation already playing changes nothing (a refresh must not restart it). A play-once
    animation with `next` goes on to that state by itself; without `next` it holds its last
    frame until told otherwise.

    Attributes:
        theme: the Theme the frames come from.
        size: logical width of a frame in px.
        dpr: device pixel ratio the frames are rendered for.
        pixmap: the current frame.
        tick_times: (time.perf_counter() seconds, scheduled ms) of each frame change while
            recording (`record_ticks(True)`), for the smoothness benchmark.

    Signals:
        on_frame(QPixmap): a new frame is current (after a tick, a state or theme change).
        on_animation_changed(str): the theme state now playing, also when `next` moved on.
    """

    on_frame = Signal(QPixmap)
    on_animation_changed = Signal(str)

    def __init__(
        self, theme: Theme, size: int = 128, dpr: float = 1.0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sprite-player")
        self.theme = theme
        self.size = size
        self.dpr = dpr
        self.tick_times: list[tuple[float, int]] = []
        self._recording = False
        self._requested = "idle"  # what play() asked for
        self._current = "idle"  # what is playing: the request, or where `next` led
        self._animation: Animation = theme.animation("idle")
        self._frames: list[QPixmap] = theme.pixmaps(self._animation, size, dpr)
        self._index = 0
        self._running = False
        self._held = False  # a still frame (`hold`): no ticks until the next play()
        self._timer = QTimer(self)
        self._timer.setObjectName("sprite-timer")
        self._timer.setSingleShot(True)
        # Coarse timers may fire 5% late; a precise one keeps 70 ms blinks even.
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    # -- what is showing -------------------------------------------------------------------------

    @property
    def pixmap(self) -> QPixmap:
        return self._frames[self._index]

    @property
    def animation(self) -> Animation:
        return self._animation

    @property
    def state(self) -> str:
        """The theme state playing now (the name asked for, even when it fell back)."""
        return self._current

    @property
    def frame_index(self) -> int:
        return self._index

    @property
    def running(self) -> bool:
        return self._running

    # -- control ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._running = True
        self._arm()

    def stop(self) -> None:
        self._running = False
        self._timer.stop()

    def play(self, name: str) -> None:
        """Show theme state `name`, from its first frame unless it is already playing."""
        already = name in (self._requested, self._current) and not self._held
        self._requested = name
        if not already:
            self._held = False
            self._switch(name)

    def hold(self, name: str, index: int) -> None:
        """Show frame `index` of theme state `name` and stay on it (the eyes' look frames are
        picked by direction, not played); the next `play` moves on. No timer runs meanwhile."""
        animation = self.theme.animation(name)
        index = min(max(index, 0), len(animation.frames) - 1)
        if self._held and self._current == name and self._index == index:
            return
        self._held = True
        self._requested = ""
        self._current = name
        self._animation = animation
        self._frames = self.theme.pixmaps(animation, self.size, self.dpr)
        self._index = index
        self._timer.stop()
        self.on_frame.emit(self.pixmap)

    @property
    def held(self) -> bool:
        return self._held

    def set_theme(self, theme: Theme) -> None:
        """Use `theme`'s frames; the current state starts over in the new look."""
        self.theme = theme
        self._held = False
        self._switch(self._current)

    def set_size(self, size: int, dpr: float) -> None:
        """Render for a new size or device pixel ratio (a move to another screen)."""
        if (size, dpr) == (self.size, self.dpr):
            return
        self.size, self.dpr = size, dpr
        self._frames = self.theme.pixmaps(self._animation, size, dpr)
        self.on_frame.emit(self.pixmap)

    def record_ticks(self, on: bool) -> None:
        """Start (clearing old ones) or stop recording frame-change timestamps."""
        if on:
            self.tick_times = []
        self._recording = on

    # -- the clock -------------------------------------------------------------------------------

    def _switch(self, name: str) -> None:
        changed = name != self._current
        self._current = name
        self._animation = self.theme.animation(name)
        self._frames = self.theme.pixmaps(self._animation, self.size, self.dpr)
        self._index = 0
        self._arm()
        if changed:
            self.on_animation_changed.emit(name)
        self.on_frame.emit(self.pixmap)

    def _arm(self) -> None:
        self._timer.stop()
        if self._running and not self._held and self._has_next_frame():
            self._timer.start(self._animation.frames[self._index].ms)

    def _has_next_frame(self) -> bool:
        anim = self._animation
        return anim.loop or anim.next is not None or self._index < len(anim.frames) - 1

    def _tick(self) -> None:
        scheduled = self._animation.frames[self._index].ms
        anim = self._animation
        if self._index < len(anim.frames) - 1:
            self._index += 1
        elif anim.loop:
            self._index = 0
        elif anim.next is not None:
            self._record(scheduled)
            self._switch(anim.next)
            return
        self._record(scheduled)
        self._arm()
        self.on_frame.emit(self.pixmap)

    def _record(self, scheduled_ms: int) -> None:
        if self._recording:
            self.tick_times.append((time.perf_counter(), scheduled_ms))
