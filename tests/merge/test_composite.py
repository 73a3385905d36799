"""Composite maps of generated studies where the true steps and gaps are known."""

from __future__ import annotations

import copy
import gc
import itertools
import sqlite3
import weakref
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from cjm_interview.domain import Answer, AnswerKey, SessionInfo
from cjm_interview.engine import Engine
from cjm_interview.importer import InterviewImportError, run_interview
from cjm_interview.map import Filters, build_map, load_journeys, slug
from cjm_interview.map.build import CompositeMap, gc_paused
from cjm_interview.map.themes import answer_vectors
from cjm_interview.map.vectors import ENCODER, KnownVectors
from cjm_interview.merge import merge_databases
from cjm_interview.script import load_script, parse_script
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store
from cjm_interview.synth import generate, grouping_quality

from ..conftest import PROMPTS


def import_study(store: Store, study) -> list[str]:
    customer = load_script(PROMPTS / "customer.yaml")
    staff = load_script(PROMPTS / "staff.yaml")
    ids = []
    for interview in study.interviews:
        script = staff if interview["session"]["perspective"] == "staff" else customer
        ids.append(run_interview(store, script, interview).id)
    return ids


@pytest.fixture(scope="module")
def study_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("study") / "study.db"
    store = Store(path)
    study = generate(customers=60, staff=15, steps=5, seed=3)
    ids = import_study(store, study)
    return store, study, ids


def lexical_map(store: Store, **kw) -> object:
    return build_map(store, encode_missing=False, **kw)


def truth_of_groups(cmap, study, ids) -> dict[str, Counter[str]]:
    """For each composite step, how many of its steps are of each true type."""
    index = {sid: i for i, sid in enumerate(ids)}
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for (sid, pos), key in cmap.assignments.items():
        kinds[key][study.truth[(index[sid], pos)]] += 1
    return kinds


# ------------------------------------------------------------------ reading
def test_sql_reader_agrees_with_the_engine_on_edited_journeys(tmp_path: Path) -> None:
    store = Store(tmp_path / "edited.db")
    script = load_script(PROMPTS / "customer.yaml")
    study = generate(customers=8, steps=5, seed=11)
    ids = import_study(store, study)
    # Playback edits: move, remove and insert steps, as the interviewer screen does.
    first = InterviewSession.resume(store, ids[0], script)
    iterations = first.engine.step_order("steps")
    first.move_step("steps", iterations[-1], 0)
    second = InterviewSession.resume(store, ids[1], script)
    second.remove_step("steps", second.engine.step_order("steps")[1])
    third = InterviewSession.resume(store, ids[2], script)
    third.insert_step("steps", 1, "Checked my bank statement")
    third.move_step("steps", third.engine.step_order("steps")[0], 3)
    # Went back to step 2 and said there was nothing after it: the later steps'
    # answers stay current in the database but are no longer in the journey.
    store.save_answers(
        ids[3], [(Answer(AnswerKey("more_steps", 2), "no", False, revision=2), "steps", None)]
    )
    journeys = {j.session["id"]: j for j in load_journeys(store)}
    for session_id in ids:
        engine = Engine(script, answers=store.load_answers(session_id))
        expected = [(v.iteration, v.action) for v in engine.steps()]
        got = [(s.iteration, s.action) for s in journeys[session_id].steps]
        assert got == expected, session_id
    assert len(journeys[ids[3]].steps) == 2
    assert "Checked my bank statement" in [s.action for s in journeys[ids[2]].steps]


def test_steps_carry_their_answers_and_tags(study_db) -> None:
    store, study, ids = study_db
    journey = next(j for j in load_journeys(store) if j.session["id"] == ids[0])
    told = study.interviews[0]["answers"]["steps"]
    assert [s.action for s in journey.steps] == [" ".join(t["action"].split()) for t in told]
    assert [s.fields["step.grade"] for s in journey.steps] == [t["grade"] for t in told]
    assert journey.steps[0].relative == 0.0 and journey.steps[-1].relative == 1.0
    assert journey.fields["overall.grade"] == study.interviews[0]["answers"]["overall_grade"]


# ------------------------------------------------------------------ alignment
def test_alignment_recovers_the_true_steps_lexically(study_db) -> None:
    store, study, ids = study_db
    cmap = lexical_map(store)
    alignment = cmap.data["alignment"]
    assert alignment["representation"] == "lexical"
    assert alignment["fallback_reason"] == "encoding switched off"
    index = {sid: i for i, sid in enumerate(ids)}
    predicted = {(index[sid], pos): key for (sid, pos), key in cmap.assignments.items()}
    assert len(predicted) == len(study.truth)
    quality = grouping_quality(predicted, study.truth)
    # Words cannot tell that "phoned customer service" and "rang the call
    # centre" are one step; what they group, they group correctly.
    assert quality["purity"] >= 0.75, quality
    assert quality["recall"] >= 0.45, quality


