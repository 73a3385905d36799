"""Is a database file's schema exactly what this project's migrations build?

A file from elsewhere (a kiosk, a colleague's laptop, a shared drive) may carry
an added trigger that rewrites every imported answer, a table where erased text
survives, dropped audit-log triggers, or a view in place of a table that makes
every query hang. Before such a file is read or merged, its schema is compared
with a reference built at run time by applying the project's own migrations
(up to the file's version) to an in-memory database, so migrations added later
are covered without a list to keep in step.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cjm_interview.answers import LONGEST_ANSWER
from cjm_interview.errors import CjmError
from cjm_interview.store.schema import SCHEMA_VERSION

MIGRATION_SET = "cjm_interview"


class SchemaError(CjmError):
    """A database whose schema is not one this project builds."""


@dataclass(frozen=True)
class Schema:
    """The parts of a schema that decide what reading or merging a file does."""

    tables: dict[str, tuple[tuple[str, int, int], ...]]
    """Table name -> (column, not null, primary-key position) in order."""
    foreign_keys: dict[str, frozenset[tuple[str, str, str]]]
    indexes: dict[str, tuple[str, bool, tuple[str, ...]]]
    """Index name -> (table, unique, columns)."""
    views: dict[str, str]
    """View name -> its SQL, with spacing and quoting normalised."""
    triggers: dict[str, str]
    types: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    """Table name -> each column's declared type (the reference's tell what rows may hold)."""


def _normal_sql(sql: str | None) -> str:
    text = re.sub(r"[\"\[\]`]", "", sql or "")
    return " ".join(text.split()).lower()


def read_schema(conn: sqlite3.Connection, database: str = "main") -> Schema:
    """The schema of an open database (``database`` names an attached one)."""
    rows = conn.execute(
        f"SELECT type, name, tbl_name, sql FROM {database}.sqlite_master "
        "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()
    tables: dict[str, tuple[tuple[str, int, int], ...]] = {}
    foreign_keys: dict[str, frozenset[tuple[str, str, str]]] = {}
    indexes: dict[str, tuple[str, bool, tuple[str, ...]]] = {}
    views: dict[str, str] = {}
    triggers: dict[str, str] = {}
    types: dict[str, tuple[str, ...]] = {}
    for kind, name, table, sql in rows:
        if kind == "table":
            columns = conn.execute(f"PRAGMA {database}.table_xinfo([{name}])").fetchall()
            tables[name] = tuple((c[1], int(c[3]), int(c[5])) for c in columns)
            types[name] = tuple(str(c[2]).upper() for c in columns)
            fks = conn.execute(f"PRAGMA {database}.foreign_key_list([{name}])").fetchall()
            foreign_keys[name] = frozenset((f[3], f[2], f[4] or "") for f in fks)
        elif kind == "index":
            info = conn.execute(f"PRAGMA {database}.index_xinfo([{name}])").fetchall()
            keys = tuple(str(c[2]) for c in info if c[5])  # key columns only
            unique = bool(re.match(r"\s*create\s+unique", sql or "", re.I))
            indexes[name] = (table, unique, keys)
        elif kind == "view":
            views[name] = _normal_sql(sql)
        elif kind == "trigger":
            triggers[name] = _normal_sql(sql)
    return Schema(tables, foreign_keys, indexes, views, triggers, types)


@lru_cache(maxsize=SCHEMA_VERSION + 1)
def reference_schema(version: int = SCHEMA_VERSION) -> Schema:
    """The schema the first ``version`` migrations build, in a database in memory."""
    from sqlite_utils import Database

    from cjm_interview.store.migrations import migrations

    names = [m.name for m in migrations._migrations]
    conn = sqlite3.connect(":memory:")
    try:
        db = Database(conn, execute_plugins=False)
        stop = names[version] if version < len(names) else None
        migrations.apply(db, stop_before=stop)
        return read_schema(conn)
    finally:
        conn.close()


def migration_names(version: int) -> list[str]:
    """The names of the first ``version`` migrations."""
    from cjm_interview.store.migrations import migrations

    return [m.name for m in migrations._migrations[:version]]


def schema_problems(found: Schema, expected: Schema) -> list[str]:
    """What differs between a file's schema and the reference, most telling first."""
    problems: list[str] = []
    kinds: dict[str, tuple[Mapping[str, object], Mapping[str, object]]] = {
        "table": (found.tables, expected.tables),
        "view": (found.views, expected.views),
        "trigger": (found.triggers, expected.triggers),
        "index": (found.indexes, expected.indexes),
    }
    kind_of = {name: kind for kind, (have, _) in kinds.items() for name in have}
    for kind, (have, want) in kinds.items():
        for name in want:
            if name in have:
                continue
            other = kind_of.get(name)
            if other:
                problems.append(f"{name} is a {other}, not a {kind}")
            elif kind == "trigger":
                problems.append(f"trigger {name} has been removed")
            else:
                problems.append(f"{kind} {name} is missing")
    known = {name for _, want in kinds.values() for name in want}
    for kind, (have, _) in kinds.items():
        problems.extend(f"unknown {kind} {name}" for name in have if name not in known)
    for name, columns in expected.tables.items():
        have_columns = found.tables.get(name)
        if have_columns is not None and have_columns != columns:
            problems.append(f"table {name} has columns that differ from this version's")
        elif have_columns is not None and found.foreign_keys[name] != expected.foreign_keys[name]:
            problems.append(f"table {name} has different foreign keys")
    for name, sql in expected.views.items():
        if name in found.views and found.views[name] != sql:
            problems.append(f"view {name} has been changed")
    for name, sql in expected.triggers.items():
        if name in found.triggers and found.triggers[name] != sql:
            problems.append(f"trigger {name} has been changed")
    for name, index in expected.indexes.items():
        if name in found.indexes and found.indexes[name] != index:
            problems.append(f"index {name} has been changed")
    return problems


