"""The composite map as one self-contained HTML page: lanes, emotional curve, quotes.

No network: CSS and SVG are inline and there is no script at all (quotes
open with <details>). Every participant string goes through ``for_html``.
"""

from __future__ import annotations

from typing import Any

from cjm_interview.export.escape import for_html as e
from cjm_interview.map import CompositeMap

CSS = """
:root { --bad: #c0392b; --mid: #d68910; --good: #1e8449; --ink: #1b2631; --line: #d5d8dc;
        --soft: #f4f6f7; --accent: #2e4053; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0; padding: 24px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; }
.meta { color: #566573; margin-bottom: 16px; }
.kpis { display: flex; gap: 12px; flex-wrap: wrap; margin: 12px 0 20px; }
.kpi { background: var(--soft); border-radius: 8px; padding: 10px 14px; min-width: 130px; }
.kpi b { display: block; font-size: 20px; }
.curve { width: 100%; overflow-x: auto; }
.curve svg { max-width: 100%; height: auto; }
.grid-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table.lanes { border-collapse: collapse; table-layout: fixed; }
.lanes th, .lanes td { border: 1px solid var(--line); padding: 6px 8px; vertical-align: top;
                       font-size: 13px; overflow-wrap: anywhere; }
.lanes th.lane { background: var(--soft); text-align: left; position: sticky; left: 0;
                 z-index: 1; }
.lanes thead th { background: var(--accent); color: #fff; font-weight: 600; }
.lanes thead th.lane { background: var(--soft); color: var(--ink); }
.lanes td.curve-cell { padding: 0; }
.lanes td.curve-cell svg { display: block; }
.lanes ul { margin: 0; padding-left: 16px; } .lanes li { margin: 0 0 2px; }
.count { color: #7f8c8d; font-size: 11px; }
.chip { display: inline-block; border-radius: 10px; padding: 0 7px; margin: 1px 2px 1px 0;
        background: #eaf2f8; font-size: 12px; }
.grade { font-weight: 700; } .g-bad { color: var(--bad); } .g-mid { color: var(--mid); }
.g-good { color: var(--good); }
.mot { background: #fdebd0; }
details summary { cursor: pointer; color: var(--accent); }
blockquote { margin: 4px 0; padding-left: 8px; border-left: 3px solid var(--line);
             font-style: italic; }
table.simple { border-collapse: collapse; }
.simple td, .simple th { border-bottom: 1px solid var(--line); padding: 4px 10px;
                         text-align: left; }
.gap-big { color: var(--bad); font-weight: 700; }
.bar { display: inline-block; height: 8px; background: #aed6f1; border-radius: 2px;
       vertical-align: middle; }
footer { margin-top: 30px; color: #7f8c8d; font-size: 12px; }
.print-only { display: none; }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { padding: 0; font-size: 10px; }
  .screen-only { display: none !important; }
  .print-only { display: block; }
  .curve { overflow: visible; }
  .lanes th, .lanes td { font-size: 9.5px; padding: 3px 4px; }
  .count { font-size: 8.5px; }
  .lanes th.lane { position: static; }
  .chunk { break-after: page; }
  .lanes tr, blockquote, .kpi { break-inside: avoid; }
  h2 { break-after: avoid; }
  h2.journey { break-before: page; }
}
"""


def _grade_class(mean: float | None) -> str:
    if mean is None:
        return ""
    return "g-bad" if mean < 4.5 else "g-mid" if mean < 6.5 else "g-good"


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)


def _list(items: list[dict[str, Any]], key: str = "text", limit: int = 4) -> str:
    if not items:
        return '<span class="count">–</span>'
    rows = "".join(
        f'<li>{e(item[key])} <span class="count">×{item["count"]}</span></li>'
        for item in items[:limit]
    )
    return f"<ul>{rows}</ul>"


def _chips(items: list[dict[str, Any]], limit: int = 6) -> str:
    if not items:
        return '<span class="count">–</span>'
    return "".join(
        f'<span class="chip">{e(i["label"])} <span class="count">{i["count"]}</span></span>'
        for i in items[:limit]
    )


