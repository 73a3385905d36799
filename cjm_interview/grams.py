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


@functools.lru_cache(maxsize=131072)
def columns(text: str, dim: int) -> tuple[int, ...]:
    """The distinct columns (of ``dim``) the text's words and word pairs hash to, in order."""
    if dim <= 0:
        return ()
    tokens = _TOKEN.findall(text.lower())
    grams = {*tokens, *(f"{a} {b}" for a, b in itertools.pairwise(tokens))}
    return tuple(sorted({zlib.crc32(gram.encode("utf-8")) % dim for gram in grams}))
