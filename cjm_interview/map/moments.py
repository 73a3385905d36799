"""From aligned steps to the map's moments and stages.

1. ``align`` groups the steps into moments; a moment told at two distinct places of
   the journey ("on time" at boarding and on landing) is two (``split_by_place``).
2. A moment whose members graded it far apart (a step that went well for some
   and badly for others: "bags came off quick", "they lost my bag") is split in
   two, each marked with how it went.
3. Each moment gets its stage: declared by the scripts (placed by meaning), or
   found in the data. Where what kind of act a step is leads (topics tell nothing of
   where steps happen, as in complaints) and no stage is declared, the stages come
   first: each step goes to the stage of the role it most likely plays, and the
   moments are formed inside each stage.
4. Moments reached by too few journeys are folded into the most similar moment
   of their stage: they are counted there, and take no column of their own.
5. Each moment is labelled by what its members did (``labels.moment_label``).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from cjm_interview.domain import Script
from cjm_interview.map import acts, prototypes
from cjm_interview.map import stages as stage_rules
from cjm_interview.map.acts import ROLE_STAGES
from cjm_interview.map.align import (
    AlignOptions,
    act_share,
    align,
    centres,
    features,
    reweigh,
    topic_order,
)
from cjm_interview.map.edits import unique_key
from cjm_interview.map.journeys import Journey, Step
from cjm_interview.map.labels import moment_label, normalise, step_grade
from cjm_interview.map.model import Stage, StepGroup
from cjm_interview.map.vectors import Parts, part_vectors, text_vectors
from cjm_interview.store import Store

STAGE_THRESHOLD = 0.25  # found stages: moments at least this alike (less distance) join
ROLE_MARGIN = 0.3  # a group is named by its role when it stands this far above the next


@dataclass
class Moments:
    """The algorithm's moments and stages, before researchers' edits."""

    groups: list[StepGroup]
    stages: list[Stage]
    act_weight: float = 0.0  # the weight the act was given
    topic_order: float = 0.0  # how much of where steps happen their topics explain
    parts_missing: int = 0  # openings and clauses read without a vector (``Parts.missing``)


def form_moments(
    store: Store,
    steps: Sequence[Step],
    journeys: Sequence[Journey],
    vectors: np.ndarray,
    representation: str,
    scripts: Sequence[Script],
    options: AlignOptions,
    encode_missing: bool,
    progress: bool = False,
    most_act: float = 0.0,
) -> Moments:
    """The moments (columns) and stages of the steps told; ``most_act`` is the act's weight
    when topics tell nothing of where steps happen (``align.act_share``)."""
    if not steps:
        return Moments([], stage_rules.declared(scripts))
    journey = np.repeat(np.arange(len(journeys)), [len(j.steps) for j in journeys])
    relative = np.asarray([s.relative for s in steps], dtype=np.float32)
    told = part_vectors(store, steps, vectors, representation, encode_missing, progress)
    act = act_profile(steps, vectors, told, representation)
    keys = [f"{normalise(s.action)}|{round(s.relative * 4)}" for s in steps]
    # Built with the act at weight 1, then weighed by how little topics tell of time.
    x = features(vectors, journey, relative, options.centre or 0.0, options.position_weight or 0.0,
                 act.rows, 1.0)  # fmt: skip
    dims = vectors.shape[1]
    order = topic_order(x, keys, relative, dims, options.columns[1])
    weight = options.act_weight if options.act_weight is not None else act_share(order, most_act)
    reweigh(x, slice(dims, dims + act.rows.shape[1]), weight)
    # Roles name groups, and make the stages, only where the act weighed in their making.
    led = weight >= 0.5 * most_act > 0
    roles = act.roles if led else None
    by_role = None
    if led and act.likely is not None and not stage_rules.declared(scripts):
        by_role = acts.role_stages(act.likely)
        assign = align_by_stage(x, keys, relative, by_role, options, len(journeys))
    else:
        assign = align_by_place(x, keys, relative, options, len(journeys))
    grades = [step_grade(s)[0] for s in steps]
    assign, outcome = split_by_grade(assign, grades, options.grade_gap, len(journeys))
    k = int(assign.max()) + 1
    position = np.asarray(
        [np.median(relative[assign == g]) if (assign == g).any() else 0.5 for g in range(k)]
    )
    if by_role is not None:
        stage_of, stages = role_led_stages(assign, by_role)
    else:
        stage_of, stages = assign_stages(
            store, steps, vectors, x, assign, position, representation, scripts, options,
            encode_missing,
        )  # fmt: skip
    target = fold_small(x, assign, stage_of, journey, len(journeys), options.min_share)
    kept, renumber = np.unique(target, return_inverse=True)
    assign = renumber[assign]
    stage_of = stage_of[kept]
    outcome = {int(renumber[g]): how for g, how in outcome.items() if target[g] == g}
    members: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(assign):
        members[int(g)].append(i)
    also = counted_twice(told, vectors, assign, stage_of)
    groups: list[StepGroup] = []
    taken: set[str] = set()
    c = centres(x, assign, int(assign.max()) + 1)
    closeness = np.einsum("ij,ij->i", x, c[assign])
    for g in sorted(members):
        label = moment_label(
            [steps[i] for i in members[g]],
            fallback=role_name(roles, members[g]),
            said=[acts.main_said(steps[i].action) for i in members[g]],
            closeness=closeness[members[g]],
        )
        if outcome.get(g):
            label = f"{label} ({outcome[g]})"
        key = unique_key(label, taken)
        taken.add(key)
        group = StepGroup(key, label, members[g], stage=stages[stage_of[g]].key if stages else "")
        group.outcome = outcome.get(g, "")
        group.also = also.get(g, [])
        group.typical = typical_first(members[g], closeness, steps)
        groups.append(group)
    return Moments(groups, stages, weight, order, told.missing)


def act_profile(
    steps: Sequence[Step], vectors: np.ndarray, told: Parts, representation: str
) -> acts.Profile:
    """What kind of act each step is (``acts.profile``): the role the shipped head reads in
    its sentence vectors and words, when the steps have vectors, and the cues of its main
    clause."""
    texts = [s.action for s in steps]
    head = prototypes.role_head(representation)  # None with words, or another model
    if head is None or head.dimensions != vectors.shape[1]:
        return acts.profile(texts)
    return acts.profile(texts, vectors, told.opening, head, told.opening_texts)


def typical_first(members: list[int], closeness: np.ndarray, steps: Sequence[Step]) -> list[int]:
    """Members, the closest to their moment's centre first; ties by what they said, so that
    the order is the same whatever order the sessions came in."""
    near = dict(zip(members, np.round(closeness[members], 6).tolist(), strict=True))

    def rank(i: int) -> tuple[float, str, list[str]]:
        return -near[i], steps[i].action, sorted(text for _, text in steps[i].texts.values())

    return sorted(members, key=rank)


def split_by_grade(
    assign: np.ndarray, grades: Sequence[float | None], gap: float, journeys: int
) -> tuple[np.ndarray, dict[int, str]]:
    """Moments whose graded members fall in two camps at least ``gap`` apart, split in two.

    A camp must hold a fifth of the graded members and 2 % of the journeys: shares, not
    counts, so that a study told twice over is split as the study itself was.
    """
    assign = assign.copy()
    outcome: dict[int, str] = {}
    values = np.asarray([np.nan if g is None else g for g in grades], dtype=np.float64)
    k = int(assign.max()) + 1 if len(assign) else 0
    for g in range(k):
        rows = np.flatnonzero(assign == g)
        known = rows[~np.isnan(values[rows])]
        low, high = known[values[known] <= 4], known[values[known] >= 7]
        least = max(0.2 * len(known), 0.02 * journeys)
        if len(low) < least or len(high) < least:
            continue
        if values[high].mean() - values[low].mean() < gap:
            continue
        new = int(assign.max()) + 1
        # Middle grades and ungraded members stay with the larger camp.
        went_well = high if len(high) < len(low) else low
        assign[went_well] = new
        outcome[g], outcome[new] = (
            ("went badly", "went well") if len(high) < len(low) else ("went well", "went badly")
        )
    return assign, outcome


def align_by_place(
    x: np.ndarray, keys: list[str], relative: np.ndarray, options: AlignOptions, journeys: int
) -> np.ndarray:
    """The moments (``align``), those told at two distinct places split (``split_by_place``),
    within ``options.columns``: while the splits pass the most, the steps are aligned again
    into as many fewer moments as there were columns too many."""
    threshold = options.threshold or 0.0
    assign = align(x, keys, options, threshold, journeys)
    low, high = options.columns
    if len(assign) == 0 or high < 2:  # a moment splits in two at most
        return assign
    fewer = int(assign.max()) + 1
    split = split_by_place(assign, relative, journeys)
    while int(split.max()) + 1 > high and fewer > 1:
        fewer = max(1, fewer - (int(split.max()) + 1 - high))
        inner = replace(options, columns=(min(low, fewer), fewer))
        split = split_by_place(align(x, keys, inner, threshold, journeys), relative, journeys)
    return split


def align_by_stage(
    x: np.ndarray,
    keys: list[str],
    relative: np.ndarray,
    stage: np.ndarray,
    options: AlignOptions,
    journeys: int,
) -> np.ndarray:
    """Moments formed inside each stage (``align_by_place``), the columns allowed shared out
    by the stages' sizes (``share_out``); numbered stage after stage."""
    assign = np.zeros(len(keys), dtype=np.int64)
    found = np.unique(stage)
    sizes = [int(np.sum(stage == s)) for s in found]
    low, high = options.columns
    taken = 0
    for s, least, most in zip(found, share_out(sizes, low), share_out(sizes, high), strict=True):
        rows = np.flatnonzero(stage == s)
        inner = replace(options, columns=(min(least, most), most))
        moments = align_by_place(x[rows], [keys[i] for i in rows], relative[rows], inner, journeys)
        assign[rows] = moments + taken
        taken += int(moments.max()) + 1
    return assign


