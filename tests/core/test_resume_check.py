"""``cjm interview --resume`` checks the id before the terminal UI starts."""

from __future__ import annotations

from pathlib import Path

from cjm_interview.store import Store

from ..reliability.hostile import cjm, one_clear_line


def test_resume_of_an_unknown_session_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    run = cjm("interview", "--resume", "deadbeef", "--db", db, timeout=30)
    one_clear_line(run)
    assert "no such database" in run.err
    assert list(tmp_path.iterdir()) == []


def test_resume_of_an_id_not_in_the_file_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    Store(db).close()
    before = db.read_bytes()
    run = cjm("interview", "--resume", "deadbeef", "--db", db, timeout=30)
    one_clear_line(run)
    assert "no session 'deadbeef'" in run.err
    assert db.read_bytes() == before
