"""How an answer is read: its language, the units the model reads, and how their tags combine.

A short answer is read whole, as the heads were trained. A long one (over
``LONG_WORDS`` words) is read sentence by sentence, because the encoder reads
about 200 words and cuts the rest, and one vector for a whole story blurs
which part said what. The sentences' tags then combine:

- channels: from any sentence that shows one (``decide_channels``): a rule cue
  used in context counts, a weak cue counts when the model agrees, a cancelled
  cue ("never called") never counts, and the model alone counts only when very sure;
- sentiment and grade: a weighted mean of the sentences', where a sentence
  weighs more the more it evaluates (the less neutral it reads) and the nearer
  it is to the end, the conclusion counting double (``combine_feelings``);
- emotions: the strongest sentence for each, kept with it as evidence;
- the vector for step alignment: the mean of the sentences' vectors, made unit-length.

Nothing here imports torch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from cjm_interview.nlp.base import TagResult
from cjm_interview.nlp.channels import RULE_THRESHOLD, channel_cues
from cjm_interview.nlp.sentences import Sentence, detect_language, split_sentences

# Answers longer than this many words are read sentence by sentence.
LONG_WORDS = 40
# Languages the taggers read; others get no tags and say why.
READ_LANGUAGES = ("en", "fr")
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}
# The conclusion's extra weight, and how much later sentences outweigh earlier ones.
CONCLUSION_WEIGHT = 2.0
POSITION_SLOPE = 1.0
# The least weight of a sentence that evaluates nothing, so that an all-neutral story still counts.
NEUTRAL_FLOOR = 0.1


@dataclass(frozen=True)
class Reading:
    """A text as the taggers read it."""

    text: str
    language: str  # the language it is read in
    expected: str | None  # the session's language, when known
    units: tuple[Sentence, ...]  # what the model reads: the whole text or its sentences
    sentences: tuple[Sentence, ...]

    @property
    def whole(self) -> bool:
        """Read as one unit."""
        return len(self.units) == 1

    @property
    def long(self) -> bool:
        """Over ``LONG_WORDS`` words: a story more than an answer, even when one sentence."""
        return len(self.text.split()) > LONG_WORDS

    @property
    def unavailable(self) -> str | None:
        """Why no tags can be given (a language the taggers do not read), or None."""
        if self.language in READ_LANGUAGES:
            return None
        name = LANGUAGE_NAMES.get(self.language, self.language)
        return f"the tagger reads English and French only; this answer looks {name}"

    @property
    def mismatch(self) -> bool:
        """The answer is in another language than the session's."""
        return self.expected is not None and self.expected != self.language


def read(text: str, language: str | None = None) -> Reading:
    """Decide how to read ``text``; ``language`` is the session's, if known.

    A text whose own words clearly say another language is read in that
    language (and flagged as a mismatch); otherwise the session's language,
    else English.
    """
    detected = detect_language(text)
    expected = language.split("-")[0].lower() if language else None
    lang = detected or expected or "en"
    sentences = tuple(split_sentences(text)) or (Sentence(text.strip(), 0),)
    if len(text.split()) <= LONG_WORDS or len(sentences) == 1:
        return Reading(text, lang, expected, (Sentence(text, 0),), sentences)
    return Reading(text, lang, expected, sentences, sentences)


# ------------------------------------------------------------------ channels
def channel_state(text: str, channels: Sequence[str], language: str = "en") -> np.ndarray:
    """Per channel, for one unit: [counted cue's strength, weak cue's strength, cancelled cue].

    The third column is 2 when a cue was only offered or hypothetical, a
    product or the text itself, 1 when it was cancelled otherwise (negated, a
    third party's), else 0.

    Shape (channels, 3). The heads read it as features; ``decide_channels``
    combines it with their probabilities.
    """
    index = {c: j for j, c in enumerate(channels)}
    state = np.zeros((len(channels), 3), dtype=np.float32)
    for cue in channel_cues(text, "fr" if language == "fr" else "en"):
        j = index.get(cue.channel)
        if j is None:
            continue
        cell = state[j]
        if cue.blocked is not None:
            # Offered, a product or the text itself ("told me to call", "video calls", "this
            # letter") is no use of the channel at all (2); a negated one might be (1).
            cell[2] = max(cell[2], 2.0 if cue.blocked in HARD_CANCELS else 1.0)
        elif cue.strength >= RULE_THRESHOLD:
            cell[0] = max(cell[0], cue.strength)
        else:
            cell[1] = max(cell[1], cue.strength)
    return state


NEVER = 2.0  # a threshold no probability reaches
# Cancellations the model may not overrule: a channel only offered, asked for, promised or
# imagined ("told me to call"), a product or the text itself. A negated cue ("nobody
# answered the phone") or a third party's may still hide a use, and the head may say so.
HARD_CANCELS = frozenset({"hypothetical", "object", "self"})