def share_out(sizes: Sequence[int], total: int) -> list[int]:
    """``total`` columns shared out in proportion to ``sizes``, one at least each (largest
    remainders: the shares add up to ``total`` unless there are more sizes than columns)."""
    quotas = [total * n / max(sum(sizes), 1) for n in sizes]
    shares = [max(1, int(q)) for q in quotas]
    # A share raised to one has had more than its quota already: it comes last.
    by_remainder = sorted(range(len(sizes)), key=lambda i: (shares[i] - quotas[i], i))
    for i in by_remainder[: max(0, total - sum(shares))]:
        shares[i] += 1
    return shares


def role_led_stages(assign: np.ndarray, stage: np.ndarray) -> tuple[np.ndarray, list[Stage]]:
    """The stages of moments formed inside the role stages (``align_by_stage``): each
    moment's stage (every member has it; a grade split keeps it) and the stages that hold
    a step, in the order of a journey (``acts.ROLE_STAGES``), wherever the steps were told:
    a complaint may open with the answer it got, and background is told anywhere."""
    of_moment = np.zeros(int(assign.max()) + 1, dtype=np.int64)
    of_moment[assign] = stage
    present = [int(s) for s in np.unique(stage)]
    rank = {s: i for i, s in enumerate(present)}
    stages = [
        Stage(ROLE_STAGES[s].key, ROLE_STAGES[s].label, "", False, float(s), by_role=True)
        for s in present
    ]
    return np.asarray([rank[int(s)] for s in of_moment], dtype=np.int64), stages


