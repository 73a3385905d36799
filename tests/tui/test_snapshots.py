"""SVG snapshots of the main screens (fake tagger, frozen clock, no cursor blink).

Update after an intended change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

from cjm_interview.pin import PinGuard
from cjm_interview.script import load_script
from cjm_interview.store import Store
from cjm_interview.tui.app import make_app

from ..conftest import PROMPTS, FakeTagger


def frozen() -> str:
    return "2026-01-01T09:00:00.000Z"


def interviewer(tmp_path: Path):
    store = Store(tmp_path / "s.db", clock=frozen)
    return make_app(
        store,
        load_script(PROMPTS / "customer.yaml"),
        "interviewer",
        FakeTagger(),
        interviewer="ana",
        cursor_blink=False,
    )


def kiosk(tmp_path: Path):
    store = Store(tmp_path / "s.db", clock=frozen)
    return make_app(
        store,
        load_script(PROMPTS / "quick.yaml"),
        "kiosk",
        None,
        pin_guard=PinGuard.from_pin("4821"),
        cursor_blink=False,
        kiosk_id="k1",
    )


def test_start_screen(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(interviewer(tmp_path), terminal_size=(100, 32))


def test_interview_with_tags(snap_compare, tmp_path: Path) -> None:
    async def run_before(pilot) -> None:
        await pilot.press(*"P07", "enter")
        await pilot.pause(0.2)
        for keys in (
            ["y", "enter"],
            [*"Opening a bank account at the branch", "enter"],
            [*"My partner and the bank adviser", "enter"],
        ):
            await pilot.press(*keys)
            await pilot.pause(0.2)

    assert snap_compare(interviewer(tmp_path), terminal_size=(100, 32), run_before=run_before)


def test_kiosk_welcome_80x24(snap_compare, tmp_path: Path) -> None:
    app = kiosk(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24))


def test_kiosk_grade_question_80x24(snap_compare, tmp_path: Path) -> None:
    app = kiosk(tmp_path)

    async def run_before(pilot) -> None:
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press("y", "enter")
        await pilot.pause(0.2)
        await pilot.press(*"Bought a ticket at the machine", "enter")
        await pilot.pause(0.2)
        await pilot.press("7")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
