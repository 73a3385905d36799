"""The composite map as one self-contained HTML page, rendered from Jinja2 templates.

Python gathers plain values (texts, numbers, the curve's coordinates); the
templates in ``export/templates/`` lay them out with autoescaping on, so every
participant string is escaped by default, not by habit. No network: CSS and SVG
are inline and there is no script (quotes and theme members open with <details>).
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import jinja2

from cjm_interview.answers import clean_text
from cjm_interview.domain import people, theirs
from cjm_interview.map import CompositeMap
from cjm_interview.map.build import gc_paused
from cjm_interview.map.summary import COMMON_PATHS, overall_predicted

SCREEN = (130, 190)  # lane title column and step column widths, in pixels
PRINT = (88, 150)
PRINT_STEPS = 6  # steps per printed grid: A4 landscape
CHAR = 6.5  # mean width of a character of the 11 px axis labels, in pixels
ONE_ROW = 12  # characters a column must hold for its label to share one row with the others
COLOURS = {"g-bad": "#c0392b", "g-mid": "#d68910", "g-good": "#1e8449", "": "#7f8c8d"}


# The lanes that may hold nothing in a study (a script that asks no feelings, say) and the
# fields of a step that fill each; a lane empty at every step is left out of the grid.
LANES = {
    "Touchpoints": ("touchpoints",),
    "Front stage": ("front_stage",),
    "Back stage": ("back_stage",),
    "Thoughts": ("thoughts",),
    "Feelings": ("emotions", "sentiment", "feelings"),
    "Moments of truth": ("moment_of_truth_share",),
    "Pain points": ("pain_points",),
    "Opportunities": ("improvements",),
    "Quotes": ("quotes",),
}


@functools.cache
def environment() -> jinja2.Environment:
    """The templates, loaded from the package (they ship in the wheel), autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cjm_interview.export", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clean"] = lambda value: clean_text(str(value))
    env.filters["fmt"] = fmt
    env.filters["grade_class"] = grade_class
    env.filters["pct"] = lambda value: "–" if value is None else f"{value:.0%}"
    return env


def grade_class(mean: float | None) -> str:
    """Colour class of a mean grade: bad below 4.5, middle below 6.5, good above."""
    if mean is None:
        return ""
    return "g-bad" if mean < 4.5 else "g-mid" if mean < 6.5 else "g-good"


def fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)


