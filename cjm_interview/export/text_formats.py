"""The composite map as JSON, Markdown and a Mermaid journey diagram."""

from __future__ import annotations

import json
from typing import Any

from cjm_interview.domain import people, theirs
from cjm_interview.export.escape import for_markdown, for_mermaid
from cjm_interview.map import CompositeMap
from cjm_interview.map.summary import COMMON_PATHS, overall_predicted


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
    """A readable report; every value from the data is escaped (it may come from a file)."""
    d = cmap.data
    md = for_markdown
    primary = d["primary_perspective"]
    whose = md(theirs(primary))
    overall = f"{whose} overall grade {_fmt(d['overall_grade']['mean'])}/10 "
    overall += f"(n={d['overall_grade']['n']})"
    if not d["overall_grade"]["n"] and (predicted := overall_predicted(d["steps"])):
        # As the HTML: no grade given, so the mean of the tagger's grades, said to be that.
        overall = (
            f"{whose} grade, predicted: {_fmt(predicted['mean'])}/10 (no grade given: the "
            f"mean of the tagger's {predicted['n']} grades of the steps)"
        )
    out = [
        "# Composite customer journey map",
        "",
        f"{_count(d['sessions'], 'interview')} — {md(d['filters_text'])}; perspectives: "
        + ", ".join(f"{md(k)} {v}" for k, v in sorted(d["perspectives"].items()))
        + f"; {overall}.",
        "",
        "## The journey",
        "",
        f"Figures of {md(people(primary))}. Grades marked * were not given: they are the tagger's "
        "prediction. n counts people (one who told a step twice counts once); cells marked "
        "(thin) hold fewer than 3.",
        "",
        "| # | Stage | Step | Reached | Grade (mean ± sd, n) | Curve | Channels "
        "| Moment of truth |",
        "|---|---|---|---|---|---|---|---|",
    ]
    stages = {s["key"]: s["label"] for s in d["stages"]}
    for i, step in enumerate(d["steps"], 1):
        g, c = step["grade"], step["curve"]
        channels = ", ".join(
            f"{md(t.get('name', t['label']))} ({t['count']})" for t in step["touchpoints"][:4]
        )
        mot = step["moment_of_truth_share"]
        mean = _fmt(c["mean"]) + ("\\*" if c["source"] == "predicted" else "")
        thin = " (thin)" if c["thin"] else ""
        out.append(
            f"| {i} | {md(stages.get(step['stage'], ''))} | {md(step['label'])} | "
            f"{step['participants']} ({step['share']:.0%}) | {mean} ± {_fmt(g['sd'])}, "
            f"n={c['n']}{thin} | `{_bar(c['mean'])}` | {channels or '–'} | "
            f"{'–' if mot is None else f'{mot:.0%}'} |"
        )
    out += ["", "## Steps in detail", ""]
    labels = {s["key"]: s["label"] for s in d["steps"]}
    for i, step in enumerate(d["steps"], 1):
        out.append(f"### {i}. {md(step['label'])}")
        out.append("")
        facts = [
            f"- **Stage**: {md(stages.get(step['stage'], '–'))}",
            f"- **Reached by** {step['participants']} {md(people(primary, step['participants']))} "
            f"({step['share']:.0%})",
            f"- **Grade**: mean {_fmt(step['grade']['mean'])}, "
            f"median {_fmt(step['grade']['median'])},"
            f" middle half (IQR) {_fmt(step['grade']['q1'])}–{_fmt(step['grade']['q3'])}, "
            f"n={step['grade']['n']}",
        ]
        for perspective, dist in sorted(step["by_perspective"].items()):
            if perspective != d["primary_perspective"]:
                facts.append(f"- **{md(perspective)}**: mean {_fmt(dist['mean'])}, n={dist['n']}")
        if step["emotions"]:
            facts.append(
                "- **Emotions**: "
                + ", ".join(f"{md(e['label'])} ({e['count']})" for e in step["emotions"])
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
                    + "; ".join(f"{md(p['text'])} ({p['count']})" for p in step[key][:4])
                )
        flow = step.get("flow")
        if flow:
            total = sum(n["count"] for n in flow["next"]) + flow["ends_here"] or 1
            then = [f"{md(labels[n['key']])} ({n['count'] / total:.0%})" for n in flow["next"][:3]]
            if flow["ends_here"]:
                then.append(f"the journey ends ({flow['ends_here'] / total:.0%})")
            if flow["loops_back"]:
                back = flow["loops_back"]
                went = "journey goes" if back == 1 else "journeys go"
                then.append(f"{back} {went} back to an earlier step")
            facts.append("- **Then**: " + "; ".join(then))
        out += facts
        out.append("")
        for quote in step["quotes"][:2]:
            out.append(
                f"> {md(quote['text'])} — session {md(quote['session_id'][:8])}, "
                f"step {quote['step']}"
            )
            out.append("")
    if d["perspective_gap"]:
        out += [
            "## Perspective gap (staff estimate − customers' grade)",
            "",
            "The largest gaps first; (thin): fewer than 3 grades on one side, listed last.",
            "",
            "| Step | Customers (n) | Staff (n) | Gap |",
            "|---|---|---|---|",
        ]
        for gap in d["perspective_gap"]:
            out.append(
                f"| {md(gap['label'])} | {_fmt(gap['customer_mean'])} ({gap['customer_n']}) | "
                f"{_fmt(gap['staff_mean'])} ({gap['staff_n']}) | {gap['gap']:+.1f}"
                f"{' (thin)' if gap['thin'] else ''} |"
            )
        out.append("")
    for title, key in (
        ("Desired outcomes", "outcomes"),
        ("Pain points", "pain_points"),
        ("Improvement ideas", "improvements"),
        ("The ideal journey", "ideal_journeys"),
    ):
        if d[key]:
            out += [f"## {title}", ""]
            for theme in d[key]:
                out.append(f"- **{md(theme['label'])}** ({theme['count']})")
                out += [f"  - {md(m['text'])} ({m['count']})" for m in theme["members"]]
            out.append("")
    out += ["## Common paths", ""]
    if len(d["paths"]) > COMMON_PATHS:
        out += [f"The {COMMON_PATHS} most common of {len(d['paths'])} moves.", ""]
    out += ["| From | To | Journeys |", "|---|---|---|"]
    for path in d["paths"][:COMMON_PATHS]:
        out.append(
            f"| {md(labels.get(path['from'], path['from']))} | "
            f"{md(labels.get(path['to'], path['to']))} | {path['count']} |"
        )
    out.append("")
    a = d["alignment"]
    out.append(
        f"_Steps aligned from {a['steps_told']} steps told, by {md(a['representation'])} "
        f"similarity (threshold {a['threshold']})._"
    )
    return "\n".join(out) + "\n"


