"""Alignment: the steps people told, in their own words, grouped into the journey's moments.

1. Each step is a vector (``vectors``); with ``centre`` a share of the mean of its
   own journey is taken off it, so what every step of one story shares (the
   product, the airline, the broadband deal) weighs less than what this step
   tells; its relative place in the journey is appended with ``position_weight``.
2. Steps told in the same words at about the same place are one point, weighted
   by how many told it: copying a study with new ids, or in another order, gives
   the same points and so the same groups.
3. Weighted spherical k-means makes up to ``micro`` small clusters (seeded
   k-means++ over the points in a fixed order, so the result does not depend on
   session ids or order).
4. The small clusters are joined by average linkage (for unit vectors the mean
   pairwise cosine of two groups is the dot product of their sums over the
   product of their sizes) while they are at least ``threshold`` alike, within
   ``columns`` groups; clusters too small to be a moment on their own take no
   part and join their nearest group afterwards.
5. Every point then goes to its nearest group centre (two passes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cjm_interview.map.vectors import ENCODER


@dataclass(frozen=True)
class AlignOptions:
    """Knobs of the alignment (see the module docstring and docs/composite-map.md)."""

    # None: the defaults of the representation (DEFAULTS).
    threshold: float | None = None
    position_weight: float | None = None
    centre: float | None = None
    act_weight: float | None = None  # weight of what kind of act a step is (None: ``act_share``)
    columns: tuple[int, int] = (8, 15)  # fewest and most moments drawn as columns
    # Groups this alike are one moment even below the fewest columns: a small study's three
    # wordings of "ordered broadband online" are one column, not three kept to make eight.
    same: float = 0.6
    min_share: float = 0.04  # moments reached by fewer journeys fold into their stage
    micro: int = 64
    refine_passes: int = 2
    grade_gap: float = 4.0  # a moment whose graded halves differ this much is split
    stages: tuple[int, int] = (3, 7)  # fewest and most stages found when none are declared


# (threshold, position weight, centre, most act weight) per representation, tuned on the
# dev half of the complaint study and the generated studies (docs/composite-map.md).
DEFAULTS: dict[str, tuple[float, float, float, float]] = {
    "lexical": (0.08, 0.0, 0.0, 0.0),
    ENCODER: (0.20, 0.25, 0.5, 2.0),
}
# How much of where steps happen their topic alone explains, below which the act counts in
# full and above which it does not count at all (``act_share``).
ORDER_BOUNDS = (0.1, 0.4)


def features(
    vectors: np.ndarray,
    journey: np.ndarray,
    relative: np.ndarray,
    centre: float,
    position_weight: float,
    act: np.ndarray | None = None,
    act_weight: float = 0.0,
) -> np.ndarray:
    """Unit rows: what each step is about (its vector less ``centre`` times its journey's
    mean), what kind of act it is (``act``, unit rows, times ``act_weight``) and its place
    (times ``position_weight``)."""
    x = np.asarray(vectors, dtype=np.float32)
    width = act.shape[1] if act is not None and act_weight else 0
    out = np.empty((len(x), x.shape[1] + width + 1), dtype=np.float32)
    body = out[:, : x.shape[1]]
    body[...] = x
    if centre and len(x):
        sums = group_sums(x, journey, int(journey.max()) + 1)
        counts = np.bincount(journey, minlength=len(sums)).astype(np.float64)
        # A journey of one or two steps has no "rest of the story" to take away.
        scale = np.where(counts >= 3, centre / np.maximum(counts, 1), 0.0)
        body -= (sums * scale[:, None]).astype(np.float32)[journey]
    # In place: two arrays of every step's vector are enough for 100,000 steps.
    body /= np.maximum(np.sqrt(np.einsum("ij,ij->i", body, body)), 1e-9)[:, None]
    if width and act is not None:
        out[:, x.shape[1] : -1] = act_weight * act
    out[:, -1] = position_weight * relative
    out /= np.maximum(np.sqrt(np.einsum("ij,ij->i", out, out)), 1e-9)[:, None]
    return out


def topic_order(
    x: np.ndarray, keys: list[str], relative: np.ndarray, dims: int, k: int = 15,
    sample: int = 8_000,
) -> float:  # fmt: skip
    """How much of where steps happen in their journeys (relative place) is explained by
    what they are about: the share of its variance between ``k`` topic clusters (eta
    squared, less what ``k`` random clusters explain), from the first ``dims`` columns.

    Booking, check-in, the seat, the meal and the verdict follow each other: a review's
    topics tell its time. Every step of a complaint is about the same account: its topics
    tell nothing of time, what kind of act a step is does.
    """
    of, px, pw = points(keys, x)
    if len(px) <= k:
        return 1.0
    body = unit_rows(px[:, :dims])
    group = kmeans(body, pw, k, sample=sample)[of]
    where = np.asarray(relative, dtype=np.float64)
    total = float(((where - where.mean()) ** 2).sum())
    if total <= 0:
        return 1.0
    counts = np.bincount(group, minlength=k).astype(np.float64)
    means = np.bincount(group, weights=where, minlength=k) / np.maximum(counts, 1)
    between = float((counts * (means - where.mean()) ** 2).sum()) / total
    chance = (k - 1) / max(len(px) - 1, 1)
    return max(0.0, (between - chance) / (1 - chance)) if chance < 1 else 0.0


def act_share(order: float, most: float) -> float:
    """The act's weight: ``most`` when topics tell nothing of time, none when they tell it."""
    low, high = ORDER_BOUNDS
    return most * float(np.clip((high - order) / (high - low), 0.0, 1.0))


