"""The ``cjm`` command line.

Subcommands that need heavy imports (Textual, the tagger, exports) live in
their own modules and are imported only when invoked, so ``cjm --help`` and
``cjm script check`` stay fast.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cjm_interview import __version__
from cjm_interview.errors import CjmError
from cjm_interview.files import crash_log_of, older_log

# name -> "module:attribute" of a click command, imported on first use.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "interview": (
        "cjm_interview.tui.cli:interview",
        "Run an interview in the terminal (interviewer mode).",
    ),
    "kiosk": (
        "cjm_interview.tui.cli:kiosk",
        "Run self-completed interviews on a shared, locked-down terminal.",
    ),
    "tag": ("cjm_interview.nlp.cli:tag", "Tag free text: touchpoints, sentiment, grade, emotions."),
    "model": ("cjm_interview.nlp.cli:model", "Train and inspect the tagger's model heads."),
    "export": (
        "cjm_interview.export.cli:export",
        "Export the composite journey map (html, json, csv, md, mermaid).",
    ),
    "map": (
        "cjm_interview.export.cli:map_group",
        "Inspect and edit the composite map's step groups.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose heavy subcommands are imported when invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            target = LAZY_COMMANDS[cmd_name][0]
            module_name, attr = target.split(":")
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # click suggests only among the commands it has loaded: "exprot" found no "export".
        name = args[0] if args else ""
        commands = self.list_commands(ctx)
        if name and not name.startswith("-") and name not in commands and not ctx.resilient_parsing:
            if name.lower() == "help":
                ctx.fail(f"No such command {name!r}. For help: cjm --help, or cjm COMMAND --help.")
            # Commands are lower case: "EXPORT" is "export" typed with Caps Lock on.
            close = difflib.get_close_matches(name.lower(), commands, n=1)
            if close:
                ctx.fail(f"No such command {name!r}. Did you mean {close[0]!r}?")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Describe lazy commands without importing them.
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS:
                rows.append((name, LAZY_COMMANDS[name][1]))
            else:
                cmd = super().get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(limit=70)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def say(text: str, err: bool = False) -> None:
    """Print text that may hold stored or given fields, without escape sequences."""
    from cjm_interview.printable import clean_field

    click.echo(clean_field(text, one_line=False), err=err)


def fail(message: str, hint: str = "") -> None:
    """Print a one-line error (and what to do) and exit with status 2."""
    text = f"Error: {message}"
    if hint:
        text += f"\n  {hint}"
    say(text, err=True)
    sys.exit(2)


def os_problem(exc: OSError) -> str:
    """An operating system's refusal in one line, a long file name shortened."""
    name = str(exc.filename or "")
    if len(name) > 80:
        name = f"{name[:79]}…"
    reason = exc.strerror or str(exc)
    return f"{name}: {reason}" if name else reason


