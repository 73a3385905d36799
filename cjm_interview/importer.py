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
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cjm_interview.answers import clean_text
from cjm_interview.conditions import evaluate, parse_expression, truthy
from cjm_interview.config import bundled_script
from cjm_interview.domain import AnswerKey, Question, QuestionType, Script, SessionInfo
from cjm_interview.engine import AwaitingTags, Engine, Prompt, Rejected, _Context
from cjm_interview.errors import CjmError
from cjm_interview.files import InputFileError, RepeatedKey, once, read_limited
from cjm_interview.nlp.base import Tagger, TagResult
from cjm_interview.script import load_script
from cjm_interview.session import InterviewSession, tag_failure
from cjm_interview.store import Store, open_store

MAX_ANSWERS_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 8  # interviews > answers > steps > step > a list of channels, with room to spare
MAX_DIGITS = 30
PERSPECTIVES = ("customer", "staff")
# The bundled script for each perspective, when no --script is given.
SCRIPT_FOR = {"customer": "customer", "staff": "staff"}

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
    """Interviews imported whole."""
    failed_ids: list[str] = field(default_factory=list)
    """Interviews stopped by a bad answer: kept in the database, in progress."""
    answers: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    untagged: list[str] = field(default_factory=list)
    """Interviews stored without the model's tags (also among ``warnings``): said even
    when the import is quiet."""
    dropped: list[str] = field(default_factory=list)
    """Answers of the file that were not stored (also among ``warnings``): said even when
    the import is quiet."""

    def summary(self) -> str:
        n = len(self.session_ids)
        text = f"Imported {n} interview{'' if n == 1 else 's'}, {self.answers} answers."
        if self.failed_ids:
            text += (
                f" {len(self.failed_ids)} interview(s) stopped at a bad answer and were kept "
                "as in progress: " + ", ".join(self.failed_ids) + "."
            )
        if self.warnings:
            text += f" {len(self.warnings)} warning(s):\n  " + "\n  ".join(self.warnings)
        if self.errors:
            text += f" {len(self.errors)} problem(s):\n  " + "\n  ".join(self.errors)
        return text


class _HugeNumber(str):
    """A number of more digits than any answer needs (kept as text to be reported)."""


def _number(text: str) -> Any:
    if len(text) > MAX_DIGITS:
        return _HugeNumber(text)
    return float(text) if any(c in text for c in ".eE") else int(text)


def read_interviews(path: Path) -> list[Any]:
    """The interviews in an answers file; each one's shape is checked when it is imported."""
    try:
        raw = read_limited(path, MAX_ANSWERS_BYTES, "answers file")
    except InputFileError as exc:
        raise ImportFileError(str(exc), exc.hint) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: not UTF-8 text") from None
    text = text.removeprefix("\ufeff")  # a byte order mark, as some editors save UTF-8
    try:
        data = json.loads(text, parse_int=_number, parse_float=_number, object_pairs_hook=once)
    except RepeatedKey as exc:
        raise ImportFileError(
            f"{path}: key {_shown(exc.key)} is given twice in one object; which one is meant?",
            "Keep one of them.",
        ) from None
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})",
            "See the README for the answers file format.",
        ) from None
    except RecursionError:
        raise ImportFileError(
            f"{path}: JSON nested too deeply to be an answers file",
            "See the README for the answers file format.",
        ) from None
    if isinstance(data, dict) and "interviews" in data:
        data = data["interviews"]
    return data if isinstance(data, list) else [data]


def check_interview(item: Any) -> None:
    """Raise InterviewImportError unless ``item`` has the shape of one interview."""
    if not isinstance(item, dict) or not isinstance(item.get("answers"), dict):
        raise InterviewImportError('must be an object with an "answers" object')
    session = item.get("session", {})
    if not isinstance(session, dict):
        raise InterviewImportError('"session" must be an object')
    unknown = set(session) - _SESSION_KEYS
    if unknown:
        raise InterviewImportError(
            f"unknown session field(s) {', '.join(sorted(map(_shown, unknown)))} "
            f"(known: {', '.join(sorted(_SESSION_KEYS))})"
        )
    for key, value in session.items():
        if value is not None and not isinstance(value, str | int | float):
            raise InterviewImportError(f"session field {key!r} must be text")
    perspective = session.get("perspective")
    if perspective is not None and perspective not in PERSPECTIVES:
        raise InterviewImportError(
            f"perspective {_shown(perspective)} is not one of {', '.join(PERSPECTIVES)}"
        )
    status = session.get("status")
    if status not in (None, "", "finished", *UNFINISHED):
        # "in_progress" was imported as finished: an import runs an interview to its end
        # (or to its first missing answer, for one not finished).
        raise InterviewImportError(
            f"status {_shown(status)} is not one an import can give (finished, "
            f"{', '.join(UNFINISHED)}); an unfinished interview is imported as one of the last two"
        )
    started = session.get("started_at")
    if started not in (None, "") and not _is_time(str(started)):
        # Stored as given, "not a date" came after every --since.
        raise InterviewImportError(
            f"started_at {_shown(started)} is not a date and time (e.g. 2026-03-01T14:05:00Z)"
        )
    problem = _bad_value(item, 0)
    if problem:
        raise InterviewImportError(problem)


