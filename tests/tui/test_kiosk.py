"""Kiosk mode: locked down, resets itself, never shows the previous person's answers."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest
from textual import events

from cjm_interview.errors import CjmError
from cjm_interview.store import Store
from cjm_interview.tui.app import make_app
from cjm_interview.tui.screens.welcome import GRACE

from .helpers import answer, begin_with_consent, keys_for, kiosk, on_the_welcome_screen, press


async def answer_all(app, pilot, first_action: str = "went to the counter") -> None:
    for _ in range(30):
        prompt = getattr(app.screen, "current", None)
        if prompt is None:
            return
        more = prompt.question.id != "more_steps"
        await answer(app, pilot, prompt, *keys_for(prompt, first_action, yes=more, grade="8"))


def test_kiosk_refuses_to_start_without_a_pin(tmp_path: Path, quick_script) -> None:
    with pytest.raises(CjmError, match="no default"):
        make_app(Store(tmp_path / "s.db"), quick_script, "kiosk", None, pin_guard=None)


async def test_quit_keys_do_nothing(tmp_path: Path, quick_script) -> None:
    app = kiosk(Store(tmp_path / "s.db"), quick_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key in ("ctrl+q", "ctrl+c", "ctrl+z", "escape", "ctrl+p", "ctrl+backslash"):
            await pilot.press(key)
            await pilot.pause(0.05)
            assert app.is_running
            assert type(app.screen).__name__ in ("WelcomeScreen", "PinScreen")
            if type(app.screen).__name__ == "PinScreen":
                await press(pilot, *"0000", "enter")  # a wrong PIN keeps the kiosk up
                await pilot.pause(0.05)
                await pilot.press("escape")
        assert app.is_running


async def test_operator_leaves_with_the_pin_only(tmp_path: Path, quick_script) -> None:
    app = kiosk(Store(tmp_path / "s.db"), quick_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f12")
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "PinScreen"
        await press(pilot, *"1234", "enter")
        await pilot.pause(0.1)
        assert app.is_running
        await pilot.press("f12")
        await pilot.pause(0.1)
        if type(app.screen).__name__ != "PinScreen":
            await pilot.press("f12")
            await pilot.pause(0.1)
        await press(pilot, *"4821", "enter")
        await pilot.pause(0.2)
    assert not app.is_running


async def test_finish_then_reset_for_the_next_person(tmp_path: Path, quick_script) -> None:
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script, reset_seconds=0.3)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # welcome: begin
        await pilot.pause(0.2)
        await answer_all(app, pilot, "secret-first-person went to the counter")
        await asyncio.sleep(0.6)
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "WelcomeScreen"
        # Nothing of the previous person can be reached from here.
        for screen in app.screen_stack:
            for widget in screen.walk_children():
                assert "secret-first-person" not in str(getattr(widget, "content", ""))
        await pilot.pause(GRACE)  # the next person, not the last one's key
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert "secret-first-person" not in app.screen.chat.transcript()
    rows = store.list_sessions()
    assert len(rows) == 2
    assert sorted(r["status"] for r in rows) == ["finished", "in_progress"]
    assert {r["kiosk"] for r in rows} == {"k1"}


async def test_idle_participant_is_asked_then_reset(tmp_path: Path, quick_script) -> None:
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script, idle_seconds=1.0, countdown_seconds=2.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press("y", "enter")
        await pilot.pause(0.1)
        seen = []
        for _ in range(50):  # watch the screens for up to about five seconds
            await asyncio.sleep(0.1)
            name = type(app.screen).__name__
            if not seen or seen[-1] != name:
                seen.append(name)
            if name == "WelcomeScreen":
                break
        # Asked "are you still there?" with a countdown, then reset.
        assert seen[-2:] == ["IdleScreen", "WelcomeScreen"], seen
    rows = store.list_sessions()
    assert [r["status"] for r in rows] == ["abandoned"]
    assert rows[0]["answers"] == 1


async def test_a_stray_enter_gives_no_consent(tmp_path: Path, quick_script) -> None:
    """Enter pressed twice on the welcome screen must not answer "yes" for the participant:
    a choice is made with y/n, a number, or by moving to it."""
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter", "enter")  # begin, and once more by accident
        await pilot.pause(0.2)
        screen = app.screen
        assert screen.current.question.id == "consent"
        assert "This question needs an answer." in screen.chat.transcript()
        await pilot.press("down", "up", "down", "enter")  # moved to "No": that is a choice
        await pilot.pause(0.2)
    session_id = store.list_sessions()[0]["id"]
    answers = {a.key.question_id: a.value for a in store.load_answers(session_id)}
    assert answers == {"consent": False, "declined": None}  # the closing note, taken at once


@pytest.mark.parametrize(
    ("kiosk_id", "actor"), [("hall-2", "participant@hall-2"), ("", "participant@kiosk")]
)
async def test_kiosk_answers_are_audited_as_the_participant(
    tmp_path: Path, quick_script, kiosk_id: str, actor: str
) -> None:
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script, kiosk_id=kiosk_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await begin_with_consent(pilot)
    rows = store.conn.execute("SELECT actor FROM audit_log WHERE action = 'answer'").fetchall()
    assert rows and {r[0] for r in rows} == {actor}


async def test_a_double_click_on_the_welcome_screen_begins_one_interview(
    tmp_path: Path, quick_script
) -> None:
    async with on_the_welcome_screen(tmp_path, quick_script) as (store, app, pilot):
        # A touch screen's double tap, or a participant clicking again when nothing seems
        # to happen: each click began a session, and all but the last stayed in progress.
        # Posted to the app, as a terminal's clicks arrive: the app hands them on.
        welcome = app.screen
        for _ in range(3):
            app.post_message(events.Click(welcome, 40, 12, 0, 0, 1, False, False, False))
        await pilot.pause(0.5)
        assert type(app.screen).__name__ == "KioskInterviewScreen"
        (row,) = store.list_sessions()
        assert row["id"] == app.screen.session.id


async def test_input_that_arrives_as_the_kiosk_closes_is_dropped(
    tmp_path: Path, quick_script
) -> None:
    # A click still queued when the screens are gone (the kiosk closing, or restarting
    # after a crash) has nowhere to go: it must not raise on its way.
    app = kiosk(Store(tmp_path / "s.db"), quick_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        welcome = app.screen
    assert not app.screen_stack
    await app.on_event(events.Click(welcome, 40, 12, 0, 0, 1, False, False, False))
    await app.on_event(events.Key("x", "x"))
    await app.on_event(events.Paste("x"))


async def test_the_welcome_screen_begins_once_the_database_is_free(
    tmp_path: Path, quick_script
) -> None:
    async with on_the_welcome_screen(tmp_path, quick_script) as (_, app, pilot):
        other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program writes for a while
        await pilot.press("enter")
        await pilot.pause(1.0)
        assert type(app.screen).__name__ == "WelcomeScreen"
        other.execute("ROLLBACK")
        other.close()
        await pilot.pause(1.0)  # (keys typed within 1.5 s of the first Enter wait for a question)
        await pilot.press("enter")
        await pilot.pause(2.0)
        assert type(app.screen).__name__ == "KioskInterviewScreen"


async def test_help_says_an_optional_question_can_be_skipped_with_f3(
    tmp_path: Path, customer_script
) -> None:
    app = kiosk(Store(tmp_path / "s.db"), customer_script)
    async with app.run_test(size=(100, 32)) as pilot:
        await begin_with_consent(pilot)
        for _ in range(30):
            prompt = app.screen.current
            assert prompt is not None, "the script asks no optional question"
            if prompt.can_skip:
                break
            await answer(app, pilot, prompt, *keys_for(prompt, "Compared deals online"))
        await pilot.press("f1")
        await pilot.pause(0.1)
        said = app.screen.chat.transcript()
        assert "You can skip this question (F3)." in said
        assert "Keys:" in said


async def test_a_copy_of_the_file_alone_holds_each_participant_who_has_left(
    tmp_path: Path, quick_script
) -> None:
    """People copy a kiosk's database while the kiosk still runs, often without its -wal
    file: the answers of everyone who has left must be in the file itself."""
    import shutil

    path = tmp_path / "s.db"
    # Idle only once the second person walks away: a loaded machine can take a second
    # between the first person's keys.
    app = kiosk(Store(path), quick_script, reset_seconds=30, idle_seconds=60, countdown_seconds=0.5)

    def copied() -> dict[str, int]:
        copy = tmp_path / f"copy{len(list(tmp_path.glob('copy*')))}.db"
        shutil.copyfile(path, copy)  # the file alone: its -wal stays behind
        with contextlib.closing(sqlite3.connect(copy)) as conn:
            return dict(
                conn.execute(
                    "SELECT s.status, count(a.id) FROM sessions s "
                    "LEFT JOIN answers a ON a.session_id = s.id GROUP BY s.status"
                ).fetchall()
            )

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.2)
        await answer_all(app, pilot, "went to the counter")
        assert app.screen.finished  # the thank-you: this participant has finished
        finished = copied()
        assert finished.get("finished", 0) >= 5, finished
        await pilot.pause(0.6)  # the thank-you read
        await pilot.press("x")  # the next person begins, answers, walks away
        await pilot.pause(GRACE + 0.1)
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press("y", "enter")
        app.idle_seconds = 1
        for _ in range(60):  # idle: asked whether still there, then reset
            await asyncio.sleep(0.1)
            if type(app.screen).__name__ == "WelcomeScreen":
                break
        assert type(app.screen).__name__ == "WelcomeScreen"
        both = copied()
        assert both.get("finished") == finished["finished"] and both.get("abandoned", 0) >= 1


async def test_a_participant_sees_no_tagger_state_and_help_that_fits_a_choice(
    tmp_path: Path, quick_script
) -> None:
    """The status line said "tags: lexicon" to people who never see a tag, and F1 at a
    yes/no question said "Answer in your own words"."""
    from textual.widgets import Static

    app = kiosk(Store(tmp_path / "s.db"), quick_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.screen.current.question.id == "consent"
        assert str(app.screen.query_one("#tagger-status", Static).content) == ""
        await pilot.press("f1")
        await pilot.pause(0.1)
        said = app.screen.chat.transcript()
        assert "Pick the answer that fits you best" in said and "own words" not in said
