"""Headless interviews from JSON, through the same engine and store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from cjm_interview.domain import AnswerKey
from cjm_interview.importer import ImportFileError, import_file, read_interviews
from cjm_interview.store import Store

from ..conftest import PROMPTS, ROOT, FakeTagger

EXAMPLE = PROMPTS / "examples" / "customer_interview.json"


def cjm(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cjm_interview", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        **kw,
    )


def test_example_interview_lands_in_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    result = import_file(EXAMPLE, "customer", db, progress=False)
    assert not result.errors
    assert len(result.session_ids) == 1
    store = Store(db)
    row = store.session(result.session_ids[0])
    assert row["status"] == "finished" and row["participant"] == "P01" and row["consent"] == 1
    steps = store.conn.execute(
        "SELECT step, action, grade FROM journey_steps ORDER BY step"
    ).fetchall()
    assert [s[2] for s in steps] == [7, 8, 2, 9]
    assert steps[2][1].startswith("Called the helpline")
    # Continuation questions were inferred: yes after steps 1-3, no after the last.
    answers = {a.key: a for a in store.load_answers(result.session_ids[0])}
    assert [answers[AnswerKey("more_steps", i)].value for i in (1, 2, 3, 4)] == [
        True,
        True,
        True,
        False,
    ]
    assert answers[AnswerKey("review")].value["confirmed"] is True


def test_cli_import_then_list_and_show(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    done = cjm("import", str(EXAMPLE), "--db", str(db), "-q")
    assert done.returncode == 0, done.stderr
    session_id = done.stdout.strip()
    listed = cjm("sessions", "list", "--db", str(db), "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["id"] for r in rows] == [session_id]
    assert rows[0]["status"] == "finished"
    shown = cjm("sessions", "show", session_id[:8], "--db", str(db), "--json")
    detail = json.loads(shown.stdout)
    assert any(a["question_id"] == "overall_grade" and a["value"] == 6 for a in detail["answers"])
    readable = cjm("sessions", "show", session_id[:8], "--db", str(db))
    assert "Switching my broadband" in readable.stdout


def test_bad_answer_stops_that_interview_only(tmp_path: Path) -> None:
    good = json.loads(EXAMPLE.read_text())
    bad = json.loads(EXAMPLE.read_text())
    bad["answers"]["steps"][1]["grade"] = "eleven"
    path = tmp_path / "two.json"
    path.write_text(json.dumps([bad, good]))
    result = import_file(path, "customer", tmp_path / "s.db", progress=False)
    assert len(result.errors) == 1
    assert "interview 1: grade (step 2)" in result.errors[0]
    assert "0 (awful) to 10" in result.errors[0]
    store = Store(tmp_path / "s.db")
    statuses = sorted(r["status"] for r in store.list_sessions())
    # Nothing is lost: the first interview keeps what it had, marked in progress.
    assert statuses == ["finished", "in_progress"]


def test_an_unfinished_interview_stops_at_its_first_missing_answer(tmp_path: Path) -> None:
    # An interview given as abandoned was refused for the first required answer it lacked
    # ("overall_grade: This question cannot be skipped") and kept as in progress.
    data = json.loads(EXAMPLE.read_text())
    data["session"]["status"] = "abandoned"
    del data["answers"]["overall_grade"]
    data["answers"]["steps"] = data["answers"]["steps"][:2]
    path = tmp_path / "left.json"
    path.write_text(json.dumps(data))
    result = import_file(path, "customer", tmp_path / "s.db", progress=False)
    assert not result.errors and len(result.session_ids) == 1
    store = Store(tmp_path / "s.db")
    assert store.session(result.session_ids[0])["status"] == "abandoned"
    steps = store.conn.execute("SELECT step, action FROM journey_steps ORDER BY step").fetchall()
    assert [s[0] for s in steps] == [1, 2]
    # A bad answer (not a missing one) is still refused, whatever the status.
    data["answers"]["steps"][1]["grade"] = "eleven"
    path.write_text(json.dumps(data))
    result = import_file(path, "customer", tmp_path / "s.db", progress=False)
    assert len(result.errors) == 1 and "grade (step 2)" in result.errors[0]


def test_an_interview_refused_before_its_first_answer_is_on_no_map(tmp_path: Path) -> None:
    good = json.loads(EXAMPLE.read_text())
    refused = json.loads(EXAMPLE.read_text())
    del refused["answers"]["consent"]
    path = tmp_path / "two.json"
    path.write_text(json.dumps([refused, good]))
    db = tmp_path / "s.db"
    result = import_file(path, "customer", db, progress=False)
    assert len(result.errors) == 1 and "consent" in result.errors[0]
    out = tmp_path / "map.json"
    done = cjm("export", "--db", str(db), "--unfinished", "--no-encode", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["sessions"] == 1


def test_unknown_question_is_reported(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text())
    data["answers"]["favourite_colour"] = "blue"
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))
    result = import_file(path, "customer", tmp_path / "s.db", progress=False)
    assert result.errors == [
        "interview 1: unknown question 'favourite_colour' in this script (customer)"
    ]


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "answers": {\n    "consent": yes\n  }\n}\n')
    with pytest.raises(ImportFileError, match=r"broken.json:3: invalid JSON"):
        read_interviews(path)
    done = cjm("import", str(path), "--db", str(tmp_path / "s.db"))
    assert done.returncode == 2
    assert "broken.json:3: invalid JSON" in done.stderr
    assert "Traceback" not in done.stderr


STAFF_INTERVIEW = {
    "session": {"participant": "S1", "perspective": "staff"},
    "answers": {
        "consent": True,
        "role": "Counter clerk at the passport office",
        "customer_outcome": "A passport before their trip",
        "steps": [
            {"action": "Fills in the form online", "channels": ["web"], "customer_grade": 6},
            {
                "action": "Comes to the counter with photos",
                "channels": ["in_person"],
                "backstage": "Checks by the back-office team",
                "customer_grade": 4,
            },
        ],
        "overall_grade": 5,
    },
}


def test_staff_interview_imports(tmp_path: Path) -> None:
    data = STAFF_INTERVIEW
    path = tmp_path / "staff.json"
    path.write_text(json.dumps(data))
    result = import_file(path, "staff", tmp_path / "s.db", progress=False)
    assert not result.errors, result.errors
    store = Store(tmp_path / "s.db")
    assert store.session(result.session_ids[0])["perspective"] == "staff"


def test_import_tags_many_interviews_in_few_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_tagger
) -> None:
    from cjm_interview.nlp import loader

    monkeypatch.setattr(loader, "load_tagger", lambda mode: fake_tagger)
    interview = json.loads(EXAMPLE.read_text())
    many = tmp_path / "many.json"
    items = interview if isinstance(interview, list) else [interview]
    many.write_text(json.dumps(items * 40))
    result = import_file(many, "customer", tmp_path / "study.db", "auto", progress=False)
    assert not result.errors and len(result.session_ids) == 40
    # The encoder gets the texts of 32 interviews at once, not a step's at a time.
    assert len(fake_tagger.calls) <= 4, [len(c) for c in fake_tagger.calls]
    # Every free-text answer got the tags its own text gives, as when tagged one by one.
    store = Store(tmp_path / "study.db")
    rows = store.conn.execute(
        "SELECT a.raw_text, t.kind, t.label FROM answers a JOIN tags t ON t.answer_id = a.id "
        "WHERE t.kind = 'sentiment'"
    ).fetchall()
    assert rows and len(rows) % 40 == 0
    assert all(label == fake_tagger.tag_batch([raw])[0].sentiment for raw, _, label in rows)


def test_answers_the_tagger_failed_on_are_stored_and_said_to_be_untagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_tagger
) -> None:
    from cjm_interview.nlp import loader

    class Failing:
        name, version = fake_tagger.name, fake_tagger.version

        seen: ClassVar[list[str]] = []

        def tag_batch(self, texts: list[str], language: str | None = None) -> list:
            self.seen += texts
            raise KeyError(f"{texts[0]}\nTraceback (most recent call last):")  # quotes it

    monkeypatch.setattr(loader, "load_tagger", lambda mode: Failing())
    result = import_file(EXAMPLE, "customer", tmp_path / "study.db", "auto", progress=False)
    # Once silent: the import said nothing and the study had no tags.
    assert not result.errors and len(result.session_ids) == 1
    assert len(result.warnings) == 1, result.warnings
    assert "stored without the model's tags (tagging failed: " in result.warnings[0]
    # Why, in words of its own: not the answer an exception's message may quote.
    assert "KeyError" in result.warnings[0] and "\n" not in result.warnings[0]
    assert Failing.seen and not any(text in result.warnings[0] for text in Failing.seen)
    store = Store(tmp_path / "study.db")
    assert store.conn.execute("SELECT count(*) FROM answers").fetchone()[0] > 0
    # Conditions that read tags were decided by the lexicon, as without a model.
    sources = {row[0] for row in store.conn.execute("SELECT DISTINCT source FROM tags")}
    assert Failing.name not in sources


def test_a_quiet_import_still_says_which_interviews_lack_the_models_tags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_tagger
) -> None:
    from click.testing import CliRunner

    from cjm_interview.cli import main
    from cjm_interview.nlp import loader

    class Failing:
        name, version = fake_tagger.name, fake_tagger.version

        def tag_batch(self, texts: list[str], language: str | None = None) -> list:
            raise MemoryError("out of memory")

    monkeypatch.setattr(loader, "load_tagger", lambda mode: Failing())
    db = tmp_path / "study.db"
    run = CliRunner().invoke(main, ["import", str(EXAMPLE), "--db", str(db), "--tag", "-q"])
    assert run.exit_code == 0, run.output
    warned = [line for line in run.output.splitlines() if line.startswith("Warning:")]
    assert len(warned) == 1 and "stored without the model's tags" in warned[0], run.output
    assert "Traceback" not in run.output
    # The file was closed with the import: its log is folded back in.
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0


def test_steps_past_the_scripts_most_are_said_to_be_dropped_even_when_quiet(
    tmp_path: Path,
) -> None:
    """A file of 40 steps for a script of at most 15 lost 25 of them "as their conditions
    did not hold", in a warning a quiet import did not show."""
    from click.testing import CliRunner

    from cjm_interview.cli import main

    data = json.loads(EXAMPLE.read_text())
    step = data["answers"]["steps"][0]
    data["answers"]["steps"] = [
        {**step, "action": f"step {i}", "more_steps": True} for i in range(40)
    ]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(data))
    run = CliRunner().invoke(main, ["import", str(path), "--db", str(tmp_path / "s.db"), "-q"])
    assert run.exit_code == 0, run.output
    warned = [line for line in run.output.splitlines() if line.startswith("Warning:")]
    assert warned[0] == (
        "Warning: interview 1: steps 16–40 of 'steps' not imported: the script asks for at most 15"
    ), run.output
    # At its 15th step the script asks no "anything else?": that answer is said unasked.
    assert warned[1:] == [
        "Warning: interview 1: given but not asked (their conditions did not hold): "
        "more_steps (step 15)"
    ]
    with Store(tmp_path / "s.db") as store:
        (told,) = store.conn.execute(
            "SELECT COUNT(*) FROM answers WHERE question_id = 'action' AND is_current = 1"
        ).fetchone()
    assert told == 15


