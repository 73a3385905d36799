"""Answers that later answers made inapplicable stay in the file, flagged, and out of maps."""

from __future__ import annotations

from pathlib import Path

from cjm_interview.domain import AnswerKey, SessionInfo
from cjm_interview.map import Filters, load_journeys
from cjm_interview.merge import merge_databases
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store

from ..conftest import downgrade

ANSWERS = ["y", "went to the shop", "7", "y", "asked at the desk", "3", "n", "6", "more staff"]


def interview(store: Store, script) -> InterviewSession:
    session = InterviewSession.start(store, script, SessionInfo(participant="P1"))
    for raw in ANSWERS:
        session.submit(raw)
    return session


def revise(session: InterviewSession, key: AnswerKey, raw: str) -> None:
    session.engine.go_to(key)
    session.submit(raw)


def steps_on_the_map(store: Store) -> list[str]:
    # The interviews here stop before the end: the map shows them when asked to.
    journeys = load_journeys(store, Filters(unfinished=True))
    return [step.action for journey in journeys for step in journey.steps]


def view_rows(store: Store, session_id: str) -> set[str]:
    rows = store.conn.execute(
        "SELECT question_id FROM current_answers WHERE session_id = ?", (session_id,)
    )
    return {row[0] for row in rows}


def test_consent_withdrawn_then_given_again(tmp_path: Path, quick_script) -> None:
    store = Store(tmp_path / "s.db")
    session = interview(store, quick_script)
    assert steps_on_the_map(store) == ["went to the shop", "asked at the desk"]

    revise(session, AnswerKey("consent", 0), "n")
    # Kept in the file (changing back brings them back), out of every map and view.
    off = store.off_path(session.id)
    assert AnswerKey("action", 1) in off and AnswerKey("consent", 0) not in off
    assert len(store.load_answers(session.id)) == len(ANSWERS)
    assert load_journeys(store, Filters(unfinished=True)) == []
    assert view_rows(store, session.id) == {"consent"}
    detail = store.session_detail(session.id)
    assert {a["question_id"]: a["applies"] for a in detail["answers"]}["action"] is False

    revise(session, AnswerKey("consent", 0), "y")
    assert store.off_path(session.id) == set()
    assert steps_on_the_map(store) == ["went to the shop", "asked at the desk"]


def test_a_file_from_before_the_flag_catches_up_on_resume(tmp_path: Path, quick_script) -> None:
    store = Store(tmp_path / "s.db")
    session = interview(store, quick_script)
    revise(session, AnswerKey("consent", 0), "n")
    # As an older release left it: no answer flagged.
    store.write(lambda c: c.execute("UPDATE answers SET applies = 1"))
    assert store.off_path(session.id) == set()
    InterviewSession.resume(store, session.id, quick_script)
    assert AnswerKey("action", 1) in store.off_path(session.id)


def test_merging_keeps_the_flag_and_takes_older_files(tmp_path: Path, quick_script) -> None:
    a, b, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "out.db"
    with Store(a) as store:
        revise(interview(store, quick_script), AnswerKey("consent", 0), "n")
    with Store(b) as store:
        interview(store, quick_script)
    # b comes from a release without the flag (schema 4).
    downgrade(b, 4)
    report = merge_databases(out, [a, b])
    assert sum(report.added.values()) == 2
    with Store(out) as merged:
        flagged = merged.conn.execute("SELECT count(*) FROM answers WHERE applies = 0")
        assert flagged.fetchone()[0] == len(ANSWERS) - 1  # all but the consent of a
        assert steps_on_the_map(merged) == ["went to the shop", "asked at the desk"]