class CjmGroup(LazyGroup):
    """Turns the project's own errors into one-line messages, never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        # Started by the console script, whose start-up handler ended a Ctrl-C at once: from
        # here Ctrl-C raises KeyboardInterrupt again, caught below or by the command.
        launch = sys.modules.get("cjm_interview.launch")
        if launch is not None:
            launch.command_started()
        try:
            return super().invoke(ctx)
        except CjmError as exc:
            fail(str(exc), exc.hint)
        except BrokenPipeError:
            # The reader went away (``cjm tag --jsonl ... | head``): stop quietly, and let
            # nothing more reach the closed pipe as the interpreter ends.
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as exc:  # a file the system refuses: too long a name, a full disk
            fail(os_problem(exc))
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        finally:
            # What click does after the command ("Aborted!" for a Ctrl-C there) is no longer
            # the command's: a Ctrl-C from here ends in one line.
            if launch is not None:
                launch.command_ended()


class FiniteRange(click.FloatRange):
    """A number in a range, never NaN or infinite: "nan" passed every range check and
    wrote NaN into a map's JSON, and "--idle inf" would keep a kiosk from ever resetting."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def names_a_file(example: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A callback refusing an empty path option: '' (an unset variable) became ".", and
    was said to be a folder."""

    def check(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
        if value is not None and not value.name:
            raise click.BadParameter(f"names no file; give {example}")
        return value

    return check


db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=names_a_file("the study's file name, e.g. study.db"),
    default=None,
    help="SQLite database file [default: $CJM_DB or ./cjm.db].",
)


@click.group(cls=CjmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cjm")
def main() -> None:
    """Customer journey mapping interviews in the terminal.

    Run scripted interviews (interviewer or kiosk mode), tag answers with a
    local NLP model, keep every answer in SQLite, and merge many interviews
    into a composite journey map.

    \b
    Start here:
      cjm interview                 interview someone with the bundled customer script
      cjm script check FILE         validate an interview script
      cjm import ANSWERS.json       run an interview headlessly from a JSON file
      cjm sessions list             sessions in the database
      cjm export --format html -o map.html
    """


# --------------------------------------------------------------------- scripts
@main.group()
def script() -> None:
    """Validate and inspect interview scripts."""


@script.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def script_check(files: tuple[Path, ...]) -> None:
    """Validate interview scripts; print FILE:LINE: problem for each error."""
    from cjm_interview.script import ScriptError, load_script

    bad = 0
    for path in files:
        try:
            loaded = load_script(path)
        except ScriptError as exc:
            bad += 1
            for problem in exc.problems:
                say(str(problem), err=True)
            continue
        n_questions = len(loaded.questions_by_id)
        say(
            f"{path}: ok — {loaded.id} v{loaded.version}, {len(loaded.sections)} sections, "
            f"{n_questions} questions, languages {', '.join(loaded.languages)}"
        )
    if bad:
        sys.exit(2)


@script.command("list")
def script_list() -> None:
    """List the bundled scripts."""
    from cjm_interview.config import prompts_dir
    from cjm_interview.script import ScriptError, load_script

    for path in sorted(prompts_dir().glob("*.yaml")):
        try:
            loaded = load_script(path)
        except ScriptError:
            say(f"{path.stem:<12} (invalid: run `cjm script check {path}`)")
            continue
        say(f"{path.stem:<12} {loaded.title.get('en')} [{loaded.perspective}]")


# -------------------------------------------------------------------- sessions
@main.group()
def sessions() -> None:
    """List, show and delete interview sessions."""


@sessions.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option(
    "--status", type=click.Choice(["in_progress", "finished", "abandoned", "ended_early"])
)
def sessions_list(db_path: Path | None, as_json: bool, status: str | None) -> None:
    """List the sessions in a database."""
    from cjm_interview.store import open_store

    store = open_store(db_path, must_exist=True)
    rows = store.list_sessions(status=status)
    if as_json:
        from cjm_interview.printable import safe_json

        for row in rows:
            click.echo(safe_json(row))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from cjm_interview.printable import clean_field

    columns = ("id", "participant", "perspective", "segment", "status", "answers", "started")
    lines = [
        (row["id"], row["participant"], row["perspective"], row["segment"], row["status"],
         row["answers"], (row["started_at"] or "")[:16])
        for row in rows
    ]  # fmt: skip
    console = Console()
    if not console.is_terminal:
        # Piped or redirected: a line per session, tab-separated, nothing cut to a width
        # (a table fitted to 80 columns wrapped and cut the ids and segments).
        click.echo("\t".join(columns))
        for cells in lines:
            click.echo("\t".join(" ".join(clean_field(c).split()) for c in cells))
        return
    table = Table(title=Text(f"Sessions in {clean_field(store.path)}"), show_lines=False)
    for col in columns:
        table.add_column(col)
    for cells in lines:
        # Text cells are never read as Rich markup; clean_field drops escape sequences.
        table.add_row(Text(clean_field(cells[0])[:8]), *(Text(clean_field(c)) for c in cells[1:]))
    console.print(table)


@sessions.command("show")
@click.argument("session_id")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the session as JSON.")
def sessions_show(session_id: str, db_path: Path | None, as_json: bool) -> None:
    """Show one session's answers and tags (ID may be a unique prefix)."""
    from cjm_interview.store import open_store

    store = open_store(db_path, must_exist=True)
    detail = store.session_detail(store.resolve_session_id(session_id))
    if as_json:
        from cjm_interview.printable import safe_json

        click.echo(safe_json(detail, indent=2))
        return
    from cjm_interview.report import print_session

    print_session(detail)


@sessions.command("delete")
@click.argument("session_id")
@db_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def sessions_delete(session_id: str, db_path: Path | None, yes: bool) -> None:
    """Erase a participant's session: answers, tags, embeddings, notes and audit text."""
    from cjm_interview.store import open_store

    store = open_store(db_path, must_exist=True)
    full_id = store.resolve_session_id(session_id)
    if not yes:
        click.confirm(f"Erase session {full_id} and everything recorded in it?", abort=True)
    counts = store.delete_session(full_id)
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    purge = store.purge()
    say(f"Erased session {full_id} ({summary}); {purge.describe(store.path)}.")
    log = crash_log_of(store.path)
    logs = [p for p in (log, older_log(log)) if p.exists()]
    if logs:
        say(
            f"Not erased: {' and '.join(map(str, logs))}, a kiosk's crash log beside the "
            "database, may quote answers; delete it if this session may be in it."
        )
    if not purge.done:
        sys.exit(3)


