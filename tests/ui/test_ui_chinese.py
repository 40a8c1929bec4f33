"""The UI in Simplified Chinese: the menu, the bubble, the settings window, the cards, the
sessions list and the pet's persona texts speak the owner's language, and the narrator asks the
model for a Chinese sentence."""

from __future__ import annotations

import json
import logging
import re
import socket
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.local_stores import write_gguf
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QLabel, QPushButton, QWidget

from deskpet import i18n
from deskpet.bridge import events
from deskpet.bridge import events as ev
from deskpet.bridge.events import AgentEvent
from deskpet.bridge.narrator import Narrator
from deskpet.bridge.narrator import system_prompt as narrator_prompt
from deskpet.bridge.sessions import SessionTracker
from deskpet.history import SCHEMA_VERSION, History, history_path
from deskpet.i18n import shown as shown_text
from deskpet.inference.download import HUB
from deskpet.inference.protocol import CONTEXT_FULL, LOAD, NO_MODEL
from deskpet.inference.worker import InferenceWorker
from deskpet.personas.manager import PersonaManager
from deskpet.pet import PetMachine
from deskpet.platform import DefaultPlatform
from deskpet.platform.hotkeys import HotKeys
from deskpet.settings import Settings
from deskpet.ui import qt_translation
from deskpet.ui.brain import Brain
from deskpet.ui.bubble import ChatBubble, friendly_error
from deskpet.ui.chat_controller import ChatController, open_history
from deskpet.ui.local_models_list import LocalModelsPanel
from deskpet.ui.model_controller import ModelController
from deskpet.ui.model_download import ModelDownload
from deskpet.ui.onboarding import MachineFacts, OnboardingWindow, progress_line
from deskpet.ui.permission_cards import PermissionCards, Request
from deskpet.ui.personas_page import PersonasPage
from deskpet.ui.pet_menu import PetMenu
from deskpet.ui.relay import Relay
from deskpet.ui.sessions_list import SessionsList
from deskpet.ui.settings_controller import SettingsController
from deskpet.ui.settings_window import ERROR_STYLE, SettingsWindow
from deskpet.ui.tray import TrayMenu

FIXTURES = Path(__file__).parents[1] / "bridge" / "fixtures"

# What may stay in Latin letters in a Chinese UI: product and file names, key names, units.
ALLOWED = (
    "deskpet",
    "Deskpet.app",
    "Claude Code",
    "Codex",
    "Cursor",
    "Gemini CLI",
    "MiniCPM5-1B",
    "settings.yaml",
    "Top-p",
    "English",
)
_CJK = re.compile(r"[\u3400-\u9fff]")


def purely_english(texts: list[str]) -> list[str]:
    """The texts with Latin words and not one Chinese character, once the allowed names, paths,
    numbers and key names are taken out."""
    left = []
    for text in texts:
        if _CJK.search(text) or text.startswith("/"):  # a path (the data folder) shows as is
            continue
        rest = text
        for allowed in ALLOWED:
            rest = rest.replace(allowed, "")
        if re.search(r"[A-Za-z]{2,}", rest):
            left.append(text)
    return left


@dataclass
class Status:
    installed: bool
    detected: bool = True
    ok: bool = True


@pytest.fixture
def chinese():
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


@pytest.fixture
def pet(qtbot):
    widget = QWidget()
    widget.setGeometry(QRect(600, 400, 128, 128))
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_a_card_asks_in_chinese(qtbot, chinese, pet, tmp_path):
    cards = PermissionCards()
    qtbot.addWidget(cards)
    cards.anchor_to(pet)
    cards.show_request(Request("r1", "s1", "Claude · shop", "shell", "Bash", "npm test"))
    cards.show_request(Request("r2", "s2", "Codex · api", "edit", "Edit", "app.py"))
    buttons = {b.text() for b in cards.findChildren(QPushButton) if b.isVisible()}
    assert {"允许", "拒绝", "前往终端"} <= buttons
    titles = {label.text() for label in cards.findChildren(QLabel) if label.isVisible()}
    assert "Codex · api 想要修改" in titles
    assert cards.grab().save(str(tmp_path / "cards-zh.png"))


