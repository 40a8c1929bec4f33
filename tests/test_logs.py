"""The log file, the crash file and the crash notice (deskpet.logs), from real `deskpet`
processes in a temporary HOME: what a first run writes, what --verbose changes, what an
uncaught exception on each kind of thread and a hard fault leave behind."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

from deskpet import logs


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A HOME and DESKPET_HOME of the test's own (the logs go to <DESKPET_HOME>/logs)."""
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PATH", "/nonexistent")  # `agents status` finds no agent
    monkeypatch.delenv(logs.ENV_LEVEL, raising=False)
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "h").mkdir()
    return tmp_path / "data" / "logs"


def run(*args: str, env: dict | None = None, timeout: int = 120):
    return subprocess.run(
        [sys.executable, *args],
        text=True,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def deskpet(*argv: str, env: dict | None = None):
    return run("-m", "deskpet", *argv, env=env)


def test_a_command_writes_the_log_with_version_platform_and_mlx_first(home):
    done = deskpet("agents", "status")
    assert done.returncode == 0, done.stderr
    lines = (home / "deskpet.log").read_text(encoding="utf-8").splitlines()
    from deskpet.cli import version

    assert f"deskpet {version()} (pid " in lines[0] and "starting: agents status" in lines[0]
    assert "platform: " in lines[1] and f"Python {sys.version.split()[0]}" in lines[1]
    assert "MLX: " in lines[2] and "not loaded yet" in lines[2]  # status never loads MLX
    assert all(" INFO deskpet.logs " in line for line in lines[:3])
    assert " DEBUG " not in "\n".join(lines)
    assert (home / "crash.log").read_text() == ""  # nothing crashed


def test_the_model_named_on_the_command_line_is_in_the_first_lines(home, tmp_path):
    done = deskpet("model", "info", str(tmp_path / "missing"))
    assert done.returncode == 1
    text = (home / "deskpet.log").read_text(encoding="utf-8")
    assert "starting: model info\n" in text  # the path is not part of the command's name
    assert " DEBUG " not in text


@pytest.mark.parametrize(
    "argv, env",
    [
        (["--verbose", "agents", "status"], {}),
        (["agents", "status", "--verbose"], {}),
        (["agents", "status"], {"DESKPET_LOG": "debug"}),
    ],
    ids=["verbose-first", "verbose-after-the-command", "DESKPET_LOG"],
)
def test_verbose_and_deskpet_log_raise_the_level_to_debug(home, argv, env):
    done = deskpet(*argv, env=env)
    assert done.returncode == 0, done.stderr
    text = (home / "deskpet.log").read_text(encoding="utf-8")
    assert " DEBUG deskpet.logs " in text and "at DEBUG" in text


UNEXPECTED = """
import sys
from deskpet import cli
from deskpet.bridge import installers

def broken(*_args):
    raise RuntimeError("the installer fell over\\nwith a second line")

installers.run = broken
sys.exit(cli.main(["agents", "status"]))
"""


def test_an_unexpected_error_is_one_line_naming_the_log_and_the_traceback_goes_there(home):
    done = run("-c", UNEXPECTED)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    log_file = home / "deskpet.log"
    assert done.stderr.startswith("deskpet: unexpected error: RuntimeError: the installer fell")
    assert str(log_file) in done.stderr and "Traceback" not in done.stderr
    text = log_file.read_text(encoding="utf-8")
    assert "ERROR deskpet.cli [MainThread] deskpet agents status failed" in text
    assert "Traceback (most recent call last)" in text and "in broken" in text


# A pet-sized Qt program: logs set up as `deskpet` does, then a slot on the GUI thread raises.
QT_SLOT_RAISES = """
from deskpet import logs
logs.configure(command="qt-test")
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication([])

def slot_on_the_gui_thread():
    raise ZeroDivisionError("raised in a Qt slot")

QTimer.singleShot(0, slot_on_the_gui_thread)
QTimer.singleShot(300, app.quit)
app.exec()
"""

THREAD_RAISES = """
import threading
from deskpet import logs
logs.configure(command="thread-test")

def work():
    raise LookupError("raised in a worker thread")

worker = threading.Thread(target=work, name="inference-worker")
worker.start()
worker.join()
"""

HARD_FAULT = """
import faulthandler
from deskpet import logs
logs.configure(command="fault-test")
faulthandler._sigsegv()
"""


@pytest.mark.parametrize(
    "script, where, what",
    [
        (QT_SLOT_RAISES, "on the main thread", "ZeroDivisionError: raised in a Qt slot"),
        (THREAD_RAISES, "in thread inference-worker", "LookupError: raised in a worker thread"),
    ],
    ids=["qt-slot", "worker-thread"],
)
def test_an_uncaught_exception_is_logged_and_kept_in_the_crash_file(home, script, where, what):
    done = run("-c", script, env={"QT_QPA_PLATFORM": "offscreen"})
    assert what in done.stderr  # Python's own report still reaches a terminal
    text = (home / "deskpet.log").read_text(encoding="utf-8")
    assert "ERROR deskpet.logs" in text and f"uncaught exception {where}" in text
    assert "Traceback (most recent call last)" in text and what in text
    crash = (home / "crash.log").read_text(encoding="utf-8")
    assert f"uncaught exception {where}" in crash and what in crash
    # the next launch is told once, in one line
    assert logs.take_crash_notice(home) == what
    assert logs.take_crash_notice(home) is None


def test_a_hard_fault_leaves_its_stack_in_the_crash_file(home):
    done = run("-c", HARD_FAULT)
    assert done.returncode != 0
    crash = (home / "crash.log").read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in crash
    assert 'File "<string>", line 5' in crash  # the stack of the faulting thread
    assert logs.take_crash_notice(home) == "Fatal Python error: Segmentation fault"
    assert logs.take_crash_notice(home) is None


def test_only_what_crashed_since_the_last_look_is_told(home):
    run("-c", THREAD_RAISES)
    assert logs.take_crash_notice(home) == "LookupError: raised in a worker thread"
    deskpet("agents", "status")  # a run that does not crash
    assert logs.take_crash_notice(home) is None
    run("-c", HARD_FAULT)
    assert logs.take_crash_notice(home) == "Fatal Python error: Segmentation fault"


def test_configure_is_idempotent_and_reset_leaves_no_handler(tmp_path):
    root = logging.getLogger()
    before = list(root.handlers)
    hook = sys.excepthook
    first = logs.configure(command="test", folder=tmp_path / "a")
    again = logs.configure(command="test", verbose=True, folder=tmp_path / "a")
    assert first == again == tmp_path / "a" / "deskpet.log"
    assert len(root.handlers) == len(before) + 1
    assert logging.getLogger("deskpet").level == logging.DEBUG
    assert (tmp_path / "a" / "deskpet.log").read_text().count("starting: test") == 1
    # another folder (a test's own HOME) replaces the first set-up instead of adding one
    logs.configure(command="test", folder=tmp_path / "b")
    assert len(root.handlers) == len(before) + 1
    logs.reset()
    assert root.handlers == before and sys.excepthook is hook
    assert logs.current_log() is None


def test_a_logs_folder_that_cannot_be_made_is_not_fatal(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert logs.configure(command="test", folder=blocker / "logs") is None
    assert "cannot write logs" in capsys.readouterr().err
    assert logs.current_log() is None


def test_a_huge_crash_file_is_moved_aside_at_start(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "crash.log").write_bytes(b"x" * (logs.CRASH_MAX_BYTES + 1))
    logs.configure(command="test", folder=folder)
    assert (folder / "crash.log").stat().st_size == 0
    assert (folder / "crash.log.1").stat().st_size == logs.CRASH_MAX_BYTES + 1


def test_the_qt_message_handler_sends_qt_warnings_to_the_log(home):
    script = textwrap.dedent(
        """
        from deskpet import logs
        logs.configure(command="qt-messages")
        from PySide6.QtCore import qWarning
        from PySide6.QtWidgets import QApplication
        from deskpet.ui.diagnostics import install_qt_message_handler

        app = QApplication([])
        install_qt_message_handler()
        qWarning("a warning from Qt")
        """
    )
    done = run("-c", script, env={"QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    text = (home / "deskpet.log").read_text(encoding="utf-8")
    assert "WARNING deskpet.qt [MainThread] [default] a warning from Qt" in text
