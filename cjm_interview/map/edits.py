"""Researchers' edits of the step groups (rename, merge, split), applied after every alignment."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cjm_interview.map.journeys import Step
from cjm_interview.map.labels import normalise, slug
from cjm_interview.store import Store


@dataclass
class StepGroup:
    """One step of the composite journey."""

    key: str
    label: str
    members: list[int]
    position: float = 0.0
    edited: bool = False


def anchor_of(group: StepGroup, steps: Sequence[Step], n: int = 20) -> list[str]:
    """The most frequent phrasings of a group: what an edit of it is about."""
    counts = Counter(normalise(steps[i].action) for i in group.members)
    return [phrase for phrase, _ in counts.most_common(n)]


def apply_edits(
    groups: list[StepGroup], steps: Sequence[Step], edits: Iterable[dict[str, Any]]
) -> tuple[list[StepGroup], list[dict[str, Any]]]:
    """Apply researchers' renames, merges and splits, in the order they were made.

    An edit names its group by key; when no group has that key any more (the
    study grew and the algorithm now labels the group differently), the group
    holding most of the edit's anchor phrasings is used, if it holds at least
    half of them. Returns the groups and the edits that found no group.
    """
    by_key = {g.key: g for g in groups}
    norms: list[str] = []
    unmatched: list[dict[str, Any]] = []

    def find(key: str | None, anchor: str | None) -> StepGroup | None:
        if key and key in by_key:
            return by_key[key]
        wanted = set(json.loads(anchor)) if anchor else set()
        if not wanted:
            return None
        if not norms:
            norms.extend(normalise(s.action) for s in steps)
        hits = {k: sum(1 for i in g.members if norms[i] in wanted) for k, g in by_key.items()}
        total = sum(hits.values())
        best = max(hits, key=lambda k: hits[k], default=None)
        return by_key[best] if best is not None and total and hits[best] * 2 >= total else None

    for edit in edits:
        group = find(edit["group_key"], edit.get("anchor"))
        action = edit["action"]
        if group is None:
            unmatched.append(edit)
        elif action == "rename" and edit["label"]:
            group.label = edit["label"]
            group.edited = True
        elif action == "merge":
            target = find(edit["target_key"], edit.get("target_anchor"))
            if target is None:
                unmatched.append(edit)
            elif target is not group:
                target.members += group.members
                target.edited = True
                del by_key[group.key]
        elif action == "split" and edit["pattern"]:
            pattern = re.compile(edit["pattern"], re.IGNORECASE)
            moved = [i for i in group.members if pattern.search(steps[i].action)]
            if not moved or len(moved) == len(group.members):
                continue
            kept = set(moved)
            group.members = [i for i in group.members if i not in kept]
            label = edit["label"] or f"{group.label} ({edit['pattern']})"
            key = edit["target_key"] or slug(label)
            if key in by_key:  # split off into a group that exists: move the steps there
                by_key[key].members += moved
                by_key[key].edited = True
            else:
                by_key[key] = StepGroup(key, label, moved, edited=True)
    return list(by_key.values()), unmatched


def load_edits(store: Store) -> list[dict[str, Any]]:
    """Researchers' step-group edits, oldest first."""
    cur = store.conn.execute(
        "SELECT id, action, group_key, target_key, label, pattern, anchor, target_anchor, "
        "created_at, author FROM step_group_edits ORDER BY id"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]