def test_the_sessions_list_speaks_chinese(qtbot, chinese, pet):
    now = [1000.0]
    tracker = SessionTracker(clock=lambda: now[0])
    payload = json.loads((FIXTURES / "claude_pretooluse_bash.json").read_text())
    tracker.feed(events.from_payload("claude", payload))
    now[0] += 75
    view = SessionsList(tracker.live)
    qtbot.addWidget(view)
    view.anchor_to(pet)
    view.open()
    states = [row.findChild(QLabel, "session-state").text() for row in view.rows]
    assert states == ["工作中：Bash · 1 分钟"]


def test_an_empty_sessions_list_says_so_in_english_by_default(qtbot, pet):
    view = SessionsList(lambda: [])
    qtbot.addWidget(view)
    view.anchor_to(pet)
    view.open()
    assert view.empty.text() == "No agent sessions right now"


def test_the_pet_greets_and_is_named_in_chinese(qtbot, chinese):
    # A controller with no model and no brain: greeting and switching persona ask for neither.
    bubble = ChatBubble()
    qtbot.addWidget(bubble)
    personas = PersonaManager(current="default")
    chat = ChatController(
        None, bubble, PetMachine(clock=lambda: 0.0), History(":memory:"), Settings(), personas
    )
    assert dict(personas.choices())["neko"] == "小喵"
    chat.set_persona("neko")
    assert chat.persona_name() == "小喵"
    assert chat.greet() == "喵~！你回来啦！有没有带小鱼干？"


def test_the_narrator_asks_for_a_chinese_sentence(chinese):
    narrator = Narrator(style="a playful cat", clock=lambda: 0.0)
    done = AgentEvent("claude", "hook", ev.TURN_COMPLETE, session="s", message="Tests pass.")
    narrator.offer(done)
    request = narrator.next_request()
    assert (
        request is not None and "Write the sentence in Simplified Chinese." in request.system_prompt
    )
    # The instructions themselves stay English: small models follow them best.
    assert request.system_prompt.startswith("You narrate what a coding agent just did")
    i18n.set_language("en")
    assert "Chinese" not in narrator_prompt("a playful cat")


def test_purely_english_finds_english_and_lets_names_through():
    # The check below must be able to fail: an English line is caught, names are not.
    assert purely_english(["Quit deskpet", "退出 deskpet", "Claude Code:", "/tmp/x", "42"]) == [
        "Quit deskpet"
    ]


@pytest.fixture
def chinese_tray(qtbot, chinese, ui_home):
    statuses = {
        "claude": Status(True),
        "codex": Status(False),
        "cursor": Status(False, False),
        "gemini": Status(False, ok=False),
    }
    tray = TrayMenu(personas=PersonaManager().choices, agent_status=statuses.__getitem__)
    tray.set_lost_hooks(["codex"])
    tray.set_connection_trouble(True)
    for menu in (tray.menu, tray.agents_menu, tray.sessions_menu):
        with qtbot.waitSignal(menu.aboutToShow, timeout=2000):
            menu.popup(QPoint(10, 10))
        menu.hide()
    yield tray
    tray.hide()


def test_the_tray_menu_speaks_chinese(chinese_tray):
    tray = chinese_tray
    texts = {a.objectName(): a.text() for a in tray.findChildren(QAction)}
    assert texts["quit"] == "退出 deskpet"
    assert texts["settings"] == "设置…"
    assert texts["thinking-mode"] == "思考模式"
    assert texts["persona-neko"] == "小喵"
    assert texts["reconnect-codex"] == "重新连接 Codex"
    assert texts["agent-status-claude"] == "Claude Code：已连接"
    assert texts["agent-uninstall-claude"].strip() == "断开 Claude Code"
    assert texts["session-none"] == "现在没有智能体会话"
    assert tray.sessions_menu.title() == "会话"
    tray.set_attention(tray_line := "Claude · shop 需要你")
    assert tray.status_action.text() == tray_line


def test_no_tray_menu_item_is_left_in_english(chinese_tray):
    tray = chinese_tray
    menus = (tray.menu, tray.agents_menu, tray.sessions_menu)
    texts = [a.text() for menu in menus for a in menu.actions() if a.text()]
    assert len(texts) > 15  # the whole menu was built, submenus included
    assert not purely_english(texts)


