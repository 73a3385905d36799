"""``cjm db merge``: stores from several devices combined by session uuid."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm_interview.cli import main
from cjm_interview.domain import Answer, AnswerKey
from cjm_interview.errors import CjmError
from cjm_interview.importer import run_interview
from cjm_interview.map import build_map
from cjm_interview.merge import merge_databases
from cjm_interview.script import load_script, parse_script
from cjm_interview.store import Store
from cjm_interview.synth import generate

from ..conftest import PROMPTS, downgrade


def device_db(path: Path, interviews: list[dict], device: str, script=None) -> list[str]:
    script = script or load_script(PROMPTS / "customer.yaml")
    ids = []
    with Store(path) as store:
        for interview in interviews:
            interview = json.loads(json.dumps(interview))
            interview["session"]["device"] = device
            ids.append(run_interview(store, script, interview).id)
    return ids


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def copy_db(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as a, sqlite3.connect(target) as b:
        a.backup(b)


def test_merge_is_idempotent_and_keeps_provenance(tmp_path: Path) -> None:
    study = generate(customers=6, steps=3, seed=9)
    one, two = tmp_path / "laptop.db", tmp_path / "kiosk.db"
    device_db(one, study.interviews[:4], "laptop-1")
    device_db(two, study.interviews[4:], "kiosk-7")
    out = tmp_path / "all.db"
    report = merge_databases(out, [one, two])
    assert report.added == {str(one): 4, str(two): 2}
    again = merge_databases(out, [one, two, one])
    assert sum(again.added.values()) == 0 and again.skipped == {str(one): 4, str(two): 2}
    assert "already there" in again.summary()
    merged = Store(out)
    assert merged.count_sessions() == 6
    for table in ("answers", "tags", "notes"):
        assert count(out, table) == count(one, table) + count(two, table)
    sources = dict(
        merged.conn.execute("SELECT device, count(*) FROM session_sources GROUP BY device")
    )
    assert sources == {"laptop-1": 4, "kiosk-7": 2}
    files = {r[0] for r in merged.conn.execute("SELECT source_file FROM session_sources")}
    assert files == {str(one.resolve()), str(two.resolve())}
    assert merged.integrity_check() == []
    # The merged answers read back exactly as on the device.
    with Store(one) as device:
        sid = device.conn.execute("SELECT id FROM sessions LIMIT 1").fetchone()[0]
        assert merged.load_answers(sid) == device.load_answers(sid)
    assert build_map(merged, encode_missing=False).data["sessions"] == 6


def test_the_most_recent_copy_of_a_session_wins(tmp_path: Path) -> None:
    study = generate(customers=2, steps=3, seed=4)
    laptop = tmp_path / "laptop.db"
    ids = device_db(laptop, study.interviews, "laptop")
    # The same file went to a kiosk, where one answer was corrected later.
    kiosk = tmp_path / "kiosk.db"
    copy_db(laptop, kiosk)
    with Store(kiosk, clock=lambda: "2999-01-01T00:00:00.000Z") as store:
        store.save_answers(
            ids[0], [(Answer(AnswerKey("overall_grade"), "10", 10, revision=2), "reflection", None)]
        )
    out = tmp_path / "out.db"
    merge_databases(out, [laptop])
    report = merge_databases(out, [kiosk])
    assert report.replaced == {str(kiosk): 1} and report.skipped == {str(kiosk): 1}
    older = merge_databases(out, [laptop])
    assert older.skipped == {str(laptop): 2} and older.replaced == {str(laptop): 0}
    with Store(out) as merged, Store(kiosk) as source:
        assert merged.load_answers(ids[0]) == source.load_answers(ids[0])
        assert count(out, "answers") == count(kiosk, "answers")
        assert count(out, "tags") == count(kiosk, "tags")
        grade = merged.conn.execute(
            "SELECT value_json FROM answers WHERE session_id = ? AND question_id = "
            "'overall_grade' AND is_current = 1",
            (ids[0],),
        ).fetchone()[0]
        assert grade == "10"
        assert merged.integrity_check() == []


def current_grade(path: Path, session_id: str) -> str:
    with sqlite3.connect(path) as conn:
        return str(
            conn.execute(
                "SELECT value_json FROM answers WHERE session_id = ? AND question_id = "
                "'overall_grade' AND is_current = 1",
                (session_id,),
            ).fetchone()[0]
        )


def correct_grade(store: Store, session_id: str, grade: int) -> None:
    answer = Answer(AnswerKey("overall_grade"), str(grade), grade, revision=2)
    store.save_answers(session_id, [(answer, "reflection", None)])


def test_a_device_clock_years_ahead_does_not_make_its_older_copy_win(tmp_path: Path) -> None:
    study = generate(customers=1, steps=2, seed=4)
    kiosk = tmp_path / "kiosk.db"
    with Store(kiosk, clock=lambda: "2031-06-01T09:00:00.000Z") as store:
        script = load_script(PROMPTS / "customer.yaml")
        [sid] = [run_interview(store, script, i).id for i in study.interviews]
    out = tmp_path / "study.db"
    first = merge_databases(out, [kiosk])
    with Store(out) as store:  # corrected in the study, by the real clock
        correct_grade(store, sid, 2)
    again = merge_databases(out, [kiosk])  # the kiosk's file merged again, as every day
    assert again.replaced == {str(kiosk): 0} and again.skipped == {str(kiosk): 1}
    assert current_grade(out, sid) == "2"
    assert count(out, "answers") == count(kiosk, "answers") + 1
    assert "ahead of this computer's clock" in first.summary()  # the clock is named


def test_a_later_edit_on_a_device_whose_clock_is_behind_is_kept(tmp_path: Path) -> None:
    study = generate(customers=1, steps=2, seed=4)
    laptop = tmp_path / "laptop.db"
    [sid] = device_db(laptop, study.interviews, "laptop")
    out = tmp_path / "study.db"
    merge_databases(out, [laptop])
    # The laptop's clock was reset to 2019; the session was corrected there afterwards.
    with Store(laptop, clock=lambda: "2019-01-01T00:00:00.000Z") as store:
        correct_grade(store, sid, 3)
    report = merge_databases(out, [laptop])
    assert report.replaced == {str(laptop): 1}
    assert current_grade(out, sid) == "3"
    assert "ahead of this computer's clock" not in report.summary()


def test_copies_that_say_different_things_at_one_revision_are_reported_not_picked(
    tmp_path: Path,
) -> None:
    """A copy with one answer's text changed in place (same revision, newer time) replaced
    the study's copy and was reported as "1 updated", while the audit log kept the old one;
    so did a session edited on two devices, each adding its own revision."""
    study = generate(customers=2, steps=2, seed=4)
    laptop = tmp_path / "laptop.db"
    ids = device_db(laptop, study.interviews, "laptop")
    out = tmp_path / "study.db"
    merge_databases(out, [laptop])
    before = current_grade(out, ids[0])
    altered = tmp_path / "altered.db"
    copy_db(laptop, altered)
    with sqlite3.connect(altered) as conn:
        conn.execute(
            "UPDATE answers SET value_json = '10', raw_text = '10' WHERE session_id = ? "
            "AND question_id = 'overall_grade'",
            (ids[0],),
        )
        conn.execute("UPDATE sessions SET updated_at = '2999-01-01T00:00:00.000Z'")
    conn.close()
    report = merge_databases(out, [altered])
    assert report.replaced == {str(altered): 1}  # the other session was merely newer
    assert current_grade(out, ids[0]) == before
    assert f"1 session(s) ({ids[0][:8]}) give other answers" in report.summary()
    # Edited on two devices since the last merge: neither copy holds all the other said.
    with Store(laptop) as store:
        correct_grade(store, ids[1], 3)
    with Store(out) as store:
        correct_grade(store, ids[1], 9)
    report = merge_databases(out, [laptop])
    assert current_grade(out, ids[1]) == "9" and "give other answers" in report.summary()


def withdraw(path: Path, session_id: str) -> None:
    """The participant said no at the end (as ``Store.drop_withdrawn`` leaves the file)."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "DELETE FROM tags WHERE answer_id IN (SELECT id FROM answers WHERE session_id = ? "
            "AND question_id != 'consent')",
            (session_id,),
        )
        conn.execute(
            "DELETE FROM answers WHERE session_id = ? AND question_id != 'consent'", (session_id,)
        )
        conn.execute(
            "UPDATE answers SET value_json = 'false', raw_text = 'no' WHERE session_id = ?",
            (session_id,),
        )
        conn.execute(
            "UPDATE sessions SET consent = 0, updated_at = '2999-01-01T00:00:00.000Z' WHERE id = ?",
            (session_id,),
        )
    conn.close()


