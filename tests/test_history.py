"""History: per-persona conversations in SQLite (WAL), atomic writes, corrupt files moved aside."""

from __future__ import annotations

import os
import sqlite3

import pytest

from deskpet.history import History, history_path


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path))
    return tmp_path


def test_round_trip_per_persona(home):
    history = History()
    assert history.path == home / "history.sqlite3" == history_path()
    history.add_turn("neko", "Hi?", "Meow.", reasoning="be a cat")
    history.add_turn("neko", "Capital of France?", "Paris.")
    history.add_turn("bolt", "Beep?", "Boop.")
    history.add("neko", "user", "unanswered")  # the app stopped mid-answer
    history.close()

    again = History()
    assert again.turns("neko") == [("Hi?", "Meow."), ("Capital of France?", "Paris.")]
    assert again.turns("neko", limit=1) == [("Capital of France?", "Paris.")]
    assert again.turns("bolt") == [("Beep?", "Boop.")]
    assert again.turns("sage") == []
    assert again.personas() == ["bolt", "neko"]
    assert again.messages("neko")[1].reasoning == "be a cat"
    again.clear("neko")
    assert again.turns("neko") == [] and again.turns("bolt")
    again.close()


def test_wal_mode_is_on(home):
    history = History()
    assert history.journal_mode == "wal"
    history.close()


def test_a_turn_is_written_whole_or_not_at_all(home):
    history = History()
    with pytest.raises(sqlite3.IntegrityError):
        history.add_turn("neko", "question", None)  # the answer breaks NOT NULL
    assert history.messages("neko") == []
    history.close()


def test_a_corrupt_file_is_moved_aside_byte_identical(home):
    path = home / "history.sqlite3"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)

    history = History()

    assert history.moved_to is not None and history.moved_to.exists()
    assert history.moved_to.name.startswith("history.sqlite3.corrupt-")
    assert history.moved_to.read_bytes() == garbage
    assert history.notice and history.moved_to.name in history.notice
    history.add_turn("deskpet", "Still there?", "Yes.")
    assert history.turns("deskpet") == [("Still there?", "Yes.")]
    history.close()
