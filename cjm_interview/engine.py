"""The interview as a pure state machine: no I/O, no Textual, no torch.

The engine walks a script given the answers so far. The current prompt is the
first applicable question without an answer, unless the participant went
back, in which case a cursor points at an earlier answer. Every change the
engine makes is returned as answers to persist, so the store (and only the
store) writes them; given the same script and answers the engine always
arrives at the same place.

Journey steps are iterations of a repeat section. Each iteration has a
stable number (1, 2, 3 ...); the order in which they happened is a special
answer ``<section>#order`` so that adding a missed step, moving or removing
one during the playback keeps its history like any other answer.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cjm_interview.answers import InvalidAnswer, clean_text, is_blank, parse_answer, too_long
from cjm_interview.conditions import UNKNOWN, evaluate, parse_expression, truthy
from cjm_interview.domain import (
    FREE_TEXT_TYPES,
    Answer,
    AnswerKey,
    Question,
    QuestionType,
    Script,
    Section,
    Tag,
)
from cjm_interview.privacy import redact

ORDER_SUFFIX = "#order"
EXPECTED_STEPS = 5  # for the time-left estimate before the journey is told


def order_key(group_id: str) -> AnswerKey:
    """Key of the answer that holds a repeat group's step order."""
    return AnswerKey(group_id + ORDER_SUFFIX, 0)


@dataclass(frozen=True)
class Item:
    """A question to ask, in a given journey step (iteration 0 outside steps)."""

    question: Question
    section: Section
    iteration: int = 0
    step_number: int = 0  # 1-based position of the step in the journey

    @property
    def key(self) -> AnswerKey:
        return AnswerKey(self.question.id, self.iteration)


@dataclass(frozen=True)
class StepView:
    """One journey step as the participant told it."""

    iteration: int
    number: int
    action: str
    touchpoints: tuple[str, ...] = ()
    grade: int | None = None


@dataclass(frozen=True)
class Prompt:
    """What to show the participant now."""

    item: Item
    text: str
    section_title: str
    help: str | None
    intro: str | None  # shown when a section starts
    step_label: str | None  # "Step 3 — calling the helpline"
    existing: Answer | None
    can_skip: bool
    can_go_back: bool
    choices: tuple[tuple[str, str], ...]  # (value, label)
    steps: tuple[StepView, ...] = ()  # the journey so far, for a playback

    @property
    def key(self) -> AnswerKey:
        return self.item.key

    @property
    def question(self) -> Question:
        return self.item.question


@dataclass(frozen=True)
class AwaitingTags:
    """The next question depends on tags of an answer not tagged yet."""

    keys: tuple[AnswerKey, ...]


@dataclass(frozen=True)
class Progress:
    """How far the interview has come."""

    answered: int
    estimated_total: int
    seconds_left: int
    finished: bool

    @property
    def fraction(self) -> float:
        if self.finished:
            return 1.0
        if self.estimated_total <= 0:
            return 0.0
        return min(0.99, self.answered / self.estimated_total)


@dataclass(frozen=True)
class Accepted:
    """The answer was taken; ``changes`` are the answers to persist."""

    answer: Answer
    changes: tuple[Answer, ...]


@dataclass(frozen=True)
class Rejected:
    """The answer was not taken; show ``message`` and ask again."""

    message: str


SubmitResult = Accepted | Rejected


@dataclass
class _Order:
    order: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def as_value(self) -> dict[str, list[int]]:
        return {"order": list(self.order), "removed": list(self.removed)}


class _Answers(dict[AnswerKey, Answer]):
    """Answers by key, counting changes so that walks can be cached between them."""

    version = 0

    def __setitem__(self, key: AnswerKey, value: Answer) -> None:
        super().__setitem__(key, value)
        self.version += 1

    def __delitem__(self, key: AnswerKey) -> None:
        super().__delitem__(key)
        self.version += 1


