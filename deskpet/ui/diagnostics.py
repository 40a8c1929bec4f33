"""The Qt side of deskpet's logging (deskpet.logs): Qt's own messages into the log file, and
opening the logs folder (or any folder) in the Finder.

`install_qt_message_handler()` is for the real app only (deskpet.app_entry): under pytest-qt,
Qt's warnings must still reach pytest-qt's handler, so ours hands every message on to the
handler it replaced.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QtMsgType, QUrl, qInstallMessageHandler
from PySide6.QtGui import QDesktopServices

from deskpet import paths

log = logging.getLogger(__name__)
qt_log = logging.getLogger("deskpet.qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
_previous = None
_installed = False


def install_qt_message_handler() -> None:
    """Send Qt's messages to the `deskpet.qt` logger (once per process)."""
    global _previous, _installed
    if _installed:
        return
    _installed = True
    _previous = qInstallMessageHandler(_on_qt_message)


def _on_qt_message(kind: QtMsgType, context, message: str) -> None:
    category = getattr(context, "category", None) or "qt"
    qt_log.log(_LEVELS.get(kind, logging.WARNING), "[%s] %s", category, message)
    if _previous is not None:
        _previous(kind, context, message)


def open_folder(folder: Path) -> bool:
    """Show a folder in the Finder (the desktop's file manager elsewhere)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("cannot create %s: %s", folder, exc)
        return False
    opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
    if not opened:
        log.warning("the desktop did not open %s", folder)
    return bool(opened)


def open_logs_folder() -> bool:
    """Show the folder that holds deskpet.log and crash.log."""
    return open_folder(paths.logs_dir())
