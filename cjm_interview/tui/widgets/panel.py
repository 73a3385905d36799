"""The interviewer's side panel: the journey so far, the selected answer's tags, notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual._time import get_time
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from cjm_interview.answers import MAX_ANSWER_CHARS
from cjm_interview.engine import StepView
from cjm_interview.tui.messages import NoteWritten, TagDecision, TagsDone
from cjm_interview.tui.safe import one_line, safe_text
from cjm_interview.tui.typeahead import (
    ENTER_LEAVES_CLASS,
    hold_after,
    keep_for_focus,
    let_go,
    move_focus,
)
from cjm_interview.tui.widgets.inputs import SafeInput, keys_in_order

CURVE_ROWS = 3
BLOCKS = " ▁▂▃▄▅▆▇█"
TAG_KINDS = ("touchpoint", "sentiment", "emotion")


def grade_style(grade: int | None) -> str:
    """Colour of a grade: red for bad, yellow for middling, green for good."""
    if grade is None:
        return "dim"
    return "red" if grade <= 3 else "yellow" if grade <= 6 else "green"


def emotional_curve(steps: Sequence[StepView], rows: int = CURVE_ROWS) -> Text:
    """The step grades as a small bar chart, one column per step, numbered underneath."""
    if not steps:
        return Text("")
    levels = rows * 8
    lines = []
    for row in range(rows - 1, -1, -1):
        line = Text()
        for step in steps:
            if step.grade is None:
                cell = "·" if row == 0 else " "
            else:
                fill = max(0, min(8, round(step.grade / 10 * levels) - row * 8))
                cell = BLOCKS[fill]
            line.append(cell * 2, style=grade_style(step.grade))
            line.append(" ")
        lines.append(line)
    numbers = Text("".join(f"{s.number:<3}" for s in steps)[: 3 * len(steps)], style="dim")
    return Text("\n").join([*lines, numbers])


def journey_text(
    steps: Sequence[StepView], width: int = 28, labels: dict[str, str] | None = None
) -> Text:
    """The steps told so far with channels (by their labels) and grades."""
    labels = labels or {}
    if not steps:
        return Text("No steps yet.", style="dim")
    out = []
    for step in steps:
        line = Text(f"{step.number}. ", style="bold")
        line.append(safe_text(one_line(step.action, width)))
        if step.touchpoints:
            channels = ", ".join(labels.get(t, t) for t in step.touchpoints)
            line.append(f"  {channels}", style="italic")
        if step.grade is not None:
            line.append(f"  {step.grade}/10", style=f"bold {grade_style(step.grade)}")
        out.append(line)
    return Text("\n").join(out)


class JourneyPanel(Vertical):
    """The journey so far, with an emotional curve of the step grades."""

    def compose(self) -> ComposeResult:
        yield Static("Journey so far", classes="panel-title")
        yield Static(Text("No steps yet.", style="dim"), id="journey-steps")
        yield Static("", id="journey-curve")

    def show(self, steps: Sequence[StepView], labels: dict[str, str] | None = None) -> None:
        """Redraw for the current steps (``labels``: touchpoint id -> label)."""
        width = max(12, (self.size.width or 30) - 14)
        self.query_one("#journey-steps", Static).update(journey_text(steps, width, labels))
        curve = self.query_one("#journey-curve", Static)
        curve.update(emotional_curve(steps))
        curve.display = any(s.grade is not None for s in steps)


TAG_KEYS = "a accept · x remove (again: undo) · u undo · c correct · + add · Esc back to the answer"


class TagList(OptionList):
    """Tags of one answer; a accepts, x removes (again: brings back), u undoes a removal,
    c corrects (replaces the highlighted tag), + adds."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "decide('accepted')", "Accept tag", show=False),
        Binding("x,delete", "remove", "Remove tag", show=False),
        Binding("u", "undo", "Undo removal", show=False),
        Binding("c", "edit('corrected')", "Correct tag", show=False),
        Binding("plus,equals_sign", "edit('added')", "Add tag", show=False),
    ]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id, compact=True)
        self.tags: list[dict[str, Any]] = []
        """Tags shown, as the store returns them (with ids and status)."""
        self.last_removed: int | None = None
        """The tag removed last (what u brings back)."""

    def show(self, tags: list[dict[str, Any]]) -> None:
        """List the tags, keeping the highlight on the same row (the first when there was none)."""
        was = self.highlighted
        self.tags = tags
        self.clear_options()
        for tag in tags:
            if tag["status"] == "removed":
                shown = (
                    f"{float(tag['score'] or 0):.1f}/10" if tag["kind"] == "grade" else tag["label"]
                )
                struck = Text(f"{tag['kind']:<10} {shown}", style="strike dim")
                struck.append("  removed (x or u: bring back)", style="dim")
                self.add_option(Option(struck, id=str(tag["id"])))
                continue
            label = Text(f"{tag['kind']:<10} ", style="dim")
            if tag["kind"] == "grade":
                label.append(f"{float(tag['score'] or 0):.1f}/10", style="bold")
            else:
                label.append(str(tag["label"]), style="bold")
                label.append(f" {float(tag['score'] or 0):.2f}", style="dim")
            status = tag["status"]
            label.append(f"  {status}", style="green" if status in ("accepted", "added") else "dim")
            self.add_option(Option(label, id=str(tag["id"])))
        if tags:
            self.highlighted = min(was or 0, len(tags) - 1)

    async def on_key(self, event: events.Key) -> None:
        # Every key runs as it arrives, and the keys behind a "c" or "+" go to the editor it
        # opens: in a burst, an "x" typed into a correction removed a tag.
        if not keep_for_focus(self, event):
            await keys_in_order(self, event, also=tuple(self._bindings.key_to_bindings))

    def _selected(self) -> dict[str, Any] | None:
        index = self.highlighted
        if index is None or not 0 <= index < len(self.tags):
            return None
        return self.tags[index]

    def decide(self, decision: TagDecision) -> None:
        """Ask for a decision; the keys after it wait until the list shows it ("x x" removed
        a tag twice, "+ ... Enter Home x" removed the row first before the tag was added)."""
        hold_after(self)
        self.post_message(decision)

    def action_decide(self, status: str) -> None:
        tag = self._selected()
        if tag is not None and tag["status"] != "removed":
            self.decide(TagDecision(int(tag["id"]), status))

    def action_remove(self) -> None:
        tag = self._selected()
        if tag is not None:
            again = tag["status"] == "removed"
            self.last_removed = None if again else int(tag["id"])
            self.decide(TagDecision(int(tag["id"]), "restored" if again else "removed"))

    def action_undo(self) -> None:
        """Bring back the highlighted removed tag, or else the last one removed."""
        tag = self._selected()
        if tag is None or tag["status"] != "removed":
            last = [t for t in self.tags if t["id"] == self.last_removed]
            tag = last[0] if last and last[0]["status"] == "removed" else None
        if tag is not None:
            self.last_removed = None
            self.decide(TagDecision(int(tag["id"]), "restored"))

    def action_edit(self, status: str) -> None:
        panel = self.parent
        if isinstance(panel, TagPanel):
            panel.open_editor(status, self._selected() if status == "corrected" else None)


