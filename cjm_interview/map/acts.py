"""What kind of act a step tells, besides what it is about.

Sentence vectors see what a step is about (the product, the flight, the bill) far more
than what kind of act it is: the customer contacting the service, the service's answer,
a problem appearing, a request. A researcher's columns hold both, so each step also gets
an act profile that reads alike across services:

- **roles**: how alike the step is to a few short, generic sentences of each role a step
  plays in a customer journey (``ROLES``: no service's own words in them), once for the
  whole step and once for its opening words (who did what: "I called", "they said"),
  each role's score standardised over the study;
- **cues** of its main clause: who acts (I/we, my ..., they/he/she, it/this, a named
  party or thing), whether it asks for something, asks a question, denies, tells a state
  rather than an event, and how much of it is numbers and placeholders.

The roles need sentence vectors (``prototypes`` ships them); with words only, the cues
alone make the profile.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cjm_interview.map.align import unit_rows
from cjm_interview.map.labels import LEAD_IN, PLACEHOLDER, tells_act


@dataclass(frozen=True)
class Role:
    """A role a step can play in a customer journey."""

    key: str
    name: str  # what members did, as a stage or column name
    sentences: tuple[str, ...]  # generic examples, in no one service's words


ROLES: tuple[Role, ...] = (
    Role("explore", "Find out and choose", (
        "I looked around and compared the options.",
        "I read reviews before choosing.",
        "A friend recommended them to me.",
        "I searched online for the best offer.",
        "I saw an advert and got interested.",
        "I asked around about which one to pick.",
        "I checked the prices on their website.",
        "I was looking for something cheaper.",
    )),
    Role("sign_up", "Sign up or buy", (
        "I signed up with them.",
        "I bought it online.",
        "I booked it on their website.",
        "I ordered it and agreed to the terms.",
        "I opened an account with them.",
        "We signed the contract.",
        "I chose the plan and paid the deposit.",
        "I applied and was accepted.",
        "I purchased it in the store.",
    )),
    Role("use", "Use it and pay", (
        "I used it as usual.",
        "I paid the bill every month.",
        "I made the payment on time.",
        "Everything went as planned at first.",
        "I went there on the day.",
        "We started using it.",
        "I kept paying as agreed.",
        "I had been using the service for a while.",
        "I could not afford to pay for a few months.",
    )),
    Role("problem", "A problem appears", (
        "Something went wrong.",
        "It stopped working.",
        "They charged me for something I never ordered.",
        "I noticed a mistake on my bill.",
        "It was delayed and nobody told me.",
        "The item arrived broken.",
        "I found out it was wrong.",
        "They cancelled it without warning.",
        "Someone used my details without my permission.",
        "I received a letter saying I owed money.",
    )),
    Role("contact", "Contact the service", (
        "I called them.",
        "I phoned customer service.",
        "I sent them an email.",
        "I wrote them a letter.",
        "I went to the desk and asked for help.",
        "I contacted the company to complain.",
        "I spoke to an agent on the phone.",
        "I asked them to fix it.",
        "I told them it was not mine.",
        "I sent them the documents they needed.",
    )),
    Role("response", "The service answers", (
        "They told me there was nothing they could do.",
        "They refused to fix it.",
        "They said they would look into it.",
        "They never replied.",
        "The agent explained what had happened.",
        "The staff were rude and hung up on me.",
        "They sent me a letter saying it was correct.",
        "They finally fixed it and refunded me.",
        "Nobody got back to me.",
        "I was transferred from one person to another.",
    )),
    Role("escalate", "Escalate", (
        "I filed a formal complaint with the authorities.",
        "I reported them to the regulator.",
        "I contacted a lawyer.",
        "I took them to court.",
        "I reported it to the police.",
        "I complained to the consumer protection agency.",
        "I went to the ombudsman.",
    )),
    Role("impact", "What it cost them", (
        "This caused me a lot of stress.",
        "I lost money because of this.",
        "I felt angry and ignored.",
        "It ruined my plans.",
        "Now I cannot get what I need because of them.",
        "It has affected my health and my family.",
        "I had to pay extra because of their mistake.",
        "I have wasted hours on this.",
    )),
    Role("request", "Ask for a remedy", (
        "Please fix this.",
        "I want my money back.",
        "I am asking you to correct this.",
        "I need help with this.",
        "I would like this removed.",
        "Please make them stop.",
        "I want them to take responsibility.",
        "Can you help me resolve this?",
    )),
    Role("verdict", "Overall verdict", (
        "Overall it was a good experience.",
        "I would not recommend them.",
        "I will never use them again.",
        "Great service, thank you.",
        "This is completely unfair.",
        "They should not be allowed to treat people like this.",
        "It was the worst company I have dealt with.",
        "Five stars, would use again.",
    )),
    Role("background", "Background", (
        "I have been a customer for many years.",
        "This is about my account with them.",
        "My name and address are below.",
        "The rules say they must do this.",
        "The amount in question is large.",
        "I live with my family in a small town.",
        "I have attached copies of the documents.",
        "The reference number is below.",
    )),
)  # fmt: skip

OPENING_WORDS = 4  # the opening words of the main clause: who did what
MAX_PARTS = 3  # clauses of one step compared with the moments, at most

# Where one clause ends and the next begins: sentence ends, semicolons, "but", "because",
# and a comma or "and" before a new subject ("check-in was quick, the lounge was packed";
# "I called them and they refused").
_SUBJECT = r"(?:i|we|they|he|she|it|you|the|my|our|their|his|her|this|that|there|nobody|no one)\b"
_SPLIT = re.compile(
    r"[.!?]+\s+|\s*;\s*|\s+-\s+|,?\s+(?:but|because|although|whereas|however)\s+"
    rf"|,\s+(?:and\s+|so\s+|then\s+|while\s+)?(?={_SUBJECT})|\s+and\s+(?=(?:then\s+)?{_SUBJECT})",
    re.IGNORECASE,
)
# A date or reference taken out ("On XX/XX/XXXX I called") leaves its preposition behind.
_OPENER = re.compile(
    r"^(?:(?:on|in|at|around|since|by|as of|dated|during|from|about|approximately|"
    r"recently|however|again|now|today|yesterday|unfortunately|since then|also|so|and)\b[\s,]*)+",
    re.IGNORECASE,
)
# Dates, times and amounts ("12/05/2019", "10:30", "$1,200.00"); a plain count stays.
_NUMBERS = re.compile(r"\$?\d+(?:[/.,:-]\d+)+|\$\d+")
_SELF = frozenset(
    [
        "i",
        "we",
        "i've",
        "i'm",
        "i'd",
        "i'll",
        "we've",
        "we're",
        "we'd",
        "me",
        "us",
        "myself",
        "im",
        "ive",
    ]
)
_OWN = frozenset(["my", "our"])
_PARTY = frozenset(
    [
        "they",
        "he",
        "she",
        "you",
        "they've",
        "they're",
        "he's",
        "she's",
        "them",
        "their",
        "his",
        "her",
        "your",
    ]
)
_THING = frozenset(
    ["it", "this", "that", "there", "these", "those", "it's", "its", "nothing", "nobody"]
)
_REQUEST = re.compile(
    r"\b(?:please|i want|i would like|i'd like|i am asking|i'm asking|i ask|i need|i request|"
    r"i demand|i expect|can you|could you|should be|must be|needs? to be)\b",
    re.IGNORECASE,
)
_DENIAL = re.compile(r"\b(?:never|no|not|nothing|nobody|none|n't|refus\w*|den(?:y|ied))\b", re.I)
_STATE = re.compile(r"\b(?:is|are|am|has|have|does|do|can|should|must)\b", re.IGNORECASE)
CUES = ("self", "own", "party", "thing", "noun", "request", "question", "denial", "state",
        "numbers")  # fmt: skip


def _clean(text: str) -> str:
    return " ".join(_NUMBERS.sub(" ", PLACEHOLDER.sub(" ", text)).split())


@functools.lru_cache(maxsize=131072)
def parts(text: str) -> tuple[str, ...]:
    """The clauses of a step, in order (a part of one word stays with the one before it)."""
    found: list[str] = []
    for piece in _SPLIT.split(" ".join(text.split())):
        piece = piece.strip(" ,-–")
        if not piece:
            continue
        if found and min(len(_clean(piece).split()), len(_clean(found[-1]).split())) < 2:
            found[-1] = f"{found[-1]}, {piece}"
        else:
            found.append(piece)
    return tuple(found) or (text.strip(),)


@functools.lru_cache(maxsize=131072)
def main_clause(text: str) -> str:
    """The step's first clause that tells an act ("To date, they have not replied" ->
    "they have not replied"), lead-ins, dates and numbers taken off."""
    found = []
    for part in parts(text):
        clause = _OPENER.sub("", LEAD_IN.sub("", _clean(part).strip(" ,-–()\"'")))
        clause = _OPENER.sub("", clause.strip(" ,-–()\"'"))
        if len(clause.split()) >= 2:
            found.append(clause)
    acting = [c for c in found if tells_act(c)]
    return (acting or found or [_clean(text) or text.strip()])[0]


def opening(text: str) -> str:
    """The first ``OPENING_WORDS`` words of the main clause: who did what."""
    return " ".join(main_clause(text).split()[:OPENING_WORDS])


@functools.lru_cache(maxsize=131072)
def _cue_row(text: str) -> tuple[float, ...]:
    clause = main_clause(text)
    words = re.findall(r"[a-z']+", clause.lower())
    first = words[0] if words else ""
    head = " ".join(words[:6])
    total = max(1, len(text.split()))
    return (
        float(first in _SELF),
        float(first in _OWN),
        float(first in _PARTY),
        float(first in _THING),
        float(bool(first) and first not in _SELF | _OWN | _PARTY | _THING),
        float(bool(_REQUEST.search(text))),
        float("?" in text),
        float(bool(_DENIAL.search(clause))),
        float(bool(_STATE.search(head))),
        min(1.0, (len(PLACEHOLDER.findall(text)) + len(_NUMBERS.findall(text))) / total * 4),
    )


def cues(texts: Sequence[str]) -> np.ndarray:
    """The main-clause cues of each text (``CUES``), one row each."""
    index: dict[str, int] = {}
    of = np.fromiter((index.setdefault(t, len(index)) for t in texts), np.int64, len(texts))
    # Each distinct text once: a large study repeats its short steps many times.
    rows = np.asarray([_cue_row(t) for t in index], dtype=np.float32).reshape(-1, len(CUES))
    return rows[of]


def role_scores(vectors: np.ndarray, prototypes: np.ndarray, top: int = 2) -> np.ndarray:
    """Each row's likeness to each role: the mean cosine of its ``top`` closest sentences.

    ``prototypes`` holds the vectors of every role's sentences, role after role, in the
    order of ``ROLES``.
    """
    sims = np.asarray(vectors, dtype=np.float32) @ prototypes.T
    out = np.empty((len(vectors), len(ROLES)), dtype=np.float32)
    start = 0
    for r, role in enumerate(ROLES):
        block = sims[:, start : start + len(role.sentences)]
        start += len(role.sentences)
        k = min(top, block.shape[1])
        out[:, r] = np.partition(block, block.shape[1] - k, axis=1)[:, -k:].mean(axis=1)
    return out


def standardise(x: np.ndarray) -> np.ndarray:
    """Columns to mean 0 and unit spread over the rows (a constant column becomes 0).

    Mean and spread are the same for a study told twice over, so its profile is too.
    """
    x = np.asarray(x, dtype=np.float64)
    if len(x) == 0:
        return x.astype(np.float32)
    centred = x - x.mean(axis=0)
    spread = np.sqrt((centred**2).mean(axis=0))
    return np.asarray(centred / np.where(spread > 1e-6, spread, np.inf), dtype=np.float32)


@dataclass
class Profile:
    """What kind of act each step is."""

    rows: np.ndarray  # unit rows: standardised role scores (whole, opening) and cues
    roles: np.ndarray | None  # standardised role scores (whole and opening averaged)


def profile(
    texts: Sequence[str],
    whole: np.ndarray | None = None,
    opened: np.ndarray | None = None,
    prototypes: np.ndarray | None = None,
) -> Profile:
    """The act profile of each step: standardised role scores of its whole text and of its
    opening (when there are vectors to compare), and its cues."""
    blocks = [standardise(cues(texts))]
    roles = None
    if prototypes is not None and whole is not None:
        of_whole = standardise(role_scores(whole, prototypes))
        of_opening = standardise(role_scores(opened if opened is not None else whole, prototypes))
        blocks = [of_whole, of_opening, *blocks]
        roles = (of_whole + of_opening) / 2
    return Profile(unit_rows(np.hstack(blocks)), roles)


def role_of(roles: np.ndarray | None, members: Sequence[int]) -> tuple[Role | None, float]:
    """The role most members' steps play, and by how much it stands out (its mean
    standardised score less the next role's); None without role scores."""
    if roles is None or len(members) == 0:
        return None, 0.0
    mean = roles[np.asarray(members)].mean(axis=0)
    order = np.argsort(-mean, kind="stable")
    return ROLES[int(order[0])], float(mean[order[0]] - mean[order[1]])
