"""A paste replaces what is selected and keeps what fits: a full answer box, all of it
selected, takes a shorter paste whole instead of losing the selection for nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets.text_area import Selection

from cjm_interview.answers import MAX_ANSWER_CHARS
from cjm_interview.store import Store
from cjm_interview.tui.widgets.inputs import ChatTextArea, SafeInput

from .helpers import begin_with_consent, interviewer, kiosk


@asynccontextmanager
async def answer_box(
    tmp_path: Path, script: Any
) -> AsyncIterator[tuple[Pilot[None], ChatTextArea]]:
    """The kiosk's first free-text answer box, consent given."""
    app = kiosk(Store(tmp_path / "s.db"), script)
    async with app.run_test(size=(80, 24)) as pilot:
        await begin_with_consent(pilot)
        yield pilot, app.screen.query_one(ChatTextArea)


class OneBox(App[None]):
    """One one-line box holding ``value``."""

    def __init__(self, value: str) -> None:
        super().__init__()
        self.value = value

    def compose(self) -> ComposeResult:
        yield SafeInput(self.value, id="box")


async def test_a_paste_over_a_full_selected_answer_replaces_it(
    tmp_path: Path, quick_script
) -> None:
    async with answer_box(tmp_path, quick_script) as (pilot, area):
        area.text = "x" * MAX_ANSWER_CHARS
        area.select_all()
        area.post_message(events.Paste("went to the shop"))
        await pilot.pause(0.2)
        assert area.text == "went to the shop"
        # With nothing selected a full box still takes nothing more.
        area.text = "y" * MAX_ANSWER_CHARS
        area.move_cursor((0, MAX_ANSWER_CHARS))
        area.post_message(events.Paste("more"))
        await pilot.pause(0.2)
        assert area.text == "y" * MAX_ANSWER_CHARS


async def test_a_one_line_box_replaces_its_selection_and_says_when_it_cut() -> None:
    app = OneBox("other: a bus")
    async with app.run_test() as pilot:
        box = app.query_one(SafeInput)
        box.focus()
        box.selection = (7, 12)  # "a bus"
        box.post_message(events.Paste("the\x07\n tram"))
        await pilot.pause(0.1)
        assert box.value == "other: the tram"
        assert not app._notifications
        box.post_message(events.Paste("z" * 5_000))
        await pilot.pause(0.1)
        assert len(box.value) == SafeInput.paste_limit
        assert "shortened to 2,000" in next(iter(app._notifications)).message


async def test_a_pasted_line_break_sent_as_a_carriage_return_stays_a_break(
    tmp_path: Path, quick_script
) -> None:
    # Terminals send the line breaks of a paste as carriage returns: stripped as
    # control characters they ran the lines together ("first linesecond line").
    async with answer_box(tmp_path, quick_script) as (pilot, area):
        area.post_message(events.Paste("first line\rsecond line\r\nthird"))
        await pilot.pause(0.2)
        assert area.text == "first line\nsecond line\nthird"


async def test_a_one_line_box_keeps_the_words_of_a_pasted_line_break_apart() -> None:
    app = OneBox("")
    async with app.run_test() as pilot:
        box = app.query_one(SafeInput)
        box.focus()
        box.post_message(events.Paste("by\rbus"))
        await pilot.pause(0.1)
        assert box.value == "by bus"


async def test_a_paste_into_a_long_typed_answer_replaces_its_selection() -> None:
    # A box with no length of its own takes any typed length; bounding the whole value
    # cut a paste into an answer typed past 2,000 characters to nothing and deleted the
    # selection it was meant to replace.
    app = OneBox("a" * 2_500)
    async with app.run_test() as pilot:
        box = app.query_one(SafeInput)
        box.focus()
        box.selection = (0, 10)
        box.post_message(events.Paste("by bus"))
        await pilot.pause(0.1)
        assert box.value == "by bus" + "a" * 2_490
        assert not app._notifications


async def test_a_paste_into_an_answer_typed_past_the_limit_replaces_its_selection(
    tmp_path: Path, quick_script
) -> None:
    async with answer_box(tmp_path, quick_script) as (pilot, area):
        area.text = "b" * (MAX_ANSWER_CHARS + 100)  # typed: the box does not stop typing
        area.selection = Selection((0, 0), (0, 10))
        area.post_message(events.Paste("by tram"))
        await pilot.pause(0.2)
        assert area.text == "by tram" + "b" * (MAX_ANSWER_CHARS + 90)


async def test_the_start_forms_boxes_take_no_control_characters_from_a_paste(
    tmp_path: Path, quick_script
) -> None:
    # Plain inputs kept a paste's control characters (BEL, NUL, ...) in the participant's
    # name, stored as given.
    from textual.widgets import Input

    store = Store(tmp_path / "s.db")
    app = interviewer(store, quick_script)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        box = app.screen.query_one("#participant", Input)
        box.post_message(events.Paste("P\x0707\x01"))
        await pilot.pause(0.1)
        assert box.value == "P07"
        await pilot.press("enter")
        await pilot.pause(0.3)
    assert store.list_sessions()[0]["participant"] == "P07"
