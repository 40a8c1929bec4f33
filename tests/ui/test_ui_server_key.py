"""The API key field in Settings saves off the GUI thread (ui/server_key.py): the real 0600 key
file in a temp DESKPET_HOME, behind a key store that takes its time or breaks. That store is
the boundary fake: on a Mac each save is a `security` run that may wait on a keychain prompt,
and there is no Mac here."""

from __future__ import annotations

import logging
import threading

from deskpet.platform import keychain
from deskpet.ui.server_key import ServerKeyEditor


class GatedKeychain(keychain.FileKeychain):
    """The real key file, each save held until the test lets it go (a keychain prompt)."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: list[threading.Event] = []
        self.writers: list[str] = []
        self.started = threading.Semaphore(0)

    def set(self, name, value):
        gate = threading.Event()
        self.gates.append(gate)
        self.writers.append(threading.current_thread().name)
        self.started.release()
        gate.wait(10)
        super().set(name, value)


class BrokenKeychain(keychain.FileKeychain):
    def set(self, name, value):
        raise keychain.KeychainError("the keychain refused to save the server_api_key (51)")


def saved_key(home) -> str | None:
    path = home / "secrets" / keychain.SERVER_KEY
    return path.read_text() if path.exists() else None


def save_while_stuck(editor, store: GatedKeychain, first: str, *later: str) -> None:
    """Save `first` and, while the keychain holds it, each of `later` in turn."""
    editor.field.setText(first)
    editor.save_button.click()
    assert store.started.acquire(timeout=5)
    for key in later:
        editor.field.setText(key)
        editor.save_button.click()


def test_saving_the_key_waits_on_the_keychain_off_the_gui_thread(qtbot, ui_home):
    store = GatedKeychain()
    editor = ServerKeyEditor(store)
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.field.placeholderText() == "none", timeout=5_000)
    editor.field.setText("sk-slow")
    # WHEN the owner saves while the keychain takes its time
    editor.save_button.click()
    # THEN the window goes on (the click returned) and says the key is on its way
    assert store.started.acquire(timeout=5)
    assert editor.note.text() == "Saving the key…" and editor.field.text() == "sk-slow"
    assert saved_key(ui_home) is None
    with qtbot.waitSignal(editor.on_saved, timeout=5_000) as saved:
        store.gates[-1].set()
    assert saved.args == [True] and saved_key(ui_home) == "sk-slow"
    assert store.writers == ["deskpet-key-save"]
    assert editor.field.text() == "" and editor.field.placeholderText().startswith("saved")
    assert "private file" in editor.note.text()


def test_a_key_that_cannot_be_saved_stays_in_the_field_and_is_one_line(qtbot, ui_home, caplog):
    editor = ServerKeyEditor(BrokenKeychain())
    qtbot.addWidget(editor)
    editor.field.setText("sk-precious")
    with caplog.at_level(logging.WARNING), qtbot.assertNotEmitted(editor.on_saved, wait=200):
        editor.save_button.click()
        qtbot.waitUntil(lambda: editor.note.text().startswith("Not saved"), timeout=5_000)
    # The owner reads why and still has the key to save again; the log has one line, no key.
    assert "refused to save" in editor.note.text()
    assert editor.field.text() == "sk-precious"
    lines = [r for r in caplog.records if "could not be saved" in r.getMessage()]
    assert len(lines) == 1 and "sk-precious" not in caplog.text


def test_a_late_save_never_overwrites_a_newer_one(qtbot, ui_home):
    store = GatedKeychain()
    editor = ServerKeyEditor(store)
    qtbot.addWidget(editor)
    # GIVEN a first save stuck in the keychain
    # WHEN the owner saves another key meanwhile, and only then the first one ends
    save_while_stuck(editor, store, "sk-old", "sk-new")
    saves: list[bool] = []
    editor.on_saved.connect(saves.append)
    store.gates[0].set()
    assert store.started.acquire(timeout=5)  # the newer save waited for the first to end
    qtbot.wait(100)
    # THEN the first one's answer changes nothing on screen
    assert editor.note.text() == "Saving the key…" and editor.field.text() == "sk-new"
    assert saves == [] and saved_key(ui_home) == "sk-old"
    store.gates[1].set()
    qtbot.waitUntil(lambda: saves == [True], timeout=5_000)
    # AND the key kept is the newer one
    assert saved_key(ui_home) == "sk-new" and editor.field.text() == ""


def test_a_save_replaced_before_it_ran_is_never_written(qtbot, ui_home):
    store = GatedKeychain()
    editor = ServerKeyEditor(store)
    qtbot.addWidget(editor)
    save_while_stuck(editor, store, "sk-a", "sk-b", "sk-c")
    store.gates[0].set()
    assert store.started.acquire(timeout=5)
    store.gates[1].set()
    qtbot.waitUntil(lambda: saved_key(ui_home) == "sk-c", timeout=5_000)
    qtbot.wait(100)
    # sk-b was replaced before its turn came: the keychain never saw it
    assert len(store.gates) == 2 and saved_key(ui_home) == "sk-c"
