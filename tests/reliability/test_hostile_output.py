"""Stored fields reach the terminal inert; ``tag --jsonl`` input within limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cjm_interview.domain import SessionInfo
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store

from .hostile import cjm, one_clear_line

# A pseudonym as a hostile file could carry it: OSC title, CSI colour (7- and
# 8-bit), Rich markup, a bidi override.
PARTICIPANT = "\x1b]0;pwned\x07Ann [bold red]x[/] \x9b31mred\x1b[0m \u202egnp.exe"
RAW = ("\x1b", "\x9b", "\x07", "\u202e", "pwned")


@pytest.fixture
def hostile_db(tmp_path: Path, quick_script) -> tuple[Path, str]:
    db = tmp_path / "s.db"
    with Store(db) as store:
        session = InterviewSession.start(store, quick_script, SessionInfo(participant="x"))
        session.submit("yes")
        session.submit("Went \x1b[2J to the \u202eshop [link=http://x]here[/link]")
        # Written as a file from elsewhere would hold it, past the input cleaning.
        store.write(
            lambda c: c.execute(
                "UPDATE sessions SET participant = ?, segment = ? WHERE id = ?",
                (PARTICIPANT, "[blink]seg[/]", session.id),
            )
        )
    return db, session.id


@pytest.mark.parametrize("command", [("sessions", "list"), ("sessions", "show", "SID")])
def test_printed_fields_carry_no_sequences_and_no_markup(hostile_db, command) -> None:
    db, sid = hostile_db
    run = cjm(*(a.replace("SID", sid[:8]) for a in command), "--db", db)
    assert run.code == 0, run.err
    for raw in RAW:
        assert raw not in run.out, (raw, run.out)
    # Markup is shown as typed, not applied.
    assert "[bold red]x[/]" in run.out.replace("\n", "")
    assert "[blink]seg[/]" in run.out.replace("\n", "")


def test_the_sessions_table_in_a_terminal_carries_no_sequences_of_a_field(hostile_db) -> None:
    # Piped, the list is tab-separated lines; in a terminal (forced here) it is a table,
    # whose own colours are escape sequences: a field's must not be among them.
    db, sid = hostile_db
    run = cjm("sessions", "list", "--db", db, env={"FORCE_COLOR": "1"})
    assert run.code == 0, run.err
    assert "┏" in run.out and sid[:8] in run.out  # the table, not the lines
    for raw in ("\x1b]", "\x9b", "\x07", "\u202e", "pwned", "\x1b[2J", "\x1b[0m \u202e"):
        assert raw not in run.out, (raw, run.out)


@pytest.mark.parametrize(
    "command", [("sessions", "list", "--json"), ("sessions", "show", "SID", "--json")]
)
def test_json_output_escapes_what_a_terminal_would_act_on(hostile_db, command) -> None:
    db, sid = hostile_db
    run = cjm(*(a.replace("SID", sid[:8]) for a in command), "--db", db)
    assert run.code == 0, run.err
    for raw in RAW[:4]:
        assert raw not in run.out
    assert PARTICIPANT in run.out.replace("\\u001b", "\x1b").replace("\\u0007", "\x07").replace(
        "\\u009b", "\x9b"
    ).replace("\\u202e", "\u202e")


def tag(lines: list[str]) -> object:
    return cjm(
        "tag", "--jsonl", "--fallback", stdin="\n".join(lines).encode("utf-8", "surrogatepass")
    )


def test_tag_ids_are_escaped() -> None:
    run = tag([json.dumps({"id": "a\x9b31m\u202eb", "text": "I called the helpline"})])
    assert run.code == 0, run.err
    assert "\x9b" not in run.out and "\u202e" not in run.out
    assert json.loads(run.out)["id"] == "a\x9b31m\u202eb"


@pytest.mark.parametrize(
    ("line", "message"),
    ids=["nested", "digits", "long_line"],
    argvalues=[
        (
            '{"id": "1", "text": ' + "[" * 5_000 + "]" * 5_000 + "}",
            "line 2: JSON nested too deeply",
        ),
        ('{"id": "1", "text": "x", "n": ' + "9" * 5_000 + "}", "line 2: a number of more than"),
        ('{"id": "1", "text": "' + "x" * 2_000_000 + '"}', "line 2: longer than 1,000,000 bytes"),
    ],
)
def test_tag_jsonl_hostile_lines_stop_with_their_number(line: str, message: str) -> None:
    good = json.dumps({"id": "0", "text": "Waited an hour on the phone"})
    run = tag([good, line, good])
    one_clear_line(run)
    assert message in run.err
    assert [json.loads(x)["id"] for x in run.out.splitlines()] == ["0"]


def test_tag_jsonl_long_text_is_cut_with_a_warning() -> None:
    run = tag([json.dumps({"id": "long", "text": "I waited on the phone. " * 3_000})])
    assert run.code == 0, run.err
    assert "line 1: text of 69,000 characters cut to 10,000" in run.err
    assert json.loads(run.out)["id"] == "long"
