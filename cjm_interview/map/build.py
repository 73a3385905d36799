"""The composite map: load, align, label, apply edits and summarise."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import gc
import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cjm_interview.map.align import DEFAULTS, AlignOptions, align
from cjm_interview.map.edits import StepGroup, anchor_of, apply_edits, load_edits
from cjm_interview.map.journeys import Filters, Step, load_journeys
from cjm_interview.map.labels import label_of, slug
from cjm_interview.map.quotes import link_quotes
from cjm_interview.map.summary import add_flow, distribution, phrases, summarise
from cjm_interview.map.vectors import ENCODER, step_vectors
from cjm_interview.store import Store

SCHEMA_VERSION = "1.0"


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


def build_map(
    store: Store,
    filters: Filters | None = None,
    options: AlignOptions | None = None,
    encode_missing: bool = True,
    progress: bool = False,
) -> CompositeMap:
    """Load, align and summarise the selected sessions."""
    # Hundreds of thousands of small objects, none of them cyclic garbage: the
    # cyclic collector would otherwise rescan them again and again.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build_map(
            store, filters or Filters(), options or AlignOptions(), encode_missing, progress
        )
    finally:
        if paused:
            gc.enable()


def _build_map(
    store: Store,
    filters: Filters,
    options: AlignOptions,
    encode_missing: bool,
    progress: bool,
) -> CompositeMap:
    journeys = load_journeys(store, filters)
    steps = [s for j in journeys for s in j.steps]
    vectors, representation, fallback = step_vectors(store, steps, encode_missing, progress)
    relative = np.asarray([s.relative for s in steps], dtype=np.float32)
    threshold, weight = DEFAULTS.get(representation, DEFAULTS[ENCODER])
    options = dataclasses.replace(
        options,
        threshold=options.threshold if options.threshold is not None else threshold,
        position_weight=options.position_weight if options.position_weight is not None else weight,
    )
    assign = align(vectors, relative, len(journeys), options)
    members: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(assign):
        members[int(g)].append(i)
    groups: list[StepGroup] = []
    used: set[str] = set()
    for g in sorted(members):
        label = label_of(members[g], steps, vectors)
        key = slug(label)
        while key in used:
            key += "-2"
        used.add(key)
        groups.append(StepGroup(key, label, members[g]))
    groups, unmatched = apply_edits(groups, steps, load_edits(store))
    for group in groups:
        group.position = float(np.median([steps[i].relative for i in group.members]))
    groups.sort(key=lambda g: (g.position, g.key))
    group_of = {}
    for index, group in enumerate(groups):
        for i in group.members:
            group_of[i] = index

    n_sessions = len(journeys)
    perspectives = Counter(j.session["perspective"] for j in journeys)
    step_entries = [summarise(group, steps, n_sessions) for group in groups]
    link_quotes(store, step_entries)

    # Paths: transitions between consecutive groups, with start and end.
    transitions: Counter[tuple[str, str]] = Counter()
    offset = 0
    for journey in journeys:
        keys = [groups[group_of[offset + k]].key for k in range(len(journey.steps))]
        offset += len(journey.steps)
        path = ["start", *keys, "end"]
        for a, b in itertools.pairwise(path):
            transitions[(a, b)] += 1
    paths = [{"from": a, "to": b, "count": c} for (a, b), c in transitions.most_common()]
    add_flow(step_entries, transitions)

    overall = [
        float(j.fields["overall.grade"])
        for j in journeys
        if isinstance(j.fields.get("overall.grade"), int | float)
    ]
    gaps = [
        {
            "key": s["key"],
            "label": s["label"],
            "customer_mean": s["by_perspective"]["customer"]["mean"],
            "staff_mean": s["by_perspective"]["staff"]["mean"],
            "gap": round(
                s["by_perspective"]["staff"]["mean"] - s["by_perspective"]["customer"]["mean"], 2
            ),
        }
        for s in step_entries
        if s["by_perspective"].get("customer", {}).get("mean") is not None
        and s["by_perspective"].get("staff", {}).get("mean") is not None
    ]
    gaps.sort(key=lambda g: -abs(g["gap"]))
    data = {
        "schema": "cjm-composite-map",
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "filters": {k: v for k, v in filters.__dict__.items() if v not in (None, False)},
        "filters_text": filters.describe(),
        "sessions": n_sessions,
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
            "min_share": options.min_share,
            "steps_told": len(steps),
            "groups": len(groups),
            "edits_unmatched": [
                {"id": e["id"], "action": e["action"], "group_key": e["group_key"]}
                for e in unmatched
            ],
        },
        "steps": step_entries,
        "paths": paths,
        "overall_grade": distribution(overall),
        "overall_by_perspective": {
            p: distribution(
                [
                    float(j.fields["overall.grade"])
                    for j in journeys
                    if j.session["perspective"] == p
                    and isinstance(j.fields.get("overall.grade"), int | float)
                ]
            )
            for p in perspectives
        },
        "stakeholders": phrases(
            j.texts["stakeholder"][1] for j in journeys if "stakeholder" in j.texts
        ),
        "outcomes": phrases(j.texts["outcome"][1] for j in journeys if "outcome" in j.texts),
        "improvements": phrases(
            j.texts["improvement"][1] for j in journeys if "improvement" in j.texts
        ),
        "ideal_journeys": phrases(
            (j.texts["ideal_journey"][1] for j in journeys if "ideal_journey" in j.texts), 4
        ),
        "perspective_gap": gaps,
    }
    return CompositeMap(data, steps, groups)
