"""The HTML export in a real headless browser (Debian's chromium, driven by playwright)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from cjm_interview.export.escape import for_mermaid
from cjm_interview.export.html import to_html
from cjm_interview.export.text_formats import mermaid_score, mermaid_task, to_mermaid
from cjm_interview.map import build_map
from cjm_interview.store import Store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def map_page(db: Path, folder: Path) -> tuple[Path, dict]:
    """The study's map written as a page into ``folder``, and the map's data."""
    cmap = build_map(Store(db), encode_missing=False)
    path = folder / "map.html"
    path.write_text(to_html(cmap), encoding="utf-8")
    return path, cmap.data


@pytest.fixture(scope="module")
def page_file(study: Path, tmp_path_factory) -> tuple[Path, dict]:
    return map_page(study, tmp_path_factory.mktemp("html"))


def open_page(browser, path: Path, errors: list[str], requests: list[str]):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page


def test_renders_steps_curve_and_lanes_without_errors(browser, page_file, tmp_path: Path) -> None:
    path, data = page_file
    errors: list[str] = []
    requests: list[str] = []
    page = open_page(browser, path, errors, requests)
    # Participant markup stayed text.
    assert page.evaluate("typeof window.PWNED") == "undefined"
    assert page.locator("img").count() == 0
    graded = [s for s in data["steps"] if s["grade"]["mean"] is not None]
    overview = page.locator("svg[aria-label='Emotional curve']")
    assert overview.is_visible()
    assert overview.locator("circle:not(.staff-dot)").count() == len(graded)
    assert overview.locator("polyline.curve").count() == 1
    assert overview.locator("polygon.band").count() == 1
    # The grid on screen: one column per step, the lanes, the curve lane above them.
    grid = page.locator(".grid-wrap table.lanes")
    assert grid.is_visible()
    headers = grid.locator("thead th[scope=col]").all_inner_texts()
    assert len(headers) == len(data["steps"])
    assert data["steps"][0]["label"] in headers[0]
    lanes = grid.locator("th.lane").all_inner_texts()
    for lane in ("Emotional curve", "Actions", "Touchpoints", "Front stage", "Back stage"):
        assert lane in lanes
    for lane in ("Feelings", "Moments of truth", "Pain points", "Opportunities"):
        assert lane in lanes
    # The generated study asks no thoughts: that lane is left out, and said so.
    assert "Thoughts" not in lanes
    assert "Thoughts" in page.locator(".empty-lanes").inner_text()
    # Each dot of the curve lane sits over its step's column.
    dots = grid.locator("svg[aria-label='Curve lane'] circle:not(.staff-dot)")
    assert dots.count() == len(graded)
    for i in range(min(4, len(graded))):
        index = data["steps"].index(graded[i])
        dot = dots.nth(i).bounding_box()
        column = grid.locator("thead th[scope=col]").nth(index).bounding_box()
        assert dot and column
        centre = dot["x"] + dot["width"] / 2
        assert abs(centre - (column["x"] + column["width"] / 2)) < 3
    # The stage band spans the columns, one stage after another, as the map lists them.
    band = grid.locator("thead tr.stages th.stage")
    spans = [int(band.nth(i).get_attribute("colspan")) for i in range(band.count())]
    assert sum(spans) == len(data["steps"])
    shown = [text.lower() for text in band.all_inner_texts()]  # the band is upper case
    assert shown == [s["label"].lower() for s in data["stages"]]
    # Staff have their own dashed line, and the legend names every mark drawn.
    staff = overview.locator("polyline.curve-staff")
    assert staff.count() >= 1 and staff.first.get_attribute("stroke-dasharray")
    estimated = [s for s in data["steps"] if s["by_perspective"].get("staff")]
    assert overview.locator("circle.staff-dot").count() == len(estimated)
    legend = page.locator(".legend").inner_text()
    for mark in ("mean grade", "grade given", "thin", "middle half", "staff"):
        assert mark in legend, legend
    thin = [s for s in data["steps"] if s["curve"]["thin"] and s["curve"]["n"]]
    assert overview.locator("circle.thin").count() == len(thin)
    assert grid.locator("td.grade-cell.thin").count() == sum(
        1 for s in data["steps"] if s["curve"]["thin"]
    )
    # Printed grids exist but are not shown on screen.
    assert not page.locator(".print-only table.lanes").first.is_visible()
    # Quotes open on demand.
    details = grid.locator("details").first
    assert not details.locator("blockquote").first.is_visible()
    details.locator("summary").click()
    assert details.locator("blockquote").first.is_visible()
    # The screenshot: the whole page, with the curve and grid drawn.
    shot = Path(os.environ.get("CJM_SHOTS", tmp_path)) / "map.png"
    page.screenshot(path=str(shot), full_page=True)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert width == 1400 and height > 2000
    page.close()
    assert not errors, errors
    assert all(url.startswith("file://") for url in requests), requests


def test_prints_to_pdf_in_page_wide_grids(browser, page_file, tmp_path: Path) -> None:
    path, data = page_file
    errors: list[str] = []
    page = open_page(browser, path, errors, [])
    page.emulate_media(media="print")
    assert not page.locator(".grid-wrap").is_visible()
    printed = page.locator(".print-only table.lanes")
    assert printed.count() == -(-len(data["steps"]) // 6)
    assert printed.first.is_visible()
    # A4 landscape with 10 mm margins is about 1046 CSS pixels wide.
    for i in range(printed.count()):
        box = printed.nth(i).bounding_box()
        assert box and box["width"] <= 1046, box
    # Quotes are printed, not hidden in a closed <details>.
    assert page.locator(".print-only .print-only blockquote").first.is_visible()
    pdf = tmp_path / "map.pdf"
    page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    body = pdf.read_bytes()
    assert body.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", body))
    assert pages >= 1 + printed.count()
    page.close()
    assert not errors, errors


# ------------------------------------------------------------------ mermaid, parsed by Mermaid
MERMAID = Path(
    os.environ.get("CJM_MERMAID_JS")
    or Path(__file__).resolve().parents[2] / ".ci/node/node_modules/mermaid/dist/mermaid.min.js"
)
HOSTILE_LABELS = [
    "title deeds sent to the solicitor",
    "Section 21 notice arrived",
    "journey planner crashed %% twice",
    "accTitle: got a letter; then # nothing",
]


def mermaid_db(browser, text: str) -> dict:
    """What Mermaid's own parser reads from a diagram: its title, sections and tasks."""
    if not MERMAID.exists():
        if os.environ.get("CI"):
            raise AssertionError(f"{MERMAID} is missing: .ci/run installs it")
        pytest.skip("Mermaid is not installed (npm install --prefix .ci/node mermaid@11)")
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(MERMAID))
    found = page.evaluate(
        """async (text) => {
            mermaid.initialize({startOnLoad: false});
            const d = await mermaid.mermaidAPI.getDiagramFromText(text);
            return {title: d.db.getDiagramTitle(), sections: d.db.getSections(),
                    tasks: d.db.getTasks().map(t => ({section: t.section, task: t.task,
                                                      score: t.score, people: t.people}))};
        }""",
        text,
    )
    page.close()
    return found


