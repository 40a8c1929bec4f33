"""PetLife: what the pet does by itself around the machine's states: mini mode at a screen's side
edge, a walk now and then, and eyes that follow the pointer.

The decisions are pure (deskpet.pet.mini, .walk, .gaze); this controller feeds them the clock,
the pointer and the screens, and shows the answer through `PetWindow.set_pose`. One timer, the
life clock, runs only while there is something to do (eyes that may look, walks switched on,
or mini mode waiting for the pointer); it is never faster than the sprite's frames, and a
tick with the pointer where it was does no work beyond reading it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QPoint, QRect, QTimer, Signal
from PySide6.QtGui import QCursor, QGuiApplication, QScreen

from deskpet.pet import Display, State
from deskpet.pet import mini as geometry
from deskpet.pet.gaze import look_index
from deskpet.pet.walk import LEFT, WalkPlanner
from deskpet.platform import DefaultPlatform
from deskpet.safefile import ParseRefused
from deskpet.settings import Settings, SettingValueError
from deskpet.ui.pet_window import PetWindow, screen_key

log = logging.getLogger(__name__)

LIFE_MS = 150  # the life clock: no faster than the sprite's quickest frames
MINI_KEY = "pet_mini"
# Where the eyes sit in the frame, as fractions of its width and height (the art's eye line).
EYE_AT = (0.5, 0.47)
# Mini mode shows the machine's bell and done in mini form; everything else is the plain tuck.
MINI_POSES = {State.ATTENTION: "mini_attention", State.HAPPY: "mini_happy"}


def box(rect: QRect) -> geometry.Box:
    return geometry.Box(rect.x(), rect.y(), rect.width(), rect.height())


class PetLife(QObject):
    """Mini mode, walks and the eyes of one PetWindow.

    Attributes:
        mini_edge: "left" or "right" while tucked into that edge, else None.
        peeking: whether the tucked pet leans out (the pointer is near).
        look: the look frame shown (0-7, see deskpet.pet.gaze), or None.
        walking: whether a walk is under way.
        clock_timer: the life clock (a QTimer named "pet-life-clock").

    Signals:
        on_mini_changed(bool): the pet went into mini mode (True) or left it.
    """

    on_mini_changed = Signal(bool)

    def __init__(
        self,
        pet: PetWindow,
        settings: Settings,
        platform: DefaultPlatform | None = None,
        blocked: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
        walks: WalkPlanner | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pet-life")
        self.pet = pet
        self.settings = settings
        self._platform = platform or DefaultPlatform()
        self._blocked = blocked  # a card, the bubble or the sessions list is open
        self._clock = clock
        self._walks = walks or WalkPlanner(random.Random())
        self.mini_edge: str | None = None
        self.peeking = False
        self.look: int | None = None
        self.walking = False
        self._facing = ""
        self._pointer: QPoint | None = None
        self.clock_timer = QTimer(self)
        self.clock_timer.setObjectName("pet-life-clock")
        self.clock_timer.setInterval(LIFE_MS)
        self.clock_timer.timeout.connect(self.tick)
        pet.on_drag_started.connect(self._on_drag_started)
        pet.on_drag_finished.connect(self._on_dropped)
        pet.on_screens_changed.connect(self._retuck)
        pet.on_resized.connect(self._on_resized)

    # -- inputs ----------------------------------------------------------------------------------

    def set_display(self, _display: Display) -> None:
        """A PetMachine listener (added after the window's): re-pose for the new state."""
        if self.pet.display.state is not State.IDLE:
            self._stop_walk()
            self.look = None
        self._refresh()

    def settings_changed(self) -> None:
        """eyes_follow or pet_walks changed, or the theme did."""
        if not self._walks_on():
            self._stop_walk()
        if not self._eyes_may_look():
            self.look = None
        self._refresh()

    def take_click(self) -> bool:
        """A click on the pet: in mini mode it leaves mini mode (and is no poke). Returns
        whether it was taken."""
        if self.mini_edge is None:
            return False
        self.leave_mini()
        return True

    # -- mini mode -------------------------------------------------------------------------------

    def enter_mini(self, edge: str | None = None, remember: bool = True) -> None:
        """Tuck the pet into `edge` of its screen (default: the nearer side edge)."""
        area = self._area()
        if area is None:
            return
        here = box(self.pet.frameGeometry())
        if edge not in geometry.EDGES:
            edge = geometry.edge_at(here, area)
        if edge is None:
            middle = here.x + here.width / 2
            edge = geometry.LEFT if middle < area.x + area.width / 2 else geometry.RIGHT
        self._stop_walk()
        self.look = None
        self.mini_edge, self.peeking = edge, False
        self.pet.tucked = True
        self.pet.move(QPoint(*geometry.tucked(here, area, edge)))
        if remember:
            self._remember(edge)
        self._refresh()
        self.on_mini_changed.emit(True)

    def leave_mini(self) -> None:
        """Come out of the edge, fully back on the screen beside it."""
        if self.mini_edge is None:
            return
        area = self._area()
        edge = self.mini_edge
        self._forget()
        if area is not None:
            self.pet.move(QPoint(*geometry.left_mini(box(self.pet.frameGeometry()), area, edge)))
            self.pet.remember_position()
        self._refresh()
        self.on_mini_changed.emit(False)

    def restore(self) -> None:
        """At start or after a move to another screen: tuck in again where it was tucked."""
        screen = self.pet.current_screen()
        if screen is None:
            return
        edge = self._minis().get(screen_key(screen))
        if edge in geometry.EDGES:
            self.enter_mini(edge, remember=False)

    def send_to(self, screen: QScreen) -> None:
        """Move the pet to `screen` (its spot remembered there, else the first spot), out of
        mini mode here and into it there if it was tucked there before."""
        if self.mini_edge is not None:
            self._forget(keep_setting=True)
        self._stop_walk()
        self.pet.move_to_screen(screen)
        self.restore()

    # -- the clock -------------------------------------------------------------------------------

    def tick(self) -> None:
        if not self.pet.isVisible():
            self.clock_timer.stop()  # the app restarts it (settings_changed) when shown
            return
        pointer = QCursor.pos()
        moved = pointer != self._pointer
        self._pointer = pointer
        if self.mini_edge is not None:
            if moved:
                self._peek(geometry.near(box(self.pet.frameGeometry()), pointer.x(), pointer.y()))
            return
        if self._walks_on():
            self._walk_step()
        if moved and not self.walking and self._eyes_may_look():
            rect = self.pet.frameGeometry()
            eye = (rect.x() + rect.width() * EYE_AT[0], rect.y() + rect.height() * EYE_AT[1])
            look = look_index(eye, (pointer.x(), pointer.y()), self.look)
            if look != self.look:
                self.look = look
                self._refresh()

    def _walk_step(self) -> None:
        area = self._area()
        if area is None:
            return
        now = self._clock()
        blocked = (
            self.pet.display.state is not State.IDLE
            or not self.pet.isVisible()
            or self._blocked()
            or self._platform.full_screen_app_active()
        )
        width = self.pet.width()
        step = self._walks.update(now, self.pet.x(), area.x, area.right - width, blocked)
        if step.walking or self.walking:
            self.pet.move(QPoint(round(step.x), self.pet.y()))
        if step.walking != self.walking or (step.walking and step.facing != self._facing):
            self.walking, self._facing = step.walking, step.facing
            if not step.walking:
                self.pet.remember_position()  # it sits again: this is its place now
            self.look = None
            self._refresh()

    # -- internals -------------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Show the pose for the current mode, and run the life clock only when needed."""
        pet = self.pet
        if self.mini_edge is not None:
            pose = MINI_POSES.get(pet.display.state)
            if pose is None:
                pose = "mini_peek" if self.peeking else "mini"
            pet.set_pose(pose, mirrored=self.mini_edge == geometry.LEFT)
        elif self.walking:
            pet.set_pose("walk", mirrored=self._facing == LEFT)
        elif self.look is not None and self._eyes_may_look():
            pet.set_pose("look", frame=self.look)
        else:
            pet.set_pose(None)
        wanted = pet.isVisible() and (
            self.mini_edge is not None
            or (pet.display.state is State.IDLE and (self._walks_on() or self._eyes_on()))
        )
        if wanted and not self.clock_timer.isActive():
            self._pointer = None
            self.clock_timer.start()
        elif not wanted and self.clock_timer.isActive():
            self.clock_timer.stop()

    def _peek(self, peek: bool) -> None:
        if peek == self.peeking or self.mini_edge is None:
            return
        area = self._area()
        if area is None:
            return
        self.peeking = peek
        showing = geometry.PEEK if peek else geometry.TUCKED
        here = box(self.pet.frameGeometry())
        self.pet.move(QPoint(*geometry.tucked(here, area, self.mini_edge, showing)))
        self._refresh()

    def _retuck(self) -> None:
        """Screens changed while tucked: tuck into the same edge of the pet's screen now."""
        if self.mini_edge is None:
            return
        if self._area() is None or not QGuiApplication.screens():
            self._forget(keep_setting=True)
            return
        self.enter_mini(self.mini_edge, remember=False)

    def _on_resized(self) -> None:
        if self.mini_edge is not None:
            self.enter_mini(self.mini_edge, remember=False)

    def _on_drag_started(self) -> None:
        self._stop_walk()
        self.look = None
        if self.mini_edge is not None:
            self._forget()  # dragged away: out of mini mode (a drop at an edge tucks again)
            self.on_mini_changed.emit(False)
        self._refresh()

    def _on_dropped(self, _pos: QPoint) -> None:
        area = self._area()
        if area is None:
            return
        edge = geometry.edge_at(box(self.pet.frameGeometry()), area)
        if edge is not None:
            self.enter_mini(edge)

    def _forget(self, keep_setting: bool = False) -> None:
        if not keep_setting:
            self._remember(None)
        self.mini_edge, self.peeking = None, False
        self.pet.tucked = False

    def _stop_walk(self) -> None:
        if self.walking:
            self.walking = False
            self.pet.remember_position()
        self._walks.stop(self._clock())

    def _area(self) -> geometry.Box | None:
        # The available area leaves out the menu bar (and the notch under it) and the Dock, so
        # the pet tucks into the desk's edge, beside a Dock placed on that side.
        # MAC-CHECK: mini mode tucks beside a Dock on the left or right, never under it
        screen = self.pet.current_screen()
        return box(screen.availableGeometry()) if screen is not None else None

    def _eyes_on(self) -> bool:
        return bool(self.settings.get("eyes_follow")) and self.pet.theme.eyes_follow

    def _eyes_may_look(self) -> bool:
        # Idle only: never asleep (yawn, doze, sleep are their own states), never busy.
        return self._eyes_on() and self.pet.display.state is State.IDLE and self.mini_edge is None

    def _walks_on(self) -> bool:
        return bool(self.settings.get("pet_walks"))

    def _minis(self) -> dict:
        value = self.settings.get(MINI_KEY)
        return value if isinstance(value, dict) else {}

    def _remember(self, edge: str | None) -> None:
        screen = self.pet.current_screen()
        if screen is None:
            return
        minis = self._minis()
        key = screen_key(screen)
        if edge is None and key not in minis:
            return
        if edge is None:
            minis.pop(key)
        else:
            minis[key] = edge
        try:
            self.settings.put(MINI_KEY, minis)
        except (ParseRefused, SettingValueError, OSError) as exc:
            log.warning("cannot save mini mode: %s", exc)
