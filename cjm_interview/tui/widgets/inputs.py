"""One input per question type, all usable with the keyboard alone.

Each input posts :class:`AnswerGiven` with what the participant chose; the
screen hands it to the session, which validates and stores it. The inputs
hold no interview logic: a wrong answer comes back as the engine's message.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

from cjm_interview.answers import MAX_ANSWER_CHARS, own_words
from cjm_interview.domain import QuestionType
from cjm_interview.engine import Prompt
from cjm_interview.tui.messages import AnswerGiven, JourneyEdit
from cjm_interview.tui.safe import fit_paste, one_line
from cjm_interview.tui.typeahead import (
    INPUT_CLASS,
    Typeahead,
    hold_after,
    keep_for_focus,
    move_focus,
)

OTHER = "__other__"
DIGIT_KEYS = "1234567890"  # 1–9 pick options 1–9, 0 picks the 10th
GRADE_DIGIT_WAIT = 0.8  # seconds to wait for the "0" of a "10"
COLUMNS_FROM = 6  # options above which a list may go in two columns


# Keys left to run on their way up, as before: Enter sends or chooses after an Escape before
# it has closed what it closes ("abc", Escape, Enter in one write cancels, as typed slowly).
LATER_KEYS = frozenset({"enter", "escape"})


async def keys_in_order(widget: Widget, event: events.Key, also: tuple[str, ...] = ()) -> bool:
    """Run a text box's own editing key (backspace, arrows, home, ctrl+k...) as it arrives;
    whether it was.

    Textual runs key bindings when the key has bubbled up to the app, while the box types a
    printable key at once: keys that arrive together (a fast burst, a slow link) were
    reordered, "hello" + Backspace + "X" giving "hello" (the X typed, then the Backspace
    run). Run here, in order, the key is stopped so that it does not run again on its way up.
    """
    if (event.is_printable and event.key not in also) or event.key in LATER_KEYS:
        return False
    for binding in widget._bindings.key_to_bindings.get(event.key, ()):
        if not binding.priority and await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return True
    return False


class AnswerInput(Widget):
    """The input for one prompt."""

    DEFAULT_CSS = "AnswerInput { height: auto; }"

    hint: ClassVar[str] = "Enter send"
    """Keys shown under the input."""

    def __init__(self, prompt: Prompt, preset: Any = None) -> None:
        super().__init__(classes=INPUT_CLASS)
        self.prompt = prompt
        """The prompt this input answers."""
        self.preset = preset
        """What the input starts with: the earlier answer when revisiting, or a suggestion."""

    def send(self, raw: Any) -> None:
        """Hand the answer to the screen; keys typed from now on wait for the next input."""
        self.hold_keys()
        self.post_message(AnswerGiven(self.prompt.key, raw))

    def hold_keys(self) -> None:
        """Keys typed from now on wait for what the screen shows next (``Typeahead.hold``)."""
        typeahead = self._typeahead()
        if typeahead is not None:
            typeahead.hold(sent_from=self)

    def draft(self) -> str:
        """Words typed and not yet sent (a free-text box's); none for other inputs."""
        return ""

    def keep_typing(self) -> None:
        """The Enter sent nothing (it opened a box, say): keys typed since go to the focus."""
        typeahead = self._typeahead()
        if typeahead is not None:
            # After any focus() just asked for, which the app also runs later.
            self.app.call_later(typeahead.release)

    def _typeahead(self) -> Typeahead | None:
        typeahead = getattr(self.app, "typeahead", None)
        return typeahead if isinstance(typeahead, Typeahead) else None

    def typing_part(self) -> Widget:
        """The part of the input that takes the participant's keys."""
        return next((w for w in self.query("*") if w.focusable), self)

    def focus_answer(self, keys_follow: bool = False) -> None:
        """Put the keyboard focus where the participant types; with ``keys_follow``, typed
        keys arriving before it is there go there too (``typeahead.move_focus``)."""
        target = self.typing_part()
        if keys_follow:
            move_focus(target)
        else:
            target.focus()


# ------------------------------------------------------------------ free text
class ChatTextArea(TextArea):
    """A multi-line answer box: Enter sends, ctrl+j (or shift+enter) starts a new line."""

    @dataclass
    class Send(Message):
        """Enter was pressed: send what was typed then (keys after it are not part of it)."""

        text: str

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Send(self.text))
            return
        if event.key in ("ctrl+j", "shift+enter", "newline"):
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        if not await keys_in_order(self, event):
            await super()._on_key(event)

    def render_lines(self, crop: Region) -> list[Strip]:
        # A refresh can still hold a box just removed (answer sent, next question
        # mounted), whose component styles Textual has cleared: TextArea's theme
        # then raises KeyError and the kiosk restarts. Nothing of it shows anyway.
        if not self._component_styles:
            return [Strip.blank(crop.width) for _ in range(crop.height)]
        return super().render_lines(crop)

    async def _on_paste(self, event: events.Paste) -> None:
        # Escape sequences never reach the document; huge pastes are cut at once
        # rather than laid out and rejected later.
        event.stop()
        event.prevent_default()
        if self.read_only:
            return
        limit = _max_chars()
        # Typed text may run past the limit: the selection is still room for the paste.
        room = max(0, limit - len(self.text)) + len(self.selected_text)
        text, shortened = fit_paste(event.text, room, limit=limit)
        self.replace(text, *self.selection)
        if shortened:
            self.notify(
                f"The pasted text was shortened to fit an answer ({_max_chars():,} characters).",
                severity="warning",
            )


