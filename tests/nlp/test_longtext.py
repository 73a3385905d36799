"""Long answers read sentence by sentence, languages, and how the units' tags combine."""

from __future__ import annotations

import numpy as np
import pytest

from cjm_interview.nlp.base import TagResult
from cjm_interview.nlp.lexicon import LexiconTagger, named_feelings
from cjm_interview.nlp.longtext import (
    LONG_WORDS,
    ChannelThresholds,
    channel_state,
    combine_emotions,
    combine_feelings,
    decide_channels,
    is_courtesy,
    mean_vector,
    read,
)
from cjm_interview.nlp.sentences import detect_language, split_sentences

STORY = (
    "In March I opened an account with them and everything seemed fine at first. "
    "Two months later a fee appeared on my statement that nobody had mentioned. "
    "I called the bank twice and each time the person said it would be refunded. "
    "Nothing happened, so in June I went to the branch with my statements. "
    "The manager there was polite but could not explain it either. "
    "Eventually they sent me a letter saying the fee was correct after all. "
    "I am still out of pocket and I feel completely ignored. "
    "Thank you for your help."
)


def test_sentences_keep_abbreviations_and_offsets() -> None:
    text = "Mr. Smith called on 3 May. I said no! Then the U.S. branch wrote back."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Mr. Smith called on 3 May.",
        "I said no!",
        "Then the U.S. branch wrote back.",
    ]
    assert all(text[s.start : s.start + len(s.text)] == s.text for s in sentences)


def test_short_answers_are_read_whole_and_long_ones_by_sentence() -> None:
    assert read("I rang them. Waited ages.").whole
    long = read(STORY)
    assert len(STORY.split()) > LONG_WORDS
    assert len(long.units) == 8 and not long.whole


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I rang the helpline and waited ages", "en"),
        ("J'ai appelé le service client et j'ai attendu une heure", "fr"),
        ("Super service, merci beaucoup pour votre aide", "fr"),
        ("Ich habe die Bank angerufen und es war nicht gut", "de"),
        ("ok", None),
    ],
)
def test_language_by_function_words(text: str, language: str | None) -> None:
    assert detect_language(text) == language


def test_the_session_language_decides_unless_the_text_says_otherwise() -> None:
    assert read("téléphone", "fr").language == "fr"  # too short to tell: the session's
    assert read("ok", None).language == "en"
    mismatch = read("J'ai appelé l'agence, personne ne répond", "en")
    assert mismatch.language == "fr" and mismatch.mismatch


def test_channels_come_from_any_sentence_that_shows_one() -> None:
    result = LexiconTagger().tag_text(STORY)
    assert set(result.touchpoints) == {"phone", "in_person", "mail"}
    evidence = result.extra["evidence"]
    assert evidence["touchpoint:phone"].startswith("I called the bank twice")
    assert evidence["touchpoint:mail"].startswith("Eventually they sent me a letter")
    assert result.extra["sentences"] == 8


def test_decide_channels_combines_rules_and_model() -> None:
    # Units x channels x [counted cue, weak cue, cancelled cue].
    state = np.zeros((3, 4, 3), dtype=np.float32)
    state[0, 0, 0] = 0.9  # a counted cue
    state[1, 1, 1] = 0.4  # a weak cue only
    state[2, 2, 2] = 1.0  # a cancelled cue ("never called")
    probs = np.asarray(
        [[0.2, 0.1, 0.1, 0.1], [0.1, 0.8, 0.1, 0.1], [0.1, 0.1, 0.99, 0.97]], dtype=np.float32
    )
    never = (2.0,) * 4
    thresholds = ChannelThresholds(0.05, (0.9, 0.7, 0.5, 0.9), (0.95, 0.95, 0.5, 0.95), never)
    found = decide_channels(state, probs, thresholds)
    # Counted cue: kept; weak cue and the model agreeing: kept; cancelled cue: not even
    # when the model is sure; no cue and the model sure: kept.
    assert {j: unit for j, (_, unit) in found.items()} == {0: 0, 1: 1, 3: 2}
    assert decide_channels(state, None, ChannelThresholds.rules_only(4)).keys() == {0}
    # A model the cue's cancelling may be overruled by, where the thresholds allow it.
    lenient = ChannelThresholds(0.05, (0.9,) * 4, (0.95,) * 4, (0.9, 0.9, 0.98, 0.9))
    assert 2 in decide_channels(state, probs, lenient)
    # The model may veto a counted cue.
    assert 0 not in decide_channels(state, probs, ChannelThresholds(0.5, never, never, never))


def test_a_sure_head_does_not_add_the_regulators_site() -> None:
    # Reporting to the regulator's site is the complaint's own medium: its cue is cancelled
    # for good, where a third party's cue may still be overruled by a very sure head.
    channels = ("web", "phone")
    state = channel_state("I have reported your company to consumerfinance.gov", channels)
    assert state[0, 2] == 2.0
    sure = np.asarray([[0.99, 0.0]], dtype=np.float32)
    lenient = ChannelThresholds(0.0, (2.0,) * 2, (2.0,) * 2, (0.9,) * 2)
    assert decide_channels(state[None], sure, lenient) == {}


