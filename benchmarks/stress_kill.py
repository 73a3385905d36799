"""kill -9 at random points, many times: while answering, and while a database is created.

    python benchmarks/stress_kill.py [--answers 150] [--creations 100] [--seed 7]

Uses the same drivers as tests/reliability/test_faults.py (which runs a few of
each). Answering: every acknowledged answer must be in a sound database and
the session must resume at the right question. Creating: the file must be
absent or whole (it opens, passes the schema check and takes an interview).
Prints the counts and exits 1 on any loss or half file.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cjm_interview.domain import SessionInfo  # noqa: E402
from cjm_interview.script import load_script  # noqa: E402
from cjm_interview.session import InterviewSession  # noqa: E402
from cjm_interview.store import Store  # noqa: E402
from tests.reliability.test_faults import (  # noqa: E402
    CREATOR,
    kill_during_creation,
    kill_while_answering,
)


def answer_kills(folder: Path, runs: int, rng: random.Random, script: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    quick = load_script(script)
    for run in range(runs):
        db = folder / f"answers{run}.db"
        session_id, acked = kill_while_answering(db, script, rng)
        with Store(db, check_schema=True) as store:
            sound = store.integrity_check() == []
            resumed = InterviewSession.resume(store, session_id, quick)
            lost = set(acked) - set(resumed.engine.answers)
        counts["kills"] += 1
        counts["acknowledged answers"] += len(acked)
        counts["lost answers"] += len(lost)
        counts["damaged files"] += not sound
    return counts


def creation_kills(folder: Path, runs: int, rng: random.Random, script: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    quick = load_script(script)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CREATOR, str(folder / "timing.db")], check=True)
    span = time.perf_counter() - start
    for run in range(runs):
        db = folder / f"create{run}.db"
        try:
            outcome = kill_during_creation(db, rng.uniform(0.2, 1.05) * span)
        except Exception as exc:  # a half file: refused, or failing its checks
            outcome = f"half file ({exc})"
        counts["kills"] += 1
        counts[f"left: {outcome}"] += 1
        with Store(db) as store:  # the next start records an interview in it
            InterviewSession.start(store, quick, SessionInfo(participant="c")).submit("yes")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=150)
    parser.add_argument("--creations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    script = ROOT / "prompts" / "quick.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        answers = answer_kills(folder, args.answers, rng, script)
        created = creation_kills(folder, args.creations, rng, script)
    print("while answering:", dict(answers))
    print("while creating:", dict(created))
    bad = answers["lost answers"] + answers["damaged files"]
    bad += sum(n for k, n in created.items() if k.startswith("left: half"))
    print("PASSED" if not bad else "FAILED")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
