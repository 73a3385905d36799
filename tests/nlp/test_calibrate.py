"""Choosing when a channel counts: the head alone must be sure, more so inside long stories."""

from __future__ import annotations

import numpy as np
import pytest

from cjm_interview.nlp.calibrate import LEAST_ALONE, Units, calibrate, scores
from cjm_interview.nlp.longtext import NEVER, ChannelDecision, ChannelThresholds


def _units(whole: bool) -> Units:
    # One channel, no cue anywhere; the head says 0.6 on the four texts that used it
    # and 0.1 on the four that did not: any threshold up to 0.6 would be perfect here.
    probs = np.asarray([[0.6]] * 4 + [[0.1]] * 4, dtype=np.float32)
    return Units(
        state=np.zeros((8, 1, 3), dtype=np.float32),
        probs=probs,
        owner=np.arange(8),
        truth=np.asarray([[1.0]] * 4 + [[0.0]] * 4, dtype=np.float32),
        whole=np.full(8, whole),
    )


def test_the_head_alone_needs_a_strong_score() -> None:
    start = ChannelDecision(
        ChannelThresholds(0.0, (0.3,), (0.3,), (0.3,)), ChannelThresholds.rules_only(1)
    )
    whole = calibrate([_units(True)], start, "whole")
    assert whole.alone[0] >= LEAST_ALONE["whole"] and whole.cancelled[0] >= LEAST_ALONE["whole"]
    assert scores(_units(True), ChannelDecision(whole, start.sentences))["f1"] == 1.0
    # In a sentence of a long story, 0.6 is not enough: the channel is left out.
    sentences = calibrate([_units(False)], start, "sentences")
    assert sentences.alone[0] >= LEAST_ALONE["sentences"] > 0.6
    assert scores(_units(False), ChannelDecision(whole, sentences))["f1"] == 0.0
    assert sentences.cancelled[0] in (NEVER, 0.98, 0.95, 0.9)


class _Heads:
    touchpoints = ("web",)


class _Tagger:
    """Sentences the head says 'web' for with ``sure``; rules that find nothing."""

    heads = _Heads()
    channel_decision = ChannelDecision(
        ChannelThresholds.rules_only(1), ChannelThresholds.rules_only(1)
    )

    def __init__(self, sure: float) -> None:
        self.sure = sure

    def predict_units(
        self, units: list[str], languages: list[str]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        probs = [[self.sure if "portal" in u else 0.0] for u in units]
        return {
            "channels": np.zeros((len(units), 1, 3), dtype=np.float32),
            "touchpoints": np.asarray(probs, dtype=np.float32),
        }, np.zeros((len(units), 4), dtype=np.float32)


def test_recheck_chooses_the_sentence_thresholds_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from cjm_interview.nlp import calibrate as module

    filler = " ".join(["and then nothing much happened that week"] * 6)
    texts = [f"I paid on the portal. {filler}."] * 3 + [f"I paid by cheque. {filler}."] * 3
    truth = np.asarray([[1.0]] * 3 + [[0.0]] * 3, dtype=np.float32)
    monkeypatch.setattr(module, "dev_complaints", lambda channels: (texts, truth))
    # A head that is very sure where the rules found nothing: worth a threshold.
    moved = module.recheck_sentences(_Tagger(0.99))  # type: ignore[arg-type]
    assert moved is not None and moved["unchanged"] is False
    assert moved["chosen"]["alone"][0] >= LEAST_ALONE["sentences"]  # type: ignore[index]
    assert moved["dev_chosen"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    # One that is not sure enough inside a long story: the shipped thresholds still fit.
    kept = module.recheck_sentences(_Tagger(0.6))  # type: ignore[arg-type]
    assert kept is not None and kept["unchanged"] is True


def test_a_gain_of_one_text_in_a_thousand_moves_no_threshold() -> None:
    # 1,001 texts, one channel, no cue: the head says 0.65 on the 1,000 that used it and
    # 0.55 on one that did not. From 0.5, the stricter 0.6 wins that one text in a
    # thousand: too little to tell from the folds' noise, so 0.5 stays.
    def units(used: int) -> Units:
        probs = np.asarray([[0.65]] * used + [[0.55]], dtype=np.float32)
        truth = np.asarray([[1.0]] * used + [[0.0]], dtype=np.float32)
        n = used + 1
        return Units(np.zeros((n, 1, 3), np.float32), probs, np.arange(n), truth, np.ones(n, bool))

    start = ChannelDecision(
        ChannelThresholds(0.0, (0.5,), (0.5,), (NEVER,)), ChannelThresholds.rules_only(1)
    )
    assert calibrate([units(1000)], start, "whole").alone[0] == 0.5
    # One text in eight is worth the move.
    assert calibrate([units(7)], start, "whole").alone[0] == 0.6


def test_a_label_s_threshold_is_the_middle_of_its_plateau() -> None:
    from cjm_interview.nlp.train import best_thresholds

    # Every threshold from 0.3 to 0.4 is perfect; the first of them (0.3) stands beside a
    # poor one, the middle (0.35) between perfect ones: a few probabilities moving from
    # one training to the next cannot push it off the plateau.
    probs = np.r_[np.full(10, 0.72), np.full(10, 0.42), np.full(9, 0.25), np.full(11, 0.1)]
    truth = np.r_[np.ones(20), np.zeros(20)]
    chosen = best_thresholds(truth.reshape(-1, 1), probs.reshape(-1, 1).astype(np.float32))
    assert chosen[0] == pytest.approx(0.35)
