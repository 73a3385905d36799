"""The interview as a conversation, driven by the session (engine + store).

The screen asks the session what to show, shows it, and hands back what the
participant answered; every decision (validation, branching, steps, what
comes next) is the engine's. Tags are computed in a worker thread and
applied here, in the UI thread that owns the SQLite connection.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, work
from textual._time import get_time
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

from cjm_interview.answers import InvalidAnswer, own_words, parse_tag_grade
from cjm_interview.domain import Answer, AnswerKey, QuestionType, Tag
from cjm_interview.engine import AwaitingTags, Prompt, Rejected, SubmitResult
from cjm_interview.errors import CjmError, not_saved
from cjm_interview.nlp.base import SENTIMENTS, Tagger
from cjm_interview.session import InterviewSession
from cjm_interview.store.db import SessionErased, StoreBusy
from cjm_interview.taxonomy import default_taxonomy
from cjm_interview.tui.messages import (
    AnswerGiven,
    AnswerSelected,
    JourneyEdit,
    NoteWritten,
    TagDecision,
    TaggingFailed,
    TagsDone,
    TagsReady,
)
from cjm_interview.tui.safe import one_line
from cjm_interview.tui.typeahead import hold_for_screen, let_go, move_focus
from cjm_interview.tui.widgets.chat import AnswerBubble, ChatLog
from cjm_interview.tui.widgets.footer import KeysFooter
from cjm_interview.tui.widgets.inputs import (
    AnswerInput,
    ChoiceAnswer,
    JourneyReviewAnswer,
    input_for,
)
from cjm_interview.tui.widgets.panel import (
    TAG_KEYS,
    JourneyPanel,
    NoteInput,
    NotesPanel,
    SidePanel,
    TagEditor,
    TagList,
    TagPanel,
)
from cjm_interview.tui.widgets.status import StatusBar

if TYPE_CHECKING:
    from cjm_interview.tui.app import CjmApp

AWAIT_TAGS_SECONDS = 2.5
"""How long a question that depends on tags waits for a tagger still loading."""
FINISH_GRACE = 0.5
"""Seconds after the kiosk's thank-you appears before a key finishes it."""
WIDE_ENOUGH_FOR_PANEL = 100
"""Terminal width from which the interviewer's side panel shows by default."""
ANSWER_BOX_ROWS = 14
"""The answer box's height at most; in a short terminal, half of it."""


# Enter with nothing chosen on an optional choice: once a skip, which a stray Enter made
# without anyone meaning it (and the next "n" then answered the question after).
STRAY_ENTER = {
    QuestionType.YES_NO: "Answer with y or n, then Enter; F3 skips this question.",
    QuestionType.SINGLE_CHOICE: "Choose with a number or the arrows, then Enter; F3 skips it.",
    QuestionType.MULTI_CHOICE: "Tick with Space or a number, then Enter; F3 skips this question.",
    QuestionType.TOUCHPOINTS: "Tick with Space or a number, then Enter; F3 skips this question.",
}


def stray_enter(prompt: Prompt, raw: Any) -> bool:
    """Whether an answer is Enter alone on an optional choice question."""
    return prompt.question.type in STRAY_ENTER and prompt.can_skip and raw in ("", None, [])


def playback(prompt: Prompt) -> str:
    """The journey read back as an interviewer would, before the script's question."""
    if not prompt.steps:
        return prompt.text
    # Steps hold commas and end with full stops of their own: "; " between them, one stop.
    told = "; ".join(f"{s.number}) {one_line(s.action, 80).rstrip(' .')}" for s in prompt.steps)
    return f"So far: {told}.\n{prompt.text}"


def answer_display(prompt: Prompt, answer: Answer) -> tuple[str, bool] | None:
    """What the participant's turn shows: (text, italic), or None for nothing."""
    qtype = prompt.question.type
    if answer.skipped:
        return "(skipped)", True
    value = answer.value
    labels = dict(prompt.choices)
    if qtype is QuestionType.NOTE:
        return None
    if qtype in (QuestionType.TEXT, QuestionType.SHORT_TEXT):
        return answer.raw, False
    if qtype is QuestionType.GRADE:
        return f"{value} / 10", False
    if qtype is QuestionType.YES_NO:
        return ("Yes" if value else "No"), False
    if qtype is QuestionType.JOURNEY_REVIEW:
        return "That's right.", True
    values = value if isinstance(value, list) else [value]
    shown = []
    for item in values:
        text = str(item)
        own = own_words(text)
        shown.append(labels.get(text, text) if own is None else f"Other: {own}")
    return ", ".join(shown), False


def preset_for(session: InterviewSession, prompt: Prompt) -> Any:
    """What the input starts with: the earlier answer, or the channels the tagger heard."""
    existing = prompt.existing
    qtype = prompt.question.type
    if existing is not None and not existing.skipped:
        if qtype in (QuestionType.TEXT, QuestionType.SHORT_TEXT):
            return existing.raw
        return existing.value
    if qtype is QuestionType.TOUCHPOINTS:
        for step in session.engine.steps():
            if step.iteration == prompt.item.iteration:
                return list(step.touchpoints)
    return None


