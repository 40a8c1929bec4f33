"""History: per-persona conversations in SQLite (WAL), atomic writes, corrupt files moved aside."""

from __future__ import annotations

import os
import sqlite3

import pytest
from helpers.unchangeable import unchangeable

from deskpet.history import History, HistoryError, history_path


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


def test_a_locked_history_is_refused_not_moved_aside(home, monkeypatch):
    # GIVEN another program holding the file's lock WHEN deskpet opens it THEN it says so and
    # leaves the (healthy) file in place
    monkeypatch.setattr("deskpet.history.LOCK_TIMEOUT", 0.1)
    history = History()
    history.add_turn("neko", "Hi?", "Meow.")
    history.close()
    holder = sqlite3.connect(home / "history.sqlite3", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError, match="locked") as caught:
            History()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "\n" not in str(caught.value)
    assert sorted(p.name for p in home.iterdir() if ".corrupt-" in p.name) == []
    again = History()
    assert again.turns("neko") == [("Hi?", "Meow.")]
    again.close()


def test_a_history_that_cannot_be_opened_is_not_moved_aside(home):
    # "unable to open database file" is not corruption: the folder stays where it is.
    path = home / "history.sqlite3"
    path.mkdir()
    (path / "keep").write_text("mine")
    with pytest.raises(HistoryError, match="unable to open"):
        History()
    assert (path / "keep").read_text() == "mine"
    assert [p.name for p in home.iterdir() if ".corrupt-" in p.name] == []


def test_a_newer_schema_is_refused_and_left_byte_identical(home):
    path = home / "history.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE future (x)")
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="newer deskpet") as caught:
        History()
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    assert path.read_bytes() == before
    assert [p.name for p in home.iterdir() if ".corrupt-" in p.name] == []


def test_a_malformed_database_is_moved_aside(home):
    # A real SQLite file with a wrecked page (SQLITE_CORRUPT, not NOTADB) still goes aside.
    path = home / "history.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    db.commit()
    db.close()
    data = bytearray(path.read_bytes())
    data[4096:8192] = os.urandom(4096)  # page 2 (the first page is the header and schema)
    path.write_bytes(bytes(data))

    history = History()

    assert history.moved_to is not None and history.moved_to.read_bytes() == bytes(data)
    history.close()


def test_a_history_folder_that_cannot_be_made_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    # GIVEN deskpet's data folder cannot be made (the folder above it is unchangeable)
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setenv("DESKPET_HOME", str(locked / "d"))
    with unchangeable(locked), pytest.raises(HistoryError, match="cannot make its") as caught:
        History()
    assert "\n" not in str(caught.value)


def test_clearing_a_conversation_backs_the_history_up_first(home):
    history = History()
    history.add_turn("neko", "Hi?", "Meow.")
    history.add_turn("bolt", "Beep?", "Boop.")
    assert history.clear("sage") is None  # nothing to clear: nothing written
    assert not (home / "history.sqlite3.deskpet-backup").exists()
    backup = history.clear("neko")
    assert backup == home / "history.sqlite3.deskpet-backup"
    assert history.turns("neko") == [] and history.turns("bolt") == [("Beep?", "Boop.")]
    # The backup is a whole, readable history as it was before the clear.
    kept = History(backup)
    assert kept.turns("neko") == [("Hi?", "Meow.")] and kept.turns("bolt")
    kept.close()
    history.close()
    assert History(":memory:").clear("neko") is None