@pytest.mark.parametrize("order", ["before, then withdrawn", "withdrawn, then before"])
def test_a_withdrawal_wins_over_a_copy_from_before_it(tmp_path: Path, order: str) -> None:
    """The copy made after a participant withdrew holds fewer rows: merged after the copy
    from before, it was left out (and called a conflict), so the study kept every word they
    had taken back; the other way round it was right."""
    study = generate(customers=1, steps=2, seed=4)
    before = tmp_path / "before.db"
    [sid] = device_db(before, study.interviews, "laptop")
    after = tmp_path / "after.db"
    copy_db(before, after)
    withdraw(after, sid)
    out = tmp_path / "study.db"
    files = [before, after] if order.startswith("before") else [after, before]
    reports = [merge_databases(out, [f]) for f in files]
    with sqlite3.connect(out) as conn:
        consent = conn.execute("SELECT consent FROM sessions WHERE id = ?", (sid,)).fetchone()
        told = conn.execute(
            "SELECT count(*) FROM answers WHERE session_id = ? AND question_id != 'consent'",
            (sid,),
        ).fetchone()
    conn.close()
    assert consent == (0,) and told == (0,)
    assert not any("give other answers" in r.summary() for r in reports)


def test_step_group_edits_travel_once(tmp_path: Path) -> None:
    study = generate(customers=2, steps=2, seed=5)
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    device_db(a, study.interviews[:1], "a")
    device_db(b, study.interviews[1:], "b")
    for path in (a, b):
        with Store(path) as store:
            store.write(
                lambda c: c.execute(
                    "INSERT INTO step_group_edits (action, group_key, label, created_at) "
                    "VALUES ('rename', 'searched-online', 'Searches', '2026-01-01T00:00:00Z')"
                )
            )
    # b comes from a release that did not record anchors yet (schema 3).
    downgrade(b, 3)
    out = tmp_path / "out.db"
    report = merge_databases(out, [a, b])
    assert report.edits == {str(a): 1, str(b): 0}
    assert count(out, "sessions") == 2
    merge_databases(out, [a])
    assert count(out, "step_group_edits") == 1


