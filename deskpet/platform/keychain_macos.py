"""The login keychain through `/usr/bin/security` (macOS only; deskpet.platform.keychain
chooses it). One generic password per secret: service "deskpet", account the secret's name.

The value is passed to `security` as an argument (its -w option), as Apple's tool requires for
a non-interactive add; it is visible to the owner's own processes for the moment the tool runs,
and never reaches the log.
"""

from __future__ import annotations

import subprocess

from deskpet.i18n import N_
from deskpet.platform.keychain import MAX_SECRET, KeychainError, _check

SECURITY = "/usr/bin/security"
SERVICE = "deskpet"
NOT_FOUND = 44  # security's exit status for "The specified item could not be found"


class MacKeychain:
    where = N_("the macOS keychain")

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        try:
            return subprocess.run([SECURITY, *args], capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise KeychainError(f"the keychain did not answer: {type(e).__name__}") from None

    def get(self, name: str) -> str | None:
        # MAC-CHECK: the server API key saved in Settings is read back from the login keychain
        done = self._run("find-generic-password", "-s", SERVICE, "-a", name, "-w")
        if done.returncode == NOT_FOUND:
            return None
        if done.returncode != 0:
            raise KeychainError(f"the keychain refused to read the {name} ({done.returncode})")
        value = done.stdout[:MAX_SECRET].decode("utf-8", errors="replace").strip()
        return value or None

    def set(self, name: str, value: str) -> None:
        if not value:
            self.delete(name)
            return
        _check(value)
        # MAC-CHECK: saving the server API key adds (or updates, -U) a keychain item "deskpet"
        done = self._run("add-generic-password", "-U", "-s", SERVICE, "-a", name, "-w", value)
        if done.returncode != 0:
            raise KeychainError(f"the keychain refused to keep the {name} ({done.returncode})")

    def delete(self, name: str) -> None:
        done = self._run("delete-generic-password", "-s", SERVICE, "-a", name)
        if done.returncode not in (0, NOT_FOUND):
            raise KeychainError(f"the keychain refused to forget the {name} ({done.returncode})")
