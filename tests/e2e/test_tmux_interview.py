"""The interviewer's screens in a real terminal, where keys come in bursts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cjm_interview.store import Store

from ..conftest import ROOT
from ..terminal import TMUX, Pane

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")


def test_a_participant_typed_just_before_ctrl_s_is_kept(tmp_path: Path) -> None:
    # "P01" and ctrl+s in one burst (a quick typist, a paste of a name, a slow machine):
    # ctrl+s, bound with priority, started the interview before the name reached the box,
    # and the session was saved without it.
    db = tmp_path / "study.db"
    command = f"exec {sys.executable} -m cjm_interview interview --db {db} --tagger none"
    with Pane(command, ROOT) as pane:
        pane.wait_for("Participant")
        pane._tmux("send-keys", "-t", "pane", "P01", "C-s")  # one write to the terminal
        pane.wait_for("Thank you for taking part")
        pane.keys("C-q")
    with Store(db) as store:
        assert [row["participant"] for row in store.list_sessions()] == ["P01"]
