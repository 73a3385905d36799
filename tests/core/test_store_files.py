"""Database files: owner-only from the start, never written through a symbolic link."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cjm_interview.domain import SessionInfo
from cjm_interview.merge import merge_databases
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store, StoreError


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # the usual umask: files readable by every local user
    yield
    os.umask(old)


def test_new_databases_and_their_logs_are_owner_only(
    tmp_path: Path, quick_script, open_umask
) -> None:
    db = tmp_path / "kiosk.db"
    store = Store(db)
    InterviewSession.start(store, quick_script, SessionInfo(participant="p")).submit("yes")
    for name in (db, f"{db}-wal", f"{db}-shm"):
        assert mode(name) == 0o600, name
    store.close()
    out = tmp_path / "study.db"
    merge_databases(out, [db])
    assert mode(out) == 0o600


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_a_symbolic_link_is_never_followed(tmp_path: Path, suffix: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = tmp_path / "cjm.db"
    if suffix:
        Store(db).close()
    target = elsewhere / "planted"
    os.symlink(target, f"{db}{suffix}")
    with pytest.raises(StoreError, match="symbolic link"):
        Store(db)
    assert not target.exists()
