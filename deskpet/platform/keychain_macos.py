"""The login keychain through `/usr/bin/security` (macOS only; deskpet.platform.keychain
chooses it). One generic password per secret: service "deskpet", account the secret's name.

A key never goes into a command line, where any local process can read it (`ps`). To add one,
`security -i` (interactive mode) is started with no secret in its arguments and reads the
`add-generic-password` command from stdin; the value goes as hex (`-X`), so no quoting rule of
that mode can split or change it. Reading prints the value on stdout (`-w`); nothing of it
reaches the log.
"""

from __future__ import annotations

import subprocess

from deskpet.i18n import N_
from deskpet.platform.keychain import _NAME, MAX_SECRET, KeychainError, _check

SECURITY = "/usr/bin/security"
SERVICE = "deskpet"
NOT_FOUND = 44  # security's exit status for "The specified item could not be found"
# security -i reads each command into a 4096-byte buffer (MAX_LINE_LEN in Apple's
# SecurityTool): a longer line would be cut, so such a key is refused before it is sent.
MAX_LINE = 4000


class MacKeychain:
    where = N_("the macOS keychain")

    def __init__(self, tool: str = SECURITY) -> None:
        self.tool = tool  # the tests point it at a stand-in that records what it is given

    def _run(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                [self.tool, *args], input=stdin, capture_output=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise KeychainError(f"the keychain did not answer: {type(e).__name__}") from None

    def get(self, name: str) -> str | None:
        # MAC-CHECK: the saved API key is read off the GUI thread: the pet moves during a prompt
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
        line = add_command(name, value)
        if len(line) > MAX_LINE:
            raise KeychainError("a key this long does not fit the macOS keychain tool")
        # MAC-CHECK: saving the API key (security -i, on stdin) keeps it; `ps` never shows it
        done = self._run("-i", "-q", stdin=line)
        if done.returncode != 0:
            raise KeychainError(f"the keychain refused to keep the {name} ({done.returncode})")

    def delete(self, name: str) -> None:
        done = self._run("delete-generic-password", "-s", SERVICE, "-a", name)
        if done.returncode not in (0, NOT_FOUND):
            raise KeychainError(f"the keychain refused to forget the {name} ({done.returncode})")


def add_command(name: str, value: str) -> bytes:
    """The one line `security -i` reads to add (or update, -U) the secret `name`: the value in
    hex, which holds no space, quote or backslash for that mode's parser to act on."""
    if not _NAME.fullmatch(name):  # it goes into the line as it is
        raise KeychainError(f"not a secret's name: {name!r}")
    hex_value = value.encode("utf-8").hex()
    return f"add-generic-password -U -s {SERVICE} -a {name} -X {hex_value}\n".encode("ascii")