def _is_time(text: str) -> bool:
    """An ISO 8601 date, or date and time, that exists."""
    import datetime as dt

    try:
        dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _bad_value(value: Any, depth: int) -> str:
    if isinstance(value, _HugeNumber):
        return f"a number of {len(value):,} digits"
    if depth > MAX_DEPTH:
        return "values nested too deeply"
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            problem = _bad_value(child, depth + 1)
            if problem:
                return problem
    return ""


def _shown(value: Any) -> str:
    """A value from the file as it can be printed: cleaned and cut short."""
    return repr(clean_text(str(value))[:40])


def session_info(data: dict[str, Any], script: Script) -> SessionInfo:
    """SessionInfo from the "session" object of an interview."""

    def text(key: str, default: str = "") -> str:
        # Control characters and lone surrogates (not storable as UTF-8) are removed.
        value = data.get(key)
        return clean_text(str(value)).strip() if value not in (None, "") else default

    extra = {k: text(k) for k in ("started_at", "device") if text(k)}
    language = text("language", script.languages[0])
    if language not in script.languages:
        raise InterviewImportError(
            f"language {_shown(language)} is not one of the script's: "
            + ", ".join(script.languages)
        )
    return SessionInfo(
        perspective=text("perspective", script.perspective),
        participant=text("participant"),
        segment=text("segment"),
        persona=text("persona"),
        language=language,
        interviewer=text("interviewer"),
        kiosk=text("kiosk"),
        extra=extra,
    )


def import_file(
    path: Path,
    script_path: str | Path | None = None,
    db_path: Path | None = None,
    tagger_mode: str | None = None,
    progress: bool = True,
    store: Store | None = None,
    redact: Sequence[str] | None = None,
) -> ImportResult:
    """Import every interview of a file; problems are collected, not raised, per interview.

    Without ``script_path`` each interview runs the bundled script of its
    perspective (customer or staff); with one, interviews of another
    perspective are refused.
    """
    scripts: dict[str, Script] = {}
    chosen = load_script(bundled_script(str(script_path))) if script_path is not None else None

    def script_for(data: dict[str, Any]) -> Script:
        """The script an interview runs: the one given, else its perspective's."""
        perspective = (data.get("session") or {}).get("perspective")
        if chosen is None:
            name = SCRIPT_FOR[perspective or "customer"]
            if name not in scripts:
                scripts[name] = load_script(bundled_script(name))
            return scripts[name]
        if perspective and perspective != chosen.perspective:
            raise InterviewImportError(
                f"a {perspective} interview, but script {chosen.id} is for "
                f"{chosen.perspective}s; leave --script out to use the bundled "
                f"{perspective} script, or give a {perspective} script"
            )
        return chosen

    interviews = read_interviews(path)
    if store is None:
        with open_store(db_path, check_schema=True) as own:
            return _import_all(interviews, script_for, own, tagger_mode, progress, redact)
    return _import_all(interviews, script_for, store, tagger_mode, progress, redact)


def _import_all(
    interviews: list[Any],
    script_for: Callable[[dict[str, Any]], Script],
    store: Store,
    tagger_mode: str | None,
    progress: bool,
    redact: Sequence[str] | None,
) -> ImportResult:
    """Import the interviews of a file into ``store`` (``import_file``)."""
    tagger: Tagger | None = None
    prefetch: PrefetchTagger | None = None
    if tagger_mode is not None:
        from cjm_interview.nlp.loader import load_tagger
        from cjm_interview.nlp.threads import limit_threads, threads

        limit_threads(threads())  # before the model's libraries load
        tagger = prefetch = PrefetchTagger(load_tagger(tagger_mode))
    result = ImportResult()
    for number, data in _progress(interviews, progress):
        if prefetch is not None and (number - 1) % PREFETCH_INTERVIEWS == 0:
            ahead = interviews[number - 1 : number - 1 + PREFETCH_INTERVIEWS]
            prefetch.prefetch(_free_texts(ahead, script_for, redact))
        try:
            check_interview(data)
            script = script_for(data)
            session = run_interview(store, script, data, tagger, redact)
        except InterviewImportError as exc:
            result.errors.append(f"interview {number}: {exc}")
            if exc.session_id:
                result.failed_ids.append(exc.session_id)
            result.answers += exc.answers
            continue
        result.session_ids.append(session.id)
        result.answers += len(session.engine.answers)
        if session.tag_errors:  # the answers are stored; only their tags are missing
            result.untagged.append(
                f"interview {number}: {len(session.tag_errors)} answer(s) stored without the "
                f"model's tags (tagging failed: {session.tag_errors[0]})"
            )
            result.warnings.append(result.untagged[-1])
        for dropped in unasked_answers(session, data["answers"]):
            result.dropped.append(f"interview {number}: {dropped}")
            result.warnings.append(result.dropped[-1])
    return result


