"""Terminal input that no byte can stop.

Textual's Linux driver decodes the terminal's bytes as strict UTF-8 and reads
escape sequences without bounds: one byte that is not UTF-8 (a Latin-1
terminal's "é"), or one sequence with a huge number, ends its input thread and
with it the app. This driver decodes with a fallback, bounds the numbers of
every sequence, ends a paste that never ends, and restarts the parser on
anything it did not expect: a sequence it cannot read is dropped, never fatal.

It leans on Textual's parser internals (``Parser._gen`` and friends), hence the
tight pin on textual in pyproject.toml and the tests in tests/tui/test_terminal_input.py.
"""

from __future__ import annotations

import codecs
import os
import re
import selectors
from collections.abc import Generator, Iterable

from textual import events
from textual._parser import Peek1, Read1, TokenCallback
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.keys import Keys
from textual.message import Message
from textual.messages import InBandWindowResize

INPUT_ERRORS = "cjm-terminal-input"
"""Codec error handler for bytes that are not UTF-8 (registered below)."""

LONGEST_NUMBER = 7
"""Digits a number in an escape sequence may have (the largest code point, 1114111, has 7)."""

LARGEST_SCREEN = 4_000
"""Cells a mouse or cursor position may reach; anything larger is a lie."""

PASTE_LIMIT = 2_000_000
"""Characters after which a paste ends, whether or not its end marker came."""

PASTE_QUIET = 1.0
"""Seconds without input after which a paste with no end marker ends."""

LONGEST_SEQUENCE = 30
"""Parameter bytes a control sequence may have; Textual would type out a longer one as keys."""

QUIET = 0.1
"""Seconds the input thread waits for bytes before flushing half-decoded ones."""

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"

_LONG_NUMBER = re.compile(rf"\d{{{LONGEST_NUMBER + 1},}}")


