"""Small dialogs: a confirmation, the operator's PIN, and "are you still there?"."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from cjm_interview.pin import PinGuard
from cjm_interview.tui.widgets.inputs import SafeInput


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no to one question; y / Enter confirm, n / Escape cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        """What is asked."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="dialog-text")
            yield Static(Text("y / Enter: yes    n / Esc: no", style="dim"), classes="dialog-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PinScreen(ModalScreen[bool]):
    """The operator types the PIN to leave the kiosk; Escape goes back to the participant."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Back")]

    def __init__(self, guard: PinGuard) -> None:
        super().__init__(classes="dialog-screen")
        self.guard = guard
        """Checks the PIN and counts failures."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Operator PIN", style="bold"), classes="dialog-text")
            # A text box whose editing keys keep their order ("4822", Backspace, "1" at once).
            yield SafeInput(password=True, placeholder="PIN, then Enter", id="pin")
            yield Static("", id="pin-message", classes="dialog-keys")

    def on_mount(self) -> None:
        box = self.query_one("#pin", Input)
        box.cursor_blink = getattr(self.app, "cursor_blink", True)
        box.focus()
        self._show_lock()

    def _show_lock(self) -> bool:
        wait = self.guard.locked_for()
        if wait > 0:
            self.query_one("#pin-message", Static).update(
                Text(f"Too many wrong tries: locked for {int(wait) + 1} s.", style="bold red")
            )
            return True
        return False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        pin = event.value
        event.input.value = ""
        if self._show_lock():
            return
        if self.guard.check(pin):
            self.dismiss(True)
            return
        if not self._show_lock():
            self.query_one("#pin-message", Static).update(Text("Wrong PIN.", style="bold red"))

    def action_cancel(self) -> None:
        self.dismiss(False)


class IdleScreen(ModalScreen[bool]):
    """ "Are you still there?" with a countdown; any key or click means yes."""

    def __init__(self, seconds: float) -> None:
        super().__init__(classes="dialog-screen")
        self.seconds = seconds
        """How long the participant has to answer before the screen resets."""
        self.deadline = 0.0
        """Monotonic time at which the session is given up."""
        self._answered = False

    def _close(self, still_there: bool) -> None:
        if not self._answered:
            self._answered = True
            self.dismiss(still_there)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog idle"):
            yield Static(Text("Are you still there?", style="bold"), classes="dialog-text")
            yield Static("", id="countdown", classes="dialog-text")
            yield Static(Text("Press any key to carry on.", style="dim"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.deadline = time.monotonic() + self.seconds
        self._tick()
        self.set_interval(0.25, self._tick)

    def remaining(self) -> int:
        """Whole seconds left before the reset."""
        return max(0, int(self.deadline - time.monotonic() + 0.999))

    def _tick(self) -> None:
        left = self.remaining()
        self.query_one("#countdown", Static).update(
            Text(f"The screen resets for the next person in {left} s.")
        )
        if time.monotonic() >= self.deadline:
            self._close(False)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self._close(True)

    def on_click(self) -> None:
        self._close(True)
