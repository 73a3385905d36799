"""Import 1,000 generated sessions of 12 steps into a fresh database.

Measures the time per stored answer (engine + durable SQLite commit), as a
participant would wait for it: median, 95th percentile and total. Target:
median at most 5 ms per answer with synchronous=FULL commits.

    python benchmarks/bench_import.py [--sessions 1000] [--steps 12]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.progress import Progress

from cjm_interview.config import bundled_script
from cjm_interview.importer import run_interview
from cjm_interview.script import load_script
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store

ACTIONS = [
    "Searched online for options",
    "Asked a friend who had done it",
    "Read reviews on a forum",
    "Filled in the form on their website",
    "Called the helpline",
    "Waited for a letter",
    "Went to the branch with my documents",
    "Got an e-mail confirmation",
    "Chatted with the bot",
    "An engineer came to the house",
    "Used the app to track it",
    "Complained on social media",
    "Paid at the self-service machine",
    "Received the card by post",
]
CHANNELS = ["web", "app", "phone", "email", "chat", "social", "in_person", "mail", "field"]


def interview(rng: random.Random, steps: int) -> dict:
    return {
        "session": {
            "participant": f"P{rng.randrange(10**6)}",
            "segment": rng.choice(["new", "regular"]),
        },
        "answers": {
            "consent": "yes",
            "service": "Opening an account",
            "situation": "Works shifts at the hospital",
            "outcome": "An account that works",
            "steps": [
                {
                    "action": rng.choice(ACTIONS),
                    "channels": rng.sample(CHANNELS, rng.randint(1, 2)),
                    "actor": "an adviser",
                    "thoughts": "Will this take long?",
                    "feelings": rng.choice(["fine", "stressed", "relieved", "annoyed"]),
                    "grade": rng.randint(0, 10),
                    "moment_of_truth": rng.random() < 0.2,
                }
                for _ in range(steps)
            ],
            "overall_grade": rng.randint(0, 10),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "import.json"
    )
    args = parser.parse_args()

    script = load_script(bundled_script("customer"))
    rng = random.Random(7)
    timings: list[float] = []
    original = InterviewSession.submit

    def timed_submit(self: InterviewSession, raw: object):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        result = original(self, raw)
        timings.append(time.perf_counter() - start)
        return result

    InterviewSession.submit = timed_submit  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        started = time.perf_counter()
        with Progress(transient=True) as bar:
            task = bar.add_task("Importing", total=args.sessions)
            for _ in range(args.sessions):
                run_interview(store, script, interview(rng, args.steps))
                bar.advance(task)
        total = time.perf_counter() - started
        answers = store.conn.execute("SELECT count(*) FROM answers").fetchone()[0]
        size = (Path(tmp) / "bench.db").stat().st_size
        store.close()
    ms = sorted(t * 1000 for t in timings)
    result = {
        "sessions": args.sessions,
        "steps": args.steps,
        "answers_stored": answers,
        "median_ms_per_answer": round(statistics.median(ms), 3),
        "p95_ms_per_answer": round(ms[int(len(ms) * 0.95)], 3),
        "max_ms_per_answer": round(ms[-1], 3),
        "total_s": round(total, 2),
        "db_mb": round(size / 1e6, 1),
        "synchronous": "FULL",
        "target_median_ms": 5.0,
    }
    result["passed"] = result["median_ms_per_answer"] <= 5.0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
