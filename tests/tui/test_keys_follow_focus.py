"""Keys that arrive together with a key whose effect comes later act after that effect.

A fast typist, a paste, a slow link or a busy machine delivers several keys at once, and the
app hands each to the widget focused when it arrives: the keys after F7, F4, "o" (Other),
"a" (add a step), "c" (correct a tag), a step moved or a tag removed reached the old place or
acted on the old list, and typed into the answer, picked options or removed the wrong step.
Each test sends the keys in one go and checks they did what they do typed slowly.
"""

from __future__ import annotations

from pathlib import Path

from cjm_interview.domain import AnswerKey
from cjm_interview.domain import QuestionType as T
from cjm_interview.script import parse_script
from cjm_interview.store import Store

from .helpers import (
    interviewer,
    kiosk,
    on_the_start_screen,
    queue_keys,
    settle,
    to_first_action,
)
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
        await settle(app, pilot)
        assert _answer_box_text(app) == "ok"
        session_id = store.list_sessions()[0]["id"]
        assert [n["text"] for n in store.notes(session_id)] == ["sighs"]
        queue_keys(app, "f7", "f7", "home", "x")  # the action's tags (the answer before)
        await settle(app, pilot)
        assert _answer_box_text(app) == "ok"
        # Two keys that move the focus: the keys go where the second one moved it (the "a"
        # of "again" accepted tags in the list the first one focused).
        queue_keys(app, "f7", "f4", *"again", "enter")
        await settle(app, pilot)
        assert [n["text"] for n in store.notes(session_id)] == ["sighs", "again"]
        # A function key after an Enter runs after what the Enter sent: the answer is stored,
        # then the note is written at the next question.
        queue_keys(app, *"worried", "enter", "f4", *"pause", "enter", *"calm")
        await settle(app, pilot)
        assert app.screen.current.question.id == "feelings"
        assert _answer_box_text(app) == "calm"
    answers = {a.key.question_id: a.raw for a in store.load_answers(session_id)}
    assert answers["thoughts"] == "okworried"
    notes = {n["text"]: n["question_id"] for n in store.notes(session_id)}
    assert notes == {"sighs": "thoughts", "again": "thoughts", "pause": "feelings"}
    answer_id = store.answer_id(session_id, AnswerKey("action", 1))
    decided = [
        (t["status"], t["decided_by"]) for t in store.tags_of(answer_id, include_removed=True)
    ]
    assert [status for status, _ in decided].count("removed") == 1
    assert all(status != "accepted" for status, _ in decided)


async def test_keys_after_c_and_plus_go_into_the_tag_editor(
    tmp_path: Path, customer_script, fake_tagger
) -> None:
    store = Store(tmp_path / "s.db")
    async with checking_tags(store, customer_script, fake_tagger) as (app, pilot, tag_list):
        queue_keys(app, "plus", *"emotion: relief", "enter")
        await settle(app, pilot)
        index = next(i for i, t in enumerate(tag_list.tags) if t["kind"] == "grade")
        await pilot.press("home", *["down"] * index)
        await pilot.pause(0.1)
        # "x" and "a" would remove or accept a tag in the list: here they are the grade typed.
        queue_keys(app, "c", "ctrl+a", "ctrl+k", *"x2", "enter", "c", "ctrl+a", "ctrl+k", "4")
        await settle(app, pilot)
        queue_keys(app, "enter")
        await settle(app, pilot)
        rows = {(t["kind"], t["label"], t["status"]) for t in tag_list.tags}
        grades = [(t["score"], t["status"]) for t in tag_list.tags if t["kind"] == "grade"]
        # The list as it is after each change: the row first after the tag added is the one
        # removed, and a second "x" brings it back (it removed the old first row, then
        # removed the same tag again).
        queue_keys(app, "plus", *"emotion: anger", "enter", "home", "x")
        await settle(app, pilot)
        first = tag_list.tags[0]
        assert first["status"] == "removed"
        queue_keys(app, "x", "x")
        await settle(app, pilot)
        assert tag_list.tags[0]["status"] == "removed"
        assert [t["status"] for t in tag_list.tags].count("removed") == 1
    assert ("emotion", "relief", "added") in rows
    assert grades == [(4.0, "added")]
    assert not any(status == "removed" for _, _, status in rows)
    actions = [
        r[0]
        for r in store.conn.execute(
            "SELECT action FROM audit_log WHERE action LIKE 'tag.%' ORDER BY id"
        )
    ]
    assert actions[-3:] == ["tag.removed", "tag.restored", "tag.removed"]


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
        await settle(app, pilot)
        steps = [step.action for step in app.screen.session.engine.steps()]
        assert steps == ["rang them", "read the deed"]
        # Each move and removal by the list as the one before left it, as typed slowly (by
        # the list as it was, the second "[" moved another step and "d" removed another).
        queue_keys(app, "a", *"signed", "enter", "down", "down", "[", "[", "down", "d")
        await settle(app, pilot)
        steps = [step.action for step in app.screen.session.engine.steps()]
    assert steps == ["read the deed", "signed"]


async def test_keys_after_the_start_screens_enter_answer_the_first_questions(
    tmp_path: Path, customer_script
) -> None:
    """They went into the participant's name ("P02yenergy"), and the session began empty."""
    async with on_the_start_screen(tmp_path, customer_script) as (store, app, pilot):
        queue_keys(app, *"P02", "enter", "y", "enter", *"energy", "enter")
        stored = await _stored(pilot, store, 2)
    assert [row["participant"] for row in store.list_sessions()] == ["P02"]
    assert stored == [("consent", "yes"), ("service", "energy")]


