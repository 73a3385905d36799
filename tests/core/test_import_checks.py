"""``cjm import`` with odd and hostile files: one line per bad interview, the others imported."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ..conftest import PROMPTS
from ..reliability.hostile import cjm, one_clear_line
from .test_import import STAFF_INTERVIEW

EXAMPLE = json.loads((PROMPTS / "examples" / "customer_interview.json").read_text())


def quick(action: str = "Went to the shop", **session: object) -> dict:
    return {
        "session": {"participant": "Q", **session},
        "answers": {
            "consent": "yes",
            "steps": [{"action": action, "grade": 6}],
            "overall_grade": 6,
        },
    }


def write(tmp_path: Path, data: object, raw: str | None = None) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(raw if raw is not None else json.dumps(data), encoding="utf-8")
    return path


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_json_nested_5000_deep_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, None, '{"interviews": ' + "[" * 5_000 + "]" * 5_000 + "}")
    run = cjm("import", path, "--db", tmp_path / "s.db", "--script", "quick", timeout=30)
    one_clear_line(run)
    assert "nested too deeply" in run.err


@pytest.mark.parametrize("name", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused(tmp_path: Path, name: str) -> None:
    run = cjm("import", name, "--db", tmp_path / "s.db", timeout=30)
    one_clear_line(run)
    assert "not a regular file" in run.err
    assert "not an answers file" in run.err
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (lambda i: i["answers"].update(overall_grade=int("7" * 300)), "a number of 300 digits"),
        (lambda i: i["answers"]["steps"][0].update(action={"x": 1}), "an object where an answer"),
        (lambda i: i["answers"]["steps"][0].update(action=["a", "b"]), "a list where one answer"),
        (lambda i: i["session"].update(segment={"a": 1}), "session field 'segment' must be text"),
        (lambda i: i["session"].update(participant=["P"]), "session field 'participant' must"),
        (lambda i: i["session"].update(perspective="<img src=x>"), "perspective '<img src=x>'"),
        (lambda i: i["answers"].update(overall_grade="eleven"), "overall_grade"),
        # Stored as given, "not a date" came after every --since.
        (lambda i: i["session"].update(started_at="not a date"), "started_at 'not a date'"),
        (lambda i: i["session"].update(started_at="2020-02-30T09:00"), "is not a date and time"),
        (lambda i: i["session"].update(language="xx"), "language 'xx' is not one of the"),
        # Imported as finished, when it said it was not.
        (lambda i: i["session"].update(status="in_progress"), "status 'in_progress' is not"),
    ],
)
def test_a_bad_interview_is_one_line_and_the_others_are_imported(
    tmp_path: Path, bad, message: str
) -> None:
    first, second = quick(), quick("Asked at the desk")
    bad(first)
    path = write(tmp_path, [first, second])
    db = tmp_path / "s.db"
    run = cjm("import", path, "--db", db, "--script", "quick", "-q", timeout=30)
    assert run.code == 2 and "Traceback" not in run.err
    assert "interview 1: " in run.err and message in run.err, run.err
    imported = run.out.split()
    assert len(imported) == 1  # only the interview that was imported whole is listed
    status = rows(db, f"SELECT status FROM sessions WHERE id = '{imported[0]}'")
    assert status == [("finished",)]


def test_a_failed_interview_is_not_reported_as_imported(tmp_path: Path) -> None:
    first, second = quick(), quick("Asked at the desk")
    first["answers"]["overall_grade"] = "eleven"
    path = write(tmp_path, [first, second])
    run = cjm("import", path, "--db", tmp_path / "s.db", "--script", "quick", timeout=30)
    assert "Imported 1 interview," in run.err
    assert "1 interview(s) stopped at a bad answer" in run.err


def test_surrogates_in_session_fields_do_not_abort_the_file(tmp_path: Path) -> None:
    raw = json.dumps([quick(), quick("Asked at the desk")]).replace('"Q"', '"P\\ud800x"', 1)
    raw = raw.replace('"Asked at the desk"', '"Asked \\udfff at the desk"')
    path = write(tmp_path, None, raw)
    db = tmp_path / "s.db"
    run = cjm("import", path, "--db", db, "--script", "quick", "-q", timeout=30)
    assert run.code == 0, run.err
    assert sorted(rows(db, "SELECT participant FROM sessions")) == [("Px",), ("Q",)]


def test_without_tag_follow_ups_on_tags_are_asked(tmp_path: Path) -> None:
    # The README's own example: its pain point follows a negative feeling.
    path = write(tmp_path, EXAMPLE)
    db = tmp_path / "s.db"
    run = cjm("import", path, "--db", db, timeout=60)
    assert run.code == 0, run.err
    assert "given but not asked" not in run.err
    assert rows(db, "SELECT raw_text FROM answers WHERE question_id = 'pain_point'") == [
        ("Nobody could change the date",)
    ]


def test_staff_interviews_run_against_the_staff_script(tmp_path: Path) -> None:
    staff = STAFF_INTERVIEW
    path = write(tmp_path, staff)
    db = tmp_path / "s.db"
    run = cjm("import", path, "--db", db, "-q", timeout=60)
    assert run.code == 0, run.err
    assert rows(db, "SELECT script_id, perspective FROM sessions") == [("staff", "staff")]
    refused = cjm("import", path, "--db", db, "--script", "customer", timeout=60)
    assert refused.code == 2 and "a staff interview, but script customer" in refused.err


def test_channels_take_ids_labels_and_aliases_and_refuse_the_rest(tmp_path: Path) -> None:
    data = json.loads(json.dumps(EXAMPLE))
    steps = data["answers"]["steps"]
    steps[0]["channels"] = ["letter", "Website", "phone"]
    second = json.loads(json.dumps(EXAMPLE))
    second["answers"]["steps"][1]["channels"] = ["carrier pigeon"]
    path = write(tmp_path, [data, second])
    db = tmp_path / "s.db"
    run = cjm("import", path, "--db", db, "-q", timeout=60)
    assert run.code == 2
    assert "unknown channel 'carrier pigeon'" in run.err and "valid: web, app, phone" in run.err
    stored = rows(db, "SELECT value_json FROM answers WHERE question_id = 'channels' AND step = 1")
    assert json.loads(stored[0][0]) == ["mail", "web", "phone"]


def test_a_byte_order_mark_is_read_past(tmp_path: Path) -> None:
    """It was refused with Python's own hint "(decode using utf-8-sig)"."""
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(quick()).encode())
    run = cjm("import", path, "--db", tmp_path / "s.db", "--script", "quick", "-q", timeout=30)
    assert run.code == 0, run.err
    assert len(run.out.split()) == 1


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    """The last of the two was kept without a word: here the answers of a refused consent."""
    one = json.dumps(quick())
    twice = one[:-1] + ', "answers": {"consent": "no"}}'
    path = write(tmp_path, None, twice)
    run = cjm("import", path, "--db", tmp_path / "s.db", "--script", "quick", timeout=30)
    one_clear_line(run)
    assert "key 'answers' is given twice" in run.err
