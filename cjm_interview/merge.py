"""``cjm db merge``: combine the databases of several laptops and kiosks into one.

Sessions are identified by their uuid: merging the same file twice adds
nothing. When a session is found in two files (resumed on another device,
or copied), the copy with the most recent activity wins and the other is
reported. Scripts travel with their sessions (by hash), so sessions run on
different versions of a script sit side by side and are compared through
their ``maps_to`` fields. Every merged session records the file it came from.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from cjm_interview.errors import CjmError
from cjm_interview.store import Store, utc_now

_SESSION_COLUMNS = (
    "id",
    "script_id",
    "script_version",
    "script_sha256",
    "perspective",
    "participant",
    "segment",
    "persona",
    "language",
    "interviewer",
    "kiosk",
    "device",
    "status",
    "consent",
    "tagger",
    "started_at",
    "updated_at",
    "finished_at",
)
_ANSWER_COLUMNS = (
    "session_id",
    "question_id",
    "section_id",
    "maps_to",
    "step",
    "revision",
    "is_current",
    "raw_text",
    "value_json",
    "skipped",
    "answered_at",
    "answered_by",
)


@dataclass
class MergeReport:
    """What a merge did, per input file."""

    out: Path
    added: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    scripts: set[str] = field(default_factory=set)

    def summary(self) -> str:
        lines = [f"Merged into {self.out}:"]
        for source in self.added:
            lines.append(
                f"  {source}: {self.added[source]} new session(s), "
                f"{self.skipped[source]} already there, {self.replaced[source]} updated"
            )
        if len(self.scripts) > 1:
            lines.append(
                f"  Scripts: {', '.join(sorted(self.scripts))} — sessions keep their own script; "
                "maps compare them through their journey-map fields."
            )
        return "\n".join(lines)


def merge_databases(out: Path, inputs: list[Path]) -> MergeReport:
    """Merge ``inputs`` into ``out`` (created when missing), one transaction per input."""
    out_resolved = out.resolve()
    for source in inputs:
        if not source.exists():
            raise CjmError(f"{source}: no such database", "Check the path of each input file.")
        if source.resolve() == out_resolved:
            raise CjmError(f"{source} is also the output", "Choose a new file for OUT.")
    target = Store(out)
    report = MergeReport(out)
    try:
        for source in inputs:
            with Store(source, must_exist=True) as origin:
                _merge_one(target, origin, source, report)
    finally:
        target.close()
    return report


def _merge_one(target: Store, origin: Store, source: Path, report: MergeReport) -> None:
    name = str(source)
    report.added[name] = report.skipped[name] = report.replaced[name] = 0
    src = origin.conn
    now = utc_now()
    device = os.uname().nodename

    def action(conn: sqlite3.Connection) -> None:
        for row in src.execute(
            "SELECT sha256, script_id, version, title, perspective, path, source, first_seen_at "
            "FROM scripts"
        ):
            conn.execute("INSERT OR IGNORE INTO scripts VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            report.scripts.add(f"{row[1]} v{row[2]}")
        cols = ", ".join(_SESSION_COLUMNS)
        for row in src.execute(f"SELECT {cols} FROM sessions").fetchall():
            session_id, updated = row[0], row[16]
            existing = conn.execute(
                "SELECT updated_at FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if existing is not None:
                if (existing[0] or "") >= (updated or ""):
                    report.skipped[name] += 1
                    continue
                _remove(conn, session_id)
                report.replaced[name] += 1
            else:
                report.added[name] += 1
            marks = ", ".join("?" for _ in _SESSION_COLUMNS)
            conn.execute(f"INSERT INTO sessions ({cols}) VALUES ({marks})", row)
            _copy_session(conn, src, session_id)
            conn.execute(
                "INSERT OR REPLACE INTO session_sources "
                "(session_id, source_file, device, merged_at) VALUES (?, ?, ?, ?)",
                (session_id, str(source.resolve()), device, now),
            )

    target.write(action)


def _remove(conn: sqlite3.Connection, session_id: str) -> None:
    ids = "SELECT id FROM answers WHERE session_id = ?"
    conn.execute(f"DELETE FROM tags WHERE answer_id IN ({ids})", (session_id,))
    conn.execute(f"DELETE FROM embeddings WHERE answer_id IN ({ids})", (session_id,))
    conn.execute("DELETE FROM answers WHERE session_id = ?", (session_id,))
    conn.execute("DELETE FROM notes WHERE session_id = ?", (session_id,))
    conn.execute("DELETE FROM session_sources WHERE session_id = ?", (session_id,))
    conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))


def _copy_session(conn: sqlite3.Connection, src: sqlite3.Connection, session_id: str) -> None:
    cols = ", ".join(_ANSWER_COLUMNS)
    marks = ", ".join("?" for _ in _ANSWER_COLUMNS)
    for answer in src.execute(
        f"SELECT id, {cols} FROM answers WHERE session_id = ? ORDER BY id", (session_id,)
    ).fetchall():
        new_id = conn.execute(
            f"INSERT INTO answers ({cols}) VALUES ({marks})", answer[1:]
        ).lastrowid
        conn.executemany(
            "INSERT INTO tags (answer_id, kind, label, score, source, source_version, status, "
            "decided_by, decided_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (new_id, *row)
                for row in src.execute(
                    "SELECT kind, label, score, source, source_version, status, decided_by, "
                    "decided_at, created_at FROM tags WHERE answer_id = ?",
                    (answer[0],),
                )
            ],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO embeddings (answer_id, model, dim, vector, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (new_id, *row)
                for row in src.execute(
                    "SELECT model, dim, vector, created_at FROM embeddings WHERE answer_id = ?",
                    (answer[0],),
                )
            ],
        )
    conn.executemany(
        "INSERT INTO notes (session_id, question_id, step, text, author, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        src.execute(
            "SELECT session_id, question_id, step, text, author, created_at FROM notes "
            "WHERE session_id = ?",
            (session_id,),
        ).fetchall(),
    )
    # The audit log is append-only: only entries newer than what is here are added.
    latest = conn.execute(
        "SELECT coalesce(max(at), '') FROM audit_log WHERE session_id = ?", (session_id,)
    ).fetchone()[0]
    conn.executemany(
        "INSERT INTO audit_log (session_id, at, actor, action, question_id, step, old_value, "
        "new_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        src.execute(
            "SELECT session_id, at, actor, action, question_id, step, old_value, new_value "
            "FROM audit_log WHERE session_id = ? AND at > ? ORDER BY id",
            (session_id, latest),
        ).fetchall(),
    )
