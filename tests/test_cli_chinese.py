"""The `deskpet` command in the owner's language: the language setting, else the terminal's
locale. Real subprocesses with a temporary HOME."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def home():
    root = Path(tempfile.mkdtemp(prefix="dpl"))  # short: the doctor's socket lives in it
    (root / "h" / ".claude").mkdir(parents=True)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def deskpet(home: Path, *args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "CODEX_HOME", "CLAUDE_CONFIG_DIR")
    }
    env |= {"HOME": str(home / "h"), "DESKPET_HOME": str(home / "d"), "LANG": lang}
    env |= {"XDG_DATA_HOME": str(home / "h" / ".local" / "share")}
    return subprocess.run(
        [sys.executable, "-m", "deskpet.cli", *args],
        text=True,
        capture_output=True,
        timeout=120,
        env=env,
    )


def test_doctor_speaks_the_terminals_chinese_and_json_stays_english(home):
    # GIVEN a terminal in Simplified Chinese, Claude Code without deskpet's hooks, no pet
    done = deskpet(home, "doctor", lang="zh_CN.UTF-8")
    # THEN each finding and the verdict are Chinese; the marks and topics stay
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert "!! pet: deskpet 没有在运行：请启动它（你的智能体要和宠物说话）" in lines
    assert "-- codex: 这台电脑上没有 Codex" in lines
    assert lines[-1] == "有问题需要修复（标有 !! 的行）。"
    # AND --json, for tools, keeps the English
    report = json.loads(deskpet(home, "doctor", "--json", lang="zh_CN.UTF-8").stdout)
    texts = [f["text"] for f in report["findings"]]
    assert "deskpet is not running: start it (your agents talk to the pet)" in texts


def test_doctors_model_server_finding_is_chinese_too(home):
    # GIVEN the brain set to a model server at an address where nothing listens
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    (home / "d").mkdir(parents=True)
    (home / "d" / "settings.yaml").write_text(f"brain: server\nserver_url: {url}\n")
    done = deskpet(home, "doctor", lang="zh_CN.UTF-8")
    assert f"!! server: {url} 没有响应：请启动服务器，或修改它的地址" in done.stdout.splitlines()


def test_agents_install_reports_in_chinese(home):
    done = deskpet(home, "agents", "install", "claude", lang="zh_CN.UTF-8")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "claude：已更新 ~/.claude/settings.json",
        "请重启正在运行的智能体，让它们用上新的钩子。",
    ]
    status = deskpet(home, "agents", "status", "codex", lang="zh_CN.UTF-8").stdout.splitlines()
    assert "codex：钩子未安装（~/.codex/hooks.json）" in status
    assert "codex：deskpet 还会跟踪 Codex 的会话文件，无需设置" in status


@pytest.mark.parametrize(
    ("setting", "lang", "said"),
    [
        ("zh", "C.UTF-8", "temperature 最多为 2.0，不能是 3.0"),
        ("auto", "zh_CN.UTF-8", "temperature 最多为 2.0，不能是 3.0"),
        ("en", "zh_CN.UTF-8", "temperature must be at most 2.0, not 3.0"),
    ],
    ids=["setting-zh", "auto-follows-the-terminal", "setting-en-wins"],
)
def test_a_refused_flag_says_why_in_the_chosen_language(home, setting, lang, said):
    # GIVEN the language setting (the setting wins; "auto" follows the terminal)
    (home / "d").mkdir(parents=True)
    (home / "d" / "settings.yaml").write_text(f"language: {setting}\n")
    # WHEN a flag's value is out of its setting's range
    done = deskpet(home, "chat", "--demo", "--temperature", "3", lang=lang)
    # THEN argparse refuses it before anything loads, saying why in that language
    assert done.returncode == 2
    assert said in done.stderr
