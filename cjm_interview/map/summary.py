"""What each composite step gathers: grades, channels, feelings, flow."""

from __future__ import annotations

import functools
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from cjm_interview.answers import own_words
from cjm_interview.domain import Script
from cjm_interview.map.journeys import Step
from cjm_interview.map.labels import normalise
from cjm_interview.map.model import StepGroup
from cjm_interview.map.quotes import pick_quotes
from cjm_interview.taxonomy import default_taxonomy

LOW_GRADE = 4
"""Grades at or below this count as pain points (0..10 scale)."""


def distribution(values: list[float]) -> dict[str, Any]:
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
    if np.isfinite(arr).all():
        # np.rint rounds half to even, as round() does: the same bins, counted at once.
        hist = np.bincount(np.clip(np.rint(arr), 0, 10).astype(np.int64), minlength=11).tolist()
    else:  # round() says what is wrong with such a value
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


def top_counts(counter: Counter[str], n: int = 8) -> list[dict[str, Any]]:
    """The ``n`` commonest, ties by label: the same list whatever order the answers came in."""
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [{"label": k, "count": v} for k, v in ranked]


def channel_names(scripts: Sequence[Script]) -> dict[str, str]:
    """Each channel's name as the interview offered it (the most used script's, else the
    taxonomy's): a map shows "In person", not the id ``in_person``."""
    names = {t.id: t.label for t in default_taxonomy().touchpoints}
    for script in reversed(scripts):
        names.update((t.id, t.label) for t in script.touchpoints)
    return names


def name_channels(counts: list[dict[str, Any]], names: dict[str, str]) -> None:
    """Give each counted channel (``label``: its id) its ``name``; words of a participant's
    own ("other: fax") are named as said."""
    for row in counts:
        label = str(row["label"])
        own = own_words(label)
        row["name"] = f"Other: {own}" if own else names.get(label, label)


def phrases(texts: Iterable[str], n: int = 6, least: int = 1) -> list[dict[str, Any]]:
    """The most frequent answers, counting the same words with other spacing or case as one;
    answers said fewer than ``least`` times rank as if said once, in the order given."""
    counter: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for text, count in Counter(texts).items():
        key = normalise(text)
        if not key:
            continue
        counter[key] += count
        shown.setdefault(key, " ".join(text.split())[:160])
    # A stable sort: equal ranks stay in the order given.
    ranked = sorted(counter, key=lambda k: -(counter[k] if counter[k] >= least else 1))
    return [{"text": shown[k], "count": counter[k]} for k in ranked[:n]]


def add_flow(
    entries: list[dict[str, Any]], transitions: Counter[tuple[str, str]], back: Counter[str]
) -> None:
    """Per step: where journeys go next, how many stop there, go back (``back``: journeys
    that go from it to an earlier step) or start there; each a count of journeys."""
    index = {entry["key"]: i for i, entry in enumerate(entries)}
    for entry in entries:
        entry["flow"] = {"next": [], "starts_here": 0, "ends_here": 0, "loops_back": 0}
    for (a, b), count in sorted(transitions.items(), key=lambda kv: (-kv[1], kv[0])):
        if a == "start" and b == "end":  # a journey without a step told
            continue
        if a == "start":
            entries[index[b]]["flow"]["starts_here"] += count
            continue
        flow = entries[index[a]]["flow"]
        if b == "end":
            flow["ends_here"] += count
            continue
        flow["next"].append({"key": b, "count": count})
    for entry in entries:
        entry["flow"]["next"] = entry["flow"]["next"][:5]
        entry["flow"]["loops_back"] = back[entry["key"]]


