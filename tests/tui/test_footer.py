"""The keys bar: always the screen's keys as they stand, rebuilt only when they change."""

from __future__ import annotations

from pathlib import Path

import pytest

from cjm_interview.store import Store
from cjm_interview.tui.widgets.footer import KeysFooter

from .helpers import answer, interviewer, keys_for, press


def _on_screen(app) -> list[tuple[str, bool]]:
    from textual.widgets._footer import FooterKey

    return [(k.key, k.has_class("-disabled")) for k in app.screen.query(FooterKey)]


def _bindings(app) -> list[tuple[str, bool]]:
    """The first shown key of each action (the bar shows one key an action)."""
    first: dict[str, tuple[str, bool]] = {}
    for _node, binding, enabled, _tip in app.screen.active_bindings.values():
        if binding.show:
            first.setdefault(binding.action, (binding.key, not enabled))
    return list(first.values())


async def test_the_bar_follows_the_keys_and_is_rebuilt_only_when_they_change(
    tmp_path: Path, customer_script, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilds: list[str] = []
    recompose = KeysFooter.recompose

    async def counted(self: KeysFooter) -> None:
        rebuilds.append(type(self.screen).__name__)
        await recompose(self)

    monkeypatch.setattr(KeysFooter, "recompose", counted)
    app = interviewer(Store(tmp_path / "s.db"), customer_script)
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.pause()
        await press(pilot, *"P1", "enter")
        await pilot.pause(0.2)
        states: set[tuple[tuple[str, bool], ...]] = set()
        prompts = 0
        while prompts < 20 and (prompt := app.screen.current) is not None:
            await pilot.pause()
            assert _on_screen(app) == _bindings(app), prompt.question.id
            states.add(tuple(_on_screen(app)))
            await answer(app, pilot, prompt, *keys_for(prompt, "Compared deals"))
            prompts += 1
    # Some questions may be skipped and some not (F3 greyed or not), and each kind of
    # answer box brings its own keys first, so the bar changed...
    assert len(states) >= 2
    # ...but it was rebuilt for those changes, not at every focus move (several an answer).
    assert prompts == 20 and rebuilds.count("InterviewScreen") < prompts


async def test_f9_is_offered_only_with_an_interview_to_resume(
    tmp_path: Path, customer_script
) -> None:
    store = Store(tmp_path / "s.db")
    for participant in ("", "P1"):
        if participant:  # one interview paused: there is something to resume
            app = interviewer(store, customer_script)
            async with app.run_test(size=(120, 32)) as pilot:
                await pilot.pause()
                await press(pilot, *participant, "enter")
                await pilot.pause(0.2)
                await pilot.press("f5")
                await pilot.pause(0.3)
        app = interviewer(store, customer_script)
        async with app.run_test(size=(120, 32)) as pilot:
            await pilot.pause(0.2)
            offered = [key for key, _greyed in _on_screen(app)]
            assert ("f9" in offered) is bool(participant), offered


@pytest.mark.parametrize("width", [40, 60, 80, 120])
async def test_every_key_fits_in_the_bar(tmp_path: Path, customer_script, width: int) -> None:
    from textual.widgets._footer import FooterKey

    app = interviewer(Store(tmp_path / "s.db"), customer_script)
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        await press(pilot, *"P1", "enter")
        await pilot.pause(0.2)
        prompt = app.screen.current
        await answer(app, pilot, prompt, *keys_for(prompt, "Compared deals"))
        await pilot.press("f2")  # revising an answer: "f8 Keep" joins the bar, nine keys
        await pilot.pause(0.3)
        footer = app.screen.query_one(KeysFooter)
        keys = list(app.screen.query(FooterKey))
        assert "f8" in [key.key for key in keys]
        shown = [key for key in keys if key.display]
        assert all(key.region.right <= width for key in shown), [
            (key.key, key.region.right) for key in shown
        ]
        # Help, pause and end are always there; at 80 columns and more, every key is.
        assert {"f1", "f5", "f10"} <= {key.key for key in shown}
        assert (len(shown) == len(keys)) is (width >= 80)
        # The spaces around each key are dropped only when the keys need the room.
        assert footer.compact is (width < 120)
        # F1 names the keys left out of the bar.
        await pilot.press("f1")
        await pilot.pause(0.2)
        said = app.screen.chat.transcript()
        for key in keys:
            if not key.display:
                assert f"{key.key_display} {key.description}" in said.split("keys bar")[-1]
        assert ("left out of the keys bar" in said) is (width < 80)
        await pilot.resize_terminal(120, 24)
        await pilot.pause(0.2)
        assert not footer.compact and all(key.display for key in app.screen.query(FooterKey))
