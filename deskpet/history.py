"""Conversations kept per persona in SQLite, so the pet remembers them across restarts.

One table of messages (persona, role, text, reasoning, created) in
`paths.data_dir() / "history.sqlite3"`, in WAL mode so a crash mid-write never loses what was
committed. Every write is one transaction: a turn (question and answer) lands whole or not at
all. A file SQLite cannot read is never deleted: it is moved aside as
`history.sqlite3.corrupt-YYYYmmdd-HHMMSS` (with its -wal/-shm files), a fresh database takes its
place, and `History.notice` says what happened so the UI can tell the owner. Only real corruption
moves a file: one that is locked, cannot be opened or was written by a newer deskpet is left as it
is and History() raises HistoryError (one line for the owner).

No Qt. Not thread-safe: one thread (the GUI's) owns a History.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from deskpet import paths
from deskpet.i18n import Said
from deskpet.safefile import atomic_write_bytes, backup_path

log = logging.getLogger(__name__)

FILE_NAME = "history.sqlite3"
SCHEMA_VERSION = 1
USER = "user"
ASSISTANT = "assistant"
# How many (question, answer) pairs go back to the model after a restart.
RESTORE_TURNS = 20
LOCK_TIMEOUT = 5.0  # seconds to wait for another program's lock before giving up

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    persona TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text TEXT NOT NULL,
    reasoning TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_persona ON messages (persona, id);
"""


def history_path() -> Path:
    return paths.data_dir() / FILE_NAME


class HistoryError(Exception):
    """The history file cannot be used and must not be moved (locked, unopenable, newer).

    The message is one line for the owner (a Said: English, and `i18n.shown` in the owner's
    language); the file was left as it is.
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            Said(
                "cannot use the chat history {path}: {reason}; left it as it is",
                path=path,
                reason=reason,
            )
        )
        self.path = path
        self.reason = reason


class _Corrupt(sqlite3.DatabaseError):
    """The file opened but failed the integrity check."""


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """Whether the file itself is damaged, as opposed to locked, unreadable or busy."""
    if isinstance(exc, _Corrupt):
        return True
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+, set by SQLite's own errors
    if code is not None:
        # The low byte is the primary code (SQLITE_CORRUPT_INDEX etc. extend SQLITE_CORRUPT).
        return code & 0xFF in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT)
    text = str(exc).lower()
    return "file is not a database" in text or "malformed" in text


@dataclass(frozen=True)
class Message:
    persona: str
    role: str
    text: str
    reasoning: str
    created: float


class History:
    """The owner's conversations, one thread of messages per persona.

    Attributes:
        path: the SQLite file.
        notice: a sentence for the owner when the file had to be moved aside, else None.
        moved_to: where a corrupt file went, else None.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else history_path()
        self.notice: str | None = None
        self.moved_to: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a folder deskpet may not change (left by `sudo deskpet`)
            raise HistoryError(
                self.path, Said("cannot make its folder ({why})", why=exc.strerror)
            ) from exc
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if not _is_corrupt(exc):
                # Locked or unopenable is not damage: moving a healthy history would lose it.
                raise HistoryError(self.path, " ".join(str(exc).split())) from exc
            self.moved_to = self._move_aside()
            self.notice = Said(
                "The chat history at {path} could not be read ({why}); it was moved to "
                "{moved} and a new history was started.",
                path=self.path,
                why=exc,
                moved=self.moved_to.name,
            )
            log.warning("%s", self.notice)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        # Transactions are explicit (isolation_level=None).
        db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT, isolation_level=None)
        try:
            # Reading the header is what fails on a file that is not a database.
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise _Corrupt(f"integrity check failed: {check and check[0]}")
            # Before anything writes (WAL, tables): a newer deskpet's file is not ours to change.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    self.path,
                    Said(
                        "it was written by a newer deskpet (schema {version}, this one reads up "
                        "to {known}); update deskpet",
                        version=version,
                        known=SCHEMA_VERSION,
                    ),
                )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no commit
            with _transaction(db):
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        return target

    # -- writing -------------------------------------------------------------------------------

    def add_turn(self, persona: str, question: str, answer: str, reasoning: str = "") -> None:
        """Save a question and its answer together (one transaction)."""
        now = time.time()
        with _transaction(self._db):
            self._insert(persona, USER, question, "", now)
            self._insert(persona, ASSISTANT, answer, reasoning, now)

    def add(self, persona: str, role: str, text: str, reasoning: str = "") -> None:
        with _transaction(self._db):
            self._insert(persona, role, text, reasoning, time.time())

    def _insert(self, persona: str, role: str, text: str, reasoning: str, created: float) -> None:
        self._db.execute(
            "INSERT INTO messages (persona, role, text, reasoning, created) VALUES (?, ?, ?, ?, ?)",
            (persona, role, text, reasoning, created),
        )

    def clear(self, persona: str) -> Path | None:
        """Forget one persona's conversation (one transaction). A copy of the whole history as
        it was goes first to `<file>.deskpet-backup`, written atomically and replaced at each
        clear, so the conversation cleared last can still be got back. Returns the backup
        (None when there was nothing to clear, or the history lives in memory only)."""
        if not self.messages(persona, limit=1):
            return None
        backup = None
        if str(self.path) != ":memory:":
            # serialize() is one consistent snapshot, the WAL's committed pages included.
            backup = backup_path(self.path)
            atomic_write_bytes(backup, self._db.serialize(), mode=0o600)
        with _transaction(self._db):
            self._db.execute("DELETE FROM messages WHERE persona = ?", (persona,))
        log.info("cleared one conversation; the history before it is in %s", backup)
        return backup

    # -- reading -------------------------------------------------------------------------------

    def messages(self, persona: str, limit: int | None = None) -> list[Message]:
        """The persona's last `limit` messages (all without a limit), oldest first."""
        rows = self._db.execute(
            "SELECT persona, role, text, reasoning, created FROM messages WHERE persona = ? "
            "ORDER BY id DESC LIMIT ?",
            (persona, -1 if limit is None else limit),
        ).fetchall()
        return [Message(*row) for row in reversed(rows)]

    def turns(self, persona: str, limit: int = RESTORE_TURNS) -> list[tuple[str, str]]:
        """The last `limit` (question, answer) pairs, oldest first, for RestoreConversation.

        A question without an answer (the app stopped mid-answer) is left out.
        """
        pairs: list[tuple[str, str]] = []
        question: str | None = None
        for message in self.messages(persona, limit=2 * limit + 1):
            if message.role == USER:
                question = message.text
            elif question is not None:
                pairs.append((question, message.text))
                question = None
        return pairs[-limit:] if limit else []

    def personas(self) -> list[str]:
        """Personas with at least one message."""
        rows = self._db.execute("SELECT DISTINCT persona FROM messages ORDER BY persona")
        return [row[0] for row in rows]

    @property
    def journal_mode(self) -> str:
        return self._db.execute("PRAGMA journal_mode").fetchone()[0]

    def close(self) -> None:
        self._db.close()


class _transaction:
    """BEGIN ... COMMIT, or ROLLBACK when the block raises."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, kind, _value, _tb) -> None:
        self._db.execute("ROLLBACK" if kind else "COMMIT")
