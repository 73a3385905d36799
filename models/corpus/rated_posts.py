"""Real short texts rated by people, from the ground truth that ships with VADER.

The source distribution of ``vaderSentiment`` 3.3.2 on PyPI (MIT licence,
``additional_resources/hutto_ICWSM_2014.tar.gz``) holds 4,200 tweets, 3,708
Amazon review snippets, 5,190 New York Times editorial snippets and 10,605
movie review snippets, each with the mean of about twenty people's ratings on
a scale from -4 (extremely negative) to +4 (extremely positive). The corpus
keeps the tweets, the reviews and the editorials (the movie snippets are
nearly all strongly for or against, and about films, not services):

- a fixed 30 % of the texts, chosen by a hash of their words (salted, so that
  the choice is independent of the corpus's own held-out split, which hashes
  the text), go to
  ``benchmarks/data/rated_posts_eval.jsonl`` with their mean rating, never
  to training;
- of the rest, the ones whose mean rating is clear go to
  ``rated_posts.jsonl``: 1 or more from neutral is positive or negative,
  0.25 or less is neutral; the half-way ratings between are left out, as
  people split on them. They carry no grade (a rating of how positive a text
  is, not a grade given to a service), channels or emotions: the heads of
  those learn from the other files. They count half as much as a
  hand-labelled answer (``weight``).

Run: ``pip download --no-deps --no-binary :all: vaderSentiment==3.3.2`` and
``python models/corpus/rated_posts.py vaderSentiment-3.3.2.tar.gz``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVAL = HERE.parents[1] / "benchmarks" / "data" / "rated_posts_eval.jsonl"
KINDS = {
    "tweets": "tweet",
    "amazonReviewSnippets": "review",
    "nytEditorialSnippets": "editorial",
    "movieReviewSnippets": "movie",
}
TRAINED = ("tweet", "review", "editorial")
EVAL_SHARE = 77  # of 256: the first byte of the text's hash
WEIGHT = 0.5


def sentiment(rating: float) -> str:
    return "negative" if rating <= -0.5 else "positive" if rating >= 0.5 else "neutral"


def clear(rating: float) -> bool:
    return abs(rating) >= 1.0 or abs(rating) <= 0.25


def words(text: str) -> str:
    """What two copies of a text share when they differ in capitals or punctuation only."""
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def is_eval(text: str) -> bool:
    return hashlib.sha256(b"rated-eval\0" + words(text).encode("utf-8")).digest()[0] < EVAL_SHARE


def read(sdist: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    with tarfile.open(sdist) as outer:
        inner_member = next(
            m for m in outer.getmembers() if m.name.endswith("hutto_ICWSM_2014.tar.gz")
        )
        inner_file = outer.extractfile(inner_member)
        assert inner_file is not None
        with tarfile.open(fileobj=io.BytesIO(inner_file.read())) as inner:
            for stem, kind in KINDS.items():
                member = next(
                    m for m in inner.getmembers() if m.name.endswith(f"/{stem}_GroundTruth.txt")
                )
                data = inner.extractfile(member)
                assert data is not None
                for line in data.read().decode("utf-8", errors="replace").splitlines():
                    if not line.strip():
                        continue
                    ident, mean, text = line.split("\t", 2)
                    text = " ".join(text.replace("&amp;", "&").split())
                    # A copy differing in capitals or punctuation only is the same text
                    # to the encoder, which reads lower case: kept once, on one side.
                    if not words(text) or words(text) in seen:
                        continue
                    seen.add(words(text))
                    rows.append(
                        {
                            "text": text,
                            "rating": round(float(mean), 3),
                            "kind": kind,
                            "id": f"{stem}:{ident}",
                        }
                    )
    return rows


def main(sdist: Path) -> None:
    rows = read(sdist)
    train, held = [], []
    for row in rows:
        text, rating = str(row["text"]), float(row["rating"])  # type: ignore[arg-type]
        if is_eval(text):
            held.append({**row, "sentiment": sentiment(rating)})
        elif row["kind"] in TRAINED and clear(rating):
            train.append(
                {
                    "text": text,
                    "sentiment": sentiment(rating),
                    "weight": WEIGHT,
                    "source": row["id"],
                }
            )
    with open(HERE / "rated_posts.jsonl", "w", encoding="utf-8") as out:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in train)
    with open(EVAL, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in held)
    print(f"{len(train)} rows for training, {len(held)} kept for evaluation")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
