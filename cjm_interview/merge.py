"""``cjm db merge``: combine the databases of several laptops and kiosks into one.

Sessions are identified by their uuid: merging the same file twice adds
nothing. When a session is found in two files (resumed on another device,
or copied), the later copy wins and the other is reported: the one holding
more answer rows (revisions only add rows), then the most recent activity. A
later copy holds all the earlier one said: copies that disagree at a revision
(edited on two devices, or altered) are named, and the one already there kept.
Scripts travel with their sessions (by hash), so sessions run on different
versions of a script sit side by side and are compared through
their ``maps_to`` fields; two different texts published under the same
script id and version are reported. Every merged session records the file
and device it came from (``session_sources``), and researchers' edits of the
composite map's step groups travel too.

Files from elsewhere are not trusted: the output's schema is always built by
the project's own migrations, every input's schema is checked against what
those migrations build (``store/check.py``) before anything is read, and only
the rows of known tables are copied, column by column.

Erased sessions stay erased: a file's tombstones (``erased_sessions``) travel
with it, a session erased in any merged file is taken from none, and one
already in the output is erased there too.

Each input is attached to the output and copied with a few ``INSERT ...
SELECT`` statements in one transaction, so 10,000 sessions merge in seconds
and a failed input leaves the output as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cjm_interview.errors import CjmError
from cjm_interview.files import not_a_regular_file
from cjm_interview.store import Store, utc_now
from cjm_interview.store.check import applied_migrations, check_schema
from cjm_interview.store.db import (
    Purge,
    StoreBusy,
    StoreError,
    existing_uri,
    file_identity,
    fsync_path,
    read_only_uri,
    remove_stale_builds,
    scrub_edits,
    utc_iso,
)
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


FUTURE_LEEWAY = timedelta(days=1)
"""How far ahead of this computer's clock a session's time may be before the merge warns."""


@dataclass
class MergeReport:
    """What a merge did, per input file."""

    out: Path
    added: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    edits: dict[str, int] = field(default_factory=dict)
    erased: dict[str, int] = field(default_factory=dict)
    """Sessions of each input left out because they were erased (here or in any input)."""
    future: dict[str, int] = field(default_factory=dict)
    """Sessions of each input last changed more than a day after this machine's now."""
    erased_here: int = 0
    """Sessions already in the output erased because an input's tombstone says so."""
    purge: Purge | None = None
    scripts: set[str] = field(default_factory=set)
    conflicts: list[str] = field(default_factory=list)
    """Scripts published twice under one id and version with different texts, and copies
    of a session that disagree."""

    def summary(self) -> str:
        lines = [f"Merged into {self.out}:"]
        for source in self.added:
            line = (
                f"  {source}: {self.added[source]} new session(s), "
                f"{self.skipped[source]} already there, {self.replaced[source]} updated"
            )
            if self.edits.get(source):
                line += f", {self.edits[source]} step-group edit(s)"
            if self.erased.get(source):
                line += f", {self.erased[source]} skipped because they were erased"
            lines.append(line)
            if self.future.get(source):
                lines.append(
                    f"  Warning: {source}: {self.future[source]} session(s) dated more than a "
                    "day ahead of this computer's clock; check the clock of the device that "
                    "recorded them (copies of one session are compared by their answers "
                    "first, so a wrong clock does not make an older copy win)."
                )
        if self.erased_here:
            lines.append(
                f"  Erased from {self.out}: {self.erased_here} session(s) that were erased "
                "on another device"
            )
        if self.purge is not None and not self.purge.done:
            lines.append(f"  Warning: {self.purge.describe(self.out)}.")
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
        if why := not_a_regular_file(source, "database"):
            raise CjmError(why, "Give the .db files written by cjm.")
        # By path and by file: a hard link to the output is the output under another name.
        if source.resolve() == out_resolved or file_identity(source) == file_identity(out):
            raise CjmError(f"{source} is also the output", "Choose a new file for OUT.")
    # The same file named twice is merged once.
    unique: dict[Path, Path] = {}
    for source in inputs:
        unique.setdefault(source.resolve(), source)
    inputs = list(unique.values())
    # Every input is checked before anything of it is kept (``_check_input``), on a
    # thread of its own: SQLite leaves Python's lock while it scans, so files are
    # checked while others are copied.
    checker = ThreadPoolExecutor(max_workers=1)
    interrupted = False
    checked: list[Future[tuple[int, int] | None]] = []
    try:
        identities = [file_identity(source) for source in inputs]
        checked = [
            checker.submit(_check_input, source, identity)
            for source, identity in zip(inputs, identities, strict=True)
        ]
        return _merge_checked(out, list(zip(inputs, identities, checked, strict=True)))
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        # Ctrl-C does not wait for the check under way, which only reads its input: the
        # output is already as it was before this input (``cli.db_merge`` then ends the
        # process without joining the checker).
        checker.shutdown(wait=not interrupted, cancel_futures=True)
        if not interrupted:
            for source, future in zip(inputs, checked, strict=False):
                if future.done() and not future.cancelled():
                    _tidy(source)


