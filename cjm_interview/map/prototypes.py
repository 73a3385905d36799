"""Sentence vectors of the map's own texts, shipped with the package.

The roles' sentences (``acts.ROLES``) and the stages the bundled scripts declare are
encoded once, whenever they change, and kept in ``prototypes.npz`` beside this module, so
that a map compares steps with them without loading the sentence model. Texts the file
does not hold (a study's own stages) are encoded on demand and cached in the study's
database (``vectors.text_vectors``).

    python -m cjm_interview.map.prototypes      # after editing ROLES or a bundled stage
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

FILE = Path(__file__).with_name("prototypes.npz")
BUNDLED_SCRIPTS = ("customer", "staff", "quick", "diagnostic")


def key(text: str) -> str:
    """The key a text's vector is kept under (also in the ``text_vectors`` table)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shipped_texts() -> list[str]:
    """The texts the package ships vectors of: every role's sentences, then every stage
    text of the bundled scripts, each once."""
    from cjm_interview.config import bundled_script
    from cjm_interview.map.acts import ROLES
    from cjm_interview.map.stages import declared, stage_texts
    from cjm_interview.script import load_script

    texts = [s for role in ROLES for s in role.sentences]
    for name in BUNDLED_SCRIPTS:
        path = bundled_script(name)
        if path.is_file():
            for stage in declared([load_script(path)]):
                texts += stage_texts(stage)
    return list(dict.fromkeys(texts))


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[str, dict[str, np.ndarray]]:
    if not FILE.is_file():
        return "", {}
    with np.load(FILE, allow_pickle=False) as data:
        model = str(data["model"])
        vectors = data["vectors"].astype(np.float32)
        return model, dict(zip((str(k) for k in data["keys"]), vectors, strict=True))


def shipped(texts: Sequence[str], model: str) -> dict[str, np.ndarray]:
    """The shipped vectors (by ``key``) of those texts that the file holds for ``model``."""
    found_model, vectors = _shipped()
    if found_model != model:
        return {}
    keys = {key(t) for t in texts}
    return {k: v for k, v in vectors.items() if k in keys}


def write(path: Path = FILE) -> int:
    """Encode the shipped texts and write the file; returns how many."""
    from cjm_interview.map.vectors import ENCODER
    from cjm_interview.nlp.embedding import encode

    texts = shipped_texts()
    vectors = encode(texts)
    np.savez_compressed(
        path,
        model=np.asarray(ENCODER),
        keys=np.asarray([key(t) for t in texts]),
        vectors=vectors.astype(np.float16),  # plenty for cosines, half the size
    )
    _shipped.cache_clear()
    return len(texts)


if __name__ == "__main__":
    print(f"{FILE.name}: {write()} texts", file=sys.stderr)