def applied_migrations(conn: sqlite3.Connection, database: str = "main") -> list[str] | None:
    """Names of this project's migrations recorded in a file (None without the table)."""
    try:
        rows = conn.execute(
            f"SELECT name FROM {database}._sqlite_migrations WHERE migration_set = ? "
            "ORDER BY rowid",
            (MIGRATION_SET,),
        ).fetchall()
    except sqlite3.Error:
        return None
    return [str(r[0]) for r in rows]


def check_schema(
    conn: sqlite3.Connection,
    path: Path | str,
    version: int,
    database: str = "main",
    rows: bool = True,
) -> None:
    """Raise SchemaError (one line naming the file) unless the schema is the reference's,
    and (with ``rows``) unless every row holds what the project writes (see ``row_problem``).
    """
    if version < 0:  # no migration count: the header's version field was changed
        raise SchemaError(
            f"{path}: not a database this version of cjm-interview builds: its schema "
            f"version is {version}",
            "Nothing was read or written. Ask for the original file from the device that "
            "recorded it.",
        )
    found = read_schema(conn, database)
    problems = schema_problems(found, reference_schema(version))
    if not problems:
        recorded = applied_migrations(conn, database)
        if recorded is not None and recorded != migration_names(version):
            problems.append("its record of applied migrations does not match its version")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SchemaError(
            f"{path}: not a database this version of cjm-interview builds: {problems[0]}{more}",
            "Nothing was read or written. Ask for the original file from the device that "
            "recorded it, or open it with an SQLite client to see what was changed.",
        )
    problem = row_problem(conn, reference_schema(version), database) if rows else ""
    if problem:
        raise SchemaError(
            f"{path}: holds values this version of cjm-interview never writes: {problem}",
            "Nothing of it was kept or shown. Ask for the original file from the device that "
            "recorded it, or open it with an SQLite client to see what was changed.",
        )


# What each declared type may hold (SQLite keeps any value in any column).
_KINDS = {
    "TEXT": ("text",),
    "INTEGER": ("integer",),
    "REAL": ("real", "integer"),
    "BLOB": ("blob",),
}
MAX_JSON_DEPTH = 32
"""Deeper than any answer this project stores (a review is two levels), far below what
Python's decoder can take."""
_GRADES = "('step.grade', 'overall.grade')"
_TOO_LONG = " (too long)"
_LONGEST_JSON = 6 * LONGEST_ANSWER + 2
"""An answer's value as JSON: its text with each character escaped (``\\u0001``) at most."""