def test_a_random_grouping_scores_low(study_db) -> None:
    """The quality measure itself can fail: shuffled groups score far lower."""
    import random

    _store, study, _ids = study_db
    rng = random.Random(0)
    predicted = {key: f"g{rng.randrange(12)}" for key in study.truth}
    quality = grouping_quality(predicted, study.truth)
    assert quality["purity"] < 0.4 and quality["recall"] < 0.4


@pytest.mark.slow
def test_alignment_with_sentence_vectors(study_db, tmp_path: Path) -> None:
    store, study, ids = study_db
    # A copy: encoding caches the vectors, which would change the other tests' maps.
    with sqlite3.connect(tmp_path / "copy.db") as target:
        store.conn.backup(target)
    copy = Store(tmp_path / "copy.db")
    cmap = build_map(copy, encode_missing=True)
    assert cmap.data["alignment"]["representation"] == "all-MiniLM-L6-v2"
    index = {sid: i for i, sid in enumerate(ids)}
    predicted = {(index[sid], pos): key for (sid, pos), key in cmap.assignments.items()}
    quality = grouping_quality(predicted, study.truth)
    assert quality["purity"] >= 0.8 and quality["recall"] >= 0.7, quality
    cached = copy.conn.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    assert cached == len(study.truth)
    # The second map reads the cached vectors and needs no encoder.
    again = build_map(copy, encode_missing=False)
    assert again.data["alignment"]["representation"] == "all-MiniLM-L6-v2"
    assert again.assignments == cmap.assignments


def test_a_small_study_gives_one_column_to_one_moment_told_in_other_words(
    tmp_path: Path,
) -> None:
    # Three people, one told three calls: eight columns were kept (the fewest a map draws),
    # so "ordered broadband" in three wordings took three columns of one person each.
    store = Store(tmp_path / "small.db")
    script = load_script(PROMPTS / "customer.yaml")
    call = "Rang the call centre {}about the delay"
    told = [
        ["Ordered broadband on the website", call.format(""), call.format("again "),
         call.format("a third time "), "The engineer installed the router"],
        ["Ordered broadband online", "The engineer installed the router"],
        ["Ordered broadband on their website", "An engineer installed the router at home"],
    ]  # fmt: skip
    for n, actions in enumerate(told):
        steps = [{"action": a, "grade": 1 if "call" in a else 8} for a in actions]
        run_interview(store, script, _customer(f"P{n}", steps))
    cmap = build_map(store, encode_missing=True)
    assert cmap.data["alignment"]["representation"] == "all-MiniLM-L6-v2"
    columns = {key for key in cmap.assignments.values()}
    assert len(columns) == 3, [(s["label"], s["participants"]) for s in cmap.data["steps"]]
    ordered = {cmap.assignments[(sid, 0)] for sid in {sid for sid, _ in cmap.assignments}}
    assert len(ordered) == 1  # everyone's first step, one column


def test_steps_are_ordered_and_counted(study_db) -> None:
    store, _study, ids = study_db
    cmap = lexical_map(store)
    steps = cmap.data["steps"]
    # Stages follow one another; within a stage, steps in the order they happen.
    runs = [stage for stage, _ in itertools.groupby(s["stage"] for s in steps)]
    assert runs == [s["key"] for s in cmap.data["stages"]]
    for stage in cmap.data["stages"]:
        positions = [s["position"] for s in steps if s["stage"] == stage["key"]]
        assert positions == sorted(positions)
    assert cmap.data["sessions"] == len(ids)
    assert sum(s["mentions"] for s in steps) == cmap.data["alignment"]["steps_told"]
    customers = cmap.data["perspectives"]["customer"]
    for step in steps:
        assert 0 < sum(step["reach"].values()) <= len(ids)
        assert step["participants"] == step["reach"].get("customer", 0) <= customers
        assert step["share"] == pytest.approx(step["participants"] / customers, abs=1e-3)
        assert sum(step["grade"]["histogram"]) == step["grade"]["n"]
        flow = step["flow"]
        out = sum(n["count"] for n in flow["next"]) + flow["ends_here"]
        assert out <= step["mentions"]
        # Journeys that go back from here: at most the customers who were here.
        assert flow["loops_back"] <= step["participants"]
    # Paths are the customers' journeys: each starts once and ends once, and two steps told
    # in one moment in a row are a stay there, not a move.
    starts = sum(p["count"] for p in cmap.data["paths"] if p["from"] == "start")
    ends = sum(p["count"] for p in cmap.data["paths"] if p["to"] == "end")
    assert starts == ends == customers
    assert all(p["from"] != p["to"] for p in cmap.data["paths"])


