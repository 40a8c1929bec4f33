"""`deskpet` with no sub-command: the pet on the desktop (deskpet.app.DeskpetApp); on the
first launch, onboarding (deskpet.ui.first_run).

Without a display to draw on (Linux with neither X11 nor Wayland, and no offscreen Qt platform
asked for) it says so in one line and points at the terminal chat instead. With a pet already
running for this user it says that and exits with status 1: one pet per user.

The log file is set up before this runs (deskpet.cli.main); once the pet is up, Qt's own
messages go there too (deskpet.ui.diagnostics).
"""

from __future__ import annotations

import logging
import os
import signal
import sys

from .i18n import Said, shown, tr

# Qt platforms that need no window system.
_HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb")

log = logging.getLogger(__name__)


def has_display() -> bool:
    """Whether Qt can show windows here."""
    if sys.platform in ("darwin", "win32"):
        return True
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if platform in _HEADLESS_PLATFORMS:
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class LaunchError(Exception):
    """The pet cannot start; the message (a Said) is the one line to print."""


def launch(args):
    """Build and start the pet (deskpet.app.DeskpetApp) without running the event loop: with
    no model chosen yet it opens onboarding. Raises LaunchError."""
    from PySide6.QtWidgets import QApplication

    from .app import DeskpetApp
    from .bridge.server import PetAlreadyRunning
    from .inference.source import named
    from .settings import Settings

    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setApplicationName("deskpet")
    qapp.setApplicationDisplayName("deskpet")
    settings = Settings.load()  # an unreadable file: the defaults, and the pet says why
    model = named(getattr(args, "model", None), getattr(args, "demo", False))
    app = DeskpetApp(model, settings=settings)
    try:
        app.start()
    except PetAlreadyRunning:
        # One pet per user: the first one keeps its socket, its model and its windows.
        app.shutdown()
        raise LaunchError(
            Said("deskpet is already running (look for its icon in the menu bar).")
        ) from None
    return app


def run_app(args) -> int:
    if not has_display():
        log.warning("no display to show the pet on")
        print(
            "deskpet: "
            + tr(
                "no display to show the pet on (no DISPLAY or WAYLAND_DISPLAY); "
                "try `deskpet chat` to chat in the terminal."
            ),
            file=sys.stderr,
        )
        return 1

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .ui.diagnostics import install_qt_message_handler

    install_qt_message_handler()
    try:
        app = launch(args)
    except LaunchError as exc:
        log.warning("the pet did not start: %s", exc)
        print(shown(exc), file=sys.stderr)
        return 1
    qapp = QApplication.instance()
    qapp.aboutToQuit.connect(app.shutdown)
    # Ctrl-C in the terminal quits like the menu's Quit. Python runs signal handlers only
    # between bytecodes, so an idle timer hands it control now and then during exec().
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wake = QTimer()
    wake.setObjectName("sigint-wake")
    wake.timeout.connect(lambda: None)
    wake.start(250)
    try:
        return qapp.exec()
    finally:
        wake.stop()
        app.shutdown()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        log.info("the pet has quit")
