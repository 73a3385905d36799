"""Driving the app headlessly: answer whatever question is on screen."""

from __future__ import annotations

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


async def begin_with_consent(pilot) -> None:
    """From the kiosk's welcome screen to its first question after consent."""
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause(0.2)
    await pilot.press("y", "enter")
    await pilot.pause(0.2)


async def to_first_action(app, pilot, text: str) -> None:
    """Interviewer mode: answer up to and including the first step's action (with `text`)."""
    for _ in range(40):
        prompt = app.screen.current
        assert prompt is not None
        question = prompt.question
        await pilot.press(*keys_for(prompt, text if question.id == "action" else "fine"))
        await pilot.pause(0.1)
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
        await pilot.press(*keys_for(prompt, text, yes=yes))
        await pilot.pause(0.1)
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
