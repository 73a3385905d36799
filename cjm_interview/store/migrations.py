"""The database schema, as ordered migrations (sqlite-utils ``Migrations``).

Never edit a migration that has shipped: add the next one. ``SCHEMA_VERSION``
is written to ``PRAGMA user_version`` so an older release can recognise a
database created by a newer one and refuse to touch it.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from cjm_interview.store.schema import APPLICATION_ID, SCHEMA_VERSION

migrations = Migrations("cjm_interview")


@migrations()
def m001_core(db: Database) -> None:
    """Sessions, answers with their revisions, tags, notes, scripts, audit log."""
    db.table("scripts").create(
        {
            "sha256": str,
            "script_id": str,
            "version": str,
            "title": str,
            "perspective": str,
            "path": str,
            "source": str,
            "first_seen_at": str,
        },
        pk="sha256",
        not_null={"script_id", "version", "source"},
    )
    db.table("sessions").create(
        {
            "id": str,
            "script_id": str,
            "script_version": str,
            "script_sha256": str,
            "perspective": str,
            "participant": str,
            "segment": str,
            "persona": str,
            "language": str,
            "interviewer": str,
            "kiosk": str,
            "device": str,
            "status": str,
            "consent": int,
            "tagger": str,
            "started_at": str,
            "updated_at": str,
            "finished_at": str,
        },
        pk="id",
        not_null={"script_id", "script_version", "perspective", "status", "started_at"},
        defaults={"status": "in_progress", "language": "en", "perspective": "customer"},
        foreign_keys=[("script_sha256", "scripts", "sha256")],
    )
    db.table("sessions").create_index(["status"])
    db.table("sessions").create_index(["segment"])
    db.table("answers").create(
        {
            "id": int,
            "session_id": str,
            "question_id": str,
            "section_id": str,
            "maps_to": str,
            "step": int,
            "revision": int,
            "is_current": int,
            "raw_text": str,
            "value_json": str,
            "skipped": int,
            "answered_at": str,
            "answered_by": str,
        },
        pk="id",
        not_null={"session_id", "question_id", "step", "revision", "is_current", "answered_at"},
        defaults={"step": 0, "revision": 1, "is_current": 1, "skipped": 0},
        foreign_keys=[("session_id", "sessions", "id")],
    )
    db.table("answers").create_index(["session_id", "question_id", "step", "revision"], unique=True)
    db.table("answers").create_index(["session_id", "is_current"])
    db.table("answers").create_index(["maps_to"])
    db.table("tags").create(
        {
            "id": int,
            "answer_id": int,
            "kind": str,
            "label": str,
            "score": float,
            "source": str,
            "source_version": str,
            "status": str,
            "decided_by": str,
            "decided_at": str,
            "created_at": str,
        },
        pk="id",
        not_null={"answer_id", "kind", "label", "status"},
        defaults={"status": "suggested"},
        foreign_keys=[("answer_id", "answers", "id")],
    )
    db.table("tags").create_index(["answer_id"])
    db.table("tags").create_index(["kind", "label"])
    db.table("embeddings").create(
        {"answer_id": int, "model": str, "dim": int, "vector": bytes, "created_at": str},
        pk=("answer_id", "model"),
        foreign_keys=[("answer_id", "answers", "id")],
    )
    db.table("notes").create(
        {
            "id": int,
            "session_id": str,
            "question_id": str,
            "step": int,
            "text": str,
            "author": str,
            "created_at": str,
        },
        pk="id",
        not_null={"session_id", "text", "created_at"},
        foreign_keys=[("session_id", "sessions", "id")],
    )
    db.table("notes").create_index(["session_id"])
    db.table("audit_log").create(
        {
            "id": int,
            "session_id": str,
            "at": str,
            "actor": str,
            "action": str,
            "question_id": str,
            "step": int,
            "old_value": str,
            "new_value": str,
        },
        pk="id",
        not_null={"at", "action"},
    )
    db.table("audit_log").create_index(["session_id"])
    db.table("erasure_in_progress").create({"session_id": str}, pk="session_id")
    # Append-only: the log can grow, never be rewritten (erasure of a whole
    # session is the one exception, done by dropping and restoring triggers).
    db.execute(
        """
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        WHEN (SELECT count(*) FROM erasure_in_progress) = 0
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
        """
    )


@migrations()
def m002_views(db: Database) -> None:
    """Views for reading the study in Datasette or any SQLite client."""
    _views(db, "a.is_current = 1")


def _views(db: Database, current: str) -> None:
    """The reading views, over the answers that ``current`` (an SQL condition on ``a``) keeps."""
    db.create_view(
        "current_answers",
        f"""
        SELECT a.id AS answer_id, a.session_id, s.participant, s.perspective, s.segment,
               s.persona, a.section_id, a.question_id, a.step, a.maps_to, a.raw_text,
               a.value_json, a.skipped, a.revision, a.answered_at
        FROM answers a JOIN sessions s ON s.id = a.session_id
        WHERE {current} AND a.question_id NOT LIKE '%#order'
        """,
    )
    db.create_view(
        "answer_tags",
        f"""
        SELECT a.session_id, a.question_id, a.step, t.kind, t.label, t.score, t.source,
               t.source_version, t.status, t.decided_by, a.raw_text
        FROM tags t JOIN answers a ON a.id = t.answer_id
        WHERE {current} AND t.status != 'removed'
        """,
    )
    db.create_view(
        "journey_steps",
        f"""
        SELECT a.session_id, s.participant, s.perspective, s.segment, a.step,
          max(CASE WHEN a.maps_to = 'step.action' THEN a.raw_text END) AS action,
          max(CASE WHEN a.maps_to = 'step.touchpoints' THEN a.value_json END) AS touchpoints,
          max(CASE WHEN a.maps_to = 'step.actor' THEN a.raw_text END) AS front_stage,
          max(CASE WHEN a.maps_to = 'step.backstage' THEN a.raw_text END) AS back_stage,
          max(CASE WHEN a.maps_to = 'step.thoughts' THEN a.raw_text END) AS thoughts,
          max(CASE WHEN a.maps_to = 'step.feelings' THEN a.raw_text END) AS feelings,
          max(CASE WHEN a.maps_to = 'step.grade' THEN CAST(a.value_json AS INTEGER) END) AS grade,
          max(CASE WHEN a.maps_to = 'step.moment_of_truth' THEN a.value_json END)
            AS moment_of_truth
        FROM answers a JOIN sessions s ON s.id = a.session_id
        WHERE {current} AND a.step > 0
        GROUP BY a.session_id, a.step
        """,
    )
    db.create_view(
        "session_progress",
        f"""
        SELECT s.id AS session_id, s.participant, s.perspective, s.segment, s.status,
               s.started_at, s.updated_at, s.finished_at,
               count(a.id) AS answers,
               sum(a.skipped) AS skipped,
               count(DISTINCT CASE WHEN a.step > 0 THEN a.step END) AS steps
        FROM sessions s LEFT JOIN answers a ON a.session_id = s.id AND {current}
             AND a.question_id NOT LIKE '%#order'
        GROUP BY s.id
        """,
    )


@migrations()
def m003_provenance_and_step_groups(db: Database) -> None:
    """Where merged sessions came from; researchers' edits of the composite step groups."""
    db.table("session_sources").create(
        {"session_id": str, "source_file": str, "device": str, "merged_at": str},
        pk=("session_id", "source_file"),
        foreign_keys=[("session_id", "sessions", "id")],
    )
    db.table("step_group_edits").create(
        {
            "id": int,
            "action": str,  # rename | merge | split
            "group_key": str,
            "target_key": str,
            "label": str,
            "pattern": str,
            "created_at": str,
            "author": str,
        },
        pk="id",
        not_null={"action", "group_key", "created_at"},
    )


