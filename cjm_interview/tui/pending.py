"""Answers waiting while another program holds the database's write lock.

The screen never waits on the lock: a write tries for a moment
(``UI_BUSY_TIMEOUT_MS``), and an answer that could not be stored waits here,
shown as waiting, while a worker with a connection of its own waits for the
lock to go; then the screen stores what waited. Answers
are stored in the order given, each once; the engine takes an answer only
when the database has it, so nothing is shown as saved that is not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from cjm_interview.domain import AnswerKey
from cjm_interview.engine import Prompt, SubmitResult
from cjm_interview.errors import CjmError
from cjm_interview.session import InterviewSession
from cjm_interview.store.db import SessionErased, StoreBusy

UI_BUSY_TIMEOUT_MS = 100
"""How long one write from the screen waits for another writer's lock."""

UI_WRITE_RETRIES = 2
"""Tries of one write from the screen before its answer waits here."""

LOCK_POLL_SECONDS = 1.0
"""Seconds the lock-waiting worker waits at a time (between them it can be cancelled)."""


@dataclass
class PendingAnswer:
    """One answer given but not yet stored."""

    session: InterviewSession
    key: AnswerKey
    raw: Any
    since: float = field(default_factory=time.monotonic)
    abandon: bool = False
    """The participant is gone (idle reset): close the session once the answer is stored."""


@dataclass
class Stored:
    """A waiting answer now in the database."""

    pending: PendingAnswer
    result: SubmitResult


class PendingAnswers:
    """Answers waiting for the lock, in the order they were given."""

    def __init__(self) -> None:
        self.items: list[PendingAnswer] = []
        """Waiting answers, oldest first."""
        self.errors: list[str] = []
        """Answers given up for an error other than the lock (disk full, say)."""
        self.erased: list[InterviewSession] = []
        """Sessions found erased (``sessions delete``) while their answer waited."""

    def __bool__(self) -> bool:
        return bool(self.items)

    def waiting(self, session: InterviewSession) -> PendingAnswer | None:
        """The answer of this session that waits, if any."""
        return next((p for p in self.items if p.session is session), None)

    def add(self, session: InterviewSession, key: AnswerKey, raw: Any) -> PendingAnswer:
        """Keep an answer the store could not take yet (or replace the one still waiting)."""
        waiting = self.waiting(session)
        if waiting is not None and waiting.key == key:
            waiting.raw = raw  # sent again, perhaps edited: the latest words count
            return waiting
        item = PendingAnswer(session, key, raw)
        self.items.append(item)
        return item

    def drop(self, session: InterviewSession) -> None:
        """Forget what waits for a session that can take no more (erased meanwhile)."""
        self.items = [p for p in self.items if p.session is not session]

    def abandon(self, session: InterviewSession) -> bool:
        """Close the session as abandoned once its waiting answer is stored; False if none."""
        waiting = self.waiting(session)
        if waiting is not None:
            waiting.abandon = True
        return waiting is not None

    def flush(self) -> list[Stored]:
        """Try the waiting answers in order; those now stored. Stops at the first still locked."""
        stored: list[Stored] = []
        while self.items:
            item = self.items[0]
            state = item.session.state()
            if not isinstance(state, Prompt) or state.key != item.key:
                self.items.pop(0)  # the question moved on meanwhile: nothing to store
                continue
            try:
                result = item.session.submit(item.raw)
            except StoreBusy:
                break
            except SessionErased:
                self.drop(item.session)
                self.erased.append(item.session)
                continue
            except CjmError as exc:
                self.items.pop(0)
                self.errors.append(f"{item.key.question_id}: {exc}")
                continue
            self.items.pop(0)
            stored.append(Stored(item, result))
            if item.abandon and not item.session.finished:
                try:
                    item.session.end("abandoned")
                except CjmError as exc:
                    self.errors.append(f"closing the session: {exc}")
        return stored