def test_mermaid_reads_no_answer_as_syntax(browser, study: Path, tmp_path: Path) -> None:
    db = tmp_path / "hostile.db"
    with Store(study) as source, Store(db) as target:
        source.conn.backup(target.conn)
        first = build_map(target, encode_missing=False)
        keys = [s["key"] for s in first.data["steps"][: len(HOSTILE_LABELS)]]
        rows = [("rename", key, label) for key, label in zip(keys, HOSTILE_LABELS, strict=True)]
        rows.append(("stage-rename", first.data["stages"][0]["key"], "section: one; # two"))
        target.write(
            lambda conn: conn.executemany(
                "INSERT INTO step_group_edits (action, group_key, label, created_at) "
                "VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
                rows,
            )
        )
        cmap = build_map(target, encode_missing=False)
    data = cmap.data
    found = mermaid_db(browser, to_mermaid(cmap))
    n = data["sessions"]
    assert found["title"] == f"Composite journey ({n} interview{'' if n == 1 else 's'})"
    # One task per step, in order, each under its stage's section, its face from its grade.
    assert len(found["tasks"]) == len(data["steps"])
    stages = {s["key"]: s["label"] for s in data["stages"]}
    sections = [stages[s["stage"]] for s in data["steps"]]
    assert len(found["sections"]) == len(dict.fromkeys(sections))
    for task, step, section in zip(found["tasks"], data["steps"], sections, strict=True):
        assert task["task"].strip("“”") == mermaid_task(step).strip("“”")
        # The face says what it rests on: the grades' n, predicted or none.
        curve = step["curve"]
        basis = {"given": f"(n={curve['n']})", "predicted": f"(n={curve['n']}, predicted)"}
        assert task["task"].strip("“”").endswith(basis.get(curve["source"], "(no grade)"))
        assert task["section"].strip("“”") == for_mermaid(section).strip("“”")
        assert task["score"] == mermaid_score(step["curve"]["mean"])
        assert task["people"][0] == "Customer"
    names = [t["task"] for t in found["tasks"]]
    for label in HOSTILE_LABELS:
        assert any(label.split()[0].strip(":") in name for name in names), (label, names)