def mermaid_score(mean: float | None) -> int:
    """A grade 0–10 as a Mermaid journey score 1–5, on the map's colour bands: below 4.5 a
    sad face (1–2), up to 6.5 a neutral one (3), above a happy one (4–5)."""
    if mean is None:
        return 3
    return 1 if mean < 2.5 else 2 if mean < 4.5 else 3 if mean <= 6.5 else 4 if mean < 8.5 else 5


def mermaid_task(step: dict[str, Any]) -> str:
    """A step's task name: its label and what its face rests on, since a diagram shows only
    faces ("Called the helpline (n=12)", "... (n=2, predicted)", "... (no grade)": a step
    with no grade at all gets a neutral face)."""
    curve = step["curve"]
    basis = (
        "no grade"
        if curve["mean"] is None
        else f"n={curve['n']}" + (", predicted" if curve["source"] == "predicted" else "")
    )
    label = " ".join(str(step["label"]).split())[:60]  # cut the label, never the basis
    return for_mermaid(f"{label} ({basis})", 90)


def _words_within(text: str, limit: int) -> str:
    """``text`` cut to whole words within ``limit`` characters ("a friendly adviser at
    th" was an actor), with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip() + "…"


def to_mermaid(cmap: CompositeMap) -> str:
    """A Mermaid ``journey`` diagram: a section per stage, a task per step, scored 1–5."""
    d = cmap.data
    stages = {s["key"]: s["label"] for s in d["stages"]}
    lines = ["journey", f"    title Composite journey ({_count(d['sessions'], 'interview')})"]
    current = None
    for step in d["steps"]:
        if step["stage"] != current or current is None:
            current = step["stage"]
            lines.append(f"    section {for_mermaid(stages.get(current) or 'Journey')}")
        # Actors: the participant, and who delivers the step (front stage).
        actors = ["Customer"] + [
            _words_within(for_mermaid(p["text"], 60).replace(",", " "), 24)
            for p in step["front_stage"][:2]
        ]
        actors = list(dict.fromkeys(" ".join(a.split()) for a in actors if a.strip()))
        score = mermaid_score(step["curve"]["mean"])
        lines.append(f"      {mermaid_task(step)}: {score}: {', '.join(actors)}")
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    """ "1 interview", "2 interviews"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
