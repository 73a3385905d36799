"""The tagger on real customer text, beside plain VADER, plus speed and memory.

Evaluation only: the airline tweets (../shared/benchmarks/airline_tweets, a
public human-labelled set) are never used to train or tune anything.

    python benchmarks/bench_tagger.py [--limit N] [--skip-speed]

Targets: macro-F1 >= 0.80 on the tweets with annotator confidence 1.0, and on a
class-balanced draw of them (``balanced_draw``: 1,400 per class, seeded);
median latency <= 30 ms per answer after warm-up; >= 150 answers/s in
batches; model load <= 10 s; peak memory of `cjm tag` < 1 GB. Speed is
measured on the tweets' texts; the whole paths the app and import use are
timed by bench_tagger_speed.py.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TWEETS = Path(
    os.environ.get(
        "CJM_TWEETS", ROOT.parent / "shared" / "benchmarks" / "airline_tweets" / "tweets.csv"
    )
)
LABELS = ("negative", "neutral", "positive")
# The balanced draw: this many confidence-1.0 tweets of each class (the smallest class
# has 1,445), always the same ones.
BALANCED_PER_CLASS = 1400
BALANCED_SEED = 20261206


def load_tweets() -> list[tuple[str, str, float]]:
    rows, seen = [], set()
    with TWEETS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = re.sub(r"^(?:@\w+\s*)+", "", row["text"]).strip()
            if not text or text in seen:
                continue
            seen.add(text)
            rows.append((text, row["sentiment"], float(row["sentiment_confidence"])))
    return rows


def scores(truth: list[str], pred: list[str]) -> dict[str, float]:
    t = np.asarray(truth)
    p = np.asarray(pred)
    f1s = []
    for label in LABELS:
        tp = np.sum((p == label) & (t == label))
        fp = np.sum((p == label) & (t != label))
        fn = np.sum((p != label) & (t == label))
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return {
        "accuracy": round(float(np.mean(t == p)), 3),
        "macro_f1": round(float(np.mean(f1s)), 3),
        **{f"f1_{label}": round(float(f), 3) for label, f in zip(LABELS, f1s, strict=True)},
    }


def balanced_draw(rows: list[tuple[str, str, float]]) -> list[int]:
    """Indices of an equal number of confidence-1.0 tweets per class, seeded."""
    rng = np.random.default_rng(BALANCED_SEED)
    picked: list[int] = []
    for label in LABELS:
        pool = [i for i, r in enumerate(rows) if r[2] >= 1.0 and r[1] == label]
        picked += rng.choice(pool, min(BALANCED_PER_CLASS, len(pool)), replace=False).tolist()
    return sorted(picked)


def vader_labels(texts: list[str]) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    out = []
    for text in texts:
        c = analyzer.polarity_scores(text)["compound"]
        out.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
    return out


def peak_rss_of_cjm_tag(texts: list[str]) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        for i, text in enumerate(texts):
            handle.write(json.dumps({"id": str(i), "text": text}) + "\n")
        path = handle.name
    code = (
        "import resource, subprocess, sys\n"
        f"p = subprocess.run([sys.executable, '-m', 'cjm_interview', 'tag', '--jsonl'], "
        f"stdin=open({path!r}), stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    os.unlink(path)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="Use only the first N tweets.")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "tagger.json")
    args = parser.parse_args()

    from cjm_interview.nlp.lexicon import LexiconTagger

    result: dict[str, object] = {}
    started = time.perf_counter()
    from cjm_interview.nlp.embedding import EmbeddingTagger

    model = EmbeddingTagger.load()
    result["model_load_s"] = round(time.perf_counter() - started, 2)
    result["model"] = model.name

    if TWEETS.exists():
        rows = load_tweets()
        if args.limit:
            rows = rows[: args.limit]
        texts = [r[0] for r in rows]
        truth = [r[1] for r in rows]
        confident = [i for i, r in enumerate(rows) if r[2] >= 1.0]
        balanced = balanced_draw(rows)
        predictions = {
            "tagger": [],
            "lexicon": [r.sentiment for r in LexiconTagger().tag_batch(texts)],
            "vader": vader_labels(texts),
        }
        for start in range(0, len(texts), 256):
            predictions["tagger"] += [
                r.sentiment for r in model.tag_batch(texts[start : start + 256])
            ]
        tweets: dict[str, object] = {
            "rows_all": len(rows),
            "rows_confident": len(confident),
            "rows_balanced": len(balanced),
        }
        for name, pred in predictions.items():
            tweets[name] = {
                "confidence_1.0": scores(
                    [truth[i] for i in confident], [pred[i] for i in confident]
                ),
                "balanced": scores([truth[i] for i in balanced], [pred[i] for i in balanced]),
                "all": scores(truth, pred),
            }
        result["airline_tweets"] = tweets
    else:
        result["airline_tweets"] = f"not found: {TWEETS}"

    if not args.skip_speed and TWEETS.exists():
        # Real texts of every length, not one sentence repeated: padding and
        # the 256-token cut cost what they cost on real input.
        sample = [r[0] for r in load_tweets()[:2000]]
        model.tag_batch(sample[:32])  # warm-up
        single = []
        for text in sample[:100]:
            t0 = time.perf_counter()
            model.tag_batch([text])
            single.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        for start in range(0, len(sample), 64):
            model.tag_batch(sample[start : start + 64])
        throughput = len(sample) / (time.perf_counter() - t0)
        result["median_latency_ms"] = round(statistics.median(single), 1)
        result["throughput_per_s"] = round(throughput, 1)
        result["cjm_tag_peak_rss_mb"] = round(peak_rss_of_cjm_tag(sample), 1)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
