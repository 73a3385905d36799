"""What a moment's label says: what members did, not how long it took or what the law says."""

from __future__ import annotations

import json

import pytest

from cjm_interview.map.edits import apply_edits, stage_anchors
from cjm_interview.map.journeys import Step
from cjm_interview.map.labels import clause_form, clauses, moment_label
from cjm_interview.map.model import Stage, StepGroup


def _steps(told: list[tuple[str, int | None]], heard: list[str] | None = None) -> list[Step]:
    return [
        Step(
            f"s{i}", 1, 0, 0.5, text, i,
            fields={} if grade is None else {"step.grade": grade},
            sentiment={"step.action": heard[i]} if heard else {},
        )
        for i, (text, grade) in enumerate(told)
    ]  # fmt: skip


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
        "2018, took off a collection account",  # a date cut from its sentence
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


def test_an_act_heard_as_the_opposite_of_most_members_never_heads_a_moment() -> None:
    # No grades given or predicted: the tagger's sentiment of each step decides the side.
    told: list[tuple[str, int | None]] = [
        ("The fee is wrong", None),
        ("The fee is far too high", None),
        ("The fee is unexplained", None),
        ("They refunded the fee at once", None),
    ]
    heard = ["negative", "negative", "neutral", "positive"]
    label = moment_label(_steps(told, heard))
    assert "refunded" not in label and label.startswith("The fee")


def test_a_long_clause_ends_where_a_new_clause_begins() -> None:
    assert clauses("I called them and told them the card was not mine") == ["I called them"]
    assert clauses("She told me that when the letter came it was too late") == ["She told me"]
    # No place to end whole: cut at seven words as before.
    assert clauses("I contacted the Acme Bank call center about the fee") == [
        "I contacted the Acme Bank call center…"
    ]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I received the bill for over {$200.00} and it was wrong", "I received the bill"),
        ("I made payments of XXXX each month until XX/XX/XXXX", "I made payments"),
        ("I was charged approximately {$50.00} more than usual", "I was charged"),
        ("On XX/XX/XXXX, XXXX XXXX told me to wait", "told me to wait"),
        ("In XXXX of XXXX, I opened an account", "I opened an account"),
        ("I emailed [email] twice about the refund", "I emailed twice about the refund"),
        # The mark a masked detail leaves, typed by someone, marks nothing.
        ("I paid \u2063 for the \u2063 repair", "I paid for the repair"),
    ],
)
def test_a_clause_ends_before_a_masked_detail_it_cannot_do_without(text: str, label: str) -> None:
    # Bridged over, "for over {$200.00} and" read "for over and"; a date left "In of ,".
    assert clauses(text) == [label]


def test_the_act_most_members_tell_heads_their_moment() -> None:
    steps = _steps(
        [
            ("I called the helpline", 3),
            ("I called them twice", 3),
            ("Called the office", 3),
            ("I emailed the refund team about the refund form", 3),
            ("I posted the refund form", 3),
            ("I sent the refund form", 3),
        ]
    )
    assert moment_label(steps).startswith(("I called", "Called"))


def test_a_name_only_one_member_says_stays_out_of_the_label() -> None:
    # Each member called another agency: "I called Equifax" tells what one did.
    steps = _steps(
        [
            ("I called Equifax about the error", 3),
            ("I called Experian about the error", 3),
            ("I called TransUnion about the error", 3),
            ("I called the agency about the error", 3),
            ("Called Innovis about the same error", 3),
            ("I called the bureau about the error", 3),
        ]
    )
    # The member who named Equifax is the closest to the moment's centre.
    label = moment_label(steps, closeness=[0.9, 0.5, 0.4, 0.3, 0.2, 0.1])
    assert label.startswith(("I called", "Called")), label
    assert not {"Equifax", "Experian", "TransUnion", "Innovis"} & set(label.split()), label


def test_a_common_word_one_member_shouts_stays_out_of_the_label() -> None:
    steps = _steps(
        [
            ("The seller sent me ONE letter about the debt", 3),
            ("The seller sent me a letter about the debt", 3),
            ("They sent a letter about the debt", 3),
            ("A letter about the debt came", 3),
        ]
    )
    label = moment_label(steps, closeness=[0.9, 0.2, 0.1, 0.0])
    assert "ONE" not in label and "letter" in label, label


def test_a_name_most_members_say_may_head_their_moment() -> None:
    steps = _steps(
        [
            ("I called Acme about the error", 3),
            ("I called Acme twice about the error", 3),
            ("Acme never called back", 3),
            ("I phoned Acme again", 3),
        ]
    )
    assert "Acme" in moment_label(steps)


def test_an_act_that_shares_no_words_with_the_others_is_no_label() -> None:
    # Many members, few words in common: a well-formed act echoed by no one loses to the
    # clause most members' words echo.
    told: list[tuple[str, int | None]] = [
        ("Late fee on the statement", 2),
        ("Another late fee on my statement", 2),
        ("The late fee statement", 2),
        ("Late fee on the monthly statement", 2),
    ]
    things = """apple bridge candle desert engine forest garden harbor island jungle kettle lemon
        meadow needle orchard pillow quarry river saddle tunnel""".split()  # noqa: SIM905
    told += [(f"The {a} {b}", 2) for a, b in zip(things[::2], things[1::2], strict=True)]
    told += [(f"Some {a} {b}", 2) for a, b in zip(things[1::2], things[2::2], strict=False)]
    told.append(("I only go home on Sundays", 2))
    assert "fee" in moment_label(_steps(told)).lower()


def test_a_renamed_stage_is_found_again_when_its_name_found_in_the_data_changes() -> None:
    # Stages found in the data are keyed by their label: when the label is chosen anew,
    # the researcher's rename still finds the stage by the phrasings recorded with it.
    steps = _steps([("I called the bank", 2), ("I called them", 2), ("They refused", 2)])
    groups = [
        StepGroup("i-called-the-bank", "I called the bank", [0, 1], stage="i-called-the-bank"),
        StepGroup("they-refused", "They refused", [2], stage="the-service-answers"),
    ]
    stages = [Stage("i-called-the-bank", "I called the bank"),
              Stage("the-service-answers", "The service answers")]  # fmt: skip
    anchor = stage_anchors(groups, steps)["i-called-the-bank"]
    assert set(anchor) == {"i called the bank", "i called them"}
    edit = {"action": "stage-rename", "group_key": "it-has-been-over-45-days",
            "label": "Getting in touch", "anchor": json.dumps(anchor)}  # fmt: skip
    _groups, found, unmatched = apply_edits(groups, stages, steps, [edit])
    assert unmatched == []
    assert {s.label for s in found} == {"Getting in touch", "The service answers"}
    assert groups[0].stage == "getting-in-touch"
    # An anchor most of whose phrasings sit elsewhere finds nothing.
    stray = dict(edit, anchor=json.dumps(["they refused", "nothing like it"]), label="Other")
    assert apply_edits(groups, found, steps, [stray])[2] == []
    assert apply_edits(groups, found, steps, [dict(stray, anchor='["nothing like it"]')])[2]


def test_a_role_before_a_label_that_tells_no_act_keeps_its_capitals() -> None:
    # Where the label tells no act, the moment's role comes first; the label's first
    # letter is lowered only where it began a sentence, never in a reference or acronym.
    steps = _steps([("XXXX XXXX", None)] * 3)
    assert moment_label(steps, fallback="Background") == "Background: XXXX XXXX"
    steps = _steps([("The account number", None)] * 3)
    assert moment_label(steps, fallback="Background") == "Background: the account number"
