"""The rule that keeps the house livable: inference/, personas/, bridge/ and pet/ never
import Qt."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import deskpet
for room in ("inference", "personas", "bridge", "pet"):
    package = importlib.import_module(f"deskpet.{room}")
    for info in pkgutil.walk_packages(package.__path__, f"deskpet.{room}."):
        importlib.import_module(info.name)
bad = sorted(m for m in sys.modules if m.startswith(("PySide6", "deskpet.ui", "deskpet.app")))
print(",".join(bad))
"""


def test_core_rooms_import_neither_qt_nor_ui():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_core_rooms_never_name_qt_or_ui_even_in_a_late_import():
    """A lazy import inside a function escapes the check above; the source text does not."""
    import re
    from pathlib import Path

    import deskpet

    root = Path(deskpet.__file__).parent
    upward = re.compile(r"^\s*(from|import)\s+(PySide6|deskpet\.(ui|app)\b|\.\.(ui|app)\b)", re.M)
    offenders = [
        f"{path.relative_to(root)}: {match.group(0).strip()}"
        for room in ("inference", "personas", "bridge", "pet")
        for path in sorted((root / room).rglob("*.py"))
        for match in upward.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_what_the_core_rooms_import_late_brings_no_qt_either():
    """A lazy import of a module outside the rooms (deskpet.platform.keychain) must not bring
    Qt in through that module's package (deskpet/platform/__init__.py)."""
    import re
    from pathlib import Path

    import deskpet

    root = Path(deskpet.__file__).parent
    named = re.compile(r"^\s*(?:from|import)\s+(deskpet(?:\.\w+)+)", re.M)
    modules = sorted(
        {
            match.group(1)
            for room in ("inference", "personas", "bridge", "pet")
            for path in (root / room).rglob("*.py")
            for match in named.finditer(path.read_text(encoding="utf-8"))
        }
    )
    assert "deskpet.platform.keychain" in modules  # the case that taught this test
    check = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('PySide6'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
