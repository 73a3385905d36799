"""Stored text made safe to print on a terminal.

Participant fields and answers come from people and from files of other
devices: an OSC sequence in a pseudonym would retitle the terminal (or write
the clipboard), a CSI sequence would move the cursor, a bidi override would
make a line read backwards. Every field a command prints goes through
``clean_field`` and is printed without Rich markup.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

# Whole escape sequences first, so their parameters do not remain as text:
# OSC/DCS/SOS/PM/APC strings (to BEL or ST), CSI (7-bit ESC [ and 8-bit \x9b),
# then any other two-character escape.
_SEQUENCES = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|\x1b[\x20-\x7e]?"
)
# Marks that reorder text on screen: embeddings, overrides and isolates.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def clean_field(value: Any, one_line: bool = True) -> str:
    """``value`` as text with escape sequences, control characters and bidi overrides removed.

    ``one_line`` turns newlines and tabs into spaces (table cells, headers).
    """
    text = "" if value is None else str(value)
    text = _SEQUENCES.sub("", text).translate(_BIDI)
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(" " if one_line else ch)
        elif unicodedata.category(ch) not in ("Cc", "Cs", "Co"):
            out.append(ch)
    return "".join(out)


# Characters JSON may carry raw that a terminal would act on: DEL and C1 controls
# (\x9b starts a CSI), bidi marks, line separators, lone surrogates.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")


def safe_json(value: Any, indent: int | None = None) -> str:
    """JSON as UTF-8 text, with every character a terminal would act on written as \\uXXXX."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
