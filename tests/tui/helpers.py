"""Driving the app headlessly: answer whatever question is on screen."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from cjm_interview.domain import QuestionType as T
from cjm_interview.pin import PinGuard
from cjm_interview.store import Store
from cjm_interview.tui.app import CjmApp, make_app

KIOSK_PIN = "4821"


def kiosk(store: Store, script, tagger=None, kiosk_id: str = "k1", **kw) -> CjmApp:
    """A kiosk app as the CLI builds it, with the tests' PIN and steady cursors."""
    return make_app(
        store,
        script,
        "kiosk",
        tagger,
        pin_guard=PinGuard.from_pin(KIOSK_PIN),
        cursor_blink=False,
        kiosk_id=kiosk_id,
        **kw,
    )


def interviewer(store: Store, script, tagger=None, **kw) -> CjmApp:
    """An interviewer's app as the CLI builds it, with steady cursors."""
    return make_app(store, script, "interviewer", tagger, cursor_blink=False, **kw)


@contextlib.asynccontextmanager
async def on_the_first_screen(
    tmp_path: Path, script, make=interviewer, size: tuple[int, int] = (100, 32)
) -> AsyncIterator[tuple]:
    """An app (``make``: ``interviewer`` or ``kiosk``) on a database of its own, showing its
    first screen (the start screen, or the kiosk's welcome); yields store, app and pilot."""
    store = Store(tmp_path / "s.db")
    app = make(store, script)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        yield store, app, pilot


def on_the_start_screen(tmp_path: Path, script):
    """An interviewer's app at its start screen (``on_the_first_screen``)."""
    return on_the_first_screen(tmp_path, script)


def on_the_welcome_screen(tmp_path: Path, script):
    """A kiosk at its welcome screen, 80x24 (``on_the_first_screen``)."""
    return on_the_first_screen(tmp_path, script, kiosk, (80, 24))


async def begin_with_consent(pilot) -> None:
    """From the kiosk's welcome screen to its first question after consent."""
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause(0.2)
    await pilot.press("y", "enter")
    await pilot.pause(0.2)


async def press(pilot, *keys: str) -> None:
    """``pilot.press``, but each run of printable characters is sent in one go, as a
    quick typist's keys arrive, and waited on once: a key pressed alone waits for the
    app to go idle twice (about 40 ms), which made typing whole answers the slowest part
    of the suite. A character moves no focus, so the app takes the run as it would
    take it key by key; keys such as Enter are still pressed and waited on alone."""
    from textual import events
    from textual.keys import _character_to_key

    driver = pilot.app._driver
    run: list[str] = []

    async def flush() -> None:
        for character in run:
            name = character if character.isalnum() else _character_to_key(character)
            key = events.Key(name, character)
            key.set_sender(pilot.app)
            driver.send_message(key)
        run.clear()
        await pilot.pause()

    for key in keys:
        if len(key) == 1 and key.isprintable():
            run.append(key)
            continue
        if run:
            await flush()
        await pilot.press(key)
    if run:
        await flush()


async def answer(app, pilot, prompt, *keys: str, wait: float = 5.0) -> None:
    """Press ``keys`` to answer the prompt on screen, then wait until it is gone (the next
    question, or another screen) or asked again (the same prompt, every key handled for a
    tenth of a second: the caller answers again): as long as the app takes, instead of a
    fixed pause that a loaded machine might outrun."""
    await press(pilot, *keys)
    settled = 0
    for _ in range(int(wait / 0.02)):
        if getattr(app.screen, "current", None) is not prompt:
            return
        settled = settled + 1 if app.typeahead.idle else 0
        if settled >= 5:
            return
        await pilot.pause(0.02)
    raise AssertionError(f"still asking {prompt.question.id!r} {wait} s after {keys!r}")


async def to_first_action(app, pilot, text: str) -> None:
    """Interviewer mode: answer up to and including the first step's action (with `text`)."""
    for _ in range(40):
        prompt = app.screen.current
        assert prompt is not None
        question = prompt.question
        words = text if question.id == "action" else "fine"
        await answer(app, pilot, prompt, *keys_for(prompt, words))
        if question.id == "action":
            break
    await pilot.pause(0.3)  # the tags arrive


async def answer_until(app, pilot, stop, text: str = "some", yes: bool = True):
    """Interviewer mode: answer each prompt until ``stop(prompt)`` holds (that prompt is
    returned, unanswered) or the interview ends (None)."""
    for _ in range(60):
        prompt = app.screen.current
        if prompt is None or stop(prompt):
            return prompt
        await answer(app, pilot, prompt, *keys_for(prompt, text, yes=yes))
    raise AssertionError("the interview went on past 60 prompts")


def keys_for(prompt, text: str = "some", yes: bool = True, grade: str = "4") -> list[str]:
    """Keys a participant presses to answer the prompt on screen."""
    q = prompt.question
    if q.type is T.YES_NO:
        return ["y" if yes else "n", "enter"]
    if q.type is T.GRADE:
        return [*grade, "enter"]
    if q.type is T.SINGLE_CHOICE:
        return ["1", "enter"]
    if q.type in (T.MULTI_CHOICE, T.TOUCHPOINTS):
        return ["space", "enter"]
    if q.type in (T.JOURNEY_REVIEW, T.NOTE):
        return ["enter"]
    return [*text, "enter"]


# The quick script answered in one go (Enter after each), and what must be stored.
QUICK_TYPED = ("y", "went to the shop", "7", "n", "6", "more staff")
QUICK_STORED = [
    ("consent", "yes"),
    ("action", "went to the shop"),
    ("grade", "7"),
    ("more_steps", "no"),
    ("overall_grade", "6"),
    ("improvement", "more staff"),
    ("thanks", ""),  # the closing note, taken as soon as it is shown
]


def queue_keys(app, *keys: str) -> None:
    """Keys (named as ``pilot.press`` names them) queued at once, as a terminal delivers
    keys that arrive together: faster than any of them is handled."""
    from textual import events

    characters = {"enter": "\r", "space": " "}
    names = {"[": "left_square_bracket", "]": "right_square_bracket"}
    for key in keys:
        character = characters.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(names.get(key, key), character))


async def settle(app, pilot, seconds: float = 10.0) -> None:
    """Until every key sent is handed on (on a loaded machine that takes a while), then a
    moment for the last of them to take effect."""
    for _ in range(int(seconds / 0.05)):
        await pilot.pause(0.05)
        if app.typeahead.idle:
            break
    await pilot.pause(0.3)
