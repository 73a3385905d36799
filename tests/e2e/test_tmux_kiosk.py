"""The real program in a real terminal: tmux runs `cjm kiosk`, keys answer, the screen and
the database are checked."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cjm_interview.store import Store

from ..conftest import ROOT
from ..terminal import KIOSK_PIN, TMUX, Pane, kiosk_command
from ..tui.helpers import QUICK_STORED, QUICK_TYPED

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")
PAUSE = 0.15  # between keys, as a quick typist


def test_kiosk_in_a_real_terminal(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    command = kiosk_command(db, "fallback", "--kiosk-id", "tmux-1", report_exit=True)
    with Pane(command, ROOT) as pane:
        pane.wait_for("Press Enter to begin")
        pane.keys("C-c", "C-z", "C-q", pause=PAUSE)  # none of these leaves the kiosk
        time.sleep(0.5)
        assert "EXITED" not in pane.screen()
        pane.keys("Escape", pause=0.3)
        if "PIN" in pane.screen():
            pane.keys("Escape", pause=PAUSE)
        pane.keys("Enter", pause=PAUSE)
        pane.wait_for("Do you agree to take part?")
        pane.keys("y", "Enter", pause=PAUSE)
        pane.wait_for("What was the first thing you did?")
        pane.write("I phoned the helpline \x1b[31mtwice")
        time.sleep(PAUSE)
        pane.keys("Enter", pause=PAUSE)
        pane.wait_for("how was it?")
        shown = pane.screen()
        assert "\x1b" not in shown and "I phoned the helpline" in shown
        pane.keys("3", "Enter", pause=PAUSE)
        pane.wait_for("anything else")
        pane.keys("n", "Enter", pause=PAUSE)
        pane.wait_for("Overall")
        pane.keys("4", "Enter", pause=PAUSE)
        pane.wait_for("improve")
        pane.write("Answer the phone")
        time.sleep(PAUSE)
        pane.keys("Enter", pause=PAUSE)
        pane.wait_for("Thank you")
        pane.keys("Enter", pause=PAUSE)
        # Operator leaves with F12 and the PIN.
        time.sleep(0.5)
        pane.keys("F12", pause=PAUSE)
        pane.wait_for("PIN")
        pane.write(KIOSK_PIN)
        time.sleep(PAUSE)
        pane.keys("Enter", pause=PAUSE)
        pane.wait_for("EXITED 0")
    store = Store(db)
    rows = store.list_sessions()
    assert rows and rows[0]["kiosk"] == "tmux-1"
    answers = {a.key.question_id: a for a in store.load_answers(rows[0]["id"])}
    assert answers["action"].raw.startswith("I phoned the helpline")
    assert "\x1b" not in answers["action"].raw
    assert answers["grade"].value == 3 and answers["overall_grade"].value == 4
    phone = {t.label for t in answers["action"].tags or () if t.kind == "touchpoint"}
    assert phone == {"phone"}


def test_a_fast_typist_in_a_real_terminal(tmp_path: Path) -> None:
    """Every answer typed in one go, before any next question is drawn: each lands on its own."""
    db = tmp_path / "kiosk.db"
    with Pane(kiosk_command(db), ROOT) as pane:
        pane.wait_for("Press Enter to begin")
        time.sleep(0.3)  # the welcome screen takes keys once it is mounted
        pane.keys("Enter")
        for text in QUICK_TYPED:
            pane.write(text)
            pane.keys("Enter")
        try:
            pane.wait_for("reset for the next person")
        except AssertionError as failed:  # what reached the database tells where keys went
            with Store(db) as store:
                stored = [
                    (
                        row["status"],
                        [(a.key.question_id, a.raw) for a in store.load_answers(row["id"])],
                    )
                    for row in store.list_sessions()
                ]
            raise AssertionError(f"{failed}\nstored: {stored}") from None
    store = Store(db)
    answers = store.load_answers(store.list_sessions()[0]["id"])
    assert [(a.key.question_id, a.raw) for a in answers] == QUICK_STORED


def test_a_consent_refused_in_one_write_is_refused(tmp_path: Path) -> None:
    # Down, "n", Enter arriving together: the Down ran on its way back up, after the "n"
    # had picked No, and moved the choice back to Yes: consent was recorded as given.
    db = tmp_path / "kiosk.db"
    with Pane(kiosk_command(db), ROOT) as pane:
        pane.wait_for("Press Enter to begin")
        pane.keys("Enter")
        pane.wait_for("Do you agree to take part?")
        pane._tmux("send-keys", "-t", "pane", "Down", "n", "Enter")  # one write
        pane.wait_for("No problem")
    with Store(db) as store:
        (row,) = store.list_sessions()
        assert (store.session(row["id"])["consent"], row["status"]) == (0, "finished")
