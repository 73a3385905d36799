"""Fuzzing what people and other devices hand the tool: answers files, scripts, raw bytes.

Every input gets either a result or the project's own one-line error
(CjmError); anything else (a traceback, a hang) fails. Grows with every
hostile input found: add its shape to the strategies below.
"""

from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjm_interview.errors import CjmError
from cjm_interview.importer import import_file
from cjm_interview.script import ScriptError, load_script, parse_script
from cjm_interview.store import Store

from ..conftest import PROMPTS

QUICK = (PROMPTS / "quick.yaml").read_text(encoding="utf-8")
FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

# Values a hostile or careless file puts where an answer belongs.
ODD_TEXT = st.text(max_size=30) | st.sampled_from(["\x1b]0;x\x07P", "a\x9b31m", "\u202eexe"])
ODD = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True)
    | ODD_TEXT
    | st.sampled_from(["yes", "no", "7", "eleven", "web, phone", "letter", "other: fax"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD_TEXT, inner, max_size=3),
    max_leaves=8,
)
SESSION_KEYS = ["participant", "perspective", "segment", "language", "status", "device", "zzz"]
ANSWER_KEYS = ["consent", "steps", "overall_grade", "improvement", "action", "nope"]
STEP = st.dictionaries(st.sampled_from(["action", "grade", "more_steps", "channel_probe"]), ODD)
INTERVIEW = st.fixed_dictionaries(
    {
        "session": st.dictionaries(st.sampled_from(SESSION_KEYS), ODD, max_size=4)
        | st.sampled_from([{"perspective": "staff"}, {"perspective": "customer"}]),
        "answers": st.dictionaries(
            st.sampled_from(ANSWER_KEYS), ODD | st.lists(STEP, max_size=3), max_size=5
        ),
    }
)
FILES = st.lists(INTERVIEW | ODD, max_size=4).map(lambda items: {"interviews": items})


def surrogates(text: str) -> str:
    """JSON text with some characters written as lone-surrogate escapes."""
    return text.replace('"P', '"\\ud800P').replace("yes", "y\\udfffes")


@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURES)
@given(FILES, st.booleans(), st.sampled_from([None, "quick", "customer"]))
def test_fuzz_import(tmp_path_factory, data: object, escape: bool, script: str | None) -> None:
    folder = tmp_path_factory.mktemp("imp")
    path = folder / "answers.json"
    text = json.dumps(data, ensure_ascii=escape, default=str)
    path.write_text(surrogates(text) if escape else text, encoding="utf-8", errors="surrogatepass")
    try:
        result = import_file(path, script, folder / "s.db", progress=False)
    except CjmError as exc:
        assert "\n" not in str(exc)
        return
    for line in result.errors + result.warnings:
        assert "\n" not in line and "Traceback" not in line
    with Store(folder / "s.db", check_schema=True) as store:
        assert store.integrity_check() == []
        finished = {s["id"] for s in store.list_sessions()}
    assert set(result.session_ids) <= finished


# Scripts: the quick script with a part replaced by something odd.
YAML_PARTS = st.sampled_from(
    [
        "&a [1, 2]",
        "*a",
        "{<<: *a}",
        "[" * 200 + "]" * 200,
        "9" * 5_000,
        "'${consent} == true or ${consent} == false'",
        "'" + "(" * 300 + "true" + ")" * 300 + "'",
        "!!python/object:os.system [echo]",
        "{a: 1, a: 2}",
        '"\\x1b]0;x\\x07"',
        "~",
        "- - - -",
    ]
)
SCRIPT_TARGETS = [
    'version: "1.0"',
    "languages: [en]",
    "required: true",
    'when: "${consent} == true"',
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SCRIPT_TARGETS), YAML_PARTS, st.text(string.printable, max_size=40))
def test_fuzz_script(target: str, part: str, noise: str) -> None:
    key = target.split(":")[0]
    text = QUICK.replace(target, f"{key}: {part}", 1) + noise
    try:
        parse_script(text, "fuzz.yaml")
    except ScriptError as exc:
        assert all(str(p).startswith("fuzz.yaml:") for p in exc.problems)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURES)
@given(st.binary(max_size=4_096), st.sampled_from(["script", "answers", "database"]))
def test_fuzz_bytes_as_any_file(tmp_path_factory, data: bytes, kind: str) -> None:
    folder = tmp_path_factory.mktemp("bytes")
    path = folder / "given"
    # Some files start like the real thing, then turn to noise.
    if kind == "database" and data[:1] == b"\x00":
        data = b"SQLite format 3\x00" + data
    path.write_bytes(data)
    try:
        if kind == "script":
            load_script(path)
        elif kind == "answers":
            import_file(path, "quick", folder / "s.db", progress=False)
        else:
            Store(path, must_exist=True).close()
    except CjmError as exc:
        assert "\n" not in str(exc)