def curve_svg(
    steps: list[dict[str, Any]],
    width_per_step: float | None = None,
    height: int = 200,
    axis: bool = True,
    aria: str = "Emotional curve",
    first: int = 1,
) -> str:
    """The emotional curve: mean grade per step, the interquartile band, and per perspective.

    With ``axis`` it is the overview (grade axis, numbered steps, fits the page);
    without, it is the curve lane of the grid, one column per step.
    """
    n = len(steps)
    if n == 0:
        return "<p>No steps.</p>"
    if width_per_step is None:
        width_per_step = max(44.0, min(190.0, 1100 / n))
    left, top = (40, 16) if axis else (0, 14)
    bottom = 40 if axis else 6
    width = left + width_per_step * n

    def x(i: int) -> float:
        return left + width_per_step * i + width_per_step / 2

    def y(grade: float) -> float:
        return top + height - grade / 10 * height

    total = top + height + bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{aria}" '
        f'width="{width:.0f}" height="{total}" viewBox="0 0 {width:.0f} {total}">'
    ]
    for g in range(0, 11, 2 if axis else 5):
        parts.append(
            f'<line x1="{left}" x2="{width:.0f}" y1="{y(g):.1f}" y2="{y(g):.1f}" stroke="#eaecee"/>'
        )
        if axis:
            parts.append(
                f'<text x="{left - 8}" y="{y(g) + 4:.1f}" font-size="11" '
                f'text-anchor="end" fill="#7f8c8d">{g}</text>'
            )
    band_top, band_bottom = [], []
    for i, step in enumerate(steps):
        g = step["grade"]
        if g["q1"] is not None:
            band_top.append(f"{x(i):.1f},{y(g['q3']):.1f}")
            band_bottom.append(f"{x(i):.1f},{y(g['q1']):.1f}")
    if band_top:
        points = " ".join(band_top + list(reversed(band_bottom)))
        parts.append(f'<polygon class="band" points="{points}" fill="#aed6f1" opacity="0.55"/>')
    both = any(s["by_perspective"].get("staff") for s in steps) and any(
        s["by_perspective"].get("customer") for s in steps
    )
    colours = {"customer": "#1f618d", "staff": "#b03a2e"}
    for perspective, colour in colours.items():
        pts = [
            (i, s["by_perspective"][perspective]["mean"])
            for i, s in enumerate(steps)
            if s["by_perspective"].get(perspective, {}).get("mean") is not None
        ]
        if pts and both:
            dash = ' stroke-dasharray="6 4"' if perspective == "staff" else ""
            poly = " ".join(f"{x(i):.1f},{y(m):.1f}" for i, m in pts)
            parts.append(
                f'<polyline class="curve-{perspective}" points="{poly}" fill="none" '
                f'stroke="{colour}" stroke-width="1.5"{dash}/>'
            )
    means = [(i, s["grade"]["mean"]) for i, s in enumerate(steps) if s["grade"]["mean"] is not None]
    if means:
        poly = " ".join(f"{x(i):.1f},{y(m):.1f}" for i, m in means)
        parts.append(
            f'<polyline class="curve" points="{poly}" fill="none" stroke="#1b2631" '
            f'stroke-width="3"/>'
        )
        for i, m in means:
            colour = {"g-bad": "#c0392b", "g-mid": "#d68910", "g-good": "#1e8449"}[_grade_class(m)]
            above = y(m) - 10 if y(m) > top + 12 else y(m) + 20
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(m):.1f}" r="6" fill="{colour}">'
                f"<title>{first + i}. {e(steps[i]['label'])}: {m:.1f}/10</title></circle>"
                f'<text x="{x(i):.1f}" y="{above:.1f}" font-size="12" text-anchor="middle"'
                f' font-weight="700">{m:.1f}</text>'
            )
    if axis:
        room = int(width_per_step / 6.5)
        for i, step in enumerate(steps):
            label = f"{first + i}."
            if room >= 12:
                text = step["label"]
                label += " " + (text if len(text) <= room - 4 else text[: room - 5] + "…")
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + height + 18}" font-size="11" '
                f'text-anchor="middle">{e(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def comparison_table(d: dict[str, Any]) -> str:
    """Mean grade per step for each perspective and each segment, side by side."""
    steps = d["steps"]
    groups = [("perspective", p) for p in sorted(d["perspectives"])]
    segments = [s for s in sorted(d["segments"]) if s]
    if len(segments) > 1:
        groups += [("segment", s) for s in segments[:8]]
    if len(groups) < 2:
        return ""

    def cell(dist: dict[str, Any] | None) -> str:
        if not dist or dist.get("mean") is None:
            return '<td class="count">–</td>'
        mean = dist["mean"]
        return (
            f'<td><span class="bar" style="width:{mean * 6:.0f}px"></span> '
            f'<span class="grade {_grade_class(mean)}">{mean:.1f}</span> '
            f'<span class="count">n={dist["n"]}</span></td>'
        )

    head = "".join(f"<th>{e(kind)}: {e(value)}</th>" for kind, value in groups)
    body = ""
    for i, s in enumerate(steps, 1):
        cells = "".join(
            cell(
                s["by_perspective"].get(value)
                if kind == "perspective"
                else s["by_segment"].get(value)
            )
            for kind, value in groups
        )
        body += f"<tr><td>{i}. {e(s['label'])}</td>{cells}</tr>"
    overall = "".join(
        cell(d["overall_by_perspective"].get(value)) if kind == "perspective" else "<td></td>"
        for kind, value in groups
    )
    return (
        "<h2>Segments and perspectives</h2><p class='count'>Mean grade of each step by who "
        "answered: customers and staff, and each segment.</p>"
        f"<table class='simple compare'><tr><th>Step</th>{head}</tr>{body}"
        f"<tr><td><b>Overall grade</b></td>{overall}</tr></table>"
    )


