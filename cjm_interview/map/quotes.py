"""Quotes: a few telling answers per composite step, with where they come from."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from cjm_interview.map.journeys import Step
from cjm_interview.store import Store

_NUMBER = (int, float)  # by exact class: True and False are not grades


QUOTE_FIELDS = ("step.feelings", "step.thoughts", "step.pain_point")


def pick_quotes(members: Sequence[Step], n: int = 4) -> list[dict[str, Any]]:
    """A few telling answers, one per person: the most extreme grades first, then the shortest."""
    # Members by how far their grade is from the middle; only the first levels are looked at.
    levels: dict[float, list[Step]] = defaultdict(list)
    for s in members:
        grade = s.fields.get("step.grade")
        levels[abs(float(grade) - 5) if grade.__class__ in _NUMBER else 0.0].append(s)
    quotes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for weight in sorted(levels, reverse=True):
        candidates = []
        for s in levels[weight]:
            for rank, maps_to in enumerate(QUOTE_FIELDS):
                found = s.texts.get(maps_to)
                if found and len(found[1].split()) >= 3:
                    candidates.append((len(found[1]), rank, s))
        candidates.sort(key=lambda c: (c[0], c[1]))
        for _length, rank, s in candidates:
            if s.session_id in seen:
                continue
            seen.add(s.session_id)
            answer_id, text = s.texts[QUOTE_FIELDS[rank]]
            quotes.append(
                {
                    "text": " ".join(text.split())[:280],
                    "session_id": s.session_id,
                    "answer_id": answer_id,
                    "field": QUOTE_FIELDS[rank],
                    "step": s.position + 1,
                    "grade": s.fields.get("step.grade"),
                }
            )
            if len(quotes) >= n:
                return quotes
    return quotes


def link_quotes(store: Store, entries: list[dict[str, Any]]) -> None:
    """Give each quote the question it answers (the reader does not fetch question ids)."""
    quotes = [q for entry in entries for q in entry["quotes"]]
    if not quotes:
        return
    question = dict(
        store.conn.execute(
            "SELECT a.id, a.question_id FROM answers a JOIN json_each(?) q ON q.value = a.id",
            (json.dumps([q["answer_id"] for q in quotes]),),
        ).fetchall()
    )
    for q in quotes:
        q["question_id"] = question.get(q["answer_id"], "")
