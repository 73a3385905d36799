"""The interviewer's screens in a real terminal, where keys come in bursts."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from cjm_interview.store import Store

from ..conftest import ROOT
from ..terminal import TMUX, Pane, flat


def _answers(db: Path) -> int:
    """Answers the running program has stored so far (read beside it, as Datasette would)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT count(*) FROM answers").fetchone()[0])


def _wait_for_more(db: Path, stored: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _answers(db) <= stored:
        assert time.monotonic() < deadline, f"no answer stored after {stored} in {timeout} s"
        time.sleep(0.05)


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


def test_words_typed_into_a_channel_question_keep_their_spaces(tmp_path: Path) -> None:
    # In a real terminal the spaces between words typed into a choice never reached the
    # words ("Phoned them up" was stored as "Other: Phonedthemup"); the pilot kept them.
    db = tmp_path / "study.db"
    command = f"exec {sys.executable} -m cjm_interview interview --db {db} --tagger none"
    with Pane(command, ROOT, width=110, height=34) as pane:
        pane.wait_for("Participant")
        pane.write("P01")
        pane.keys("Enter")
        pane.wait_for("Do you agree")
        pane.keys("y", "Enter")
        for _ in range(12):
            shown = pane.wait_until(lambda s: "Enter send" in s, "an answer box")
            if "o) Other…" in shown and "Pick every channel" in flat(shown):
                break  # the channel question is the one asked now
            stored = _answers(db)
            pane.write("Something here")
            pane.keys("Enter")
            _wait_for_more(db, stored)
            time.sleep(0.3)  # the next question is drawn
        pane.write("Phoned them up")
        pane.keys("Enter")
        pane.wait_for("Other: Phoned them up")
        pane.keys("C-q")
    with Store(db) as store:
        session_id = store.list_sessions()[0]["id"]
        channels = [
            a.value for a in store.load_answers(session_id) if a.key.question_id == "channels"
        ]
    assert channels == [["other: Phoned them up"]]


def test_keys_that_arrive_together_are_taken_in_order(tmp_path: Path) -> None:
    # Keys in one write (a quick typist, a slow link): Textual ran Tab and the editing keys
    # (Backspace, Home, End) once they had come back up from the box, after the letters that
    # followed them, so "seg", Tab, "pers" went "segpers" into one field and "hello" +
    # Backspace + "X" stayed "hello".
    db = tmp_path / "study.db"
    command = f"exec {sys.executable} -m cjm_interview interview --db {db} --tagger none"
    with Pane(command, ROOT, width=110, height=34) as pane:
        pane.wait_for("Participant")
        pane._tmux("send-keys", "-t", "pane", "P01", "Tab")  # one write: on to the segment
        time.sleep(0.5)
        pane._tmux("send-keys", "-t", "pane", "seg", "Tab", "pers")
        pane.wait_until(lambda s: "pers" in s, "the persona typed")
        pane.keys("Enter")
        pane.wait_for("Do you agree")
        pane.keys("y", "Enter")
        pane.wait_until(lambda s: "Enter send" in s, "an answer box")
        pane.write("hello")
        pane.wait_for("hello")
        pane._tmux("send-keys", "-t", "pane", "BSpace", "X", "Home", "A", "End", "Z", "Enter")
        pane.wait_until(lambda s: "AhellXZ" in s and "Who else" in flat(s), "the answer sent")
        # A key typed just after Enter belongs to the next answer, not the one sent.
        pane._tmux("send-keys", "-t", "pane", "my flatmate", "Enter", "C-w")
        pane.wait_until(lambda s: "my flatmate" in s and "Enter send" in s, "the next question")
        time.sleep(0.5)
        # The keys after F4 are the note, and those after the note's Enter the answer again:
        # the focus moved only once the app had handed on the keys it already had.
        pane._tmux("send-keys", "-t", "pane", "F4", "sighs", "Enter", "renting", "Enter")
        # The notes shown follow the question on screen: the note is looked for in the file.
        pane.wait_until(
            lambda s: "renting" in s and "trying to achieve" in flat(s), "the answer sent"
        )
        time.sleep(0.5)
        pane.keys("C-q")
    with Store(db) as store:
        row = store.list_sessions()[0]
        answers = {a.key.question_id: a.raw for a in store.load_answers(row["id"])}
        notes = [(n["question_id"], n["text"]) for n in store.notes(row["id"])]
    assert (row["participant"], row["segment"], row["persona"]) == ("P01", "seg", "pers")
    assert answers["service"] == "AhellXZ"
    assert answers["stakeholders"] == "my flatmate"
    assert answers["situation"] == "renting"
    assert notes == [("situation", "sighs")]
