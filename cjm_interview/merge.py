"""``cjm db merge``: combine the databases of several laptops and kiosks into one.

Sessions are identified by their uuid: merging the same file twice adds
nothing. When a session is found in two files (resumed on another device,
or copied), the copy with the most recent activity wins and the other is
reported. Scripts travel with their sessions (by hash), so sessions run on
different versions of a script sit side by side and are compared through
their ``maps_to`` fields; two different texts published under the same
script id and version are reported. Every merged session records the file
and device it came from (``session_sources``), and researchers' edits of the
composite map's step groups travel too.

Each input is attached to the output and copied with a few ``INSERT ...
SELECT`` statements in one transaction, so 10,000 sessions merge in seconds
and a failed input leaves the output as it was.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from cjm_interview.errors import CjmError
from cjm_interview.store import Store, utc_now
from cjm_interview.store.schema import APPLICATION_ID, SCHEMA_VERSION

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
    "applies",
)
_TAG_COLUMNS = (
    "kind",
    "label",
    "score",
    "source",
    "source_version",
    "status",
    "decided_by",
    "decided_at",
    "created_at",
)
_EDIT_COLUMNS = (
    "action",
    "group_key",
    "target_key",
    "label",
    "pattern",
    "anchor",
    "target_anchor",
    "created_at",
    "author",
)


@dataclass
class MergeReport:
    """What a merge did, per input file."""

    out: Path
    added: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    edits: dict[str, int] = field(default_factory=dict)
    scripts: set[str] = field(default_factory=set)
    conflicts: list[str] = field(default_factory=list)
    """Scripts published twice under one id and version with different texts."""

    def summary(self) -> str:
        lines = [f"Merged into {self.out}:"]
        for source in self.added:
            line = (
                f"  {source}: {self.added[source]} new session(s), "
                f"{self.skipped[source]} already there, {self.replaced[source]} updated"
            )
            if self.edits.get(source):
                line += f", {self.edits[source]} step-group edit(s)"
            lines.append(line)
        if len(self.scripts) > 1:
            lines.append(
                f"  Scripts: {', '.join(sorted(self.scripts))}. Sessions keep their own script; "
                "maps compare them through their journey-map fields."
            )
        for conflict in self.conflicts:
            lines.append(f"  Warning: {conflict}")
        return "\n".join(lines)


def merge_databases(out: Path, inputs: list[Path]) -> MergeReport:
    """Merge ``inputs`` into ``out`` (created when missing), one transaction per input."""
    out_resolved = out.resolve()
    for source in inputs:
        if not source.exists():
            raise CjmError(f"{source}: no such database", "Check the path of each input file.")
        if source.is_dir():
            raise CjmError(f"{source} is a folder, not a database file")
        if source.resolve() == out_resolved:
            raise CjmError(f"{source} is also the output", "Choose a new file for OUT.")
    # The same file named twice is merged once.
    unique: dict[Path, Path] = {}
    for source in inputs:
        unique.setdefault(source.resolve(), source)
    inputs = list(unique.values())
    for source in inputs:
        _check_input(source)
    # Into a new file, the first input is copied whole, page by page (SQLite's
    # backup), which is much faster than row by row and amounts to the same.
    copied = None
    if inputs and not out.exists():
        _copy_whole(inputs[0], out)
        copied = inputs[0]
    target = Store(out)
    report = MergeReport(out)
    # Bulk copies go straight into the file: in WAL mode every page would be
    # written twice (log, then checkpoint). Only possible while no one else has
    # the file open; otherwise the merge simply stays in WAL mode.
    wal = _leave_wal(target.conn)
    target.conn.execute("PRAGMA cache_size = -262144")  # 256 MB: index pages stay in memory
    try:
        for source in inputs:
            if source is copied:
                _record_copy(target, source, report)
            else:
                _merge_one(target, source, report)
    finally:
        if wal:
            with contextlib.suppress(sqlite3.Error):
                target.conn.execute("PRAGMA journal_mode = WAL")
        target.close()
    return report


def _copy_whole(source: Path, out: Path) -> None:
    try:
        origin = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(out)
            try:
                origin.backup(copy)
            finally:
                copy.close()
        finally:
            origin.close()
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            out.unlink()
        raise CjmError(f"cannot copy {source} into {out} ({exc})") from None


def _record_copy(target: Store, source: Path, report: MergeReport) -> None:
    """Report and provenance of the input that was copied whole into the new file."""
    name = str(source)
    conn = target.conn
    now = utc_now()

    def action(c: sqlite3.Connection) -> tuple[int, int]:
        c.execute(
            "INSERT OR REPLACE INTO session_sources (session_id, source_file, device, merged_at) "
            "SELECT id, ?, coalesce(device, kiosk, ''), ? FROM sessions",
            (str(source.resolve()), now),
        )
        sessions = c.execute("SELECT count(*) FROM sessions").fetchone()[0]
        edits = c.execute("SELECT count(*) FROM step_group_edits").fetchone()[0]
        return sessions, edits

    sessions, edits = target.write(action)
    report.added[name], report.skipped[name], report.replaced[name] = sessions, 0, 0
    report.edits[name] = edits
    for script_id, version in conn.execute("SELECT DISTINCT script_id, version FROM scripts"):
        report.scripts.add(f"{script_id} v{version}")
    _conflicts(conn, report)


def _conflicts(conn: sqlite3.Connection, report: MergeReport) -> None:
    """Scripts published twice under one id and version with different texts."""
    for script_id, version, texts in conn.execute(
        "SELECT script_id, version, count(*) FROM main.scripts GROUP BY script_id, version "
        "HAVING count(*) > 1"
    ):
        conflict = (
            f"script {script_id} v{version} exists in {texts} different texts; their sessions "
            "are kept apart by hash, so give changed scripts a new version."
        )
        if conflict not in report.conflicts:
            report.conflicts.append(conflict)


def _leave_wal(conn: sqlite3.Connection) -> bool:
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            return False
        return str(conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower() == "delete"
    except sqlite3.Error:
        return False


def _check_input(source: Path) -> None:
    """Refuse, before writing anything, a file that is not an interview database we can read."""
    try:
        conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise CjmError(f"{source}: not a readable SQLite database ({exc})") from None
    if app_id not in (0, APPLICATION_ID) or not {"sessions", "answers", "scripts"} <= tables:
        raise CjmError(
            f"{source} is not an interview database", "Give the .db files written by cjm."
        )
    if version > SCHEMA_VERSION:
        raise CjmError(
            f"{source} was written by a newer cjm-interview (schema {version}, "
            f"this one knows {SCHEMA_VERSION})",
            "Upgrade cjm-interview on this machine, then merge again.",
        )


def _merge_one(target: Store, source: Path, report: MergeReport) -> None:
    name = str(source)
    conn = target.conn
    conn.execute("ATTACH DATABASE ? AS src", (str(source.resolve()),))
    try:
        src_tables = {
            r[0] for r in conn.execute("SELECT name FROM src.sqlite_master WHERE type = 'table'")
        }
        counts = target.write(lambda c: _copy(c, source, src_tables, report))
    finally:
        conn.execute("DETACH DATABASE src")
    report.added[name], report.skipped[name], report.replaced[name], report.edits[name] = counts


def _copy(
    conn: sqlite3.Connection, source: Path, src_tables: set[str], report: MergeReport
) -> tuple[int, int, int, int]:
    now = utc_now()
    conn.execute(
        "INSERT OR IGNORE INTO main.scripts (sha256, script_id, version, title, perspective, "
        "path, source, first_seen_at) SELECT sha256, script_id, version, title, perspective, "
        "path, source, first_seen_at FROM src.scripts"
    )
    for script_id, version in conn.execute("SELECT DISTINCT script_id, version FROM src.scripts"):
        report.scripts.add(f"{script_id} v{version}")
    _conflicts(conn, report)

    # Which sessions to take: new ones, and newer copies of ones already here.
    conn.execute("DROP TABLE IF EXISTS temp.merge_pick")
    conn.execute("CREATE TEMP TABLE merge_pick (id TEXT PRIMARY KEY, replaces INTEGER)")
    conn.execute(
        "INSERT INTO temp.merge_pick SELECT s.id, m.id IS NOT NULL FROM src.sessions s "
        "LEFT JOIN main.sessions m ON m.id = s.id "
        "WHERE m.id IS NULL OR coalesce(m.updated_at, '') < coalesce(s.updated_at, '')"
    )
    total = conn.execute("SELECT count(*) FROM src.sessions").fetchone()[0]
    replaced = conn.execute("SELECT count(*) FROM temp.merge_pick WHERE replaces").fetchone()[0]
    added = conn.execute("SELECT count(*) FROM temp.merge_pick WHERE NOT replaces").fetchone()[0]

    # Older copies lose their answers, tags, vectors and notes; the audit log is append-only.
    if replaced:
        old = (
            "SELECT a.id FROM main.answers a JOIN temp.merge_pick p "
            "ON p.id = a.session_id AND p.replaces"
        )
        for table in ("tags", "embeddings"):
            conn.execute(f"DELETE FROM main.{table} WHERE answer_id IN ({old})")
        for table in ("answers", "notes"):
            conn.execute(
                f"DELETE FROM main.{table} WHERE session_id IN "
                "(SELECT id FROM temp.merge_pick WHERE replaces)"
            )
    cols = ", ".join(_SESSION_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _SESSION_COLUMNS[1:])
    conn.execute(
        f"INSERT INTO main.sessions ({cols}) SELECT {_prefixed('s', _SESSION_COLUMNS)} "
        "FROM src.sessions s JOIN temp.merge_pick p ON p.id = s.id WHERE true "
        f"ON CONFLICT(id) DO UPDATE SET {updates}"
    )

    # Answers keep their order and get new ids above every id already here.
    offset = conn.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM main.answers) - "
        "(SELECT coalesce(min(id), 1) FROM src.answers) + 1"
    ).fetchone()[0]
    # Files from before answers were flagged as off the path lack that column (all apply).
    have = {r[1] for r in conn.execute("PRAGMA src.table_info(answers)")}
    answer_columns = tuple(c for c in _ANSWER_COLUMNS if c in have)
    acols = ", ".join(answer_columns)
    conn.execute(
        f"INSERT INTO main.answers (id, {acols}) SELECT a.id + ?, "
        f"{_prefixed('a', answer_columns)} FROM src.answers a "
        "JOIN temp.merge_pick p ON p.id = a.session_id ORDER BY a.id",
        (offset,),
    )
    picked_answers = (
        "JOIN src.answers a ON a.id = x.answer_id JOIN temp.merge_pick p ON p.id = a.session_id"
    )
    tcols = ", ".join(_TAG_COLUMNS)
    conn.execute(
        f"INSERT INTO main.tags (answer_id, {tcols}) SELECT x.answer_id + ?, "
        f"{_prefixed('x', _TAG_COLUMNS)} FROM src.tags x {picked_answers} "
        "ORDER BY x.id",
        (offset,),
    )
    if "embeddings" in src_tables:
        conn.execute(
            "INSERT OR REPLACE INTO main.embeddings (answer_id, model, dim, vector, created_at) "
            f"SELECT x.answer_id + ?, x.model, x.dim, x.vector, x.created_at FROM src.embeddings x "
            f"{picked_answers}",
            (offset,),
        )
    conn.execute(
        "INSERT INTO main.notes (session_id, question_id, step, text, author, created_at) "
        "SELECT n.session_id, n.question_id, n.step, n.text, n.author, n.created_at "
        "FROM src.notes n JOIN temp.merge_pick p ON p.id = n.session_id ORDER BY n.id"
    )
    # The audit log is append-only: only entries newer than what is here are added.
    conn.execute(
        "INSERT INTO main.audit_log (session_id, at, actor, action, question_id, step, "
        "old_value, new_value) SELECT l.session_id, l.at, l.actor, l.action, l.question_id, "
        "l.step, l.old_value, l.new_value FROM src.audit_log l "
        "JOIN temp.merge_pick p ON p.id = l.session_id "
        "WHERE l.at > coalesce((SELECT max(m.at) FROM main.audit_log m "
        "WHERE m.session_id = l.session_id), '') ORDER BY l.id"
    )

    # Provenance: this file and the device that recorded the session, plus
    # wherever the input's own merges had found it.
    conn.execute(
        "DELETE FROM main.session_sources WHERE session_id IN "
        "(SELECT id FROM temp.merge_pick WHERE replaces)"
    )
    if "session_sources" in src_tables:
        conn.execute(
            "INSERT OR IGNORE INTO main.session_sources (session_id, source_file, device, "
            "merged_at) SELECT x.session_id, x.source_file, x.device, x.merged_at "
            "FROM src.session_sources x JOIN temp.merge_pick p ON p.id = x.session_id"
        )
    conn.execute(
        "INSERT OR REPLACE INTO main.session_sources (session_id, source_file, device, "
        "merged_at) SELECT s.id, ?, coalesce(s.device, s.kiosk, ''), ? FROM src.sessions s "
        "JOIN temp.merge_pick p ON p.id = s.id",
        (str(source.resolve()), now),
    )

    # Researchers' edits of the step groups, in their order, each once.
    edits = 0
    if "step_group_edits" in src_tables:
        # Files from before the anchors were recorded lack those columns.
        have = {r[1] for r in conn.execute("PRAGMA src.table_info(step_group_edits)")}
        columns = tuple(c for c in _EDIT_COLUMNS if c in have)
        same = " AND ".join(f"m.{c} IS x.{c}" for c in columns)
        edits = conn.execute(
            f"INSERT INTO main.step_group_edits ({', '.join(columns)}) SELECT "
            f"{_prefixed('x', columns)} FROM src.step_group_edits x "
            f"WHERE NOT EXISTS (SELECT 1 FROM main.step_group_edits m WHERE {same}) "
            "ORDER BY x.id"
        ).rowcount
    conn.execute("DROP TABLE temp.merge_pick")
    return added, total - added - replaced, replaced, edits


def _prefixed(alias: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{c}" for c in columns)
