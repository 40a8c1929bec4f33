"""AgentsController: the coding agents, as the pet lives with them.

    hooks ──▶ BridgeServer ─┐
    Codex rollouts ──▶ RolloutTailer ─┴─AgentEvent──▶ Relay (GUI thread) ──▶ SessionTracker
    SessionTracker ──Mood──▶ PetMachine; a bell (sound, tray line, notification) when one waits,
                   ├──▶ a soft chime when a turn finishes (Sounds: one cooldown, settings, DND)
                   └──▶ Narrator ──Narrate (when the owner is not chatting)──▶ brain ──▶ bubble

One pet per user: `start` takes the bridge's lock and socket first, and another pet holding the
lock (or listening on the socket) raises PetAlreadyRunning before anything is shown. Without the
socket (any other error: a data folder deskpet may not write, say) the pet still works: agents
just cannot reach it, and the owner is told why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from deskpet.bridge import events as ev
from deskpet.bridge import installers
from deskpet.bridge.codex_rollout import RolloutTailer
from deskpet.bridge.events import AgentEvent
from deskpet.bridge.narrator import DEFAULT_STYLE, NarrationRequest, Narrator, agent_name
from deskpet.bridge.server import BridgeError, BridgeServer, PetAlreadyRunning
from deskpet.bridge.sessions import PERMISSION, WAITING, WORKING, Mood, SessionTracker
from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import Failed, Finished, Narrate
from deskpet.pet import PetMachine
from deskpet.platform import DefaultPlatform
from deskpet.settings import Settings
from deskpet.ui.brain import Brain
from deskpet.ui.relay import Relay
from deskpet.ui.sounds import BELL, DONE, Sounds

log = logging.getLogger(__name__)

TICK_MS = 1000  # session watchdogs and the narration queue
NARRATION_TOKENS = 60
ROLLOUT_POLL_SECONDS = 1.0


def speaker(agent: str, project: str) -> str:
    """ "Claude · myproject": who an agent line is about."""
    name = agent_name(agent)
    return f"{name} · {project}" if project else name


class AgentsController(QObject):
    """Listens to the agents, folds their sessions into the pet's mood, rings and narrates.

    Attributes:
        bridge: the BridgeServer listening for agent hooks (None when it could not listen or
            before `start`).
        rollouts: the RolloutTailer following Codex's session files (None before `start`).
        sessions: the SessionTracker folding agent sessions into one mood.
        sounds: the bell and the done chime, behind one cooldown and the owner's settings.
        narrator: the Narrator turning finished agent turns into narration requests.
        mood: the agent Mood the pet was last told.
        attention: "Claude · myproject needs you" while an agent waits for the owner, else "".

    Signals:
        on_attention(str): the attention line changed ("" once nobody waits any more).
        on_bell(str): an agent needs the owner (the attention line); sent in DND too.
        on_narrated(str): a narration line was shown in the bubble.
        on_notice(str, str): something the owner should read (title, text).
    """

    on_attention = Signal(str)
    on_bell = Signal(str)
    on_narrated = Signal(str)
    on_notice = Signal(str, str)

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
        self._mood_key: tuple[str, str, str] | None = None
        self.sounds = Sounds(settings, platform.play_sound, clock=clock)
        self._narration: int | None = None  # the narration being written
        self._closed = False
        self._tick = QTimer(self)
        self._tick.setObjectName("bridge-clock")
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self.tick)
        relay.on_agent_event.connect(self.feed)

    # -- lifetime ------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen for hooks and follow Codex's files. Raises PetAlreadyRunning if another pet
        answers on the socket; any other trouble is a notice and the pet goes on without."""
        server = BridgeServer(self._relay.post)
        try:
            server.start()
        except PetAlreadyRunning:
            raise
        except (BridgeError, OSError) as exc:  # the pet still works; agents cannot reach it
            log.warning("agent bridge off: %s", exc)
            self.on_notice.emit("deskpet cannot hear your agents", str(exc))
        else:
            self.bridge = server
        self.repair_hooks()
        self.rollouts = RolloutTailer(self._relay.post)
        self.rollouts.start(ROLLOUT_POLL_SECONDS)
        self._tick.start()

    def repair_hooks(self) -> None:
        """Re-point deskpet's hook entries at this deskpet and the owner's choices (the hook's
        command line carries "Start with an agent"); what changed is a notice."""
        lines = installers.repair()  # never raises
        if lines:
            self.on_notice.emit("deskpet agents", "\n".join(lines))

    def stop(self) -> None:
        self._closed = True
        self._tick.stop()
        if self.bridge is not None:
            self.bridge.stop()
        if self.rollouts is not None:
            self.rollouts.stop()

    # -- the owner's hand ----------------------------------------------------------------------

    def acknowledged(self) -> None:
        """The owner clicked the ringing pet: say what rang, in case they missed the tray."""
        if self.attention:
            message = f": {self.mood.message}" if self.mood.message else ""
            self._say(self.attention + message)

    def change_hooks(self, action: str, agent: str) -> None:
        """Install or uninstall an agent's hooks (the tray's menu); the report is a notice."""
        try:
            if action == "install":
                report = installers.install(agent)
            else:
                report = installers.uninstall(agent)
            text = "\n".join(report.lines)
        except Exception as exc:  # the installer's own words: a refused file, an unknown agent
            log.warning("could not %s the %s hooks: %s", action, agent, exc)
            text = str(exc)
        self.on_notice.emit("deskpet agents", text)

    # -- the agents ----------------------------------------------------------------------------

    def feed(self, event: AgentEvent) -> None:
        """One agent event, on the GUI thread."""
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
        elif folded.kind == ev.TURN_COMPLETE:
            self.sounds.play(DONE)
        self.narrate_next()

    def tick(self) -> None:
        """Once a second: the session watchdogs (hung, finished, forgotten) and narration."""
        if self._closed:
            return
        self._show_mood(self.sessions.mood())
        self.narrate_next()

    def _show_mood(self, mood: Mood, renewed: bool = False) -> None:
        key = (mood.state, mood.variant, mood.session)
        if key == self._mood_key and not renewed:
            return  # unchanged: never re-ring a bell the owner has already clicked away
        self._mood_key = key
        self.mood = mood
        self._machine.set_mood(mood.state, mood.variant if mood.state == WORKING else "")
        if mood.state in (PERMISSION, WAITING):
            self.attention = f"{speaker(mood.agent, mood.project)} needs you"
            self.on_attention.emit(self.attention)
        elif self.attention:
            self.attention = ""
            self.on_attention.emit("")

    def _ring(self, event: AgentEvent) -> None:
        """An agent needs the owner: the bell animation is on; add sound and notification
        unless do-not-disturb is on."""
        line = f"{speaker(event.agent, event.project or self.mood.project)} needs you"
        self.on_bell.emit(line)
        if self._settings.do_not_disturb():
            return
        self.sounds.play(BELL)
        if not self._pet_visible():
            self.on_notice.emit(line, event.message or "Waiting for you to answer.")

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
