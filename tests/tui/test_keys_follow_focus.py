"""Keys that arrive together with a key that moves the focus go where it moved.

A fast typist, a paste or a slow link delivers several keys at once, and the app hands each to
the widget focused when it arrives: the keys after F7, F4, "o" (Other), "a" (add a step) or
"c" (correct a tag) reached the old place before the focus had moved, and typed into the
answer, picked options or removed a step. Each test sends the keys in one go and checks they
did what they do typed slowly.
"""

from __future__ import annotations

from pathlib import Path

from cjm_interview.domain import AnswerKey
from cjm_interview.domain import QuestionType as T
from cjm_interview.script import parse_script
from cjm_interview.store import Store

from .helpers import interviewer, kiosk, queue_keys, to_first_action
from .test_interviewer import ACTIONS, checking_tags, start
from .test_typeahead import OTHER_SCRIPT, _stored


def _answer_box_text(app) -> str:
    from cjm_interview.tui.widgets.inputs import AnswerInput

    (box,) = app.screen.query(AnswerInput)
    area = box.query("TextArea, Input").first()
    return str(getattr(area, "text", None) or getattr(area, "value", ""))


async def test_keys_after_f4_and_f7_go_to_the_note_and_the_tags(
    tmp_path: Path, customer_script, fake_tagger
) -> None:
    store = Store(tmp_path / "s.db")
    app = interviewer(store, customer_script, fake_tagger, interviewer="ana")
    async with app.run_test(size=(110, 36)) as pilot:
        await start(app, pilot)
        await to_first_action(app, pilot, ACTIONS[1])
        await pilot.press("space", "enter", *"me", "enter")  # its channels and who acted
        await pilot.pause(0.3)
        assert app.screen.current.question.id == "thoughts"
        # The note, then the answer again after the note's Enter.
        queue_keys(app, "f4", *"sighs", "enter", *"ok")
        await pilot.pause(0.3)
        assert _answer_box_text(app) == "ok"
        session_id = store.list_sessions()[0]["id"]
        assert [n["text"] for n in store.notes(session_id)] == ["sighs"]
        queue_keys(app, "f7", "f7", "home", "x")  # the action's tags (the answer before)
        await pilot.pause(0.3)
        assert _answer_box_text(app) == "ok"
    answer_id = store.answer_id(session_id, AnswerKey("action", 1))
    statuses = [t["status"] for t in store.tags_of(answer_id, include_removed=True)]
    assert statuses.count("removed") == 1


async def test_keys_after_c_and_plus_go_into_the_tag_editor(
    tmp_path: Path, customer_script, fake_tagger
) -> None:
    store = Store(tmp_path / "s.db")
    async with checking_tags(store, customer_script, fake_tagger) as (app, pilot, tag_list):
        queue_keys(app, "plus", *"emotion: relief", "enter")
        await pilot.pause(0.3)
        index = next(i for i, t in enumerate(tag_list.tags) if t["kind"] == "grade")
        await pilot.press("home", *["down"] * index)
        await pilot.pause(0.1)
        # "x" and "a" would remove or accept a tag in the list: here they are the grade typed.
        queue_keys(app, "c", "ctrl+a", "ctrl+k", *"x2", "enter", "c", "ctrl+a", "ctrl+k", "4")
        await pilot.pause(0.3)
        queue_keys(app, "enter")
        await pilot.pause(0.3)
        rows = {(t["kind"], t["label"], t["status"]) for t in tag_list.tags}
        grades = [(t["score"], t["status"]) for t in tag_list.tags if t["kind"] == "grade"]
    assert ("emotion", "relief", "added") in rows
    assert grades == [(4.0, "added")]
    assert not any(status == "removed" for _, _, status in rows)


async def test_keys_after_o_go_into_the_other_box(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    app = kiosk(store, parse_script(OTHER_SCRIPT))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # begin
        await pilot.pause(0.2)
        # "a" and "b" would pick the options in the list: here they are words of the answer.
        queue_keys(app, "o", *"a bus", "enter")
        assert await _stored(pilot, store, 1) == [("kind", "other: a bus")]


REVIEW_SCRIPT = """\
id: review
version: "1"
title: Review
sections:
  - id: steps
    title: Steps
    repeat: {min: 1, max: 5, while: "${more} == true"}
    questions:
      - id: action
        type: text
        maps_to: step.action
        text: What did you do?
      - id: more
        type: yes_no
        required: true
        text: Anything else?
  - id: playback
    title: Playback
    questions:
      - id: review
        type: journey_review
        maps_to: journey.review
        text: Is this right?
"""


async def test_keys_after_a_in_the_journey_review_add_that_step(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    app = kiosk(store, parse_script(REVIEW_SCRIPT))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter", *"rang them", "enter", "n", "enter")
        await pilot.pause(0.3)
        assert app.screen.current.question.type is T.JOURNEY_REVIEW
        # "d" would remove the highlighted step, "e" rename it: here they are the step's words.
        queue_keys(app, "a", *"read the deed", "enter")
        await pilot.pause(0.5)
        steps = [step.action for step in app.screen.session.engine.steps()]
    assert steps == ["rang them", "read the deed"]