# ------------------------------------------------------------------ a map wider than the window
@pytest.fixture(scope="module")
def wide_file(ungraded_study: Path, tmp_path_factory) -> tuple[Path, dict]:
    return map_page(ungraded_study, tmp_path_factory.mktemp("wide"))


@pytest.fixture
def wide_page(browser, wide_file):
    """The wide map open in a 1400 x 900 window; no console error by the end."""
    path, data = wide_file
    errors: list[str] = []
    page = open_page(browser, path, errors, [])
    yield page, data
    page.close()
    assert not errors, errors


def boxes(locator) -> list[dict]:
    found = [locator.nth(i).bounding_box() for i in range(locator.count())]
    assert all(found)
    return found  # type: ignore[return-value]


def test_a_wide_curve_names_its_steps_in_labels_that_do_not_overlap(wide_page) -> None:
    page, data = wide_page
    overview = page.locator("svg[aria-label='Emotional curve']")
    picture = overview.bounding_box()
    assert picture and picture["x"] + picture["width"] <= 1400
    ticks = overview.locator("text.tick")
    assert ticks.count() == len(data["steps"]) >= 15
    for tick in ticks.all():
        assert re.search(r"\d+\. \w{3}", tick.text_content() or ""), tick.text_content()
    found = boxes(ticks)
    for i, a in enumerate(found):
        assert picture["x"] <= a["x"] and a["x"] + a["width"] <= picture["x"] + picture["width"]
        for b in found[i + 1 :]:
            apart = a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            assert apart or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"]


def test_a_wide_grid_keeps_its_names_in_sight_and_says_it_scrolls(wide_page) -> None:
    page, _ = wide_page
    hint = page.locator(".scroll-hint")
    assert hint.is_visible() and "scrolls sideways" in hint.inner_text()
    wrap = page.locator(".grid-wrap")
    wrap.scroll_into_view_if_needed()
    outer = wrap.bounding_box()
    assert outer and outer["height"] <= 900  # its scroll bar is in the window
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth + 190")
    lanes = page.locator(".grid-wrap th.lane")
    steps = page.locator(".grid-wrap thead th[scope=col]")
    cell = page.locator(".grid-wrap tbody td").last
    before, first, low = boxes(lanes), steps.first.bounding_box(), cell.bounding_box()
    wrap.evaluate("e => { e.scrollLeft = 900; e.scrollTop = e.scrollHeight; }")
    after, moved, lower = boxes(lanes), steps.first.bounding_box(), cell.bounding_box()
    assert first and moved and moved["x"] < first["x"] - 800
    # The body scrolled up under the header...
    scrolled = wrap.evaluate("e => e.scrollTop")
    assert scrolled > 0 and low and lower and abs(low["y"] - lower["y"] - scrolled) < 3
    # ...while the lane names stayed at the left edge and the step headers at the top.
    assert all(abs(b["x"] - outer["x"]) < 3 for b in after[:2]), after
    assert abs(moved["y"] - first["y"]) < 3
    assert len(before) == len(after)


def test_a_wide_grid_prints_every_column_within_the_page(wide_page) -> None:
    page, data = wide_page
    # A4 landscape with 10 mm margins is about 1046 CSS pixels wide: the width printed on.
    page.set_viewport_size({"width": 1046, "height": 740})
    page.emulate_media(media="print")
    assert not page.locator(".scroll-hint").is_visible()
    printed = page.locator(".print-only table.lanes")
    headers = page.locator(".print-only table.lanes thead th[scope=col]")
    assert headers.count() == len(data["steps"])
    # Nothing printed runs past the page's right edge, where the printer would cut it off.
    for box in boxes(page.locator("table:visible, svg:visible")):
        assert box["x"] + box["width"] <= 1046 + 1, box
    assert printed.count() == -(-len(data["steps"]) // 6)
