"""ChatController: the owner's chat with the pet, and who the pet is talking as.

    bubble ──on_send──▶ send ──Chat──▶ brain ──Token*, Finished | Failed, Done──▶ this request's
    handler ──▶ bubble (typing), PetMachine (thinking, talking), History (the finished turn)

One conversation per persona: its id is the persona's id. A persona switch cancels the answer
being written, gives the persona its voice (its adapter, between answers) and its greeting.
Each request's handler remembers its own question, so an answer replaced by a newer message or
by another persona is still saved with the words that asked for it, as the model keeps it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from deskpet import i18n
from deskpet.history import History, HistoryError
from deskpet.i18n import N_, tr
from deskpet.inference.demo import DEMO_SAMPLING
from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import Chat, Failed, Finished, RestoreConversation, Token
from deskpet.inference.source import DEMO
from deskpet.personas.manager import PersonaManager, UnknownPersonaError
from deskpet.pet import PetMachine
from deskpet.settings import Settings
from deskpet.ui.brain import Brain
from deskpet.ui.bubble import ChatBubble

log = logging.getLogger(__name__)

FALLBACK_GREETING = N_("Hello! I'm awake. Double-click me to chat.")


def open_history() -> tuple[History, str]:
    """The owner's saved chats, and "" or why they cannot be saved this time.

    A history that is locked, cannot be opened or comes from a newer deskpet stays untouched;
    the pet still chats, remembering this session only."""
    try:
        return History(), ""
    except HistoryError as exc:
        log.warning("%s", exc)
        return History(":memory:"), str(exc)


class ChatController(QObject):
    """Sends the owner's words to the brain and shows the answers; switches persona.

    Attributes:
        history: the saved conversations (deskpet.history.History).
        personas: the PersonaManager; its current persona is the one the pet talks as.
        request: the id of the answer being written, else None.
        model_source: the model answering ("demo" chooses the demo's sampling); set by the app.

    Signals:
        on_turn_saved(str): a question and its answer were written to the history (persona id).
        on_persona_changed(str): the pet now talks as this persona (its id).
    """

    on_turn_saved = Signal(str)
    on_persona_changed = Signal(str)

    def __init__(
        self,
        brain: Brain,
        bubble: ChatBubble,
        machine: PetMachine,
        history: History,
        settings: Settings,
        personas: PersonaManager,
        *,
        sampling: Sampling | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chat-controller")
        self._brain = brain
        self._bubble = bubble
        self._machine = machine
        self.history = history
        self._settings = settings
        self.personas = personas
        self._sampling = sampling  # fixed sampling (tests ask for greedy answers)
        self.request: int | None = None
        self.model_source = ""
        self._has_model = False
        self._closed = False
        bubble.on_send.connect(self.send)
        bubble.on_cancel.connect(self.cancel)

    # -- the persona ---------------------------------------------------------------------------

    @property
    def persona(self) -> str:
        current = self.personas.current
        return current.id if current is not None else "deskpet"

    def persona_name(self) -> str:
        current = self.personas.current
        return current.name.get(i18n.language()) if current is not None else self.persona

    def set_persona(self, persona_id: str) -> None:
        """Talk as another persona: its own conversation, voice and greeting."""
        if persona_id == self.persona:
            return
        try:
            self.personas.switch(persona_id)
        except UnknownPersonaError:
            log.warning("no persona %r to switch to", persona_id)
            return
        self.cancel()
        self.request = None
        if self._has_model:
            self._use_voice()
        self._bubble.clear()
        self._bubble.set_title(self.persona_name())
        self._machine.chat_done()
        greeting = self.personas.current.greeting.get(i18n.language())
        if greeting:
            self._bubble.show_narration(greeting)
        self.on_persona_changed.emit(self.persona)

    def model_ready(self, source: str) -> None:
        """A model was loaded: it holds no adapter yet, so the persona gets its voice back."""
        self.model_source = source
        self._has_model = True
        self._use_voice()

    def _use_voice(self) -> None:
        """Load (once) and activate the persona's adapter, or none, between answers."""
        try:
            plan = self.personas.plan()
        except UnknownPersonaError:
            return
        for request in plan.requests():
            self._brain.submit(request)

    def greet(self) -> str:
        """The persona says hello beside the pet (after the first launch); returns the line."""
        current = self.personas.current
        greeting = (current.greeting.get(i18n.language()) if current is not None else "") or tr(
            FALLBACK_GREETING
        )
        self._bubble.set_title(self.persona_name())
        self._bubble.show_narration(greeting)
        return greeting

    # -- the chat ------------------------------------------------------------------------------

    @property
    def answering(self) -> bool:
        return self.request is not None

    def busy(self) -> bool:
        """The owner is chatting: an answer is being written or read, or words are typed."""
        return self.answering or self._bubble.answering or self._bubble.has_draft()

    def open(self) -> None:
        """Open the bubble beside the pet, ready to type."""
        self._bubble.set_title(self.persona_name())
        self._bubble.open()

    def send(self, text: str) -> int:
        """Ask the model (the bubble has cancelled any answer in progress already)."""
        if self.request is not None:
            self._brain.cancel(self.request)
        if not self._bubble.answering:  # sent from elsewhere than the bubble's input line
            self._bubble.begin_answer(text)
        current = self.personas.current
        request = Chat(
            self.persona,
            text,
            think=self._settings.get("thinking_default"),
            sampling=self.sampling(),
            max_tokens=self._settings.get("max_tokens"),
            system_prompt=current.system_prompt if current is not None else None,
        )
        request_id = self._brain.submit(request, lambda event: self._on_event(text, event))
        self.request = request_id
        self._machine.chat_started()
        return request_id

    def cancel(self) -> None:
        if self.request is not None:
            self._brain.cancel(self.request)

    def sampling(self) -> Sampling:
        """How the model picks its words now: the demo model's own, else the persona's, else
        the owner's settings."""
        if self._sampling is not None:
            return self._sampling
        if self.model_source == DEMO:
            return DEMO_SAMPLING
        current = self.personas.current
        if current is not None:
            return current.generation_sampling()
        s = self._settings
        return Sampling(
            temperature=s.get("temperature"),
            top_p=s.get("top_p"),
            repetition_penalty=s.get("repetition_penalty"),
        )

    def restore_requests(self) -> list[RestoreConversation]:
        """Every persona's saved conversation, to give back to a newly loaded model."""
        requests = []
        for persona_id in self.history.personas():
            turns = self.history.turns(persona_id)
            if turns:
                requests.append(
                    RestoreConversation(persona_id, self._system_prompt(persona_id), turns)
                )
        return requests

    def _system_prompt(self, persona_id: str) -> str | None:
        try:
            return self.personas.get(persona_id).system_prompt
        except UnknownPersonaError:
            return None

    def close(self) -> None:
        """deskpet quits: what the brain still says changes nothing."""
        self._closed = True

    # -- what the brain says -------------------------------------------------------------------

    def _on_event(self, question: str, event: object) -> None:
        if self._closed:
            return
        current = event.request_id == self.request
        match event:
            case Token() if current:
                self._bubble.add_token(event.event.text, event.event.channel)
                if event.event.finish_reason is None:
                    self._machine.chat_token(thinking=event.event.channel == "reasoning")
            case Finished():
                if current:
                    self.request = None
                    self._bubble.finish(event.reason)
                    self._machine.chat_done()
                self._save(question, event)
            case Failed():
                log.warning("chat %d failed (%s): %s", event.request_id, event.kind, event.message)
                if current:
                    self.request = None
                    self._bubble.show_error(event.message, event.kind)
                    self._machine.chat_error()

    def _save(self, question: str, event: Finished) -> None:
        # The worker keeps whatever was written (even when cancelled, or replaced by a newer
        # message or another persona) in its transcript; the history keeps the same, so a
        # restart restores the conversation the model had.
        if not event.conversation or not (event.text or event.reasoning):
            return
        try:
            self.history.add_turn(event.conversation, question, event.text, event.reasoning)
        except Exception as exc:  # the chat goes on even if the disk does not
            log.warning("could not save the conversation: %s", exc)
            return
        self.on_turn_saved.emit(event.conversation)
