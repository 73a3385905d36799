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

import dataclasses
import datetime
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

from cjm_interview.store import Store

SCHEMA_VERSION = "1.0"
ENCODER = "all-MiniLM-L6-v2"
LEXICAL_DIM = 2048


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


def load_journeys(store: Store, filters: Filters = Filters()) -> list[Journey]:
    """Every selected session's journey, steps in the order the participant confirmed."""
    where, args = _where(filters)
    conn = store.conn
    cur = conn.execute(f"SELECT s.* FROM sessions s{where} ORDER BY s.started_at, s.id", args)
    names = [d[0] for d in cur.description]
    sessions = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    if not sessions:
        return []
    # The chosen ids travel as one JSON parameter: reading never writes.
    chosen = json.dumps(list(sessions))
    answers = conn.execute(
        "SELECT a.id, a.session_id, a.question_id, a.section_id, a.step, a.maps_to, a.raw_text, "
        "a.value_json, a.skipped FROM answers a JOIN json_each(?) c ON c.value = a.session_id "
        "WHERE a.is_current = 1 ORDER BY a.session_id, a.id",
        (chosen,),
    ).fetchall()
    tags: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    for answer_id, kind, label, score in conn.execute(
        "SELECT t.answer_id, t.kind, t.label, t.score FROM tags t JOIN answers a ON a.id = "
        "t.answer_id JOIN json_each(?) c ON c.value = a.session_id WHERE a.is_current = 1 AND "
        "t.status NOT IN ('removed', 'corrected')",
        (chosen,),
    ):
        tags[answer_id].append((kind, label, score))

    per_session: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in answers:
        per_session[row[1]].append(row)
    journeys = []
    for session_id, session in sessions.items():
        journeys.append(_journey(session, per_session.get(session_id, []), tags))
    return journeys


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
    rows: list[tuple[Any, ...]],
    tags: dict[int, list[tuple[str, str, float]]],
) -> Journey:
    orders: dict[str, dict[str, list[int]]] = {}
    by_step: dict[int, dict[str, tuple[int, str, Any, str]]] = defaultdict(dict)
    fields: dict[str, Any] = {}
    texts: dict[str, tuple[int, str]] = {}
    for answer_id, _sid, qid, _section, step, maps_to, raw, value_json, skipped in rows:
        if qid.endswith("#order"):
            orders[qid[:-6]] = json.loads(value_json)
            continue
        if skipped or not maps_to:
            continue
        # Free text is its own value: decoding JSON only where it matters keeps
        # 10,000 sessions fast.
        if maps_to in FREE_TEXT_FIELDS:
            value: Any = raw or ""
        else:
            value = json.loads(value_json) if value_json else None
        if step:
            by_step[step][maps_to] = (answer_id, raw or "", value, qid)
        else:
            fields[maps_to] = value
            if isinstance(value, str):
                texts[maps_to] = (answer_id, raw or "")
    # The engine's rule: the stored order if the journey was edited, else ascending.
    order: list[int] = []
    removed: set[int] = set()
    for value in orders.values():
        order += [i for i in value.get("order", []) if i not in order]
        removed |= set(value.get("removed", []))
    rest = sorted(i for i in by_step if i not in order and i not in removed)
    sequence = [i for i in [*order, *rest] if i in by_step and "step.action" in by_step[i]]
    steps = []
    count = len(sequence)
    for position, iteration in enumerate(sequence):
        items = by_step[iteration]
        action_id, action_raw, _, _ = items["step.action"]
        step = Step(
            session_id=session["id"],
            iteration=iteration,
            position=position,
            relative=position / (count - 1) if count > 1 else 0.5,
            action=" ".join(action_raw.split()),
            action_answer_id=action_id,
            perspective=session["perspective"],
            segment=session["segment"] or "",
        )
        for maps_to, (answer_id, raw, value, _qid) in items.items():
            step.fields[maps_to] = value
            if isinstance(value, str) and raw:
                step.texts[maps_to] = (answer_id, raw)
            step.tags += tags.get(answer_id, [])
        steps.append(step)
    return Journey(session, steps, fields, texts)


# ------------------------------------------------------------------ vectors
def _lexical(texts: Sequence[str]) -> np.ndarray:
    """Hashed words and character trigrams, tf-idf weighted, unit length."""
    rows = []
    for text in texts:
        words = re.findall(r"[a-z0-9']+", text.lower())
        grams = [f"w:{w}" for w in words if len(w) > 2]
        padded = " " + " ".join(words) + " "
        grams += [f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2)]
        rows.append(grams)
    df: Counter[str] = Counter()
    for grams in rows:
        df.update(set(grams))
    n = max(len(rows), 1)
    matrix = np.zeros((len(rows), LEXICAL_DIM), dtype=np.float32)
    for i, grams in enumerate(rows):
        for gram, count in Counter(grams).items():
            idf = np.log((1 + n) / (1 + df[gram])) + 1
            h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(), "little")
            matrix[i, h % LEXICAL_DIM] += count * idf * (2.0 if gram.startswith("w:") else 1.0)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.maximum(norms, 1e-9), dtype=np.float32)


