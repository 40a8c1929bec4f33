"""The composition root of the GUI: builds every part, wires them, owns their lifetimes.

    tray menu ──persona/thinking/DND/show/chat/quit──▶ DeskpetApp ──▶ settings.yaml
    pet window ──click/double-click/drag──▶ PetMachine ──Display──▶ pet window
    chat bubble ──send/cancel──▶ InferenceWorker ──events (worker thread)──▶ Relay
    Relay (GUI thread) ──tokens/finished/failed──▶ bubble, PetMachine, history
    BridgeServer, RolloutTailer (their threads) ──AgentEvent──▶ Relay (GUI thread)
    Relay ──▶ SessionTracker ──Mood──▶ PetMachine; bell (sound, tray line, notification)
                └─▶ Narrator ──Narrate (when no chat runs)──▶ InferenceWorker ──▶ bubble

One conversation per persona: its id is the persona's id. At start every persona's saved
conversation is given back to the worker (RestoreConversation), so the pet remembers what was
said before a restart. app.py is the only module that knows all the rooms.

One pet per user: the bridge socket is bound first thing in `start()`, and a live pet already
answering on it makes `start()` raise PetAlreadyRunning before anything is shown.

No model yet (first launch): the pet sleeps and deskpet.ui.first_run walks the owner through
onboarding; the model it loads is saved once ready, and the pet greets its owner once warm.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QRect, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication

from deskpet.bridge import events as ev
from deskpet.bridge import installers
from deskpet.bridge.codex_rollout import RolloutTailer
from deskpet.bridge.events import AgentEvent
from deskpet.bridge.narrator import (
    DEFAULT_STYLE,
    NarrationRequest,
    Narrator,
    agent_name,
)
from deskpet.bridge.server import BridgeError, BridgeServer, PetAlreadyRunning
from deskpet.bridge.sessions import PERMISSION, WAITING, WORKING, Mood, SessionTracker
from deskpet.history import History, HistoryError
from deskpet.inference.demo import DEMO_SAMPLING
from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import Finished, RestoreConversation
from deskpet.inference.source import DEMO
from deskpet.inference.worker import InferenceWorker
from deskpet.personas.manager import PersonaManager
from deskpet.pet import Intent, PetMachine
from deskpet.platform import DefaultPlatform, get_platform
from deskpet.safefile import ParseRefused
from deskpet.settings import Settings
from deskpet.ui.bubble import ChatBubble
from deskpet.ui.first_run import CHOOSE, WAKING, FirstRun
from deskpet.ui.pet_window import PetWindow
from deskpet.ui.relay import Relay
from deskpet.ui.settings_window import SettingsWindow
from deskpet.ui.theme import assets_dir
from deskpet.ui.tray import PersonaSource, TrayMenu

log = logging.getLogger(__name__)

TICK_MS = 100  # the pet machine's clock; the sprite has its own frame timer
BRIDGE_TICK_MS = 1000  # session watchdogs and the narration queue
SHUTDOWN_SECONDS = 3.0
NARRATION_TOKENS = 60
BELL_GAP = 3.0  # seconds: a burst of requests (parallel sessions) rings once
ROLLOUT_POLL_SECONDS = 1.0


def bell_sound():
    return assets_dir() / "sounds" / "bell.wav"


def speaker(agent: str, project: str) -> str:
    """ "Claude · myproject": who an agent line is about."""
    name = agent_name(agent)
    return f"{name} · {project}" if project else name


class DeskpetApp(QObject):
    """The running pet: settings, history, the model worker and the windows.

    Build it, `start()` it, and `shutdown()` it (Quit in the tray does both `shutdown()` and
    `QApplication.quit()`); nothing here calls `exec()`, so tests drive it with pytest-qt.

    Attributes:
        settings: the owner's Settings (shared with the pet window for its position).
        history: saved conversations (deskpet.history.History).
        worker: the InferenceWorker; its events arrive through `relay`.
        relay: the Relay bringing worker and agent events onto the GUI thread.
        machine: the PetMachine deciding what the pet shows.
        pet: the PetWindow.
        bubble: the ChatBubble.
        tray: the TrayMenu.
        persona: the current persona id (also the conversation id).
        model_source: what the worker loads ("demo" for the built-in demo model); "" until
            the owner has chosen one.
        first_run: the onboarding walk while one is under way, else None.
        model_info: the loaded model's info once ready, else None.
        bridge: the BridgeServer listening for agent hooks (None when it could not listen
            or `bridge=False`).
        rollouts: the RolloutTailer following Codex's session files (None likewise).
        sessions: the SessionTracker folding agent sessions into one mood.
        narrator: the Narrator turning finished agent turns into narration requests.
        mood: the agent Mood the pet was last told.
        attention: "Claude · myproject needs you" while an agent waits for the owner, else "".

    Signals:
        on_turn_saved(str): a question and its answer were written to the history (persona id).
        on_persona_changed(str): the persona (and the pet's theme) changed.
        on_bell(str): an agent needs the owner (the attention line); sent in DND too.
        on_narrated(str): a narration line was shown in the bubble.
        on_greeted(str): onboarding ended with the pet greeting its owner (the greeting).
        on_shutdown(): the app has shut down.
    """

    on_turn_saved = Signal(str)
    on_persona_changed = Signal(str)
    on_bell = Signal(str)
    on_narrated = Signal(str)
    on_greeted = Signal(str)
    on_shutdown = Signal()

    def __init__(
        self,
        model: str | None = None,
        *,
        settings: Settings | None = None,
        history: History | None = None,
        sampling: Sampling | None = None,
        max_tokens: int | None = None,
        personas: PersonaSource | None = None,
        manager: PersonaManager | None = None,
        platform: DefaultPlatform | None = None,
        bridge: bool = True,
        narration_style: Callable[[], str] | None = None,
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

        self.settings = settings if settings is not None else Settings()
        self._notices: list[tuple[str, str]] = []
        self.history = history if history is not None else self._open_history()
        self.model_source = model or self.settings.get("model") or ""
        self._loading_source = ""
        self._revert_model: str | None = None  # a Settings model change waiting to load
        self._sampling = sampling
        self._max_tokens = max_tokens
        self.model_info: dict | None = None
        self._load_request: int | None = None
        self._request: int | None = None  # the chat being answered
        self._questions: dict[int, str] = {}  # chat request id -> the owner's words
        self._started = False
        self._closed = False
        self._clock = time.monotonic
        self._want_bridge = bridge
        # Personas: a voice (system prompt, sampling, adapter), a look (theme), a greeting.
        self.personas = (
            manager if manager is not None else PersonaManager(current=self.settings.get("persona"))
        )
        self._personas = personas or self._manager_personas
        self._narration_style = narration_style or self._persona_narration
        self._status = "deskpet"  # the tray's status line when no agent needs the owner
        self._mood_key: tuple[str, str, str] | None = None
        self._last_bell: float | None = None
        self._narration: NarrationRequest | None = None
        self._narration_id: int | None = None
        self.mood = Mood()
        self.attention = ""
        self.bridge: BridgeServer | None = None
        self.rollouts: RolloutTailer | None = None

        ids = [persona_id for persona_id, _ in self._persona_list()]
        wanted = self.settings.get("persona")
        self.persona = wanted if wanted in ids else (ids[0] if ids else "deskpet")

        self.relay = Relay(self)
        self.worker = InferenceWorker(
            self.relay.post, context_window=self.settings.get("context_window")
        )
        self.machine = PetMachine(clock=self._clock)
        self.sessions = SessionTracker(clock=self._clock)
        self.narrator = Narrator(
            style=lambda: self._narration_style(), enabled=self._narration_wanted, clock=self._clock
        )
        self.pet = PetWindow(
            settings=self.settings, theme_id=self._theme(self.persona), platform=self._platform
        )
        self.bubble = ChatBubble(fade_seconds=self.settings.get("bubble_fade_seconds"))
        self.tray = TrayMenu(personas=self._persona_list, parent=self)
        self.settings_window: SettingsWindow | None = None  # made when first opened
        self.first_run: FirstRun | None = None

        self._tick = QTimer(self)
        self._tick.setObjectName("pet-clock")
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self.machine.tick)
        self._bridge_tick = QTimer(self)
        self._bridge_tick.setObjectName("bridge-clock")
        self._bridge_tick.setInterval(BRIDGE_TICK_MS)
        self._bridge_tick.timeout.connect(self._on_bridge_tick)
        self._wire()

    # -- wiring --------------------------------------------------------------------------------

    def _wire(self) -> None:
        self.machine.add_listener(self.pet.set_display)

        self.pet.on_clicked.connect(self._on_clicked)
        self.pet.on_double_clicked.connect(self._on_double_clicked)
        self.pet.on_drag_started.connect(self.machine.drag_start)
        self.pet.on_drag_finished.connect(self._on_drag_finished)
        self.pet.on_hovered.connect(self.machine.owner_activity)

        self.bubble.on_send.connect(self.send)
        self.bubble.on_cancel.connect(self.cancel)

        self.relay.on_model_loading.connect(self._on_model_loading)
        self.relay.on_model_ready.connect(self._on_model_ready)
        self.relay.on_token.connect(self._on_token)
        self.relay.on_finished.connect(self._on_finished)
        self.relay.on_failed.connect(self._on_failed)
        self.relay.on_warmed_up.connect(self._on_warmed_up)
        self.relay.on_model_checked.connect(self._on_model_checked)
        self.relay.on_agent_event.connect(self._on_agent_event)

        self.tray.on_persona_chosen.connect(self.set_persona)
        self.tray.on_thinking_toggled.connect(lambda on: self._save_setting("thinking_default", on))
        self.tray.on_dnd_toggled.connect(lambda on: self._save_setting("do_not_disturb", on))
        self.tray.on_show_toggled.connect(self.set_pet_shown)
        self.tray.on_open_chat.connect(self.open_chat)
        # The menu's actions only fire from windows that carry them.
        self.pet.addAction(self.tray.chat_action)
        self.bubble.addAction(self.tray.chat_action)
        self.tray.on_agent_action.connect(self._on_agent_action)
        self.tray.on_open_settings.connect(self.show_settings)
        self.tray.on_quit.connect(self.quit)

    def _open_history(self) -> History:
        try:
            return History()
        except HistoryError as exc:
            # Locked, unopenable or from a newer deskpet: the file stays untouched and the pet
            # still chats, remembering this session only.
            log.warning("%s", exc)
            self._notices.append(("deskpet cannot save chats this time", str(exc)))
            return History(":memory:")

    def _persona_list(self) -> list[tuple[str, str]]:
        return list(self._personas())

    def _manager_personas(self) -> list[tuple[str, str]]:
        self.personas.reload()  # the menu lists what is on disk each time it opens
        return [(p.id, p.name.get("en")) for p in self.personas.list()]

    def _persona(self, persona_id: str | None = None):
        """The Persona object for an id (the current one by default), or None if unknown."""
        try:
            return self.personas.get(persona_id or self.persona)
        except KeyError:
            return None

    def _theme(self, persona_id: str) -> str:
        persona = self._persona(persona_id)
        return persona.theme if persona is not None else persona_id

    def _persona_narration(self) -> str:
        persona = self._persona()
        return persona.narration if persona is not None and persona.narration else DEFAULT_STYLE

    def _system_prompt(self, persona_id: str | None = None) -> str | None:
        persona = self._persona(persona_id)
        return persona.system_prompt if persona is not None else None

    def _use_persona_voice(self) -> None:
        """Load (once) and activate the current persona's adapter, or none, between answers."""
        try:
            plan = self.personas.switch(self.persona)
        except KeyError:
            return
        for request in plan.requests():
            self.worker.submit(request)

    def _persona_name(self, persona_id: str) -> str:
        # From the loaded personas: re-reading every persona file is for the menu only.
        persona = self._persona(persona_id)
        if persona is not None:
            return persona.name.get("en")
        return dict(self._persona_list()).get(persona_id, persona_id)

    # -- lifetime ------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen for agents, show the pet and the tray icon, load the model, give back saved
        conversations. Raises PetAlreadyRunning, showing nothing, if another pet runs."""
        if self._started:
            return
        if self._want_bridge:
            self._start_bridge()
        self._started = True
        self.tray.set_persona(self.persona)
        self.tray.set_thinking(self.settings.get("thinking_default"))
        self.tray.set_dnd(self.settings.get("do_not_disturb"))
        self.tray.set_pet_shown(True)
        self.tray.show()
        self.pet.show()
        self.machine.tick()
        self.pet.set_display(self.machine.display)
        self._tick.start()
        self._bridge_tick.start()

        self.worker.start()
        if self.model_source:
            self.load_model(self.model_source)
        else:
            self.machine.no_model()
            self._set_status("Choose a model to wake your pet up")
            self.start_onboarding()
        if self.history.notice:
            self.tray.notify("deskpet", self.history.notice)
        for warning in self.settings.warnings:
            self.tray.notify("deskpet settings", warning)
        for title, text in self._notices:
            self.tray.notify(title, text)

    def _start_bridge(self) -> None:
        server = BridgeServer(self.relay.post)
        try:
            server.start()
        except PetAlreadyRunning:
            raise
        except BridgeError as exc:  # the pet still works; agents just cannot reach it
            log.warning("agent bridge off: %s", exc)
            self._notices.append(("deskpet cannot hear your agents", str(exc)))
        else:
            self.bridge = server
        lines = installers.repair()  # never raises
        if lines:
            self._notices.append(("deskpet agents", "\n".join(lines)))
        self.rollouts = RolloutTailer(self.relay.post)
        self.rollouts.start(ROLLOUT_POLL_SECONDS)

    def load_model(self, source: str) -> None:
        """Load a model (it replaces the current one only once it has loaded) and give every
        persona's saved conversation back to it."""
        self._loading_source = source  # model_source once it has loaded
        self._load_request = self.worker.load(source)
        # Queued behind the load (it outranks them), so they find the model loaded.
        for persona_id in self.history.personas():
            turns = self.history.turns(persona_id)
            if turns:
                self.worker.submit(
                    RestoreConversation(persona_id, self._system_prompt(persona_id), turns)
                )

    def shutdown(self) -> None:
        """Stop the model (ending any answer), close the windows. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self.first_run is not None:
            self.first_run.close()
        self._tick.stop()
        self._bridge_tick.stop()
        if self.bridge is not None:
            self.bridge.stop()
        if self.rollouts is not None:
            self.rollouts.stop()
        if self._started and not self.worker.shutdown(SHUTDOWN_SECONDS):
            log.warning("the inference thread did not stop within %.0f s", SHUTDOWN_SECONDS)
        self.bubble.close()
        self.pet.close()
        if self.settings_window is not None:
            self.settings_window.close()
        self.tray.hide()
        self.history.close()
        self.on_shutdown.emit()

    def quit(self) -> None:
        self.shutdown()
        QCoreApplication.quit()

    # -- the chat ------------------------------------------------------------------------------

    @property
    def answering(self) -> bool:
        return self._request is not None

    def open_chat(self) -> None:
        """Open the bubble beside the pet, ready to type (or onboarding, before a model)."""
        if self._waiting_for_a_model():
            self.first_run.open(resume=False)
            return
        self.bubble.set_title(self._persona_name(self.persona))
        self.bubble.open(self._pet_rect(), self._screen_rect())

    def send(self, text: str) -> int:
        """Ask the model (the bubble has cancelled any answer in progress already)."""
        if self._request is not None:
            self.worker.cancel(self._request)
        if not self.bubble.answering:  # sent from elsewhere than the bubble's input line
            self.bubble.begin_answer(text)
        self._request = self.worker.chat(
            self.persona,
            text,
            think=self.settings.get("thinking_default"),
            sampling=self._sampling_now(),
            max_tokens=self._max_tokens or self.settings.get("max_tokens"),
            system_prompt=self._system_prompt(),
        )
        self._questions[self._request] = text
        self.machine.chat_started()
        return self._request

    def cancel(self) -> None:
        if self._request is not None:
            self.worker.cancel(self._request)

    def _sampling_now(self) -> Sampling:
        if self._sampling is not None:
            return self._sampling
        if self.model_source == DEMO:
            return DEMO_SAMPLING
        persona = self._persona()
        if persona is not None:
            return persona.generation_sampling()
        s = self.settings
        return Sampling(
            temperature=s.get("temperature"),
            top_p=s.get("top_p"),
            repetition_penalty=s.get("repetition_penalty"),
        )

    def _on_token(self, request_id: int, _conversation, event) -> None:
        if self._closed or request_id != self._request:
            return
        self.bubble.add_token(event.text, event.channel)
        if event.finish_reason is None:
            self.machine.chat_token(thinking=event.channel == "reasoning")

    def _on_finished(self, event: Finished) -> None:
        if not self._closed and event.request_id == self._narration_id:
            self._on_narration_finished(event)
            return
        question = self._questions.pop(event.request_id, None)
        if self._closed or question is None:
            return
        if event.request_id == self._request:
            self._request = None
            self.bubble.finish(event.reason)
            self.machine.chat_done()
        # The worker keeps whatever was written (even when cancelled, or replaced by a newer
        # message or another persona) in its transcript; the history keeps the same, so a
        # restart restores the conversation the model had.
        if event.conversation and (event.text or event.reasoning):
            try:
                self.history.add_turn(event.conversation, question, event.text, event.reasoning)
            except Exception as exc:  # the chat goes on even if the disk does not
                log.warning("could not save the conversation: %s", exc)
                return
            self.on_turn_saved.emit(event.conversation)

    def _on_failed(self, request_id: int, message: str, kind: str) -> None:
        if self._closed:
            return
        self._questions.pop(request_id, None)
        if request_id == self._narration_id:
            self._narration, self._narration_id = None, None
            log.warning("narration failed: %s", message)
        elif request_id == self._request:
            self._request = None
            self.bubble.show_error(message, kind)
            self.machine.chat_error()
        elif request_id == self._load_request:
            self._on_load_failed(message)
        else:
            log.warning("worker request %d failed: %s", request_id, message)

    # -- the model -----------------------------------------------------------------------------

    def _on_load_failed(self, message: str) -> None:
        source, self._loading_source = self._loading_source, ""
        revert, self._revert_model = self._revert_model, None
        if revert is not None:  # typed into Settings and did not load: the old value returns
            self._save_setting("model", revert)
        if self.first_run is not None and self.first_run.step == WAKING:
            self.first_run.model_failed(message)  # said in its window, with the other choices
            if self.model_info is None:
                self.machine.no_model()
            else:
                self.machine.model_ready()  # the model from before is still there
        elif self.model_info is None:
            # The saved model is gone (a moved folder, an unplugged disk): onboarding offers
            # the other choices; the setting stays, for when the model comes back.
            self.machine.no_model()
            self._set_status("The model could not be loaded")
            first_run = self.start_onboarding(resume=False)
            if first_run.step == CHOOSE:
                first_run.window.show_choices(f"deskpet could not load {source}: {message}")
        else:  # the model from before keeps answering
            self.machine.model_ready()
            self.tray.notify("deskpet could not load the model", message)

    def _on_model_loading(self, _request_id: int, message: str) -> None:
        if self._closed:
            return
        self.machine.model_loading()
        self._set_status(message)
        if self.first_run is not None:
            self.first_run.model_loading(message)

    def _on_model_ready(self, request_id: int, info: dict) -> None:
        if self._closed:
            return
        self.model_info = info
        if request_id != self._load_request:
            return  # an earlier load ended first; the one asked for last replaces it soon
        self._revert_model = None
        self.model_source = self._loading_source or self.model_source
        # A freshly loaded model holds no adapters: give the current persona its voice back.
        self._use_persona_voice()
        self.machine.model_ready()
        name = "the demo model" if self.model_source == DEMO else info.get("name", "the model")
        self._set_status(f"Awake with {name}")
        if self.first_run is not None:
            self.first_run.model_ready()
        self._narrate_next()

    def _on_model_checked(self, _request_id: int, source: str, reason: str) -> None:
        if not self._closed and self.first_run is not None:
            self.first_run.window.model_checked(source, reason)

    def _on_warmed_up(self, load_request: int, _seconds: float) -> None:
        if not self._closed and self.first_run is not None and load_request == self._load_request:
            self.first_run.warmed_up()

    # -- onboarding ----------------------------------------------------------------------------

    def start_onboarding(self, resume: bool | None = None) -> FirstRun:
        """Show onboarding (again, or for the first time); a download deskpet quit in the
        middle of goes on by itself at the first launch (unless `resume` is False)."""
        if self.first_run is None:
            first_run = FirstRun(
                endpoint=self.settings.get("hub_endpoint") or None,
                pet_name=self._persona_name(self.persona),
                checker=self.worker.check,
                platform=self._platform,
                parent=self,
            )
            first_run.on_load.connect(self.load_model)
            first_run.on_ready.connect(lambda source: self._save_setting("model", source))
            first_run.on_done.connect(self._on_onboarding_done)
            first_run.on_status.connect(self._set_status)
            self.first_run = first_run
            first_run.open(resume=self.model_info is None if resume is None else resume)
        else:
            self.first_run.open(resume=False)
        return self.first_run

    def _waiting_for_a_model(self) -> bool:
        return self.model_info is None and self.first_run is not None

    def _on_onboarding_done(self, _source: str) -> None:
        first_run, self.first_run = self.first_run, None
        if first_run is not None:  # its window has no parent: free both
            first_run.window.deleteLater()
            first_run.deleteLater()
        persona = self._persona()
        greeting = (
            persona.greeting.get("en") if persona is not None else ""
        ) or "Hello! I'm awake. Double-click me to chat."
        self.bubble.set_title(self._persona_name(self.persona))
        self.bubble.show_narration(greeting, self._pet_rect(), self._screen_rect())
        self.on_greeted.emit(greeting)

    def _set_status(self, text: str) -> None:
        """The tray's status line; a waiting agent's line takes its place until answered."""
        self._status = text
        if not self.attention:
            self.tray.set_status(text)

    # -- the pet -------------------------------------------------------------------------------

    def _on_clicked(self) -> None:
        if self._waiting_for_a_model():  # the sleeping pet points the owner to onboarding
            self.machine.click()
            self.first_run.open(resume=False)
            return
        attention = self.attention
        if self.machine.click() is Intent.ACKNOWLEDGED and attention:
            # The owner answered the bell: say what rang, in case they missed the tray line.
            line = attention + (f": {self.mood.message}" if self.mood.message else "")
            self.bubble.show_narration(line, self._pet_rect(), self._screen_rect())

    def _on_double_clicked(self) -> None:
        if self.machine.double_click() is Intent.OPEN_CHAT or self._waiting_for_a_model():
            self.open_chat()

    def _on_drag_finished(self, _pos) -> None:
        self.machine.drag_end()
        if self.bubble.isVisible():
            self.bubble.place_beside(self._pet_rect(), self._screen_rect())

    def set_pet_shown(self, shown: bool) -> None:
        self.pet.setVisible(shown)
        self.tray.set_pet_shown(shown)

    def _pet_rect(self) -> QRect:
        return self.pet.frameGeometry()

    def _screen_rect(self) -> QRect | None:
        screen = QGuiApplication.screenAt(self._pet_rect().center()) or self.pet.screen()
        return screen.availableGeometry() if screen is not None else None

    # -- the menu ------------------------------------------------------------------------------

    def set_persona(self, persona: str) -> None:
        """Switch persona: the pet's look (theme id = persona id for now) and conversation."""
        if persona == self.persona:
            return
        self.cancel()
        self._request = None
        self.persona = persona
        self.tray.set_persona(persona)
        self.pet.set_theme(self._theme(persona))
        if self.model_info is not None:
            self._use_persona_voice()
        self.bubble.clear()
        self.bubble.set_title(self._persona_name(persona))
        self.machine.chat_done()
        self._save_setting("persona", persona)
        target = self._persona(persona)
        if target is not None and target.greeting.get("en"):
            self.bubble.show_narration(
                target.greeting.get("en"), self._pet_rect(), self._screen_rect()
            )
        self.on_persona_changed.emit(persona)

    def show_settings(self) -> SettingsWindow:
        """Show the settings window (made on first use), in front."""
        if self.settings_window is None:
            window = SettingsWindow(
                self.settings, platform=self._platform, choices={"persona": self._persona_list}
            )
            window.on_setting_changed.connect(self._on_setting_changed)
            window.on_open_settings_file.connect(self.open_settings)
            window.on_rerun_onboarding.connect(self.rerun_onboarding)
            self.settings_window = window
        self._platform.bring_to_front(self.settings_window)
        return self.settings_window

    def _on_setting_changed(self, key: str, value) -> None:
        """A change made in the settings window (already saved): apply what can be applied
        live. Sampling, max_tokens, narration and quiet hours are read from the settings at
        each use; a new model loads now (the current one answers until it is ready); the
        context window takes effect at the next start."""
        if key == "thinking_default":
            self.tray.set_thinking(value)
        elif key == "do_not_disturb":
            self.tray.set_dnd(value)
        elif key == "bubble_fade_seconds":
            self.bubble.set_fade_seconds(value)
        elif key == "persona" and value in dict(self._persona_list()):
            self.set_persona(value)
        elif key == "model" and value and value != self.model_source:
            self._revert_model = self.model_source
            self.load_model(value)

    def _sync_settings_window(self) -> None:
        if self.settings_window is not None:
            self.settings_window.sync()
            self.settings_window.refresh_agents()

    def rerun_onboarding(self) -> None:
        """Onboarding again, from Settings: the model chosen there replaces the current one
        as soon as it has loaded (the current one keeps answering until then)."""
        self.start_onboarding()

    def open_settings(self) -> None:
        """Open settings.yaml in the owner's editor (created with every default, commented)."""
        try:
            path = self.settings.ensure_file()
        except OSError as exc:
            self.tray.notify("deskpet could not create its settings file", str(exc))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def _save_setting(self, key: str, value) -> None:
        try:
            self.settings.put(key, value)
        except (ParseRefused, OSError) as exc:
            log.warning("could not save %s: %s", key, exc)
            self.tray.notify("deskpet could not save a setting", str(exc))
        self._sync_settings_window()

    def _on_agent_action(self, action: str, agent: str) -> None:
        from deskpet.bridge import installers

        try:
            report = (
                installers.install(agent) if action == "install" else installers.uninstall(agent)
            )
            text = "\n".join(report.lines)
        except Exception as exc:
            text = str(exc)  # the installer's own words: a refused file, an unknown agent
        self.tray.notify("deskpet agents", text)
        self._sync_settings_window()

    # -- the agents ----------------------------------------------------------------------------

    def _on_agent_event(self, event: AgentEvent) -> None:
        if self._closed:
            return
        folded = self.sessions.feed(event)
        if folded is None:  # a duplicate from another channel, or nothing new
            return
        self.narrator.offer(folded)
        mood = self.sessions.mood()
        # A new bell or a finished turn of the session in charge shows again even when the
        # mood looks the same (a second permission request, a second finished turn).
        renewed = mood.session == folded.session and folded.kind in (
            ev.PERMISSION_REQUEST,
            ev.WAITING_FOR_OWNER,
            ev.TURN_COMPLETE,
        )
        self._show_mood(mood, renewed)
        if folded.kind in (ev.PERMISSION_REQUEST, ev.WAITING_FOR_OWNER):
            self._ring(folded)
        self._narrate_next()

    def _on_bridge_tick(self) -> None:
        """Once a second: the session watchdogs (hung, finished, forgotten) and narration."""
        if self._closed:
            return
        self._show_mood(self.sessions.mood())
        self._narrate_next()

    def _show_mood(self, mood: Mood, renewed: bool = False) -> None:
        key = (mood.state, mood.variant, mood.session)
        if key == self._mood_key and not renewed:
            return  # unchanged: never re-ring a bell the owner has already clicked away
        self._mood_key = key
        self.mood = mood
        self.machine.set_mood(mood.state, mood.variant if mood.state == WORKING else "")
        if mood.state in (PERMISSION, WAITING):
            self.attention = f"{speaker(mood.agent, mood.project)} needs you"
            self.tray.set_status(self.attention)
            self.tray.icon.setToolTip(self.attention)
        elif self.attention:
            self.attention = ""
            self.tray.set_status(self._status)
            self.tray.icon.setToolTip("deskpet")

    def _ring(self, event: AgentEvent) -> None:
        """An agent needs the owner: the bell animation is on; add sound and notification
        unless do-not-disturb is on."""
        line = f"{speaker(event.agent, event.project or self.mood.project)} needs you"
        self.on_bell.emit(line)
        if self.settings.do_not_disturb():
            return
        now = self._clock()
        if self._last_bell is None or now - self._last_bell >= BELL_GAP:
            self._last_bell = now
            try:
                self._platform.play_sound(bell_sound())
            except Exception as exc:  # a missing sound device is not worth a crash
                log.warning("could not ring the bell: %s", exc)
        if not self.pet.isVisible():
            self.tray.notify(line, event.message or "Waiting for you to answer.")

    def _narration_wanted(self) -> bool:
        return bool(self.settings.get("narration")) and not self.settings.do_not_disturb()

    def _narrate_next(self) -> None:
        """Ask the model for the next narration if it is free and the owner is not chatting."""
        if self._closed or not self._started or self.model_info is None:
            return
        if self._narration_id is not None or self._request is not None:
            return
        if self.bubble.answering or self.bubble.input.text() or not self.pet.isVisible():
            return
        request = self.narrator.next_request()
        if request is None:
            return
        self._narration = request
        # Narration speaks with the base model; the worker switches any adapter off for it.
        self._narration_id = self.worker.narrate(
            request.prompt,
            system_prompt=request.system_prompt,
            max_tokens=NARRATION_TOKENS,
            sampling=self._sampling_now(),
        )

    def _on_narration_finished(self, event: Finished) -> None:
        request, self._narration, self._narration_id = self._narration, None, None
        if request is None or event.reason not in ("stop", "length"):
            return  # preempted by the owner's chat or cancelled: that news has passed
        line = request.line(event.text)
        if not line or not self._narration_wanted():
            return
        self.bubble.show_narration(line, self._pet_rect(), self._screen_rect())
        self.on_narrated.emit(line)
