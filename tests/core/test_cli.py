"""The command line: readable help, one-line errors, exit status 2, erasure."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm_interview.cli import main

from ..conftest import PROMPTS, ROOT

EXAMPLE = PROMPTS / "examples" / "customer_interview.json"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("interview", "kiosk", "import", "export", "sessions", "script", "tag", "db"):
        assert command in result.output


def test_missing_database_is_one_line(tmp_path: Path) -> None:
    result = run("sessions", "list", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {tmp_path / 'none.db'}: no such database")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command",
    [("sessions", "list"), ("export", "--format", "csv", "-o"), ("db", "check")],
)
def test_an_empty_file_given_to_read_is_refused_and_left_empty(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """A 0-byte file (made by `touch`, or a copy that failed) was turned into an empty study
    by a command that only reads."""
    db = tmp_path / "empty.db"
    db.touch()
    out = [str(tmp_path / "map.csv")] if command[-1] == "-o" else []
    result = run(*command, *out, "--db", str(db))
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {db}: the file is empty (0 bytes)")
    assert db.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_unknown_session_id(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run("import", str(EXAMPLE), "--db", str(db), "-q").exit_code == 0
    result = run("sessions", "show", "zzzz", "--db", str(db))
    assert result.exit_code == 2
    assert "no session 'zzzz'" in result.output


def test_delete_session_needs_confirmation_then_erases(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first = run("import", str(EXAMPLE), "--db", str(db), "-q").output.strip().splitlines()[-1]
    second = run("import", str(EXAMPLE), "--db", str(db), "-q").output.strip().splitlines()[-1]
    refused = run("sessions", "delete", first[:8], "--db", str(db), input="n\n")
    assert refused.exit_code == 1
    done = run("sessions", "delete", first[:8], "--db", str(db), "--yes")
    assert done.exit_code == 0 and "Erased session" in done.output
    conn = sqlite3.connect(db)
    ids = {r[0] for r in conn.execute("SELECT DISTINCT session_id FROM answers")}
    assert ids == {second}


def test_db_check(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    run("import", str(EXAMPLE), "--db", str(db), "-q")
    result = run("db", "check", "--db", str(db))
    assert result.exit_code == 0 and "ok" in result.output and "1 sessions" in result.output


def test_bad_redaction_kind(tmp_path: Path) -> None:
    result = run("import", str(EXAMPLE), "--db", str(tmp_path / "s.db"), "--redact", "passport")
    assert result.exit_code == 2 and "unknown redaction kind" in result.output


def test_an_output_that_cannot_be_written_is_one_line_before_any_work(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run("import", str(EXAMPLE), "--db", str(db), "-q").exit_code == 0
    missing = tmp_path / "no-such-folder"
    for fmt in ("md", "json", "csv", "html", "mermaid"):
        out = missing / f"map.{fmt}"
        args = ["export", "--db", str(db), "--no-encode", "--format", fmt, "-o", str(out)]
        result = CliRunner().invoke(main, args)  # once a traceback (FileNotFoundError)
        assert result.exit_code == 2, (fmt, result.output)
        assert result.output.startswith(f"Error: {out}: folder {missing} does not exist")
        assert isinstance(result.exception, SystemExit)
    result = CliRunner().invoke(main, ["db", "merge", str(missing / "study.db"), str(db)])
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {missing / 'study.db'}: folder {missing} does not")


def test_a_mistyped_command_is_told_the_one_meant_loaded_or_not() -> None:
    for typed, meant in (
        ("exprot", "export"), ("sesions", "sessions"), ("inteview", "interview"),
        ("EXPORT", "export"), ("Kiosk", "kiosk"),  # Caps Lock, a capital letter
    ):  # fmt: skip
        result = CliRunner().invoke(main, [typed])
        assert result.exit_code == 2
        assert f"No such command {typed!r}. Did you mean {meant!r}?" in result.output
    assert "Did you mean" not in CliRunner().invoke(main, ["xyzzy"]).output
    for typed in ("help", "HELP"):
        result = CliRunner().invoke(main, [typed])
        assert result.exit_code == 2
        assert "For help: cjm --help, or cjm COMMAND --help." in result.output


def test_an_output_path_that_names_no_file_or_is_too_long_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run("import", str(EXAMPLE), "--db", str(db), "-q").exit_code == 0
    long_name = str(tmp_path / ("a" * 300))
    for given, said in (
        (f"{tmp_path}/newdir/", "names no file"),  # once wrote a file called "newdir"
        ("", "names no file"),
        (f"{long_name}.md", "File name too long"),  # once a traceback
    ):
        args = ["export", "--db", str(db), "--no-encode", "--format", "md", "-o", given]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and said in result.output, (given, result.output)
        assert isinstance(result.exception, SystemExit)
    (tmp_path / "out-tags.csv").mkdir()  # one of the three files csv writes beside OUT
    args = ["export", "--db", str(db), "--no-encode", "--format", "csv", "-o"]
    result = CliRunner().invoke(main, [*args, str(tmp_path / "out.csv")])
    assert result.exit_code == 2 and "out-tags.csv is a folder" in result.output
    assert not (tmp_path / "out.csv").exists()  # nothing half written
    # A link may lead anywhere, as the database paths that are links do: refused.
    (tmp_path / "link.md").symlink_to(tmp_path / "elsewhere.md")
    args = ["export", "--db", str(db), "--no-encode", "-o", str(tmp_path / "link.md")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "link.md is a symbolic link" in result.output
    assert not (tmp_path / "elsewhere.md").exists()
    written = CliRunner().invoke(main, [*args[:-1], str(tmp_path / "map.md")])
    assert written.exit_code == 0 and (tmp_path / "map.md").read_text().startswith("#")
    assert [p.name for p in tmp_path.glob(".cjm-*")] == []  # no part left behind
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "map.md").stat().st_mode & 0o777 == 0o666 & ~umask  # others may read
    # An unset variable: "" became "." and was said to be a folder.
    result = CliRunner().invoke(main, ["sessions", "list", "--db", ""])
    assert result.exit_code == 2 and "'--db': names no file" in result.output, result.output
    for option in ("--pin-hash-file", "--write-pin-hash"):  # "." said to be a folder
        result = CliRunner().invoke(main, ["kiosk", option, ""])
        assert result.exit_code == 2 and f"'{option}': names no file" in result.output
    # A study's -journal named as -o: "is the study database rnal".
    result = CliRunner().invoke(main, ["export", "--db", str(db), "-o", f"{db}-journal"])
    assert result.exit_code == 2 and "is the study database -journal (" in result.output
    for out in (f"{long_name}.db", f"{long_name}/study.db", f"{tmp_path}/m1/"):
        result = CliRunner().invoke(main, ["db", "merge", out, str(db)])
        assert result.exit_code == 2, (out, result.output)
        assert isinstance(result.exception, SystemExit) and len(result.output) < 300


def test_a_listing_read_by_another_program_is_one_tab_separated_line_per_session(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    assert run("import", str(EXAMPLE), "--db", str(db), "-q").exit_code == 0
    long_segment = "Credit reporting, credit repair services, or other personal consumer reports"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE sessions SET segment = ?", (long_segment + "\t\n",))
    (sid,) = conn.execute("SELECT id FROM sessions").fetchone()
    conn.commit()
    conn.close()
    result = run("sessions", "list", "--db", str(db))  # not a terminal: piped
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split("\t") == [
        "id", "participant", "perspective", "segment", "status", "answers", "started"
    ]  # fmt: skip
    assert len(rows) == 1
    cells = rows[0].split("\t")
    # Nothing cut to fit a width, and the segment's own tab and newline are spaces.
    assert cells[0] == sid and cells[3] == long_segment and len(cells) == 7


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    # `cjm tag --jsonl ... | head -1` printed "Error: Broken pipe" and ended with status 2.
    # About 55 kB in (less than a pipe holds: written before the command reads), 150 kB out.
    said = '"text": "I rang them and waited ages"'
    lines = "".join(f'{{"id": "{n}", {said}}}\n' for n in range(1000))
    child = subprocess.Popen(
        [sys.executable, "-m", "cjm_interview", "tag", "--jsonl", "--fallback"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    child.stdin.write(lines.encode())
    child.stdin.close()
    assert child.stdout.readline().startswith(b'{"id": "0"')
    child.stdout.close()  # as head does once it has its line
    assert child.wait(timeout=60) == 0
    assert child.stderr.read() == b""


def test_a_revised_answer_is_shown_where_it_was_first_given(tmp_path: Path) -> None:
    """`sessions show` listed answers by their latest row: step 1's action, reworded in the
    journey's review, came after the closing words."""
    from cjm_interview.domain import Answer, AnswerKey
    from cjm_interview.store import Store

    db = tmp_path / "s.db"
    assert run("import", str(EXAMPLE), "--db", str(db), "-q").exit_code == 0
    with Store(db) as store:
        (row,) = store.list_sessions()
        reworded = Answer(AnswerKey("action", 1), "Compared deals", "Compared deals", revision=2)
        store.save_answers(row["id"], [(reworded, "step.action", None)])
        shown = [(a["question_id"], a["step"]) for a in store.session_detail(row["id"])["answers"]]
    assert shown.index(("action", 1)) < shown.index(("channels", 1)) < shown.index(("action", 2))
