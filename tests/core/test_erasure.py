"""Right to erasure: on merged files, across later merges, in map edits, and on disk."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm_interview.cli import main
from cjm_interview.importer import import_file
from cjm_interview.merge import merge_databases
from cjm_interview.store import Store

from ..conftest import PROMPTS

SECRET = "Asked my neighbour Zebulon Quartermaine about the deal"


def run(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def device(path: Path, secret: str = SECRET) -> str:
    """A device file with one interview whose first step carries ``secret``."""
    data = json.loads((PROMPTS / "examples" / "customer_interview.json").read_text())
    data["answers"]["steps"][0]["action"] = secret
    answers = path.with_suffix(".json")
    answers.write_text(json.dumps(data))
    result = import_file(answers, db_path=path, progress=False)
    assert not result.errors, result.errors
    return result.session_ids[0]


def on_disk(path: Path, text: str) -> list[str]:
    """Files of the database (main, -wal) whose bytes hold ``text``."""
    needle = text.encode()
    return [
        name
        for name in (str(path), f"{path}-wal")
        if Path(name).exists() and needle in Path(name).read_bytes()
    ]


def test_delete_works_on_a_merged_database(tmp_path: Path) -> None:
    a, out = tmp_path / "a.db", tmp_path / "study.db"
    sid = device(a)
    merge_databases(out, [a])
    result = run("sessions", "delete", sid, "--db", out, "--yes")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM session_sources").fetchone()[0] == 0
    assert on_disk(out, "Zebulon") == []


def test_delete_from_a_study_that_cannot_be_written_says_so_and_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "study.db"
    sid = device(path)
    monkeypatch.setattr(Store, "_cannot_write", lambda self: True)
    result = CliRunner().invoke(main, ["sessions", "delete", sid, "--db", str(path), "--yes"])
    assert result.exit_code == 2
    # No answer was being saved: the words say what cannot be done.
    assert f"{path} is read-only: nothing can be saved in it" in result.output
    monkeypatch.undo()
    with Store(path) as store:
        assert store.count_sessions() == 1


def test_erased_sessions_stay_out_of_every_later_merge(tmp_path: Path) -> None:
    a, b, out, later = (tmp_path / n for n in ("a.db", "b.db", "study.db", "later.db"))
    erased = device(a)
    kept = device(b, "Went to the shop")
    merge_databases(out, [a, b])
    assert run("sessions", "delete", erased, "--db", out, "--yes").exit_code == 0
    # The device file still holds the session: merging it again must not bring it back.
    report = merge_databases(out, [a])
    assert report.erased[str(a)] == 1 and report.added[str(a)] == 0
    assert "1 skipped because they were erased" in report.summary()
    with Store(out) as store:
        assert [s["id"] for s in store.list_sessions()] == [kept]
        assert store.erased_sessions() == {erased}
    # The tombstone travels: a study built from the device file and the erased one
    # does not take it either, whichever order the files come in.
    report = merge_databases(later, [a, out])
    with Store(later) as store:
        assert [s["id"] for s in store.list_sessions()] == [kept]
        assert store.erased_sessions() == {erased}
    assert report.erased_here == 1
    assert on_disk(later, "Zebulon") == []


def test_tombstone_holds_the_uuid_and_when_only(tmp_path: Path) -> None:
    a = tmp_path / "a.db"
    sid = device(a)
    with Store(a) as store:
        store.delete_session(sid)
        row = store.conn.execute("SELECT * FROM erased_sessions").fetchall()
    assert len(row) == 1 and row[0][0] == sid and len(row[0]) == 2


def test_erasure_removes_the_participants_words_from_map_edits(tmp_path: Path) -> None:
    a = tmp_path / "a.db"
    sid = device(a)
    device(a, "Compared deals on a comparison website")
    anchor = ["compared deals on a comparison website", SECRET.lower()]
    with Store(a) as store:
        store.write(
            lambda c: c.execute(
                "INSERT INTO step_group_edits (action, group_key, label, anchor, created_at) "
                "VALUES ('rename', ?, 'Research', ?, '2026-01-01T00:00:00Z')",
                ("asked-my-neighbour-zebulon-quartermaine-about-the-deal", json.dumps(anchor)),
            )
        )
    assert run("sessions", "delete", sid, "--db", a, "--yes").exit_code == 0
    with Store(a) as store:
        key, kept = store.conn.execute("SELECT group_key, anchor FROM step_group_edits").fetchone()
    # Another participant's phrasing stays; theirs goes, from the anchor and the key.
    assert json.loads(kept) == ["compared deals on a comparison website"]
    assert "zebulon" not in key
    assert on_disk(a, "Zebulon") == [] and on_disk(a, "zebulon") == []


def test_erasure_removes_a_map_key_made_from_a_clause_of_their_words(tmp_path: Path) -> None:
    # A moment's key is the slug of its label, and its label a short clause of what a
    # member said ("Then I asked ...; she laughed" -> "I asked my neighbour Zebulon ...").
    a = tmp_path / "a.db"
    sid = device(a, f"Then I {SECRET.lower()}; she laughed")
    device(a, "Went to the shop")
    listed = run("map", "groups", "--db", a, "--no-encode")
    (key,) = [k for k in re.findall(r"key: (\S+)", listed.output) if "zebulon" in k]
    assert run("map", "rename", key, "Asked around", "--db", a, "--no-encode").exit_code == 0
    assert run("sessions", "delete", sid, "--db", a, "--yes").exit_code == 0
    with Store(a) as store:
        (edit,) = store.conn.execute("SELECT group_key, anchor FROM step_group_edits").fetchall()
    assert "zebulon" not in json.dumps(edit).lower()
    assert on_disk(a, "Zebulon") == [] and on_disk(a, "zebulon") == []


@pytest.mark.parametrize(
    "key",
    [
        # A label cut from the main clause, before a masked detail (``acts.main_said``).
        "i-wrote-to-zebulon-quartermaine",
        # A label after the name of the role its steps play.
        "background-i-wrote-to-zebulon-quartermaine",
    ],
)
def test_erasure_removes_a_map_key_made_from_their_main_clause(tmp_path: Path, key: str) -> None:
    a = tmp_path / "a.db"
    sid = device(a, "Regardless of the fee, I wrote to Zebulon Quartermaine at XXXX for help")
    device(a, "Went to the shop")
    with Store(a) as store:
        store.write(
            lambda c: c.execute(
                "INSERT INTO step_group_edits (action, group_key, label, created_at) "
                "VALUES ('rename', ?, 'Wrote to them', '2026-01-01T00:00:00Z')",
                (key,),
            )
        )
    assert run("sessions", "delete", sid, "--db", a, "--yes").exit_code == 0
    with Store(a) as store:
        edits = store.conn.execute("SELECT group_key FROM step_group_edits").fetchall()
    assert "zebulon" not in json.dumps(edits).lower()


def test_merging_an_older_copy_brings_no_erased_words_back_into_map_edits(
    tmp_path: Path,
) -> None:
    a, study = tmp_path / "a.db", tmp_path / "study.db"
    sid = device(a)
    device(a, "Went to the shop")
    listed = run("map", "groups", "--db", a, "--no-encode")
    (key,) = [k for k in re.findall(r"key: (\S+)", listed.output) if "zebulon" in k]
    assert run("map", "rename", key, "Asked around", "--db", a, "--no-encode").exit_code == 0
    merge_databases(study, [a])
    assert run("sessions", "delete", sid, "--db", study, "--yes").exit_code == 0
    # The device's copy still holds the session and the edit made on its words: the
    # session stays out, and so do its words, however the files are merged again.
    later = tmp_path / "later.db"
    merge_databases(study, [a])
    merge_databases(later, [study, a])
    for path in (study, later):
        with Store(path) as store:
            edits = store.conn.execute("SELECT group_key, anchor FROM step_group_edits").fetchall()
        assert edits and "zebulon" not in json.dumps(edits).lower(), path
        assert on_disk(path, "Zebulon") == [] and on_disk(path, "zebulon") == [], path


def test_erasure_removes_a_split_pattern_only_their_words_match(tmp_path: Path) -> None:
    # A researcher splits the steps that name someone into a group of their own: the
    # pattern is that participant's name, and it moves nobody else's steps.
    a, study = tmp_path / "a.db", tmp_path / "study.db"
    sid = device(a)
    device(a, "Asked my neighbour about the deal")
    listed = run("map", "groups", "--db", a, "--no-encode")
    (key,) = [k for k in re.findall(r"key: (\S+)", listed.output) if "neighbour" in k][:1]
    for pattern in ("Quartermaine", "neighbour"):
        split = run("map", "split", key, pattern, "--label", "Asked", "--db", a, "--no-encode")
        assert split.exit_code == 0, split.output
    merge_databases(study, [a])
    for path in (a, study):
        assert run("sessions", "delete", sid, "--db", path, "--yes").exit_code == 0
        with Store(path) as store:
            patterns = [r[0] for r in store.conn.execute("SELECT pattern FROM step_group_edits")]
        # The pattern someone else's words also match stays; the one only theirs match goes.
        assert "neighbour" in patterns and "Quartermaine" not in patterns, (path, patterns)
        assert on_disk(path, "Quartermaine") == [], path
    later = tmp_path / "later.db"
    merge_databases(later, [study, a])
    assert on_disk(later, "Quartermaine") == []


def test_delete_says_what_is_left_while_another_program_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reader below never lets go: waiting the usual 15 s for it twice tells nothing more.
    monkeypatch.setattr("cjm_interview.store.db.BUSY_TIMEOUT_MS", 1_000)
    a = tmp_path / "a.db"
    sid = device(a)
    reader = sqlite3.connect(a)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM answers").fetchone()  # holds a read snapshot
    try:
        result = run("sessions", "delete", sid, "--db", a, "--yes")
        assert "vacuumed" not in result.output
        assert "NOT yet purged" in result.output and f"{a}-wal" in result.output
        assert "cjm db purge" in result.output
        assert result.exit_code == 3
        assert on_disk(a, "Zebulon")  # honest: the text is still on disk
        check = run("db", "check", "--db", a)
        assert check.exit_code == 2 and "erasure not complete" in check.output
    finally:
        reader.close()
    purge = run("db", "purge", "--db", a)
    assert purge.exit_code == 0, purge.output
    assert on_disk(a, "Zebulon") == []
    check = run("db", "check", "--db", a)
    assert check.exit_code == 0 and "1 erased with nothing left" in check.output


def test_db_check_finds_rows_of_an_erased_session(tmp_path: Path) -> None:
    a = tmp_path / "a.db"
    sid = device(a)
    with Store(a) as store:
        store.delete_session(sid)
        store.purge()
    with sqlite3.connect(a) as conn:  # as an older release's leftover would be
        conn.execute(
            "INSERT INTO notes (session_id, text, created_at) VALUES (?, 'x', 'now')", (sid,)
        )
    conn.close()
    check = run("db", "check", "--db", a)
    assert check.exit_code == 2 and "erased sessions still have data" in check.output


def test_rows_of_an_erased_session_left_in_a_file_are_never_shown(tmp_path: Path) -> None:
    """A file whose tombstone names a session still in it (a copy made midway, a file from
    elsewhere): `db check` said so, but `sessions` and `export` showed the participant."""
    a = tmp_path / "a.db"
    sid = device(a)
    with sqlite3.connect(a) as conn:
        conn.execute(
            "INSERT INTO erased_sessions (session_id, erased_at) VALUES (?, 'now')", (sid,)
        )
    conn.close()
    listed = run("sessions", "list", "--db", a)
    assert listed.exit_code == 0 and sid not in listed.output
    shown = CliRunner().invoke(main, ["sessions", "show", sid[:8], "--db", str(a)])
    assert shown.exit_code == 2 and "was erased" in shown.output and SECRET not in shown.output
    exported = CliRunner().invoke(
        main, ["export", "--no-encode", "--db", str(a), "-o", str(tmp_path / "map.html")]
    )
    assert exported.exit_code == 2 and "no sessions match" in exported.output
    assert not (tmp_path / "map.html").exists()


def test_a_merge_killed_part_way_leaves_no_copy_of_anyone_behind(tmp_path: Path) -> None:
    # A new study is built under a hidden name; a merge killed before it was moved in
    # place left that file, with every participant's answers, beside the study for ever:
    # an erasure in the study could not reach it.
    a, study = tmp_path / "a.db", tmp_path / "study.db"
    sid = device(a)
    dead = 2**22 + 12345  # a pid no process has
    leftover = tmp_path / f".study.db.{dead}-0badc0de.merging"
    merge_databases(leftover, [a])  # what the killed merge had written so far
    assert on_disk(leftover, "Zebulon")
    merge_databases(study, [a])
    assert not leftover.exists()
    merge_databases(leftover, [a])  # killed again, after the study was made
    assert run("sessions", "delete", sid, "--db", study, "--yes").exit_code == 0
    # Only the device's own files (its answers file, database and log) still hold them.
    holding = [p.name for p in tmp_path.iterdir() if b"Zebulon" in p.read_bytes()]
    assert holding and all(name.startswith("a.") for name in holding), holding


def test_delete_names_a_crash_log_it_cannot_erase(tmp_path: Path) -> None:
    a = tmp_path / "a.db"
    sid = device(a)
    result = run("sessions", "delete", sid, "--db", a, "--yes")
    assert "crash log" not in result.output  # none there: nothing to say
    (tmp_path / "b.db.crash.log.1").write_text("a full log, moved aside")
    sid_b = device(tmp_path / "b.db")
    result = run("sessions", "delete", sid_b, "--db", tmp_path / "b.db", "--yes")
    assert result.exit_code == 0, result.output
    assert "Not erased" in result.output and "b.db.crash.log.1" in result.output
