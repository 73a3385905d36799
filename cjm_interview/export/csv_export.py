"""CSV tables for statistics tools: long (answers with tags), wide (sessions), tag matrix.

- ``OUT``: one row per current answer, with its tags, its step's position in
  the journey the participant confirmed and the composite step it was put in;
- ``OUT-wide.csv``: one row per session, one column per question (per step
  iteration), then the grade the session gave each composite step;
- ``OUT-tags.csv``: a 0/1 matrix, one row per tagged answer, one column per
  tag (``kind:label``);
- ``OUT-themes.csv``: every answer of the map's themes (outcomes, improvements,
  ideal journeys, pain points), one row each, with its theme.

The sessions are the map's own (finished, consenting, filtered alike), so the
tables and the map agree.

Every text cell goes through ``for_csv``, so spreadsheets never run it.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

from cjm_interview.export.escape import for_csv
from cjm_interview.map import CompositeMap, Filters, session_where
from cjm_interview.store import Store
from cjm_interview.taxonomy import default_taxonomy


def _question_order(store: Store) -> dict[str, int]:
    """Each question's place in the scripts the study's sessions ran, the most used first
    (a question only a later script asks comes after the first's)."""
    from cjm_interview.errors import CjmError
    from cjm_interview.session import stored_script

    order: dict[str, int] = {}
    for (sha,) in store.conn.execute(
        "SELECT script_sha256 FROM sessions WHERE script_sha256 IS NOT NULL "
        "GROUP BY script_sha256 ORDER BY count(*) DESC, script_sha256"
    ).fetchall():
        try:
            script = stored_script(store, sha)
        except CjmError:
            continue  # its questions go by their first answer
        for section in script.sections:
            for question in section.questions:
                order.setdefault(question.id, len(order))
    return order


def csv_siblings(out: Path) -> tuple[Path, Path, Path]:
    """The files written beside OUT: OUT-wide.csv, OUT-tags.csv and OUT-themes.csv."""
    wide, tags, themes = (
        out.with_name(f"{out.stem}-{kind}.csv") for kind in ("wide", "tags", "themes")
    )
    return wide, tags, themes


def write_csv(
    store: Store,
    filters: Filters,
    out: Path,
    redact: tuple[str, ...] = (),
    cmap: CompositeMap | None = None,
) -> list[Path]:
    """Write OUT (long), OUT-wide.csv, OUT-tags.csv and OUT-themes.csv; returns the paths."""
    from cjm_interview.privacy import redact as redact_text

    def private(text: str | None) -> str | None:
        return redact_text(text, redact) if (redact and text) else text

    where, args = session_where(filters)
    conn = store.conn
    rows = conn.execute(
        "SELECT a.id, a.session_id, s.participant, s.perspective, s.segment, s.persona, "
        "a.section_id, a.question_id, a.step, a.maps_to, a.raw_text, a.value_json, a.skipped, "
        f"a.revision, a.answered_at FROM answers a JOIN sessions s ON s.id = a.session_id{where}"
        f"{' AND' if where else ' WHERE'} a.is_current = 1 AND a.applies = 1 "
        "AND a.question_id NOT LIKE '%#order' "
        "ORDER BY s.started_at, a.session_id, a.id",
        args,
    ).fetchall()
    tags: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    for answer_id, kind, label, score in conn.execute(
        "SELECT t.answer_id, t.kind, t.label, t.score FROM tags t JOIN answers a ON "
        "a.id = t.answer_id WHERE a.is_current = 1 AND a.applies = 1 "
        "AND t.status NOT IN ('removed', 'corrected')"
    ):
        tags[answer_id].append((kind, label, score))
    long_path = out
    wide_path, matrix_path, themes_path = csv_siblings(out)
    header = [
        "answer_id",
        "session_id",
        "participant",
        "perspective",
        "segment",
        "persona",
        "section_id",
        "question_id",
        "step",
        "maps_to",
        "answer",
        "value",
        "skipped",
        "revision",
        "answered_at",
        "sentiment",
        "predicted_grade",
        "touchpoints",
        "emotions",
        "position",
        "composite_step",
        "stage",
    ]
    placed = cmap.placed if cmap is not None else {}
    stage_of = {s["key"]: s["stage"] for s in cmap.data["steps"]} if cmap is not None else {}
    composite_keys = [step["key"] for step in cmap.data["steps"]] if cmap is not None else []
    step_grades: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    wide: dict[str, dict[str, object]] = {}
    columns: list[str] = []
    asked = _question_order(store)  # each question where its script asks it
    placing: dict[str, tuple[str, int]] = {}  # each column's question and step
    tax = default_taxonomy()
    labels = [f"touchpoint:{t}" for t in tax.touchpoint_ids] + [
        f"emotion:{e}" for e in tax.emotion_ids
    ]
    labels += ["sentiment:negative", "sentiment:neutral", "sentiment:positive"]
    # Labels researchers added that the taxonomy does not know get their own columns.
    known = set(labels)
    labels += sorted(
        {
            f"{kind}:{label}"
            for found in tags.values()
            for kind, label, _ in found
            if kind != "grade"
        }
        - known
    )
    with (
        long_path.open("w", newline="", encoding="utf-8") as f_long,
        matrix_path.open("w", newline="", encoding="utf-8") as f_matrix,
    ):
        writer = csv.writer(f_long)
        matrix = csv.writer(f_matrix)
        writer.writerow(header)
        matrix.writerow(["answer_id", "session_id", "question_id", "step", *labels])
        for row in rows:
            # Ids and positions are copied as they are; whatever a person wrote may be redacted.
            answer_id, session_id, perspective = row[0], row[1], row[3]
            participant, segment, persona = private(row[2]), private(row[4]), private(row[5])
            question_id, step, maps_to = row[7], row[8], row[9]
            raw, value_json = row[10], row[11]
            answer_tags = tags.get(answer_id, [])
            sentiment = next((label for kind, label, _ in answer_tags if kind == "sentiment"), "")
            grade = next((score for kind, _, score in answer_tags if kind == "grade"), "")
            touch = ";".join(label for kind, label, _ in answer_tags if kind == "touchpoint")
            emotions = ";".join(label for kind, label, _ in answer_tags if kind == "emotion")
            value = json.loads(value_json) if value_json else None
            shown_value = (
                ";".join(map(str, value))
                if isinstance(value, list)
                else json.dumps(value, ensure_ascii=False)  # a review: JSON, never a repr
                if isinstance(value, dict)
                else value
            )
            position, composite = placed.get((session_id, step), (None, "")) if step else (None, "")
            if composite and maps_to == "step.grade" and isinstance(value, int | float):
                step_grades[session_id][composite].append(float(value))
            if isinstance(shown_value, str):
                shown_value = private(shown_value)
            cells = (
                answer_id,
                session_id,
                participant,
                perspective,
                segment,
                persona,
                *row[6:10],
                private(raw),
                shown_value,
                *row[12:],
                sentiment,
                grade,
                touch,
                emotions,
                "" if position is None else position + 1,
                composite,
                stage_of.get(composite, ""),
            )
            writer.writerow([for_csv(v) for v in cells])
            present = {f"{kind}:{label}" for kind, label, _ in answer_tags}
            if answer_tags:
                matrix.writerow(
                    [
                        answer_id,
                        session_id,
                        question_id,
                        step,
                        *[1 if name in present else 0 for name in labels],
                    ]
                )
            record = wide.setdefault(
                session_id,
                {
                    "session_id": session_id,
                    "participant": participant,
                    "perspective": perspective,
                    "segment": segment,
                    "persona": persona,
                },
            )
            column = question_id if not step else f"{question_id}_{step}"
            if column not in columns:
                columns.append(column)
                asked.setdefault(question_id, 100_000 + len(asked))  # by its first answer
                placing[column] = (question_id, step)
            record[column] = shown_value if not isinstance(shown_value, bool) else int(shown_value)
    # Step by step where the steps were asked, each step's questions in order: a step
    # revised in the journey's review was stored last, and its column came after the rest.
    steps_at = min((asked[q] for q, step in placing.values() if step), default=0)
    columns.sort(
        key=lambda c: (
            (steps_at, placing[c][1], asked[placing[c][0]])
            if placing[c][1]
            else (asked[placing[c][0]], 0, 0)
        )
    )
    with wide_path.open("w", newline="", encoding="utf-8") as f_wide:
        fixed = ["session_id", "participant", "perspective", "segment", "persona"]
        grade_columns = [f"grade:{key}" for key in composite_keys]
        wide_writer = csv.DictWriter(f_wide, fieldnames=fixed + columns + grade_columns)
        wide_writer.writeheader()
        for session_id, record in wide.items():
            for key, grades in step_grades.get(session_id, {}).items():
                record[f"grade:{key}"] = round(sum(grades) / len(grades), 2)
            wide_writer.writerow({k: for_csv(v) for k, v in record.items()})
    with themes_path.open("w", newline="", encoding="utf-8") as f_themes:
        themes = csv.writer(f_themes)
        themes.writerow(["list", "theme", "theme_count", "text", "session_id", "answer_id"])
        for name in ("outcomes", "improvements", "ideal_journeys", "pain_points"):
            for theme in cmap.data.get(name, []) if cmap is not None else []:
                for member in theme["members"]:
                    for answer in member["answers"]:
                        themes.writerow(
                            [
                                for_csv(v)
                                for v in (
                                    name,
                                    private(theme["label"]),
                                    theme["count"],
                                    private(member["text"]),
                                    answer["session_id"],
                                    answer["answer_id"],
                                )
                            ]
                        )
    return [long_path, wide_path, matrix_path, themes_path]
