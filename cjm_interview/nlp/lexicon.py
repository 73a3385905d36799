"""The lexicon tagger: VADER sentiment, keyword emotions and channel rules. No torch.

Used when the model is not installed or still loading, and in fast tests.
It implements the same Tagger protocol as the embedding tagger.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from cjm_interview.nlp.base import TagResult
from cjm_interview.nlp.channels import RULE_THRESHOLD, channel_cues, detect_channels
from cjm_interview.nlp.longtext import other_language, read, reading_extra

NAME = "lexicon"
NEUTRAL_BAND = 0.15
VERSION = "1.1"

EMOTION_WORDS: dict[str, str] = {
    "frustration": r"frustrat\w*|annoy\w*|irritat\w*|fed up|sick of|tired of|hassle|pain in|"
    r"ridiculous|waste of time|again and again|kept (?:me )?waiting|round in circles|"
    r"going in circles|pointless|useless|nightmare|waited (?:for )?ages|waiting (?:for )?ages|"
    r"took (?:ages|forever)|on hold for (?:ages|hours|an hour)",
    "anxiety": r"worr\w*|anxious|anxiety|nervous|stress\w*|scared|afraid|panic\w*|uneasy|"
    r"uncertain|not sure (?:if|whether)|on edge|dread\w*|fear\w*",
    "confusion": r"confus\w*|didn'?t understand|did not understand|no idea|unclear|"
    r"didn'?t know (?:what|where|how|who|if)|made no sense|lost|puzzl\w*|baffl\w*|which one|"
    r"couldn'?t figure|could not figure|complicated|jargon",
    "disappointment": r"disappoint\w*|let down|expected (?:more|better)|shame|pity|"
    r"not what i expected|underwhelm\w*|hoped for more|meh",
    "anger": r"angry|anger|furious|livid|outrag\w*|fuming|infuriat\w*|maddening|seething|"
    r"incensed|raging|disgust\w*|appall\w*|unacceptable|"
    r"disgrace\w*|rude|insult\w*|never again|scam|rip-?off",
    # "Finally" alone tells a step came late ("I finally went to the shop in town"), not
    # that a weight lifted: it counts when something came right ("finally sorted", "finally
    # got through") or when it is the cry itself ("Finally!", "FINALLY 🎉", "Reassured, finally").
    "relief": r"relie(?:f|ved)|at last|phew|thank (?:god|goodness|heavens)|thankfully|"
    r"weight off|sorted(?: out)? in the end|glad it(?:'s| was) over|"
    r"finally(?= ?(?:!|[^\w\s,.;:?]))|"
    r"(?:^|(?<=[.!?] ))\W*(?:[\w'-]+\W+){0,2}finally(?=\W*$)|"
    r"finally (?:[\w'-]+ ){0,3}?(?:work(?:s|ed|ing)?|sorted|fix(?:ed|ing)?|resolved|solved|"
    r"arrived|turned up|came|answered|replied|responded|refund(?:ed)?|approved|paid|"
    r"understand|understood|listened|helped|delivered|restored|unblocked|unlocked|cleared|"
    r"(?:got|get|came|come|went|gone) through|good news|"
    r"got (?:it|my|somewhere|an answer|a (?:reply|response|refund|callback|call back|answer))|"
    r"(?:'s|is|was|are|were|be) back|on (?:its|my|our|their) way)|"
    r"finally (?:over|done|here|home|in stock|open)",
    "delight": r"delight\w*|amazing|brilliant|fantastic|wonderful|love[d]?|loving|"
    r"impressed|exceeded|above and beyond|pleasant(?:ly)? surprise\w*|wow|superb|excellent|"
    r"perfect|over the moon|thrilled",
    "trust": r"trust(?:ed|ing|worthy|s)?|reliable|confiden\w*|reassur\w*|safe|secure|in good hands|"
    r"could count on|honest|transparent|kept me (?:informed|updated)|knew what they were doing",
}
_EMOTIONS = {k: re.compile(rf"\b(?:{v})\b", re.IGNORECASE) for k, v in EMOTION_WORDS.items()}
# Feelings named outright ("I was furious"): the speaker says which, and the model's
# guess gives way. Narrower than EMOTION_WORDS, which also holds hints ("finally", "lost").
NAMED_FEELINGS: dict[str, str] = {
    "anger": r"angry|furious|livid|fuming|infuriat\w*|outraged|enraged|seething|incensed|"
    r"made my blood boil|disgusted",
    "anxiety": r"worried|anxious|nervous|scared|afraid|stressed|panick(?:ed|ing|y)|on edge|uneasy",
    "frustration": r"frustrat\w*|annoyed|irritated|fed up|exasperated",
    "confusion": r"confused|baffled|puzzled|bewildered",
    "disappointment": r"disappointed|let down|gutted",
    "relief": r"relieved|(?:a|what a|such a) relief|phew",
    "delight": r"delighted|thrilled|over the moon|pleasantly surprised|chuffed|overjoyed",
    "trust": r"reassured|felt (?:safe|in good hands)",
}
_NAMED = {k: re.compile(rf"\b(?:{v})\b", re.IGNORECASE) for k, v in NAMED_FEELINGS.items()}
_NOT_FELT = re.compile(
    r"\b(?:not|never|no|wasn'?t|weren'?t|isn'?t|didn'?t feel|without|no need to be)\s+"
    r"(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)


def banded(compound: float) -> tuple[str, dict[str, float], float]:
    """Sentiment, its three probabilities and a 0-10 grade from a compound score in -1..1."""
    # A wider neutral band than VADER's 0.05: interview answers are full of
    # factual steps that VADER nudges one way by a single word.
    if compound >= NEUTRAL_BAND:
        sentiment = "positive"
    elif compound <= -NEUTRAL_BAND:
        sentiment = "negative"
    else:
        sentiment = "neutral"
    # Spread the certainty over the three classes.
    strength = min(1.0, abs(compound) + 0.35)
    probs = dict.fromkeys(("negative", "neutral", "positive"), (1.0 - strength) / 2)
    probs[sentiment] = strength
    return sentiment, probs, round(max(0.0, min(10.0, 5.5 + 4.5 * compound)), 2)


def named_feelings(text: str) -> set[str]:
    """The emotions ``text`` names outright and does not deny ("not worried" is not anxiety)."""
    found = set()
    for emotion, pattern in _NAMED.items():
        for match in pattern.finditer(text):
            if not _NOT_FELT.search(text[max(0, match.start() - 30) : match.start()]):
                found.add(emotion)
                break
    return found


_NEGATED_POSITIVE = re.compile(
    r"\b(?:not|never|no|hardly|barely)\s+(?:very\s+|that\s+|so\s+|really\s+)?"
    r"(?:amazing|brilliant|great|good|helpful|easy|clear|reassuring|reliable|impressed)\b",
    re.IGNORECASE,
)
# Service-experience cues VADER's general lexicon misses.
_DOMAIN_NEGATIVE = re.compile(
    r"\b(?:on hold for|held for|wait(?:ed|ing)? (?:for )?(?:over |almost |nearly )?(?:an? |\d+ |"
    r"two |three |four |five |six |several )(?:hours?|days?|weeks?|months?|minutes?)|"
    r"still waiting|never (?:heard|got|received|came|arrived|replied|called)|no (?:response|reply|"
    r"answer|one (?:answered|called|replied)|call ?back)|nobody (?:answered|called|replied|knew)|"
    r"kept (?:me )?waiting|had to (?:chase|call again|repeat|explain again)|chas(?:e|ed|ing) "
    r"(?:them|it|up)|went missing|got lost|lost my|cancel+ed (?:on me|without)|overcharged|"
    r"charged twice|double charged|wrong (?:address|amount|bill|item|form)|error message|"
    r"crash(?:ed|es|ing)|froze|kept failing|didn'?t work|doesn'?t work|not working|broken|"
    r"couldn'?t find|could not find|impossible to find|hard to find|"
    r"passed (?:around|from pillar)|transferred (?:\w+ )?times|took forever|ages)\b",
    re.IGNORECASE,
)
_DOMAIN_POSITIVE = re.compile(
    r"\b(?:quick(?:ly)?|easy|easily|straightforward|smooth(?:ly)?|sorted|no (?:problems?|issues?|"
    r"hassle|complaints)|hassle[- ]free|painless|in no time|within minutes|same day|on time|"
    r"went well|worked (?:first time|fine|well)|spot on|helpful|friendly|kind|patient|"
    r"went out of (?:his|her|their) way|can'?t fault|couldn'?t fault)\b",
    re.IGNORECASE,
)

# How long something took: a long wait reads as negative even when told flatly ("the wait
# was 45 minutes"), a short one as good ("done in five minutes").
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
    "half an": 0.5, "a couple of": 2, "a few": 3, "several": 4,
}  # fmt: skip
_UNIT_MINUTES = {"sec": 1 / 60, "min": 1, "hour": 60, "hr": 60, "day": 1440, "week": 10080,
                 "month": 43200}  # fmt: skip
_DURATION = re.compile(
    r"\b(?P<lead>only|just|under|less than|within|in|after|over|more than|nearly|almost|"
    r"about|around)?\s*(?P<n>\d+(?:\.\d+)?|"
    + "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))
    + r")[\s-]*(?P<unit>sec|min|hour|hr|day|week|month)\w*",
    re.IGNORECASE,
)
_WAITING = re.compile(
    r"\b(?:wait\w*|queue\w*|hold|held|delay\w*|took|take[ns]?|taking|late|stuck|sat|stood|"
    r"standing|sitting|done|sorted|fixed|seen|served|through|ready|arrived|came|back)\b",
    re.IGNORECASE,
)


def duration_cues(text: str) -> tuple[int, int]:
    """(long waits, short ones) told in ``text``: 30 minutes or more, or ten or less."""
    long = short = 0
    for match in _DURATION.finditer(text):
        near = text[max(0, match.start() - 30) : match.end() + 30]
        if not _WAITING.search(near):
            continue
        raw = match.group("n").lower()
        number = float(raw) if raw[0].isdigit() else _NUMBER_WORDS[raw]
        minutes = number * _UNIT_MINUTES[match.group("unit").lower()]
        lead = (match.group("lead") or "").lower()
        quick = lead in ("only", "just", "under", "less than", "within", "in") and minutes <= 15
        if quick or (minutes <= 10 and lead not in ("over", "more than", "after")):
            short += 1
        elif minutes >= 30 and lead not in ("only", "just", "under", "less than", "within"):
            long += 1
    return long, short


# Sarcasm markers: praise next to an obviously bad event.
_SARCASM = re.compile(
    r"\b(?:oh\s+)?(?:great|brilliant|fantastic|wonderful|perfect|just what i needed|love it when|"
    r"thanks a lot|cheers for that|well done)\b[^.!?]{0,60}\b(?:hold|wait\w*|again|delay\w*|"
    r"cancel\w*|lost|broke\w*|nobody|no one|never|"
    r"(?:another|\d+|an?|two|three|four|five)\s+(?:hours?|minutes?|days?|weeks?))\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


# "Pretty" before another word is a degree, as "quite" is: VADER's lexicon reads it as the
# adjective (+2.2), so "it was pretty bad" came out neutral.
_PRETTY_DEGREE = re.compile(r"\bpretty(?=\s+[a-z])", re.IGNORECASE)


def vader_scores(text: str) -> dict[str, float]:
    """VADER's neg/neu/pos/compound for a text, as the model's heads learnt them."""
    return dict(_vader().polarity_scores(text))


def degree_read_vader(text: str) -> dict[str, float]:
    """VADER's scores with "pretty" before a word read as a degree ("pretty bad"), for the
    lexicon tagger. The model's heads keep ``vader_scores``: they learnt from VADER's own
    reading, and with this one in their features they read the project's held-out answers'
    emotions a little worse (micro-F1 0.676 -> 0.673)."""
    return vader_scores(_PRETTY_DEGREE.sub("quite", text))


class LexiconTagger:
    """Keyword and lexicon tagger: fast, dependable, no model."""

    name = NAME
    version = VERSION

    def tag_batch(self, texts: Sequence[str], language: str | None = None) -> list[TagResult]:
        """Tag each text; ``language`` is the session's, if known."""
        return [self.tag_text(text, language) for text in texts]

    def tag_text(self, text: str, language: str | None = None) -> TagResult:
        """Tag one text as ``nlp/longtext.py`` reads it: whole, or sentence by sentence."""
        reading = read(text, language)
        if reading.unavailable or reading.language == "fr":
            return other_language(reading)
        cues = [c for c in channel_cues(text) if c.blocked is None and c.strength >= RULE_THRESHOLD]
        channel_units = {c.channel: c.sentence for c in sorted(cues, key=lambda c: c.strength)}
        # VADER reads a whole text without cutting it, so sentiment and grade come
        # from the whole; each emotion is kept with the first sentence that shows it.
        result = self.tag_one(text)
        emotion_units: dict[str, int] = {}
        for unit, sentence in enumerate(reading.units):
            for emotion in result.emotions:
                if _EMOTIONS[emotion].search(sentence.text):
                    emotion_units.setdefault(emotion, unit)
        return replace(result, extra=reading_extra(reading, channel_units, emotion_units))

    def tag_one(self, text: str) -> TagResult:
        """Tag one text."""
        scores = degree_read_vader(text)
        compound = scores["compound"]
        long, short = duration_cues(text)
        bad = len(_DOMAIN_NEGATIVE.findall(text)) + long
        good = len(_DOMAIN_POSITIVE.findall(text)) + short
        compound = max(-1.0, min(1.0, compound + 0.3 * good - 0.35 * bad))
        if _SARCASM.search(text) or _NEGATED_POSITIVE.search(text):
            compound = min(compound, -0.3)
        emotions = {e: 0.7 for e, pattern in _EMOTIONS.items() if pattern.search(text)}
        negative_emotions = {"frustration", "anxiety", "confusion", "disappointment", "anger"}
        if (
            compound > -0.05
            and emotions.keys() & negative_emotions
            and not (emotions.keys() & {"relief", "delight", "trust"})
        ):
            compound = min(compound, -0.25)
        sentiment, probs, grade = banded(compound)
        return TagResult(
            sentiment=sentiment,
            sentiment_scores=probs,
            grade=grade,
            touchpoints=detect_channels(text),
            emotions=emotions,
            model=NAME,
            version=VERSION,
        )