PLACE_SEPARATION = 5.0  # camps of a moment this far apart (Ashman's D) are two moments
PLACE_GAP = 0.4  # ... and this far apart in the journey (places of short journeys are coarse)


def split_by_place(assign: np.ndarray, relative: np.ndarray, journeys: int) -> np.ndarray:
    """Moments told at two distinct places of the journey, split in two ("on time" at
    boarding and on landing).

    A moment's relative places are cut where two camps are most compact (1-D 2-means); the
    camps are two moments when each holds a fifth of the members and 2 % of the journeys
    and 3 people, and they stand ``PLACE_SEPARATION`` apart in units of their spread
    (Ashman's D: places spread evenly over the journey give about 3.5) and ``PLACE_GAP``
    of a journey apart (the places of journeys of a few steps are so coarse that camps a
    step apart look far apart in units of their spread).
    """
    assign = assign.copy()
    k = int(assign.max()) + 1 if len(assign) else 0
    for g in range(k):
        rows = np.flatnonzero(assign == g)
        least = max(0.2 * len(rows), 0.02 * journeys, 3)
        if len(rows) < 2 * least:
            continue
        order = rows[np.argsort(relative[rows], kind="stable")]
        where = relative[order].astype(np.float64)
        cut, d = _two_camps(where, int(np.ceil(least)))
        if d >= PLACE_SEPARATION and where[cut:].mean() - where[:cut].mean() >= PLACE_GAP:
            # By value, not by row: tied places never part, whatever the sessions' order.
            assign[rows[relative[rows] > where[cut - 1]]] = int(assign.max()) + 1
    return assign


def _two_camps(where: np.ndarray, least: int) -> tuple[int, float]:
    """Where sorted values split into the two most compact camps of at least ``least``
    values each, and how far apart the camps are (Ashman's D)."""
    n = len(where)
    cuts = np.arange(least, n - least + 1)
    if len(cuts) == 0:
        return n, 0.0
    total, squares = np.cumsum(where), np.cumsum(where**2)
    left_sum, left_sq = total[cuts - 1], squares[cuts - 1]
    right_sum, right_sq = total[-1] - left_sum, squares[-1] - left_sq
    left_var = left_sq / cuts - (left_sum / cuts) ** 2
    right_var = right_sq / (n - cuts) - (right_sum / (n - cuts)) ** 2
    best = int(np.argmin(left_var * cuts + right_var * (n - cuts)))
    gap = right_sum[best] / (n - cuts[best]) - left_sum[best] / cuts[best]
    spread = np.sqrt(max(left_var[best] + right_var[best], 0.0) + 1e-6)
    return int(cuts[best]), float(np.sqrt(2) * gap / spread)