# Interviews whose free texts are tagged together: the encoder works in batches,
# and one interview alone gives it a few texts at a time.
PREFETCH_INTERVIEWS = 32


class PrefetchTagger:
    """A tagger that tags texts ahead in big batches and answers from what it has.

    The engine asks for tags a step at a time (conditions may read them), which
    would give the encoder one or two texts per call; the import knows every
    text in advance. Texts it was not given ahead are tagged as asked.
    """

    def __init__(self, tagger: Tagger) -> None:
        self.tagger = tagger
        self.name = tagger.name
        self.version = tagger.version
        # By text and the session language it was read in.
        self._ready: dict[tuple[str, str | None], TagResult] = {}

    def prefetch(self, texts: dict[str, list[str]]) -> None:
        """Tag these texts now, by the language they are read in; drop the ones from before."""
        self._ready = {}
        for language, batch in texts.items():
            unique = list(dict.fromkeys(t for t in batch if t.strip()))
            try:
                results = self.tagger.tag_batch(unique, language)
            except Exception:  # asked again per answer, whose failure is told
                continue
            self._ready.update(((t, language), r) for t, r in zip(unique, results, strict=True))

    def tag_batch(self, texts: Sequence[str], language: str | None = None) -> list[TagResult]:
        missing = [t for t in dict.fromkeys(texts) if (t, language) not in self._ready]
        if missing:
            results = self.tagger.tag_batch(missing, language)
            self._ready.update(((t, language), r) for t, r in zip(missing, results, strict=True))
        return [self._ready[(t, language)] for t in texts]


def _free_texts(
    interviews: Sequence[Any],
    script_for: Callable[[dict[str, Any]], Script],
    redact: Sequence[str] | None,
) -> dict[str, list[str]]:
    """Every string answer of these interviews, as the engine will store it, by language.

    Interviews the import will refuse are left out: their texts never reach the tagger.
    """
    from cjm_interview.privacy import redact as redacted

    by_language: dict[str, list[str]] = {}
    for data in interviews:
        try:
            check_interview(data)
            script = script_for(data)
            # The session's language as the engine sets it.
            language = session_info(data.get("session", {}), script).language
        except InterviewImportError:
            continue
        kinds = tuple(script.redact if redact is None else redact)
        texts = by_language.setdefault(language, [])
        stack: list[Any] = [data["answers"]]
        while stack:  # no recursion: a file may nest deeply
            value = stack.pop()
            if isinstance(value, str):
                texts.append(clean_text(redacted(value, kinds) if kinds else value))
            elif isinstance(value, list):
                stack.extend(reversed(value))
            elif isinstance(value, dict):
                stack.extend(reversed(list(value.values())))
    return by_language


SHOWN_UNASKED = 12
"""Unasked answers named one by one in a warning; the rest are counted."""


def unasked_answers(session: InterviewSession, answers: dict[str, Any]) -> list[str]:
    """What of the file the interview did not store, and why: steps past the script's
    most (a file of 200 steps for a script of 15 lost 185 "as their conditions did not
    hold"), and answers to questions the interview never asked."""
    asked = set(session.engine.answers)
    groups = {s.id: s for s in session.script.sections if s.group_id is not None}
    unused: list[str] = []
    said: list[str] = []
    for key, value in answers.items():
        if key in groups and isinstance(value, list):
            repeat = groups[key].repeat
            most = repeat.max if repeat is not None else len(value)
            if len(value) > most:
                said.append(
                    f"steps {most + 1}–{len(value)} of {key!r} not imported: the script asks "
                    f"for at most {most}"
                )
            order = session.engine.step_order(key)
            for index, step in enumerate(value[:most]):
                iteration = order[index] if index < len(order) else -1
                for qid in step:
                    if AnswerKey(qid, iteration) not in asked:
                        unused.append(f"{qid} (step {index + 1})")
        elif AnswerKey(key, 0) not in asked:
            unused.append(key)
    if unused:
        more = len(unused) - SHOWN_UNASKED
        said.append(
            "given but not asked (their conditions did not hold): "
            + ", ".join(unused[:SHOWN_UNASKED])
            + (f" and {more} more" if more > 0 else "")
        )
    return said


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


