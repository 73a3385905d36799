"""Choose and load a tagger: the embedding model when it can load, else the lexicon.

Cheap to import: the model's libraries are imported only inside ``load_tagger``.
"""

from __future__ import annotations

import logging
from typing import Literal

from cjm_interview.nlp.base import Tagger
from cjm_interview.nlp.lexicon import LexiconTagger

Mode = Literal["auto", "model", "fallback"]
log = logging.getLogger(__name__)


class FallbackTagger(LexiconTagger):
    """The lexicon tagger standing in for a model that could not load; says why."""

    def __init__(self, reason: str) -> None:
        self.fallback_reason = reason


class ModelUnavailable(RuntimeError):
    """The embedding model or its heads cannot be loaded."""


def load_tagger(mode: str = "auto") -> Tagger:
    """The tagger for ``mode``.

    ``fallback``: the lexicon tagger. ``model``: the embedding tagger, or
    ModelUnavailable. ``auto``: the embedding tagger when it loads, else the
    lexicon tagger with ``fallback_reason`` set.
    """
    if mode not in ("auto", "model", "fallback"):
        raise ValueError(f"unknown tagger mode {mode!r}")
    if mode == "fallback":
        return LexiconTagger()
    try:
        from cjm_interview.nlp.embedding import EmbeddingTagger

        tagger: Tagger = EmbeddingTagger.load()
        return tagger
    except Exception as exc:  # any failure to load means: carry on without the model
        reason = f"{type(exc).__name__}: {exc}"
        if mode == "model":
            raise ModelUnavailable(reason) from exc
        log.warning("model tagger unavailable, using the lexicon tagger: %s", reason)
        return FallbackTagger(reason)