def row_problem(conn: sqlite3.Connection, expected: Schema, database: str = "main") -> str:
    """The first stored value the project's own code could never have written ("" if none).

    Read code trusts what the migrations and the store write: text where text
    belongs, answers' values as shallow JSON, grades on the 0-10 scale. A value
    of another kind from a file made elsewhere would stop every export of a study
    it were merged into. One scan of each table, in SQLite.
    """
    for table, columns in expected.tables.items():
        # "typeof(x) != 'a' AND typeof(x) != 'b'", not "NOT IN ('a', 'b')": SQLite looks
        # a value up in an IN list through a temporary index, twice as slow over every row.
        checks = [
            "WHEN "
            + " AND ".join(f"typeof([{name}]) != '{k}'" for k in (*_KINDS[kind], "null"))
            + f" THEN '{name}'"
            for (name, _, _), kind in zip(columns, expected.types[table], strict=True)
            if kind in _KINDS
        ]
        if table == "answers":
            checks += [
                # Revisions count from 1; a row at 0 made current took an answer's place.
                "WHEN revision < 1 OR is_current NOT IN (0, 1) THEN 'revision'",
                "WHEN value_json IS NOT NULL AND NOT json_valid(value_json) THEN 'value_json'",
                f"WHEN maps_to IN {_GRADES} AND value_json NOT IN ('null') AND NOT ("
                "json_type(value_json) IN ('integer', 'real') "
                "AND json_extract(value_json, '$') BETWEEN 0 AND 10) THEN 'value_json (a grade)'",
                # Longer than the engine takes: reading it made every export crawl.
                f"WHEN length(raw_text) > {LONGEST_ANSWER} THEN 'raw_text{_TOO_LONG}'",
                # A list (the choices and an "Other" text) is made from one text too.
                f"WHEN length(value_json) > {_LONGEST_JSON} THEN 'value_json{_TOO_LONG}'",
                # The channels ticked (a list of names), or the words of a text question
                # asking for them (the quick script's follow-up: "by phone").
                "WHEN maps_to = 'step.touchpoints' AND value_json NOT IN ('null') AND "
                "json_type(value_json) != 'text' AND (json_type(value_json) != 'array' OR "
                "EXISTS (SELECT 1 FROM json_each(value_json) WHERE type != 'text')) "
                "THEN 'value_json (channels)'",
            ]
        if table == "step_group_edits":  # anchors are read as JSON lists of phrasings
            # (files from before anchors were recorded have no such columns)
            for name in sorted({"anchor", "target_anchor"} & {c[0] for c in columns}):
                checks += [
                    f"WHEN {name} != '' AND NOT json_valid({name}) THEN '{name}'",
                    f"WHEN {name} != '' AND (json_type({name}) != 'array' OR EXISTS (SELECT 1 "
                    f"FROM json_each({name}) WHERE type != 'text')) THEN '{name}'",
                ]
        if table == "tags" and {"kind", "score"} <= {c[0] for c in columns}:
            # A grade on the 0-10 scale, else a confidence in 0..1: an infinite score was
            # written into the map's JSON as "Infinity", which JSON readers refuse.
            checks.append(
                "WHEN score IS NOT NULL AND NOT (score BETWEEN 0 AND "
                "(CASE WHEN kind = 'grade' THEN 10 ELSE 1 END)) THEN 'score'"
            )
        if table == "sessions":
            # A uuid as the store makes it: "D7AC…" beside "d7ac…" was one interview counted
            # twice on the map, and merges told them apart.
            checks.append(f"WHEN id IS NULL OR id NOT GLOB '{_UUID_GLOB}' THEN 'id'")
        if table == "notes":  # the note box takes no more than an answer
            checks.append(f"WHEN length(text) > {LONGEST_ANSWER} THEN 'text{_TOO_LONG}'")
        if table in ("embeddings", "text_vectors"):  # 4-byte floats, ``dim`` of them
            checks.append("WHEN vector IS NULL OR length(vector) != 4 * dim THEN 'vector'")
        if not checks:
            continue
        found = conn.execute(
            f"SELECT bad, rowid FROM (SELECT CASE {' '.join(checks)} END AS bad, rowid "
            f"FROM {database}.[{table}]) WHERE bad IS NOT NULL LIMIT 1"
        ).fetchone()
        if found and found[0].endswith(_TOO_LONG):
            return (
                f"table {table}, row {found[1]}: column {found[0].removesuffix(_TOO_LONG)} "
                f"holds a text longer than any answer ({LONGEST_ANSWER:,} characters)"
            )
        if found:
            return (
                f"table {table}, row {found[1]}: column {found[0]} holds a value of the wrong kind"
            )
    # A session names the script it ran by hash. SQLite holds a file to that only when
    # asked (``foreign_keys``), and a merge builds a new study without asking (it is
    # faster; every other reference there holds by the way rows are picked).
    sessions = {c[0] for c in expected.tables.get("sessions", ())}
    if "script_sha256" in sessions and "scripts" in expected.tables:
        found = conn.execute(
            f"SELECT rowid FROM {database}.sessions WHERE script_sha256 IS NOT NULL AND "
            f"script_sha256 NOT IN (SELECT sha256 FROM {database}.scripts) LIMIT 1"
        ).fetchone()
        if found:
            return (
                f"table sessions, row {found[0]}: column script_sha256 names a script the "
                "file does not hold"
            )
    # A stored script is found by the hash of its text: a text changed under its hash (its
    # stages swapped, made unreadable) would be trusted as the script the sessions ran.
    if {"sha256", "source"} <= {c[0] for c in expected.tables.get("scripts", ())}:
        conn.create_function("cjm_sha256", 1, _sha256_of, deterministic=True)
        found = conn.execute(
            f"SELECT rowid FROM {database}.scripts WHERE source IS NOT NULL AND "
            "sha256 IS NOT cjm_sha256(source) LIMIT 1"
        ).fetchone()
        if found:
            return (
                f"table scripts, row {found[0]}: column source is not the text its sha256 "
                "names (the script was changed after it was stored)"
            )
    # Each answer has one current row, its latest revision: a copy whose current rows were
    # cleared or moved lost an answer, or showed an older one, without a word.
    if "is_current" in {c[0] for c in expected.tables.get("answers", ())}:
        # Only answers given more than once, or not current, can break it: a scan, not a sort.
        found = conn.execute(
            f"SELECT min(a.rowid) FROM {database}.answers a WHERE "
            "(a.session_id, a.question_id, a.step) IN (SELECT session_id, question_id, step "
            f"FROM {database}.answers WHERE revision > 1 OR is_current != 1) "
            "GROUP BY a.session_id, a.question_id, a.step HAVING sum(a.is_current) != 1 OR "
            "max(CASE WHEN a.is_current = 1 THEN a.revision END) != max(a.revision) LIMIT 1"
        ).fetchone()
        if found:
            return (
                f"table answers, row {found[0]}: column is_current does not mark the latest "
                "revision of its answer (exactly one row per answer is current)"
            )
    # Nesting is not bounded by json_valid: only values with many brackets are scanned.
    for rowid, value in conn.execute(
        f"SELECT rowid, value_json FROM {database}.answers WHERE length(value_json) > "
        f"{MAX_JSON_DEPTH} AND "  # too short to nest that deep: not counted (3 times faster)
        "length(value_json) - length(replace(replace(value_json, '[', ''), '{', '')) "
        f"> {MAX_JSON_DEPTH}"
    ):
        if _json_depth(value) > MAX_JSON_DEPTH:
            return f"table answers, row {rowid}: column value_json is nested too deeply"
    # A split's pattern is compiled when the map is built: one that is not a pattern
    # stopped every map of the study.
    for rowid, pattern in conn.execute(
        f"SELECT rowid, pattern FROM {database}.step_group_edits WHERE pattern IS NOT NULL"
    ):
        try:
            split_pattern(pattern)
        except ValueError:
            return f"table step_group_edits, row {rowid}: column pattern is not a pattern"
    return ""