# ---------------------------------------------------------------------- import
@main.command("import", short_help="Run interviews headlessly from a JSON file of answers.")
@click.argument("answers_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--script",
    "script_path",
    default=None,
    help="Script file, or the name of a bundled script (customer, staff, diagnostic) "
    "[default: the bundled script of each interview's perspective, customer or staff].",
)
@db_option
@click.option("--tag/--no-tag", default=False, help="Tag free-text answers while importing.")
@click.option("--fallback", is_flag=True, help="With --tag: use the lexicon tagger (no model).")
@click.option(
    "--redact",
    metavar="KINDS",
    default=None,
    help="Remove personal data from free text before storing: kinds such as email,phone,card; "
    "all; or none "
    "[default: the script's own setting].",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def import_command(
    answers_file: Path,
    script_path: str | None,
    db_path: Path | None,
    tag: bool,
    fallback: bool,
    redact: str | None,
    quiet: bool,
) -> None:
    """Run interviews headlessly from a JSON file of answers (see README for the format).

    Each interview goes through the same engine and store as a live one:
    answers are validated, branching applied, and every answer committed.
    """
    from cjm_interview.importer import import_file
    from cjm_interview.privacy import parse_kinds

    try:
        kinds = parse_kinds(redact) if redact is not None else None
    except ValueError as exc:
        fail(str(exc))
    result = import_file(
        answers_file,
        script_path=script_path,
        db_path=db_path,
        tagger_mode=("fallback" if fallback else "auto") if tag else None,
        progress=not quiet,
        redact=kinds,
    )
    if not quiet:
        say(result.summary(), err=True)
    else:  # problems are never silent
        for error in result.errors:
            say(f"Error: {error}", err=True)
        for untagged in result.untagged:
            say(f"Warning: {untagged}", err=True)
        for dropped in result.dropped:
            say(f"Warning: {dropped}", err=True)
    for session_id in result.session_ids:
        click.echo(session_id)
    if result.errors:
        sys.exit(2)


main.add_command(import_command, "replay")


# ------------------------------------------------------------------------- db
@main.group(short_help="Merge databases from several devices; check them.")
def db() -> None:
    """Database maintenance: merge stores from several devices, check, migrate."""


@db.command("merge")
@click.argument("out", type=click.Path(dir_okay=False))  # as typed: a Path drops a "/"
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def db_merge(out: str, inputs: tuple[Path, ...]) -> None:
    """Merge databases from several laptops or kiosks into OUT (created if missing)."""
    from cjm_interview.merge import merge_databases

    if not out.strip() or out.endswith(("/", os.sep)):
        fail(f"{out!r} names no file", "Give the study's file name, e.g. study.db.")
    study = Path(out)
    if not study.parent.is_dir():  # said of OUT, not of the file the merge first writes
        fail(f"{out}: folder {study.parent} does not exist", "Create it, or give another path.")
    try:
        report = merge_databases(study, list(inputs))
    except KeyboardInterrupt:
        # The study is consistent by now (a new one is not created, an existing one keeps
        # every input merged before); an input's check may still be reading on its thread,
        # and a normal exit would wait for it to end: seconds on a large file.
        click.echo("Interrupted.", err=True)
        sys.stderr.flush()
        os._exit(130)
    say(report.summary())


@db.command("check")
@db_option
def db_check(db_path: Path | None) -> None:
    """Check a database: SQLite's integrity, its schema, and that erasures are complete.

    Erasures are complete when no row names an erased session and no erased
    text can be left in free pages or the write-ahead log.
    """
    from cjm_interview.store import open_store

    store = open_store(db_path, must_exist=True)
    problems = store.integrity_check()
    if problems:
        fail(f"{store.path} is damaged: {problems[0]}", "Restore it from a backup or a kiosk copy.")
    erased = len(store.erased_sessions())
    leftovers = store.erasure_leftovers()
    if leftovers:
        fail(
            f"{store.path}: erased sessions still have data: {', '.join(leftovers)}",
            f"Erase them again with `cjm sessions delete ID --db {store.path}`.",
        )
    purge = store.purge_state()
    if erased and not purge.done:
        fail(
            f"{store.path}: erasure not complete: {purge.describe(store.path)}",
        )
    say(
        f"{store.path}: ok (schema {store.schema_version()}, {store.count_sessions()} sessions"
        + (f", {erased} erased with nothing left)" if erased else ")")
    )


@db.command("purge")
@db_option
def db_purge(db_path: Path | None) -> None:
    """Finish erasures: rewrite the file and empty its log so no erased text stays on disk."""
    from cjm_interview.store import open_store

    store = open_store(db_path, must_exist=True)
    purge = store.purge()
    if not purge.done:
        fail(f"{store.path}: {purge.describe(store.path)}")
    say(f"{store.path}: {purge.describe(store.path)}.")