def test_grades_match_the_answers(study_db) -> None:
    store, study, ids = study_db
    cmap = lexical_map(store)
    index = {sid: i for i, sid in enumerate(ids)}
    given: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for (sid, pos), key in cmap.assignments.items():
        told = study.interviews[index[sid]]["answers"]["steps"][pos]
        if "grade" in told:
            given[(key, "customer")][sid].append(told["grade"])
        else:
            given[(key, "staff")][sid].append(told["customer_grade"])
    # n counts people: one who told a moment twice counts once, with the mean of the two.
    expected = {
        where: [sum(grades) / len(grades) for grades in people.values()]
        for where, people in given.items()
    }
    assert any(len(g) > 1 for people in given.values() for g in people.values())
    for step in cmap.data["steps"]:
        # The headline grade is customers' own; staff's estimates stay apart.
        grades = expected.get((step["key"], "customer"), [])
        assert step["grade"]["n"] == len(grades) <= step["participants"]
        if grades:
            assert step["grade"]["mean"] == pytest.approx(sum(grades) / len(grades), abs=0.01)
            assert step["curve"] == {
                "mean": step["grade"]["mean"], "n": len(grades), "source": "given",
                "thin": len(grades) < 3,
            }  # fmt: skip
        staff = expected.get((step["key"], "staff"), [])
        if staff:
            assert step["by_perspective"]["staff"]["n"] == len(staff)
            assert step["by_perspective"]["staff"]["mean"] == pytest.approx(
                sum(staff) / len(staff), abs=0.01
            )


def test_perspective_gap_finds_the_known_gaps(study_db) -> None:
    store, study, ids = study_db
    cmap = lexical_map(store)
    gaps = cmap.data["perspective_gap"]
    assert gaps, "customers and staff graded the same steps"
    kinds = truth_of_groups(cmap, study, ids)
    # The largest gap is on a step type staff overestimate by 3 points or more
    # (the helpline or social-media complaints), and it is about that size.
    top = gaps[0]
    kind = kinds[top["key"]].most_common(1)[0][0]
    assert study.staff_offset[kind] >= 3, (top, kind)
    assert abs(top["gap"] - study.staff_offset[kind]) <= 1.5
    # On groups that hold mostly one true step type, the gap is that type's known offset.
    entries = {s["key"]: s for s in cmap.data["steps"]}
    checked = 0
    for gap in gaps:
        kind, count = kinds[gap["key"]].most_common(1)[0]
        pure = count >= 0.8 * sum(kinds[gap["key"]].values())
        if pure and entries[gap["key"]]["by_perspective"]["staff"]["n"] >= 3:
            assert abs(gap["gap"] - study.staff_offset[kind]) < 2, (gap, kind)
            checked += 1
    assert checked >= 4, checked


def test_filters(study_db) -> None:
    store, _study, _ids = study_db
    staff = lexical_map(store, filters=Filters(perspective="staff"))
    assert staff.data["sessions"] == 15 and staff.data["perspectives"] == {"staff": 15}
    new = lexical_map(store, filters=Filters(segment="new"))
    assert set(new.data["segments"]) == {"new"}
    customers = lexical_map(store, filters=Filters(script_id="customer"))
    assert customers.data["perspectives"] == {"customer": 60}
    none = lexical_map(store, filters=Filters(since="2999-01-01"))
    assert none.data["sessions"] == 0 and none.data["steps"] == []


# ------------------------------------------------------------------ researchers' edits
def _edit(store: Store, **row) -> None:
    import json

    cols = ["action", "group_key", "target_key", "label", "pattern", "anchor", "target_anchor"]
    values = [row.get(c) for c in cols]
    for i, c in enumerate(cols):
        if c.endswith("anchor") and values[i] is not None:
            values[i] = json.dumps(values[i])
    store.write(
        lambda conn: conn.execute(
            f"INSERT INTO step_group_edits ({', '.join(cols)}, created_at) "
            f"VALUES ({', '.join('?' * len(cols))}, '2026-01-01T00:00:00Z')",
            values,
        )
    )


def test_group_edits_survive_rerunning(study_db) -> None:
    store, _study, _ids = study_db
    try:
        first = lexical_map(store)
        a, b = first.data["steps"][0]["key"], first.data["steps"][1]["key"]
        _edit(store, action="rename", group_key=a, label="Looking around")
        _edit(store, action="merge", group_key=b, target_key=a)
        again = lexical_map(store)
        steps = {s["key"]: s for s in again.data["steps"]}
        # The key follows the label; the old keys are kept as aliases.
        assert a not in steps and b not in steps
        renamed = steps["looking-around"]
        assert renamed["label"] == "Looking around" and renamed["edited"]
        assert {a, b} <= set(renamed["aliases"])
        assert renamed["mentions"] == (
            first.data["steps"][0]["mentions"] + first.data["steps"][1]["mentions"]
        )
        assert again.data["alignment"]["edits_unmatched"] == []
    finally:
        store.write(lambda c: c.execute("DELETE FROM step_group_edits"))


