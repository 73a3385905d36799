"""The sentiment adapter: low-rank updates to the encoder's top layers.

Frozen sentence vectors are made for meaning, so "I love it" and "I hate it"
sit close together and a linear head on them has little to work with. Small
low-rank (LoRA) updates to the top layers, trained on the corpus's sentiment
labels, give a second vector that keeps them apart. The encoder's own vector
is kept for everything that needs meaning: the stored embeddings, step
alignment, emotions and touchpoints.

One pass through the lower layers serves both vectors, so tagging costs the
encoder plus its top layers once more. The updates ship as plain arrays in
``heads.npz`` (``lora.*``) and are merged into a copy of the top layers at load.
Everything here needs torch: import it only where the model is loaded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

TOP_LAYERS = 3
RANK = 16
EPOCHS = 3
# A small corpus still gets enough steps to learn something.
MIN_STEPS = 60
BATCH = 32
LEARNING_RATE = 1e-3
# The cosine-sized pooled vector is scaled up so a linear softmax on it can be confident.
LOGIT_SCALE = 20.0
# The linear maps of a BERT layer that get an update, by their path in the layer.
LINEARS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def _bert() -> Any:
    from cjm_interview.nlp.embedding import load_encoder

    return load_encoder()[0].auto_model


def _split(bert: Any) -> int:
    """Index of the first layer the adapter updates."""
    return len(bert.encoder.layer) - TOP_LAYERS


def _pool(hidden: Any, mask: Any) -> Any:
    """Mean over real tokens, unit length: the sentence vector as the encoder makes it."""
    import torch

    summed = (hidden * mask[..., None]).sum(dim=1)
    return torch.nn.functional.normalize(summed / mask.sum(dim=1, keepdim=True), dim=-1)


def _run_layers(layers: Any, hidden: Any, mask: Any) -> Any:
    import torch

    extended = (1.0 - mask[:, None, None, :]) * torch.finfo(hidden.dtype).min
    for layer in layers:
        out = layer(hidden, attention_mask=extended)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


# What the transformer takes; the sentence model's features carry more keys.
_BERT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _features(model: Any, texts: list[str]) -> dict[str, Any]:
    """Token ids and mask for the transformer alone (``preprocess`` replaced ``tokenize``)."""
    prepare = getattr(model, "preprocess", None) or model.tokenize
    features = prepare(texts)
    return {k: v for k, v in features.items() if k in _BERT_INPUTS}


def _batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    # Rows of similar length together: less padding, same results.
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _encoder_passes(texts: Sequence[str], batch_size: int) -> Iterator[tuple[list[int], Any, Any]]:
    """The encoder over ``texts`` in batches: (rows, attention mask, output with hidden states)."""
    import torch

    from cjm_interview.nlp.embedding import load_encoder

    model = load_encoder()
    bert = model[0].auto_model
    with torch.inference_mode():
        for rows in _batches([len(t) for t in texts], batch_size):
            features = _features(model, [texts[i] for i in rows])
            mask = features["attention_mask"].to(torch.float32)
            yield rows, mask, bert(**features, output_hidden_states=True)


def encode_both(
    texts: Sequence[str], tuned: Any, batch_size: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """The encoder's sentence vectors and the adapter's (``tuned_layers``), unit-length float32."""
    import torch

    bert = _bert()
    base = np.zeros((len(texts), bert.config.hidden_size), dtype=np.float32)
    adapted = np.zeros_like(base)
    for rows, mask, out in _encoder_passes(texts, batch_size):
        base[rows] = _pool(out.last_hidden_state, mask).numpy()
        lower = out.hidden_states[_split(bert)]
        with torch.inference_mode():
            adapted[rows] = _pool(_run_layers(tuned, lower, mask), mask).numpy()
    return base, adapted


def tuned_layers(arrays: Mapping[str, np.ndarray]) -> Any:
    """A copy of the encoder's top layers with the updates merged into their weights."""
    import torch

    bert = _bert()
    layers = copy.deepcopy(bert.encoder.layer[_split(bert) :])
    with torch.no_grad():
        for k, layer in enumerate(layers):
            for path in LINEARS:
                linear = layer.get_submodule(path)
                a = torch.from_numpy(arrays[f"lora.{k}.{path}.A"].astype(np.float32))
                b = torch.from_numpy(arrays[f"lora.{k}.{path}.B"].astype(np.float32))
                linear.weight += b @ a
    return layers.eval()


