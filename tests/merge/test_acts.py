"""What kind of act a step tells: clauses, main clauses, cues, roles, and where acts count."""

from __future__ import annotations

from pathlib import Path

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
    head = acts.RoleHead(
        rng.normal(size=(8, len(acts.ROLES))).astype(np.float32),
        rng.normal(size=len(acts.ROLES)).astype(np.float32),
    )
    once = acts.profile(texts, whole, whole, head)
    twice = acts.profile(texts * 2, np.vstack([whole, whole]), np.vstack([whole, whole]), head)
    np.testing.assert_allclose(twice.rows[:4], once.rows, atol=1e-6)
    assert once.roles is not None and once.roles.shape == (4, len(acts.ROLES))
    assert once.likely is not None and twice.likely is not None
    np.testing.assert_allclose(twice.likely[4:], once.likely, atol=1e-6)
    words_only = acts.profile(texts)
    assert words_only.roles is None and words_only.likely is None
    assert words_only.rows.shape == (4, len(acts.CUES))


def test_a_head_with_words_reads_them_as_a_unit_row_of_hashed_columns_would() -> None:
    from cjm_interview.nlp.features import word_features

    texts = ["I called them twice", "They never replied!", "", "I called them twice", "???"]
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(len(texts), 8)).astype(np.float32)
    words = 64
    head = acts.RoleHead(
        rng.normal(size=(8 + words, len(acts.ROLES))).astype(np.float32),
        rng.normal(size=len(acts.ROLES)).astype(np.float32),
        words,
    )
    assert head.dimensions == 8
    dense = np.hstack([vectors, word_features(texts, words)]) @ head.weights + head.bias
    dense -= dense.max(axis=1, keepdims=True)
    expected = dense - np.log(np.exp(dense).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(acts.role_scores(vectors, head, texts), expected, atol=1e-5)
    # The words count: the same vectors with other texts read otherwise.
    other = acts.role_scores(vectors, head, ["please refund me"] * len(texts))
    assert not np.allclose(other, expected, atol=1e-3)


def test_the_opening_is_read_with_the_words_its_vector_is_of() -> None:
    texts = ["When I called on 01/02/2019, they refused to help me", "I paid the bill"]
    rng = np.random.default_rng(3)
    whole = rng.normal(size=(2, 8)).astype(np.float32)
    opened = rng.normal(size=(2, 8)).astype(np.float32)
    words = 64
    head = acts.RoleHead(
        rng.normal(size=(8 + words, len(acts.ROLES))).astype(np.float32),
        np.zeros(len(acts.ROLES), dtype=np.float32),
        words,
    )
    openings = [acts.opening(t) for t in texts]
    assert openings[0] == "they refused to help"
    said = acts.role_scores(whole, head, texts)
    got = acts.profile(texts, whole, opened, head, openings)
    assert got.likely is not None
    began = acts.role_scores(opened, head, openings)
    np.testing.assert_allclose(got.likely, said + acts.OPENING_SHARE * began, atol=1e-5)
    # Where the whole step's vector stands in for its opening's, so do its words.
    stand_in = acts.profile(texts, whole, whole, head)
    assert stand_in.likely is not None
    np.testing.assert_allclose(stand_in.likely, (1 + acts.OPENING_SHARE) * said, atol=1e-5)


def test_a_head_reading_words_refuses_texts_that_do_not_match_its_rows() -> None:
    head = acts.RoleHead(
        np.zeros((8 + 16, len(acts.ROLES)), np.float32), np.zeros(len(acts.ROLES), np.float32), 16
    )
    vectors = np.zeros((3, 8), dtype=np.float32)
    with pytest.raises(ValueError, match="3 vectors but 1 texts"):
        acts.role_scores(vectors, head, ["one text"])
    vectors_only = acts.RoleHead(head.weights[:8], head.bias)
    assert acts.role_scores(vectors, vectors_only, []).shape == (3, len(acts.ROLES))


def test_a_step_s_stage_is_that_of_the_role_it_most_likely_plays() -> None:
    keys = [r.key for r in acts.ROLES]
    likely = np.full((3, len(keys)), -5.0, dtype=np.float32)
    likely[0, keys.index("request")] = -0.1  # "Please refund me"
    likely[1, keys.index("impact")] = -0.1  # "I lost a day's pay"
    likely[2, keys.index("contact")] = -0.1  # "I rang them"
    stages = [acts.ROLE_STAGES[i].label for i in acts.role_stages(likely)]
    assert stages == ["What it cost and what they ask"] * 2 + ["Contact the service"]
    # Every role has its one stage.
    held = [r for stage in acts.ROLE_STAGES for r in stage.roles]
    assert sorted(held) == sorted(keys)


def test_the_role_examples_speak_of_many_services_none_alone() -> None:
    texts, roles = prototypes.role_examples()
    assert set(roles) == {r.key for r in acts.ROLES}
    assert min(roles.count(r.key) for r in acts.ROLES) >= 25
    assert len(set(texts)) == len(texts)
    # A service's words are told in several roles, so that none of them reads as a role:
    # a map of one service's steps is then told apart by what its steps do.
    for word in ("bank", "flight", "bill", "account", "credit", "phone", "card", "loan"):
        told_in = {r for t, r in zip(texts, roles, strict=True) if word in t.lower().split()}
        assert len(told_in) >= 3, (word, told_in)


def test_the_shipped_role_head_was_learnt_from_the_examples_as_they_are() -> None:
    # Edit models/roles.jsonl, and the head must be learnt again
    # (python benchmarks/complaint_study.py roles).
    assert prototypes.shipped_examples_hash() == prototypes.examples_hash()
    head = prototypes.role_head(ENCODER)
    assert head is not None and head.dimensions == 384 and head.words == prototypes.ROLE_WORDS
    # Change how the head is learnt, and it must be learnt again.
    assert prototypes.shipped_settings() == prototypes.settings()
    assert head.weights.shape == (384 + head.words, len(acts.ROLES))
    assert prototypes.role_head("another-model") is None


def test_the_shipped_vectors_cover_the_bundled_stages() -> None:
    texts = prototypes.shipped_texts()
    found = prototypes.shipped(texts, ENCODER)
    # Edit a bundled stage, and the file must be written again
    # (python -m cjm_interview.map.prototypes).
    assert set(found) == {prototypes.key(t) for t in texts}
    assert {len(v) for v in found.values()} == {384}
    assert prototypes.shipped(texts, "another-model") == {}


def test_encoding_the_stages_again_keeps_the_role_head_as_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cjm_interview.nlp.embedding as embedding

    texts = prototypes.shipped_texts()
    found = prototypes.shipped(texts, ENCODER)

    def encode(told: list[str]) -> np.ndarray:
        return np.stack([found[prototypes.key(t)] for t in told]).astype(np.float32)

    monkeypatch.setattr(embedding, "encode", encode)
    out = tmp_path / "prototypes.npz"
    assert prototypes.write_stages(out) == len(texts)
    with np.load(out, allow_pickle=False) as new, np.load(prototypes.FILE) as shipped:
        assert sorted(new.files) == sorted(shipped.files)
        for name in shipped.files:
            np.testing.assert_array_equal(new[name], shipped[name])


@pytest.mark.slow
def test_the_shipped_vectors_are_the_encoders() -> None:
    from cjm_interview.nlp.embedding import encode

    texts = prototypes.shipped_texts()
    found = prototypes.shipped(texts, ENCODER)
    encoded = encode(texts)
    shipped = np.stack([found[prototypes.key(t)] for t in texts])
    assert np.abs(np.einsum("ij,ij->i", shipped, encoded) - 1).max() < 1e-3
    # The head reads its own examples, encoded now, as it learnt them: it was learnt on
    # this encoder's vectors. (It is learnt again from every example in the complaint
    # study's tests, which read the labelled steps' text: tests/export/test_complaint_study.py.)
    examples, roles = prototypes.role_examples()
    head = prototypes.role_head(ENCODER)
    assert head is not None
    read = acts.role_scores(encode(examples), head, examples).argmax(axis=1)
    keys = [r.key for r in acts.ROLES]
    assert np.mean([keys[i] == role for i, role in zip(read, roles, strict=True)]) > 0.9


@pytest.mark.slow
def test_the_head_reads_the_role_of_steps_it_never_saw() -> None:
    from cjm_interview.nlp.embedding import encode

    told = {
        "Phoned the insurer to ask where the claim was": "contact",
        "Went down to the housing office in person": "contact",
        "The nurse told me to come back next week": "response",
        "Nobody answered my emails for a month": "response",
        "My suitcase came back with a broken handle": "problem",
        "The gas meter was read wrong": "problem",
        "Please refund the booking fee": "request",
        "I'd like the late fee removed": "request",
        "Signed up for the yoga classes": "sign_up",
        "Complained to the energy ombudsman": "escalate",
        "It cost us a night in a hotel": "impact",
        "Read a few reviews of local garages": "explore",
    }
    head = prototypes.role_head(ENCODER)
    assert head is not None
    got = acts.role_scores(encode(list(told)), head, list(told)).argmax(axis=1)
    read = [acts.ROLES[i].key for i in got]
    assert sum(a == b for a, b in zip(read, told.values(), strict=True)) >= 9, read


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
    told = Parts(vectors, np.asarray([0, 0, 1, 1, 2]), clauses, [""] * len(vectors))
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


def test_moments_formed_inside_stages_stay_there_and_stages_keep_a_journey_s_order() -> None:
    from cjm_interview.map.align import AlignOptions
    from cjm_interview.map.moments import align_by_stage, role_led_stages

    rng = np.random.default_rng(4)
    topics = rng.normal(size=(6, 16))
    # Three stages told in any order, two topics each: "request" first in the data.
    stage = np.repeat([6, 3, 4], [30, 50, 20])
    rows = [topics[2 * (i % 3) + int(rng.integers(2))] + rng.normal(scale=0.2, size=16)
            for i in np.repeat([2, 0, 1], [30, 50, 20])]  # fmt: skip
    x = np.asarray(rows, dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    keys = [f"{i}|0" for i in range(len(x))]
    relative = rng.random(len(x)).astype(np.float32)
    options = AlignOptions(threshold=0.2, position_weight=0.0, centre=0.0, columns=(4, 8))
    assign = align_by_stage(x, keys, relative, stage, options, journeys=50)
    for g in np.unique(assign):
        assert len(set(stage[assign == g])) == 1  # no moment spans two stages
    assert len(np.unique(assign)) <= 8
    stage_of, stages = role_led_stages(assign, stage)
    assert [s.label for s in stages] == [
        "Contact the service", "The service answers", "What it cost and what they ask"
    ]  # fmt: skip
    for g in np.unique(assign):
        assert stages[stage_of[g]].key == acts.ROLE_STAGES[int(stage[assign == g][0])].key


def test_the_columns_are_shared_out_by_the_stages_sizes_within_the_most_allowed() -> None:
    from cjm_interview.map.moments import share_out

    # The complaint study's eight stages: 15 columns in all, never more.
    sizes = [321, 350, 734, 527, 820, 296, 992, 1974]
    assert share_out(sizes, 15) == [1, 1, 2, 1, 2, 1, 2, 5]
    assert sum(share_out(sizes, 15)) == 15 and min(share_out(sizes, 8)) == 1
    assert share_out([5, 5], 15) == [8, 7] and share_out([10], 15) == [15]
    assert share_out([1, 1, 1], 2) == [1, 1, 1]  # one each, even past the most


@pytest.mark.parametrize(
    ("text", "main"),
    [
        ("When I called, she told me to wait.", "she told me to wait."),
        ("Regardless of what I say, they keep refusing.", "they keep refusing."),
        ("After I sent the letter, they never replied.", "they never replied."),
        ("When I called.", "When I called."),  # nothing it leads in to
    ],
)
def test_a_clause_that_only_leads_in_gives_way_to_the_one_it_leads_to(text: str, main: str) -> None:
    # The codebook's rule, and a researcher's: "When I called, she said no" is the answer.
    assert acts.main_clause(text) == main


def test_a_label_cut_from_a_main_clause_ends_before_its_masked_details() -> None:
    from cjm_interview.map.labels import clauses

    said = acts.main_said("Also, I sent a letter to XXXX requesting the records.")
    assert clauses(said) == ["I sent a letter"]  # not "I sent a letter to requesting…"
    assert clauses(acts.main_said("On 03/04/2019 I was billed over $1,200.00 for it.")) == [
        "I was billed"
    ]
    # A date masked in part is taken out whole, not left as "2019 I called them".
    assert clauses(acts.main_said("On XX/XX/2019 I called them.")) == ["I called them"]
    # The cleaned clause, which the act profile reads, still has them out.
    assert "XXXX" not in acts.main_clause("Also, I sent a letter to XXXX requesting the records.")


def test_an_opening_without_its_own_vector_is_read_as_the_whole_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cjm_interview.map import vectors as vec
    from cjm_interview.map.journeys import Step

    said = [
        "When I called on 01/02/2019, they refused to help me",  # its opening is cached
        "After three weeks of waiting the bank finally sent a letter",  # its opening is not
        "Rang them",  # its own opening
    ]
    steps = [Step("s", 0, i, i / 2, text, i + 1) for i, text in enumerate(said)]
    whole = np.eye(3, 8, dtype=np.float32)
    cached = acts.opening(said[0])

    def found(_store: object, texts: list[str], *_: object, **__: object) -> tuple:
        have = np.asarray([t == cached for t in texts])
        return np.where(have[:, None], 0.5, 0.0).repeat(8, axis=1).astype(np.float32), have

    monkeypatch.setattr(vec, "cached_vectors", found)
    told = vec.part_vectors(None, steps, whole, vec.ENCODER, encode_missing=False)  # type: ignore[arg-type]
    assert told.opening_texts == [cached, said[1], said[2]]
    np.testing.assert_allclose(told.opening[0], 0.5)
    np.testing.assert_allclose(told.opening[1:], whole[1:])
