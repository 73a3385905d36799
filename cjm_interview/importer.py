"""Run interviews headlessly from a JSON file of answers (``cjm import`` / ``cjm replay``).

The file holds one interview, a list of them, or ``{"interviews": [...]}``::

    {"session": {"participant": "P07", "perspective": "customer", "segment": "new",
                 "language": "en", "interviewer": "ana"},
     "answers": {"consent": "yes", "context": "...",
                 "steps": [{"action": "Searched online", "touchpoints": ["web"], "grade": 6},
                           {"action": "Called the helpline", "grade": 3}],
                 "overall_grade": 5}}

Answers are given by question id; a repeat section's answers are a list of
steps under the section id. Continuation questions ("anything after that?")
may be left out: they are inferred from the number of steps given. Optional
questions left out are skipped; a missing required answer stops that
interview, which stays in the database as in progress.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cjm_interview.conditions import evaluate, parse_expression, truthy
from cjm_interview.config import bundled_script
from cjm_interview.domain import AnswerKey, QuestionType, Script, SessionInfo
from cjm_interview.engine import AwaitingTags, Engine, Prompt, Rejected, _Context
from cjm_interview.errors import CjmError
from cjm_interview.nlp.base import Tagger
from cjm_interview.script import load_script
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store, open_store

_SESSION_KEYS = {
    "participant",
    "perspective",
    "segment",
    "persona",
    "language",
    "interviewer",
    "kiosk",
    "started_at",
    "device",
    "id",
    "status",
}


class ImportFileError(CjmError):
    """The answers file cannot be read."""


@dataclass
class ImportResult:
    """What an import did."""

    session_ids: list[str] = field(default_factory=list)
    answers: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"Imported {len(self.session_ids)} interview(s), {self.answers} answers."
        if self.warnings:
            text += f" {len(self.warnings)} warning(s):\n  " + "\n  ".join(self.warnings)
        if self.errors:
            text += f" {len(self.errors)} problem(s):\n  " + "\n  ".join(self.errors)
        return text


def read_interviews(path: Path) -> list[dict[str, Any]]:
    """The interviews in an answers file, checked for shape."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})",
            "See the README for the answers file format.",
        ) from None
    if isinstance(data, dict) and "interviews" in data:
        data = data["interviews"]
    interviews = data if isinstance(data, list) else [data]
    for number, item in enumerate(interviews, 1):
        if not isinstance(item, dict) or not isinstance(item.get("answers"), dict):
            raise ImportFileError(
                f'{path}: interview {number} must be an object with an "answers" object',
                "See the README for the answers file format.",
            )
        session = item.get("session", {})
        if not isinstance(session, dict):
            raise ImportFileError(f'{path}: interview {number}: "session" must be an object')
        unknown = set(session) - _SESSION_KEYS
        if unknown:
            raise ImportFileError(
                f"{path}: interview {number}: unknown session field(s) "
                f"{', '.join(sorted(unknown))}",
                f"Known fields: {', '.join(sorted(_SESSION_KEYS))}.",
            )
    return interviews


def session_info(data: dict[str, Any], script: Script) -> SessionInfo:
    """SessionInfo from the "session" object of an interview."""
    extra = {k: data[k] for k in ("started_at", "device") if data.get(k)}
    return SessionInfo(
        perspective=str(data.get("perspective") or script.perspective),
        participant=str(data.get("participant") or ""),
        segment=str(data.get("segment") or ""),
        persona=str(data.get("persona") or ""),
        language=str(data.get("language") or script.languages[0]),
        interviewer=str(data.get("interviewer") or ""),
        kiosk=str(data.get("kiosk") or ""),
        extra=extra,
    )


def import_file(
    path: Path,
    script_path: str | Path = "customer",
    db_path: Path | None = None,
    tagger_mode: str | None = None,
    progress: bool = True,
    store: Store | None = None,
    redact: Sequence[str] | None = None,
) -> ImportResult:
    """Import every interview of a file; problems are collected, not raised, per interview."""
    script = load_script(bundled_script(str(script_path)))
    interviews = read_interviews(path)
    store = store or open_store(db_path, check_schema=True)
    tagger: Tagger | None = None
    if tagger_mode is not None:
        from cjm_interview.nlp.loader import load_tagger

        tagger = load_tagger(tagger_mode)
    result = ImportResult()
    for number, data in _progress(interviews, progress):
        try:
            session = run_interview(store, script, data, tagger, redact)
        except InterviewImportError as exc:
            result.errors.append(f"interview {number}: {exc}")
            if exc.session_id:
                result.session_ids.append(exc.session_id)
            result.answers += exc.answers
            continue
        result.session_ids.append(session.id)
        result.answers += len(session.engine.answers)
        unused = unasked_answers(session, data["answers"])
        if unused:
            result.warnings.append(
                f"interview {number}: given but not asked (their conditions did not hold): "
                + ", ".join(unused)
            )
    return result


