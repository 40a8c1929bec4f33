"""Screenshots of the Chinese UI for the docs: the menu-bar menu, the chat bubble, onboarding
and the settings window, drawn offscreen into docs/zh-*.png.

Run from the repository root, with a CJK font installed (WenQuanYi Micro Hei on Linux):
    QT_QPA_PLATFORM=offscreen python scripts/screenshots_zh.py
It uses a throwaway DESKPET_HOME and HOME, so the settings and agents shown are the defaults.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
home = tempfile.mkdtemp(prefix="deskpet-shots-")
os.environ["DESKPET_HOME"] = home
os.environ["HOME"] = home

from PySide6.QtCore import QPoint, QRect  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from deskpet import i18n  # noqa: E402

DOCS = ROOT / "docs"


def main() -> None:
    app = QApplication([])
    i18n.set_language(i18n.CHINESE)
    from deskpet.personas.manager import PersonaManager
    from deskpet.settings import Settings
    from deskpet.ui import settings_controller
    from deskpet.ui.bubble import ChatBubble
    from deskpet.ui.onboarding import MachineFacts, OnboardingWindow
    from deskpet.ui.personas_page import PersonasPage
    from deskpet.ui.settings_window import SettingsWindow
    from deskpet.ui.tray import TrayMenu

    tray = TrayMenu(personas=PersonaManager().choices)
    tray.set_persona("neko")
    tray.set_thinking(True)
    tray.menu.popup(QPoint(0, 0))
    app.processEvents()
    tray.menu.grab().save(str(DOCS / "zh-tray-menu.png"))
    tray.menu.hide()

    bubble = ChatBubble()
    bubble.set_title("小喵")
    bubble.set_fade_seconds(0)
    bubble.begin_answer("今天写了什么代码？")
    bubble.add_token("喵~ 你修好了登录页的两个测试，还让构建快了一倍！要不要休息一下，吃点小鱼干？")
    bubble.finish()
    bubble.flush()
    bubble.open(QRect(40, 300, 128, 128), QRect(0, 0, 1200, 800))
    app.processEvents()
    bubble.grab().save(str(DOCS / "zh-bubble.png"))

    gib = 1024**3
    facts = MachineFacts("darwin", "arm64", "14.5", 16 * gib, 200 * 1000**3)
    onboarding = OnboardingWindow(facts, checker=lambda _path: None)
    onboarding.show()
    app.processEvents()
    onboarding.grab().save(str(DOCS / "zh-onboarding.png"))

    # The persona and language lists the app gives the window (names, not ids).
    chosen = Settings()
    chosen.put("persona", "neko")
    settings = SettingsWindow(
        chosen,
        pages=(PersonasPage(PersonaManager()),),
        choices={"persona": PersonaManager().choices, "language": settings_controller._languages},
    )
    settings.show()
    app.processEvents()
    # The whole pane, not only the part its scroll area shows.
    settings.findChild(QWidget, "settings-body").grab().save(str(DOCS / "zh-settings.png"))
    app.quit()


if __name__ == "__main__":
    main()
