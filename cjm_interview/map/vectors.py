"""Step vectors: cached sentence embeddings, encoded on demand, or hashed words."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from cjm_interview.map.journeys import Step
from cjm_interview.store import Store

ENCODER = "all-MiniLM-L6-v2"
LEXICAL_DIM = 4096


# Words that say nothing about which step it was: how people string a story
# together ("then", "after that"), pronouns, articles, auxiliaries.
STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        """a about actually after again all also an and any are as at be because been before being
        but by can could did do does doing done during each eventually every finally first for from
        further had has have having he her here him his how i i'd i'm i've if in into is it it's its
        just last later me more most my myself next no nor not now of off on once only or other our
        out over own really same she should so some still such than that the their them then there
        these they this those through to too twice under until up us very was we were what when
        where which while who why will with would yet you your""",
    )
)


def _stem(word: str) -> str:
    """A light suffix strip, so "called", "calls" and "calling" meet."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _lexical(texts: Sequence[str]) -> np.ndarray:
    """Hashed content words and their character trigrams, tf-idf weighted, unit length."""
    rows: list[Counter[str]] = []
    for text in texts:
        words = [_stem(w) for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in STOPWORDS]
        grams = [f"w:{w}" for w in words]
        for w in words:
            padded = f" {w} "
            grams += [f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2)]
        rows.append(Counter(grams))
    df: Counter[str] = Counter()
    for counts in rows:
        df.update(counts.keys())
    n = max(len(rows), 1)
    column: dict[str, tuple[int, float]] = {}
    for gram, seen in df.items():
        h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(), "little")
        idf = float(np.log((1 + n) / (1 + seen)) + 1)
        column[gram] = (h % LEXICAL_DIM, idf * (2.0 if gram.startswith("w:") else 1.0))
    matrix = np.zeros((len(rows), LEXICAL_DIM), dtype=np.float32)
    for i, counts in enumerate(rows):
        for gram, count in counts.items():
            j, weight = column[gram]
            matrix[i, j] += (1 + np.log(count)) * weight
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.maximum(norms, 1e-9), dtype=np.float32)


def step_vectors(
    store: Store, steps: Sequence[Step], encode_missing: bool = True, progress: bool = False
) -> tuple[np.ndarray, str, str]:
    """Vectors of the steps' actions, the representation used, and why when it is the fallback.

    Cached sentence vectors are read straight into one array. Missing ones are
    encoded (and cached, when the database can be written); when that is not
    possible every step falls back to the lexical representation, so that all
    steps are compared alike.
    """
    if not steps:
        return np.zeros((0, 1), dtype=np.float32), "none", ""
    row_of = {s.action_answer_id: i for i, s in enumerate(steps)}
    out: np.ndarray | None = None
    have = np.zeros(len(steps), dtype=bool)
    # Streamed a batch at a time into one array, so no second copy is held.
    join = ""
    params: tuple[str, ...] = (ENCODER,)
    if len(steps) < 50_000:
        join = "JOIN json_each(?) w ON w.value = e.answer_id"
        params = (json.dumps(list(row_of)), ENCODER)
    cursor = store.conn.execute(
        f"SELECT e.answer_id, e.vector FROM embeddings e {join} WHERE e.model = ? "
        "AND length(e.vector) > 0",
        params,
    )
    while batch := cursor.fetchmany(8192):
        if out is None:
            out = np.empty((len(steps), len(batch[0][1]) // 4), dtype=np.float32)
        size = out.shape[1] * 4
        found = [(row_of[a], blob) for a, blob in batch if a in row_of and len(blob) == size]
        if found:
            index = np.fromiter((i for i, _ in found), dtype=np.int64, count=len(found))
            block = np.frombuffer(b"".join(blob for _, blob in found), dtype="<f4")
            out[index] = block.reshape(len(found), -1)
            have[index] = True
    missing = [int(i) for i in np.flatnonzero(~have)]
    if len(missing) == 0 and out is not None:
        return out, ENCODER, ""
    if not encode_missing:
        return _lexical([s.action for s in steps]), "lexical", "encoding switched off"
    try:
        from cjm_interview.nlp.embedding import encode

        encoded = encode([steps[i].action for i in missing], progress=progress)
    except Exception as exc:  # no model here: words for every step
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        return _lexical([s.action for s in steps]), "lexical", f"model unavailable ({reason})"
    if out is None or out.shape[1] != encoded.shape[1]:
        out = np.empty((len(steps), encoded.shape[1]), dtype=np.float32)
        missing = list(range(len(steps)))
        encoded = encode([s.action for s in steps], progress=progress)
    out[missing] = encoded
    _cache_vectors(store, [(steps[i].action_answer_id, out[i]) for i in missing])
    return out, ENCODER, ""


def _cache_vectors(store: Store, rows: Sequence[tuple[int, np.ndarray]]) -> None:
    """Keep vectors encoded on demand, so the next map does not encode them again."""
    if store.read_only or not rows:
        return
    now = store.clock()
    # A cache: a busy, locked or full database must not stop the map.
    with contextlib.suppress(Exception):
        store.write(
            lambda conn: conn.executemany(
                "INSERT OR IGNORE INTO embeddings (answer_id, model, dim, vector, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(a, ENCODER, len(v), v.astype("<f4").tobytes(), now) for a, v in rows],
            )
        )
