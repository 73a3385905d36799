"""Exports: every format renders the map, and participant text is escaped in each."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm_interview.cli import main
from cjm_interview.composite import build_map
from cjm_interview.export.escape import for_csv, for_markdown, for_mermaid
from cjm_interview.export.html import to_html
from cjm_interview.export.text_formats import to_json, to_markdown, to_mermaid
from cjm_interview.store import Store

EVIL = '<script>window.PWNED=1</script><img src=x onerror="window.PWNED=2">'
FORMULA = '=HYPERLINK("http://evil.example","click")'


def test_html_escapes_and_is_self_contained(study: Path) -> None:
    page = to_html(build_map(Store(study), encode_missing=False))
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "onerror=" not in page.replace("onerror=&quot;", "")
    assert "&lt;script&gt;window.PWNED=1&lt;/script&gt;" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "").replace(
        "http://evil.example", ""
    ).replace("http://x", "")
    for needle in (
        "Emotional curve",
        "class='lanes'",
        "<svg",
        "Touchpoints",
        "Back stage",
        "Perspective gap",
        "<details>",
    ):
        assert needle in page


def test_markdown_and_mermaid_escape(study: Path) -> None:
    cmap = build_map(Store(study), encode_missing=False)
    md = to_markdown(cmap)
    assert "<script>" not in md
    assert "\\[link\\]" in md or "[link]" not in md
    assert "[link](http" not in md
    mermaid = to_mermaid(cmap)
    assert mermaid.startswith("journey\n")
    for line in mermaid.splitlines()[2:]:
        if not line.strip().startswith("section"):
            assert line.count(":") == 2, line
    assert "<" not in mermaid


def test_json_is_versioned_and_complete(study: Path) -> None:
    data = json.loads(to_json(build_map(Store(study), encode_missing=False)))
    assert data["schema"] == "cjm-composite-map" and data["schema_version"] == "1.0"
    step = data["steps"][0]
    for key in (
        "label",
        "participants",
        "share",
        "grade",
        "touchpoints",
        "front_stage",
        "back_stage",
        "emotions",
        "moment_of_truth_share",
        "pain_points",
        "improvements",
        "quotes",
        "by_perspective",
    ):
        assert key in step
    assert data["perspective_gap"] and data["paths"]


def test_csv_neutralises_formulas(study: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "map.csv"
    result = runner.invoke(main, ["export", "--db", str(study), "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    cells = [c for row in csv.reader(out.open()) for c in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert any(c.startswith("'-1+2") for c in cells)
    wide = list(csv.DictReader(out.with_name("map-wide.csv").open()))
    assert len(wide) == 27
    matrix = list(csv.DictReader(out.with_name("map-tags.csv").open()))
    assert all(set(r[k] for k in r if ":" in k) <= {"0", "1"} for r in matrix)


@pytest.mark.parametrize("fmt", ["html", "json", "md", "mermaid"])
def test_cli_formats_and_filters(study: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"map.{fmt}"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "--db",
            str(study),
            "--format",
            fmt,
            "-o",
            str(out),
            "--no-encode",
            "--perspective",
            "customer",
            "--redact",
            "all",
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 200


def test_cli_no_matching_sessions(study: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", "--db", str(study), "--segment", "nobody", "-o", str(tmp_path / "x.html")]
    )
    assert result.exit_code == 2 and "no sessions match" in result.output


def test_escape_helpers() -> None:
    assert for_csv("=1+1") == "'=1+1" and for_csv("plain") == "plain" and for_csv(3) == 3
    assert for_markdown("*a* [b](c)") == "\\*a\\* \\[b\\]\\(c\\)"
    assert ":" not in for_mermaid("a: b; c")