@migrations()
def m004_step_group_anchors(db: Database) -> None:
    """The phrasings a step-group edit was made on, so it finds its group when keys change."""
    db.table("step_group_edits").add_column("anchor", str)  # JSON list of phrasings
    db.table("step_group_edits").add_column("target_anchor", str)


@migrations()
def m005_answers_off_path(db: Database) -> None:
    """Answers that later answers made inapplicable (consent withdrawn, a branch no longer
    taken) are kept, flagged ``applies = 0``, and left out of the views and the maps."""
    db.table("answers").add_column("applies", int, not_null_default=1)
    for view in ("current_answers", "answer_tags", "journey_steps", "session_progress"):
        db.execute(f"DROP VIEW IF EXISTS {view}")
    _views(db, "a.is_current = 1 AND a.applies = 1")


@migrations()
def m006_text_vectors(db: Database) -> None:
    """Sentence vectors of texts that are not answers (a script's stage names and
    descriptions), cached so that a map loads the encoder for them once."""
    db.table("text_vectors").create(
        {"sha256": str, "model": str, "dim": int, "vector": bytes, "created_at": str},
        pk=("sha256", "model"),
    )


@migrations()
def m007_erased_sessions(db: Database) -> None:
    """Tombstones of erased sessions (the uuid and when, nothing else): they travel with
    merges and keep an erased participant from coming back with a device's copy."""
    db.table("erased_sessions").create(
        {"session_id": str, "erased_at": str}, pk="session_id", not_null={"erased_at"}
    )


if len(migrations._migrations) != SCHEMA_VERSION:
    raise AssertionError("store/schema.py SCHEMA_VERSION must equal the number of migrations")
__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "migrations"]