def test_split_moves_matching_steps_to_a_new_group(study_db) -> None:
    store, _study, _ids = study_db
    try:
        first = lexical_map(store)
        big = max(first.data["steps"], key=lambda s: len(s["phrasings"]))
        word = big["phrasings"][-1]["text"].split()[-1]
        _edit(
            store,
            action="split",
            group_key=big["key"],
            pattern=rf"\b{word}\b",
            label="Split off",
            target_key="split-off",
        )
        again = lexical_map(store)
        steps = {s["key"]: s for s in again.data["steps"]}
        assert "split-off" in steps and steps["split-off"]["label"] == "Split off"
        moved = steps["split-off"]["mentions"]
        assert 0 < moved < big["mentions"]
        assert steps[big["key"]]["mentions"] + moved == big["mentions"]
        assert all(word.lower() in p["text"].lower() for p in steps["split-off"]["phrasings"])
    finally:
        store.write(lambda c: c.execute("DELETE FROM step_group_edits"))


def test_an_edit_finds_its_group_by_phrasings_when_the_key_changed(study_db) -> None:
    store, _study, _ids = study_db
    try:
        first = lexical_map(store)
        target = first.data["steps"][2]
        anchor = first.anchors[target["key"]]
        # The key an older, smaller study gave the group; the phrasings are the same.
        _edit(store, action="rename", group_key="old-key", label="Renamed", anchor=anchor)
        _edit(store, action="rename", group_key="gone", label="Nothing", anchor=["no such words"])
        _edit(store, action="stage-rename", group_key="no-stage", label="X", anchor=["nothing"])
        again = lexical_map(store)
        steps = {s["key"]: s for s in again.data["steps"]}
        assert steps["renamed"]["label"] == "Renamed"
        assert target["key"] in steps["renamed"]["aliases"]
        unmatched = again.data["alignment"]["edits_unmatched"]
        assert [e["group_key"] for e in unmatched] == ["gone", "no-stage"]
        # The schema knows a stage edit that found nothing (it allowed step edits alone).
        import json

        from ..conftest import ROOT
        from ..export.schema_check import problems

        schema = json.loads((ROOT / "docs" / "composite-map.schema.json").read_text())
        assert problems(json.loads(json.dumps(again.data)), schema, schema) == []
    finally:
        store.write(lambda c: c.execute("DELETE FROM step_group_edits"))


# ------------------------------------------------------------------ sessions on the map
def _ended_before_step_one(store: Store, script) -> str:
    """An interview the interviewer ended early, before the first step was told."""
    session = InterviewSession.start(store, script, SessionInfo(participant="early"))
    while (prompt := session.current()) is not None and prompt.question.id != "action":
        session.skip() if not prompt.question.required else session.submit(
            "yes" if prompt.question.id == "consent" else "Moving house"
        )
    session.end("ended_early")
    return session.id


def test_a_session_ended_before_its_first_step_does_not_break_the_map(tmp_path: Path) -> None:
    store = Store(tmp_path / "early.db")
    script = load_script(PROMPTS / "customer.yaml")
    import_study(store, generate(customers=3, steps=3, seed=2))
    _ended_before_step_one(store, script)
    cmap = build_map(store, Filters(unfinished=True), encode_missing=False)
    assert cmap.data["sessions"] == 4
    starts = sum(p["count"] for p in cmap.data["paths"] if p["from"] == "start")
    assert starts == 4
    assert all("flow" in step for step in cmap.data["steps"])


def test_the_map_shows_finished_sessions_unless_asked(tmp_path: Path) -> None:
    store = Store(tmp_path / "status.db")
    script = load_script(PROMPTS / "customer.yaml")
    study = generate(customers=3, steps=3, seed=4)
    finished = import_study(store, study)
    early = _ended_before_step_one(store, script)
    failed = copy.deepcopy(study.interviews[0])
    failed["answers"]["steps"][1]["grade"] = "eleven"
    with pytest.raises(InterviewImportError) as caught:
        run_interview(store, script, failed)
    in_progress = caught.value.session_id
    default = build_map(store, encode_missing=False)
    assert default.data["sessions"] == 3
    assert {sid for sid, _ in default.assignments} == set(finished)
    everything = build_map(store, Filters(unfinished=True), encode_missing=False)
    assert everything.data["sessions"] == 5
    assert in_progress in {sid for sid, _ in everything.assignments}
    assert early not in {sid for sid, _ in everything.assignments}  # no step told


# ------------------------------------------------------------------ stages and moments
def _partition(cmap, ids) -> dict[tuple[int, int], str]:
    index = {sid: i for i, sid in enumerate(ids)}
    return {(index[sid], pos): key for (sid, pos), key in cmap.assignments.items() if sid in index}


