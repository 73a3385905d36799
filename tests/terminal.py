"""tmux for the tests that drive the real program in a real terminal.

The tests run their own tmux server (a private socket, no user configuration):
a tmux the developer already has open, with its own environment and options,
must not change what the program shows.
"""

from __future__ import annotations

import os
import shutil
import subprocess

TMUX = shutil.which("tmux")
SERVER = ["-L", f"cjm-tests-{os.getpid()}", "-f", "/dev/null"]


def tmux(*args: str, check: bool = True) -> str:
    """Run a tmux command on the tests' own server; its output."""
    assert TMUX is not None
    done = subprocess.run([TMUX, *SERVER, *args], capture_output=True, text=True, check=check)
    return done.stdout


def screen(session: str) -> str:
    """What the session's pane shows now, as text."""
    return tmux("capture-pane", "-p", "-t", session)


def kill(session: str) -> None:
    """End a session (the server goes with its last session)."""
    tmux("kill-session", "-t", session, check=False)
