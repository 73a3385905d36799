"""The sentiment adapter: low-rank updates to the encoder's top layers."""

from __future__ import annotations

import numpy as np
import pytest

from cjm_interview.nlp.adapter import LINEARS, RANK, TOP_LAYERS

pytestmark = pytest.mark.slow

TEXTS = [
    "I called the helpline and nobody answered for an hour",
    "great",
    "The engineer fixed the boiler in ten minutes, brilliant service",
    "I filled in the renewal form on the website",
]


def _no_update() -> dict[str, np.ndarray]:
    arrays = {}
    for k in range(TOP_LAYERS):
        for path in LINEARS:
            arrays[f"lora.{k}.{path}.A"] = np.ones((RANK, 1536 if path == "output.dense" else 384))
            out = 1536 if path == "intermediate.dense" else 384
            arrays[f"lora.{k}.{path}.B"] = np.zeros((out, RANK))
    return arrays


def test_one_pass_gives_the_encoders_vector_and_the_adapters() -> None:
    from cjm_interview.nlp.adapter import encode_both, tuned_layers
    from cjm_interview.nlp.embedding import encode_torch

    base, adapted = encode_both(TEXTS, tuned_layers(_no_update()))
    # The stored embedding stays the encoder's own, whatever the adapter does.
    assert np.allclose(base, encode_torch(TEXTS), atol=1e-5)
    # With no update, the re-run top layers reproduce the encoder exactly: the
    # split point and the attention mask are right, padding included.
    assert np.allclose(adapted, base, atol=1e-5)
    assert np.allclose(np.linalg.norm(adapted, axis=1), 1.0, atol=1e-5)


def test_adapter_pulls_sentiments_apart() -> None:
    from cjm_interview.nlp.adapter import adapted_vectors, lower_states, train_adapter

    good = ["the staff were {} and it was quick", "lovely {} people, sorted in no time"]
    bad = ["the staff were {} and it took ages", "rude {} people, still not sorted"]
    topics = ["bank", "airline", "clinic", "shop", "council", "broadband", "train", "gym"]
    texts = [t.format(w) for w in topics for t in good + bad]
    labels = np.asarray([2, 2, 0, 0] * len(topics))
    states = lower_states(texts)
    arrays = train_adapter(states, labels, 3)
    assert all(a.dtype == np.float16 for a in arrays.values())
    assert len(arrays) == 2 * TOP_LAYERS * len(LINEARS)

    def gap(vectors: np.ndarray) -> float:
        sims = vectors @ vectors.T
        same = labels[:, None] == labels[None, :]
        return float(sims[same].mean() - sims[~same].mean())

    before = adapted_vectors(states, _no_update())
    after = adapted_vectors(states, arrays)
    # Like with like, and unlike further apart, than in the encoder's meaning space.
    assert gap(after) > gap(before) + 0.1