def test_the_bubble_speaks_chinese(qtbot, chinese):
    bubble = ChatBubble()
    qtbot.addWidget(bubble)
    assert bubble.input.placeholderText() == "说点什么…"
    assert bubble.stop_action.text() == "停止"
    assert bubble.copy_action.toolTip() == "复制回答（或其中选中的部分）"
    assert bubble.thinking_toggle.text() == "思考中…"
    bubble.show_error("", NO_MODEL)
    assert bubble.status.text() == "我还没醒：模型还在加载。请稍后再试。"
    assert friendly_error("the model file is truncated", LOAD) == (
        "我加载不了大脑：the model file is truncated"
    )
    assert friendly_error("", CONTEXT_FULL) == "一下子记不住这么多。能说短一点吗？"


def test_the_settings_window_speaks_chinese(qtbot, chinese, ui_home, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no agent config of the machine's owner
    window = SettingsWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "deskpet 设置"
    labels = [label.text() for label in window.findChildren(QLabel)]
    assert "最长回答：" in labels and "语言：" in labels
    buttons = {b.objectName(): b.text() for b in window.findChildren(QPushButton)}
    assert buttons["check-connection"] == "检查连接"
    assert buttons["open-data-folder"] == "打开数据文件夹"
    assert window.findChild(QWidget, "setting-max_tokens").toolTip() == (
        "模型一次回答最多可写的词元数。"
    )
    assert window.findChild(QWidget, "section-model").title() == "模型"


def test_no_settings_window_text_is_left_in_english(qtbot, chinese, ui_home, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    window = SettingsWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    texts = [
        w.text() for kind in (QLabel, QPushButton, QCheckBox) for w in window.findChildren(kind)
    ]
    texts += [
        w.toolTip() for kind in (QLabel, QPushButton, QCheckBox) for w in window.findChildren(kind)
    ]
    texts = [t for t in texts if t]
    assert len(texts) > 40
    assert not purely_english(texts)


def test_the_welcome_window_speaks_chinese(qtbot, chinese):
    facts = MachineFacts("darwin", "arm64", "14.5", 16 * 1024**3, 200 * 1000**3)
    window = OnboardingWindow(facts, checker=lambda _path: None)
    qtbot.addWidget(window)
    assert window.windowTitle() == "欢迎使用 deskpet"
    assert "Apple 芯片 Mac，macOS 14.5：模型在 GPU 上运行。" in window.checks_text
    assert window.download_button.text() == "下载 MiniCPM5-1B（推荐，约 608 MB）"
    assert progress_line(312 * 1000**2, 608 * 1000**2, 4.2 * 1000**2) == (
        "312 MB / 608 MB · 4.2 MB/s · 约剩 70 秒"
    )
    texts = [w.text() for kind in (QLabel, QPushButton) for w in window.findChildren(kind)]
    assert not purely_english([t for t in texts if t])


def test_qts_own_buttons_speak_chinese(qtbot, qapp):
    # The Yes and No of deskpet's questions (deleting the model) are Qt's own texts.
    translator = qt_translation.install("zh", qapp)
    try:
        assert translator is not None
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Yes | QDialogButtonBox.StandardButton.No
        )
        qtbot.addWidget(box)
        assert [b.text() for b in box.buttons()] == ["是(&Y)", "否(&N)"]
    finally:
        qapp.removeTranslator(translator)
    assert qt_translation.install("en", qapp) is None


def test_the_pets_menu_speaks_chinese(qtbot, chinese_tray):
    # Not handed to qtbot: the menu holds the tray's actions, so it goes with the tray.
    menu = PetMenu(chinese_tray)
    for shown in (menu, menu.persona_menu, menu.displays_menu):
        with qtbot.waitSignal(shown.aboutToShow, timeout=2000):
            shown.popup(QPoint(10, 10))
        shown.hide()
    assert menu.mini_action.text() == "迷你模式"
    assert menu.persona_menu.title() == "角色"
    texts = [a.text() for m in (menu, menu.persona_menu) for a in m.actions() if a.text()]
    assert not purely_english(texts)


def test_the_personas_page_speaks_chinese(qtbot, chinese, ui_home):
    page = PersonasPage(PersonaManager())
    qtbot.addWidget(page)
    assert page.title() == "角色"
    assert page.remove_button.text() == "移除" and page.import_button.text() == "导入…"
    assert page.voice_text("neko") == "只有提示词"  # no model asked: what the files say
    names = [page.table.topLevelItem(i).text(0) for i in range(page.table.topLevelItemCount())]
    assert "小喵" in names


# -- reasons made below the UI (i18n.Said): shown in Chinese, logged in English ---------------


def test_a_refused_setting_says_why_in_chinese(qtbot, chinese, ui_home, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    hot = HotKeys()
    hot.bind("chat", "Ctrl+Shift+Space")
    hot.bind("deny", "Ctrl+Alt+N")
    window = SettingsWindow(checks={"shortcut_chat": lambda keys: hot.bind("chat", keys)})
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    # WHEN quiet hours are typed in words THEN the setting's own rule refuses them in Chinese,
    # its help (the expected form) translated too, and the key left out under its control
    line = window.editors["dnd_schedule"]
    line.setText("after dinner")
    line.editingFinished.emit()
    error = window.findChild(QLabel, "setting-error-dnd_schedule")
    assert error.isVisible() and error.text() == (
        "'after dinner' 的格式不对：自动开启勿扰的时段，HH:MM-HH:MM（24 小时制），例如 22:00-08:00"
    )
    # WHEN a shortcut another one holds is chosen THEN the hot keys' refusal is Chinese too
    chat = window.editors["shortcut_chat"]
    chat.setKeySequence(QKeySequence("Ctrl+Alt+N"))
    chat.editingFinished.emit()
    error = window.findChild(QLabel, "setting-error-shortcut_chat")
    assert error.isVisible() and error.text() == "Ctrl+Alt+N 已经是“拒绝”的快捷键"
    assert Settings().get("shortcut_chat") == "Ctrl+Shift+Space"


def test_a_shortcut_refusal_is_english_text_that_shows_in_chinese(chinese):
    refused = HotKeys().bind("chat", "Ctrl+Shift+Home")
    assert refused == "Ctrl+Shift+Home: the key 'Home' cannot be a shortcut"  # for the log
    assert shown_text(refused) == "Ctrl+Shift+Home：按键 'Home' 不能用作快捷键"


def test_check_connection_speaks_chinese_and_logs_english(qtbot, chinese, ui_agents_home, caplog):
    # GIVEN Claude Code without deskpet's hooks and no pet running
    controller = SettingsController(Settings(), DefaultPlatform(), personas=lambda: [])
    try:
        window = controller.show()
        qtbot.waitExposed(window)
        button = window.findChild(QPushButton, "check-connection")
        with (
            caplog.at_level(logging.INFO, logger="deskpet.ui.settings_controller"),
            qtbot.waitSignal(controller.on_connection_checked, timeout=30_000) as done,
        ):
            button.click()
        # THEN the findings show in Chinese, the failed ones in the error colour
        result = done.args[0]
        text = window.findChild(QLabel, "connection-findings").text()
        failed = (
            "!! claude: deskpet 的钩子没有安装：请运行 `deskpet agents install claude`"
            "（或使用菜单栏“智能体”菜单中的安装）"
        )
        assert f'<span style="{ERROR_STYLE}">{failed}</span>' in text
        assert "<br>-- codex: 这台电脑上没有 Codex<br>" in text
        assert text.endswith("有问题需要修复（标有 !! 的行）。</span>")
        assert not purely_english([shown_text(f.text) for f in result.findings])
        # AND the log keeps the English, for the owner to send us
        assert "connection check: !! claude: deskpet's hooks are not installed" in caplog.text
        assert "钩子" not in caplog.text
    finally:
        controller.close()


def test_a_refused_persona_import_says_why_in_chinese(qtbot, chinese, ui_home, tmp_path, caplog):
    page = PersonasPage(PersonaManager())
    qtbot.addWidget(page)
    fake = tmp_path / "voice.gguf"
    fake.write_bytes(b"not a lora at all")
    with caplog.at_level(logging.WARNING, logger="deskpet.ui.personas_page"):
        assert page.import_gguf(fake, "neko")  # a shipped persona: nothing to ask first
        qtbot.waitUntil(lambda: page.status.text().startswith("未导入"), timeout=10_000)
    assert page.status.text() == f"未导入：{fake} 不是 GGUF 文件（开头不是 GGUF）"
    assert f"Not imported: {fake} is not a GGUF file (it does not start with GGUF)" in caplog.text


def test_a_download_that_cannot_reach_the_hub_says_so_in_chinese(qtbot, chinese, caplog):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        hub = f"http://127.0.0.1:{s.getsockname()[1]}"
    download = ModelDownload(endpoint=hub, repos=("someone/some-model",))
    with (
        caplog.at_level(logging.WARNING, logger="deskpet.ui.model_download"),
        qtbot.waitSignal(download.on_failed, timeout=30_000) as failed,
    ):
        download.start()
    why, kind = failed.args
    assert kind == HUB and why.startswith(f"无法连接 {hub} 上的模型仓库（")
    assert download.failure.startswith(f"cannot reach the model hub at {hub} (")
    assert f"cannot reach the model hub at {hub}" in caplog.text
    download.wait(10)


def test_a_persona_folder_with_a_bad_field_is_refused_in_chinese(qtbot, chinese, ui_home, tmp_path):
    folder = tmp_path / "owl"
    folder.mkdir()
    (folder / "persona.yaml").write_text("id: fox\nname: Owl\n")
    page = PersonasPage(PersonaManager())
    qtbot.addWidget(page)
    assert not page.import_folder(folder)
    file = folder / "persona.yaml"
    assert page.status.text() == f"未导入：{file}：字段“id”：'fox' 必须与文件夹名 'owl' 一致"


def test_a_model_that_does_not_load_says_why_in_chinese(qtbot, chinese, ui_home, tmp_path, caplog):
    # GIVEN the real worker, and a saved model that is no longer there
    relay = Relay()
    worker = InferenceWorker(relay.post).start()
    model = ModelController(
        Brain(worker, relay),
        PetMachine(clock=time.monotonic),
        source="",
        restore=lambda: [],
        pet_name=lambda: "Mochi",
        hub_endpoint=lambda: None,
        platform=DefaultPlatform(),
    )
    gone = tmp_path / "gone"
    statuses: list[str] = []
    model.on_status.connect(statuses.append)
    try:
        with caplog.at_level(logging.WARNING, logger="deskpet.ui.model_controller"):
            model.load(str(gone))
            # THEN onboarding offers the other choices, with the loader's reason in Chinese
            qtbot.waitUntil(
                lambda: model.first_run is not None and model.first_run.window.error.isVisible(),
                timeout=30_000,
            )
        assert model.first_run.window.error.text() == f"deskpet 无法加载 {gone}：{gone} 不存在"
        assert f"could not load {gone}: {gone} does not exist" in caplog.text  # the log: English
        assert statuses[:1] == ["正在加载 gone"]  # what the worker said it was doing
    finally:
        if model.first_run is not None:
            model.first_run.window.close()
        assert worker.shutdown(5)


def test_models_found_here_say_in_chinese_why_one_cannot_run(
    qtbot, chinese, ui_home, tmp_path, monkeypatch
):
    # GIVEN a Qwen GGUF in LM Studio's folder, in a temporary HOME
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    write_gguf(tmp_path / ".lmstudio/models/Qwen/Qwen-GGUF/qwen-q8_0.gguf", arch="qwen2")
    panel = LocalModelsPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.on_listed, timeout=30_000):
        panel.look()
    row = panel.tree.topLevelItem(0)
    assert row.text(4) == "无法运行：这是 qwen2 模型；deskpet 只能运行 Llama 架构的模型"


def test_a_history_from_a_newer_deskpet_is_said_in_chinese(chinese, ui_home):
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 99")
    history, trouble = open_history()
    history.close()
    assert trouble == (
        f"无法使用聊天记录 {path}：它由更新版本的 deskpet 写入（结构版本 99，这个版本最多读取 "
        f"{SCHEMA_VERSION}）；请更新 deskpet；没有改动它"
    )
