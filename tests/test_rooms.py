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
