"""The free-text answer box survives a render after it was removed (kiosk crash of record)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Region

from cjm_interview.tui.widgets.inputs import ChatTextArea


class _Box(App[None]):
    def compose(self) -> ComposeResult:
        yield ChatTextArea("went to the ticket office", compact=True)


async def test_a_removed_answer_box_renders_blank_instead_of_crashing() -> None:
    app = _Box()
    async with app.run_test() as pilot:
        box = app.query_one(ChatTextArea)
        await pilot.pause()
        assert "ticket office" in "".join(s.text for s in box.render_lines(Region(0, 0, 40, 1)))
        # A compositor refresh can still hold a box that was just removed (an answer
        # sent, the next question mounted); its styles are gone by then.
        await box.remove()
        strips = box.render_lines(Region(0, 0, 40, 3))
        assert len(strips) == 3 and all(not s.text.strip() for s in strips)
