"""AgentsController: the coding agents, as the pet lives with them.

    hooks ──▶ BridgeServer ─┐
    Codex rollouts ──▶ RolloutTailer ─┴─AgentEvent──▶ Relay (GUI thread) ──▶ SessionTracker
    SessionTracker ──Mood──▶ PetMachine; a bell (sound, tray line, notification) when one waits,
                   ├──▶ a soft chime when a turn finishes (Sounds: one cooldown, settings, DND)
                   └──▶ Narrator ──Narrate (when the owner is not chatting)──▶ brain ──▶ bubble
    permission requests ──▶ PermissionCards ──click──▶ BridgeServer.decide ──▶ the waiting hook

A permission card closes when its session moves on (the tool ran or failed, the turn ended, a
new prompt, the session ended) or its hook hangs up (answered in the terminal, timed out).

One pet per user: `start` takes the bridge's lock and socket first, and another pet holding the
lock (or listening on the socket) raises PetAlreadyRunning before anything is shown. Without the
socket (any other error: a data folder deskpet may not write, say) the pet still works: agents
just cannot reach it, and the owner is told why.

The same one-second tick watches the agents' config files (HooksWatch): when another program
rewrites one without deskpet's hooks, the pet says so once and offers Reconnect; it never puts
them back by itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from deskpet.bridge import events as ev
from deskpet.bridge import installers
from deskpet.bridge import terminal as term
from deskpet.bridge.agents import long_name
from deskpet.bridge.codex_rollout import RolloutTailer
from deskpet.bridge.events import AgentEvent
from deskpet.bridge.hooks_watch import HooksWatch
from deskpet.bridge.narrator import DEFAULT_STYLE, NarrationRequest, Narrator, agent_name
from deskpet.bridge.server import BridgeError, BridgeServer, PetAlreadyRunning
from deskpet.bridge.sessions import (
    PERMISSION,
    WAITING,
    WORKING,
    Mood,
    SessionTracker,
    SessionView,
)
from deskpet.i18n import shown, tr
from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import Failed, Finished, Narrate
from deskpet.pet import BUSY_SESSIONS, PetMachine
from deskpet.platform import DefaultPlatform
from deskpet.settings import Settings
from deskpet.ui.brain import Brain
from deskpet.ui.permission_cards import PermissionCards, Request
from deskpet.ui.relay import Relay
from deskpet.ui.sounds import BELL, DONE, Sounds

log = logging.getLogger(__name__)

TICK_MS = 1000  # session watchdogs and the narration queue
NARRATION_TOKENS = 60
ROLLOUT_POLL_SECONDS = 1.0
# Codex's session files showed it working this long without one of its hooks reaching the
# pet: its hooks are installed but do not run (not trusted yet, most often).
SILENT_HOOKS_SECONDS = 60.0


def speaker(agent: str, project: str) -> str:
    """ "Claude · myproject": who an agent line is about."""
    name = agent_name(agent)
    return f"{name} · {project}" if project else name


def lost_title(agent: str) -> str:
    """The notice's title when another program removed an agent's hooks."""
    return tr("{agent} no longer tells deskpet what it does", agent=long_name(agent))


class AgentsController(QObject):
    """Listens to the agents, folds their sessions into the pet's mood, rings and narrates;
    brings a session's terminal forward when asked (`go_to_terminal`).

    Attributes:
        bridge: the BridgeServer listening for agent hooks (None when it could not listen or
            before `start`).
        rollouts: the RolloutTailer following Codex's session files (None before `start`).
        sessions: the SessionTracker folding agent sessions into one mood.
        sounds: the bell and the done chime, behind one cooldown and the owner's settings.
        narrator: the Narrator turning finished agent turns into narration requests.
        mood: the agent Mood the pet was last told.
        attention: "Claude · myproject needs you" while an agent waits for the owner, else "".
        about: what the bridge adds to its answer to `deskpet doctor` (the app sets it: the
            model in use); called on the bridge thread, so it only reads.

    Signals:
        on_attention(str): the attention line changed ("" once nobody waits any more).
        on_bell(str): an agent needs the owner (the attention line); sent in DND too.
        on_narrated(str): a narration line was shown in the bubble.
        on_notice(str, str): something the owner should read (title, text).
        on_jumped(object): a "Go to terminal" finished (its `JumpResult`); a failure is also
            said in the bubble.
        on_lost_hooks(list): the agents whose hooks another program removed, waiting for the
            owner's Reconnect ([] once none are).
        on_silent_hooks(str): an agent works (its session files say so) but its installed
            hooks never reach the pet; sent once per agent per run.
    """

    on_attention = Signal(str)
    on_bell = Signal(str)
    on_narrated = Signal(str)
    on_notice = Signal(str, str)
    on_jumped = Signal(object)
    _jump_done = Signal(object)
    on_lost_hooks = Signal(list)
    on_silent_hooks = Signal(str)
    _request_closed = Signal(str)  # from the bridge thread: a waiting hook hung up

    def __init__(
        self,
        relay: Relay,
        brain: Brain,
        machine: PetMachine,
        settings: Settings,
        platform: DefaultPlatform,
        *,
        say: Callable[[str], None],
        may_speak: Callable[[], bool],
        pet_visible: Callable[[], bool],
        style: Callable[[], str],
        sampling: Callable[[], Sampling],
        clock: Callable[[], float] = time.monotonic,
        cards: PermissionCards | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("agents-controller")
        self._relay = relay
        self._brain = brain
        self._machine = machine
        self._settings = settings
        self._platform = platform
        self._say = say
        self._may_speak = may_speak
        self._pet_visible = pet_visible
        self._style = style
        self._sampling = sampling
        self._clock = clock
        self.bridge: BridgeServer | None = None
        self.rollouts: RolloutTailer | None = None
        self.sessions = SessionTracker(clock=clock)
        self.narrator = Narrator(
            style=lambda: self._style() or DEFAULT_STYLE, enabled=self.narration_wanted, clock=clock
        )
        self.mood = Mood()
        self.attention = ""
        self.about: Callable[[], dict] = dict
        self.hooks_watch = HooksWatch()
        self.lost_hooks: list[str] = []
        self._working_since: dict[str, float] = {}  # agent -> first rollout event, no hook yet
        self._hooks_heard: set[str] = set()
        self._mood_key: tuple[str, str, str, bool] | None = None
        self.sounds = Sounds(settings, platform.play_sound, clock=clock)
        self._narration: int | None = None  # the narration being written
        self._closed = False
        self._jumping = False
        # Queued: the jump's thread hands its result to the GUI thread.
        self._jump_done.connect(self._on_jump_done, Qt.ConnectionType.QueuedConnection)
        self._tick = QTimer(self)
        self._tick.setObjectName("bridge-clock")
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self.tick)
        relay.on_agent_event.connect(self.feed)
        self.cards = cards
        if cards is not None:
            cards.on_decided.connect(self.decide)
            self._request_closed.connect(cards.close_request, Qt.ConnectionType.QueuedConnection)

    # -- lifetime ------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen for hooks and follow Codex's files. Raises PetAlreadyRunning if another pet
        answers on the socket; any other trouble is a notice and the pet goes on without."""
        server = BridgeServer(self._relay.post)
        server.permission_wait = self.card_wait
        server.on_request_closed = self._request_closed.emit
        server.about = lambda: self.about()
        try:
            server.start()
        except PetAlreadyRunning:
            raise
        except (BridgeError, OSError) as exc:  # the pet still works; agents cannot reach it
            log.warning("agent bridge off: %s", exc)
            self.on_notice.emit(tr("deskpet cannot hear your agents"), str(exc))
        else:
            self.bridge = server
        self.repair_hooks()
        self.hooks_watch.poll()  # learns what is there now
        self.rollouts = RolloutTailer(self._relay.post)
        self.rollouts.start(ROLLOUT_POLL_SECONDS)
        self._tick.start()

    def repair_hooks(self) -> None:
        """Re-point deskpet's hook entries at this deskpet and the owner's choices (the hook's
        command line carries "Start with an agent"); what changed is a notice."""
        lines = installers.repair()  # never raises
        if lines:
            self.on_notice.emit(tr("deskpet agents"), "\n".join(map(shown, lines)))

    def stop(self) -> None:
        self._closed = True
        self._tick.stop()
        if self.bridge is not None:
            self.bridge.stop()
        if self.rollouts is not None:
            self.rollouts.stop()
        if self.cards is not None:
            self.cards.clear()

    # -- the owner's hand ----------------------------------------------------------------------

    def acknowledged(self) -> None:
        """The owner clicked the ringing pet: say what rang, in case they missed the tray."""
        if self.attention:
            message = f": {self.mood.message}" if self.mood.message else ""
            self._say(self.attention + message)

    def go_to_terminal(self, session: str) -> None:
        """Bring the terminal a session runs in to the front (cards, session rows, tray).

        Runs on a thread of its own: tmux and the Mac's scripting may take a moment, and a
        first AppleScript use waits for the owner's permission. One jump at a time.
        """
        if self._closed or self._jumping:
            return
        self._jumping = True
        found = self.sessions.terminal(session)
        thread = threading.Thread(
            target=self._jump, args=(found,), name="go-to-terminal", daemon=True
        )
        thread.start()

    def go_to_waiting_terminal(self) -> None:
        """Go to the terminal of the session that waits for the owner (the tray's line)."""
        if self.attention and self.mood.session:
            self.go_to_terminal(self.mood.session)

    def _jump(self, found: term.Terminal | None) -> None:
        try:
            result = term.jump(found, app=self._platform.go_to_terminal_app)
        except Exception as exc:  # whatever happens there, the GUI hears back
            log.warning("go to terminal failed: %s", exc)
            result = term.JumpResult(False, "something went wrong")
        self._jump_done.emit(result)

    @Slot(object)
    def _on_jump_done(self, result: term.JumpResult) -> None:
        self._jumping = False
        if self._closed:
            return
        if not result.ok:
            log.info("go to terminal: %s", result.message)
            self._say(tr("I can't go to that terminal: {why}", why=result.message))
        self.on_jumped.emit(result)

    def change_hooks(self, action: str, agent: str) -> None:
        """Install or uninstall an agent's hooks (the tray's menu); the report is a notice."""
        try:
            if action == "install":
                report = installers.install(agent)
            else:
                report = installers.uninstall(agent)
            text = "\n".join(map(shown, report.lines))
        except Exception as exc:  # the installer's own words: a refused file, an unknown agent
            log.warning("could not %s the %s hooks: %s", action, agent, exc)
            text = shown(exc)
        self.hooks_watch.poll()  # deskpet's own change is no news
        if agent in self.lost_hooks:
            self.lost_hooks.remove(agent)
            self.on_lost_hooks.emit(list(self.lost_hooks))
        self.on_notice.emit(tr("deskpet agents"), text)

    # -- permission cards ----------------------------------------------------------------------

    def cards_wanted(self) -> bool:
        return (
            self.cards is not None
            and bool(self._settings.get("permission_cards"))
            and not self._settings.do_not_disturb()
        )

    def card_wait(self, _event: AgentEvent) -> float:
        """Seconds a permission request's hook should wait for a click; 0: no card (do not
        disturb, cards off). Called on the bridge thread: it only reads settings."""
        if self._closed or not self.cards_wanted():
            return 0.0
        return float(self._settings.get("permission_wait_seconds"))

    def decide(self, request: str, decision: str) -> None:
        """The owner clicked a card: "allow", "deny" or an "always allow" choice's index."""
        if self.bridge is None:
            return
        answer: str | int = int(decision) if decision.isdigit() else decision
        try:
            sent = self.bridge.decide(request, answer)
        except ValueError as exc:
            log.warning("a permission card sent no decision: %s", exc)
            return
        if not sent:
            log.info("a permission request was answered elsewhere before the click")

    def _update_cards(self, event: AgentEvent) -> None:
        """Show the cards an event asks for; close those of a session that moved on."""
        if self.cards is None:
            return
        who = speaker(event.agent, event.project)
        ask = event.ask
        if ask is not None and ask.request:
            self.cards.show_request(Request.from_event(event, who))
            return
        asks_owner = (ask is not None and ask.kind == "question") or (
            event.kind == ev.WAITING_FOR_OWNER and event.detail == "elicitation_dialog"
        )
        if asks_owner:
            if self.cards_wanted():
                self.cards.show_request(Request.from_event(event, who))
            return
        if event.kind in (ev.TOOL_END, ev.TOOL_FAILED):
            self.cards.close_session(event.session, event.tool.name if event.tool else "")
        elif event.kind in (ev.PROMPT, ev.TURN_COMPLETE, ev.TURN_FAILED, ev.SESSION_END):
            self.cards.close_session(event.session)

    def reconnect(self, agent: str) -> None:
        """The owner's Reconnect: put the agent's hooks back after another program took them."""
        self.change_hooks("install", agent)

    def watch_hooks(self) -> None:
        """Say once when another program removed deskpet's hooks from an agent's file."""
        for agent in self.hooks_watch.poll():
            name = long_name(agent)
            log.info("%s lost deskpet's hooks", agent)
            if agent not in self.lost_hooks:
                self.lost_hooks.append(agent)
                self.on_lost_hooks.emit(list(self.lost_hooks))
            self.on_notice.emit(
                lost_title(agent),
                tr(
                    "Another program rewrote {agent}'s settings without deskpet's hooks. "
                    "Click here, or choose Reconnect {agent} in deskpet's menu, to put them back.",
                    agent=name,
                ),
            )

    def notice_clicked(self, title: str) -> None:
        """The owner clicked a notice: a lost-hooks one means Reconnect (the owner's choice)."""
        for agent in list(self.lost_hooks):
            if title == lost_title(agent):
                self.reconnect(agent)

    # -- the agents ----------------------------------------------------------------------------

    def feed(self, event: AgentEvent) -> None:
        """One agent event, on the GUI thread."""
        if self._closed:
            return
        if event.source == "hook":
            self._hooks_heard.add(event.agent)
            self._working_since.pop(event.agent, None)
        elif event.source == "rollout" and event.agent not in self._hooks_heard:
            self._working_since.setdefault(event.agent, self._clock())
        self._update_cards(event)
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
        elif folded.kind == ev.TURN_COMPLETE and not self.sessions.headless(folded):
            self.sounds.play(DONE)  # a headless run (codex exec) has nobody to tell
        self.narrate_next()

    def tick(self) -> None:
        """Once a second: the session watchdogs (hung, finished, forgotten) and narration."""
        if self._closed:
            return
        self._show_mood(self.sessions.mood())
        self.narrate_next()
        self.watch_hooks()
        self._watch_silence()

    def _watch_silence(self) -> None:
        """Once per agent: working for a while by its session files, never by its hooks,
        though they are installed."""
        now = self._clock()
        for agent, since in list(self._working_since.items()):
            if now - since < SILENT_HOOKS_SECONDS:
                continue
            del self._working_since[agent]
            self._hooks_heard.add(agent)  # asked once: never again this run
            try:
                installed = installers.status(agent).installed
            except Exception as exc:  # an unreadable file is the doctor's to explain
                log.warning("%s: cannot read its hooks' status: %s", agent, exc)
                installed = True
            if installed:
                log.info("%s works but its hooks never reached the pet", agent)
                self.on_silent_hooks.emit(agent)

    def live_sessions(self) -> list[SessionView]:
        """The sessions the owner sits at, most urgent first (the sessions list, the tray)."""
        return self.sessions.live()

    def _show_mood(self, mood: Mood, renewed: bool = False) -> None:
        busy = mood.state == WORKING and mood.working >= BUSY_SESSIONS
        key = (mood.state, mood.variant, mood.session, busy)
        if key == self._mood_key and not renewed:
            return  # unchanged: never re-ring a bell the owner has already clicked away
        self._mood_key = key
        self.mood = mood
        variant = mood.variant if mood.state == WORKING else ""
        self._machine.set_mood(mood.state, variant, working_sessions=mood.working)
        if mood.state in (PERMISSION, WAITING):
            self.attention = tr("{agent} needs you", agent=speaker(mood.agent, mood.project))
            self.on_attention.emit(self.attention)
        elif self.attention:
            self.attention = ""
            self.on_attention.emit("")

    def _ring(self, event: AgentEvent) -> None:
        """An agent needs the owner: the bell animation is on; add sound and notification
        unless do-not-disturb is on."""
        line = tr(
            "{agent} needs you", agent=speaker(event.agent, event.project or self.mood.project)
        )
        self.on_bell.emit(line)
        if self._settings.do_not_disturb():
            return
        self.sounds.play(BELL)
        if not self._pet_visible():
            self.on_notice.emit(line, event.message or tr("Waiting for you to answer."))

    # -- narration -----------------------------------------------------------------------------

    def narration_wanted(self) -> bool:
        return bool(self._settings.get("narration")) and not self._settings.do_not_disturb()

    def narrate_next(self) -> None:
        """Ask the model for the next narration if it is free and the owner is not chatting."""
        if self._closed or self._narration is not None or not self._may_speak():
            return
        request = self.narrator.next_request()
        if request is None:
            return
        # Narration speaks with the base model; the worker switches any adapter off for it.
        narrate = Narrate(
            request.prompt,
            system_prompt=request.system_prompt,
            max_tokens=NARRATION_TOKENS,
            sampling=self._sampling(),
        )
        self._narration = self._brain.submit(narrate, lambda e: self._on_narration(request, e))

    def _on_narration(self, request: NarrationRequest, event: object) -> None:
        if self._closed:
            return
        match event:
            case Finished():
                self._narration = None
                if event.reason not in ("stop", "length"):
                    return  # preempted by the owner's chat or cancelled: that news has passed
                line = request.line(event.text)
                if line and self.narration_wanted():
                    self._say(line)
                    self.on_narrated.emit(line)
            case Failed():
                self._narration = None
                log.warning("narration failed (%s): %s", event.kind, event.message)