def curve(
    steps: list[dict[str, Any]],
    width_per_step: float,
    height: int,
    axis: bool,
    first: int = 1,
) -> dict[str, Any]:
    """Coordinates of the emotional curve: the primary perspective's mean per step (given or
    predicted), the middle half of its grades, and the staff's estimate as its own line."""
    left, top = (40, 34) if axis else (0, 14)
    # Too narrow a column for a label on one row: the labels take turns on two rows, so
    # each has two columns' width and a reader can still tell the steps apart.
    rows = 2 if axis and width_per_step / CHAR < ONE_ROW else 1
    bottom = 26 + 14 * rows if axis else 6
    # Room on the right for the last label, which may be wider than its column.
    width = left + width_per_step * (len(steps) + (rows - 1) / 2)

    def x(i: int) -> float:
        return round(left + width_per_step * i + width_per_step / 2, 1)

    def y(grade: float) -> float:
        return round(top + height - grade / 10 * height, 1)

    dots = []
    columns = []  # the column of each dot
    for i, s in enumerate(steps):
        c = s["curve"]
        if c["mean"] is None:
            continue
        columns.append(i)
        mean = c["mean"]
        dots.append(
            {
                "x": x(i),
                "y": y(mean),
                "mean": mean,
                "n": c["n"],
                "predicted": c["source"] == "predicted",
                "thin": c["thin"],
                "colour": COLOURS[grade_class(mean)],
                "label_y": y(mean) - 11 if y(mean) > top + 14 else y(mean) + 22,
                "title": f"{first + i}. {s['label']}",
            }
        )
    band_top = [
        (x(i), y(s["grade"]["q3"])) for i, s in enumerate(steps) if s["grade"]["q1"] is not None
    ]
    band_bottom = [
        (x(i), y(s["grade"]["q1"])) for i, s in enumerate(steps) if s["grade"]["q1"] is not None
    ]
    band = " ".join(f"{a},{b}" for a, b in band_top + band_bottom[::-1])
    staff = [
        (i, x(i), y(s["by_perspective"]["staff"]["mean"]))
        for i, s in enumerate(steps)
        if s["by_perspective"].get("staff", {}).get("mean") is not None
    ]
    has_customers = any(s["by_perspective"].get("customer") for s in steps)
    lines, gaps = runs([(i, d["x"], d["y"]) for i, d in zip(columns, dots, strict=True)])
    staff_lines, staff_gaps = runs(staff) if has_customers else ([], [])
    ticks = []
    if axis:
        room = int(width_per_step * rows / CHAR) - 1  # a character's gap to the next label
        for i, s in enumerate(steps):
            number = f"{first + i}. "
            text = clean_text(s["label"])
            words = room - len(number)
            if len(text) > words:
                text = text[: max(0, words - 1)].rstrip() + "…" if words >= 2 else ""
            ticks.append(
                {
                    "x": x(i),
                    "y": top + height + 18 + 14 * (i % rows),
                    "text": (number + text).rstrip(),
                    "title": f"{first + i}. {s['label']}",
                }
            )
    return {
        "width": round(width),
        "height": top + height + bottom,
        "left": left,
        "grid": [{"y": y(g), "value": g} for g in range(0, 11, 2 if axis else 5)],
        "dots": dots,
        "lines": lines,
        "gaps": gaps,
        "band": band if len(band_top) > 1 else "",
        "staff": staff_lines,
        "staff_gaps": staff_gaps,
        # Each estimate has its own small mark: one with no neighbour has no line to show it.
        "staff_points": [
            {
                "x": at_x,
                "y": at_y,
                "mean": steps[i]["by_perspective"]["staff"]["mean"],
                "n": steps[i]["by_perspective"]["staff"]["n"],
                "title": f"{first + i}. {steps[i]['label']}",
            }
            for i, at_x, at_y in staff
        ]
        if has_customers
        else [],
        "staff_end": staff[-1][1:] if staff and has_customers else None,
        "ticks": ticks,
        "axis": axis,
    }


def runs(
    points: list[tuple[int, float, float]],
) -> tuple[list[str], list[dict[str, float]]]:
    """A line through (column, x, y) points: solid over points in neighbouring columns, and
    the jumps over columns with nothing (no grade there) apart, to be drawn faint: a line
    drawn straight through them would show a grade no one gave. A lone point has no line."""
    solid: list[list[tuple[float, float]]] = []
    jumps: list[dict[str, float]] = []
    for (i, x1, y1), (j, x2, y2) in itertools.pairwise(points):
        if j == i + 1:
            if not solid or solid[-1][-1] != (x1, y1):
                solid.append([(x1, y1)])
            solid[-1].append((x2, y2))
        else:
            jumps.append({"x1": x1, "y1": y1, "x2": x2, "y2": y2})
    return [" ".join(f"{a},{b}" for a, b in run) for run in solid], jumps