class TagEditor(SafeInput):
    """Where a tag is corrected or added; it is put away when it loses the focus."""

    def on_blur(self, event: events.Blur) -> None:
        panel = self.parent
        if isinstance(panel, TagPanel):
            panel.editor_left(event.time)


class TagPanel(Vertical):
    """The tags of the selected answer, for the interviewer to check."""

    _editing: tuple[str, dict[str, Any] | None] = ("added", None)  # what the editor is for
    _title: str | None = None  # the answer shown
    _opened_at = 0.0  # when the editor was last opened (Textual's clock, as events' times)

    def compose(self) -> ComposeResult:
        yield Static("Tags", classes="panel-title", id="tags-title")
        yield Static(Text("Select an answer (F7) to check its tags.", style="dim"), id="tags-help")
        yield TagList(id="tag-list")
        editor = TagEditor(
            placeholder="", compact=True, id="tag-editor", classes=ENTER_LEAVES_CLASS
        )
        editor.display = False
        yield editor

    def show(self, title: str, tags: list[dict[str, Any]] | None) -> None:
        """Show one answer's tags (None: no answer with tags selected)."""
        if title != self._title:
            # Another answer: an edit begun on the last one is dropped, never applied here.
            self.close_editor()
        self._title = title
        self.query_one("#tags-title", Static).update(Text(f"Tags — {title}" if title else "Tags"))
        tag_list = self.query_one(TagList)
        help_line = self.query_one("#tags-help", Static)
        if tags is None:
            tag_list.show([])
            tag_list.display = False
            help_line.display = True
            return
        tag_list.show(tags)
        tag_list.display = True
        help_line.update(Text(TAG_KEYS, style="dim"))
        help_line.display = True

    @staticmethod
    def _shown(tag: dict[str, Any]) -> str:
        """What the editor starts from: the label, or a grade to one decimal."""
        return f"{float(tag['score'] or 0):.1f}" if tag["kind"] == "grade" else str(tag["label"])

    def open_editor(self, status: str, tag: dict[str, Any] | None) -> None:
        editor = self.query_one("#tag-editor", Input)
        self._editing = (status, tag)
        if status == "corrected" and tag is not None:
            grade = tag["kind"] == "grade"
            editor.placeholder = (
                "correct the grade, a number from 0 to 10, Enter"
                if grade
                else f"correct {tag['kind']} label, Enter"
            )
            editor.value = self._shown(tag)
        else:
            editor.placeholder = "kind: label (e.g. touchpoint: phone), Enter"
            editor.value = ""
        editor.display = True
        self._opened_at = get_time()
        move_focus(editor, moving_from=self.query_one(TagList))

    def close_editor(self) -> None:
        """Put the editor away, whatever was typed in it."""
        editor = self.query_one("#tag-editor", Input)
        was_open = editor.display
        editor.display = False
        self._editing = ("added", None)
        if was_open and editor.has_focus:
            self.query_one(TagList).focus()

    def editor_left(self, since: float) -> None:
        """The editor lost the focus at ``since``: Tab or a click away leaves no editor open to
        be typed into later by mistake. A loss from before it was last opened is old news (keys
        arriving together can close and open it again before that loss is told)."""
        if since >= self._opened_at:
            self.close_editor()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "tag-editor":
            return
        event.stop()
        status, tag = self._editing
        tag_list = self.query_one(TagList)
        decision = self._decision(status, tag, " ".join(event.value.split()))
        if decision is None:
            move_focus(tag_list)  # nothing changes: the keys after the Enter go on to the list
        else:
            tag_list.focus()
            hold_after(tag_list)  # they wait until the list shows it
            self.post_message(decision)  # from here: a message bubbles no further than its sender
        self.close_editor()

    def _decision(self, status: str, tag: dict[str, Any] | None, text: str) -> TagDecision | None:
        """What the editor's text asks for (None: nothing, or refused, said in a warning)."""
        if not text:
            return None
        if status == "corrected" and tag is not None:
            if int(tag["id"]) not in {int(t["id"]) for t in self.query_one(TagList).tags}:
                return None  # the answer's tags changed under the editor: nothing to correct
            kind, colon, label = text.partition(":")
            named = kind.strip().lower()
            if colon and named in (*TAG_KINDS, "grade") and named != tag["kind"]:
                more = f"; add a {named} tag with +" if named in TAG_KINDS else ""
                self.notify(
                    f"A correction keeps the kind ({tag['kind']}){more}.", severity="warning"
                )
                return None
            label = label.strip() if colon and named == tag["kind"] else text
            if label.lower() == self._shown(tag).lower():
                return None  # Enter on the value as it was: nothing corrected
            return TagDecision(int(tag["id"]), "corrected", label.lower(), tag["kind"])
        kind, _, label = text.partition(":")
        if not label:
            kind, label = "touchpoint", kind
        kind = kind.strip().lower()
        if kind not in TAG_KINDS:
            self.notify(f"Tag kinds: {', '.join(TAG_KINDS)}", severity="warning")
            return None
        return TagDecision(0, "added", label.strip().lower(), kind)

    def on_key(self, event: events.Key) -> None:
        editor = self.query_one("#tag-editor", Input)
        if event.key == "escape" and editor.has_focus:
            event.stop()
            self.close_editor()
        elif event.key == "escape" and self.query_one(TagList).has_focus:
            event.stop()
            self.post_message(TagsDone())