def reweigh(x: np.ndarray, columns: slice, factor: float) -> None:
    """Scale some columns of unit rows by ``factor`` and make the rows unit again, in place."""
    if factor == 1.0:
        return
    x[:, columns] *= factor
    x /= np.maximum(np.sqrt(np.einsum("ij,ij->i", x, x)), 1e-9)[:, None]


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (float32; a zero row stays zero)."""
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    return np.asarray(x / np.maximum(norms, 1e-9)[:, None], dtype=np.float32)


def points(keys: list[str], x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps with one key (same words, same place) as one point: (point of each step, rows,
    weights), the points in the order of their keys so that no id or order matters."""
    order = sorted(set(keys))
    index = {k: i for i, k in enumerate(order)}
    of = np.fromiter((index[k] for k in keys), dtype=np.int64, count=len(keys))
    # Summed in an order set by the rows themselves, not by the sessions': floating-point
    # sums then come out the same bit for bit however the study was ordered.
    canonical = np.lexsort((x[:, 2], x[:, 1], x[:, 0], of))
    sums = group_sums(x[canonical], of[canonical], len(order), exact=True)
    weights = np.bincount(of, minlength=len(order)).astype(np.float64)
    return of, unit_rows(sums.astype(np.float32)), weights


def kmeans(
    x: np.ndarray, w: np.ndarray, k: int, iterations: int = 10, sample: int = 8_000
) -> np.ndarray:
    """Weighted spherical k-means; the cluster of each row (deterministic: seeded k-means++)."""
    n = len(x)
    if n <= k:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(0)
    fit = np.arange(n)
    if n > sample:  # fit on the heaviest points, then place the rest
        fit = np.sort(np.argsort(-w, kind="stable")[:sample])
    xs, ws = x[fit], w[fit]
    chosen = [int(np.argmax(ws))]
    best = 1.0 - xs @ xs[chosen[0]]
    for _ in range(1, k):
        p = ws * np.maximum(best, 0.0) ** 2
        total = p.sum()
        if total <= 0:
            break
        pick = int(np.searchsorted(np.cumsum(p), rng.random() * total))
        pick = min(pick, len(xs) - 1)
        chosen.append(pick)
        best = np.minimum(best, 1.0 - xs @ xs[pick])
    c = xs[chosen]
    assign = nearest(xs, c)
    for _ in range(iterations):
        c = centres(xs, assign, len(c), ws)
        again = nearest(xs, c)
        if np.array_equal(again, assign):
            break
        assign = again
    return nearest(x, centres(xs, assign, len(c), ws))


