"""Keys typed while what a key asked for is on its way: they wait, then go on in order.

Answering swaps the input under the participant's fingers: the old one is
removed, the next question's is mounted and focused. Keys pressed in between
would land in the removed input, or in whatever widget took the focus (the
interviewer's notes), and be lost, or worse, answer the wrong question. From
the Enter that may send an answer, keys are held instead, and given to the
next input once it has the focus, in the order they were typed.

An Enter that sends nothing (it opened the "other" box, say) lets the keys go
at once (``AnswerInput.keep_typing``); otherwise they wait up to
``LONGEST_HOLD`` for the answer to be sent. Once it is sent, they wait for the
screen to take it (the next input has the focus) or refuse it, however long a
loaded machine needs (up to ``GIVE_UP``): let go early, they would land in the
input just answered, or, while the answered input is gone and the next one not
yet focused, nowhere.

Every key whose effect comes later holds the keys after it the same way. Textual moves the
focus only once the app has handed on the keys it already had, and a screen redraws a list
only once it has handled the message a key sent: keys arriving together (a fast typist, a
paste, a slow link, a busy machine) went to the old place or acted on the old list. So F7,
F4, F9, F2, F3, "o" for Other, "a" or "e" for a step, "c" or "+" for a tag, a journey edit, a
tag decision, a dialog's answer and Enter in a note, a tag's correction, the PIN box or a
start field hold the keys after them (``move_focus``, ``hold_after``, ``hold_while_closing``,
and ``keep`` for the keys already queued behind such a key in its widget); F5, an interview
ended early or finished hold them for the start screen (``hold_for_screen``). While keys are
held, every key and paste waits, ctrl+q too (an answer sent just before it is stored first).
Held keys are given back one at a time through the app, as if typed then: a function key
runs at its turn, and a key that holds again stops the rest until its own effect is there.
Keys typed meanwhile come after them.
"""

from __future__ import annotations

from inspect import isawaitable
from time import monotonic
from typing import Any

from textual import events
from textual.app import App
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widget import Widget

LONGEST_HOLD = 1.5
"""Seconds after which held keys go to a focus that moved away from the answer."""

GIVE_UP = 8.0
"""Seconds after which held keys go to the focus even while the answer they follow
is still on its way: the keyboard never stays held."""

INPUT_CLASS = "answer-input"
"""CSS class of the widget holding a question's input."""

ENTER_LEAVES_CLASS = "enter-leaves"
"""CSS class of a box whose Enter takes the focus elsewhere (a note, a tag's correction, the
start screen's fields): the keys after that Enter wait for it, as after an answer's."""


