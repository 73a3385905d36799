"""Stages: the phases of the journey, drawn as a band over its moments.

- Declared in the script (``stages:``): each moment goes to the stage whose name
  and description are closest in meaning to what its members said, with a small
  pull towards the stage expected at the moment's place in the journey.
- Found in the data when no script declares any: moments are joined by average
  linkage on their centres, with how far apart they happen counted against
  them, into ``AlignOptions.stages`` stages, each named by the words that set it
  apart from the others.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from cjm_interview.domain import Script
from cjm_interview.map.align import linkage
from cjm_interview.map.labels import slug
from cjm_interview.map.model import Stage

POSITION_PULL = 0.1  # declared stages: weight of the expected place against meaning
WARD = True  # balanced stages: average linkage lets one stage swallow the rest
POSITION_PENALTY = 1.0  # found stages: similarity lost per whole journey between moments


def declared(scripts: Sequence[Script], language: str = "en") -> list[Stage]:
    """The stages the sessions' scripts declare, in order; the first script that has any wins,
    later scripts add the stages it lacks (by id)."""
    found: dict[str, Stage] = {}
    for script in scripts:
        for i, stage in enumerate(script.stages):
            if stage.id not in found:
                description = stage.description.get(language) if stage.description else ""
                order = float(i) if not found else len(found) + i / 100
                found[stage.id] = Stage(
                    slug(stage.id), stage.name.get(language), description, True, order
                )
    return sorted(found.values(), key=lambda s: s.order)


def stage_texts(stage: Stage) -> list[str]:
    """What a declared stage is compared with: its name and description as one text, then
    its name and each phrase of its description on their own ("asking friends or family")."""
    phrases = [p.strip() for p in _PHRASE.split(stage.description or "") if len(p.strip()) > 2]
    whole = f"{stage.label}. {stage.description}" if stage.description else stage.label
    return list(dict.fromkeys([whole, stage.label, *phrases]))


_PHRASE = re.compile(r"[,;.]\s*|\s+or\s+")


def place(centres: np.ndarray, positions: np.ndarray, texts: Sequence[np.ndarray]) -> np.ndarray:
    """The declared stage of each moment (index into the stages).

    ``texts`` holds, per stage, the unit vectors of its ``stage_texts``. A moment's
    likeness to a stage is the mean of its likeness to the whole description and to the
    closest of its phrases (one phrase alone matches too eagerly, the whole text too
    vaguely), less a pull towards the stage expected at the moment's place.
    """
    if len(centres) == 0 or len(texts) == 0:
        return np.zeros(len(centres), dtype=np.int64)
    sims = np.stack(
        [0.5 * (centres @ block[0]) + 0.5 * (centres @ block.T).max(axis=1) for block in texts],
        axis=1,
    )
    expected = (np.arange(len(texts)) + 0.5) / len(texts)
    pull = -POSITION_PULL * np.abs(positions[:, None] - expected[None, :])
    return np.asarray(np.argmax(sims + pull, axis=1), dtype=np.int64)


def discover(
    centres: np.ndarray,
    masses: np.ndarray,
    positions: np.ndarray,
    bounds: tuple[int, int],
    threshold: float,
) -> np.ndarray:
    """Stages found in the data: the stage (0..s-1, in journey order) of each moment."""
    if len(centres) == 0:
        return np.zeros(0, dtype=np.int64)
    sums = centres * masses[:, None]
    group = linkage(
        sums, masses, threshold, bounds, positions * masses, POSITION_PENALTY, ward=WARD
    )
    count = int(group.max()) + 1
    at = [
        float(np.average(positions[group == g], weights=masses[group == g])) for g in range(count)
    ]
    rank = np.argsort(np.argsort(at, kind="stable"), kind="stable")
    return np.asarray(rank[group], dtype=np.int64)


def named(clauses: Sequence[str], orders: Sequence[float]) -> list[Stage]:
    """Stages found in the data, named by what their members did: their most central
    clause (``clauses``, one per stage)."""
    stages = []
    taken: set[str] = set()
    for i, (clause, order) in enumerate(zip(clauses, orders, strict=True)):
        label = clause or f"Stage {i + 1}"
        key = slug(label)
        while key in taken:
            key += "-2"
        taken.add(key)
        stages.append(Stage(key, label[:1].upper() + label[1:], "", False, order))
    return stages
