"""The composite map as one self-contained HTML page: lanes, emotional curve, quotes.

No network: CSS and SVG are inline and there is no script at all (quotes
open with <details>). Every participant string goes through ``for_html``.
"""

from __future__ import annotations

from typing import Any

from cjm_interview.composite import CompositeMap
from cjm_interview.export.escape import for_html as e

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
.grid-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table.lanes { border-collapse: collapse; min-width: 100%; table-layout: fixed; }
.lanes th, .lanes td { border: 1px solid var(--line); padding: 6px 8px; vertical-align: top;
                       width: 190px; font-size: 13px; }
.lanes th.lane { width: 130px; background: var(--soft); text-align: left; position: sticky;
                 left: 0; }
.lanes thead th { background: var(--accent); color: #fff; font-weight: 600; }
.lanes thead th.lane { background: var(--soft); color: var(--ink); }
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
footer { margin-top: 30px; color: #7f8c8d; font-size: 12px; }
@media print { body { padding: 0; font-size: 11px; } .grid-wrap { overflow: visible; border: 0; }
  details { display: block; } details > * { display: block; } h2 { break-after: avoid; }
  table.lanes { page-break-inside: auto; } }
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


def curve_svg(steps: list[dict[str, Any]], width_per_step: int = 190) -> str:
    """The emotional curve: mean grade per step, the interquartile band, and per perspective."""
    n = len(steps)
    if n == 0:
        return "<p>No steps.</p>"
    left, top, height = 40, 16, 200
    width = left + width_per_step * n

    def x(i: int) -> float:
        return left + width_per_step * i + width_per_step / 2

    def y(grade: float) -> float:
        return top + height - grade / 10 * height

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Emotional curve" '
        f'width="{width}" height="{top + height + 40}" viewBox="0 0 {width} {top + height + 40}">'
    ]
    for g in range(0, 11, 2):
        parts.append(
            f'<line x1="{left}" x2="{width}" y1="{y(g):.1f}" y2="{y(g):.1f}" '
            f'stroke="#eaecee"/><text x="{left - 8}" y="{y(g) + 4:.1f}" font-size="11" '
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
    colours = {"customer": "#1f618d", "staff": "#b03a2e"}
    for perspective, colour in colours.items():
        pts = [
            (i, s["by_perspective"][perspective]["mean"])
            for i, s in enumerate(steps)
            if s["by_perspective"].get(perspective, {}).get("mean") is not None
        ]
        if len(pts) >= 1 and any(s["by_perspective"].get("staff") for s in steps):
            dash = ' stroke-dasharray="6 4"' if perspective == "staff" else ""
            poly = " ".join(f"{x(i):.1f},{y(m):.1f}" for i, m in pts)
            parts.append(
                f'<polyline class="curve-{perspective}" points="{poly}" fill="none" '
                f'stroke="{colour}" stroke-width="2"{dash}/>'
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
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(m):.1f}" r="6" fill="{colour}">'
                f"<title>{e(steps[i]['label'])}: {m:.1f}/10</title></circle>"
                f'<text x="{x(i):.1f}" y="{y(m) - 10:.1f}" font-size="12" text-anchor="middle"'
                f' font-weight="700">{m:.1f}</text>'
            )
    for i, step in enumerate(steps):
        label = step["label"] if len(step["label"]) <= 28 else step["label"][:27] + "…"
        parts.append(
            f'<text x="{x(i):.1f}" y="{top + height + 18}" font-size="11" '
            f'text-anchor="middle">{i + 1}. {e(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(cmap: CompositeMap) -> str:
    """The page."""
    d = cmap.data
    steps = d["steps"]
    head = "".join(
        f'<th scope="col">{i}. {e(s["label"])}<br><span class="count" style="color:#d6eaf8">'
        f"{s['participants']} people · {s['share']:.0%}</span></th>"
        for i, s in enumerate(steps, 1)
    )

    def row(title: str, cells: list[str], css: str = "") -> str:
        tds = "".join(f'<td class="{css}">{c}</td>' for c in cells)
        return f'<tr><th class="lane" scope="row">{title}</th>{tds}</tr>'

    def grade_cell(s: dict[str, Any]) -> str:
        g = s["grade"]
        out = (
            f'<span class="grade {_grade_class(g["mean"])}">{_fmt(g["mean"])}</span>/10 '
            f'<span class="count">median {_fmt(g["median"])}, IQR {_fmt(g["q1"])}–{_fmt(g["q3"])},'
            f" n={g['n']}</span>"
        )
        for p, dist in s["by_perspective"].items():
            out += f'<br><span class="count">{e(p)}: {_fmt(dist["mean"])} (n={dist["n"]})</span>'
        for segment, dist in list(s.get("by_segment", {}).items())[:4]:
            out += (
                f'<br><span class="count">{e(segment)}: {_fmt(dist["mean"])} (n={dist["n"]})</span>'
            )
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

    def quotes_cell(s: dict[str, Any]) -> str:
        if not s["quotes"]:
            return '<span class="count">–</span>'
        body = "".join(
            f'<blockquote>{e(q["text"])}<br><span class="count">session {e(q["session_id"][:8])}, '
            f"step {q['step']}, grade {_fmt(q['grade'])}</span></blockquote>"
            for q in s["quotes"]
        )
        return f"<details><summary>{len(s['quotes'])} quotes</summary>{body}</details>"

    def mot_cell(s: dict[str, Any]) -> str:
        share = s["moment_of_truth_share"]
        return "–" if share is None else f"<b>{share:.0%}</b> say it decided their view"

    rows = [
        row("Actions", [_list(s["phrasings"], limit=3) for s in steps]),
        row("Touchpoints", [_chips(s["touchpoints"]) for s in steps]),
        row("Front stage", [_list(s["front_stage"], limit=3) for s in steps]),
        row("Back stage", [_list(s["back_stage"], limit=3) for s in steps]),
        row("Thoughts", [_list(s["thoughts"], limit=2) for s in steps]),
        row("Feelings", [feel_cell(s) for s in steps]),
        row("Grade", [grade_cell(s) for s in steps]),
        row("Moments of truth", [mot_cell(s) for s in steps]),
        row("Pain points", [_list(s["pain_points"], limit=3) for s in steps]),
        row("Opportunities", [_list(s["improvements"], limit=3) for s in steps]),
        row("Quotes", [quotes_cell(s) for s in steps]),
    ]
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
    labels = {s["key"]: s["label"] for s in steps}
    path_rows = "".join(
        f"<tr><td>{e(labels.get(p['from'], p['from']))}</td>"
        f"<td>{e(labels.get(p['to'], p['to']))}</td>"
        f"<td>{p['count']}</td></tr>"
        for p in d["paths"][:20]
    )
    a = d["alignment"]
    overall = d["overall_grade"]
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
        f"<h2>The journey</h2><div class='grid-wrap'><table class='lanes'><thead><tr>"
        f"<th class='lane'>Lane</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f"{gap}<h2>Common paths</h2><table class='simple'><tr><th>From</th><th>To</th>"
        f"<th>Journeys</th></tr>{path_rows}</table>{lists}"
        f"<footer>Steps aligned from {a['steps_told']} steps told, by {e(a['representation'])} "
        f"similarity (threshold {a['threshold']}, position weight {a['position_weight']}).</footer>"
        "</body></html>\n"
    )
