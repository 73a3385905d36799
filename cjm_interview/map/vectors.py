"""Step vectors: cached sentence embeddings, encoded on demand, or hashed words."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from cjm_interview.map import prototypes
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


@dataclass(frozen=True)
class KnownVectors:
    """Answers' sentence vectors already read from the cache: answer id -> row of ``vectors``."""

    row_of: dict[int, int]
    vectors: np.ndarray


def step_vectors(
    store: Store, steps: Sequence[Step], encode_missing: bool = True, progress: bool = False
) -> tuple[np.ndarray, str, str, KnownVectors | None]:
    """Vectors of the steps' actions, the representation used, why when it is the fallback,
    and (when every one was read from the cache) which answer each row belongs to.

    Cached sentence vectors are read straight into one array. Missing ones are
    encoded (and cached, when the database can be written); when that is not
    possible every step falls back to the lexical representation, so that all
    steps are compared alike.
    """
    if not steps:
        return np.zeros((0, 1), dtype=np.float32), "none", "", None
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
    if out is not None:
        # A file from elsewhere may hold vectors no encoder gives (NaN, infinite): missing.
        have &= np.isfinite(out).all(axis=1)
    missing = [int(i) for i in np.flatnonzero(~have)]
    if len(missing) == 0 and out is not None:
        return out, ENCODER, "", KnownVectors(row_of, out)
    if not encode_missing:
        return lexical([s.action for s in steps]), "lexical", "encoding switched off", None
    try:
        from cjm_interview.nlp.embedding import encode

        encoded = encode([steps[i].action for i in missing], progress=progress)
    except Exception as exc:  # no model here: words for every step
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        return (
            lexical([s.action for s in steps]),
            "lexical",
            f"model unavailable ({reason})",
            None,
        )
    if out is None or out.shape[1] != encoded.shape[1]:
        out = np.empty((len(steps), encoded.shape[1]), dtype=np.float32)
        missing = list(range(len(steps)))
        encoded = encode([s.action for s in steps], progress=progress)
    out[missing] = encoded
    _cache_vectors(store, [(steps[i].action_answer_id, out[i]) for i in missing])
    return out, ENCODER, "", None


def _cache_vectors(store: Store, rows: Sequence[tuple[int, np.ndarray]]) -> None:
    """Keep vectors encoded on demand, so the next map does not encode them again."""
    if store.read_only or not rows:
        return
    now = store.clock()
    # A cache: a busy, locked or full database must not stop the map.
    with contextlib.suppress(Exception):
        store.write(
            lambda conn: conn.executemany(
                "INSERT OR REPLACE INTO embeddings (answer_id, model, dim, vector, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(a, ENCODER, len(v), v.astype("<f4").tobytes(), now) for a, v in rows],
            )
        )


def text_vectors(
    store: Store, texts: Sequence[str], representation: str, encode_missing: bool
) -> np.ndarray | None:
    """Vectors of texts that are not answers (stage names and descriptions, the roles'
    sentences), in the steps' representation, or None when any is missing."""
    if not texts:
        return None
    if representation == "lexical":
        return lexical(texts)
    vectors, have = cached_vectors(store, texts, representation, encode_missing)
    return vectors if bool(have.all()) else None