def step_vectors(
    store: Store, steps: Sequence[Step], encode_missing: bool = True, progress: bool = False
) -> tuple[np.ndarray, str]:
    """Vectors of the steps' actions and the name of the representation used."""
    if not steps:
        return np.zeros((0, 1), dtype=np.float32), "none"
    conn = store.conn
    wanted = json.dumps([s.action_answer_id for s in steps])
    cached = dict(
        conn.execute(
            "SELECT e.answer_id, e.vector FROM embeddings e JOIN json_each(?) w "
            "ON w.value = e.answer_id WHERE e.model = ?",
            (wanted, ENCODER),
        ).fetchall()
    )
    missing = [i for i, s in enumerate(steps) if s.action_answer_id not in cached]
    if missing and encode_missing:
        try:
            from cjm_interview.nlp.embedding import encode

            vectors = encode([steps[i].action for i in missing], progress=progress)
            for i, vector in zip(missing, vectors, strict=True):
                cached[steps[i].action_answer_id] = vector.astype("<f4").tobytes()
            missing = []
        except Exception:  # no model here: fall back to words for every step
            pass
    if missing:
        return _lexical([s.action for s in steps]), "lexical"
    blob = b"".join(cached[s.action_answer_id] for s in steps)
    return np.frombuffer(blob, dtype="<f4").reshape(len(steps), -1).copy(), ENCODER


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
DEFAULTS = {"lexical": (0.2, 0.0), ENCODER: (0.4, 0.35)}


