"""Sentence vectors and the role head the map ships with the package.

The stages the bundled scripts declare are encoded once, whenever they change, and kept in
``prototypes.npz`` beside this module, so that a map compares steps with them without
loading the sentence model. Texts the file does not hold (a study's own stages) are encoded
on demand and cached in the study's database (``vectors.text_vectors``). The same file holds
the role head (``acts.RoleHead``), learnt from the examples in ``models/roles.jsonl`` and
from real steps labelled by hand (complaint narratives, read from where they are kept: the
project holds their ids and labels only), on their vectors and words, and the hashes of
both sets of examples.

    python benchmarks/complaint_study.py roles  # after editing the examples or their labels
    python -m cjm_interview.map.prototypes      # after editing a bundled stage only
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
# Chosen on the complaint study's dev split (role -> stage accuracy) and on the examples of
# many services held out in turn (role accuracy), ``benchmarks/bench_roles.py``: with
# neither words nor real steps 0.475 and 0.731 (weight decay 1e-3); with the 849 real steps
# of the train split and 4,096 hashed word columns 0.576 and 0.778 (3e-4; 1e-4 is as good
# on both and leans more on the complaints' words).
ROLE_L2 = 3e-4
ROLE_STEPS = 400
ROLE_WORDS = 4096  # hashed word and word-pair columns read beside the vector


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
            for name in (
                "role_keys",
                "role_weights",
                "role_bias",
                "role_words",
                "role_examples",
                "role_real",
                "role_settings",
            )
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
    words = int(head["role_words"]) if "role_words" in head else 0
    return RoleHead(
        head["role_weights"].astype(np.float32), head["role_bias"].astype(np.float32), words
    )


def shipped_examples_hash() -> str:
    """The hash of the examples the shipped head learnt from ("" without one)."""
    head = _shipped()[2]
    return str(head["role_examples"]) if "role_examples" in head else ""


def shipped_real_hash() -> str:
    """The hash of the labelled real steps the shipped head learnt from ("" without)."""
    head = _shipped()[2]
    return str(head["role_real"]) if "role_real" in head else ""


def fit_role_head(
    vectors: np.ndarray,
    roles: Sequence[str],
    texts: Sequence[str],
    words: int = ROLE_WORDS,
    l2: float = ROLE_L2,
) -> RoleHead:
    """A role head learnt from examples' vectors, words and role keys."""
    from cjm_interview.map.acts import ROLES, RoleHead
    from cjm_interview.nlp.features import word_features
    from cjm_interview.nlp.train import fit_softmax

    index = {r.key: i for i, r in enumerate(ROLES)}
    unknown = sorted(set(roles) - set(index))
    if unknown:
        raise ValueError(f"unknown role(s) in the examples: {', '.join(unknown)}")
    y = np.asarray([index[r] for r in roles], dtype=np.int64)
    x = np.hstack([np.asarray(vectors, dtype=np.float32), word_features(texts, words)])
    weights, bias = fit_softmax(x, y, len(ROLES), l2=l2, steps=ROLE_STEPS)
    return RoleHead(weights, bias, words)


def settings() -> str:
    """How the head is learnt, as the shipped file records it: change one, learn again."""
    return f"l2={ROLE_L2:g} steps={ROLE_STEPS} words={ROLE_WORDS}"


def shipped_settings() -> str:
    """The settings the shipped head was learnt with ("" without a head)."""
    head = _shipped()[2]
    return str(head["role_settings"]) if "role_settings" in head else ""


def write(real: Sequence[tuple[str, str]], real_hash: str, path: Path = FILE) -> int:
    """Encode the shipped texts and the role examples, learn the head from the examples and
    the ``real`` (text, role) steps, write the file; returns how many texts were encoded."""
    from cjm_interview.nlp.embedding import encode

    texts = shipped_texts()
    examples, roles = role_examples()
    examples += [text for text, _ in real]
    roles += [role for _, role in real]
    vectors = encode([*texts, *examples])
    head = fit_role_head(vectors[len(texts) :], roles, examples)
    _save(path, texts, vectors[: len(texts)], {
        "role_weights": head.weights,
        "role_bias": head.bias,
        "role_words": np.asarray(head.words),
        "role_examples": np.asarray(examples_hash()),
        "role_real": np.asarray(real_hash),
        "role_settings": np.asarray(settings()),
    })  # fmt: skip
    return len(texts) + len(examples)


def write_stages(path: Path = FILE) -> int:
    """Encode the bundled scripts' stage texts again and keep the shipped role head as it
    is (learning it needs the labelled real steps' text); returns how many were encoded."""
    from cjm_interview.nlp.embedding import encode

    texts = shipped_texts()
    head = {k: v for k, v in _shipped()[2].items() if k != "role_keys"}
    _save(path, texts, encode(texts), head)
    return len(texts)


def _save(
    path: Path, texts: Sequence[str], vectors: np.ndarray, head: dict[str, np.ndarray]
) -> None:
    from cjm_interview.map.acts import ROLES
    from cjm_interview.map.vectors import ENCODER

    arrays: dict[str, np.ndarray] = {
        "model": np.asarray(ENCODER),
        "keys": np.asarray([key(t) for t in texts]),
        "vectors": np.asarray(vectors).astype(np.float16),  # plenty for cosines, half the size
        "role_keys": np.asarray([r.key for r in ROLES]),
        **head,
    }
    np.savez_compressed(path, allow_pickle=False, **arrays)
    _shipped.cache_clear()


if __name__ == "__main__":
    # The head learns from labelled real steps too, whose text the project does not keep:
    # here only the stage texts are encoded again, the head kept as it is.
    if shipped_examples_hash() != examples_hash() or shipped_settings() != settings():
        print(
            "the role examples or the head's settings changed: learn the head again with "
            "python benchmarks/complaint_study.py roles",
            file=sys.stderr,
        )
        sys.exit(2)
    print(f"{FILE.name}: {write_stages()} stage texts, the role head kept", file=sys.stderr)
