"""Fuzzing merge with device files changed at random: schema edits, odd rows, damaged bytes.

A merge either takes the file and leaves a sound study built by the
migrations, or refuses it in one line and leaves no output behind.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjm_interview.errors import CjmError
from cjm_interview.importer import import_file
from cjm_interview.merge import merge_databases
from cjm_interview.store import Store
from cjm_interview.store.check import read_schema, reference_schema

from ..conftest import PROMPTS

MUTATIONS = [
    "DROP TRIGGER audit_log_no_update",
    "DROP TRIGGER audit_log_no_delete",
    "DROP INDEX idx_tags_answer_id",
    "DROP VIEW journey_steps",
    "DROP TABLE embeddings",
    "DROP TABLE erased_sessions",
    "CREATE TABLE extra (x)",
    "CREATE VIEW extra_view AS SELECT 1",
    "CREATE INDEX extra_index ON notes (text)",
    "CREATE TRIGGER extra_trigger AFTER INSERT ON notes BEGIN SELECT 1; END",
    "ALTER TABLE notes ADD COLUMN extra TEXT",
    "ALTER TABLE sessions RENAME COLUMN segment TO segment2",
    "PRAGMA user_version = 99",
    "PRAGMA user_version = 2",
    "PRAGMA application_id = 7",
    "UPDATE sessions SET updated_at = NULL",
    "UPDATE sessions SET participant = x'00ff1b5d'",
    "UPDATE answers SET value_json = '{not json'",
    "UPDATE answers SET step = 'many'",
    "UPDATE answers SET raw_text = x'ff00fe' WHERE maps_to = 'step.action'",
    "UPDATE answers SET value_json = '1e308' WHERE maps_to = 'step.grade'",
    f"UPDATE answers SET value_json = '{'[' * 3000}{']' * 3000}' WHERE step > 0",
    "INSERT INTO erased_sessions VALUES ((SELECT id FROM sessions LIMIT 1), 'now')",
    "DELETE FROM scripts",
    "UPDATE scripts SET source = 'a: &a [*a]'",
    "DELETE FROM _sqlite_migrations",
]


@pytest.fixture(scope="module")
def device(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("device") / "device.db"
    result = import_file(
        PROMPTS / "examples" / "customer_interview.json", db_path=path, progress=False
    )
    assert not result.errors
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(MUTATIONS), max_size=3),
    st.none() | st.tuples(st.integers(0, 60_000), st.binary(min_size=1, max_size=16)),
)
def test_fuzz_merge_of_a_changed_file(tmp_path_factory, device: Path, changes, damage) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    source = folder / "in.db"
    shutil.copy(device, source)
    conn = sqlite3.connect(source, isolation_level=None)
    for statement in changes:
        with contextlib.suppress(sqlite3.Error):  # a change the earlier ones made impossible
            conn.execute(statement)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    if damage is not None:
        offset, noise = damage
        with open(source, "r+b") as handle:
            handle.seek(min(offset, source.stat().st_size - 1))
            handle.write(noise)
    out = folder / "study.db"
    try:
        merge_databases(out, [source])
    except CjmError as exc:
        assert "\n" not in str(exc)
        assert not out.exists()
        return
    with Store(out, check_schema=True) as study:
        assert study.integrity_check() == []
    with sqlite3.connect(out) as merged:
        assert read_schema(merged) == reference_schema()
