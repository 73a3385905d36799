"""Bad input never crashes anything and never reaches storage or the terminal raw."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjm_interview.answers import InvalidAnswer, clean_text, parse_grade
from cjm_interview.domain import AnswerKey, SessionInfo
from cjm_interview.engine import Accepted, Engine, Rejected
from cjm_interview.importer import (
    ImportFileError,
    InterviewImportError,
    read_interviews,
    run_interview,
)
from cjm_interview.script import ScriptError, parse_script
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store

# Controls a terminal runs, and the direction controls that make a text read backwards
# ("\u202egnp.exe" shows as "exe.png") in the exports a researcher shares.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

NASTY = [
    "",
    "   \n\t  ",
    "\x00\x00NUL bytes\x00",
    "\ud800 lone surrogate \udfff",
    "emoji 👩🏽‍💻🚀 and flags 🇫🇷",
    "مرحبا، الخدمة كانت سيئة جدا",  # RTL
    "\u202eright-to-left override\u202c",
    "\x1b[2J\x1b[31mred\x1b[0m clear screen",
    "\x1b]0;new window title\x07 OSC",
    "\x1b]52;c;Y2xpcGJvYXJk\x07 clipboard write",
    "\x9b31m C1 CSI",
    "'; DROP TABLE answers; --",
    "[bold red]rich markup[/] and {braces}",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "a" * 1_000_000,  # a 1 MB paste
    "line\r\nwith\rcarriage returns",
]
GRADES_BAD = ["11", "-1", "seven", "7.5", "1e1", "0x5", "١١", "10/11", "", " ", "NaN", "∞", "5 5"]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_nasty_free_text_is_stored_clean(tmp_path: Path, customer_script, text: str) -> None:
    store = Store(tmp_path / "s.db")
    session = InterviewSession.start(store, customer_script, SessionInfo())
    session.submit("yes")
    result = session.submit(text)
    if isinstance(result, Rejected):
        assert result.message  # blank (required) or too long: asked again
        assert session.current().question.id == "service"
        return
    stored = store.load_answers(session.id)
    raw = next(a.raw for a in stored if a.key == AnswerKey("service"))
    assert not CONTROL.search(raw)
    assert "\ud800" not in raw


@pytest.mark.parametrize("raw", GRADES_BAD)
def test_bad_grades(raw: str) -> None:
    with pytest.raises(InvalidAnswer):
        parse_grade(raw)


def test_grades_in_other_scripts_digits() -> None:
    assert parse_grade("٧") == 7  # Arabic-Indic seven


@given(st.text(max_size=20))
def test_grade_parser_accepts_only_whole_numbers_on_the_scale(raw: str) -> None:
    try:
        value = parse_grade(raw)
    except InvalidAnswer:
        return
    assert 0 <= value <= 10


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=200), min_size=1, max_size=25))
def test_engine_never_crashes_on_any_answers(customer_script, answers: list[str]) -> None:
    engine = Engine(customer_script)
    for raw in answers:
        if engine.current() is None:
            break
        result = engine.submit(raw)
        assert isinstance(result, Accepted | Rejected)
        if isinstance(result, Accepted):
            assert not CONTROL.search(result.answer.raw)
    engine.progress()


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_clean_text_removes_every_control_character(text: str) -> None:
    cleaned = clean_text(text)
    assert not CONTROL.search(cleaned)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in cleaned)


# ----------------------------------------------------------------- scripts
YAML_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)
)
YAML_TREES = st.recursive(
    YAML_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "type",
                    "text",
                    "sections",
                    "questions",
                    "title",
                    "when",
                    "repeat",
                    "choices",
                    "maps_to",
                    "languages",
                    "probes",
                    "for_each",
                    "required",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300)
@given(YAML_TREES)
def test_loader_rejects_structured_garbage_with_a_line(tree: object) -> None:
    text = yaml.safe_dump(tree, allow_unicode=True)
    try:
        parse_script(text, "fuzz.yaml")
    except ScriptError as exc:
        for problem in exc.problems:
            assert str(problem).startswith("fuzz.yaml:")
            assert problem.line >= 1


@settings(max_examples=300)
@given(st.text(alphabet=string.printable + "{}[]:-&*!|>'\"%@`#\u00e9\u2603", max_size=400))
def test_loader_rejects_raw_garbage_with_a_line(text: str) -> None:
    try:
        parse_script(text, "fuzz.yaml")
    except ScriptError as exc:
        assert all(str(p).startswith("fuzz.yaml:") for p in exc.problems)


@settings(max_examples=100)
@given(st.binary(max_size=200))
def test_loader_survives_bytes(data: bytes) -> None:
    try:
        parse_script(data, "bytes.yaml")
    except ScriptError as exc:
        assert exc.problems


def test_yaml_bombs_are_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    with pytest.raises(ScriptError):
        parse_script(bomb, "bomb.yaml")


# ----------------------------------------------------------------- import files
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["session", "answers", "consent", "steps", "action", "grade", "zzz"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


# Each example creates a database: no per-example deadline.
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(JSON_VALUES)
def test_import_never_crashes(tmp_path_factory, quick_script, data: object) -> None:
    folder = tmp_path_factory.mktemp("imp")
    path = folder / "in.json"
    path.write_text(json.dumps(data))
    try:
        interviews = read_interviews(path)
    except ImportFileError as exc:
        assert str(path) in str(exc)
        return
    store = Store(folder / "s.db")
    for item in interviews:
        try:
            run_interview(store, quick_script, item)
        except InterviewImportError as exc:
            assert str(exc)
    store.close()
