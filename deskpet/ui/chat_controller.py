"""ChatController: the owner's chat with the pet, and who the pet is talking as.

    bubble ──on_send──▶ send ──Chat──▶ brain ──Token*, Finished | Failed, Done──▶ this request's
    handler ──▶ bubble (typing), PetMachine (thinking, talking), History (the finished turn)

One conversation per persona: its id is the persona's id. A persona switch cancels the answer
being written, gives the persona its voice (its adapter for the loaded base model, between
answers) and its greeting. An adapter still on the hub is fetched by `voices` (never on the
worker's thread); the persona speaks with its prompt until it is there.
Each request's handler remembers its own question, so an answer replaced by a newer message or
by another persona is still saved with the words that asked for it, as the model keeps it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox

from deskpet import i18n
from deskpet.history import History, HistoryError
from deskpet.i18n import N_, shown, tr
from deskpet.inference.demo import DEMO_SAMPLING
from deskpet.inference.download import format_bytes
from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import (
    Chat,
    Done,
    Failed,
    Finished,
    LoadAdapter,
    ResetConversation,
    RestoreConversation,
    Token,
)
from deskpet.inference.source import DEMO
from deskpet.personas.manager import PersonaManager, UnknownPersonaError
from deskpet.personas.thinking import Thinking, answer_budget, thinking_for
from deskpet.pet import PetMachine
from deskpet.settings import Settings
from deskpet.ui.adapter_download import VoiceDownloads
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
        return History(":memory:"), shown(exc)


class ChatController(QObject):
    """Sends the owner's words to the brain and shows the answers; switches persona.

    Attributes:
        history: the saved conversations (deskpet.history.History).
        personas: the PersonaManager; its current persona is the one the pet talks as.
        request: the id of the answer being written, else None.
        model_source: the model answering ("demo" chooses the demo's sampling); set by the app.
        model_thinks: whether that model can think (its template has think tokens).
        base: the known base model that answers (inference.bases), None when it is none.
        voices: the downloads of personas' hub adapters (VoiceDownloads).

    Signals:
        on_turn_saved(str): a question and its answer were written to the history (persona id).
        on_persona_changed(str): the pet now talks as this persona (its id).
        on_conversation_cleared(str): the owner started a persona's conversation afresh; the
            worker and the history have forgotten it (persona id).
    """

    on_turn_saved = Signal(str)
    on_persona_changed = Signal(str)
    on_conversation_cleared = Signal(str)

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
        self._unsaved: set[int] = set()  # answers of a forgotten conversation, still arriving
        self._in_flight: dict[int, str] = {}  # request id -> its conversation, until its end
        self.model_source = ""
        self.model_thinks = True
        self.base: str | None = None
        self._has_model = False
        self.voices = VoiceDownloads(parent=self)
        self._refused: dict[str, str] = {}  # persona id -> why the worker refused its adapter
        self.voices.on_planned.connect(self._voice_planned)
        self.voices.on_progress.connect(self._voice_progress)
        self.voices.on_ready.connect(self._voice_ready)
        self.voices.on_failed.connect(self._voice_failed)
        self.voices.on_cancelled.connect(self._voice_cancelled)
        self._closed = False
        self._talking_as = self.persona  # whose voice, name and greeting the pet has now
        bubble.on_send.connect(self.send)
        bubble.on_cancel.connect(self.cancel)
        bubble.on_new_conversation.connect(self.ask_new_conversation)

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
        self._talk_as_current()

    def persona_files_changed(self, persona_id: str) -> None:
        """A persona was imported, given an adapter or removed: the current persona gets its
        voice again, read afresh; if it was removed, the pet talks as the default one."""
        self.personas.reload()
        if self.persona != self._talking_as:  # the settings page reloads the same manager
            self._talk_as_current()
        elif persona_id == self.persona and self._has_model:
            self._use_voice(reload=True)

    def _talk_as_current(self) -> None:
        self._talking_as = self.persona
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

    def model_ready(self, source: str, base: str | None = None, thinks: bool = True) -> None:
        """A model was loaded (`base`: which known base it is, from the worker's ModelReady;
        `thinks`: its chat template has think tokens, the worker's model_info "thinking"): it
        holds no adapter yet, so the persona gets its voice back."""
        self.model_source = source
        self.base = base
        self.model_thinks = thinks
        self._has_model = True
        self._refused.clear()
        self._use_voice()

    def voice(self, persona_id: str) -> str:
        """The persona's voice with the loaded model, as the tray menu words it."""
        if persona_id == self.voices.persona_id and self.voices.running:
            if not self.voices.total:
                return tr("voice: downloading")
            percent = self.voices.done * 100 // self.voices.total
            return tr("voice: downloading {percent}%", percent=percent)
        try:
            plan = self.personas.plan(self.personas.get(persona_id), base=self.base)
        except UnknownPersonaError:
            return ""
        if persona_id in self._refused:
            return tr("voice: prompt only (its adapter was refused; see the log)")
        if plan.adapter_path is not None:  # a hub adapter says where it lies once downloaded
            return tr("voice: adapter {name}", name=Path(plan.adapter_path).name)
        return plan.voice.describe()

    def _use_voice(self, reload: bool = False) -> None:
        """Load (once, or afresh with `reload`) and activate the persona's adapter, or none,
        between answers. An adapter still on the hub starts downloading; meanwhile the persona
        speaks with its prompt."""
        try:
            plan = self.personas.plan(base=self.base)
        except UnknownPersonaError:
            return
        self._submit_voice(plan, reload)
        if plan.fetch is not None:
            self.voices.fetch(plan.persona.id, plan.fetch)

    def _submit_voice(self, plan, reload: bool = False) -> None:
        """The plan's LoadAdapter and SwitchAdapter; an adapter the worker refuses (its shapes,
        its sha256) leaves the persona on its prompt, and the menu says why."""
        self._refused.pop(plan.persona.id, None)
        for request in plan.requests():
            if isinstance(request, LoadAdapter):
                request.reload = reload
                self._brain.submit(request, lambda e, p=plan.persona.id: self._on_adapter(p, e))
            else:
                self._brain.submit(request)

    def _on_adapter(self, persona_id: str, event: object) -> None:
        if isinstance(event, Failed):
            log.warning("persona %s speaks with its prompt: %s", persona_id, event.message)
            self._refused[persona_id] = event.message

    def _voice_planned(self, persona_id: str, total: int, have: int) -> None:
        name, size = self.name_of(persona_id), format_bytes(total)
        if have:
            line = tr(
                "{persona}'s voice ({size}, {left} left) is downloading; until then it speaks "
                "with its prompt.",
                persona=name,
                size=size,
                left=format_bytes(total - have),
            )
        else:
            line = tr(
                "{persona}'s voice ({size}) is downloading; until then it speaks with its prompt.",
                persona=name,
                size=size,
            )
        self._bubble.show_narration(line)

    def _voice_progress(self, persona_id: str, done: int, total: int) -> None:
        if total and self._bubble.isVisible():
            self._bubble.show_note(
                tr(
                    "{persona}'s voice: {percent}% of {size}",
                    persona=self.name_of(persona_id),
                    percent=done * 100 // total,
                    size=format_bytes(total),
                )
            )

    def _voice_ready(self, persona_id: str, path: str) -> None:
        current = self.personas.current
        if not self._has_model or current is None or current.id != persona_id:
            return  # loaded when the persona is chosen again (the file is kept)
        plan = self.personas.plan(base=self.base)
        if plan.adapter_path is None:
            return  # another model meanwhile: this adapter is not for it
        self._submit_voice(plan)
        self._bubble.show_note(
            tr("{persona} now speaks with its own voice.", persona=self.name_of(persona_id))
        )

    def _voice_failed(self, persona_id: str, message: str) -> None:
        self._bubble.show_note(
            tr(
                "{persona}'s voice did not download ({why}); it speaks with its prompt.",
                persona=self.name_of(persona_id),
                why=message,
            )
        )

    def _voice_cancelled(self, persona_id: str) -> None:
        self._bubble.show_note(
            tr(
                "{persona}'s voice download stopped; it resumes when you choose {persona} again.",
                persona=self.name_of(persona_id),
            )
        )

    def name_of(self, persona_id: str) -> str:
        try:
            return self.personas.get(persona_id).name.get(i18n.language())
        except UnknownPersonaError:
            return persona_id

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
        request = self.request_for(text)
        request_id = self._brain.submit(request, lambda event: self._on_event(text, event))
        self._in_flight[request_id] = request.conversation
        self.request = request_id
        self._machine.chat_started()
        return request_id

    def thinking(self) -> Thinking:
        """Whether the next answer thinks first, and which persona holds thinking off."""
        return thinking_for(self._settings.get("thinking_default"), self.personas.current)

    def request_for(self, text: str) -> Chat:
        """The Chat request for the owner's words, as `send` submits it."""
        current = self.personas.current
        think = self.thinking().on
        return Chat(
            self.persona,
            text,
            think=think,
            sampling=self.sampling(),
            max_tokens=answer_budget(self._settings.get("max_tokens"), think, self.model_thinks),
            system_prompt=current.system_prompt if current is not None else None,
        )

    def cancel(self) -> None:
        if self.request is not None:
            self._brain.cancel(self.request)

    def ask_new_conversation(self) -> bool:
        """Ask the owner, then start the persona's conversation afresh. Returns whether it did."""
        answer = QMessageBox.question(
            self._bubble,
            tr("Start a new conversation?"),
            tr(
                "{persona} forgets this conversation: what you said and what it answered."
                " The saved history keeps a backup copy until the next time you do this.",
                persona=self.persona_name(),
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.new_conversation()
        return True

    def new_conversation(self) -> None:
        """Forget the current persona's conversation in the worker and in the history; an
        answer still on its way is stopped and not saved."""
        persona = self.persona
        self.cancel()
        self.request = None
        self._unsaved.update(r for r, conv in self._in_flight.items() if conv == persona)
        current = self.personas.current
        # After the cancelled answer (same priority: the worker keeps the order).
        self._brain.submit(
            ResetConversation(persona, current.system_prompt if current is not None else None)
        )
        self._bubble.clear()
        self._machine.chat_done()
        try:
            self.history.clear(persona)
        except Exception as exc:  # the chat goes on even if the disk does not
            log.warning("could not clear the saved conversation: %s", exc)
            self._bubble.show_note(tr("The saved history could not be cleared: {why}", why=exc))
        else:
            self._bubble.show_note(tr("New conversation."))
        self.on_conversation_cleared.emit(persona)

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
        """deskpet quits: what the brain still says changes nothing; a voice download stops
        (its bytes stay for the next run)."""
        self._closed = True
        self.voices.cancel()

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
                if event.request_id not in self._unsaved:  # else its conversation was forgotten
                    self._save(question, event)
            case Done():
                self._in_flight.pop(event.request_id, None)
                self._unsaved.discard(event.request_id)
            case Failed():
                log.warning("chat %d failed (%s): %s", event.request_id, event.kind, event.message)
                if current:
                    self.request = None
                    self._bubble.show_error(shown(event.message), event.kind)
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