# The statuses a file may give an interview that was not finished.
UNFINISHED = ("abandoned", "ended_early")


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
    check_interview(data)
    answers = data["answers"]
    _check_known(script, answers)
    info = session_info(data.get("session", {}), script)
    # Without a tagger, conditions that read tags are still decided: the lexicon
    # tagger (no model) tags just the answers they read.
    session = InterviewSession.start(
        store, script, info, tagger=tagger, redact=redact, expect_tags=True
    )
    engine = session.engine
    status = data.get("session", {}).get("status")
    guard = 0
    while True:
        guard += 1
        if guard > 10_000:
            raise InterviewImportError("the script does not come to an end", session.id)
        state = session.state()
        if state is None:
            break
        if isinstance(state, AwaitingTags):
            if session.tagger is not None:
                try:
                    session.tag(list(state.keys))
                except Exception as exc:  # the conditions are decided as without a model
                    session.tag_errors.append(f"{state.keys[0].question_id}: {tag_failure(exc)}")
                    _tag_for_conditions(session, state.keys)
            else:
                _tag_for_conditions(session, state.keys)
            continue
        raw = _answer_for(engine, state, answers)
        if raw is not _MISSING:
            raw = _checked(state.question, raw, script, session.id, len(engine.answers))
        result = session.skip() if raw is _MISSING else session.submit(raw)
        if isinstance(result, Rejected) and raw is _MISSING and status in UNFINISHED:
            break  # an interview that was not finished stops at its first missing answer
        if isinstance(result, Rejected):
            where = state.question.id
            if state.item.step_number:
                where += f" (step {state.item.step_number})"
            given = "nothing" if raw is _MISSING else json.dumps(raw, ensure_ascii=False)[:60]
            raise InterviewImportError(
                f"{where}: {result.message} (given: {given})", session.id, len(engine.answers)
            )
    if status in UNFINISHED:
        session.end(status)
    if not session.catch_up():  # the answers are stored, but what follows them is not
        left = ", ".join(what for what, _ in session.behind)
        raise InterviewImportError(
            f"answers stored, but its {left} could not be written ({session.behind_error}); "
            "import the file again to finish it",
            session.id,
            len(engine.answers),
        )
    return session


_MISSING = object()


def _tag_for_conditions(session: InterviewSession, keys: Sequence[AnswerKey]) -> None:
    from cjm_interview.nlp.lexicon import LexiconTagger

    lexicon = LexiconTagger()
    for key in keys:
        answer = session.engine.answers[key]
        if answer.skipped or not answer.raw.strip():
            session.engine.set_tags(key, ())
        else:
            session.apply_tags(key, lexicon.tag_batch([answer.raw])[0])


def _checked(question: Question, raw: Any, script: Script, session_id: str, answers: int) -> Any:
    """The answer as the engine takes it, or InterviewImportError for a value of the wrong kind."""
    where = question.id

    def refuse(message: str) -> InterviewImportError:
        return InterviewImportError(f"{where}: {message}", session_id, answers)

    if isinstance(raw, dict):
        raise refuse("an object where an answer belongs")
    multi = question.type in (QuestionType.MULTI_CHOICE, QuestionType.TOUCHPOINTS)
    if isinstance(raw, list):
        if not multi:
            raise refuse("a list where one answer belongs")
        if any(isinstance(item, dict | list) for item in raw):
            raise refuse("a list of lists or objects where options belong")
    if question.type is QuestionType.TOUCHPOINTS:
        return _channels(raw, script, refuse)
    return raw


def _channels(raw: Any, script: Script, refuse: Any) -> list[str]:
    """Channel ids from ids, labels or the taxonomy's aliases; anything else is refused."""
    from cjm_interview.taxonomy import default_taxonomy

    parts = raw if isinstance(raw, list) else re.split(r"[,;\n]", str(raw))
    names = [clean_text(str(p)).strip() for p in parts if clean_text(str(p)).strip()]
    by_name = {alias: tp for alias, tp in default_taxonomy().aliases.items()}
    for touchpoint in script.touchpoints:
        by_name[touchpoint.id.lower()] = touchpoint.id
        by_name[touchpoint.label.lower()] = touchpoint.id
    ids: list[str] = []
    for name in names:
        found = by_name.get(name.lower())
        if found is None and name.lower().startswith("other:") and name[6:].strip():
            found = f"other: {name[6:].strip()}"
        if found is None:
            valid = ", ".join(t.id for t in script.touchpoints)
            raise refuse(
                f"unknown channel {_shown(name)} (valid: {valid}; their labels and the "
                'aliases in models/taxonomy.yaml are accepted, or "other: ..." for another)'
            )
        if found not in ids:
            ids.append(found)
    return ids


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
