"""Exports: every format renders the map, and participant text is escaped in each."""

from __future__ import annotations

import copy
import csv
import html
import json
import re
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm_interview.cli import main
from cjm_interview.export.escape import for_csv, for_markdown, for_mermaid
from cjm_interview.export.html import to_html
from cjm_interview.export.text_formats import to_json, to_markdown, to_mermaid
from cjm_interview.importer import run_interview
from cjm_interview.map import build_map
from cjm_interview.script import load_script
from cjm_interview.store import Store
from cjm_interview.synth import generate
from cjm_interview.taxonomy import default_taxonomy

from ..conftest import PROMPTS, ROOT
from ..reliability.hostile import cjm, one_clear_line
from .conftest import EVIL, FORMULA
from .schema_check import problems

SCHEMA = json.loads((ROOT / "docs" / "composite-map.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cmap(study: Path):
    return build_map(Store(study), encode_missing=False)


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def altered(study: Path, db: Path, sql: str, rows: list[tuple]) -> Store:
    """A copy of the study with ``sql`` run once per row: what a file from elsewhere holds."""
    store = Store(db)
    with Store(study) as source:
        source.conn.backup(store.conn)
    store.write(lambda conn: conn.executemany(sql, rows))
    return store


# ------------------------------------------------------------------ html
@pytest.fixture(scope="module")
def labelled(cmap, study: Path, tmp_path_factory):
    """The map with a researcher's label and stage name that hold markup: shown, escaped."""
    store = altered(
        study,
        tmp_path_factory.mktemp("labels") / "labels.db",
        "INSERT INTO step_group_edits (action, group_key, label, created_at) "
        "VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
        [
            ("rename", cmap.data["steps"][0]["key"], EVIL + " [link](http://x) *bold*"),
            ("stage-rename", cmap.data["stages"][0]["key"], EVIL + " stage"),
        ],
    )
    return build_map(store, encode_missing=False)


def test_html_escapes_and_is_self_contained(cmap, labelled) -> None:
    page = to_html(labelled)
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "onerror=" not in page.replace("onerror=&#34;", "").replace("onerror=&quot;", "")
    assert "&lt;script&gt;window.PWNED=1&lt;/script&gt;" in page
    outside = page
    for allowed in ("http://www.w3.org/2000/svg", "http://evil.example", "http://x"):
        outside = outside.replace(allowed, "")
    assert "http://" not in outside and "https://" not in outside
    assert "default-src 'none'" in page
    for needle in (
        "Emotional curve",
        'class="lanes"',
        "<svg",
        "Touchpoints",
        "Back stage",
        "Perspective gap",
        "Segments and perspectives",
        "<details",
    ):
        assert needle in page
    # One printed grid per six steps, besides the one on screen.
    steps = len(cmap.data["steps"])
    assert page.count('<table class="lanes"') == 1 + -(-steps // 6)


# ------------------------------------------------------------------ json
def test_json_follows_the_documented_schema(cmap, study: Path) -> None:
    data = json.loads(to_json(cmap))
    assert data["schema"] == "cjm-composite-map" and data["schema_version"] == "2.4"
    assert problems(data, SCHEMA, SCHEMA) == []
    assert data["perspective_gap"] and data["paths"]
    step = data["steps"][0]
    assert step["sentiment"] and step["quotes"]
    quote = step["quotes"][0]
    with Store(study) as store:
        row = store.conn.execute(
            "SELECT session_id, raw_text, question_id, maps_to FROM answers WHERE id = ?",
            (quote["answer_id"],),
        ).fetchone()
    assert row[0] == quote["session_id"] and " ".join(row[1].split())[:280] == quote["text"]
    assert row[2] == quote["question_id"] and row[3] == quote["field"]


def test_the_schema_check_can_fail(cmap) -> None:
    data = json.loads(to_json(cmap))
    broken = copy.deepcopy(data)
    del broken["steps"][0]["grade"]
    broken["steps"][0]["share"] = 1.5
    broken["alignment"]["surprise"] = 1
    broken["sessions"] = True
    found = problems(broken, SCHEMA, SCHEMA)
    assert any("missing 'grade'" in p for p in found)
    assert any("1.5 > 1" in p for p in found)
    assert any("unexpected 'surprise'" in p for p in found)
    assert any("$.sessions" in p for p in found)


# ------------------------------------------------------------------ markdown and mermaid
def test_markdown_and_mermaid_escape(labelled) -> None:
    cmap = labelled
    md = to_markdown(cmap)
    assert "<script>" not in md and "\\<script\\>" in md
    assert "[link](http" not in md and "\\[link\\]\\(http://x\\)" in md
    assert "*bold*" not in md
    # Every table row keeps its header's number of cells: a participant's | cannot add one.
    header = 0
    for line in md.splitlines():
        if not line.startswith("|"):
            header = 0
            continue
        cells = line.replace("\\|", "").count("|")
        header = header or cells
        assert cells == header, line
    mermaid = to_mermaid(cmap)
    assert mermaid.startswith("journey\n")
    for line in mermaid.splitlines()[2:]:
        if not line.strip().startswith("section"):
            _task, score, actors = line.split(":")
            assert 1 <= int(score) <= 5 and actors.strip().startswith("Customer")
    assert "<" not in mermaid


def test_escape_helpers() -> None:
    assert for_csv("=1+1") == "'=1+1" and for_csv("plain") == "plain" and for_csv(3) == 3
    for start in ("+", "-", "@"):
        assert for_csv(start + "x") == "'" + start + "x"
    for start in ("\t", "\r", " \t="):
        assert not str(for_csv(start + "=x")).startswith(("=", "\t", "\r"))
    assert for_markdown("*a* [b](c)") == "\\*a\\* \\[b\\]\\(c\\)"
    assert for_markdown("1. first") == "1\\. first" and for_markdown("- dash") == "\\- dash"
    assert for_markdown("It was fine. Really!") == "It was fine. Really!"
    assert for_markdown("a & b") == "a \\& b"
    assert ":" not in for_mermaid("a: b; c") and ";" not in for_mermaid("a: b; c")


# ------------------------------------------------------------------ csv
def test_csv_tables(study: Path, tmp_path: Path, cmap) -> None:
    out = tmp_path / "map.csv"
    result = run("export", "--db", str(study), "--format", "csv", "--no-encode", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    cells = [c for row in csv.reader(out.open(encoding="utf-8")) for c in row]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert any(c.startswith("'" + FORMULA) for c in cells)
    assert any(c.startswith("'-1+2") for c in cells)
    assert any(EVIL in c for c in cells)  # kept as text: a CSV is not HTML
    # Long: one row per current answer, with tags, position and composite step.
    with Store(study) as store:
        current = store.conn.execute(
            "SELECT count(*) FROM answers WHERE is_current = 1 AND question_id NOT LIKE '%#order'"
        ).fetchone()[0]
    assert len(rows) == current
    actions = [r for r in rows if r["maps_to"] == "step.action"]
    keys = {s["key"] for s in cmap.data["steps"]}
    assert actions and all(r["composite_step"] in keys and int(r["position"]) >= 1 for r in actions)
    tagged = [r for r in rows if r["sentiment"]]
    assert tagged and {r["sentiment"] for r in tagged} <= {"negative", "neutral", "positive"}
    # Wide: one row per session, a grade column per composite step.
    wide = list(csv.DictReader(out.with_name("map-wide.csv").open(encoding="utf-8")))
    assert len(wide) == 27 and len({r["session_id"] for r in wide}) == 27
    grade_cols = [c for c in wide[0] if c.startswith("grade:")]
    assert {c.removeprefix("grade:") for c in grade_cols} == keys
    # The map's customer grade of a moment is the mean of the wide table's, one per person.
    for step in cmap.data["steps"]:
        if step["also_counted"]:
            continue  # steps counted in two moments are one column's in the table
        people = [float(r[f"grade:{step['key']}"]) for r in wide
                  if r["perspective"] == "customer" and r[f"grade:{step['key']}"]]  # fmt: skip
        if people:
            assert step["grade"]["n"] == len(people), step["label"]
            assert step["grade"]["mean"] == pytest.approx(sum(people) / len(people), abs=0.01)
    # Tag matrix: 0/1 only, one row per tagged answer, agreeing with the long table.
    matrix = list(csv.DictReader(out.with_name("map-tags.csv").open(encoding="utf-8")))
    assert all({r[k] for k in r if ":" in k} <= {"0", "1"} for r in matrix)
    by_id = {r["answer_id"]: r for r in rows}
    for r in matrix[:50]:
        long = by_id[r["answer_id"]]
        assert r[f"sentiment:{long['sentiment']}"] == "1"


# ------------------------------------------------------------------ cli
@pytest.mark.parametrize("fmt", ["html", "json", "md", "mermaid"])
def test_cli_formats_and_filters(study: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"map.{fmt}"
    result = run(
        "export", "--db", str(study), "--format", fmt, "-o", str(out), "--no-encode",
        "--perspective", "customer", "--redact", "all",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "20 sessions" in result.output or "21 sessions" in result.output
    assert out.stat().st_size > 200


def test_the_output_name_chooses_the_format_and_a_contradiction_is_refused(
    study: Path, tmp_path: Path
) -> None:
    # "-o map.md" wrote HTML into map.md, and said nothing.
    starts = {"map.md": "# Composite", "MAP.MMD": "journey", "map.json": "{", "map.txt": "<!DOC"}
    for name, start in starts.items():
        result = run("export", "--db", str(study), "-o", str(tmp_path / name), "--no-encode")
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).read_text(encoding="utf-8").startswith(start), name
    out = tmp_path / "other.md"
    result = run("export", "--db", str(study), "--format", "html", "-o", str(out), "--no-encode")
    assert result.exit_code == 2
    assert "ends in .md (md), but --format is html" in result.output
    assert not out.exists()


def test_redacted_exports_hold_no_personal_data_anywhere(tmp_path: Path) -> None:
    # The participant and segment columns were copied as they were, the review answer
    # was written as Python's repr of it, and the JSON map's keys (segments) were kept.
    data = json.loads((PROMPTS / "examples" / "customer_interview.json").read_text())
    data["session"].update(participant="zoe@example.com", segment="on +44 7700 900123")
    data["answers"]["steps"][0]["action"] = "Emailed zoe@example.com and called +44 7700 900123"
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(data))
    db = tmp_path / "pii.db"
    assert run("import", str(answers), "--db", str(db)).exit_code == 0
    for fmt in ("csv", "json", "md", "html", "mermaid"):
        out = tmp_path / "out" / f"map.{fmt}"
        out.parent.mkdir(exist_ok=True)
        result = run(
            "export", "--db", str(db), "--format", fmt, "-o", str(out), "--no-encode",
            "--redact", "all",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    written = sorted((tmp_path / "out").iterdir())
    assert len(written) == 8  # four CSV files, one of each other format
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "zoe@example" not in text and "7700" not in text, path.name
    assert "[email]" in (tmp_path / "out" / "map.csv").read_text(encoding="utf-8")


def test_cli_stdout_and_bad_input(study: Path, tmp_path: Path) -> None:
    result = run("export", "--db", str(study), "--format", "json", "--no-encode", "-o", "-")
    assert result.exit_code == 0 and json.loads(result.stdout)["sessions"] == 27
    none = run("export", "--db", str(study), "--segment", "nobody", "-o", str(tmp_path / "x"))
    assert none.exit_code == 2 and "no sessions match" in none.output
    for when in ("last week", "2020-13-45", "2021-02-30"):  # the shape of a date is not one
        date = run("export", "--db", str(study), "--since", when, "-o", str(tmp_path / "x"))
        assert date.exit_code == 2 and "is not a date" in date.output, when


def test_cli_map_edits(study: Path, tmp_path: Path) -> None:
    db = tmp_path / "edits.db"
    with Store(study) as source, Store(db) as target:
        source.conn.backup(target.conn)
    listed = run("map", "groups", "--db", str(db), "--no-encode")
    assert listed.exit_code == 0, listed.output
    cmap = build_map(Store(db), encode_missing=False)
    first, second = cmap.data["steps"][0]["key"], cmap.data["steps"][1]["key"]
    assert f"key: {first}" in listed.output
    renamed = run("map", "rename", first, "Looks around", "--db", str(db), "--no-encode")
    assert renamed.exit_code == 0, renamed.output
    merged = run("map", "merge", second, first, "--db", str(db), "--no-encode")
    assert merged.exit_code == 0, merged.output
    unknown = run("map", "rename", first[:-1] + "x", "Oops", "--db", str(db), "--no-encode")
    assert unknown.exit_code == 2 and "no step group" in unknown.output
    assert "Did you mean" in unknown.output
    bad = run("map", "split", first, "([", "--label", "X", "--db", str(db), "--no-encode")
    assert bad.exit_code == 2 and "not a valid regular expression" in bad.output
    after = build_map(Store(db), encode_missing=False)
    steps = {s["key"]: s for s in after.data["steps"]}
    # The key follows the new label; the old keys still find the group.
    assert steps["looks-around"]["label"] == "Looks around" and second not in steps
    assert {first, second} <= set(steps["looks-around"]["aliases"]) and first not in steps
    with Store(db) as store:
        anchors = [
            json.loads(r[0]) for r in store.conn.execute("SELECT anchor FROM step_group_edits")
        ]
    assert all(anchors) and anchors[0] == cmap.anchors[first]
    edits = run("map", "edits", "--db", str(db))
    assert "rename" in edits.output and "merge" in edits.output
    edit_id = edits.output.split()[0]
    assert run("map", "forget", edit_id, "--db", str(db)).exit_code == 0
    assert run("map", "forget", "999", "--db", str(db)).exit_code == 2
    again = build_map(Store(db), encode_missing=False)
    assert "looks-around" not in {s["key"] for s in again.data["steps"]}


@pytest.mark.parametrize(
    "pattern", ["x{99999999999}", "(" * 5000 + ")" * 5000], ids=["huge repeat", "deep groups"]
)
def test_a_split_pattern_python_cannot_compile_is_one_line(
    study: Path, tmp_path: Path, pattern: str
) -> None:
    # Python's parser raises OverflowError and RecursionError, not only re.error.
    key = build_map(Store(study), encode_missing=False).data["steps"][0]["key"]
    run = cjm("map", "split", key, pattern, "--label", "X", "--db", study, "--no-encode")
    one_clear_line(run)
    assert "not a valid regular expression" in run.err


def test_a_label_is_one_a_column_can_hold(study: Path) -> None:
    """A rename took a label of 100,000 characters; a split took an empty one."""
    key = build_map(Store(study), encode_missing=False).data["steps"][0]["key"]
    long = run("map", "rename", key, "x" * 100_000, "--db", str(study), "--no-encode")
    assert long.exit_code == 2 and "100,000 characters long" in long.output
    empty = run("map", "split", key, "a", "--label", " \t", "--db", str(study), "--no-encode")
    assert empty.exit_code == 2 and "the new group's label is empty" in empty.output
    with Store(study) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM step_group_edits").fetchone() == (0,)


def test_a_split_pattern_that_backtracks_for_minutes_hangs_nothing(
    study: Path, tmp_path: Path
) -> None:
    """``(a|aa)+$`` against a step of 40 a's and a "!" backtracks for minutes: saved, it
    stopped every later map of the study."""
    db = tmp_path / "slow.db"
    told = "a" * 40 + "!"
    with Store(study) as source, Store(db) as target:
        source.conn.backup(target.conn)
        (answer_id,) = target.conn.execute(
            "SELECT id FROM answers WHERE question_id = 'action' AND is_current = 1 LIMIT 1"
        ).fetchone()
        target.conn.execute(
            "UPDATE answers SET raw_text = ?, value_json = ? WHERE id = ?",
            (told, json.dumps(told), answer_id),
        )
        target.conn.commit()
    cmap = build_map(Store(db), encode_missing=False)
    (key,) = [
        g.key for g in cmap.groups if any(cmap.steps_told[i].action == told for i in g.members)
    ]
    slow = "(a|aa)+$"
    refused = cjm("map", "split", key, slow, "--label", "X", "--db", db, "--no-encode")
    one_clear_line(refused)
    assert "takes too long to match" in refused.err
    # Stored all the same (a file made elsewhere), it is listed as unmatched, not waited on.
    with Store(db) as store:
        store.conn.execute(
            "INSERT INTO step_group_edits (action, group_key, target_key, label, pattern, "
            "anchor, created_at, author) VALUES ('split', ?, 'x', 'X', ?, '[]', '2026', 'r')",
            (key, slow),
        )
        store.conn.commit()
    exported = cjm("export", "--db", db, "--no-encode", "-o", tmp_path / "m.json", timeout=60)
    assert exported.code == 0, exported.err
    assert "is not applied: its pattern takes too long to match" in exported.err
    unmatched = json.loads((tmp_path / "m.json").read_text())["alignment"]["edits_unmatched"]
    assert [e.get("reason") for e in unmatched] == ["its pattern takes too long to match"]
    exported_map = json.loads((tmp_path / "m.json").read_text())
    assert problems(exported_map, SCHEMA, SCHEMA) == []
    # A pattern that moves nothing is saved, and said to move nothing for now.
    none = cjm("map", "split", key, "zzzqqq", "--label", "Y", "--db", db, "--no-encode")
    assert none.code == 0 and "matches none of the" in none.err, none.err


def test_csv_leaves_out_whom_the_map_leaves_out(study: Path, tmp_path: Path) -> None:
    """Declined consent and unfinished sessions are in neither the map nor the CSV."""
    db = tmp_path / "consent.db"
    with Store(study) as source, Store(db) as target:
        source.conn.backup(target.conn)
        customer = load_script(PROMPTS / "customer.yaml")
        declined = run_interview(
            target,
            customer,
            {"session": {"participant": "no-thanks"}, "answers": {"consent": "no"}},
        ).id
        assert target.conn.execute(
            "SELECT consent, status FROM sessions WHERE id = ?", (declined,)
        ).fetchone() == (0, "finished")
        cmap = build_map(target, encode_missing=False)
    out = tmp_path / "map.csv"
    result = run("export", "--db", str(db), "--format", "csv", "--no-encode", "-o", str(out))
    assert result.exit_code == 0, result.output
    for path in (out, out.with_name("map-wide.csv"), out.with_name("map-tags.csv")):
        sessions = {row["session_id"] for row in csv.DictReader(path.open(encoding="utf-8"))}
        assert declined not in sessions, path.name
    wide = {row["session_id"] for row in csv.DictReader(out.with_name("map-wide.csv").open())}
    assert len(wide) == cmap.data["sessions"]


def test_markdown_escapes_every_value(study: Path, tmp_path: Path) -> None:
    """A perspective or segment from a file made elsewhere cannot put markup in the report."""
    image = "![x](http://evil.example/p.png)<img src=x onerror=alert(1)>"
    store = altered(
        study,
        tmp_path / "perspective.db",
        "UPDATE sessions SET perspective = ?, segment = ? WHERE id = "
        "(SELECT id FROM sessions WHERE perspective = 'staff' LIMIT 1)",
        [(image, "[seg](http://evil.example)")],
    )
    md = to_markdown(build_map(store, encode_missing=False))
    # Only backslashed: a renderer shows the characters, it fetches nothing.
    assert not re.search(r"(?<!\\)(?:<img|\]\(http|!\[)", md)
    assert "!\\[x\\]\\(http://evil.example/p.png\\)\\<img" in md


def test_a_step_without_content_words_warns_nothing(tmp_path: Path) -> None:
    """ "then after that" has no word the word vectors keep: a zero vector, not a warning."""
    store = Store(tmp_path / "empty-words.db")
    script = load_script(PROMPTS / "customer.yaml")
    study = generate(customers=4, steps=3, seed=1)
    study.interviews[0]["answers"]["steps"][0]["action"] = "then after that"
    for interview in study.interviews:
        run_interview(store, script, interview)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cmap = build_map(store, encode_missing=False)
        to_html(cmap), to_markdown(cmap), to_mermaid(cmap), to_json(cmap)
    assert cmap.data["alignment"]["steps_told"] == sum(
        len(i["answers"]["steps"]) for i in study.interviews
    )


@pytest.mark.slow
def test_the_wheel_ships_the_page_templates(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {p.name for p in (ROOT / "cjm_interview" / "export" / "templates").iterdir()}
    assert templates and {f"cjm_interview/export/templates/{n}" for n in templates} <= names


def test_the_summary_line_counts_in_words(tmp_path: Path) -> None:
    from cjm_interview.importer import import_file

    db = tmp_path / "one.db"
    assert not import_file(
        PROMPTS / "examples" / "customer_interview.json", db_path=db, progress=False
    ).errors
    result = run("export", "--db", str(db), "--no-encode", "-o", str(tmp_path / "map.json"))
    assert result.exit_code == 0
    assert re.search(r"Wrote .*map\.json: 1 session, \d+ composite steps", result.stderr)


def test_a_step_reached_by_one_person_says_so_in_words(tmp_path: Path) -> None:
    from cjm_interview.importer import import_file

    db = tmp_path / "one.db"
    import_file(PROMPTS / "examples" / "customer_interview.json", db_path=db, progress=False)
    page = to_html(build_map(Store(db), encode_missing=False))
    assert "1 customer ·" in page and "1 customers" not in page


def test_the_markdown_header_reads_as_the_html_does(ungraded_study: Path, tmp_path: Path) -> None:
    from cjm_interview.export.text_formats import to_markdown
    from cjm_interview.map import Filters

    header = to_markdown(
        build_map(Store(ungraded_study), Filters(unfinished=True), encode_missing=False)
    ).splitlines()[2]
    # Once "30 interview(s) — unfinished=True; ... overall grade –/10 (n=0)".
    assert header.startswith("30 interviews — finished and unfinished sessions;")
    assert "customers' grade, predicted: " in header and "tagger's" in header
    assert "(n=0)" not in header and "=True" not in header


def test_the_help_gives_the_grouping_defaults_the_map_uses() -> None:
    from cjm_interview.map.align import DEFAULTS
    from cjm_interview.map.vectors import ENCODER

    text = " ".join(run("export", "--help").output.split())
    model, words = DEFAULTS[ENCODER], DEFAULTS["lexical"]
    assert f"{model[0]:g} with the model's vectors, {words[0]:g} with word similarity" in text
    assert f"{model[1]:g} with the model's vectors, {words[1]:g} with word similarity" in text


def test_a_segment_is_matched_whatever_its_case_and_a_miss_names_those_there(
    study: Path, tmp_path: Path
) -> None:
    out = tmp_path / "map.json"
    result = run("export", "--db", str(study), "--segment", "NEW", "-o", str(out), "--no-encode")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["sessions"] > 0
    result = run("export", "--db", str(study), "--segment", "nwe", "-o", str(out), "--no-encode")
    assert result.exit_code == 2
    assert "Segments in this file: 'new', 'returning'." in result.output


def test_a_mermaid_task_says_what_its_face_rests_on() -> None:
    from cjm_interview.export.text_formats import mermaid_task

    def step(mean, n, source, label="Called the helpline"):
        return {"label": label, "curve": {"mean": mean, "n": n, "source": source}}

    assert mermaid_task(step(2.0, 12, "given")) == "Called the helpline (n=12)"
    assert mermaid_task(step(6.1, 2, "predicted")) == "Called the helpline (n=2, predicted)"
    # A moment only staff told: no customer grade, a neutral face said to be none.
    assert mermaid_task(step(None, 0, None)) == "Called the helpline (no grade)"
    long = mermaid_task(step(5.0, 3, "given", "word " * 40))
    assert long.endswith("(n=3)") and len(long) <= 90


def test_markdown_and_html_list_the_same_common_paths(cmap) -> None:
    # Markdown listed 15 and the HTML 20, with nothing to say more were left out.
    md = to_markdown(cmap).split("## Common paths")[1].split("\n## ")[0]
    md_rows = [line for line in md.splitlines() if line.startswith("| ") and "From" not in line]
    page = to_html(cmap).split("<h2>Common paths</h2>")[1].split("</table>")[0]
    html_rows = page.count("<tr><td>")
    total = len(cmap.data["paths"])
    assert total > 20  # the study has more moves than are listed
    assert len(md_rows) == html_rows == 20
    assert f"The 20 most common of {total} moves." in md and f"of {total} moves" in page


def test_a_map_of_untagged_answers_says_how_to_have_the_tags(tmp_path: Path) -> None:
    db = tmp_path / "plain.db"
    example = PROMPTS / "examples" / "customer_interview.json"
    assert run("import", str(example), "--db", str(db)).exit_code == 0
    out = tmp_path / "map.html"
    result = run("export", "--db", str(db), "-o", str(out), "--no-encode")
    assert result.exit_code == 0 and "no answer has the tagger's tags" in result.output
    assert "--tag" in result.output


def test_a_staff_map_speaks_of_staff(tmp_path: Path) -> None:
    """A staff study read "staffs' overall grade", "Figures of staffs", "1 staff(s)" and
    "(1 interviews)"."""
    from ..core.test_import import STAFF_INTERVIEW

    with Store(tmp_path / "staff.db") as store:
        run_interview(store, load_script(PROMPTS / "staff.yaml"), copy.deepcopy(STAFF_INTERVIEW))
        cmap = build_map(store, encode_missing=False)
    markdown, page = to_markdown(cmap), to_html(cmap)
    for text in (markdown, page):
        assert "staffs" not in text and "staff(s)" not in text and "(s)" not in text
    assert "staff's overall grade" in markdown and "Figures of staff." in markdown
    assert "<title>Composite journey map (1 interview)</title>" in page
    assert "staff&#39;s overall grade" in page


def test_channels_are_named_as_the_interview_showed_them(cmap) -> None:
    """The map showed `in\\_person`, `web` and `social` where the interviewer had read
    "In person", "Website" and "Social media & reviews"."""
    offered = {t.id: t.label for t in default_taxonomy().touchpoints}
    named = {t["label"]: t["name"] for s in cmap.data["steps"] for t in s["touchpoints"]}
    assert len(named) >= 3
    for label, name in named.items():
        own = label.removeprefix("other:").strip()
        assert name == offered.get(label, f"Other: {own}")
    page, text = to_html(cmap), to_markdown(cmap)
    for name in named.values():
        assert html.escape(name, quote=False) in page and for_markdown(name) in text


@pytest.mark.parametrize("fmt", ["html", "json", "csv"])
@pytest.mark.parametrize("target", ["itself", "its -wal", "a hard link to it"])
def test_an_export_over_the_study_it_reads_is_refused(
    study: Path, tmp_path: Path, fmt: str, target: str
) -> None:
    """`-o cjm.db` wrote the map over the study and said "Wrote": every interview gone."""
    db = tmp_path / "study.db"
    db.write_bytes(study.read_bytes())
    output = {"itself": db, "its -wal": tmp_path / "study.db-wal"}.get(target)
    if output is None:
        output = tmp_path / "other.db"
        output.hardlink_to(db)
    before = db.read_bytes()
    result = run("export", "--no-encode", "--format", fmt, "--db", str(db), "-o", str(output))
    assert result.exit_code == 2, result.output
    assert "is the study database" in result.output and "Traceback" not in result.output
    assert db.read_bytes() == before


def test_an_export_over_a_pipe_or_a_device_is_refused(study: Path, tmp_path: Path) -> None:
    """A FIFO given as -o was replaced by a regular file (and /dev/full, run as root)."""
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = run("export", "--no-encode", "--db", str(study), "-o", str(fifo), "--format", "json")
    assert result.exit_code == 2 and "not a regular file" in result.output
    assert fifo.is_fifo()


def test_the_wide_csv_keeps_the_scripts_order_when_a_step_was_revised_last(
    tmp_path: Path,
) -> None:
    """A step's action reworded in the journey's review is stored last: its column came
    after every other ("action_1" after "overall_grade")."""
    from cjm_interview.domain import Answer, AnswerKey

    db = tmp_path / "s.db"
    assert (
        run(
            "import", str(PROMPTS / "examples" / "customer_interview.json"), "--db", str(db), "-q"
        ).exit_code
        == 0
    )
    with Store(db) as store:
        (row,) = store.list_sessions()
        reworded = Answer(AnswerKey("action", 1), "Compared deals", "Compared deals", revision=2)
        store.save_answers(row["id"], [(reworded, "step.action", None)])
    out = tmp_path / "map.csv"
    assert run("export", "--no-encode", "--db", str(db), "-o", str(out)).exit_code == 0
    with (tmp_path / "map-wide.csv").open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    at = header.index
    assert at("outcome") < at("action_1") < at("channels_1") < at("action_2") < at("overall_grade")


def test_the_same_study_gives_the_same_map_in_every_process(study: Path, tmp_path: Path) -> None:
    """Paths and each step's next steps with equal counts came in the order Python's string
    hash gave a set, which differs from one process to the next: two exports of one study
    differed."""
    maps = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"map-{seed}.json"
        run = cjm("export", "--no-encode", "--format", "json", "--db", study, "-o", out,
                  env={"PYTHONHASHSEED": seed}, timeout=120)  # fmt: skip
        assert run.code == 0, run.err
        data = json.loads(out.read_text(encoding="utf-8"))
        maps.append((data["paths"], [s["flow"] for s in data["steps"]]))
    assert maps[0] == maps[1] == maps[2]
