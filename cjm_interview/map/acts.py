"""What kind of act a step tells, besides what it is about.

Sentence vectors see what a step is about (the product, the flight, the bill) far more
than what kind of act it is: the customer contacting the service, the service's answer,
a problem appearing, a request. A researcher's columns hold both, so each step also gets
an act profile that reads alike across services:

- **roles**: which role the step plays in a customer journey (``ROLES``), as read by a
  linear head on its sentence vector and its hashed words, learnt from a few hundred short
  examples told of many services (``models/roles.jsonl``) and real steps labelled by hand
  (``prototypes``), once for the whole step and once for its opening words (who did
  what: "I called", "they said"), each role's log-probability standardised over the study;
- **cues** of its main clause: who acts (I/we, my ..., they/he/she, it/this, a named
  party or thing), whether it asks for something, asks a question, denies, tells a state
  rather than an event, and how much of it is numbers and placeholders.

The roles need sentence vectors (``prototypes`` ships the head); with words only, the
cues alone make the profile.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cjm_interview.grams import columns
from cjm_interview.map.align import unit_rows
from cjm_interview.map.labels import LEAD_IN, MASKED_DATE, PLACEHOLDER, tells_act


@dataclass(frozen=True)
class Role:
    """A role a step can play in a customer journey."""

    key: str
    name: str  # what members did, as a stage or column name


ROLES: tuple[Role, ...] = (
    Role("explore", "Find out and choose"),
    Role("sign_up", "Sign up or buy"),
    Role("use", "Use it and pay"),
    Role("problem", "A problem appears"),
    Role("contact", "Contact the service"),
    Role("response", "The service answers"),
    Role("escalate", "Escalate"),
    Role("impact", "What it cost them"),
    Role("request", "Ask for a remedy"),
    Role("verdict", "Overall verdict"),
    Role("background", "Background"),
)


@dataclass(frozen=True)
class RoleStage:
    """A stage of a journey whose steps are told anywhere (``moments.form_moments``): the
    roles its steps play."""

    key: str
    label: str
    roles: tuple[str, ...]


# In journey order; where one stage holds no step, the others keep theirs.
ROLE_STAGES: tuple[RoleStage, ...] = (
    RoleStage("find-out-and-sign-up", "Find out and sign up", ("explore", "sign_up")),
    RoleStage("use-and-pay", "Use it and pay", ("use",)),
    RoleStage("a-problem-appears", "A problem appears", ("problem",)),
    RoleStage("contact-the-service", "Contact the service", ("contact",)),
    RoleStage("the-service-answers", "The service answers", ("response",)),
    RoleStage("escalate", "Escalate", ("escalate",)),
    RoleStage("what-it-cost-and-what-they-ask", "What it cost and what they ask",
              ("impact", "request")),
    RoleStage("background-and-verdicts", "Background and verdicts", ("background", "verdict")),
)  # fmt: skip
# A step's opening (who did what) counts half as much as the whole step in its role:
# chosen on the complaint study's dev split (none 0.47, half 0.51, as much 0.47 stage purity).
OPENING_SHARE = 0.5


@dataclass(frozen=True)
class RoleHead:
    """A linear head reading a sentence vector (and its text's words) as the role its step
    plays (``ROLES``), learnt by ``prototypes.write``."""

    weights: np.ndarray  # (dimensions + words, roles)
    bias: np.ndarray  # (roles,)
    # Hashed word and word-pair columns read after the vector (``grams.columns``): the
    # wording of an act ("disputed", "never responded", "please") that vectors blur.
    words: int = 0

    @property
    def dimensions(self) -> int:
        """The length of the sentence vectors the head reads."""
        return int(self.weights.shape[0]) - self.words


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


# A clause that only leads in to another ("Regardless of what I say, they refuse";
# "When I called, she told me"): the step is what it leads to.
_SUBORDINATE = re.compile(
    r"^(?:regardless|although|though|even though|even if|even after|despite|whereas|when|"
    r"whenever|after|before|since|if|unless|because|while|once|as soon as|until|given that|"
    r"based on|according to)\b",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=131072)
def _main(text: str) -> tuple[str, str]:
    """The main clause, cleaned (``main_clause``) and as told (``main_said``)."""
    found = []
    for part in parts(text):
        clause = _lead_off(_clean(part))
        if len(clause.split()) >= 2:
            found.append((clause, part))
    acting = [f for f in found if tells_act(f[0])]
    leading = [f for f in acting if not _SUBORDINATE.match(f[0])]
    chosen = leading or acting or found
    if chosen:
        return chosen[0][0], _lead_off(_marked(chosen[0][1]))
    return _clean(text) or text.strip(), _marked(text)


def _lead_off(clause: str) -> str:
    clause = _OPENER.sub("", LEAD_IN.sub("", clause.strip(" ,-–()\"'")))
    return _OPENER.sub("", clause.strip(" ,-–()\"'"))


def _marked(part: str) -> str:
    # Masked details and amounts stay marked, so that a label ends before them
    # ("the first bill for over {$200.00}" -> "the first bill", ``labels.clauses``).
    part = PLACEHOLDER.sub(" XXXX ", MASKED_DATE.sub(" XXXX ", part))  # "XX/XX/2019" whole
    return " ".join(_NUMBERS.sub(" XXXX ", part).split())


def main_clause(text: str) -> str:
    """The step's first clause that tells an act and leads in to none ("To date, they have
    not replied" -> "they have not replied"; "When I called, she said no" -> "she said
    no"), lead-ins, dates and numbers taken off."""
    return _main(text)[0]


def main_said(text: str) -> str:
    """The same clause as the step told it, masked details and amounts marked: what a
    label is cut from."""
    return _main(text)[1]


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


def each_once(
    texts: Sequence[str],
) -> tuple[dict[str, int], np.ndarray[tuple[int], np.dtype[np.int64]]]:
    """Each distinct text's row (in order of first appearance), and each text's row: a
    large study repeats its short steps many times, worked out once each."""
    index: dict[str, int] = {}
    of = np.fromiter((index.setdefault(t, len(index)) for t in texts), np.int64, len(texts))
    return index, of


def cues(texts: Sequence[str]) -> np.ndarray:
    """The main-clause cues of each text (``CUES``), one row each."""
    index, of = each_once(texts)
    rows = np.asarray([_cue_row(t) for t in index], dtype=np.float32).reshape(-1, len(CUES))
    return rows[of]


def role_scores(vectors: np.ndarray, head: RoleHead, texts: Sequence[str]) -> np.ndarray:
    """Each row's log-probability of playing each role, by the head (which reads the texts'
    words too when it was learnt with them: one text per row)."""
    if head.words and len(texts) != len(vectors):
        raise ValueError(f"{len(vectors)} vectors but {len(texts)} texts for the role head")
    logits = np.asarray(vectors, dtype=np.float32) @ head.weights[: head.dimensions] + head.bias
    if head.words:
        logits += word_logits(texts, head)
    logits -= logits.max(axis=1, keepdims=True)
    return np.asarray(logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)), np.float32)


