"""A live interview: the pure engine joined to the store.

Every change the engine accepts is written to SQLite before the caller is
told it was accepted, so an answer the participant saw taken is never lost.
The UI and the headless importer both drive interviews through this class.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from cjm_interview.domain import FREE_TEXT_TYPES, Answer, AnswerKey, Script, SessionInfo, Tag
from cjm_interview.engine import (
    ORDER_SUFFIX,
    AwaitingTags,
    Engine,
    Prompt,
    Rejected,
    SubmitResult,
)
from cjm_interview.nlp.base import Tagger, TagResult
from cjm_interview.script import parse_script
from cjm_interview.store import Store, StoreError


class InterviewSession:
    """One participant's interview, persisted answer by answer."""

    def __init__(
        self,
        store: Store,
        script: Script,
        session_id: str,
        engine: Engine,
        tagger: Tagger | None = None,
        actor: str = "",
    ) -> None:
        self.store = store
        """Where every answer goes."""
        self.script = script
        """The script being run."""
        self.id = session_id
        """The session's uuid."""
        self.engine = engine
        """The pure interview state."""
        self.tagger = tagger
        """Tags free text synchronously after each answer (None: tags come from elsewhere)."""
        self.actor = actor
        """Who gives the answers: the interviewer, ``participant@<kiosk>``, or empty."""
        self.tag_errors: list[str] = []
        """Tagging failures (the answers themselves were saved)."""
        self.behind: list[tuple[str, Callable[[], None]]] = []
        """Writes that follow a stored answer (consent, status) and failed: retried later."""
        self.behind_error: StoreError | None = None
        """Why the first write in ``behind`` last failed."""
        self._off_path: set[AnswerKey] | None = None  # as last written to the store
        self.last_answer_id = 0
        """The session's newest answer row as this object knows it (see ``Store.save_answers``)."""

    # ------------------------------------------------------------ lifecycle
    @classmethod
    def start(
        cls,
        store: Store,
        script: Script,
        info: SessionInfo,
        tagger: Tagger | None = None,
        expect_tags: bool = False,
        tagger_name: str = "",
        redact: Sequence[str] | None = None,
        actor: str = "",
    ) -> InterviewSession:
        """Create a new session in the store.

        ``redact`` overrides the script's list of personal data kinds removed
        from free text before it is stored. ``actor`` names who gives the
        answers in the audit log (default: the interviewer, or the participant
        at the kiosk).
        """
        name = tagger_name or (f"{tagger.name} {tagger.version}" if tagger else "")
        session_id = store.create_session(script, info, tagger=name, redact=redact)
        engine = Engine(
            script, info.language, expect_tags=expect_tags or tagger is not None, redact=redact
        )
        actor = actor or info.interviewer or kiosk_actor(info.kiosk)
        return cls(store, script, session_id, engine, tagger, actor)

    @classmethod
    def resume(
        cls,
        store: Store,
        session_id: str,
        script: Script | None = None,
        tagger: Tagger | None = None,
        expect_tags: bool = False,
    ) -> InterviewSession:
        """Reopen a session exactly where it stopped.

        The session runs on the script it started with: when the file on disk
        changed since (or is not given), the copy kept in the database is used.
        """
        row = store.session(session_id)
        if script is None or script.sha256 != row["script_sha256"]:
            script = stored_script(store, row["script_sha256"])
        answers = store.load_answers(session_id)
        engine = Engine(
            script,
            row["language"] or "en",
            answers,
            expect_tags=expect_tags or tagger is not None,
            redact=store.redact_override(session_id),
        )
        actor = row["interviewer"] or kiosk_actor(row["kiosk"] or "")
        session = cls(store, script, session_id, engine, tagger, actor)
        session.last_answer_id = store.last_answer_id(session_id)
        if row["status"] != "in_progress" and not engine.finished:
            store.set_status(session_id, "in_progress", actor)
        # Files from before the flag, or a crash between two writes, catch up here.
        session._off_path = store.off_path(session_id)
        session._sync_off_path()
        return session

    # ------------------------------------------------------------ asking
    def state(self) -> Prompt | AwaitingTags | None:
        """What to show now (see Engine.state)."""
        return self.engine.state()

    def current(self) -> Prompt | None:
        """The prompt to show now, if any."""
        return self.engine.current()

    @property
    def finished(self) -> bool:
        """True when every applicable question is answered."""
        return self.engine.finished

    def submit(self, raw: Any) -> SubmitResult:
        """Validate, store and (with a tagger) tag an answer.

        If the store cannot save it (disk full, read-only file), StoreError is
        raised and the engine is put back as it was: the question is asked
        again, and nothing is shown as saved that is not. Once the answer is
        stored it stays taken: a later write failing (the session's status)
        is kept in ``behind`` and retried, never undone in memory alone.
        """
        return self._apply(lambda: self.engine.submit(raw, self.actor))

    def skip(self) -> SubmitResult:
        """Skip the current question where allowed."""
        return self._apply(self.engine.skip)

    def _apply(self, step: Callable[[], SubmitResult]) -> SubmitResult:
        """An engine step that may be refused: stored whole, or undone in memory too."""
        with self._undo_on_failure():
            result = step()
            if not isinstance(result, Rejected):
                self._save(result.changes)
        return self._persist(result)

    @contextlib.contextmanager
    def _undo_on_failure(self) -> Iterator[None]:
        engine = self.engine
        answers, cursor = dict(engine.answers), engine.cursor
        try:
            yield
        except StoreError:
            current = engine.answers
            for key in [k for k in current if k not in answers]:
                del current[key]
            for key, answer in answers.items():
                if current.get(key) is not answer:
                    current[key] = answer
            engine.cursor = cursor
            raise

    def back(self) -> Prompt | None:
        """Revisit the previous question."""
        return self.engine.back()

    def forward(self) -> Prompt | None:
        """Leave a revisited answer as it is."""
        return self.engine.forward()

    def _persist(self, result: SubmitResult) -> SubmitResult:
        """What follows a stored answer: the consent flag, tags, the finished status."""
        if isinstance(result, Rejected):
            return result
        answer = result.answer
        if self._maps_to(answer.key) == "consent" and isinstance(answer.value, bool):
            consent = int(answer.value)
            self._follow("consent", lambda: self.store.update_session(self.id, consent=consent))
        if self.tagger is not None and answer.tags is None:
            try:
                self.tag([answer.key])
            except Exception as exc:
                self.tag_errors.append(f"{answer.key.question_id}: {tag_failure(exc)}")
        if self.engine.finished:
            self._follow("withdrawn", self._drop_withdrawn)
            self._follow("status", lambda: self.store.set_status(self.id, "finished", self.actor))
        return result

    def _drop_withdrawn(self) -> None:
        """A participant who said no at the end: what they told before goes from the file.
        It was kept, as inapplicable, while they could still change their mind."""
        declined = any(
            self._maps_to(key) == "consent" and answer.value is False
            for key, answer in self.engine.answers.items()
        )
        keys = self.engine.off_path() if declined else set()
        if not keys:
            return
        self.store.drop_withdrawn(self.id, keys)
        answers = self.engine.answers
        for key in keys & answers.keys():
            del answers[key]  # not pop(): the walks cached are dropped on a deletion
        self._off_path = set()

    def _follow(self, what: str, write: Callable[[], None]) -> None:
        """A write after a stored answer; if it fails, it waits in ``behind`` for the next one."""
        self.behind = [(w, f) for w, f in self.behind if w != what] + [(what, write)]
        self.catch_up()

    def catch_up(self) -> bool:
        """Retry the writes left behind, in order; True when none is left."""
        while self.behind:
            _, write = self.behind[0]
            try:
                write()
            except StoreError as exc:
                self.behind_error = exc
                return False
            self.behind.pop(0)
        self.behind_error = None
        return True

    def _maps_to(self, key: AnswerKey) -> str | None:
        question = self.script.questions_by_id.get(key.question_id)
        return question.maps_to if question else None

    def _save(self, changes: Sequence[Answer]) -> None:
        rows = []
        for answer in changes:
            qid = answer.key.question_id
            if qid.endswith(ORDER_SUFFIX):
                section_id, maps_to = qid[: -len(ORDER_SUFFIX)], None
            else:
                section_id = self.script.section_of(qid).id
                maps_to = self._maps_to(answer.key)
            rows.append((answer, section_id, maps_to))
        off_path = self.engine.off_path()
        ids = self.store.save_answers(
            self.id, rows, answered_by=self.actor, off_path=off_path, seen=self.last_answer_id
        )
        self.last_answer_id = max(ids, default=self.last_answer_id)
        self._off_path = off_path
        self.catch_up()

    def _sync_off_path(self) -> None:
        """Flag in the store the answers that no longer apply (tags can change the path).

        A locked or failing store leaves the flags to the next sync (or resume):
        they are derived from the answers, which are stored already.
        """
        off_path = self.engine.off_path()
        if off_path != self._off_path:
            with contextlib.suppress(StoreError):
                self.store.mark_off_path(self.id, off_path)
                self._off_path = off_path

    # ------------------------------------------------------------ journey edits
    def insert_step(self, group_id: str, position: int, action: str) -> None:
        """Add a missed step during the playback."""
        with self._undo_on_failure():
            self._save(self.engine.insert_step(group_id, position, action))
        if self.tagger is not None:
            self.tag(self.engine.untagged())

    def move_step(self, group_id: str, iteration: int, position: int) -> None:
        """Reorder a step during the playback."""
        with self._undo_on_failure():
            self._save(self.engine.move_step(group_id, iteration, position))

    def remove_step(self, group_id: str, iteration: int) -> None:
        """Drop a step during the playback (its answers stay in the history)."""
        with self._undo_on_failure():
            self._save(self.engine.remove_step(group_id, iteration))

    def rename_step(self, group_id: str, iteration: int, action: str) -> None:
        """Correct a step's wording."""
        self._apply(lambda: self.engine.rename_step(group_id, iteration, action))

    # ------------------------------------------------------------ tags
    def tag(self, keys: Sequence[AnswerKey] | None = None) -> None:
        """Tag untagged free-text answers with the session's tagger, synchronously."""
        if self.tagger is None:
            return
        keys = list(keys) if keys is not None else self.engine.untagged()
        todo = [k for k in keys if self._is_free_text(k)]
        if not todo:
            for key in keys:
                self.engine.set_tags(key, ())
            return
        texts = [self.engine.answers[k].raw for k in todo]
        results = self.tagger.tag_batch(texts, language=self.engine.language)
        for key, result in zip(todo, results, strict=True):
            self.apply_tags(key, result)

    def _is_free_text(self, key: AnswerKey) -> bool:
        question = self.script.questions_by_id.get(key.question_id)
        answer = self.engine.answers.get(key)
        return (
            question is not None
            and question.type in FREE_TEXT_TYPES
            and answer is not None
            and not answer.skipped
            and bool(answer.raw.strip())
        )

    def apply_tags(self, key: AnswerKey, result: TagResult, raw: str | None = None) -> bool:
        """Store a tagger's result for an answer (from a worker, via the UI thread).

        ``raw`` is the text that was tagged; if the answer changed meanwhile
        the result is stale and dropped. Returns True when stored.
        """
        answer = self.engine.answers.get(key)
        if answer is None or (raw is not None and answer.raw != raw):
            return False
        answer_id = self.store.answer_id(self.id, key)
        if answer_id is None:
            return False
        tags = result.to_tags()
        self.store.save_tags(answer_id, tags, result.embedding, result.embedding_model)
        self.engine.set_tags(key, tags)
        self._sync_off_path()
        return True

    def set_tags(self, key: AnswerKey, tags: Sequence[Tag]) -> None:
        """Tell the engine about tags already stored (after a person's correction)."""
        self.engine.set_tags(key, tags)
        self._sync_off_path()

    # ------------------------------------------------------------ ending
    def end(self, status: str) -> None:
        """Close the session as finished, abandoned or ended early."""
        self.behind = [(w, f) for w, f in self.behind if w != "status"]
        self.catch_up()
        self._drop_withdrawn()
        self.store.set_status(self.id, status, self.actor)


def kiosk_actor(kiosk: str) -> str:
    """Who answers at a kiosk, as the audit log names them: ``participant@<kiosk>``."""
    return f"participant@{kiosk}" if kiosk else ""


def stored_script(store: Store, sha256: str) -> Script:
    """The script a session started with, from the copy kept in the database."""
    row = store.conn.execute(
        "SELECT source, path FROM scripts WHERE sha256 = ?", (sha256,)
    ).fetchone()
    if row is None or not row[0]:
        raise StoreError(
            f"the script this session started with ({sha256[:12]}) is not in {store.path}",
            "Pass the original script file with --script.",
        )
    return parse_script(row[0], f"{row[1]} (copy in database)")


# Failures whose messages the project writes itself (the model's process stopped, could not
# load): any other exception's message may quote the answer it failed on.
_OWN_FAILURES = frozenset({"RemoteUnavailable", "ModelUnavailable", "StoreError", "StoreBusy"})


def tag_failure(exc: BaseException) -> str:
    """Why tagging an answer failed, on one line and without the answer's words."""
    if type(exc).__name__ in _OWN_FAILURES:
        return " ".join(str(exc).split())[:160] or type(exc).__name__
    return type(exc).__name__
