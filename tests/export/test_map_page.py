"""What the HTML page shows a researcher when a study is wide, ungraded or unsegmented."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from cjm_interview.export.html import context, curve
from cjm_interview.map import build_map
from cjm_interview.store import Store


@pytest.fixture(scope="module")
def ungraded(ungraded_study: Path):
    return build_map(Store(ungraded_study), encode_missing=False)


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