# An input, its identity (``file_identity``) when its check was asked for, and the check.
_Checked = tuple[Path, tuple[int, int] | None, Future[tuple[int, int] | None]]


def _merge_checked(out: Path, inputs: list[_Checked]) -> MergeReport:
    if out.exists() or os.path.islink(out):
        # An existing study takes each input in its own transaction: all are checked
        # first, so that a bad file leaves it as it was.
        for _, _, check in inputs:
            check.result()
        remove_stale_builds(out)
        report = _merge_into(out, inputs, fresh=False, shown=out)
    else:
        remove_stale_builds(out)
        # A new study is built under a temporary name and moved in place when
        # whole: a failed or killed merge leaves no half study behind. So an
        # input can be copied as soon as it is checked: one found bad later
        # throws the whole build away.
        building = out.with_name(f".{out.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.merging")
        try:
            report = _merge_into(building, inputs, fresh=True, shown=out)
            report.out = out
            fsync_path(building)
            try:
                os.link(building, out)
            except FileExistsError:
                raise CjmError(
                    f"{out} was created by another program during the merge",
                    "Merge again into a new file.",
                ) from None
            fsync_path(out.parent)
        finally:
            for leftover in (building, *(Path(f"{building}{s}") for s in ("-wal", "-shm"))):
                with contextlib.suppress(OSError):
                    leftover.unlink()
    return report


def _merge_into(out: Path, inputs: list[_Checked], fresh: bool, shown: Path) -> MergeReport:
    """Merge into ``out`` (a new study's temporary file, or ``shown`` itself)."""
    # The output is built by the migrations, never copied from an input; one that was
    # there before is schema-checked when opened (Store's default).
    try:
        target = Store(out)
    except (StoreError, sqlite3.Error) as exc:
        if not fresh or not _from_below(exc):  # the study's own name and state
            raise
        raise _failed(shown, None, exc, fresh) from None
    if target.read_only:
        target.close()
        raise StoreError(
            f"{shown} is read-only: nothing was merged into it",
            "Make the file and its folder writable, or merge into a new file.",
        )
    report = MergeReport(out)
    conn = target.conn
    conn.execute("PRAGMA cache_size = -262144")  # 256 MB: index pages stay in memory
    conn.execute("PRAGMA secure_delete = ON")  # erased or replaced rows leave no text
    # Bulk copies go straight into the file: in WAL mode every page would be
    # written twice (log, then checkpoint). Only possible while no one else has
    # the file open; otherwise the merge simply stays in WAL mode.
    wal = _leave_wal(conn)
    rebuild: list[str] = []
    if fresh:
        # Nobody else can see a file being built: no journal, and the indexes
        # that only reading needs are built once at the end (much faster than
        # row by row); the file is synced before it is moved in place.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        # Nor are references checked row by row (a third of the copy's time): every
        # row copied hangs from a session picked from the same file, and each input's
        # sessions were checked to name a script it holds (``row_problem``).
        conn.execute("PRAGMA foreign_keys = OFF")
        rebuild = _drop_bulk_indexes(conn)
    source: Path | None = None
    try:
        # A new study's inputs are copied once their schema is checked as attached
        # (``_merge_one``), not after their row check (a second for 2,500 sessions, on
        # the checking thread): its hidden build is thrown away unless every check
        # passes, and what a check finds is said before what went wrong in a copy.
        for number, (source, identity, check) in enumerate(inputs):
            if not fresh:
                identity = check.result()  # raises what the check found
            try:
                _merge_one(target, source, report, identity)
            except Exception:
                for _, _, earlier in inputs[: number + 1]:
                    earlier.result()
                raise
        source = None
        for sql in rebuild:
            conn.execute(sql)
        for _, _, check in inputs:
            check.result()
        if report.erased_here:
            report.purge = target.purge()
    except (StoreError, sqlite3.Error) as exc:
        if not _from_below(exc):
            raise
        # SQLite's words would name the temporary file and speak of answers.
        raise _failed(shown, source, exc, fresh) from None
    finally:
        if wal or fresh:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA journal_mode = WAL")
        target.close()
    return report


