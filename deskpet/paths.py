"""Every on-disk location deskpet uses, in one place.

On macOS the usual Library folders; elsewhere the XDG ones. `DESKPET_HOME` moves the data folder
(settings, chats, personas, the bridge socket) and `DESKPET_CACHE` moves the cache (downloaded
models), so tests can run in a temporary HOME while still sharing one downloaded demo model.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "deskpet"


def _home() -> Path:
    return Path(os.path.expanduser("~"))


def data_dir() -> Path:
    """Settings, conversations, owner personas, the bridge socket."""
    if env := os.environ.get("DESKPET_HOME"):
        return Path(env)
    if sys.platform == "darwin":
        return _home() / "Library" / "Application Support" / APP_NAME
    base = os.environ.get("XDG_DATA_HOME") or str(_home() / ".local" / "share")
    return Path(base) / APP_NAME


def cache_dir() -> Path:
    """Downloaded and converted models; safe to delete, re-fetched on demand."""
    if env := os.environ.get("DESKPET_CACHE"):
        return Path(env)
    if sys.platform == "darwin":
        return _home() / "Library" / "Caches" / APP_NAME
    base = os.environ.get("XDG_CACHE_HOME") or str(_home() / ".cache")
    return Path(base) / APP_NAME


def logs_dir() -> Path:
    """deskpet.log and crash.log (deskpet.logs); under the data folder when DESKPET_HOME moves
    it, so a test's HOME holds its own logs."""
    if sys.platform == "darwin" and "DESKPET_HOME" not in os.environ:
        # MAC-CHECK: the log is written to ~/Library/Logs/deskpet/deskpet.log (Console.app shows it)
        return _home() / "Library" / "Logs" / APP_NAME
    return data_dir() / "logs"


def models_dir() -> Path:
    return cache_dir() / "models"
