"""kill -9 the real TUI (in tmux) at several points: every answer shown as given is stored,
the file is sound, and the session resumes at the right question."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from cjm_interview.session import InterviewSession
from cjm_interview.store import Store

from ..conftest import ROOT
from ..terminal import TMUX, Pane, flat, kiosk_command

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")
# (what the screen asks last, the answer typed)
ANSWERS = [
    ("agree to take part?", "y"),
    ("first thing you did?", "went to the ticket office"),
    ("how was it?", "6"),
    ("anything else after that?", "y"),
    ("What did you do next?", "asked at the desk"),
    ("how was it?", "3"),
    ("anything else after that?", "y"),
    ("What did you do next?", "took the bus"),
]


def asks_last(shown: str, text: str) -> bool:
    """Whether `text` is among the last lines on screen (the question being asked)."""
    lines = [line for line in shown.splitlines() if line.strip()]
    return text in flat("\n".join(lines[-12:]))


@pytest.mark.parametrize("kill_after", [2, 4, 7])
def test_kill_9_the_tui(tmp_path: Path, quick_script, kill_after: int) -> None:
    db = tmp_path / "k.db"
    with Pane(kiosk_command(db), ROOT) as pane:
        pane.wait_for("Press Enter to begin")
        # A key sent while the first screen is still being set up can be lost;
        # a person would press again, and so does the test.
        for _ in range(20):
            pane.keys("Enter", pause=0.5)
            if "agree to take part?" in flat(pane.screen()):
                break
        pane.wait_for("agree to take part?")
        for given, (question, answer) in enumerate(ANSWERS[:kill_after], 1):
            pane.wait_until(
                lambda shown, q=question: asks_last(shown, q), f"never asked {question!r}"
            )
            time.sleep(0.3)  # the question's input takes the keys once it is mounted
            pane.write(answer)
            pane.keys("Enter")
            # The participant sees the answer taken: it is in the database.
            pane.wait_until(lambda _, g=given: _count(db) >= g, f"answer {given} never stored")
        os.kill(pane.pid, signal.SIGKILL)
    store = Store(db)
    assert store.integrity_check() == []
    session_id = store.list_sessions()[0]["id"]
    resumed = InterviewSession.resume(store, session_id, quick_script)
    assert len(resumed.engine.answers) >= kill_after
    prompt = resumed.current()
    assert prompt is not None and prompt.key not in resumed.engine.answers


def _count(db: Path) -> int:
    return int(Store(db).conn.execute("SELECT count(*) FROM answers").fetchone()[0])
