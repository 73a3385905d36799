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

    def tag_batch(self, texts: Sequence[str]) -> list[TagResult]:
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


@pytest.fixture
def store(tmp_path: Path) -> Store:
    db = Store(tmp_path / "study.db")
    yield db
    db.close()
