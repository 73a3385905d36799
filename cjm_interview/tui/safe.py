"""Participant text made safe to show: no escape sequences, no markup, no huge blocks."""

from __future__ import annotations

from rich.text import Text

from cjm_interview.answers import MAX_ANSWER_CHARS, clean_text

SHOWN_CHARS = 1_200
"""Longest answer shown in full in the chat; the rest is saved but elided on screen."""


def safe_text(raw: str, limit: int = SHOWN_CHARS, style: str = "") -> Text:
    """Participant text as a Rich ``Text``: control characters stripped, long text shortened.

    A ``Text`` is never parsed as markup, so ``[bold]`` in an answer shows as typed.
    """
    text = clean_text(raw)
    if len(text) > limit:
        hidden = len(text) - limit
        shown = Text(text[:limit].rstrip(), style=style)
        shown.append(f" … (+{hidden:,} characters, saved in full)", style="italic")
        return shown
    return Text(text, style=style)


def clean_paste(raw: str, limit: int = MAX_ANSWER_CHARS) -> tuple[str, bool]:
    """Pasted text cleaned of control characters and cut to what an answer may hold.

    Returns the text and whether it was shortened.
    """
    # Terminals send a pasted line break as a carriage return (tmux, VTE, xterm): a line
    # break it stays, where stripping it as a control character ran the lines together.
    head = raw[: limit * 2]  # never scan megabytes for control characters
    text = clean_text(head.replace("\r\n", "\n").replace("\r", "\n"))
    if len(raw) > limit * 2 or len(text) > limit:
        return text[:limit], True
    return text, False


def fit_paste(raw: str, room: int, *, limit: int, one_line: bool = False) -> tuple[str, bool]:
    """Pasted text cleaned (squeezed onto one line if asked) and cut to the ``room`` a box
    has left, counting the selection it replaces. Returns the text and whether it was cut."""
    text, shortened = clean_paste(raw, limit)
    if one_line:
        text = " ".join(text.split())
    room = max(0, room)
    if len(text) > room:
        return text[:room], True
    return text, shortened


def one_line(raw: str, width: int) -> str:
    """Text squeezed onto one line of at most ``width`` characters."""
    text = " ".join(clean_text(raw).split())
    return text if len(text) <= width else text[: max(1, width - 1)].rstrip() + "…"