def join(
    x: np.ndarray,
    w: np.ndarray,
    micro: np.ndarray,
    threshold: float,
    bounds: tuple[int, int],
    smallest: float,
    same: float = np.inf,
) -> np.ndarray:
    """Average-linkage joining of the micro clusters into groups; the group of each row."""
    k = int(micro.max()) + 1 if len(micro) else 0
    sums = group_sums(x, micro, k, w)
    mass = np.bincount(micro, weights=w, minlength=k)
    big = np.asarray([i for i in range(k) if mass[i] >= smallest] or list(range(k)))
    merged = linkage(sums[big], mass[big], threshold, bounds, same=same)
    label = np.full(k, -1, dtype=np.int64)
    label[big] = merged
    c = unit_rows(group_sums(sums[big], merged, int(merged.max()) + 1).astype(np.float32))
    small = np.flatnonzero(label < 0)
    if len(small):  # clusters too small to be a moment: their nearest group
        label[small] = nearest(unit_rows(sums[small].astype(np.float32)), c)
    return np.asarray(label[micro], dtype=np.int64)


def linkage(
    sums: np.ndarray,
    mass: np.ndarray,
    threshold: float,
    bounds: tuple[int, int],
    place: np.ndarray | None = None,
    penalty: float = 0.0,
    ward: bool = False,
    same: float = np.inf,
) -> np.ndarray:
    """Average linkage of groups given by the sums of their unit rows and their sizes.

    Groups are joined, most alike first, while they are at least ``threshold``
    alike or there are more than ``bounds[1]``, down to ``bounds[0]``, and below
    that while they are at least ``same`` alike. With
    ``place`` (the sum of each group's positions), ``penalty`` times how far
    apart two groups happen is taken off their likeness. Returns the group
    (0..g-1, in order of first member) of each input group.
    """
    k = len(sums)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    dots = np.asarray(sums, dtype=np.float64) @ np.asarray(sums, dtype=np.float64).T
    m = np.asarray(mass, dtype=np.float64).copy()
    where = np.zeros(k) if place is None else np.asarray(place, dtype=np.float64).copy()
    alive = np.ones(k, dtype=bool)
    owner = np.arange(k)
    low, high = bounds
    count = k
    while count > 1:
        if ward:
            norm = np.diag(dots) / (m * m)
            cross = dots / np.outer(m, m)
            cost = np.outer(m, m) / np.add.outer(m, m) * (norm[:, None] + norm[None, :] - 2 * cross)
            sim = -cost / m.sum() * len(m)
        else:
            sim = dots / np.outer(m, m)
        if penalty:
            at = where / m
            sim = sim - penalty * np.abs(at[:, None] - at[None, :])
        sim[~alive, :] = -np.inf
        sim[:, ~alive] = -np.inf
        np.fill_diagonal(sim, -np.inf)
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[a, b] < threshold and count <= high:
            break
        if count <= low and sim[a, b] < same:
            break
        a, b = min(a, b), max(a, b)
        dots[a, :] += dots[b, :]
        dots[:, a] += dots[:, b]
        m[a] += m[b]
        where[a] += where[b]
        alive[b] = False
        owner[owner == b] = a
        count -= 1
    _, out = np.unique(owner, return_inverse=True)
    return np.asarray(out, dtype=np.int64)


def refine(x: np.ndarray, w: np.ndarray, assign: np.ndarray, passes: int) -> np.ndarray:
    """Each row to its nearest group centre, ``passes`` times; groups never vanish."""
    for _ in range(passes):
        k = int(assign.max()) + 1
        again = nearest(x, centres(x, assign, k, w))
        if len(np.unique(again)) < k:
            break
        assign = again
    return assign


def align(
    x: np.ndarray, keys: list[str], options: AlignOptions, threshold: float, journeys: int
) -> np.ndarray:
    """The group (moment) of each step, numbered 0..k-1; ``x`` from ``features``."""
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    of, px, pw = points(keys, x)
    micro = kmeans(px, pw, min(options.micro, len(px)))
    # Clusters of fewer steps than half the moment size worth a column join in later.
    smallest = options.min_share * 0.5 * journeys
    group = join(px, pw, micro, threshold, options.columns, smallest, options.same)
    group = refine(px, pw, group, options.refine_passes)
    _, group = np.unique(group, return_inverse=True)
    return np.asarray(group[of], dtype=np.int64)


