"""Typing ahead: keys pressed before the next question's input is on screen answer
that question, in order, and never the one before."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual import events

from cjm_interview.store import Store

from .helpers import QUICK_STORED, QUICK_TYPED, kiosk


def _type(app, text: str) -> None:
    """Keys as a terminal delivers them, queued at once: faster than any input can be swapped."""
    for char in text:
        key = {"\n": "enter", " ": "space"}.get(char, char)
        app.post_message(events.Key(key, "\r" if char == "\n" else char))


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
        session_id = store.list_sessions()[0]["id"]
        for _ in range(40):
            await pilot.pause(0.1)
            if len(store.load_answers(session_id)) >= len(QUICK_STORED):
                break
    stored = [(a.key.question_id, a.raw) for a in store.load_answers(session_id)]
    assert stored == QUICK_STORED
