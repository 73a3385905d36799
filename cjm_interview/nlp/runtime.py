"""The sentence encoder at run time: ONNX Runtime when it can, torch when not.

``load_runtime(lora)`` returns an ``Encoder`` whose ``encode_both(texts)``
gives, for each text, the encoder's unit-length sentence vector and, when
``lora`` (the adapter's ``lora.*`` arrays) is given, the adapter's. The
ONNX encoder is built once from the shipped weights (``nlp/onnx_build.py``)
and needs neither torch nor sentence-transformers, so it loads in well under
a second; when onnxruntime is missing or the build fails, the torch encoder
takes over and ``fallback_reason`` says why.

Threads are set on purpose (``nlp/threads.py``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from cjm_interview.nlp.threads import limit_threads, onnx_threads, threads

log = logging.getLogger(__name__)

DIMENSION = 384
# Texts per encoder call, sorted by length first so little is padding: on 600 tweets
# with one thread, 16 took 11.1 s of CPU, 32 took 12.8 s and 64 took 14.7 s.
BATCH = 16
RUNTIMES = ("onnx-fp32", "onnx-int8", "torch")
# fp32: the same vectors as torch (cosine 1.0), so the composite map's alignment
# thresholds and the heads hold. int8 kept the heads' held-out figures but the
# map's step alignment on the generated study fell from purity >= 0.80 to 0.74.
DEFAULT_RUNTIME = "onnx-fp32"
# Runtimes whose vectors are the same, to the precision the heads care about.
SAME_VECTORS = frozenset({"torch", "onnx-fp32"})


class Encoder(Protocol):
    """Sentence vectors, base and adapted."""

    runtime: str
    """Which runtime encodes: ``onnx-int8``, ``onnx-fp32`` or ``torch``."""
    fallback_reason: str | None
    """Why a faster runtime was not used, or None."""
    has_adapter: bool
    """Whether ``encode_both`` gives the adapter's vectors too."""

    def encode_both(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """The encoder's vectors and the adapter's (None without an adapter), float32."""
        ...


def _batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    # Rows of similar length together: less padding, same results.
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class OnnxEncoder:
    """The encoder as an ONNX graph in ONNX Runtime, with the tokenizer from its package."""

    def __init__(self, path: Any, runtime: str, count: int, adapted: bool) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from cjm_interview.nlp.onnx_build import MAX_TOKENS, encoder_dir

        options = ort.SessionOptions()
        options.intra_op_num_threads = count
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Threads that spin while waiting steal the core other processes need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(encoder_dir() / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the batch's longest
        self.tokenizer = tokenizer
        self.runtime = runtime
        self.fallback_reason: str | None = None
        self.path = path
        self.has_adapter = adapted

    def encode_both(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        base = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        adapted = np.zeros_like(base) if self.has_adapter else None
        for rows in _batches([len(t) for t in texts], BATCH):
            encoded = self.tokenizer.encode_batch([texts[i] for i in rows])
            feed = {
                "input_ids": np.asarray([e.ids for e in encoded], dtype=np.int64),
                "attention_mask": np.asarray([e.attention_mask for e in encoded], dtype=np.int64),
            }
            outputs = self.session.run(None, feed)
            base[rows] = outputs[0]
            if adapted is not None:
                adapted[rows] = outputs[1]
        return base, adapted


class TorchEncoder:
    """The sentence-transformer in torch, with the adapter merged into a copy of its top layers."""

    runtime = "torch"

    def __init__(self, lora: Mapping[str, np.ndarray] | None, reason: str | None) -> None:
        from cjm_interview.nlp.embedding import load_encoder

        load_encoder()
        self._tuned: Any = None
        if lora:
            from cjm_interview.nlp.adapter import tuned_layers

            self._tuned = tuned_layers(lora)
        self.fallback_reason = reason
        self.has_adapter = bool(lora)

    def encode_both(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        if self._tuned is not None:
            from cjm_interview.nlp.adapter import encode_both

            return encode_both(texts, self._tuned)
        from cjm_interview.nlp.embedding import encode_torch

        return encode_torch(texts), None


def runtime_choice() -> str:
    """The runtime asked for: ``CJM_ENCODER`` or the default."""
    chosen = os.environ.get("CJM_ENCODER", "").strip() or DEFAULT_RUNTIME
    if chosen not in RUNTIMES:
        raise ValueError(f"CJM_ENCODER must be one of {', '.join(RUNTIMES)}, not {chosen!r}")
    return chosen


def load_runtime(
    lora: Mapping[str, np.ndarray] | None,
    runtime: str | None = None,
    count: int | None = None,
    temporary: bool = False,
) -> Encoder:
    """The encoder for this adapter: ONNX (built and cached on first use) or torch.

    ``runtime`` defaults to ``runtime_choice()`` and ``count``, ONNX
    Runtime's threads, to ``onnx_threads()``; an ONNX runtime that cannot
    load falls back to torch with ``fallback_reason`` set (and logged).
    ``temporary`` builds the ONNX file in a temporary folder and deletes it
    once loaded (training's passing adapters, which would otherwise fill the
    cache).
    """
    runtime = runtime or runtime_choice()
    count = count or onnx_threads()
    if not temporary:  # training sets its own threads
        limit_threads(threads())
    reason = None
    if runtime != "torch":
        quantisation = runtime.removeprefix("onnx-")
        try:
            import tempfile
            from pathlib import Path

            from cjm_interview.nlp.onnx_build import built_encoder

            if temporary:
                with tempfile.TemporaryDirectory(prefix="cjm-encoder-") as folder:
                    path = built_encoder(lora or None, quantisation, Path(folder))
                    return OnnxEncoder(path, runtime, count, adapted=bool(lora))
            path = built_encoder(lora or None, quantisation)
            return OnnxEncoder(path, runtime, count, adapted=bool(lora))
        except Exception as exc:  # missing onnxruntime, a failed build: torch still works
            reason = f"{runtime} unavailable ({type(exc).__name__}: {exc})".splitlines()[0][:300]
            log.warning("encoder: %s; using torch", reason)
    encoder = TorchEncoder(lora, reason)
    if not temporary:
        limit_threads(threads())  # torch is imported now: tell it directly
    return encoder


def adapter_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The adapter's ``lora.*`` arrays among a heads file's arrays."""
    return {k: v for k, v in arrays.items() if k.startswith("lora.")}