def test_a_tag_brought_back_is_as_it_was_before_its_removal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_tagger
) -> None:
    from cjm_interview.nlp import loader

    monkeypatch.setattr(loader, "load_tagger", lambda mode: fake_tagger)
    import_file(EXAMPLE, "customer", tmp_path / "s.db", "auto", progress=False)
    store = Store(tmp_path / "s.db")
    first, second = [row[0] for row in store.conn.execute(
        "SELECT id FROM tags WHERE status = 'suggested' ORDER BY id LIMIT 2")]  # fmt: skip
    store.decide_tag(first, "removed", "ana")
    store.decide_tag(first, "restored", "ana")  # an undo: no one accepted it
    store.decide_tag(second, "accepted", "ana")
    store.decide_tag(second, "removed", "ana")
    store.decide_tag(second, "restored", "ana")
    rows = dict(
        (tag_id, (status, by))
        for tag_id, status, by in store.conn.execute("SELECT id, status, decided_by FROM tags")
    )
    assert rows[first] == ("suggested", None)
    assert rows[second] == ("accepted", "ana")
    actions = [a for (a,) in store.conn.execute("SELECT action FROM audit_log WHERE action "
                                                "LIKE 'tag.%' ORDER BY id")]  # fmt: skip
    assert actions == ["tag.removed", "tag.restored", "tag.accepted", "tag.removed", "tag.restored"]


