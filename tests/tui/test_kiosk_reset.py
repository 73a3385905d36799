"""Nothing of one participant reaches the next: the idle reset runs on every screen and
dialog, and a finished interview leaves nothing behind its thank-you."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual import events

from cjm_interview.store import Store

from .helpers import answer, begin_with_consent, keys_for, kiosk, press
from .test_kiosk import answer_all

SECRET = "secret-first-person"


def clears_in(shown: str) -> int:
    """The seconds the thank-you says are left (the count may have begun a moment ago)."""
    found = re.search(r"This screen clears in (\d+) s", shown)
    assert found, shown
    return int(found.group(1))


def shown_anywhere(app) -> str:
    """All text on every screen of the stack (what Escape or a dialog's close could reveal)."""
    parts = []
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=True):
            parts.append(str(getattr(widget, "content", "")))
            text = getattr(widget, "text", None)
            if isinstance(text, str):
                parts.append(text)
    return "\n".join(parts)


async def wait_for_screen(app, pilot, name: str, seconds: float) -> list[str]:
    seen: list[str] = []
    for _ in range(int(seconds * 10)):
        await asyncio.sleep(0.1)
        current = type(app.screen).__name__
        if not seen or seen[-1] != current:
            seen.append(current)
        if current == name:
            break
    await pilot.pause(0.1)
    return seen


async def finish(app, pilot) -> None:
    """Begin at the welcome screen and answer every question (SECRET in the first step)."""
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause(0.2)
    await answer_all(app, pilot, SECRET)


async def begin_and_answer_first(pilot) -> None:
    await begin_with_consent(pilot)
    await press(pilot, *SECRET, "enter")
    await pilot.pause(0.3)


@pytest.mark.parametrize("left_open", ["pin dialog", "pin dialog with a wrong pin", "question"])
async def test_idle_resets_whatever_was_left_open(tmp_path: Path, quick_script, left_open) -> None:
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script, idle_seconds=1.0, countdown_seconds=1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await begin_and_answer_first(pilot)
        if left_open.startswith("pin dialog"):
            await pilot.press("f12")  # participant A opens the operator's dialog and walks away
            await pilot.pause(0.1)
            assert type(app.screen).__name__ == "PinScreen"
            if "wrong" in left_open:
                await press(pilot, *"0000", "enter")
        seen = await wait_for_screen(app, pilot, "WelcomeScreen", 6)
        assert seen[-1] == "WelcomeScreen", seen
        assert [type(s).__name__ for s in app.screen_stack][1:] == ["WelcomeScreen"]
        assert SECRET not in shown_anywhere(app)
        # Participant B: Escape, ctrl+b, F12 then Escape, and begins: nothing of A.
        await pilot.press("escape", "ctrl+b")
        await pilot.press("f12")
        await pilot.pause(0.1)
        await pilot.press("escape")
        await pilot.pause(0.1)
        await pilot.press("enter")
        await pilot.pause(0.3)
        await pilot.press("ctrl+b", "ctrl+b")
        await pilot.pause(0.2)
        assert SECRET not in shown_anywhere(app)
    first = min(store.list_sessions(), key=lambda r: r["started_at"])
    assert first["status"] == "abandoned"
    answers = {a.key.question_id: a.raw for a in store.load_answers(first["id"])}
    assert answers["action"] == SECRET  # A's answers kept, never shown again


