"""Labels and keys of the composite steps."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from cjm_interview.map.journeys import Step


def slug(text: str) -> str:
    """A stable key for a group from its label."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "step"


def label_of(indices: Sequence[int], steps: Sequence[Step], vectors: np.ndarray) -> str:
    """The most central phrase, preferring short ones said by several people."""
    sub = vectors[np.asarray(indices)]
    sims = sub @ sub.mean(axis=0)
    phrases = [steps[i].action for i in indices]
    keys = [p.lower().rstrip(".") for p in phrases]
    counts = Counter(keys)
    score = (
        sims
        + 0.02 * np.minimum([counts[k] for k in keys], 5)
        - 0.002 * np.asarray([len(p) for p in phrases])
    )
    text = phrases[int(np.argmax(score))].rstrip(".")
    return text[:1].upper() + text[1:80]


def normalise(text: str) -> str:
    """A phrasing with case, punctuation and spacing removed, for counting and matching."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))[:80]
