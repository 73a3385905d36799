"""Work done beside the map's main line, on the machine's other core.

A map is built by one Python thread; its themes (the whole-journey answers and
the pain points, clustered) need nothing the moments make. A forked child
computes them from the journeys already in memory while the parent forms the
moments, and sends back only the result. Where a child cannot be forked safely
(no ``fork``, macOS, other threads running, a study too small to gain), or fails
for any reason, the same work is done in the parent when its result is asked for:
the map is the same either way.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from cjm_interview.store import Store
from cjm_interview.store.db import read_only_uri

T = TypeVar("T")

# Below this many steps told, a fork costs more than the work it takes over.
LEAST_STEPS = 20_000


def can_fork() -> bool:
    """Whether a child can be forked safely here, and gains: only the main thread runs (a
    lock held by another at the fork would never be released in the child), and this
    process may run on two cores or more (on one, the child's work and its pickling
    would only add to the parent's)."""
    return (
        hasattr(os, "fork")
        and sys.platform != "darwin"
        and threading.active_count() == 1
        and _cores() > 1
    )


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextlib.contextmanager
def reader(store: Store, parent: int) -> Iterator[sqlite3.Connection]:
    """The store's connection in process ``parent``; in a child forked from it, a
    read-only connection of its own (one is never used on both sides of a fork)."""
    if os.getpid() == parent:
        yield store.conn
        return
    conn = sqlite3.connect(read_only_uri(store.path), uri=True)
    try:
        yield conn
    finally:
        conn.close()


class Beside(Generic[T]):
    """The result of ``work()``, computed in a forked child while the caller goes on
    (``fork``), else here when first asked for."""

    def __init__(self, work: Callable[[], T], fork: bool) -> None:
        self._work = work
        self._pid: int | None = None
        self._read: int | None = None
        if fork and can_fork():
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # too many processes, or no memory to copy this one's map
            os.close(read)
            os.close(write)
            return  # the work is done here
        if pid == 0:  # the child
            status = 1
            try:
                os.close(read)
                payload = pickle.dumps(self._work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(payload)
                status = 0
            finally:
                # Whatever happened (the parent then does the work itself), it leaves
                # without the parent's exit handlers, buffers or connections.
                os._exit(status)
        os.close(write)
        self._pid, self._read = pid, read

    def result(self) -> T:
        """The work's result (waits for the child, if there is one)."""
        if self._pid is None or self._read is None:
            return self._work()
        pid, read = self._pid, self._read
        self._pid = self._read = None
        chunks: list[bytes] = []
        try:
            while chunk := os.read(read, 1 << 20):
                chunks.append(chunk)
        except BaseException:  # Ctrl-C while waiting: the child's work is no longer wanted
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            raise
        finally:
            os.close(read)
            _, status = os.waitpid(pid, 0)
        payload = b"".join(chunks)
        if status != 0 or not payload:
            return self._work()
        result: T = pickle.loads(payload)
        return result

    def cancel(self) -> None:
        """Stop the child, if any (the caller gave up)."""
        if self._pid is None or self._read is None:
            return
        pid, read = self._pid, self._read
        self._pid = self._read = None
        os.close(read)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
