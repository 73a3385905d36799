"""The pure engine: validation, branching, repeat groups, journey edits, back, tags."""

from __future__ import annotations

import pytest

from cjm_interview.domain import AnswerKey, Tag
from cjm_interview.engine import Accepted, AwaitingTags, Engine, Rejected

INTRO = [
    "yes",
    "renewing my passport",
    "my mum",
    "student",
    "travel",
    "1",
    "a new passport",
    "trip",
]


def step(action: str, grade: str, more: str, channels: str = "web") -> list[str]:
    # action, channels, actor, thoughts, feelings, grade, [improvement probe], moment, more
    answers = [action, channels, "", "", "", grade]
    if int(grade) <= 6:
        answers.append("")
    return [*answers, "no", more]


def drive(engine: Engine, answers: list[str]) -> None:
    for raw in answers:
        result = engine.submit(raw)
        assert isinstance(result, Accepted), (engine.current(), raw, result)


@pytest.mark.parametrize("raw", ["11", "-1", "seven", "7.5", "", "10/11", "yes"])
def test_bad_grades_are_rejected_with_a_message(customer_script, raw: str) -> None:
    engine = Engine(customer_script)
    drive(engine, [*INTRO, "searched online", "web", "", "", ""])
    assert engine.current().question.id == "grade"
    result = engine.submit(raw)
    assert isinstance(result, Rejected)
    assert result.message
    assert engine.current().question.id == "grade"  # asked again


@pytest.mark.parametrize(("raw", "value"), [("0", 0), ("10", 10), (" 7 ", 7), ("7/10", 7)])
def test_good_grades(customer_script, raw: str, value: int) -> None:
    engine = Engine(customer_script)
    drive(engine, [*INTRO, "searched online", "web", "", "", "", raw])
    assert engine.answers[AnswerKey("grade", 1)].value == value


@pytest.mark.parametrize("padding", [" ", "\x00"])
def test_no_answer_is_taken_longer_than_any_answer_may_be(customer_script, padding) -> None:
    """The text is stored as given: spaces or control characters the answer's own
    check drops still count, or a file could store megabytes behind a short answer."""
    from cjm_interview.answers import LONGEST_ANSWER

    engine = Engine(customer_script)
    drive(engine, ["yes"])
    assert engine.current().question.id == "service"
    result = engine.submit("a service" + padding * LONGEST_ANSWER)
    assert isinstance(result, Rejected)
    assert "please keep it under" in result.message
    assert engine.current().question.id == "service"


def test_required_answer_cannot_be_empty_or_skipped(customer_script) -> None:
    engine = Engine(customer_script)
    drive(engine, ["yes"])
    assert engine.current().question.id == "service"
    assert isinstance(engine.submit("   "), Rejected)
    assert isinstance(engine.skip(), Rejected)
    drive(engine, ["a service"])
    assert engine.current().question.id == "stakeholders"
    assert isinstance(engine.submit(""), Accepted)  # optional: an empty answer is a skip
    assert engine.answers[AnswerKey("stakeholders")].skipped


def test_declining_consent_ends_the_interview(customer_script) -> None:
    engine = Engine(customer_script)
    drive(engine, ["no"])
    assert engine.current().question.id == "declined"
    drive(engine, [""])
    assert engine.finished
    assert engine.progress().fraction == 1.0


def test_full_journey_with_repeat_group(customer_script) -> None:
    engine = Engine(customer_script)
    drive(engine, INTRO)
    prompt = engine.current()
    assert prompt.intro and prompt.text == "What was the very first thing you did?"
    drive(engine, step("searched online", "7", "yes"))
    prompt = engine.current()
    assert prompt.key == AnswerKey("action", 2)
    assert "searched online" in prompt.text  # "After “searched online”, what did you do next?"
    drive(engine, step("called the helpline", "2", "yes", channels="phone"))
    drive(engine, step("went to the office", "9", "no", channels="in_person"))
    assert engine.current().question.id == "review"
    steps = engine.steps()
    assert [s.action for s in steps] == [
        "searched online",
        "called the helpline",
        "went to the office",
    ]
    assert [s.grade for s in steps] == [7, 2, 9]
    assert steps[1].touchpoints == ("phone",)
    # The improvement probe was asked only where the grade was 6 or less.
    assert AnswerKey("step_improvement", 2) in engine.answers
    assert AnswerKey("step_improvement", 1) not in engine.answers
    drive(engine, ["", "faster", "", "6", "", ""])
    assert engine.finished


