"""Kiosk mode's welcome screen: what this is, and Enter to begin."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle, Vertical
from textual.screen import Screen
from textual.widgets import Static

if TYPE_CHECKING:
    from cjm_interview.tui.app import CjmApp


class WelcomeScreen(Screen[None]):
    """Shown between participants; nothing of the previous one is reachable from here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "begin", "Begin", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__(classes="welcome")
        self.begun = False
        """True once Enter or a click began the interview: a second one begins no other."""

    @property
    def cjm(self) -> CjmApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        script = self.cjm.script
        language = script.languages[0]
        with Middle(), Center(), Vertical(id="welcome-box"):
            yield Static(Text(script.title.get(language), style="bold"), id="welcome-title")
            if script.description is not None:
                yield Static(Text(script.description.get(language)), id="welcome-about")
            yield Static(
                Text(
                    "Your answers are saved without your name. You will be asked "
                    "whether you agree to take part before anything else.",
                ),
                id="welcome-privacy",
            )
            yield Static(Text("Press Enter to begin", style="bold reverse"), id="welcome-begin")
            notice = getattr(self.cjm, "notice", "")
            if notice:
                yield Static(Text(notice, style="italic"), id="welcome-notice")

    async def action_begin(self) -> None:
        # A double tap sends its clicks before the interview replaces this screen:
        # each would begin a session, and all but the last would stay in progress.
        if self.begun:
            return
        self.begun = True
        self.cjm.typeahead.hold()  # keys typed from now on answer the first question
        self.app.call_later(self._begin)

    async def _begin(self) -> None:
        await self.cjm.start_interview(None)
        self.begun = False  # still here: it could not begin (a locked database), try again

    async def on_click(self) -> None:
        await self.action_begin()
