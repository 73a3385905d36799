"""Redaction of personal data in free text: e-mail addresses, phone numbers, card numbers.

Used before storing (a script's ``redact:`` list, or ``--redact`` on the
command line) and before exporting. The patterns err on the side of
redacting: a journey map needs what happened, not how to reach the person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

KINDS = ("email", "phone", "card")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 13-19 digits, optionally grouped by spaces or dashes: payment cards.
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# A leading + or 0, or 9+ digits with separators: phone numbers, not years or amounts.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]?\d{2,5}){2,4}(?!\w)"
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    # Short runs are times, amounts, dates or reference numbers.
    if len(digits) < 8 and not text.startswith("+"):
        return text
    return "[phone]"


def redact(text: str, kinds: Iterable[str] = KINDS) -> str:
    """``text`` with the chosen kinds of personal data replaced by ``[email]`` and the like."""
    chosen = set(kinds)
    unknown = chosen - set(KINDS)
    if unknown:
        raise ValueError(f"unknown redaction kind(s): {', '.join(sorted(unknown))}")
    if "email" in chosen:
        text = _EMAIL.sub("[email]", text)
    if "card" in chosen:
        text = _CARD.sub(_card, text)
    if "phone" in chosen:
        text = _PHONE.sub(_phone, text)
    return text


def parse_kinds(value: str) -> tuple[str, ...]:
    """``"email,phone"`` or ``"all"`` as a tuple of kinds; raises ValueError on unknown ones."""
    value = value.strip().lower()
    if value in ("", "none"):
        return ()
    if value == "all":
        return KINDS
    kinds = tuple(k.strip() for k in value.split(",") if k.strip())
    bad = set(kinds) - set(KINDS)
    if bad:
        raise ValueError(
            f"unknown redaction kind(s) {', '.join(sorted(bad))}; use {', '.join(KINDS)} or all"
        )
    return kinds
