"""Alignment: steps told in many words grouped into the composite journey's steps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cjm_interview.map.vectors import ENCODER


@dataclass(frozen=True)
class AlignOptions:
    """Knobs of the alignment (see the module docstring)."""

    # None: the defaults of the representation (DEFAULTS).
    threshold: float | None = None
    position_weight: float | None = None
    min_share: float = 0.02
    refine_passes: int = 2
    merge_threshold: float = 0.8  # group centres at least this alike become one group
    max_groups: int = 40


# (threshold, position weight) per representation, measured on generated studies
# (docs/composite-map.md): word vectors are sparser, so they need a lower bar and
# no position term, which would otherwise outweigh their similarity.
DEFAULTS = {"lexical": (0.2, 0.0), ENCODER: (0.4, 0.2)}


def align(
    vectors: np.ndarray, relative: np.ndarray, n_journeys: int, options: AlignOptions
) -> np.ndarray:
    """Group index of each step."""
    threshold = options.threshold if options.threshold is not None else 0.4
    weight = options.position_weight if options.position_weight is not None else 0.2
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.int64)
    x = np.empty((len(vectors), vectors.shape[1] + 1), dtype=np.float32)
    x[:, :-1] = vectors
    x[:, -1] = weight * relative
    x /= np.maximum(np.sqrt(np.einsum("ij,ij->i", x, x)), 1e-9)[:, None]
    # One pass in session order, a block at a time: steps close enough to a
    # centre join it; the first one that is not starts a new group.
    cap = options.max_groups * 3
    sums = x[:1].astype(np.float64)
    assign = np.zeros(len(x), dtype=np.int64)
    i = 1
    while i < len(x):
        c = (sums / np.linalg.norm(sums, axis=1, keepdims=True)).astype(np.float32)
        block = x[i : i + 512]
        sims = block @ c.T
        best = sims.argmax(axis=1)
        ok = sims[np.arange(len(block)), best] >= threshold
        take = len(block) if ok.all() or len(sums) >= cap else int(np.argmin(ok))
        if take:
            assign[i : i + take] = best[:take]
            sums += _group_sums(block[:take], best[:take], len(sums))
        if take < len(block):
            assign[i + take] = len(sums)
            sums = np.vstack([sums, block[take : take + 1].astype(np.float64)])
            take += 1
        i += take
    centres = list(range(len(sums)))
    for _ in range(options.refine_passes):
        c = _centres(x, assign, len(centres))
        assign = _nearest(x, c)
    assign = _merge_close(x, assign, options.merge_threshold)
    # Fold groups reached by too few journeys into their nearest larger group.
    minimum = max(1, int(np.ceil(options.min_share * n_journeys)))
    for _ in range(3):
        sizes = np.bincount(assign, minlength=len(centres))
        keep = np.where(sizes >= minimum)[0]
        if len(keep) > options.max_groups:
            keep = np.argsort(-sizes)[: options.max_groups]
        if len(keep) == 0 or len(keep) == len(np.unique(assign)):
            break
        c = _centres(x, assign, len(centres))[keep]
        assign = keep[_nearest(x, c)]
    # Renumber 0..k-1.
    _, assign = np.unique(assign, return_inverse=True)
    return assign.astype(np.int64)


def _merge_close(x: np.ndarray, assign: np.ndarray, threshold: float) -> np.ndarray:
    """Merge the closest two groups while their centres are at least ``threshold`` alike."""
    assign = assign.copy()
    while True:
        labels = np.unique(assign)
        if len(labels) < 2:
            return assign
        _, assign = np.unique(assign, return_inverse=True)
        c = _centres(x, assign, len(labels))
        sims = c @ c.T
        np.fill_diagonal(sims, -1.0)
        a, b = np.unravel_index(int(np.argmax(sims)), sims.shape)
        if sims[a, b] < threshold:
            return assign
        assign[assign == b] = a


def _group_sums(x: np.ndarray, assign: np.ndarray, k: int) -> np.ndarray:
    """Sum of the rows of ``x`` per group: a product with the k-by-n membership matrix."""
    members = np.zeros((k, len(x)), dtype=np.float32)
    members[assign, np.arange(len(x))] = 1.0
    return np.asarray(members @ x, dtype=np.float64)


def _centres(x: np.ndarray, assign: np.ndarray, k: int) -> np.ndarray:
    sums = _group_sums(x, assign, k)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.asarray(sums / np.maximum(norms, 1e-9), dtype=np.float32)


def _nearest(x: np.ndarray, c: np.ndarray, batch: int = 65536) -> np.ndarray:
    out = np.empty(len(x), dtype=np.int64)
    for start in range(0, len(x), batch):
        out[start : start + batch] = np.argmax(x[start : start + batch] @ c.T, axis=1)
    return out
