"""A kiosk that crashes comes back on its welcome screen, in a real terminal: nothing
answered is lost, the error is logged, and a kiosk that keeps crashing stops."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cjm_interview.store import Store
from cjm_interview.tui.supervise import CRASH_LIMIT

from ..conftest import ROOT
from ..terminal import KIOSK_PIN, TMUX, Pane, begin_kiosk, kiosk_command

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")

# The real kiosk, with faults put in where answers are taken: the answer "crash now"
# raises; "stop quietly" ends the app as if all were well (exit code 0, no error).
KIOSK = textwrap.dedent(
    """
    import sys
    from cjm_interview.cli import main
    from cjm_interview.tui.screens.interview import InterviewScreen

    taken = InterviewScreen._take_answer

    async def faulty(self, message):
        if message.raw == "crash now":
            raise RuntimeError("fault put in by the test")
        if message.raw == "stop quietly":
            self.app.exit()
            return
        await taken(self, message)

    InterviewScreen._take_answer = faulty
    main(sys.argv[1:])
    """
)


def start(tmp_path: Path, db: Path) -> Pane:
    program = tmp_path / "faulty_kiosk.py"
    program.write_text(KIOSK, encoding="utf-8")
    return Pane(kiosk_command(db, program=program, report_exit=True), ROOT)


def crash(pane: Pane, answer: str = "crash now") -> None:
    """Begin an interview, give consent, then the answer that crashes."""
    begin_kiosk(pane)
    pane.write(answer)
    pane.keys("Enter")


def test_a_crash_brings_the_welcome_screen_back(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    with start(tmp_path, db) as pane:
        crash(pane)
        shown = pane.wait_for("Answers already given were saved")
        assert "Press Enter to begin" in shown and "EXITED" not in shown
        pane.keys("Enter")  # the next person begins; the apology is gone
        shown = pane.wait_for("Do you agree to take part?")
        assert "restarted" not in shown
        pane.keys("F12")
        pane.wait_for("PIN")
        pane.write(KIOSK_PIN)
        pane.keys("Enter")
        pane.wait_for("EXITED 0")
    store = Store(db)
    first, second = sorted(store.list_sessions(), key=lambda row: row["started_at"])
    assert first["status"] == "abandoned"
    assert [a.raw for a in store.load_answers(first["id"])] == ["yes"]  # the consent, kept
    assert store.load_answers(second["id"]) == []  # the next person's, left at once
    log = db.with_name(db.name + ".crash.log")
    assert "fault put in by the test" in log.read_text(encoding="utf-8")
    assert log.stat().st_mode & 0o077 == 0  # the owner's only: errors may quote answers


def test_a_kiosk_that_keeps_crashing_stops(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    with start(tmp_path, db) as pane:
        for _ in range(CRASH_LIMIT):
            crash(pane)
        shown = pane.wait_for("EXITED 1")
        assert f"{CRASH_LIMIT} crashes within" in " ".join(shown.split())


def test_an_end_nobody_asked_for_is_a_crash_too(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    with start(tmp_path, db) as pane:
        crash(pane, "stop quietly")
        shown = pane.wait_for("Answers already given were saved")
        assert "EXITED" not in shown
    store = Store(db)
    (session,) = store.list_sessions()
    assert session["status"] == "abandoned"
    log = db.with_name(db.name + ".crash.log")
    assert "without the operator" in log.read_text(encoding="utf-8")
