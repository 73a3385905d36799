"""The composite map: load, align, label, apply edits and summarise."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import gc
import itertools
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cjm_interview.map import beside as beside_module
from cjm_interview.map.align import DEFAULTS, AlignOptions
from cjm_interview.map.beside import Beside, reader
from cjm_interview.map.edits import anchor_of, apply_edits, load_edits, stage_anchors
from cjm_interview.map.journeys import Filters, Journey, Step, load_journeys, session_scripts
from cjm_interview.map.model import Stage, StepGroup
from cjm_interview.map.moments import Moments, form_moments
from cjm_interview.map.quotes import link_quotes
from cjm_interview.map.summary import (
    THIN,
    add_flow,
    channel_names,
    distribution,
    is_non_answer,
    name_channels,
    pain_points,
    phrases,
    summarise,
)
from cjm_interview.map.themes import themes
from cjm_interview.map.vectors import ENCODER, KnownVectors, step_vectors
from cjm_interview.store import Store

SCHEMA_VERSION = "2.4"


@dataclass
class CompositeMap:
    """Everything a composite journey map shows; ``data`` is the JSON export.

    The step-level views (which composite step each step told went to, the
    phrasings of each group) are worked out when first asked for.
    """

    data: dict[str, Any]
    steps_told: Sequence[Step] = field(default=(), repr=False)
    groups: Sequence[StepGroup] = field(default=(), repr=False)

    @property
    def steps(self) -> list[dict[str, Any]]:
        return list(self.data["steps"])

    @functools.cached_property
    def assignments(self) -> dict[tuple[str, int], str]:
        """(session id, step position) -> key of the composite step it was put in."""
        steps = self.steps_told
        return {
            (steps[i].session_id, steps[i].position): g.key for g in self.groups for i in g.members
        }

    @functools.cached_property
    def placed(self) -> dict[tuple[str, int], tuple[int, str]]:
        """(session id, iteration) -> (position in the journey, composite step key)."""
        steps = self.steps_told
        return {
            (steps[i].session_id, steps[i].iteration): (steps[i].position, g.key)
            for g in self.groups
            for i in g.members
        }

    @functools.cached_property
    def anchors(self) -> dict[str, list[str]]:
        """Composite step key -> its most frequent phrasings (recorded with edits)."""
        return {g.key: anchor_of(g, self.steps_told) for g in self.groups}

    @functools.cached_property
    def stage_anchors(self) -> dict[str, list[str]]:
        """Stage key -> the most frequent phrasings of its moments (recorded with edits)."""
        return stage_anchors(self.groups, self.steps_told)


# How the stages were made, as the map says it.
STAGES_FROM = {
    "script": "declared in the script",
    "roles": "by the role each step plays",
    "data": "found in the data",
}


def build_map(
    store: Store,
    filters: Filters | None = None,
    options: AlignOptions | None = None,
    encode_missing: bool = True,
    progress: bool = False,
) -> CompositeMap:
    """Load, align and summarise the selected sessions."""
    with gc_paused(), one_blas_thread():
        return _build_map(
            store, filters or Filters(), options or AlignOptions(), encode_missing, progress
        )


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's BLAS on one thread for a while. A map's products are too small to gain
    from more, and on a busy machine the threads OpenBLAS keeps waiting spin on the cores
    others need: a third of the time of a map of 10,000 sessions, at a load of 2 on 2
    cores. (Maps of the benchmark's studies came out the same byte for byte.)"""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off for a while. A map holds hundreds of thousands of small
    objects, none of them cyclic garbage: each full collection rescans them all (half a
    second for 10,000 sessions), and building or rendering a map would trigger several."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            settle_young_objects()
            gc.enable()