def test_different_script_versions_sit_side_by_side(tmp_path: Path) -> None:
    source = (PROMPTS / "customer.yaml").read_text(encoding="utf-8")
    assert "version:" in source
    changed = source.replace("Thank you", "Many thanks", 1)
    assert changed != source
    same_version = parse_script(changed, "customer-edited.yaml")
    study = generate(customers=2, steps=2, seed=6)
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    device_db(a, study.interviews[:1], "a")
    device_db(b, study.interviews[1:], "b", script=same_version)
    out = tmp_path / "out.db"
    report = merge_databases(out, [a, b])
    assert sum(report.added.values()) == 2
    assert report.conflicts and "exists in 2 different texts" in report.conflicts[0]
    assert "Warning: script customer" in report.summary()
    cmap = build_map(Store(out), encode_missing=False)
    assert cmap.data["sessions"] == 2


@pytest.mark.parametrize("name", ["customer", "staff"])
def test_the_bundled_scripts_with_stages_are_a_new_version(tmp_path: Path, name: str) -> None:
    source = (PROMPTS / f"{name}.yaml").read_text(encoding="utf-8")
    # The script as it was published before it declared stages: 1.0, without its stages.
    before = re.sub(r"^stages:\n(?:[ \t]+.*\n|\n)*", "", source, flags=re.MULTILINE)
    before = re.sub(r'^version: ".*"$', 'version: "1.0"', before, flags=re.MULTILINE)
    old = parse_script(before, f"{name}-1.0.yaml")
    assert not old.stages and load_script(PROMPTS / f"{name}.yaml").stages
    staff = name == "staff"
    study = generate(customers=0 if staff else 2, staff=2 if staff else 0, steps=2, seed=6)
    a, b = tmp_path / "old.db", tmp_path / "new.db"
    device_db(a, study.interviews[:1], "a", script=old)
    device_db(b, study.interviews[1:], "b", script=load_script(PROMPTS / f"{name}.yaml"))
    report = merge_databases(tmp_path / "out.db", [a, b])
    assert sum(report.added.values()) == 2
    assert report.conflicts == [], report.conflicts