def align(
    vectors: np.ndarray, relative: np.ndarray, n_journeys: int, options: AlignOptions
) -> np.ndarray:
    """Group index of each step."""
    threshold = options.threshold if options.threshold is not None else 0.4
    weight = options.position_weight if options.position_weight is not None else 0.35
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.int64)
    x = np.hstack([vectors, weight * relative[:, None]]).astype(np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
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
    """Sum of the rows of ``x`` per group (much faster than np.add.at)."""
    counts = np.bincount(assign, minlength=k)
    sums = np.zeros((k, x.shape[1]), dtype=np.float64)
    nonzero = np.nonzero(counts)[0]
    if len(nonzero):
        starts = np.concatenate([[0], np.cumsum(counts)])[nonzero]
        ordered = x[np.argsort(assign, kind="stable")]
        sums[nonzero] = np.add.reduceat(ordered, starts, axis=0)
    return sums


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
    centre = vectors[list(indices)].mean(axis=0)
    sims = vectors[list(indices)] @ centre
    counts = Counter(steps[i].action.lower().rstrip(".") for i in indices)
    # The most central phrase, preferring short ones said by several people.
    best = max(
        range(len(indices)),
        key=lambda j: (
            sims[j]
            + 0.02 * min(counts[steps[indices[j]].action.lower().rstrip(".")], 5)
            - 0.002 * len(steps[indices[j]].action)
        ),
    )
    text = steps[indices[best]].action.rstrip(".")
    return text[:1].upper() + text[1:80]


def apply_edits(
    groups: list[StepGroup], steps: Sequence[Step], edits: Iterable[dict[str, Any]]
) -> list[StepGroup]:
    """Apply researchers' renames, merges and splits, in the order they were made."""
    by_key = {g.key: g for g in groups}
    for edit in edits:
        group = by_key.get(edit["group_key"])
        if group is None:
            continue
        if edit["action"] == "rename" and edit["label"]:
            group.label = edit["label"]
            group.edited = True
        elif edit["action"] == "merge":
            target = by_key.get(edit["target_key"] or "")
            if target is None or target is group:
                continue
            target.members += group.members
            target.edited = True
            del by_key[group.key]
        elif edit["action"] == "split" and edit["pattern"]:
            pattern = re.compile(edit["pattern"], re.IGNORECASE)
            moved = [i for i in group.members if pattern.search(steps[i].action)]
            if not moved or len(moved) == len(group.members):
                continue
            group.members = [i for i in group.members if i not in set(moved)]
            label = edit["label"] or f"{group.label} ({edit['pattern']})"
            new = StepGroup(edit["target_key"] or slug(label), label, moved, edited=True)
            by_key[new.key] = new
    return list(by_key.values())


@dataclass
class CompositeMap:
    """Everything a composite journey map shows; ``to_dict`` is the JSON export."""

    data: dict[str, Any]
    assignments: dict[tuple[str, int], str] = field(default_factory=dict)
    """(session id, step position) -> key of the composite step it was put in."""

    @property
    def steps(self) -> list[dict[str, Any]]:
        return list(self.data["steps"])


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
    counter: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for text in texts:
        key = " ".join(re.findall(r"[a-z0-9']+", text.lower()))[:80]
        if not key:
            continue
        counter[key] += 1
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
    journeys = load_journeys(store, filters)
    steps = [s for j in journeys for s in j.steps]
    vectors, representation = step_vectors(store, steps, encode_missing, progress)
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
    edits = [
        dict(zip(("action", "group_key", "target_key", "label", "pattern"), row, strict=True))
        for row in store.conn.execute(
            "SELECT action, group_key, target_key, label, pattern FROM step_group_edits ORDER BY id"
        )
    ]
    groups = apply_edits(groups, steps, edits)
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
            "threshold": options.threshold,
            "position_weight": options.position_weight,
            "min_share": options.min_share,
            "steps_told": len(steps),
            "groups": len(groups),
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
    assignments = {
        (steps[i].session_id, steps[i].position): groups[g].key for i, g in group_of.items()
    }
    return CompositeMap(data, assignments)


def _summarise(group: StepGroup, steps: Sequence[Step], n_sessions: int) -> dict[str, Any]:
    members = [steps[i] for i in group.members]
    sessions = {s.session_id for s in members}
    grades = [
        float(s.fields["step.grade"])
        for s in members
        if isinstance(s.fields.get("step.grade"), int | float)
    ]
    touch: Counter[str] = Counter()
    sentiment: Counter[str] = Counter()
    emotions: Counter[str] = Counter()
    predicted: list[float] = []
    for s in members:
        picked = s.fields.get("step.touchpoints")
        if isinstance(picked, list) and picked:
            touch.update({str(t) for t in picked})
        else:
            touch.update({label for kind, label, _ in s.tags if kind == "touchpoint"})
        for kind, label, score in s.tags:
            if kind == "sentiment":
                sentiment[label] += 1
            elif kind == "emotion":
                emotions[label] += 1
            elif kind == "grade":
                predicted.append(score)
    mot = [
        bool(s.fields["step.moment_of_truth"])
        for s in members
        if isinstance(s.fields.get("step.moment_of_truth"), bool)
    ]
    perspectives: dict[str, list[float]] = defaultdict(list)
    for step in members:
        g = step.fields.get("step.grade")
        if isinstance(g, int | float):
            perspectives[step.perspective].append(float(g))
    by_perspective = {p: _dist(values) for p, values in perspectives.items()}
    segments: dict[str, list[float]] = defaultdict(list)
    for step in members:
        g = step.fields.get("step.grade")
        if isinstance(g, int | float) and step.segment:
            segments[step.segment].append(float(g))
    by_segment = {
        s: {"n": len(v), "mean": round(statistics.fmean(v), 2)} for s, v in sorted(segments.items())
    }
    low = [
        s
        for s in members
        if isinstance(s.fields.get("step.grade"), int | float) and s.fields["step.grade"] <= 4
    ]
    pains = [s.texts["step.pain_point"][1] for s in members if "step.pain_point" in s.texts]
    pains += [s.texts["step.feelings"][1] for s in low if "step.feelings" in s.texts]
    quotes = _quotes(members)
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
        "by_perspective": by_perspective,
        "by_segment": by_segment,
        "predicted_grade_mean": round(statistics.fmean(predicted), 2) if predicted else None,
        "sentiment": dict(sentiment),
        "emotions": _top(emotions, 5),
        "touchpoints": _top(touch, 10),
        "front_stage": _phrases(
            (s.texts["step.actor"][1] for s in members if "step.actor" in s.texts), 5
        ),
        "back_stage": _phrases(
            (s.texts["step.backstage"][1] for s in members if "step.backstage" in s.texts), 5
        ),
        "thoughts": _phrases(
            (s.texts["step.thoughts"][1] for s in members if "step.thoughts" in s.texts), 4
        ),
        "feelings": _phrases(
            (s.texts["step.feelings"][1] for s in members if "step.feelings" in s.texts), 4
        ),
        "moment_of_truth_share": round(sum(mot) / len(mot), 3) if mot else None,
        "pain_points": _phrases(pains, 6),
        "low_grade_share": round(len(low) / len(grades), 3) if grades else None,
        "improvements": _phrases(
            (s.texts["step.improvement"][1] for s in members if "step.improvement" in s.texts), 6
        ),
        "quotes": quotes,
    }


def _quotes(members: Sequence[Step], n: int = 4) -> list[dict[str, Any]]:
    """A few telling answers: the most extreme grades first, with where they come from."""
    candidates = []
    for s in members:
        for maps_to in ("step.feelings", "step.thoughts", "step.pain_point"):
            if maps_to in s.texts:
                answer_id, text = s.texts[maps_to]
                if len(text.split()) >= 3:
                    grade = s.fields.get("step.grade")
                    weight = abs(float(grade) - 5) if isinstance(grade, int | float) else 0
                    candidates.append((weight, len(text), s, maps_to, answer_id, text))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    quotes, seen = [], set()
    for _w, _l, s, maps_to, answer_id, text in candidates:
        if s.session_id in seen:
            continue
        seen.add(s.session_id)
        quotes.append(
            {
                "text": " ".join(text.split())[:280],
                "session_id": s.session_id,
                "answer_id": answer_id,
                "field": maps_to,
                "step": s.position + 1,
                "grade": s.fields.get("step.grade"),
            }
        )
        if len(quotes) >= n:
            break
    return quotes