def test_the_same_study_copied_with_new_ids_gives_the_same_groups(study_db, tmp_path: Path) -> None:
    store, study, ids = study_db
    first = _partition(lexical_map(store), ids)
    # The same interviews in reverse order (new session ids, other start times) ...
    other = Store(tmp_path / "reversed.db")
    reordered = import_study(other, type(study)(study.interviews[::-1], {}, {}))[::-1]
    assert _partition(lexical_map(other), reordered) == first
    # ... and the study told twice over: each copy is grouped as the original was.
    doubled = Store(tmp_path / "doubled.db")
    twice = import_study(doubled, type(study)(study.interviews * 2, {}, {}))
    cmap = lexical_map(doubled)
    n = len(study.interviews)
    for copy_ids in (twice[:n], twice[n:]):
        assert _partition(cmap, copy_ids) == first


def test_the_same_study_in_reverse_order_lists_the_same_answers_first(
    study_db, tmp_path: Path
) -> None:
    # The answers shown first are the most typical; ties go by what was said, never by
    # which session came first.
    store, study, _ids = study_db
    other = Store(tmp_path / "reversed.db")
    import_study(other, type(study)(study.interviews[::-1], {}, {}))
    lists = ("phrasings", "front_stage", "back_stage", "thoughts", "feelings", "pain_points",
             "improvements")  # fmt: skip
    first = {s["key"]: [s[name] for name in lists] for s in lexical_map(store).data["steps"]}
    again = {s["key"]: [s[name] for name in lists] for s in lexical_map(other).data["steps"]}
    assert again == first


def test_steps_sit_in_the_stages_the_scripts_declare(study_db) -> None:
    store, study, _ids = study_db
    cmap = lexical_map(store)
    declared = [slug(s.id) for s in load_script(PROMPTS / "customer.yaml").stages]
    stages = [s["key"] for s in cmap.data["stages"]]
    assert stages == [key for key in declared if key in stages]
    assert cmap.data["alignment"]["stages_declared"]
    assert cmap.data["alignment"]["stages_from"] == "declared in the script"
    assert all(s["declared"] for s in cmap.data["stages"])
    placed = cmap.data["placements"]
    assert len(placed) == len(study.truth)
    by_step = {s["key"]: s["stage"] for s in cmap.data["steps"]}
    assert all(p["stage"] == by_step[p["step"]] for p in placed)


def test_a_stage_edit_moves_renames_and_merges(study_db) -> None:
    store, _study, _ids = study_db
    try:
        first = lexical_map(store)
        step = first.data["steps"][0]
        a, b = first.data["stages"][0]["key"], first.data["stages"][-1]["key"]
        _edit(store, action="stage-move", group_key=step["key"], target_key="waiting")
        _edit(store, action="stage-rename", group_key=a, label="Looking around")
        _edit(store, action="stage-merge", group_key=b, target_key="looking-around")
        again = lexical_map(store)
        stages = {s["key"]: s for s in again.data["stages"]}
        assert "waiting" in stages and stages["waiting"]["steps"] == [step["key"]]
        assert stages["looking-around"]["label"] == "Looking around" and a not in stages
        assert b not in stages and b in stages["looking-around"]["aliases"]
        assert again.data["alignment"]["edits_unmatched"] == []
    finally:
        store.write(lambda c: c.execute("DELETE FROM step_group_edits"))


def test_labels_never_contradict_most_members(study_db) -> None:
    store, study, ids = study_db
    cmap = lexical_map(store)
    index = {sid: i for i, sid in enumerate(ids)}
    grades: dict[str, list[int]] = defaultdict(list)
    said: dict[str, list[str]] = defaultdict(list)
    for (sid, pos), key in cmap.assignments.items():
        told = study.interviews[index[sid]]["answers"]["steps"][pos]
        grade = told.get("grade", told.get("customer_grade"))
        grades[key].append(grade)
        said[key].append((told["action"], grade))
    for step in cmap.data["steps"]:
        low = sum(1 for g in grades[step["key"]] if g <= 4)
        high = sum(1 for g in grades[step["key"]] if g >= 7)
        # The label's words come from a member on the side most members are on.
        words = step["label"].split(" (went")[0].rstrip("…").lower().split()[:3]
        sources = [g for text, g in said[step["key"]] if " ".join(words) in text.lower()]
        assert sources, step["label"]
        if low > high + len(grades[step["key"]]) // 4:
            assert any(g <= 4 for g in sources), (step["label"], sources)
        if high > low + len(grades[step["key"]]) // 4:
            assert any(g >= 7 for g in sources), (step["label"], sources)
        assert len(step["label"].split()) <= 10


