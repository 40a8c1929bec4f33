"""The `deskpet` command as a newcomer runs it: real subprocesses, the real demo model."""

from __future__ import annotations

import json
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
    # GIVEN piped questions and commands, the last with a byte that is not UTF-8 (one chat
    # serves both stories: each one loads the model)
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "deskpet.cli", "chat", "--demo", "--seed", "0"]
        + ["--max-tokens", "40"],
        input=b"What is the capital of France?\n/reset\n/think\nhi \xff there, what is 2+2?\n",
        capture_output=True,
        timeout=300,
        env=dict(os.environ, PYTHONIOENCODING="utf-8:strict"),  # as on a Mac (UTF-8 locale)
    )
    # THEN both questions are answered, the commands are said, and the chat ends normally
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr
    assert "Traceback" not in stderr and "UnicodeDecodeError" not in stderr
    lines = [line for line in done.stdout.decode("utf-8", "replace").splitlines() if line.strip()]
    assert len(lines) == 2, lines
    assert "Paris" in lines[0]
    assert "New conversation." in stderr and "Thinking mode on." in stderr


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
    # status changes nothing: the only files are its own log (and the empty crash file)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["deskpet/logs/crash.log", "deskpet/logs/deskpet.log"]


# What building the parser and the light commands may not import: the model libraries and Qt.
HEAVY = {"mlx", "mlx_lm", "transformers", "torch", "PySide6"}
RUN_AND_LIST_IMPORTS = """
import json, sys
from deskpet.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:
    code = e.code
print(json.dumps({"exit": code, "imported": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def bad_model(kind: str, tmp_path):
    """A model path broken one way (the full table is tests/inference/test_load_bad_input.py)."""
    if kind == "lfs pointer":
        path = tmp_path / "model.gguf"
        path.write_text("version https://git-lfs.github.com/spec/v1\nsize 98362432\n")
    elif kind == "bad magic":
        path = tmp_path / "model.gguf"
        path.write_bytes(b"GGUX" + bytes(60))
    else:
        path = tmp_path / "model"
        path.mkdir()
        if kind == "config list":
            (path / "config.json").write_text("[1, 2]")
        else:
            (path / "config.json").mkdir()
    return path


@pytest.mark.parametrize(
    ("command", "kind", "expected"),
    [
        (["model", "info"], "config list", "config must be a JSON object"),
        (["model", "info"], "lfs pointer", "is a Git LFS pointer, not the weights"),
        (["chat", "--model"], "bad magic", "does not start with GGUF"),
        (["chat", "--model"], "config folder", "config.json is not a file"),
    ],
)
def test_a_bad_model_is_one_line_on_the_command_line(
    command, kind, expected, tmp_path, monkeypatch
):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "home"))
    done = deskpet(*command, str(bad_model(kind, tmp_path)), timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    said = [line for line in done.stderr.splitlines() if expected in line]
    assert len(said) == 1 and said[0].startswith("deskpet: "), done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["chat", "--help"],
        ["model", "--help"],
        ["model", "info", "--help"],
        ["bench", "--help"],
        ["persona", "--help"],
        ["agents", "--help"],
        ["agents", "status"],
    ],
    ids=" ".join,
)
def test_help_and_light_commands_import_no_model_library_or_qt(argv, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "deskpet"))
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_IMPORTS, *argv],
        text=True,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["exit"] == 0, done.stderr
    assert "deskpet" in result["imported"]
    assert HEAVY.isdisjoint(result["imported"]), sorted(HEAVY & set(result["imported"]))


def test_version_is_the_packages():
    import tomllib
    from pathlib import Path

    from deskpet import __version__

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    version = tomllib.loads(pyproject.read_text())["project"]["version"]
    done = deskpet("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"deskpet {version}"
    assert __version__ == version  # the fallback without package metadata


def configure_missing_model(home):
    missing = home / "missing.gguf"
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.yaml").write_text(f"model: {missing}\n")
    return missing


@pytest.mark.parametrize(
    "command", [["chat"], ["bench"], ["persona", "train", "neko"], ["persona", "import", "x"]]
)
@pytest.mark.parametrize("where", ["before", "after"])
def test_model_options_before_or_after_the_command_win_over_the_configured_model(
    command, where, tmp_path, monkeypatch
):
    from deskpet.cli import build_parser
    from deskpet.inference.source import DEMO, from_args

    monkeypatch.setenv("DESKPET_HOME", str(tmp_path))
    configure_missing_model(tmp_path)
    for option, chosen in ((["--demo"], DEMO), (["--model", "/models/given"], "/models/given")):
        argv = option + command if where == "before" else command + option
        said: list[str] = []
        assert from_args(build_parser().parse_args(argv), say=said.append) == chosen, argv
        assert said == []


@pytest.mark.parametrize(
    "argv",
    [["chat"], ["bench", "--adapters"], ["persona", "train", "neko"], ["--self-test"]],
    ids=" ".join,
)
def test_commands_use_the_configured_model_and_say_so(argv, tmp_path, monkeypatch):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path))
    missing = configure_missing_model(tmp_path)
    done = deskpet(*argv)
    assert done.returncode == 1
    said = [line for line in done.stderr.splitlines() if "using your configured model" in line]
    assert said == [
        f"deskpet: using your configured model {missing} (--model or --demo for another)"
    ]
    assert f"{missing} does not exist" in done.stdout + done.stderr
