"""Keys typed while one question's input gives way to the next.

Answering swaps the input under the participant's fingers: the old one is
removed, the next question's is mounted and focused. Keys pressed in between
would land in the removed input, or in whatever widget took the focus (the
interviewer's notes), and be lost, or worse, answer the wrong question. From
the Enter that may send an answer, typed keys are held instead, and given to
the next input once it has the focus, in the order they were typed.

An Enter that sends nothing (it opened the "other" box, say) lets the keys go
at once (``AnswerInput.keep_typing``); otherwise they wait up to
``LONGEST_HOLD`` for the answer to be sent.

Any key that moves the focus holds the keys after it the same way (``move_focus``, and
``hold`` with ``keep`` where the widget that took it still gets the keys queued behind it):
F7, F4, "o" for Other, "a" for a missed step, "c" to correct a tag, and Enter in a note or a
tag's correction. The focus moves only once the app has handed on every key it already had,
so keys arriving together with it went to the old place. Once it is sent, they wait for the
screen to take it (the next input has the focus) or refuse it, however long a
loaded machine needs (up to ``GIVE_UP``): let go early, they would land in the
input just answered, or, while the answered input is gone and the next one not
yet focused, nowhere.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from textual import events
from textual.app import App
from textual.timer import Timer
from textual.widget import Widget

LONGEST_HOLD = 1.5
"""Seconds after which held keys go to a focus that moved away from the answer."""

GIVE_UP = 8.0
"""Seconds after which held keys go to the focus even while the answer they follow
is still on its way: the keyboard never stays held."""

TYPED_KEYS = frozenset(
    {"enter", "backspace", "delete", "left", "right", "up", "down", "home", "end", "pageup",
     "pagedown", "ctrl+a", "ctrl+e", "ctrl+k", "ctrl+u", "ctrl+w", "ctrl+d", "ctrl+z",
     "ctrl+y", "ctrl+x", "ctrl+v", "ctrl+j", "shift+enter", "ctrl+left", "ctrl+right",
     "shift+left", "shift+right", "shift+home", "shift+end"}
)  # fmt: skip
"""Keys, besides printable ones, that belong to typing an answer (function keys do not):
held after an Enter with the rest, they edit the next answer, not the one just sent."""

INPUT_CLASS = "answer-input"
"""CSS class of the widget holding a question's input."""

HANDS_BACK_CLASS = "hands-back"
"""CSS class of a box whose Enter gives the focus back (a note, a tag's correction): the
keys after that Enter wait for it, as after an answer's."""


