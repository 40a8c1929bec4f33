"""The composition root of the GUI: builds every part, wires them, starts and stops them.

    tray menu, pet window ──▶ controllers ──▶ PetMachine ──Display──▶ pet window
    ChatController    the owner's chat and persona: bubble ⇄ brain, history
    ModelController   the model in use, its loading, the first launch (onboarding)
    AgentsController  the coding agents: bridge ──▶ sessions ──▶ mood, bell, narration
    SettingsController  saves settings, the settings window, settings.yaml
    ShortcutsController the owner's shortcuts (system-wide on a Mac): chat, Allow, Deny
    BrainSwitch       which brain answers (MLX here, or a model server), switched live
    InferenceWorker (its thread) ──events──▶ Relay (GUI thread) ──▶ the handler of each request

app.py is the only module that knows every room; it builds, connects, starts and shuts down,
and decides nothing itself. One pet per user: `start()` raises PetAlreadyRunning, having shown
nothing, when another pet already holds the bridge's lock or listens on its socket.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QCoreApplication, QLocale, QObject, Signal
from PySide6.QtWidgets import QApplication

from deskpet import i18n, logs
from deskpet.bridge.sessions import SessionView
from deskpet.i18n import N_, tr
from deskpet.inference.generate import Sampling
from deskpet.personas.manager import PersonaManager
from deskpet.personas.voices import AdapterChecks
from deskpet.pet import Intent, PetMachine
from deskpet.platform import DefaultPlatform, get_platform
from deskpet.settings import Settings
from deskpet.ui import qt_translation
from deskpet.ui.agents_controller import AgentsController
from deskpet.ui.brain_switch import BRAIN_SETTINGS, BrainSwitch, CurrentWorker
from deskpet.ui.bubble import ChatBubble
from deskpet.ui.chat_controller import ChatController, open_history
from deskpet.ui.diagnostics import open_logs_folder
from deskpet.ui.model_controller import ModelController
from deskpet.ui.permission_cards import PermissionCards
from deskpet.ui.personas_page import PersonasPage
from deskpet.ui.pet_clock import PetClock
from deskpet.ui.pet_life import PetLife
from deskpet.ui.pet_menu import PetMenu
from deskpet.ui.pet_window import PetWindow
from deskpet.ui.relay import Relay
from deskpet.ui.sessions_list import SessionsList
from deskpet.ui.settings_controller import SettingsController
from deskpet.ui.shortcuts import ShortcutsController
from deskpet.ui.tray import TrayMenu

log = logging.getLogger(__name__)

CRASH_TITLE = N_("deskpet ran into an error last time")


class DeskpetApp(QObject):
    """The running pet. Build it, `start()` it, `shutdown()` it (Quit in the tray does both
    `shutdown()` and `QApplication.quit()`); nothing here calls `exec()`, so tests drive it
    with pytest-qt.

    Attributes:
        settings: the owner's Settings.
        personas: the PersonaManager (the current persona is the one the pet talks as).
        switch: the BrainSwitch, which builds and replaces the brain.
        relay, worker, brain: the model's worker thread, its events on the GUI thread, and
            the controllers' handle on both.
        machine: the PetMachine deciding what the pet shows.
        pet, bubble, tray: the pet window, the chat bubble and the menu-bar icon.
        sessions_list: the live agent sessions, opened beside the pet by a single click.
        chat, model, agents, preferences, shortcuts: the controllers (see the module
            docstring).

    Signals:
        on_greeted(str): onboarding ended with the pet greeting its owner (the greeting).
        on_shutdown(): the app has shut down.
    """

    on_greeted = Signal(str)
    on_shutdown = Signal()

    def __init__(
        self,
        model: str | None = None,
        *,
        settings: Settings | None = None,
        sampling: Sampling | None = None,
        platform: DefaultPlatform | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("deskpet-app")
        qapp = QApplication.instance()
        if qapp is None:
            raise RuntimeError("create the QApplication before DeskpetApp")
        # The tray is the root: closing the bubble or hiding the pet must not end deskpet.
        qapp.setQuitOnLastWindowClosed(False)
        self._platform = platform or get_platform()
        self._platform.prepare_app(qapp)
        self._started = False
        self._closed = False
        self._pending_notices: list[tuple[str, str]] = []
        self._last_notice = ""

        self.settings = settings if settings is not None else Settings()
        # The language is chosen once: widgets take their texts when they are built.
        # MAC-CHECK: with "auto", Chinese (Simplified) first in System Settings speaks Chinese
        i18n.set_language(
            i18n.choose(self.settings.get("language"), QLocale.system().uiLanguages())
        )
        self._qt_translator = qt_translation.install(i18n.language(), QCoreApplication.instance())
        history, history_trouble = open_history()
        if history_trouble:
            self._notify(tr("deskpet cannot save chats this time"), history_trouble)
        self.personas = PersonaManager(current=self.settings.get("persona"))
        self.relay = Relay(self)
        self.switch = BrainSwitch(self.settings, self.relay, local_model=model, parent=self)
        self._pending_notices.extend(self.switch.notices)
        self.brain = self.switch.brain
        self.machine = PetMachine(clock=time.monotonic)
        self.pet = PetWindow(
            settings=self.settings,
            theme_id=self._theme(),
            size=self.settings.get("pet_size"),
            platform=self._platform,
        )
        self.bubble = ChatBubble(fade_seconds=self.settings.get("bubble_fade_seconds"))
        self.bubble.anchor_to(self.pet)
        self.cards = PermissionCards()
        self.cards.anchor_to(self.pet)
        self.tray = TrayMenu(
            personas=self._persona_choices, sessions=self._live_sessions, parent=self
        )
        self.sessions_list = SessionsList(self._live_sessions)
        self.sessions_list.anchor_to(self.pet)
        self.pet_menu = PetMenu(self.tray)
        self.life = PetLife(
            self.pet, self.settings, self._platform, blocked=self._windows_open, parent=self
        )
        self._click_answered = False  # the last click answered a bell or opened onboarding
        self.shortcuts = ShortcutsController(
            self.settings, self._platform, self.tray.chat_action, parent=self
        )

        # One for the app's life: its verdicts last as long as the model loaded then.
        self.adapter_checks = AdapterChecks(
            CurrentWorker(self.brain), model=lambda: self.model.model_key()
        )
        self.preferences = SettingsController(
            self.settings,
            self._platform,
            self.personas.choices,
            model_in_use=lambda: self.model.source,
            checks=self.shortcuts.checks,
            personas_page=lambda: PersonasPage(self.personas, self.adapter_checks),
            parent=self,
        )
        self.chat = ChatController(
            self.brain,
            self.bubble,
            self.machine,
            history,
            self.settings,
            self.personas,
            sampling=sampling,
            parent=self,
        )
        self.model = ModelController(
            self.brain,
            self.machine,
            source=self.switch.source(),
            restore=self.chat.restore_requests,
            pet_name=self.chat.persona_name,
            hub_endpoint=lambda: self.settings.get("hub_endpoint") or None,
            platform=self._platform,
            switch_brain=self.switch.to,
            parent=self,
        )
        self.agents = AgentsController(
            self.relay,
            self.brain,
            self.machine,
            self.settings,
            self._platform,
            say=self.bubble.show_narration,
            may_speak=self._may_speak,
            pet_visible=self.pet.isVisible,
            style=self._narration_style,
            sampling=self.chat.sampling,
            cards=self.cards,
            parent=self,
        )
        self._clock = PetClock(self.machine, parent=self)
        self._wire()

    # -- wiring --------------------------------------------------------------------------------

    def _wire(self) -> None:
        self.machine.add_listener(self.pet.set_display)
        self.pet.on_clicked.connect(self._on_clicked)
        self.pet.on_double_clicked.connect(self._on_double_clicked)
        self.pet.on_single_clicked.connect(self._on_single_clicked)
        self.pet.on_drag_started.connect(self.machine.drag_start)
        self.pet.on_drag_finished.connect(self._on_drag_finished)
        self.pet.on_hovered.connect(self.machine.owner_activity)
        self.pet.on_drag_moved.connect(lambda point: self.machine.drag_move(point.x()))
        self.pet.on_menu_requested.connect(self.pet_menu.open_at)
        self.pet.on_resized.connect(self._follow_pet)
        self.machine.add_listener(self.life.set_display)
        self.life.on_mini_changed.connect(self.pet_menu.set_mini)
        self.life.on_mini_changed.connect(lambda _on: self._follow_pet())
        self.pet_menu.on_mini_toggled.connect(
            lambda on: self.life.enter_mini() if on else self.life.leave_mini()
        )
        self.pet_menu.on_send_to_screen.connect(self._send_to_screen)

        self.chat.on_persona_changed.connect(self._on_persona_changed)
        self.model.on_status.connect(self.tray.set_status)
        self.switch.on_switching.connect(self._on_switching)
        self.switch.on_ready_to_load.connect(self.model.restart)
        self.switch.on_notice.connect(self._notify)
        self.preferences.on_server_key_saved.connect(
            lambda: self.switch.apply_settings(key_changed=True)
        )
        self.model.on_ready.connect(
            lambda source: self.chat.model_ready(
                source, (self.model.info or {}).get("base"), self._model_thinks()
            )
        )
        voices = self.chat.voices
        voices.on_planned.connect(lambda p, total, have: self._show_voice_download(p, have, total))
        voices.on_progress.connect(self._show_voice_download)
        for ended in (voices.on_ready, voices.on_failed):
            ended.connect(lambda *_: self.tray.set_voice_download(""))
        voices.on_cancelled.connect(lambda _p: self.tray.set_voice_download(""))
        self.model.on_ready.connect(
            lambda source: log.info("model in use: %s; MLX %s", source, logs.mlx_description())
        )
        self.model.on_ready.connect(lambda _source: self.agents.narrate_next())
        self.model.on_ready.connect(lambda _source: self.preferences.refresh_personas())
        self.model.on_save.connect(self.preferences.save)
        self.model.on_notice.connect(self._notify)
        self.model.on_onboarded.connect(lambda: self.on_greeted.emit(self.chat.greet()))
        self.agents.about = self._about_model
        self.agents.on_attention.connect(self.tray.set_attention)
        self.agents.on_notice.connect(self._notify)
        self.agents.on_lost_hooks.connect(self.tray.set_lost_hooks)
        self.agents.on_silent_hooks.connect(lambda _agent: self.tray.set_connection_trouble(True))
        self.preferences.on_connection_checked.connect(
            lambda result: self.tray.set_connection_trouble(not result.healthy)
        )
        self.preferences.on_changed.connect(self._on_setting_changed)
        self.preferences.on_rerun_onboarding.connect(self.model.open_onboarding)
        self.preferences.on_notice.connect(self._notify)
        self.preferences.on_personas_changed.connect(self.chat.persona_files_changed)

        tray = self.tray
        tray.on_persona_chosen.connect(self.chat.set_persona)
        tray.on_stop_voice_download.connect(self.chat.voices.cancel)
        tray.on_thinking_toggled.connect(lambda on: self.preferences.save("thinking_default", on))
        tray.on_dnd_toggled.connect(lambda on: self.preferences.save("do_not_disturb", on))
        tray.on_show_toggled.connect(self.set_pet_shown)
        tray.on_open_chat.connect(self.open_chat)
        self.shortcuts.on_toggle_chat.connect(self.toggle_chat)
        self.shortcuts.on_notice.connect(self._notify)
        # The menu's actions only fire from windows that carry them.
        self.pet.addAction(tray.chat_action)
        self.bubble.addAction(tray.chat_action)
        self.shortcuts.attach(self.pet)
        self.shortcuts.attach(self.bubble)
        self.shortcuts.attach(self.cards)
        self.shortcuts.cards = self.cards
        self.cards.on_deciding.connect(self.shortcuts.cards_showing)
        self.cards.on_go_to_terminal.connect(self.agents.go_to_terminal)
        tray.on_agent_action.connect(self._on_agent_action)
        tray.on_open_settings.connect(self.preferences.show)
        tray.on_show_logs.connect(open_logs_folder)
        tray.on_reconnect.connect(self.agents.reconnect)
        tray.on_check_connection.connect(self._check_connection)
        tray.on_notice_clicked.connect(self._on_notice_clicked)
        tray.on_go_to_waiting_terminal.connect(self.agents.go_to_waiting_terminal)
        tray.on_go_to_terminal.connect(self.agents.go_to_terminal)
        self.sessions_list.on_go_to_terminal.connect(self.agents.go_to_terminal)
        tray.on_quit.connect(self.quit)

    @property
    def worker(self):
        """The brain answering now: the MLX worker or the model server's client."""
        return self.switch.worker

    # -- lifetime ------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen for agents, show the pet and the tray icon, load the model (or open
        onboarding). Raises PetAlreadyRunning, showing nothing, if another pet runs."""
        if self._started:
            return
        self.agents.start()
        self._started = True
        self.tray.set_persona(self.chat.persona)
        self._show_thinking()
        self.tray.set_dnd(self.settings.get("do_not_disturb"))
        self.tray.set_pet_shown(True)
        self.tray.show()
        self.shortcuts.start()
        self.pet.show()
        self.life.restore()
        self._clock.start()
        self.pet.set_display(self.machine.display)
        self.life.settings_changed()
        self.switch.start()
        self.model.start()
        if self.chat.history.notice:
            self._notify("deskpet", i18n.shown(self.chat.history.notice))
        for warning in self.settings.warnings:
            self._notify(tr("deskpet settings"), i18n.shown(warning))
        for title, text in self._pending_notices:
            self._notify(title, text)
        self._pending_notices.clear()
        # Last, so it is the notice on screen: a click on it opens the logs folder.
        crash = logs.take_crash_notice()
        if crash:
            # MAC-CHECK: clicking the crash notice opens the logs folder in the Finder
            self._notify(
                tr(CRASH_TITLE),
                tr("{crash}. Click here or use Show Logs… to see why.", crash=crash),
            )

    def shutdown(self) -> None:
        """Stop the model (ending any answer), close the windows. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self.chat.close()
        self.model.close()
        self._clock.stop()
        self.agents.stop()
        self.cards.close()
        self.shortcuts.close()
        self.bubble.close()
        self.sessions_list.close()
        self.pet_menu.close()
        self.life.clock_timer.stop()
        self.pet.close()
        self.preferences.close()
        self.tray.hide()
        # The windows are gone first, so waiting out the model's step in progress is unseen.
        if self._started and not self.switch.shutdown():
            log.warning("the inference thread did not stop in time")
        self.chat.history.close()
        self.on_shutdown.emit()

    def quit(self) -> None:
        self.shutdown()
        QCoreApplication.quit()

    def _notify(self, title: str, text: str) -> None:
        """A notice from the menu-bar icon; those from before it shows wait for `start`."""
        if self._started:
            self._last_notice = title
            self.tray.notify(title, text)
        else:
            self._pending_notices.append((title, text))

    def _on_notice_clicked(self) -> None:
        """A click on the notification: the crash notice opens the logs folder; a notice of
        lost hooks reconnects that agent."""
        if self._last_notice == tr(CRASH_TITLE):
            open_logs_folder()
        else:
            self.agents.notice_clicked(self._last_notice)

    # -- between the rooms ---------------------------------------------------------------------

    def open_chat(self) -> None:
        """Open the bubble beside the pet, ready to type (or onboarding, before a model)."""
        if self.model.waiting():
            self.model.open_onboarding()
        else:
            self.chat.open()

    def toggle_chat(self) -> None:
        """The chat shortcut: close the open chat, or open it."""
        if self.bubble.isVisible() and not self.model.waiting():
            self.bubble.dismiss()
        else:
            self.open_chat()

    def set_pet_shown(self, shown: bool) -> None:
        self.pet.setVisible(shown)
        self.tray.set_pet_shown(shown)
        self.life.settings_changed()  # the life clock runs only for a pet on screen

    def _windows_open(self) -> bool:
        """A card, the bubble or the sessions list stands beside the pet (no walks then)."""
        return any(w.isVisible() for w in (self.cards, self.bubble, self.sessions_list))

    def _follow_pet(self) -> None:
        self.bubble.follow_anchor()
        self.cards.follow_anchor()
        self.sessions_list.follow_anchor()

    def _send_to_screen(self, screen) -> None:
        self.life.send_to(screen)
        self._follow_pet()

    def _on_clicked(self) -> None:
        if self.life.take_click():  # a click on the tucked pet brings it out of the edge
            self._click_answered = True
            return
        intent = self.machine.click()
        self._click_answered = self.model.waiting() or intent is Intent.ACKNOWLEDGED
        if self.model.waiting():  # the sleeping pet points the owner to onboarding
            self.model.open_onboarding()
        elif intent is Intent.ACKNOWLEDGED:
            self.agents.acknowledged()

    def _on_single_clicked(self) -> None:
        """A click that was not the start of a double-click: the sessions at a glance, unless
        that click already answered the bell."""
        if not self._click_answered:
            self.sessions_list.toggle()

    def _on_double_clicked(self) -> None:
        self.sessions_list.close_list()
        if self.machine.double_click() is Intent.OPEN_CHAT or self.model.waiting():
            self.open_chat()

    def _on_drag_finished(self, _pos) -> None:
        self.machine.drag_end()
        self._follow_pet()

    def _persona_choices(self) -> list[tuple[str, str, str]]:
        """The tray's persona entries: id, name and the voice with the loaded model (none
        while the tray is built, before the chat controller)."""
        chat = getattr(self, "chat", None)
        voice = chat.voice if chat is not None else (lambda _pid: "")
        return [(pid, name, voice(pid)) for pid, name in self.personas.choices()]

    def _show_voice_download(self, persona: str, done: int, total: int) -> None:
        name = self.chat.name_of(persona)
        if total:
            text = tr(
                "Stop downloading {persona}'s voice ({percent}%)",
                persona=name,
                percent=done * 100 // total,
            )
        else:
            text = tr("Stop downloading {persona}'s voice", persona=name)
        self.tray.set_voice_download(text)

    def _on_persona_changed(self, persona: str) -> None:
        self.tray.set_persona(persona)
        self._show_thinking()
        self.pet.set_theme(self._theme())
        self.life.settings_changed()  # the new theme may not follow the pointer
        self.preferences.save("persona", persona)

    def _on_switching(self, server: str) -> None:
        """Another brain took over (the answer being written was stopped): say so in the
        tray and the bubble until its model is ready."""
        self.model.brain_changed()
        if server:
            text = tr("Switching to the model server at {url}…", url=server)
        else:
            text = tr("Switching to the model on this computer…")
        self.tray.set_status(text)
        self.bubble.show_note(text)

    def _model_thinks(self) -> bool:
        info = self.model.info or {}
        return bool(info.get("thinking", True))

    def _show_thinking(self) -> None:
        """The menu's Thinking item: the owner's choice, or why the persona holds it off."""
        thinking = self.chat.thinking()
        self.tray.set_thinking(thinking.on, thinking.held_off_by)

    def _on_setting_changed(self, key: str, value) -> None:
        """A change made in the settings window (already saved): apply what can be applied
        live. Sampling, max_tokens, narration and quiet hours are read at each use; a new
        model loads now (the current one answers until it is ready); a new brain (local or a
        server, its address, model or key) takes over now and loads; the context window takes
        effect at the next start."""
        if key == "thinking_default":
            self._show_thinking()
        elif key == "do_not_disturb":
            self.tray.set_dnd(value)
        elif key == "bubble_fade_seconds":
            self.bubble.set_fade_seconds(value)
        elif key == "persona" and value in dict(self.personas.choices()):
            self.chat.set_persona(value)
        elif key == "model":
            self.model.choose(value)
        elif key in BRAIN_SETTINGS:
            self.switch.apply_settings()
        elif key == "start_with_agents":
            self.agents.repair_hooks()
        elif key == "pet_size":
            self.pet.set_pet_size(value)
        elif key in ("eyes_follow", "pet_walks"):
            self.life.settings_changed()

    def _on_agent_action(self, action: str, agent: str) -> None:
        self.agents.change_hooks(action, agent)
        self.preferences.sync()

    def _may_speak(self) -> bool:
        """Narration may speak: the model is up and the owner is neither chatting nor away."""
        return (
            self._started
            and self.model.info is not None
            and not self.chat.busy()
            and self.pet.isVisible()
        )

    def _live_sessions(self) -> list[SessionView]:
        return self.agents.live_sessions()

    def _theme(self) -> str:
        current = self.personas.current
        return current.theme if current is not None else "deskpet"

    def _check_connection(self) -> None:
        self.preferences.show()
        self.preferences.check_connection()

    def _about_model(self) -> dict:
        """The model, for `deskpet doctor` (asked on the bridge thread: reads only)."""
        return {
            "model": self.model.source or "none",
            "model_loaded": self.model.info is not None,
            "device": logs.mlx_description(),
        }

    def _narration_style(self) -> str:
        current = self.personas.current
        return current.narration if current is not None else ""