def word_logits(texts: Sequence[str], head: RoleHead) -> np.ndarray:
    """What the texts' hashed words add to each role's logit: the sum of their columns'
    weights over the square root of their count, as a unit row of them would."""
    words = head.weights[head.dimensions :]
    index, of = each_once(texts)
    rows = np.zeros((len(index), words.shape[1]), dtype=np.float32)
    # Only each text's few columns: no dense matrix of every column.
    for row, text in enumerate(index):
        found = columns(text, head.words)
        if found:
            rows[row] = words[list(found)].sum(axis=0) / np.float32(np.sqrt(len(found)))
    return rows[of]


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
    # The roles' log-probabilities, the whole step's plus OPENING_SHARE of its opening's.
    likely: np.ndarray | None = None


def profile(
    texts: Sequence[str],
    whole: np.ndarray | None = None,
    opened: np.ndarray | None = None,
    head: RoleHead | None = None,
    opened_texts: Sequence[str] | None = None,
) -> Profile:
    """The act profile of each step: standardised role scores of its whole text and of its
    opening (when there are vectors to compare), and its cues. ``opened_texts`` are what the
    ``opened`` vectors are of (``opening(text)``, or the text itself where the whole
    step's vector stands in for its opening's: the default)."""
    cued = standardise(cues(texts))
    if head is None or whole is None:
        return Profile(unit_rows(cued), None)
    said = role_scores(whole, head, texts)
    began = said if opened is None else role_scores(opened, head, opened_texts or texts)
    of_whole, of_opening = standardise(said), standardise(began)
    return Profile(
        unit_rows(np.hstack([of_whole, of_opening, cued])),
        (of_whole + of_opening) / 2,
        said + OPENING_SHARE * began,
    )


def role_of(roles: np.ndarray | None, members: Sequence[int]) -> tuple[Role | None, float]:
    """The role most members' steps play, and by how much it stands out (its mean
    standardised score less the next role's); None without role scores."""
    if roles is None or len(members) == 0:
        return None, 0.0
    mean = roles[np.asarray(members)].mean(axis=0)
    order = np.argsort(-mean, kind="stable")
    return ROLES[int(order[0])], float(mean[order[0]] - mean[order[1]])


def role_stages(likely: np.ndarray) -> np.ndarray:
    """The stage (index into ``ROLE_STAGES``) of each step, by the role it most likely plays."""
    of_role = {role: i for i, stage in enumerate(ROLE_STAGES) for role in stage.roles}
    index = np.asarray([of_role[r.key] for r in ROLES], dtype=np.int64)
    return index[np.asarray(likely).argmax(axis=1)] if len(likely) else np.zeros(0, np.int64)
