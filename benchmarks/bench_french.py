"""French answers: is each read as French, with its sentiment and channels?

benchmarks/data/french_answers.jsonl holds 50 French interview answers written for this
check alongside the French reader (``cjm_interview/nlp/french.py``): the figures show the
reader works on plain French, not how accurate it is on real French text.

    python benchmarks/bench_french.py [--taggers tagger,lexicon]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_complaints import channel_scores  # noqa: E402
from bench_tagger import scores  # noqa: E402

ANSWERS = ROOT / "benchmarks" / "data" / "french_answers.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taggers", default="tagger,lexicon")
    args = parser.parse_args()
    from cjm_interview.nlp.loader import load_tagger

    rows = [json.loads(line) for line in ANSWERS.read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows]
    result: dict[str, object] = {"answers": len(rows)}
    for name in args.taggers.split(","):
        tagger = load_tagger("model" if name == "tagger" else "fallback")
        # Tagged as an English session would: each answer must be recognised as French.
        out = tagger.tag_batch(texts, language="en")
        result[name] = {
            "read_as_french": sum(r.extra.get("language") == "fr" for r in out),
            "sentiment": scores([r["sentiment"] for r in rows], [r.sentiment for r in out]),
            "channels": channel_scores(
                [set(r["touchpoints"]) for r in rows], [set(r.touchpoints) for r in out]
            )["micro"],
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
