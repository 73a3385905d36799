"""The lexicon tagger: VADER sentiment, keyword emotions and channel rules. No torch.

Used when the model is not installed or still loading, and in fast tests.
It implements the same Tagger protocol as the embedding tagger.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from cjm_interview.nlp.base import TagResult
from cjm_interview.nlp.channels import detect_channels

NAME = "lexicon"
NEUTRAL_BAND = 0.15
VERSION = "1.0"

EMOTION_WORDS: dict[str, str] = {
    "frustration": r"frustrat\w*|annoy\w*|irritat\w*|fed up|sick of|tired of|hassle|pain in|"
    r"ridiculous|waste of time|again and again|kept (?:me )?waiting|round in circles|"
    r"going in circles|pointless|useless|nightmare",
    "anxiety": r"worr\w*|anxious|anxiety|nervous|stress\w*|scared|afraid|panic\w*|uneasy|"
    r"uncertain|not sure (?:if|whether)|on edge|dread\w*|fear\w*",
    "confusion": r"confus\w*|didn'?t understand|did not understand|no idea|unclear|"
    r"didn'?t know (?:what|where|how|who|if)|made no sense|lost|puzzl\w*|baffl\w*|which one|"
    r"couldn'?t figure|could not figure|complicated|jargon",
    "disappointment": r"disappoint\w*|let down|expected (?:more|better)|shame|pity|"
    r"not what i expected|underwhelm\w*|hoped for more|meh",
    "anger": r"angry|anger|furious|livid|outrag\w*|fuming|disgust\w*|appall\w*|unacceptable|"
    r"disgrace\w*|rude|insult\w*|never again|scam|rip-?off",
    "relief": r"relie(?:f|ved)|finally|at last|phew|thank god|thankfully|weight off|"
    r"sorted(?: out)? in the end|glad it(?:'s| was) over",
    "delight": r"delight\w*|amazing|brilliant|fantastic|wonderful|love[d]?|loving|"
    r"impressed|exceeded|above and beyond|pleasant(?:ly)? surprise\w*|wow|superb|excellent|"
    r"perfect|over the moon|thrilled",
    "trust": r"trust(?:ed|ing|worthy|s)?|reliable|confiden\w*|reassur\w*|safe|secure|in good hands|"
    r"could count on|honest|transparent|kept me (?:informed|updated)|knew what they were doing",
}
_EMOTIONS = {k: re.compile(rf"\b(?:{v})\b", re.IGNORECASE) for k, v in EMOTION_WORDS.items()}
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


def vader_scores(text: str) -> dict[str, float]:
    """VADER's neg/neu/pos/compound for a text."""
    return dict(_vader().polarity_scores(text))


class LexiconTagger:
    """Keyword and lexicon tagger: fast, dependable, no model."""

    name = NAME
    version = VERSION

    def tag_batch(self, texts: Sequence[str]) -> list[TagResult]:
        """Tag each text."""
        return [self.tag_one(text) for text in texts]

    def tag_one(self, text: str) -> TagResult:
        """Tag one text."""
        scores = vader_scores(text)
        compound = scores["compound"]
        bad = len(_DOMAIN_NEGATIVE.findall(text))
        good = len(_DOMAIN_POSITIVE.findall(text))
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
        # A wider neutral band than VADER's 0.05: interview answers are full of
        # factual steps that VADER nudges one way by a single word.
        if compound >= NEUTRAL_BAND:
            sentiment = "positive"
        elif compound <= -NEUTRAL_BAND:
            sentiment = "negative"
        else:
            sentiment = "neutral"
        # Spread VADER's certainty over the three classes.
        strength = min(1.0, abs(compound) + 0.35)
        probs = {"negative": 0.0, "neutral": 0.0, "positive": 0.0}
        probs[sentiment] = strength
        rest = (1.0 - strength) / 2
        for key in probs:
            if key != sentiment:
                probs[key] = rest
        grade = round(max(0.0, min(10.0, 5.5 + 4.5 * compound)), 2)
        return TagResult(
            sentiment=sentiment,
            sentiment_scores=probs,
            grade=grade,
            touchpoints=detect_channels(text),
            emotions=emotions,
            model=NAME,
            version=VERSION,
        )
