"""Where deskpet keeps secrets (a model server's API key): never settings.yaml, never the log.

On macOS the login keychain, through `/usr/bin/security` (deskpet.platform.keychain_macos,
imported only there). Everywhere else (Linux, the test machines) a file the owner alone can
read: `secrets/<name>` in the data folder, mode 0600 in a 0700 folder, written atomically. That
file is not encrypted: it is as safe as the owner's account, like ~/.netrc, and the Settings
window says which of the two holds the key.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

from deskpet import paths
from deskpet.i18n import N_
from deskpet.safefile import atomic_write_bytes

log = logging.getLogger(__name__)

SERVER_KEY = "server_api_key"  # the model server's API key
MAX_SECRET = 4096  # an API key is tens of bytes; a bigger "secret" is something else
_NAME = re.compile(r"[a-z0-9_]{1,64}")


class KeychainError(Exception):
    """A secret could not be read or kept; one line, never the secret."""


class FileKeychain:
    """Secrets as 0600 files in `folder` (default: the data folder's `secrets`)."""

    where = N_("a private file in deskpet's data folder")

    def __init__(self, folder: Path | None = None):
        self.folder = folder or paths.data_dir() / "secrets"

    def _path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise KeychainError(f"not a secret's name: {name!r}")
        return self.folder / name

    def get(self, name: str) -> str | None:
        path = self._path(name)
        try:
            if path.stat().st_size > MAX_SECRET:
                raise KeychainError(f"{path} is too big to be a key")
            text = path.read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as e:
            raise KeychainError(f"cannot read {path}: {type(e).__name__}") from None
        return text or None

    def set(self, name: str, value: str) -> None:
        """Keep `value` under `name`; an empty value forgets it."""
        if not value:
            self.delete(name)
            return
        _check(value)
        path = self._path(name)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            os.chmod(self.folder, 0o700)
            atomic_write_bytes(path, value.encode("utf-8"), mode=0o600)
        except OSError as e:
            raise KeychainError(f"cannot write {path}: {type(e).__name__}") from None

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            raise KeychainError(f"cannot remove the {name}: {type(e).__name__}") from None


def _check(value: str) -> None:
    if len(value.encode("utf-8")) > MAX_SECRET or "\n" in value or "\0" in value:
        raise KeychainError("a key is one line of at most 4096 bytes")


def get_keychain(platform: str | None = None):
    """The system keychain on macOS, the private file elsewhere."""
    if (platform or sys.platform) == "darwin":
        from deskpet.platform.keychain_macos import MacKeychain

        return MacKeychain()
    return FileKeychain()


def server_key() -> str | None:
    """The model server's API key, or None (also when it cannot be read: logged, not raised,
    because a server without a key is the common case)."""
    try:
        return get_keychain().get(SERVER_KEY)
    except KeychainError as e:
        log.warning("the server API key could not be read: %s", e)
        return None
