"""When a channel counts: thresholds chosen on real text as well as on the corpus.

The touchpoint head learnt from short interview answers; on long real
narratives it fires on every sentence that mentions a channel in passing. The
thresholds of ``longtext.decide_channels`` (beside a counted cue, beside a weak
cue, with no cue) are therefore chosen on two sets at once: the corpus's
out-of-fold predictions and the "dev" part of the hand-labelled complaint
narratives (``benchmarks/data/complaint_channels.jsonl``; their text is read
from ``../shared/benchmarks/complaints/complaints.csv`` and never copied). The
"test" part is never read here.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cjm_interview.nlp.longtext import ChannelThresholds

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "benchmarks" / "data" / "complaint_channels.jsonl"
COUNTED_GRID = (0.0, 0.02, 0.05, 0.1)
GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 2.0)  # 2.0: never
PASSES = 2


def complaints_csv() -> Path:
    """Where the complaint narratives are: ``CJM_COMPLAINTS``, else ../shared beside the repo."""
    default = ROOT.parent / "shared" / "benchmarks" / "complaints" / "complaints.csv"
    return Path(os.environ.get("CJM_COMPLAINTS") or default)


def dev_complaints(channels: Sequence[str]) -> tuple[list[str], np.ndarray] | None:
    """The dev narratives and their 0/1 channel labels, or None when the narratives are absent."""
    path = complaints_csv()
    if not path.exists() or not LABELS.exists():
        return None
    csv.field_size_limit(10_000_000)
    with path.open(encoding="utf-8") as handle:
        narratives = {row["complaint_id"]: row["narrative"] for row in csv.DictReader(handle)}
    texts, labels = [], []
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["split"] != "dev" or row["complaint_id"] not in narratives:
            continue
        texts.append(narratives[row["complaint_id"]])
        labels.append([1.0 if c in row["channels"] else 0.0 for c in channels])
    return texts, np.asarray(labels, dtype=np.float32).reshape(len(texts), len(channels))


@dataclass
class Units:
    """Units (answers or sentences) with the rules' state and the head's probabilities."""

    state: np.ndarray  # (units, channels, 3), see longtext.channel_state
    probs: np.ndarray  # (units, channels)
    owner: np.ndarray  # the text each unit belongs to, ascending
    truth: np.ndarray  # (texts, channels)


def _decide(units: Units, j: int, counted: float, weak: float, alone: float) -> np.ndarray:
    """Texts where channel ``j`` counts (vectorised ``longtext.decide_channels``)."""
    c, w, b = units.state[:, j, 0] > 0, units.state[:, j, 1] > 0, units.state[:, j, 2] > 0
    p = units.probs[:, j]
    on = (c & (p >= counted)) | (~c & w & (p >= weak)) | (~c & ~w & ~b & (p >= alone))
    out = np.zeros(units.truth.shape[0], dtype=bool)
    np.logical_or.at(out, units.owner, on)
    return out


def _counts(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    return np.asarray(
        [np.sum(pred & truth), np.sum(pred & ~truth), np.sum(~pred & truth)], dtype=np.int64
    )


def _f1(counts: np.ndarray) -> float:
    tp, fp, fn = counts
    return float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0


def calibrate(sets: Sequence[Units], start: ChannelThresholds) -> ChannelThresholds:
    """Thresholds that maximise the sum of the sets' micro-F1, channel by channel.

    Coordinate ascent from ``start``: the shared ``counted`` threshold, then
    each channel's ``weak`` and ``alone`` in turn, ``PASSES`` times.
    """
    channels = sets[0].state.shape[1]
    counted = start.counted
    weak, alone = list(start.weak), list(start.alone)

    def per_channel(s: Units, j: int, c: float, w: float, a: float) -> np.ndarray:
        return _counts(s.truth[:, j] > 0, _decide(s, j, c, w, a))

    def total(tables: list[list[np.ndarray]]) -> float:
        return sum(_f1(np.sum(rows, axis=0)) for rows in tables)

    tables = [
        [per_channel(s, j, counted, weak[j], alone[j]) for j in range(channels)] for s in sets
    ]
    for _ in range(PASSES):
        best = (total(tables), counted)
        for c in COUNTED_GRID:
            trial = [
                [per_channel(s, j, c, weak[j], alone[j]) for j in range(channels)] for s in sets
            ]
            if total(trial) > best[0] + 1e-9:
                best = (total(trial), c)
        counted = best[1]
        tables = [
            [per_channel(s, j, counted, weak[j], alone[j]) for j in range(channels)] for s in sets
        ]
        for j in range(channels):
            for w in GRID:
                for a in GRID:
                    trial = [
                        [*rows[:j], per_channel(s, j, counted, w, a), *rows[j + 1 :]]
                        for s, rows in zip(sets, tables, strict=True)
                    ]
                    if total(trial) > total(tables) + 1e-9:
                        tables, weak[j], alone[j] = trial, w, a
    return ChannelThresholds(counted, tuple(weak), tuple(alone))


def scores(units: Units, thresholds: ChannelThresholds) -> dict[str, float]:
    """Micro precision, recall and F1 of the texts' channels at these thresholds."""
    counts = np.zeros(3, dtype=np.int64)
    for j in range(units.state.shape[1]):
        pred = _decide(units, j, thresholds.counted, thresholds.weak[j], thresholds.alone[j])
        counts += _counts(units.truth[:, j] > 0, pred)
    tp, fp, fn = (int(x) for x in counts)
    return {
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
        "f1": round(_f1(counts), 3),
    }
