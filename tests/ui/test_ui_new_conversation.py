"""New conversation in the bubble: it asks first, then the persona's conversation is forgotten
by the worker (its transcript holds no old turn, so the next answer cannot remember them) and by
the history file (backed up first); an answer still on its way is not saved afterwards. On the
same chat: a LoRA given to the current persona is read afresh.

A real worker runs the tiny random model (its words mean nothing: the test reads the worker's
transcript and the history, never the text). The owner's answer to "Start a new conversation?"
is a patched QMessageBox.question (a modal dialog would block the test: the boundary)."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtWidgets import QMessageBox

from deskpet.history import History
from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import Failed
from deskpet.inference.worker import InferenceWorker
from deskpet.personas.manager import PersonaManager
from deskpet.personas.persona import shipped_dir
from deskpet.pet import PetMachine
from deskpet.settings import Settings
from deskpet.ui.brain import Brain
from deskpet.ui.bubble import ChatBubble
from deskpet.ui.chat_controller import ChatController
from deskpet.ui.relay import Relay

WAIT = 60_000


@pytest.fixture
def chat(qtbot, tmp_path, monkeypatch, tiny_model_dir):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DESKPET_HOME", str(home))
    (home / "settings.yaml").write_text("max_tokens: 6\n")
    relay = Relay()
    worker = InferenceWorker(relay.post).start()
    load = worker.load(tiny_model_dir, stream=True)
    assert not any(isinstance(e, Failed) for e in worker.events_for(load, timeout=120))
    bubble = ChatBubble(fade_seconds=0)
    settings = Settings()
    qtbot.addWidget(bubble)
    controller = ChatController(
        Brain(worker, relay),
        bubble,
        PetMachine(),
        History(),
        settings,
        PersonaManager(shipped=shipped_dir(), owner=home / "personas", current="deskpet"),
        sampling=Sampling.greedy(),
    )
    controller.model_ready("tiny")
    controller.worker, controller.relay, controller.bubble = worker, relay, bubble
    controller.owner_settings = settings
    yield controller
    controller.close()
    assert worker.shutdown()
    controller.history.close()


@pytest.fixture
def answer(monkeypatch):
    reply = {"button": QMessageBox.StandardButton.Yes, "asked": []}

    def question(_parent, title, text, *_args):
        reply["asked"].append(title)
        return reply["button"]

    monkeypatch.setattr(QMessageBox, "question", question)
    return reply


def say(qtbot, chat, text):
    """Send and wait until the worker is done with the request (its turn is saved by then)."""
    with qtbot.waitSignal(
        chat.relay.on_done, timeout=WAIT, check_params_cb=lambda rid: rid == request
    ):
        request = chat.send(text)


def transcript(chat):
    # Read after the worker is done with every request (waited for): nothing else touches it.
    record = chat.worker._conversations.get("deskpet")
    return record.transcript if record is not None else None


def reset(qtbot, chat):
    with qtbot.waitSignal(chat.relay.on_conversation_reset, timeout=WAIT):
        chat.bubble.new_action.trigger()


def test_new_conversation_asks_then_forgets_in_the_worker_and_the_history(qtbot, chat, answer):
    # GIVEN two saved turns with Pip
    say(qtbot, chat, "Hello there")
    say(qtbot, chat, "What did I just say?")
    assert len(chat.history.turns("deskpet")) == 2
    before = transcript(chat)
    assert len(before.turns) == 2
    system = list(before.system_tokens)
    # WHEN the owner presses New and answers No THEN nothing is forgotten
    answer["button"] = QMessageBox.StandardButton.No
    chat.bubble.new_action.trigger()
    assert answer["asked"] == ["Start a new conversation?"]
    assert len(chat.history.turns("deskpet")) == 2 and len(transcript(chat).turns) == 2
    # WHEN the owner answers Yes
    answer["button"] = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(chat.on_conversation_cleared, timeout=WAIT) as cleared:
        reset(qtbot, chat)
    assert cleared.args == ["deskpet"]
    # THEN the worker holds the system prompt alone, and the history nothing
    after = transcript(chat)
    assert after.turns == [] and after.tokens == system
    assert chat.history.turns("deskpet") == []
    # AND the history as it was is in the backup beside it
    backup = chat.history.path.with_name("history.sqlite3.deskpet-backup")
    db = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT COUNT(*) FROM messages WHERE persona = 'deskpet'").fetchone()
    finally:
        db.close()
    assert rows == (4,)
    # AND the next answer is read after the system prompt alone: one turn, no old one
    say(qtbot, chat, "Hello again")
    again = transcript(chat)
    assert len(again.turns) == 1 and again.tokens[: len(system)] == system
    start, _end = again.turns[0]
    assert start == len(system)
    assert [q for q, _a in chat.history.turns("deskpet")] == ["Hello again"]


def test_an_answer_on_its_way_is_stopped_and_not_saved(qtbot, chat, answer):
    # GIVEN a long answer being written: its first word is on screen, the rest on its way
    chat.owner_settings.put("max_tokens", 400)
    with qtbot.waitSignal(chat.relay.on_token, timeout=WAIT):
        request = chat.send("Tell me a long story")
    assert chat.answering and chat.request == request
    # WHEN the owner starts a new conversation before the rest arrives
    reset(qtbot, chat)
    qtbot.waitUntil(lambda: request not in chat._in_flight, timeout=WAIT)
    # THEN neither the history nor the worker keeps it
    assert chat.history.messages("deskpet") == []
    assert transcript(chat).turns == []


def test_a_lora_given_to_the_current_persona_is_read_afresh(qtbot, chat, tmp_path):
    """Not a new conversation, but the same chat on the tiny model: Settings → Personas gave
    the persona the pet talks as a new adapter file (twice, under the same name)."""
    from helpers.lora_files import peft_tensors, write_gguf_lora
    from helpers.tiny import TINY_MINICPM

    from deskpet.inference.model import ModelArgs
    from deskpet.inference.protocol import AdapterLoaded
    from deskpet.personas.importer import import_lora

    tiny = ModelArgs.from_dict(TINY_MINICPM)
    loaded = []
    chat.relay.on_event.connect(
        lambda e: loaded.append(e) if isinstance(e, AdapterLoaded) else None
    )
    for seed, rank in ((1, 2), (2, 4)):
        lora = write_gguf_lora(
            tmp_path / "voice.gguf", peft_tensors(tiny, rank, seed=seed), 4, tiny
        )
        import_lora(lora, chat.personas.get("deskpet"), chat.personas.owner_root)
        before = len(loaded)
        chat.persona_files_changed("deskpet")
        qtbot.waitUntil(lambda: len(loaded) > before, timeout=WAIT)  # noqa: B023 (waited here)
    # The same name and path both times: only a reload reads the new file.
    assert [(e.name, e.rank, e.cached) for e in loaded] == [
        ("deskpet", 2, False),
        ("deskpet", 4, False),
    ]
    qtbot.waitUntil(lambda: chat.worker.model_info()["active_adapter"] == "deskpet", timeout=WAIT)
