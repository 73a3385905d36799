"""Reading the journeys of the selected sessions straight from SQL.

The engine's step-order rule is applied to the ``<section>#order`` answers,
so that 10,000 sessions load in seconds.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from cjm_interview.domain import Script
from cjm_interview.map.beside import Beside, reader
from cjm_interview.store import Store
from cjm_interview.store.db import CONSENTED


@dataclass(frozen=True)
class Filters:
    """Which sessions the map covers."""

    segment: str | None = None
    persona: str | None = None
    perspective: str | None = None
    script_id: str | None = None
    since: str | None = None
    until: str | None = None
    unfinished: bool = False
    """Also sessions in progress, abandoned or ended early (a failed import stays in progress)."""

    def describe(self) -> str:
        parts = [
            f"{k}={v}"
            for k, v in self.__dict__.items()
            if v not in (None, False) and k != "unfinished"
        ]
        parts.insert(
            0, "finished and unfinished sessions" if self.unfinished else "finished sessions"
        )
        return ", ".join(parts)


@dataclass
class Step:
    """One step of one journey, with what was said about it."""

    session_id: str
    iteration: int
    position: int
    relative: float
    action: str
    action_answer_id: int
    perspective: str = "customer"
    segment: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # maps_to -> value
    texts: dict[str, tuple[int, str]] = field(default_factory=dict)  # maps_to -> (answer id, text)
    tags: list[tuple[str, str, float]] = field(default_factory=list)
    sentiment: dict[str, str] = field(default_factory=dict)  # maps_to -> the tagger's sentiment
    graded: tuple[float | None, bool] | None = None  # labels.step_grade, worked out once


@dataclass
class Journey:
    """One session's journey and its whole-journey answers."""

    session: dict[str, Any]
    steps: list[Step]
    fields: dict[str, Any]
    texts: dict[str, tuple[int, str]]
    by_step: dict[int, Any] = field(default_factory=dict, repr=False)


def session_where(filters: Filters) -> tuple[str, list[Any]]:
    clauses, args = [], []
    for column in ("segment", "persona", "perspective", "script_id"):
        value = getattr(filters, column)
        if value:
            # Segments and personas are typed by people: "New" asks for "new" too.
            nocase = " COLLATE NOCASE" if column in ("segment", "persona") else ""
            clauses.append(f"s.{column} = ?{nocase}")
            args.append(value)
    if filters.since:
        clauses.append("s.started_at >= ?")
        args.append(filters.since)
    if filters.until:
        clauses.append("s.started_at <= ?")
        args.append(filters.until + "\uffff")
    if not filters.unfinished:
        clauses.append("s.status = 'finished'")
    else:
        # An interview stopped before its first answer (an import refused at once) told nothing.
        clauses.append("EXISTS (SELECT 1 FROM answers a0 WHERE a0.session_id = s.id)")
    # A participant who declined (or withdrew) consent is on no map and in no table; nor is
    # an erased session whose rows a copy of the file kept.
    clauses.append(CONSENTED)
    clauses.append("s.id NOT IN (SELECT session_id FROM erased_sessions)")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


@dataclass(frozen=True)
class _Shape:
    """What the reader needs to know of a script to rebuild its journeys like the engine."""

    group: str | None  # the repeat section holding step.action
    sections: frozenset[str]  # that section and the for_each passes over it
    continuation: str | None  # the yes/no question of ``while: "${q} == true"``
    minimum: int
    maximum: int
    exact: bool  # False: the repeat rule is more than that; the engine orders the steps


_CONTINUE = re.compile(r"^\s*\$\{([A-Za-z_][\w.-]*)\}\s*==\s*true\s*$")


def _shape(script: Script | None) -> _Shape:
    if script is None:  # unknown script: every step told, in order
        return _Shape(None, frozenset(), None, 10_000, 10_000, True)
    groups = [
        s
        for s in script.sections
        if s.repeat is not None and any(q.maps_to == "step.action" for q in s.questions)
    ]
    if not groups:
        return _Shape(None, frozenset(), None, 10_000, 10_000, True)
    group = groups[0]
    assert group.repeat is not None
    sections = frozenset({group.id} | {s.id for s in script.sections if s.for_each == group.id})
    rule = group.repeat.while_
    match = _CONTINUE.match(rule) if rule else None
    return _Shape(
        group.id,
        sections,
        match.group(1) if match else None,
        group.repeat.min,
        group.repeat.max,
        rule is None or match is not None,
    )


