"""Words and word pairs hashed into a fixed number of columns.

Heads read them beside a sentence vector, which blurs wording ("still", "again", "never
replied", a question mark). The hash (CRC-32) is stable across runs and machines, so
trained weights keep their meaning.
"""

from __future__ import annotations

import functools
import itertools
import re
import zlib

_TOKEN = re.compile(r"[a-z][a-z']*|[!?]")


# Texts up to this long are remembered (a study repeats its short steps thousands of times);
# a longer one is worked out each time, so that pasted pages never pile up in memory.
CACHED_LENGTH = 400


def columns(text: str, dim: int) -> tuple[int, ...]:
    """The distinct columns (of ``dim``) the text's words and word pairs hash to, sorted."""
    if dim <= 0:
        return ()
    return _cached(text, dim) if len(text) <= CACHED_LENGTH else _columns(text, dim)


@functools.lru_cache(maxsize=65536)
def _cached(text: str, dim: int) -> tuple[int, ...]:
    return _columns(text, dim)


def _columns(text: str, dim: int) -> tuple[int, ...]:
    tokens = _TOKEN.findall(text.lower())
    grams = {*tokens, *(f"{a} {b}" for a, b in itertools.pairwise(tokens))}
    return tuple(sorted({zlib.crc32(gram.encode("utf-8")) % dim for gram in grams}))
