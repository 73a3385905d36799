"""Reading the files people give the command line: regular files only, with a size limit.

Every file the CLI reads (scripts, answers files, JSON Lines) goes through
``read_limited``, so ``/dev/zero``, ``/dev/urandom``, a FIFO or a folder is one
clear line instead of a hang or an exhausted memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from cjm_interview.errors import CjmError

MB = 1024 * 1024


class InputFileError(CjmError):
    """A file that cannot be read as input; the message names it and says why."""


class RepeatedKey(ValueError):
    """A key given twice in one JSON object (``once``): JSON keeps the last without a word."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of a JSON file (``object_pairs_hook``), or RepeatedKey: which one was meant?"""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RepeatedKey(key)
            seen.add(key)
    return data


def crash_log_of(database: Path) -> Path:
    """Where a kiosk on ``database`` logs its crashes: beside it."""
    return database.with_name(database.name + ".crash.log")


def older_log(log: Path) -> Path:
    """Where a full log is moved to make room (``<log>.1``, replacing the one before)."""
    return log.with_name(log.name + ".1")


def a(what: str) -> str:
    """``what`` with its article: "a script file", "an answers file"."""
    return f"{'an' if what[:1].lower() in 'aeiou' else 'a'} {what}"


def not_a_regular_file(path: Path, what: str) -> str:
    """Why an existing ``path`` cannot be used as a ``what`` ("" when it is a regular file).

    Only a stat: opening a FIFO would wait for a writer, and SQLite reads
    ``/dev/null`` as an empty database and "migrates" it.
    """
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        return f"{path}: is a folder, not {a(what)}"
    if not stat.S_ISREG(mode):
        return f"{path}: not a regular file (a device, pipe or socket), not {a(what)}"
    return ""


def _size(limit: int) -> str:
    # Whole megabytes only: 2,000,000 bytes said "1 MB" while 1.9 MB files were read.
    return f"{limit // MB} MB" if limit >= MB and limit % MB == 0 else f"{limit:,} bytes"


def read_limited(path: str | Path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, else InputFileError.

    The file is opened without blocking (a FIFO would wait for a writer forever)
    and checked with ``fstat`` on the open descriptor, so what is read is what
    was checked.
    """
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputFileError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{shown}: is a folder, not {a(what)}") from None
    except OSError as exc:
        raise InputFileError(f"{shown}: cannot read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputFileError(f"{shown}: is a folder, not {a(what)}")
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(
                f"{shown}: not a regular file (a device, pipe or socket), not {a(what)}",
                "Save the content to a file and give that file.",
            )
        if info.st_size > limit:
            raise InputFileError(
                f"{shown}: too large for {a(what)} ({info.st_size:,} bytes, limit {_size(limit)})"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = read_stream(handle, limit, shown, what)
    except OSError as exc:
        raise InputFileError(f"{shown}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)
    return data


def read_stream(stream: BinaryIO, limit: int, shown: str = "<stdin>", what: str = "input") -> bytes:
    """At most ``limit`` bytes of a stream; InputFileError if it holds more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputFileError(f"{shown}: too large for {a(what)} (more than {_size(limit)})")
    return data
