"""Merge and export at scale: 10,000 generated sessions of about 12 steps, to HTML.

Four device databases (laptops and kiosks) are written straight with the
shapes the store writes: sessions, answers with their ``maps_to`` fields and
the continuation answer of every step, the ``steps#order`` answer of the
journeys edited in the playback, tags, and cached sentence vectors clustered
around the known step types. Then, each in a fresh process:

1. ``merge``: ``cjm db merge`` of the four files into a new study database;
2. ``map + html``: the composite map of the merged study, written as HTML.

Also run at a tenth of the size, to check that time grows about linearly.

    python benchmarks/bench_merge_export.py [--sessions 10000] [--steps 12] [--devices 4]

Targets: 10,000 sessions merged and exported in at most 15 s, peak memory at
most 1.5 GB, 10x the sessions at most 12x the time, HTML under 3 MB.
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
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-01T10:00:00.000Z"


def populate(path: Path, sessions: int, steps: int, seed: int, first: int = 0) -> None:
    """A device database with cached vectors and tags (sessions ``first`` ... ``first + n``)."""
    from cjm_interview.script import load_script
    from cjm_interview.store import Store
    from cjm_interview.synth import FEELINGS, STEP_TYPES, say

    rng = random.Random(seed)
    # The same step types mean the same vectors on every device.
    centres = np.random.default_rng(0).normal(size=(len(STEP_TYPES), 384)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = np.random.default_rng(seed)
    store = Store(path)
    script = load_script(ROOT / "prompts" / "customer.yaml")
    store.save_script(script)
    conn = store.conn
    conn.execute("PRAGMA synchronous = OFF")  # bulk load; durability is not measured here
    conn.execute("BEGIN")
    answer_id = 0
    rows: dict[str, list[Any]] = {"sessions": [], "answers": [], "tags": [], "embeddings": []}

    def answer(sid: str, qid: str, section: str, maps_to: str | None, step: int, raw: str,
               value: Any) -> int:  # fmt: skip
        nonlocal answer_id
        answer_id += 1
        rows["answers"].append(
            (answer_id, sid, qid, section, maps_to, step, 1, 1, raw, json.dumps(value), 0, NOW, "")
        )
        return answer_id

    def tag(aid: int, kind: str, label: str, score: float) -> None:
        rows["tags"].append((aid, kind, label, score, "minilm-heads", "1.0", "suggested", NOW))

    for n in range(first, first + sessions):
        sid = str(uuid.UUID(int=rng.getrandbits(128)))
        staff = n % 10 == 9
        rows["sessions"].append(
            (sid, "customer", script.version, script.sha256, "staff" if staff else "customer",
             f"P{n}", rng.choice(["new", "returning"]), None, "en", "bench", None,
             f"device-{seed}", "finished", 1, "minilm-heads 1.0", NOW, NOW, NOW)
        )  # fmt: skip
        count = max(3, min(len(STEP_TYPES), steps + rng.randint(-2, 2)))
        chosen = sorted(rng.sample(range(len(STEP_TYPES)), count))
        for step, kind in enumerate(chosen, 1):
            _key, phrasings, channels, mean, offset = STEP_TYPES[kind]
            grade = max(0, min(10, round(rng.gauss(mean + (offset if staff else 0), 1.2))))
            action = say(rng.choice(phrasings), rng)
            aid = answer(sid, "action", "steps", "step.action", step, action, action)
            vector = centres[kind] + noise.normal(scale=0.03, size=384).astype(np.float32)
            vector /= np.linalg.norm(vector)
            rows["embeddings"].append((aid, "all-MiniLM-L6-v2", 384, vector.tobytes(), NOW))
            band = "low" if grade <= 4 else "mid" if grade <= 6 else "high"
            sentiment = {"low": "negative", "mid": "neutral", "high": "positive"}[band]
            tag(aid, "sentiment", sentiment, 0.8)
            for channel in channels:
                tag(aid, "touchpoint", channel, 0.9)
            answer(sid, "channels", "steps", "step.touchpoints", step, ", ".join(channels),
                   channels)  # fmt: skip
            feeling = rng.choice(FEELINGS[band])
            aid = answer(sid, "feelings", "steps", "step.feelings", step, feeling, feeling)
            tag(aid, "sentiment", sentiment, 0.8)
            if band == "low":
                tag(aid, "emotion", "frustration", 0.7)
            answer(sid, "grade", "steps", "step.grade", step, str(grade), grade)
            answer(sid, "moment_of_truth", "steps", "step.moment_of_truth", step, "no", False)
            more = step < len(chosen)
            answer(sid, "more_steps", "steps", None, step, "yes" if more else "no", more)
        if n % 10 == 3:  # a journey edited in the playback: the last step moved first
            order = [len(chosen), *range(1, len(chosen))]
            answer(sid, "steps#order", "steps", None, 0, "", {"order": order, "removed": []})
        answer(sid, "overall_grade", "reflection", "overall.grade", 0, "6", 6)
        if len(rows["answers"]) > 50_000:
            _flush(conn, rows)
    _flush(conn, rows)
    conn.execute("COMMIT")
    store.close()


def _flush(conn: Any, rows: dict[str, list[Any]]) -> None:
    conn.executemany(f"INSERT INTO sessions VALUES ({', '.join('?' * 18)})", rows["sessions"])
    conn.executemany(
        "INSERT INTO answers (id, session_id, question_id, section_id, maps_to, step, revision, "
        "is_current, raw_text, value_json, skipped, answered_at, answered_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows["answers"],
    )
    conn.executemany(
        "INSERT INTO tags (answer_id, kind, label, score, source, source_version, status, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows["tags"],
    )
    conn.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?)", rows["embeddings"])
    for batch in rows.values():
        batch.clear()


def _fresh(code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it prints one JSON line; add its peak memory."""
    wrapped = (
        "import json, resource, time\n"
        "t0 = time.perf_counter()\n"
        f"{code}\n"
        "out['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapped], capture_output=True, text=True, check=True, cwd=ROOT
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(folder: Path, devices: list[Path]) -> dict[str, Any]:
    merged = folder / "study.db"
    merge = _fresh(
        "from pathlib import Path\n"
        "from cjm_interview.merge import merge_databases\n"
        f"report = merge_databases(Path({str(merged)!r}), [Path(p) for p in "
        f"{[str(d) for d in devices]!r}])\n"
        "out = {'merge_s': time.perf_counter() - t0, 'added': sum(report.added.values())}"
    )
    export = _fresh(
        "from cjm_interview.map import build_map\n"
        "from cjm_interview.export.html import to_html\n"
        "from cjm_interview.store import Store\n"
        f"cmap = build_map(Store({str(merged)!r}), encode_missing=False)\n"
        "t1 = time.perf_counter()\n"
        f"html = to_html(cmap); open({str(folder / 'map.html')!r}, 'w').write(html)\n"
        "t2 = time.perf_counter()\n"
        "out = {'map_s': t1 - t0, 'html_s': t2 - t1, 'map_html_s': t2 - t0,\n"
        "  'html_mb': len(html.encode()) / 1e6, 'groups': len(cmap.data['steps']),\n"
        "  'representation': cmap.data['alignment']['representation'],\n"
        "  'steps_told': cmap.data['alignment']['steps_told'], 'sessions': cmap.data['sessions']}"
    )
    return {
        "merge_s": merge["merge_s"],
        "merge_peak_mb": merge["peak_mb"],
        **{k: v for k, v in export.items() if k != "peak_mb"},
        "map_peak_mb": export["peak_mb"],
        "total_s": merge["merge_s"] + export["map_html_s"],
        "db_mb": merged.stat().st_size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "merge_export.json"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {}
    sizes = sorted({max(args.devices, args.sessions // 10), args.sessions})
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            t0 = time.perf_counter()
            per = n // args.devices
            devices = []
            for d in range(args.devices):
                path = folder / f"device-{d}.db"
                count = per if d < args.devices - 1 else n - per * (args.devices - 1)
                populate(path, count, args.steps, seed=100 + d, first=d * per)
                devices.append(path)
            figures = measure(folder, devices)
            figures["generate_s"] = time.perf_counter() - t0 - figures["total_s"]
            results[str(n)] = {
                k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()
            }
            print(n, results[str(n)], flush=True)
    small, big = results[str(sizes[0])], results[str(sizes[-1])]
    results["growth_10x"] = {
        "total": round(big["total_s"] / max(small["total_s"], 1e-9), 2),
        "map_html": round(big["map_html_s"] / max(small["map_html_s"], 1e-9), 2),
    }
    results["targets"] = {"total_s": 15, "peak_mb": 1536, "growth_10x": 12, "html_mb": 3}
    results["passed"] = (
        big["total_s"] <= 15
        and max(big["merge_peak_mb"], big["map_peak_mb"]) <= 1536
        and results["growth_10x"]["total"] <= 12
        and big["html_mb"] < 3
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
