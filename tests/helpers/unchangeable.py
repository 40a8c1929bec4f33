"""A folder deskpet may not change, made for real whoever runs the tests.

Root ignores file modes, so a 0555 folder stops only other users: on a Mac the owner's own
immutable flag (chflags uchg) is used, for root on Linux `chattr +i`, and a 0555 mode for
anyone else. Each makes the kernel answer a mkdir inside it (or a chmod of it, except for the
mode) with PermissionError, as a folder left by `sudo deskpet` does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def unchangeable(folder: Path) -> Iterator[str]:
    """Make `folder` unchangeable until the block ends; yields how ("flag" or "mode": with a
    mode the owner can still chmod the folder itself)."""
    if hasattr(os, "chflags"):
        os.chflags(folder, stat.UF_IMMUTABLE)
        how, undo = "flag", lambda: os.chflags(folder, 0)
    elif os.geteuid() == 0:
        # Tests may empty PATH (no agent programs); chattr lives in the system folders.
        chattr = shutil.which("chattr", path="/usr/bin:/bin:/usr/sbin:/sbin")
        if chattr is None:
            pytest.skip("root without chattr: nothing here can stop root writing")
        if subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode:
            pytest.skip(f"no immutable flag on the file system of {folder}")
        how = "flag"

        def undo() -> None:
            subprocess.run([chattr, "-i", str(folder)], check=True)
    else:
        mode = stat.S_IMODE(os.stat(folder).st_mode)
        os.chmod(folder, 0o555)
        how, undo = "mode", lambda: os.chmod(folder, mode)
    try:
        yield how
    finally:
        undo()
