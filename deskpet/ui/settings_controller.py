"""SettingsController: the owner's settings as the running pet keeps them.

Every change deskpet makes on its own (a persona picked in the menu, the model onboarding
chose) is saved here, and a save the file refuses is said once, never lost silently. The
settings window is made the first time it is opened; whatever the owner changes in it is
already saved when `on_changed` says so, and the app applies it live.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from deskpet.platform import DefaultPlatform
from deskpet.safefile import ParseRefused
from deskpet.settings import Settings
from deskpet.ui.settings_window import SettingsWindow

log = logging.getLogger(__name__)


class SettingsController(QObject):
    """Saves settings, shows the settings window, opens settings.yaml.

    Attributes:
        settings: the owner's Settings.
        window: the SettingsWindow once it has been opened, else None.

    Signals:
        on_changed(str, object): the owner changed a setting in the window (key, value; saved).
        on_rerun_onboarding(): the owner asked for the first-launch window again.
        on_notice(str, str): something the owner should read (title, text).
    """

    on_changed = Signal(str, object)
    on_rerun_onboarding = Signal()
    on_notice = Signal(str, str)

    def __init__(
        self,
        settings: Settings,
        platform: DefaultPlatform,
        personas: Callable[[], list[tuple[str, str]]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settings-controller")
        self.settings = settings
        self._platform = platform
        self._personas = personas
        self.window: SettingsWindow | None = None

    def save(self, key: str, value) -> None:
        """Save one setting; a refused or failed write is said, and the window shows the truth."""
        try:
            self.settings.put(key, value)
        except (ParseRefused, OSError) as exc:
            log.warning("could not save %s: %s", key, exc)
            self.on_notice.emit("deskpet could not save a setting", str(exc))
        self.sync()

    def show(self) -> SettingsWindow:
        """Show the settings window (made on first use), in front."""
        if self.window is None:
            window = SettingsWindow(
                self.settings, platform=self._platform, choices={"persona": self._personas}
            )
            window.on_setting_changed.connect(self.on_changed)
            window.on_open_settings_file.connect(self.open_file)
            window.on_rerun_onboarding.connect(self.on_rerun_onboarding)
            self.window = window
        self._platform.bring_to_front(self.window)
        return self.window

    def sync(self) -> None:
        """The window shows the settings and agent hooks as they are now."""
        if self.window is not None:
            self.window.sync()
            self.window.refresh_agents()

    def open_file(self) -> None:
        """Open settings.yaml in the owner's editor (created with every default, commented)."""
        try:
            path = self.settings.ensure_file()
        except OSError as exc:
            self.on_notice.emit("deskpet could not create its settings file", str(exc))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def close(self) -> None:
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
            self.window = None
