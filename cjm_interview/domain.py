"""Plain data of the domain: scripts, questions, answers, tags.

Everything here is frozen and free of I/O, so the engine, the store, merging
and exports can share it without depending on each other.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class QuestionType(enum.StrEnum):
    """The kinds of question a script can ask."""

    TEXT = "text"  # free text, several lines
    SHORT_TEXT = "short_text"  # one line
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    GRADE = "grade"  # 0–10
    YES_NO = "yes_no"
    TOUCHPOINTS = "touchpoints"  # channels from the taxonomy
    JOURNEY_REVIEW = "journey_review"  # play the steps back for correction
    NOTE = "note"  # a statement with nothing to answer


FREE_TEXT_TYPES = frozenset({QuestionType.TEXT, QuestionType.SHORT_TEXT})

# Journey-map fields a question can feed. Merging and exports read answers
# through these, never through question wording.
MAP_FIELDS: dict[str, str] = {
    "consent": "Consent to take part and to the use of answers",
    "context": "The situation and the service around the journey",
    "stakeholder": "People and organisations involved, and what they do for whom",
    "persona": "Who the participant is: situation now",
    "persona.ambition": "What the participant wants to achieve in life or work",
    "persona.segment": "Segment or persona label chosen by the participant",
    "outcome": "The outcome the participant wanted from the service",
    "trigger": "What started the journey",
    "step.action": "What the customer did at this step",
    "step.touchpoints": "Channels used at this step",
    "step.actor": "Who delivered the service at this step (front stage)",
    "step.backstage": "Who supported the front stage (back stage)",
    "step.thoughts": "What the customer thought",
    "step.feelings": "What the customer felt",
    "step.grade": "Grade of the step, 0–10",
    "step.moment_of_truth": "Whether this step decided the customer's judgement",
    "step.pain_point": "What went wrong or got in the way",
    "step.improvement": "Idea to improve this step",
    "step.duration": "How long the step took",
    "journey.review": "Playback of the steps, confirmed or corrected",
    "improvement": "Improvement ideas for the whole journey",
    "ideal_journey": "How the journey would ideally go",
    "overall.grade": "Grade of the whole experience, 0–10",
    "overall.comment": "Closing remarks",
    "diagnostic.changeable": "5Cs: can the journey be changed",
    "diagnostic.challenged": "5Cs: is the journey challenged by customers or staff",
    "diagnostic.complex": "5Cs: is the journey complex",
    "diagnostic.climactic": "5Cs: does the journey hold a climactic moment",
    "diagnostic.costly": "5Cs: is the journey costly",
    "diagnostic.decision": "5Cs: go / no-go",
    "meta": "Information about the interview itself",
}

PERSPECTIVES = ("customer", "staff")


def people(perspective: str, n: int = 2) -> str:
    """Those of a perspective, counted: "1 customer", "3 customers", "3 staff" (not
    "staffs")."""
    if n == 1 or perspective == "staff":
        return perspective
    return f"{perspective}s"


def theirs(perspective: str) -> str:
    """Whose a figure is: "customers'", "staff's"."""
    plural = people(perspective)
    return f"{plural}'" if plural.endswith("s") else f"{plural}'s"


@dataclass(frozen=True)
class Text:
    """A text in one or more languages."""

    translations: dict[str, str]

    def get(self, language: str, fallback: str = "en") -> str:
        """The text in ``language``, else in ``fallback``, else any."""
        if language in self.translations:
            return self.translations[language]
        if fallback in self.translations:
            return self.translations[fallback]
        return next(iter(self.translations.values()), "")


@dataclass(frozen=True)
class Choice:
    """One option of a choice question."""

    value: str
    label: Text


@dataclass(frozen=True)
class Question:
    """One question of a script, as validated from YAML."""

    id: str
    type: QuestionType
    text: Text
    section_id: str
    line: int
    maps_to: str | None = None
    required: bool = False
    help: Text | None = None
    choices: tuple[Choice, ...] = ()
    allow_other: bool = False
    when: str | None = None
    constraint: str | None = None
    constraint_message: Text | None = None
    probe_of: str | None = None
    max_length: int | None = None
    show_tags: bool = True
    first_text: Text | None = None  # wording for the first step of a repeat group


@dataclass(frozen=True)
class Repeat:
    """How a section repeats: once per journey step, until the participant stops."""

    min: int = 1
    max: int = 15
    while_: str | None = None


@dataclass(frozen=True)
class Section:
    """A titled run of questions; optionally a repeat group or a pass over one."""

    id: str
    title: Text
    questions: tuple[Question, ...]
    line: int
    intro: Text | None = None
    when: str | None = None
    repeat: Repeat | None = None
    for_each: str | None = None

    @property
    def repeating(self) -> bool:
        """True when this section runs once per journey step."""
        return self.repeat is not None or self.for_each is not None

    @property
    def group_id(self) -> str | None:
        """The repeat group whose iterations this section walks through."""
        if self.repeat is not None:
            return self.id
        return self.for_each


@dataclass(frozen=True)
class Touchpoint:
    """A channel through which customer and service meet."""

    id: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Stage:
    """A phase of the journey the map draws over its steps ("find out and choose", "sign up").

    The name and description are what steps are placed by, by meaning.
    """

    id: str
    name: Text
    description: Text | None = None
    line: int = 0


@dataclass(frozen=True)
class Script:
    """A validated interview script."""

    id: str
    version: str
    title: Text
    perspective: str
    languages: tuple[str, ...]
    sections: tuple[Section, ...]
    touchpoints: tuple[Touchpoint, ...]
    path: str
    sha256: str
    description: Text | None = None
    estimated_seconds_per_question: int = 30
    redact: tuple[str, ...] = ()  # personal data removed from free text before storing
    source: str = field(default="", repr=False)  # the YAML text, kept with sessions
    stages: tuple[Stage, ...] = ()  # the journey's phases, in order, for the map

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if unknown)."""
        return self.questions_by_id[question_id]

    @property
    def questions_by_id(self) -> dict[str, Question]:
        """All questions by id, probes included."""
        return {q.id: q for s in self.sections for q in s.questions}

    def section_of(self, question_id: str) -> Section:
        """The section that holds a question."""
        for section in self.sections:
            if any(q.id == question_id for q in section.questions):
                return section
        raise KeyError(question_id)

    def section(self, section_id: str) -> Section:
        """The section with this id (KeyError if unknown)."""
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)


@dataclass(frozen=True)
class Tag:
    """A label put on an answer by a tagger or a person.

    ``kind`` is one of ``touchpoint``, ``sentiment``, ``emotion`` or ``grade``.
    For ``grade`` the label is ``"grade"`` and ``score`` holds the 0–10 value;
    otherwise ``score`` is the tagger's confidence in 0..1.
    """

    kind: str
    label: str
    score: float
    source: str = "person"
    version: str = ""


@dataclass(frozen=True)
class AnswerKey:
    """Where an answer belongs: a question, and for repeat groups the iteration."""

    question_id: str
    iteration: int = 0  # 0 outside repeat groups; 1, 2, ... inside them


@dataclass(frozen=True)
class Answer:
    """An answer as the engine holds it."""

    key: AnswerKey
    raw: str
    value: Any
    skipped: bool = False
    revision: int = 1
    tags: tuple[Tag, ...] | None = None  # None: not tagged yet


@dataclass(frozen=True)
class SessionInfo:
    """Who is interviewed, how and by whom."""

    perspective: str = "customer"
    participant: str = ""
    segment: str = ""
    persona: str = ""
    language: str = "en"
    interviewer: str = ""
    kiosk: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