class Typeahead:
    """Holds keys while what a key asked for is on its way, then gives them back in order."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._holding = False
        self._keys: list[events.Key | events.Paste] = []  # held, to give back in typed order
        self._kept = 0  # of them, those kept by a widget (``keep``): they come first
        self._giving: events.Key | events.Paste | None = None  # given back, not yet taken
        self._timer: Timer | None = None
        self._sent_from: Widget | None = None
        self._moving_from: Widget | None = None
        self._moves = 0  # focus moves asked for (``move_focus``) and not yet made
        self._since = 0.0

    def hold(self, sent_from: Widget | None = None, moving_from: Widget | None = None) -> None:
        """Keep keys until ``release``, or ``LONGEST_HOLD`` at most.

        ``sent_from`` is the input that has just sent an answer: while the focus
        stays in it, or it is gone and no other input has the focus yet, the keys
        wait for the screen to show the next input or refuse the answer (up to
        ``GIVE_UP``). ``moving_from`` is a widget whose own key's effect is still to come:
        the keys already queued behind that key in it are held too (``keep``).
        """
        if moving_from is not None:
            self._moving_from = moving_from
        if not self._holding:
            self._holding = True
            self._since = monotonic()
        if sent_from is not None:
            self._sent_from = sent_from
        self._arm()

    @property
    def holding(self) -> bool:
        """Whether keys are being kept."""
        return self._holding

    @property
    def sending(self) -> bool:
        """Whether the keys held follow an answer sent: they belong to the next question."""
        return self._holding and self._sent_from is not None

    @property
    def idle(self) -> bool:
        """Whether no key is held or on its way back."""
        return not (self._holding or self._keys or self._giving)

    @property
    def held_keys(self) -> int:
        """How many keys are being kept for what comes next."""
        return len(self._keys)

    def drop(self) -> None:
        """Forget the held keys: the interview they were typed for is over."""
        self._keys = []
        self._giving = None
        self._end_hold()

    def take(self, event: events.Event) -> bool:
        """Called with each event the app gets: whether it was held.

        An Enter typed into a question's input starts holding: whatever the
        participant types next belongs to the next question.
        """
        # Pastes too: one pasted after an Enter belongs to the next answer, as typed keys do.
        if not isinstance(event, events.Key | events.Paste) or event.is_forwarded:
            return False
        if event is self._giving:
            # A key given back: handled now as if typed now; the next one after it (and
            # after any hold it starts).
            self._giving = None
            self._app.call_later(self._give_next)
        elif self._holding or self._keys or self._giving:
            # After those still held or to be given back; quitting too, so that an answer
            # sent just before it is stored first.
            self._keys.append(event)
            return True
        focused = self._app.focused
        enter = isinstance(event, events.Key) and event.key == "enter"
        if enter and focused is not None and _enter_leaves(focused):
            self.hold()
        return False

    def moving(self) -> None:
        """A focus move is asked for: the keys wait for it (and for any other asked for)."""
        self._moves += 1

    def moved(self) -> None:
        """A focus move asked for is made: let the keys go once none is left to make."""
        self._moves = max(0, self._moves - 1)
        if not self._moves and not self.sending:
            self.release()

    def keep(self, widget: Widget, event: events.Key) -> bool:
        """A key that reached ``widget`` after a key of its whose effect is still to come:
        held for after that effect (whether it was). It was typed before any key the app
        has held since, so it comes before them."""
        if not self._holding or widget is not self._moving_from:
            return False  # keys the hold lets go of reach their widget as typed
        self._keys.insert(self._kept, _again(event))
        self._kept += 1
        event.stop()
        event.prevent_default()
        return True

    def release(self) -> None:
        """Give the held keys back, one at a time, as if typed now."""
        self._end_hold()
        self._give_next()

    def _end_hold(self) -> None:
        self._holding = False
        self._kept = 0
        self._sent_from = None
        self._moving_from = None
        self._moves = 0
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _give_next(self) -> None:
        if self._holding or self._giving is not None or not self._keys:
            return  # held again by one given back, or nothing left
        giving = self._giving = _again(self._keys.pop(0))
        if not self._app.post_message(giving):
            self._giving = None  # the app is closing
            return
        # Long, as a loaded machine can take a while: a key taken after it would come late.
        self._app.set_timer(GIVE_UP, lambda: self._not_taken(giving))

    def _not_taken(self, giving: events.Key | events.Paste) -> None:
        # A key given back that never reached ``take`` (the app had no screen for it): the
        # keys after it go on all the same; the keyboard never stays held.
        if self._giving is giving:
            self._giving = None
            self._give_next()

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


def move_focus(widget: Widget, moving_from: Widget | None = None) -> None:
    """Focus ``widget`` with the typed keys that arrive before it has the focus.

    Textual moves the focus after the keys the app already had: "F7 x" arriving together
    typed "x" into the answer instead of removing a tag. Keys held already for the next
    question stay held for it. ``moving_from`` is a widget whose own key asked for the move
    (the tag list's "c"): the keys queued behind that key in it go along (``keep``).
    """
    typeahead = getattr(widget.app, "typeahead", None)
    if not isinstance(typeahead, Typeahead) or typeahead.sending:
        widget.focus()
        return
    typeahead.hold(moving_from=moving_from)
    typeahead.moving()
    widget.focus()
    widget.app.call_later(typeahead.moved)  # after the focus, which the app also sets later


def keep_for_focus(widget: Widget, event: events.Key) -> bool:
    """Whether ``event``, queued to ``widget`` behind a key of its that moves the focus away,
    was held for the new focus (``Typeahead.keep``)."""
    typeahead = getattr(widget.app, "typeahead", None)
    return isinstance(typeahead, Typeahead) and typeahead.keep(widget, event)


def hold_while_closing(screen: ModalScreen[Any], result: Any) -> None:
    """Dismiss a dialog with the keys typed after the key that closed it held until the
    screen under it has the keyboard again (they reached the closing dialog and were lost)."""
    typeahead = getattr(screen.app, "typeahead", None)
    if not isinstance(typeahead, Typeahead) or typeahead.holding:
        screen.dismiss(result)
        return
    typeahead.hold(moving_from=screen)  # with the keys queued to the dialog behind that key
    typeahead.moving()
    # Let go once the dialog's answer has been acted on, so that an answer asking for another
    # screen ("End now?" yes: the start screen, ``hold_for_screen``) keeps the keys for it.
    # Queued after the callback, the release could still run before it.
    callbacks = screen._result_callbacks
    acted_on = callbacks[-1].callback if callbacks else None
    if acted_on is None:
        screen.dismiss(result)
        screen.app.call_later(typeahead.moved)
        return

    async def then_let_go(answer: Any) -> None:
        try:
            outcome = acted_on(answer)
            if isawaitable(outcome):
                await outcome
        finally:
            typeahead.moved()

    callbacks[-1].callback = then_let_go
    screen.dismiss(result)


def hold_for_screen(app: App[Any]) -> None:
    """A key asked for another screen (the start screen, once an interview is paused or
    ended): the keys after it wait until that screen is shown (``screen_shown``), instead
    of reaching the screen on its way out."""
    typeahead = getattr(app, "typeahead", None)
    if isinstance(typeahead, Typeahead) and not typeahead.sending:
        typeahead.hold()
        typeahead.moving()


def screen_shown(app: App[Any]) -> None:
    """The screen asked for (``hold_for_screen``) is shown and has set its focus."""
    typeahead = getattr(app, "typeahead", None)
    if isinstance(typeahead, Typeahead):
        app.call_later(typeahead.moved)


def hold_after(widget: Widget) -> None:
    """``widget`` has taken a key whose effect is still to come (a focus move its handler
    makes, a journey edit or a tag decision the screen shows): the keys after it wait, also
    those queued behind it in ``widget``, until the effect is there and they are let go
    (``release``; at worst after ``LONGEST_HOLD``). In a burst, "[ [" moved a step by the
    list as it was before the first move."""
    typeahead = getattr(widget.app, "typeahead", None)
    if isinstance(typeahead, Typeahead) and not typeahead.sending:
        typeahead.hold(moving_from=widget)


def let_go(widget: Widget) -> None:
    """The focus stays where it is after a key that may have held the keys after it: let
    them go there, unless they belong to the next question."""
    typeahead = getattr(widget.app, "typeahead", None)
    if isinstance(typeahead, Typeahead) and typeahead.holding and not typeahead.sending:
        widget.app.call_later(typeahead.release)


def _again(event: events.Key | events.Paste) -> events.Key | events.Paste:
    """A fresh copy of a key or paste to hand on, with the time it was typed: the thank-you
    tells a key typed before it appeared by that time."""
    copy: events.Key | events.Paste = (
        events.Paste(event.text)
        if isinstance(event, events.Paste)
        else events.Key(event.key, event.character)
    )
    copy.time = event.time
    return copy


def _enter_leaves(widget: Widget) -> bool:
    """Whether an Enter in ``widget`` may move the focus: an answer's, a note's."""
    return _answer_input(widget) is not None or widget.has_class(ENTER_LEAVES_CLASS)


def _answer_input(widget: Widget | None) -> Widget | None:
    """The question's input that ``widget`` belongs to, if any."""
    if widget is None:
        return None
    for node in widget.ancestors_with_self:
        if isinstance(node, Widget) and node.has_class(INPUT_CLASS):
            return node
    return None
