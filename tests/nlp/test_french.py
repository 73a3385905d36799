"""The French reader: sentiment, grade, emotions and channels of French answers."""

from __future__ import annotations

import pytest

from cjm_interview.nlp.french import tag_french


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("Très bien, la conseillère était très aimable", "positive"),
        ("Aucun problème, merci", "positive"),
        ("Ce n'est pas rapide du tout", "negative"),  # a good word turned round
        ("Je ne suis pas content", "negative"),
        ("Je n'ai jamais reçu la lettre", "negative"),  # the phrase holds its own negation
        ("Personne ne répond, c'est inadmissible", "negative"),
        ("J'ai rempli le formulaire et je l'ai déposé", "neutral"),
        ("C'était correct, sans plus", "neutral"),
    ],
)
def test_french_sentiment(text: str, sentiment: str) -> None:
    assert tag_french(text).sentiment == sentiment


def test_french_emotions_grade_and_channels() -> None:
    result = tag_french("Furieux et stressé : j'ai appelé trois fois, puis je suis allé à l'agence")
    assert {"anger", "anxiety"} <= set(result.emotions)
    assert set(result.touchpoints) == {"phone", "in_person"}
    assert result.grade < 4 and result.model == "lexicon-fr"
    assert tag_french("Ravie, tout était parfait").grade > 7


@pytest.mark.parametrize(
    ("text", "relief"),
    [
        ("Je suis enfin allé à l'agence en ville", False),  # late, not a weight lifted
        ("Enfin bref, j'ai rappelé le lendemain", False),  # a filler
        ("Le problème est enfin réglé, quel soulagement", True),
        ("J'ai enfin été remboursé après trois mois", True),
        ("Enfin !", True),
        ("Ils ont enfin répondu", True),
    ],
)
def test_enfin_brings_relief_only_when_something_came_right(text: str, relief: bool) -> None:
    assert ("relief" in tag_french(text).emotions) is relief
