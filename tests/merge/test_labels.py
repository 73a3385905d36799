"""What a moment's label says: what members did, not how long it took or what the law says."""

from __future__ import annotations

import pytest

from cjm_interview.map.journeys import Step
from cjm_interview.map.labels import clause_form, moment_label


def _steps(told: list[tuple[str, int]]) -> list[Step]:
    return [
        Step(f"s{i}", 1, 0, 0.5, text, i, fields={"step.grade": grade})
        for i, (text, grade) in enumerate(told)
    ]


@pytest.mark.parametrize(
    "clause",
    [
        "I called the bank",
        "Called the bank about the fee",  # an interview answer: the teller is not named
        "They refused to refund me",
        "The bank manager refused",
        "Acme removed the account",
        "I was told to wait",
        "I have not received the card",
        "Please remove this account",
        "This company sent me a letter",
    ],
)
def test_an_actor_doing_something_reads_as_a_label(clause: str) -> None:
    assert clause_form(clause) == 1.0


@pytest.mark.parametrize(
    "clause",
    [
        "It has been over 45 days",  # time that passed, not a step
        "Weeks have passed",
        "Thirty day period has elapsed",
        "There are many mistakes",  # a state
        "This is not my account",
        "I am a victim of fraud",
        "I'm tired of them",
        "How is it that they can do this?",  # a question
        "I believe this is illegal",  # an opinion
        "Under the act they must respond",  # a cited rule
        "claiming that I owe",  # the middle of a sentence
        "Attached please find",  # a letter's formula
        "Called again ( ) @",  # what masking left
        "THEY MUST DELETE THIS NOW",  # capitals
        "Installation visit at the house",  # a thing named, no act
    ],
)
def test_time_states_opinions_questions_and_fragments_read_worse(clause: str) -> None:
    assert clause_form(clause) <= 0.0


def test_a_span_of_time_never_heads_a_moment_however_often_it_is_told() -> None:
    steps = _steps(
        [
            ("It has been 45 days", 2),
            ("It has been 60 days", 2),
            ("It has been 90 days", 3),
            ("I wrote to the bank about the fee", 2),
            ("I wrote to them again", 2),
        ]
    )
    assert moment_label(steps).startswith("I wrote to")


def test_an_act_heads_a_moment_over_a_more_central_state_or_question() -> None:
    steps = _steps(
        [
            ("There are mistakes on my report", 3),
            ("Why are there mistakes on my report?", 3),
            ("I disputed the mistakes on my report", 2),
        ]
    )
    assert moment_label(steps) == "I disputed the mistakes on my report"


def test_an_act_from_the_other_side_of_the_scale_still_never_heads_a_moment() -> None:
    # The act is told only by the one member who graded it well: the label stays with
    # what most members said, even as a state.
    steps = _steps(
        [
            ("The fee is wrong", 2),
            ("The fee is far too high", 1),
            ("The fee is unexplained", 2),
            ("They refunded the fee at once", 9),
        ]
    )
    assert "refunded" not in moment_label(steps)
