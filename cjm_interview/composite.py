"""The composite journey map: many interviews aligned into one sequence of steps.

Reading goes straight from SQL (the engine's step-order rule is applied to
the ``<section>#order`` answers), so that 10,000 sessions load in seconds.

Alignment groups step descriptions that mean the same thing:

1. Each step is a vector: the cached sentence embedding of its action
   (``embeddings`` table), or, when any is missing and the model cannot be
   loaded, a hashed bag of words and character trigrams for every step.
   The step's relative position in its journey (0 = first, 1 = last) is
   appended with weight ``position_weight``, so "called them" at the start
   and at the end can fall into different groups.
2. Steps join the most similar group centre when the cosine similarity is
   at least ``threshold``, otherwise they start a new group (one pass, in
   session order, deterministic); two refinement passes then reassign every
   step to its nearest centre.
3. Groups reached by fewer than ``min_share`` of the journeys are folded into
   their nearest larger group.
4. Each group is labelled with the member phrase closest to its centre and
   placed by the median relative position of its steps.

Researchers' edits (rename, merge, split) are kept in ``step_group_edits``
and applied after every alignment, by group key (the slug of the label the
algorithm gave the group), so they survive re-running the merge.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import gc
import hashlib
import itertools
import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cjm_interview.domain import Script
from cjm_interview.store import Store

SCHEMA_VERSION = "1.0"
LOW_GRADE = 4
"""Grades at or below this count as pain points (0..10 scale)."""
ENCODER = "all-MiniLM-L6-v2"
LEXICAL_DIM = 4096


# ------------------------------------------------------------------ reading
@dataclass(frozen=True)
class Filters:
    """Which sessions the map covers."""

    segment: str | None = None
    persona: str | None = None
    perspective: str | None = None
    script_id: str | None = None
    since: str | None = None
    until: str | None = None
    finished_only: bool = False

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.__dict__.items() if v not in (None, False)]
        return ", ".join(parts) or "all sessions"


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


@dataclass
class Journey:
    """One session's journey and its whole-journey answers."""

    session: dict[str, Any]
    steps: list[Step]
    fields: dict[str, Any]
    texts: dict[str, tuple[int, str]]
    by_step: dict[int, Any] = field(default_factory=dict, repr=False)


def _where(filters: Filters) -> tuple[str, list[Any]]:
    clauses, args = [], []
    for column in ("segment", "persona", "perspective", "script_id"):
        value = getattr(filters, column)
        if value:
            clauses.append(f"s.{column} = ?")
            args.append(value)
    if filters.since:
        clauses.append("s.started_at >= ?")
        args.append(filters.since)
    if filters.until:
        clauses.append("s.started_at <= ?")
        args.append(filters.until + "\uffff")
    if filters.finished_only:
        clauses.append("s.status = 'finished'")
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
        try:
            script = stored_script(store, sha) if sha else None
        except Exception:  # the reader still works from the answers alone
            script = None
        found[sha] = (_shape(script), script)
    return found


def load_journeys(store: Store, filters: Filters = Filters()) -> list[Journey]:
    """Every selected session's journey, steps in the order the participant confirmed."""
    where, args = _where(filters)
    conn = store.conn
    cur = conn.execute(f"SELECT s.* FROM sessions s{where} ORDER BY s.started_at, s.id", args)
    names = [d[0] for d in cur.description]
    sessions = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    # A participant who declined (or withdrew) consent has no journey on any map.
    sessions = {key: row for key, row in sessions.items() if row.get("consent") != 0}
    if not sessions:
        return []
    shapes = _shapes(store, (s["script_sha256"] for s in sessions.values()))
    # The chosen ids travel as one JSON parameter (reading never writes); with
    # no filter every session is read and the join is left out.
    join = ""
    params: tuple[str, ...] = ()
    if where:
        join = "JOIN json_each(?) c ON c.value = a.session_id"
        params = (json.dumps(list(sessions)),)
    tags: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    for answer_id, kind, label, score in conn.execute(
        f"SELECT t.answer_id, t.kind, t.label, t.score FROM tags t JOIN answers a ON a.id = "
        f"t.answer_id {join} WHERE a.is_current = 1 AND a.applies = 1 "
        "AND t.status NOT IN ('removed', 'corrected')",
        params,
    ):
        tags[answer_id].append((kind, label, score))
    # Answers stream in session order, so only one session's rows are held at a
    # time. Each row carries only what the reader uses: free text or the JSON
    # value; the question only where there is no field (order, "anything
    # else?"); a flag for the sections of the step group; the words of a
    # choice only when its value is text.
    free = ", ".join(f"'{name}'" for name in sorted(FREE_TEXT_FIELDS))
    sections = {section for shape, _ in shapes.values() for section in shape.sections}
    in_group = ", ".join(f"'{section}'" for section in sorted(sections) if "'" not in section)
    rows = conn.execute(
        "SELECT a.id, a.session_id, a.step, a.maps_to, "
        f"CASE WHEN a.maps_to IN ({free}) THEN a.raw_text ELSE a.value_json END, "
        "CASE WHEN a.maps_to IS NULL THEN a.question_id END, "
        f"a.step > 0 AND a.section_id IN ({in_group or 'NULL'}), a.skipped, "
        f"CASE WHEN a.maps_to NOT IN ({free}) AND a.value_json LIKE '\"%' THEN a.raw_text END "
        f"FROM answers a {join} WHERE a.is_current = 1 AND a.applies = 1 AND "
        "(a.maps_to IS NOT NULL OR a.step > 0 OR a.question_id LIKE '%#order') "
        "ORDER BY a.session_id, a.id",
        params,
    )
    decoded: dict[str, Any] = {}
    found: dict[str, Journey] = {}
    for session_id, group in itertools.groupby(rows, key=lambda r: r[1]):
        session = sessions.get(session_id)
        if session is not None:
            shape, script = shapes[session["script_sha256"]]
            journey = _journey(session, group, tags, decoded, shape)
            if not shape.exact and script is not None:
                journey = _engine_order(store, script, shape, journey)
            found[session_id] = journey
    return [
        found.get(session_id) or Journey(session, [], {}, {})
        for session_id, session in sessions.items()
    ]


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
    by_step: dict[int, tuple[dict[str, Any], dict[str, tuple[int, str]], list[Any]]] = {}
    fields: dict[str, Any] = {}
    texts: dict[str, tuple[int, str]] = {}
    grouped = shape.group is not None
    for answer_id, _sid, step, maps_to, payload, qid, in_group, skipped, words in rows:
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
                entry = by_step[step] = ({}, {}, [])
            entry[0][maps_to] = value
            if text or maps_to == "step.action":
                entry[1][maps_to] = (answer_id, text or "")
            found = tags.get(answer_id)
            if found:
                entry[2].extend(found)
        else:
            fields[maps_to] = value
            if text is not None:
                texts[maps_to] = (answer_id, text)
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
    by_step: dict[int, tuple[dict[str, Any], dict[str, tuple[int, str]], list[Any]]],
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
        step_fields, step_texts, step_tags = by_step[iteration]
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


# ------------------------------------------------------------------ vectors
# Words that say nothing about which step it was: how people string a story
# together ("then", "after that"), pronouns, articles, auxiliaries.
STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        """a about actually after again all also an and any are as at be because been before being
        but by can could did do does doing done during each eventually every finally first for from
        further had has have having he her here him his how i i'd i'm i've if in into is it it's its
        just last later me more most my myself next no nor not now of off on once only or other our
        out over own really same she should so some still such than that the their them then there
        these they this those through to too twice under until up us very was we were what when
        where which while who why will with would yet you your""",
    )
)


