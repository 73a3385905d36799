"""Database files from elsewhere: a changed schema is refused in one line, before any read.

The files are real device databases with one change each (an added trigger
and table, dropped audit triggers, a table replaced by a view that never ends,
a missing table). Every command that opens a file it was given runs the same
check, as a real process with a time limit: a hang fails the test.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import struct
from pathlib import Path

import pytest

from cjm_interview.errors import CjmError
from cjm_interview.importer import import_file
from cjm_interview.merge import merge_databases
from cjm_interview.store import Store
from cjm_interview.store.check import read_schema, reference_schema

from ..conftest import PROMPTS
from ..reliability.hostile import cjm, one_clear_line

EXAMPLE = PROMPTS / "examples" / "customer_interview.json"
ENDLESS = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n"

CHANGES = {
    "added_trigger_and_table": [
        "CREATE TABLE keep (text TEXT)",
        "CREATE TRIGGER copy_answers AFTER INSERT ON answers BEGIN "
        "INSERT INTO keep VALUES (new.raw_text); END",
        "CREATE TRIGGER set_segment AFTER INSERT ON sessions BEGIN "
        "UPDATE sessions SET segment = 'planted' WHERE id = new.id; END",
    ],
    "audit_triggers_dropped": [
        "DROP TRIGGER audit_log_no_update",
        "DROP TRIGGER audit_log_no_delete",
    ],
    "table_replaced_by_endless_view": [
        "DROP TABLE tags",
        "CREATE VIEW tags AS SELECT x AS id, x AS answer_id, 'emotion' AS kind, 'anger' AS label, "
        "1.0 AS score, '' AS source, '' AS source_version, 'suggested' AS status, "
        f"NULL AS decided_by, NULL AS decided_at, NULL AS created_at FROM ({ENDLESS})",
    ],
    "sessions_replaced_by_endless_view": [
        "PRAGMA foreign_keys = OFF",
        "ALTER TABLE sessions RENAME TO old_sessions",
        f"CREATE VIEW sessions AS SELECT s.* FROM old_sessions s, ({ENDLESS})",
    ],
    "missing_table": ["DROP TABLE tags"],
    "changed_view": ["DROP VIEW current_answers", "CREATE VIEW current_answers AS SELECT 1"],
    "extra_index": ["CREATE INDEX sneaky ON answers (raw_text)"],
}


def device(path: Path) -> str:
    result = import_file(EXAMPLE, db_path=path, progress=False)
    assert not result.errors
    return result.session_ids[0]


def hostile(tmp_path: Path, name: str) -> tuple[Path, str]:
    path = tmp_path / f"{name}.db"
    sid = device(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA legacy_alter_table = ON")
    for statement in CHANGES[name]:
        conn.execute(statement)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the file: its bytes can be compared
    conn.close()
    return path, sid


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_merge_refuses_a_changed_schema(tmp_path: Path, name: str) -> None:
    path, _ = hostile(tmp_path, name)
    out = tmp_path / "study.db"
    run = cjm("db", "merge", out, path, timeout=30)
    one_clear_line(run)
    assert str(path) in run.err and "not a database this version" in run.err
    assert not out.exists()


@pytest.mark.parametrize("name", ["added_trigger_and_table", "sessions_replaced_by_endless_view"])
@pytest.mark.parametrize(
    "command",
    [
        ("sessions", "list"),
        ("sessions", "show", "SID"),
        ("export", "--format", "json", "-o", "OUT"),
        ("db", "check"),
        ("import", str(EXAMPLE)),
        ("interview",),
        ("interview", "--resume", "SID"),
        ("kiosk",),
    ],
    ids=["list", "show", "export", "check", "import", "interview", "resume", "kiosk"],
)
def test_every_command_checks_a_file_first(
    tmp_path: Path, name: str, command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The interview and the kiosk record into the file: a trigger planted in it
    # would copy or rewrite every answer, so they refuse it before the screen starts.
    monkeypatch.setenv("CJM_KIOSK_PIN", "4321")
    path, sid = hostile(tmp_path, name)
    before = path.read_bytes()
    args = [a.replace("SID", sid[:8]).replace("OUT", str(tmp_path / "map.json")) for a in command]
    run = cjm(*args, "--db", path, timeout=40)
    one_clear_line(run)
    assert "not a database this version" in run.err
    assert path.read_bytes() == before


@pytest.mark.parametrize("version", [-1, -2147483641])
def test_a_negative_schema_version_is_refused_in_one_line(tmp_path: Path, version: int) -> None:
    # Four bytes of the header changed (found by the merge fuzz test): an IndexError
    # traceback from merge and from every command reading the file.
    path = tmp_path / "device.db"
    device(path)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {version}")
    for command in (("db", "merge", str(tmp_path / "out.db"), str(path)), ("sessions", "list")):
        run = cjm(*command, *(() if command[0] == "db" else ("--db", path)), timeout=40)
        one_clear_line(run)
        assert "not a database this version" in run.err and f"{version}" in run.err
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    assert not (tmp_path / "out.db").exists()


def test_a_new_output_is_built_by_the_migrations(tmp_path: Path) -> None:
    a, out = tmp_path / "a.db", tmp_path / "study.db"
    device(a)
    merge_databases(out, [a])
    with sqlite3.connect(out) as conn:
        assert read_schema(conn) == reference_schema()
    with Store(out) as store:
        assert store.count_sessions() == 1


def test_merged_rows_are_only_those_of_known_tables_and_columns(tmp_path: Path) -> None:
    a, out = tmp_path / "a.db", tmp_path / "study.db"
    device(a)
    merge_databases(out, [a])
    b = tmp_path / "b.db"
    device(b)
    merge_databases(out, [b])
    with sqlite3.connect(out) as conn:
        segments = {r[0] for r in conn.execute("SELECT segment FROM sessions")}
        detail = json.loads(json.dumps(segments, default=list))
    assert detail == ["new customer"]


# Rows a file from elsewhere can hold under an unchanged schema: each made `export`
# print a traceback, and merge copied them into the study, so that every later export
# of the whole study failed.
ROW_CHANGES = {
    "answer_not_json": "UPDATE answers SET value_json = '{not json' WHERE maps_to = 'step.grade'",
    "answer_nested_5000_deep": (
        f"UPDATE answers SET value_json = '{'[' * 5000}{']' * 5000}' "
        "WHERE maps_to = 'step.touchpoints'"
    ),
    # The shortest value past the limit: 33 levels in 66 characters.
    "answer_nested_33_deep": (
        f"UPDATE answers SET value_json = '{'[' * 33}{']' * 33}' WHERE maps_to = 'step.touchpoints'"
    ),
    "answer_text_as_bytes": "UPDATE answers SET raw_text = x'ff00fe' WHERE maps_to = 'step.action'",
    "grade_past_any_scale": "UPDATE answers SET value_json = '1e308' WHERE maps_to = 'step.grade'",
    "grade_below_the_scale": "UPDATE answers SET value_json = '-7' WHERE maps_to = 'step.grade'",
    "participant_as_bytes": "UPDATE sessions SET participant = x'1b5d303b'",
    # Longer than any answer a script may allow: export took 77 s over a 20 MB one.
    "answer_text_past_any_answer": (
        "UPDATE answers SET raw_text = printf('%.*c', 20000000, 'x'), "
        "value_json = json_quote(printf('%.*c', 20000000, 'x')) WHERE maps_to = 'step.action'"
    ),
    # The same through a list's "Other" text, and through an interviewer's note.
    "list_answer_past_any_answer": (
        "UPDATE answers SET value_json = json_array(printf('%.*c', 2000000, 'x')) "
        "WHERE maps_to = 'step.touchpoints'"
    ),
    "note_past_any_answer": (
        "INSERT INTO notes (session_id, text, author, created_at) "
        "SELECT id, printf('%.*c', 2000000, 'x'), 'ana', '2026-01-01T00:00:00Z' FROM sessions"
    ),
    "channels_not_names": (
        "UPDATE answers SET value_json = '[1, null, [2]]' WHERE maps_to = 'step.touchpoints'"
    ),
    # The stages' cached vectors (filled by a first export): a cut one stopped every map.
    "stage_vector_missing": "UPDATE text_vectors SET vector = NULL",
    "stage_vector_cut": "UPDATE text_vectors SET vector = x'0000'",
    "answer_vector_cut": "UPDATE embeddings SET vector = x'00'",
    # A session whose script is not in the file: a merge stopped with SQLite's words
    # and the name of its temporary file.
    "session_script_missing": "UPDATE sessions SET script_sha256 = 'deadbeef'",
    # A score past any number was written into the map's JSON as Infinity (not JSON); a
    # predicted grade of 99 into its curve.
    "tag_score_infinite": (
        "INSERT INTO tags (answer_id, kind, label, score, status) "
        "SELECT id, 'sentiment', 'negative', 1e999, 'suggested' FROM answers "
        "WHERE maps_to = 'step.action'"
    ),
    "tag_grade_off_the_scale": (
        "INSERT INTO tags (answer_id, kind, label, score, status) "
        "SELECT id, 'grade', 'grade', 99, 'suggested' FROM answers WHERE maps_to = 'step.action'"
    ),
    # A row at revision 0 made current in place of the answer given: "EVIL" was merged in.
    "answer_at_revision_0": (
        "INSERT INTO answers (session_id, question_id, section_id, maps_to, step, revision, "
        "is_current, raw_text, value_json, skipped, answered_at) SELECT session_id, "
        "question_id, section_id, maps_to, step, 0, 1, 'EVIL', '\"EVIL\"', 0, answered_at "
        "FROM answers WHERE question_id = 'service'"
    ),
    # No current row left for an answer: it vanished from every map without a word.
    "answer_not_current": "UPDATE answers SET is_current = 0 WHERE question_id = 'service'",
    # An id of the right length and dashes that is no uuid: 36 dashes.
    "session_id_all_dashes": (
        "INSERT INTO sessions (id, script_id, script_version, script_sha256, perspective, "
        "participant, status, started_at) SELECT printf('%.36c', '-'), script_id, "
        "script_version, script_sha256, perspective, participant, status, started_at "
        "FROM sessions"
    ),
    # The same interview again under its id in capitals: counted twice on the map.
    "session_id_in_capitals": (
        "INSERT INTO sessions (id, script_id, script_version, script_sha256, perspective, "
        "participant, status, started_at) SELECT upper(id), script_id, script_version, "
        "script_sha256, perspective, participant, status, started_at FROM sessions"
    ),
    "split_pattern_not_a_pattern": (
        "INSERT INTO step_group_edits (action, group_key, label, pattern, created_at) "
        "VALUES ('split', 'any', 'Any', '(((', '2026-01-01T00:00:00Z')"
    ),
    # An edit's anchor (the phrasings that find its moment or stage again) is read as a
    # JSON list of texts: anything else stopped every map.
    "edit_anchor_not_json": (
        "INSERT INTO step_group_edits (action, group_key, label, created_at, anchor) "
        "VALUES ('stage-rename', 'gone', 'Any', '2026-01-01T00:00:00Z', '{not json')"
    ),
    "edit_anchor_not_texts": (
        "INSERT INTO step_group_edits (action, group_key, label, created_at, anchor) "
        "VALUES ('rename', 'gone', 'Any', '2026-01-01T00:00:00Z', '[[1], {}]')"
    ),
    "edit_target_anchor_not_a_list": (
        "INSERT INTO step_group_edits (action, group_key, target_key, created_at, "
        "target_anchor) VALUES ('stage-move', 'any', 'gone', '2026-01-01T00:00:00Z', '7')"
    ),
}


def row_hostile(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.db"
    device(path)
    if "vector" in name:
        run = cjm("export", "--format", "json", "-o", tmp_path / "first.json", "--db", path)
        assert run.code == 0, run.err
    conn = sqlite3.connect(path, isolation_level=None)
    assert conn.execute(ROW_CHANGES[name]).rowcount > 0, name
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.mark.parametrize("name", sorted(ROW_CHANGES))
def test_rows_of_the_wrong_kind_are_refused_in_one_line(tmp_path: Path, name: str) -> None:
    path = row_hostile(tmp_path, name)
    run = cjm("export", "--format", "json", "-o", tmp_path / "map.json", "--db", path)
    one_clear_line(run)
    assert str(path) in run.err
    out = tmp_path / "study.db"
    run = cjm("db", "merge", out, path)
    one_clear_line(run)
    assert str(path) in run.err
    assert not out.exists()


def test_the_rows_of_a_real_device_pass_the_check(tmp_path: Path) -> None:
    a, out = tmp_path / "a.db", tmp_path / "study.db"
    device(a)
    run = cjm("export", "--format", "json", "-o", tmp_path / "map.json", "--db", a)
    assert run.code == 0, run.err
    merge_databases(out, [a])
    with Store(out) as store:
        assert store.count_sessions() == 1


def test_a_channel_told_in_words_passes_the_check(tmp_path: Path, quick_script) -> None:
    """The quick script asks how a step was done in words when the tagger heard no channel:
    the words are kept as the answer ("by phone"), and the check refused the whole file, so a
    kiosk study could no longer be listed, exported or merged after one such answer."""
    from cjm_interview.domain import SessionInfo
    from cjm_interview.nlp.lexicon import LexiconTagger
    from cjm_interview.session import InterviewSession

    path, out = tmp_path / "kiosk.db", tmp_path / "study.db"
    with Store(path) as store:
        session = InterviewSession.start(store, quick_script, SessionInfo(), LexiconTagger())
        for answer in ("yes", "went there", "by phone", "7", "no", "6", "more staff", ""):
            session.submit(answer)
        probes = [a.raw for a in store.load_answers(session.id) if a.key.question_id != "action"]
    assert "by phone" in probes
    for command in (("sessions", "list"), ("export", "--format", "csv", "-o", tmp_path / "m.csv")):
        run = cjm(*command, "--db", path, timeout=40)
        assert run.code == 0, run.err
    merge_databases(out, [path])
    with Store(out, check_schema=True) as study:
        assert study.count_sessions() == 1


def test_a_database_of_utf16_text_is_refused_in_one_line(tmp_path: Path) -> None:
    # Another SQLite tool may store text as UTF-16: SQLite cannot attach it to a UTF-8
    # study, and merge printed that error as a traceback.
    a = tmp_path / "a.db"
    device(a)
    utf16 = tmp_path / "utf16.db"
    with sqlite3.connect(a) as source:
        dump = list(source.iterdump())
        version = source.execute("PRAGMA user_version").fetchone()[0]
        app = source.execute("PRAGMA application_id").fetchone()[0]
    source.close()
    copy = sqlite3.connect(utf16, isolation_level=None)
    copy.execute("PRAGMA encoding = 'UTF-16le'")
    copy.executescript("\n".join(dump))
    copy.execute(f"PRAGMA user_version = {version}")
    copy.execute(f"PRAGMA application_id = {app}")
    copy.close()
    study = tmp_path / "study.db"
    merge_databases(study, [a])
    for out in (tmp_path / "new.db", study):
        run = cjm("db", "merge", out, utf16)
        one_clear_line(run)
        assert str(utf16) in run.err and "UTF-16" in run.err
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize("existing", [False, True], ids=["new study", "existing study"])
def test_a_bad_file_after_good_ones_leaves_the_study_as_it_was(
    tmp_path: Path, existing: bool
) -> None:
    # Inputs are checked on a thread while the ones before them are copied: a new
    # study built meanwhile is thrown away, an existing one is not touched.
    good = tmp_path / "good.db"
    device(good)
    bad, _ = hostile(tmp_path, "added_trigger_and_table")
    out = tmp_path / "study.db"
    before = b""
    if existing:
        Store(out).close()
        before = out.read_bytes()
    with pytest.raises(CjmError, match="not a database this version"):
        merge_databases(out, [good, bad])
    assert out.exists() == existing
    if existing:
        assert out.read_bytes() == before
    assert not list(tmp_path.glob(".study.db.*"))


@pytest.mark.parametrize("into", ["new study", "existing study"])
@pytest.mark.parametrize(
    "put_in_its_place", [None, "grade_past_any_scale", "added_trigger_and_table"]
)
def test_an_input_removed_or_replaced_after_its_check_is_not_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, put_in_its_place: str | None, into: str
) -> None:
    # After its check was asked for and before its copy. Removed: ATTACH made an empty
    # database in its place and the merge failed on a table of the hidden build.
    # Replaced: the rows or the schema merged were never checked. An existing study
    # copies an input after its check; a new one as soon as it can (its checks finish
    # during the copies), so the file is changed just before its copy.
    import cjm_interview.merge as merge

    good, later = tmp_path / "good.db", tmp_path / "later.db"
    device(good)
    device(later)
    out = tmp_path / "study.db"
    if into == "existing study":
        Store(out).close()
    if put_in_its_place in ROW_CHANGES:
        bad = row_hostile(tmp_path, put_in_its_place)
    elif put_in_its_place:
        bad, _ = hostile(tmp_path, put_in_its_place)
    merge_one = merge._merge_one

    def change_then_copy(target, source: Path, *args) -> None:  # type: ignore[no-untyped-def]
        if source == later:
            if put_in_its_place:
                os.replace(bad, later)
            else:
                later.unlink()
        merge_one(target, source, *args)

    monkeypatch.setattr(merge, "_merge_one", change_then_copy)
    # Said by the copy, or by the check when it was still reading (a new study).
    with pytest.raises(CjmError, match=r"later\.db was (removed or )?replaced"):
        merge_databases(out, [good, later])
    assert later.exists() == bool(put_in_its_place)  # not made again by ATTACH
    if into == "new study":
        assert not out.exists()
    else:
        with Store(out) as store:  # the input before it was merged
            assert store.count_sessions() == 1


def test_an_input_replaced_while_it_is_checked_is_not_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cjm_interview.merge as merge

    good, swapped = tmp_path / "good.db", tmp_path / "swapped.db"
    device(good)
    device(swapped)
    bad = row_hostile(tmp_path, "grade_past_any_scale")
    real = merge.check_schema

    def swap_during_the_check(conn, path, *args, **kwargs) -> None:
        real(conn, path, *args, **kwargs)  # the file checked is the good one...
        if Path(path) == swapped:
            os.replace(bad, swapped)  # ...and another is in its place afterwards

    monkeypatch.setattr(merge, "check_schema", swap_during_the_check)
    with pytest.raises(CjmError, match=r"swapped\.db was replaced while it was checked"):
        merge_databases(tmp_path / "study.db", [good, swapped])
    assert not (tmp_path / "study.db").exists()


def _slow_first_check(monkeypatch: pytest.MonkeyPatch, first: Path) -> list[str]:
    """The first input's row check ends only after its rows are copied; returns the order
    in which checks and copies ended."""
    import threading

    import cjm_interview.merge as merge

    done: list[str] = []
    copied = threading.Event()
    check, copy, schema = merge._check_input, merge._copy, merge.check_schema

    def slow_rows(conn, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        # The checker's reader holds the file open until the copy is over.
        if Path(path) == first and kwargs.get("rows", True):
            assert copied.wait(20), "the first input was not copied while it was checked"
        return schema(conn, path, *args, **kwargs)

    def slow_check(source: Path, asked: tuple[int, int]) -> tuple[int, int] | None:
        try:
            return check(source, asked)
        finally:
            done.append(f"check {source.name}")

    def noted_copy(target, conn, source: Path, *args):  # type: ignore[no-untyped-def]
        try:
            return copy(target, conn, source, *args)
        finally:
            done.append(f"copy {source.name}")
            copied.set()

    monkeypatch.setattr(merge, "check_schema", slow_rows)
    monkeypatch.setattr(merge, "_check_input", slow_check)
    monkeypatch.setattr(merge, "_copy", noted_copy)
    return done


def closed(*paths: Path) -> list[str]:
    """The folder's files once the databases' last connections are closed (as a device's
    files come: no -wal or -shm beside them)."""
    gc.collect()  # a store the import left to the collector
    for path in paths:
        sqlite3.connect(path).close()
    files = sorted(p.name for p in paths[0].parent.iterdir())
    assert not [f for f in files if f.endswith(("-wal", "-shm"))], files
    return files


@pytest.mark.parametrize("first", ["refused", "good"])
@pytest.mark.parametrize("name", ["grade_past_any_scale", "answer_nested_5000_deep"])
def test_an_input_copied_before_its_check_ends_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, first: str
) -> None:
    # A new study's inputs are copied into its hidden build while their rows are
    # checked: what a check finds still refuses the merge, no study is made, and
    # nothing is left beside the inputs.
    bad = row_hostile(tmp_path, name)
    good = tmp_path / "good.db"
    device(good)
    files = closed(bad, good)
    inputs = [bad, good] if first == "refused" else [good, bad]
    done = _slow_first_check(monkeypatch, inputs[0])
    out = tmp_path / "study.db"
    with pytest.raises(CjmError, match=f"{bad.name}.*(row|column|value)") as caught:
        merge_databases(out, inputs)
    first_name = inputs[0].name
    assert done.index(f"copy {first_name}") < done.index(f"check {first_name}"), done
    assert str(bad) in str(caught.value)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == files


def test_an_input_copied_while_checked_is_merged_and_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "study.db"
    device(a)
    device(b)
    files = closed(a, b)
    done = _slow_first_check(monkeypatch, a)
    report = merge_databases(out, [a, b])
    assert done.index("copy a.db") < done.index("check a.db"), done
    assert sum(report.added.values()) == 2
    with Store(out) as store:
        assert store.count_sessions() == 2
    # Nothing left beside the inputs: their check's reader could not tidy them away.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "study.db") == files


@pytest.mark.slow
def test_cached_vectors_no_encoder_gives_are_encoded_again(tmp_path: Path) -> None:
    # NaN or infinite vectors in a file from elsewhere passed as they were: the map
    # printed numpy's warnings and drew one step told alike as several columns.
    path = tmp_path / "device.db"
    device(path)
    gc.collect()  # the import's own connection: this test writes the file beside the CLI
    good = cjm("export", "--format", "json", "-o", tmp_path / "good.json", "--db", path)
    assert good.code == 0, good.err
    conn = sqlite3.connect(path, isolation_level=None)
    nan, inf = (float(v) for v in ("nan", "inf"))
    blob = {0: struct.pack("<384f", *[nan] * 384), 1: struct.pack("<384f", *[inf] * 384)}
    ids = [row[0] for row in conn.execute("SELECT answer_id FROM embeddings")]
    for n, answer in enumerate(ids):
        conn.execute("UPDATE embeddings SET vector = ? WHERE answer_id = ?", (blob[n % 2], answer))
    conn.execute("UPDATE text_vectors SET vector = ?", (blob[0],))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    words = cjm(
        "export", "--format", "json", "--no-encode", "-o", tmp_path / "w.json", "--db", path
    )
    assert words.code == 0 and "Warning" not in words.err, words.err
    assert json.loads((tmp_path / "w.json").read_text())["alignment"]["representation"] == "lexical"
    again = cjm("export", "--format", "json", "-o", tmp_path / "again.json", "--db", path)
    assert again.code == 0 and "Warning" not in again.err, again.err
    first, second = (json.loads((tmp_path / f).read_text()) for f in ("good.json", "again.json"))
    assert [s["label"] for s in second["steps"]] == [s["label"] for s in first["steps"]]
    # Encoded again in their place: the next map reads them.
    conn = sqlite3.connect(path)
    vectors = [row[0] for row in conn.execute("SELECT vector FROM embeddings")]
    assert len(vectors) == len(ids) and blob[0] not in vectors and blob[1] not in vectors


def test_a_script_changed_under_its_hash_is_refused_in_one_line(tmp_path: Path) -> None:
    """Its stages swapped, or its text made unreadable, a stored script was trusted as the
    one its sessions ran (the map's stages came from it; bad YAML left it silently out)."""
    path = tmp_path / "device.db"
    device(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE scripts SET source = replace(source, 'Sign up', 'Signed away')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    run = cjm("export", "--format", "json", "-o", tmp_path / "map.json", "--db", path)
    one_clear_line(run)
    assert "column source is not the text its sha256 names" in run.err
    out = tmp_path / "study.db"
    one_clear_line(cjm("db", "merge", out, path))
    assert not out.exists()
