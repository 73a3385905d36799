"""Terminals of the sizes people have: the question being asked stays in view, nothing is cut."""

from __future__ import annotations

import contextlib
from pathlib import Path

from cjm_interview.domain import QuestionType as T
from cjm_interview.store import Store
from cjm_interview.tui.widgets.chat import AnswerBubble, ChatLog
from cjm_interview.tui.widgets.inputs import ChoicePicker, GradePicker

from .helpers import answer, answer_until, interviewer, keys_for, kiosk, press


async def _comes_into_view(pilot, chat: ChatLog, turn, wait: float = 3.0) -> bool:
    """Whether ``turn`` is in view once the conversation has settled (on a loaded
    machine a resize can take longer than a fixed pause)."""
    for _ in range(int(wait / 0.05)):
        if _in_view(chat, turn):
            return True
        await pilot.pause(0.05)
    return _in_view(chat, turn)


def _in_view(chat: ChatLog, turn) -> bool:
    """Whether `turn` is in the part of the conversation on screen (its end, if it is taller)."""
    height = chat.scrollable_content_region.height
    top, bottom = chat.scroll_y, chat.scroll_y + height
    region = turn.virtual_region
    return region.bottom <= bottom + 1 and (region.y >= top or region.height > height)


async def _started(app, pilot, *answers: str) -> None:
    """An interview begun for P1 at the start screen, and ``answers`` given."""
    await pilot.pause()
    await press(pilot, *"P1", "enter")
    await pilot.pause(0.2)
    for text in answers:
        prompt = app.screen.current
        await answer(app, pilot, prompt, *keys_for(prompt, text))


@contextlib.asynccontextmanager
async def _asked(tmp_path: Path, script, size: tuple[int, int], question_type, told: str):
    """An interviewer's app of ``size``, its interview answered up to the first question
    of ``question_type`` (the journey's steps told in ``told``); yields app and pilot."""
    app = interviewer(Store(tmp_path / "s.db"), script)
    async with app.run_test(size=size) as pilot:
        await _started(app, pilot)
        await answer_until(app, pilot, lambda p: p.question.type is question_type, told)
        yield app, pilot


