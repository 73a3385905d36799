"""Researchers' edits of the step groups (rename, merge, split), applied after every alignment."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cjm_interview.map.journeys import Step
from cjm_interview.map.labels import normalise, slug
from cjm_interview.map.model import Stage, StepGroup
from cjm_interview.store import Store
from cjm_interview.store.check import split_pattern


def anchor_of(group: StepGroup, steps: Sequence[Step], n: int = 20) -> list[str]:
    """The most frequent phrasings of a group: what an edit of it is about."""
    counts = Counter(normalise(steps[i].action) for i in group.members)
    return [phrase for phrase, _ in counts.most_common(n)]


def stage_anchors(groups: Sequence[StepGroup], steps: Sequence[Step]) -> dict[str, list[str]]:
    """Stage key -> the most frequent phrasings of its moments: what an edit of it is about,
    so that it finds the stage again when the stage is named differently."""
    members: dict[str, list[int]] = {}
    for group in groups:
        members.setdefault(group.stage, []).extend(group.members)
    return {key: anchor_of(StepGroup(key, "", found), steps) for key, found in members.items()}


def _holds_most(hits: Mapping[str, int], best: str) -> bool:
    """Whether ``best`` holds at least half of the anchor's phrasings found (any at all)."""
    return hits[best] * 2 >= sum(hits.values()) > 0


STAGE_ACTIONS = ("stage-rename", "stage-merge", "stage-move")


def unique_key(label: str, taken: Iterable[str]) -> str:
    """The slug of a label, with -2, -3 ... when another group has it."""
    used = set(taken)
    base = key = slug(label)
    n = 2
    while key in used:
        key = f"{base}-{n}"
        n += 1
    return key


def apply_edits(
    groups: list[StepGroup],
    stages: list[Stage],
    steps: Sequence[Step],
    edits: Iterable[dict[str, Any]],
) -> tuple[list[StepGroup], list[Stage], list[dict[str, Any]]]:
    """Apply researchers' edits of moments and stages, in the order they were made.

    Moments: rename (the key follows the new label; the old key still finds the
    group), merge, split. Stages: rename, merge one into another, move a moment
    into a stage (a new one when no stage has that key). An edit names its group
    by key; when no group has that key any more (the study grew and the
    algorithm now labels the group differently), the group holding most of the
    edit's anchor phrasings is used, if it holds at least half of them.
    Returns the groups, the stages and the edits that found nothing.
    """
    by_key = {g.key: g for g in groups}
    stage_of = {s.key: s for s in stages}
    norms: list[str] = []
    unmatched: list[dict[str, Any]] = []

    def anchor_hits(anchor: str | None) -> dict[str, int]:
        """Per moment key, how many of its members say one of the anchor's phrasings."""
        wanted = set(json.loads(anchor)) if anchor else set()
        if not wanted:
            return {}
        if not norms:
            norms.extend(normalise(s.action) for s in steps)
        return {k: sum(1 for i in g.members if norms[i] in wanted) for k, g in by_key.items()}

    def find(key: str | None, anchor: str | None) -> StepGroup | None:
        if key:
            for g in by_key.values():
                if g.key == key or key in g.aliases:
                    return g
        hits = anchor_hits(anchor)
        best = max(hits, key=lambda k: hits[k], default=None)
        return by_key[best] if best is not None and _holds_most(hits, best) else None

    def find_stage(key: str | None, anchor: str | None = None) -> Stage | None:
        for s in stage_of.values():
            if key and (s.key == key or key in s.aliases):
                return s
        # A stage found in the data is named by what its steps say, so its key changes as
        # the study grows or labels are chosen anew: the stage holding most of the anchor's
        # phrasings, if at least half of them, is the one the edit meant.
        hits: Counter[str] = Counter()
        for k, n in anchor_hits(anchor).items():
            hits[by_key[k].stage] += n
        best = min(hits, key=lambda k: (-hits[k], k), default=None)
        return stage_of.get(best) if best is not None and _holds_most(hits, best) else None

    def rekey(group: StepGroup, label: str) -> None:
        del by_key[group.key]
        key = unique_key(label, by_key)
        if key != group.key:
            group.aliases.append(group.key)
        group.key, group.label, group.edited = key, label, True
        by_key[key] = group

    for edit in edits:
        action = edit["action"]
        if action in STAGE_ACTIONS:
            if not _stage_edit(edit, find, find_stage, stage_of, by_key):
                unmatched.append(edit)
            continue
        group = find(edit["group_key"], edit.get("anchor"))
        if group is None:
            unmatched.append(edit)
        elif action == "rename" and edit["label"]:
            rekey(group, edit["label"])
        elif action == "merge":
            target = find(edit["target_key"], edit.get("target_anchor"))
            if target is None:
                unmatched.append(edit)
            elif target is not group:
                target.members += group.members
                target.typical += group.typical
                target.also += group.also
                target.aliases += [group.key, *group.aliases]
                target.edited = True
                del by_key[group.key]
        elif action == "split" and edit["pattern"]:
            pattern = split_pattern(edit["pattern"])
            moved = [i for i in group.members if pattern.search(steps[i].action)]
            if pattern.too_slow:  # its matches cannot be told in time: no half a split
                unmatched.append({**edit, "reason": "its pattern takes too long to match"})
                continue
            if not moved or len(moved) == len(group.members):
                continue
            kept = set(moved)
            group.members = [i for i in group.members if i not in kept]
            label = edit["label"] or f"{group.label} ({edit['pattern']})"
            key = edit["target_key"] or slug(label)
            existing = find(key, None)
            typical = [i for i in group.typical if i in kept]
            if existing is not None:  # split off into a group that exists: move the steps there
                existing.members += moved
                existing.typical += typical
                existing.edited = True
            else:
                by_key[key] = StepGroup(
                    key, label, moved, edited=True, stage=group.stage, typical=typical
                )
    used = {g.stage for g in by_key.values()}
    kept_stages = [s for s in stage_of.values() if s.key in used or s.declared]
    return list(by_key.values()), kept_stages, unmatched