# ------------------------------------------------------------------ honest evidence
def _customer(participant: str, steps: list[dict], improvement: str = "") -> dict:
    answers = {"consent": "yes", "service": "Broadband", "outcome": "Working internet",
               "steps": steps, "overall_grade": 5}  # fmt: skip
    if improvement:
        answers["improvement"] = improvement
    return {"session": {"participant": participant}, "answers": answers}


def test_pain_points_are_negative_answers_not_praise_or_non_answers(
    tmp_path: Path, fake_tagger
) -> None:
    store = Store(tmp_path / "pain.db")
    script = load_script(PROMPTS / "customer.yaml")
    hold = {"action": "Called the helpline", "feelings": "Frustrated, an awful wait",
            "pain_point": "Nobody answered for 45 minutes", "grade": 1}  # fmt: skip
    praise = {"action": "The cabin crew were very attentive", "feelings": "happy, great",
              "grade": 9}  # fmt: skip
    shrug = {"action": "Waited for the router", "feelings": "annoyed",
             "pain_point": "None really", "grade": 5}  # fmt: skip
    elsewhere = {"action": "Asked in the shop", "feelings": "worried",
                 "pain_point": "No idea, not my area", "grade": 5}  # fmt: skip
    for n in range(4):
        run_interview(store, script, _customer(f"P{n}", [hold, praise, shrug, elsewhere]),
                      tagger=fake_tagger)  # fmt: skip
    cmap = build_map(store, encode_missing=False)
    members = [m["text"] for theme in cmap.data["pain_points"] for m in theme["members"]]
    in_steps = [p["text"] for s in cmap.data["steps"] for p in s["pain_points"]]
    for found in (members, in_steps):
        assert "Nobody answered for 45 minutes" in found
        assert not any("attentive" in t or "None really" in t or "No idea" in t for t in found)
        assert not any("Frustrated" in t for t in found)  # feelings are not pain points
    # Every pain point is counted: 4 people, the answer and the action each.
    assert sum(theme["count"] for theme in cmap.data["pain_points"]) == 8


def test_the_curve_reads_predicted_grades_when_none_was_given(tmp_path: Path, fake_tagger) -> None:
    script = parse_script(NO_GRADES, "no-grades.yaml")
    store = Store(tmp_path / "predicted.db")
    told = ["Called them and it was awful", "Called again, terrible hold", "Got a great refund"]
    for n in range(4):
        steps = [{"action": told[0]}, {"action": told[1]}] + (
            [{"action": told[2]}] if n < 2 else []
        )
        interview = {"session": {"participant": f"P{n}"}, "answers": {"steps": steps}}
        run_interview(store, script, interview, tagger=fake_tagger)
    cmap = build_map(store, encode_missing=False)
    curve = {s["label"]: s["curve"] for s in cmap.data["steps"]}
    assert all(c["source"] == "predicted" for c in curve.values())
    refund = next(c for label, c in curve.items() if "refund" in label.lower())
    assert refund["n"] == 2 and refund["thin"] and refund["mean"] == 8.5
    assert all(s["grade"]["n"] == 0 for s in cmap.data["steps"])  # none was given
    assert cmap.data["alignment"]["stages_from"] == "found in the data"  # words: no roles


NO_GRADES = """\
id: told
title: Told
sections:
  - id: steps
    title: Steps
    repeat: {min: 1, max: 10, while: "${more} == true"}
    questions:
      - id: action
        type: text
        required: true
        maps_to: step.action
        text: What happened?
      - id: more
        type: yes_no
        required: true
        text: Anything else?
"""


def test_themes_hold_every_answer_of_every_merged_file(tmp_path: Path) -> None:
    script = load_script(PROMPTS / "customer.yaml")
    step = [{"action": "Called them", "grade": 3}]
    ideas = ["Answer the phone faster", "answer the phone faster!", "Clearer letters please",
             "An app that works", "Faster phone support", "Send the letters earlier"]  # fmt: skip
    files = []
    for f in range(2):
        store = Store(tmp_path / f"device-{f}.db")
        for n, idea in enumerate(ideas):
            run_interview(store, script, _customer(f"D{f}P{n}", step, f"{idea} ({f})"))
        store.close()
        files.append(tmp_path / f"device-{f}.db")
    merge_databases(tmp_path / "study.db", files)
    cmap = build_map(Store(tmp_path / "study.db"), encode_missing=False)
    themes = cmap.data["improvements"]
    said = [m["text"] for theme in themes for m in theme["members"]]
    answers = [a for theme in themes for m in theme["members"] for a in m["answers"]]
    # The same words with other case or punctuation are one member, counted twice.
    assert sum(theme["count"] for theme in themes) == 12 == len(answers)
    assert len({a["answer_id"] for a in answers}) == 12
    assert {t for t in said if t.endswith("(1)")} and {t for t in said if t.endswith("(0)")}
    assert len(themes) < 12  # grouped, not listed


