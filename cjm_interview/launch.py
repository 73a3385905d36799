"""The ``cjm`` console script: Ctrl-C while the command line starts up ends it in one line.

Importing the command line (click, rich, then the chosen command's modules) takes tens of
milliseconds, and a Ctrl-C there raised KeyboardInterrupt in the middle of an import, which
printed a traceback. From this module's first line until the command runs, SIGINT ends the
process at once with one line and status 130: nothing has been read or written yet. Then
``command_started`` gives Ctrl-C back to Python, and the command group (``cli.CjmGroup``) and
the commands that stop cleanly (``cjm merge``) turn it into one line themselves.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from types import FrameType

# The status a shell gives a program that SIGINT ended (128 + 2).
INTERRUPTED = 130


def _quit_starting(signum: int, frame: FrameType | None) -> None:
    os.write(2, b"Interrupted.\n")
    os._exit(INTERRUPTED)


# At import, not in main(): the console script does more (a regex) between the two.
signal.signal(signal.SIGINT, _quit_starting)


def command_started() -> None:
    """Let Ctrl-C raise KeyboardInterrupt again, if the start-up handler is still in place."""
    if signal.getsignal(signal.SIGINT) is _quit_starting:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def command_ended() -> None:
    """The command's work is done: what was printed is flushed, and a Ctrl-C from here (in
    the command line's own ending, then Python's) ends the process in one line."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    signal.signal(signal.SIGINT, _quit_starting)


def main() -> None:
    """Run the ``cjm`` command line."""
    from cjm_interview.cli import main as command

    # Registered first, run last: once every thread has ended and the last exit handler has
    # run, only Python's own tear-down is left, where a Ctrl-C killed the process by the
    # signal, silently (status -2). It has nothing left to stop there.
    atexit.register(signal.signal, signal.SIGINT, signal.SIG_IGN)
    # ``command_ended`` runs as the command group's invoke ends; before that (--help, a
    # usage error) the start-up handler is still the one in place.
    command()