@dataclass(frozen=True)
class ChannelThresholds:
    """When a channel counts, by what the rules found in the unit (see ``decide_channels``)."""

    counted: float = 0.0  # the model's least probability beside a counted cue
    weak: tuple[float, ...] = ()  # per channel, beside a weak cue only
    alone: tuple[float, ...] = ()  # per channel, with no cue at all
    cancelled: tuple[float, ...] = ()  # per channel, beside cancelled cues only

    @classmethod
    def rules_only(cls, n: int) -> ChannelThresholds:
        """The rules alone: counted cues, nothing else."""
        return cls(0.0, (NEVER,) * n, (NEVER,) * n, (NEVER,) * n)

    def to_json(self) -> dict[str, object]:
        """For ``heads.json``."""
        return {
            "counted": self.counted,
            "weak": list(self.weak),
            "alone": list(self.alone),
            "cancelled": list(self.cancelled),
        }

    @classmethod
    def from_json(cls, data: dict[str, object], n: int) -> ChannelThresholds:
        """From ``heads.json``."""

        def column(key: str) -> tuple[float, ...]:
            values = data.get(key)
            return tuple(float(v) for v in values) if isinstance(values, list) else (NEVER,) * n

        counted = data.get("counted", 0.0)
        return cls(
            float(counted) if isinstance(counted, int | float) else 0.0,
            column("weak"),
            column("alone"),
            column("cancelled"),
        )


@dataclass(frozen=True)
class ChannelDecision:
    """Thresholds for short answers and for the sentences of long ones (``Reading.long``).

    A short answer is what the head learnt from; a sentence out of a long
    story is not, and the head alone is less to be trusted there.
    """

    whole: ChannelThresholds
    sentences: ChannelThresholds

    def of(self, reading: Reading) -> ChannelThresholds:
        """The thresholds for this reading."""
        return self.sentences if reading.long else self.whole


def decide_channels(
    state: np.ndarray, probs: np.ndarray | None, thresholds: ChannelThresholds
) -> dict[int, tuple[float, int]]:
    """Channel index -> (score, unit that shows it), for the channels that count.

    ``state`` is ``channel_state`` of each unit, shape (units, channels, 3);
    ``probs`` the touchpoint head's probabilities (units, channels), or None
    for the rules alone.

    In a unit, a channel counts when a cue there counts and the model does not
    deny it (probability >= ``counted``); when only a weak cue is there and the
    model agrees (>= ``weak``); when there is no cue of it at all and the model
    is sure (>= ``alone``); when its only cues were cancelled ("never called",
    "told me to call") and the model is surer still (>= ``cancelled``, which
    may be never).
    """
    units, channels, _ = state.shape
    found: dict[int, tuple[float, int]] = {}
    for u in range(units):
        for j in range(channels):
            counted, weak, blocked = state[u, j]
            p = float(probs[u, j]) if probs is not None else 0.0
            if counted:
                ok, score = p >= thresholds.counted or probs is None, max(p, float(counted))
            elif weak:
                ok, score = probs is not None and p >= thresholds.weak[j], p
            elif blocked >= 2:  # never a channel, whatever the model says
                ok, score = False, 0.0
            elif blocked:
                ok, score = probs is not None and p >= thresholds.cancelled[j], p
            else:
                ok, score = probs is not None and p >= thresholds.alone[j], p
            if ok and score > found.get(j, (-1.0, 0))[0]:
                found[j] = (score, u)
    return found


# ------------------------------------------------------------------ feelings
# Closing formulas evaluate nothing: "Thank you for your help.", "Please advise."
_COURTESY = re.compile(
    r"^\W*(?:(?:thank(?:s| you)(?: (?:so|very) much)?(?: (?:in advance|for (?:your|any|the) "
    r"(?:help|time|assistance|attention|consideration|understanding)))?|please (?:help(?: me)?|"
    r"advise|assist(?: me)?|look into (?:this|it)|respond|reply|contact me)|"
    r"(?:kind |best )?regards|sincerely(?: yours)?|yours (?:sincerely|faithfully|truly)|"
    r"best wishes|any help (?:would be|is) (?:greatly |much )?appreciated|"
    r"i (?:look forward to|await) your (?:reply|response)|merci(?: beaucoup| d'avance)?|"
    r"cordialement|bien à vous)[\s,.!]*)+$",
    re.IGNORECASE,
)


def is_courtesy(text: str) -> bool:
    """Whether a sentence is only a greeting or closing formula."""
    return bool(_COURTESY.match(text.strip()))


def unit_weights(evaluative: np.ndarray, courtesy: np.ndarray | None = None) -> np.ndarray:
    """Weights of a long text's units for sentiment and grade.

    ``evaluative`` is how much each unit evaluates, in 0..1 (for the model, one
    minus its probability of being neutral): a unit that evaluates weighs more
    than one that only narrates; later units weigh more
    (from 1 to 1 + ``POSITION_SLOPE``), and the conclusion, the last unit that
    is not a closing formula (``courtesy``), ``CONCLUSION_WEIGHT`` times more.
    Closing formulas weigh as little as a neutral unit.
    """
    n = len(evaluative)
    if n == 1:
        return np.ones(1)
    courtesy = np.zeros(n, dtype=bool) if courtesy is None else courtesy
    position = 1.0 + POSITION_SLOPE * np.arange(n) / (n - 1)
    told = np.where(~courtesy)[0]
    if len(told):
        position[told[-1]] *= CONCLUSION_WEIGHT
    floor = np.where(courtesy, NEUTRAL_FLOOR, np.maximum(evaluative, NEUTRAL_FLOOR))
    return np.asarray(position * floor)


