"""How far the tagger agrees with the people who checked its tags.

An interviewer checks an answer's tags in the side panel (F7): accepts, removes,
corrects or adds them, and each decision is stored with the tag. Over the answers
a person checked, this compares what the tagger suggested with what the answer
holds after the check, per kind of tag:

- touchpoints and emotions: how many suggestions were kept (precision) and how
  many of the labels the answer ends with the tagger had found (recall), overall
  and per label;
- sentiment: the share of checked answers whose sentiment the person left as the
  tagger had it, and Cohen's kappa between the two;
- grade: how far a person moved the predicted grade (accepted counts as 0).

An answer counts for a kind when a person decided on at least one of its tags of
that kind; the other suggestions of that kind on it were seen and left, so they
count as kept. Answers no one checked say nothing and are left out. A participant
who declined consent is left out, as from the map.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from cjm_interview.store.db import CONSENTED

SET_KINDS = ("touchpoint", "emotion")
# Statuses a person gives a tagger's suggestion; "added" is a person's own tag.
DECIDED = frozenset({"accepted", "removed", "corrected"})
LEFT = frozenset({"suggested", "accepted"})  # a suggestion the answer still holds


@dataclass(frozen=True)
class TagRow:
    """One stored tag of a current answer."""

    answer_id: int
    kind: str
    label: str
    score: float
    by_person: bool
    status: str


@dataclass(frozen=True)
class Checked:
    """One answer's tags of one kind, as suggested and as a person left them."""

    kind: str
    suggested: frozenset[str]
    kept: frozenset[str]  # the labels the answer holds after the check
    grades: tuple[float, float] | None = None  # (predicted, after the check)


@dataclass
class LabelCounts:
    """Suggestions of one label: kept or not, and the person's own additions."""

    suggested: int = 0
    kept: int = 0
    added: int = 0

    @property
    def precision(self) -> float | None:
        return self.kept / self.suggested if self.suggested else None

    @property
    def recall(self) -> float | None:
        held = self.kept + self.added
        return self.kept / held if held else None


@dataclass
class SetAgreement:
    """Touchpoints or emotions over the checked answers."""

    answers: int = 0
    total: LabelCounts = field(default_factory=LabelCounts)
    labels: dict[str, LabelCounts] = field(default_factory=dict)


@dataclass
class SentimentAgreement:
    answers: int = 0
    same: int = 0
    kappa: float | None = None
    changes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (tagger, person)

    @property
    def share(self) -> float | None:
        return self.same / self.answers if self.answers else None


@dataclass
class GradeAgreement:
    answers: int = 0
    mean_change: float | None = None  # mean absolute change, in points of 0-10


@dataclass
class Agreement:
    """The tagger against the people who checked its tags, per kind."""

    sets: dict[str, SetAgreement]
    sentiment: SentimentAgreement
    grade: GradeAgreement

    @property
    def checked(self) -> bool:
        return bool(
            any(s.answers for s in self.sets.values())
            or self.sentiment.answers
            or self.grade.answers
        )

    def to_json(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        def counts(c: LabelCounts) -> dict[str, object]:
            return {
                "suggested": c.suggested,
                "kept": c.kept,
                "added_by_people": c.added,
                "precision": rounded(c.precision),
                "recall": rounded(c.recall),
            }

        out: dict[str, object] = {
            kind: {
                "answers_checked": s.answers,
                **counts(s.total),
                "labels": {label: counts(c) for label, c in sorted(s.labels.items())},
            }
            for kind, s in self.sets.items()
        }
        out["sentiment"] = {
            "answers_checked": self.sentiment.answers,
            "left_as_tagged": self.sentiment.same,
            "share": rounded(self.sentiment.share),
            "kappa": rounded(self.sentiment.kappa),
            "changes": [
                {"tagger": a, "person": b, "answers": n}
                for (a, b), n in sorted(self.sentiment.changes.items())
            ],
        }
        out["grade"] = {
            "answers_checked": self.grade.answers,
            "mean_change": rounded(self.grade.mean_change),
        }
        return out


def read_tags(conn: sqlite3.Connection) -> list[TagRow]:
    """Every tag of the current answers of sessions whose participant did not decline."""
    rows = conn.execute(
        "SELECT t.answer_id, t.kind, t.label, t.score, t.source, t.status "
        "FROM tags t JOIN answers a ON a.id = t.answer_id JOIN sessions s ON s.id = a.session_id "
        f"WHERE a.is_current = 1 AND {CONSENTED} "
        "ORDER BY t.answer_id, t.id"
    ).fetchall()
    return [
        TagRow(int(a), str(k), str(lab), float(sc or 0.0), src == "person", str(st))
        for a, k, lab, sc, src, st in rows
    ]


def checked_answers(tags: list[TagRow]) -> list[Checked]:
    """Per answer and kind that a person checked: the suggestions, and what was left."""
    groups: dict[tuple[int, str], list[TagRow]] = defaultdict(list)
    for tag in tags:
        groups[tag.answer_id, tag.kind].append(tag)
    out = []
    for (_, kind), rows in groups.items():
        machine = [t for t in rows if not t.by_person]
        people = [t for t in rows if t.by_person and t.status in ("added", "accepted")]
        if not people and not any(t.status in DECIDED for t in machine):
            continue  # no one checked this kind on this answer
        suggested = frozenset(t.label for t in machine)
        kept = frozenset(t.label for t in machine if t.status in LEFT)
        kept |= frozenset(t.label for t in people)
        grades = None
        if kind == "grade" and machine:
            after = [t.score for t in people] or [t.score for t in machine if t.status in LEFT]
            if after:
                grades = (machine[0].score, after[-1])
        out.append(Checked(kind, suggested, kept, grades))
    return out


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels; None when it is undefined (fewer than two
    answers, or both raters gave every answer the same label)."""
    n = len(pairs)
    if n < 2:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def agreement(checked: list[Checked]) -> Agreement:
    """The figures of ``checked_answers``."""
    sets = {kind: SetAgreement() for kind in SET_KINDS}
    sentiment = SentimentAgreement()
    pairs: list[tuple[str, str]] = []
    changes: list[float] = []
    for item in checked:
        if item.kind in sets:
            found = sets[item.kind]
            found.answers += 1
            for label in item.suggested | item.kept:
                counts = found.labels.setdefault(label, LabelCounts())
                counts.suggested += label in item.suggested
                counts.kept += label in item.suggested and label in item.kept
                counts.added += label in item.kept and label not in item.suggested
        elif item.kind == "sentiment" and len(item.suggested) == 1 and len(item.kept) <= 1:
            (tagged,) = item.suggested
            person = next(iter(item.kept), "(none)")
            sentiment.answers += 1
            sentiment.same += tagged == person
            pairs.append((tagged, person))
            if tagged != person:
                sentiment.changes[tagged, person] += 1
        elif item.kind == "grade" and item.grades is not None:
            changes.append(abs(item.grades[1] - item.grades[0]))
    for found in sets.values():
        for counts in found.labels.values():
            found.total.suggested += counts.suggested
            found.total.kept += counts.kept
            found.total.added += counts.added
    sentiment.kappa = cohen_kappa(pairs)
    grade = GradeAgreement(len(changes), sum(changes) / len(changes) if changes else None)
    return Agreement(sets, sentiment, grade)


def study_agreement(conn: sqlite3.Connection) -> Agreement:
    """The tagger against the people who checked its tags in one study database."""
    return agreement(checked_answers(read_tags(conn)))