def _stage_edit(
    edit: dict[str, Any],
    find: Any,
    find_stage: Any,
    stage_of: dict[str, Stage],
    by_key: dict[str, StepGroup],
) -> bool:
    """One edit of the stages; False when what it names is not in this map."""
    action = edit["action"]
    if action == "stage-move":
        group = find(edit["group_key"], edit.get("anchor"))
        if group is None or not edit.get("target_key"):
            return False
        stage = find_stage(edit["target_key"], edit.get("target_anchor"))
        if stage is None:  # a stage of the researcher's own
            label = edit.get("label") or edit["target_key"]
            order = max((s.order for s in stage_of.values()), default=0.0) + 1
            stage = Stage(edit["target_key"], label, order=order, edited=True)
            stage_of[stage.key] = stage
        group.stage, group.edited = stage.key, True
        return True
    stage = find_stage(edit["group_key"], edit.get("anchor"))
    if stage is None:
        return False
    if action == "stage-rename" and edit.get("label"):
        old = stage.key
        del stage_of[old]
        key = unique_key(edit["label"], stage_of)
        if key != old:
            stage.aliases.append(old)
        stage.key, stage.label, stage.edited = key, edit["label"], True
        stage_of[key] = stage
        for group in by_key.values():
            if group.stage == old:
                group.stage = key
        return True
    if action == "stage-merge":
        target = find_stage(edit.get("target_key"), edit.get("target_anchor"))
        if target is None:
            return False
        if target is not stage:
            for group in by_key.values():
                if group.stage == stage.key:
                    group.stage = target.key
            target.aliases += [stage.key, *stage.aliases]
            target.edited = True
            del stage_of[stage.key]
        return True
    return False


def load_edits(store: Store) -> list[dict[str, Any]]:
    """Researchers' step-group edits, oldest first."""
    cur = store.conn.execute(
        "SELECT id, action, group_key, target_key, label, pattern, anchor, target_anchor, "
        "created_at, author FROM step_group_edits ORDER BY id"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]
