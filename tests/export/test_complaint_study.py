"""The complaint study builder: narratives split into steps, imported on the study script."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from cjm_interview.export.csv_export import write_csv
from cjm_interview.importer import run_interview
from cjm_interview.map import Filters, build_map, load_journeys
from cjm_interview.script import load_script
from cjm_interview.store import Store

from ..conftest import ROOT


def _load(name: str) -> ModuleType:
    path = ROOT / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


study = _load("complaint_study")
bench = _load("bench_complaint_map")
split_steps = study.split_steps


def test_abbreviations_initialisms_and_list_numbers_end_no_sentence() -> None:
    text = (
        "Mr. Jones at the U.S. office said the fee was due, e.g. the one from May. "
        "I asked Acme Inc. for a refund. 2. They refused it on the phone."
    )
    assert split_steps(text) == [
        "Mr. Jones at the U.S. office said the fee was due, e.g. the one from May.",
        "I asked Acme Inc. for a refund.",
        "2. They refused it on the phone.",
    ]


def test_placeholders_amounts_and_asides_stay_in_their_sentence() -> None:
    text = (
        "On XX/XX/XXXX I paid {$120.50} to XXXX. "
        "I wrote to them ( see my note. It is attached ) and waited a month. "
        "Acct. XXXX was still open."
    )
    assert split_steps(text) == [
        "On XX/XX/XXXX I paid {$120.50} to XXXX.",
        "I wrote to them ( see my note. It is attached ) and waited a month.",
        "Acct. XXXX was still open.",
    ]


def test_missing_spaces_line_breaks_and_short_fragments() -> None:
    text = (
        "I checked my report.The balance on it was wrong!Nobody explained why.\n"
        "Ms.XXXX answered the phone the next day\n\nThank you.\nSincerely, XXXX XXXX"
    )
    assert split_steps(text) == [
        "I checked my report.",
        "The balance on it was wrong!",
        "Nobody explained why.",
        "Ms.XXXX answered the phone the next day",
    ]


def test_lower_case_continuations_stay_with_the_sentence() -> None:
    text = (
        "I sent the signed doc. to the bank and some info. on my loan. i never heard back. "
        "I told them to stop calling me! and they called again the next day."
    )
    assert split_steps(text) == [
        "I sent the signed doc. to the bank and some info. on my loan.",
        "i never heard back.",
        "I told them to stop calling me! and they called again the next day.",
    ]


def test_long_run_ons_are_cut_at_clauses_but_short_sentences_are_not() -> None:
    short = "I called them; they said to write, but I had already written twice."
    assert split_steps(short) == [short]
    clause = "I called the lender about the late fee on the account again and again"
    long = (
        f"{clause} in spring; {clause} in summer, and then {clause} in autumn, "
        f"but {clause} in winter; ok then."
    )
    assert len(long) > study.MAX_SENTENCE
    assert split_steps(long) == [
        f"{clause} in spring",
        f"{clause} in summer",
        f"and then {clause} in autumn",
        f"but {clause} in winter; ok then.",  # a part under MIN_PART joins the one before
    ]


def test_whitespace_is_collapsed_and_the_split_is_deterministic() -> None:
    text = "I  opened   the card in XXXX.   Then\tthe bank closed it without notice."
    first = split_steps(text)
    assert first == [
        "I opened the card in XXXX.",
        "Then the bank closed it without notice.",
    ]
    assert split_steps(text) == first
    assert split_steps("") == []


def _write_csv(path: Path, narratives: dict[str, str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["complaint_id", "product", "company", "narrative"])
        for cid, narrative in narratives.items():
            writer.writerow([cid, "Mortgage", "Acme Bank", narrative])


NARRATIVES = {
    "101": "I applied for a loan at the branch. They lost my papers. I filed a complaint.",
    "102": "My statement showed a fee I never agreed to.\nI called and was on hold for hours.",
    "103": "Thank you.",  # no step: left out of the study
}


def test_the_study_imports_on_its_script_with_one_step_per_sentence(tmp_path: Path) -> None:
    source = tmp_path / "complaints.csv"
    _write_csv(source, NARRATIVES)
    out = tmp_path / "study.json"
    assert study.build_study(source, out) == 2
    interviews = json.loads(out.read_text(encoding="utf-8"))["interviews"]
    assert [i["session"]["participant"] for i in interviews] == ["101", "102"]
    assert all(set(step) == {"action"} for i in interviews for step in i["answers"]["steps"])
    script = load_script(study.SCRIPT)
    with Store(tmp_path / "study.db") as store:
        for item in interviews:
            run_interview(store, script, item)
        journeys = {j.session["participant"]: j for j in load_journeys(store)}
        statuses = {row[0] for row in store.conn.execute("SELECT status FROM sessions")}
    assert statuses == {"finished"}
    for cid in ("101", "102"):
        told = [step.action for step in journeys[cid].steps]
        assert told == split_steps(NARRATIVES[cid])
        assert journeys[cid].session["segment"] == "Mortgage"


def test_check_names_labels_whose_step_changed(tmp_path: Path) -> None:
    source = tmp_path / "complaints.csv"
    _write_csv(source, NARRATIVES)
    steps = split_steps(NARRATIVES["101"])
    labels = tmp_path / "labels.jsonl"
    rows = [
        {"complaint_id": "101", "step": 0, "sha": study.step_sha(steps[0])},
        {"complaint_id": "101", "step": 1, "sha": study.step_sha(steps[0])},
        {"complaint_id": "101", "step": 9, "sha": "0" * 12},
        {"complaint_id": "999", "step": 0, "sha": "0" * 12},
    ]
    labels.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    problems = study.check_labels(source, labels)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "101 step 1 changed",
        "101 has no step 9",
        "no complaint 999",
    ]


@pytest.mark.parametrize(
    "argv", [["build", "-o", "x.json"], ["check"], ["sentiment", "-o", "x.jsonl"]]
)
def test_a_missing_csv_is_one_line_and_exit_2(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.csv"
    assert study.main([*argv, "--csv", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{missing}: no such file (give the complaints CSV with --csv)"
    )


def test_the_scorer_reads_each_steps_column_from_the_csv_export(tmp_path: Path) -> None:
    source = tmp_path / "complaints.csv"
    _write_csv(source, NARRATIVES)
    out = tmp_path / "study.json"
    study.build_study(source, out)
    script = load_script(study.SCRIPT)
    db = tmp_path / "study.db"
    with Store(db) as store:
        for item in json.loads(out.read_text(encoding="utf-8"))["interviews"]:
            run_interview(store, script, item)
        cmap = build_map(store, encode_missing=False)
        write_csv(store, Filters(), tmp_path / "map.csv", cmap=cmap)
        participant = dict(store.conn.execute("SELECT id, participant FROM sessions"))
    columns, lengths = bench.read_columns(tmp_path / "map.csv")
    assert lengths == {"101": 3, "102": 2}
    # The CSV's 1-based positions are the splitter's indexes, column for column.
    expected = {(participant[sid], pos): key for (sid, pos), key in cmap.assignments.items()}
    assert columns == expected and len(columns) == 5


def test_purity_and_recall_of_columns_against_labels() -> None:
    truth = {("1", 0): "problem", ("1", 1): "contact", ("2", 0): "problem", ("2", 1): "contact"}
    one = dict.fromkeys(truth, "all")
    assert bench.quality(one, truth) == {"purity": 0.5, "recall": 1.0, "steps": 4}
    split = {("1", 0): "a", ("1", 1): "b", ("2", 0): "a", ("2", 1): "c", ("9", 0): "a"}
    assert bench.quality(split, truth) == {"purity": 1.0, "recall": 0.75, "steps": 4}
    assert bench.by_position({"1": 3, "2": 1}, 2) == {
        ("1", 0): 0,
        ("1", 1): 1,
        ("1", 2): 1,
        ("2", 0): 0,
    }


def test_two_maps_are_compared_on_the_same_narratives_drawn_again() -> None:
    # 30 narratives of a problem then a contact; one map keeps them apart, one does not.
    truth = {
        (str(n), i): label for n in range(30) for i, label in enumerate(("problem", "contact"))
    }
    apart = dict(truth)
    mixed = {step: "all" if int(step[0]) < 20 else label for step, label in truth.items()}
    found = bench.compare(apart, mixed, truth, resamples=500)
    # Mixed: the shared column holds 40 steps, 20 of its most common label; the rest pure.
    assert found["purity"][0] == found["recall"][0] == pytest.approx(1 - 40 / 60, abs=1e-3)
    difference, low, high = found["purity"]
    assert 0 < low < difference < high
    # The same map against itself differs by nothing, on every draw; draws are repeatable.
    assert bench.compare(mixed, mixed, truth, resamples=200)["purity"] == [0.0, 0.0, 0.0]
    assert bench.compare(apart, mixed, truth, resamples=500) == found


def test_the_role_head_learns_from_the_train_split_alone_as_labelled() -> None:
    from cjm_interview.map import acts, prototypes

    rows = study.label_rows()
    learnt = study.role_labels()
    assert learnt and {r["split"] for r in learnt} == {"train"}
    # No narrative, nor any step's text (a complaint filed twice), is in two splits: what
    # the head learns from is never scored.
    for field in ("complaint_id", "sha"):
        splits: dict[str, set[str]] = {}
        for row in rows:
            splits.setdefault(row[field], set()).add(row["split"])
        assert all(len(found) == 1 for found in splits.values()), field
    scored = bench.read_labels(study.LABELS, "all")
    assert {r["split"] for r in scored} == {"test", "dev"} and len(scored) == 608
    assert set(study.ROLE_OF_MOMENT) == {r["moment"] for r in rows}
    assert set(study.ROLE_OF_MOMENT.values()) <= {r.key for r in acts.ROLES}
    # Edit the labels of the train split, and the head must be learnt again
    # (python benchmarks/complaint_study.py roles).
    assert prototypes.shipped_real_hash() == study.role_hash()


def test_steps_labelled_for_sentiment_come_from_narratives_never_scored() -> None:
    labels = study.label_rows(study.SENTIMENT_LABELS)
    counts = Counter(r["sentiment"] for r in labels)
    # As data/complaint_stages.md and models/README.md say.
    assert (len(labels), counts) == (2313, {"negative": 1517, "neutral": 757, "positive": 39})
    keys = [(r["complaint_id"], r["step"]) for r in labels]
    assert len(set(keys)) == len(keys)
    # The map's scored splits and the channel labels' test part, worked out here on their
    # own, are never learnt from; and they are what near_scored keeps out.
    stages = study.label_rows()
    channels = study.label_rows(ROOT / "benchmarks/data/complaint_channels.jsonl")
    scored = {r["complaint_id"] for r in stages if r["split"] in ("dev", "test")}
    scored |= {r["complaint_id"] for r in channels if r["split"] == "test"}
    assert len(scored) > 300 and study.scored_ids() == scored
    assert not {r["complaint_id"] for r in labels} & scored
    assert not {r["sha"] for r in labels} & {r["sha"] for r in stages if r["split"] != "train"}
    # The blind second coding is of labelled steps, as they were told.
    second = study.label_rows(study.SECOND_SENTIMENT)
    sha = {(r["complaint_id"], r["step"]): r["sha"] for r in labels}
    assert second and all(sha.get((r["complaint_id"], r["step"])) == r["sha"] for r in second)


def test_near_copies_of_scored_narratives_are_not_learnt_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(study, "scored_ids", lambda: {"900"})
    letter = [
        "I am writing to dispute the account listed on my credit report.",
        "Please provide a copy of the signed contract with my signature.",
        "Please help.",
    ]
    plain = [f"On day {n} I paid the bill for the month of that year in full." for n in "ab"]
    steps = {
        "900": letter,
        # The letter edited a little, two steps in ten: a near copy, every step barred.
        "901": [*plain, "I am writing to dispute this account listed on my credit report!",
                *[f"Then the bank sent letter number {n} about the old balance." for n in
                  "abcdef"], "Please provide a copy of the contract with my signature."],
        # One step of the letter in ten (less than a fifth, fewer than three): that step
        # alone, as is the short "please help" told by many.
        "902": [*plain, "i am writing to dispute the account listed on my credit report",
                "please help!", *[f"The bank sent letter {n} about the balance." for n in
                                  "abcdef"]],
        # One step of the letter in five is a fifth: a near copy.
        "903": [*plain, "I am writing to dispute the account listed on my credit report.",
                "My score went down by a hundred points last spring.", "It is still there."],
        "904": ["My card was charged twice at the store.", "The bank refunded one charge."],
    }  # fmt: skip
    assert study.near_scored(steps, "901") == set(range(10))
    assert study.near_scored(steps, "902") == {2, 3}
    assert study.near_scored(steps, "903") == set(range(5))
    assert study.near_scored(steps, "904") == set()


def test_the_sentiment_labels_become_corpus_rows_outside_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "complaints.csv"
    _write_csv(source, NARRATIVES)
    steps = split_steps(NARRATIVES["101"])
    labels = tmp_path / "sentiment.jsonl"
    rows = [
        {"complaint_id": "101", "step": k, "sha": study.step_sha(steps[k]), "sentiment": feeling}
        for k, feeling in ((1, "negative"), (0, "neutral"))
    ]
    labels.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    made = study.sentiment_rows(source, labels, weight=0.5)
    assert made == [
        {"text": steps[1], "sentiment": "negative", "weight": 0.5},
        {"text": steps[0], "sentiment": "neutral", "weight": 0.5},
    ]
    # The command writes them where it is told, outside the project, as rows the training
    # reads as sentiment-only rows of a file named after the output.
    from cjm_interview.nlp.train import load_corpus

    monkeypatch.setattr(study, "SENTIMENT_LABELS", labels)
    monkeypatch.setattr(study.sentiment_rows, "__defaults__", (labels, 0.5))
    out = tmp_path / "elsewhere" / "complaint_steps.jsonl"
    argv = ["sentiment", "--csv", str(source), "-o", str(out)]
    assert study.main(argv) == 2  # no such folder yet: one line, nothing written
    assert capsys.readouterr().err.strip() == f"{out.parent}: no such folder"
    out.parent.mkdir()
    assert study.main(argv) == 0
    assert f"cjm model train --keep-adapter --also {out}" in capsys.readouterr().out
    corpus = load_corpus(tmp_path / "no-corpus-folder", [out])
    assert corpus.texts == [steps[1], steps[0]] and not corpus.tagged.any()
    # Never into the project: its text may not be copied there.
    inside = ROOT / "models" / "corpus" / "complaint_steps.jsonl"
    assert study.main(["sentiment", "--csv", str(source), "-o", str(inside)]) == 2
    assert "inside the project" in capsys.readouterr().err and not inside.exists()
    # Nor through a link that leads into it.
    (tmp_path / "link").symlink_to(ROOT / "models")
    linked = tmp_path / "link" / "complaint_steps.jsonl"
    assert study.main(["sentiment", "--csv", str(source), "-o", str(linked)]) == 2
    assert "inside the project" in capsys.readouterr().err and not linked.exists()
    # A labelled step that a scored narrative tells too stops it, naming the line.
    monkeypatch.setattr(study, "scored_ids", lambda: {"102"})
    narratives = {**NARRATIVES, "102": NARRATIVES["102"] + " They lost my papers."}
    _write_csv(source, narratives)
    with pytest.raises(SystemExit, match=r"sentiment.jsonl:1: 101 step 1 is told in a scored"):
        study.sentiment_rows(source, labels)
    # A label whose step the splitter no longer gives stops it, naming the line.
    rows[0]["sha"] = "0" * 12
    labels.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"sentiment.jsonl:1: 101 step 1 changed"):
        study.sentiment_rows(source, labels)


@pytest.mark.slow
def test_the_shipped_heads_learnt_from_the_labelled_complaint_steps_as_they_are(
    tmp_path: Path,
) -> None:
    from cjm_interview.nlp.train import file_digest

    if not study.DEFAULT_CSV.is_file():
        pytest.skip(f"{study.DEFAULT_CSV} is not here")
    # Made again from the labels and the narratives (which also refuses a labelled step
    # told in a scored narrative or a near copy of one), the rows are those learnt from:
    # edit the labels, and the heads must learn again (models/README.md).
    out = tmp_path / "complaint_steps.jsonl"
    assert study.main(["sentiment", "-o", str(out)]) == 0
    shipped = json.loads((ROOT / "models/heads/heads.json").read_text(encoding="utf-8"))["also"]
    assert shipped["complaint_steps"] == {
        "rows": len(study.label_rows(study.SENTIMENT_LABELS)),
        "sha256": file_digest(out),
    }


@pytest.mark.slow
@pytest.mark.shipped
def test_the_shipped_role_head_is_learnt_again_from_its_examples() -> None:
    from cjm_interview.map import acts, prototypes
    from cjm_interview.map.vectors import ENCODER
    from cjm_interview.nlp.embedding import encode

    if not study.DEFAULT_CSV.is_file():
        pytest.skip(f"{study.DEFAULT_CSV} is not here")
    examples, roles = prototypes.role_examples()
    real = study.role_steps(study.DEFAULT_CSV)
    texts = examples + [text for text, _ in real]
    vectors = encode(texts)
    again = prototypes.fit_role_head(vectors, roles + [role for _, role in real], texts)
    head = prototypes.role_head(ENCODER)
    assert head is not None
    shipped = acts.role_scores(vectors, head, texts).argmax(axis=1)
    assert (acts.role_scores(vectors, again, texts).argmax(axis=1) == shipped).mean() > 0.98


def test_a_map_without_the_vectors_of_its_steps_clauses_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    import numpy as np
    from click.testing import CliRunner

    from cjm_interview.cli import main
    from cjm_interview.export.text_formats import to_json
    from cjm_interview.map.vectors import ENCODER, step_vectors
    from cjm_interview.nlp import embedding

    from .schema_check import problems

    def encode(texts: list[str], progress: bool = False) -> np.ndarray:
        # A stand-in for the sentence model: a fixed vector per text.
        seeds = [int(hashlib.sha256(t.encode()).hexdigest()[:8], 16) for t in texts]
        return np.asarray([np.random.default_rng(s).normal(size=384) for s in seeds], "f4")

    monkeypatch.setattr(embedding, "encode", encode)
    source, out, db = tmp_path / "complaints.csv", tmp_path / "study.json", tmp_path / "s.db"
    # Long steps of several clauses: their openings and clauses are read apart.
    long = {
        "201": "I rang the bank on Monday morning, waited forty minutes on hold, but the line "
        "went dead before anyone answered. They later sent me a letter saying my account had "
        "been closed for payments I never missed.",
        "202": "My statement showed a late fee that I had never agreed to, and the branch "
        "manager refused to remove it even after I showed him the receipts.",
    }
    _write_csv(source, long)
    study.build_study(source, out)
    script = load_script(study.SCRIPT)
    with Store(db) as store:
        for item in json.loads(out.read_text(encoding="utf-8"))["interviews"]:
            run_interview(store, script, item)
        # The steps' vectors cached (as an import with tags leaves them), their clauses' not.
        step_vectors(store, [s for j in load_journeys(store, Filters()) for s in j.steps])
        alignment = build_map(store, encode_missing=False).data["alignment"]
        assert alignment["representation"] == ENCODER and alignment["parts_not_encoded"] > 0
        schema = json.loads((ROOT / "docs/composite-map.schema.json").read_text())
        cmap = build_map(store, encode_missing=False)
        assert problems(json.loads(to_json(cmap)), schema, schema) == []
    result = CliRunner().invoke(
        main, ["export", "--db", str(db), "--format", "json", "--no-encode", "-o", "-"]
    )
    assert result.exit_code == 0
    assert f"Note: {alignment['parts_not_encoded']} openings and clauses" in result.stderr
    # Encoded once, they are cached: the map is made with them and says nothing.
    with Store(db) as store:
        build_map(store)
        assert "parts_not_encoded" not in build_map(store, encode_missing=False).data["alignment"]
