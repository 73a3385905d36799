"""Escaping participant text for each format it lands in."""

from __future__ import annotations

import html
import re

from cjm_interview.answers import clean_text

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#|~&])")
# At the start of a line these begin a list, quote, heading rule or numbered item.
_MD_LINE_START = re.compile(r"^([-+=>]|\d+(?=[.)]))")


def for_html(text: object) -> str:
    """Text safe inside HTML elements and quoted attributes."""
    return html.escape(clean_text(str(text)), quote=True)


def for_csv(value: object) -> object:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def for_markdown(text: object) -> str:
    """Text shown literally by Markdown renderers (no links, emphasis, HTML or tables)."""
    flat = " ".join(clean_text(str(text)).split())
    escaped = _MD_SPECIAL.sub(r"\\\1", flat)
    match = _MD_LINE_START.match(escaped)
    if match and match.group(1).isdigit():  # "1. " would start a numbered list
        return escaped[: match.end()] + "\\" + escaped[match.end() :]
    return "\\" + escaped if match else escaped


# Words the Mermaid journey lexer reads as syntax at the start of a line, whatever their case.
_MERMAID_KEYWORD = re.compile(r"^(?:journey|title|section|acc)", re.IGNORECASE)


def for_mermaid(text: object, limit: int = 60) -> str:
    """Text safe in a Mermaid journey task, section name or actor: no separators or comment
    marks, and a text that starts with a keyword ("title deeds ...") is quoted so it stays a
    name."""
    flat = " ".join(clean_text(str(text)).split())
    flat = re.sub(r"[:;#%{}<>\"`\[\]|]", " ", flat)
    flat = " ".join(flat.split())[:limit] or "step"
    return f"“{flat}”" if _MERMAID_KEYWORD.match(flat) else flat