def settle_young_objects() -> None:
    """Move the objects made while the collector was off straight to its oldest generation.

    They all sit in the youngest one, so the first collection after the pause would
    scan every one of them (0.47 s after a map of 10,000 sessions, for nothing).
    ``freeze`` then ``unfreeze`` moves them without scanning; any cycle among them is
    still collected by the next full collection. Skipped when something else froze
    objects on purpose (``unfreeze`` would release those too).
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _build_map(
    store: Store,
    filters: Filters,
    options: AlignOptions,
    encode_missing: bool,
    progress: bool,
) -> CompositeMap:
    journeys = load_journeys(store, filters)
    steps = [s for j in journeys for s in j.steps]
    vectors, representation, fallback, known = step_vectors(store, steps, encode_missing, progress)
    threshold, weight, centre, act = DEFAULTS.get(representation, DEFAULTS[ENCODER])
    options = dataclasses.replace(
        options,
        threshold=options.threshold if options.threshold is not None else threshold,
        position_weight=options.position_weight if options.position_weight is not None else weight,
        centre=options.centre if options.centre is not None else centre,
    )
    scripts = session_scripts(store, journeys) if journeys else []
    primary = primary_perspective(journeys)
    pains_of = pains_by_step(steps, primary)
    # The themes need nothing the moments make: on the other core while they are formed.
    beside = Beside(
        functools.partial(
            study_themes, store, journeys, steps, pains_of, primary, known, os.getpid()
        ),
        fork=len(steps) >= beside_module.LEAST_STEPS and str(store.path) != ":memory:",
    )
    try:
        moments = form_moments(store, steps, journeys, vectors, representation, scripts, options,
                               encode_missing, progress, act)  # fmt: skip
        return _summarised(store, filters, journeys, steps, moments, options, representation,
                           fallback, pains_of, beside, channel_names(scripts))  # fmt: skip
    finally:
        beside.cancel()


def _summarised(
    store: Store,
    filters: Filters,
    journeys: Sequence[Journey],
    steps: Sequence[Step],
    moments: Moments,
    options: AlignOptions,
    representation: str,
    fallback: str,
    pains_of: dict[int, list[tuple[int, str]]],
    beside: Beside[dict[str, list[dict[str, Any]]]],
    channels: dict[str, str],
) -> CompositeMap:
    options = dataclasses.replace(options, act_weight=round(moments.act_weight, 3))
    groups, stages, unmatched = apply_edits(
        moments.groups, moments.stages, steps, load_edits(store)
    )
    for group in groups:
        group.position = float(np.median([steps[i].relative for i in group.members]))
        group.also = sorted(set(group.also) - set(group.members))
    stage_rank = {s.key: rank for rank, s in enumerate(sorted(stages, key=lambda s: s.order))}
    groups.sort(key=lambda g: (stage_rank.get(g.stage, len(stage_rank)), g.position, g.key))
    used = {g.stage for g in groups}
    stages = [s for s in sorted(stages, key=lambda s: s.order) if s.key in used]
    cmap = summarise_map(store, filters, journeys, steps, groups, stages, unmatched,
                         representation, fallback, options, moments.topic_order,
                         pains_of, beside.result())  # fmt: skip
    for step in cmap.data["steps"]:
        name_channels(step["touchpoints"], channels)
    if moments.parts_missing:
        # Said only when it happens: a map with every vector is as it was.
        cmap.data["alignment"]["parts_not_encoded"] = moments.parts_missing
    return cmap


def primary_perspective(journeys: Sequence[Journey]) -> str:
    """Whose figures head the map: customers', else the perspective most sessions have."""
    perspectives = Counter(j.session["perspective"] for j in journeys)
    primary = "customer" if perspectives.get("customer") or not perspectives else "staff"
    if primary not in perspectives and perspectives:
        primary = perspectives.most_common(1)[0][0]
    return primary


def pains_by_step(steps: Sequence[Step], primary: str) -> dict[int, list[tuple[int, str]]]:
    """Step index -> its pain points ((answer id, text)), for the ``primary`` perspective."""
    return {
        i: found
        for i, s in enumerate(steps)
        if s.perspective == primary and (found := pain_points(s, step_grade_given(s)))
    }


