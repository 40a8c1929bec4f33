"""Platform window tricks behind one small interface.

`get_platform()` gives the macOS implementation on macOS (imported lazily: it needs pyobjc)
and a do-nothing one everywhere else. The pet window calls it; nothing else should need to.

The window tricks need Qt, the keychain does not: `DefaultPlatform` and `HitTest` load on first
use, so `deskpet.platform.keychain` can serve the terminal commands and the bridge without
pulling Qt in with the package.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deskpet.platform.default import DefaultPlatform, HitTest

__all__ = ["DefaultPlatform", "HitTest", "get_platform"]


def __getattr__(name: str) -> Any:
    if name in ("DefaultPlatform", "HitTest"):
        from deskpet.platform import default

        return getattr(default, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_platform(name: str | None = None) -> DefaultPlatform:
    """The window tricks for `name` (default: this machine's `sys.platform`)."""
    if (name or sys.platform) == "darwin":
        from deskpet.platform.macos import MacPlatform

        return MacPlatform()
    from deskpet.platform.default import DefaultPlatform

    return DefaultPlatform()