def test_repeat_stops_at_max(quick_script) -> None:
    engine = Engine(quick_script)
    drive(engine, ["yes"])
    for number in range(1, 9):
        prompt = engine.current()
        assert prompt.key == AnswerKey("action", number)
        drive(engine, [f"step {number}", "5"])
        if number < 8:
            drive(engine, ["yes"])
    # At the maximum of 8 steps the "anything else?" question is not asked.
    assert engine.current().question.id == "overall_grade"


def test_playback_edits_keep_order_and_ask_about_new_step(customer_script) -> None:
    engine = Engine(customer_script)
    drive(engine, INTRO)
    drive(engine, step("searched online", "7", "yes"))
    drive(engine, step("called the helpline", "3", "no", channels="phone"))
    assert engine.current().question.id == "review"
    changes = engine.insert_step("steps", 1, "asked a friend")
    assert {c.key.question_id for c in changes} == {"action", "steps#order"}
    # The new step's questions come next, without "anything else?" (not the last step).
    prompt = engine.current()
    assert prompt.key == AnswerKey("channels", 3)
    assert prompt.step_label == "Step 2 — asked a friend"
    drive(engine, ["in_person", "", "", "", "8", "no"])
    assert engine.current().question.id == "review"
    engine.move_step("steps", 2, 0)
    assert [s.action for s in engine.steps()] == [
        "called the helpline",
        "searched online",
        "asked a friend",
    ]
    engine.remove_step("steps", 1)
    assert [s.action for s in engine.steps()] == ["called the helpline", "asked a friend"]
    result = engine.submit("")
    assert isinstance(result, Accepted)
    assert result.answer.value["steps"] == ["called the helpline", "asked a friend"]


def test_back_revises_and_keeps_revision_number(customer_script) -> None:
    engine = Engine(customer_script)
    drive(engine, ["yes", "first wording"])
    prompt = engine.back()
    assert prompt.question.id == "service"
    assert prompt.existing.raw == "first wording"
    result = engine.submit("second wording")
    assert isinstance(result, Accepted) and result.answer.revision == 2
    assert engine.current().question.id == "stakeholders"


def test_back_then_forward_leaves_answer(customer_script) -> None:
    engine = Engine(customer_script)
    drive(engine, ["yes", "service", "people"])
    engine.back()
    engine.back()
    assert engine.current().question.id == "service"
    engine.forward()
    assert engine.current().question.id == "stakeholders"
    engine.forward()
    assert engine.current().question.id == "situation"
    assert engine.answers[AnswerKey("service")].revision == 1


def test_same_answers_same_state(customer_script) -> None:
    answers = [*INTRO, *step("searched online", "4", "yes"), *step("phoned", "8", "no")]
    first, second = Engine(customer_script), Engine(customer_script)
    drive(first, answers)
    drive(second, answers)
    assert first.current() == second.current()
    rebuilt = Engine(customer_script, answers=list(first.answers.values()))
    assert rebuilt.current() == first.current()
    assert rebuilt.progress() == first.progress()


def test_probe_waits_for_tags_and_reads_them(quick_script) -> None:
    engine = Engine(quick_script, expect_tags=True)
    drive(engine, ["yes", "sorted it out"])
    state = engine.state()
    assert isinstance(state, AwaitingTags)
    assert state.keys == (AnswerKey("action", 1),)
    engine.set_tags(AnswerKey("action", 1), [Tag("sentiment", "neutral", 0.9)])
    # No channel found in the words: the follow-up asks how it was done.
    assert engine.current().question.id == "channel_probe"
    drive(engine, ["by phone", "5", "yes", "went to the website"])
    engine.set_tags(AnswerKey("action", 2), [Tag("touchpoint", "web", 0.9)])
    assert engine.current().key == AnswerKey("grade", 2)


def test_without_a_tagger_tag_conditions_are_false(quick_script) -> None:
    engine = Engine(quick_script, expect_tags=False)
    drive(engine, ["yes", "sorted it out"])
    assert engine.current().question.id == "grade"


