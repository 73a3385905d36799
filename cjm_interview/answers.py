"""Parse and validate what a participant typed, per question type.

Pure functions: the engine calls them, the UI shows the message of an
``InvalidAnswer`` and asks again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from cjm_interview.domain import Choice, Question, QuestionType, Touchpoint

MAX_ANSWER_CHARS = 20_000
"""The longest answer text taken when the question's ``max_length`` does not say."""

LONGEST_ANSWER = 100_000
"""The most a script's ``max_length`` may allow: no answer text is ever stored longer, and a
file from elsewhere holding one is refused (a 20 MB answer made an export take minutes)."""

_YES = {"y", "yes", "yeah", "yep", "true", "1", "oui", "o", "si", "sí", "ja", "j"}
_NO = {"n", "no", "nope", "false", "0", "non", "nein"}
_GRADE = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:/\s*10)?\s*$")


DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""The direction embeddings, overrides and isolates: they make a text read other than it is
("\u202egnp.exe" shows as "exe.png"), so no text stored or shown keeps them."""


def own_words(value: str) -> str | None:
    """The words of an answer of the participant's own, as stored ("other: fax" -> "fax");
    None for a listed option's value."""
    return value.split(":", 1)[1].strip() if value.startswith("other:") else None


class InvalidAnswer(ValueError):
    """An answer the participant must give again; the message says why."""


def clean_text(raw: str) -> str:
    """Strip control characters (escape sequences, NULs) that must never be stored or shown.

    Newlines and tabs are kept. Control characters (ESC starts terminal
    escape sequences), lone surrogates (not storable as UTF-8) and private-use
    characters are removed; format characters stay, as RTL text and emoji
    sequences need them, but for the direction overrides, embeddings and isolates, which
    make a text read other than it is ("\u202egnp.exe" shows as "exe.png").
    """
    out = []
    for ch in raw:
        if ch in "\n\t":
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Co") or ch in DIRECTION_CONTROLS:
            continue
        out.append(ch)
    return "".join(out).replace("\r\n", "\n")


def parse_answer(
    question: Question,
    raw: Any,
    touchpoints: Sequence[Touchpoint] = (),
    language: str = "en",
) -> Any:
    """The stored value of an answer, or InvalidAnswer with a message to show.

    ``raw`` is usually the text typed; structured callers (the UI's pickers,
    imports) may pass the value itself (a list for multi-choice, an int grade).
    """
    qtype = question.type
    if qtype is QuestionType.NOTE:
        return None
    if qtype in (QuestionType.TEXT, QuestionType.SHORT_TEXT):
        return _parse_text(question, raw)
    if qtype is QuestionType.GRADE:
        return parse_grade(raw)
    if qtype is QuestionType.YES_NO:
        return _parse_yes_no(raw)
    if qtype is QuestionType.SINGLE_CHOICE:
        return _parse_choices(question, question.choices, raw, language, multi=False)
    if qtype is QuestionType.MULTI_CHOICE:
        return _parse_choices(question, question.choices, raw, language, multi=True)
    if qtype is QuestionType.TOUCHPOINTS:
        choices = tuple(_touchpoint_choice(t) for t in touchpoints)
        return _parse_choices(question, choices, raw, language, multi=True)
    if qtype is QuestionType.JOURNEY_REVIEW:
        return {"confirmed": True}
    raise InvalidAnswer(f"unsupported question type {qtype}")


def too_long(question: Question, raw: Any) -> str:
    """Why ``raw`` is longer than any answer may be ("" if it is not).

    The text is stored as given (spaces, an "other" option's words), so it is
    bounded as given, before any cleaning, whatever the question's type.
    """
    parts = raw if isinstance(raw, list | tuple) else [raw]
    size = sum(len(p) for p in parts if isinstance(p, str))
    if size <= LONGEST_ANSWER:
        return ""
    limit = question.max_length or MAX_ANSWER_CHARS
    return f"That answer is {size:,} characters long; please keep it under {limit:,}."


