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


@pytest.mark.parametrize("device", ["fifo", "character device"])
@pytest.mark.parametrize(
    "command",
    [("sessions", "list", "--db", "X"), ("db", "check", "--db", "X"), ("db", "merge", "OUT", "X")],
    ids=["sessions list", "db check", "db merge input"],
)
def test_a_device_or_pipe_is_never_opened_as_a_database(
    tmp_path: Path, device: str, command: tuple[str, ...]
) -> None:
    # An empty database is taken for one whose creation was cut short and rebuilt in
    # place: given /dev/null by root, that replaced the system's /dev/null with a
    # database file. Merge opened a FIFO and waited for a writer for ever. (The device
    # here is a copy of /dev/null made in the test's folder, never the real one.)
    from ..reliability.hostile import cjm, one_clear_line

    path = tmp_path / device.replace(" ", "_")
    if device == "fifo":
        os.mkfifo(path)
    else:
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("making a device needs root")
    out = tmp_path / "study.db"
    args = [str(path) if a == "X" else str(out) if a == "OUT" else a for a in command]
    run = cjm(*args, timeout=20)
    one_clear_line(run)
    assert "not a regular file" in run.err
    assert not out.exists()
    assert (stat.S_ISFIFO if device == "fifo" else stat.S_ISCHR)(os.stat(path).st_mode)