def test_refuses_what_it_cannot_merge(tmp_path: Path) -> None:
    Store(tmp_path / "a.db").close()
    with pytest.raises(CjmError, match="also the output"):
        merge_databases(tmp_path / "a.db", [tmp_path / "a.db"])
    # A hard link is the output under another name: merging it waited on its own lock.
    os.link(tmp_path / "a.db", tmp_path / "link.db")
    with pytest.raises(CjmError, match=r"link\.db is also the output"):
        merge_databases(tmp_path / "a.db", [tmp_path / "link.db"])
    with pytest.raises(CjmError, match="no such database"):
        merge_databases(tmp_path / "out.db", [tmp_path / "missing.db"])
    (tmp_path / "notes.txt").write_text("not a database at all " * 100)
    with pytest.raises(CjmError, match="not a readable SQLite database"):
        merge_databases(tmp_path / "out.db", [tmp_path / "notes.txt"])
    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("CREATE TABLE things (x)")
    with pytest.raises(CjmError, match="not an interview database"):
        merge_databases(tmp_path / "out.db", [tmp_path / "other.db"])
    with sqlite3.connect(tmp_path / "a.db") as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(CjmError, match="newer cjm-interview"):
        merge_databases(tmp_path / "out.db", [tmp_path / "a.db"])
    # Nothing was written for inputs that were refused.
    assert not (tmp_path / "out.db").exists()


def test_cli_db_merge(tmp_path: Path) -> None:
    study = generate(customers=3, steps=2, seed=8)
    a = tmp_path / "a.db"
    device_db(a, study.interviews, "a")
    result = CliRunner().invoke(main, ["db", "merge", str(tmp_path / "out.db"), str(a)])
    assert result.exit_code == 0, result.output
    assert "3 new session(s)" in result.output
    refused = CliRunner().invoke(main, ["db", "merge", str(tmp_path / "out.db"), str(a) + "x"])
    assert refused.exit_code != 0 and "no such database" in refused.output


