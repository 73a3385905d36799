"""A kiosk that crashes comes back: the next person never finds a shell.

Every answer is committed when given, so a crash loses nothing already
answered. The crashed participant's session is closed as abandoned, the
error goes to a log beside the database, and the welcome screen returns with
a short apology. A kiosk that keeps crashing stops, rather than flicker.
"""

from __future__ import annotations

import os
import stat
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cjm_interview.files import older_log

CRASH_LIMIT = 3
"""Crashes within ``CRASH_WINDOW`` seconds after which the kiosk gives up."""

CRASH_WINDOW = 60.0

CRASH_LOG_LIMIT = 1_000_000
"""Bytes after which the crash log is moved to ``<log>.1`` (replacing it) and begun anew."""

RESTARTED = "Sorry, the kiosk had a problem and restarted. Answers already given were saved."


class UnexpectedExit(Exception):
    """The kiosk ended without the operator's PIN (Textual stopped it, say)."""


class KioskRun(Protocol):
    """What the supervisor needs of a kiosk app (a Textual ``App``)."""

    @property
    def return_code(self) -> int | None: ...

    @property
    def operator_left(self) -> bool: ...

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
    Only the operator ends the kiosk: any other end, even one Textual calls
    normal (exit code 0), is a crash to recover from.
    """
    crashes: list[float] = []
    notice = ""
    while True:
        app = make(notice)
        error: BaseException | None
        try:
            app.run()
            error = app.crashed_with()
        except Exception as exc:  # the app could not even run: still the kiosk's to recover
            error = exc
        if error is None and app.operator_left:
            return app.return_code or 0
        if error is None:
            error = UnexpectedExit(
                f"the kiosk ended without the operator (exit code {app.return_code})"
            )
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
    """Append the error to the crash log: owner-only, never through a link, kept under a size.

    Errors may quote answers, so the log is the owner's alone whatever it was
    before; a link or anything but a regular file in its place is refused.
    """
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    entry = f"--- {stamp} kiosk crash ---\n{''.join(traceback.format_exception(error))}\n"
    data = entry.encode("utf-8", errors="replace")[-CRASH_LOG_LIMIT // 2 :]
    try:
        fd = _open_log(path)
        if os.fstat(fd).st_size + len(data) > CRASH_LOG_LIMIT:
            os.close(fd)
            os.replace(path, older_log(path))
            fd = _open_log(path)
        with os.fdopen(fd, "ab") as log:
            log.write(data)
    except OSError as exc:  # the restart matters more than the log
        print(f"Could not write the crash log {path}: {exc.strerror or exc}", file=sys.stderr)


def _open_log(path: Path) -> int:
    """The log opened for appending, owner-only; OSError for a link or a non-file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file")
        if stat.S_IMODE(info.st_mode) != 0o600:
            os.fchmod(fd, 0o600)  # an older log kept other people's read bits
    except BaseException:
        os.close(fd)
        raise
    return fd
