"""Keys typed while one question's input gives way to the next.

Answering swaps the input under the participant's fingers: the old one is
removed, the next question's is mounted and focused. Keys pressed in between
would land in the removed input, or in whatever widget took the focus (the
interviewer's notes), and be lost, or worse, answer the wrong question. From
the Enter that may send an answer, typed keys are held instead, and given to
the next input once it has the focus, in the order they were typed.
"""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.timer import Timer
from textual.widget import Widget

UNANSWERED_HOLD = 0.3
"""Seconds keys stay held after an Enter that sent no answer (an empty "other" box)."""

LONGEST_HOLD = 1.5
"""Seconds after which held keys go wherever the focus is: the keyboard never stays held."""

TYPED_KEYS = frozenset({"enter", "backspace", "delete", "left", "right", "home", "end"})
"""Keys, besides printable ones, that belong to typing an answer (function keys do not)."""

INPUT_CLASS = "answer-input"
"""CSS class of the widget holding a question's input."""


class Typeahead:
    """Holds typed keys between an answer's Enter and the next input's focus."""

    def __init__(self, app: App[object]) -> None:
        self._app = app
        self._held: list[events.Key] | None = None
        self._timer: Timer | None = None

    def hold(self, seconds: float = LONGEST_HOLD) -> None:
        """Keep typed keys until ``release``, or for ``seconds`` at most."""
        if self._held is None:
            self._held = []
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._app.set_timer(seconds, self.release)

    def take(self, event: events.Event) -> bool:
        """Called with each event the app gets: whether it was held.

        An Enter typed into a question's input starts holding: whatever the
        participant types next belongs to the next question.
        """
        if not isinstance(event, events.Key) or event.is_forwarded:
            return False
        typed = event.is_printable or event.key in TYPED_KEYS
        if self._held is not None and typed:
            self._held.append(event)
            return True
        if event.key == "enter" and _in_answer_input(self._app.focused):
            self.hold(UNANSWERED_HOLD)  # the input's send() holds for longer
        return False

    def release(self) -> None:
        """Give the held keys to the focused widget, as if typed now.

        Up to the first Enter that may send the next answer: the keys after it
        belong to the question after that, and stay held for it.
        """
        held, self._held = self._held, None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not held:
            return
        target = self._app.focused or self._app.screen
        answering = _in_answer_input(self._app.focused)
        for index, key in enumerate(held):
            # Forwarded, as the app does with a fresh key: bindings on the way up
            # still apply, and the app does not take it for new input again.
            target._forward_event(events.Key(key.key, key.character))
            if key.key == "enter" and answering:
                self.hold(UNANSWERED_HOLD)
                assert self._held is not None
                self._held.extend(held[index + 1 :])
                return


def _in_answer_input(widget: Widget | None) -> bool:
    return widget is not None and any(
        node.has_class(INPUT_CLASS) for node in widget.ancestors_with_self
    )
