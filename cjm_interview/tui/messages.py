"""Messages between the widgets, the screens and the background workers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from cjm_interview.domain import AnswerKey
from cjm_interview.nlp.base import Tagger, TagResult


@dataclass
class AnswerGiven(Message):
    """The participant sent an answer to the prompt with this key."""

    key: AnswerKey
    raw: Any


@dataclass
class JourneyEdit(Message):
    """The participant changed the journey during the playback.

    ``action`` is ``insert``, ``move``, ``remove`` or ``rename``; ``position``
    is 0-based; ``text`` is the step's words for ``insert`` and ``rename``.
    """

    action: str
    iteration: int = 0
    position: int = 0
    text: str = ""


@dataclass
class AnswerSelected(Message):
    """The interviewer picked an answer in the chat (its tags show in the side panel)."""

    key: AnswerKey


@dataclass
class TagsReady(Message):
    """A worker tagged answers of a session: (key, text tagged, result) triples."""

    session_id: str
    results: tuple[tuple[AnswerKey, str, TagResult], ...]


@dataclass
class TaggingFailed(Message):
    """A worker could not tag these answers."""

    session_id: str
    keys: tuple[AnswerKey, ...]
    reason: str


@dataclass
class TaggerReady(Message):
    """A tagger finished loading in the background; ``final`` when no better one follows."""

    tagger: Tagger
    label: str
    final: bool


@dataclass
class TaggerFailed(Message):
    """A tagger could not be loaded; the interview goes on with what there is."""

    label: str
    reason: str
    final: bool


@dataclass
class TagsDone(Message):
    """The interviewer left the tag list or the note box (Escape): the answer box takes the keys."""


@dataclass
class TagDecision(Message):
    """The interviewer accepted, removed, restored, corrected or added a tag.

    ``status`` is ``accepted``, ``removed``, ``restored`` (a removal undone),
    ``corrected`` or ``added``; a
    correction and an addition carry the person's ``label`` (and ``kind`` for
    an addition); ``tag_id`` is 0 for an addition.
    """

    tag_id: int
    status: str
    label: str = ""
    kind: str = ""


@dataclass
class NoteWritten(Message):
    """The interviewer wrote a private note about the current step or question."""

    text: str


@dataclass
class LockFree(Message):
    """The database's write lock, held by another program, is free again."""
