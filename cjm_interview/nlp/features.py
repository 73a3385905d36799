"""Features for the model heads: the sentence embedding plus lexicon and channel cues.

The embedding carries meaning; VADER and the service-experience cues carry
polarity that a small corpus cannot teach; the channel rules carry the
negation-aware evidence for touchpoints. The heads learn how to weigh them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cjm_interview.grams import columns
from cjm_interview.nlp.base import SENTIMENTS
from cjm_interview.nlp.lexicon import (
    _DOMAIN_NEGATIVE,
    _DOMAIN_POSITIVE,
    _EMOTIONS,
    _NEGATED_POSITIVE,
    _SARCASM,
    LexiconTagger,
    duration_cues,
    vader_scores,
)
from cjm_interview.nlp.longtext import channel_state
from cjm_interview.taxonomy import default_taxonomy

LEXICON_FEATURES = [
    "vader_neg",
    "vader_neu",
    "vader_pos",
    "vader_compound",
    "lexicon_compound",
    "domain_negative",
    "domain_positive",
    "sarcasm",
    "negated_positive",
    "log_length",
    "question",
    "exclamation",
] + [f"emotion_{e}" for e in default_taxonomy().emotion_ids]
_LEXICON = LexiconTagger()


def lexicon_features(texts: Sequence[str]) -> np.ndarray:
    """One row of lexicon cues per text."""
    rows = []
    emotion_ids = default_taxonomy().emotion_ids
    for text in texts:
        vader = vader_scores(text)
        lex = _LEXICON.tag_one(text)
        waits = duration_cues(text)
        rows.append(
            [
                vader["neg"],
                vader["neu"],
                vader["pos"],
                vader["compound"],
                (lex.grade - 5.5) / 4.5,
                min(3, len(_DOMAIN_NEGATIVE.findall(text)) + waits[0]),
                min(3, len(_DOMAIN_POSITIVE.findall(text)) + waits[1]),
                float(bool(_SARCASM.search(text))),
                float(bool(_NEGATED_POSITIVE.search(text))),
                math.log1p(len(text.split())),
                float("?" in text),
                float("!" in text),
                *[float(bool(_EMOTIONS[e].search(text))) for e in emotion_ids],
            ]
        )
    return np.asarray(rows, dtype=np.float32)


def lexicon_sentiment(texts: Sequence[str]) -> np.ndarray:
    """The lexicon tagger's negative/neutral/positive probabilities, one row per text."""
    rows = [_LEXICON.tag_one(text).sentiment_scores for text in texts]
    return np.asarray([[row[s] for s in SENTIMENTS] for row in rows], dtype=np.float32)


def word_features(texts: Sequence[str], dim: int) -> np.ndarray:
    """Words and word pairs, hashed into ``dim`` columns (``grams.columns``), each row of
    unit length."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        found = columns(text, dim)
        if found:
            out[row, list(found)] = 1.0
            out[row] /= float(np.linalg.norm(out[row]))
    return out


def channel_features(texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
    """What the rules found in each text, per channel (``channel_state``), flattened."""
    ids = default_taxonomy().touchpoint_ids
    langs = languages or ["en"] * len(texts)
    rows = [channel_state(t, ids, lang).reshape(-1) for t, lang in zip(texts, langs, strict=True)]
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), 3 * len(ids))
