"""The run-time encoder: the ONNX copy against torch, its cache, and the fall back to torch."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from cjm_interview.nlp.adapter import LINEARS, RANK, TOP_LAYERS

pytestmark = pytest.mark.slow
onnxruntime = pytest.importorskip("onnxruntime")

TEXTS = [
    "I called the helpline and nobody answered for an hour",
    "great",
    "The engineer fixed the boiler in ten minutes, brilliant service",
    "I filled in the renewal form on the website " * 60,  # past the 256-token cut
]


def _random_adapter(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = {}
    for k in range(TOP_LAYERS):
        for path in LINEARS:
            inner = 1536 if path == "output.dense" else 384
            out = 1536 if path == "intermediate.dense" else 384
            arrays[f"lora.{k}.{path}.A"] = (rng.normal(size=(RANK, inner)) / 20).astype(np.float16)
            arrays[f"lora.{k}.{path}.B"] = (rng.normal(size=(out, RANK)) / 20).astype(np.float16)
    return arrays


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CJM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def torch_vectors() -> tuple[np.ndarray, np.ndarray]:
    from cjm_interview.nlp.adapter import encode_both, tuned_layers

    return encode_both(TEXTS, tuned_layers(_random_adapter()))


def test_fp32_graph_gives_torchs_vectors_adapter_included(torch_vectors) -> None:
    from cjm_interview.nlp.runtime import load_runtime

    encoder = load_runtime(_random_adapter(), "onnx-fp32")
    assert encoder.runtime == "onnx-fp32" and encoder.fallback_reason is None
    base, adapted = encoder.encode_both(TEXTS)
    assert adapted is not None
    assert np.allclose(base, torch_vectors[0], atol=1e-4)
    assert np.allclose(adapted, torch_vectors[1], atol=1e-4)
    # The adapter changes the second vector only.
    assert not np.allclose(adapted, base, atol=1e-2)


def test_int8_graph_stays_close_to_torch(torch_vectors) -> None:
    from cjm_interview.nlp.runtime import load_runtime

    base, adapted = load_runtime(_random_adapter(), "onnx-int8").encode_both(TEXTS)
    assert adapted is not None
    for ours, theirs in zip((base, adapted), torch_vectors, strict=True):
        cosine = np.sum(ours * theirs, axis=1)
        assert cosine.min() > 0.95, cosine
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)


def test_the_cached_file_is_named_by_weights_and_adapter_and_reused(private_cache: Path) -> None:
    from cjm_interview.nlp.onnx_build import built_encoder

    first = built_encoder(_random_adapter(0), "int8")
    assert first.parent == private_cache and first.suffix == ".onnx"
    assert oct(private_cache.stat().st_mode & 0o777) == "0o700"
    inode = first.stat().st_ino
    assert built_encoder(_random_adapter(0), "int8") == first
    assert first.stat().st_ino == inode  # not built again (a build renames a new file in)
    other = built_encoder(_random_adapter(1), "int8")  # a retrained adapter: a new file
    assert other != first and other.is_file()
    assert sorted(p.name for p in private_cache.glob("*.onnx")) == sorted([first.name, other.name])
    # The weights' hash is remembered beside them: the next start does not read 90 MB.
    assert len(list(private_cache.glob("weights-*.sha256"))) == 1
    # A file unused for a month goes when another is built; one in use stays.
    month_ago = time.time() - 31 * 86400
    os.utime(first, (month_ago, month_ago))
    os.utime(other, (month_ago, month_ago))
    built_encoder(_random_adapter(1), "int8")  # in use again
    third = built_encoder(_random_adapter(2), "int8")
    assert sorted(private_cache.glob("*.onnx")) == sorted([other, third])


def _build_into(folder: str) -> str:
    from cjm_interview.nlp.onnx_build import built_encoder

    return str(built_encoder(_random_adapter(0), "int8", Path(folder)))


def test_two_processes_building_at_once_leave_one_whole_file(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        paths = pool.map(_build_into, [str(folder)] * 2)
    assert paths[0] == paths[1]
    assert [p.name for p in folder.glob("*.onnx")] == [Path(paths[0]).name]
    assert not list(folder.glob(".build-*"))  # no temporary file left behind
    session = onnxruntime.InferenceSession(paths[0], providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["base", "adapted"]


def test_an_unwritable_cache_falls_back_to_a_private_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cjm_interview.nlp import onnx_build

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("CJM_CACHE_DIR", str(blocked / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    folder = onnx_build.writable_cache_dir()
    assert folder == tmp_path / "tmp" / f"cjm-interview-{os.getuid()}"
    # A folder of that name owned by someone else is refused, not read.
    os.chown(folder, os.getuid() + 1, -1)
    with pytest.raises(OSError, match="not a folder of this user"):
        onnx_build.writable_cache_dir()


def test_without_onnx_runtime_torch_encodes_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from cjm_interview.nlp import onnx_build
    from cjm_interview.nlp.embedding import EmbeddingTagger, Heads
    from cjm_interview.nlp.runtime import adapter_arrays, load_runtime

    def broken(*args: object, **kwargs: object) -> Path:
        raise ImportError("No module named 'onnxruntime'")

    monkeypatch.setattr(onnx_build, "built_encoder", broken)
    heads = Heads.load()
    encoder = load_runtime(adapter_arrays(heads.arrays))
    assert encoder.runtime == "torch"
    assert encoder.fallback_reason and "onnxruntime" in encoder.fallback_reason
    (result,) = EmbeddingTagger(heads, encoder).tag_batch(["The app crashed twice"])
    assert result.model == "minilm-heads/torch"
