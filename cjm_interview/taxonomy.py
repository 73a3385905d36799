"""The default channel and emotion taxonomy, kept as data in models/taxonomy.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from cjm_interview.config import models_dir
from cjm_interview.domain import Touchpoint


@dataclass(frozen=True)
class Emotion:
    """An emotion the tagger can name."""

    id: str
    description: str


@dataclass(frozen=True)
class Taxonomy:
    """Channels and emotions."""

    touchpoints: tuple[Touchpoint, ...]
    emotions: tuple[Emotion, ...]
    aliases: dict[str, str] = field(default_factory=dict)
    """Other words for a channel (lower case) -> its id."""

    @property
    def touchpoint_ids(self) -> tuple[str, ...]:
        """Channel ids in taxonomy order."""
        return tuple(t.id for t in self.touchpoints)

    @property
    def emotion_ids(self) -> tuple[str, ...]:
        """Emotion ids in taxonomy order."""
        return tuple(e.id for e in self.emotions)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read a taxonomy file (the bundled one by default)."""
    if path is None:
        return default_taxonomy()
    return _read(path)


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The bundled taxonomy, read once."""
    return _read(models_dir() / "taxonomy.yaml")


def _read(path: Path) -> Taxonomy:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    touchpoints = tuple(
        Touchpoint(str(t["id"]), str(t.get("label", t["id"])), str(t.get("description", "")))
        for t in data.get("touchpoints", [])
    )
    emotions = tuple(
        Emotion(str(e["id"]), str(e.get("description", ""))) for e in data.get("emotions", [])
    )
    aliases = {
        str(alias).strip().lower(): str(t["id"])
        for t in data.get("touchpoints", [])
        for alias in t.get("aliases") or ()
    }
    return Taxonomy(touchpoints, emotions, aliases)
