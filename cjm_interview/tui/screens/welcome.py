"""Kiosk mode's welcome screen: what this is, and Enter to begin."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual._time import get_time
from textual.app import ComposeResult
from textual.containers import Center, Middle, Vertical
from textual.screen import Screen
from textual.widgets import Static

from cjm_interview.tui.typeahead import keep_for_focus

if TYPE_CHECKING:
    from cjm_interview.tui.app import CjmApp

GRACE = 0.8
"""Seconds after the welcome screen returns during which a key or click begins nothing: a
double tap that closes the thank-you, or the Enter that closed it held down until it
repeats (after about 0.5 s), would otherwise begin a session for no one."""

QUIET = 0.3
"""Seconds without a key before an Enter that begins: a key held down repeats every few
hundredths of a second, for as long as it is held."""


class WelcomeScreen(Screen[None]):
    """Shown between participants; nothing of the previous one is reachable from here."""

    def __init__(self, returned: bool = False) -> None:
        super().__init__(classes="welcome")
        self.begun = False
        """True once Enter or a click began the interview: a second one begins no other."""
        self._wait_until = get_time() + GRACE if returned else 0.0
        """Textual's event time before which a key or click is the last participant's."""

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

    def on_mount(self) -> None:
        if self._wait_until:
            self._wait_until = get_time() + GRACE  # from when it is there to be seen

    async def action_begin(self) -> None:
        # A double tap sends its clicks before the interview replaces this screen:
        # each would begin a session, and all but the last would stay in progress.
        if self.begun:
            return
        self.begun = True
        # Keys typed from now on answer the first question, those already queued to this
        # screen behind the Enter too (``keep_for_focus`` below).
        self.cjm.typeahead.hold(moving_from=self)
        self.app.call_later(self._begin)

    async def _begin(self) -> None:
        await self.cjm.start_interview(None)
        self.begun = False  # still here: it could not begin (a locked database), try again

    def _too_soon(self, given: float) -> bool:
        """Whether a key or click given at ``given`` (its own time, not the time it is
        handled) came before the grace after this screen returned was over."""
        return given < self._wait_until

    async def on_key(self, event: events.Key) -> None:
        if self.begun and keep_for_focus(self, event):
            return  # typed with the Enter that began: the first question's
        # Here rather than a binding, which would not tell when the key was typed.
        if event.key in ("enter", "space"):
            event.stop()
            repeated = self._wait_until and getattr(self.cjm, "key_gap", math.inf) < QUIET
            if not (self._too_soon(event.time) or repeated):
                await self.action_begin()

    async def on_click(self, event: events.Click) -> None:
        # A click is made when its button comes up: it counts from its press.
        pressed: float | None = getattr(self.cjm, "pressed_at", None)
        if not self._too_soon(event.time if pressed is None else pressed):
            await self.action_begin()
