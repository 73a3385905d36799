"""A moment told at two distinct places of the journey is two moments."""

from __future__ import annotations

import numpy as np

from cjm_interview.map.align import AlignOptions, features
from cjm_interview.map.moments import align_by_place, split_by_place


def test_a_moment_told_early_and_late_is_split_where_the_places_part() -> None:
    rng = np.random.default_rng(0)
    # Moment 0: "on time" at boarding (about 0.3) and on landing (about 0.85);
    # moment 1: spread evenly over the journey; moment 2: early and late but 2 people late.
    early, late = rng.normal(0.3, 0.04, 30), rng.normal(0.85, 0.04, 25)
    spread = np.linspace(0, 1, 60)
    few = np.r_[rng.normal(0.2, 0.03, 40), [0.9, 0.95]]
    relative = np.r_[early, late, spread, few].clip(0, 1)
    assign = np.repeat([0, 1, 2], [55, 60, 42])
    split = split_by_place(assign, relative, journeys=60)
    assert int(split.max()) == 3  # one new moment
    assert set(split[:30]) == {0} and set(split[30:55]) == {3}
    assert set(split[55:115]) == {1} and set(split[115:]) == {2}
    # The same study told twice over is split the same way.
    twice = split_by_place(np.r_[assign, assign], np.r_[relative, relative], journeys=120)
    assert np.array_equal(twice[: len(assign)], split)


def test_splits_by_place_keep_within_the_columns_allowed() -> None:
    rng = np.random.default_rng(1)
    axes = np.eye(16, dtype=np.float32)
    rows, places, keys = [], [], []
    # Four topics, each told early by some journeys and late by others.
    for topic in range(4):
        for i in range(40):
            rows.append(axes[topic] + rng.normal(scale=0.05, size=16))
            places.append(0.15 if i % 2 else 0.85)
            keys.append(f"{topic}|{i}")
    vectors = np.asarray(rows, dtype=np.float32)
    relative = np.asarray(places, dtype=np.float32) + rng.normal(scale=0.02, size=len(rows))
    x = features(vectors, np.arange(len(rows)) // 4, relative, 0.0, 0.0)
    for high in (4, 6, 8):
        options = AlignOptions(threshold=0.99, columns=(2, high))
        assign = align_by_place(x, keys, relative.astype(np.float32), options, 40)
        assert int(assign.max()) + 1 <= high
    # Room enough: every topic's early and late tellings apart.
    assign = align_by_place(x, keys, relative, AlignOptions(threshold=0.9, columns=(2, 8)), 40)
    assert int(assign.max()) + 1 == 8
    for g in range(8):
        assert np.ptp(relative[assign == g]) < 0.3