def is_blank(raw: Any) -> bool:
    """True when nothing was given."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not clean_text(raw).strip()
    if isinstance(raw, list | tuple | set):
        return len(raw) == 0
    return False


def _parse_text(question: Question, raw: Any) -> str:
    if not isinstance(raw, str):
        raw = str(raw)
    text = clean_text(raw).strip()
    if question.type is QuestionType.SHORT_TEXT:
        text = " ".join(text.split())
    limit = question.max_length or MAX_ANSWER_CHARS
    if len(text) > limit:
        raise InvalidAnswer(
            f"That answer is {len(text):,} characters long; please keep it under {limit:,}."
        )
    return text


def parse_grade(raw: Any) -> int:
    """A whole number from 0 to 10; "7/10" is accepted, "11", "-1" and "seven" are not."""
    if isinstance(raw, bool):
        raise InvalidAnswer("Please give a grade from 0 to 10.")
    if isinstance(raw, int):
        value = raw
    else:
        text = clean_text(str(raw))
        match = _GRADE.match(text)
        if match is None:
            raise InvalidAnswer("Please give the grade as a number from 0 (awful) to 10 (perfect).")
        number = match.group(1).replace(",", ".")
        if "." in number:
            raise InvalidAnswer("Please give a whole number from 0 to 10.")
        value = int(number)
    if not 0 <= value <= 10:
        raise InvalidAnswer(f"{value} is outside the scale: please give a grade from 0 to 10.")
    return value


def parse_tag_grade(raw: str) -> float | None:
    """A person's correction of a predicted grade: a number from 0 to 10, which may have
    decimals as predictions do ("3.5", "3,5", "7/10"); None for anything else."""
    match = _GRADE.match(clean_text(raw))
    if match is None:
        return None
    value = round(float(match.group(1).replace(",", ".")), 2) + 0.0  # never -0.0
    return value if 0 <= value <= 10 else None


def _parse_yes_no(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = clean_text(str(raw)).strip().lower().rstrip(".!")
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidAnswer("Please answer yes or no.")


def _touchpoint_choice(touchpoint: Touchpoint) -> Choice:
    from cjm_interview.domain import Text

    return Choice(touchpoint.id, Text({"en": touchpoint.label}))


def _parse_choices(
    question: Question, choices: Sequence[Choice], raw: Any, language: str, multi: bool
) -> Any:
    if isinstance(raw, list | tuple):
        parts = [clean_text(str(p)).strip() for p in raw]
    else:
        text = clean_text(str(raw)).strip()
        parts = [p.strip() for p in re.split(r"[,;\n]", text)] if multi else [text]
    parts = [p for p in parts if p]
    values: list[str] = []
    for part in parts:
        value = _match_choice(question, choices, part, language)
        if value not in values:
            values.append(value)
    if not multi:
        if len(values) != 1:
            raise InvalidAnswer("Please pick one option.")
        return values[0]
    return values


def _match_choice(question: Question, choices: Sequence[Choice], part: str, language: str) -> str:
    lowered = part.lower()
    # An option's own value or label first: with choices 0 to 3, "1" is the option 1, not
    # the first option (0), and the value an import file gives is stored as it is.
    for choice in choices:
        if lowered in (choice.value.lower(), choice.label.get(language).lower()):
            return choice.value
    if lowered.isdecimal():  # what int() reads: "²" is a digit, not a number
        index = int(lowered)
        if 1 <= index <= len(choices):
            return choices[index - 1].value
        raise InvalidAnswer(f"There is no option {index}: pick 1 to {len(choices)}.")
    if question.allow_other:
        other = part.split(":", 1)[1].strip() if lowered.startswith("other:") else part
        if not other:
            raise InvalidAnswer("Please say what the other option is.")
        return f"other: {other}"
    options = ", ".join(f"{i}) {c.label.get(language)}" for i, c in enumerate(choices, 1))
    raise InvalidAnswer(f"{part!r} is not one of the options: {options}.")
