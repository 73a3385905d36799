"""Merge and export at scale: 10,000 generated sessions of about 12 steps to HTML.

Sessions are written straight into a database with the same shapes the
store writes (answers with maps_to, tags, cached embeddings clustered around
known step types), then the composite map is built and exported to HTML.
Also run at 1,000 sessions to check that time grows about linearly.

    python benchmarks/bench_merge_export.py [--sessions 10000] [--steps 12]

Targets: 10,000 sessions in at most 15 s, peak memory at most 1.5 GB,
10,000 vs 1,000 at most 12x the time, HTML under 3 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def populate(path: Path, sessions: int, steps: int, seed: int = 1) -> None:
    """A study database with cached embeddings and tags."""
    from cjm_interview.script import load_script
    from cjm_interview.store import Store
    from cjm_interview.synth import STEP_TYPES

    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    store = Store(path)
    script = load_script(ROOT / "prompts" / "customer.yaml")
    store.save_script(script)
    centres = np_rng.normal(size=(len(STEP_TYPES), 384)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    conn = store.conn
    conn.execute(
        "PRAGMA synchronous = OFF"
    )  # bulk load; the store's durability is not measured here
    conn.execute("BEGIN")
    answer_id = 0
    session_rows, answer_rows, tag_rows, emb_rows = [], [], [], []
    now = "2026-11-01T10:00:00.000Z"
    for n in range(sessions):
        sid = str(uuid.UUID(int=rng.getrandbits(128)))
        perspective = "staff" if n % 10 == 9 else "customer"
        session_rows.append(
            (
                sid,
                "customer",
                script.version,
                script.sha256,
                perspective,
                f"P{n}",
                rng.choice(["new", "returning"]),
                None,
                "en",
                "bench",
                None,
                "bench",
                "finished",
                1,
                "minilm-heads 1.0",
                now,
                now,
                now,
            )
        )
        count = max(3, min(len(STEP_TYPES), steps + rng.randint(-2, 2)))
        chosen = sorted(rng.sample(range(len(STEP_TYPES)), count))
        for step, type_index in enumerate(chosen, 1):
            _key, phrasings, channels, mean, offset = STEP_TYPES[type_index]
            grade = max(
                0, min(10, round(rng.gauss(mean + (offset if perspective == "staff" else 0), 1.2)))
            )
            fields = [
                ("action", "step.action", rng.choice(phrasings), json.dumps(rng.choice(phrasings))),
                ("channels", "step.touchpoints", ", ".join(channels), json.dumps(channels)),
                ("feelings", "step.feelings", "it was fine", json.dumps("it was fine")),
                ("grade", "step.grade", str(grade), json.dumps(grade)),
                ("moment_of_truth", "step.moment_of_truth", "no", "false"),
            ]
            for qid, maps_to, raw, value in fields:
                answer_id += 1
                answer_rows.append(
                    (answer_id, sid, qid, "steps", maps_to, step, 1, 1, raw, value, 0, now, None)
                )
                if qid in ("action", "feelings"):
                    tag_rows.append(
                        (
                            answer_id,
                            "sentiment",
                            "neutral",
                            0.8,
                            "minilm-heads",
                            "1.0",
                            "suggested",
                            now,
                        )
                    )
                if qid == "action":
                    vec = centres[type_index] + np_rng.normal(scale=0.03, size=384).astype(
                        np.float32
                    )
                    vec /= np.linalg.norm(vec)
                    emb_rows.append(
                        (answer_id, "all-MiniLM-L6-v2", 384, vec.astype("<f4").tobytes(), now)
                    )
        answer_id += 1
        answer_rows.append(
            (
                answer_id,
                sid,
                "overall_grade",
                "reflection",
                "overall.grade",
                0,
                1,
                1,
                "6",
                "6",
                0,
                now,
                None,
            )
        )
        if len(answer_rows) > 50_000:
            _flush(conn, session_rows, answer_rows, tag_rows, emb_rows)
    _flush(conn, session_rows, answer_rows, tag_rows, emb_rows)
    conn.execute("COMMIT")
    store.close()


def _flush(conn, sessions, answers, tags, embs) -> None:  # type: ignore[no-untyped-def]
    conn.executemany(f"INSERT INTO sessions VALUES ({', '.join('?' * 18)})", sessions)
    conn.executemany(
        "INSERT INTO answers (id, session_id, question_id, section_id, maps_to, step, revision, "
        "is_current, raw_text, value_json, skipped, answered_at, answered_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        answers,
    )
    conn.executemany(
        "INSERT INTO tags (answer_id, kind, label, score, source, source_version, status, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        tags,
    )
    conn.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?)", embs)
    for rows in (sessions, answers, tags, embs):
        rows.clear()


def measure(path: Path) -> dict[str, float]:
    """Time and peak memory of building the map and writing the HTML, in a fresh process."""
    code = (
        "import json, resource, sys, time\n"
        "t0 = time.perf_counter()\n"
        "from cjm_interview.composite import build_map\n"
        "from cjm_interview.export.html import to_html\n"
        "from cjm_interview.store import Store\n"
        f"cmap = build_map(Store({str(path)!r}), encode_missing=False)\n"
        "t1 = time.perf_counter()\n"
        f"html = to_html(cmap); open({str(path) + '.html'!r}, 'w').write(html)\n"
        "t2 = time.perf_counter()\n"
        "print(json.dumps({'build_s': t1 - t0, 'html_s': t2 - t1, 'total_s': t2 - t0,\n"
        "  'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,\n"
        "  'html_mb': len(html.encode()) / 1e6, 'groups': len(cmap.data['steps']),\n"
        "  'steps_told': cmap.data['alignment']['steps_told']}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "merge_export.json"
    )
    args = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted({max(1, args.sessions // 10), args.sessions}):
            path = Path(tmp) / f"study-{n}.db"
            t0 = time.perf_counter()
            populate(path, n, args.steps)
            generated = time.perf_counter() - t0
            figures = measure(path)
            figures["generate_s"] = generated
            results[str(n)] = {
                k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()
            }
            print(n, results[str(n)], flush=True)
    small, big = results[str(max(1, args.sessions // 10))], results[str(args.sessions)]
    assert isinstance(small, dict) and isinstance(big, dict)
    results["growth_10x"] = round(big["total_s"] / max(small["total_s"], 1e-9), 2)
    results["targets"] = {"total_s": 15, "peak_mb": 1536, "growth_10x": 12, "html_mb": 3}
    results["passed"] = (
        big["total_s"] <= 15
        and big["peak_mb"] <= 1536
        and results["growth_10x"] <= 12
        and big["html_mb"] < 3
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
