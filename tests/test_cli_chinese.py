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


def deskpet(
    home: Path, *args: str, lang: str = "C.UTF-8", stdin: str = ""
) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "CODEX_HOME", "CLAUDE_CONFIG_DIR")
    }
    env |= {"HOME": str(home / "h"), "DESKPET_HOME": str(home / "d"), "LANG": lang}
    env |= {"XDG_DATA_HOME": str(home / "h" / ".local" / "share")}
    return subprocess.run(
        [sys.executable, "-m", "deskpet.cli", *args],
        input=stdin,
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


def test_persona_list_speaks_chinese_beside_its_voice_column(home, demo_gguf):
    # GIVEN a Chinese terminal, the demo model (only its header is read) and a broken persona
    broken = home / "d" / "personas" / "broken" / "persona.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("- a list\n")
    done = deskpet(home, "persona", "list", "--demo", lang="zh_CN.UTF-8")
    assert done.returncode == 0, done.stderr
    assert f"deskpet: 跳过了角色：{broken}：必须是由字段组成的 YAML 映射" in done.stderr
    # THEN the heading, each row's origin, voice and theme, and the description are Chinese
    assert "使用 演示模型（smollm2-135m-instruct） 时的声音：" in done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert rows["neko"].startswith(
        "neko       Neko / 小喵  [内置，声音：适配器 smollm2-135m-instruct，主题 neko]  "
    )
    assert "[内置，声音：此模型下只有提示词，主题 deskpet]" in rows["deskpet"]
    assert not any(word in done.stdout for word in ("shipped", "theme", "voice:"))
    assert rows["deskpet"].endswith("默认的桌宠：友好、直接的小助手。")


def test_persona_import_of_a_folder_without_persona_yaml_refuses_in_chinese(home):
    folder = home / "not-a-persona"
    folder.mkdir()
    done = deskpet(home, "persona", "import", str(folder), lang="zh_CN.UTF-8")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"deskpet: 未导入：{folder / 'persona.yaml'}：缺失（每个角色文件夹都需要 persona.yaml）"
    ]
    assert not (home / "d" / "personas" / "not-a-persona").exists()


def test_model_download_says_why_and_what_next_in_chinese(home):
    # GIVEN a hub address on loopback where nothing listens (no network here: a true boundary)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    done = deskpet(home, "model", "download", "--endpoint", url, "--yes", lang="zh_CN.UTF-8")
    # THEN one line: the reason and the other ways to get a model, both Chinese
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(f"deskpet: 无法连接 {url} 上的模型仓库（"), line
    assert line.endswith(
        "）；可用 --model PATH 指定本机的 MLX 文件夹或 .gguf 文件，或用 --demo 使用演示模型"
    ), line


def test_model_download_plan_and_question_are_chinese(home):
    # GIVEN a loopback hub with a two-file repo, and no terminal to answer the question
    from helpers.fake_hub import REPO, SHA, FakeHub

    hub = FakeHub({"config.json": b"{}", "model.safetensors": b"\0" * 2048})
    try:
        done = deskpet(home, "model", "download", "--endpoint", hub.url, lang="zh_CN.UTF-8")
    finally:
        hub.close()
    # THEN the plan, the question and the refusal are Chinese; nothing was fetched
    assert done.returncode == 1, done.stderr
    plan, question, refused = done.stderr.splitlines()
    assert plan.startswith(f"{REPO} @ {SHA[:8]}：2 个文件，") and " -> " in plan, plan
    assert question == "要下载吗？（加上 --yes 可不经询问直接下载）"
    assert refused == "没有下载。"


def test_download_next_steps_in_chinese_for_each_kind():
    # In process: every DownloadError kind's next step, with a reason made below the UI
    from deskpet import i18n
    from deskpet.inference import download as dl
    from deskpet.inference.download_cli import for_terminal

    why = i18n.Said("download stopped")
    i18n.set_language("zh")
    try:
        lines = {kind: for_terminal(why, kind) for kind in (dl.RESUME, dl.DISK_FULL, dl.OTHER)}
    finally:
        i18n.set_language("en")
    assert lines == {
        dl.RESUME: "下载已停止；再次运行即可继续下载",
        dl.DISK_FULL: "下载已停止，然后再次运行",
        dl.OTHER: "下载已停止",
    }
    assert for_terminal(why, dl.RESUME) == "download stopped; run again to resume"


def test_model_info_headings_are_chinese_and_its_values_stay(home, tiny_model_dir):
    done = deskpet(home, "model", "info", str(tiny_model_dir), lang="zh_CN.UTF-8")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    facts = {key.strip(): value for key, value in (line.split(": ", 1) for line in lines)}
    assert facts["架构"].startswith("Llama: 3 layers, hidden 128")
    assert facts["参数量"].replace(",", "").isdigit() and facts["聊天模板"] in ("yes", "no")
    assert "bos" in facts and "architecture" not in facts  # a token's name stays as named
    # AND the colons line up in a terminal, where a Chinese character takes two columns
    assert {_columns(line.split(": ", 1)[0]) for line in lines} == {16}


def _columns(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_chat_says_its_commands_in_chinese(home, tiny_model_dir):
    # GIVEN a chat on the tiny model with piped commands (no question: nothing is generated)
    commands = "/think\n/reset\n/system 你是一只猫\n"
    done = deskpet(home, "chat", "--model", str(tiny_model_dir), lang="zh_CN.UTF-8", stdin=commands)
    # THEN the ready line and each command's answer are Chinese
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any(line.endswith("已就绪。") for line in lines), lines
    assert lines[-3:] == ["思考模式已开启。", "新对话。", "系统提示词已设置。"]


def test_persona_show_follows_the_owners_language_unless_asked(home):
    zh = deskpet(home, "persona", "show", "neko", lang="zh_CN.UTF-8").stdout.splitlines()
    assert "          name: 小喵" in zh
    en = deskpet(home, "persona", "show", "neko", "--lang", "en", lang="zh_CN.UTF-8")
    assert "          name: Neko" in en.stdout.splitlines()
    unknown = deskpet(home, "persona", "show", "nope", lang="zh_CN.UTF-8")
    assert (unknown.returncode, unknown.stderr) == (1, "deskpet: 没有角色 'nope'\n")


@pytest.mark.skipif(sys.platform == "darwin", reason="a Mac always has a display")
def test_no_display_says_so_in_chinese(home, monkeypatch):
    # GIVEN no window system (Linux without DISPLAY, WAYLAND_DISPLAY or a headless Qt platform)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    done = deskpet(home, "--demo", lang="zh_CN.UTF-8")
    assert (done.returncode, done.stderr.splitlines()) == (
        1,
        [
            "deskpet: 没有可以显示宠物的屏幕（没有 DISPLAY 或 WAYLAND_DISPLAY）；"
            "可以试试用 `deskpet chat` 在终端里聊天。"
        ],
    )


def test_model_list_with_no_models_says_so_in_chinese(home, monkeypatch):
    # GIVEN a home with no Hugging Face cache, LM Studio or Ollama models (conftest keeps the
    # Hugging Face variables out; Ollama's too)
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    done = deskpet(home, "model", "list", lang="zh_CN.UTF-8")
    assert (done.returncode, done.stdout) == (
        0,
        "在 Hugging Face 缓存、LM Studio 和 Ollama 中都没有找到模型。\n",
    )
