"""Sentiment and grade on real short texts rated by people, never trained on.

``benchmarks/data/rated_posts_eval.jsonl`` holds the fixed 30 % of the rated
texts that ship with VADER (tweets, Amazon review snippets, New York Times
editorial snippets, movie review snippets; each the mean of about twenty
people's ratings from -4 to +4; see ``models/corpus/rated_posts.py``). The
other 70 %, where the rating is clear, is in the corpus. The class of a text
is its mean rating rounded to the nearest point of the scale: -0.5 or less
negative, 0.5 or more positive, neutral between.

    python benchmarks/bench_rated_posts.py [--heads DIR] [--taggers tagger,lexicon]

Reports, per kind of text, sentiment macro-F1 and Spearman's rank correlation of
the grade with the mean rating; no target of its own (the tagger's sentiment
targets are on the airline tweets), it tells whether a change carries over to
real text the project did not write. Never trained on, but read to choose (with
the corpus's held-out answers) whether the adapter learns from the rated posts:
a choice made on it is reported as such, and the airline tweets stay the judge.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "rated_posts_eval.jsonl"
LABELS = ("negative", "neutral", "positive")


def macro_f1(truth: list[str], pred: list[str | None]) -> float:
    """Macro-F1 over the three classes, as training reports it (a text given no
    sentiment, in a language the tagger does not read, counts as wrong)."""
    from cjm_interview.nlp.train import macro_f1 as classes_f1

    index = {label: k for k, label in enumerate(LABELS)}
    t = np.asarray([index[label] for label in truth])
    p = np.asarray([index.get(label, -1) if label else -1 for label in pred])
    return classes_f1(t, p, len(LABELS))


def spearman(a: list[float], b: list[float]) -> float:
    def ranks(values: list[float]) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        order = v.argsort(kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        # Ties share their mean rank.
        for value in np.unique(v):
            same = v == value
            r[same] = r[same].mean()
        return r

    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heads", type=Path, default=None, help="Heads folder (default: shipped).")
    parser.add_argument("--taggers", default="tagger,lexicon")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows]
    taggers = {}
    for name in args.taggers.split(","):
        if name == "tagger":
            from cjm_interview.nlp.embedding import EmbeddingTagger

            taggers[name] = EmbeddingTagger.load(args.heads)
        else:
            from cjm_interview.nlp.lexicon import LexiconTagger

            taggers[name] = LexiconTagger()
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_kind[r["kind"]].append(i)
    print(f"{len(rows)} rated texts never trained on ({DATA.name})")
    print("| tagger | kind | n | sentiment macro-F1 | Spearman(grade, rating) |")
    print("|---|---|---|---|---|")
    for name, tagger in taggers.items():
        tags = []
        for start in range(0, len(texts), 256):
            tags += tagger.tag_batch(texts[start : start + 256])
        for kind, idx in [*sorted(by_kind.items()), ("all", list(range(len(rows))))]:
            f1 = macro_f1([rows[i]["sentiment"] for i in idx], [tags[i].sentiment for i in idx])
            rho = spearman([rows[i]["rating"] for i in idx], [float(tags[i].grade) for i in idx])
            print(f"| {name} | {kind} | {len(idx)} | {f1:.3f} | {rho:.3f} |")


if __name__ == "__main__":
    main()
