"""Hostile scripts: bombs, deep conditions, huge numbers, devices and pipes.

Each runs ``cjm script check`` as a real process with a time and memory limit:
the answer is one line and exit status 2, never a hang or a traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ..conftest import PROMPTS
from .hostile import cjm, one_clear_line

QUICK = (PROMPTS / "quick.yaml").read_text(encoding="utf-8")


def merge_key_bomb(links: int = 8_000) -> str:
    """Each mapping merges the one before it: a few hundred KB expanding quadratically."""
    lines = ["a0: &a0 {k0: 0}"]
    lines += [f"a{i}: &a{i}\n  <<: [*a{i - 1}]\n  k{i}: {i}" for i in range(1, links)]
    return "\n".join(lines) + "\n"


def nested_alias_bomb(levels: int = 9) -> str:
    """Nine aliases to the level below, nine levels deep: 547 bytes, 43 million values
    once expanded, with only 81 aliases (under the limit on their number)."""
    lines = ["  x0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"  x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    after_id = QUICK.split("\nid:", 1)[1].split("\n", 1)[1]
    return "defs:\n" + "\n".join(lines) + f"\nid: *a{levels - 1}\n" + after_id


def condition_chain(length: int = 1_000) -> str:
    """``length`` yes/no questions, each asked when the one before it was answered yes."""
    questions = [
        f"      - id: q{i:05d}\n        type: yes_no\n        text: Q{i}?\n"
        + (f'        when: "${{q{i - 1:05d}}} == true"\n' if i else "")
        for i in range(length)
    ]
    return (
        "id: chain\ntitle: Chain\nsections:\n  - id: s\n    title: S\n    questions:\n"
        + "".join(questions)
    )


def with_condition(condition: str) -> str:
    """The quick script with ``condition`` as its first section's ``when:``."""
    start = QUICK.index("  - id:", QUICK.index("sections:"))
    end = QUICK.index("\n", start) + 1
    return QUICK[:end] + f"    when: '{condition}'\n" + QUICK[end:]


HOSTILE = {
    "merge_key_bomb": merge_key_bomb(),
    "nested_alias_bomb": nested_alias_bomb(),
    "maps_to_a_list": QUICK.replace("maps_to: step.grade", "maps_to: [step.grade]"),
    "maps_to_a_mapping": QUICK.replace("maps_to: step.grade", "maps_to: {a: 1}"),
    "when_5000_deep": with_condition("(" * 5_000 + "${consent} == true" + ")" * 5_000),
    "when_20000_or": with_condition(" or ".join(["${consent} == true"] * 20_000)),
    "version_5000_digits": re.sub(r"^version:.*$", "version: " + "9" * 5_000, QUICK, flags=re.M),
    "when_5000_digit_number": with_condition("${consent} == " + "7" * 5_000),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_script_is_one_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(HOSTILE[name], encoding="utf-8")
    run = cjm("script", "check", path, timeout=20)
    one_clear_line(run)
    assert str(path) in run.err


def test_a_chain_of_a_thousand_conditions_is_a_script(tmp_path: Path) -> None:
    """Checking its conditions for a cycle recursed once per link: a RecursionError."""
    from cjm_interview.script import parse_script

    script = parse_script(condition_chain(), "chain.yaml")
    assert len(script.sections[0].questions) == 1_000
    looped = condition_chain().replace(
        "type: yes_no\n        text: Q0?\n",
        ('type: yes_no\n        text: Q0?\n        when: "${q00999} == true"\n'),
    )
    path = tmp_path / "loop.yaml"
    path.write_text(looped, encoding="utf-8")
    run = cjm("script", "check", path, timeout=20)
    assert run.code == 2 and "Traceback" not in run.err
    assert "conditions form a cycle: q00000 -> q00999 -> q00998" in run.err
    assert all(len(line) < 400 for line in run.err.splitlines())  # a thousand ids, cut


@pytest.mark.parametrize("name", ["/dev/zero", "/dev/urandom", "fifo", "folder"])
def test_script_check_refuses_what_is_not_a_file(tmp_path: Path, name: str) -> None:
    path = Path(name)
    if name == "fifo":
        path = tmp_path / "pipe.yaml"
        os.mkfifo(path)
    elif name == "folder":
        path = tmp_path / "scripts.yaml"
        path.mkdir()
    run = cjm("script", "check", path, timeout=20)
    one_clear_line(run)
    assert str(path) in run.err


def test_script_copy_in_a_database_gets_the_same_limits() -> None:
    from cjm_interview.script import ScriptError, parse_script

    with pytest.raises(ScriptError, match=r"aliases|merge keys"):
        parse_script(merge_key_bomb(), "stored (copy in database)")
    with pytest.raises(ScriptError, match="too large"):
        parse_script("# " + "x" * 2_100_000, "stored (copy in database)")


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ('"Tell us\\e[2J about your visit"', "U+001B"),  # clears the terminal
        ('"Tell us\\e]52;c;cHduZWQ=\\a about it"', "U+001B"),  # writes the clipboard
        ('"Tell us\\x9b2J about it"', "U+009B"),  # the 8-bit CSI
        ('"Tell us about \\u202egnp.exe"', "U+202E"),  # reads backwards
    ],
)
def test_words_a_terminal_would_run_are_refused_with_their_line(
    tmp_path: Path, written: str, shown: str
) -> None:
    """A script's title with escape sequences passed the check and reached the terminal."""
    text = re.sub(r"^title:.*$", lambda _: f"title: {written}", QUICK, count=1, flags=re.M)
    line = text[: text.index("title:")].count("\n") + 1
    path = tmp_path / "escapes.yaml"
    path.write_text(text, encoding="utf-8")
    run = cjm("script", "check", path, timeout=20)
    one_clear_line(run)
    assert f"{path}:{line}: the script title holds the control character {shown}" in run.err


def test_a_language_must_be_a_language_code(tmp_path: Path) -> None:
    text = QUICK.replace("languages: [en]", 'languages: ["en\\e[31m"]', 1)
    path = tmp_path / "language.yaml"
    path.write_text(text, encoding="utf-8")
    run = cjm("script", "check", path, timeout=20)
    one_clear_line(run)
    assert "languages must be a list of language codes" in run.err


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ('version: "1.0"', 'version: "1\\e]0;x\\a"', "the script version"),
        # A choice given as a plain string is its own label.
        ("estimated_seconds_per_question", "estimated_seconds_per_question", "a choice of"),
    ],
)
def test_every_text_a_script_shows_is_checked(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    """Plain-string choices and the version (kept with every session) let escapes through."""
    text = QUICK.replace(old, new, 1)
    if said == "a choice of":
        text = text.replace(
            "sections:",
            "sections:\n  - id: extra\n    title: Extra\n    questions:\n      - id: pick\n"
            '        type: single_choice\n        text: Pick\n        choices: ["Good", '
            '"Bad \\e[2J"]',
            1,
        )
    path = tmp_path / "texts.yaml"
    path.write_text(text, encoding="utf-8")
    run = cjm("script", "check", path, timeout=20)
    one_clear_line(run)
    assert f"{said}" in run.err and "control character U+001B" in run.err
