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
