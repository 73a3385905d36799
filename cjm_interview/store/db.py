"""All SQL of the project: sessions, answers, tags, notes, audit log.

Each write is its own short ``BEGIN IMMEDIATE`` transaction committed before
the call returns, with ``synchronous=FULL`` in WAL mode: an answer the
participant saw accepted survives a crash or a pulled plug. Several kiosks
may write to one file; writers wait (busy timeout) and retry rather than
surface "database is locked" to a participant.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import time
import urllib.parse
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cjm_interview.config import default_db
from cjm_interview.domain import Answer, AnswerKey, Script, SessionInfo, Tag
from cjm_interview.errors import CjmError
from cjm_interview.files import not_a_regular_file
from cjm_interview.store.schema import APPLICATION_ID, SCHEMA_VERSION

# How long a writer waits for another kiosk's transaction (CJM_BUSY_TIMEOUT_MS overrides).
BUSY_TIMEOUT_MS = int(os.environ.get("CJM_BUSY_TIMEOUT_MS") or 15_000)
WRITE_RETRIES = 8
STATUSES = ("in_progress", "finished", "abandoned", "ended_early")


class StoreError(CjmError):
    """The database cannot be used as asked; the message says why and what to do."""


class StoreBusy(StoreError):
    """Another program held the write lock for longer than this store waits: try again later."""


class SessionErased(StoreError):
    """The session was erased (``sessions delete``) while a screen still had it open."""


def utc_now() -> str:
    """Current time as ISO 8601 UTC with milliseconds."""
    return utc_iso(datetime.now(UTC))


def utc_iso(moment: datetime) -> str:
    """A UTC time as the store writes times (ISO 8601, milliseconds, "Z")."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as it stands in the database."""

    id: int
    answer: Answer


# Sessions whose participant did not decline or withdraw consent (table alias ``s``): the
# only ones on a map, in a table or in a figure.
CONSENTED = "(s.consent IS NULL OR s.consent != 0)"


def grade_text(score: float | None) -> str:
    """A grade as the audit log writes it: to two decimals at most, never "-0"."""
    return f"{round(float(score or 0.0), 2) + 0.0:g}"


def open_store(
    path: str | Path | None = None,
    must_exist: bool = False,
    clock: Callable[[], str] = utc_now,
    check_schema: bool | None = None,
) -> Store:
    """Open (and create or migrate) a database, turning SQLite failures into clear errors.

    ``check_schema`` (default: whenever the file was there before, whether it
    is read or recorded into) compares the file's schema with what the
    migrations build.
    """
    return Store(
        Path(path) if path is not None else default_db(),
        must_exist=must_exist,
        clock=clock,
        check_schema=check_schema,
    )


@dataclass(frozen=True)
class Purge:
    """Whether erased text is gone from the file and its write-ahead log."""

    done: bool
    wal_bytes: int
    free_pages: int

    def describe(self, path: Path) -> str:
        """One sentence for the person who asked for the erasure."""
        if self.done:
            return "database vacuumed: no erased text is left in the file or its log"
        left = []
        if self.wal_bytes:
            left.append(f"{path}-wal ({self.wal_bytes:,} bytes)")
        left.append(f"old pages of {path}")
        return (
            "NOT yet purged: another program is reading the database, so erased text is "
            f"still in {' and '.join(left)}. Close every program using the file, then run "
            f"`cjm db purge --db {path}` (`cjm db check --db {path}` tells whether anything "
            "is left)"
        )


def _erased(conn: sqlite3.Connection, session_id: str) -> bool:
    """Whether the file's tombstones name the session."""
    found = conn.execute("SELECT 1 FROM erased_sessions WHERE session_id = ?", (session_id,))
    return found.fetchone() is not None


