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
    StatusBar .left { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusBar .right { width: auto; height: 1; margin-left: 1; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._progress: Progress | None = None

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
        self._progress = progress
        self._show_progress()

    def _show_progress(self) -> None:
        # Under 60 columns the words "answered" and "left" would push the step off the line.
        compact = self.size.width < 60
        self.query_one("#progress", Static).update(progress_text(self._progress, compact))

    def on_resize(self) -> None:
        self._show_progress()

    def show_tagger(self, status: str) -> None:
        """Update the tagger's state ("tags: model loading…")."""
        self.query_one("#tagger-status", Static).update(Text(status, style="dim"))


def progress_text(progress: Progress | None, compact: bool = False) -> Text:
    """A bar and words: how much is done and about how long is left (in a narrow
    terminal, a shorter bar and fewer words)."""
    if progress is None:
        return Text("")
    width = BAR_WIDTH // 2 if compact else BAR_WIDTH
    filled = round(progress.fraction * width)
    bar = Text("█" * filled, style="bold") + Text("░" * (width - filled), style="dim")
    if progress.finished:
        return Text.assemble(bar, " done")
    minutes = max(1, round(progress.seconds_left / 60))
    if compact:
        return Text.assemble(bar, f" ~{minutes} min left")
    return Text.assemble(bar, f" {progress.answered} answered · ~{minutes} min left")
