"""Sentence vectors and the role head the map ships with the package.

The stages the bundled scripts declare are encoded once, whenever they change, and kept in
``prototypes.npz`` beside this module, so that a map compares steps with them without
loading the sentence model. Texts the file does not hold (a study's own stages) are encoded
on demand and cached in the study's database (``vectors.text_vectors``). The same file holds
the role head (``acts.RoleHead``), learnt from the examples in ``models/roles.jsonl`` on
their vectors, and the hash of the examples it was learnt from.

    python -m cjm_interview.map.prototypes      # after editing the examples or a bundled stage
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from cjm_interview.map.acts import RoleHead

FILE = Path(__file__).with_name("prototypes.npz")
BUNDLED_SCRIPTS = ("customer", "staff", "quick", "diagnostic")
# The head learns from few rows: a little weight decay keeps it from reading one
# example's topic words as its role (chosen on the complaint study's dev split).
ROLE_L2 = 1e-3
ROLE_STEPS = 400


def key(text: str) -> str:
    """The key a text's vector is kept under (also in the ``text_vectors`` table)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def role_examples_file() -> Path:
    from cjm_interview.config import models_dir

    return models_dir() / "roles.jsonl"


def role_examples(path: Path | None = None) -> tuple[list[str], list[str]]:
    """The role examples' texts and role keys, in the file's order."""
    texts, roles = [], []
    for line in (path or role_examples_file()).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            texts.append(str(row["text"]))
            roles.append(str(row["role"]))
    return texts, roles


def examples_hash(path: Path | None = None) -> str:
    """The hash the shipped head records of the examples it learnt from."""
    return hashlib.sha256((path or role_examples_file()).read_bytes()).hexdigest()


def shipped_texts() -> list[str]:
    """The texts the package ships vectors of: every stage text of the bundled scripts,
    each once."""
    from cjm_interview.config import bundled_script
    from cjm_interview.map.stages import declared, stage_texts
    from cjm_interview.script import load_script

    texts: list[str] = []
    for name in BUNDLED_SCRIPTS:
        path = bundled_script(name)
        if path.is_file():
            for stage in declared([load_script(path)]):
                texts += stage_texts(stage)
    return list(dict.fromkeys(texts))


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[str, dict[str, np.ndarray], dict[str, np.ndarray]]:
    if not FILE.is_file():
        return "", {}, {}
    with np.load(FILE, allow_pickle=False) as data:
        model = str(data["model"])
        vectors = data["vectors"].astype(np.float32)
        head = {
            name: data[name]
            for name in ("role_keys", "role_weights", "role_bias", "role_examples")
            if name in data
        }
        return model, dict(zip((str(k) for k in data["keys"]), vectors, strict=True)), head


def shipped(texts: Sequence[str], model: str) -> dict[str, np.ndarray]:
    """The shipped vectors (by ``key``) of those texts that the file holds for ``model``."""
    found_model, vectors, _ = _shipped()
    if found_model != model:
        return {}
    keys = {key(t) for t in texts}
    return {k: v for k, v in vectors.items() if k in keys}


def role_head(model: str) -> RoleHead | None:
    """The shipped role head for vectors of ``model``, or None (another model, no file, or
    a head of other roles than ``acts.ROLES``)."""
    from cjm_interview.map.acts import ROLES, RoleHead

    found_model, _, head = _shipped()
    if found_model != model or "role_weights" not in head:
        return None
    if [str(k) for k in head["role_keys"]] != [r.key for r in ROLES]:
        return None
    return RoleHead(head["role_weights"].astype(np.float32), head["role_bias"].astype(np.float32))


def shipped_examples_hash() -> str:
    """The hash of the examples the shipped head learnt from ("" without one)."""
    head = _shipped()[2]
    return str(head["role_examples"]) if "role_examples" in head else ""


def fit_role_head(vectors: np.ndarray, roles: Sequence[str]) -> RoleHead:
    """A role head learnt from examples' vectors and their role keys."""
    from cjm_interview.map.acts import ROLES, RoleHead
    from cjm_interview.nlp.train import fit_softmax

    index = {r.key: i for i, r in enumerate(ROLES)}
    unknown = sorted(set(roles) - set(index))
    if unknown:
        raise ValueError(f"unknown role(s) in the examples: {', '.join(unknown)}")
    y = np.asarray([index[r] for r in roles], dtype=np.int64)
    weights, bias = fit_softmax(
        np.asarray(vectors, dtype=np.float32), y, len(ROLES), l2=ROLE_L2, steps=ROLE_STEPS
    )
    return RoleHead(weights, bias)


def write(path: Path = FILE) -> int:
    """Encode the shipped texts and the role examples, learn the head, write the file;
    returns how many texts were encoded."""
    from cjm_interview.map.acts import ROLES
    from cjm_interview.map.vectors import ENCODER
    from cjm_interview.nlp.embedding import encode

    texts = shipped_texts()
    examples, roles = role_examples()
    vectors = encode([*texts, *examples])
    head = fit_role_head(vectors[len(texts) :], roles)
    np.savez_compressed(
        path,
        model=np.asarray(ENCODER),
        keys=np.asarray([key(t) for t in texts]),
        vectors=vectors[: len(texts)].astype(np.float16),  # plenty for cosines, half the size
        role_keys=np.asarray([r.key for r in ROLES]),
        role_weights=head.weights,
        role_bias=head.bias,
        role_examples=np.asarray(examples_hash()),
    )
    _shipped.cache_clear()
    return len(texts) + len(examples)


if __name__ == "__main__":
    print(f"{FILE.name}: {write()} texts", file=sys.stderr)
