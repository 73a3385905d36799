"""No byte a keyboard or a paste can send stops the terminal input: bytes that are not
UTF-8 are decoded with a fallback, escape sequences are bounded, a paste always ends."""

from __future__ import annotations

import codecs
import time
from collections.abc import Iterable

import pytest
from textual import constants, events
from textual.message import Message
from textual.messages import InBandWindowResize

from cjm_interview.tui.terminal_input import (
    INPUT_ERRORS,
    PASTE_QUIET,
    SafeXTermParser,
    TerminalInput,
)

from ..terminal import HOSTILE


@pytest.fixture(autouse=True)
def short_escape_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lone ESC is told from a sequence by a delay; a short one keeps the sweep quick."""
    monkeypatch.setattr(constants, "ESCAPE_DELAY", 0.002)


def decode(data: bytes) -> str:
    """Bytes decoded as the terminal input decodes them."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors=INPUT_ERRORS)
    return decoder.decode(data) + decoder.decode(b"", final=True)


def send(terminal: TerminalInput, data: bytes) -> list[Message]:
    """Bytes in as the driver reads them, then a quiet moment."""
    out = terminal.read(data)
    time.sleep(0.004)
    return out + terminal.idle()


def drain(parser: SafeXTermParser, text: str) -> list[Message]:
    """Feed text, then let the parser's escape timeout pass."""
    out = list(parser.feed(text))
    time.sleep(0.004)
    out += list(parser.tick())
    return out


def typed(tokens: Iterable[Message]) -> str:
    return "".join(t.character or "" for t in tokens if isinstance(t, events.Key))


def test_bytes_that_are_not_utf8_are_read_as_latin1_letters_or_replaced() -> None:
    assert decode(b"caf\xe9") == "café"  # a Latin-1 terminal's "é"
    assert decode(b"\xff") == "ÿ"
    assert decode(b"\x9b") == "\ufffd"  # C1 controls are never text
    assert decode("café".encode()) == "café"


def test_every_single_byte_leaves_input_that_still_reads_keys() -> None:
    terminal = TerminalInput()
    for byte in range(256):
        send(terminal, bytes([byte]))
        assert typed(send(terminal, b"ok")) == "ok", f"byte {byte:#04x}"


def test_a_lone_lead_byte_is_read_as_latin1_when_nothing_follows() -> None:
    terminal = TerminalInput()
    assert typed(send(terminal, b"\xc3")) == "Ã"  # never the end of input
    assert typed(send(terminal, "é".encode())) == "é"


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_sequence_is_dropped_and_keys_still_work(name: str) -> None:
    terminal = TerminalInput()
    tokens = send(terminal, HOSTILE[name])
    for token in tokens:
        assert not isinstance(token, events.Resize | InBandWindowResize)
        if isinstance(token, events.MouseEvent):
            assert 0 <= token.x <= 4000 and 0 <= token.y <= 4000
    assert typed(send(terminal, b"still here")) == "still here"


@pytest.mark.parametrize("name", ["huge cursor move", "many parameters", "one thousand digits"])
def test_an_overlong_control_sequence_is_swallowed_whole_not_typed(name: str) -> None:
    terminal = TerminalInput()
    assert typed(send(terminal, b"a" + HOSTILE[name] + b"b")) == "ab"


def test_latin1_in_a_paste_arrives_as_text() -> None:
    parser = SafeXTermParser()
    pastes = [
        t for t in drain(parser, decode(HOSTILE["paste of latin-1"])) if isinstance(t, events.Paste)
    ]
    assert [p.text for p in pastes] == ["café"]


def test_a_paste_that_never_ends_ends_by_itself() -> None:
    parser = SafeXTermParser()
    list(parser.feed("\x1b[200~half a paste"))
    time.sleep(PASTE_QUIET + 0.1)
    pastes = [t for t in parser.tick() if isinstance(t, events.Paste)]
    assert [p.text for p in pastes] == ["half a paste"]
    assert typed(drain(parser, "typed")) == "typed"


def test_a_megabyte_paste_is_read_whole() -> None:
    parser = SafeXTermParser()
    text = ("é" + "x" * 99 + "\n") * 10_000
    tokens = drain(parser, f"\x1b[200~{text}\x1b[201~")
    pastes = [t for t in tokens if isinstance(t, events.Paste)]
    assert len(pastes) == 1 and len(pastes[0].text) == len(text)
    assert typed(drain(parser, "then keys")) == "then keys"


def test_the_screen_size_never_comes_from_input() -> None:
    # Typed or pasted, a size report would shrink the kiosk to a corner that leaves the
    # last participant's answers on the rest of the screen, and the mode report would
    # stop it hearing the terminal's real resizes.
    terminal = TerminalInput()
    tokens = send(terminal, b"\x1b[?2048;1$y\x1b[48;6;20;60;200t\x1b[<0;50;10M")
    assert not [t for t in tokens if isinstance(t, events.Resize | InBandWindowResize)]
    (press,) = [t for t in tokens if isinstance(t, events.MouseDown)]
    assert (press.x, press.y) == (49, 9)  # cells, not pixels scaled by the claimed size


@pytest.mark.parametrize(
    "inside",
    ["abc\x1b[31mdef\rghi", "abc\x1b]0;title\x07def\rghi", "a\x1b", "a\x1b[20", "a\x1b[200~b"],
    ids=["colour", "title", "lone escape", "half an end marker", "a start marker"],
)
def test_an_escape_inside_a_paste_stays_in_the_paste(inside: str) -> None:
    # Textual types out what follows an ESC in a paste as keys: a pasted colour code
    # and a line break pressed Enter and sent the answer half pasted.
    parser = SafeXTermParser()
    tokens = drain(parser, f"\x1b[200~{inside}\x1b[201~")
    assert [type(t) for t in tokens] == [events.Paste]
    assert tokens[0].text == inside.replace("\x1b", "")  # type: ignore[attr-defined]
    assert typed(drain(parser, "then keys")) == "then keys"


def test_an_escape_left_at_the_end_of_a_paste_that_never_ends_is_dropped() -> None:
    parser = SafeXTermParser()
    list(parser.feed("\x1b[200~half\x1b[20"))
    time.sleep(PASTE_QUIET + 0.1)
    tokens = list(parser.tick())
    assert [(type(t), t.text) for t in tokens] == [(events.Paste, "half[20")]  # type: ignore[attr-defined]
    assert typed(drain(parser, "typed")) == "typed"


@pytest.mark.parametrize(
    ("data", "keys"),
    [
        ("\x1bok", ["escape", "o", "k"]),  # Escape out of a note, then "ok" typed at once
        ("\x1bO", ["escape", "O"]),
        ("\x1b.", ["escape", "full_stop"]),
        ("\x1b\r", ["escape", "enter"]),  # the Escape was dropped, the Enter kept
        ("\x1b\x7f", ["ctrl+w"]),  # Alt+Backspace: delete a word, as terminals mean it
        ("\x1b[A", ["up"]),  # a sequence is still one key
        ("\x1b", ["escape"]),
    ],
)
def test_escape_and_the_key_typed_right_after_it_are_two_keys(data: str, keys: list[str]) -> None:
    """A terminal sends Escape and a key typed within the Escape delay as one Alt key:
    Escape out of a note then "ok" typed "ok" into the note and lost the Escape (an Alt
    key binds nothing here)."""
    got = [t for t in drain(SafeXTermParser(), data) if isinstance(t, events.Key)]
    assert [t.key for t in got] == keys
    if data == "\x1bok":
        assert typed(got) == "\x1bok"