def _not_utf8(error: UnicodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8: Latin-1 letters as such ("é" is 0xE9), the rest as U+FFFD.

    A terminal set to Latin-1 sends one such byte for each accented letter;
    the C1 range (0x80-0x9F) holds control codes, never text, so it is replaced.
    """
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return "".join(chr(b) if b >= 0xA0 else "\ufffd" for b in bad), error.end


codecs.register_error(INPUT_ERRORS, _not_utf8)


class SafeXTermParser(XTermParser):
    """Textual's parser, bounded, and restarted instead of dying on what it cannot read."""

    def __init__(self) -> None:
        super().__init__(debug=False)
        self.dropped = 0
        """Times the parser met input it could not read and was restarted."""
        self._tail = ""  # the last few characters, to see paste markers
        self._in_paste = False
        self._paste_chars = 0
        self._held = ""  # the start of what may be a paste's end marker
        self._last_input = get_time()
        self._after_escape = False
        self._in_csi = False  # inside "ESC [ ..." (a control sequence)
        self._digits = 0  # digits of the control sequence's number being read
        self._length = 0  # parameter bytes of the control sequence so far
        self._swallowing = False  # dropping a control sequence with a huge number

    # ------------------------------------------------------------ tokens
    def parse(self, token_callback: TokenCallback[Message]) -> Generator[Read1 | Peek1, str, None]:
        def keep(token: Message) -> None:
            if isinstance(token, events.Resize):
                # A size typed or pasted in: the parser has already switched its mouse
                # to pixels on it, and must not (the size comes from the terminal).
                self.mouse_pixels = False
            if _acceptable(token):
                token_callback(token)

        yield from super().parse(keep)

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if len(sequence) > 1 and _LONG_NUMBER.search(sequence):
            return [events.Key(Keys.Ignore, sequence)]
        # Escape and a key typed right after it come as one "Alt" key, or as the key alone
        # (Enter, "."): Escape out of a note then "ok" typed "ok" into the note. No Alt key
        # binds anything here, so both keys are given, as typed.
        escape = [events.Key("escape", "\x1b")] if alt else []
        try:
            return escape + list(super()._sequence_to_key_events(sequence, False))
        except (ValueError, OverflowError, KeyError, IndexError):
            return [events.Key(Keys.Ignore, sequence)]

    def parse_mouse_code(self, code: str) -> Message | None:
        try:
            return super().parse_mouse_code(code)
        except (ValueError, OverflowError, ZeroDivisionError):
            return None

    # ------------------------------------------------------------ feeding
    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # end of input
            try:
                yield from super().feed(data)
            except Exception:
                self.dropped += 1
            return
        self._last_input = get_time()
        for character in data:
            if self._in_paste:
                yield from self._paste_character(character)
            else:
                yield from self._take(character)

    def _take(self, character: str) -> Iterable[Message]:
        if self._swallowing:
            if _is_parameter(character):
                return
            # The sequence is over: what was read of it goes with a fresh parser.
            self._swallowing = False
            self._restart()
            if "\x40" <= character <= "\x7e":
                return  # its final byte
        self._watch_paste(character)
        self._watch_csi(character)
        too_long = self._digits > LONGEST_NUMBER or self._length >= LONGEST_SEQUENCE
        if too_long and not self._in_paste:
            self._swallowing = True
            return
        yield from self._send(character)
        if self._in_paste and self._paste_chars > PASTE_LIMIT:
            yield from self._end_paste()

    def _paste_character(self, character: str) -> Iterable[Message]:
        """A character of a paste. An ESC is held until it is known to begin the paste's
        end marker; one that does not is dropped: Textual types out what follows an ESC
        in a paste as keys, so a pasted escape sequence then a line break sent the answer."""
        held = self._held + character
        self._held = ""
        while held and self._in_paste:
            if PASTE_END.startswith(held):
                if held != PASTE_END:
                    self._held = held
                    return
                break
            first, held = held[0], held[1:]
            if first != "\x1b":
                yield from self._take(first)
        for rest in held:
            yield from self._take(rest)

    def tick(self) -> Iterable[Message]:
        if self._in_paste and get_time() - self._last_input > PASTE_QUIET:
            yield from self._end_paste()
        try:
            yield from super().tick()
        except Exception:
            self._restart()

    def _send(self, character: str) -> Iterable[Message]:
        """One character into the parsing generator (as ``Parser.feed`` does), guarded."""
        try:
            while True:
                awaiting = self._awaiting
                self._timeout_time = None
                self._awaiting = self._gen.send(character)
                if self._awaiting.timeout is not None:
                    self._timeout_time = get_time() + self._awaiting.timeout
                if isinstance(awaiting, Read1):
                    break
        except Exception:
            self._restart()
        while self._tokens:
            yield self._tokens.popleft()

    def _restart(self) -> None:
        """Begin again with a fresh generator: what was being read is dropped."""
        self.dropped += 1
        self._gen = self.parse(self._tokens.append)
        self._awaiting = next(self._gen)
        self._timeout_time = None
        self._in_paste = False
        self._held = ""
        self._tail = ""
        self._after_escape, self._in_csi, self._digits, self._length = False, False, 0, 0

    def _watch_paste(self, character: str) -> None:
        self._tail = (self._tail + character)[-len(PASTE_START) :]
        if self._tail == PASTE_START:
            self._in_paste, self._paste_chars = True, 0
        elif self._tail == PASTE_END:
            self._in_paste = False
        elif self._in_paste:
            self._paste_chars += 1

    def _watch_csi(self, character: str) -> None:
        if character == "\x1b":
            self._after_escape, self._in_csi, self._digits, self._length = True, False, 0, 0
        elif self._after_escape:
            self._after_escape = False
            self._in_csi = character == "["
        elif self._in_csi:
            self._length += 1
            if "0" <= character <= "9":
                self._digits += 1
            elif _is_parameter(character):
                self._digits = 0
            else:
                self._in_csi, self._digits, self._length = False, 0, 0

    def _end_paste(self) -> Iterable[Message]:
        """Close a paste whose end marker did not come (lost, or never sent)."""
        held, self._held = self._held, ""
        for character in held.replace("\x1b", ""):
            yield from self._take(character)
        for character in PASTE_END:
            self._watch_paste(character)
            yield from self._send(character)


def _is_parameter(character: str) -> bool:
    """A parameter or intermediate byte of a control sequence (digits, ``;``, ``:``, ``?``...)."""
    return "\x20" <= character <= "\x3f"


def _acceptable(token: Message) -> bool:
    """Whether a parsed event is one to act on: one a real terminal could send, and no size.

    The screen's size comes from the terminal (SIGWINCH), never from input: an
    in-band size report (``ESC [ 48 ; rows ; cols ...t``) or a mode report that
    claims support for them (``ESC [ ? 2048 ; 1 $ y``) can be typed or pasted,
    and would shrink the screen to a corner that leaves the previous
    participant's answers on the rest of it, make it thousands of cells wide
    (seconds a frame), and stop real resizes from being heard.
    """
    if isinstance(token, events.Key):
        return token.key != Keys.Ignore.value
    if isinstance(token, events.Resize | InBandWindowResize):
        return False
    if isinstance(token, events.MouseEvent):
        return 0 <= token.x <= LARGEST_SCREEN and 0 <= token.y <= LARGEST_SCREEN
    if isinstance(token, events.CursorPosition):
        return 0 <= token.x <= LARGEST_SCREEN and 0 <= token.y <= LARGEST_SCREEN
    return True


class TerminalInput:
    """Bytes from the terminal to events: decoded with the fallback, parsed with bounds."""

    def __init__(self) -> None:
        self.parser = SafeXTermParser()
        """Turns text into key, mouse, paste and resize events."""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors=INPUT_ERRORS)

    def read(self, data: bytes) -> list[Message]:
        """Events for bytes just read (a character split between reads waits for the rest)."""
        return self._parse(self._decoder.decode(data))

    def idle(self) -> list[Message]:
        """Events due after a quiet moment: a lone ESC, a paste that never ended."""
        events_due: list[Message] = []
        if self._decoder.getstate()[0]:
            # A lead byte waited for the rest of a character that never came
            # (a Latin-1 "é" is one): decode it as it is.
            events_due = self._parse(self._decoder.decode(b"", final=True))
            self._decoder.reset()
        return events_due + list(self.parser.tick())

    def _parse(self, text: str) -> list[Message]:
        if not text:  # nothing whole yet ("" would tell the parser the input ended)
            return []
        return list(self.parser.feed(text))


class SafeLinuxDriver(LinuxDriver):
    """Textual's Linux driver with input decoded and parsed so that no byte ends the app."""

    def _query_in_band_window_resize(self) -> None:
        """Sizes come from SIGWINCH only: their in-band reports are not asked for (see
        ``_acceptable``)."""

    def run_input_thread(self) -> None:
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        terminal = TerminalInput()
        try:
            while not self.exit_event.is_set():
                ready = selector.select(QUIET)
                for _key, mask in ready:
                    if mask & selectors.EVENT_READ:
                        data = os.read(self.fileno, 4096)
                        if not data:  # input closed: do not spin
                            self.exit_event.wait(QUIET)
                        for event in terminal.read(data):
                            self.process_message(event)
                for event in terminal.idle() if not ready else terminal.parser.tick():
                    self.process_message(event)
        finally:
            selector.close()
