"""Readable terminal output of one session (``cjm sessions show``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cjm_interview.printable import clean_field


def print_session(detail: dict[str, Any], console: Console | None = None) -> None:
    """Print a session's facts, answers (with tags) and notes."""
    console = console or Console()
    head = Table.grid(padding=(0, 2))
    for field in (
        "id",
        "participant",
        "perspective",
        "segment",
        "persona",
        "status",
        "script_id",
        "script_version",
        "language",
        "interviewer",
        "kiosk",
        "tagger",
        "started_at",
        "finished_at",
    ):
        value = detail.get(field)
        if value not in (None, ""):
            head.add_row(Text(field, style="bold"), Text(clean_field(value)))
    console.print(head)
    table = Table(show_lines=False, expand=True)
    table.add_column("step", justify="right", width=4)
    table.add_column("question", no_wrap=True)
    table.add_column("answer", ratio=3)
    table.add_column("tags", ratio=2)
    for answer in detail["answers"]:
        if answer["question_id"].endswith("#order"):
            continue
        if answer["skipped"]:
            text = Text("skipped", style="dim")
        else:
            text = Text(clean_field(answer["raw_text"], one_line=False))
        if answer["revision"] > 1:
            text.append(f" (revision {answer['revision']})", style="dim")
        tags = ", ".join(
            f"{t['kind']}:{t['label']}" + (f" {t['score']:.1f}" if t["kind"] == "grade" else "")
            for t in answer["tags"]
        )
        table.add_row(
            str(answer["step"] or ""),
            Text(clean_field(answer["question_id"])),
            text,
            Text(clean_field(tags)),
        )
    console.print(table)
    for note in detail.get("notes", []):
        where = f" ({note['question_id']}, step {note['step']})" if note["question_id"] else ""
        line = Text(f"Note by {clean_field(note['author'] or '?')}{clean_field(where)}:", "italic")
        line.append(" " + clean_field(note["text"], one_line=False))
        console.print(line)
