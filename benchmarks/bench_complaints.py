"""Channels, sentiment and grade on hand-labelled real complaint narratives.

The narratives are read from ../shared/benchmarks/complaints/complaints.csv
(never copied into the project); their labels are in
benchmarks/data/complaint_channels.jsonl (see complaint_channels.md). Every
reported figure is on the "test" part, which nothing is trained or tuned on;
the "dev" part is for calibrating (``--split dev``).

    python benchmarks/bench_complaints.py [--split test|dev] [--taggers tagger,lexicon,keywords]
    python benchmarks/bench_complaints.py --recheck   # after changing the channel rules

``--recheck`` says whether the shipped thresholds for the sentences of long answers
still fit the rules: it chooses them again on the dev part, with the rules as they are
now (no training needed; the short-answer thresholds need ``cjm model train``).

Targets (test part): channel micro-F1 >= 0.85 with precision >= 0.85; >= 90 % of the
texts with no channel kept empty.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "benchmarks" / "data" / "complaint_channels.jsonl"
COMPLAINTS = Path(
    os.environ.get(
        "CJM_COMPLAINTS", ROOT.parent / "shared" / "benchmarks" / "complaints" / "complaints.csv"
    )
)
CHANNELS = (
    "web",
    "app",
    "phone",
    "email",
    "chat",
    "social",
    "in_person",
    "mail",
    "field",
    "self_service",
)

# A plain keyword list, as one would write it in a spreadsheet: any mention counts.
KEYWORDS: dict[str, str] = {
    "web": r"website|web site|online|portal|internet",
    "app": r"app|mobile app",
    "phone": r"phone|telephone|call|called|calling|calls",
    "email": r"e-?mail|e-?mails|e-?mailed",
    "chat": r"chat|text message|texted|sms",
    "social": r"twitter|facebook|instagram|social media",
    "in_person": r"branch|in person|office|store|teller",
    "mail": r"letter|letters|mail|mailed|certified mail",
    "field": r"technician|engineer|home visit|came to my (?:house|home)",
    "self_service": r"atm|kiosk|machine",
}
_KEYWORDS = {c: re.compile(rf"\b(?:{w})\b", re.IGNORECASE) for c, w in KEYWORDS.items()}


def keyword_channels(text: str) -> set[str]:
    """The baseline: every channel whose keyword appears anywhere."""
    return {c for c, pattern in _KEYWORDS.items() if pattern.search(text)}


def load(split: str) -> list[dict[str, object]]:
    """Labelled rows of the split, each with its narrative."""
    csv.field_size_limit(10_000_000)
    with COMPLAINTS.open(encoding="utf-8") as handle:
        narratives = {row["complaint_id"]: row["narrative"] for row in csv.DictReader(handle)}
    rows = []
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if split in ("all", row["split"]):
            rows.append({**row, "text": narratives[row["complaint_id"]]})
    return rows


def channel_scores(truth: Sequence[set[str]], pred: Sequence[set[str]]) -> dict[str, object]:
    """Precision, recall and F1 per channel and micro-averaged; empty texts kept empty."""
    per: dict[str, dict[str, float]] = {}
    total = {"tp": 0, "fp": 0, "fn": 0}
    for channel in CHANNELS:
        tp = sum(channel in t and channel in p for t, p in zip(truth, pred, strict=True))
        fp = sum(channel not in t and channel in p for t, p in zip(truth, pred, strict=True))
        fn = sum(channel in t and channel not in p for t, p in zip(truth, pred, strict=True))
        total["tp"] += tp
        total["fp"] += fp
        total["fn"] += fn
        per[channel] = {"support": tp + fn, **_prf(tp, fp, fn)}
    empty = [i for i, t in enumerate(truth) if not t]
    kept = sum(not pred[i] for i in empty)
    return {
        "micro": _prf(total["tp"], total["fp"], total["fn"]),
        "no_channel_kept_empty": f"{kept} of {len(empty)}",
        "no_channel_kept_share": round(kept / len(empty), 3) if empty else None,
        "per_channel": per,
    }


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def feeling_scores(
    rows: Sequence[dict[str, object]], results: Sequence[object]
) -> dict[str, object]:
    """Share read as negative, and the grade's mean absolute error where a grade was labelled."""
    negative = [r for r in rows if r["sentiment"] == "negative"]
    read_negative = sum(
        res.sentiment == "negative"  # type: ignore[attr-defined]
        for r, res in zip(rows, results, strict=True)
        if r["sentiment"] == "negative"
    )
    graded = [
        (float(r["grade"]), float(res.grade))  # type: ignore[attr-defined,arg-type]
        for r, res in zip(rows, results, strict=True)
        if r["grade"] is not None
    ]
    mae = sum(abs(a - b) for a, b in graded) / len(graded) if graded else None
    # The rest (labelled neutral): what each was read as, so that a tagger reading every
    # narrative as negative shows here.
    others = Counter(
        f"{r['sentiment']} read {res.sentiment}"  # type: ignore[attr-defined]
        for r, res in zip(rows, results, strict=True)
        if r["sentiment"] != "negative"
    )
    return {
        "negative_read_negative": f"{read_negative} of {len(negative)}",
        "the_others": dict(sorted(others.items())),
        "grade_mae": round(mae, 2) if mae is not None else None,
        "graded": len(graded),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--taggers", default="tagger,lexicon,keywords")
    parser.add_argument("--errors", action="store_true", help="List each wrong channel (ids).")
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="Choose the sentence thresholds again on the dev part and compare with the shipped.",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "complaints.json"
    )
    args = parser.parse_args()
    if not COMPLAINTS.exists():
        sys.exit(f"Error: narratives not found: {COMPLAINTS} (set CJM_COMPLAINTS)")
    if args.recheck:
        from cjm_interview.nlp.calibrate import recheck_sentences
        from cjm_interview.nlp.embedding import EmbeddingTagger

        os.environ["CJM_COMPLAINTS"] = str(COMPLAINTS)
        print(json.dumps(recheck_sentences(EmbeddingTagger.load()), indent=2))
        return
    rows = load(args.split)
    texts = [str(r["text"]) for r in rows]
    truth = [set(r["channels"]) for r in rows]  # type: ignore[call-overload]
    result: dict[str, object] = {"split": args.split, "texts": len(rows)}
    runners: dict[str, Callable[[], tuple[list[set[str]], list[object] | None]]] = {}

    def run_tagger(mode: str) -> tuple[list[set[str]], list[object] | None]:
        from cjm_interview.nlp.loader import load_tagger

        tagger = load_tagger(mode)
        started = time.perf_counter()
        out = tagger.tag_batch(texts)
        result[f"{mode}_seconds"] = round(time.perf_counter() - started, 1)
        return [set(r.touchpoints) for r in out], list(out)

    runners["tagger"] = lambda: run_tagger("model")
    runners["lexicon"] = lambda: run_tagger("fallback")
    runners["keywords"] = lambda: ([keyword_channels(t) for t in texts], None)
    for name in args.taggers.split(","):
        pred, results = runners[name]()
        figures = channel_scores(truth, pred)
        if results is not None:
            figures["feelings"] = feeling_scores(rows, results)
        result[name] = figures
        if args.errors:
            for row, t, p in zip(rows, truth, pred, strict=True):
                if t != p:
                    extra, missed = sorted(p - t), sorted(t - p)
                    print(f"{name} {row['complaint_id']}: extra {extra} missed {missed}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
