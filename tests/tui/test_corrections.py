"""The interviewer's side panel files notes and tag decisions where they belong: a note
never takes the next answer, F7 highlights a tag, c replaces it, x can be undone, and
every decision is stored with who made it and when."""

from __future__ import annotations

from pathlib import Path

from textual import events

from cjm_interview.answers import MAX_ANSWER_CHARS
from cjm_interview.domain import AnswerKey
from cjm_interview.store import Store
from cjm_interview.tui.app import make_app
from cjm_interview.tui.widgets.inputs import AnswerInput
from cjm_interview.tui.widgets.panel import TagList

from .helpers import keys_for, press, to_first_action
from .test_interviewer import start


def in_answer_box(app) -> bool:
    return app.focused is not None and any(
        isinstance(w, AnswerInput) for w in app.focused.ancestors_with_self
    )


async def test_a_saved_note_or_escape_gives_the_keys_back_to_the_answer(
    tmp_path: Path, customer_script
) -> None:
    store = Store(tmp_path / "s.db")
    app = make_app(
        store, customer_script, "interviewer", None, interviewer="ana", cursor_blink=False
    )
    async with app.run_test(size=(110, 36)) as pilot:
        await start(app, pilot)
        question = app.screen.current.key
        await pilot.press("f4", *"seemed nervous", "enter")
        await pilot.pause(0.1)
        assert in_answer_box(app)
        await press(pilot, *keys_for(app.screen.current, "the participant's answer"))
        await pilot.pause(0.2)
        assert app.screen.current.key != question  # the answer was taken as an answer
        await pilot.press("f4", *"half a note", "escape")
        await pilot.pause(0.1)
        assert in_answer_box(app)
    session_id = store.list_sessions()[0]["id"]
    assert [n["text"] for n in store.notes(session_id)] == ["seemed nervous"]
    answers = {a.key: a for a in store.load_answers(session_id)}
    assert question in answers


async def test_the_hint_line_says_what_the_keys_do_where_they_go(
    tmp_path: Path, customer_script, fake_tagger
) -> None:
    # The answer box's "Enter send · ctrl+j new line" stayed while a note or a tag was typed.
    store = Store(tmp_path / "s.db")
    app = make_app(store, customer_script, "interviewer", fake_tagger, cursor_blink=False)
    async with app.run_test(size=(110, 36)) as pilot:
        await start(app, pilot)

        def hint() -> str:
            return str(app.screen.query_one("#hint").content)

        answering = hint()
        assert "Enter send" in answering
        await pilot.press("f4")
        await pilot.pause(0.1)
        assert hint().startswith("Enter saves the note")
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert hint() == answering
        await to_first_action(app, pilot, "Called the helpline and waited on hold")
        await pilot.press("f7")
        await pilot.pause(0.2)
        assert "a accept" in hint()
        await pilot.press("c")
        await pilot.pause(0.2)
        assert hint().startswith("Enter saves the tag")
        await pilot.press("escape", "escape")
        await pilot.pause(0.2)
        assert "Enter send" in hint()


async def test_a_pasted_note_is_kept_to_what_a_study_takes(tmp_path: Path, customer_script) -> None:
    # A study refuses a file whose notes are longer than any answer: the box never
    # writes one.
    store = Store(tmp_path / "s.db")
    app = make_app(
        store, customer_script, "interviewer", None, interviewer="ana", cursor_blink=False
    )
    async with app.run_test(size=(110, 36)) as pilot:
        await start(app, pilot)
        await pilot.press("f4")
        await pilot.pause(0.1)
        app.focused.post_message(events.Paste("n" * (MAX_ANSWER_CHARS + 5_000)))
        await pilot.pause(0.2)
        await pilot.press("enter")
        await pilot.pause(0.2)
    (note,) = store.notes(store.list_sessions()[0]["id"])
    assert 0 < len(note["text"]) <= MAX_ANSWER_CHARS


async def test_f7_highlights_c_replaces_and_x_is_undone(
    tmp_path: Path, customer_script, fake_tagger
) -> None:
    clock = iter(f"2026-01-01T00:00:{n:02d}.000Z" for n in range(60))
    store = Store(tmp_path / "s.db", clock=lambda: next(clock))
    app = make_app(
        store, customer_script, "interviewer", fake_tagger, interviewer="ana", cursor_blink=False
    )
    async with app.run_test(size=(110, 36)) as pilot:
        await start(app, pilot)
        await to_first_action(app, pilot, "Called the helpline and waited on hold")
        await pilot.press("f7")
        await pilot.pause(0.1)
        tag_list = app.screen.query_one(TagList)
        assert tag_list.has_focus and tag_list.highlighted == 0  # a row to act on at once
        await pilot.press("end")  # the channel heard (touchpoints come last)
        await pilot.pause(0.05)
        wrong = tag_list.tags[tag_list.highlighted]
        assert wrong["kind"] == "touchpoint"
        # c replaces the highlighted tag, whatever way the label is typed.
        await pilot.press("c", "ctrl+a", "ctrl+k", *f"{wrong['kind']}: email", "enter")
        await pilot.pause(0.1)
        labels = [(t["kind"], t["label"]) for t in tag_list.tags]
        assert (wrong["kind"], wrong["label"]) not in labels
        assert (wrong["kind"], "email") in labels
        # x strikes a tag but keeps it listed and highlighted; x again brings it back.
        target = tag_list.tags[tag_list.highlighted]
        await pilot.press("x")
        await pilot.pause(0.1)
        row = tag_list.tags[tag_list.highlighted]
        assert row["id"] == target["id"] and row["status"] == "removed"
        await pilot.press("x")
        await pilot.pause(0.1)
        # As it was: an undo is no acceptance (it once came back "accepted").
        assert tag_list.tags[tag_list.highlighted]["status"] == target["status"]
        # u brings back the last removed tag.
        await pilot.press("x", "end", "u")
        await pilot.pause(0.1)
        restored = {t["id"]: t["status"] for t in tag_list.tags}
        assert restored[target["id"]] != "removed"
    session_id = store.list_sessions()[0]["id"]
    answer_id = store.answer_id(session_id, AnswerKey("action", 1))
    rows = {t["id"]: t for t in store.tags_of(answer_id, include_removed=True)}
    assert rows[wrong["id"]]["status"] == "corrected"
    decided = store.conn.execute(
        "SELECT id, decided_by, decided_at FROM tags WHERE answer_id = ? AND status != 'suggested'",
        (answer_id,),
    ).fetchall()
    assert decided and all(by == "ana" and at for _, by, at in decided)
    audit = store.conn.execute(
        "SELECT action, actor, at FROM audit_log WHERE action LIKE 'tag.%' ORDER BY id"
    ).fetchall()
    assert [a for a, _, _ in audit] == [
        "tag.corrected",
        "tag.removed",
        "tag.restored",
        "tag.removed",
        "tag.restored",
    ]
    assert all(actor == "ana" and at for _, actor, at in audit)