def _max_chars() -> int:
    return MAX_ANSWER_CHARS


class TextAnswer(AnswerInput):
    """Free text over several lines."""

    hint = "Enter send · ctrl+j new line"

    def compose(self) -> ComposeResult:
        area = ChatTextArea(
            str(self.preset or ""),
            soft_wrap=True,
            show_line_numbers=False,
            compact=True,
            highlight_cursor_line=False,
            placeholder="Type your answer…",
            id="text-answer",
        )
        area.cursor_blink = self.app.cursor_blink  # type: ignore[attr-defined]
        yield area

    def on_mount(self) -> None:
        area = self.query_one(ChatTextArea)
        area.move_cursor(area.document.end)

    def on_chat_text_area_send(self, event: ChatTextArea.Send) -> None:
        event.stop()
        self.send(event.text)

    def draft(self) -> str:
        return self.query_one(ChatTextArea).text


class SafeInput(Input):
    """A one-line input that strips control characters from pastes and keeps what fits."""

    paste_limit: ClassVar[int] = 2_000
    """The longest text the box takes, when it sets no ``max_length`` of its own."""
    what: ClassVar[str] = "text"
    """What the box holds, as the warning about a cut paste names it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Words put back in the box (a draft resumed, an answer gone back to, a step to
        # edit) were all selected on focus, and the first key typed replaced them.
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)

    async def _on_key(self, event: events.Key) -> None:
        if not await keys_in_order(self, event):
            await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        # Input refuses a paste past its length whole; this box keeps what fits and says so.
        event.stop()
        event.prevent_default()
        limit = self.max_length or self.paste_limit
        # Typing is not bounded without a max_length (nor a value set before): past the
        # limit, the selection is still room for the paste it is replaced by.
        room = max(0, limit - len(self.value)) + len(self.selected_text)
        text, shortened = fit_paste(event.text, room, limit=limit, one_line=True)
        self.replace(text, *sorted(self.selection))
        if shortened:
            self.notify(
                f"The pasted {self.what} was shortened to {limit:,} characters.",
                severity="warning",
            )


class ShortTextAnswer(AnswerInput):
    """A few words on one line."""

    def compose(self) -> ComposeResult:
        box = SafeInput(
            str(self.preset or ""), placeholder="Type your answer…", compact=True, id="short-answer"
        )
        box.cursor_blink = self.app.cursor_blink  # type: ignore[attr-defined]
        yield box

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.send(event.value)

    def draft(self) -> str:
        return self.query_one(SafeInput).value


# ------------------------------------------------------------------ choices
def keep_row_in_view(widget: Widget, row: int) -> None:
    """Scroll the box around ``widget`` so that its ``row`` shows: in a short terminal a
    list scrolls in the answer box, and its cursor must stay in view."""
    box = next(
        (w for w in widget.ancestors if isinstance(w, Widget) and w.styles.overflow_y != "hidden"),
        None,
    )
    if box is None or not widget.is_mounted or not widget.region:
        return
    y = widget.content_region.y - box.content_region.y + round(box.scroll_y) + row
    box.scroll_to_region(Region(0, y, 1, 1), animate=False, immediate=True)


class ChoicePicker(Widget, can_focus=True):
    """Options navigable with the arrows and the number keys; one or several."""

    DEFAULT_CSS = """
    ChoicePicker { height: auto; width: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("left", "move_column(-1)", show=False),
        Binding("right", "move_column(1)", show=False),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
        Binding("space", "tick", "Tick", show=False),
        Binding("enter", "choose", "Send", show=False),
    ]

    cursor: reactive[int] = reactive(0)
    """The highlighted row."""

    class Chosen(Message):
        """Enter: the choice is made (``values`` in option order)."""

        def __init__(self, values: list[str]) -> None:
            super().__init__()
            self.values = values

    class OtherWanted(Message):
        """The participant picked "Other…" and wants to type it."""

        def __init__(self, by_enter: bool = False) -> None:
            super().__init__()
            self.by_enter = by_enter
            """Enter on the Other row: words already in its box are sent."""

    class OtherLeft(Message):
        """A single choice moved off "Other…": its box goes out of the way (words kept)."""

    class Typed(Message):
        """Enter after words were typed rather than an option picked: the words are the
        answer, for the engine to read ("yes", an option's name) or refuse."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(
        self,
        options: list[tuple[str, str]],
        multi: bool,
        allow_other: bool,
        selected: list[str] | None = None,
        shortcuts: dict[str, str] | None = None,
        id: str | None = None,
        other_given: bool = False,
    ) -> None:
        super().__init__(id=id)
        self.options = list(options)
        """(value, label) pairs."""
        self.multi = multi
        """Several options may be ticked."""
        self.allow_other = allow_other
        """An "Other…" row lets the participant type an option of their own."""
        self.selected: list[str] = [v for v, _ in self.options if v in (selected or [])]
        """Ticked values (multi), or the chosen one (single)."""
        self.shortcuts = shortcuts or {}
        """Letter keys that pick a value (y/n for yes-no questions)."""
        self.touched = False
        """True once the participant changed the ticks (suggestions no longer apply)."""
        self.cursor_picks = False
        """In a single choice, the highlighted row is the choice: once the participant
        has moved it. A stray Enter on a fresh question (the one that started the
        interview, pressed twice) must not give consent or pick the first option."""
        self.other_given = other_given and allow_other
        """Words of the participant's own are in the Other box and go with the answer."""
        if not multi and self.selected:
            self.cursor = [v for v, _ in self.options].index(self.selected[0])
        elif not multi and self.other_given:
            self.cursor = len(self.options)  # gone back to an answer of their own: its row
            self.cursor_picks = True
        self._typed = ""

    @property
    def typed(self) -> str:
        """Characters typed since the last pick: a sentence typed here ("I compared deals
        online") must not answer by the y and n in it, nor its spaces tick a row."""
        return self._typed

    @typed.setter
    def typed(self, value: str) -> None:
        if value != self._typed:
            self._typed = value
            if self.is_mounted:
                self.refresh(layout=True)  # the words typed are shown under the options

    @property
    def rows(self) -> list[tuple[str, str]]:
        rows = list(self.options)
        if self.allow_other:
            rows.append((OTHER, "Other…"))
        return rows

    def _columns(self, width: int) -> int:
        # Long lists go in two columns so the question and the conversation stay in view.
        rows = self.rows
        widest = max(len(label) for _, label in rows) + 12
        return 2 if len(rows) > COLUMNS_FROM and width >= 2 * widest else 1

    def _place(self, index: int, width: int) -> tuple[int, int]:
        """(row, column) of an option on screen."""
        per_column = -(-len(self.rows) // self._columns(width))
        return index % per_column, index // per_column

    def _cell(self, index: int) -> Text:
        value, label = self.rows[index]
        number = DIGIT_KEYS[index] if index < len(DIGIT_KEYS) and value != OTHER else "o"
        here = index == self.cursor
        if value == OTHER and self.other_given:
            mark = "[x]" if self.multi else "(•)"
        elif self.multi and value != OTHER:
            mark = "[x]" if value in self.selected else "[ ]"
        else:
            picked = value in self.selected or (here and not self.multi and self.cursor_picks)
            mark = "(•)" if picked else "( )"
        cell = Text(f" {'▶' if here else ' '} {mark} {number}) ", style="bold" if here else "")
        cell.append(Text(label, style="reverse bold" if here else ""))
        return cell

    def render(self) -> Text:
        width = self.content_size.width or 80
        columns = self._columns(width)
        per_column = -(-len(self.rows) // columns)
        column_width = width // columns
        lines = [Text() for _ in range(per_column)]
        for index in range(len(self.rows)):
            row, column = self._place(index, width)
            cell = self._cell(index)
            if column < columns - 1:
                cell.truncate(column_width, pad=True)
            lines[row].append(cell)
        if self._words_typed():
            # Words typed here were sent unseen: they show, with what Enter does with them.
            typed = Text("   Typed: ", style="bold")
            typed.append(self.typed + "▏", style="italic")
            typed.append("  (Enter sends these words)", style="dim")
            typed.truncate(width)
            lines.append(typed)
        return Text("\n").join(lines)

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return -(-len(self.rows) // self._columns(width)) + (1 if self._words_typed() else 0)

    def watch_cursor(self) -> None:
        self.refresh()
        keep_row_in_view(self, self._place(self.cursor, self.content_size.width or 80)[0])

    def _move_to(self, index: int) -> None:
        self.typed = ""
        self.cursor = index
        if not self.multi:
            self.cursor_picks = True
            self.selected = []  # the cursor's row is the choice now
            self._leave_other(index)
            self.refresh()

    def _leave_other(self, index: int) -> None:
        """A single choice now on another row than "Other…": its words no longer count."""
        if self.rows[index][0] != OTHER and not self.multi:
            self.other_given = False
            self.post_message(self.OtherLeft())

    def action_move(self, delta: int) -> None:
        self._move_to((self.cursor + delta) % len(self.rows))

    def action_jump(self, index: int) -> None:
        self._move_to(index % len(self.rows))

    def action_move_column(self, delta: int) -> None:
        width = self.content_size.width
        if self._columns(width) == 1:
            return
        per_column = -(-len(self.rows) // self._columns(width))
        target = self.cursor + delta * per_column
        if 0 <= target < len(self.rows):
            self._move_to(target)

    def _toggle(self, index: int) -> None:
        self.touched = True
        value = self.rows[index][0]
        if value == OTHER:
            self.post_message(self.OtherWanted())
            return
        if self.multi:
            if value in self.selected:
                self.selected.remove(value)
            else:
                self.selected.append(value)
                order = [v for v, _ in self.options]
                self.selected.sort(key=order.index)
        else:
            self.selected = [value]
            self._leave_other(index)
        self.refresh()

    def action_tick(self) -> None:
        self._toggle(self.cursor)  # a space between typed words never comes here (on_key)

    def _picks(self, key: str) -> bool:
        """A key that picks a row by itself: a digit, a shortcut (y, n), o for Other."""
        key = key.lower()
        if len(key) != 1:
            return False
        return key in DIGIT_KEYS or key in self.shortcuts or (key == "o" and self.allow_other)

    def _words_typed(self) -> bool:
        """More was typed than one key that picks (a digit, y or n)."""
        typed = self.typed.strip()
        return bool(typed) and not self._picks(typed)

    def action_choose(self) -> None:
        if self._words_typed():
            text, self.typed = self.typed.strip(), ""
            self.post_message(self.Typed(text))
            return
        self.typed = ""
        value = self.rows[self.cursor][0]
        if self.multi:
            if value == OTHER and not self.selected:
                self.post_message(self.OtherWanted())
                return
            self.post_message(self.Chosen(list(self.selected)))
        elif self.selected:
            self.post_message(self.Chosen(list(self.selected)))
        elif not self.cursor_picks:
            self.post_message(self.Chosen([]))  # nothing chosen yet: the engine says so
        elif value == OTHER:
            self.post_message(self.OtherWanted(by_enter=True))
        else:
            self.post_message(self.Chosen([value]))

    async def on_key(self, event: events.Key) -> None:
        if keep_for_focus(self, event):
            return  # behind an "o": typed into the Other box
        # Arrows and Space move and tick where they were pressed, before the keys after them
        # (a "Down n Enter" arriving together is "n" then Enter, as typed slowly).
        if not self.typed and await keys_in_order(self, event, also=("space",)):
            return
        key = event.character or ""
        rows = self.rows
        if event.key == "backspace" and self.typed:
            event.stop()
            self.typed = self.typed[:-1]
            return
        if key == " " and self.typed:
            # Between typed words, here and not by the binding: in a real terminal the
            # binding never had it ("Phoned them up" was stored as "Phonedthemup").
            event.stop()
            event.prevent_default()
            self.typed += " "
            return
        if len(key) == 1 and key.isprintable() and key != " ":
            if self.typed and not (self._picks(self.typed) and self._picks(key)):
                event.stop()  # words being typed: every key is one more letter of them
                # A digit just ticked its row ("3", then "Rang them twice"): the words begin
                # after it (a y or n may begin a word, and stays).
                digit = len(self.typed) == 1 and self.typed in DIGIT_KEYS
                self.typed = key if digit else self.typed + key
                return
            self.typed = key  # a key that picks, after another: the later one counts
        if key in DIGIT_KEYS and key:
            index = DIGIT_KEYS.index(key)
            if index < len(self.options):
                event.stop()
                self.cursor = index
                self._toggle(index)
        elif key.lower() == "o" and self.allow_other:
            event.stop()
            hold_after(self)  # the keys after it are the Other box's
            self.typed = ""
            self.cursor = len(rows) - 1
            self.post_message(self.OtherWanted())
        elif key.lower() in self.shortcuts:
            event.stop()
            value = self.shortcuts[key.lower()]
            self.cursor = [v for v, _ in rows].index(value)
            self._toggle(self.cursor)

    def on_click(self, event: events.Click) -> None:
        width = self.content_size.width
        for index in range(len(self.rows)):
            row, column = self._place(index, width)
            column_width = width // self._columns(width)
            if row == event.y and column * column_width <= event.x < (column + 1) * column_width:
                self.typed = ""
                self.cursor = index
                self._toggle(index)
                return

    def suggest(self, values: list[str]) -> None:
        """Tick these values, unless the participant has already chosen something."""
        if self.touched or self.selected:
            return
        known = [v for v, _ in self.options]
        self.selected = [v for v in known if v in values]
        self.refresh()


class ChoiceAnswer(AnswerInput):
    """Single or multiple choice, touchpoints, yes/no: a picker and an "other" box."""

    def __init__(self, prompt: Prompt, preset: Any = None) -> None:
        super().__init__(prompt, preset)
        qtype = prompt.question.type
        self.multi = qtype in (QuestionType.MULTI_CHOICE, QuestionType.TOUCHPOINTS)
        """Several options may be ticked."""
        self.yes_no = qtype is QuestionType.YES_NO
        """A yes/no question (y and n pick)."""

    @property
    def hint(self) -> str:  # type: ignore[override]
        if self.yes_no:
            return "y / n or ↑↓ · Enter send"
        if self.multi:
            return "↑↓ move · space or 0–9 tick · Enter send"
        return "↑↓ or 1–9 choose · Enter send"

    def compose(self) -> ComposeResult:
        prompt = self.prompt
        other_text = ""
        if self.yes_no:
            options = [("yes", "Yes"), ("no", "No")]
            selected = []
            if isinstance(self.preset, bool):
                selected = ["yes" if self.preset else "no"]
            shortcuts = {"y": "yes", "n": "no"}
            allow_other = False
        else:
            options = list(prompt.choices)
            preset = self.preset
            values = preset if isinstance(preset, list) else [preset] if preset else []
            known = {v for v, _ in options}
            selected = [v for v in values if v in known]
            others = [own for v in values if isinstance(v, str) and (own := own_words(v))]
            if others:
                other_text = others[0]
            shortcuts = {}
            allow_other = prompt.question.allow_other
        yield ChoicePicker(
            options,
            multi=self.multi,
            allow_other=allow_other,
            selected=selected,
            shortcuts=shortcuts,
            id="choices",
            other_given=bool(other_text),
        )
        other = SafeInput(
            other_text,
            placeholder="Other: type it, then Enter",
            compact=True,
            id="other",
            # Opened again ("o") over words given before: what is typed replaces them ("other:
            # fax" typed over "telex" was stored as "telexther: fax").
            select_on_focus=True,
        )
        other.display = bool(other_text)
        yield other

    def suggest(self, values: list[str]) -> None:
        """Tick values the tagger heard, if the participant has not chosen yet."""
        self.query_one(ChoicePicker).suggest(values)

    def on_choice_picker_chosen(self, event: ChoicePicker.Chosen) -> None:
        event.stop()
        values: list[str] = list(event.values)
        other = self.query_one("#other", Input)
        if other.display and (own := _own_words(other.value)):
            values.append(f"other: {own}")
        if self.multi:
            self.send(values)
        else:
            self.send(values[0] if values else "")

    def on_choice_picker_typed(self, event: ChoicePicker.Typed) -> None:
        event.stop()
        ticked = self.query_one(ChoicePicker).selected if self.multi else []
        # Words typed beside ticked rows (the tagger's or the participant's) add to them.
        self.send(", ".join([*ticked, event.text]) if ticked else event.text)

    def on_choice_picker_other_wanted(self, event: ChoicePicker.OtherWanted) -> None:
        event.stop()
        other = self.query_one("#other", Input)
        if event.by_enter and other.display and (own := _own_words(other.value)):
            self.send(f"other: {own}")  # Enter on the row of words already given
            return
        other.display = True
        self._mark_other(other.value)  # picked again: its words count
        other.focus()
        self.keep_typing()

    def on_choice_picker_other_left(self, event: ChoicePicker.OtherLeft) -> None:
        event.stop()
        self.query_one("#other", Input).display = False

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._mark_other(event.value)

    def _mark_other(self, words: str) -> None:
        """The Other row shows as picked while its box holds words of one's own."""
        picker = self.query_one(ChoicePicker)
        given = bool(_own_words(words))
        if given != picker.other_given:
            picker.other_given = given
            picker.refresh()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = _own_words(event.value)
        picker = self.query_one(ChoicePicker)
        if not text:
            self.query_one("#other", Input).display = False
            picker.focus()
            self.keep_typing()
            return
        if self.multi:
            self.send([*picker.selected, f"other: {text}"])
        else:
            self.send(f"other: {text}")

    def on_key(self, event: events.Key) -> None:
        other = self.query_one("#other", Input)
        if event.key == "escape" and other.has_focus:
            event.stop()
            other.value = ""
            other.display = False
            self.query_one(ChoicePicker).focus()


_OTHER_SAID = re.compile(r"(?:o?ther)\s*:\s*", re.IGNORECASE)


def _own_words(typed: str) -> str:
    """The words of an Other box, without the "other:" the channels' help says to type
    ("o" opens the box, so "other: fax" arrived as "ther: fax")."""
    text = typed.strip()
    said = _OTHER_SAID.match(text)
    return text[said.end() :].strip() if said else text


# ------------------------------------------------------------------ grade
class GradePicker(Widget, can_focus=True):
    """A 0–10 scale: ←→ or a number (1 then 0 for ten), Enter sends."""

    DEFAULT_CSS = """
    GradePicker { height: 2; width: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", show=False),
        Binding("right", "step(1)", show=False),
        Binding("home", "set(0)", show=False),
        Binding("end", "set(10)", show=False),
        Binding("enter", "send", show=False),
    ]

    value: reactive[int | None] = reactive(None)
    """The grade picked so far."""

    class Picked(Message):
        """Enter on a grade; or on a number typed off the scale ("11"), for the engine to
        refuse with its reason."""

        def __init__(self, value: int | str | None) -> None:
            super().__init__()
            self.value = value

    def __init__(self, value: int | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(GradePicker.value, value)
        self.typed = ""  # digits typed close together: "1 0" is ten, "1 1" no grade at all
        self._last_digit = -1.0

    def render(self) -> Text:
        cells = Text()
        for grade, (start, end) in enumerate(self._cells(self.size.width)):
            colour = "red" if grade <= 3 else "yellow" if grade <= 6 else "green"
            label = str(grade).center(end - start) if end - start != 2 else f"{grade:>2}"
            style = f"bold reverse {colour}" if grade == self.value else colour
            cells.append(" " * (start - len(cells)))
            cells.append(label, style=style)
        width = len(cells)
        scale = Text("awful", style="dim")
        scale.append(" " * max(1, width - len("awful") - len("perfect")))
        scale.append("perfect", style="dim")
        return cells + Text("\n") + scale

    @staticmethod
    def _cells(width: int) -> list[tuple[int, int]]:
        """Where each grade's cell starts and ends: " 7 " with a space between cells, or
        closer together when the terminal is too narrow for all eleven (at 40 columns the
        wide scale stopped at 8)."""
        spans: list[tuple[int, int]] = []
        for cell in (3, 2, 1):
            spans, x = [], 0
            for grade in range(11):
                size = max(cell, len(str(grade)) + (2 if cell == 3 else 0))
                spans.append((x, x + size))
                x += size + 1
            if x - 1 <= width:
                break
        return spans  # the narrowest, when none fits

    def get_content_width(self, container: Size, viewport: Size) -> int:
        # One column more than the widest scale: its last cell's gap, as ever.
        return min(self._cells(10_000)[-1][1] + 1, max(container.width, self._cells(0)[-1][1]))

    def action_step(self, delta: int) -> None:
        self.typed = ""
        start = 5 if self.value is None else self.value
        self.value = max(0, min(10, start + delta if self.value is not None else start))

    def action_set(self, value: int) -> None:
        self.typed = ""
        self.value = value

    def action_send(self) -> None:
        # "11" once sent 1, the last digit alone: now the engine says it is off the scale.
        off_scale = self.value is None and self.typed
        self.post_message(self.Picked(self.typed if off_scale else self.value))
        self.typed = ""  # the next number starts afresh

    def on_key(self, event: events.Key) -> None:
        char = event.character or ""
        if not char.isascii() or not char.isdigit() or len(char) != 1:
            return
        event.stop()
        now = time.monotonic()
        together = self.typed and now - self._last_digit <= GRADE_DIGIT_WAIT
        # Every digit counts ("1000" is off the scale, not its last three "000"); a few
        # are plenty to say so.
        self.typed = (self.typed + char)[:6] if together else char
        self._last_digit = now
        number = int(self.typed)
        self.value = number if number <= 10 else None

    def on_click(self, event: events.Click) -> None:
        at = event.get_content_offset(self)  # the scale starts after the padding
        if at is None or at.y != 0:
            return
        for grade, (start, end) in enumerate(self._cells(self.size.width)):
            if start <= at.x < end:
                self.value = grade


class GradeAnswer(AnswerInput):
    """A 0–10 grade."""

    hint = "←→ or 0–10 · Enter send"

    def compose(self) -> ComposeResult:
        preset = self.preset if isinstance(self.preset, int) else None
        yield GradePicker(preset, id="grade")

    def on_grade_picker_picked(self, event: GradePicker.Picked) -> None:
        event.stop()
        self.send(event.value if event.value is not None else "")


# ------------------------------------------------------------------ note
class NoteAnswer(AnswerInput):
    """Nothing to answer: Enter goes on."""

    hint = "Enter continue"

    def compose(self) -> ComposeResult:
        yield ContinueKey(id="continue")


class ContinueKey(Static, can_focus=True):
    """A focusable "continue" prompt."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter,space", "go", show=False)]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(Text("[ Continue ⏎ ]", style="bold"), id=id)

    def action_go(self) -> None:
        parent = self.parent
        if isinstance(parent, AnswerInput):
            parent.send("")

    def on_click(self) -> None:
        self.action_go()


# ------------------------------------------------------------------ journey playback
class StepList(Widget, can_focus=True):
    """The steps told so far; the participant adds, moves, renames or removes them."""

    DEFAULT_CSS = """
    StepList { height: auto; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move_cursor(-1)", show=False),
        Binding("down", "move_cursor(1)", show=False),
        Binding("shift+up,[", "move_step(-1)", "Move up", show=False),
        Binding("shift+down,]", "move_step(1)", "Move down", show=False),
        Binding("a", "edit('insert')", "Add step", show=False),
        Binding("e", "edit('rename')", "Edit", show=False),
        Binding("d,delete", "remove", "Remove", show=False),
        Binding("enter", "confirm", "Looks right", show=False),
    ]

    cursor: reactive[int] = reactive(0)
    """The highlighted step."""

    class EditWanted(Message):
        """Open the text box to add a step or reword one."""

        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    class Confirmed(Message):
        """The participant says the journey is right."""

    def __init__(self, prompt: Prompt, id: str | None = None) -> None:
        super().__init__(id=id)
        self.steps = list(prompt.steps)
        """The steps as the engine tells them."""
        self.channel_labels = dict(prompt.choices)
        """Channels' labels by id ("In person", not "in_person")."""

    def render(self) -> Text:
        out = Text()
        if not self.steps:
            return Text("(no steps yet: press a to add one)", style="dim")
        for index, step in enumerate(self.steps):
            here = index == self.cursor
            line = Text(f" {'▶' if here else ' '} {step.number}) ", style="bold" if here else "")
            line.append(Text(one_line(step.action, 60), style="reverse bold" if here else ""))
            extra = []
            if step.touchpoints:
                extra.append(", ".join(self.channel_labels.get(t, t) for t in step.touchpoints))
            if step.grade is not None:
                extra.append(f"{step.grade}/10")
            if extra:
                line.append("  " + " · ".join(extra), style="dim")
            out.append(line)
            if index < len(self.steps) - 1:
                out.append("\n")
        return out

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return max(1, len(self.steps))

    def watch_cursor(self) -> None:
        self.refresh()
        keep_row_in_view(self, self.cursor)

    def action_move_cursor(self, delta: int) -> None:
        if self.steps:
            self.cursor = max(0, min(len(self.steps) - 1, self.cursor + delta))

    def action_move_step(self, delta: int) -> None:
        if not self.steps:
            return
        target = self.cursor + delta
        if not 0 <= target < len(self.steps):
            return
        step = self.steps[self.cursor]
        hold_after(self)  # the next key moves or removes by the list as the screen redraws it
        self.post_message(JourneyEdit("move", step.iteration, target))
        self.cursor = target

    async def on_key(self, event: events.Key) -> None:
        # Every key runs as it arrives, and the keys behind an "a" or "e" are that step's
        # words: in a burst, a "d" among them removed the highlighted step.
        if not keep_for_focus(self, event):
            await keys_in_order(self, event, also=tuple(self._bindings.key_to_bindings))

    def action_edit(self, action: str) -> None:
        hold_after(self)
        self.post_message(self.EditWanted(action))

    def action_remove(self) -> None:
        if self.steps:
            hold_after(self)
            self.post_message(JourneyEdit("remove", self.steps[self.cursor].iteration))

    def action_confirm(self) -> None:
        self.post_message(self.Confirmed())

    def on_click(self, event: events.Click) -> None:
        if 0 <= event.y < len(self.steps):
            self.cursor = event.y


class JourneyReviewAnswer(AnswerInput):
    """The playback: confirm the steps, or fix them first."""

    hint = "↑↓ step · a add · e edit · d remove · [ ] move · Enter looks right"

    def compose(self) -> ComposeResult:
        yield StepList(self.prompt, id="steps")
        box = SafeInput("", placeholder="", compact=True, id="step-text")
        box.display = False
        yield box

    def refresh_steps(self, prompt: Prompt) -> None:
        """Show the journey again after a change."""
        self.prompt = prompt
        steps = self.query_one(StepList)
        steps.steps = list(prompt.steps)
        steps.cursor = min(steps.cursor, max(0, len(steps.steps) - 1))
        steps.refresh(layout=True)

    def on_step_list_edit_wanted(self, event: StepList.EditWanted) -> None:
        event.stop()
        steps = self.query_one(StepList)
        box = self.query_one("#step-text", Input)
        box.display = True
        self._editing = event.action
        if event.action == "rename" and steps.steps:
            box.value = steps.steps[steps.cursor].action
            box.placeholder = "New wording for this step, then Enter (Esc cancels)"
        else:
            box.value = ""
            box.placeholder = "The step you missed (added after the highlighted one), Enter"
        box.focus()
        self.keep_typing()  # the keys typed behind the "a" or "e" are the step's

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        steps = self.query_one(StepList)
        text = event.value.strip()
        box = self.query_one("#step-text", Input)
        box.display = False
        steps.focus()
        if not text:
            self.keep_typing()  # nothing to change: typing goes on in the steps
            return
        # The keys after this Enter wait for the screen to show the edit: an added step's
        # questions come next.
        self.hold_keys()
        action = getattr(self, "_editing", "insert")
        if action == "rename" and steps.steps:
            self.post_message(JourneyEdit("rename", steps.steps[steps.cursor].iteration, 0, text))
        else:
            position = steps.cursor + 1 if steps.steps else 0
            self.post_message(JourneyEdit("insert", 0, position, text))

    def on_step_list_confirmed(self, event: StepList.Confirmed) -> None:
        event.stop()
        self.send("ok")

    def on_key(self, event: events.Key) -> None:
        box = self.query_one("#step-text", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            box.display = False
            self.query_one(StepList).focus()


def input_for(prompt: Prompt, preset: Any = None) -> AnswerInput:
    """The input suited to a prompt's question type."""
    qtype = prompt.question.type
    if qtype is QuestionType.TEXT:
        return TextAnswer(prompt, preset)
    if qtype is QuestionType.SHORT_TEXT:
        return ShortTextAnswer(prompt, preset)
    if qtype is QuestionType.GRADE:
        return GradeAnswer(prompt, preset)
    if qtype is QuestionType.JOURNEY_REVIEW:
        return JourneyReviewAnswer(prompt, preset)
    if qtype is QuestionType.NOTE:
        return NoteAnswer(prompt, preset)
    return ChoiceAnswer(prompt, preset)