class Engine:
    """Interview state for one session."""

    def __init__(
        self,
        script: Script,
        language: str = "en",
        answers: Sequence[Answer] = (),
        expect_tags: bool = False,
        redact: Sequence[str] | None = None,
    ) -> None:
        self.script = script
        """The validated script."""
        self.language = language if language in script.languages else script.languages[0]
        """Language of the texts shown."""
        self.expect_tags = expect_tags
        """When true, a condition on an untagged answer waits for its tags."""
        self.redact = tuple(script.redact if redact is None else redact)
        """Kinds of personal data removed from free text before it is kept."""
        self.answers: dict[AnswerKey, Answer] = _Answers((a.key, self._settle(a)) for a in answers)
        """Current answers by key (the latest revision of each)."""
        self.cursor: AnswerKey | None = None
        """Set while revisiting an earlier answer; None means 'the first unanswered'."""
        self._questions = script.questions_by_id
        self._section_of = {q.id: s for s in script.sections for q in s.questions}
        self._action_question: dict[str, Question] = {}
        self._continuation: dict[str, frozenset[str]] = {}
        for section in script.sections:
            if section.repeat is not None:
                self._action_question[section.id] = _action_question(section)
                refs = parse_expression(section.repeat.while_).refs if section.repeat.while_ else ()
                self._continuation[section.id] = frozenset(refs)
        self._parsed: dict[str, Any] = {}
        # Results that depend only on the answers, dropped whenever they change.
        self._memo: dict[Any, Any] = {}
        self._memo_version = -1

    def _cached(self, key: Any, compute: Any) -> Any:
        version = getattr(self.answers, "version", None)
        if version is None or version != self._memo_version:
            self._memo.clear()
            self._memo_version = version if version is not None else -1
        if version is None:
            return compute()
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def _settle(self, answer: Answer) -> Answer:
        # Only free text gets tags: anything else counts as tagged already.
        if answer.tags is not None:
            return answer
        question = self.script.questions_by_id.get(answer.key.question_id)
        taggable = question is not None and question.type in FREE_TEXT_TYPES
        if answer.skipped or not taggable or not answer.raw.strip():
            return replace(answer, tags=())
        return answer

    # ------------------------------------------------------------ walking
    def _expr(self, source: str) -> Any:
        if source not in self._parsed:
            self._parsed[source] = parse_expression(source)
        return self._parsed[source]

    def _test(self, source: str | None, iteration: int, step_number: int) -> Any:
        if source is None:
            return True
        return evaluate(self._expr(source), _Context(self, iteration, step_number))

    def step_order(self, group_id: str) -> list[int]:
        """Iterations of a repeat group in journey order, as far as the walk reached."""
        return list(self._group_iterations(group_id))

    def _group_iterations(self, group_id: str) -> list[int]:
        result: list[int] = self._cached(
            ("iterations", group_id), lambda: list(self._compute_iterations(group_id))
        )
        return result

    def _stored_order(self, group_id: str) -> _Order:
        answer = self.answers.get(order_key(group_id))
        if answer is None or not isinstance(answer.value, dict):
            return _Order()
        return _Order(list(answer.value.get("order", [])), list(answer.value.get("removed", [])))

    def _compute_iterations(self, group_id: str) -> Iterator[int]:
        """Iterations of a group in order, extending the stored order as the walk continues."""
        section = self.script.section(group_id)
        assert section.repeat is not None
        stored = self._stored_order(group_id)
        ids = list(stored.order)
        known = set(ids) | set(stored.removed)
        qids = {q.id for q in section.questions}
        extra = sorted({k.iteration for k in self.answers if k.question_id in qids} - known)
        next_fresh = max([0, *known, *extra]) + 1
        pos = 0
        while True:
            if pos >= len(ids):
                if len(ids) >= section.repeat.max:
                    return
                if len(ids) >= max(section.repeat.min, 1):
                    if section.repeat.while_ is None or self._stops(group_id) & set(ids):
                        return
                    if not truthy(self._test(section.repeat.while_, ids[-1], len(ids))):
                        return
                if extra:
                    ids.append(extra.pop(0))
                else:
                    ids.append(next_fresh)
                    next_fresh += 1
            yield ids[pos]
            pos += 1

    def _walk(self) -> Iterator[Item | AwaitingTags]:
        """Applicable items in order; stops after the first unanswered one."""
        for section in self.script.sections:
            verdict = self._test(section.when, 0, 0)
            if verdict is UNKNOWN and self.expect_tags:
                yield AwaitingTags(self._pending_tag_keys(section.when, 0))
                return
            if not truthy(verdict):
                continue
            if section.repeat is not None:
                iterations = iter(self._group_iterations(section.id))
                stop = yield from self._walk_steps(section, iterations, is_collection=True)
            elif section.for_each is not None:
                order = list(self._group_iterations(section.for_each))
                stop = yield from self._walk_steps(section, iter(order), is_collection=False)
            else:
                stop = yield from self._walk_questions(section, 0, 0, last_step=True)
            if stop:
                return

    def _walk_steps(
        self, section: Section, iterations: Iterator[int], is_collection: bool
    ) -> Generator[Item | AwaitingTags, None, bool]:
        # A step's continuation question ("anything after that?") is asked
        # only at the last step, and not at all once some step ended the journey.
        stored_len = len(self._stored_order(section.id).order) if is_collection else 0
        stops = self._stops(section.id) if is_collection else set()
        limit = section.repeat.max if section.repeat else 0
        for number, iteration in enumerate(iterations, 1):
            ask = (
                is_collection
                and number >= stored_len
                and number < limit
                and not (stops - {iteration})
            )
            stop = yield from self._walk_questions(section, iteration, number, last_step=ask)
            if stop:
                return True
        return False

    def _stops(self, group_id: str) -> set[int]:
        """Steps whose continuation answer ended the journey."""
        result: set[int] = self._cached(("stops", group_id), lambda: self._compute_stops(group_id))
        return result

    def _compute_stops(self, group_id: str) -> set[int]:
        section = self.script.section(group_id)
        refs = self._continuation.get(group_id, frozenset())
        if section.repeat is None or section.repeat.while_ is None or not refs:
            return set()
        removed = set(self._stored_order(group_id).removed)
        candidates = {k.iteration for k in self.answers if k.question_id in refs} - removed
        return {
            it
            for it in candidates
            if all(AnswerKey(r, it) in self.answers for r in refs)
            and not truthy(self._test(section.repeat.while_, it, 0))
        }

    def _walk_questions(
        self, section: Section, iteration: int, number: int, last_step: bool
    ) -> Generator[Item | AwaitingTags, None, bool]:
        continuation = self._continuation.get(section.id, frozenset())
        for question in section.questions:
            if question.id in continuation and not last_step:
                continue
            verdict = self._test(question.when, iteration, number)
            if verdict is UNKNOWN and self.expect_tags:
                yield AwaitingTags(self._pending_tag_keys(question.when, iteration))
                return True
            if not truthy(verdict):
                continue
            item = Item(question, section, iteration, number)
            yield item
            if item.key not in self.answers:
                return True
        return False

    def _pending_tag_keys(self, source: str | None, iteration: int) -> tuple[AnswerKey, ...]:
        if source is None:
            return ()
        keys = []
        for qid in sorted(self._expr(source).tag_refs):
            key = self._key_for(qid, iteration)
            answer = self.answers.get(key)
            if answer is not None and answer.tags is None:
                keys.append(key)
        return tuple(keys)

    def _key_for(self, question_id: str, iteration: int) -> AnswerKey:
        section = self._section_of[question_id]
        return AnswerKey(question_id, iteration if section.repeating else 0)

    def _walked(self) -> list[Item | AwaitingTags]:
        key = ("walk", self.expect_tags)
        walked: list[Item | AwaitingTags] = self._cached(key, lambda: list(self._walk()))
        return walked

    def items(self) -> list[Item]:
        """Applicable items up to and including the first unanswered one."""
        return [x for x in self._walked() if isinstance(x, Item)]

    def off_path(self) -> set[AnswerKey]:
        """Answers the participant's other answers have since made inapplicable.

        Consent changed to "no", a branch whose condition an earlier answer now
        fails, a step taken out of the journey: such answers are kept (changing
        back brings them back) but belong to no map. Unlike the walk, this looks
        past unanswered questions, and a condition that cannot be decided yet
        (tags still to come) keeps its answers.
        """
        reachable: set[AnswerKey] = set()
        for section in self.script.sections:
            if _fails(self._test(section.when, 0, 0)):
                continue
            if section.repeat is not None:
                steps = list(enumerate(self._group_iterations(section.id), 1))
            elif section.for_each is not None:
                steps = list(enumerate(self._group_iterations(section.for_each), 1))
            else:
                steps = [(0, 0)]
            for number, iteration in steps:
                for question in section.questions:
                    if not _fails(self._test(question.when, iteration, number)):
                        reachable.add(AnswerKey(question.id, iteration))
        return {
            key
            for key in self.answers
            if key not in reachable and not key.question_id.endswith(ORDER_SUFFIX)
        }

    # ------------------------------------------------------------ state
    def state(self) -> Prompt | AwaitingTags | None:
        """The prompt to show, an AwaitingTags marker, or None when finished."""
        walked = self._walked()
        if self.cursor is not None:
            for x in walked:
                if isinstance(x, Item) and x.key == self.cursor:
                    return self._prompt(x, walked)
            self.cursor = None  # the revisited item no longer applies
        if walked and isinstance(walked[-1], AwaitingTags):
            return walked[-1]
        if walked:
            last = walked[-1]
            assert isinstance(last, Item)
            if last.key not in self.answers:
                return self._prompt(last, walked)
        return None

    def current(self) -> Prompt | None:
        """The prompt to show (None when finished or waiting for tags)."""
        state = self.state()
        return state if isinstance(state, Prompt) else None

    @property
    def finished(self) -> bool:
        """True when every applicable question has an answer."""
        return self.state() is None

    def _prompt(self, item: Item, walked: list[Item | AwaitingTags]) -> Prompt:
        q = item.question
        lang = self.language
        section = item.section
        text_obj = q.first_text if (q.first_text and item.step_number == 1) else q.text
        items = [x for x in walked if isinstance(x, Item)]
        index = items.index(item)
        previous = items[index - 1] if index else None
        starts_section = previous is None or previous.section.id != section.id
        step_label = None
        group = section.group_id
        if group is not None:
            action = self.step_action(group, item.iteration)
            step_label = f"Step {item.step_number}" + (f" — {action}" if action else "")
        text = self._fill(text_obj.get(lang), item)
        if q.type in (QuestionType.TOUCHPOINTS, QuestionType.JOURNEY_REVIEW):
            # A playback of the steps names their channels by these labels, not ids.
            choices = tuple((t.id, t.label) for t in self.script.touchpoints)
        else:
            choices = tuple((c.value, c.label.get(lang)) for c in q.choices)
        steps: tuple[StepView, ...] = ()
        if q.type is QuestionType.JOURNEY_REVIEW:
            steps = tuple(self.steps())
        return Prompt(
            item=item,
            text=text,
            section_title=section.title.get(lang),
            help=q.help.get(lang) if q.help else None,
            intro=(
                section.intro.get(lang)
                if section.intro and starts_section and item.step_number <= 1
                else None
            ),
            step_label=step_label,
            existing=self.answers.get(item.key),
            can_skip=not q.required,
            can_go_back=index > 0,
            choices=choices,
            steps=steps,
        )

    def _fill(self, text: str, item: Item) -> str:
        group = item.section.group_id
        if group is None:
            return text
        number = item.step_number
        text = text.replace("{n}", str(number))
        if "{step}" in text:
            text = text.replace(
                "{step}", self.step_action(group, item.iteration) or f"step {number}"
            )
        if "{previous}" in text:
            order = self.step_order(group)
            pos = order.index(item.iteration) if item.iteration in order else 0
            prev = self.step_action(group, order[pos - 1]) if pos > 0 else ""
            text = text.replace("{previous}", prev or "that")
        return text

    # ------------------------------------------------------------ steps
    def step_action(self, group_id: str, iteration: int, width: int = 60) -> str:
        """The participant's words for a step, shortened for labels."""
        question = self._action_question.get(group_id)
        if question is None:
            return ""
        answer = self.answers.get(AnswerKey(question.id, iteration))
        if answer is None or not isinstance(answer.value, str):
            return ""
        text = " ".join(answer.value.split())
        return text if len(text) <= width else text[: width - 1].rstrip() + "…"

    def repeat_groups(self) -> list[str]:
        """Ids of the repeat sections (journey step collections)."""
        return [s.id for s in self.script.sections if s.repeat is not None]

    def steps(self, group_id: str | None = None) -> list[StepView]:
        """The journey so far: steps with an action, in order."""
        groups = [group_id] if group_id else self.repeat_groups()
        views: list[StepView] = []
        for group in groups:
            section = self.script.section(group)
            tp_q = next((q for q in section.questions if q.maps_to == "step.touchpoints"), None)
            grade_q = self._grade_question(group)
            action_q = self._action_question[group]
            for number, iteration in enumerate(self._group_iterations(group), 1):
                action = self.step_action(group, iteration, width=200)
                if not action:
                    break
                # Channels picked, else those the tagger found in the action's words.
                touchpoints: tuple[str, ...] = ()
                tp = self.answers.get(AnswerKey(tp_q.id, iteration)) if tp_q else None
                if tp is not None and isinstance(tp.value, list) and tp.value:
                    touchpoints = tuple(tp.value)
                else:
                    said = self.answers.get(AnswerKey(action_q.id, iteration))
                    if said is not None and said.tags:
                        touchpoints = tuple(t.label for t in said.tags if t.kind == "touchpoint")
                grade = None
                if grade_q is not None:
                    g = self.answers.get(AnswerKey(grade_q.id, iteration))
                    if g is not None and isinstance(g.value, int):
                        grade = g.value
                views.append(StepView(iteration, number, action, touchpoints, grade))
        return views

    def _grade_question(self, group: str) -> Question | None:
        for section in self.script.sections:
            if section.group_id == group:
                for q in section.questions:
                    if q.maps_to == "step.grade":
                        return q
        return None

    # ------------------------------------------------------------ answering
    def submit(self, raw: Any, answered_by: str = "") -> SubmitResult:
        """Validate and take an answer to the current prompt."""
        prompt = self.current()
        if prompt is None:
            return Rejected("The interview is already complete.")
        q = prompt.question
        if why := too_long(q, raw):
            return Rejected(why)
        if q.type not in (QuestionType.NOTE, QuestionType.JOURNEY_REVIEW) and is_blank(raw):
            if q.required:
                if q.type is QuestionType.GRADE:
                    return Rejected("Please give a grade from 0 (awful) to 10 (perfect).")
                return Rejected("This question needs an answer.")
            return self.skip()
        if self.redact and q.type in FREE_TEXT_TYPES and isinstance(raw, str):
            raw = redact(raw, self.redact)
        try:
            value = parse_answer(q, raw, self.script.touchpoints, self.language)
        except InvalidAnswer as exc:
            return Rejected(str(exc))
        if q.constraint is not None:
            verdict = evaluate(
                self._expr(q.constraint), _Context(self, prompt.item.iteration, 0), dot=value
            )
            if not truthy(verdict):
                message = q.constraint_message.get(self.language) if q.constraint_message else None
                return Rejected(message or "That answer is not accepted here; please try again.")
        if q.type is QuestionType.JOURNEY_REVIEW:
            value = {"confirmed": True, "steps": [s.action for s in self.steps()]}
        raw_text = raw if isinstance(raw, str) else _raw_of(value)
        return self._store(prompt.item, clean_text(raw_text), value, skipped=False)

    def skip(self) -> SubmitResult:
        """Skip the current question, where the script allows it."""
        prompt = self.current()
        if prompt is None:
            return Rejected("The interview is already complete.")
        if prompt.question.required:
            return Rejected("This question cannot be skipped.")
        return self._store(prompt.item, "", None, skipped=True)

    def _store(self, item: Item, raw: str, value: Any, skipped: bool) -> Accepted:
        key = item.key
        old = self.answers.get(key)
        tags: tuple[Tag, ...] | None = None
        if skipped or item.question.type not in FREE_TEXT_TYPES:
            tags = ()  # nothing to tag
        elif old is not None and old.raw == raw:
            tags = old.tags  # unchanged text keeps its tags
        answer = Answer(
            key=key,
            raw=raw,
            value=value,
            skipped=skipped,
            revision=(old.revision + 1) if old else 1,
            tags=tags,
        )
        self.answers[key] = answer
        changes = [answer]
        group = item.section.repeat and item.section.id
        if group:
            changes += self._sync_order(group)
        self._advance_cursor(key)
        return Accepted(answer, tuple(changes))

    def _sync_order(self, group_id: str) -> list[Answer]:
        # Persist the order only once it was edited; until then it is implied.
        stored = self.answers.get(order_key(group_id))
        if stored is None:
            return []
        order = self._stored_order(group_id)
        walked = list(self._group_iterations(group_id))
        answered = [it for it in walked if self.step_action(group_id, it)]
        if answered == order.order:
            return []
        order.order = answered
        return [self._set_order(group_id, order)]

    def _advance_cursor(self, key: AnswerKey) -> None:
        if self.cursor is None:
            return
        items = self.items()
        keys = [i.key for i in items]
        if key in keys:
            pos = keys.index(key)
            nxt = keys[pos + 1] if pos + 1 < len(keys) else None
            self.cursor = nxt if nxt is not None and nxt in self.answers else None
        else:
            self.cursor = None

    def back(self) -> Prompt | None:
        """Revisit the previous question; its answer is offered for editing."""
        items = self.items()
        state = self.state()
        if not items:
            return None
        if isinstance(state, Prompt):
            keys = [i.key for i in items]
            pos = keys.index(state.key)
            if pos == 0:
                return state
            self.cursor = keys[pos - 1]
        else:
            self.cursor = items[-1].key
        return self.current()

    def forward(self) -> Prompt | None:
        """Leave a revisited answer unchanged and move on."""
        if self.cursor is not None:
            self._advance_cursor(self.cursor)
        return self.current()

    def go_to(self, key: AnswerKey) -> Prompt | None:
        """Revisit a given answered question (from the journey panel)."""
        if key in self.answers and any(i.key == key for i in self.items()):
            self.cursor = key
        return self.current()

    # ------------------------------------------------------------ tags
    def set_tags(self, key: AnswerKey, tags: Sequence[Tag]) -> Answer | None:
        """Attach tags to an answer (from the tagger or a person's correction)."""
        answer = self.answers.get(key)
        if answer is None:
            return None
        updated = replace(answer, tags=tuple(tags))
        self.answers[key] = updated
        return updated

    def untagged(self) -> list[AnswerKey]:
        """Free-text answers still waiting for tags."""
        return [k for k, a in self.answers.items() if a.tags is None]

    # ------------------------------------------------------------ journey edits
    def _private(self, text: str) -> str:
        return redact(text, self.redact) if self.redact else text

    def _set_order(self, group_id: str, order: _Order) -> Answer:
        key = order_key(group_id)
        old = self.answers.get(key)
        answer = Answer(
            key=key,
            raw="",
            value=order.as_value(),
            revision=(old.revision + 1) if old else 1,
            tags=(),
        )
        self.answers[key] = answer
        return answer

    def _current_order(self, group_id: str) -> _Order:
        stored = self._stored_order(group_id)
        walked = [it for it in self._group_iterations(group_id) if self.step_action(group_id, it)]
        return _Order(walked, stored.removed)

    def insert_step(self, group_id: str, position: int, action: str) -> list[Answer]:
        """Add a forgotten step at ``position`` (0-based); returns the answers to persist."""
        section = self.script.section(group_id)
        question = self._action_question[group_id]
        text = self._private(clean_text(action).strip())
        if not text:
            raise InvalidAnswer("Please describe the step to add.")
        order = self._current_order(group_id)
        if section.repeat is not None and len(order.order) >= section.repeat.max:
            raise InvalidAnswer(f"A journey can have at most {section.repeat.max} steps here.")
        used = set(order.order) | set(order.removed)
        used |= {k.iteration for k in self.answers if k.question_id == question.id}
        iteration = max([0, *used]) + 1
        position = max(0, min(position, len(order.order)))
        order.order.insert(position, iteration)
        answer = Answer(AnswerKey(question.id, iteration), text, text, tags=None)
        self.answers[answer.key] = answer
        return [answer, self._set_order(group_id, order)]

    def move_step(self, group_id: str, iteration: int, position: int) -> list[Answer]:
        """Move a step to another place in the journey (0-based position)."""
        order = self._current_order(group_id)
        if iteration not in order.order:
            raise InvalidAnswer("There is no such step.")
        order.order.remove(iteration)
        order.order.insert(max(0, min(position, len(order.order))), iteration)
        return [self._set_order(group_id, order)]

    def remove_step(self, group_id: str, iteration: int) -> list[Answer]:
        """Drop a step from the journey; its answers stay in the history."""
        section = self.script.section(group_id)
        order = self._current_order(group_id)
        if iteration not in order.order:
            raise InvalidAnswer("There is no such step.")
        minimum = section.repeat.min if section.repeat else 0
        if len(order.order) <= max(minimum, 1):
            raise InvalidAnswer("The journey needs at least one step.")
        order.order.remove(iteration)
        order.removed.append(iteration)
        return [self._set_order(group_id, order)]

    def rename_step(self, group_id: str, iteration: int, action: str) -> Accepted:
        """Correct the wording of a step's action."""
        question = self._action_question[group_id]
        section = self._section_of[question.id]
        number = self.step_order(group_id).index(iteration) + 1
        text = self._private(clean_text(action).strip())
        if not text:
            raise InvalidAnswer("Please describe the step.")
        return self._store(Item(question, section, iteration, number), text, text, skipped=False)

    # ------------------------------------------------------------ progress
    def progress(self) -> Progress:
        """Answered so far, a rough total, and the time left."""
        state = self.state()
        items = self.items()
        answered = sum(1 for i in items if i.key in self.answers)
        if state is None:
            return Progress(answered, answered, 0, True)
        reached = {i.section.id for i in items}
        remaining = 0
        current_section = items[-1].section.id if items else None
        for section in self.script.sections:
            per_pass = sum(1 for q in section.questions if q.when is None and q.probe_of is None)
            if section.repeating:
                group = section.group_id or section.id
                told = len(self.steps(group))
                passes = max(told, EXPECTED_STEPS) if section.repeat else max(told, 1)
            else:
                passes = 1
            if section.id not in reached:
                remaining += per_pass * passes
            elif section.id == current_section:
                done_here = sum(
                    1 for i in items if i.section.id == section.id and i.key in self.answers
                )
                remaining += max(1, per_pass * passes - done_here)
        total = answered + remaining
        return Progress(
            answered, total, remaining * self.script.estimated_seconds_per_question, False
        )


