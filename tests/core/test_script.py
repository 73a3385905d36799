"""Script loading: bundled scripts pass; broken ones fail with FILE:LINE: reason."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cjm_interview.domain import QuestionType
from cjm_interview.script import ScriptError, load_script, parse_script

from ..conftest import PROMPTS

BUNDLED = sorted(PROMPTS.glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_scripts_are_valid(path: Path) -> None:
    script = load_script(path)
    assert script.sections
    # Every journey-map field used by the bundled scripts is a known one, and
    # every script that collects steps says what a step's action is.
    for section in script.sections:
        if section.repeat:
            assert any(q.maps_to == "step.action" for q in section.questions)


def test_customer_script_covers_the_map_layers(customer_script) -> None:
    fields = {q.maps_to for q in customer_script.questions_by_id.values()}
    for needed in (
        "consent",
        "context",
        "stakeholder",
        "persona",
        "persona.ambition",
        "outcome",
        "step.action",
        "step.touchpoints",
        "step.actor",
        "step.thoughts",
        "step.feelings",
        "step.grade",
        "step.moment_of_truth",
        "step.improvement",
        "improvement",
        "ideal_journey",
        "overall.grade",
    ):
        assert needed in fields, needed
    assert customer_script.languages == ("en", "fr")
    question = customer_script.question("grade")
    assert question.type is QuestionType.GRADE
    assert "parfait" in question.text.get("fr")


def test_bundled_journey_scripts_declare_the_same_stages(customer_script, staff_script) -> None:
    stages = [s.id for s in customer_script.stages]
    assert stages[0] == "discover" and len(stages) >= 4
    assert [s.id for s in staff_script.stages] == stages
    for stage in customer_script.stages:
        assert stage.name.get("fr") and stage.description and stage.description.get("fr")


def test_staff_script_asks_for_backstage(staff_script) -> None:
    fields = {q.maps_to for q in staff_script.questions_by_id.values()}
    assert {"step.backstage", "step.grade", "step.pain_point"} <= fields
    assert staff_script.perspective == "staff"


GOOD = """\
id: demo
title: Demo
sections:
  - id: intro
    title: Intro
    questions:
      - id: name
        type: short_text
        text: Your name?