class NoteInput(SafeInput):
    """The interviewer's note box; Enter saves, Escape goes back to the answer."""

    what = "note"

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.stop()
            self.post_message(TagsDone())


class NotesPanel(Vertical):
    """Private notes of the interviewer about the current step (never shown in kiosks)."""

    def compose(self) -> ComposeResult:
        yield Static("Notes", classes="panel-title", id="notes-title")
        with VerticalScroll(id="notes-list"):
            yield Static(Text("No notes here yet.", style="dim"), id="notes-text")
        yield NoteInput(
            placeholder="Private note (F4) · Enter saves",  # the hint line says the rest
            max_length=MAX_ANSWER_CHARS,  # what a study takes from a file too
            compact=True,
            id="note-input",
            classes=ENTER_LEAVES_CLASS,
        )

    def show(self, title: str, notes: list[str]) -> None:
        """Show the notes about the current step or question."""
        heading = f"Notes — {title}" if title else "Notes"
        self.query_one("#notes-title", Static).update(Text(heading))
        body = (
            Text("\n").join(safe_text(n, limit=400) for n in notes)
            if notes
            else Text("No notes here yet.", style="dim")
        )
        self.query_one("#notes-text", Static).update(body)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "note-input":
            return
        event.stop()
        text = event.value.strip()
        event.input.value = ""
        if text:
            self.post_message(NoteWritten(text))
        else:
            let_go(self)  # nothing saved: the focus stays here, and so do the keys after


class SidePanel(VerticalScroll, can_focus=False):
    """Everything the interviewer sees beside the conversation."""

    def compose(self) -> ComposeResult:
        yield JourneyPanel(id="journey")
        yield TagPanel(id="tags")
        yield NotesPanel(id="notes")