def _empty_file(path: Path) -> bool:
    """Whether ``path`` holds nothing, not even in a write-ahead log beside it."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0)


class Store:
    """One study database."""

    def __init__(
        self,
        path: str | Path,
        must_exist: bool = False,
        clock: Callable[[], str] = utc_now,
        check_schema: bool | None = None,
    ) -> None:
        path = Path(path)
        self.path = path
        """The database file."""
        existed = False
        self.must_exist = must_exist
        """Opened to be read (a command given the file), not to record into."""
        self.clock = clock
        """Source of timestamps (frozen in tests)."""
        self.write_retries = WRITE_RETRIES
        """Tries of a write while another writer holds the lock (see ``set_patience``)."""
        if str(path) != ":memory:":
            try:
                path.exists()
            except OSError as exc:
                raise StoreError(
                    f"{path}: cannot access ({exc.strerror})",
                    "Check the path and its folders' permissions, or use another --db.",
                ) from None
            if must_exist and not path.exists():
                raise StoreError(
                    f"{path}: no such database",
                    "Check the path, or run an interview first to create it.",
                )
            if path.exists() and (why := not_a_regular_file(path, "database")):
                raise StoreError(why, "Give the path of a database file with --db.")
            if must_exist and _empty_file(path):
                # A command that reads would otherwise turn it into an empty study.
                raise StoreError(
                    f"{path}: the file is empty (0 bytes), not an interview database",
                    "Check the path; an interview with --db on it starts a study there.",
                )
            if not path.exists() and not path.parent.exists():
                raise StoreError(f"{path}: folder {path.parent} does not exist")
            _refuse_links(path)
            existed = path.exists()
            if not existed:
                create_database(path)
        # A file that was there before may come from elsewhere: a trigger planted
        # in it would copy or rewrite every answer recorded into it, and a view in
        # place of a table would hang the screen, so it is checked (about 20 ms).
        self.check_schema = existed if check_schema is None else check_schema
        """Compare the file's schema with the migrations' before using it."""
        self.read_only = self._cannot_write()
        """True when the file cannot be written (nothing can be saved in it)."""
        try:
            if self.read_only:
                self.conn = _open_read_only(path)
            else:
                self.conn = _open(path)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open database ({exc})") from None
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise _explain(path, exc, opening=True) from None
        self._opened = self._identify()
        """The file this connection writes to, as opened (see ``_still_in_place``)."""
        self._page_size = int(self.conn.execute("PRAGMA page_size").fetchone()[0] or 1)

    # ------------------------------------------------------------ opening
    def _prepare(self) -> None:
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if str(self.path) != ":memory:" and app_id == 0 and version == 0 and _half_built(conn):
            self._rebuild_half_built()
            return
        if app_id not in (0, APPLICATION_ID) or (
            app_id == 0 and tables and "sessions" not in tables
        ):
            raise StoreError(
                f"{self.path} is an SQLite database of another program, not an interview database",
                "Choose another file with --db.",
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was created by a newer version of cjm-interview "
                f"(schema {version}, this version knows {SCHEMA_VERSION})",
                "Upgrade cjm-interview to open it; the file was not changed.",
            )
        if self.check_schema and tables:
            from cjm_interview.store.check import applied_migrations, check_schema

            known = version or len(applied_migrations(conn) or [])
            # Rows are read and merged, not recorded into: their scan (a second for a
            # thousand sessions) is for the commands that read a file they are given.
            check_schema(conn, self.path, known, rows=self.must_exist)
        if self.read_only:
            if version < SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} is read-only and needs an upgrade first",
                    "Make the file writable, or copy it somewhere writable.",
                )
            return
        journal = self._to_wal()
        if journal != "wal":
            conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = FULL")
        if version < SCHEMA_VERSION:
            self._retry(lambda: self._migrate())

    def _to_wal(self) -> str:
        """Put the file in WAL mode, waiting (busy timeout) while another program keeps it
        out of it.

        A merge leaves WAL mode while it copies; SQLite refuses the switch at once rather
        than wait for it, and the command that opened the file stopped with "locked for
        too long" within a second.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        delay = 0.05
        while True:
            try:
                return str(self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _rebuild_half_built(self) -> None:
        # A creation interrupted by an older release left a file with the
        # migrations' bookkeeping and no data: build it again, whole.
        if self.read_only:
            raise StoreError(
                f"{self.path} holds only the start of a database (its creation was "
                "interrupted) and no answers",
                "Delete it, or make it writable so that it can be built again.",
            )
        self.conn.close()
        create_database(self.path, replace=True)
        self.conn = _open(self.path)
        self._prepare()

    def _cannot_write(self) -> bool:
        if str(self.path) == ":memory:" or not self.path.exists():
            return False
        # WAL also needs to create -wal and -shm files beside the database.
        parent = self.path.resolve().parent
        return not os.access(self.path, os.W_OK) or not os.access(parent, os.W_OK)

    def _migrate(self) -> None:
        # sqlite-utils is only needed to migrate: importing it lazily keeps the
        # interview's start-up short.
        from sqlite_utils import Database

        from cjm_interview.store.migrations import migrations

        migrations.apply(Database(self.conn, execute_plugins=False))
        self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _identify(self) -> tuple[int, int] | None:
        """Which file the path names now ((device, inode); None when nothing is written)."""
        if str(self.path) == ":memory:" or self.read_only:
            return None
        return file_identity(self.path)

    def _still_in_place(self) -> None:
        """Refuse a write once the path no longer names the database file opened.

        SQLite keeps writing through the files it holds open: into a file deleted,
        renamed or put aside by another in its place, every answer would be taken
        and lost (or laid over the other study when its log is read), and so would
        one written after the file was emptied.
        """
        if self._opened is None:
            return
        path = self.path
        if self._moved():
            raise _Moved(
                f"{path} was moved, deleted or replaced by another file while it was open: "
                "the last change was not saved",
                "Nothing more is written to it. Put the study back where it was, or open "
                "it again where it is now (an interview goes on with --resume).",
            )
        # Told by its size alone: this process must never open and close the file itself
        # while SQLite holds it open. Closing any descriptor of a file drops every POSIX
        # lock the process holds on it, SQLite's among them; another program closing the
        # study then took itself for the last one and deleted the log this connection
        # was still writing into: the answers after it were invisible to others and lost
        # to a crash. A database is whole pages; emptied or overwritten, it is not.
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0
        if size == 0 or size % self._page_size:
            raise StoreError(
                f"{path} was emptied or overwritten by another program while it was open: "
                "the last change was not saved",
                "Nothing more is written to it. Restore the study from a backup or a kiosk copy.",
            )

    def _moved(self) -> bool:
        opened = self._opened
        return opened is not None and file_identity(self.path) != opened

    def _keep_log_to_itself(self) -> None:
        """Copy this connection's log into its own file (wherever it is now) and empty it.

        The log keeps the name it had beside the path: left full, it is read as the log
        of whatever file is put there, laying this study's pages over another's.
        """
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def flush_log(self) -> None:
        """Move the answers the log holds into the database file itself, as far as no reader
        still needs them, without waiting for one. Called as each participant leaves: a copy
        of the file alone, without its ``-wal`` (what people copy from a kiosk that is still
        running), then holds every session that has ended; SQLite itself waits for about
        4 MB of log, dozens of interviews."""
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        if self._moved():  # SQLite leaves its log behind for a file that moved
            self._keep_log_to_itself()
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ writing
    def set_patience(self, busy_timeout_ms: int, retries: int) -> None:
        """How long a write waits for another writer's lock before StoreBusy.

        An interactive screen waits briefly and tries again later rather than
        freeze; a batch job keeps the defaults (15 s, 8 tries).
        """
        self.conn.execute(f"PRAGMA busy_timeout = {max(0, int(busy_timeout_ms))}")
        self.write_retries = max(1, retries)

    def _retry(self, action: Callable[[], Any]) -> Any:
        delay = 0.05
        retries = self.write_retries
        for attempt in range(retries):
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if _busy(exc) and attempt < retries - 1:
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                raise _explain(self.path, exc) from None
            except sqlite3.DatabaseError as exc:
                raise _explain(self.path, exc) from None
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self.read_only:
            raise StoreError(
                f"{self.path} is read-only: nothing can be saved in it",
                "Make the file and its folder writable, or use another --db.",
            )
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            self._still_in_place()  # last, just before the commit
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, _Moved):
                self._keep_log_to_itself()
            raise
        else:
            conn.execute("COMMIT")

    def write(self, action: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``action`` in one durable transaction, retrying while another writer has the lock."""

        def attempt() -> Any:
            with self._transaction() as conn:
                return action(conn)

        return self._retry(attempt)

    # ------------------------------------------------------------ scripts & sessions
    def save_script(self, script: Script) -> None:
        """Keep the script source, so merges and exports know every question."""
        source = script.source

        def action(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO scripts (sha256, script_id, version, title, perspective, "
                "path, source, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    script.sha256,
                    script.id,
                    script.version,
                    script.title.get("en"),
                    script.perspective,
                    str(script.path),
                    source,
                    self.clock(),
                ),
            )

        self.write(action)

    def create_session(
        self,
        script: Script,
        info: SessionInfo,
        tagger: str = "",
        session_id: str | None = None,
        redact: Sequence[str] | None = None,
    ) -> str:
        """Start a session; returns its uuid.

        ``redact``, when given, overrides the script's personal-data setting for
        this session; it is kept (in the audit log) so that resuming applies it too.
        """
        self.save_script(script)
        sid = session_id or str(uuid.uuid4())
        now = self.clock()
        row = {
            "id": sid,
            "script_id": script.id,
            "script_version": script.version,
            "script_sha256": script.sha256,
            "perspective": info.perspective,
            "participant": info.participant or None,
            "segment": info.segment or None,
            "persona": info.persona or None,
            "language": info.language,
            "interviewer": info.interviewer or None,
            "kiosk": info.kiosk or None,
            "device": info.extra.get("device") or os.uname().nodename,
            "status": "in_progress",
            "consent": None,
            "tagger": tagger or None,
            "started_at": info.extra.get("started_at") or now,
            "updated_at": now,
            "finished_at": None,
        }

        def action(conn: sqlite3.Connection) -> None:
            cols = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            conn.execute(f"INSERT INTO sessions ({cols}) VALUES ({marks})", tuple(row.values()))
            actor = info.interviewer or info.kiosk or "participant"
            self._audit(conn, sid, actor, "session.start")
            if redact is not None:
                self._audit(conn, sid, actor, "session.redact", new_value=",".join(redact))

        self.write(action)
        return sid

    def set_status(self, session_id: str, status: str, actor: str = "") -> None:
        """Mark a session finished, abandoned, ended early or in progress again."""
        if status not in STATUSES:
            raise ValueError(status)
        now = self.clock()

        def action(conn: sqlite3.Connection) -> None:
            self._require_session(conn, session_id)
            old = conn.execute("SELECT status FROM sessions WHERE id = ?", (session_id,)).fetchone()
            finished = now if status != "in_progress" else None
            conn.execute(
                "UPDATE sessions SET status = ?, updated_at = ?, finished_at = ? WHERE id = ?",
                (status, now, finished, session_id),
            )
            self._audit(
                conn,
                session_id,
                actor,
                "session.status",
                old_value=old[0] if old else None,
                new_value=status,
            )

        self.write(action)

    def update_session(self, session_id: str, **fields: Any) -> None:
        """Change descriptive fields of a session (tagger, consent, segment ...)."""
        allowed = {"tagger", "consent", "segment", "persona", "participant", "language"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot update {bad}")
        if not fields:
            return
        now = self.clock()

        def action(conn: sqlite3.Connection) -> None:
            self._require_session(conn, session_id)
            sets = ", ".join(f"{k} = ?" for k in fields)
            conn.execute(
                f"UPDATE sessions SET {sets}, updated_at = ? WHERE id = ?",
                (*fields.values(), now, session_id),
            )

        self.write(action)

    def _require_session(self, conn: sqlite3.Connection, session_id: str) -> None:
        """Refuse a write to a session that is not in the file (erased since it was opened)."""
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone():
            return
        if _erased(conn, session_id):
            raise SessionErased(
                "this interview was erased from the database and can take no more answers",
                "Nothing more of it is saved; the answers already erased stay erased.",
            )
        raise StoreError(f"no session {session_id} in {self.path}")

    # ------------------------------------------------------------ answers
    def save_answers(
        self,
        session_id: str,
        answers: Sequence[tuple[Answer, str, str | None]],
        answered_by: str = "",
        off_path: Collection[AnswerKey] | None = None,
        seen: int | None = None,
    ) -> list[int]:
        """Store answers (with their section id and map field) in one transaction.

        A new revision of an answer keeps the older ones (``is_current = 0``)
        and writes an audit entry with the old and new values. ``off_path``,
        when given, are the session's answers that no longer apply (see
        ``mark_off_path``), flagged in the same transaction. ``seen``, when
        given, is the session's newest answer row (``last_answer_id``) the
        caller knows: a newer one was written by another window or program,
        and these answers, given without knowing it, are refused.
        """
        now = self.clock()

        def action(conn: sqlite3.Connection) -> list[int]:
            self._require_session(conn, session_id)
            if seen is not None and self._last_answer_id(conn, session_id) != seen:
                raise StoreError(
                    "this interview was changed in another window or program since this "
                    "screen last saved it; saving here would write over what was given there",
                    "Close this screen and resume the interview to go on from what is saved.",
                )
            ids = []
            for answer, section_id, maps_to in answers:
                ids.append(
                    self._insert_answer(
                        conn, session_id, answer, section_id, maps_to, answered_by, now
                    )
                )
            conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))
            if off_path is not None:
                self._mark_off_path(conn, session_id, off_path)
            return ids

        result: list[int] = self.write(action)
        return result

    def last_answer_id(self, session_id: str) -> int:
        """The session's newest answer row (0 when none)."""
        return self._last_answer_id(self.conn, session_id)

    @staticmethod
    def _last_answer_id(conn: sqlite3.Connection, session_id: str) -> int:
        row = conn.execute(
            "SELECT coalesce(max(id), 0) FROM answers WHERE session_id = ?", (session_id,)
        ).fetchone()
        return int(row[0])

    def mark_off_path(self, session_id: str, off_path: Collection[AnswerKey]) -> None:
        """Flag the session's current answers that no longer apply (``applies = 0``), and
        only those: an answer that applies again is unflagged. Maps and views skip them."""
        self.write(lambda conn: self._mark_off_path(conn, session_id, off_path))

    def drop_withdrawn(self, session_id: str, keys: Collection[AnswerKey]) -> int:
        """Delete every revision of these answers of a participant who declined, with their
        tags, vectors, notes and log entries; how many answers went. While the interview
        ran they were kept, as inapplicable, in case of a change of mind."""
        self.conn.execute("PRAGMA secure_delete = ON")  # freed cells are zeroed, not kept
        return int(self.write(lambda conn: self._drop_withdrawn(conn, session_id, keys)))

    def _drop_withdrawn(
        self, conn: sqlite3.Connection, session_id: str, keys: Collection[AnswerKey]
    ) -> int:
        if not keys:
            return 0
        pairs = ", ".join("(?, ?)" for _ in keys)
        where = f"session_id = ? AND (question_id, step) IN (VALUES {pairs})"
        args = (session_id, *(part for key in keys for part in (key.question_id, key.iteration)))
        dropped = self._delete_told(conn, session_id, where, args)["answers"]
        if dropped:
            self._audit(conn, session_id, "", "answers.withdrawn", new_value=str(dropped))
        return dropped

    @staticmethod
    def _delete_told(
        conn: sqlite3.Connection, session_id: str, where: str, args: Sequence[object]
    ) -> dict[str, int]:
        """Delete what a session told that ``where`` picks (a condition on the columns that
        answers, notes and the log share): its answers, their tags and vectors, the notes
        and the log entries. Counts of each."""
        ids = f"SELECT id FROM answers WHERE {where}"
        counts = {
            "tags": conn.execute(f"DELETE FROM tags WHERE answer_id IN ({ids})", args).rowcount,
            "embeddings": conn.execute(
                f"DELETE FROM embeddings WHERE answer_id IN ({ids})", args
            ).rowcount,
            "answers": conn.execute(f"DELETE FROM answers WHERE {where}", args).rowcount,
            "notes": conn.execute(f"DELETE FROM notes WHERE {where}", args).rowcount,
        }
        # The log is append-only but for erasures: its entries held the words.
        conn.execute("INSERT INTO erasure_in_progress (session_id) VALUES (?)", (session_id,))
        counts["audit entries"] = conn.execute(
            f"DELETE FROM audit_log WHERE {where}", args
        ).rowcount
        conn.execute("DELETE FROM erasure_in_progress WHERE session_id = ?", (session_id,))
        return counts

    def off_path(self, session_id: str) -> set[AnswerKey]:
        """The session's current answers flagged as no longer applying."""
        rows = self.conn.execute(
            "SELECT question_id, step FROM answers WHERE session_id = ? AND is_current = 1 "
            "AND applies = 0",
            (session_id,),
        )
        return {AnswerKey(question_id, step) for question_id, step in rows}

    @staticmethod
    def _mark_off_path(
        conn: sqlite3.Connection, session_id: str, off_path: Collection[AnswerKey]
    ) -> None:
        conn.execute(
            "UPDATE answers SET applies = 1 WHERE session_id = ? AND is_current = 1 "
            "AND applies = 0",
            (session_id,),
        )
        conn.executemany(
            "UPDATE answers SET applies = 0 WHERE session_id = ? AND question_id = ? "
            "AND step = ? AND is_current = 1",
            [(session_id, key.question_id, key.iteration) for key in off_path],
        )

    def _insert_answer(
        self,
        conn: sqlite3.Connection,
        session_id: str,
        answer: Answer,
        section_id: str,
        maps_to: str | None,
        answered_by: str,
        now: str,
    ) -> int:
        key = answer.key
        previous = conn.execute(
            "SELECT id, revision, raw_text, value_json FROM answers WHERE session_id = ? AND "
            "question_id = ? AND step = ? AND is_current = 1",
            (session_id, key.question_id, key.iteration),
        ).fetchone()
        revision = previous[1] + 1 if previous else 1
        if previous:
            conn.execute("UPDATE answers SET is_current = 0 WHERE id = ?", (previous[0],))
        value_json = _json(answer.value)
        cursor = conn.execute(
            "INSERT INTO answers (session_id, question_id, section_id, maps_to, step, revision, "
            "is_current, raw_text, value_json, skipped, answered_at, answered_by) "
            "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
            (
                session_id,
                key.question_id,
                section_id,
                maps_to,
                key.iteration,
                revision,
                answer.raw,
                value_json,
                int(answer.skipped),
                now,
                answered_by or None,
            ),
        )
        answer_id = int(cursor.lastrowid or 0)
        self._audit(
            conn,
            session_id,
            answered_by,
            "answer.revise" if previous else ("answer.skip" if answer.skipped else "answer"),
            key.question_id,
            key.iteration,
            old_value=previous[3] if previous else None,
            new_value=value_json,
            at=now,
        )
        if answer.tags:
            self._insert_tags(conn, answer_id, answer.tags, now)
        return answer_id

    def answer_id(self, session_id: str, key: AnswerKey) -> int | None:
        """Id of the current answer for a key."""
        row = self.conn.execute(
            "SELECT id FROM answers WHERE session_id = ? AND question_id = ? AND step = ? "
            "AND is_current = 1",
            (session_id, key.question_id, key.iteration),
        ).fetchone()
        return int(row[0]) if row else None

    # ------------------------------------------------------------ tags
    def _insert_tags(
        self, conn: sqlite3.Connection, answer_id: int, tags: Sequence[Tag], now: str
    ) -> None:
        conn.executemany(
            "INSERT INTO tags (answer_id, kind, label, score, source, source_version, status, "
            "decided_by, decided_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    answer_id,
                    t.kind,
                    t.label,
                    t.score,
                    t.source,
                    t.version,
                    "added" if t.source == "person" else "suggested",
                    t.source if t.source == "person" else None,
                    now if t.source == "person" else None,
                    now,
                )
                for t in tags
            ],
        )

    def save_tags(
        self,
        answer_id: int,
        tags: Sequence[Tag],
        embedding: bytes | None = None,
        embedding_model: str | None = None,
    ) -> None:
        """Store a tagger's suggestions for an answer, replacing earlier machine suggestions."""
        now = self.clock()

        def action(conn: sqlite3.Connection) -> None:
            conn.execute(
                "DELETE FROM tags WHERE answer_id = ? AND status = 'suggested'", (answer_id,)
            )
            self._insert_tags(conn, answer_id, tags, now)
            if embedding is not None and embedding_model:
                conn.execute(
                    "INSERT OR REPLACE INTO embeddings (answer_id, model, dim, vector, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (answer_id, embedding_model, len(embedding) // 4, embedding, now),
                )

        self.write(action)

    def decide_tag(
        self,
        tag_id: int,
        status: str,
        person: str,
        label: str | None = None,
        score: float | None = None,
    ) -> None:
        """A person accepts, removes, corrects (relabels) or restores (undoes a removal of) a tag.

        A grade is corrected by its ``score`` (0-10), the number it holds. A restored tag is
        as it was before its removal: ``added`` if a person gave it, ``accepted`` if a person
        had accepted it, else ``suggested`` again, as no one decided on it (an undo is not an
        acceptance).
        """
        if status not in ("accepted", "removed", "corrected", "restored"):
            raise ValueError(status)
        now = self.clock()

        def action(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT t.label, t.kind, a.session_id, a.question_id, a.step, t.answer_id, "
                "t.score, t.source, t.status FROM tags t JOIN answers a ON a.id = t.answer_id "
                "WHERE t.id = ?",
                (tag_id,),
            ).fetchone()
            if row is None:
                raise StoreError(f"no tag {tag_id}")
            old_label, kind, session_id, qid, step, answer_id, old_score, source, was = row
            if kind == "grade" and status == "corrected" and score is None:
                raise StoreError("a grade is corrected by its number")
            # A grade is told by its number: every grade tag's label is "grade".
            shown = f"grade:{grade_text(old_score)}" if kind == "grade" else f"{kind}:{old_label}"
            said = shown
            told = f"grade:{grade_text(score)}" if kind == "grade" and score is not None else None
            new_status = status
            decider: str | None = person
            decided: str | None = now
            if status == "removed":
                said = f"{shown} ({was})"  # what an undo brings back
            if status == "accepted" and source == "person":
                new_status = "added"  # a person's own tag stays theirs when accepted again
            if status == "restored":
                # As before this tag's removal, the one just recorded; an undo accepts nothing.
                # (Grades were once logged as "grade:grade": a removal logged so counts too.)
                removal = conn.execute(
                    "SELECT old_value FROM audit_log WHERE session_id = ? AND question_id = ? "
                    "AND step IS ? AND action = 'tag.removed' AND new_value IN (?, ?) "
                    "ORDER BY id DESC LIMIT 1",
                    (session_id, qid, step, shown, f"{kind}:{old_label}"),
                ).fetchone()
                if source == "person":
                    new_status = "added"
                elif removal and str(removal[0]).endswith(" (accepted)"):
                    new_status = "accepted"
                else:
                    new_status, decider, decided = "suggested", None, None
            if status == "corrected":
                # The wrong suggestion stays, marked; the person's label is a new tag.
                conn.execute(
                    "UPDATE tags SET status = 'corrected', decided_by = ?, decided_at = ? "
                    "WHERE id = ?",
                    (person, now, tag_id),
                )
                conn.execute(
                    "INSERT INTO tags (answer_id, kind, label, score, source, source_version, "
                    "status, decided_by, decided_at, created_at) VALUES (?, ?, ?, ?, 'person', '', "
                    "'added', ?, ?, ?)",
                    (
                        answer_id,
                        kind,
                        old_label if kind == "grade" else label,
                        score if kind == "grade" else 1.0,
                        person,
                        now,
                        now,
                    ),
                )
            else:
                conn.execute(
                    "UPDATE tags SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                    (new_status, decider, decided, tag_id),
                )
            self._audit(
                conn,
                session_id,
                person,
                f"tag.{status}",
                qid,
                step,
                old_value=said,
                new_value=told or (f"{kind}:{label}" if label else shown),
                at=now,
            )

        self.write(action)

    def add_tag(
        self, answer_id: int, kind: str, label: str, person: str, score: float = 1.0
    ) -> None:
        """A person adds a tag the tagger missed."""
        now = self.clock()

        def action(conn: sqlite3.Connection) -> None:
            self._insert_tags(conn, answer_id, [Tag(kind, label, score, "person")], now)
            conn.execute("UPDATE tags SET decided_by = ? WHERE id = last_insert_rowid()", (person,))
            row = conn.execute(
                "SELECT session_id, question_id, step FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
            if row:
                self._audit(
                    conn,
                    row[0],
                    person,
                    "tag.added",
                    row[1],
                    row[2],
                    new_value=f"{kind}:{label}",
                    at=now,
                )

        self.write(action)

    def tags_of(self, answer_id: int, include_removed: bool = False) -> list[dict[str, Any]]:
        """Tags of an answer with their ids and status."""
        where = "" if include_removed else " AND status NOT IN ('removed', 'corrected')"
        rows = self.conn.execute(
            "SELECT id, kind, label, score, source, source_version, status, decided_by FROM tags "
            f"WHERE answer_id = ?{where} ORDER BY kind, score DESC, id",
            (answer_id,),
        ).fetchall()
        keys = ("id", "kind", "label", "score", "source", "source_version", "status", "decided_by")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # ------------------------------------------------------------ notes & audit
    def add_note(
        self, session_id: str, text: str, author: str, key: AnswerKey | None = None
    ) -> int:
        """A private interviewer note, optionally about one question or step."""
        now = self.clock()

        def action(conn: sqlite3.Connection) -> int:
            self._require_session(conn, session_id)
            cur = conn.execute(
                "INSERT INTO notes (session_id, question_id, step, text, author, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    key.question_id if key else None,
                    key.iteration if key else None,
                    text,
                    author,
                    now,
                ),
            )
            return int(cur.lastrowid or 0)

        result: int = self.write(action)
        return result

    def notes(self, session_id: str) -> list[dict[str, Any]]:
        """Notes of a session in the order they were written."""
        rows = self.conn.execute(
            "SELECT id, question_id, step, text, author, created_at FROM notes "
            "WHERE session_id = ? ORDER BY id",
            (session_id,),
        ).fetchall()
        keys = ("id", "question_id", "step", "text", "author", "created_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def _audit(
        self,
        conn: sqlite3.Connection,
        session_id: str | None,
        actor: str,
        action: str,
        question_id: str | None = None,
        step: int | None = None,
        old_value: str | None = None,
        new_value: str | None = None,
        at: str | None = None,
    ) -> None:
        conn.execute(
            "INSERT INTO audit_log (session_id, at, actor, action, question_id, step, old_value, "
            "new_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                at or self.clock(),
                actor or None,
                action,
                question_id,
                step,
                old_value,
                new_value,
            ),
        )

    # ------------------------------------------------------------ reading
    def load_answers(self, session_id: str) -> list[Answer]:
        """Current answers of a session with their tags (what a resume needs)."""
        rows = self.conn.execute(
            "SELECT id, question_id, step, raw_text, value_json, skipped, revision FROM answers "
            "WHERE session_id = ? AND is_current = 1 ORDER BY id",
            (session_id,),
        ).fetchall()
        tag_rows = self.conn.execute(
            "SELECT t.answer_id, t.kind, t.label, t.score, t.source, t.source_version FROM tags t "
            "JOIN answers a ON a.id = t.answer_id WHERE a.session_id = ? AND a.is_current = 1 "
            "AND t.status NOT IN ('removed', 'corrected') ORDER BY t.id",
            (session_id,),
        ).fetchall()
        tags: dict[int, list[Tag]] = {}
        for answer_id, kind, label, score, source, version in tag_rows:
            tags.setdefault(answer_id, []).append(
                Tag(kind, label, score, source or "", version or "")
            )
        answers = []
        for answer_id, qid, step, raw, value_json, skipped, revision in rows:
            has_tags = answer_id in tags
            answers.append(
                Answer(
                    key=AnswerKey(qid, step),
                    raw=raw or "",
                    value=json.loads(value_json) if value_json else None,
                    skipped=bool(skipped),
                    revision=revision,
                    # Untagged free text comes back as None so it gets tagged again.
                    tags=tuple(tags[answer_id]) if has_tags else None,
                )
            )
        return answers

    def redact_override(self, session_id: str) -> tuple[str, ...] | None:
        """The personal-data kinds chosen for this session at its start (None: the script's)."""
        row = self.conn.execute(
            "SELECT new_value FROM audit_log WHERE session_id = ? AND action = 'session.redact' "
            "ORDER BY id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        if row is None:
            return None
        return tuple(kind for kind in (row[0] or "").split(",") if kind)

    def session(self, session_id: str) -> dict[str, Any]:
        """One session's row."""
        row = self.conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,))
        names = [d[0] for d in row.description]
        found = row.fetchone()
        if found is None:
            raise StoreError(
                f"no session {session_id} in {self.path}", "List them with `cjm sessions list`."
            )
        return dict(zip(names, found, strict=True))

    def resolve_session_id(self, prefix: str) -> str:
        """The full id of a session given a unique prefix of it."""
        prefix = prefix.strip()
        if not prefix:
            raise StoreError("no session id given")
        rows = self.conn.execute(
            "SELECT id FROM sessions WHERE id LIKE ? ESCAPE '\\' LIMIT 3",
            (prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
        ).fetchall()
        if not rows:
            raise StoreError(
                f"no session {prefix!r} in {self.path}", "List them with `cjm sessions list`."
            )
        if len(rows) > 1:
            raise StoreError(
                f"session id {prefix!r} is ambiguous", "Give more characters of the id."
            )
        return str(rows[0][0])

    def list_sessions(self, status: str | None = None) -> list[dict[str, Any]]:
        """Sessions with their answer counts, newest first."""
        sql = (
            "SELECT s.id, s.participant, s.perspective, s.segment, s.persona, s.status, "
            "s.script_id, s.script_version, s.language, s.interviewer, s.kiosk, s.tagger, "
            "s.started_at, s.updated_at, s.finished_at, "
            "(SELECT count(*) FROM answers a WHERE a.session_id = s.id AND a.is_current = 1 "
            " AND a.applies = 1"
            " AND a.question_id NOT LIKE '%#order') AS answers FROM sessions s"
        )
        # An erased session's rows left in a file (a copy made midway) are never shown.
        sql += " WHERE s.id NOT IN (SELECT session_id FROM erased_sessions)"
        args: tuple[Any, ...] = ()
        if status:
            sql += " AND s.status = ?"
            args = (status,)
        sql += " ORDER BY s.started_at DESC, s.id"
        cur = self.conn.execute(sql, args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def session_detail(self, session_id: str) -> dict[str, Any]:
        """A session with its answers (and their tags) and notes, ready for JSON."""
        if _erased(self.conn, session_id):
            raise StoreError(
                f"session {session_id} was erased; rows of it left in {self.path} are not shown",
                f"Erase them again with `cjm sessions delete {session_id} --db {self.path}`.",
            )
        detail = self.session(session_id)
        # In the order they were first given: a revised answer (its latest row the newest)
        # was listed after every other, step 1's action among the closing words.
        cur = self.conn.execute(
            "SELECT id, section_id, question_id, step, maps_to, raw_text, value_json, skipped, "
            "revision, answered_at, applies FROM answers a WHERE session_id = ? AND "
            "is_current = 1 ORDER BY (SELECT min(f.id) FROM answers f WHERE f.session_id = "
            "a.session_id AND f.question_id = a.question_id AND f.step = a.step), id",
            (session_id,),
        )
        names = [d[0] for d in cur.description]
        answers = []
        for row in cur.fetchall():
            item = dict(zip(names, row, strict=True))
            item["value"] = json.loads(item.pop("value_json") or "null")
            item["skipped"] = bool(item["skipped"])
            item["applies"] = bool(item["applies"])  # False: later answers made it inapplicable
            item["tags"] = [
                {k: t[k] for k in ("kind", "label", "score", "source", "status")}
                for t in self.tags_of(item["id"])
            ]
            answers.append(item)
        detail["answers"] = answers
        detail["notes"] = self.notes(session_id)
        return detail

    def unfinished_sessions(self) -> list[dict[str, Any]]:
        """Sessions that can be resumed."""
        return self.list_sessions(status="in_progress")

    def count_sessions(self) -> int:
        """Number of sessions."""
        return int(self.conn.execute("SELECT count(*) FROM sessions").fetchone()[0])

    def schema_version(self) -> int:
        """The schema version of the file."""
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def integrity_check(self) -> list[str]:
        """Problems SQLite finds in the file (empty when it is sound)."""
        try:
            rows = self.conn.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        found = [str(r[0]) for r in rows]
        return [] if found == ["ok"] else found

    def embedding(self, answer_id: int, model: str) -> bytes | None:
        """A cached embedding of an answer."""
        row = self.conn.execute(
            "SELECT vector FROM embeddings WHERE answer_id = ? AND model = ?", (answer_id, model)
        ).fetchone()
        return bytes(row[0]) if row else None

    # ------------------------------------------------------------ erasure
    def delete_session(self, session_id: str) -> dict[str, int]:
        """Right to erasure: remove everything recorded in a session and leave a tombstone.

        Answers and their revisions, tags, embeddings, notes, audit entries,
        provenance, and the participant's phrasings in researchers' map edits go;
        a tombstone (the uuid and when) keeps the session out of later merges.
        Call ``purge`` afterwards so no erased text is left in free pages or the log.
        """
        self.conn.execute("PRAGMA secure_delete = ON")  # freed cells are zeroed, not kept
        counts: dict[str, int] = self.write(lambda conn: self.erase_in(conn, [session_id]))
        return counts

    def erase_in(self, conn: sqlite3.Connection, session_ids: Sequence[str]) -> dict[str, int]:
        """Erase sessions inside the caller's transaction; counts of what went."""
        counts = dict.fromkeys(
            ("answers", "tags", "embeddings", "notes", "audit entries", "map phrasings"), 0
        )
        now = self.clock()
        texts: list[str] = []
        for session_id in session_ids:
            texts += [
                r[0]
                for r in conn.execute(
                    "SELECT raw_text FROM answers WHERE session_id = ? AND raw_text IS NOT NULL",
                    (session_id,),
                )
            ]
            told = self._delete_told(conn, session_id, "session_id = ?", (session_id,))
            for kind, count in told.items():
                counts[kind] += count
            # Rows that point at the session go before it (foreign keys).
            conn.execute("DELETE FROM session_sources WHERE session_id = ?", (session_id,))
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            conn.execute(
                "INSERT OR IGNORE INTO erased_sessions (session_id, erased_at) VALUES (?, ?)",
                (session_id, now),
            )
            # The erasure itself is logged, without any of the participant's data.
            self._audit(conn, None, "", "session.erase", new_value=session_id, at=now)
        # Once for all: each pass reads every answer left in the study.
        counts["map phrasings"] = scrub_edits(conn, texts)
        return counts

    def erased_sessions(self) -> set[str]:
        """Uuids of the sessions erased from this file (or from a file merged into it)."""
        return {r[0] for r in self.conn.execute("SELECT session_id FROM erased_sessions")}

    def purge(self) -> Purge:
        """Rewrite the file (VACUUM) and empty its log, so erased text is nowhere on disk.

        Another connection's open read keeps old pages in the log and the file:
        then ``done`` is False and nothing is claimed.
        """
        self.conn.execute("PRAGMA secure_delete = ON")
        self._retry(lambda: self.conn.execute("VACUUM"))
        if str(self.path) != ":memory:":
            remove_stale_builds(self.path)
        return self.purge_state()

    def purge_state(self) -> Purge:
        """Checkpoint and truncate the log; report whether anything erased can be left."""
        busy, log, done = self._retry(
            lambda: self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        )
        free = int(self.conn.execute("PRAGMA freelist_count").fetchone()[0])
        wal = Path(f"{self.path}-wal")
        wal_bytes = wal.stat().st_size if str(self.path) != ":memory:" and wal.exists() else 0
        purged = not busy and log in (0, -1) and done in (0, -1) and wal_bytes == 0 and free == 0
        return Purge(purged, wal_bytes, free)

    def erasure_leftovers(self) -> list[str]:
        """Rows that still name an erased session, table by table (empty when none)."""
        found = []
        for table, column in (
            ("sessions", "id"),
            ("answers", "session_id"),
            ("notes", "session_id"),
            ("audit_log", "session_id"),
            ("session_sources", "session_id"),
        ):
            n = self.conn.execute(
                f"SELECT count(*) FROM {table} WHERE {column} IN "
                "(SELECT session_id FROM erased_sessions)"
            ).fetchone()[0]
            if n:
                found.append(f"{n} row(s) in {table}")
        return found


def wait_for_write_lock(path: Path, seconds: float) -> bool:
    """Wait up to ``seconds`` until the database's write lock is free; True if it is.

    Uses a connection of its own (for a worker thread), takes the lock and lets it go.
    """
    try:
        conn = sqlite3.connect(str(path), timeout=seconds, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def scrub_edits(conn: sqlite3.Connection, texts: Sequence[str]) -> int:
    """Remove a participant's phrasings from researchers' map edits (anchors, keys and
    split patterns).

    A phrasing or key someone else in the study also said stays, and so does a pattern
    someone else's words match: it is no longer only theirs.
    """
    edits = conn.execute(
        "SELECT id, group_key, target_key, anchor, target_anchor, pattern FROM step_group_edits"
    ).fetchall()
    if not edits or not texts:
        return 0
    from cjm_interview.map.labels import normalise
    from cjm_interview.store.check import split_pattern

    anchored = {p for row in edits for anchor in row[3:5] for p in _phrasings(anchor)}
    phrasings = {normalise(t) for t in texts} & anchored
    theirs = set().union(*map(_keys_said, texts))
    keys = {k for row in edits for k in row[1:3] if k and _key_base(k) & theirs}
    # A split's pattern can be their name ("Quartermaine"): it goes when only they match it.
    patterns = {}
    for edit_id, *_, pattern in edits:
        with contextlib.suppress(ValueError):
            compiled = split_pattern(pattern) if pattern else None
            # A pattern too slow to tell counts as theirs: their name must not stay behind.
            if compiled and any(compiled.search(t, if_too_slow=True) for t in texts):
                patterns[edit_id] = compiled
    if not phrasings and not keys and not patterns:
        return 0
    for (raw,) in conn.execute("SELECT raw_text FROM answers WHERE raw_text IS NOT NULL"):
        phrasings.discard(normalise(raw))
        if keys:
            said = _keys_said(raw)
            keys = {k for k in keys if not _key_base(k) & said}
        patterns = {i: p for i, p in patterns.items() if not p.search(raw)}
        if not phrasings and not keys and not patterns:
            return 0
    removed = len(patterns)
    for edit_id, group_key, target_key, anchor, target_anchor, pattern in edits:
        new = []
        for found in (anchor, target_anchor):
            kept = [p for p in _phrasings(found) if p not in phrasings]
            removed += len(_phrasings(found)) - len(kept)
            new.append(json.dumps(kept, ensure_ascii=False) if found is not None else None)
        # A key made from their words is replaced; the edit then finds its group by anchor.
        group_key = "erased" if group_key in keys else group_key
        target_key = "erased" if target_key in keys else target_key
        conn.execute(
            "UPDATE step_group_edits SET group_key = ?, target_key = ?, anchor = ?, "
            "target_anchor = ?, pattern = ? WHERE id = ?",
            (
                group_key,
                target_key,
                new[0],
                new[1],
                None if edit_id in patterns else pattern,
                edit_id,
            ),
        )
    return removed


def _keys_said(text: str) -> set[str]:
    """The map keys a step told in these words could get: its label is one of its short
    clauses, or of its main clause's (``acts.main_said``), or its first words, maybe after
    the name of the role it plays ("Background: ..."); a key is the slug of a label."""
    from cjm_interview.map.acts import ROLES, main_said
    from cjm_interview.map.labels import MAX_WORDS, clauses, normalise, slug

    said = {slug(normalise(text)), slug(" ".join(text.split()[:MAX_WORDS]))}
    told = {*clauses(text), *clauses(main_said(text))}
    said.update(slug(c) for c in told)
    said.update(slug(f"{role.name}: {c}") for role in ROLES for c in told)
    return said - {"step"}


def _key_base(key: str) -> set[str]:
    """A key, and the key it was numbered from when two groups had one label ("x-2")."""
    return {key, re.sub(r"-\d+$", "", key)}


def _phrasings(anchor: str | None) -> list[str]:
    try:
        value = json.loads(anchor) if anchor else []
    except ValueError:
        return []
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []


class _Moved(StoreError):
    """The path no longer names the database file this connection writes to."""


def file_identity(path: Path) -> tuple[int, int] | None:
    """The (device, inode) a path names now, None when nothing does: which file it is (a
    file put in its place is another)."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _refuse_links(path: Path) -> None:
    """A database (or its -wal, -shm) that is a symbolic link could write anywhere."""
    for name in (str(path), f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        if os.path.islink(name):
            raise StoreError(
                f"{name} is a symbolic link; cjm writes databases only as real files",
                "Give the path of the file itself with --db.",
            )


def create_database(path: Path, replace: bool = False) -> None:
    """Build a new, fully migrated database beside ``path`` and move it in place at once.

    The file is created owner-only (0600; SQLite gives its -wal and -shm the
    same mode), written and synced under a temporary name, then linked to
    ``path``: a kill at any point leaves either no database or a whole one.
    ``replace`` swaps out an existing file (one whose creation was interrupted).
    """
    from sqlite_utils import Database

    from cjm_interview.store.migrations import migrations

    folder = path.parent
    remove_stale_builds(path)
    temp = folder / f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.creating"
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        os.close(os.open(temp, flags, 0o600))
    except OSError as exc:
        raise StoreError(
            f"{path}: cannot create the database ({exc.strerror})",
            "Check the folder's permissions, or use another --db.",
        ) from None
    try:
        conn = sqlite3.connect(str(temp))
        try:
            conn.execute("PRAGMA synchronous = FULL")
            migrations.apply(Database(conn, execute_plugins=False))
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.commit()
        finally:
            conn.close()
        fsync_path(temp)
        if replace:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)
            except FileExistsError:
                pass  # another process created it first: theirs is whole too
            except OSError:  # a file system without hard links
                if not path.exists():
                    os.rename(temp, path)
        fsync_path(folder)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot create the database ({exc})") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the database ({exc.strerror})") from None
    finally:
        for leftover in (temp, Path(f"{temp}-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def fsync_path(path: Path) -> None:
    """Flush a file (or a folder, so that a new name in it is durable) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_builds(path: Path) -> None:
    """Remove the files of processes killed while building ``path`` (a new database's
    ``.creating`` or a new study's ``.merging``): a study's copy holds everyone's answers,
    where no erasure would reach them. Builds of a process still running are left."""
    for suffix in ("creating", "merging"):
        for temp in path.parent.glob(f".{glob_escape(path.name)}.*.{suffix}"):
            pid = temp.name[len(path.name) + 2 :].split("-", 1)[0]
            if not pid.isdecimal() or _running(int(pid)):
                continue
            for leftover in (temp, *(Path(f"{temp}{s}") for s in ("-journal", "-wal", "-shm"))):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def glob_escape(name: str) -> str:
    """``name`` with glob wildcards taken literally."""
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _file_uri(path: Path | str) -> str:
    return f"file:{urllib.parse.quote(str(Path(path).resolve()))}"


def _open(path: Path) -> sqlite3.Connection:
    """A database opened to read and write. By URI (the same file as by its path), so
    that a merge can attach its inputs read-only (``read_only_uri``)."""
    if str(path) == ":memory:":
        return sqlite3.connect(":memory:", check_same_thread=False)
    return sqlite3.connect(
        _file_uri(path), uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )


def read_only_uri(path: Path) -> str:
    """The URI that reads all a database holds without writing to it or beside it.

    WAL keeps the latest answers in the -wal file until they are moved into the
    database: read-only, SQLite reads them only through the -shm file beside it.
    Where neither can be made (a read-only folder or medium), the file is read as an
    immutable snapshot, which reads the database alone: only when no -wal holds
    anything, else the answers in it would be silently missing (StoreError).
    """
    uri = f"{_file_uri(path)}?mode=ro"
    try:
        probe = sqlite3.connect(uri, uri=True)
        try:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return uri
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "")
        if not name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY")):
            return uri  # not a database, or damaged: its reader says so
    with contextlib.suppress(OSError):
        if os.path.getsize(f"{path}-wal") > 0:
            raise StoreError(
                f"{path} is read-only, and its latest answers are still in {path.name}-wal, "
                "which cannot be read from here",
                "Copy the database with its -wal and -shm files to a folder you can write "
                "to, and use the copy.",
            )
    return f"{uri}&immutable=1"


def existing_uri(path: Path) -> str:
    """The URI that opens a database to read and write only if it is there (a plain
    path would make an empty one in place of a file removed meanwhile)."""
    return f"{_file_uri(path)}?mode=rw"


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A file that cannot be written, opened to read all it holds (``read_only_uri``)."""
    return sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False)


def _half_built(conn: sqlite3.Connection) -> bool:
    """A file with no data whose creation stopped part-way (an older release's crash)."""
    from cjm_interview.store.check import reference_schema

    rows = conn.execute("SELECT type, name FROM sqlite_master").fetchall()
    tables = {name for kind, name in rows if kind == "table"}
    if not tables:
        return not rows
    if not tables <= set(reference_schema().tables) or "_sqlite_migrations" not in tables:
        return False
    return all(
        conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] == 0
        for t in tables - {"_sqlite_migrations"}
    )


def _busy(exc: sqlite3.Error) -> bool:
    """SQLite's words for a file another connection holds locked."""
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def _explain(path: Path, exc: sqlite3.Error, opening: bool = False) -> StoreError:
    """A clear message for the SQLite errors a user can meet (``opening``: none written yet)."""
    message = str(exc).lower()
    if "file is not a database" in message or "malformed" in message or "corrupt" in message:
        return StoreError(
            f"{path} is damaged or not an interview database ({exc})",
            "Nothing was written to it. Restore it from a backup or a kiosk copy, "
            "or use another file with --db.",
        )
    if "readonly" in message or "read-only" in message:
        return StoreError(
            f"{path} is read-only: nothing can be saved in it",
            "Make the file and its folder writable, or use another --db.",
        )
    if "disk is full" in message or "disk i/o" in message or "full" in message:
        if opening:  # WAL's files beside the database could not be made
            return StoreError(
                f"{path}: the disk is full or failing; the database could not be opened",
                "Free some space, then try again; nothing in it was changed.",
            )
        # Not only answers are written (imports, merges, an export's cached vectors).
        return StoreError(
            f"{path}: the disk is full or failing; the last change was not saved",
            "Free some space; everything saved before it is safe.",
        )
    if _busy(exc):
        return StoreBusy(
            f"{path} is locked by another program for too long",
            "Close other programs using the file and try again.",
        )
    if "unable to open" in message:
        return StoreError(
            f"{path}: cannot open database file ({exc})", "Check the path and permissions."
        )
    return StoreError(f"{path}: database error: {exc}")