def unasked_answers(session: InterviewSession, answers: dict[str, Any]) -> list[str]:
    """Answers in the file that the interview never asked for."""
    asked = set(session.engine.answers)
    groups = {s.id: s for s in session.script.sections if s.group_id is not None}
    unused = []
    for key, value in answers.items():
        if key in groups and isinstance(value, list):
            order = session.engine.step_order(key)
            for index, step in enumerate(value):
                iteration = order[index] if index < len(order) else -1
                for qid in step:
                    if AnswerKey(qid, iteration) not in asked:
                        unused.append(f"{qid} (step {index + 1})")
        elif AnswerKey(key, 0) not in asked:
            unused.append(key)
    return unused


def _progress(items: list[dict[str, Any]], show: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    if not show or len(items) < 20:
        yield from enumerate(items, 1)
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("Importing interviews", total=len(items))
        for number, item in enumerate(items, 1):
            yield number, item
            bar.advance(task)


class InterviewImportError(Exception):
    """One interview could not be completed from the file."""

    def __init__(self, message: str, session_id: str = "", answers: int = 0) -> None:
        super().__init__(message)
        self.session_id = session_id
        self.answers = answers


def run_interview(
    store: Store,
    script: Script,
    data: dict[str, Any],
    tagger: Tagger | None = None,
    redact: Sequence[str] | None = None,
) -> InterviewSession:
    """Drive one interview through the engine and store from its answers."""
    answers = data["answers"]
    _check_known(script, answers)
    info = session_info(data.get("session", {}), script)
    session = InterviewSession.start(store, script, info, tagger=tagger, redact=redact)
    engine = session.engine
    guard = 0
    while True:
        guard += 1
        if guard > 10_000:
            raise InterviewImportError("the script does not come to an end", session.id)
        state = session.state()
        if state is None:
            break
        if isinstance(state, AwaitingTags):
            session.tag(list(state.keys))
            continue
        raw = _answer_for(engine, state, answers)
        result = session.skip() if raw is _MISSING else session.submit(raw)
        if isinstance(result, Rejected):
            where = state.question.id
            if state.item.step_number:
                where += f" (step {state.item.step_number})"
            given = "nothing" if raw is _MISSING else json.dumps(raw, ensure_ascii=False)[:60]
            raise InterviewImportError(
                f"{where}: {result.message} (given: {given})", session.id, len(engine.answers)
            )
    status = data.get("session", {}).get("status")
    if status in ("abandoned", "ended_early"):
        session.end(status)
    return session


_MISSING = object()


def _check_known(script: Script, answers: dict[str, Any]) -> None:
    known = set(script.questions_by_id)
    groups = {s.id for s in script.sections if s.repeat is not None}
    for key, value in answers.items():
        if key in groups:
            if not isinstance(value, list):
                raise InterviewImportError(f"{key!r} must be a list of steps")
            for i, step in enumerate(value, 1):
                if not isinstance(step, dict):
                    raise InterviewImportError(f"{key!r} step {i} must be an object")
                bad = set(step) - known
                if bad:
                    raise InterviewImportError(
                        f"{key!r} step {i}: unknown question(s) {', '.join(sorted(bad))}"
                    )
        elif key not in known:
            raise InterviewImportError(f"unknown question {key!r} in this script ({script.id})")


def _answer_for(engine: Engine, prompt: Prompt, answers: dict[str, Any]) -> Any:
    question = prompt.question
    section = prompt.item.section
    group = section.group_id
    if group is not None:
        steps = answers.get(group, [])
        index = prompt.item.step_number - 1
        step = steps[index] if 0 <= index < len(steps) else {}
        if question.id in step:
            return step[question.id]
        if section.repeat is not None and section.repeat.while_:
            refs = parse_expression(section.repeat.while_).refs
            if question.id in refs:
                return _continuation(engine, prompt, question.id, index + 1 < len(steps))
        return _default(question.type, question.required)
    if question.id in answers:
        return answers[question.id]
    return _default(question.type, question.required)


def _default(qtype: QuestionType, required: bool) -> Any:
    if qtype in (QuestionType.NOTE, QuestionType.JOURNEY_REVIEW):
        return "ok"
    return _MISSING


def _continuation(engine: Engine, prompt: Prompt, question_id: str, more: bool) -> Any:
    """The answer to "anything after that?" that makes the journey go on (or stop)."""
    section = prompt.item.section
    assert section.repeat is not None and section.repeat.while_
    expr = parse_expression(section.repeat.while_)
    question = prompt.question
    candidates: list[Any] = (
        [True, False]
        if question.type is QuestionType.YES_NO
        else [c.value for c in question.choices]
    )
    key = AnswerKey(question_id, prompt.item.iteration)
    for candidate in candidates:
        engine.answers[key] = _probe_answer(key, candidate)
        try:
            verdict = truthy(evaluate(expr, _Context(engine, prompt.item.iteration, 0)))
        finally:
            del engine.answers[key]
        if verdict == more:
            return candidate
    return _MISSING


def _probe_answer(key: AnswerKey, value: Any) -> Any:
    from cjm_interview.domain import Answer

    return Answer(key, str(value), value, tags=())
