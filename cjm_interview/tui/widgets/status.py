"""Where the interview stands: section, journey step, progress, and the tagger's state."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from cjm_interview.engine import Progress
from cjm_interview.tui.safe import one_line

BAR_WIDTH = 16


class StatusBar(Vertical):
    """Two lines above the conversation."""

    DEFAULT_CSS = """
    StatusBar { height: 2; }
    StatusBar Horizontal { height: 1; }
    StatusBar .left { width: 1fr; height: 1; }
    StatusBar .right { width: auto; height: 1; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("", classes="left", id="section")
            yield Static("", classes="right", id="tagger-status")
        with Horizontal():
            yield Static("", classes="left", id="step")
            yield Static("", classes="right", id="progress")

    def show(self, section: str, step: str | None, progress: Progress | None) -> None:
        """Update for the current prompt."""
        self.query_one("#section", Static).update(Text(section, style="bold"))
        label = one_line(step, 60) if step else ""
        self.query_one("#step", Static).update(Text(label, style="bold $accent"))
        self.query_one("#progress", Static).update(progress_text(progress))

    def show_tagger(self, status: str) -> None:
        """Update the tagger's state ("tags: model loading…")."""
        self.query_one("#tagger-status", Static).update(Text(status, style="dim"))


def progress_text(progress: Progress | None) -> Text:
    """A bar and words: how much is done and about how long is left."""
    if progress is None:
        return Text("")
    filled = round(progress.fraction * BAR_WIDTH)
    bar = Text("█" * filled, style="bold") + Text("░" * (BAR_WIDTH - filled), style="dim")
    if progress.finished:
        return Text.assemble(bar, " done")
    minutes = max(1, round(progress.seconds_left / 60))
    return Text.assemble(bar, f" {progress.answered} answered · ~{minutes} min left")
