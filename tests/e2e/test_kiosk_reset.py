"""In a real terminal: the idle reset closes a dialog left open, and the thank-you leaves
nothing of the participant to reopen."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cjm_interview.store import Store

from ..conftest import ROOT
from ..terminal import TMUX, Pane, begin_kiosk, flat, kiosk_command

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")
SECRET = "my-private-answer"


def first_answer(pane: Pane) -> None:
    begin_kiosk(pane)
    pane.write(SECRET)
    pane.keys("Enter")
    pane.wait_for("how was it?")


def test_the_pin_dialog_left_open_is_reset_with_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    command = kiosk_command(db, "none", "--idle", "1", "--countdown", "1", report_exit=True)
    with Pane(command, ROOT) as pane:
        first_answer(pane)
        pane.keys("F12")  # participant A opens the operator's dialog and walks away
        pane.wait_for("Operator PIN")
        pane.wait_for("Press Enter to begin", timeout=10)
        for key in ("Escape", "C-b", "F12", "Escape", "Enter", "C-b"):  # participant B
            pane.keys(key)
            time.sleep(0.3)
            assert SECRET not in flat(pane.screen()), f"A's answer shown after {key}"
    sessions = sorted(Store(db).list_sessions(), key=lambda row: row["started_at"])
    assert sessions[0]["status"] == "abandoned"


def test_the_thank_you_clears_and_cannot_be_reopened(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    with Pane(kiosk_command(db, "none", report_exit=True), ROOT) as pane:
        first_answer(pane)
        for keys, next_text in ((["3"], "anything else"), (["n"], "Overall"), (["6"], "improve")):
            pane.keys(*keys, "Enter")
            pane.wait_for(next_text)
        pane.write("more staff")
        pane.keys("Enter")
        shown = flat(pane.wait_for("This screen clears in"))
        assert "Thank you" in shown and SECRET not in shown and "more staff" not in shown
        time.sleep(0.6)
        pane.keys("C-b")  # no way back: any key finishes at once
        shown = flat(pane.wait_for("Press Enter to begin", timeout=3))
        assert SECRET not in shown
    (session,) = Store(db).list_sessions()
    assert session["status"] == "finished"


def test_a_triple_click_on_the_welcome_screen_begins_one_session(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    with Pane(kiosk_command(db, "none", report_exit=True), ROOT) as pane:
        pane.wait_for("Press Enter to begin")
        click = b"\x1b[<0;50;15M\x1b[<0;50;15m"  # SGR mouse: press and release
        pane.send_bytes(click * 3)
        pane.wait_for("Do you agree to take part?")
        time.sleep(0.5)
    (session,) = Store(db).list_sessions()
    assert session["status"] == "in_progress"


def test_a_size_typed_in_leaves_nothing_of_the_last_participant_on_screen(
    tmp_path: Path,
) -> None:
    db = tmp_path / "kiosk.db"
    command = kiosk_command(db, "none", "--idle", "2", "--countdown", "1", report_exit=True)
    with Pane(command, ROOT) as pane:
        first_answer(pane)
        # A claim that the terminal reports its size in-band, then a size of 20×6: the
        # kiosk drew in that corner, and stopped hearing the terminal's real resizes.
        pane.send_bytes(b"\x1b[?2048;1$y\x1b[48;6;20;0;0t")
        time.sleep(0.5)
        pane.resize(90, 28)
        time.sleep(0.5)
        pane.resize(100, 30)
        pane.wait_for("Press Enter to begin", timeout=15)  # the idle reset, for participant B
        time.sleep(0.5)
        shown = pane.screen()
        assert SECRET not in flat(shown), shown
        assert "What was the first thing you did?" not in flat(shown), shown
