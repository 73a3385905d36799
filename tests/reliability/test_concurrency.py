"""Several kiosks writing to one database file at once: every answer lands, no lock errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cjm_interview.store import Store

PROCESSES = int(os.environ.get("CJM_CONCURRENT_PROCESSES", "6"))
SESSIONS = int(os.environ.get("CJM_CONCURRENT_SESSIONS", "20"))


def interviews(worker: int) -> list[dict]:
    return [
        {
            "session": {"participant": f"W{worker}-S{n}", "kiosk": f"kiosk-{worker}"},
            "answers": {
                "consent": "yes",
                "steps": [
                    {"action": f"step {i} of W{worker}-S{n}", "grade": i % 11} for i in range(1, 6)
                ],
                "overall_grade": n % 11,
                "improvement": f"idea from W{worker}-S{n}",
            },
        }
        for n in range(SESSIONS)
    ]


def test_processes_write_one_file_at_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    Store(db).close()  # created once, as a kiosk operator would
    procs = []
    for worker in range(PROCESSES):
        path = tmp_path / f"w{worker}.json"
        path.write_text(json.dumps(interviews(worker)))
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cjm_interview",
                    "import",
                    "--script",
                    "quick",
                    "--db",
                    str(db),
                    "-q",
                    str(path),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
        assert len(out.split()) == SESSIONS
    store = Store(db)
    assert store.integrity_check() == []
    rows = store.list_sessions()
    assert len(rows) == PROCESSES * SESSIONS
    assert {r["status"] for r in rows} == {"finished"}
    # consent + 5 x (action, channel probe, grade, more) + overall + improvement + thanks:
    # "step i" names no channel, so the lexicon tagger asks the probe, which the file
    # leaves out (stored as skipped).
    assert {r["answers"] for r in rows} == {1 + 5 * 4 + 3}
    ideas = {
        r[0]
        for r in store.conn.execute(
            "SELECT raw_text FROM answers WHERE question_id = 'improvement'"
        )
    }
    assert ideas == {f"idea from W{w}-S{n}" for w in range(PROCESSES) for n in range(SESSIONS)}
