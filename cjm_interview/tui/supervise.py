"""A kiosk that crashes comes back: the next person never finds a shell.

Every answer is committed when given, so a crash loses nothing already
answered. The crashed participant's session is closed as abandoned, the
error goes to a log beside the database, and the welcome screen returns with
a short apology. A kiosk that keeps crashing stops, rather than flicker.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

CRASH_LIMIT = 3
"""Crashes within ``CRASH_WINDOW`` seconds after which the kiosk gives up."""

CRASH_WINDOW = 60.0

RESTARTED = "Sorry, the kiosk had a problem and restarted. Answers already given were saved."


class KioskRun(Protocol):
    """What the supervisor needs of a kiosk app (a Textual ``App``)."""

    @property
    def return_code(self) -> int | None: ...

    def run(self) -> object: ...

    def crashed_with(self) -> BaseException | None: ...

    def close_after_crash(self) -> None: ...


def run_kiosk(
    make: Callable[[str], KioskRun],
    crash_log: Path,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Run kiosk apps, restarting after a crash, until the operator leaves; the exit code.

    ``make(notice)`` builds a fresh app; ``notice`` is shown on its welcome screen.
    """
    crashes: list[float] = []
    notice = ""
    while True:
        app = make(notice)
        app.run()
        error = app.crashed_with()
        if error is None:
            return app.return_code or 0
        app.close_after_crash()
        _log(crash_log, error)
        now = clock()
        crashes = [at for at in crashes if now - at < CRASH_WINDOW] + [now]
        if len(crashes) >= CRASH_LIMIT:
            print(
                f"The kiosk stopped: {len(crashes)} crashes within {CRASH_WINDOW:.0f} s. "
                f"The errors are in {crash_log}.",
                file=sys.stderr,
            )
            return 1
        notice = RESTARTED


def _log(path: Path, error: BaseException) -> None:
    """Append the error to the crash log, readable by its owner only (it may quote answers)."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(error))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            log.write(f"--- {stamp} kiosk crash ---\n{text}\n")
    except OSError as exc:  # the restart matters more than the log
        print(f"Could not write the crash log {path}: {exc}", file=sys.stderr)
