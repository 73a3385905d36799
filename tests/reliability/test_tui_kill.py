"""kill -9 the real TUI (in tmux) at several points: every answer shown as given is stored,
the file is sound, and the session resumes at the right question."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from cjm_interview.session import InterviewSession
from cjm_interview.store import Store

from ..conftest import ROOT
from ..terminal import TMUX, kill, screen, tmux

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


def last_question_is(name: str, text: str) -> bool:
    lines = [line for line in screen(name).splitlines() if line.strip()]
    return any(text in line for line in lines[-12:])


def wait_until(predicate, name: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.parametrize("kill_after", [2, 4, 7])
def test_kill_9_the_tui(tmp_path: Path, quick_script, kill_after: int) -> None:
    name = f"cjm-kill-{os.getpid()}-{kill_after}"
    db = tmp_path / "k.db"
    command = (
        f"CJM_KIOSK_PIN=4821 exec {sys.executable} -m cjm_interview kiosk --script quick "
        f"--db {db} --tagger none"
    )
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", "-c", str(ROOT), command)
    try:
        pid = int(tmux("list-panes", "-t", name, "-F", "#{pane_pid}").split()[0])
        wait_until(lambda: "Press Enter to begin" in screen(name), name)
        # A key sent while the first screen is still being set up can be lost;
        # a person would press again, and so does the test.
        for _ in range(20):
            tmux("send-keys", "-t", name, "Enter")
            time.sleep(0.5)
            if "agree to take part" in screen(name):
                break
        wait_until(lambda: "agree to take part" in screen(name), name)
        for given, (question, answer) in enumerate(ANSWERS[:kill_after], 1):
            wait_until(lambda q=question: last_question_is(name, q), name)
            time.sleep(0.3)  # the question's input takes the keys once it is mounted
            tmux("send-keys", "-t", name, "-l", answer)
            tmux("send-keys", "-t", name, "Enter")
            # The participant sees the answer taken: it is in the database.
            wait_until(lambda g=given: _count(db) >= g, name)
        os.kill(pid, signal.SIGKILL)
    finally:
        kill(name)
    store = Store(db)
    assert store.integrity_check() == []
    session_id = store.list_sessions()[0]["id"]
    resumed = InterviewSession.resume(store, session_id, quick_script)
    assert len(resumed.engine.answers) >= kill_after
    prompt = resumed.current()
    assert prompt is not None and prompt.key not in resumed.engine.answers


def _count(db: Path) -> int:
    return int(Store(db).conn.execute("SELECT count(*) FROM answers").fetchone()[0])