def test_sentiment_leans_on_evaluative_sentences_and_the_conclusion() -> None:
    narrate = [0.1, 0.8, 0.1]
    units = ["I went in on Monday.", "It was a good chat.", "It was a disaster.", "Thanks."]
    sentiment = np.asarray([narrate, [0.05, 0.15, 0.8], [0.8, 0.15, 0.05], [0.05, 0.1, 0.85]])
    grades = np.asarray([5.0, 8.0, 2.0, 8.5])
    probs, grade = combine_feelings(sentiment, grades, units)
    # The verdict, not the polite closing or the narration, carries it.
    assert probs.argmax() == 0 and grade < 5
    assert is_courtesy("Thank you for your help.") and not is_courtesy("Thank you for nothing.")
    # The same sentences the other way round end on praise.
    probs, grade = combine_feelings(sentiment[[0, 2, 1]], grades[[0, 2, 1]], units[:3])
    assert probs.argmax() == 2 and grade > 5


def test_emotions_keep_the_sentence_that_shows_them() -> None:
    probs = np.asarray([[0.9, 0.1, 0.2], [0.3, 0.8, 0.1], [0.4, 0.7, 0.6]])
    found = combine_emotions(probs, np.asarray([0.5, 0.5, 0.5]), limit=2)
    assert found == {0: (0.9, 0), 1: (0.8, 1)}
    # A feeling a sentence names outright counts, whatever the head made of it.
    named = np.asarray([[0, 0, 0], [0, 0, 0], [0, 0, 1]], dtype=np.float32)
    found = combine_emotions(probs * 0.1, np.asarray([0.5, 0.5, 0.5]), named=named)
    assert list(found) == [2] and found[2][1] == 2 and found[2][0] == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Furious and stressed... the whole thing was infuriating", {"anger", "anxiety"}),
        ("I was not worried at all", set()),
        ("Curious", set()),
        ("pleasantly surprised, what a relief", {"delight", "relief"}),
    ],
)
def test_feelings_named_outright(text: str, named: set[str]) -> None:
    assert named_feelings(text) == named


def test_the_vector_of_a_long_answer_is_the_mean_of_its_sentences() -> None:
    vectors = np.asarray([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    assert np.allclose(mean_vector(vectors), [2**-0.5, 2**-0.5])


def test_a_french_answer_is_never_read_as_english() -> None:
    result = LexiconTagger().tag_text("J'ai appelé l'agence trois fois, personne ne répond", "en")
    assert result.model == "lexicon-fr"
    assert result.extra["language"] == "fr" and result.extra["language_expected"] == "en"
    assert result.sentiment == "negative" and set(result.touchpoints) == {"phone", "in_person"}


def test_a_language_no_tagger_reads_gets_no_tags_and_says_why() -> None:
    result = LexiconTagger().tag_text("Ich habe die Bank angerufen und es war nicht gut")
    assert result.to_tags() == []
    assert "German" in (result.unavailable_reason or "")
    line = result.to_json("1")
    assert line["sentiment"] is None and line["unavailable"] == result.unavailable_reason


def test_results_round_trip_through_json_with_their_extra_fields() -> None:
    result = LexiconTagger().tag_text(STORY)
    back = TagResult.from_json(result.to_json("7"))
    assert back.sentiment == result.sentiment and back.touchpoints == result.touchpoints
    assert back.extra["evidence"] == result.extra["evidence"]


def test_abbreviations_are_read_at_the_end_of_each_piece_only(monkeypatch) -> None:
    """Each full stop searched the whole text since the last sentence for an abbreviation:
    10,000 characters of "a. a. a." (every one an abbreviation) took 19 s to split, an
    answer of 20,000 over a minute to import."""
    from cjm_interview.nlp import sentences

    read = []
    pattern = sentences._ABBREVIATIONS

    class Counting:
        def search(self, text: str, pos: int = 0, endpos: int | None = None):
            end = len(text) if endpos is None else endpos
            read.append(end - pos)
            return pattern.search(text, pos, end)

    monkeypatch.setattr(sentences, "_ABBREVIATIONS", Counting())
    text = "a. " * 3_000 + "The end. Mr. Smith came."
    assert [s.text for s in split_sentences(text)][-2:] == [
        "a. " * 2_999 + "a. The end.",
        "Mr. Smith came.",
    ]
    assert len(read) >= 3_000 and max(read) <= 16


def test_a_run_of_stops_or_spaces_is_read_from_its_first_character() -> None:
    """A run of 10,000 dots not followed by a space was searched from each of its characters,
    to its end each time (5 s to tag; 21 s to import an answer of them), and so was a run of
    spaces in a long sentence. A match may now begin only where a run begins."""
    from cjm_interview.nlp import sentences

    for pattern, text in (
        (sentences._END, "x" + "." * 50 + " y"),
        (sentences._CLAUSE_BREAK, "x" + " " * 50 + "but y"),
    ):
        assert pattern.match(text, 1) is not None
        assert [i for i in range(2, 51) if pattern.match(text, i) is not None] == []