_NUMBER = (int, float)  # by exact class: True and False are not grades
THIN = 3
"""Cells with fewer answers than this are marked thin: too few to read a figure from."""
COMMON_PATHS = 20
"""The moves between moments a readable export lists (the JSON has them all)."""
_NON_ANSWER = re.compile(
    r"^\W*(?:none|nothing|no|nope|nah|n/?a|na|not really|none really|nothing really|no idea|"
    r"not sure|don'?t know|dunno|no comment|can'?t think of (?:any|anything)|not applicable|"
    r"same|fine|ok|okay|-+)\b",
    re.IGNORECASE,
)
_NOT_MY_AREA = re.compile(r"\bnot (?:my|our) (?:area|department|job)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=65536)  # a large study repeats its short answers many times
def is_non_answer(text: str) -> bool:
    """ "None really", "No idea, not my area", "n/a": an answer that says nothing."""
    words = re.findall(r"[a-z']+", text.lower())
    if len(words) <= 6 and (_NON_ANSWER.match(text.strip()) or _NOT_MY_AREA.search(text)):
        return True
    return not words


def pain_points(step: Step, grade: float | None) -> list[tuple[int, str]]:
    """What went wrong in a step: its answers that are negative by tag or by the step's grade
    (the pain-point answer, the action, the thoughts), never praise or non-answers."""
    found: list[tuple[int, str]] = []
    if grade is not None and grade >= 7:
        return found
    low = grade is not None and grade <= LOW_GRADE
    for maps_to in ("step.pain_point", "step.action", "step.thoughts"):
        entry = step.texts.get(maps_to)
        if entry is None:
            continue
        sentiment = step.sentiment.get(maps_to)
        if sentiment == "positive":
            continue
        negative = sentiment == "negative" or low
        if (negative or (maps_to == "step.pain_point" and sentiment is None)) and not (
            is_non_answer(entry[1])
        ):
            found.append(entry)
    return found


def summarise(
    group: StepGroup,
    steps: Sequence[Step],
    reach_of: dict[str, int],
    primary: str,
    pains_of: dict[int, list[tuple[int, str]]],
) -> dict[str, Any]:
    """Everything one moment holds; headline figures from the ``primary`` perspective."""
    # A step whose other clause tells this moment counts here too (``StepGroup.also``).
    held = set(group.members)
    typical = [i for i in group.typical if i in held]  # a researcher's edit may have moved some
    shown = set(typical)
    counted = [*typical, *(i for i in group.members if i not in shown), *group.also]
    members = [steps[i] for i in counted]
    reached: dict[str, set[str]] = defaultdict(set)
    # Grades by person: one who told a moment three times is one person there, with the mean
    # of their three grades, so n counts people, as the reach does.
    predicted_primary: dict[str, list[float]] = defaultdict(list)
    perspectives: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    segments: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    texts: dict[str, list[str]] = defaultdict(list)
    pains: list[str] = []
    touch: Counter[str] = Counter()
    channel_sets: list[tuple[Any, ...]] = []
    sentiment: Counter[str] = Counter()
    emotions: Counter[str] = Counter()
    predicted: list[float] = []
    mot: list[bool] = []
    for i in counted:
        pains += [text for _, text in pains_of.get(i, ())]
    # Answers are listed most said first, then the most typical: two alike among a few
    # hundred is chance (one story sent twice), not a pattern.
    least = max(2, math.ceil(0.01 * len(counted)))
    # Channels, feelings and moments of truth are the primary side's (customers'), as the
    # grades are; staff count in them only where no customer told the moment. The lanes
    # of who serves and who supports (front and back stage) take both sides.
    anyone = not any(s.perspective == primary for s in members)
    for s in members:
        reached[s.perspective].add(s.session_id)
        fields = s.fields
        told = anyone or s.perspective == primary
        for maps_to, (_answer, text) in s.texts.items():
            if told or maps_to in ("step.actor", "step.backstage"):
                texts[maps_to].append(text)
        raw = fields.get("step.grade")
        given = raw.__class__ in _NUMBER
        grade = float(raw) if given and raw is not None else None
        if grade is not None:
            perspectives[s.perspective][s.session_id].append(grade)
            if s.perspective == primary and s.segment:
                segments[s.segment][s.session_id].append(grade)
        # Channels picked, else those the tagger heard in the step's words;
        # counted per distinct set below (a Counter update per step is slow).
        picked = fields.get("step.touchpoints")
        if told and isinstance(picked, list) and picked:
            channel_sets.append(tuple(picked))
        elif told and s.tags:
            channel_sets.append(tuple(label for kind, label, _ in s.tags if kind == "touchpoint"))
        own: list[float] = []
        for kind, label, score in s.tags:
            if kind == "sentiment" and told:
                sentiment[label] += 1
            elif kind == "emotion" and told:
                emotions[label] += 1
            elif kind == "grade":
                own.append(score)
        if own:
            predicted.append(sum(own) / len(own))
            if s.perspective == primary and not given:
                predicted_primary[s.session_id].append(sum(own) / len(own))
        moment = fields.get("step.moment_of_truth")
        if isinstance(moment, bool) and told:
            mot.append(moment)
    for channels, count in Counter(channel_sets).items():
        for channel in {str(c) for c in channels}:
            touch[channel] += count
    by_person = {p: per_person(people) for p, people in perspectives.items()}
    grades = by_person.get(primary, [])
    predicted_people = per_person(predicted_primary)
    low = sum(1 for g in grades if g <= LOW_GRADE)
    people = len(reached.get(primary, ()))
    # The curve reads the grades given; where none was, the tagger's, marked as predicted.
    curve: dict[str, Any]
    if grades:
        curve = {"mean": round(statistics.fmean(grades), 2), "n": len(grades), "source": "given"}
    elif predicted_people:
        curve = {
            "mean": round(statistics.fmean(predicted_people), 2),
            "n": len(predicted_people),
            "source": "predicted",
        }
    else:
        curve = {"mean": None, "n": 0, "source": None}
    curve["thin"] = curve["n"] < THIN
    return {
        "key": group.key,
        "label": group.label,
        "stage": group.stage,
        "outcome": group.outcome or None,
        "edited": group.edited,
        "aliases": list(group.aliases),
        "position": round(group.position, 3),
        "participants": people,
        "share": round(people / reach_of[primary], 3) if reach_of.get(primary) else 0.0,
        "reach": {p: len(v) for p, v in sorted(reached.items())},
        "mentions": len(members),
        "also_counted": len(group.also),
        "phrasings": phrases((s.action for s in members), 5, least),
        "grade": distribution(grades),
        "curve": curve,
        "thin": curve["thin"],
        "by_perspective": {p: distribution(values) for p, values in by_person.items()},
        "by_segment": {
            s: {"n": len(v), "mean": round(statistics.fmean(v), 2)}
            for s, v in ((s, per_person(people)) for s, people in sorted(segments.items()))
        },
        "predicted_grade_mean": round(statistics.fmean(predicted), 2) if predicted else None,
        "sentiment": dict(sentiment),
        "emotions": top_counts(emotions, 5),
        "touchpoints": top_counts(touch, 10),
        "front_stage": phrases(texts["step.actor"], 5, least),
        "back_stage": phrases(texts["step.backstage"], 5, least),
        "thoughts": phrases(texts["step.thoughts"], 4, least),
        "feelings": phrases(texts["step.feelings"], 4, least),
        "moment_of_truth_share": round(sum(mot) / len(mot), 3) if mot else None,
        "pain_points": phrases(pains, 6, least),
        "pain_point_count": len(pains),
        "low_grade_share": round(low / len(grades), 3) if grades else None,
        "improvements": phrases(texts["step.improvement"], 6, least),
        "quotes": pick_quotes([s for s in members if s.perspective == primary] or members),
    }


def per_person(grades: dict[str, list[float]]) -> list[float]:
    """Each person's mean of the grades they gave a moment (session -> grades)."""
    return [statistics.fmean(values) for values in grades.values()]


def overall_predicted(steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The mean of the tagger's grades of every step told, when no step was graded by hand:
    what the overall figure shows, marked as predicted, when no overall grade was given."""
    points = [s["curve"] for s in steps if s["curve"]["mean"] is not None]
    if not points or any(c["source"] != "predicted" for c in points):
        return None
    n = sum(c["n"] for c in points)
    return {"mean": sum(c["mean"] * c["n"] for c in points) / n, "n": n}