def study_themes(
    store: Store,
    journeys: Sequence[Journey],
    steps: Sequence[Step],
    pains_of: dict[int, list[tuple[int, str]]],
    primary: str,
    known: KnownVectors | None,
    parent: int,
) -> dict[str, list[dict[str, Any]]]:
    """The themes of the whole-journey answers and of the pain points (``themes``), here
    or in a child forked from process ``parent`` (``beside.reader``)."""
    with reader(store, parent) as conn:
        return _themes(conn, journeys, steps, pains_of, primary, known)


def _themes(
    conn: sqlite3.Connection,
    journeys: Sequence[Journey],
    steps: Sequence[Step],
    pains_of: dict[int, list[tuple[int, str]]],
    primary: str,
    known: KnownVectors | None,
) -> dict[str, list[dict[str, Any]]]:
    def answers(field_name: str) -> list[tuple[str, str, int]]:
        return [
            (j.texts[field_name][1], j.session["id"], j.texts[field_name][0])
            for j in journeys
            if field_name in j.texts
            and j.session["perspective"] == primary
            and not is_non_answer(j.texts[field_name][1])
        ]

    pains = [
        (text, steps[i].session_id, answer_id)
        for i, found in sorted(pains_of.items())
        for answer_id, text in found
    ]
    return {
        "outcomes": themes(conn, answers("outcome")),
        "improvements": themes(conn, answers("improvement")),
        "ideal_journeys": themes(conn, answers("ideal_journey")),
        "pain_points": themes(conn, pains, known=known),  # many are steps' actions
    }


