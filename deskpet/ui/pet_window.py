"""The pet on the desktop: a frameless, transparent, always-on-top window showing the sprite.

The window is a view: it paints the SpritePlayer's current frame, turns the owner's mouse into
signals (click, double-click, drag) and keeps its own position per screen. What the pet *does*
is decided elsewhere (deskpet.pet.PetMachine); app.py passes its `Display` to `set_display`.
"""

from __future__ import annotations

import logging
import math

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QEnterEvent,
    QGuiApplication,
    QHideEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QScreen,
    QShowEvent,
)
from PySide6.QtWidgets import QWidget

from deskpet.pet import Display, State
from deskpet.platform import DefaultPlatform, get_platform
from deskpet.safefile import ParseRefused
from deskpet.settings import Settings, SettingValueError
from deskpet.ui.sprite import SpritePlayer
from deskpet.ui.theme import DEFAULT_THEME, Theme, load_theme, theme_state

log = logging.getLogger(__name__)

DEFAULT_SIZE = 128
# A press counts on pixels at least this opaque (of 255): antialiased fringes and soft
# shadows let the click through, the pet's body and outline take it.
HIT_ALPHA = 40
# Distance from the screen's corner where a pet with no remembered place first sits.
FIRST_MARGIN = 48
POSITIONS_KEY = "pet_positions"


def screen_key(screen: QScreen) -> str:
    """The key a screen's remembered position is stored under: its name and geometry.

    The geometry is part of the key so that the same monitor at another resolution, or moved
    in the display arrangement, does not reuse a spot that no longer fits.
    """
    g = screen.geometry()
    return f"{screen.name()}@{g.x()},{g.y()} {g.width()}x{g.height()}"


def clamp_into(rect: QRect, area: QRect) -> QPoint:
    """The top-left that moves `rect` the least while keeping it inside `area`."""
    x = min(max(rect.x(), area.left()), area.right() - rect.width() + 1)
    y = min(max(rect.y(), area.top()), area.bottom() - rect.height() + 1)
    return QPoint(max(x, area.left()), max(y, area.top()))


def _distance(point: QPoint, area: QRect) -> float:
    dx = max(area.left() - point.x(), 0, point.x() - area.right())
    dy = max(area.top() - point.y(), 0, point.y() - area.bottom())
    return math.hypot(dx, dy)


