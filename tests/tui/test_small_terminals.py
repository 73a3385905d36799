"""Terminals of the sizes people have: the question being asked stays in view, nothing is cut."""

from __future__ import annotations

from pathlib import Path

from cjm_interview.store import Store
from cjm_interview.tui.widgets.chat import AnswerBubble, ChatLog

from .helpers import answer, interviewer, keys_for, kiosk, press


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


async def test_the_question_asked_stays_in_view_when_the_conversation_is_resized(
    tmp_path: Path, customer_script
) -> None:
    app = interviewer(Store(tmp_path / "s.db"), customer_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await _started(app, pilot, "yes", "My broadband provider, for switching after moving flat")
        chat = app.screen.query_one(ChatLog)
        await pilot.pause(0.2)
        assert _in_view(chat, chat.children[-1])
        # The side panel shown, a smaller terminal, the panel hidden: each rewraps the turns.
        for change in ("f6", (60, 20), "f6", (40, 15), (120, 40)):
            if isinstance(change, tuple):
                await pilot.resize_terminal(*change)
            else:
                await pilot.press(change)
            await pilot.pause(0.3)
            assert _in_view(chat, chat.children[-1]), change


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
        assert len(picked) == 1 and _in_view(chat, picked[0])
        await pilot.press("escape")  # back to the answer: back to the question asked
        await pilot.pause(0.3)
        assert _in_view(chat, chat.children[-1])


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