async def test_idle_closes_a_dialog_left_open_on_the_welcome_screen(
    tmp_path: Path, quick_script
) -> None:
    app = kiosk(Store(tmp_path / "s.db"), quick_script, idle_seconds=1.0, countdown_seconds=1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f12")
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "PinScreen"
        seen = await wait_for_screen(app, pilot, "WelcomeScreen", 4)
        assert seen[-1] == "WelcomeScreen", seen


async def test_the_thank_you_leaves_nothing_to_reopen(tmp_path: Path, quick_script) -> None:
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script, reset_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await finish(app, pilot)
        await pilot.pause(0.3)
        screen = app.screen
        assert screen.finished
        shown = shown_anywhere(app)
        assert 0 < clears_in(shown) <= 30
        assert SECRET not in shown  # the transcript is gone with the last answer
        await pilot.press("ctrl+b", "f2", "f3")  # no way back into the answers
        await pilot.pause(0.2)
        assert SECRET not in shown_anywhere(app)
        assert store.list_sessions()[0]["status"] == "finished"
        await pilot.press("x")  # one key finishes at once
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "WelcomeScreen"
    (row,) = store.list_sessions()
    assert row["status"] == "finished"


async def test_the_thank_you_clears_itself_after_the_stated_delay(
    tmp_path: Path, quick_script
) -> None:
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script, reset_seconds=2, idle_seconds=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await finish(app, pilot)
        assert 0 < clears_in(shown_anywhere(app)) <= 2
        seen = await wait_for_screen(app, pilot, "WelcomeScreen", 4)
        assert seen[-1] == "WelcomeScreen" and "IdleScreen" not in seen, seen
    assert store.list_sessions()[0]["status"] == "finished"


async def test_a_key_typed_before_the_thank_you_appeared_is_not_taken_late(
    tmp_path: Path, quick_script
) -> None:
    # On a loaded machine a key pressed with the last answer may be handled only after
    # the thank-you has been up for longer than its grace: its own time still tells.
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script, reset_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await finish(app, pilot)
        screen = app.screen
        assert screen.finished
        await pilot.pause(0.8)  # longer than the grace
        late = events.Key("enter", "\r")
        late.time = screen._shown_at - 0.05  # pressed just before it was shown
        app.post_message(late)
        await pilot.pause(0.3)
        assert app.screen is screen, "an Enter from before the thank-you dismissed it"
        # A click pressed then, its button up only now: the app makes the Click late.
        down = events.MouseDown(screen, 40, 12, 0, 0, 1, False, False, False)
        down.time = screen._shown_at - 0.05
        app.post_message(down)
        app.post_message(events.MouseUp(screen, 40, 12, 0, 0, 1, False, False, False))
        await pilot.pause(0.3)
        assert app.screen is screen, "a click pressed before the thank-you dismissed it"
        await pilot.press("enter")  # a key pressed now finishes
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "WelcomeScreen"


@contextlib.asynccontextmanager
async def thank_you_closed(tmp_path: Path, script) -> AsyncIterator[tuple]:
    """A kiosk whose participant finished, read the thank-you, and pressed Enter to close it."""
    store = Store(tmp_path / "s.db")
    app = kiosk(store, script, reset_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await finish(app, pilot)
        await pilot.pause(0.8)  # the thank-you read
        app.post_message(events.Key("enter", "\r"))
        yield store, app, pilot


async def test_a_double_tap_that_closes_the_thank_you_begins_no_session(
    tmp_path: Path, quick_script
) -> None:
    """The Enter that closes the thank-you, pressed twice: the second reached the welcome
    screen and began a session no one was there to answer."""
    from cjm_interview.tui.screens.welcome import GRACE

    async with thank_you_closed(tmp_path, quick_script) as (store, app, pilot):
        await asyncio.sleep(0.1)
        app.post_message(events.Key("enter", "\r"))  # the second tap
        seen = await wait_for_screen(app, pilot, "WelcomeScreen", 3)
        await pilot.pause(GRACE)
        assert type(app.screen).__name__ == "WelcomeScreen", seen
        assert len(store.list_sessions()) == 1
        await pilot.press("enter")  # the next person, once the grace is over
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "KioskInterviewScreen"
    assert len(store.list_sessions()) == 2


async def test_a_held_enter_that_closes_the_thank_you_begins_no_session(
    tmp_path: Path, quick_script
) -> None:
    """An Enter held down repeats after about half a second, every few hundredths, for as
    long as it is held: none of its repeats begins a session for no one."""
    from cjm_interview.tui.screens.welcome import GRACE

    async with thank_you_closed(tmp_path, quick_script) as (store, app, pilot):
        await asyncio.sleep(0.5)
        for _ in range(int((GRACE + 1.0) / 0.04)):  # repeats, past the grace
            app.post_message(events.Key("enter", "\r"))
            await asyncio.sleep(0.04)
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "WelcomeScreen"
        assert len(store.list_sessions()) == 1
        await pilot.pause(0.3)
        await pilot.press("enter")  # let go, then pressed again: the next person
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "KioskInterviewScreen"


async def test_a_thank_you_closed_early_leaves_the_next_ones_time_alone(
    tmp_path: Path, quick_script
) -> None:
    """Each thank-you clears itself after the stated delay: the timer of one closed early by
    a key cleared the next person's before its time."""
    from cjm_interview.tui.screens.welcome import GRACE

    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script, reset_seconds=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await finish(app, pilot)
        first = asyncio.get_running_loop().time()
        await pilot.pause(0.6)
        await pilot.press("x")  # read, and closed early
        await pilot.pause(GRACE + 0.1)
        await finish(app, pilot)  # the next person
        second = app.screen
        assert second.finished
        wait = first + 5 + 0.3 - asyncio.get_running_loop().time()
        assert wait > 0, "the next person took longer than a thank-you: nothing is checked"
        await asyncio.sleep(wait)  # past the first thank-you's time, before the second's
        assert app.screen is second, "the first thank-you's timer cleared the second's"
        seen = await wait_for_screen(app, pilot, "WelcomeScreen", 6)
        assert seen[-1] == "WelcomeScreen"
    assert [r["status"] for r in store.list_sessions()] == ["finished", "finished"]


async def test_an_enter_typed_ahead_does_not_dismiss_the_thank_you_unseen(
    tmp_path: Path, quick_script
) -> None:
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script, reset_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.2)
        for _ in range(30):
            prompt = app.screen.current
            if prompt.question.id == "improvement":
                break
            more = prompt.question.id != "more_steps"
            await answer(app, pilot, prompt, *keys_for(prompt, SECRET, yes=more))
        # The last answer, and one Enter too many, typed together (Pilot would send the
        # second only once the first is handled, on a loaded machine after the grace):
        # the thank-you stays to be read.
        await press(pilot, *"more staff")
        app.post_message(events.Key("enter", "\r"))
        app.post_message(events.Key("enter", "\r"))
        await pilot.pause(0.2)
        for _ in range(20):  # however long the last answer takes to store
            if getattr(app.screen, "finished", False):
                break
            await pilot.pause(0.1)
        assert type(app.screen).__name__ == "KioskInterviewScreen" and app.screen.finished
        await pilot.pause(0.5)
        await pilot.press("enter")  # once it has been seen, a key finishes
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "WelcomeScreen"
