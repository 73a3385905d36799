"""The Tagger protocol shared by the embedding model and the lexicon fallback.

Nothing here imports torch: the engine, the store and the TUI depend on this
module only, and the heavy tagger is loaded lazily when chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from cjm_interview.domain import Tag

SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class TagResult:
    """Everything a tagger says about one text."""

    sentiment: str
    sentiment_scores: dict[str, float]
    grade: float
    touchpoints: dict[str, float]
    emotions: dict[str, float]
    model: str
    version: str
    # float32 little-endian vector of the encoder, cached so merging never re-encodes.
    embedding: bytes | None = None
    embedding_model: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_tags(self) -> list[Tag]:
        """The result as tags to store with the answer."""
        src, ver = self.model, self.version
        tags = [
            Tag(
                "sentiment",
                self.sentiment,
                self.sentiment_scores.get(self.sentiment, 0.0),
                src,
                ver,
            ),
            Tag("grade", "grade", round(self.grade, 2), src, ver),
        ]
        tags += [Tag("touchpoint", t, s, src, ver) for t, s in self.touchpoints.items()]
        tags += [Tag("emotion", e, s, src, ver) for e, s in self.emotions.items()]
        return tags

    def to_json(self, item_id: str) -> dict[str, Any]:
        """One output line of ``cjm tag --jsonl``."""
        return {
            "id": item_id,
            "sentiment": self.sentiment,
            "grade": round(float(self.grade), 2),
            "touchpoints": list(self.touchpoints),
            "emotions": list(self.emotions),
            "sentiment_scores": {k: round(v, 4) for k, v in self.sentiment_scores.items()},
            "touchpoint_scores": {k: round(v, 4) for k, v in self.touchpoints.items()},
            "emotion_scores": {k: round(v, 4) for k, v in self.emotions.items()},
            "model": self.model,
            "version": self.version,
        }


@runtime_checkable
class Tagger(Protocol):
    """Tags texts in batches. Implementations must be safe to call from a worker thread."""

    name: str
    version: str

    def tag_batch(self, texts: Sequence[str]) -> list[TagResult]:
        """Tag each text; the result list has the same length and order."""
        ...