"""

BROKEN = {
    "unknown_type": (
        GOOD.replace("type: short_text", "type: essay"),
        8,
        "unknown question type 'essay'",
    ),
    "duplicate_id": (
        GOOD + "      - id: name\n        text: Again?\n",
        10,
        "duplicate question id 'name'",
    ),
    "unknown_when": (
        GOOD + "      - id: age\n        text: Age?\n        when: \"${nmae} == 'x'\"\n",
        12,
        "refers to unknown question 'nmae'",
    ),
    "forward_reference": (
        GOOD.replace(
            "        text: Your name?\n",
            '        text: Your name?\n        when: "${later} == true"\n',
        )
        + "      - id: later\n        type: yes_no\n        text: Later?\n",
        10,
        "which is asked later",
    ),
    "missing_translation": (
        GOOD.replace("title: Demo\n", "title: {en: Demo, fr: Démo}\nlanguages: [en, fr]\n").replace(
            "text: Your name?", "text: {en: Your name}"
        ),
        10,
        "missing translation [fr]",
    ),
    "bad_yaml": (GOOD.replace("    title: Intro\n", "    title: [Intro\n"), 6, "invalid YAML"),
    "bad_expression": (
        GOOD + '      - id: age\n        text: Age?\n        when: "${name} =="\n',
        12,
        "expected a value",
    ),
    "unknown_key": (
        GOOD.replace("        type: short_text\n", "        typo: 1\n"),
        8,
        "unknown key 'typo'",
    ),
    "unknown_maps_to": (GOOD + "        maps_to: step.mood\n", 10, "not a journey-map field"),
    "max_length_past_any_answer": (
        GOOD + "        max_length: 20000000\n",
        10,
        "max_length must be at most 100,000 characters",
    ),
    "grade_choices": (
        GOOD + "      - id: g\n        type: grade\n        text: G?\n        choices: [a]\n",
        13,
        "choices only apply",
    ),
    "for_each_unknown": (
        GOOD + "  - id: again\n    title: Again\n    for_each: nowhere\n    questions:\n"
        "      - id: x\n        text: X?\n",
        10,
        "is not a repeat section",
    ),
    "repeat_min_above_max": (
        GOOD + "  - id: steps\n    title: Steps\n    repeat: {min: 5, max: 2}\n    questions:\n"
        "      - id: act\n        maps_to: step.action\n        text: What?\n",
        12,
        "min (5) is above max (2)",
    ),
    "not_a_mapping": ("- just\n- a list\n", 1, "a script must be a mapping"),
    "stages_not_a_list": (GOOD + "stages: sign up\n", 10, "stages must be a non-empty list"),
    "stage_unknown_key": (
        GOOD + "stages:\n  - id: a\n    name: A\n    colour: red\n",
        13,
        "unknown key 'colour' in a stage",
    ),
    "stage_without_name": (GOOD + "stages:\n  - id: a\n", 11, "a stage has no 'name'"),
    "stage_duplicate": (
        GOOD + "stages:\n  - {id: a, name: A}\n  - {id: a, name: B}\n",
        12,
        "duplicate stage id 'a' (first at line 11)",
    ),
    "too_many_stages": (
        GOOD + "stages:\n" + "".join(f"  - {{id: s{i}, name: S{i}}}\n" for i in range(13)),
        10,
        "at most 12",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_scripts_name_file_line_and_rule(name: str, tmp_path: Path) -> None:
    text, line, message = BROKEN[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    rendered = [str(p) for p in caught.value.problems]
    assert any(r.startswith(f"{path}:{line}: ") and message in r for r in rendered), rendered


def test_cycle_is_reported() -> None:
    text = textwrap.dedent(
        """\
        id: cyc
        title: Cycle
        sections:
          - id: s
            title: S
            questions:
              - id: a
                type: yes_no
                text: A?
                when: "${b} == true"
              - id: b
                type: yes_no
                text: B?
                when: "${a} == true"
        """
    )
    with pytest.raises(ScriptError) as caught:
        parse_script(text, "cyc.yaml")
    assert any("cycle" in p.message and "a -> b -> a" in p.message for p in caught.value.problems)


def test_all_problems_are_collected() -> None:
    text = GOOD.replace("type: short_text", "type: essay") + "  - id: intro\n    title: X\n"
    with pytest.raises(ScriptError) as caught:
        parse_script(text, "multi.yaml")
    assert len(caught.value.problems) >= 2


@pytest.mark.parametrize(
    ("written", "kept"), [("1.10", "1.10"), ("1:30", "1:30"), ('"2.0"', "2.0")]
)
def test_a_version_is_kept_as_written(written: str, kept: str) -> None:
    """YAML reads 1.10 as the number 1.1 and 1:30 as 90: two versions of a script were one."""
    script = parse_script(GOOD.replace("title: Demo", f"version: {written}\ntitle: Demo"), "v.yaml")
    assert script.version == kept


def test_yaml_tags_that_build_objects_are_refused() -> None:
    text = "!!python/object/apply:os.system ['echo hacked']\n"
    with pytest.raises(ScriptError) as caught:
        parse_script(text, "evil.yaml")
    assert caught.value.problems[0].line == 1


def test_check_command_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN["unknown_type"][0], encoding="utf-8")
    good = subprocess.run(
        [sys.executable, "-m", "cjm_interview", "script", "check", *map(str, BUNDLED)],
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stderr
    assert good.stdout.count(": ok") == len(BUNDLED)
    broken = subprocess.run(
        [sys.executable, "-m", "cjm_interview", "script", "check", str(bad)],
        capture_output=True,
        text=True,
    )
    assert broken.returncode == 2
    assert broken.stderr.startswith(f"{bad}:8: unknown question type 'essay'")
    assert "Traceback" not in broken.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "cjm_interview", "script", "check", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr
