"""Run ``cjm`` as a real process with a time and memory limit, for hostile inputs.

A hang or a runaway allocation then shows as a failed test, not a stuck suite.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MEMORY_LIMIT = 1_500 * 1024 * 1024


@dataclass
class Run:
    """What a ``cjm`` process did."""

    code: int
    out: str
    err: str


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def cjm(
    *args: str | Path,
    stdin: bytes | None = None,
    timeout: float = 30,
    env: dict[str, str] | None = None,
) -> Run:
    """``cjm ARGS`` in a fresh interpreter; fails the test on a hang (TimeoutExpired)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "400", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "cjm_interview", *map(str, args)],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        env=env,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )
    return Run(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def one_clear_line(run: Run) -> None:
    """Exit 2 with a short error and no traceback."""
    assert run.code == 2, (run.code, run.err[-500:])
    assert "Traceback" not in run.err, run.err[-2000:]
    assert run.err.strip(), "no message"
    assert len(run.err.strip().splitlines()) <= 3, run.err[-2000:]
