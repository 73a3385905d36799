"""Words put back in a box (a draft resumed, an answer gone back to) and words of one's own at
a choice: the keys typed next add to them, and what is shown is what is sent."""

from __future__ import annotations

from pathlib import Path

from cjm_interview.script import parse_script
from cjm_interview.store import Store

from .helpers import on_the_start_screen, queue_keys, settle
from .test_typeahead import _stored

SCRIPT = """\
id: words
version: "1"
title: Words
sections:
  - id: s
    title: S
    questions:
      - id: kind
        type: single_choice
        allow_other: true
        text: Which describes you best?
        choices:
          - {value: first, label: First time}
          - {value: regular, label: Regular}
      - id: ways
        type: touchpoints
        allow_other: true
        text: How did you do it?
      - id: who
        type: short_text
        text: Who served you?
"""


def _stored_now(store: Store) -> dict[str, object]:
    (row,) = store.list_sessions()
    return {a.key.question_id: a.raw for a in store.load_answers(row["id"])}


async def test_a_one_line_draft_resumed_is_added_to_not_replaced(tmp_path: Path) -> None:
    """The words came back in the box all selected, and the first key typed replaced them:
    "nobody, automat" resumed, then "ed", was stored as "ed"."""
    async with on_the_start_screen(tmp_path, parse_script(SCRIPT)) as (store, app, pilot):
        queue_keys(app, *"P1", "enter", "1", "enter", "1", "enter", *"nobody, automat", "f5")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "StartScreen"
        queue_keys(app, "f9", "enter")
        await settle(app, pilot)
        queue_keys(app, *"ed", "enter")
        await _stored(pilot, store, 3)
    assert _stored_now(store)["who"] == "nobody, automated"


async def test_other_typed_as_the_help_says_keeps_its_words(tmp_path: Path) -> None:
    """The channels' help says to type "other: …"; its "o" opens the Other box, so the box
    got "ther: fax", stored as a channel called "ther: fax"."""
    async with on_the_start_screen(tmp_path, parse_script(SCRIPT)) as (store, app, pilot):
        queue_keys(app, *"P1", "enter", "1", "enter", *"other: fax", "enter")
        await _stored(pilot, store, 2)
    assert _stored_now(store)["ways"] == "other: fax"


async def test_going_back_to_an_answer_of_ones_own_shows_it_picked(tmp_path: Path) -> None:
    """Back at a choice answered with words of one's own, the first option had the cursor
    and "Other…" no mark; a row picked then left the old words on screen."""
    from cjm_interview.tui.widgets.inputs import OTHER, ChoicePicker

    async with on_the_start_screen(tmp_path, parse_script(SCRIPT)) as (store, app, pilot):
        queue_keys(app, *"P1", "enter", "o", *"switching from another bank", "enter")
        await _stored(pilot, store, 1)
        queue_keys(app, "f2")
        await settle(app, pilot)
        picker = app.screen.query_one(ChoicePicker)
        assert picker.rows[picker.cursor][0] == OTHER and picker.other_given
        assert "(•) o) Other…" in str(picker.render())
        assert app.screen.query_one("#other").display
        queue_keys(app, "enter")  # the same words again, as shown
        await settle(app, pilot)
        assert app.screen.current.question.id == "ways"
        assert _stored_now(store)["kind"] == "other: switching from another bank"
        queue_keys(app, "f2")
        await settle(app, pilot)
        queue_keys(app, "2")  # a listed row instead: the words go out of the way
        await settle(app, pilot)
        picker = app.screen.query_one(ChoicePicker)
        assert not app.screen.query_one("#other").display and not picker.other_given
        assert "( ) o) Other…" in str(picker.render())
        queue_keys(app, "enter")
        await settle(app, pilot)
    assert _stored_now(store)["kind"] == "regular"


async def test_other_typed_again_over_words_given_before_replaces_them(tmp_path: Path) -> None:
    """Back at a channels answer with words of one's own, "other: fax" typed again was added
    to the old words: "telexther: fax"."""
    async with on_the_start_screen(tmp_path, parse_script(SCRIPT)) as (store, app, pilot):
        queue_keys(app, *"P1", "enter", "1", "enter", *"other: telex", "enter")
        await _stored(pilot, store, 2)
        queue_keys(app, "f2")
        await settle(app, pilot)
        assert app.screen.current.question.id == "ways"
        queue_keys(app, *"other: fax", "enter")
        await settle(app, pilot)
    assert _stored_now(store)["ways"] == "other: fax"