def test_progress_moves_forward(customer_script) -> None:
    engine = Engine(customer_script)
    before = engine.progress()
    drive(engine, INTRO)
    after = engine.progress()
    assert 0 <= before.fraction < after.fraction < 1
    assert after.seconds_left < before.seconds_left


def test_choice_answers(customer_script) -> None:
    engine = Engine(customer_script)
    drive(engine, INTRO[:5])
    assert engine.current().question.id == "customer_type"
    assert isinstance(engine.submit("9"), Rejected)
    assert isinstance(engine.submit("Regular customer"), Accepted)
    assert engine.answers[AnswerKey("customer_type")].value == "regular"


def test_an_options_own_number_wins_over_its_place() -> None:
    """With choices 0 to 3, "1" was the first option (0): an import of 1 stored 0, and
    the real 0 was refused ("There is no option 0")."""
    from cjm_interview.script import parse_script

    script = parse_script(
        "id: n\ntitle: N\nsections:\n  - id: s\n    title: S\n    questions:\n"
        "      - id: calls\n        type: single_choice\n        text: How many calls?\n"
        "        choices: [0, 1, 2, 3]\n"
        "      - id: years\n        type: multi_choice\n        text: Which years?\n"
        "        choices: [2021, 2, 1, 3]\n",
        "n.yaml",
    )
    engine = Engine(script)
    assert engine.submit(1).answer.value == "1"
    assert engine.submit([1, 2021]).answer.value == ["1", "2021"]
    engine = Engine(script)
    assert engine.submit("0").answer.value == "0"
    # A number that is no option's value still picks by place.
    assert engine.submit("4").answer.value == ["3"]


@pytest.mark.parametrize("typed", ["²", "①", "2²"])
def test_digits_that_are_no_numbers_are_words_not_a_crash(customer_script, typed: str) -> None:
    # "²" is a digit to str.isdigit but no number to int(): it was read as an option number.
    engine = Engine(customer_script)
    drive(engine, INTRO[:5])
    assert engine.current().question.id == "customer_type"
    result = engine.submit(typed)
    assert isinstance(result, Accepted) and result.answer.value == f"other: {typed}"


def test_touchpoints_accept_ids_labels_numbers_and_other(customer_script) -> None:
    engine = Engine(customer_script)
    drive(engine, [*INTRO, "did it"])
    result = engine.submit("web, Phone, 7, other: fax")
    assert isinstance(result, Accepted)
    assert result.answer.value == ["web", "phone", "in_person", "other: fax"]


def test_control_characters_never_stored(customer_script) -> None:
    engine = Engine(customer_script)
    drive(engine, ["yes"])
    result = engine.submit("evil \x1b]0;title\x07 text \x1b[31mred\ud800")
    assert isinstance(result, Accepted)
    assert "\x1b" not in result.answer.raw and "\x07" not in result.answer.raw
    assert "\ud800" not in result.answer.raw


def test_answers_a_later_answer_made_inapplicable_are_off_the_path(customer_script) -> None:
    engine = Engine(customer_script)
    drive(engine, [*INTRO, "searched online", "web", "", "", "", "4", "a clearer form"])
    idea = AnswerKey("step_improvement", 1)
    assert engine.answers[idea].raw == "a clearer form"
    assert engine.off_path() == set()
    # A better grade: the improvement question no longer applies to this step.
    engine.go_to(AnswerKey("grade", 1))
    drive(engine, ["9"])
    assert engine.off_path() == {idea}
    assert idea in engine.answers  # kept: changing back brings it back
    engine.go_to(AnswerKey("grade", 1))
    drive(engine, ["5"])
    assert engine.off_path() == set()
    # Consent withdrawn: everything after it is off the path, consent itself is not.
    engine.go_to(AnswerKey("consent", 0))
    drive(engine, ["no"])
    off = engine.off_path()
    assert AnswerKey("consent", 0) not in off
    assert {AnswerKey("service", 0), AnswerKey("grade", 1), idea} <= off
    assert off == {key for key in engine.answers if key.question_id != "consent"} - {
        key for key in engine.answers if key.question_id.endswith("#order")
    }
