"""How many threads the numeric libraries of a tagging process may use.

On a busy two-core machine the libraries' default, one thread per core, made
``cjm import --tag`` with torch 2.6 to 6.5 times slower than one thread, and
the heads' small matrix products (numpy's OpenBLAS) ten times slower: the
threads wait on each other and on every other process. So torch, OpenBLAS and
the tokenizer get one thread. ONNX Runtime, whose threads sleep rather than
spin, got through ``cjm tag --jsonl`` 1.4 to 2.2 times faster with two threads
even on that busy machine, for 7-11 % more CPU: batch commands give it two,
while the interviewer app's model process keeps one so the screen always has
a core (figures in ``benchmarks/README.md``). ``CJM_THREADS`` sets one count
for everything.

No numpy or torch here: the environment has to be set before they load.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

log = logging.getLogger(__name__)

DEFAULT_THREADS = 1
BATCH_ONNX_THREADS = 2
_batch = False
# Read by OpenBLAS (numpy), OpenMP and MKL (torch) when they load.
_POOLS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def threads() -> int:
    """Threads for tagging and training: ``CJM_THREADS``, else one."""
    raw = os.environ.get("CJM_THREADS", "")
    try:
        return max(1, int(raw)) if raw.strip() else DEFAULT_THREADS
    except ValueError:
        log.warning("CJM_THREADS=%r is not a number; using %d", raw, DEFAULT_THREADS)
        return DEFAULT_THREADS


def batch_work() -> None:
    """Mark this process as a batch command (``cjm tag --jsonl``): ONNX Runtime may use two."""
    global _batch
    _batch = True


def onnx_threads() -> int:
    """Threads for ONNX Runtime: ``CJM_THREADS``, else two in batch commands, else one."""
    if os.environ.get("CJM_THREADS", "").strip():
        return threads()
    if _batch:
        return max(1, min(BATCH_ONNX_THREADS, os.cpu_count() or 1))
    return DEFAULT_THREADS


def thread_env(count: int) -> dict[str, str]:
    """The environment variables that hold the libraries to ``count`` threads."""
    env = dict.fromkeys(_POOLS, str(count))
    # The tokenizer's own thread pool: one thread means no pool at all.
    env["TOKENIZERS_PARALLELISM"] = "true" if count > 1 else "false"
    env["RAYON_NUM_THREADS"] = str(count)
    return env


def limit_threads(count: int) -> None:
    """Hold this process's numeric libraries to ``count`` threads.

    Libraries read the environment when they load, so call this before
    numpy or torch is first imported where possible; torch, if already
    imported, is told directly. ONNX Runtime takes its count per session.
    """
    os.environ.update(thread_env(count))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(count)
        # Only allowed before torch's first parallel work.
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(1)
