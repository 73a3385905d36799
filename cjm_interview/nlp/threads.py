"""How many threads the numeric libraries of a tagging process may use.

On a busy two-core machine the libraries' default, one thread per core, made
``cjm import --tag`` with torch 2.6 to 6.5 times slower than one thread, and
the heads' small matrix products (numpy's OpenBLAS) ten times slower: the
threads wait on each other and on every other process. ONNX Runtime gained
from two threads only when the machine was so overloaded that a second
thread won a larger share of it (load 12 on 2 cores); at a load of 6.5 one
thread was faster (``cjm tag --jsonl`` on 300 texts: 13.2 s against 19.8 s),
and the interviewer app's model process must leave the screen a core. So
everything gets one thread (figures in ``benchmarks/README.md``);
``CJM_THREADS`` sets another count.

No numpy or torch here: the environment has to be set before they load.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

log = logging.getLogger(__name__)

DEFAULT_THREADS = 1
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


def onnx_threads() -> int:
    """Threads for ONNX Runtime: the same count (``threads()``)."""
    return threads()


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
