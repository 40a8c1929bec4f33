"""macOS window tricks through pyobjc: no Dock icon, above full-screen apps, on every Space,
clicks on transparent pixels passing through to the window below, the sounds (NSSound), the
agent's terminal app brought forward (terminal_macos.py), and shortcuts that work in every app
(hotkeys_macos.py).

Imported only on macOS (`get_platform`), never on Linux: it needs pyobjc-framework-Cocoa.
Nothing here runs in the Linux test suite; the lines tagged MAC-CHECK are the ones whose effect
only a real Mac can show (docs/release.md gathers them into the first Mac run's checklist).
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

import objc
from AppKit import (
    NSApplication,
    NSApplicationActivationPolicyAccessory,
    NSEvent,
    NSMenu,
    NSSound,
    NSStatusWindowLevel,
    NSWindowCollectionBehaviorCanJoinAllSpaces,
    NSWindowCollectionBehaviorFullScreenAuxiliary,
    NSWindowCollectionBehaviorIgnoresCycle,
    NSWindowCollectionBehaviorStationary,
)
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QWidget

from deskpet.bridge.terminal import JumpResult, Terminal
from deskpet.i18n import N_
from deskpet.platform import terminal_macos
from deskpet.platform.default import DefaultPlatform, HitTest
from deskpet.platform.hotkeys import HotKeys

log = logging.getLogger(__name__)

# On every Space, beside full-screen apps, left alone by Mission Control (stationary) and
# skipped by Cmd-` window cycling.
PET_COLLECTION_BEHAVIOR = (
    NSWindowCollectionBehaviorCanJoinAllSpaces
    | NSWindowCollectionBehaviorFullScreenAuxiliary
    | NSWindowCollectionBehaviorStationary
    | NSWindowCollectionBehaviorIgnoresCycle
)
# Status level (25): above normal and floating windows (Qt's stay-on-top gives floating, 3)
# and above a full-screen app's window, below pop-up menus (101), the screen saver and alerts.
PET_WINDOW_LEVEL = NSStatusWindowLevel
# How often the cursor is checked for click-through; 20 Hz feels instant and costs nothing.
CLICK_THROUGH_MS = 50


def ns_window(widget: QWidget):
    """The NSWindow behind a top-level QWidget (winId() is its NSView on Cocoa)."""
    view = objc.objc_object(c_void_p=ctypes.c_void_p(int(widget.winId())))
    return view.window()


class _ClickThrough(QObject):
    """Lets clicks on the pet's transparent pixels reach the window below.

    A window that ignores mouse events gets no mouse moves either, so the cursor is polled with
    a timer instead of waiting for events: over an opaque pixel the window takes the mouse,
    elsewhere it ignores it.
    """

    def __init__(self, window: QWidget, is_opaque_at: HitTest) -> None:
        super().__init__(window)
        self.setObjectName("macos-click-through")
        self._window = window
        self._is_opaque_at = is_opaque_at
        self._ignoring: bool | None = None
        # WORKAROUND for a window that ignores mouse events getting no mouse moves: poll.
        self._timer = QTimer(self)
        self._timer.setObjectName("macos-click-through-timer")
        self._timer.timeout.connect(self._check)
        self._timer.start(CLICK_THROUGH_MS)

    def stop(self) -> None:
        self._timer.stop()
        self._set_ignoring(False)

    def _check(self) -> None:
        # Never flip while a button is down: a drag that crosses a transparent pixel (or
        # outruns the window) must keep its mouse grab.
        # MAC-CHECK: a drag across a transparent pixel, or faster than the pet, keeps going
        if NSEvent.pressedMouseButtons():
            return
        pos = QCursor.pos()
        opaque = self._window.frameGeometry().contains(pos) and self._is_opaque_at(pos)
        self._set_ignoring(not opaque)

    def _set_ignoring(self, ignoring: bool) -> None:
        if ignoring == self._ignoring:
            return
        self._ignoring = ignoring
        # MAC-CHECK: a click on a transparent pixel lands in the app below
        # (and the pet still gets hover, click and drag on its body).
        ns_window(self._window).setIgnoresMouseEvents_(ignoring)


class MacPlatform(DefaultPlatform):
    """Cocoa window tricks for the pet (see the module docstring)."""

    name = "macos"
    click_through = True
    launch_at_login_note = ""
    shortcuts_note = ""
    start_with_agents_note = N_("The installed Deskpet.app only, not deskpet run from source.")

    def __init__(self) -> None:
        self._click_through: dict[int, _ClickThrough] = {}
        self._sound = None  # the playing NSSound: it stops if it is freed mid-play

    def play_sound(self, path: Path, volume: float = 1.0) -> None:
        # MAC-CHECK: the bell is heard once, and a second ring restarts it
        # byReference: read from the file, not copied into memory first.
        if self._sound is not None:
            self._sound.stop()
        sound = NSSound.alloc().initWithContentsOfFile_byReference_(str(path), True)
        if sound is None:
            log.warning("cannot play %s", path)
            return
        self._sound = sound
        # MAC-CHECK: the done chime is soft, and Settings' volume makes both sounds quieter
        sound.setVolume_(max(0.0, min(1.0, volume)))
        sound.play()

    def bring_to_front(self, window: QWidget) -> None:
        # WORKAROUND for a menu-bar-only (accessory) app not being made active by showing a
        # window: onboarding would open behind the Finder at first launch.
        # MAC-CHECK: onboarding opens in front and takes the keyboard (packaged and from source)
        NSApplication.sharedApplication().activateIgnoringOtherApps_(True)
        super().bring_to_front(window)

    def prepare_app(self, app: QApplication) -> None:
        # No Dock icon and no menu bar of our own when run from source; the packaged app says
        # the same with LSUIElement in Info.plist.
        # MAC-CHECK: run from source, deskpet shows no Dock icon
        NSApplication.sharedApplication().setActivationPolicy_(
            NSApplicationActivationPolicyAccessory
        )

    def attach_pet_window(self, window: QWidget, is_opaque_at: HitTest) -> None:
        self._apply(window)
        # WORKAROUND for Qt's Cocoa plugin setting the level from the window flags while it
        # shows a window, possibly after this showEvent: apply once more when the show is done.
        # MAC-CHECK: the pet keeps PET_WINDOW_LEVEL after hide and show without the deferred apply
        QTimer.singleShot(0, window, lambda: self._apply(window))
        key = id(window)
        if key not in self._click_through:
            self._click_through[key] = _ClickThrough(window, is_opaque_at)

    def detach_pet_window(self, window: QWidget) -> None:
        tracker = self._click_through.pop(id(window), None)
        if tracker is not None:
            tracker.stop()
            tracker.deleteLater()

    def _apply(self, window: QWidget) -> None:
        nswindow = ns_window(window)
        if nswindow is None:  # not realized yet
            return
        # MAC-CHECK: the pet stays above a full-screen app and follows to every Space
        # Status level also keeps AppKit from clamping the pet below the menu bar.
        nswindow.setLevel_(PET_WINDOW_LEVEL)
        nswindow.setCollectionBehavior_(PET_COLLECTION_BEHAVIOR)
        # WORKAROUND for https://github.com/HELPMEEADICE/BANDORI-PET-REV/pull/30
        # A Qt.Tool window is an NSPanel, which hides when the app deactivates
        # (WA_MacAlwaysShowToolWindow should already prevent it), and a translucent panel may
        # keep a shadow traced from its first frame despite NoDropShadowWindowHint.
        # MAC-CHECK: no shadow around the pet, even after its first frame changes
        nswindow.setHidesOnDeactivate_(False)
        nswindow.setHasShadow_(False)

    def full_screen_app_active(self) -> bool:
        # A full-screen Space hides the menu bar until the pointer reaches the top; asking
        # AppKit for the menu bar costs one call, cheap enough for the pet's life clock.
        # MAC-CHECK: the pet does not walk over a full-screen app and walks again when it leaves
        return not bool(NSMenu.menuBarVisible())

    def hot_keys(self, parent: QObject | None = None) -> HotKeys:
        from deskpet.platform.hotkeys_macos import CarbonHotKeys

        return CarbonHotKeys(parent)

    def set_launch_at_login(self, on: bool) -> bool:
        # SMAppService (macOS 13+) registers the running .app bundle itself as a login item;
        # run from source (no bundle) it fails and says why.
        # MAC-CHECK: packaged, Open at login adds a Login Item that goes when unticked
        try:
            from ServiceManagement import SMAppService  # pyobjc-framework-ServiceManagement
        except ImportError:
            log.warning("open at login needs pyobjc-framework-ServiceManagement")
            return False
        service = SMAppService.mainAppService()
        if on:
            ok, error = service.registerAndReturnError_(None)
        else:
            ok, error = service.unregisterAndReturnError_(None)
        if not ok:
            log.warning("could not %s the login item: %s", "add" if on else "remove", error)
        return bool(ok)

    def go_to_terminal_app(self, terminal: Terminal) -> JumpResult | None:
        return terminal_macos.jump_app(terminal)
