"""The real program in a real terminal: tmux runs `cjm kiosk`, keys answer, the screen and
the database are checked."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from cjm_interview.store import Store

from ..conftest import ROOT
from ..terminal import TMUX, kill, screen, tmux

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")


def wait_for(name: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen(name)
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; screen was:\n{shown}")


def send(name: str, *keys: str) -> None:
    for key in keys:
        tmux("send-keys", "-t", name, key)
        time.sleep(0.15)


def test_kiosk_in_a_real_terminal(tmp_path: Path) -> None:
    name = f"cjm-e2e-{os.getpid()}"
    db = tmp_path / "kiosk.db"
    command = (
        f"CJM_KIOSK_PIN=4821 {sys.executable} -m cjm_interview kiosk --script quick "
        f"--db {db} --tagger fallback --kiosk-id tmux-1; echo EXITED $?; sleep 30"
    )
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", "-c", str(ROOT), command)
    try:
        wait_for(name, "Press Enter to begin")
        send(name, "C-c", "C-z", "C-q")  # none of these leaves the kiosk
        time.sleep(0.5)
        assert "EXITED" not in screen(name)
        send(name, "Escape")
        time.sleep(0.3)
        if "PIN" in screen(name):
            send(name, "Escape")
        send(name, "Enter")
        wait_for(name, "Do you agree to take part?")
        send(name, "y", "Enter")
        wait_for(name, "What was the first thing you did?")
        send(name, "-l", "I phoned the helpline \x1b[31mtwice")
        send(name, "Enter")
        wait_for(name, "how was it?")
        shown = screen(name)
        assert "\x1b" not in shown and "I phoned the helpline" in shown
        send(name, "3", "Enter")
        wait_for(name, "anything else")
        send(name, "n", "Enter")
        wait_for(name, "Overall")
        send(name, "4", "Enter")
        wait_for(name, "improve")
        send(name, "-l", "Answer the phone")
        send(name, "Enter")
        wait_for(name, "Thank you")
        send(name, "Enter")
        # Operator leaves with F12 and the PIN.
        time.sleep(0.5)
        send(name, "F12")
        wait_for(name, "PIN")
        send(name, "-l", "4821")
        send(name, "Enter")
        wait_for(name, "EXITED 0")
    finally:
        kill(name)
    store = Store(db)
    rows = store.list_sessions()
    assert rows and rows[0]["kiosk"] == "tmux-1"
    answers = {a.key.question_id: a for a in store.load_answers(rows[0]["id"])}
    assert answers["action"].raw.startswith("I phoned the helpline")
    assert "\x1b" not in answers["action"].raw
    assert answers["grade"].value == 3 and answers["overall_grade"].value == 4
    phone = {t.label for t in answers["action"].tags or () if t.kind == "touchpoint"}
    assert phone == {"phone"}