def turning_points(steps: list[dict[str, Any]]) -> str:
    """Where journeys branch (no single next step), loop back, or stop early: the busiest eight."""
    notes: list[tuple[int, str]] = []
    last = len(steps)
    for i, s in enumerate(steps, 1):
        flow = s.get("flow")
        if not flow:
            continue
        total = sum(n["count"] for n in flow["next"]) + flow["ends_here"]
        if not total:
            continue
        name = f"<b>{i}. {e(s['label'])}</b>"
        weight = s["participants"]
        top = flow["next"][0]["count"] / total if flow["next"] else 0.0
        if len(flow["next"]) > 1 and top < 0.6:
            notes.append((weight, f"{name} branches: no next step takes more than {top:.0%}."))
        if flow["loops_back"] >= max(2, 0.1 * total):
            notes.append(
                (weight, f"{name}: {flow['loops_back']} journeys go back to an earlier step.")
            )
        if i < last and flow["ends_here"] >= max(2, 0.2 * total):
            notes.append(
                (weight, f"{name}: {flow['ends_here'] / total:.0%} of journeys stop here.")
            )
    items = "".join(f"<li>{note}</li>" for _, note in sorted(notes, key=lambda n: -n[0])[:8])
    return f"<ul class='turns'>{items}</ul>" if notes else ""


SCREEN = (130, 190)  # lane title column and step column widths, in pixels
PRINT = (88, 150)
PRINT_STEPS = 6  # steps per printed grid: A4 landscape