class Typeahead:
    """Holds typed keys between an answer's Enter and the next input's focus."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._held: list[events.Key] | None = None
        self._timer: Timer | None = None
        self._sent_from: Widget | None = None
        self._moving_from: Widget | None = None
        self._since = 0.0

    def hold(self, sent_from: Widget | None = None, moving_from: Widget | None = None) -> None:
        """Keep typed keys until ``release``, or ``LONGEST_HOLD`` at most.

        ``sent_from`` is the input that has just sent an answer: while the focus
        stays in it, or it is gone and no other input has the focus yet, the keys
        wait for the screen to show the next input or refuse the answer (up to
        ``GIVE_UP``). ``moving_from`` is a widget that has asked for the focus to move away
        from it: the keys already queued behind that key are held too (``keep``).
        """
        if moving_from is not None:
            self._moving_from = moving_from
        if self._held is None:
            self._held = []
            self._since = monotonic()
        if sent_from is not None:
            self._sent_from = sent_from
        self._arm()

    @property
    def holding(self) -> bool:
        """Whether typed keys are being kept."""
        return self._held is not None

    @property
    def sending(self) -> bool:
        """Whether the keys held follow an answer sent: they belong to the next question."""
        return self._held is not None and self._sent_from is not None

    @property
    def held_keys(self) -> int:
        """How many typed keys are being kept for the next input."""
        return len(self._held or ())

    def drop(self) -> None:
        """Forget the held keys: the interview they were typed for is over."""
        self._held = None
        self._sent_from = None
        self._moving_from = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

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
        focused = self._app.focused
        if event.key == "enter" and focused is not None and _hands_back(focused):
            self.hold()
        return False

    def keep(self, widget: Widget, event: events.Key) -> bool:
        """A typed key that reached ``widget`` after it asked for the focus to move away: held
        with the others, for the focus it moves to (whether it was)."""
        if self._held is None or widget is not self._moving_from:
            return False  # keys the hold lets go of reach their widget as typed
        if not (event.is_printable or event.key in TYPED_KEYS):
            return False
        self._held.append(event)
        event.stop()
        event.prevent_default()
        return True

    def release(self) -> None:
        """Give the held keys to the focused widget, as if typed now.

        Up to the first Enter that may send the next answer: the keys after it
        belong to the question after that, and stay held for it.
        """
        held, self._held = self._held, None
        self._sent_from = None
        self._moving_from = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not held:
            return
        # Kept by a widget (``keep``) after later ones were held by the app: typed order.
        held.sort(key=lambda key: key.time)
        focused = self._app.focused
        target = focused or self._app.screen
        answering = focused is not None and _hands_back(focused)
        for index, key in enumerate(held):
            # Forwarded, as the app does with a fresh key: bindings on the way up
            # still apply, and the app does not take it for new input again.
            target._forward_event(events.Key(key.key, key.character))
            if key.key == "enter" and answering:
                self.hold()
                assert self._held is not None
                self._held.extend(held[index + 1 :])
                return

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._app.set_timer(LONGEST_HOLD, self._expire)

    def _expire(self) -> None:
        self._timer = None
        if self._waiting() and monotonic() - self._since < GIVE_UP:
            self._arm()
        else:
            self.release()

    def _waiting(self) -> bool:
        """Whether what the keys follow is still on its way to the next input."""
        sent_from = self._sent_from
        if sent_from is None:
            return False
        focused = _answer_input(self._app.focused)
        if not sent_from.is_attached:
            # The input answered is gone and the next one has not the focus yet: the
            # screen is swapping them, which a loaded machine can make slow.
            return focused is None
        return focused is sent_from  # the answer is still on its way to the screen


def move_focus(widget: Widget) -> None:
    """Focus ``widget`` with the typed keys that arrive before it has the focus.

    Textual moves the focus after the keys the app already had: "F7 x" arriving together
    typed "x" into the answer instead of removing a tag. Keys held already (for the next
    question) stay held for it; keys held for this move (``keep``) are let go once it is made.
    """
    typeahead = getattr(widget.app, "typeahead", None)
    if not isinstance(typeahead, Typeahead) or typeahead.sending:
        widget.focus()
        return
    typeahead.hold(moving_from=widget.app.focused)
    widget.focus()
    widget.app.call_later(typeahead.release)  # after the focus, which the app also sets later


def keep_for_focus(widget: Widget, event: events.Key) -> bool:
    """Whether ``event``, queued to ``widget`` behind a key of its that moves the focus away,
    was held for the new focus (``Typeahead.keep``)."""
    typeahead = getattr(widget.app, "typeahead", None)
    return isinstance(typeahead, Typeahead) and typeahead.keep(widget, event)


def hold_for_focus(widget: Widget) -> None:
    """``widget`` has taken a key that will move the focus away from it (its handler focuses
    the next place and lets the keys go, ``AnswerInput.keep_typing``): hold the keys after."""
    typeahead = getattr(widget.app, "typeahead", None)
    if isinstance(typeahead, Typeahead) and not typeahead.sending:
        typeahead.hold(moving_from=widget)


def let_go(widget: Widget) -> None:
    """The focus stays where it is after a key that may have held the keys after it: let
    them go there, unless they belong to the next question."""
    typeahead = getattr(widget.app, "typeahead", None)
    if isinstance(typeahead, Typeahead) and typeahead.holding and not typeahead.sending:
        widget.app.call_later(typeahead.release)


def _hands_back(widget: Widget) -> bool:
    """Whether an Enter in ``widget`` may move the focus: an answer's, a note's."""
    return _answer_input(widget) is not None or widget.has_class(HANDS_BACK_CLASS)


def _answer_input(widget: Widget | None) -> Widget | None:
    """The question's input that ``widget`` belongs to, if any."""
    if widget is None:
        return None
    for node in widget.ancestors_with_self:
        if isinstance(node, Widget) and node.has_class(INPUT_CLASS):
            return node
    return None
