"""The SQLite store: durability settings, history, audit, resume, erasure, bad files."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from cjm_interview.domain import AnswerKey, SessionInfo
from cjm_interview.engine import Accepted
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store, StoreError


def start(store: Store, script, **kw) -> InterviewSession:
    info = SessionInfo(participant="P1", segment="students", interviewer="ana", **kw)
    return InterviewSession.start(store, script, info)


def test_database_is_wal_with_durable_commits(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_each_answer_is_visible_to_another_connection_at_once(
    store: Store, customer_script
) -> None:
    session = start(store, customer_script)
    session.submit("yes")
    other = sqlite3.connect(store.path)
    rows = other.execute("SELECT question_id, value_json FROM answers").fetchall()
    assert rows == [("consent", "true")]
    assert other.execute("SELECT consent FROM sessions").fetchone()[0] == 1


def test_revisions_keep_history_and_audit(store: Store, customer_script) -> None:
    session = start(store, customer_script)
    session.submit("yes")
    session.submit("first")
    session.back()
    session.submit("second")
    rows = store.conn.execute(
        "SELECT raw_text, revision, is_current FROM answers WHERE question_id = 'service' "
        "ORDER BY revision"
    ).fetchall()
    assert rows == [("first", 1, 0), ("second", 2, 1)]
    audit = store.conn.execute(
        "SELECT action, actor, old_value, new_value FROM audit_log WHERE question_id = 'service'"
    ).fetchall()
    assert audit == [
        ("answer", "ana", None, '"first"'),
        ("answer.revise", "ana", '"first"', '"second"'),
    ]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE audit_log SET actor = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM audit_log")
    store.conn.rollback()


def test_resume_continues_where_it_stopped(store: Store, customer_script) -> None:
    session = start(store, customer_script)
    for raw in ["yes", "a service", "", "me", "", "2", "an outcome", "", "looked online", "web"]:
        assert isinstance(session.submit(raw), Accepted)
    expected = session.current().key
    resumed = InterviewSession.resume(Store(store.path), session.id, customer_script)
    assert resumed.current().key == expected == AnswerKey("actor", 1)
    assert resumed.engine.answers == session.engine.answers


def test_resume_uses_the_script_copy_when_the_file_changed(
    tmp_path: Path, store: Store, customer_script
) -> None:
    copy = tmp_path / "customer.yaml"
    copy.write_bytes(Path(customer_script.path).read_bytes())
    from cjm_interview.script import load_script

    original = load_script(copy)
    session = start(store, original)
    session.submit("yes")
    text = copy.read_text()
    copy.write_text(text.replace(f'version: "{original.version}"', 'version: "99.0"'))
    changed = load_script(copy)
    assert changed.version == "99.0"
    resumed = InterviewSession.resume(store, session.id, changed)
    assert resumed.script.version == original.version
    assert resumed.current().question.id == "service"


def test_tags_and_corrections(store: Store, customer_script, fake_tagger) -> None:
    info = SessionInfo(participant="P1")
    session = InterviewSession.start(store, customer_script, info, tagger=fake_tagger)
    session.submit("yes")
    session.submit("I called the helpline and it was awful")
    answer_id = store.answer_id(session.id, AnswerKey("service"))
    tags = {(t["kind"], t["label"]) for t in store.tags_of(answer_id)}
    assert ("touchpoint", "phone") in tags and ("sentiment", "negative") in tags
    sentiment = next(t for t in store.tags_of(answer_id) if t["kind"] == "sentiment")
    store.decide_tag(sentiment["id"], "corrected", "ana", label="neutral")
    phone = next(t for t in store.tags_of(answer_id) if t["label"] == "phone")
    store.decide_tag(phone["id"], "accepted", "ana")
    now = {(t["kind"], t["label"], t["status"]) for t in store.tags_of(answer_id)}
    assert ("sentiment", "neutral", "added") in now
    assert ("sentiment", "negative", "corrected") not in now
    assert ("touchpoint", "phone", "accepted") in now
    everything = store.tags_of(answer_id, include_removed=True)
    assert any(t["status"] == "corrected" and t["decided_by"] == "ana" for t in everything)
    # Reloaded answers carry the corrected tags, not the wrong suggestion.
    loaded = {a.key: a for a in store.load_answers(session.id)}
    labels = {t.label for t in loaded[AnswerKey("service")].tags if t.kind == "sentiment"}
    assert labels == {"neutral"}
    assert session.engine.answers[AnswerKey("service")].tags is not None
    assert store.conn.execute("SELECT tagger FROM sessions").fetchone()[0] == "fake 1"


def _predicted_grade(store: Store, customer_script, tagger) -> tuple[InterviewSession, int, dict]:
    """A session whose first free answer has a predicted grade: (session, answer id, tag)."""
    session = InterviewSession.start(
        store, customer_script, SessionInfo(participant="P1"), tagger=tagger
    )
    session.submit("yes")
    session.submit("I called the helpline and it was awful")
    answer_id = store.answer_id(session.id, AnswerKey("service"))
    assert answer_id is not None
    grade = next(t for t in store.tags_of(answer_id) if t["kind"] == "grade")
    return session, answer_id, grade


def test_a_predicted_grade_is_corrected_by_its_number(
    store: Store, customer_script, fake_tagger
) -> None:
    from cjm_interview.store.db import StoreError

    session, answer_id, grade = _predicted_grade(store, customer_script, fake_tagger)
    with pytest.raises(StoreError, match="by its number"):
        store.decide_tag(grade["id"], "corrected", "ana", label="3")
    store.decide_tag(grade["id"], "corrected", "ana", label="grade", score=3.5)
    now = [(t["label"], t["score"], t["status"]) for t in store.tags_of(answer_id)]
    assert ("grade", 3.5, "added") in now and ("grade", grade["score"], "suggested") not in now
    # What the map and the exports read: the person's grade.
    loaded = {a.key: a for a in store.load_answers(session.id)}
    scores = [t.score for t in loaded[AnswerKey("service")].tags if t.kind == "grade"]
    assert scores == [3.5]


def test_the_audit_log_tells_a_grade_by_its_number(
    store: Store, customer_script, fake_tagger
) -> None:
    """Removing, restoring and accepting a grade log the number, not "grade:grade"; an undo
    brings back an accepted grade as accepted, also after a removal logged the old way."""
    session, answer_id, grade = _predicted_grade(store, customer_script, fake_tagger)
    number = f"grade:{grade['score']:g}"
    for status in ("accepted", "removed", "restored"):
        store.decide_tag(grade["id"], status, "ana")
    logged = store.conn.execute(
        "SELECT action, old_value, new_value FROM audit_log WHERE action LIKE 'tag.%' ORDER BY id"
    ).fetchall()
    assert logged == [
        ("tag.accepted", number, number),
        ("tag.removed", f"{number} (accepted)", number),
        ("tag.restored", number, number),
    ]
    assert [t["status"] for t in store.tags_of(answer_id) if t["kind"] == "grade"] == ["accepted"]
    # A removal logged as "grade:grade" by an earlier release is still found by the undo.
    with store.conn:
        store.conn.execute("UPDATE tags SET status = 'removed' WHERE id = ?", (grade["id"],))
        store._audit(
            store.conn, session.id, "ana", "tag.removed", "service", 0,
            "grade:grade (accepted)", "grade:grade",
        )  # fmt: skip
    store.decide_tag(grade["id"], "restored", "ana")
    assert [t["status"] for t in store.tags_of(answer_id) if t["kind"] == "grade"] == ["accepted"]


def test_session_status_and_listing(store: Store, customer_script) -> None:
    session = start(store, customer_script)
    session.submit("no")
    session.submit("")
    rows = store.list_sessions()
    assert rows[0]["status"] == "finished" and rows[0]["answers"] == 2
    assert store.unfinished_sessions() == []
    other = start(store, customer_script)
    other.end("ended_early")
    assert store.session(other.id)["status"] == "ended_early"
    assert store.resolve_session_id(other.id[:8]) == other.id


def test_delete_session_erases_everything(store: Store, customer_script, fake_tagger) -> None:
    keep = start(store, customer_script)
    keep.submit("yes")
    gone = InterviewSession.start(
        store, customer_script, SessionInfo(participant="P2"), fake_tagger
    )
    gone.submit("yes")
    gone.submit("secret-word-xyzzy on the website")
    store.add_note(gone.id, "note about xyzzy", "ana")
    counts = store.delete_session(gone.id)
    assert counts["answers"] == 2 and counts["notes"] == 1 and counts["tags"] > 0
    assert store.count_sessions() == 1
    for table in ("answers", "tags", "notes", "audit_log", "embeddings"):
        dump = json.dumps(store.conn.execute(f"SELECT * FROM {table}").fetchall())
        assert "xyzzy" not in dump, table
    left = store.conn.execute("SELECT count(*) FROM audit_log WHERE session_id = ?", (gone.id,))
    assert left.fetchone()[0] == 0
    store.close()
    assert b"xyzzy" not in Path(store.path).read_bytes()


def test_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer version"):
        Store(path)
    assert path.read_bytes() == before


def test_corrupted_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="damaged or not an interview database"):
        Store(path)


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="another program"):
        Store(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write read-only files")
def test_read_only_database(tmp_path: Path, customer_script) -> None:
    path = tmp_path / "ro.db"
    Store(path).close()
    path.chmod(0o444)
    store = Store(path)
    assert store.read_only
    with pytest.raises(StoreError, match="read-only"):
        start(store, customer_script)


def test_views_read_well(store: Store, customer_script) -> None:
    session = start(store, customer_script)
    for raw in [
        "yes",
        "a service",
        "",
        "",
        "",
        "",
        "outcome",
        "",
        "looked online",
        "web",
        "",
        "",
        "",
        "4",
        "",
        "yes",
        "no",
    ]:
        assert isinstance(session.submit(raw), Accepted)
    steps = store.conn.execute(
        "SELECT step, action, touchpoints, grade FROM journey_steps"
    ).fetchall()
    assert steps == [(1, "looked online", '["web"]', 4)]
    progress = store.conn.execute("SELECT answers, steps FROM session_progress").fetchone()
    assert progress == (17, 1)


def test_a_full_disk_when_opening_says_the_file_was_not_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "study.db"
    Store(path).close()

    def full(self: Store) -> None:  # WAL's -shm file cannot be made on a full disk
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "_prepare", full)
    with pytest.raises(StoreError) as caught:
        Store(path)
    # An export or a listing opens the file: no answer was being saved.
    assert (
        str(caught.value)
        == f"{path}: the disk is full or failing; the database could not be opened"
    )
    assert caught.value.hint == "Free some space, then try again; nothing in it was changed."


def test_a_full_disk_while_writing_says_the_last_change_was_not_saved(tmp_path: Path) -> None:
    store = Store(tmp_path / "study.db")
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's "disk is full"
    with pytest.raises(StoreError) as caught:
        store.write(lambda c: c.execute("CREATE TABLE filler (x)"))
    assert str(caught.value).endswith("the disk is full or failing; the last change was not saved")
    assert caught.value.hint == "Free some space; everything saved before it is safe."
    store.close()