async def test_keys_after_back_a_dialog_and_quitting_keep_their_place(
    tmp_path: Path, customer_script
) -> None:
    """F2 (back) and a dialog closed by a key lost the keys after them; an Enter then ctrl+q
    quit before the answer was stored; a paste after an Enter went into the answer sent."""
    from textual import events

    async with on_the_start_screen(tmp_path, customer_script) as (store, app, pilot):
        # Tab out of the participant's field moves on before "seg" is typed.
        queue_keys(app, *"P14", "tab", *"seg", "enter", "y", "enter", *"bank", "enter")
        await _stored(pilot, store, 2)
        queue_keys(app, "f2", "end", *" card", "enter")  # back to the service, then on
        await settle(app, pilot)
        queue_keys(app, *"abc", "f10", "n", *"def")  # "End now?" No, and typing goes on
        await settle(app, pilot)
        assert _answer_box_text(app) == "abcdef"
        queue_keys(app, "enter")
        app.post_message(events.Paste("my landlord"))
        await settle(app, pilot)
        assert _answer_box_text(app) == "my landlord"
        queue_keys(app, "enter", "ctrl+q")
        await settle(app, pilot)
    assert not app.is_running
    (row,) = store.list_sessions()
    answers = {a.key.question_id: a.raw for a in store.load_answers(row["id"])}
    assert (row["participant"], row["segment"]) == ("P14", "seg")
    assert answers["service"] == "bank card"
    assert answers["stakeholders"] == "abcdef"
    assert answers["situation"] == "my landlord"


async def test_keys_after_leaving_an_interview_go_to_the_start_screen(
    tmp_path: Path, customer_script
) -> None:
    """F5 (pause) and F10 then "y" (end now) lost the keys typed after them: they reached
    the interview's answer box on its way out instead of the start screen's first field."""
    from textual.widgets import Input

    async with on_the_start_screen(tmp_path, customer_script) as (store, app, pilot):
        queue_keys(app, *"P1", "enter", "y", "enter")
        await _stored(pilot, store, 1)
        queue_keys(app, *"bank", "f5", *"P2", "enter")  # paused, then the next interview
        await settle(app, pilot)
        assert type(app.screen).__name__ == "InterviewScreen"
        # An answer, then ended early, then a name typed: the "P" went to the answer box of
        # the question after the answer, which the dialog's close let it reach.
        queue_keys(app, "y", "enter", *"bank", "enter", "f10", "y", *"P3")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "StartScreen"
        assert app.screen.query_one("#participant", Input).value == "P3"
    rows = {row["participant"]: row["status"] for row in store.list_sessions()}
    assert rows == {"P1": "in_progress", "P2": "ended_early"}


async def test_enter_on_a_finished_interview_leaves_from_any_list_and_saves_a_note(
    tmp_path: Path, quick_script
) -> None:
    """The finished screen's Enter went back to the start screen only once the list with
    the focus (F7's tags) had handed it up, after the keys typed behind it; and from a note
    (F4) it left without saving the note."""
    from textual.widgets import Input

    from .helpers import QUICK_TYPED

    store = Store(tmp_path / "s.db")
    app = interviewer(store, quick_script)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        for participant in ("P1", "P2"):
            queue_keys(app, *participant, "enter")
            for text in QUICK_TYPED:  # the closing note is taken as it is shown
                queue_keys(app, *text, "enter")
            await settle(app, pilot)
            assert app.screen.finished, app.screen.current.question.id
            if participant == "P1":
                queue_keys(app, "f7", "enter", *"P99")
            else:
                queue_keys(app, "f4", *"calm throughout", "enter", "enter", *"P98")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "StartScreen"
            field = app.screen.query_one("#participant", Input)
            assert field.value == f"P9{'9' if participant == 'P1' else '8'}"
            field.value = ""
    rows = {row["participant"]: row for row in store.list_sessions()}
    assert {p: r["status"] for p, r in rows.items()} == {"P1": "finished", "P2": "finished"}
    assert [n["text"] for n in store.notes(rows["P2"]["id"])] == ["calm throughout"]


async def test_words_typed_but_not_sent_come_back_when_a_paused_interview_resumes(
    tmp_path: Path, customer_script
) -> None:
    """F5 with words in the answer box lost them: a break in the middle of an answer."""
    async with on_the_start_screen(tmp_path, customer_script) as (store, app, pilot):
        queue_keys(app, *"P1", "enter", "y", "enter")
        await _stored(pilot, store, 1)
        queue_keys(app, *"a broadband ", "f5")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "StartScreen"
        queue_keys(app, "f9", "enter")  # resume the interview listed first
        await settle(app, pilot)
        assert type(app.screen).__name__ == "InterviewScreen"
        assert _answer_box_text(app) == "a broadband "
        queue_keys(app, *"provider", "enter")
        await _stored(pilot, store, 2)
    answers = {a.key.question_id: a.raw for a in store.load_answers(store.list_sessions()[0]["id"])}
    assert answers["service"] == "a broadband provider"


async def test_keys_typed_with_the_enter_that_resumes_answer_the_question_resumed(
    tmp_path: Path, customer_script
) -> None:
    """Keys arriving with the resume list's Enter were queued to the list behind it, before
    anything held them, and the list ignores letters: the first words were lost."""
    async with on_the_start_screen(tmp_path, customer_script) as (store, app, pilot):
        queue_keys(app, *"P1", "enter", "y", "enter")
        await _stored(pilot, store, 1)
        queue_keys(app, "f5")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "StartScreen"
        queue_keys(app, "f9", "enter", *"a broadband provider", "enter")
        await _stored(pilot, store, 2)
    answers = {a.key.question_id: a.raw for a in store.load_answers(store.list_sessions()[0]["id"])}
    assert answers["service"] == "a broadband provider"