def _shapes(store: Store, shas: Iterable[str | None]) -> dict[str | None, tuple[_Shape, Any]]:
    """Shape and script of each script the sessions ran (None when its text is missing)."""
    from cjm_interview.session import stored_script

    found: dict[str | None, tuple[_Shape, Any]] = {}
    for sha in set(shas):
        if sha in _PARSED:  # a script's text never changes under its hash
            found[sha] = _PARSED[sha]
            continue
        try:
            script = stored_script(store, sha) if sha else None
        except Exception:  # the reader still works from the answers alone
            script = None
        found[sha] = (_shape(script), script)
        if script is not None and len(_PARSED) < 64:
            _PARSED[sha] = found[sha]
    return found


_PARSED: dict[str | None, tuple[_Shape, Any]] = {}


def load_journeys(store: Store, filters: Filters = Filters()) -> list[Journey]:
    """Every selected session's journey, steps in the order the participant confirmed."""
    where, args = session_where(filters)
    conn = store.conn
    cur = conn.execute(f"SELECT s.* FROM sessions s{where} ORDER BY s.started_at, s.id", args)
    names = [d[0] for d in cur.description]
    sessions = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    if not sessions:
        return []
    shapes = _shapes(store, (s["script_sha256"] for s in sessions.values()))
    # Each session's answers are read on their own, through the index on the
    # session, so only one session's rows are held at a time and no row carries
    # its session's id. Each row carries only what the reader uses: free text or
    # the JSON value; the question only where there is no field (order,
    # "anything else?"); a flag for the sections of the step group; the words
    # of a choice only when its value is text.
    free = ", ".join(f"'{name}'" for name in sorted(FREE_TEXT_FIELDS))
    sections = {section for shape, _ in shapes.values() for section in shape.sections}
    in_group = ", ".join(f"'{section}'" for section in sorted(sections) if "'" not in section)
    answers = (
        "SELECT a.id, a.step, a.maps_to, "
        f"CASE WHEN a.maps_to IN ({free}) THEN a.raw_text ELSE a.value_json END, "
        "CASE WHEN a.maps_to IS NULL THEN a.question_id END, "
        f"a.step > 0 AND a.section_id IN ({in_group or 'NULL'}), a.skipped, "
        f"CASE WHEN a.maps_to NOT IN ({free}) AND a.value_json LIKE '\"%' THEN a.raw_text END "
        "FROM answers a WHERE a.session_id = ? AND a.is_current = 1 AND a.applies = 1 AND "
        "(a.maps_to IS NOT NULL OR a.step > 0 OR a.question_id LIKE '%#order') ORDER BY a.id"
    )
    # A large study's later sessions are read by a forked child on the other core while
    # this process reads the first (``Beside``; the same journeys either way).
    chosen = list(sessions.values())
    half = int(len(chosen) * OWN_SHARE) if len(chosen) >= LEAST_SESSIONS else len(chosen)
    everyone = len(sessions) == conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    later = Beside(
        functools.partial(_read_journeys, store, answers, chosen[half:], shapes, os.getpid()),
        fork=half < len(chosen) and str(store.path) != ":memory:",
    )
    try:
        read = _journeys(conn, answers, chosen[:half], shapes, everyone and half == len(chosen))
        read += later.result()
    finally:
        later.cancel()
    journeys = []
    for journey, answered in read:
        shape, script = shapes[journey.session["script_sha256"]]
        if answered and not shape.exact and script is not None:
            journey = _engine_order(store, script, shape, journey)
        journeys.append(journey)
    return journeys


# From this many sessions on, the later ones are read by a forked child.
LEAST_SESSIONS = 2_000
# The share this process reads itself: the child also pickles what it read (about a
# fifth of the reading's time) and this process unpickles it, so both end together
# when this one reads a little more than half (10,000 sessions: 2.9-3.0 s, against
# 3.5-3.6 s at half and 3.8-3.9 s read alone).
OWN_SHARE = 0.58


