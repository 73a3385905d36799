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

    @classmethod
    def unavailable(
        cls,
        reason: str,
        extra: dict[str, Any] | None = None,
        embedding: bytes | None = None,
        embedding_model: str | None = None,
    ) -> TagResult:
        """No tags, and why (a language no tagger reads): nothing is guessed."""
        return cls(
            sentiment="",
            sentiment_scores={},
            grade=0.0,
            touchpoints={},
            emotions={},
            model="none",
            version="",
            embedding=embedding,
            embedding_model=embedding_model,
            extra={**(extra or {}), "unavailable": reason},
        )

    @property
    def unavailable_reason(self) -> str | None:
        """Why this text has no tags, or None when it has them."""
        reason = self.extra.get("unavailable")
        return str(reason) if reason else None

    def to_tags(self) -> list[Tag]:
        """The result as tags to store with the answer (none when unavailable)."""
        if self.unavailable_reason:
            return []
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
        """One output line of ``cjm tag --jsonl``.

        ``language``, ``evidence`` (the sentence behind each touchpoint and
        emotion) and ``unavailable`` (why there are no tags: then sentiment
        and grade are null) come after the older keys.
        """
        reason = self.unavailable_reason
        line: dict[str, Any] = {
            "id": item_id,
            "sentiment": None if reason else self.sentiment,
            "grade": None if reason else round(float(self.grade), 2),
            "touchpoints": list(self.touchpoints),
            "emotions": list(self.emotions),
            "sentiment_scores": {k: round(v, 4) for k, v in self.sentiment_scores.items()},
            "touchpoint_scores": {k: round(v, 4) for k, v in self.touchpoints.items()},
            "emotion_scores": {k: round(v, 4) for k, v in self.emotions.items()},
            "model": self.model,
            "version": self.version,
        }
        for key in ("language", "language_expected", "sentences", "evidence", "unavailable"):
            if key in self.extra:
                line[key] = self.extra[key]
        return line

    @classmethod
    def from_json(cls, line: dict[str, Any]) -> TagResult:
        """A result back from ``to_json`` (the child process's replies), extra fields kept.

        Raises KeyError, TypeError or ValueError on a line that is not one.
        """
        extra: dict[str, Any] = {
            k: line[k]
            for k in ("language", "language_expected", "sentences", "evidence", "unavailable")
            if k in line
        }

        def scores(key: str) -> dict[str, float]:
            return {str(k): float(v) for k, v in (line.get(key) or {}).items()}

        return cls(
            sentiment=str(line["sentiment"] or ""),
            sentiment_scores=scores("sentiment_scores"),
            grade=float(line["grade"] or 0.0),
            touchpoints=scores("touchpoint_scores"),
            emotions=scores("emotion_scores"),
            model=str(line["model"]),
            version=str(line["version"]),
            extra=extra,
        )


@runtime_checkable
class Tagger(Protocol):
    """Tags texts in batches. Implementations must be safe to call from a worker thread."""

    name: str
    version: str

    def tag_batch(self, texts: Sequence[str], language: str | None = None) -> list[TagResult]:
        """Tag each text; the result list has the same length and order.

        ``language`` is the session's (``sessions.language``), if known: a text
        is read in it unless its own words clearly say another language.
        """
        ...
