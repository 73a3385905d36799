"""Alignment quality on generated studies whose true step groups are known.

Each study is imported through the real import path (``run_interview``);
the composite map is built with the word (lexical) representation and with
the sentence vectors, over a grid of thresholds and position weights, and
the grouping is scored against the truth:

- purity: the share of steps whose group's most common true type is their own;
- recall: the share of steps that sit in the group holding most of their type;
- stage accuracy: the share of steps the map puts in the stage of the bundled scripts'
  ``stages:`` their type belongs to (``synth.STEP_STAGES``).

    python benchmarks/bench_alignment.py [--studies 3] [--customers 60] [--staff 15]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_study(path: Path, customers: int, staff: int, steps: int, seed: int) -> tuple:  # type: ignore[type-arg]
    from cjm_interview.importer import run_interview
    from cjm_interview.script import load_script
    from cjm_interview.store import Store
    from cjm_interview.synth import generate

    study = generate(customers=customers, staff=staff, steps=steps, seed=seed)
    customer = load_script(ROOT / "prompts" / "customer.yaml")
    staff_script = load_script(ROOT / "prompts" / "staff.yaml")
    store = Store(path)
    ids = []
    for interview in study.interviews:
        script = staff_script if interview["session"]["perspective"] == "staff" else customer
        ids.append(run_interview(store, script, interview).id)
    store.close()
    return study, ids


def score(path: Path, study, ids, encode: bool, threshold, weight) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from cjm_interview.map import AlignOptions, build_map, slug
    from cjm_interview.store import Store
    from cjm_interview.synth import STEP_STAGES, grouping_quality

    with Store(path) as store:
        cmap = build_map(
            store,
            options=AlignOptions(threshold=threshold, position_weight=weight),
            encode_missing=encode,
        )
    index = {sid: i for i, sid in enumerate(ids)}
    predicted = {(index[sid], pos): key for (sid, pos), key in cmap.assignments.items()}
    quality = grouping_quality(predicted, study.truth)
    placed = cmap.data.get("placements", [])
    right = sum(
        1
        for p in placed
        if p["stage"] == slug(STEP_STAGES[study.truth[(index[p["session_id"]], p["position"])]])
    )
    quality["stage_accuracy"] = round(right / len(placed), 3) if placed else 0.0
    quality["stages"] = len(cmap.data.get("stages", []))
    quality["representation"] = cmap.data["alignment"]["representation"]  # type: ignore[assignment]
    return quality


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=3)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--staff", type=int, default=15)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "alignment.json"
    )
    args = parser.parse_args()
    grid = {
        "lexical": [(t, 0.0) for t in (0.04, 0.08, 0.12)] + [(None, None)],
        "all-MiniLM-L6-v2": [(t, w) for t in (0.2, 0.3, 0.4) for w in (0.0, 0.25)] + [(None, None)],
    }
    scores: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, args.studies + 1):
            path = Path(tmp) / f"study-{seed}.db"
            study, ids = build_study(path, args.customers, args.staff, args.steps, seed)
            for representation, settings in grid.items():
                encode = representation != "lexical"
                for threshold, weight in settings:
                    # A fresh copy each time: encoding caches vectors in the database.
                    copy = Path(tmp) / "copy.db"
                    shutil.copy(path, copy)
                    q = score(copy, study, ids, encode, threshold, weight)
                    copy.unlink()
                    name = f"{q['representation']} t={threshold} w={weight}"
                    if threshold is None:
                        name = f"{q['representation']} defaults"
                    scores.setdefault(name, []).append(q)
                    print(seed, name, q, flush=True)
    summary = {
        name: {
            "purity": round(statistics.fmean(q["purity"] for q in runs), 3),
            "recall": round(statistics.fmean(q["recall"] for q in runs), 3),
            "groups": round(statistics.fmean(q["groups"] for q in runs), 1),
            "stage_accuracy": round(statistics.fmean(q["stage_accuracy"] for q in runs), 3),
            "stages": round(statistics.fmean(q["stages"] for q in runs), 1),
            "true_types": runs[0]["true_types"],
        }
        for name, runs in scores.items()
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
