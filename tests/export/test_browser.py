"""The HTML export in a real headless browser (Debian's chromium, driven by playwright)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cjm_interview.composite import build_map
from cjm_interview.export.html import to_html
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


def test_export_renders_without_errors_and_runs_no_participant_script(
    study: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    page_path = tmp_path / "map.html"
    page_path.write_text(to_html(build_map(Store(study), encode_missing=False)), encoding="utf-8")
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.PWNED") == "undefined"
        assert page.locator("svg[aria-label='Emotional curve'] circle").count() >= 3
        assert page.locator("svg polyline.curve").count() == 1
        assert page.locator("svg polygon.band").count() == 1
        lanes = page.locator("table.lanes th.lane").all_inner_texts()
        assert {"Touchpoints", "Front stage", "Back stage", "Feelings", "Pain points"} <= set(lanes)
        headers = page.locator("table.lanes thead th").count()
        assert headers >= 4
        # Quotes open on demand.
        details = page.locator("details").first
        details.locator("summary").click()
        assert details.locator("blockquote").first.is_visible()
        shot = tmp_path / "map.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert not errors, errors
    assert all(url.startswith("file://") for url in requests), requests
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