def _stem(word: str) -> str:
    """A light suffix strip, so "called", "calls" and "calling" meet."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _lexical(texts: Sequence[str]) -> np.ndarray:
    """Hashed content words and their character trigrams, tf-idf weighted, unit length."""
    rows: list[Counter[str]] = []
    for text in texts:
        words = [_stem(w) for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in STOPWORDS]
        grams = [f"w:{w}" for w in words]
        for w in words:
            padded = f" {w} "
            grams += [f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2)]
        rows.append(Counter(grams))
    df: Counter[str] = Counter()
    for counts in rows:
        df.update(counts.keys())
    n = max(len(rows), 1)
    column: dict[str, tuple[int, float]] = {}
    for gram, seen in df.items():
        h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(), "little")
        idf = float(np.log((1 + n) / (1 + seen)) + 1)
        column[gram] = (h % LEXICAL_DIM, idf * (2.0 if gram.startswith("w:") else 1.0))
    matrix = np.zeros((len(rows), LEXICAL_DIM), dtype=np.float32)
    for i, counts in enumerate(rows):
        for gram, count in counts.items():
            j, weight = column[gram]
            matrix[i, j] += (1 + np.log(count)) * weight
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.maximum(norms, 1e-9), dtype=np.float32)


def step_vectors(
    store: Store, steps: Sequence[Step], encode_missing: bool = True, progress: bool = False
) -> tuple[np.ndarray, str, str]:
    """Vectors of the steps' actions, the representation used, and why when it is the fallback.

    Cached sentence vectors are read straight into one array. Missing ones are
    encoded (and cached, when the database can be written); when that is not
    possible every step falls back to the lexical representation, so that all
    steps are compared alike.
    """
    if not steps:
        return np.zeros((0, 1), dtype=np.float32), "none", ""
    row_of = {s.action_answer_id: i for i, s in enumerate(steps)}
    out: np.ndarray | None = None
    have = np.zeros(len(steps), dtype=bool)
    # Streamed a batch at a time into one array, so no second copy is held.
    join = ""
    params: tuple[str, ...] = (ENCODER,)
    if len(steps) < 50_000:
        join = "JOIN json_each(?) w ON w.value = e.answer_id"
        params = (json.dumps(list(row_of)), ENCODER)
    cursor = store.conn.execute(
        f"SELECT e.answer_id, e.vector FROM embeddings e {join} WHERE e.model = ? "
        "AND length(e.vector) > 0",
        params,
    )
    while batch := cursor.fetchmany(8192):
        if out is None:
            out = np.empty((len(steps), len(batch[0][1]) // 4), dtype=np.float32)
        size = out.shape[1] * 4
        found = [(row_of[a], blob) for a, blob in batch if a in row_of and len(blob) == size]
        if found:
            index = np.fromiter((i for i, _ in found), dtype=np.int64, count=len(found))
            block = np.frombuffer(b"".join(blob for _, blob in found), dtype="<f4")
            out[index] = block.reshape(len(found), -1)
            have[index] = True
    missing = [int(i) for i in np.flatnonzero(~have)]
    if len(missing) == 0 and out is not None:
        return out, ENCODER, ""
    if not encode_missing:
        return _lexical([s.action for s in steps]), "lexical", "encoding switched off"
    try:
        from cjm_interview.nlp.embedding import encode

        encoded = encode([steps[i].action for i in missing], progress=progress)
    except Exception as exc:  # no model here: words for every step
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        return _lexical([s.action for s in steps]), "lexical", f"model unavailable ({reason})"
    if out is None or out.shape[1] != encoded.shape[1]:
        out = np.empty((len(steps), encoded.shape[1]), dtype=np.float32)
        missing = list(range(len(steps)))
        encoded = encode([s.action for s in steps], progress=progress)
    out[missing] = encoded
    _cache_vectors(store, [(steps[i].action_answer_id, out[i]) for i in missing])
    return out, ENCODER, ""


def _cache_vectors(store: Store, rows: Sequence[tuple[int, np.ndarray]]) -> None:
    """Keep vectors encoded on demand, so the next map does not encode them again."""
    if store.read_only or not rows:
        return
    now = store.clock()
    # A cache: a busy, locked or full database must not stop the map.
    with contextlib.suppress(Exception):
        store.write(
            lambda conn: conn.executemany(
                "INSERT OR IGNORE INTO embeddings (answer_id, model, dim, vector, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(a, ENCODER, len(v), v.astype("<f4").tobytes(), now) for a, v in rows],
            )
        )


# ------------------------------------------------------------------ alignment
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


def slug(text: str) -> str:
    """A stable key for a group from its label."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "step"


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


# ------------------------------------------------------------------ the map
@dataclass
class StepGroup:
    """One step of the composite journey."""

    key: str
    label: str
    members: list[int]
    position: float = 0.0
    edited: bool = False


