"""What the HTML page shows a researcher when a study is wide, ungraded or unsegmented."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from cjm_interview.export.html import context, curve, to_html
from cjm_interview.map import build_map
from cjm_interview.store import Store


@pytest.fixture(scope="module")
def cmap(study: Path):
    return build_map(Store(study), encode_missing=False)


@pytest.fixture(scope="module")
def ungraded(ungraded_study: Path):
    return build_map(Store(ungraded_study), encode_missing=False)


def kpi(page: str) -> str:
    found = re.search(r'<div class="kpi overall">(.*?)</div>', page, re.S)
    assert found, "no overall figure"
    return re.sub(r"<[^>]+>", " ", found.group(1))


def test_axis_labels_name_the_steps_of_a_wide_curve(ungraded) -> None:
    ticks = context(ungraded)["overview"]["ticks"]
    assert len(ticks) >= 15
    for tick, step in zip(ticks, ungraded.data["steps"], strict=True):
        number, _, words = tick["text"].partition(" ")
        assert re.fullmatch(r"\d+\.", number) and len(words) >= 4, tick
        assert step["label"].startswith(words.rstrip("…")), (tick, step["label"])
        assert tick["title"].endswith(step["label"])


@pytest.mark.parametrize("count", [6, 15, 30, 60])
def test_axis_labels_on_the_same_row_leave_each_other_room(count: int) -> None:
    steps = [
        {"label": f"step number {i} of a long journey told", "curve": {"mean": None}}
        for i in range(count)
    ]
    for step in steps:
        step["grade"] = {"q1": None}
        step["by_perspective"] = {}
    width = max(44.0, min(190.0, 1100 / count))
    c = curve(steps, width, 200, axis=True)
    rows: dict[float, list[dict]] = {}
    for tick in c["ticks"]:
        rows.setdefault(tick["y"], []).append(tick)
        # Every label tells more than its number, and stays inside the picture.
        assert len(tick["text"]) > len(f"{count}. "), tick
        assert tick["x"] - len(tick["text"]) * 6.5 / 2 >= 0
        assert tick["x"] + len(tick["text"]) * 6.5 / 2 <= c["width"]
        assert tick["y"] < c["height"]
    for row in rows.values():
        for a, b in itertools.pairwise(row):
            assert (len(a["text"]) + len(b["text"])) * 6.5 / 2 < b["x"] - a["x"], (a, b)


def test_segments_without_grades_are_one_line_not_a_table_of_dashes(ungraded) -> None:
    assert len([s for s in ungraded.data["segments"] if s]) == 3
    page = to_html(ungraded)
    assert "Segments and perspectives" not in page and 'class="simple compare"' not in page
    line = re.search(r'<p class="count no-compare">(.*?)</p>', page)
    assert line and "3 segments" in line.group(1) and "no grades" in line.group(1).lower()


def test_a_study_with_grades_keeps_only_the_columns_that_have_any(cmap) -> None:
    page = to_html(cmap)
    assert "Segments and perspectives" in page and "no-compare" not in page
    table = page.split('class="simple compare"', 1)[1].split("</table>", 1)[0]
    header = table.split("</tr>", 1)[0]
    for column in re.findall(r"<th>(\w+): ", header):
        assert column in ("perspective", "segment")
    assert header.count("<th>") - 1 == len(cmap.data["perspectives"]) + len(
        [s for s in cmap.data["segments"] if s]
    )


def test_no_overall_grade_shows_the_predicted_figure_marked_as_such(ungraded) -> None:
    data = ungraded.data
    assert data["overall_grade"]["n"] == 0
    points = [s["curve"] for s in data["steps"]]
    assert points and all(c["source"] == "predicted" for c in points)
    mean = sum(c["mean"] * c["n"] for c in points) / sum(c["n"] for c in points)
    shown = kpi(to_html(ungraded))
    assert "n=0" not in shown and "–" not in shown
    assert "predicted" in shown and f"{mean:.1f}/10" in shown
    assert f"tagger's {sum(c['n'] for c in points)} grades" in shown


def test_an_overall_grade_given_is_shown_with_its_count(cmap) -> None:
    shown = kpi(to_html(cmap))
    overall = cmap.data["overall_grade"]
    assert overall["n"] > 0 and "predicted" not in shown
    assert f"{overall['mean']:.1f}/10" in shown and f"n={overall['n']}" in shown


def lane_rows(page: str) -> dict[str, list[str]]:
    """The on-screen grid's lanes: each lane's name and the text of its cells."""
    grid = page.split('<div class="grid-wrap', 1)[1].split("</table>", 1)[0]
    rows = {}
    for name, cells in re.findall(
        r'<tr[^>]*><th class="lane" scope="row">([^<]+)</th>(.*?)</tr>', grid
    ):
        texts = re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        rows[name] = [re.sub(r"<[^>]+>", "", t).strip() for t in texts]
    return rows


def test_lanes_no_step_has_anything_in_are_left_out_and_named(ungraded, cmap) -> None:
    page = to_html(ungraded)
    rows = lane_rows(page)
    for lane in ("Actions", "Grade", "Then"):
        assert lane in rows
    for lane, cells in rows.items():
        if lane != "Emotional curve":
            assert any(c not in ("", "–") for c in cells), lane
    line = re.search(r'<p class="count empty-lanes">(.*?)</p>', page)
    assert line
    left_out = line.group(1).split(": ", 1)[1].rstrip(".").split(", ")
    for lane in ("Front stage", "Back stage", "Thoughts", "Moments of truth", "Opportunities"):
        assert lane in left_out and lane not in rows
    # Printed grids leave out the same lanes.
    printed = page.split('<div class="print-only">', 1)[1]
    assert all(f'scope="row">{lane}<' not in printed for lane in left_out)
    # A study with answers in those lanes keeps them.
    kept = lane_rows(to_html(cmap))
    for lane in ("Front stage", "Back stage", "Moments of truth", "Opportunities"):
        assert any(c not in ("", "–") for c in kept[lane]), lane


def test_feelings_heard_by_the_tagger_end_in_no_dash(ungraded) -> None:
    cells = lane_rows(to_html(ungraded))["Feelings"]
    heard = [c for c in cells if "neutral" in c or "negative" in c or "positive" in c]
    assert heard
    for cell in heard:
        assert not cell.endswith("–") and "–" not in cell, cell


def test_the_curve_is_no_straight_line_across_a_step_with_no_grade() -> None:
    # Customers graded steps 1, 2 and 4, staff 1 and 3: a solid line from 2 to 4 (and staff's
    # from 1 to 3) drew grades no one gave at the step between.
    customer = [7.0, 6.0, None, 3.0, 4.0]
    staff = [8.0, None, 5.0, None, None]
    steps = []
    for mean, estimate in zip(customer, staff, strict=True):
        steps.append(
            {
                "label": "a step",
                "curve": {"mean": mean, "n": 4 if mean else 0, "thin": False,
                          "source": "given" if mean else None},
                "grade": {"q1": None},
                "by_perspective": {
                    **({"customer": {"mean": mean, "n": 4}} if mean else {}),
                    **({"staff": {"mean": estimate, "n": 3}} if estimate else {}),
                },
            }
        )  # fmt: skip
    c = curve(steps, 100.0, 200, axis=True)
    x = [d["x"] for d in c["dots"]]
    assert [len(line.split()) for line in c["lines"]] == [2, 2]  # steps 1–2, then 4–5
    assert [(j["x1"], j["x2"]) for j in c["gaps"]] == [(x[1], x[2])]
    assert c["staff"] == [] and len(c["staff_gaps"]) == 1
    assert [p["mean"] for p in c["staff_points"]] == [8.0, 5.0]  # each estimate still marked
    page_text = to_html_of_curve(c)
    assert page_text.count('class="curve"') == 2 and page_text.count("curve-gap") == 2


def to_html_of_curve(c: dict) -> str:
    from cjm_interview.export.html import environment

    return environment().get_template("_curve.html").render(c=c, aria="Emotional curve")
