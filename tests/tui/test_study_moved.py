"""The study file replaced by another while the kiosk is on a question: the participant is
told once, in plain words, and the answer stays in the box; nothing goes into the other study."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cjm_interview.store import Store
from cjm_interview.tui.widgets.inputs import ChatTextArea

from ..core.test_study_moved import begin, rows
from .helpers import begin_with_consent, kiosk


async def test_the_answer_stays_in_the_box_with_one_message(tmp_path: Path, quick_script) -> None:
    other = tmp_path / "other.db"
    begin(other, quick_script, "Olga").store.close()
    theirs = rows(other)
    path = tmp_path / "study.db"
    app = kiosk(Store(path), quick_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await begin_with_consent(pilot)
        shutil.copyfile(other, tmp_path / "copy.db")
        os.replace(tmp_path / "copy.db", path)
        await pilot.press(*"I took the bus", "enter")
        await pilot.pause(0.3)
        shown = app.screen.chat.transcript()
        assert shown.count("was moved, deleted or replaced") == 1, shown
        # Said once, not "could not be saved: ... was not saved".
        assert shown.count("saved") == 1, shown
        assert "Your answer is still in the box" in shown, shown
        assert app.screen.current.question.id == "action"
        assert app.screen.query_one(ChatTextArea).text == "I took the bus"
        assert app.return_code is None
    assert rows(path) == theirs


async def test_a_path_holding_escapes_and_markup_is_shown_as_written(
    tmp_path: Path, quick_script
) -> None:
    # The refused answer's message names the study; a folder named with an escape
    # sequence must not reach the terminal, nor markup be read in a notification.
    folder = tmp_path / "[bold]x \x1b[31mred"
    folder.mkdir()
    path = folder / "study.db"
    app = kiosk(Store(path), quick_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await begin_with_consent(pilot)
        os.replace(path, tmp_path / "aside.db")
        await pilot.press(*"I took the bus", "enter")
        await pilot.pause(0.3)
        shown = app.screen.chat.transcript()
        assert "[bold]x [31mred/study.db was moved" in shown, shown
        assert "\x1b" not in shown
        app.notify("Not saved: [/x] \x1b[31mred")
        await pilot.pause(0.3)
        notes = [n for n in app._notifications if "Not saved" in n.message]
        assert notes and notes[0].message == "Not saved: [/x] [31mred"
        assert not notes[0].markup
        assert app.return_code is None
