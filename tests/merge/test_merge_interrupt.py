"""Ctrl-C during ``cjm db merge`` stops at once, even while a large input is being checked."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cjm_interview.store import Store
from cjm_interview.synth import generate

from .test_merge import count, device_db

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc"),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def large_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A device file whose check takes seconds: 400 revisions of an answer (the last one
    current) holding long lists of lists."""
    path = tmp_path_factory.mktemp("large") / "large.db"
    device_db(path, generate(customers=2, steps=2, seed=3).interviews, "kiosk")
    value = json.dumps([["phone"]] * 15_000)  # 150 KB each: a valid, shallow value
    with sqlite3.connect(path) as conn:
        session = conn.execute("SELECT id FROM sessions LIMIT 1").fetchone()[0]
        conn.execute(
            "INSERT INTO answers (session_id, question_id, step, revision, is_current, raw_text, "
            "value_json, answered_at) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
            "FROM n WHERE i < 400) SELECT ?, 'grid', 0, i, i = 400, 'many rows', ?, "
            "'2026-11-01T10:00:00.000Z' FROM n",
            (session, value),
        )
    return path


def reading(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open."""
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(folder / fd) == str(path) for fd in os.listdir(folder))
    except OSError:  # a descriptor closed while listed
        return False


@pytest.mark.parametrize("existing", [False, True], ids=["new study", "existing study"])
def test_ctrl_c_while_an_input_is_checked_stops_at_once(
    tmp_path: Path, large_input: Path, existing: bool
) -> None:
    out = tmp_path / "study.db"
    if existing:
        small = tmp_path / "laptop.db"
        device_db(small, generate(customers=3, steps=2, seed=8).interviews, "laptop")
        first = subprocess.run(
            [sys.executable, "-m", "cjm_interview", "db", "merge", str(out), str(small)],
            capture_output=True,
            cwd=ROOT,
        )
        assert first.returncode == 0, first.stderr
    before = count(out, "sessions") if existing else 0
    child = subprocess.Popen(
        [sys.executable, "-m", "cjm_interview", "db", "merge", str(out), str(large_input)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while not reading(child.pid, large_input.resolve()):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the input was never opened"
            time.sleep(0.01)
        time.sleep(0.3)  # well inside the check, which takes seconds
        assert child.poll() is None, "the check ended before Ctrl-C: make the input larger"
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out_text, err_text = child.communicate(timeout=60)
        stopped = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err_text
    assert err_text.decode().strip() == "Interrupted." and not out_text
    assert stopped < 1.0, f"took {stopped:.1f} s to stop"
    # Nothing of the input went in; no hidden build is left beside the study.
    assert [p.name for p in tmp_path.iterdir() if "merging" in p.name] == []
    if existing:
        assert count(out, "sessions") == before
        with Store(out) as store:
            assert store.integrity_check() == []
    else:
        assert not out.exists()