def test_a_new_output_gets_the_same_as_merging_row_by_row(tmp_path: Path) -> None:
    """Into a new file the first input is copied whole; into an existing one, row by row."""
    study = generate(customers=5, steps=3, seed=12)
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    device_db(one, study.interviews[:3], "one")
    device_db(two, study.interviews[3:], "two")
    fresh, existing = tmp_path / "fresh.db", tmp_path / "existing.db"
    Store(existing).close()
    a = merge_databases(fresh, [one, two])
    b = merge_databases(existing, [one, two])
    assert a.added == b.added and a.edits == b.edits
    with Store(fresh) as x, Store(existing) as y:
        ids = [r[0] for r in x.conn.execute("SELECT id FROM sessions ORDER BY id")]
        assert ids == [r[0] for r in y.conn.execute("SELECT id FROM sessions ORDER BY id")]
        for sid in ids:
            assert x.load_answers(sid) == y.load_answers(sid)
        for table in ("tags", "notes", "session_sources"):
            assert count(fresh, table) == count(existing, table)
        assert x.integrity_check() == [] and y.integrity_check() == []
        assert x.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


class _SmallDisk(Store):
    """A store whose file may grow by only ``room`` pages: SQLite's "disk is full"."""

    room = 30

    def __init__(self, path: Path, *args, **kwargs) -> None:
        super().__init__(path, *args, **kwargs)
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        self.conn.execute(f"PRAGMA max_page_count = {pages + self.room}")


def test_a_full_disk_during_a_new_merge_names_the_study_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "device.db"
    device_db(source, generate(customers=40, steps=8).interviews, "kiosk-1")
    out = tmp_path / "study.db"
    monkeypatch.setattr("cjm_interview.merge.Store", _SmallDisk)
    with pytest.raises(CjmError) as caught:
        merge_databases(out, [source])
    message = str(caught.value)
    # Not SQLite's words about a hidden file and "the last answer".
    assert message.startswith(f"{out}: the disk is full"), message
    assert f"while merging {source}" in message
    assert "nothing was merged" in message and "answer" not in message
    assert ".merging" not in message
    assert "Free some space" in caught.value.hint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["device.db"]


def test_a_full_disk_during_a_merge_into_a_study_keeps_the_files_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small, big, out = tmp_path / "small.db", tmp_path / "big.db", tmp_path / "study.db"
    device_db(small, generate(customers=1, steps=3, seed=2).interviews, "kiosk-1")
    device_db(big, generate(customers=40, steps=8, seed=3).interviews, "kiosk-2")
    with Store(out):
        pass
    monkeypatch.setattr("cjm_interview.merge.Store", _SmallDisk)
    with pytest.raises(CjmError) as caught:
        merge_databases(out, [small, big])
    message = str(caught.value)
    assert message.startswith(f"{out}: the disk is full or failing while merging {big}; ")
    assert message.endswith("that file was not merged, those before it were"), message
    monkeypatch.undo()
    assert count(out, "sessions") == count(small, "sessions") == 1
    with Store(out) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_folder_that_cannot_be_written_is_said_so_and_names_no_hidden_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from cjm_interview.store import db

    source = tmp_path / "device.db"
    device_db(source, generate(customers=2, steps=3).interviews, "kiosk-1")

    def read_only_file_system(path: Path, replace: bool = False) -> None:
        try:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        except OSError as exc:
            raise db.StoreError(f"{path}: cannot create the database ({exc.strerror})") from None

    monkeypatch.setattr(db, "create_database", read_only_file_system)
    out = tmp_path / "study.db"
    with pytest.raises(CjmError) as caught:
        merge_databases(out, [source])
    assert str(caught.value) == (
        f"{out}: cannot be written (Read-only file system); "
        "nothing was merged and no file was left behind"
    )
    assert caught.value.hint == "Merge into a folder you can write to."


def test_an_existing_study_that_cannot_be_written_is_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, out = tmp_path / "device.db", tmp_path / "study.db"
    device_db(source, generate(customers=2, steps=3).interviews, "kiosk-1")
    Store(out).close()
    monkeypatch.setattr(Store, "_cannot_write", lambda self: True)
    with pytest.raises(CjmError) as caught:
        merge_databases(out, [source])
    assert str(caught.value) == f"{out} is read-only: nothing was merged into it"
    monkeypatch.undo()
    assert count(out, "sessions") == 0
