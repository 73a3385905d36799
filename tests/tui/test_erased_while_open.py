"""A session erased (``sessions delete``) while a screen still has it open: the screen says
so in plain words and takes no more answers; nothing of it is written back."""

from __future__ import annotations

from pathlib import Path

from cjm_interview.store import Store
from cjm_interview.tui.screens.welcome import GRACE

from .helpers import begin_with_consent, interviewer, keys_for, kiosk, press


def erase_from_elsewhere(path: Path, session_id: str) -> None:
    """What `cjm sessions delete` does, through a connection of its own."""
    with Store(path) as other:
        other.delete_session(session_id)


def nothing_left_of(store: Store, session_id: str) -> None:
    conn = store.conn
    assert session_id in store.erased_sessions()
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 0
    left = conn.execute("SELECT count(*) FROM audit_log WHERE session_id IS NOT NULL").fetchone()[0]
    assert left == 0


async def test_the_interviewer_is_told_and_taken_back_to_the_start(
    tmp_path: Path, customer_script
) -> None:
    path = tmp_path / "s.db"
    store = Store(path)
    app = interviewer(store, customer_script)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await press(pilot, *"P1", "enter")
        await pilot.pause(0.2)
        await press(pilot, *keys_for(app.screen.current))
        await pilot.pause(0.1)
        session_id = app.screen.session.id
        erase_from_elsewhere(path, session_id)
        await press(pilot, *keys_for(app.screen.current, "words after the erasure"))
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "StartScreen"
        said = " ".join(str(n.message) for n in app._notifications)
        assert "erased" in said and "no more answers" in said, said
        assert "FOREIGN KEY" not in said
        assert app.return_code is None  # still running: no traceback
    nothing_left_of(store, session_id)


async def test_the_kiosk_tells_the_participant_and_welcomes_the_next(
    tmp_path: Path, quick_script
) -> None:
    path = tmp_path / "s.db"
    store = Store(path)
    app = kiosk(store, quick_script)
    async with app.run_test(size=(80, 24)) as pilot:
        await begin_with_consent(pilot)
        session_id = app.screen.session.id
        erase_from_elsewhere(path, session_id)
        await press(pilot, *"words after the erasure", "enter")
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "WelcomeScreen"
        assert [type(s).__name__ for s in app.screen_stack][1:] == ["WelcomeScreen"]
        said = " ".join(str(n.message) for n in app._notifications)
        assert "erased" in said and "no more answers" in said, said
        assert app.session is None
        # The next person (not a tap of this one's: past the welcome's grace) begins a new
        # interview of their own.
        await pilot.pause(GRACE)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.session is not None and app.session.id != session_id
    nothing_left = store.conn.execute(
        "SELECT count(*) FROM sessions WHERE id = ?", (session_id,)
    ).fetchone()[0]
    assert nothing_left == 0
