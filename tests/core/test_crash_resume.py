"""A session killed half way (kill -9) resumes at the right question, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cjm_interview.domain import AnswerKey
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store

DRIVER = textwrap.dedent(
    """
    import sys
    from cjm_interview.domain import SessionInfo
    from cjm_interview.script import load_script
    from cjm_interview.session import InterviewSession
    from cjm_interview.store import Store

    store = Store(sys.argv[1])
    script = load_script(sys.argv[2])
    session = InterviewSession.start(store, script, SessionInfo(participant="crash"))
    print("SESSION", session.id, flush=True)
    for line in sys.stdin:
        prompt = session.current()
        result = session.submit(line.rstrip("\\n"))
        # Acknowledged only after the store committed the answer.
        print("ACK", prompt.key.question_id, prompt.key.iteration, flush=True)
    """
)

ANSWERS = [
    "yes",
    "moving house",
    "my landlord",
    "nurse",
    "buy a flat",
    "2",
    "internet on day one",
    "moved",
    "compared offers online",
    "web",
    "nobody",
    "which is cheapest",
    "curious",
    "7",
    "no",
    "yes",
    "called them",
    "phone",
    "agent",
    "why so slow",
    "annoyed",
    "3",
    "faster",
    "yes",
    "no",
]


@pytest.mark.parametrize("kill_after", [1, 9, 17, 24])
def test_kill_9_then_resume(tmp_path: Path, customer_script, kill_after: int) -> None:
    db = tmp_path / "crash.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(db), customer_script.path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert proc.stdin and proc.stdout
    session_id = proc.stdout.readline().split()[1]
    acked: list[AnswerKey] = []
    for raw in ANSWERS[:kill_after]:
        proc.stdin.write(raw + "\n")
        proc.stdin.flush()
        _, qid, iteration = proc.stdout.readline().split()
        acked.append(AnswerKey(qid, int(iteration)))
    # One more answer in flight when the process dies.
    proc.stdin.write(ANSWERS[kill_after] + "\n")
    proc.stdin.flush()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    store = Store(db)
    assert store.integrity_check() == []
    resumed = InterviewSession.resume(store, session_id, customer_script)
    stored = set(resumed.engine.answers)
    assert set(acked) <= stored
    assert len(stored - set(acked)) <= 1  # at most the answer in flight
    # Carry on from where the store says: the rest of the answers fit exactly.
    for raw in ANSWERS[len(stored) :]:
        assert resumed.current() is not None
        resumed.submit(raw)
    assert resumed.current().question.id == "review"
