"""Which taggers the UI uses, and in what order they load.

The UI never waits for a model: it starts with whatever tagger is ready at
once (often none), then loads the ones in ``loaders`` one after another in a
background thread, each replacing the previous when it is ready. Imports of
torch and sentence-transformers happen inside those loaders only.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cjm_interview.nlp.base import Tagger

TaggerLoader = Callable[[], Tagger]


@dataclass(frozen=True)
class TaggerPlan:
    """A tagger usable at once (or None) and better ones to load in the background."""

    ready: Tagger | None = None
    loaders: tuple[tuple[str, TaggerLoader], ...] = ()

    @property
    def enabled(self) -> bool:
        """False when the interview runs without any tags."""
        return self.ready is not None or bool(self.loaders)


def as_plan(tagger: Tagger | TaggerPlan | TaggerLoader | None) -> TaggerPlan:
    """Accept a ready tagger, a loading callable, a plan, or None (no tags)."""
    if tagger is None:
        return TaggerPlan()
    if isinstance(tagger, TaggerPlan):
        return tagger
    if isinstance(tagger, Tagger):
        return TaggerPlan(ready=tagger)
    if callable(tagger):
        return TaggerPlan(loaders=(("model", tagger),))
    raise TypeError(f"not a tagger: {tagger!r}")


def label_of(tagger: Tagger | None) -> str:
    """How a tagger is named in the session row and the status line."""
    if tagger is None:
        return ""
    return f"{tagger.name} {tagger.version}".strip()


def plan_for_mode(mode: str) -> TaggerPlan:
    """The plan for ``--tagger auto|model|fallback|none``.

    ``auto`` loads the lexicon tagger first (quick, no torch) and then the
    model; ``model`` only the model; ``fallback`` only the lexicon tagger.
    When the NLP package is not installed the interview runs without tags.
    """
    if mode == "none" or importlib.util.find_spec("cjm_interview.nlp.loader") is None:
        return TaggerPlan()

    # Imported in the loading thread, never on the way to the first screen.
    def fallback() -> Tagger:
        from cjm_interview.nlp.loader import load_tagger

        return load_tagger("fallback")

    def model() -> Tagger:
        # In a child process: loading torch in this one would freeze the screen.
        from cjm_interview.nlp.remote import RemoteTagger

        return RemoteTagger.start()

    steps: Sequence[tuple[str, TaggerLoader]]
    if mode == "fallback":
        steps = (("lexicon", fallback),)
    elif mode == "model":
        steps = (("model", model),)
    else:
        steps = (("lexicon", fallback), ("model", model))
    return TaggerPlan(loaders=tuple(steps))