class PetWindow(QWidget):
    """The pet's window.

    A Qt.Tool window without frame or background that stays on top, stays visible while other
    apps are active and never takes keyboard focus. Presses on transparent pixels are refused
    (and on macOS pass through to the window below, see deskpet.platform.macos).

    Attributes:
        player: the SpritePlayer whose frames the window paints.
        theme: the Theme in use.
        display: the last Display given to `set_display`.
        pet_size: logical width of the pet in px.
        settings: where positions are remembered (`pet_positions`, one entry per screen).
        pose: a theme state shown instead of the display (mini mode, a walk, a look), or None.
        mirrored: whether frames show flipped (facing left; tucked at a left edge).
        tucked: whether the pet is half off its screen on purpose (mini mode).

    Signals:
        on_clicked(): a click on the pet's body that was not part of a drag or double-click.
        on_double_clicked(): a double-click on the pet's body (the first click of it has
            already emitted on_clicked).
        on_single_clicked(): a click that no second click followed within the platform's
            double-click interval (so never the first click of a double-click).
        on_drag_started(): the owner picked the pet up (pressed and moved past the threshold).
        on_drag_finished(QPoint): the pet was dropped; its new top-left on the desktop.
        on_hovered(): the mouse came onto the pet (owner activity).
        on_drag_moved(QPoint): the carried pet's pointer is at this global point.
        on_menu_requested(QPoint): a right-click (or the keyboard's menu key) on the pet's
            body asks for its menu at this global point.
        on_resized(): the pet's size changed (`set_pet_size`); anchored windows follow.
        on_screens_changed(): screens came, went or changed while the pet was tucked (mini
            mode re-tucks it; otherwise the window finds its own place).
    """

    on_clicked = Signal()
    on_double_clicked = Signal()
    on_single_clicked = Signal()
    on_drag_started = Signal()
    on_drag_finished = Signal(QPoint)
    on_hovered = Signal()
    on_drag_moved = Signal(QPoint)
    on_menu_requested = Signal(QPoint)
    on_resized = Signal()
    on_screens_changed = Signal()

    def __init__(
        self,
        settings: Settings | None = None,
        theme_id: str = DEFAULT_THEME,
        size: int = DEFAULT_SIZE,
        platform: DefaultPlatform | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pet-window")
        self.setWindowTitle("deskpet")
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowDoesNotAcceptFocus
            | Qt.WindowType.NoDropShadowWindowHint
        )
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        # WORKAROUND for a Qt.Tool window on macOS hiding while another app is active
        # (https://doc.qt.io/qt-6/qt.html#WidgetAttribute-enum); the pet must not.
        # MAC-CHECK: the pet stays on the desktop while another app is active
        self.setAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.settings = settings if settings is not None else Settings()
        self.pet_size = size
        self.display = Display(State.IDLE)
        # A pose (a theme state such as "walk" or "mini") shown instead of the machine's
        # display while set; mini mode and walks own it (deskpet.ui.pet_life).
        self.pose: str | None = None
        self.mirrored = False  # frames drawn facing right, shown facing left
        self.tucked = False  # half behind a screen edge on purpose (mini mode)
        self.theme: Theme = load_theme(theme_id)
        self._platform = platform or get_platform()
        self.player = SpritePlayer(self.theme, size, self.devicePixelRatioF(), self)
        self.player.on_frame.connect(self._on_frame)
        self.setFixedSize(self.theme.frame_size(size))

        self._hit_image: tuple[int, QImage] | None = None  # (pixmap cacheKey, its image)
        self._press: tuple[QPoint, QPoint] | None = None  # (global press point, window pos)
        self._dragging = False
        self._double = False
        self._window_signals = False
        # A click waits out the double-click interval before it counts as a single click.
        self._single = QTimer(self)
        self._single.setObjectName("pet-single-click")
        self._single.setSingleShot(True)
        self._single.timeout.connect(self.on_single_clicked)

        app = QGuiApplication.instance()
        app.screenAdded.connect(self._on_screen_added)
        app.screenRemoved.connect(self._on_screens_changed)
        for screen in QGuiApplication.screens():
            self._watch(screen)
        self.restore_position()

    # -- what the pet shows ----------------------------------------------------------------------

    def set_display(self, display: Display) -> None:
        """Show the animation for the machine's `display` (a PetMachine listener)."""
        self.display = display
        if self.pose is None:
            self.player.play(theme_state(display))

    def set_pose(self, pose: str | None, mirrored: bool = False, frame: int | None = None) -> None:
        """Show theme state `pose` instead of the display (None: the display again); with
        `frame`, hold that one frame of it (the eyes' look frames)."""
        self.pose = pose
        if mirrored != self.mirrored:
            self.mirrored = mirrored
            self._hit_image = None
            self.update()
        if pose is not None and frame is not None:
            self.player.hold(pose, frame)
        else:
            self.player.play(pose if pose is not None else theme_state(self.display))

    def set_pet_size(self, size: int) -> None:
        """Show the pet `size` px wide, standing where it stood (its feet stay put)."""
        if size == self.pet_size:
            return
        ground = self.frameGeometry()
        feet = QPoint(ground.x() + ground.width() // 2, ground.bottom())
        self.pet_size = size
        frame = self.theme.frame_size(size)
        self.setFixedSize(frame)
        if self.isVisible():
            self.theme.prerender(size, self.devicePixelRatioF())
        self.player.set_size(size, self.devicePixelRatioF())
        self._hit_image = None
        spot = QPoint(feet.x() - frame.width() // 2, feet.y() - frame.height() + 1)
        self.move(spot if self.tucked else self._clamped(spot))
        self.on_resized.emit()

    def set_theme(self, theme_id: str) -> None:
        """Switch to theme `theme_id` (the default theme if it cannot be used)."""
        self.theme = load_theme(theme_id)
        if self.isVisible():
            self.theme.prerender(self.pet_size, self.devicePixelRatioF())
        self.setFixedSize(self.theme.frame_size(self.pet_size))
        self.player.set_theme(self.theme)

    def is_opaque_at(self, global_pos: QPoint) -> bool:
        """Whether the pet's body (not a transparent pixel) is under `global_pos`."""
        return self._opaque_local(self.mapFromGlobal(global_pos))

    # -- painting --------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        # WA_TranslucentBackground gives a cleared (transparent) surface; draw only the frame.
        painter = QPainter(self)
        if self.mirrored:
            painter.translate(self.width(), 0)
            painter.scale(-1, 1)
        painter.drawPixmap(0, 0, self.player.pixmap)
        painter.end()

    def _on_frame(self, _pixmap) -> None:
        self.update()

    # -- showing ---------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._window_signals and self.windowHandle() is not None:
            self.windowHandle().screenChanged.connect(self._on_screen_changed)
            self._window_signals = True
        dpr = self.devicePixelRatioF()
        # Render every frame now, not at the first state change: no hiccup mid-animation.
        self.theme.prerender(self.pet_size, dpr)
        self.player.set_size(self.pet_size, dpr)
        self.player.start()
        self._platform.attach_pet_window(self, self.is_opaque_at)

    def hideEvent(self, event: QHideEvent) -> None:
        self.player.stop()  # no ticks for a pet nobody sees
        self._platform.detach_pet_window(self)
        super().hideEvent(event)

    def _on_screen_changed(self, screen: QScreen | None) -> None:
        # Another screen may have another device pixel ratio: re-render for it once.
        self.player.set_size(self.pet_size, self.devicePixelRatioF())
        self._hit_image = None

    # -- the mouse -------------------------------------------------------------------------------

    def enterEvent(self, event: QEnterEvent) -> None:
        self.on_hovered.emit()
        super().enterEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self._accept_press(event):
            return
        self._double = False

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        # Qt sends this instead of the second press of a double-click.
        if not self._accept_press(event):
            return
        self._double = True
        self._single.stop()
        self.on_double_clicked.emit()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Mouse and not self._opaque_local(event.pos()):
            event.ignore()  # a right-click on a transparent pixel is not on the pet
            return
        self.on_menu_requested.emit(event.globalPos())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None or not event.buttons() & Qt.MouseButton.LeftButton:
            event.ignore()
            return
        press_point, window_pos = self._press
        delta = event.globalPosition().toPoint() - press_point
        if not self._dragging:
            threshold = QGuiApplication.styleHints().startDragDistance()
            if delta.manhattanLength() < threshold:
                return
            self._dragging = True
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            self.on_drag_started.emit()
        self.move(window_pos + delta)
        self.on_drag_moved.emit(event.globalPosition().toPoint())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press is None or event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        dragging, double = self._dragging, self._double
        self._press, self._dragging, self._double = None, False, False
        if dragging:
            self.unsetCursor()
            self.move(self._clamped(self.pos()))
            self.remember_position()
            self.on_drag_finished.emit(self.pos())
        elif not double:
            self.on_clicked.emit()
            self._single.start(QGuiApplication.styleHints().mouseDoubleClickInterval())

    def _accept_press(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton or not self._opaque_local(
            event.position().toPoint()
        ):
            event.ignore()  # a transparent pixel, or not the left button
            return False
        self._press = (event.globalPosition().toPoint(), self.pos())
        self._dragging = False
        return True

    def _opaque_local(self, local: QPoint) -> bool:
        pixmap = self.player.pixmap
        if self._hit_image is None or self._hit_image[0] != pixmap.cacheKey():
            self._hit_image = (pixmap.cacheKey(), pixmap.toImage())
        image = self._hit_image[1]
        dpr = pixmap.devicePixelRatio()
        x, y = int(local.x() * dpr), int(local.y() * dpr)
        if self.mirrored:
            x = image.width() - 1 - x
        if not (0 <= x < image.width() and 0 <= y < image.height()):
            return False
        return image.pixelColor(x, y).alpha() >= HIT_ALPHA

    # -- where the pet sits ----------------------------------------------------------------------

    def remember_position(self) -> None:
        """Store the current position under the screen the pet is on, and save settings."""
        screen = self._screen_of(self.frameGeometry())
        if screen is None:
            return
        positions = self._positions()
        key = screen_key(screen)
        positions.pop(key, None)  # re-insert last: the newest entry is tried first
        positions[key] = [self.x(), self.y()]
        try:
            self.settings.put(POSITIONS_KEY, positions)
        except (ParseRefused, SettingValueError, OSError) as exc:
            log.warning("cannot save the pet's position: %s", exc)

    def restore_position(self) -> None:
        """Go to the newest remembered spot on a connected screen, or a first spot.

        A remembered spot is clamped into its screen's available area (the Dock or menu bar
        may have grown since). With no spot remembered for any connected screen, the pet sits
        near the bottom right of the primary screen.
        """
        by_key = {screen_key(s): s for s in QGuiApplication.screens()}
        for key, value in reversed(self._positions().items()):
            screen = by_key.get(key)
            if screen is None or not _is_point(value):
                continue
            rect = QRect(QPoint(int(value[0]), int(value[1])), self.size())
            self.move(clamp_into(rect, screen.availableGeometry()))
            return
        primary = QGuiApplication.primaryScreen()
        if primary is None:
            return
        area = primary.availableGeometry()
        spot = QRect(QPoint(), self.size())
        spot.moveBottomRight(area.bottomRight() - QPoint(FIRST_MARGIN, FIRST_MARGIN))
        self.move(clamp_into(spot, area))

    def move_to_screen(self, screen: QScreen) -> None:
        """Go to `screen`: its remembered spot, else the first spot near its bottom right."""
        area = screen.availableGeometry()
        value = self._positions().get(screen_key(screen))
        if _is_point(value):
            rect = QRect(QPoint(int(value[0]), int(value[1])), self.size())
        else:
            rect = QRect(QPoint(), self.size())
            rect.moveBottomRight(area.bottomRight() - QPoint(FIRST_MARGIN, FIRST_MARGIN))
        self.move(clamp_into(rect, area))
        self.remember_position()

    def _positions(self) -> dict:
        value = self.settings.get(POSITIONS_KEY)
        return value if isinstance(value, dict) else {}

    def _clamped(self, pos: QPoint) -> QPoint:
        rect = QRect(pos, self.size())
        screen = self._screen_of(rect)
        if screen is None:
            return pos
        return clamp_into(rect, screen.availableGeometry())

    def current_screen(self) -> QScreen | None:
        """The screen the pet is on (by its centre; the nearest one when off every screen)."""
        return self._screen_of(self.frameGeometry())

    def _screen_of(self, rect: QRect) -> QScreen | None:
        """The screen holding `rect`'s centre, or the nearest one when it is off every screen."""
        screens = QGuiApplication.screens()
        if not screens:
            return None
        centre = rect.center()
        return min(screens, key=lambda s: _distance(centre, s.geometry()))

    def _watch(self, screen: QScreen) -> None:
        screen.geometryChanged.connect(self._on_screens_changed)
        screen.availableGeometryChanged.connect(self._on_screens_changed)

    def _on_screen_added(self, screen: QScreen) -> None:
        self._watch(screen)
        self._on_screens_changed()

    def _on_screens_changed(self, *_args) -> None:
        """Monitors changed: stay put if the pet is still fully on a screen, else come back."""
        if self._press is not None:
            return  # the owner is carrying the pet; the drop clamps it
        if self.tucked:
            self.on_screens_changed.emit()  # half off screen on purpose: mini mode re-tucks
            return
        rect = self.frameGeometry()
        on_screen = any(s.availableGeometry().contains(rect) for s in QGuiApplication.screens())
        if on_screen:
            return
        if any(s.geometry().intersects(rect) for s in QGuiApplication.screens()):
            self.move(self._clamped(rect.topLeft()))  # partly visible: nudge it back in
        else:  # its screen is gone: the newest spot remembered on a remaining screen
            self.restore_position()

    def sizeHint(self) -> QSize:
        return self.theme.frame_size(self.pet_size)


def _is_point(value) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )
