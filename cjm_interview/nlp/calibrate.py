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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cjm_interview.nlp.longtext import NEVER, ChannelDecision, ChannelThresholds, Reading

if TYPE_CHECKING:
    from cjm_interview.nlp.embedding import EmbeddingTagger

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "benchmarks" / "data" / "complaint_channels.jsonl"
COUNTED_GRID = (0.0, 0.02, 0.05, 0.1)
# Searched from the top: when scores tie, the stricter threshold stays.
GRID = (NEVER, 0.98, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)
# The head alone, or against the rules' cancelling, adds a channel only when sure: in a
# sentence of a long story (unlike the short answers it learnt from) only when very sure.
# Chosen freely, these thresholds fitted the 160 dev narratives' few cases, not the rest.
LEAST_ALONE = {"whole": 0.5, "sentences": 0.9}
PASSES = 2
# A change must win about one more dev narrative (or ten corpus answers) than it loses:
# near-equal thresholds otherwise flip from one training to the next as the out-of-fold
# probabilities move a little, and the channels shipped with them.
MIN_GAIN = 0.002


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
    owner: np.ndarray  # the text each unit belongs to
    truth: np.ndarray  # (texts, channels)
    whole: np.ndarray  # per unit: its text is short (``Reading.long`` false)


def reading_units(
    readings: Sequence[Reading], state: np.ndarray, probs: np.ndarray, truth: np.ndarray
) -> Units:
    """``Units`` of texts read as ``readings``: each unit's rule state and head probabilities."""
    return Units(
        state,
        probs,
        np.asarray([i for i, r in enumerate(readings) for _ in r.units]),
        truth,
        np.asarray([not r.long for r in readings for _ in r.units]),
    )


def recheck_sentences(tagger: EmbeddingTagger) -> dict[str, object] | None:
    """Whether the thresholds for the sentences of long answers still fit the rules as they are.

    The dev narratives are read by ``tagger`` with the current rules and the sentence
    thresholds are chosen again for them, the short-answer thresholds kept as shipped:
    choosing those needs the corpus's out-of-fold probabilities, which only training gives
    (``cjm model train``). None when the narratives are not found.
    """
    from cjm_interview.nlp.longtext import read

    dev = dev_complaints(tagger.heads.touchpoints)
    if dev is None:
        return None
    texts, truth = dev
    readings = [read(t) for t in texts]
    out, _ = tagger.predict_units(
        [u.text for r in readings for u in r.units],
        [r.language for r in readings for _ in r.units],
    )
    units = reading_units(readings, out["channels"], out["touchpoints"], truth)
    shipped = tagger.channel_decision
    chosen = ChannelDecision(shipped.whole, calibrate([units], shipped, "sentences"))
    rules = ChannelThresholds.rules_only(len(tagger.heads.touchpoints))
    return {
        "texts": len(texts),
        "unchanged": chosen.sentences == shipped.sentences,
        "shipped": shipped.sentences.to_json(),
        "chosen": chosen.sentences.to_json(),
        "dev_shipped": scores(units, shipped),
        "dev_chosen": scores(units, chosen),
        "dev_rules_only": scores(units, ChannelDecision(rules, rules)),
    }


def _decide(units: Units, j: int, decision: ChannelDecision) -> np.ndarray:
    """Texts where channel ``j`` counts (vectorised ``longtext.decide_channels``)."""
    w_, s_ = decision.whole, decision.sentences

    def pick(whole: float, sentences: float) -> np.ndarray:
        return np.where(units.whole, whole, sentences)

    c, w, b = units.state[:, j, 0] > 0, units.state[:, j, 1] > 0, units.state[:, j, 2] > 0
    hard = units.state[:, j, 2] >= 2
    p = units.probs[:, j]
    on = (
        (c & (p >= pick(w_.counted, s_.counted)))
        | (~c & w & (p >= pick(w_.weak[j], s_.weak[j])))
        | (~c & ~w & b & ~hard & (p >= pick(w_.cancelled[j], s_.cancelled[j])))
        | (~c & ~w & ~b & (p >= pick(w_.alone[j], s_.alone[j])))
    )
    out = np.zeros(units.truth.shape[0], dtype=bool)
    np.logical_or.at(out, units.owner, on)
    return out


def _counts(units: Units, j: int, decision: ChannelDecision) -> np.ndarray:
    truth, pred = units.truth[:, j] > 0, _decide(units, j, decision)
    return np.asarray(
        [np.sum(pred & truth), np.sum(pred & ~truth), np.sum(~pred & truth)], dtype=np.int64
    )


def _f1(counts: np.ndarray) -> float:
    tp, fp, fn = counts
    return float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0


def calibrate(sets: Sequence[Units], decision: ChannelDecision, part: str) -> ChannelThresholds:
    """The thresholds of ``part`` ("whole" or "sentences") that maximise the sum of the
    sets' micro-F1.

    Coordinate ascent from ``decision``: the shared ``counted`` threshold, then
    each channel's ``weak`` and ``alone`` together and its ``cancelled``, twice
    over; a change must raise the F1 by ``MIN_GAIN``, so near-ties keep the threshold
    the search started from. ``alone`` and ``cancelled`` stay at ``LEAST_ALONE`` or above.
    """
    channels = sets[0].state.shape[1]
    if part not in ("whole", "sentences"):
        raise ValueError(f"unknown part {part!r}")
    current: ChannelThresholds = decision.whole if part == "whole" else decision.sentences

    def with_part(t: ChannelThresholds) -> ChannelDecision:
        if part == "whole":
            return ChannelDecision(t, decision.sentences)
        return ChannelDecision(decision.whole, t)

    # Each set's counts per channel (channels, 3): a trial that moves one channel's
    # thresholds recounts that channel only.
    Table = list[np.ndarray]

    def table(t: ChannelThresholds) -> Table:
        trial = with_part(t)
        return [np.stack([_counts(units, j, trial) for j in range(channels)]) for units in sets]

    def with_row(tables: Table, t: ChannelThresholds, j: int) -> Table:
        trial = with_part(t)
        out = []
        for units, counts in zip(sets, tables, strict=True):
            counts = counts.copy()
            counts[j] = _counts(units, j, trial)
            out.append(counts)
        return out

    def total(tables: Table) -> float:
        return sum(_f1(counts.sum(axis=0)) for counts in tables)

    least = LEAST_ALONE[part]
    strong = [t for t in GRID if t >= least]
    current = replace(
        current,
        alone=tuple(max(t, least) for t in current.alone),
        cancelled=tuple(max(t, least) for t in current.cancelled),
    )
    tables = table(current)
    best = total(tables)
    for _ in range(PASSES):
        for c in COUNTED_GRID:
            trial = replace(current, counted=c)
            trial_tables = table(trial)
            if (score := total(trial_tables)) > best + MIN_GAIN:
                current, tables, best = trial, trial_tables, score
        for j in range(channels):
            for w in GRID:
                for a in strong:
                    trial = replace(
                        current,
                        weak=_set(current.weak, j, w),
                        alone=_set(current.alone, j, a),
                    )
                    trial_tables = with_row(tables, trial, j)
                    if (score := total(trial_tables)) > best + MIN_GAIN:
                        current, tables, best = trial, trial_tables, score
            for x in strong:
                trial = replace(current, cancelled=_set(current.cancelled, j, x))
                trial_tables = with_row(tables, trial, j)
                if (score := total(trial_tables)) > best + MIN_GAIN:
                    current, tables, best = trial, trial_tables, score
    return current


def _set(values: tuple[float, ...], j: int, value: float) -> tuple[float, ...]:
    return (*values[:j], value, *values[j + 1 :])


def scores(units: Units, decision: ChannelDecision) -> dict[str, float]:
    """Micro precision, recall and F1 of the texts' channels under this decision."""
    counts = np.sum([_counts(units, j, decision) for j in range(units.state.shape[1])], axis=0)
    tp, fp, fn = (int(x) for x in counts)
    return {
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
        "f1": round(_f1(counts), 3),
    }
