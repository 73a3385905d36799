"""Fixtures shared by every test: a deterministic fake tagger, scripts, stores."""

from __future__ import annotations

# ruff: noqa: E402
import os

# One thread per numeric library, set before numpy loads: on a busy two-core
# machine OpenBLAS's default (a thread per core) made the heads' small fits ten
# times slower (nlp/threads.py).
for _pool in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_pool, "1")

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from cjm_interview.nlp.base import TagResult
from cjm_interview.script import load_script
from cjm_interview.store import Store

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ROOT / "prompts"

_CHANNEL_WORDS = {
    "web": r"website|online|web",
    "phone": r"called|phone|helpline|hold",
    "email": r"e-?mail",
    "in_person": r"branch|store|counter|desk",
    "app": r"\bapp\b",
}
_NEGATIVE = r"annoyed|angry|frustrat|awful|bad|terrible|hate|worried|long|never"
_POSITIVE = r"great|good|happy|pleased|relieved|easy|quick|love"


class FakeTagger:
    """Deterministic keyword tagger implementing the Tagger protocol."""

    name = "fake"
    version = "1"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def tag_batch(self, texts: Sequence[str], language: str | None = None) -> list[TagResult]:
        self.calls.append(list(texts))
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> TagResult:
        lowered = text.lower()
        neg = bool(re.search(_NEGATIVE, lowered))
        pos = bool(re.search(_POSITIVE, lowered))
        sentiment = "negative" if neg else "positive" if pos else "neutral"
        grade = {"negative": 2.0, "neutral": 5.5, "positive": 8.5}[sentiment]
        channels = {c: 0.9 for c, pat in _CHANNEL_WORDS.items() if re.search(pat, lowered)}
        emotions = {"frustration": 0.8} if neg else {}
        scores = {s: (0.8 if s == sentiment else 0.1) for s in ("negative", "neutral", "positive")}
        return TagResult(sentiment, scores, grade, channels, emotions, self.name, self.version)


@pytest.fixture
def fake_tagger() -> FakeTagger:
    return FakeTagger()


@pytest.fixture(scope="session")
def customer_script():
    return load_script(PROMPTS / "customer.yaml")


@pytest.fixture(scope="session")
def quick_script():
    return load_script(PROMPTS / "quick.yaml")


@pytest.fixture(scope="session")
def staff_script():
    return load_script(PROMPTS / "staff.yaml")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel, once for every test that installs or reads one."""
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("cjm_interview-*.whl")
    return built


@pytest.fixture
def store(tmp_path: Path) -> Store:
    db = Store(tmp_path / "study.db")
    yield db
    db.close()


def downgrade(path: Path, version: int) -> None:
    """Turn a database into what an older release (schema ``version``) would have written.

    A file is built by the first ``version`` migrations and the rows of ``path``
    copied into the columns it has: a faithful old file, not an edited new one.
    """
    import sqlite3

    from sqlite_utils import Database

    from cjm_interview.store.migrations import migrations
    from cjm_interview.store.schema import APPLICATION_ID

    old = path.with_name(path.name + ".old")
    names = [m.name for m in migrations._migrations]
    with sqlite3.connect(old) as conn:
        migrations.apply(Database(conn), stop_before=names[version])
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("ATTACH DATABASE ? AS new", (str(path),))
        conn.execute("INSERT INTO erasure_in_progress VALUES ('downgrade')")
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")
            if r[0] not in ("_sqlite_migrations", "erasure_in_progress")
        ]
        for table in tables:
            have = {r[1] for r in conn.execute(f"PRAGMA main.table_info([{table}])")}
            cols = ", ".join(
                r[1] for r in conn.execute(f"PRAGMA new.table_info([{table}])") if r[1] in have
            )
            conn.execute(f"INSERT INTO main.[{table}] ({cols}) SELECT {cols} FROM new.[{table}]")
        conn.execute("DELETE FROM erasure_in_progress")
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    old.rename(path)
