"""One interview resumed in two windows at once: the second to answer is refused in one
line, never writing over what the first was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from cjm_interview.domain import SessionInfo
from cjm_interview.engine import Prompt
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store, StoreError


def current(store: Store, session_id: str) -> dict[str, str]:
    rows = store.conn.execute(
        "SELECT question_id, raw_text FROM answers WHERE session_id = ? AND is_current",
        (session_id,),
    )
    return dict(rows.fetchall())


def test_the_window_behind_is_refused_and_told_to_resume(tmp_path: Path, quick_script) -> None:
    path = tmp_path / "s.db"
    first = InterviewSession.start(
        Store(path), quick_script, SessionInfo(perspective="customer", participant="P")
    )
    first.submit(True)
    one = InterviewSession.resume(Store(path), first.id, quick_script)
    two = InterviewSession.resume(Store(path), first.id, quick_script)
    one.submit("I walked into the branch")
    before = two.state()
    with pytest.raises(StoreError) as caught:
        two.submit("I phoned them")  # the same question, seen before the other window's answer
    assert "changed in another window" in str(caught.value)
    assert "resume" in (caught.value.hint or "")
    assert isinstance(before, Prompt) and two.state() == before  # kept, not taken
    one.submit(5)  # the window that is up to date goes on
    assert current(one.store, first.id) == {
        "consent": "yes",
        "action": "I walked into the branch",
        "grade": "5",
    }
    # Resumed again, it sees what is saved and goes on from there.
    again = InterviewSession.resume(Store(path), first.id, quick_script)
    next_up = again.state()
    assert isinstance(next_up, Prompt) and next_up.question.id == "more_steps"
    again.submit(False)
    with pytest.raises(StoreError):
        one.submit(False)
