"""The lexicon tagger and the channel rules."""

from __future__ import annotations

import pytest

from cjm_interview.nlp.base import Tagger
from cjm_interview.nlp.channels import detect_channels
from cjm_interview.nlp.lexicon import LexiconTagger
from cjm_interview.nlp.loader import ModelUnavailable, load_tagger


@pytest.mark.parametrize(
    ("text", "channels"),
    [
        ("I called the helpline and waited on hold", {"phone"}),
        ("Filled in the online form on their website", {"web"}),
        ("went to the branch and queued at the counter", {"in_person"}),
        ("they sent me a letter", {"mail"}),
        ("got a text message and replied on WhatsApp", {"chat"}),
        ("the engineer came round to fix the line", {"field"}),
        ("printed my ticket at the ticket machine", {"self_service"}),
        ("posted a review on trustpilot", {"social"}),
        ("booked it in their app then emailed them the receipt", {"app", "email"}),
        # Products and negations are not channel use.
        ("my phone screen cracked so I bought a new phone", set()),
        ("I couldn't find a phone number anywhere", set()),
        ("they built me a website for the shop", set()),
        ("I felt completely ignored", set()),
        ("I was moving house and needed internet set up", set()),
        ("my internet kept dropping out", set()),
        ("found their number on the internet", {"web"}),
        ("paid it through internet banking", {"web"}),
    ],
)
def test_channels(text: str, channels: set[str]) -> None:
    assert set(detect_channels(text)) == channels


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("quick and easy, the staff were lovely", "positive"),
        ("never heard back from them, awful", "negative"),
        ("Oh great, another hour on hold, just what I needed", "negative"),
        ("not bad at all", "positive"),
        ("the staff were not helpful", "negative"),
        ("I gave them my reference number", "neutral"),
    ],
)
def test_sentiment(text: str, sentiment: str) -> None:
    assert LexiconTagger().tag_one(text).sentiment == sentiment


def test_emotions_and_grade() -> None:
    result = LexiconTagger().tag_one("I was so worried and confused, nobody explained anything")
    assert {"anxiety", "confusion"} <= set(result.emotions)
    assert result.grade < 5
    happy = LexiconTagger().tag_one("Brilliant, sorted the same day, what a relief")
    assert happy.grade > 7 and "relief" in happy.emotions


@pytest.mark.parametrize(
    ("text", "relief"),
    [
        # "Finally" in a plain step only says it came late.
        ("I finally went to the shop in town", False),
        ("Finally, I filled in the form online", False),
        ("I went to the shop in town finally", False),
        # Something came right, or the word is the cry itself.
        ("It was finally sorted, what a relief", True),
        ("I finally got through after an hour, thank goodness", True),
        ("They finally answered after an hour", True),
        ("Finally!", True),
        ("The bill came out lower than the estimate. Finally.", True),
    ],
)
def test_finally_brings_relief_only_when_something_came_right(text: str, relief: bool) -> None:
    assert ("relief" in LexiconTagger().tag_one(text).emotions) is relief


def test_protocol_and_batch_order() -> None:
    tagger = LexiconTagger()
    assert isinstance(tagger, Tagger)
    texts = ["called them", "went online", "posted a letter"]
    results = tagger.tag_batch(texts)
    assert [list(r.touchpoints) for r in results] == [["phone"], ["web"], ["mail"]]
    tags = results[0].to_tags()
    assert {t.kind for t in tags} == {"sentiment", "grade", "touchpoint"}


def test_loader_falls_back_with_a_reason(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CJM_MODELS_DIR", str(tmp_path))  # no heads here
    monkeypatch.setattr("cjm_interview.taxonomy.models_dir", lambda: tmp_path)
    tagger = load_tagger("auto")
    assert tagger.name == "lexicon"
    assert "heads" in tagger.fallback_reason or "No such file" in tagger.fallback_reason
    with pytest.raises(ModelUnavailable):
        load_tagger("model")
    assert load_tagger("fallback").name == "lexicon"


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        # A long wait told flatly is a complaint; a short one is praise.
        ("The wait was 45 minutes.", "negative"),
        ("we queued for two hours", "negative"),
        ("it took three weeks to hear back", "negative"),
        ("done in five minutes", "positive"),
        ("only a 5 minute wait", "positive"),
        ("I called them 5 times", "neutral"),  # a count, not a duration
    ],
)
def test_waits_by_their_length(text: str, sentiment: str) -> None:
    assert LexiconTagger().tag_one(text).sentiment == sentiment


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        # "Pretty" before a word is a degree, not the adjective: VADER's +2.2 made
        # "pretty bad" neutral and "pretty sure" positive.
        ("It was pretty bad", "negative"),
        ("Pretty poor service overall", "negative"),
        ("I'm pretty sure they lost it", "negative"),
        ("pretty good service", "positive"),
        ("The view was pretty.", "positive"),
    ],
)
def test_pretty_as_a_degree(text: str, sentiment: str) -> None:
    assert LexiconTagger().tag_one(text).sentiment == sentiment


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("furious and stressed, it was infuriating", "anger"),
        ("I rang the helpline and waited ages", "frustration"),
        ("only 5 minutes wait, pleasantly surprised", "delight"),
    ],
)
def test_named_feelings(text: str, emotion: str) -> None:
    assert emotion in LexiconTagger().tag_one(text).emotions
