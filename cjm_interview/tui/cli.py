"""``cjm interview`` and ``cjm kiosk``: the terminal UI's commands.

Imported only when one of them runs (see LAZY_COMMANDS in cjm_interview.cli).
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cjm_interview.cli import FiniteRange, db_option, names_a_file
from cjm_interview.files import crash_log_of

if TYPE_CHECKING:
    from cjm_interview.domain import Script

TAGGER_MODES = ("auto", "model", "fallback", "none")

tagger_option = click.option(
    "--tagger",
    "tagger_mode",
    type=click.Choice(TAGGER_MODES),
    default="auto",
    show_default=True,
    envvar="CJM_TAGGER",
    help="auto: quick lexicon tags at once, the model once loaded; model or fallback only; "
    "none: no tags [env CJM_TAGGER].",
)


def _known_theme(ctx: click.Context, param: click.Parameter, name: str) -> str:
    """An unknown theme crashed the app once it had started (the kiosk restarted itself
    three times over it): refused here, with the names there are."""
    from textual.theme import BUILTIN_THEMES

    from cjm_interview.tui.app import HIGH_CONTRAST

    known = [HIGH_CONTRAST.name, *sorted(BUILTIN_THEMES)]
    if name not in known:
        raise click.BadParameter(f"no theme {name!r}; known: {', '.join(known)}")
    return name


theme_option = click.option(
    "--theme",
    default="cjm-high-contrast",
    show_default=True,
    callback=_known_theme,
    help="Colour theme (any Textual theme name, e.g. textual-dark).",
)


def _script(name: str | None, default: str) -> Script:
    from cjm_interview.config import bundled_script
    from cjm_interview.script import load_script

    return load_script(bundled_script(name or default))


@click.command()
@click.option(
    "--script",
    "script_name",
    default=None,
    help="Script file, or a bundled script's name (customer, staff) [default: customer].",
)
@db_option
@click.option("--resume", "resume_id", default=None, help="Reopen this unfinished session at once.")
@click.option(
    "--interviewer",
    default=lambda: os.environ.get("USER", ""),
    help="Your name, kept with the answers and notes [default: $USER].",
)
@tagger_option
@theme_option
def interview(
    script_name: str | None,
    db_path: Path | None,
    resume_id: str | None,
    interviewer: str,
    tagger_mode: str,
    theme: str,
) -> None:
    """Run an interview in the terminal (interviewer mode).

    \b
    Keys: Enter sends (ctrl+j starts a new line in long answers), F1 help,
    F2 back, F3 skip, F4 note, F5 pause, F6 side panel, F7 tags of an answer,
    F10 end early, ctrl+q quit (the session stays resumable).
    """
    from cjm_interview.store import open_store
    from cjm_interview.tui.app import make_app
    from cjm_interview.tui.tagging import plan_for_mode

    script = _script(script_name, "customer")
    # A session to resume is looked up before the screen starts: a wrong id or file is
    # one line, and no database is created for a session that cannot be in it.
    store = open_store(db_path, must_exist=resume_id is not None)
    try:
        if resume_id is not None:
            resume_id = store.resolve_session_id(resume_id)
        app = make_app(
            store,
            script,
            "interviewer",
            plan_for_mode(tagger_mode),
            resume=resume_id,
            interviewer=interviewer,
            theme=theme,
        )
        app.run()
    finally:
        store.close()


@click.command()
@click.option(
    "--script",
    "script_name",
    default=None,
    help="Script file, or a bundled script's name [default: quick].",
)
@db_option
@click.option(
    "--idle",
    "idle_seconds",
    type=FiniteRange(min=1),
    default=120.0,
    show_default=True,
    help="Seconds without a key before 'are you still there?'.",
)
@click.option(
    "--countdown",
    "countdown_seconds",
    type=FiniteRange(min=1),
    default=30.0,
    show_default=True,
    help="Seconds 'are you still there?' waits before resetting for the next person.",
)
@click.option(
    "--pin-hash-file",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=names_a_file("the PIN hash file's name"),
    default=None,
    help="File holding the operator PIN's salted hash (else $CJM_KIOSK_PIN).",
)
@click.option(
    "--write-pin-hash",
    "write_pin_hash",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=names_a_file("the PIN hash file's name"),
    default=None,
    help="Ask for an operator PIN (not echoed), write its salted hash to this file, and exit.",
)
@click.option(
    "--kiosk-id",
    default=lambda: socket.gethostname(),
    help="Name of this terminal, kept with each session [default: host name].",
)
@click.option("--show-tags", is_flag=True, help="Show the tags under answers to participants.")
@tagger_option
@theme_option
def kiosk(
    script_name: str | None,
    db_path: Path | None,
    idle_seconds: float,
    countdown_seconds: float,
    pin_hash_file: Path | None,
    write_pin_hash: Path | None,
    kiosk_id: str,
    show_tags: bool,
    tagger_mode: str,
    theme: str,
) -> None:
    """Run self-completed interviews on a shared, locked-down terminal.

    Participants cannot leave the program: ctrl+c, ctrl+q, ctrl+z, Escape and
    the command palette do nothing. The operator leaves with F12 and the PIN,
    given by $CJM_KIOSK_PIN or --pin-hash-file; there is no default PIN, and
    without one the kiosk does not start.
    """
    from cjm_interview.pin import PIN_ENV, guard_from_environment, write_pin_hash_file

    if write_pin_hash is not None:
        import getpass
        import warnings

        with warnings.catch_warnings():
            # A PIN piped in (a setup script) is fine: no warning with the module's path.
            warnings.simplefilter("ignore", getpass.GetPassWarning)
            pin = click.prompt(
                "Operator PIN", hide_input=True, confirmation_prompt="Repeat the PIN", err=True
            )
        write_pin_hash_file(write_pin_hash, pin)
        click.echo(f"Wrote the PIN hash to {write_pin_hash}; start with --pin-hash-file.", err=True)
        return
    guard = guard_from_environment(os.environ, pin_hash_file)
    # The plain PIN is hashed already; nothing started from here should see it,
    # and Textual must not let ctrl+c or ctrl+z through as signals.
    os.environ.pop(PIN_ENV, None)
    os.environ.pop("TEXTUAL_ALLOW_SIGNALS", None)

    from cjm_interview.store import open_store
    from cjm_interview.tui.app import KioskApp, make_app
    from cjm_interview.tui.supervise import run_kiosk
    from cjm_interview.tui.tagging import plan_for_mode

    script = _script(script_name, "quick")
    store = open_store(db_path)

    def make(notice: str) -> KioskApp:
        app = make_app(
            store,
            script,
            "kiosk",
            plan_for_mode(tagger_mode),
            show_tags=show_tags,
            pin_guard=guard,
            idle_seconds=idle_seconds,
            countdown_seconds=countdown_seconds,
            kiosk_id=kiosk_id,
            theme=theme,
            notice=notice,
        )
        assert isinstance(app, KioskApp)
        return app

    try:
        code = run_kiosk(make, crash_log_of(store.path))
    finally:
        store.close()
    if code:
        sys.exit(code)