class InterviewScreen(Screen[None]):
    """One participant's interview as a chat, with the interviewer's side panel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", priority=True),
        Binding("f2,ctrl+b", "back", "Back", priority=True),
        Binding("f3", "skip", "Skip", priority=True),
        Binding("f8", "keep", "Keep", priority=True),
        Binding("f4", "note", "Note", priority=True),
        Binding("f7", "select_answer", "Tags", priority=True),
        Binding("f6", "toggle_panel", "Panel", priority=True),
        Binding("f5", "pause", "Pause", priority=True),
        Binding("f10", "end_early", "End", priority=True),
        # Once finished, Enter leaves as it arrives, whatever list has the focus (a key
        # typed after it is for the start screen); in a note it saves the note.
        Binding("enter", "leave", show=False, priority=True),
    ]

    kiosk: ClassVar[bool] = False
    """Kiosk screens have no side panel and no interviewer actions."""

    def __init__(self, session: InterviewSession, show_tags: bool, resumed: bool = False) -> None:
        super().__init__(classes="kiosk" if self.kiosk else "interviewer")
        self.session = session
        """The interview being run."""
        self.show_tags = show_tags
        """Whether tags appear under the answers."""
        self.resumed = resumed
        """True when the session was reopened: its earlier turns are replayed."""
        self.current: Prompt | None = None
        """The prompt on screen (None while waiting or when finished)."""
        self.bubbles: dict[AnswerKey, AnswerBubble] = {}
        """The latest turn shown for each answer."""
        self.in_flight: set[AnswerKey] = set()
        """Answers being tagged by a worker now."""
        self.deferred: set[AnswerKey] = set()
        """Answers that went on without tags; tagged when a tagger is ready."""
        self.waiting_for: tuple[AnswerKey, ...] = ()
        """Answers whose tags the next question needs."""
        self.selected: AnswerKey | None = None
        """The answer whose tags the side panel shows."""
        self.finished = False
        """True once the engine has nothing more to ask."""
        self._closing_said = False  # the script's own closing words were shown
        self._input_mounted = False  # an input was mounted while an answer was being taken
        self.panel_wanted: bool | None = None
        """The interviewer's choice to show the panel (None: by terminal width)."""
        self._intros: set[tuple[str, int]] = set()
        self._await_timer: Timer | None = None
        self._waiting_note: Widget | None = None  # "your answer is waiting to be saved"

    @property
    def cjm(self) -> CjmApp:
        return self.app  # type: ignore[return-value]

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="main"):
            yield ChatLog(id="chat")
            if not self.kiosk:
                yield SidePanel(id="side")
        with Vertical(id="answer-box"):
            yield Vertical(id="answer-slot")
            yield Static("", id="hint")
        yield KeysFooter()

    async def on_mount(self) -> None:
        self._tagger_status_changed(self.cjm.tagger_status)
        self.watch(self.cjm, "tagger_status", self._tagger_status_changed, init=False)
        self._fit_panel()
        self._fit_answer_box()
        if self.resumed:
            self._replay()
        await self.advance()
        self.tag_keys(self.session.engine.untagged())

    def on_resize(self) -> None:
        self._fit_panel()
        self._fit_answer_box()

    def _fit_answer_box(self) -> None:
        """At most half a short terminal: at 15 rows the ten channels' list pushed the
        question being asked off the screen. What does not fit scrolls in the box."""
        box, slot = self.query_one("#answer-box"), self.query_one("#answer-slot")
        rows = min(ANSWER_BOX_ROWS, max(5, self.app.size.height // 2))
        border = box.styles.border_top[0] not in ("", "none")
        hint = 2 if self.kiosk else 1  # the kiosk's hint wraps onto a second line
        chrome = int(border) + box.styles.padding.top + hint
        box.styles.max_height = rows
        slot.styles.max_height = max(1, rows - chrome)

    def _fit_panel(self) -> None:
        if self.kiosk:
            return
        side = self.query_one(SidePanel)
        wide = self.app.size.width >= WIDE_ENOUGH_FOR_PANEL
        side.display = self.panel_wanted if self.panel_wanted is not None else wide
        if not side.display:
            # Keys must not go on into a panel no one sees (an "a" accepting a tag).
            self.query_one(TagPanel).close_editor()
            focused = self.app.focused
            if focused is not None and side in focused.ancestors_with_self:
                self._refocus()

    @property
    def chat(self) -> ChatLog:
        return self.query_one(ChatLog)

    def _tagger_status_changed(self, status: str) -> None:
        # A participant alone at a kiosk that shows no tags has no use for the tagger's state.
        self.query_one(StatusBar).show_tagger(status if self.show_tags or not self.kiosk else "")

    # ------------------------------------------------------------ the conversation
    def _replay(self) -> None:
        """Show the turns of a resumed session, as they stand now."""
        engine = self.session.engine
        saved = engine.cursor
        count = 0
        try:
            for item in engine.items():
                if item.key not in engine.answers:
                    continue
                prompt = engine.go_to(item.key)
                if prompt is None:
                    continue
                answer = engine.answers[item.key]
                self.chat.say(prompt.text, "question")
                self._show_answer(prompt, answer)
                count += 1
        finally:
            engine.cursor = saved
        self.chat.say(f"Welcome back: {count} answers so far, carrying on.", "info")

    async def advance(self) -> None:
        """Show whatever the session says comes next."""
        state = self.session.state()
        if isinstance(state, AwaitingTags):
            self._wait_for_tags(state.keys)
            return
        self._stop_waiting()
        if state is None:
            await self._finish()
            return
        await self.show_prompt(state)

    async def show_prompt(self, prompt: Prompt, note: str = "") -> None:
        """Ask a question: its words in the chat, and the input that suits it."""
        if await self._take_note(prompt, note):
            return
        item = prompt.item
        if prompt.intro and (item.section.id, item.iteration) not in self._intros:
            self._intros.add((item.section.id, item.iteration))
            self.chat.say(prompt.intro, "intro")
        if note:
            self.chat.say(note, "info")
        is_review = prompt.question.type is QuestionType.JOURNEY_REVIEW
        if self.current is None or self.current.key != prompt.key or note or is_review:
            text = playback(prompt) if is_review else prompt.text
            self.chat.say(text, "question")
        self.current = prompt
        preset = preset_for(self.session, prompt)
        drafted = self.cjm.drafts.pop(self.session.id, None)
        if drafted is not None and drafted[0] == prompt.key:
            preset = drafted[1]  # typed before a pause, not sent: back in the box
        await self._mount_input(input_for(prompt, preset))
        self._show_status()
        self.refresh_panel()
        self.refresh_bindings()

    async def _mount_input(self, widget: AnswerInput | None, hint: str | None = None) -> None:
        slot = self.query_one("#answer-slot", Vertical)
        await slot.remove_children()
        if widget is not None:
            await slot.mount(widget)
            widget.focus_answer()
            hint = widget.hint
            # Keys typed while this input was on its way are its own (after its focus).
            self.app.call_later(self.cjm.typeahead.release)
            self._input_mounted = True
        self.query_one("#hint", Static).update(Text(hint or "", style="dim"))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The hint line says what the keys do where they go: the answer box's "Enter send"
        was wrong for a note or a tag being typed."""
        widget = event.widget
        if self.app.focused is not widget:
            return  # a focus already moved on (the notes' box, as the last answer box went)
        if isinstance(widget, NoteInput):
            shown = "Enter saves the note · Esc back to the answer"
        elif isinstance(widget, TagEditor):
            shown = "Enter saves the tag · Esc leaves it as it was"
        elif isinstance(widget, TagList):
            shown = TAG_KEYS
        else:
            box = next((n for n in widget.ancestors_with_self if isinstance(n, AnswerInput)), None)
            if box is None:
                return
            shown = box.hint
        self.query_one("#hint", Static).update(Text(shown, style="dim"))

    def _show_status(self) -> None:
        prompt = self.current
        progress = self.session.engine.progress()
        if prompt is None:
            self.query_one(StatusBar).show(self.session.script.title.get("en"), None, progress)
            return
        self.query_one(StatusBar).show(prompt.section_title, prompt.step_label, progress)

    def _show_answer(self, prompt: Prompt, answer: Answer) -> None:
        shown = answer_display(prompt, answer)
        if shown is None:
            return
        text, italic = shown
        taggable = answer.tags is None or any(answer.tags)
        show = self.show_tags and prompt.question.show_tags and taggable and not answer.skipped
        bubble = self.chat.answer(answer.key, text, show, italic)
        self.bubbles[answer.key] = bubble
        if answer.tags is None:
            bubble.set_tags(None, pending=answer.key in self.in_flight)
        else:
            bubble.set_tags(answer.tags)
        if prompt.question.type in (QuestionType.TEXT, QuestionType.SHORT_TEXT):
            self.selected = answer.key

    async def on_answer_given(self, message: AnswerGiven) -> None:
        message.stop()
        self._input_mounted = False
        try:
            await self._take_answer(message)
        finally:
            # Refused, or nothing to ask: the keys go back. While the next question
            # waits for this answer's tags, they wait for its input instead.
            if not self._input_mounted and not self.waiting_for:
                self.app.call_later(self.cjm.typeahead.release)

    async def _take_answer(self, message: AnswerGiven) -> None:
        prompt = self.current
        if prompt is None or message.key != prompt.key:
            return  # a second Enter on an input already answered
        if self.cjm.pending.waiting(self.session) is not None:
            self.cjm.pending.add(self.session, prompt.key, message.raw)  # the latest words count
            return
        now = self.session.state()
        if not isinstance(now, Prompt) or now.key != prompt.key:
            await self.advance()  # tags that arrived meanwhile changed what comes next
            return
        if stray_enter(prompt, message.raw):
            skipped = prompt.existing is not None and prompt.existing.skipped
            if skipped and self.session.engine.cursor is not None:
                # Back on a question skipped before: Enter alone leaves it as it was.
                await self.action_keep()
                return
            await self._taken(prompt, Rejected(STRAY_ENTER[prompt.question.type]))
            return
        try:
            result = self.session.submit(message.raw)
        except StoreBusy:
            self._wait_for_lock(prompt, message.raw)
            return
        except CjmError as exc:
            await self._cannot_save(exc, typed=True)
            return
        await self._taken(prompt, result)

    def _wait_for_lock(self, prompt: Prompt, raw: Any) -> None:
        """The database is locked by another program: the answer waits, shown as waiting."""
        self.cjm.pending.add(self.session, prompt.key, raw)
        self.cjm.watch_lock()
        self._waiting_note = self.chat.say(
            f"Your answer “{one_line(str(raw), 60)}” is waiting to be saved: another program "
            "is using the database. It is kept, and saved as soon as the database is free.",
            "info",
        )
        self._refocus()

    async def answer_stored(self, result: SubmitResult) -> None:
        """An answer that waited for the lock is now in the database."""
        if self._waiting_note is not None:
            await self._waiting_note.remove()
            self._waiting_note = None
        prompt = self.current
        if prompt is None or (not isinstance(result, Rejected) and prompt.key != result.answer.key):
            await self.advance()
            return
        await self._taken(prompt, result)

    async def _taken(self, prompt: Prompt, result: SubmitResult) -> None:
        if isinstance(result, Rejected):
            self.chat.say(result.message, "error")
            self._refocus()
            return
        if self.session.behind:
            self.notify("Answer saved; the session's status is written when the database allows.")
        self._show_answer(prompt, result.answer)
        if result.answer.tags is None:
            self.tag_keys([result.answer.key])
        await self.advance()

    async def erased(self) -> None:
        """The session was erased from the database meanwhile: this screen takes no more."""
        self.current = None
        self.app.call_later(self.cjm.interview_erased, self)

    async def _cannot_save(self, exc: CjmError, typed: bool = False) -> None:
        """Say why a write failed (``typed``: of the words in the box); a session erased
        meanwhile closes the screen instead."""
        if isinstance(exc, SessionErased):
            await self.erased()
        else:
            self._say_problem(exc, typed)

    def _say_problem(self, exc: CjmError, typed: bool = False) -> None:
        text = not_saved("The answer", str(exc)) + (f"\n{exc.hint}" if exc.hint else "")
        self.chat.say(text + ("\nYour answer is still in the box." if typed else ""), "error")
        self._refocus()

    def _refocus(self) -> None:
        for widget in self.query(AnswerInput):
            widget.focus_answer(keys_follow=True)
        if self.finished:
            # No answer box is left: the focus would fall to the notes' box, and the Enter
            # meant to leave would go into it (its hint said "Enter saves the note").
            self.set_focus(None)

    def _taken_at_once(self, prompt: Prompt) -> bool:
        """Whether a note is taken as it is shown: the script's last words ("your answers
        have been saved") are, since the session was finished only by an Enter after them,
        and quitting there left it in progress and off the map."""
        return prompt.question is self.session.script.sections[-1].questions[-1]

    async def _take_note(self, prompt: Prompt, note: str) -> bool:
        """A note taken as it is shown (``_taken_at_once``): its words said, and on."""
        question = prompt.question
        if question.type is not QuestionType.NOTE or prompt.existing is not None or note:
            return False
        if not self._taken_at_once(prompt):
            return False
        try:
            result = self.session.submit("")
        except CjmError:
            return False
        if isinstance(result, Rejected):
            return False
        self.current = None
        self._say_note(prompt.text)
        await self.advance()
        return True

    def _say_note(self, text: str) -> None:
        """The words of a note taken as it was shown."""
        self.chat.say(text, "question")
        self._closing_said = self.session.finished

    async def _finish(self) -> None:
        self.finished = True
        self.current = None
        if not self._closing_said:
            self.chat.say("That's the end of the interview. Thank you!", "question")
        await self._mount_input(None, "Enter: back to the start screen")
        self._refocus()
        self._show_status()
        self.refresh_panel()
        self.refresh_bindings()
        self.cjm.interview_finished(self)

    def action_leave(self) -> None:
        hold_for_screen(self.app)
        self.app.call_later(self.cjm.interview_closed, self)

    # ------------------------------------------------------------ journey playback
    async def on_journey_edit(self, message: JourneyEdit) -> None:
        message.stop()
        prompt = self.current
        if prompt is None or prompt.question.type is not QuestionType.JOURNEY_REVIEW:
            return
        group = prompt.question.section_id
        groups = self.session.engine.repeat_groups()
        group = groups[0] if groups else group
        steps = {s.iteration: s for s in prompt.steps}
        try:
            if message.action == "insert":
                self.session.insert_step(group, message.position, message.text)
                said = f"Add a step: {message.text}"
            elif message.action == "move":
                self.session.move_step(group, message.iteration, message.position)
                name = steps[message.iteration].action if message.iteration in steps else ""
                said = f"Move “{one_line(name, 40)}” to place {message.position + 1}"
            elif message.action == "remove":
                self.session.remove_step(group, message.iteration)
                name = steps[message.iteration].action if message.iteration in steps else ""
                said = f"Remove “{one_line(name, 40)}”"
            else:
                self.session.rename_step(group, message.iteration, message.text)
                said = f"Call it: {message.text}"
        except InvalidAnswer as exc:
            self.chat.say(str(exc), "error")
            self._refocus()
            self.app.call_later(self.cjm.typeahead.release)  # the keys held since the edit
            return
        except CjmError as exc:
            self._say_problem(exc)
            self.app.call_later(self.cjm.typeahead.release)
            return
        self.chat.answer(AnswerKey(prompt.key.question_id, -1), said, False, italic=True)
        self.tag_keys(self.session.engine.untagged())
        state = self.session.state()
        if isinstance(state, Prompt) and state.key == prompt.key:
            # Still the playback: read the journey back again, as it stands now.
            self.current = state
            self.chat.say(playback(state), "question")
            for widget in self.query(JourneyReviewAnswer):
                widget.refresh_steps(state)
                widget.focus_answer()
            # The keys held since the edit act on the journey as it is now shown.
            self.app.call_later(self.cjm.typeahead.release)
            self.refresh_panel()
        else:
            await self.advance()

    # ------------------------------------------------------------ tags
    def tag_keys(self, keys: Iterable[AnswerKey]) -> None:
        """Tag these answers in a worker (or later, when a tagger is ready)."""
        if not self.cjm.plan.enabled:
            return
        engine = self.session.engine
        todo = []
        for key in keys:
            answer = engine.answers.get(key)
            if answer is None or key in self.in_flight or not answer.raw.strip():
                continue
            todo.append((key, answer.raw))
        if not todo:
            return
        tagger = self.cjm.tagger
        if tagger is None:
            self.deferred.update(k for k, _ in todo)
            return
        for key, _ in todo:
            self.in_flight.add(key)
            self.deferred.discard(key)
            if key in self.bubbles:
                self.bubbles[key].set_tags(None, pending=True)
        self._tag_in_worker(tagger, self.session.id, tuple(todo), engine.language)

    @work(thread=True, exit_on_error=False, group="tagging")
    def _tag_in_worker(
        self,
        tagger: Tagger,
        session_id: str,
        todo: tuple[tuple[AnswerKey, str], ...],
        language: str,
    ) -> None:
        try:
            results = tagger.tag_batch([raw for _, raw in todo], language=language)
        except Exception as exc:  # a tagger failing must never stop an interview
            self.post_message(TaggingFailed(session_id, tuple(k for k, _ in todo), str(exc)))
            return
        pairs = zip(todo, results, strict=True)
        triples = tuple((key, raw, result) for (key, raw), result in pairs)
        self.post_message(TagsReady(session_id, triples))

    async def on_tags_ready(self, message: TagsReady) -> None:
        if message.session_id != self.session.id:
            return
        self.cjm.tagger_renamed()
        for key, raw, result in message.results:
            self.in_flight.discard(key)
            try:
                applied = self.session.apply_tags(key, result, raw)
            except StoreBusy:
                # Tagged again once the lock is gone; the answer itself is stored.
                self.deferred.add(key)
                self.cjm.watch_lock()
                continue
            except CjmError as exc:
                self.notify(f"Tags not saved: {exc}", severity="warning")
                continue
            answer = self.session.engine.answers.get(key)
            if applied and answer is not None and key in self.bubbles:
                self.bubbles[key].set_tags(answer.tags)
        self._suggest_channels()
        self.refresh_panel()
        await self._after_tags()

    def _suggest_channels(self) -> None:
        # Tags of a step's action often arrive after its channel question is shown.
        prompt = self.current
        if prompt is None or prompt.question.type is not QuestionType.TOUCHPOINTS:
            return
        suggested = preset_for(self.session, prompt)
        if suggested:
            for widget in self.query(ChoiceAnswer):
                widget.suggest(list(suggested))

    async def on_tagging_failed(self, message: TaggingFailed) -> None:
        if message.session_id != self.session.id:
            return
        self.cjm.tagger_renamed()
        for key in message.keys:
            self.in_flight.discard(key)
            self.deferred.add(key)
            self._go_on_without_tags(key)
        self.notify(f"Tagging failed: {message.reason}", severity="warning")
        await self._after_tags()

    async def _after_tags(self) -> None:
        if self.waiting_for:
            await self.advance()
            return
        now = self.session.state()
        current = self.current
        moved = current is not None and isinstance(now, Prompt) and now.key != current.key
        if moved and self.session.engine.cursor is None:
            # The tags of an earlier answer call for a follow-up before going on.
            assert isinstance(now, Prompt)
            await self.show_prompt(now, "One more thing about what you said earlier.")

    def _go_on_without_tags(self, key: AnswerKey) -> None:
        answer = self.session.engine.answers.get(key)
        if answer is not None and answer.tags is None:
            self.session.set_tags(key, ())
        if key in self.bubbles:
            self.bubbles[key].set_tags(None)

    def _wait_for_tags(self, keys: tuple[AnswerKey, ...]) -> None:
        first = not self.waiting_for
        self.waiting_for = keys
        if first:
            self.chat.say("…", "thinking")
        self.tag_keys(keys)
        if self.cjm.tagger is None and self._await_timer is None:
            wait = AWAIT_TAGS_SECONDS if self.cjm.tagger_loading else 0
            self._await_timer = self.set_timer(wait, self._give_up_waiting)

    async def _give_up_waiting(self) -> None:
        self._await_timer = None
        if not self.waiting_for or self.cjm.tagger is not None:
            return
        for key in self.waiting_for:
            self.deferred.add(key)
            self._go_on_without_tags(key)
        await self.advance()

    def _stop_waiting(self) -> None:
        if self.waiting_for:
            self.waiting_for = ()
            for bubble in self.chat.query(".-thinking"):
                bubble.remove()
        if self._await_timer is not None:
            self._await_timer.stop()
            self._await_timer = None

    def tagger_changed(self) -> None:
        """A (better) tagger is ready: tag what had to go on without tags."""
        keys = set(self.deferred) | set(self.waiting_for) | set(self.session.engine.untagged())
        self.tag_keys(sorted(keys, key=lambda k: (k.iteration, k.question_id)))

    # ------------------------------------------------------------ side panel
    def refresh_panel(self) -> None:
        """Redraw the journey, the selected answer's tags and the notes."""
        if self.kiosk:
            return
        engine = self.session.engine
        labels = {t.id: t.label for t in self.session.script.touchpoints}
        self.query_one(JourneyPanel).show(engine.steps(), labels)
        self._show_selected_tags()
        self._show_notes()

    def _show_selected_tags(self) -> None:
        panel = self.query_one(TagPanel)
        key = self.selected
        if key is None:
            panel.show("", None)
            return
        answer_id = self.session.store.answer_id(self.session.id, key)
        if answer_id is None:
            panel.show("", None)
            return
        number = self._step_number(key.iteration)
        title = key.question_id + (f", step {number}" if number else "")
        # Removed tags stay listed, struck, so a removal can be undone; corrected ones
        # are replaced by the person's label.
        tags = self.session.store.tags_of(answer_id, include_removed=True)
        panel.show(title, [t for t in tags if t["status"] != "corrected"])

    def _step_number(self, iteration: int) -> int:
        """The place of a step in the journey as told now (0 outside steps)."""
        if not iteration:
            return 0
        for step in self.session.engine.steps():
            if step.iteration == iteration:
                return step.number
        return iteration

    def _note_key(self) -> AnswerKey | None:
        return self.current.key if self.current is not None else None

    def _show_notes(self) -> None:
        key = self._note_key()
        notes = self.session.store.notes(self.session.id)
        if key is not None and key.iteration:
            mine = [n["text"] for n in notes if n["step"] == key.iteration]
            title = f"step {self._step_number(key.iteration)}"
        elif key is not None:
            mine = [n["text"] for n in notes if n["question_id"] == key.question_id]
            title = key.question_id
        else:
            mine = [n["text"] for n in notes]
            title = "all"
        self.query_one(NotesPanel).show(title, mine)

    def on_note_written(self, message: NoteWritten) -> None:
        message.stop()
        author = self.session.actor or "interviewer"
        try:
            self.session.store.add_note(self.session.id, message.text, author, self._note_key())
        except SessionErased:
            self.app.call_later(self.erased)
            return
        except CjmError as exc:
            self.notify(f"Note not saved: {exc}", severity="error")
            return
        self._show_notes()
        self._refocus()  # the participant's next answer goes to the answer box, not the notes

    def on_answer_selected(self, message: AnswerSelected) -> None:
        message.stop()
        if message.key in self.session.engine.answers:
            self.selected = message.key
            self.refresh_panel()

    def on_tags_done(self, message: TagsDone) -> None:
        message.stop()
        self.chat.keep_in_view(None)  # back to the question being asked
        self._refocus()

    def _tag_options(self, kind: str) -> dict[str, str]:
        """The labels a person may give a tag of this kind, with the words shown for them."""
        if kind == "touchpoint":
            return {t.id: t.label for t in self.session.script.touchpoints}
        if kind == "emotion":
            return {e: e for e in default_taxonomy().emotion_ids}
        return {s: s for s in SENTIMENTS}

    def _tag_label(self, kind: str, typed: str) -> str | None:
        """The stored label for what the interviewer typed (an id or a shown label), if valid."""
        wanted = " ".join(typed.split()).lower()
        for label, shown in self._tag_options(kind).items():
            if wanted in (label.lower(), shown.lower(), label.replace("_", " ")):
                return label
        return None

    def on_tag_decision(self, message: TagDecision) -> None:
        message.stop()
        try:
            self._decide_tag(message)
        finally:
            let_go(self)  # the keys typed after the decision, held until the list shows it

    def _decide_tag(self, message: TagDecision) -> None:
        key = self.selected
        store = self.session.store
        if key is None:
            return
        score: float | None = None
        if message.status == "corrected" and message.kind == "grade":
            score = parse_tag_grade(message.label)
            if score is None:
                self.notify(
                    f"Not a grade: {one_line(message.label, 40)!r}. A grade is a number "
                    "from 0 to 10.",
                    severity="warning",
                )
                return
        elif message.status in ("added", "corrected"):
            label = self._tag_label(message.kind, message.label)
            if label is None:
                self.notify(
                    f"Not {'an' if message.kind[:1] in 'aeiou' else 'a'} {message.kind} label: "
                    f"{one_line(message.label, 40)!r}. "
                    f"Choose from: {', '.join(self._tag_options(message.kind))}",
                    severity="warning",
                )
                return
            message.label = label
        answer_id = store.answer_id(self.session.id, key)
        if answer_id is None:
            return
        person = self.session.actor or "interviewer"
        try:
            if message.status == "added":
                store.add_tag(answer_id, message.kind, message.label, person)
            else:
                store.decide_tag(
                    message.tag_id, message.status, person, message.label or None, score
                )
        except CjmError as exc:
            self.notify(f"Tag not changed: {exc}", severity="error")
            return
        tags = [
            Tag(t["kind"], t["label"], float(t["score"] or 0), t["source"] or "", "")
            for t in store.tags_of(answer_id)
        ]
        self.session.set_tags(key, tags)
        if key in self.bubbles:
            self.bubbles[key].set_tags(tags)
        self.refresh_panel()

    # ------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        prompt = self.current
        if self.finished and action in ("back", "skip", "keep", "end_early", "pause"):
            return False  # over: out of the footer, not only greyed
        if action == "skip":
            return None if prompt is None or not prompt.can_skip else True
        if action == "back":
            return None if prompt is None or not prompt.can_go_back else True
        if action == "keep":
            return self.session.engine.cursor is not None and prompt is not None
        if action == "leave":
            return self.finished and not isinstance(self.app.focused, Input | TextArea)
        return True

    def action_help(self) -> None:
        prompt = self.current
        if prompt is None:
            return
        hint = self.query_one("#hint", Static)
        keys = str(hint.content) if hint.content else ""
        own_words = prompt.question.type in (QuestionType.TEXT, QuestionType.SHORT_TEXT)
        text = prompt.help or (
            ("Answer in your own words" if own_words else "Pick the answer that fits you best")
            + "; there are no right or wrong answers."
        )
        if prompt.can_skip:
            text += " You can skip this question (F3)."
        if keys:
            text += f"\nKeys: {keys}"
        if left_out := self.query_one(KeysFooter).left_out():
            text += f"\nAlso, left out of the keys bar for want of room: {' · '.join(left_out)}"
        self.chat.say(text, "help")

    async def action_back(self) -> None:
        prompt = self.current
        if prompt is None:
            return
        earlier = self.session.back()
        if earlier is None or earlier.key == prompt.key:
            self.chat.say("This is the first question.", "info")
            return
        self._hold_for_next()
        await self.show_prompt(earlier, "Let's go back to this one.")

    async def action_keep(self) -> None:
        if self.session.engine.cursor is None:
            return
        self.session.forward()
        await self.advance()

    async def on_key(self, event: events.Key) -> None:
        # F3 is greyed on a question that needs an answer; pressed all the same, it said
        # nothing at all.
        prompt = self.current
        if event.key == "f3" and prompt is not None and not prompt.can_skip and not self.finished:
            event.stop()
            self.chat.say("This question needs an answer: it cannot be skipped.", "error")

    async def action_skip(self) -> None:
        prompt = self.current
        if prompt is None:
            return
        try:
            result = self.session.skip()
        except CjmError as exc:
            await self._cannot_save(exc)
            return
        if isinstance(result, Rejected):
            self.chat.say(result.message, "error")
            return
        self._hold_for_next()
        self._show_answer(prompt, result.answer)
        await self.advance()

    def _hold_for_next(self) -> None:
        """The keys typed after F2 or F3 belong to the question shown next, as those typed
        after an answer's Enter: they wait for its input (they went to the one removed)."""
        inputs = self.query(AnswerInput)
        self.cjm.typeahead.hold(sent_from=inputs.first() if inputs else None)

    def action_note(self) -> None:
        if not self.kiosk:
            if self.panel_wanted is False or not self.query_one(SidePanel).display:
                self.panel_wanted = True
                self._fit_panel()
            move_focus(self.query_one("#note-input"))

    def action_select_answer(self) -> None:
        if self.kiosk:
            return
        keys = [k for k, b in self.bubbles.items() if b.show_tags]
        if not keys:
            return
        chosen = self.selected
        picked = chosen in keys and self.bubbles[chosen].has_class("-selected")
        # The panel follows the latest answer until F7 picks one: the first F7 picks
        # that latest answer, each further F7 the one before.
        index = (keys.index(chosen) - 1) % len(keys) if picked and chosen else len(keys) - 1
        self.selected = keys[index]
        for key, bubble in self.bubbles.items():
            bubble.set_class(key == self.selected, "-selected")
        self.chat.keep_in_view(self.bubbles[self.selected])
        if not self.query_one(SidePanel).display:
            self.panel_wanted = True
            self._fit_panel()
        self.refresh_panel()
        move_focus(self.query_one("#tag-list"))

    def action_toggle_panel(self) -> None:
        if self.kiosk:
            return
        side = self.query_one(SidePanel)
        self.panel_wanted = not side.display
        self._fit_panel()
        if not side.display:
            self._refocus()

    async def action_pause(self) -> None:
        hold_for_screen(self.app)
        # F5 runs as it arrives; the letters typed before it may still be on their way into
        # the answer box: what the box holds is read after them, in its own queue.
        boxes = self.query(AnswerInput)
        if boxes:
            boxes.first().typing_part().call_later(self._pause_now)
        else:
            self._pause_now()

    def _draft(self) -> str:
        """What the answer box holds, as typed."""
        return next((box.draft() for box in self.query(AnswerInput)), "")

    def unsent_words(self) -> str:
        """What the answer box holds that was not sent."""
        return "" if self.finished else self._draft().strip()

    def _pause_now(self) -> None:
        self.chat.say("Paused: the interview can be resumed from the start screen.", "info")
        typed = self._draft()
        if typed.strip() and self.current is not None:
            self.cjm.drafts[self.session.id] = (self.current.key, typed)
            self.notify("The words not yet sent come back in the box when it is resumed.")
        self.app.call_later(self.cjm.interview_closed, self, paused=True)

    def action_end_early(self) -> None:
        from cjm_interview.tui.screens.modals import ConfirmScreen

        async def decided(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.session.end("ended_early")
            except CjmError as exc:
                await self._cannot_save(exc)
                return
            hold_for_screen(self.app)
            self.app.call_later(self.cjm.interview_closed, self)

        self.app.push_screen(
            ConfirmScreen("End this interview now? It is kept, marked as ended early."), decided
        )


class KioskInterviewScreen(InterviewScreen, inherit_bindings=False):
    """The same conversation for a participant alone: bigger, simpler, no panel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
        Binding("f3", "skip", "Skip", priority=True),
    ]

    kiosk = True

    def __init__(self, session: InterviewSession, show_tags: bool, resumed: bool = False) -> None:
        super().__init__(session, show_tags, resumed)
        self.closing = "Thank you! Your answers are saved."
        """The last words shown (the script's closing note, when it ends with one)."""
        self.clears_at = 0.0
        """Monotonic time at which the thank-you gives way to the welcome screen."""
        self._shown_at = math.inf
        """Time (Textual's event clock) at which the thank-you was on screen."""

    def _taken_at_once(self, prompt: Prompt) -> bool:
        # A note asks nothing: every one is taken at once, so a closing thank-you is the
        # end of the interview, with no way back into the answers.
        return True

    def _say_note(self, text: str) -> None:
        if self.session.finished:
            self.closing = text  # said by the thank-you, with its countdown
        else:
            self.chat.say(text, "question")

    async def _finish(self) -> None:
        # Nothing of this participant stays on screen for the next one: the
        # transcript goes, and only the thank-you with its countdown is shown.
        self.finished = True
        self.current = None
        # Keys typed ahead were meant for a next question there is not: they never
        # reach the thank-you, however late a loaded machine would hand them over.
        self.cjm.typeahead.drop()
        await self.chat.remove_children()
        self.chat.scroll_home(animate=False, immediate=True)
        self.bubbles.clear()
        self.chat.say(self.closing, "question")
        await self._mount_input(None, "")
        self._shown_at = get_time()
        self.clears_at = time.monotonic() + getattr(self.cjm, "reset_seconds", 10.0)
        self._show_countdown()
        self.set_interval(0.5, self._show_countdown)
        self._show_status()
        self.refresh_bindings()
        self.cjm.interview_finished(self)

    def _seen(self, given_at: float) -> bool:
        """Whether an input given at ``given_at`` (an event's own time, not the time it
        is handled) came once the thank-you had been on screen a while: on a loaded
        machine a key typed before it appeared may be handled well after it did."""
        return given_at - self._shown_at >= FINISH_GRACE

    def _show_countdown(self) -> None:
        left = max(0, int(self.clears_at - time.monotonic() + 0.999))
        self.query_one("#hint", Static).update(
            Text(f"This screen clears in {left} s · press any key to finish now", style="bold")
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.finished:
            return False  # the thank-you offers no way back into the answers
        return super().check_action(action, parameters)

    async def on_key(self, event: events.Key) -> None:
        if self.finished:
            event.stop()
            event.prevent_default()
            # Keys typed before the thank-you appeared do not dismiss it unseen.
            if self._seen(event.time):
                self.app.call_later(self.cjm.interview_closed, self)

    async def on_click(self, event: events.Click) -> None:
        # A click is made when its button comes up, handled late or not: the press counts.
        pressed: float | None = getattr(self.cjm, "pressed_at", None)
        if self.finished and self._seen(event.time if pressed is None else pressed):
            self.app.call_later(self.cjm.interview_closed, self)