async def test_the_question_asked_stays_in_view_when_the_conversation_is_resized(
    tmp_path: Path, customer_script
) -> None:
    app = interviewer(Store(tmp_path / "s.db"), customer_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await _started(app, pilot, "yes", "My broadband provider, for switching after moving flat")
        chat = app.screen.query_one(ChatLog)
        await pilot.pause(0.2)
        assert await _comes_into_view(pilot, chat, chat.children[-1])
        # The side panel shown, a smaller terminal, the panel hidden: each rewraps the turns.
        for change in ("f6", (60, 20), "f6", (40, 15), (120, 40)):
            if isinstance(change, tuple):
                await pilot.resize_terminal(*change)
            else:
                await pilot.press(change)
            await pilot.pause(0.3)
            turn = chat.children[-1]
            assert await _comes_into_view(pilot, chat, turn), (
                change,
                turn.virtual_region,
                chat.scroll_y,
                chat.max_scroll_y,
                chat.scrollable_content_region,
                chat.virtual_size,
            )


async def test_an_answer_picked_with_f7_stays_in_view_as_the_panel_opens(
    tmp_path: Path, customer_script
) -> None:
    app = interviewer(Store(tmp_path / "s.db"), customer_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await _started(app, pilot, "yes", "broadband", "my flatmate", "renting", "a quiet life")
        await pilot.press("f6")  # panel hidden, then F7 brings it back
        await pilot.pause(0.2)
        for _ in range(3):  # the latest answer, then each one before
            await pilot.press("f7")
        await pilot.pause(0.3)
        chat = app.screen.query_one(ChatLog)
        picked = [b for b in chat.query(AnswerBubble) if b.has_class("-selected")]
        assert len(picked) == 1 and await _comes_into_view(pilot, chat, picked[0])
        await pilot.press("escape")  # back to the answer: back to the question asked
        await pilot.pause(0.3)
        assert await _comes_into_view(pilot, chat, chat.children[-1])


async def test_the_side_panel_leaves_the_conversation_room_in_a_narrow_terminal(
    tmp_path: Path, customer_script
) -> None:
    from cjm_interview.tui.widgets.panel import SidePanel

    app = interviewer(Store(tmp_path / "s.db"), customer_script)
    async with app.run_test(size=(60, 20)) as pilot:
        await _started(app, pilot, "yes")
        await pilot.press("f6")  # asked for at 60 columns: shown, beside the conversation
        await pilot.pause(0.3)
        side, chat = app.screen.query_one(SidePanel), app.screen.query_one(ChatLog)
        assert side.display and chat.region.width >= 28, chat.region
        await pilot.resize_terminal(120, 30)
        await pilot.pause(0.3)
        assert side.region.width == 38


async def test_the_kiosk_welcome_fits_a_narrow_terminal(tmp_path: Path, quick_script) -> None:
    app = kiosk(Store(tmp_path / "s.db"), quick_script)
    async with app.run_test(size=(40, 15)) as pilot:
        await pilot.pause(0.2)
        box = app.screen.query_one("#welcome-box")
        assert box.region.right <= 40 and box.region.x >= 0
        await pilot.resize_terminal(100, 30)
        await pilot.pause(0.2)
        assert box.region.width == 70


async def test_the_whole_grade_scale_shows_and_clicks_in_a_narrow_terminal(
    tmp_path: Path, quick_script
) -> None:
    async with _asked(tmp_path, quick_script, (100, 24), T.GRADE, "went to the shop") as (
        app,
        pilot,
    ):
        picker = app.screen.query_one(GradePicker)
        for width, height in ((100, 24), (40, 15), (30, 15), (24, 12)):
            await pilot.resize_terminal(width, height)
            await pilot.pause(0.3)
            top, scale = picker.render().plain.split("\n")
            # Every grade from 0 to 10 is on the scale, and the scale ends in the terminal
            # (at 40 columns it stopped at 8).
            assert top.split() == [str(g) for g in range(11)], (width, top)
            assert picker.content_region.x + len(top) <= width, (width, picker.content_region)
            assert scale.startswith("awful") and scale.endswith("perfect")
            # A click on "10" picks ten, wherever the scale put it.
            picker.value = None
            x = top.rindex("10")
            await pilot.click(GradePicker, offset=(picker.styles.padding.left + x, 0))
            assert picker.value == 10, (width, top)
            await pilot.click(GradePicker, offset=(picker.styles.padding.left + top.index("3"), 0))
            assert picker.value == 3, (width, top)


async def test_a_long_list_leaves_the_question_in_view_in_a_short_terminal(
    tmp_path: Path, customer_script
) -> None:
    """At 40x15 the ten channels took the whole screen and pushed the question off it."""
    told = "went on their website"
    async with _asked(tmp_path, customer_script, (40, 15), T.TOUCHPOINTS, told) as (app, pilot):
        await pilot.pause(0.3)
        chat = app.screen.query_one(ChatLog)
        assert chat.region.height >= 4
        assert await _comes_into_view(pilot, chat, chat.children[-1])
        box, slot = app.screen.query_one("#answer-box"), app.screen.query_one("#answer-slot")
        assert box.region.height <= 15 // 2
        hint = app.screen.query_one("#hint")
        assert box.region.y <= hint.region.y < box.region.bottom  # the keys' hint still shows
        picker = app.screen.query_one(ChoicePicker)
        for key, row in (("end", len(picker.rows) - 1), ("home", 0), ("up", len(picker.rows) - 1)):
            await pilot.press(key)
            await pilot.pause(0.2)
            assert picker.cursor == row
            # The highlighted option is on screen, inside the answer box.
            y = picker.content_region.y + picker._place(row, picker.content_size.width)[0]
            assert slot.region.y <= y < slot.region.bottom, (key, y, slot.region)


async def test_the_kiosks_hint_wraps_rather_than_being_cut(tmp_path: Path, quick_script) -> None:
    """A participant has no help key for the rest: "press any key to finish now" was cut
    off at 40 columns."""
    from .helpers import QUICK_TYPED, begin_with_consent

    app = kiosk(Store(tmp_path / "s.db"), quick_script)
    async with app.run_test(size=(40, 15)) as pilot:
        await begin_with_consent(pilot)
        for text in QUICK_TYPED[1:]:
            prompt = app.screen.current
            await answer(app, pilot, prompt, *text, "enter")
        await pilot.pause(0.3)
        hint = app.screen.query_one("#hint")
        words = str(hint.render()).split()
        assert words[-2:] == ["finish", "now"], words
        assert hint.region.height == 2 and hint.region.bottom <= 15


async def test_every_step_of_the_review_can_be_reached_and_seen(tmp_path: Path) -> None:
    """Long steps wrapped onto the next row, and the list, one row a step, hid the last
    steps: after Down four times the cursor was out of sight and "e" renamed a step no one
    could see. The channels were shown by their ids ("in_person")."""
    from cjm_interview.script import parse_script
    from cjm_interview.tui.widgets.inputs import StepList

    from .helpers import queue_keys, settle
    from .test_keys_follow_focus import REVIEW_SCRIPT

    script = parse_script(
        REVIEW_SCRIPT.replace(
            "        text: What did you do?\n",
            "        text: What did you do?\n      - id: how\n        type: touchpoints\n"
            "        maps_to: step.touchpoints\n        text: How?\n",
        ),
        "review.yaml",
    )
    app = kiosk(Store(tmp_path / "s.db"), script)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # begin
        await pilot.pause(0.3)
        for i in range(5):
            told = f"step {i + 1}: went to the branch in town and queued for a long time at it"
            queue_keys(app, *told, "enter", "7", "enter")
            if i < 4:  # at the fifth step, the most, no "anything else?"
                queue_keys(app, "y", "enter")
        await settle(app, pilot)
        assert app.screen.current.question.id == "review"
        steps = app.screen.query_one(StepList)
        slot = app.screen.query_one("#answer-slot")
        lines = str(steps.render()).splitlines()
        assert len(lines) == 5 and "In person" in lines[0] and "in_person" not in lines[0]
        for _ in range(4):
            await pilot.press("down")
        await pilot.pause(0.2)
        assert steps.cursor == 4
        y = steps.content_region.y + steps.cursor
        assert slot.region.y <= y < slot.region.bottom, (y, slot.region)
        assert steps.region.height >= 1 and steps.virtual_region.height == 5