def summarise_map(
    store: Store,
    filters: Filters,
    journeys: Sequence[Journey],
    steps: Sequence[Step],
    groups: list[StepGroup],
    stages: list[Stage],
    unmatched: list[dict[str, Any]],
    representation: str,
    fallback: str,
    options: AlignOptions,
    topic_order: float,
    pains_of: dict[int, list[tuple[int, str]]],
    themes_found: dict[str, list[dict[str, Any]]],
) -> CompositeMap:
    """The map's JSON: stages, moments and what each holds, paths, themes and gaps
    (``pains_of`` and ``themes_found`` from ``pains_by_step`` and ``study_themes``)."""
    n_sessions = len(journeys)
    perspectives = Counter(j.session["perspective"] for j in journeys)
    # Customer figures come from customers; a map of staff alone reads staff's.
    primary = primary_perspective(journeys)
    step_entries = [
        summarise(group, steps, dict(perspectives), primary, pains_of) for group in groups
    ]
    link_quotes(store, step_entries)
    group_of = {i: index for index, group in enumerate(groups) for i in group.members}

    # Paths: the primary side's journeys (customers') that move from one moment to the next,
    # with start and end; two steps told in one moment in a row are one stay, not a move.
    transitions: Counter[tuple[str, str]] = Counter()
    back: Counter[str] = Counter()
    order = {group.key: index for index, group in enumerate(groups)}
    offset = 0
    for journey in journeys:
        keys = [groups[group_of[offset + k]].key for k in range(len(journey.steps))]
        offset += len(journey.steps)
        if journey.session["perspective"] != primary:
            continue
        moves = set(itertools.pairwise(["start", *(k for k, _ in itertools.groupby(keys)), "end"]))
        transitions.update(moves)
        back.update({a for a, b in moves if b != "end" and a != "start" and order[b] < order[a]})
    # Ties by their keys: counted from sets, their order was the string hash's, which
    # differs from one process to the next.
    ranked = sorted(transitions.items(), key=lambda kv: (-kv[1], kv[0]))
    paths = [{"from": a, "to": b, "count": c} for (a, b), c in ranked]
    add_flow(step_entries, transitions, back)

    def overall(perspective: str | None) -> dict[str, Any]:
        return distribution(
            [
                float(j.fields["overall.grade"])
                for j in journeys
                if (perspective is None or j.session["perspective"] == perspective)
                and j.fields.get("overall.grade").__class__ in (int, float)
            ]
        )

    gaps = [
        {
            "key": s["key"],
            "label": s["label"],
            "customer_mean": s["by_perspective"]["customer"]["mean"],
            "staff_mean": s["by_perspective"]["staff"]["mean"],
            "customer_n": s["by_perspective"]["customer"]["n"],
            "staff_n": s["by_perspective"]["staff"]["n"],
            "gap": round(
                s["by_perspective"]["staff"]["mean"] - s["by_perspective"]["customer"]["mean"], 2
            ),
            "thin": min(s["by_perspective"]["customer"]["n"], s["by_perspective"]["staff"]["n"])
            < THIN,
        }
        for s in step_entries
        if s["by_perspective"].get("customer", {}).get("mean") is not None
        and s["by_perspective"].get("staff", {}).get("mean") is not None
    ]
    # The largest gaps first, those that rest on too few answers on either side after them.
    gaps.sort(key=lambda g: (g["thin"], -abs(g["gap"])))
    stage_entries = []
    for stage in stages:
        inside = [s for s in step_entries if s["stage"] == stage.key]
        reached = {
            steps[i].session_id
            for g in groups
            if g.stage == stage.key
            for i in g.members
            if steps[i].perspective == primary
        }
        stage_entries.append(
            {
                "key": stage.key,
                "label": stage.label,
                "description": stage.description,
                "declared": stage.declared,
                "edited": stage.edited,
                "aliases": list(stage.aliases),
                "steps": [s["key"] for s in inside],
                "participants": len(reached),
                "mentions": sum(s["mentions"] for s in inside),
            }
        )
    participant = {j.session["id"]: j.session.get("participant") or "" for j in journeys}
    also: dict[int, list[dict[str, str]]] = {}
    for group in groups:
        for i in group.also:
            also.setdefault(i, []).append({"step": group.key, "stage": group.stage})
    placements = [
        {
            "session_id": steps[i].session_id,
            "participant": participant[steps[i].session_id],
            "position": steps[i].position,
            "iteration": steps[i].iteration,
            "step": group.key,
            "stage": group.stage,
            **({"also": also[i]} if i in also else {}),
        }
        for group in groups
        for i in group.members
    ]
    placements.sort(key=lambda p: (p["session_id"], p["position"]))

    declared = any(s.declared for s in stages)
    made_by = "script" if declared else "roles" if any(s.by_role for s in stages) else "data"
    data = {
        "schema": "cjm-composite-map",
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "filters": {k: v for k, v in filters.__dict__.items() if v not in (None, False)},
        "filters_text": filters.describe(),
        "sessions": n_sessions,
        "primary_perspective": primary,
        "perspectives": dict(perspectives),
        "segments": dict(Counter(j.session["segment"] or "" for j in journeys)),
        "scripts": sorted(
            {f"{j.session['script_id']} v{j.session['script_version']}" for j in journeys}
        ),
        "alignment": {
            "representation": representation,
            "fallback_reason": fallback or None,
            "threshold": options.threshold,
            "position_weight": options.position_weight,
            "centre": options.centre,
            "act_weight": options.act_weight,
            "topic_order": round(topic_order, 3),
            "min_share": options.min_share,
            "steps_told": len(steps),
            "groups": len(groups),
            "stages_declared": declared,
            "stages_from": STAGES_FROM[made_by],
            "edits_unmatched": [
                {"id": e["id"], "action": e["action"], "group_key": e["group_key"]}
                | ({"reason": e["reason"]} if e.get("reason") else {})
                for e in unmatched
            ],
        },
        "stages": stage_entries,
        "steps": step_entries,
        "placements": placements,
        "paths": paths,
        "overall_grade": overall(primary),
        "overall_by_perspective": {p: overall(p) for p in perspectives},
        "stakeholders": phrases(
            j.texts["stakeholder"][1] for j in journeys if "stakeholder" in j.texts
        ),
        **themes_found,
        "perspective_gap": gaps,
    }
    return CompositeMap(data, steps, groups)


def step_grade_given(step: Step) -> float | None:
    """The grade the participant gave a step (None when none was given)."""
    grade = step.fields.get("step.grade")
    return float(grade) if grade.__class__ in (int, float) else None