def test_customer_figures_come_from_customers(study_db) -> None:
    store, study, ids = study_db
    cmap = lexical_map(store)
    staff = {sid for sid, i in zip(ids, study.interviews, strict=True)
             if i["session"]["perspective"] == "staff"}  # fmt: skip
    assert cmap.data["primary_perspective"] == "customer"
    assert cmap.data["overall_grade"]["n"] == 60  # staff's overall grades are their own
    assert cmap.data["overall_by_perspective"]["staff"]["n"] == 15
    for step in cmap.data["steps"]:
        assert not {q["session_id"] for q in step["quotes"]} & staff
        assert step["grade"]["n"] == step["by_perspective"].get("customer", {}).get("n", 0)


def test_channels_and_feelings_of_a_moment_customers_told_are_the_customers(
    tmp_path: Path,
) -> None:
    # Staff told the same moments through the mail, customers never did: "Figures of
    # customers" counted the staff's channels (social 4 on a step one customer reached).
    study = generate(customers=6, staff=6, steps=3, seed=11)
    for interview in study.interviews:
        staff = interview["session"]["perspective"] == "staff"
        for step in interview["answers"]["steps"]:
            step["channels"] = ["mail"] if staff else ["web"]
            step["customer_feelings" if staff else "feelings"] = "Furious" if staff else "Fine"
    store = Store(tmp_path / "both.db")
    import_study(store, study)
    cmap = lexical_map(store)
    told = [s for s in cmap.data["steps"] if s["reach"].get("customer")]
    assert any(s["reach"].get("staff") for s in told)  # the sides met in some moments
    for step in told:
        assert [t["label"] for t in step["touchpoints"]] == ["web"], step["label"]
        assert [f["text"] for f in step["feelings"]] == ["Fine"], step["label"]
    for step in cmap.data["steps"]:
        if not step["reach"].get("customer"):  # a moment only staff told shows theirs
            assert [t["label"] for t in step["touchpoints"]] == ["mail"]


def test_counts_that_tie_are_listed_the_same_whatever_order_answers_came_in() -> None:
    from cjm_interview.map.summary import top_counts

    told = ["phone", "web", "mail", "web", "mail", "phone", "chat"]
    first = top_counts(Counter(told), 3)
    assert first == top_counts(Counter(told[::-1]), 3)
    assert [c["label"] for c in first] == ["mail", "phone", "web"]


@pytest.mark.parametrize(
    ("told", "clause"),
    [
        ("My name is XXXX XXXX.", "My name"),
        ("The account was opened on XX/XX/2019", "The account was opened"),
        ("I paid on XX/XX/XXXX", "I paid"),
        ("My account number is XXXX", "My account number"),
    ],
)
def test_a_label_never_ends_where_masked_words_were_taken_out(told: str, clause: str) -> None:
    from cjm_interview.map.labels import clauses

    assert clauses(told) == [clause]


@pytest.mark.parametrize(
    "told",
    [
        "To whom it may concern, I called the bank about the late fee",
        "Dear Sir or Madam. I called the bank about the late fee",
        "Hello, I called the bank about the late fee. Thank you",
        "I called the bank about the late fee. Please help!",
        "Sincerely, I called the bank about the late fee",
    ],
)
def test_a_letter_s_greeting_or_closing_is_never_a_label(told: str) -> None:
    # Complaints written as letters opened a real map's stage with "To Whom It May Concern".
    from cjm_interview.map.labels import central_clause, clauses

    assert clauses(told) == ["I called the bank about the late…"]
    assert central_clause([told, "To whom it may concern"]) == "I called the bank about the late…"


def test_a_grade_histogram_rounds_halves_to_even_and_keeps_to_the_scale() -> None:
    from cjm_interview.map.summary import distribution

    hist = distribution([0.5, 1.5, 2.5, 3.49, -1.0, 11.0, 10.5, 7])["histogram"]
    assert hist == [2, 0, 2, 1, 0, 0, 0, 1, 0, 0, 2]
    assert all(type(count) is int for count in hist)
    with pytest.raises(ValueError):  # not a number: no bin, as before
        distribution([5.0, float("nan")])


class _Node:
    """An object that can sit in a reference cycle and be watched by a weak reference."""

    other: object = None


def test_objects_made_during_a_collector_pause_are_not_scanned_by_the_next_collection() -> None:
    # The first collection after building a large map scanned every object it made.
    scanned: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            scanned.append(sum(len(gc.get_objects(g)) for g in range(info["generation"] + 1)))

    gc.callbacks.append(watch)
    try:
        with gc_paused():
            made = [[] for _ in range(20_000)]
            node = _Node()
            node.other = node
            watched = weakref.ref(node)
        more = [[] for _ in range(5_000)]  # enough to set off a young collection
    finally:
        gc.callbacks.remove(watch)
    assert scanned and scanned[0] < 10_000, scanned
    # A cycle made meanwhile is still collected, by the next full collection.
    del node, made, more
    assert watched() is not None
    gc.collect()
    assert watched() is None