# ------------------------------------------------------------------ training
def lower_states(texts: Sequence[str], batch_size: int = 64) -> list[Any]:
    """Each text's token states below the adapted layers (training input; they never change)."""
    split = _split(_bert())
    states: list[Any] = [None] * len(texts)
    for rows, mask, out in _encoder_passes(texts, batch_size):
        lower = out.hidden_states[split]
        for j, i in enumerate(rows):
            states[i] = lower[j, : int(mask[j].sum())].clone()
    return states


def _pad(states: Sequence[Any]) -> tuple[Any, Any]:
    import torch

    longest = max(s.shape[0] for s in states)
    hidden = torch.zeros(len(states), longest, states[0].shape[1])
    mask = torch.zeros(len(states), longest)
    for j, s in enumerate(states):
        hidden[j, : s.shape[0]] = s
        mask[j, : s.shape[0]] = 1.0
    return hidden, mask


def train_adapter(
    states: Sequence[Any],
    labels: np.ndarray,
    classes: int,
    seed: int = 0,
    on_step: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Learn the low-rank updates, with a softmax on the pooled vector, classes balanced.

    ``states`` are the rows' lower states (``lower_states``); ``on_step(done,
    total)`` reports progress. Returns the updates as ``lora.*`` arrays.
    """
    import torch

    torch.manual_seed(seed)
    bert = _bert()
    layers = copy.deepcopy(bert.encoder.layer[_split(bert) :])
    layers.requires_grad_(False)
    params: dict[str, Any] = {}
    for k, layer in enumerate(layers):
        for path in LINEARS:
            linear = layer.get_submodule(path)
            a = torch.nn.Parameter(torch.randn(RANK, linear.in_features) / linear.in_features**0.5)
            b = torch.nn.Parameter(torch.zeros(linear.out_features, RANK))
            params[f"lora.{k}.{path}.A"], params[f"lora.{k}.{path}.B"] = a, b
            # W x + B A x, with W frozen: only the low-rank part learns.
            linear.register_forward_hook(
                lambda _m, inputs, output, a=a, b=b: output + (inputs[0] @ a.T) @ b.T
            )
    head = torch.nn.Linear(layers[0].output.dense.out_features, classes)
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    weight = torch.tensor(len(labels) / (classes * np.maximum(counts, 1)), dtype=torch.float32)
    target = torch.from_numpy(labels.astype(np.int64))
    optimiser = torch.optim.AdamW(
        [
            {"params": list(params.values()), "lr": LEARNING_RATE},
            {"params": head.parameters(), "lr": 1e-2},
        ],
        weight_decay=0.01,
    )
    rng = np.random.default_rng(seed)
    steps = max(MIN_STEPS, EPOCHS * len(states) // BATCH)
    layers.train()
    for step in range(steps):
        rows = rng.choice(len(states), min(BATCH, len(states)), replace=False)
        hidden, mask = _pad([states[i] for i in rows])
        pooled = _pool(_run_layers(layers, hidden, mask), mask)
        loss = torch.nn.functional.cross_entropy(
            head(pooled * LOGIT_SCALE), target[rows], weight=weight
        )
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        if on_step:
            on_step(step + 1, steps)
    # Half precision is plenty for a low-rank update and halves the file.
    return {k: p.detach().numpy().astype(np.float16) for k, p in params.items()}


def adapted_vectors(states: Sequence[Any], arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """The adapter's sentence vectors from lower states (training and evaluation)."""
    import torch

    layers = tuned_layers(arrays)  # a fresh merge: training calls this per fold
    out = np.zeros((len(states), states[0].shape[1]), dtype=np.float32)
    with torch.inference_mode():
        for rows in _batches([s.shape[0] for s in states], 128):
            hidden, mask = _pad([states[i] for i in rows])
            out[rows] = _pool(_run_layers(layers, hidden, mask), mask).numpy()
    return out
