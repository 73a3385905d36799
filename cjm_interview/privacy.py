"""Redaction of personal data in free text, before it is stored or exported.

Kinds (each replaced by a placeholder such as ``[phone]``):

- ``email``: e-mail addresses.
- ``phone``: phone numbers in international (``+49 (0)30/1234567``) and
  national formats of the UK, US, Germany, France, Spain and Italy, found and
  validated by the ``phonenumbers`` library (Google's libphonenumber data).
- ``card``: payment card numbers of 13-19 digits that pass the Luhn check.
- ``iban``: IBANs, whole (country code, check digits, every group), that pass
  the mod-97 check.
- ``ssn``: US Social Security numbers (123-45-6789), ``ni_number``: UK
  National Insurance numbers (QQ 12 34 56 C).
- ``dob``: a date after "born on", "DOB", "date of birth", "né le", "geboren am".
- ``name``: the name after "my name is", "je m'appelle", "ich heiße",
  "mein Name ist", "me llamo", "mi chiamo".
- ``postcode``: UK postcodes (SW1A 1AA).
- ``address``: street addresses with a house number (12 Baker Street,
  221B Baker St., 8 rue de la Paix, Hauptstraße 5, Via Roma 12), with the
  postcode and town that follow.

Plain dates, times, amounts, percentages, years, flight numbers and
reference or order numbers are left as they are. The patterns cannot know
every format: names said without a cue ("Sarah at the desk"), towns, and
numbers of other kinds (passports, customer accounts) are not redacted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

KINDS = (
    "email",
    "phone",
    "card",
    "iban",
    "ssn",
    "ni_number",
    "dob",
    "name",
    "postcode",
    "address",
)

# What each kind becomes in the text.
PLACEHOLDERS = {kind: f"[{kind.replace('_', '-')}]" for kind in KINDS} | {"dob": "[date-of-birth]"}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)

# IBAN: country, check digits, then groups; lengths of the common countries
# pick the end, so a word after it is not taken as one more group.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18,
    "FR": 27, "GB": 22, "GR": 27, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15,
    "PL": 28, "PT": 25, "SE": 24,
}  # fmt: skip

# 13-19 digits, optionally grouped by spaces or dashes: payment cards.
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")

_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_SSN_SPACED = re.compile(r"(?i)(\b(?:SSN|social security(?: number)?)[:#]?\s*)\d{3} \d{2} \d{4}\b")
_NI = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|janvier|février|mars|avril|"
    r"mai|juin|juillet|août|septembre|octobre|novembre|décembre|januar|februar|märz|juni|juli|"
    r"oktober|dezember)\.?"
)
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+(?:of\s+)?{_MONTHS}\s+\d{{4}}"
    rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_DOB = re.compile(
    r"(?i)(\b(?:born(?: on)?|d\.?o\.?b\.?|date of birth|birthday(?: is)?|née? le|geboren am)"
    rf"\s*(?:is\s+)?[:\-]?\s*)({_DATE})"
)

_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’-]+"
_NAME = re.compile(
    r"(\b(?i:my name is|my name's|i am called|i'm called|je m'appelle|je m’appelle|mon nom est"
    r"|ich heiße|ich heisse|mein name ist|me llamo|mi chiamo)\s+)"
    rf"({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})"
)

_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b")

_TOWN = r"(?:,?\s*\d{4,5}\s+[A-ZÀ-ÖØ-Þ][\w'’-]+)?"
_ADDRESSES = [
    # English: 12 Baker Street, 221B Baker St., 4 Elm Grove
    re.compile(
        r"\b\d{1,5}[A-Za-z]?,?(?:\s+[A-Z][a-z'’]+){1,3}\s+(?:Street|St|Road|Rd|Avenue|Ave|Lane|"
        r"Ln|Drive|Dr|Boulevard|Blvd|Way|Close|Court|Ct|Place|Pl|Terrace|Crescent|Gardens|Grove|"
        r"Square|Sq|Parkway|Highway|Hwy|Row|Mews|Walk)\b\.?" + _TOWN
    ),
    # French: 8 rue de la Paix, 14 bis avenue Victor Hugo
    re.compile(
        r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|allée|chemin|"
        r"impasse|quai|route|cours)\s+(?:(?i:de la|de l'|de l’|du|des|de|d'|d’)\s*)?"
        r"[A-ZÀ-ÖØ-Þ][\w'’-]+(?:[\s-]+[A-ZÀ-ÖØ-Þ][\w'’-]+){0,3}" + _TOWN
    ),
    # German: Hauptstraße 5, Lindenweg 12a
    re.compile(
        r"\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer)"
        r"\s+\d{1,4}[a-z]?\b" + _TOWN
    ),
    # Spanish and Italian: Calle Mayor 3, Via Roma 12
    re.compile(
        r"\b(?:Calle|C/|Avenida|Paseo|Plaza|Via|Viale|Piazza|Corso)\s+"
        rf"(?:(?:de la|del|de|della|dei|di)\s+)?{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}},?\s*"
        r"\d{1,4}\b" + _TOWN
    ),
]

# Numbers that these words introduce are references, not phone numbers.
_REFERENCE = re.compile(
    r"(?i)\b(?:ref(?:erence)?|order|booking|ticket|invoice|tracking|flight|case|claim|"
    r"policy|account|no|nr|n°|#)\.?\s*(?:no\.?|number|#)?\s*[:#]?\s*$"
)
_DATE_LIKE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_PHONE_REGIONS = ("GB", "US", "DE", "FR", "ES", "IT")


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


def iban_ok(compact: str) -> bool:
    """True when ``compact`` (no spaces) passes the IBAN mod-97 check."""
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    moved = (compact[4:] + compact[:4]).upper()
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def _iban(match: re.Match[str]) -> str:
    text = match.group(0)
    compact = text.replace(" ", "").upper()
    wanted = _IBAN_LENGTHS.get(compact[:2])
    lengths = [wanted] if wanted else range(min(len(compact), 34), 14, -1)
    for length in lengths:
        if length <= len(compact) and iban_ok(compact[:length]):
            # The span of the first ``length`` characters that are not spaces.
            seen = end = 0
            while seen < length:
                if text[end] != " ":
                    seen += 1
                end += 1
            return "[iban]" + text[end:]
    return text


@lru_cache(maxsize=1)
def _phonenumbers() -> Any:
    # Imported on first use: its metadata is not needed until text is redacted.
    import phonenumbers

    return phonenumbers


def _phones(text: str) -> str:
    pn = _phonenumbers()
    spans: list[tuple[int, int]] = []
    for region in _PHONE_REGIONS:
        for match in pn.PhoneNumberMatcher(text, region, leniency=pn.Leniency.VALID):
            if _REFERENCE.search(text[max(0, match.start - 20) : match.start]):
                continue
            if _DATE_LIKE.fullmatch(match.raw_string):
                continue
            spans.append((match.start, match.end))
    # International numbers that the data does not know yet (new ranges): a +
    # and 8 or more digits are a phone number all the same.
    for match in re.finditer(r"(?<![\w+])\+\d[\d\s().\/-]{6,18}\d", text):
        if sum(c.isdigit() for c in match.group(0)) >= 8:
            spans.append((match.start(), match.end()))
    for start, end in sorted(_merged(spans), reverse=True):
        text = text[:start] + "[phone]" + text[end:]
    return text


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


_STEPS: list[tuple[str, Callable[[str], str]]] = [
    ("email", lambda t: _EMAIL.sub("[email]", t)),
    ("iban", lambda t: _IBAN.sub(_iban, t)),
    ("ssn", lambda t: _SSN_SPACED.sub(r"\1[ssn]", _SSN.sub("[ssn]", t))),
    ("ni_number", lambda t: _NI.sub("[ni-number]", t)),
    ("card", lambda t: _CARD.sub(_card, t)),
    ("dob", lambda t: _DOB.sub(r"\1[date-of-birth]", t)),
    ("address", lambda t: _addresses(t)),
    ("postcode", lambda t: _POSTCODE.sub("[postcode]", t)),
    ("phone", _phones),
    ("name", lambda t: _NAME.sub(r"\1[name]", t)),
]


def _addresses(text: str) -> str:
    for pattern in _ADDRESSES:
        text = pattern.sub("[address]", text)
    return text


def redact(text: str, kinds: Iterable[str] = KINDS) -> str:
    """``text`` with the chosen kinds of personal data replaced by ``[email]`` and the like."""
    chosen = set(kinds)
    unknown = chosen - set(KINDS)
    if unknown:
        raise ValueError(f"unknown redaction kind(s): {', '.join(sorted(unknown))}")
    for kind, step in _STEPS:
        if kind in chosen:
            text = step(text)
    return text


def parse_kinds(value: str) -> tuple[str, ...]:
    """``"email,phone"`` or ``"all"`` as a tuple of kinds; raises ValueError on unknown ones."""
    value = value.strip().lower()
    if value == "none":
        return ()
    if not value.strip(", "):
        # An empty variable ("--redact $KINDS") must not turn a script's redaction off.
        raise ValueError(f"no redaction kinds given; use {', '.join(KINDS)}, all or none")
    if value == "all":
        return KINDS
    kinds = tuple(k.strip() for k in value.split(",") if k.strip())
    bad = set(kinds) - set(KINDS)
    if bad:
        raise ValueError(
            f"unknown redaction kind(s) {', '.join(sorted(bad))}; use {', '.join(KINDS)} or all"
        )
    return kinds