_HEX = "[0-9a-f]"
_UUID_GLOB = "-".join(_HEX * n for n in (8, 4, 4, 4, 12))


def _sha256_of(text: object) -> str | None:
    """The hash a script's text is stored under (``script.parse_script``)."""
    if not isinstance(text, str):
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


SEARCH_SECONDS = 0.05
"""How long one step's words may take to match a split's pattern: ``(a+)+$`` against 35
letters backtracks for minutes, and every later map of the study waited on it."""


class SplitPattern:
    """A map split's pattern (a regular expression, any case), matched with a time limit.

    A pattern that once takes longer than ``SEARCH_SECONDS`` on one text is ``too_slow``
    from then on and matches nothing more (the map lists its edit as unmatched).
    """

    def __init__(self, source: str) -> None:
        import regex  # its matches take a timeout; ``re``'s cannot be stopped

        self.compiled = regex.compile(source, regex.IGNORECASE | regex.V0)
        self.too_slow = False

    def search(self, text: str, if_too_slow: bool = False) -> bool:
        """Whether ``text`` holds a match; ``if_too_slow`` when it cannot be told in time."""
        if self.too_slow:
            return if_too_slow
        try:
            return self.compiled.search(text, timeout=SEARCH_SECONDS) is not None
        except TimeoutError:
            self.too_slow = True
            return if_too_slow


def split_pattern(pattern: str) -> SplitPattern:
    """A map split's pattern, compiled as the map applies it; ValueError saying why not.

    The parser raises more than its own error: OverflowError for a repeat count past its
    limit, RecursionError for thousands of nested groups.
    """
    import regex

    try:
        return SplitPattern(pattern)
    except (regex.error, OverflowError, RecursionError, ValueError) as exc:
        raise ValueError(str(exc)) from None


def _json_depth(text: str) -> int:
    """How deeply JSON text nests, read without recursion (brackets in strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
