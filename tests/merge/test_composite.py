"""Composite maps of generated studies where the true steps and gaps are known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cjm_interview.composite import AlignOptions, Filters, build_map, load_journeys
from cjm_interview.engine import Engine
from cjm_interview.importer import run_interview
from cjm_interview.merge import merge_databases
from cjm_interview.script import load_script
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


def test_sql_reader_agrees_with_the_engine(study_db, customer_script) -> None:
    store, _study, ids = study_db
    journeys = {j.session["id"]: j for j in load_journeys(store)}
    for session_id in ids[:10]:
        engine = Engine(customer_script, answers=store.load_answers(session_id))
        assert [s.action for s in journeys[session_id].steps] == [v.action for v in engine.steps()]


def test_alignment_recovers_the_true_steps_lexically(study_db) -> None:
    store, study, ids = study_db
    cmap = build_map(store, encode_missing=False, options=AlignOptions())
    assert cmap.data["alignment"]["representation"] == "lexical"
    index = {sid: i for i, sid in enumerate(ids)}
    predicted = {(index[sid], pos): key for (sid, pos), key in cmap.assignments.items()}
    quality = grouping_quality(predicted, study.truth)
    assert quality["purity"] >= 0.8, quality
    assert quality["recall"] >= 0.5, quality


@pytest.mark.slow
def test_alignment_with_sentence_vectors(study_db) -> None:
    store, study, ids = study_db
    cmap = build_map(store, encode_missing=True)
    assert cmap.data["alignment"]["representation"] == "all-MiniLM-L6-v2"
    index = {sid: i for i, sid in enumerate(ids)}
    predicted = {(index[sid], pos): key for (sid, pos), key in cmap.assignments.items()}
    quality = grouping_quality(predicted, study.truth)
    assert quality["purity"] >= 0.8 and quality["recall"] >= 0.7, quality


def test_steps_are_ordered_and_counted(study_db) -> None:
    store, _study, ids = study_db
    cmap = build_map(store, encode_missing=False, options=AlignOptions())
    steps = cmap.data["steps"]
    positions = [s["position"] for s in steps]
    assert positions == sorted(positions)
    assert cmap.data["sessions"] == len(ids)
    for step in steps:
        assert 0 < step["participants"] <= len(ids)
        assert step["grade"]["n"] >= step["participants"] * 0 + 1
    # The paths start and end somewhere, and count every journey once.
    starts = sum(p["count"] for p in cmap.data["paths"] if p["from"] == "start")
    assert starts == len(ids)


def test_perspective_gap_finds_the_known_largest_gap(study_db) -> None:
    store, _study, _ids = study_db
    cmap = build_map(store, encode_missing=False, options=AlignOptions())
    gaps = cmap.data["perspective_gap"]
    assert gaps, "customers and staff graded the same steps"
    # Staff overestimate the helpline step by 4 points in the generated truth.
    top = gaps[0]
    assert (
        "call" in top["label"].lower()
        or "phone" in top["label"].lower()
        or "rang" in top["label"].lower()
    )
    assert top["gap"] > 2


def test_filters(study_db) -> None:
    store, _study, _ids = study_db
    staff = build_map(store, Filters(perspective="staff"), encode_missing=False)
    assert staff.data["sessions"] == 15 and staff.data["perspectives"] == {"staff": 15}
    new = build_map(store, Filters(segment="new"), encode_missing=False)
    assert set(new.data["segments"]) == {"new"}
    none = build_map(store, Filters(since="2999-01-01"), encode_missing=False)
    assert none.data["sessions"] == 0


def test_group_edits_survive_rerunning(study_db) -> None:
    store, _study, _ids = study_db
    first = build_map(store, encode_missing=False, options=AlignOptions())
    a, b = first.data["steps"][0]["key"], first.data["steps"][1]["key"]
    now = "2026-01-01T00:00:00Z"
    store.write(
        lambda c: c.execute(
            "INSERT INTO step_group_edits (action, group_key, label, created_at) VALUES "
            "('rename', ?, 'Looking around', ?)",
            (a, now),
        )
    )
    store.write(
        lambda c: c.execute(
            "INSERT INTO step_group_edits (action, group_key, target_key, created_at) VALUES "
            "('merge', ?, ?, ?)",
            (b, a, now),
        )
    )
    again = build_map(store, encode_missing=False, options=AlignOptions())
    labels = {s["key"]: s for s in again.data["steps"]}
    assert labels[a]["label"] == "Looking around" and labels[a]["edited"]
    assert b not in labels
    assert labels[a]["mentions"] == (
        first.data["steps"][0]["mentions"] + first.data["steps"][1]["mentions"]
    )
    store.write(lambda c: c.execute("DELETE FROM step_group_edits"))


def test_merge_databases_is_idempotent_and_keeps_provenance(tmp_path: Path) -> None:
    study = generate(customers=6, steps=3, seed=9)
    one, two = Store(tmp_path / "one.db"), Store(tmp_path / "two.db")
    import_study(one, type(study)(study.interviews[:4], {}, {}))
    import_study(two, type(study)(study.interviews[4:], {}, {}))
    one.close()
    two.close()
    out = tmp_path / "all.db"
    report = merge_databases(out, [tmp_path / "one.db", tmp_path / "two.db"])
    assert sum(report.added.values()) == 6
    again = merge_databases(out, [tmp_path / "one.db", tmp_path / "two.db"])
    assert sum(again.added.values()) == 0 and sum(again.skipped.values()) == 6
    merged = Store(out)
    assert merged.count_sessions() == 6
    sources = merged.conn.execute("SELECT count(DISTINCT source_file) FROM session_sources")
    assert sources.fetchone()[0] == 2
    totals = [
        Store(tmp_path / n).conn.execute("SELECT count(*) FROM answers").fetchone()[0]
        for n in ("one.db", "two.db")
    ]
    assert merged.conn.execute("SELECT count(*) FROM answers").fetchone()[0] == sum(totals)
    assert merged.integrity_check() == []
    cmap = build_map(merged, encode_missing=False)
    assert cmap.data["sessions"] == 6
    data = json.loads(json.dumps(cmap.data))
    assert data["schema_version"] == "1.0"


def test_merge_refuses_output_as_input(tmp_path: Path) -> None:
    from cjm_interview.errors import CjmError

    Store(tmp_path / "a.db").close()
    with pytest.raises(CjmError, match="also the output"):
        merge_databases(tmp_path / "a.db", [tmp_path / "a.db"])