def centres(x: np.ndarray, assign: np.ndarray, k: int, w: np.ndarray | None = None) -> np.ndarray:
    """Unit centre of each group (weighted)."""
    return unit_rows(group_sums(x, assign, k, w).astype(np.float32))


def group_sums(
    x: np.ndarray,
    assign: np.ndarray,
    k: int,
    w: np.ndarray | None = None,
    exact: bool = False,
) -> np.ndarray:
    """Sum of the (weighted) rows of each group, k rows (zero for an empty group).

    ``exact`` sums in float64 in row order (the same bits for the same rows in the same
    order); otherwise a few groups are summed by one float32 product with the membership
    matrix, which is several times faster.
    """
    out = np.zeros((k, x.shape[1]), dtype=np.float64)
    if len(x) == 0:
        return out
    if k <= 256 and not exact:
        members = np.zeros((k, len(x)), dtype=np.float32)
        members[assign, np.arange(len(x))] = 1.0 if w is None else w
        return np.asarray(members @ np.asarray(x, dtype=np.float32), dtype=np.float64)
    rows, ids, weights = np.asarray(x), assign, w
    if bool(np.any(assign[1:] < assign[:-1])):  # rows already in group order need no copy
        order = np.argsort(assign, kind="stable")
        rows, ids = rows[order], assign[order]
        weights = None if w is None else w[order]
    if weights is not None:
        rows = rows * np.asarray(weights, dtype=rows.dtype)[:, None]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    if exact:
        out[ids[starts]] = _in_order(rows, starts)
    else:
        out[ids[starts]] = run_sums(rows, starts)
    return out


def run_sums(rows: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The sums of the runs of rows beginning at ``starts``: the bits of
    ``np.add.reduceat(rows, starts, axis=0)``, four times faster, by summing all runs of
    one length at once in the order numpy adds a run (its first row plus the pairwise sum
    of the others)."""
    counts = np.diff(np.r_[starts, len(rows)])
    out = np.empty((len(starts), rows.shape[1]), dtype=rows.dtype)
    for n in np.unique(counts):
        which = np.flatnonzero(counts == n)
        first = starts[which]
        out[which] = rows[first]
        if n > 1:
            out[which] += _pairwise(rows[first[:, None] + np.arange(1, n)])
    return out


def _pairwise(block: np.ndarray) -> np.ndarray:
    """Sums along the second axis of ``block`` (runs, rows, columns), added as numpy's
    pairwise summation adds one run: one by one under 8 rows, in 8 partial sums up to 128,
    halves beyond."""
    n = block.shape[1]
    if n < 8:
        total = np.full((block.shape[0], block.shape[2]), -0.0, dtype=block.dtype)
        for i in range(n):
            total += block[:, i]
        return total
    if n <= 128:
        partial = block[:, :8].copy()
        end = n - n % 8
        for i in range(8, end, 8):
            partial += block[:, i : i + 8]
        p = [partial[:, j] for j in range(8)]
        total = np.asarray(((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7])))
        for i in range(end, n):
            total += block[:, i]
        return total
    half = n // 2
    half -= half % 8
    return np.asarray(_pairwise(block[:, :half]) + _pairwise(block[:, half:]))


def _in_order(rows: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Float64 sums of the runs of rows beginning at ``starts``, each added in row order:
    the bits of ``np.add.reduceat(rows, starts, axis=0, dtype=np.float64)``, five times
    faster, by adding every run's j-th row at once (runs longest first)."""
    counts = np.diff(np.r_[starts, len(rows)])
    by = np.argsort(-counts, kind="stable")
    first, length = starts[by], counts[by]
    total = rows[first].astype(np.float64)
    for j in range(1, int(length[0]) if len(length) else 0):
        still = int(np.searchsorted(-length, -j, side="left"))  # runs longer than j
        total[:still] += rows[first[:still] + j]
    out = np.empty(total.shape, dtype=np.float64)
    out[by] = total
    return out


def nearest(x: np.ndarray, c: np.ndarray, batch: int = 65536) -> np.ndarray:
    """Index of the most similar centre of each row."""
    out = np.empty(len(x), dtype=np.int64)
    for start in range(0, len(x), batch):
        out[start : start + batch] = np.argmax(x[start : start + batch] @ c.T, axis=1)
    return out
