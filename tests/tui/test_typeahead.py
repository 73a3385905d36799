"""Typing ahead: keys pressed before the next question's input is on screen answer
that question, in order, and never the one before."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from cjm_interview.nlp.lexicon import LexiconTagger
from cjm_interview.store import Store

from .helpers import QUICK_STORED, QUICK_TYPED, kiosk, queue_keys


def _type(app, text: str) -> None:
    """Keys as a terminal delivers them, queued at once: faster than any input can be swapped."""
    queue_keys(app, *({"\n": "enter", " ": "space"}.get(char, char) for char in text))


async def _stored(pilot, store: Store, count: int) -> list[tuple[str, object]]:
    """The answers stored, once ``count`` of them are (or after ten seconds)."""
    answers: list = []
    for _ in range(100):
        await pilot.pause(0.1)
        sessions = store.list_sessions()
        answers = store.load_answers(sessions[0]["id"]) if sessions else []
        if len(answers) >= count:
            break
    return [(a.key.question_id, a.raw) for a in answers]


def _slow_first_action(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The first step's input appears ``seconds`` after the answered one is gone, as on a
    loaded machine."""
    from cjm_interview.tui.screens.interview import InterviewScreen

    mount = InterviewScreen._mount_input

    async def slow_mount(self, widget, hint=None) -> None:
        if widget is not None and widget.prompt.question.id == "action":
            await self.query_one("#answer-slot").remove_children()
            await asyncio.sleep(seconds)
        await mount(self, widget, hint)

    monkeypatch.setattr(InterviewScreen, "_mount_input", slow_mount)


async def _typed_in_one_go(store: Store, script, tagger=None) -> list[tuple[str, object]]:
    """Begin, then type every answer of the quick survey at once: what gets stored."""
    app = kiosk(store, script, tagger)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.2)
        for text in QUICK_TYPED:
            _type(app, text + "\n")
        return await _stored(pilot, store, len(QUICK_STORED))


@pytest.mark.parametrize("gap", [0.0, 0.02])
async def test_answers_typed_ahead_land_on_their_questions(
    tmp_path: Path, quick_script, gap: float
) -> None:
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press("y", "enter")
        await pilot.pause(0.2)
        for text in QUICK_TYPED[1:]:
            _type(app, text + "\n")
            await asyncio.sleep(gap)
        assert await _stored(pilot, store, len(QUICK_STORED)) == QUICK_STORED


async def test_keys_wait_for_an_answer_that_is_slow_to_send(
    tmp_path: Path, quick_script, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a loaded machine an Enter can take longer than any fixed wait to send its
    answer: keys typed after it must still wait, not land in the input answered."""
    from cjm_interview.tui.widgets.inputs import ChoiceAnswer

    chosen = ChoiceAnswer.on_choice_picker_chosen

    async def slow_chosen(self, event) -> None:
        await asyncio.sleep(0.6)  # longer than the old fixed hold after an Enter
        chosen(self, event)

    monkeypatch.setattr(ChoiceAnswer, "on_choice_picker_chosen", slow_chosen)
    assert await _typed_in_one_go(Store(tmp_path / "s.db"), quick_script) == QUICK_STORED


async def test_keys_wait_for_a_next_input_that_is_slow_to_come(
    tmp_path: Path, quick_script, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a loaded machine the next question's input can take longer than any fixed wait
    to appear once the one answered is gone: the keys typed meanwhile wait for it, not
    for a focus that is nowhere (the first letters of the first step were lost so)."""
    from cjm_interview.tui import typeahead

    _slow_first_action(monkeypatch, typeahead.LONGEST_HOLD + 0.5)
    assert await _typed_in_one_go(Store(tmp_path / "s.db"), quick_script) == QUICK_STORED


async def test_keys_typed_with_the_enter_that_begins_answer_the_first_question(
    tmp_path: Path, quick_script
) -> None:
    """Keys arriving with the welcome screen's Enter were queued to that screen behind it,
    before the Enter held the keys: the consent's "y" reached the welcome screen, which
    ignores letters, and was lost (a fast typist in a real terminal under load)."""
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        _type(app, "\n" + "".join(text + "\n" for text in QUICK_TYPED))
        assert await _stored(pilot, store, len(QUICK_STORED)) == QUICK_STORED


OTHER_SCRIPT = """\
id: other
version: "1"
title: Other
sections:
  - id: s
    title: S
    questions:
      - id: kind
        type: single_choice
        allow_other: true
        text: Which?
        choices:
          - {value: a, label: A}
          - {value: b, label: B}
      - id: why
        type: text
        text: Why?
"""


async def test_keys_after_an_enter_that_opens_the_other_box_go_into_it_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Enter that sends nothing lets the keys go straight away, not after a timeout."""
    from textual.widgets import Input

    from cjm_interview.script import parse_script
    from cjm_interview.tui import typeahead

    monkeypatch.setattr(typeahead, "LONGEST_HOLD", 60.0)  # only an explicit release helps
    store = Store(tmp_path / "s.db")
    app = kiosk(store, parse_script(OTHER_SCRIPT))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # begin
        await pilot.pause(0.2)
        await pilot.press("down", "down")  # the cursor onto "Other"
        _type(app, "\nmy own\n")
        assert await _stored(pilot, store, 1) == [("kind", "other: my own")]
        assert not app.query("#other") or app.query_one("#other", Input).value == ""


class SlowTagger(LexiconTagger):
    """Tags as a model still warming up might: a second per batch."""

    def tag_batch(self, texts, language=None):
        time.sleep(1.0)
        return super().tag_batch(texts, language)


async def test_keys_typed_while_the_next_question_waits_for_tags_answer_it(
    tmp_path: Path, quick_script
) -> None:
    """Whether the channel probe comes next depends on the step's tags: keys typed
    while they are computed belong to the question after, not the step just told."""
    stored = await _typed_in_one_go(Store(tmp_path / "s.db"), quick_script, SlowTagger())
    assert stored == QUICK_STORED


async def test_keys_held_when_the_kiosk_resets_are_dropped(
    tmp_path: Path, quick_script, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys a participant typed ahead belong to their interview: when the kiosk resets
    (idle, erasure) while they are held, they are forgotten, not handed to the welcome
    screen up to eight seconds later, where an Enter could begin an interview for nobody."""
    from cjm_interview.tui import typeahead
    from cjm_interview.tui.screens.welcome import WelcomeScreen

    monkeypatch.setattr(typeahead, "GIVE_UP", 3.0)  # as long as a hold can last, made short
    _slow_first_action(monkeypatch, 1.0)
    store = Store(tmp_path / "s.db")
    app = kiosk(store, quick_script)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.2)
        _type(app, "y\nfirst step\n")
        for _ in range(50):
            await pilot.pause(0.02)
            if app.typeahead.held_keys >= len("first step\n"):
                break
        assert app.typeahead.held_keys == len("first step\n")
        await app.reset()
        assert app.typeahead.held_keys == 0  # nothing of theirs is kept for the next person
        await pilot.pause(typeahead.GIVE_UP + 0.5)
        assert isinstance(app.screen, WelcomeScreen)
        assert len(store.list_sessions()) == 1
