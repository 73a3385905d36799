"""A command opening the study while a merge holds it out of WAL mode waits for the merge,
as it waits for any writer, instead of stopping at once with "locked for too long"."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from cjm_interview.store import Store


def test_a_reader_waits_for_a_merge_that_left_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    Store(path).close()
    # What a merge into an existing study does while nobody else has the file open.
    merge = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    assert merge.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    merge.execute("BEGIN IMMEDIATE")
    merge.execute("INSERT INTO erased_sessions (session_id, erased_at) VALUES ('s1', '2026-01-01')")

    def finish() -> None:
        time.sleep(1.0)
        merge.execute("COMMIT")
        merge.execute("PRAGMA journal_mode = WAL")
        merge.close()

    done = threading.Thread(target=finish)
    done.start()
    started = time.monotonic()
    try:
        with Store(path, must_exist=True) as store:
            waited = time.monotonic() - started
            assert store.erased_sessions() == {"s1"}  # what the merge wrote, whole
    finally:
        done.join()
    assert waited >= 0.5  # it did wait for the merge, not read past it
