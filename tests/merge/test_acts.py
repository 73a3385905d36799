"""What kind of act a step tells: clauses, main clauses, cues, roles, and where acts count."""

from __future__ import annotations

import numpy as np
import pytest

from cjm_interview.map import acts, prototypes
from cjm_interview.map.align import act_share, group_sums, run_sums, topic_order
from cjm_interview.map.moments import counted_twice
from cjm_interview.map.vectors import ENCODER, Parts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Check-in was quick, the lounge was packed",
         ("Check-in was quick", "the lounge was packed")),
        ("I called them and they refused", ("I called them", "they refused")),
        ("Boarding was quick, we left early", ("Boarding was quick", "we left early")),
        ("Called the helpline which took ages", ("Called the helpline which took ages",)),
        ("Searched online for the best deal, twice actually",
         ("Searched online for the best deal, twice actually",)),
        ("Sent my documents by post. Then nothing.",
         ("Sent my documents by post", "Then nothing.")),
    ],
)  # fmt: skip
def test_a_step_is_cut_into_its_clauses(text: str, expected: tuple[str, ...]) -> None:
    assert acts.parts(text) == expected


@pytest.mark.parametrize(
    ("text", "opening"),
    [
        ("On XX/XX/XXXX I called Equifax and they said it was verified.", "I called Equifax"),
        ("To date, they have not sent a response to validate the debt.", "they have not sent"),
        ("Then after that I phoned customer service which took ages", "I phoned customer service"),
        ("Additionally, on 12/05/2019 we wrote to them again", "we wrote to them"),
    ],
)
def test_the_opening_is_who_did_what(text: str, opening: str) -> None:
    assert acts.opening(text) == opening


def test_cues_tell_who_acts_and_what_kind_of_sentence_it_is() -> None:
    rows = dict(zip(acts.CUES, acts.cues(["I called them"])[0], strict=True))
    assert rows["self"] == 1 and rows["party"] == 0 and rows["request"] == 0
    rows = dict(zip(acts.CUES, acts.cues(["They never replied"])[0], strict=True))
    assert rows["party"] == 1 and rows["denial"] == 1 and rows["self"] == 0
    rows = dict(zip(acts.CUES, acts.cues(["Please remove it from my report?"])[0], strict=True))
    assert rows["request"] == 1 and rows["question"] == 1
    rows = dict(
        zip(acts.CUES, acts.cues(["Account number XXXX opened 01/02/2019"])[0], strict=True)
    )
    assert rows["numbers"] > 0.5 and rows["noun"] == 1


def test_an_act_profile_is_the_same_for_a_study_told_twice_over() -> None:
    texts = ["I called them", "They never replied", "Please fix it", "The seat was broken"]
    rng = np.random.default_rng(0)
    whole = rng.normal(size=(4, 8)).astype(np.float32)
    protos = rng.normal(size=(sum(len(r.sentences) for r in acts.ROLES), 8)).astype(np.float32)
    once = acts.profile(texts, whole, whole, protos)
    twice = acts.profile(texts * 2, np.vstack([whole, whole]), np.vstack([whole, whole]), protos)
    np.testing.assert_allclose(twice.rows[:4], once.rows, atol=1e-6)
    assert once.roles is not None and once.roles.shape == (4, len(acts.ROLES))
    words_only = acts.profile(texts)
    assert words_only.roles is None and words_only.rows.shape == (4, len(acts.CUES))


def test_the_roles_speak_of_no_one_service() -> None:
    # Generic journey roles: none of a study's own vocabulary (finance, travel, broadband).
    said = " ".join(s.lower() for role in acts.ROLES for s in role.sentences)
    for word in ("credit", "loan", "debt", "mortgage", "flight", "seat", "broadband", "bank"):
        assert word not in said.split(), word
    assert len({r.key for r in acts.ROLES}) == len(acts.ROLES)
    assert all(len(r.sentences) >= 5 for r in acts.ROLES)


def test_the_shipped_vectors_cover_the_roles_and_the_bundled_stages() -> None:
    texts = prototypes.shipped_texts()
    found = prototypes.shipped(texts, ENCODER)
    # Edit a role's sentences or a bundled stage, and the file must be written again
    # (python -m cjm_interview.map.prototypes).
    assert set(found) == {prototypes.key(t) for t in texts}
    assert {len(v) for v in found.values()} == {384}
    assert prototypes.shipped(texts, "another-model") == {}


@pytest.mark.slow
def test_the_shipped_vectors_are_the_encoders() -> None:
    from cjm_interview.nlp.embedding import encode

    texts = prototypes.shipped_texts()
    found = prototypes.shipped(texts, ENCODER)
    encoded = encode(texts)
    shipped = np.stack([found[prototypes.key(t)] for t in texts])
    assert np.abs(np.einsum("ij,ij->i", shipped, encoded) - 1).max() < 1e-3