def test_a_program_s_own_frozen_objects_stay_frozen_after_a_pause() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            [[] for _ in range(100)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


class _VectorStore:
    """Just what ``answer_vectors`` reads: the embeddings table."""

    def __init__(self, vectors: dict[int, np.ndarray]) -> None:
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute("CREATE TABLE embeddings (answer_id, model, dim, vector, created_at)")
        self.conn.executemany(
            "INSERT INTO embeddings VALUES (?, ?, ?, ?, '')",
            [(a, ENCODER, len(v), v.astype("<f4").tobytes()) for a, v in vectors.items()],
        )


def test_vectors_of_steps_read_already_are_the_cached_ones_bit_for_bit() -> None:
    rng = np.random.default_rng(4)
    cached = {a: rng.normal(size=8).astype(np.float32) for a in range(1, 7)}
    store = _VectorStore(cached)
    # The steps' actions (answers 2, 4, 5) as read by the map, in rows of their own order.
    known = KnownVectors({5: 0, 2: 1, 4: 2}, np.stack([cached[5], cached[2], cached[4]]))
    wanted = [4, 1, 2, 6, 2, 5]
    alone = answer_vectors(store.conn, wanted)
    helped = answer_vectors(store.conn, wanted, known)
    assert alone is not None and helped is not None
    assert helped.dtype == alone.dtype and helped.tobytes() == alone.tobytes()
    assert answer_vectors(store.conn, [2, 4], known) is not None  # nothing left to read
    # An answer with no vector anywhere, or vectors of two sizes: none, as without them.
    assert answer_vectors(store.conn, [2, 9], known) is None
    store.conn.execute("UPDATE embeddings SET vector = zeroblob(16) WHERE answer_id = 1")
    assert answer_vectors(store.conn, [1, 2]) is None
    assert answer_vectors(store.conn, [1, 2], known) is None


@pytest.mark.slow
def test_where_steps_are_told_in_any_order_the_stages_are_the_roles_they_play(
    tmp_path: Path,
) -> None:
    # Complaints tell their steps in any order: a story may open with the answer it got.
    # What the steps are about tells nothing of where they happen; what they do does.
    told = {
        "problem": ["The bill was wrong again", "My parcel never arrived",
                    "The heating broke down in the night", "My card was declined at the till"],
        "contact": ["I rang the helpline", "I emailed customer services",
                    "I went into the branch to ask", "I wrote to their head office"],
        "response": ["They never replied", "The agent refused to help",
                     "They said it was my fault", "Nobody called me back"],
        "request": ["Please refund me", "I want my money back",
                    "I would like an apology", "Please fix it"],
    }  # fmt: skip
    script = parse_script(NO_GRADES, "no-grades.yaml")
    store = Store(tmp_path / "any-order.db")
    rng = np.random.default_rng(5)
    truth: dict[str, str] = {}
    interviews = []
    for n in range(40):
        steps = [(role, texts[int(rng.integers(4))]) for role, texts in told.items()]
        steps = [steps[i] for i in rng.permutation(4)]
        truth.update({text: role for role, text in steps})
        answers = {"steps": [{"action": text} for _, text in steps]}
        interviews.append({"session": {"participant": f"P{n}"}, "answers": answers})
    for interview in interviews:
        run_interview(store, script, interview)
    cmap = build_map(store, encode_missing=True)
    assert cmap.data["alignment"]["act_weight"] > 0
    assert cmap.data["alignment"]["stages_from"] == "by the role each step plays"
    stage_of = {s["key"]: s["label"] for s in cmap.data["stages"]}
    expected = {
        "problem": "A problem appears",
        "contact": "Contact the service",
        "response": "The service answers",
        "request": "What it cost and what they ask",
    }
    placed: Counter[tuple[str, str]] = Counter()
    for group in cmap.groups:
        for i in group.members:
            placed[(truth[cmap.steps_told[i].action], stage_of[group.stage])] += 1
    right = sum(n for (role, stage), n in placed.items() if expected[role] == stage)
    assert right >= 0.8 * sum(placed.values()), placed
    # The study told twice over: the same stages and moments, each step where it was.
    for interview in interviews:
        run_interview(store, script, interview)
    twice = build_map(store, encode_missing=True)

    def where(m: CompositeMap) -> dict[str, set[tuple[str, str]]]:
        stage_label = {s["key"]: s["label"] for s in m.data["stages"]}
        found: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for group in m.groups:
            for i in group.members:
                found[m.steps_told[i].action].add((stage_label[group.stage], group.label))
        return found

    assert where(twice) == where(cmap)
