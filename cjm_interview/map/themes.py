"""Themes: the whole-journey answers (outcomes, improvements, ideal journeys) and the pain
points, clustered so that every answer is counted and reachable, not only the first few.

Answers said in the same words are one point; points are grouped by the same
k-means and average linkage as the moments (``align``), on the cached sentence
vectors when every answer has one, else on words. Each theme is named by its most
central short clause and lists every member with the session and answer it came from.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from cjm_interview.map.align import join, kmeans, points
from cjm_interview.map.labels import central_clause, normalise
from cjm_interview.map.vectors import ENCODER, KnownVectors, lexical

THRESHOLD = {"lexical": 0.12, ENCODER: 0.45}
MOST = 12  # themes at most per list


def answer_vectors(
    conn: sqlite3.Connection, answer_ids: Sequence[int], known: KnownVectors | None = None
) -> np.ndarray | None:
    """Cached sentence vectors of these answers, or None when any is missing. Those
    ``known`` (read already, the steps' actions) are not read again."""
    if not answer_ids:
        return None
    row_of = known.row_of if known is not None else {}
    wanted = sorted({a for a in answer_ids if a not in row_of})
    rows: dict[int, bytes] = {}
    if wanted:
        rows = dict(
            conn.execute(
                "SELECT e.answer_id, e.vector FROM embeddings e JOIN json_each(?) w "
                "ON w.value = e.answer_id WHERE e.model = ? AND length(e.vector) > 0",
                (json.dumps(wanted), ENCODER),
            ).fetchall()
        )
    if any(a not in rows and a not in row_of for a in answer_ids):
        return None
    read = known.vectors if known is not None else np.zeros((0, 0), dtype=np.float32)
    sizes = {len(v) for v in rows.values()}
    if len(wanted) < len(set(answer_ids)):  # some were known
        sizes.add(read.shape[1] * 4)
    if len(sizes) != 1:
        return None
    out = np.stack(
        [np.frombuffer(rows[a], dtype="<f4") if a in rows else read[row_of[a]] for a in answer_ids]
    ).astype(np.float32)
    return out if bool(np.isfinite(out).all()) else None  # a file from elsewhere: words


def themes(
    conn: sqlite3.Connection,
    items: Sequence[tuple[str, str, int]],
    most: int = MOST,
    known: KnownVectors | None = None,
) -> list[dict[str, Any]]:
    """Themes of (text, session id, answer id) items, the largest first, every item in one
    (``known``: vectors read already, see ``answer_vectors``)."""
    items = [(" ".join(t.split()), s, a) for t, s, a in items if t and t.strip()]
    if not items:
        return []
    texts = [t for t, _, _ in items]
    vectors = answer_vectors(conn, [a for _, _, a in items], known)
    representation = ENCODER if vectors is not None else "lexical"
    if vectors is None:
        vectors = lexical(texts)
    keys = [normalise(t) or t for t in texts]
    of, px, pw = points(keys, vectors)
    micro = kmeans(px, pw, min(48, len(px)))
    group = join(px, pw, micro, THRESHOLD[representation], (1, most), 0.0)[of]
    members: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(group):
        members[int(g)].append(i)
    out: list[dict[str, Any]] = []
    for indices in members.values():
        counted: dict[str, dict[str, Any]] = {}
        for i in indices:
            text, session_id, answer_id = items[i]
            entry = counted.setdefault(keys[i], {"text": text[:280], "count": 0, "answers": []})
            entry["count"] += 1
            entry["answers"].append({"session_id": session_id, "answer_id": answer_id})
        listed = sorted(counted.values(), key=lambda e: (-e["count"], e["text"]))
        out.append(
            {
                "label": central_clause([texts[i] for i in indices]),
                "count": len(indices),
                "sessions": len({items[i][1] for i in indices}),
                "members": listed,
            }
        )
    out.sort(key=lambda th: (-th["count"], th["label"]))
    return out
