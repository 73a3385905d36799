"""The tagger against the people who checked its tags (``cjm model agreement``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cjm_interview.agreement import (
    TagRow,
    agreement,
    checked_answers,
    cohen_kappa,
    study_agreement,
)
from cjm_interview.cli import main
from cjm_interview.domain import AnswerKey, SessionInfo
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store


def tag(answer: int, kind: str, label: str, status: str = "suggested", score: float = 0.9):
    return TagRow(answer, kind, label, score, status == "added", status)


def test_figures_over_the_answers_a_person_checked() -> None:
    rows = [
        # 1: web removed, chat added, phone left; sentiment corrected; grade moved 2 points.
        tag(1, "touchpoint", "phone"),
        tag(1, "touchpoint", "web", "removed"),
        tag(1, "touchpoint", "chat", "added"),
        tag(1, "sentiment", "negative", "corrected"),
        tag(1, "sentiment", "neutral", "added"),
        tag(1, "grade", "grade", "corrected", score=5.5),
        tag(1, "grade", "grade", "added", score=3.5),
        # 2: everything accepted.
        tag(2, "touchpoint", "phone", "accepted"),
        tag(2, "sentiment", "positive", "accepted"),
        tag(2, "grade", "grade", "accepted", score=8.0),
        # 3: nobody looked: it says nothing.
        tag(3, "touchpoint", "email"),
        tag(3, "sentiment", "negative"),
        # 4: an emotion checked, the sentiment not.
        tag(4, "emotion", "anger", "removed"),
        tag(4, "emotion", "frustration"),
        tag(4, "sentiment", "neutral"),
    ]
    found = agreement(checked_answers(rows))
    touch = found.sets["touchpoint"]
    assert touch.answers == 2
    assert (touch.total.suggested, touch.total.kept, touch.total.added) == (3, 2, 1)
    assert touch.total.precision == pytest.approx(2 / 3)
    assert touch.total.recall == pytest.approx(2 / 3)
    assert (touch.labels["web"].precision, touch.labels["chat"].recall) == (0.0, 0.0)
    assert "email" not in touch.labels
    emotions = found.sets["emotion"]
    assert (emotions.answers, emotions.total.precision, emotions.total.recall) == (1, 0.5, 1.0)
    sentiment = found.sentiment
    assert (sentiment.answers, sentiment.same) == (2, 1)
    assert dict(sentiment.changes) == {("negative", "neutral"): 1}
    # Observed 1/2; by chance 1/4 (both said positive once in two).
    assert sentiment.kappa == pytest.approx(1 / 3)
    assert (found.grade.answers, found.grade.mean_change) == (2, 1.0)
    data = found.to_json()
    assert data["touchpoint"]["labels"]["chat"] == {
        "suggested": 0,
        "kept": 0,
        "added_by_people": 1,
        "precision": None,
        "recall": 0.0,
    }


def test_kappa_is_undefined_where_chance_explains_everything() -> None:
    assert cohen_kappa([]) is None and cohen_kappa([("a", "a")]) is None
    assert cohen_kappa([("a", "a"), ("a", "a")]) is None
    assert cohen_kappa([("a", "a"), ("b", "b")]) == 1.0
    assert cohen_kappa([("a", "b"), ("b", "a")]) == -1.0


def interview(store: Store, script, tagger, participant: str, consent: str) -> str:
    session = InterviewSession.start(
        store, script, SessionInfo(participant=participant), tagger=tagger
    )
    session.submit(consent)
    session.submit("I called the helpline and it was awful")
    return session.id


def test_a_study_database_through_the_command(tmp_path: Path, customer_script, fake_tagger) -> None:
    db = tmp_path / "study.db"
    store = Store(db)
    runner = CliRunner()
    first = interview(store, customer_script, fake_tagger, "P1", "yes")
    result = runner.invoke(main, ["model", "agreement", "--db", str(db)])
    assert result.exit_code == 0 and "No tags in" in result.output and "checked" in result.output

    def tags_of(session_id: str) -> dict[str, dict]:
        answer = store.answer_id(session_id, AnswerKey("service"))
        return {f"{t['kind']}:{t['label']}": t for t in store.tags_of(answer)} | {"id": answer}

    tags = tags_of(first)
    store.decide_tag(tags["touchpoint:phone"]["id"], "accepted", "ana")
    store.decide_tag(tags["sentiment:negative"]["id"], "corrected", "ana", label="neutral")
    store.add_tag(tags["id"], "touchpoint", "web", "ana")
    # A participant who withdrew consent: their answers' checks are in no figure.
    withdrawn = interview(store, customer_script, fake_tagger, "P2", "yes")
    store.decide_tag(tags_of(withdrawn)["sentiment:negative"]["id"], "accepted", "ana")
    store.decide_tag(tags_of(withdrawn)["touchpoint:phone"]["id"], "removed", "ana")
    store.update_session(withdrawn, consent=0)

    result = runner.invoke(main, ["model", "agreement", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["touchpoint"]["answers_checked"] == 1
    assert (data["touchpoint"]["kept"], data["touchpoint"]["added_by_people"]) == (1, 1)
    assert data["sentiment"] == {
        "answers_checked": 1,
        "left_as_tagged": 0,
        "share": 0.0,
        "kappa": None,
        "changes": [{"tagger": "negative", "person": "neutral", "answers": 1}],
    }
    assert study_agreement(store.conn).to_json() == data
    lines = runner.invoke(main, ["model", "agreement", "--db", str(db)]).output
    assert "touchpoints: 1 answer checked; 1 suggested, 1 kept, 1 added by people" in lines
    assert "sentiment: 1 answer checked; 0 left as tagged (0.00), Cohen's kappa undefined" in lines
    assert "negative -> neutral: 1" in lines
    assert "emotions: no answers checked" in lines and "grade: no answers checked" in lines


def test_the_command_reads_the_study_without_the_model(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = tmp_path / "study.db"
    Store(db).close()
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from cjm_interview.cli import main\n"
        f"result = CliRunner().invoke(main, ['model', 'agreement', '--db', {str(db)!r}])\n"
        "assert result.exit_code == 0 and 'No tags in' in result.output, result.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'textual')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