def _label(indices: Sequence[int], steps: Sequence[Step], vectors: np.ndarray) -> str:
    """The most central phrase, preferring short ones said by several people."""
    sub = vectors[np.asarray(indices)]
    sims = sub @ sub.mean(axis=0)
    phrases = [steps[i].action for i in indices]
    keys = [p.lower().rstrip(".") for p in phrases]
    counts = Counter(keys)
    score = (
        sims
        + 0.02 * np.minimum([counts[k] for k in keys], 5)
        - 0.002 * np.asarray([len(p) for p in phrases])
    )
    text = phrases[int(np.argmax(score))].rstrip(".")
    return text[:1].upper() + text[1:80]


def normalise(text: str) -> str:
    """A phrasing with case, punctuation and spacing removed, for counting and matching."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))[:80]


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


def _dist(values: list[float]) -> dict[str, Any]:
    if not values:
        return {
            "n": 0,
            "mean": None,
            "median": None,
            "sd": None,
            "q1": None,
            "q3": None,
            "histogram": [0] * 11,
        }
    arr = np.asarray(values, dtype=float)
    hist = [0] * 11
    for v in values:
        hist[max(0, min(10, round(v)))] += 1
    return {
        "n": len(values),
        "mean": round(float(arr.mean()), 2),
        "median": float(np.median(arr)),
        "sd": round(float(arr.std(ddof=1)), 2) if len(values) > 1 else 0.0,
        "q1": float(np.percentile(arr, 25)),
        "q3": float(np.percentile(arr, 75)),
        "histogram": hist,
    }


def _top(counter: Counter[str], n: int = 8) -> list[dict[str, Any]]:
    return [{"label": k, "count": v} for k, v in counter.most_common(n)]


def _phrases(texts: Iterable[str], n: int = 6) -> list[dict[str, Any]]:
    """The most frequent answers, counting the same words with other spacing or case as one."""
    counter: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for text, count in Counter(texts).items():
        key = normalise(text)
        if not key:
            continue
        counter[key] += count
        shown.setdefault(key, " ".join(text.split())[:160])
    return [{"text": shown[k], "count": v} for k, v in counter.most_common(n)]


def build_map(
    store: Store,
    filters: Filters = Filters(),
    options: AlignOptions = AlignOptions(),
    encode_missing: bool = True,
    progress: bool = False,
) -> CompositeMap:
    """Load, align and summarise the selected sessions."""
    # Hundreds of thousands of small objects, none of them cyclic garbage: the
    # cyclic collector would otherwise rescan them again and again.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build_map(store, filters, options, encode_missing, progress)
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
        label = _label(members[g], steps, vectors)
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
    step_entries = [_summarise(group, steps, n_sessions) for group in groups]
    _link_quotes(store, step_entries)

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
    _add_flow(step_entries, transitions)

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
        "overall_grade": _dist(overall),
        "overall_by_perspective": {
            p: _dist(
                [
                    float(j.fields["overall.grade"])
                    for j in journeys
                    if j.session["perspective"] == p
                    and isinstance(j.fields.get("overall.grade"), int | float)
                ]
            )
            for p in perspectives
        },
        "stakeholders": _phrases(
            j.texts["stakeholder"][1] for j in journeys if "stakeholder" in j.texts
        ),
        "outcomes": _phrases(j.texts["outcome"][1] for j in journeys if "outcome" in j.texts),
        "improvements": _phrases(
            j.texts["improvement"][1] for j in journeys if "improvement" in j.texts
        ),
        "ideal_journeys": _phrases(
            (j.texts["ideal_journey"][1] for j in journeys if "ideal_journey" in j.texts), 4
        ),
        "perspective_gap": gaps,
    }
    return CompositeMap(data, steps, groups)


def _link_quotes(store: Store, entries: list[dict[str, Any]]) -> None:
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


def load_edits(store: Store) -> list[dict[str, Any]]:
    """Researchers' step-group edits, oldest first."""
    cur = store.conn.execute(
        "SELECT id, action, group_key, target_key, label, pattern, anchor, target_anchor, "
        "created_at, author FROM step_group_edits ORDER BY id"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def _add_flow(entries: list[dict[str, Any]], transitions: Counter[tuple[str, str]]) -> None:
    """Per step: where journeys go next, how many stop there, loop back or start there."""
    index = {entry["key"]: i for i, entry in enumerate(entries)}
    for entry in entries:
        entry["flow"] = {"next": [], "starts_here": 0, "ends_here": 0, "loops_back": 0}
    for (a, b), count in transitions.most_common():
        if a == "start":
            entries[index[b]]["flow"]["starts_here"] += count
            continue
        flow = entries[index[a]]["flow"]
        if b == "end":
            flow["ends_here"] += count
            continue
        flow["next"].append({"key": b, "count": count})
        if index[b] <= index[a]:
            flow["loops_back"] += count
    for entry in entries:
        entry["flow"]["next"] = entry["flow"]["next"][:5]


_NUMBER = (int, float)  # by exact class: True and False are not grades


def _summarise(group: StepGroup, steps: Sequence[Step], n_sessions: int) -> dict[str, Any]:
    members = [steps[i] for i in group.members]
    sessions = {s.session_id for s in members}
    grades: list[float] = []
    perspectives: dict[str, list[float]] = defaultdict(list)
    segments: dict[str, list[float]] = defaultdict(list)
    texts: dict[str, list[str]] = defaultdict(list)
    low_feelings: list[str] = []
    touch: Counter[str] = Counter()
    channel_sets: list[tuple[Any, ...]] = []
    sentiment: Counter[str] = Counter()
    emotions: Counter[str] = Counter()
    predicted: list[float] = []
    mot: list[bool] = []
    for s in members:
        fields = s.fields
        for maps_to, (_answer, text) in s.texts.items():
            texts[maps_to].append(text)
        grade = fields.get("step.grade")
        if isinstance(grade, int | float) and not isinstance(grade, bool):
            grade = float(grade)
            grades.append(grade)
            perspectives[s.perspective].append(grade)
            if s.segment:
                segments[s.segment].append(grade)
            if grade <= LOW_GRADE and "step.feelings" in s.texts:
                low_feelings.append(s.texts["step.feelings"][1])
        # Channels picked, else those the tagger heard in the step's words;
        # counted per distinct set below (a Counter update per step is slow).
        picked = fields.get("step.touchpoints")
        if isinstance(picked, list) and picked:
            channel_sets.append(tuple(picked))
        elif s.tags:
            channel_sets.append(tuple(label for kind, label, _ in s.tags if kind == "touchpoint"))
        for kind, label, score in s.tags:
            if kind == "sentiment":
                sentiment[label] += 1
            elif kind == "emotion":
                emotions[label] += 1
            elif kind == "grade":
                predicted.append(score)
        moment = fields.get("step.moment_of_truth")
        if isinstance(moment, bool):
            mot.append(moment)
    for channels, count in Counter(channel_sets).items():
        for channel in {str(c) for c in channels}:
            touch[channel] += count
    low = sum(1 for g in grades if g <= LOW_GRADE)
    return {
        "key": group.key,
        "label": group.label,
        "edited": group.edited,
        "position": round(group.position, 3),
        "participants": len(sessions),
        "share": round(len(sessions) / n_sessions, 3) if n_sessions else 0.0,
        "mentions": len(members),
        "phrasings": _phrases((s.action for s in members), 5),
        "grade": _dist(grades),
        "by_perspective": {p: _dist(values) for p, values in perspectives.items()},
        "by_segment": {
            s: {"n": len(v), "mean": round(statistics.fmean(v), 2)}
            for s, v in sorted(segments.items())
        },
        "predicted_grade_mean": round(statistics.fmean(predicted), 2) if predicted else None,
        "sentiment": dict(sentiment),
        "emotions": _top(emotions, 5),
        "touchpoints": _top(touch, 10),
        "front_stage": _phrases(texts["step.actor"], 5),
        "back_stage": _phrases(texts["step.backstage"], 5),
        "thoughts": _phrases(texts["step.thoughts"], 4),
        "feelings": _phrases(texts["step.feelings"], 4),
        "moment_of_truth_share": round(sum(mot) / len(mot), 3) if mot else None,
        "pain_points": _phrases(texts["step.pain_point"] + low_feelings, 6),
        "low_grade_share": round(low / len(grades), 3) if grades else None,
        "improvements": _phrases(texts["step.improvement"], 6),
        "quotes": _quotes(members),
    }


QUOTE_FIELDS = ("step.feelings", "step.thoughts", "step.pain_point")


def _quotes(members: Sequence[Step], n: int = 4) -> list[dict[str, Any]]:
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
