"""Platform window tricks behind one small interface.

`get_platform()` gives the macOS implementation on macOS (imported lazily: it needs pyobjc)
and a do-nothing one everywhere else. The pet window calls it; nothing else should need to.
"""

from __future__ import annotations

import sys

from deskpet.platform.default import DefaultPlatform, HitTest

__all__ = ["DefaultPlatform", "HitTest", "get_platform"]


def get_platform(name: str | None = None) -> DefaultPlatform:
    """The window tricks for `name` (default: this machine's `sys.platform`)."""
    if (name or sys.platform) == "darwin":
        from deskpet.platform.macos import MacPlatform

        return MacPlatform()
    return DefaultPlatform()