def _read_journeys(
    store: Store,
    query: str,
    sessions: Sequence[dict[str, Any]],
    shapes: dict[str | None, tuple[_Shape, Any]],
    parent: int,
) -> list[tuple[Journey, bool]]:
    """``_journeys`` of these sessions (some of the study's), here or in a child forked
    from process ``parent`` (``beside.reader``)."""
    with reader(store, parent) as conn:
        return _journeys(conn, query, sessions, shapes, everyone=False)


def _journeys(
    conn: sqlite3.Connection,
    query: str,
    sessions: Sequence[dict[str, Any]],
    shapes: dict[str | None, tuple[_Shape, Any]],
    everyone: bool,
) -> list[tuple[Journey, bool]]:
    """The journeys of these sessions (``everyone``: all the study's), each read by its
    own query, and whether it had answers (the engine's order of the steps is applied
    by the caller)."""
    tags = _tags(conn, None if everyone else [s["id"] for s in sessions])
    decoded: dict[str, Any] = {}
    journeys = []
    for session in sessions:
        rows = conn.execute(query, (session["id"],)).fetchall()
        if not rows:
            journeys.append((Journey(session, [], {}, {}), False))
            continue
        shape = shapes[session["script_sha256"]][0]
        journeys.append((_journey(session, rows, tags, decoded, shape), True))
    return journeys


def _tags(
    conn: sqlite3.Connection, chosen: list[str] | None
) -> dict[int, list[tuple[str, str, float]]]:
    """Answer id -> its tags (kind, label, score) in the order stored, of the answers of
    the ``chosen`` sessions (None: every session's)."""
    # The chosen ids travel as one JSON parameter (reading never writes); when
    # every session is chosen the join is left out.
    join = ""
    params: tuple[str, ...] = ()
    if chosen is not None:
        join = "JOIN json_each(?) c ON c.value = a.session_id"
        params = (json.dumps(chosen),)
    # Tags are only looked up by the answers read (current, on the path), so answers
    # are joined only to keep to the chosen sessions, in the whole table's order.
    tag_rows = conn.execute(
        "SELECT t.answer_id, t.kind, t.label, t.score FROM tags t "
        + (f"JOIN answers a ON a.id = t.answer_id {join} WHERE " if join else "WHERE ")
        + "t.status NOT IN ('removed', 'corrected')"
        + (" ORDER BY t.id" if join else ""),
        params,
    ).fetchall()
    tags: dict[int, list[tuple[str, str, float]]] = {}
    # Taken a run of one answer's tags at a time (they are stored together), in order.
    for answer_id, run in itertools.groupby(tag_rows, itemgetter(0)):
        found = [row[1:] for row in run]
        if answer_id in tags:
            tags[answer_id] += found
        else:
            tags[answer_id] = found
    return tags


FREE_TEXT_FIELDS = frozenset(
    {
        "context",
        "stakeholder",
        "persona",
        "persona.ambition",
        "outcome",
        "trigger",
        "step.action",
        "step.actor",
        "step.backstage",
        "step.thoughts",
        "step.feelings",
        "step.pain_point",
        "step.improvement",
        "improvement",
        "ideal_journey",
        "overall.comment",
    }
)


