"""The `deskpet` command as a newcomer runs it: real subprocesses, the real demo model."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def deskpet(*args, stdin="", timeout=300):
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "deskpet.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        timeout=timeout,
        env=env,
    )


@pytest.mark.slow
def test_chat_demo_answers_piped_questions_and_exits_at_end_of_input(
    demo_gguf, tmp_path, monkeypatch
):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path))
    done = deskpet(
        "chat",
        "--demo",
        "--seed",
        "0",
        "--max-tokens",
        "40",
        stdin="What is the capital of France?\n/reset\n/think\nWhat is 2+2?\n",
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 2, done.stdout
    assert "Paris" in lines[0]
    assert "New conversation." in done.stderr and "Thinking mode on." in done.stderr


def test_model_info_describes_the_demo_model(demo_gguf):
    done = deskpet("model", "info", str(demo_gguf))
    assert done.returncode == 0, done.stderr
    assert "30 layers, hidden 576, 9 query / 3 KV heads of 64" in done.stdout
    assert "parameters: 134,515,008" in done.stdout
    assert "<|im_end|> (2)" in done.stdout


def test_model_commands_report_bad_input_in_one_line(demo_gguf, tmp_path):
    done = deskpet("model", "info", str(tmp_path / "missing"))
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "does not exist" in done.stderr
    (tmp_path / "dst").mkdir()
    (tmp_path / "dst" / "keep.txt").write_text("mine")
    done = deskpet("model", "convert", str(demo_gguf), str(tmp_path / "dst"))
    assert done.returncode == 1 and "already exists and is not empty" in done.stderr
    assert sorted(os.listdir(tmp_path / "dst")) == ["keep.txt"]


def test_agents_status_describes_a_machine_without_agents(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "deskpet"))
    monkeypatch.setenv("PATH", "/nonexistent")
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    done = deskpet("agents", "status")
    assert done.returncode == 0, done.stderr
    for agent in ("claude", "codex", "cursor"):
        assert f"{agent}: not found on this computer" in done.stdout
    assert list(tmp_path.iterdir()) == []  # status changes nothing