def _tidy(source: Path) -> None:
    """Let SQLite put away the -wal and -shm files that reading ``source`` made beside
    it: the check's read-only reader cannot, and detaching it after the copy does only
    when no one else has it open (the check may still have been reading, or it refused
    the file). Closing the last connection that can write removes them; one another
    program holds open keeps them. An input that cannot be written is left alone."""
    if not _writable(source):
        return
    with contextlib.suppress(sqlite3.Error, OSError):
        conn = sqlite3.connect(existing_uri(source), uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()


def _writable(source: Path) -> bool:
    return os.access(source, os.W_OK) and os.access(source.resolve().parent, os.W_OK)


def _from_below(exc: Exception) -> bool:
    """An error of SQLite or of the file system (not one the store words for a person,
    such as a lock held too long)."""
    if isinstance(exc, StoreBusy):
        return False
    return isinstance(exc, sqlite3.Error | OSError) or isinstance(
        exc.__context__, sqlite3.Error | OSError
    )


def _failed(out: Path, source: Path | None, exc: Exception, fresh: bool) -> CjmError:
    """What a merge stopped by the disk or the database says: which input, what is kept."""
    cause = exc if isinstance(exc, sqlite3.Error | OSError) else exc.__context__
    words = str(cause).lower()
    full = "full" in words or "disk i/o" in words
    if isinstance(cause, OSError):
        what = f"cannot be written ({cause.strerror or cause})"
    elif full:
        what = "the disk is full or failing"
    else:
        what = f"the database stopped the merge ({cause})"
    during = f" while merging {source}" if source is not None else ""
    if fresh:
        kept = "nothing was merged and no file was left behind"
    elif source is not None:
        kept = "that file was not merged, those before it were"
    else:
        kept = "every file was merged, but the purge of erased sessions did not finish"
    if isinstance(cause, OSError):
        hint = "Merge into a folder you can write to."
    elif full:
        hint = "Free some space, then merge again."
    else:
        hint = "Merge again; if it fails the same way, check the input with an SQLite client."
    return CjmError(f"{out}: {what}{during}; {kept}", hint)


def _drop_bulk_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the answers' and tags' secondary indexes; returns the SQL that rebuilds them."""
    rows = conn.execute(
        "SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('answers', 'tags')"
    ).fetchall()
    for name, _ in rows:
        conn.execute(f"DROP INDEX main.[{name}]")
    return [sql for _, sql in rows]


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


def _check_input(source: Path, identity: tuple[int, int] | None) -> tuple[int, int] | None:
    """Refuse a file that is not an interview database we can read (before anything of it
    is kept); returns the identity of the file checked (``file_identity``), the one
    ``source`` had when the check was asked for."""
    if file_identity(source) != identity:
        raise CjmError(
            f"{source} was replaced while it was checked", "Nothing was merged; merge it again."
        )
    try:
        conn = sqlite3.connect(read_only_uri(source), uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if app_id not in (0, APPLICATION_ID) or (app_id == 0 and "sessions" not in tables):
                raise CjmError(
                    f"{source} is not an interview database", "Give the .db files written by cjm."
                )
            encoding = conn.execute("PRAGMA encoding").fetchone()[0]
            if encoding != "UTF-8":  # SQLite attaches only files of the study's encoding
                raise CjmError(
                    f"{source}: its text is stored as {encoding}; a study is UTF-8",
                    "Copy it into a UTF-8 file first: sqlite3 OLD .dump | sqlite3 NEW.",
                )
            if version > SCHEMA_VERSION:
                raise CjmError(
                    f"{source} was written by a newer cjm-interview (schema {version}, "
                    f"this one knows {SCHEMA_VERSION})",
                    "Upgrade cjm-interview on this machine, then merge again.",
                )
            check_schema(conn, source, version or len(applied_migrations(conn) or []))
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise CjmError(f"{source}: not a readable SQLite database ({exc})") from None
    if file_identity(source) != identity:
        raise CjmError(
            f"{source} was replaced while it was checked", "Nothing was merged; merge it again."
        )
    return identity


def _merge_one(
    target: Store, source: Path, report: MergeReport, identity: tuple[int, int] | None
) -> None:
    name = str(source)
    conn = target.conn
    gone = CjmError(
        f"{source} was removed or replaced during the merge",
        "Nothing of it was merged; merge it again.",
    )
    # ATTACH creates a file that is missing: an input removed since its check would
    # come back as an empty database (and be merged as nothing).
    if not os.path.isfile(source):
        raise gone
    # An input that cannot be written (read-only media) is attached read-only. One that
    # can is attached as before: closing it then tidies away the -wal and -shm files
    # that reading a WAL database makes beside it.
    try:
        where = str(source.resolve()) if _writable(source) else read_only_uri(source)
        conn.execute("ATTACH DATABASE ? AS src", (where,))
    except sqlite3.Error as exc:  # changed since it was checked, or not attachable
        raise CjmError(f"{source}: cannot be read for merging ({exc})") from None
    try:
        src_tables = {
            r[0] for r in conn.execute("SELECT name FROM src.sqlite_master WHERE type = 'table'")
        }
        if "sessions" not in src_tables:
            raise gone
        # A file put in the input's place since its check is not the file checked (its
        # rows could be anything). SQLite opened the file by ATTACH, so the path must
        # still name the file checked; its schema is checked again, as attached.
        if file_identity(source) != identity:
            raise gone
        version = conn.execute("PRAGMA src.user_version").fetchone()[0]
        known = version or len(applied_migrations(conn, "src") or [])
        check_schema(conn, source, known, database="src", rows=False)
        counts = target.write(lambda c: _copy(target, c, source, src_tables, report))
    finally:
        conn.execute("DETACH DATABASE src")
    report.added[name], report.skipped[name], report.replaced[name], report.edits[name] = counts[:4]
    report.erased[name] = counts[4]
    report.erased_here += counts[5]


def _copy(
    target: Store,
    conn: sqlite3.Connection,
    source: Path,
    src_tables: set[str],
    report: MergeReport,
) -> tuple[int, int, int, int, int, int]:
    now = utc_now()
    conn.execute(
        "INSERT OR IGNORE INTO main.scripts (sha256, script_id, version, title, perspective, "
        "path, source, first_seen_at) SELECT sha256, script_id, version, title, perspective, "
        "path, source, first_seen_at FROM src.scripts"
    )
    for script_id, version in conn.execute("SELECT DISTINCT script_id, version FROM src.scripts"):
        report.scripts.add(f"{script_id} v{version}")
    _conflicts(conn, report)

    # Tombstones travel first: a session erased anywhere is taken from no file.
    erased_here = 0
    erased_texts: list[str] = []  # their words, kept out of the map edits copied below
    if "erased_sessions" in src_tables:
        conn.execute(
            "INSERT OR IGNORE INTO main.erased_sessions (session_id, erased_at) "
            "SELECT session_id, erased_at FROM src.erased_sessions"
        )
        doomed = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM main.sessions "
                "WHERE id IN (SELECT session_id FROM src.erased_sessions)"
            )
        ]
        if doomed:
            erased_texts += _texts(conn, "main", doomed)
            target.erase_in(conn, doomed)
            erased_here = len(doomed)
    erased = conn.execute(
        "SELECT count(*) FROM src.sessions "
        "WHERE id IN (SELECT session_id FROM main.erased_sessions)"
    ).fetchone()[0]

    # Which sessions to take: new ones, and newer copies of ones already here. A copy
    # only ever gains answer rows (a revision adds one), so the copy holding more is the
    # later one whatever its device's clock says; the time decides between equals.
    # The rows of sessions already here are counted in one pass: a new study's answers
    # have no index on their session while it is built.
    conn.execute("DROP TABLE IF EXISTS temp.merge_rows")
    conn.execute("CREATE TEMP TABLE merge_rows (id TEXT PRIMARY KEY, n INTEGER)")
    here = "SELECT s.id FROM src.sessions s JOIN main.sessions m ON m.id = s.id"
    if conn.execute(f"SELECT EXISTS ({here})").fetchone()[0]:  # else no scan at all
        conn.execute(
            "INSERT INTO temp.merge_rows SELECT a.session_id, count(*) FROM main.answers a "
            f"WHERE a.session_id IN ({here}) GROUP BY a.session_id"
        )
    conn.execute("DROP TABLE IF EXISTS temp.merge_pick")
    conn.execute("CREATE TEMP TABLE merge_pick (id TEXT PRIMARY KEY, replaces INTEGER)")
    # A participant who declined or withdrew (consent 0) had their answers dropped: that copy
    # holds fewer rows, yet it is the later one, and no copy from before the withdrawal may
    # bring their words back.
    conn.execute(
        "INSERT INTO temp.merge_pick SELECT s.id, m.id IS NOT NULL FROM src.sessions s "
        "LEFT JOIN main.sessions m ON m.id = s.id "
        "WHERE (m.id IS NULL OR (s.consent IS 0 AND m.consent IS NOT 0) OR ("
        "NOT (m.consent IS 0 AND s.consent IS NOT 0) AND ("
        "coalesce((SELECT n FROM temp.merge_rows r WHERE r.id = m.id), 0), "
        "coalesce(m.updated_at, '')) < ("
        "(SELECT count(*) FROM src.answers WHERE session_id = s.id), "
        "coalesce(s.updated_at, '')))) "
        "AND s.id NOT IN (SELECT session_id FROM main.erased_sessions)"
    )

    # A later copy only adds to what an earlier one said: one that says something else at
    # the same revision of an answer (edited on two devices, or altered) is not a later copy.
    # The copy already here is kept, and the researcher told which session to look at.
    # Sets of rows, not a lookup per row: the same file merged again compares every row.
    conn.execute("DROP TABLE IF EXISTS temp.merge_both")
    conn.execute("CREATE TEMP TABLE merge_both (id TEXT PRIMARY KEY, taken INTEGER)")
    conn.execute(
        "INSERT INTO temp.merge_both SELECT s.id, p.id IS NOT NULL FROM src.sessions s "
        "JOIN main.sessions h ON h.id = s.id LEFT JOIN temp.merge_pick p ON p.id = s.id "
        "WHERE s.id NOT IN (SELECT session_id FROM main.erased_sessions) "
        "AND s.consent IS NOT 0 AND h.consent IS NOT 0"
    )
    said = "session_id, question_id, step, revision, raw_text, value_json, skipped, maps_to"

    def unsaid(here: str, there: str, taken: int) -> str:
        # Rows of ``here`` that ``there`` does not hold word for word at their revision.
        both = f"session_id IN (SELECT id FROM temp.merge_both WHERE taken = {taken})"
        return (
            f"SELECT {said} FROM {here}.answers WHERE {both} "
            f"EXCEPT SELECT {said} FROM {there}.answers WHERE {both}"
        )

    # The copy taken must hold all the one here said; the copy left, only what is here.
    diverged = [
        row[0]
        for row in conn.execute(
            f"SELECT DISTINCT session_id FROM ({unsaid('main', 'src', 1)} "
            f"UNION ALL {unsaid('src', 'main', 0)}) ORDER BY session_id"
        )
    ]
    if diverged:
        conn.executemany("DELETE FROM temp.merge_pick WHERE id = ?", [(sid,) for sid in diverged])
        shown = ", ".join(sid[:8] for sid in diverged[:5]) + (", …" if len(diverged) > 5 else "")
        report.conflicts.append(
            f"{source}: {len(diverged)} session(s) ({shown}) give other answers than the copy "
            f"in {report.out} at the same revision: the copy already there was kept; compare "
            "them with `cjm sessions show ID --db FILE`."
        )
    report.future[str(source)] = conn.execute(
        "SELECT count(*) FROM src.sessions WHERE coalesce(updated_at, '') > ?",
        (utc_iso(datetime.now(UTC) + FUTURE_LEEWAY),),
    ).fetchone()[0]
    total = conn.execute("SELECT count(*) FROM src.sessions").fetchone()[0] - erased
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
        # An edit made on this file before a session was erased (here, or in a file
        # merged earlier) holds its words: they stay out with the session.
        erased_texts += [
            r[0]
            for r in conn.execute(
                "SELECT raw_text FROM src.answers WHERE raw_text IS NOT NULL "
                "AND session_id IN (SELECT session_id FROM main.erased_sessions)"
            )
        ]
        scrub_edits(conn, erased_texts)
    conn.execute("DROP TABLE temp.merge_pick")
    conn.execute("DROP TABLE temp.merge_rows")
    return added, total - added - replaced, replaced, edits, erased, erased_here


def _texts(conn: sqlite3.Connection, database: str, session_ids: list[str]) -> list[str]:
    """Every text the sessions' answers hold, revisions included."""
    return [
        r[0]
        for r in conn.execute(
            f"SELECT raw_text FROM {database}.answers WHERE raw_text IS NOT NULL "
            "AND session_id IN (SELECT value FROM json_each(?))",
            (json.dumps(session_ids),),
        )
    ]


def _prefixed(alias: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{c}" for c in columns)