def test_a_tag_accepted_on_an_earlier_answer_leaves_the_new_ones_suggestions_alone(
    tmp_path: Path, quick_script
) -> None:
    # The same label on the revised answer was never accepted: bringing it back after a
    # removal found the earlier answer's acceptance and marked it accepted.
    from cjm_interview.domain import SessionInfo
    from cjm_interview.session import InterviewSession

    store = Store(tmp_path / "s.db")
    session = InterviewSession.start(store, quick_script, SessionInfo(), tagger=FakeTagger())
    session.submit("yes")
    session.submit("I called the helpline on the phone")
    key = AnswerKey("action", 1)

    def phone_tag() -> int:
        answer_id = store.answer_id(session.id, key)
        (tag_id,) = [t["id"] for t in store.tags_of(answer_id) if t["label"] == "phone"]
        return int(tag_id)

    store.decide_tag(phone_tag(), "accepted", "ana")
    while session.state().key != key:
        session.back()
    session.submit("I called the helpline on the phone again")
    again = phone_tag()
    store.decide_tag(again, "removed", "ana")
    store.decide_tag(again, "restored", "ana")
    status, by = store.conn.execute(
        "SELECT status, decided_by FROM tags WHERE id = ?", (again,)
    ).fetchone()
    assert (status, by) == ("suggested", None)