def assign_stages(
    store: Store,
    steps: Sequence[Step],
    vectors: np.ndarray,
    x: np.ndarray,
    assign: np.ndarray,
    position: np.ndarray,
    representation: str,
    scripts: Sequence[Script],
    options: AlignOptions,
    encode_missing: bool,
) -> tuple[np.ndarray, list[Stage]]:
    """The stage (index into the stages) of each moment, and the stages in journey order."""
    k = len(position)
    declared = stage_rules.declared(scripts)
    if declared:
        texts = [stage_rules.stage_texts(s) for s in declared]
        found = text_vectors(store, [t for ts in texts for t in ts], representation,
                             encode_missing)  # fmt: skip
        if found is not None and found.shape[1] == vectors.shape[1]:
            found = found / np.maximum(np.linalg.norm(found, axis=1, keepdims=True), 1e-9)
            bounds = np.cumsum([0, *(len(ts) for ts in texts)])
            blocks = [found[a:b] for a, b in itertools.pairwise(bounds)]
            return stage_rules.place(centres(vectors, assign, k), position, blocks), declared
        # No vectors for the descriptions here: the stage expected at each moment's place.
        index = np.minimum((position * len(declared)).astype(np.int64), len(declared) - 1)
        return index, declared
    mass = np.bincount(assign, minlength=k).astype(np.float64)
    c = centres(x[:, :-1], assign, k)
    stage_of = stage_rules.discover(c, mass, position, options.stages, STAGE_THRESHOLD)
    count = int(stage_of.max()) + 1
    of_step = stage_of[assign]
    middle = centres(x, of_step, count)
    names = []
    for s in range(count):
        inside = [int(i) for i in np.flatnonzero(of_step == s)]
        near = x[inside] @ middle[s]
        clause = moment_label([steps[i] for i in inside],
                              said=[acts.main_said(steps[i].action) for i in inside],
                              closeness=near)  # fmt: skip
        names.append(clause)
    orders = [float(np.median(position[stage_of == s])) for s in range(count)]
    return stage_of, stage_rules.named(names, orders)


def role_name(roles: np.ndarray | None, members: Sequence[int]) -> str:
    """The name of the role the members' steps play, when it stands out ("" if none)."""
    role, margin = acts.role_of(roles, members)
    return role.name if role is not None and margin >= ROLE_MARGIN else ""


def counted_twice(
    told: Parts, vectors: np.ndarray, assign: np.ndarray, stage_of: np.ndarray
) -> dict[int, list[int]]:
    """Steps whose other clause tells a moment of another stage: the moment -> those steps.

    A clause counts there when that moment is the one it is most alike, closer to it than
    to its own step's moment, and as close as the moment's own members typically are.
    """
    if len(told.clause_step) == 0 or len(assign) == 0:
        return {}
    k = int(assign.max()) + 1
    c = centres(vectors, assign, k)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    own = np.einsum("ij,ij->i", unit, c[assign])
    typical = np.asarray([np.median(own[assign == g]) if (assign == g).any() else 1.0
                          for g in range(k)])  # fmt: skip
    clauses = told.clauses / np.maximum(np.linalg.norm(told.clauses, axis=1, keepdims=True), 1e-9)
    sims = clauses @ c.T
    best = np.argmax(sims, axis=1)
    found: dict[int, set[int]] = defaultdict(set)
    for row, (i, g) in enumerate(zip(told.clause_step, best, strict=True)):
        home = assign[i]
        if stage_of[g] == stage_of[home] or sims[row, g] < typical[g]:
            continue
        if sims[row, g] > sims[row, home]:
            found[int(g)].add(int(i))
    return {g: sorted(steps) for g, steps in found.items()}


def fold_small(
    x: np.ndarray,
    assign: np.ndarray,
    stage_of: np.ndarray,
    journey: np.ndarray,
    journeys: int,
    min_share: float,
) -> np.ndarray:
    """The moment each moment ends up in: those reached by fewer than ``min_share`` of the
    journeys join the most similar moment of their stage (none there: they keep their column)."""
    k = int(assign.max()) + 1
    reach = np.asarray([len(np.unique(journey[assign == g])) for g in range(k)])
    small = [g for g in range(k) if reach[g] < min_share * journeys]
    c = centres(x, assign, k)
    target = np.arange(k)
    if not small or len(small) == k:
        return target
    for g in sorted(small, key=lambda g: reach[g]):
        peers = [h for h in range(k) if h != g and stage_of[h] == stage_of[g] and h not in small]
        if peers:
            sims = c[peers] @ c[g]
            target[g] = peers[int(np.argmax(sims))]
    return target