def combine_feelings(
    sentiment: np.ndarray,
    grades: np.ndarray,
    units: Sequence[str] | None = None,
    evaluative: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """One text's sentiment probabilities and grade from its units' (see ``unit_weights``).

    ``evaluative`` defaults to one minus each unit's neutral probability.
    """
    courtesy = np.asarray([is_courtesy(u) for u in units]) if units is not None else None
    if evaluative is None:
        evaluative = 1.0 - sentiment[:, 1]
    weights = unit_weights(evaluative, courtesy)
    weights = weights / weights.sum()
    probs = weights @ sentiment
    return np.asarray(probs / probs.sum()), float(weights @ grades)


NAMED_SCORE = 0.9  # the score of a feeling the answer names outright


def named_matrix(texts: Sequence[str], emotions: Sequence[str]) -> np.ndarray:
    """0/1 per text and emotion: the feelings each text names outright (``named_feelings``)."""
    from cjm_interview.nlp.lexicon import named_feelings  # lexicon reads this module

    rows = [named_feelings(t) for t in texts]
    return np.asarray([[e in row for e in emotions] for row in rows], dtype=np.float32)


def combine_emotions(
    probs: np.ndarray, thresholds: np.ndarray, limit: int = 3, named: np.ndarray | None = None
) -> dict[int, tuple[float, int]]:
    """Emotion index -> (score, unit that shows it most), the ``limit`` strongest over threshold.

    ``named`` (units x emotions, 0/1) marks feelings a unit names outright
    ("furious", "relieved"): they count with at least ``NAMED_SCORE``.
    """
    if named is not None:
        probs = np.maximum(probs, named * NAMED_SCORE)
    best_unit = probs.argmax(axis=0)
    best = probs.max(axis=0)
    found = {
        j: (float(best[j]), int(best_unit[j]))
        for j in range(probs.shape[1])
        if best[j] >= thresholds[j]
    }
    ranked = sorted(found.items(), key=lambda kv: -kv[1][0])[:limit]
    return dict(ranked)


def mean_vector(vectors: np.ndarray) -> np.ndarray:
    """The unit-length mean of a long text's sentence vectors: its vector for alignment."""
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return np.asarray(mean / norm if norm else mean, dtype=np.float32)


# ------------------------------------------------------------------ results
EVIDENCE_CHARS = 200


def reading_extra(
    reading: Reading, channel_units: dict[str, int], emotion_units: dict[str, int]
) -> dict[str, object]:
    """What a result says about how it was read, with the sentence behind each tag.

    ``language``; ``language_expected`` when the session's differs;
    ``sentences`` read one by one (1: read whole); ``evidence``: for each
    touchpoint and emotion, the sentence that shows it.
    """
    extra: dict[str, object] = {"language": reading.language, "sentences": len(reading.units)}
    if reading.mismatch:
        extra["language_expected"] = reading.expected

    # A text read whole: its channel cues, read once, point at the sentence of each channel.
    cues = (
        [c for c in channel_cues(reading.text, reading.language) if c.blocked is None]
        if reading.whole and channel_units
        else []
    )

    def quote(unit: int, channel: str | None = None) -> str:
        if not reading.whole:
            return reading.units[unit].text[:EVIDENCE_CHARS]
        shown = [c for c in cues if c.channel == channel]
        if shown:  # the sentence of the strongest cue
            cue = max(shown, key=lambda c: c.strength)
            return reading.sentences[cue.sentence].text[:EVIDENCE_CHARS]
        return reading.text[:EVIDENCE_CHARS]

    evidence = {f"touchpoint:{c}": quote(u, c) for c, u in channel_units.items()}
    evidence |= {f"emotion:{e}": quote(u) for e, u in emotion_units.items()}
    if evidence:
        extra["evidence"] = evidence
    return extra


def other_language(
    reading: Reading, embedding: bytes | None = None, embedding_model: str | None = None
) -> TagResult:
    """The result of a text not in English: the French reader's tags, or none and why."""
    from cjm_interview.nlp.french import tag_french

    extra: dict[str, object] = {"language": reading.language}
    if reading.mismatch:
        extra["language_expected"] = reading.expected
    if reading.unavailable:
        return TagResult.unavailable(
            reading.unavailable, extra, embedding=embedding, embedding_model=embedding_model
        )
    result = tag_french(reading.text)
    return replace(
        result,
        extra={**result.extra, **extra},
        embedding=embedding,
        embedding_model=embedding_model,
    )
