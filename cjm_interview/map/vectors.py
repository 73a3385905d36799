"""Step vectors: cached sentence embeddings, encoded on demand, or hashed words."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter
from collections.abc import Sequence

import numpy as np

from cjm_interview.map.journeys import Step
from cjm_interview.map.labels import content_words
from cjm_interview.store import Store

ENCODER = "all-MiniLM-L6-v2"
LEXICAL_DIM = 4096


def lexical(texts: Sequence[str]) -> np.ndarray:
    """Hashed content words and their character trigrams, tf-idf weighted, unit length."""
    rows: list[Counter[str]] = []
    for text in texts:
        words = content_words(text)
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
        # n/df, unsmoothed: a study told twice over weighs its words as the study itself.
        idf = float(np.log(n / seen) + 1)
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
        return lexical([s.action for s in steps]), "lexical", "encoding switched off"
    try:
        from cjm_interview.nlp.embedding import encode

        encoded = encode([steps[i].action for i in missing], progress=progress)
    except Exception as exc:  # no model here: words for every step
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        return lexical([s.action for s in steps]), "lexical", f"model unavailable ({reason})"
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


def text_vectors(
    store: Store, texts: Sequence[str], representation: str, encode_missing: bool
) -> np.ndarray | None:
    """Vectors of texts that are not answers (stage names and descriptions), in the steps'
    representation: cached in ``text_vectors``, encoded when allowed, else None."""
    if not texts:
        return None
    if representation == "lexical":
        return lexical(texts)
    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    cached: dict[str, bytes] = {}
    with contextlib.suppress(Exception):  # a file from before the cache: nothing cached
        cached = dict(
            store.conn.execute(
                "SELECT v.sha256, v.vector FROM text_vectors v JOIN json_each(?) k "
                "ON k.value = v.sha256 WHERE v.model = ?",
                (json.dumps(keys), representation),
            ).fetchall()
        )
    missing = [i for i, k in enumerate(keys) if k not in cached]
    if missing:
        if not encode_missing:
            return None
        try:
            from cjm_interview.nlp.embedding import encode

            encoded = encode([texts[i] for i in missing])
        except Exception:  # no model here: the caller places without meaning
            return None
        rows = []
        for i, vector in zip(missing, encoded, strict=True):
            cached[keys[i]] = vector.astype("<f4").tobytes()
            rows.append((keys[i], representation, len(vector), cached[keys[i]], store.clock()))
        if not store.read_only:
            with contextlib.suppress(Exception):  # a cache: a busy database must not stop the map
                store.write(
                    lambda conn: conn.executemany(
                        "INSERT OR IGNORE INTO text_vectors (sha256, model, dim, vector, "
                        "created_at) VALUES (?, ?, ?, ?, ?)",
                        rows,
                    )
                )
    return np.stack([np.frombuffer(cached[k], dtype="<f4") for k in keys]).astype(np.float32)