def cached_vectors(
    store: Store,
    texts: Sequence[str],
    representation: str,
    encode_missing: bool,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Sentence vectors of texts, and which were found: shipped with the package
    (``prototypes``), cached in ``text_vectors``, else encoded when allowed (and cached).
    Rows not found are zero."""
    keys = [prototypes.key(t) for t in texts]
    found: dict[str, np.ndarray] = prototypes.shipped(texts, representation)
    wanted = sorted(set(keys) - set(found))
    if wanted:
        with contextlib.suppress(Exception):  # a file from before the cache: nothing cached
            for sha, blob in store.conn.execute(
                "SELECT v.sha256, v.vector FROM text_vectors v JOIN json_each(?) k "
                "ON k.value = v.sha256 WHERE v.model = ?",
                (json.dumps(wanted), representation),
            ):
                vector = np.frombuffer(blob, dtype="<f4")
                if np.isfinite(vector).all():
                    found[sha] = vector
    missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
    if missing and encode_missing:
        with contextlib.suppress(Exception):  # no model here: the caller does without
            from cjm_interview.nlp.embedding import encode

            encoded = encode(missing, progress=progress)
            now = store.clock()
            rows = []
            for text, vector in zip(missing, encoded, strict=True):
                found[prototypes.key(text)] = vector
                blob = vector.astype("<f4").tobytes()
                rows.append((prototypes.key(text), representation, len(vector), blob, now))
            if not store.read_only:
                store.write(
                    lambda conn: conn.executemany(
                        "INSERT OR IGNORE INTO text_vectors (sha256, model, dim, vector, "
                        "created_at) VALUES (?, ?, ?, ?, ?)",
                        rows,
                    )
                )
    sizes = {len(v) for v in found.values()}
    dim = sizes.pop() if len(sizes) == 1 else 0
    out = np.zeros((len(texts), max(dim, 1)), dtype=np.float32)
    have = np.zeros(len(texts), dtype=bool)
    if dim:
        for i, k in enumerate(keys):
            if k in found:
                out[i] = found[k]
                have[i] = True
    return out, have


@dataclass
class Parts:
    """Vectors of what a step says first and of each of its clauses."""

    opening: np.ndarray  # each step's opening words (its whole vector when short or missing)
    clause_step: np.ndarray  # the step of each clause below
    clauses: np.ndarray  # the clauses of steps told in two or more
    # What each opening vector is of: the opening's words, or the whole step where its
    # vector stands in (so that a head reading words reads the same text as the vector).
    opening_texts: list[str]
    # Openings and clauses with no vector (none cached, encoding switched off): their steps
    # are read whole, so the map may differ from one made with them.
    missing: int = 0


def part_vectors(
    store: Store,
    steps: Sequence[Step],
    whole: np.ndarray,
    representation: str,
    encode_missing: bool,
    progress: bool = False,
) -> Parts:
    """Opening and clause vectors of the steps (``acts.opening``, ``acts.parts``), read
    like the roles' sentences: cached, else encoded when allowed; with words only, none."""
    from cjm_interview.map.acts import MAX_PARTS, each_once, opening, parts

    opening_vectors = whole
    actions = [s.action for s in steps]
    none = Parts(
        whole, np.zeros(0, dtype=np.int64), np.zeros((0, whole.shape[1]), np.float32), actions
    )
    if representation != ENCODER or not steps:
        return none
    index, of = each_once(actions)
    # A step of a few words is its own opening: its vector serves.
    opened = {a: o for a in index if (o := opening(a)) != a.strip()}
    told = {a: p for a in index if len(p := parts(a)[:MAX_PARTS]) > 1}
    texts = list(dict.fromkeys([*opened.values(), *(c for p in told.values() for c in p)]))
    if not texts:
        return none
    vectors, have = cached_vectors(store, texts, representation, encode_missing, progress)
    if vectors.shape[1] != whole.shape[1]:  # none found (or of another size): steps whole
        return replace(none, missing=int((~have).sum()))
    row = {t: i for i, t in enumerate(texts)}
    opening_texts = actions
    if opened:
        opening_row = np.full(len(index), -1, dtype=np.int64)
        for a, text in opened.items():
            if have[row[text]]:
                opening_row[index[a]] = row[text]
        at = opening_row[of]
        opening_vectors = whole.copy()
        opening_vectors[at >= 0] = vectors[at[at >= 0]]
        opening_texts = [
            texts[r] if r >= 0 else a for r, a in zip(at.tolist(), actions, strict=True)
        ]
    clause_rows = [np.zeros(0, dtype=np.int64)] * len(index)
    for a, p in told.items():
        clause_rows[index[a]] = np.asarray([row[c] for c in p if have[row[c]]], dtype=np.int64)
    counts = np.asarray([len(r) for r in clause_rows], dtype=np.int64)[of]
    clause_step = np.repeat(np.arange(len(steps), dtype=np.int64), counts)
    rows = np.concatenate([clause_rows[u] for u in of[counts > 0]] or [np.zeros(0, np.int64)])
    return Parts(opening_vectors, clause_step, vectors[rows], opening_texts, int((~have).sum()))