def stage_spans(steps: list[dict[str, Any]], stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs of consecutive steps in one stage: the band over the columns."""
    names = {s["key"]: s for s in stages}
    spans: list[dict[str, Any]] = []
    for step in steps:
        if spans and spans[-1]["key"] == step["stage"]:
            spans[-1]["columns"] += 1
        else:
            stage = names.get(step["stage"], {"label": "", "key": step["stage"]})
            spans.append(
                {
                    "key": step["stage"],
                    "label": stage["label"],
                    "description": stage.get("description", ""),
                    "columns": 1,
                    "index": len(spans),
                }
            )
    return spans


def grid(d: dict[str, Any], start: int, end: int, widths: tuple[int, int]) -> dict[str, Any]:
    """One grid of the journey: steps[start:end] across, lanes down."""
    lane, col = widths
    shown = d["steps"][start:end]
    return {
        "start": start,
        "steps": shown,
        "spans": stage_spans(shown, d["stages"]),
        "lane": lane,
        "col": col,
        "width": lane + col * len(shown),
        "curve": curve(shown, col, 110, axis=False, first=start + 1),
    }


def context(cmap: CompositeMap) -> dict[str, Any]:
    """Everything the page shows, as plain values."""
    d = cmap.data
    steps = d["steps"]
    number = {s["key"]: i for i, s in enumerate(steps, 1)}
    labels = {s["key"]: s["label"] for s in steps}
    overview_width = max(44.0, min(190.0, 1100 / max(1, len(steps))))
    overview = curve(steps, overview_width, 200, axis=True)
    segments = [s for s in sorted(d["segments"]) if s]
    filled = {
        lane
        for lane, fields in LANES.items()
        if any(s.get(f) not in (None, [], {}) for s in steps for f in fields)
    }
    compare = [("perspective", p) for p in sorted(d["perspectives"])]
    if len(segments) > 1:
        compare += [("segment", s) for s in segments[:8]]
    # A column no grade was given in is all dashes: left out, and said so in one line.
    compare = [(kind, value) for kind, value in compare if graded(d, kind, value)]
    return {
        "d": d,
        "steps": steps,
        "number": number,
        "labels": labels,
        "primary": d["primary_perspective"],
        "people": people(d["primary_perspective"]),
        "theirs": theirs(d["primary_perspective"]),
        "overview": overview,
        "overview_spans": stage_spans(steps, d["stages"]),
        "overview_step": overview_width,
        "lanes": filled,
        "empty_lanes": [lane for lane in LANES if lane not in filled],
        "screen": grid(d, 0, len(steps), SCREEN),
        "screen_fits": (1400 - 2 * 24 - SCREEN[0]) // SCREEN[1],  # steps a 1400 px window shows
        "printed": [grid(d, i, i + PRINT_STEPS, PRINT) for i in range(0, len(steps), PRINT_STEPS)],
        "compare": compare if len(compare) >= 2 else [],
        "segments": segments,
        "overall_predicted": overall_predicted(steps),
        "turns": turning_points(steps),
        "themes": [
            ("Desired outcomes", d["outcomes"]),
            ("Pain points", d["pain_points"]),
            ("Improvement ideas for the whole journey", d["improvements"]),
            ("The ideal journey", d["ideal_journeys"]),
        ],
        "has_staff": any(s["by_perspective"].get("staff") for s in steps),
        "has_predicted": any(s["curve"]["source"] == "predicted" for s in steps),
        "has_thin": any(s["curve"]["thin"] and s["curve"]["n"] for s in steps),
        "has_gaps": bool(overview["gaps"] or overview["staff_gaps"]),
        "paths": d["paths"][:COMMON_PATHS],
    }


def graded(d: dict[str, Any], kind: str, value: str) -> bool:
    """Whether any step (or the overall grade) of a perspective or segment has a mean grade."""
    if kind == "perspective":
        overall = d["overall_by_perspective"].get(value) or {}
        if overall.get("mean") is not None:
            return True
    found = "by_perspective" if kind == "perspective" else "by_segment"
    return any((s[found].get(value) or {}).get("mean") is not None for s in d["steps"])


def turning_points(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where journeys branch (no single next step), loop back, or stop early: the busiest eight."""
    notes: list[dict[str, Any]] = []
    last = len(steps)
    for i, s in enumerate(steps, 1):
        flow = s.get("flow")
        if not flow:
            continue
        total = sum(n["count"] for n in flow["next"]) + flow["ends_here"]
        if not total:
            continue
        top = flow["next"][0]["count"] / total if flow["next"] else 0.0
        base = {"number": i, "label": s["label"], "weight": s["mentions"]}
        if len(flow["next"]) > 1 and top < 0.6:
            notes.append({**base, "text": f"branches: no next step takes more than {top:.0%}."})
        if flow["loops_back"] >= max(2, 0.1 * total):
            notes.append(
                {**base, "text": f"{flow['loops_back']} journeys go back to an earlier step."}
            )
        if i < last and flow["ends_here"] >= max(2, 0.2 * total):
            notes.append(
                {**base, "text": f"{flow['ends_here'] / total:.0%} of journeys stop here."}
            )
    return sorted(notes, key=lambda n: -n["weight"])[:8]


def to_html(cmap: CompositeMap) -> str:
    """The page (rendered with the collector paused, as the map was built: with a large map
    in memory, the collections it set off took 1.2 of the 1.3 s the page of 10,000 sessions
    took)."""
    with gc_paused():
        return environment().get_template("map.html").render(context(cmap))
