"""The embedding tagger on answers as people give them: long ones, named feelings, French."""

from __future__ import annotations

import numpy as np
import pytest

from tests.nlp.test_longtext import STORY as PLAIN_STORY

pytestmark = pytest.mark.slow

# The lexicon tests' story with a sentence on the website (a weak cue: the head decides).
STORY = PLAIN_STORY.replace(
    "Eventually",
    "Their website says the fee only applies to business accounts, which mine is not. Eventually",
)


@pytest.fixture(scope="module")
def model():
    from cjm_interview.nlp.embedding import EmbeddingTagger

    return EmbeddingTagger.load()


def test_a_long_answer_is_read_sentence_by_sentence(model) -> None:
    result = model.tag_batch([STORY])[0]
    assert result.extra["sentences"] == 9
    # Channels from the sentences that show them, and only those.
    assert set(result.touchpoints) == {"phone", "in_person", "web", "mail"}
    assert result.extra["evidence"]["touchpoint:mail"].startswith("Eventually they sent me")
    # The verdict, not the polite closing, sets the sentiment.
    assert result.sentiment == "negative" and result.grade < 4.5
    vector = np.frombuffer(result.embedding, dtype="<f4")
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3


@pytest.mark.parametrize(
    ("text", "channels"),
    [
        ("I was on video calls all day so I did it at lunch", set()),
        ("The cabin crew were serving coffee and were lovely", set()),
        ("I rang the helpline and waited ages", {"phone"}),
        ("She told me to ring the fraud line but I never did", set()),
    ],
)
def test_channels_only_when_used(model, text: str, channels: set[str]) -> None:
    assert set(model.tag_batch([text])[0].touchpoints) == channels


def test_named_feelings(model) -> None:
    angry, curious, surprised, waited = model.tag_batch(
        [
            "Furious and stressed... the whole thing was infuriating",
            "Curious",
            "Only 5 minutes wait, pleasantly surprised",
            "I rang the helpline and waited ages",
        ]
    )
    assert "anger" in angry.emotions and angry.sentiment == "negative"
    assert "anger" not in curious.emotions
    assert "frustration" not in surprised.emotions and surprised.sentiment == "positive"
    assert {"relief", "delight"} & set(surprised.emotions)
    assert waited.sentiment == "negative" and "frustration" in waited.emotions


def test_one_word_feelings_across_the_range(model) -> None:
    # "Curious" is a training row (interview_one_word_feelings); "Optimistic" and
    # "Irritated" are in no training row on their own.
    curious, optimistic, irritated = model.tag_batch(["Curious", "Optimistic", "Irritated"])
    assert curious.sentiment == "neutral"
    assert optimistic.sentiment == "positive" and irritated.sentiment == "negative"


@pytest.mark.xfail(
    strict=True,
    reason="unseen one-word 'Uncertain' and 'Indifferent' read negative (0.57, 0.92): the"
    " rated posts, where doubt is rated below neutral, outweigh the interview convention",
)
@pytest.mark.parametrize("word", ["Uncertain", "Indifferent"])
def test_doubt_alone_is_neutral(model, word: str) -> None:
    assert model.tag_batch([word])[0].sentiment == "neutral"


def test_a_french_answer_is_read_in_french(model) -> None:
    result = model.tag_batch(["J'ai appelé au téléphone puis je suis allée à l'agence"], "fr")[0]
    assert result.model == "lexicon-fr" and result.extra["language"] == "fr"
    assert set(result.touchpoints) == {"phone", "in_person"}
    assert result.embedding is not None  # the step still aligns in the map