def _journeys(topics_follow_time: bool, n: int = 200) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Steps of 8 places each; their topic follows their place, or is drawn at random."""
    rng = np.random.default_rng(1)
    topics = rng.normal(size=(8, 16))
    rows, keys, places = [], [], []
    for j in range(n):
        for place in range(8):
            topic = place if topics_follow_time else int(rng.integers(8))
            rows.append(topics[topic] + rng.normal(scale=0.3, size=16))
            keys.append(f"{j}|{place}")
            places.append(place / 7)
    x = np.asarray(rows, dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, keys, np.asarray(places, dtype=np.float32)


def test_the_act_weighs_in_when_topics_tell_nothing_of_time() -> None:
    x, keys, places = _journeys(topics_follow_time=True)
    ordered = topic_order(x, keys, places, dims=16, k=8)
    x, keys, places = _journeys(topics_follow_time=False)
    shuffled = topic_order(x, keys, places, dims=16, k=8)
    assert ordered > 0.8 and shuffled < 0.05
    assert act_share(ordered, 2.0) == 0.0 and act_share(shuffled, 2.0) == 2.0


def test_a_step_whose_other_clause_tells_another_stage_counts_there_too() -> None:
    # Two moments in two stages, e.g. "check-in" (stage 0) and "the lounge" (stage 1).
    rng = np.random.default_rng(2)
    a, b = np.eye(16, dtype=np.float32)[0], np.eye(16, dtype=np.float32)[1]
    vectors = np.vstack([a + rng.normal(scale=0.05, size=(10, 16)),
                         b + rng.normal(scale=0.05, size=(10, 16))]).astype(np.float32)  # fmt: skip
    assign = np.repeat([0, 1], 10)
    # Step 0 ("check-in was quick, the lounge was packed") told both; step 1's second
    # clause is about check-in again; step 2's second clause is weakly like the lounge.
    clauses = np.vstack([a, b, a, a, a * 0.9 + b * 0.45]).astype(np.float32)
    told = Parts(vectors, np.asarray([0, 0, 1, 1, 2]), clauses)
    found = counted_twice(told, vectors, assign, np.asarray([0, 1]))
    assert found == {1: [0]}
    # Within one stage a clause never counts twice.
    assert counted_twice(told, vectors, assign, np.asarray([0, 0])) == {}


@pytest.mark.slow
def test_a_step_that_names_its_stage_goes_there_wherever_it_was_told() -> None:
    from cjm_interview.config import bundled_script
    from cjm_interview.map.stages import declared, place, stage_texts
    from cjm_interview.nlp.embedding import encode
    from cjm_interview.script import load_script

    stages = declared([load_script(bundled_script("customer"))])
    texts = [stage_texts(s) for s in stages]
    found = prototypes.shipped([t for group in texts for t in group], ENCODER)
    blocks = [np.stack([found[prototypes.key(t)] for t in group]) for group in texts]
    told = {
        "talked to colleagues": "Get help",
        "posted on a forum asking for help": "Get help",
        "compared deals online": "Find out and choose",
        "paid the first bill": "Pay",
        "cancelled my contract": "Leave or renew",
    }
    vectors = encode(list(told))
    for where in (0.1, 0.5, 0.9):  # the first, middle or last step of a journey
        got = place(vectors, np.full(len(told), where), blocks)
        assert [stages[g].label for g in got] == list(told.values()), where


def test_exact_sums_are_the_bits_of_a_float64_sum_in_row_order() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 24)).astype(np.float32)
    # Runs of very different lengths, one of them long, and groups that hold no row.
    assign = np.sort(np.r_[np.zeros(900, np.int64), rng.integers(2, 400, 2100)])
    w = rng.random(3000)
    for weights in (None, w):
        rows = x if weights is None else x * weights.astype(np.float32)[:, None]
        expected = np.zeros((400, 24))
        for g in range(400):
            for row in rows[assign == g]:
                expected[g] += row  # one row after the other, in float64
        assert np.array_equal(group_sums(x, assign, 400, weights, exact=True), expected)


def test_run_sums_are_the_bits_of_numpys_reduceat() -> None:
    rng = np.random.default_rng(5)
    # Runs of one row, of fewer than 8, of 8 to 128 and of more (numpy adds each differently).
    counts = np.r_[1, 2, 7, 8, 9, 16, 17, 128, 129, 300, rng.integers(1, 40, 300)]
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    for dtype in (np.float32, np.float64):
        x = rng.normal(size=(int(counts.sum()), 24)).astype(dtype)
        expected = np.add.reduceat(x, starts, axis=0)
        assert run_sums(x, starts).tobytes() == expected.tobytes()
