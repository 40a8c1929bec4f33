"""Shared fixtures for the bridge tests: real payloads and a throwaway HOME."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_payload(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary HOME and DESKPET_HOME, with no agent config from the real machine.

    DESKPET_HOME is a short /tmp path: Unix socket paths must stay under 104 bytes.
    """
    root = Path(tempfile.mkdtemp(prefix="dp"))
    home = root / "h"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DESKPET_HOME", str(root / "d"))
    monkeypatch.setenv("PATH", "/nonexistent")  # no real agent programs on PATH
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "GEMINI_CLI_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    yield home
    shutil.rmtree(root, ignore_errors=True)
