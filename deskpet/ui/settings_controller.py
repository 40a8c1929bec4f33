"""SettingsController: the owner's settings as the running pet keeps them.

Every change deskpet makes on its own (a persona picked in the menu, the model onboarding
chose) is saved here, and a save the file refuses is said once, never lost silently. The
settings window is made the first time it is opened; whatever the owner changes in it is
already saved when `on_changed` says so, and the app applies it live.

The window's folder buttons land here too: the logs, the model's folder, and deleting a model
deskpet downloaded itself (never one the owner pointed it at). Check connection runs the
doctor (deskpet.bridge.doctor: it runs hooks and waits on the socket) on a worker thread.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from deskpet import paths
from deskpet.i18n import Said, shown, tr
from deskpet.inference.source import DEMO
from deskpet.platform import DefaultPlatform
from deskpet.safefile import ParseRefused
from deskpet.settings import Settings
from deskpet.ui.diagnostics import open_folder, open_logs_folder
from deskpet.ui.personas_page import PersonasPage
from deskpet.ui.settings_window import Check, SettingsWindow

log = logging.getLogger(__name__)


class SettingsController(QObject):
    """Saves settings, shows the settings window, opens settings.yaml.

    Attributes:
        settings: the owner's Settings.
        window: the SettingsWindow once it has been opened, else None.
        personas_page: its Personas section (ui/personas_page.py) once made, else None.

    Signals:
        on_changed(str, object): the owner changed a setting in the window (key, value; saved).
        on_rerun_onboarding(): the owner asked for the first-launch window again.
        on_notice(str, str): something the owner should read (title, text).
        on_connection_checked(object): a connection check finished (its doctor.Diagnosis).
        on_personas_changed(str): a persona was imported or removed in the window (its id).
        on_server_key_saved(): the model server's API key was saved or forgotten in the window.
    """

    on_changed = Signal(str, object)
    on_rerun_onboarding = Signal()
    on_notice = Signal(str, str)
    on_connection_checked = Signal(object)
    on_personas_changed = Signal(str)
    on_server_key_saved = Signal()
    _checked = Signal(object)  # from the check's thread; queued onto the GUI thread

    def __init__(
        self,
        settings: Settings,
        platform: DefaultPlatform,
        personas: Callable[[], list[tuple[str, str]]],
        model_in_use: Callable[[], str] = lambda: "",
        checks: Callable[[], Mapping[str, Check]] = dict,
        personas_page: Callable[[], PersonasPage] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settings-controller")
        self.settings = settings
        self._platform = platform
        self._personas = personas
        self._model_in_use = model_in_use
        self._checks = checks
        self._personas_page = personas_page
        self.window: SettingsWindow | None = None
        self.personas_page: PersonasPage | None = None
        self._checking: threading.Thread | None = None
        self._checked.connect(self._on_checked)

    def save(self, key: str, value) -> None:
        """Save one setting; a refused or failed write is said, and the window shows the truth."""
        try:
            self.settings.put(key, value)
        except (ParseRefused, OSError) as exc:
            log.warning("could not save %s: %s", key, exc)
            self.on_notice.emit(tr("deskpet could not save a setting"), shown(exc))
        self.sync()

    def show(self) -> SettingsWindow:
        """Show the settings window (made on first use), in front."""
        if self.window is None:
            page = self._personas_page() if self._personas_page is not None else None
            window = SettingsWindow(
                self.settings,
                platform=self._platform,
                choices={"persona": self._personas, "language": _languages, "brain": _brains},
                checks=self._checks(),
                pages=(page,) if page is not None else (),
            )
            if page is not None:
                self.personas_page = page
                page.on_personas_changed.connect(self.on_personas_changed)
                page.on_personas_changed.connect(lambda _id: window.sync())
            window.on_setting_changed.connect(self.on_changed)
            window.on_open_settings_file.connect(self.open_file)
            window.on_rerun_onboarding.connect(self.on_rerun_onboarding)
            window.on_show_logs.connect(open_logs_folder)
            window.on_reveal_model.connect(self.reveal_model)
            window.on_delete_model.connect(self.delete_model)
            window.on_check_connection.connect(self.check_connection)
            window.server_key.on_saved.connect(lambda _held: self.on_server_key_saved.emit())
            self.window = window
        elif self.personas_page is not None:
            self.personas_page.refresh()  # the model, and so the voices, may have changed
        self._platform.bring_to_front(self.window)
        return self.window

    def sync(self) -> None:
        """The window shows the settings and agent hooks as they are now."""
        if self.window is not None:
            self.window.sync()
            self.window.refresh_agents()

    def refresh_personas(self) -> None:
        """The Personas section lists the voices afresh (a new model was loaded)."""
        if self.personas_page is not None:
            self.personas_page.refresh()

    def check_connection(self) -> None:
        """Run the doctor off the GUI thread; its findings go to the window and
        `on_connection_checked`. A check already running is not started twice."""
        if self._checking is not None:
            return
        if self.window is not None:
            self.window.connection_checking()
        self._checking = threading.Thread(target=self._check, name="deskpet-doctor", daemon=True)
        self._checking.start()

    def _check(self) -> None:
        from deskpet.bridge.doctor import Diagnosis, diagnose

        try:
            result = diagnose()
        except Exception as exc:  # the check itself broke: that is a finding too
            log.exception("the connection check failed")
            result = Diagnosis()
            result.add("doctor", "fail", Said("the check itself failed: {why}", why=exc))
        self._checked.emit(result)

    def _on_checked(self, result) -> None:
        self._checking = None
        for line in result.lines():
            log.info("connection check: %s", line)
        if self.window is not None:
            self.window.show_connection(result.shown_lines(), result.healthy)
        self.on_connection_checked.emit(result)

    def open_file(self) -> None:
        """Open settings.yaml in the owner's editor (created with every default, commented)."""
        try:
            path = self.settings.ensure_file()
        except OSError as exc:
            self.on_notice.emit(tr("deskpet could not create its settings file"), str(exc))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def reveal_model(self) -> None:
        """Show the folder of the model in use."""
        folder = model_folder(self._model_in_use())
        if folder is None or not folder.is_dir():
            self.on_notice.emit("deskpet", tr("No model folder to show: no model is in use yet."))
            return
        open_folder(folder)

    def delete_model(self) -> bool:
        """Delete the model in use if deskpet downloaded it, after asking; say what follows.
        A model the owner pointed deskpet at is never touched. Returns whether it deleted."""
        source = self._model_in_use()
        folder = downloaded_folder(source)
        if folder is None:
            log.info("delete refused: the model in use is not one deskpet downloaded")
            self.on_notice.emit(
                tr("deskpet did not delete the model"),
                tr(
                    "Only a model deskpet downloaded into its own folder can be deleted here; "
                    "the model in use is yours (or the built-in demo) and stays."
                ),
            )
            return False
        answer = QMessageBox.question(
            self.window,
            tr("Delete the downloaded model?"),
            tr(
                "Delete {name} from {folder}?\n\n"
                "The pet keeps talking until deskpet quits; then it needs a model again: the next "
                "launch opens onboarding to download or choose one.",
                name=folder.name,
                folder=folder.parent,
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            log.warning("could not delete %s: %s", folder, exc)
            self.on_notice.emit(tr("deskpet could not delete the model"), str(exc))
            return False
        log.info("deleted the downloaded model %s", folder)
        if self.settings.get("model") == source:
            self.save("model", "")
        self.on_notice.emit(
            tr("Model deleted"),
            tr(
                "{name} is gone. The pet keeps talking until deskpet quits; the next launch "
                "opens onboarding for a model (or choose one now: Re-run onboarding).",
                name=folder.name,
            ),
        )
        return True

    def close(self) -> None:
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
            self.window = None
            self.personas_page = None


def _brains() -> list[tuple[str, str]]:
    """Who answers: the model on this computer, or a model server."""
    return [("local", tr("The model on this computer")), ("server", tr("A model server"))]


def _languages() -> list[tuple[str, str]]:
    """The language setting's choices, each language named in itself."""
    return [("auto", tr("System language")), ("en", "English"), ("zh", "简体中文")]


def model_folder(source: str) -> Path | None:
    """The folder holding a model source: the folder itself, a .gguf file's folder, the demo
    model's folder; None when no model is chosen."""
    if not source:
        return None
    if source == DEMO:
        from deskpet.inference.demo import demo_model_path

        return demo_model_path().parent
    path = Path(source).expanduser()
    return path if path.is_dir() else path.parent


def downloaded_folder(source: str) -> Path | None:
    """The folder of `source` if deskpet downloaded it (a `<repo>@<sha>` folder right inside
    its models folder, named by its path there, no symlink on the way); else None: the
    owner's own folders, files and links, and the demo model, are never deleted."""
    if not source or source == DEMO:
        return None
    path = Path(source).expanduser()
    try:
        models = paths.models_dir().resolve()
        real = path.resolve()
    except (OSError, RuntimeError):
        return None
    named_inside = path.absolute().parent == paths.models_dir().absolute()
    if not named_inside or path.is_symlink() or not real.is_dir() or real.parent != models:
        return None
    if "@" not in real.name or real.name.endswith(".partial"):
        return None
    return real
