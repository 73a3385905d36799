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
from cjm_interview.tui.typeahead import (
    ENTER_LEAVES_CLASS,
    hold_while_closing,
    keep_for_focus,
    let_go,
)
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
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="dialog-text")
            yield Static(Text("y / Enter: yes    n / Esc: no", style="dim"), classes="dialog-keys")

    def on_key(self, event: events.Key) -> None:
        # Answered as the key arrives, not on its way back up: the keys queued behind it
        # are then held for the screen under the dialog (they were lost with it).
        if keep_for_focus(self, event):
            return
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            event.stop()
            event.prevent_default()
            self.action_answer(binding.action == "answer(True)")
            return

    def action_answer(self, yes: bool) -> None:
        if not self._answered:
            self._answered = True
            hold_while_closing(self, yes)


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
            # Its Enter holds the keys after it until the PIN is checked ("1111" Enter "4321"
            # Enter at once checked "11114321").
            yield SafeInput(
                password=True, placeholder="PIN, then Enter", id="pin", classes=ENTER_LEAVES_CLASS
            )
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
            let_go(self)
            return
        if self.guard.check(pin):
            self.dismiss(True)
            return
        if not self._show_lock():
            self.query_one("#pin-message", Static).update(Text("Wrong PIN.", style="bold red"))
        let_go(self)  # the keys typed after the Enter: a next try

    def action_cancel(self) -> None:
        hold_while_closing(self, False)


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
            # The keys after the one that answered go on with the answer ("abc" kept "a").
            hold_while_closing(self, still_there)

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
        if not keep_for_focus(self, event):  # after the key that answered: for the question
            event.stop()
            self._close(True)

    def on_click(self) -> None:
        self._close(True)
