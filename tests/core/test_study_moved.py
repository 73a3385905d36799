"""The study file moved, deleted, emptied or replaced by another program while
an interview has it open: the next answer is refused in one line and kept in memory, never
taken into a file nobody will read nor laid over another study."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cjm_interview.domain import SessionInfo
from cjm_interview.engine import Prompt
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store, StoreError


def begin(path: Path, script, participant: str) -> InterviewSession:
    """A session with its consent and first step's action answered."""
    session = InterviewSession.start(
        Store(path), script, SessionInfo(perspective="customer", participant=participant)
    )
    session.submit(True)
    session.submit(f"{participant} went to the shop")
    return session


def rows(path: Path) -> list[tuple[str, str]]:
    """(participant, answer) of every current answer, read without changing the file."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT s.participant, a.raw_text FROM answers a JOIN sessions s "
            "ON s.id = a.session_id WHERE a.is_current ORDER BY a.id"
        ).fetchall()
    finally:
        conn.close()


def delete(path: Path, other: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def rename(path: Path, other: Path) -> None:
    path.rename(path.with_name("put-aside.db"))


def replace_by_another_study(path: Path, other: Path) -> None:
    shutil.copyfile(other, path.with_name("copy.db"))
    os.replace(path.with_name("copy.db"), path)


def empty(path: Path, other: Path) -> None:
    path.write_bytes(b"")


CHANGES: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "deleted": (delete, "was moved, deleted or replaced"),
    "renamed": (rename, "was moved, deleted or replaced"),
    "replaced by another study": (replace_by_another_study, "was moved, deleted or replaced"),
    "emptied": (empty, "was emptied or overwritten"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_next_answer_is_refused_and_kept(tmp_path: Path, quick_script, change: str) -> None:
    other = tmp_path / "other.db"
    begin(other, quick_script, "Olga").store.close()
    theirs = rows(other)
    path = tmp_path / "study.db"
    session = begin(path, quick_script, "Pia")
    before = session.state()
    assert isinstance(before, Prompt) and before.question.id == "grade"
    act, said = CHANGES[change]
    act(path, other)
    with pytest.raises(StoreError) as caught:
        session.submit(4)
    assert said in str(caught.value) and "the last change was not saved" in str(caught.value)
    assert str(path) in str(caught.value) and caught.value.hint
    # Not taken: the question is asked again, and every later write is refused too.
    now = session.state()
    assert isinstance(now, Prompt) and now.key == before.key
    with pytest.raises(StoreError):
        session.submit(5)
    session.store.close()
    if change == "replaced by another study":
        assert rows(path) == theirs  # nothing of Pia's laid over Olga's study
    if change == "renamed":  # what was saved is in the file where it now is
        assert rows(path.with_name("put-aside.db")) == [
            ("Pia", "yes"),
            ("Pia", "Pia went to the shop"),
        ]
    assert rows(other) == theirs


def test_a_study_put_in_its_place_is_not_overlaid_when_the_screen_closes(
    tmp_path: Path, quick_script
) -> None:
    """Nothing written after the swap: the log SQLite leaves beside the path is emptied."""
    other = tmp_path / "other.db"
    begin(other, quick_script, "Olga").store.close()
    path = tmp_path / "study.db"
    session = begin(path, quick_script, "Pia")
    replace_by_another_study(path, other)
    session.store.close()
    assert rows(path) == rows(other) == [("Olga", "yes"), ("Olga", "Olga went to the shop")]


def test_its_own_changes_of_the_file_are_not_taken_for_another_program(
    tmp_path: Path, quick_script
) -> None:
    """A merge leaves WAL mode (its log goes) and a purge rewrites the file in place."""
    path = tmp_path / "study.db"
    session = begin(path, quick_script, "Pia")
    store = session.store
    store.purge()
    session.submit(4)
    assert store.conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    assert not Path(f"{path}-wal").exists()
    session.submit(True)
    store.conn.execute("PRAGMA journal_mode = WAL")
    session.submit("then I went home")
    store.close()
    assert [text for _, text in rows(path)][-2:] == ["yes", "then I went home"]


def _seen_by_another_program(path: Path) -> int:
    """Answers another process reads in the study (it opens the file, reads, closes)."""
    read = subprocess.run(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "print(c.execute('SELECT count(*) FROM answers').fetchone()[0]); c.close()", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(read.stdout)


def test_another_program_reading_the_study_leaves_the_interview_its_log(
    tmp_path: Path, quick_script
) -> None:
    # Each answer's check that the file was still in place opened and closed the file,
    # which dropped SQLite's locks: the next program to close the study (a reader, an
    # export, 'cjm sessions list') took itself for the last one and deleted the log the
    # interview went on writing into. Its later answers were seen by no one else, and
    # were lost to a crash (kill -9) before the interview closed.
    path = tmp_path / "study.db"
    session = begin(path, quick_script, "Pia")
    assert _seen_by_another_program(path) == 2
    session.submit(4)
    assert Path(f"{path}-wal").exists()
    assert _seen_by_another_program(path) == 3
    session.store.close()
