"""Which phrasings show a moment first: the most said, then the most typical."""

from __future__ import annotations

from cjm_interview.map.summary import phrases


def test_answers_said_often_come_first_and_the_rest_in_the_order_given() -> None:
    texts = ["rang them", "called the helpline", "Called the  helpline", "phoned up", "rang them"]
    found = phrases(texts, 3)
    assert [p["count"] for p in found] == [2, 2, 1]
    assert [p["text"] for p in found] == ["rang them", "called the helpline", "phoned up"]


def test_a_pair_in_a_crowd_ranks_as_a_single_answer() -> None:
    # In a moment of 300 answers, the same text twice (one story sent twice) is chance:
    # the answers closest to the moment's centre, given first, show it.
    texts = ["I called the bank", "I rang them", *(f"I called them {i}" for i in range(296))]
    texts += ["Pasted boilerplate about a law", "Pasted boilerplate about a law"]
    found = phrases(texts, 3, least=3)
    assert [p["text"] for p in found] == ["I called the bank", "I rang them", "I called them 0"]
    assert phrases(texts, 1)[0]["text"] == "Pasted boilerplate about a law"  # counted as said