def _journey(
    session: dict[str, Any],
    rows: Iterable[tuple[Any, ...]],
    tags: dict[int, list[tuple[str, str, float]]],
    decoded: dict[str, Any],
    shape: _Shape,
) -> Journey:
    """One session's journey from its current answers (``decoded`` caches short JSON values)."""
    order: list[int] = []
    removed: set[int] = set()
    carry_on: dict[int, bool] = {}  # iteration -> the continuation answer was yes
    answered: set[int] = set()  # iterations with any answer in the step group
    # iteration -> (fields, texts, tags) of that step
    by_step: dict[
        int, tuple[dict[str, Any], dict[str, tuple[int, str]], list[Any], dict[str, str]]
    ] = {}
    fields: dict[str, Any] = {}
    texts: dict[str, tuple[int, str]] = {}
    grouped = shape.group is not None
    for answer_id, step, maps_to, payload, qid, in_group, skipped, words in rows:
        if qid is not None and qid.endswith("#order"):
            if shape.group is None or qid[:-6] == shape.group:
                stored = json.loads(payload)
                order += [i for i in stored.get("order", []) if i not in order]
                removed |= set(stored.get("removed", []))
            continue
        if step and grouped:
            if not in_group:
                continue
            answered.add(step)
            if qid is not None and qid == shape.continuation:
                carry_on[step] = not skipped and payload == "true"
        if skipped or maps_to is None:
            continue
        # Free text is its own value; other values repeat (grades, channels,
        # yes/no), so each distinct one is decoded once.
        value: Any
        text = None
        if maps_to in FREE_TEXT_FIELDS:
            value = text = payload or ""
        elif not payload:
            value = None
        else:
            try:
                value = decoded[payload]
            except KeyError:
                value = json.loads(payload)
                if len(payload) < 80 and len(decoded) < 10_000:
                    decoded[payload] = value
            if words is not None:
                text = words
        if step:
            entry = by_step.get(step)
            if entry is None:
                entry = by_step[step] = ({}, {}, [], {})
            entry[0][maps_to] = value
            if text or maps_to == "step.action":
                entry[1][maps_to] = (answer_id, text or "")
            found = tags.get(answer_id)
            if found:
                entry[2].extend(found)
                for kind, label, _score in found:
                    if kind == "sentiment":
                        entry[3][maps_to] = label
        else:
            fields[maps_to] = value
            if text is not None:
                texts[maps_to] = (answer_id, text)
            for kind, label, _score in tags.get(answer_id, ()):
                if kind == "sentiment":
                    fields["sentiment:" + maps_to] = label
    # The engine's rule: the stored order if the journey was edited; then the
    # steps told after it, in the order told, while the participant said there
    # was more (a step answered after a "no" was left behind by going back).
    sequence = list(order)
    extra = sorted((answered or set(by_step)) - set(order) - removed)
    stops = {i for i, yes in carry_on.items() if not yes and i not in removed}
    for iteration in extra:
        if len(sequence) >= shape.maximum:
            break
        if len(sequence) >= max(shape.minimum, 1) and (
            shape.continuation is None
            or stops & set(sequence)
            or not carry_on.get(sequence[-1], False)
        ):
            break
        sequence.append(iteration)
    return _with_steps(session, sequence, by_step, fields, texts)


def _with_steps(
    session: dict[str, Any],
    sequence: list[int],
    by_step: dict[
        int, tuple[dict[str, Any], dict[str, tuple[int, str]], list[Any], dict[str, str]]
    ],
    fields: dict[str, Any],
    texts: dict[str, tuple[int, str]],
) -> Journey:
    """The journey of the steps in ``sequence``, up to the first one without an action."""
    told = []
    for iteration in sequence:
        entry = by_step.get(iteration)
        if entry is None or "step.action" not in entry[1]:
            break
        told.append(iteration)
    steps = []
    count = len(told)
    session_id, perspective, segment = session["id"], session["perspective"], session["segment"]
    for position, iteration in enumerate(told):
        step_fields, step_texts, step_tags, sentiments = by_step[iteration]
        action_id, action_raw = step_texts["step.action"]
        steps.append(
            Step(
                session_id,
                iteration,
                position,
                position / (count - 1) if count > 1 else 0.5,
                " ".join(action_raw.split()),
                action_id,
                perspective,
                segment or "",
                step_fields,
                step_texts,
                step_tags,
                sentiments,
            )
        )
    journey = Journey(session, steps, fields, texts)
    journey.by_step = by_step
    return journey


def _engine_order(store: Store, script: Any, shape: _Shape, journey: Journey) -> Journey:
    """Scripts whose repeat rule is more than a yes/no question: the engine orders the steps."""
    from cjm_interview.engine import Engine

    assert shape.group is not None
    engine = Engine(script, answers=store.load_answers(journey.session["id"]))
    sequence = engine.step_order(shape.group)
    return _with_steps(journey.session, sequence, journey.by_step, journey.fields, journey.texts)


def session_scripts(store: Store, journeys: Sequence[Journey]) -> list[Script]:
    """The scripts the journeys ran, the most used first (those whose text is stored)."""
    counts = Counter(j.session["script_sha256"] for j in journeys)
    found = _shapes(store, counts)
    return [
        found[sha][1]
        for sha, _ in sorted(counts.items(), key=lambda c: (-c[1], c[0] or ""))
        if found[sha][1] is not None
    ]