def _cells(d: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Each lane of the grid and its cell per step."""
    steps = d["steps"]
    labels = {s["key"]: s["label"] for s in steps}
    number = {s["key"]: i for i, s in enumerate(steps, 1)}

    def grade_cell(s: dict[str, Any]) -> str:
        g = s["grade"]
        out = (
            f'<span class="grade {_grade_class(g["mean"])}">{_fmt(g["mean"])}</span>/10 '
            f'<span class="count">median {_fmt(g["median"])}, IQR {_fmt(g["q1"])}–{_fmt(g["q3"])},'
            f" n={g['n']}</span>"
        )
        for p, dist in s["by_perspective"].items():
            out += f'<br><span class="count">{e(p)}: {_fmt(dist["mean"])} (n={dist["n"]})</span>'
        return out

    def feel_cell(s: dict[str, Any]) -> str:
        sentiment = s["sentiment"]
        total = sum(sentiment.values()) or 1
        bar = " · ".join(f"{e(k)} {v / total:.0%}" for k, v in sorted(sentiment.items()))
        return (
            _chips(s["emotions"])
            + (f'<br><span class="count">{bar}</span>' if bar else "")
            + _list(s["feelings"], limit=2)
        )

    def quote(q: dict[str, Any]) -> str:
        return (
            f'<blockquote>{e(q["text"])}<br><span class="count">session {e(q["session_id"][:8])}, '
            f"step {q['step']}, {e(q.get('question_id', ''))}, grade {_fmt(q['grade'])}</span>"
            "</blockquote>"
        )

    def quotes_cell(s: dict[str, Any]) -> str:
        if not s["quotes"]:
            return '<span class="count">–</span>'
        body = "".join(quote(q) for q in s["quotes"])
        printed = "".join(quote(q) for q in s["quotes"][:2])
        return (
            f"<details class='screen-only'><summary>{len(s['quotes'])} quotes</summary>{body}"
            f"</details><div class='print-only'>{printed}</div>"
        )

    def mot_cell(s: dict[str, Any]) -> str:
        share = s["moment_of_truth_share"]
        return "–" if share is None else f"<b>{share:.0%}</b> say it decided their view"

    def flow_cell(s: dict[str, Any]) -> str:
        flow = s.get("flow")
        if not flow:
            return "–"
        total = sum(n["count"] for n in flow["next"]) + flow["ends_here"] or 1
        items = [
            f"<li>→ {number[n['key']]}. {e(labels[n['key']])} "
            f'<span class="count">{n["count"] / total:.0%}</span></li>'
            for n in flow["next"][:3]
        ]
        if flow["ends_here"]:
            items.append(
                f'<li>■ ends here <span class="count">{flow["ends_here"] / total:.0%}</span></li>'
            )
        if flow["loops_back"]:
            items.append(f'<li>↺ goes back <span class="count">{flow["loops_back"]}</span></li>')
        return f"<ul>{''.join(items)}</ul>"

    return [
        ("Actions", [_list(s["phrasings"], limit=3) for s in steps]),
        ("Touchpoints", [_chips(s["touchpoints"]) for s in steps]),
        ("Front stage", [_list(s["front_stage"], limit=3) for s in steps]),
        ("Back stage", [_list(s["back_stage"], limit=3) for s in steps]),
        ("Thoughts", [_list(s["thoughts"], limit=2) for s in steps]),
        ("Feelings", [feel_cell(s) for s in steps]),
        ("Grade", [grade_cell(s) for s in steps]),
        ("Moments of truth", [mot_cell(s) for s in steps]),
        ("Pain points", [_list(s["pain_points"], limit=3) for s in steps]),
        ("Opportunities", [_list(s["improvements"], limit=3) for s in steps]),
        ("Then", [flow_cell(s) for s in steps]),
        ("Quotes", [quotes_cell(s) for s in steps]),
    ]


def lanes_table(
    steps: list[dict[str, Any]],
    cells: list[tuple[str, list[str]]],
    start: int,
    end: int,
    widths: tuple[int, int],
) -> str:
    """The grid for steps[start:end]: steps across, lanes down, the curve lane on top."""
    lane, col = widths
    shown = steps[start:end]
    cols = f"<col style='width:{lane}px'>" + f"<col style='width:{col}px'>" * len(shown)
    head = "".join(
        f'<th scope="col">{start + i}. {e(s["label"])}<br><span class="count" '
        f'style="color:#d6eaf8">{s["participants"]} people · {s["share"]:.0%}</span></th>'
        for i, s in enumerate(shown, 1)
    )
    curve = curve_svg(shown, col, height=110, axis=False, aria="Curve lane", first=start + 1)
    rows = [
        f"<tr class='curve-lane'><th class='lane' scope='row'>Emotional curve</th>"
        f"<td class='curve-cell' colspan='{len(shown)}'>{curve}</td></tr>"
    ]
    for title, per_step in cells:
        tds = "".join(f"<td>{c}</td>" for c in per_step[start:end])
        rows.append(f'<tr><th class="lane" scope="row">{title}</th>{tds}</tr>')
    return (
        f"<table class='lanes' style='width:{lane + col * len(shown)}px'><colgroup>{cols}"
        f"</colgroup><thead><tr><th class='lane'>Lane</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def to_html(cmap: CompositeMap) -> str:
    """The page."""
    d = cmap.data
    steps = d["steps"]
    cells = _cells(d)
    labels = {s["key"]: s["label"] for s in steps}
    screen_grid = lanes_table(steps, cells, 0, len(steps), SCREEN)
    print_grids = "".join(
        f"<div class='chunk'>{lanes_table(steps, cells, i, i + PRINT_STEPS, PRINT)}</div>"
        for i in range(0, len(steps), PRINT_STEPS)
    )
    gap_rows = "".join(
        f"<tr><td>{e(g['label'])}</td><td>{_fmt(g['customer_mean'])}</td><td>{_fmt(g['staff_mean'])}"
        f'</td><td class="{"gap-big" if abs(g["gap"]) >= 2 else ""}">{g["gap"]:+.1f}</td></tr>'
        for g in d["perspective_gap"]
    )
    gap = (
        "<h2>Perspective gap</h2><p>Staff's estimate of each step against customers' grades; "
        "the largest gaps first.</p><table class='simple'><tr><th>Step</th><th>Customers</th>"
        f"<th>Staff</th><th>Gap</th></tr>{gap_rows}</table>"
        if gap_rows
        else ""
    )
    path_rows = "".join(
        f"<tr><td>{e(labels.get(p['from'], p['from']))}</td>"
        f"<td>{e(labels.get(p['to'], p['to']))}</td>"
        f"<td>{p['count']}</td></tr>"
        for p in d["paths"][:20]
    )
    a = d["alignment"]
    overall = d["overall_grade"]
    compare = comparison_table(d)
    turns = turning_points(steps)
    kpis = (
        f'<div class="kpi">Interviews<b>{d["sessions"]}</b></div>'
        f'<div class="kpi">Overall grade<b class="{_grade_class(overall["mean"])}">'
        f"{_fmt(overall['mean'])}/10</b></div>"
        f'<div class="kpi">Steps<b>{len(steps)}</b></div>'
        + "".join(f'<div class="kpi">{e(p)}<b>{n}</b></div>' for p, n in d["perspectives"].items())
    )
    lists = ""
    for title, key in (
        ("Stakeholders", "stakeholders"),
        ("Desired outcomes", "outcomes"),
        ("Improvement ideas for the whole journey", "improvements"),
        ("The ideal journey", "ideal_journeys"),
    ):
        if d[key]:
            lists += f"<h2>{title}</h2>{_list(d[key], limit=8)}"
    how = f"by {e(a['representation'])} similarity"
    if a.get("fallback_reason"):
        how += f" ({e(a['fallback_reason'])})"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Composite journey map ({d['sessions']} interviews)</title><style>{CSS}</style>"
        "</head><body>"
        f"<h1>Composite customer journey map</h1><div class='meta'>{e(d['filters_text'])} · "
        f"scripts: {e(', '.join(d['scripts']))} · generated {e(d['generated_at'])}</div>"
        f"<div class='kpis'>{kpis}</div>"
        "<h2>Emotional curve</h2><p class='count'>Mean grade per step (dots), the middle half of "
        "grades (band); customers solid, staff dashed when both were interviewed.</p>"
        f"<div class='curve'>{curve_svg(steps)}</div>"
        "<h2 class='journey'>The journey</h2>"
        f"<div class='grid-wrap screen-only'>{screen_grid}</div>"
        f"<div class='print-only'>{print_grids}</div>"
        f"{compare}{gap}<h2>Common paths</h2>{turns}<table class='simple'><tr><th>From</th>"
        f"<th>To</th><th>Journeys</th></tr>{path_rows}</table>{lists}"
        f"<footer>{a['groups']} composite steps aligned from {a['steps_told']} steps told, {how}, "
        f"threshold {a['threshold']}, position weight {a['position_weight']}.</footer>"
        "</body></html>\n"
    )