def _fails(verdict: Any) -> bool:
    """A condition known to be false (not merely undecided)."""
    return verdict is not UNKNOWN and not truthy(verdict)


def _action_question(section: Section) -> Question:
    for q in section.questions:
        if q.maps_to == "step.action":
            return q
    for q in section.questions:
        if q.type in FREE_TEXT_TYPES:
            return q
    return section.questions[0]


def _raw_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ""
    return str(value)


class _Context:
    """What conditions read: answers and tags, seen from one journey step."""

    def __init__(self, engine: Engine, iteration: int, step_number: int) -> None:
        self.engine = engine
        self.iteration = iteration
        self.number = step_number

    def _answer(self, question_id: str) -> Answer | None:
        engine = self.engine
        section = engine._section_of.get(question_id)
        if section is None:
            return None
        if section.repeating:
            return engine.answers.get(AnswerKey(question_id, self.iteration))
        return engine.answers.get(AnswerKey(question_id, 0))

    def value(self, question_id: str) -> Any:
        engine = self.engine
        section = engine._section_of.get(question_id)
        if section is not None and section.repeating and self.iteration == 0:
            # Read from outside the steps: every step's value, in order.
            group = section.group_id or section.id
            values = []
            for it in engine.step_order(group):
                a = engine.answers.get(AnswerKey(question_id, it))
                if a is not None and not a.skipped:
                    values.append(a.value)
            return values
        answer = self._answer(question_id)
        if answer is None or answer.skipped:
            return None
        return answer.value

    def answered(self, question_id: str) -> bool:
        return self._answer(question_id) is not None

    def tags(self, question_id: str, kind: str) -> list[str] | None:
        answer = self._answer(question_id)
        if answer is None:
            return []
        if answer.tags is None:
            return None
        return [t.label for t in answer.tags if t.kind == kind]

    def tag_score(self, question_id: str, kind: str) -> float | None:
        answer = self._answer(question_id)
        if answer is None or answer.tags is None:
            return None
        for tag in answer.tags:
            if tag.kind == kind:
                return tag.score
        return None

    def step_number(self) -> int:
        return self.number
