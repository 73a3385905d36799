"""Memory follows the database: an answer stored stays taken when a write after it fails,
and kiosk answers are audited with a stated actor."""

from __future__ import annotations

from pathlib import Path

import pytest

from cjm_interview.domain import AnswerKey, SessionInfo
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store, StoreError


def failing_once(store: Store, method: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make ``store.<method>`` fail once, as a locked or full database would, after the answer."""
    real = getattr(store, method)
    calls: list[str] = []

    def fault(*args, **kwargs):
        calls.append(method)
        if len(calls) == 1:
            raise StoreError("database is locked (fault put in by the test)")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, method, fault)
    return calls


@pytest.mark.parametrize(
    ("method", "answers"),
    [
        ("set_status", ["yes", "went", "7", "no", "6", "more staff", ""]),  # the last answer
        ("update_session", ["yes"]),  # the consent flag after the consent answer
    ],
)
def test_a_failed_write_after_a_stored_answer_keeps_the_answer(
    tmp_path: Path, quick_script, monkeypatch: pytest.MonkeyPatch, method: str, answers: list[str]
) -> None:
    store = Store(tmp_path / "s.db")
    session = InterviewSession.start(store, quick_script, SessionInfo(kiosk="k1"))
    for raw in answers[:-1]:
        session.submit(raw)
    calls = failing_once(store, method, monkeypatch)
    key = session.state().key
    session.submit(answers[-1])  # stored, then the write after it fails
    assert calls
    stored = {a.key for a in store.load_answers(session.id)}
    assert key in stored and key in session.engine.answers  # memory follows the database
    assert session.behind  # the failed write waits
    assert session.catch_up() and not session.behind
    row = store.session(session.id)
    if method == "set_status":
        assert row["status"] == "finished" and session.finished
    else:
        assert row["consent"] == 1


def test_kiosk_answers_are_audited_as_the_participant(tmp_path: Path, quick_script) -> None:
    store = Store(tmp_path / "s.db")
    session = InterviewSession.start(store, quick_script, SessionInfo(kiosk="hall-2"))
    session.submit("yes")
    actors = {
        r[0] for r in store.conn.execute("SELECT actor FROM audit_log WHERE action = 'answer'")
    }
    assert actors == {"participant@hall-2"}
    resumed = InterviewSession.resume(store, session.id, quick_script)
    assert resumed.actor == "participant@hall-2"


def test_an_import_whose_finished_status_cannot_be_written_is_not_counted_as_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cjm_interview.importer import import_file

    from ..conftest import PROMPTS

    store = Store(tmp_path / "s.db")
    real = store.set_status

    def locked(*args, **kwargs):  # every try fails, as a file locked throughout would
        raise StoreError("database is locked (fault put in by the test)")

    monkeypatch.setattr(store, "set_status", locked)
    example = PROMPTS / "examples" / "customer_interview.json"
    result = import_file(example, store=store, progress=False)
    assert not result.session_ids  # not reported as imported
    assert len(result.errors) == 1 and "status" in result.errors[0]
    assert "database is locked" in result.errors[0]
    monkeypatch.setattr(store, "set_status", real)
    (row,) = store.conn.execute("SELECT status FROM sessions").fetchall()
    assert row[0] == "in_progress"  # what the file holds agrees with what was said


def test_the_answers_listed_are_those_a_resumed_interview_shows(
    tmp_path: Path, quick_script
) -> None:
    # Going back and answering "no more steps" leaves the later steps' answers stored but
    # no longer part of the interview: the list counted them, the resumed screen did not.
    store = Store(tmp_path / "s.db")
    session = InterviewSession.start(store, quick_script, SessionInfo(participant="p"))
    for raw in ["yes", "went to the shop", "7", "yes", "called them", "5"]:
        session.submit(raw)
    while session.state().key != AnswerKey("more_steps", 1):
        session.back()
    session.submit("no")
    engine = session.engine
    shown = sum(1 for item in engine.items() if item.key in engine.answers)
    listed = store.list_sessions()[0]["answers"]
    assert listed == shown, (listed, shown)
