"""Faults: kill -9 at random points, full disk, read-only and locked files.

Real processes and real SQLite files. Every answer acknowledged to the
participant must be in the database, which must pass integrity_check, and the
session must resume at the right question.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cjm_interview.domain import AnswerKey, SessionInfo
from cjm_interview.engine import Accepted
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store, StoreError

KILL_RUNS = int(os.environ.get("CJM_KILL_RUNS", "30"))

# Answers forever: the driver keeps answering and acknowledging until killed.
DRIVER = textwrap.dedent(
    """
    import sys
    from cjm_interview.domain import SessionInfo
    from cjm_interview.script import load_script
    from cjm_interview.session import InterviewSession
    from cjm_interview.store import Store

    store = Store(sys.argv[1])
    script = load_script(sys.argv[2])
    session = InterviewSession.start(store, script, SessionInfo(participant="k"))
    print("SESSION", session.id, flush=True)
    answers = {"consent": "yes", "action": "did step", "grade": "4", "more_steps": "yes",
               "channel_probe": "by phone", "overall_grade": "5", "improvement": "x"}
    while session.current() is not None:
        prompt = session.current()
        session.submit(answers.get(prompt.question.id, "an answer"))
        print("ACK", prompt.key.question_id, prompt.key.iteration, flush=True)
    print("DONE", flush=True)
    """
)


def kill_while_answering(
    db: Path, script_path: str | Path, rng: random.Random
) -> tuple[str, list[AnswerKey]]:
    """Answer in a process, kill -9 it at a random point; the session and what was acknowledged."""
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(db), str(script_path)],
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert proc.stdout
    session_id = proc.stdout.readline().split()[1]
    # Kill after a random number of acknowledgements plus a random delay,
    # so that some kills land in the middle of a commit.
    target = rng.randint(0, 14)
    acked: list[AnswerKey] = []
    while len(acked) < target:
        line = proc.stdout.readline().split()
        if not line or line[0] == "DONE":
            break
        acked.append(AnswerKey(line[1], int(line[2])))
    time.sleep(rng.random() * 0.004)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return session_id, acked


def test_kill_9_at_random_points(tmp_path: Path, quick_script) -> None:
    rng = random.Random(1234)
    lost = 0
    for run in range(KILL_RUNS):
        db = tmp_path / f"kill{run}.db"
        session_id, acked = kill_while_answering(db, quick_script.path, rng)
        store = Store(db)
        assert store.integrity_check() == [], f"run {run}"
        resumed = InterviewSession.resume(store, session_id, quick_script)
        stored = set(resumed.engine.answers)
        lost += len(set(acked) - stored)
        # The next question is the first one without a stored answer.
        prompt = resumed.current()
        if prompt is not None:
            assert prompt.key not in stored
        store.close()
    assert lost == 0


# Creates a database and nothing else: kills land while it is being built.
CREATOR = "import sys; from cjm_interview.store import Store; Store(sys.argv[1]).close()"
CREATION_KILLS = int(os.environ.get("CJM_CREATION_KILLS", "12"))


def kill_during_creation(db: Path, delay: float) -> str:
    """Start creating ``db``, kill -9 after ``delay`` seconds; what was left: none/whole."""
    proc = subprocess.Popen([sys.executable, "-c", CREATOR, str(db)])
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if not db.exists():
        return "none"
    # Whatever is there opens, is sound, passes the schema check and takes answers.
    with Store(db, check_schema=True) as store:
        assert store.integrity_check() == []
        assert store.count_sessions() == 0
    return "whole"


def test_kill_9_during_creation_leaves_no_half_database(tmp_path: Path, quick_script) -> None:
    rng = random.Random(99)
    # How long a creation takes here, so that kills spread over all of it.
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CREATOR, str(tmp_path / "timing.db")], check=True)
    span = time.perf_counter() - start
    seen = set()
    for run in range(CREATION_KILLS):
        db = tmp_path / f"create{run}.db"
        seen.add(kill_during_creation(db, rng.uniform(0.3, 1.0) * span))
        # The next process creates (or opens) it and records an interview.
        with Store(db) as store:
            session = InterviewSession.start(store, quick_script, SessionInfo(participant="c"))
            assert isinstance(session.submit("yes"), Accepted)
    assert seen  # at least one outcome observed; both are fine, a half file is not


def test_a_half_built_file_from_an_older_crash_is_rebuilt(tmp_path: Path, quick_script) -> None:
    db = tmp_path / "half.db"
    with sqlite3.connect(db) as conn:  # what an older release left when killed while creating
        conn.execute(
            "CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set TEXT, "
            "name TEXT, applied_at TEXT)"
        )
    conn.close()
    with Store(db) as store:
        session = InterviewSession.start(store, quick_script, SessionInfo(participant="h"))
        assert isinstance(session.submit("yes"), Accepted)
    with Store(db, check_schema=True) as store:
        assert store.count_sessions() == 1


def test_disk_full_loses_nothing_already_saved(tmp_path: Path, customer_script) -> None:
    store = Store(tmp_path / "full.db")
    session = InterviewSession.start(store, customer_script, SessionInfo(participant="F"))
    assert isinstance(session.submit("yes"), Accepted)
    assert isinstance(session.submit("a service"), Accepted)
    # SQLite's page limit gives the same SQLITE_FULL a full disk does.
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="disk is full"):
        for _ in range(200):
            session.submit("x" * 5000)
    # The question that failed is asked again; everything before it is intact.
    failed = session.current()
    assert failed is not None
    assert failed.key not in {a.key for a in store.load_answers(session.id)}
    store.conn.execute("PRAGMA max_page_count = 1073741823")
    assert isinstance(session.submit("saved once space is back"), Accepted)
    saved = {a.key: a.raw for a in Store(store.path).load_answers(session.id)}
    assert saved[AnswerKey("service")] == "a service"
    assert saved[failed.key] == "saved once space is back"
    assert store.integrity_check() == []


@contextlib.contextmanager
def shared_folder(prefix: str) -> Iterator[Path]:
    """A folder every user can reach (pytest's own temporary folders are private), made
    writable again and removed afterwards, whatever the test locked in it."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for inside in [folder, *folder.rglob("*")]:
            if inside.is_dir():
                inside.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def _run_as_nobody(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", code, *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot drop privileges")
        cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HOME": "/tmp"})


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "private"
    folder.mkdir()
    Store(folder / "study.db").close()
    folder.chmod(0o700)
    code = (
        "import sys\nfrom cjm_interview.store import Store, StoreError\n"
        "try:\n    Store(sys.argv[1])\nexcept StoreError as exc:\n    print('ERROR', exc)\n"
    )
    done = _run_as_nobody(code, str(folder / "study.db"))
    assert "ERROR" in done.stdout and "Permission denied" in done.stdout, done.stderr
    assert "Traceback" not in done.stderr


def test_read_only_database_is_refused_clearly(tmp_path: Path, customer_script) -> None:
    # A folder every user can reach (pytest's own temporary folders are private).
    folder = Path(tempfile.mkdtemp(prefix="cjm-ro-", dir="/tmp"))
    folder.chmod(0o755)
    path = folder / "study.db"
    store = Store(path)
    session = InterviewSession.start(store, customer_script, SessionInfo(participant="R"))
    session.submit("yes")
    store.close()
    before = path.read_bytes()
    folder.chmod(0o555)
    path.chmod(0o444)
    code = textwrap.dedent(
        """
        import sys
        from cjm_interview.domain import SessionInfo
        from cjm_interview.script import load_script
        from cjm_interview.session import InterviewSession
        from cjm_interview.store import Store, StoreError
        store = Store(sys.argv[1])
        print("READ_ONLY", store.read_only, store.count_sessions())
        try:
            InterviewSession.start(store, load_script(sys.argv[2]), SessionInfo())
        except StoreError as exc:
            print("ERROR", exc, "|", exc.hint)
        """
    )
    try:
        done = _run_as_nobody(code, str(path), customer_script.path)
        after = path.read_bytes()
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    assert "READ_ONLY True 1" in done.stdout
    assert "read-only: nothing can be saved in it" in done.stdout
    assert "Traceback" not in done.stderr
    assert after == before


def test_locked_file_waits_then_says_so(tmp_path: Path, customer_script) -> None:
    path = tmp_path / "locked.db"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    env = {**os.environ, "CJM_BUSY_TIMEOUT_MS": "200"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cjm_interview",
            "import",
            "--db",
            str(path),
            "-q",
            str(Path(__file__).resolve().parents[2] / "prompts/examples/customer_interview.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    holder.execute("ROLLBACK")
    holder.close()
    assert done.returncode == 2
    assert "locked by another program" in done.stderr
    assert "Traceback" not in done.stderr


def test_lock_released_in_time_is_invisible(tmp_path: Path, customer_script) -> None:
    path = tmp_path / "brief.db"
    store = Store(path)
    session = InterviewSession.start(store, customer_script, SessionInfo(participant="L"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    releaser = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(0.5)"],
    )
    releaser.wait()
    holder.execute("COMMIT")
    assert isinstance(session.submit("yes"), Accepted)
    holder.close()


@pytest.mark.parametrize("shm", [True, False])
def test_a_read_only_study_with_answers_still_in_its_wal_reads_them_or_says_so(
    customer_script, shm: bool
) -> None:
    # A kiosk's folder copied to read-only media while answers sat in the -wal: opened as
    # an immutable snapshot, the study silently held fewer sessions than it had.
    with shared_folder("cjm-ro-wal-") as folder:
        path = folder / "study.db"
        writer = Store(path)
        writer.conn.execute("PRAGMA wal_autocheckpoint = 0")  # the answers stay in the -wal
        for name in ("R1", "R2", "R3"):
            InterviewSession.start(writer, customer_script, SessionInfo(participant=name))
        kept = folder / "kept"
        kept.mkdir()
        for suffix in ("", "-wal", "-shm"):  # copied while the kiosk still ran
            if suffix != "-shm" or shm:
                shutil.copy(f"{path}{suffix}", kept / f"study.db{suffix}")
        writer.close()
        assert (kept / "study.db-wal").stat().st_size > 0
        for file in kept.iterdir():
            file.chmod(0o444)
        kept.chmod(0o555)
        folder.chmod(0o555)
        code = textwrap.dedent(
            """
            import sys
            from cjm_interview.store import Store, StoreError
            try:
                store = Store(sys.argv[1], must_exist=True)
                print("SESSIONS", store.read_only, store.count_sessions())
            except StoreError as exc:
                print("ERROR", exc, "|", exc.hint)
            """
        )
        done = _run_as_nobody(code, str(kept / "study.db"))
    assert "Traceback" not in done.stderr, done.stderr
    if shm:  # SQLite reads the -wal through the -shm beside it
        assert "SESSIONS True 3" in done.stdout, done.stdout
    else:
        assert "latest answers are still in study.db-wal" in done.stdout, done.stdout


def test_a_device_file_on_read_only_media_is_merged(customer_script) -> None:
    # A kiosk's database on a write-protected stick: the merge attached it to write and
    # stopped with "not a readable SQLite database (unable to open database file)".
    with shared_folder("cjm-ro-merge-") as folder:
        stick, out = folder / "stick", folder / "out"
        stick.mkdir()
        out.mkdir()
        with Store(stick / "kiosk.db") as store:
            for name in ("R1", "R2"):
                InterviewSession.start(store, customer_script, SessionInfo(participant=name))
        for file in stick.iterdir():
            file.chmod(0o444)
        stick.chmod(0o555)
        out.chmod(0o777)
        code = textwrap.dedent(
            """
            import sys
            from pathlib import Path
            from cjm_interview.errors import CjmError
            from cjm_interview.merge import merge_databases
            try:
                report = merge_databases(Path(sys.argv[2]), [Path(sys.argv[1])])
                print("MERGED", sum(report.added.values()))
            except CjmError as exc:
                print("ERROR", exc)
            """
        )
        done = _run_as_nobody(code, str(stick / "kiosk.db"), str(out / "study.db"))
        left = sorted(p.name for p in stick.iterdir())
    assert "MERGED 2" in done.stdout, (done.stdout, done.stderr)
    assert left == ["kiosk.db"]  # nothing written beside the input
