"""The composite map as JSON, Markdown and a Mermaid journey diagram."""

from __future__ import annotations

import json
from typing import Any

from cjm_interview.export.escape import for_markdown, for_mermaid
from cjm_interview.map import CompositeMap


def to_json(cmap: CompositeMap) -> str:
    """The documented, versioned JSON of the map (docs/composite-map.md)."""
    return json.dumps(cmap.data, ensure_ascii=False, indent=2) + "\n"


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _bar(mean: float | None, width: int = 10) -> str:
    if mean is None:
        return ""
    filled = round(mean / 10 * width)
    return "█" * filled + "░" * (width - filled)


def to_markdown(cmap: CompositeMap) -> str:
    """A readable report."""
    d = cmap.data
    out = [
        "# Composite customer journey map",
        "",
        f"{d['sessions']} interview(s) — {for_markdown(d['filters_text'])}; perspectives: "
        + ", ".join(f"{k} {v}" for k, v in d["perspectives"].items())
        + f"; overall grade {_fmt(d['overall_grade']['mean'])}/10.",
        "",
        "## The journey",
        "",
        "| # | Step | Reached | Grade (mean ± sd) | Curve | Channels | Moment of truth |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, step in enumerate(d["steps"], 1):
        g = step["grade"]
        channels = ", ".join(
            f"{for_markdown(t['label'])} ({t['count']})" for t in step["touchpoints"][:4]
        )
        mot = step["moment_of_truth_share"]
        out.append(
            f"| {i} | {for_markdown(step['label'])} | {step['participants']} "
            f"({step['share']:.0%}) | {_fmt(g['mean'])} ± {_fmt(g['sd'])} | `{_bar(g['mean'])}` | "
            f"{channels or '–'} | {'–' if mot is None else f'{mot:.0%}'} |"
        )
    out += ["", "## Steps in detail", ""]
    labels = {s["key"]: s["label"] for s in d["steps"]}
    for i, step in enumerate(d["steps"], 1):
        out.append(f"### {i}. {for_markdown(step['label'])}")
        out.append("")
        facts = [
            f"- **Reached by** {step['participants']} participant(s) ({step['share']:.0%})",
            f"- **Grade**: mean {_fmt(step['grade']['mean'])}, "
            f"median {_fmt(step['grade']['median'])},"
            f" spread {_fmt(step['grade']['q1'])}–{_fmt(step['grade']['q3'])}",
        ]
        if step["emotions"]:
            facts.append(
                "- **Emotions**: "
                + ", ".join(f"{for_markdown(e['label'])} ({e['count']})" for e in step["emotions"])
            )
        for title, key in (
            ("Front stage", "front_stage"),
            ("Back stage", "back_stage"),
            ("Pain points", "pain_points"),
            ("Improvement ideas", "improvements"),
        ):
            if step[key]:
                facts.append(
                    f"- **{title}**: "
                    + "; ".join(f"{for_markdown(p['text'])} ({p['count']})" for p in step[key][:4])
                )
        flow = step.get("flow")
        if flow:
            total = sum(n["count"] for n in flow["next"]) + flow["ends_here"] or 1
            then = [
                f"{for_markdown(labels[n['key']])} ({n['count'] / total:.0%})"
                for n in flow["next"][:3]
            ]
            if flow["ends_here"]:
                then.append(f"the journey ends ({flow['ends_here'] / total:.0%})")
            if flow["loops_back"]:
                then.append(f"{flow['loops_back']} go back to an earlier step")
            facts.append("- **Then**: " + "; ".join(then))
        out += facts
        for quote in step["quotes"][:2]:
            out.append(
                f"> {for_markdown(quote['text'])} — session {quote['session_id'][:8]}, "
                f"step {quote['step']}"
            )
            out.append("")
        out.append("")
    if d["perspective_gap"]:
        out += [
            "## Perspective gap (staff estimate − customers' grade)",
            "",
            "| Step | Customers | Staff | Gap |",
            "|---|---|---|---|",
        ]
        for gap in d["perspective_gap"]:
            out.append(
                f"| {for_markdown(gap['label'])} | {_fmt(gap['customer_mean'])} | "
                f"{_fmt(gap['staff_mean'])} | {gap['gap']:+.1f} |"
            )
        out.append("")
    if d["improvements"]:
        out += ["## Improvement ideas", ""]
        out += [f"- {for_markdown(p['text'])} ({p['count']})" for p in d["improvements"]]
        out.append("")
    out += ["## Common paths", "", "| From | To | Journeys |", "|---|---|---|"]
    for path in d["paths"][:15]:
        out.append(
            f"| {for_markdown(labels.get(path['from'], path['from']))} | "
            f"{for_markdown(labels.get(path['to'], path['to']))} | {path['count']} |"
        )
    out.append("")
    a = d["alignment"]
    out.append(
        f"_Steps aligned from {a['steps_told']} steps told, by {a['representation']} "
        f"similarity (threshold {a['threshold']})._"
    )
    return "\n".join(out) + "\n"


def to_mermaid(cmap: CompositeMap) -> str:
    """A Mermaid ``journey`` diagram: one task per composite step, scored 1–5."""
    d = cmap.data
    lines = ["journey", f"    title Composite journey ({d['sessions']} interviews)"]
    per_section = 4
    for start in range(0, len(d["steps"]), per_section):
        lines.append(f"    section Steps {start + 1}-{min(start + per_section, len(d['steps']))}")
        for step in d["steps"][start : start + per_section]:
            mean = step["grade"]["mean"]
            score = 3 if mean is None else max(1, min(5, round(mean / 2.5) + 1))
            # Actors: the participant, and who delivers the step (front stage).
            actors = ["Customer"] + [
                for_mermaid(p["text"], 24).replace(",", " ") for p in step["front_stage"][:2]
            ]
            actors = list(dict.fromkeys(" ".join(a.split()) for a in actors if a.strip()))
            lines.append(f"      {for_mermaid(step['label'])}: {score}: {', '.join(actors)}")
    return "\n".join(lines) + "\n"
