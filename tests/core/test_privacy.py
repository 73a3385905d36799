"""Redaction of personal data before storing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cjm_interview.domain import AnswerKey
from cjm_interview.engine import Engine
from cjm_interview.importer import import_file
from cjm_interview.privacy import KINDS, PLACEHOLDERS, iban_ok, parse_kinds, redact
from cjm_interview.store import Store

from ..conftest import PROMPTS
from .redaction_cases import HARMLESS, PERSONAL


@pytest.mark.parametrize(("text", "secrets", "placeholder"), PERSONAL)
def test_personal_data_is_redacted(text: str, secrets: tuple[str, ...], placeholder: str) -> None:
    out = redact(text)
    assert placeholder in out, out
    for secret in secrets:
        assert secret not in out, out


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_look_alikes_are_kept(text: str) -> None:
    assert redact(text) == text


def test_cases_are_many_and_varied() -> None:
    assert len(PERSONAL) + len(HARMLESS) >= 60
    assert {p for _, _, p in PERSONAL} == set(PLACEHOLDERS.values())


def test_iban_needs_its_checksum() -> None:
    assert iban_ok("DE90501105170924831547")
    assert not iban_ok("DE91501105170924831547")
    assert redact("DE91 5011 0517 0924 8315 47", ["iban"]) == "DE91 5011 0517 0924 8315 47"


def test_ssn_is_its_own_kind() -> None:
    assert redact("SSN 123-45-6789") == "SSN [ssn]"
    assert redact("SSN 123-45-6789", ["phone"]) == "SSN 123-45-6789"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jo.smith+x@example.co.uk today", "write to [email] today"),
        ("call 020 7946 0958 or +44 7700 900123", "call [phone] or [phone]"),
        ("my card 4111 1111 1111 1111 was charged", "my card [card] was charged"),
        ("phone (555) 123-4567 after 5", "phone [phone] after 5"),
        # Times, amounts, years and short references are not personal data.
        ("paid 1200 in 2023 at 10:30, ref 12345, waited 45 minutes", None),
    ],
)
def test_redact(text: str, expected: str | None) -> None:
    assert redact(text) == (expected or text)


def test_only_chosen_kinds() -> None:
    text = "a@b.org 4111111111111111"
    assert redact(text, ["email"]) == "[email] 4111111111111111"
    with pytest.raises(ValueError):
        parse_kinds("email,passport")
    assert parse_kinds("all") == KINDS
    assert parse_kinds(" None ") == ()
    # An empty variable ("--redact $KINDS") must not turn a script's redaction off.
    for empty in ("", " ", ",", " , "):
        with pytest.raises(ValueError, match="no redaction kinds given"):
            parse_kinds(empty)


def test_engine_redacts_free_text_before_keeping_it(customer_script) -> None:
    engine = Engine(customer_script, redact=["email", "phone"])
    engine.submit("yes")
    engine.submit("The bank; write to me at me@home.net or 07700 900123")
    answer = engine.answers[AnswerKey("service")]
    assert answer.raw == "The bank; write to me at [email] or [phone]"
    assert answer.value == answer.raw


def test_import_with_redaction_stores_nothing_personal(tmp_path: Path) -> None:
    data = json.loads((PROMPTS / "examples" / "customer_interview.json").read_text())
    data["answers"]["service"] = "Broadband, contract 4111 1111 1111 1111, mail x@y.com"
    path = tmp_path / "i.json"
    path.write_text(json.dumps(data))
    import_file(path, "customer", tmp_path / "s.db", progress=False, redact=("email", "card"))
    dump = json.dumps(Store(tmp_path / "s.db").conn.execute("SELECT * FROM answers").fetchall())
    assert "x@y.com" not in dump and "4111" not in dump
    assert "[card]" in dump and "[email]" in dump


@pytest.mark.parametrize(
    ("script_redacts", "override", "redacted"),
    [(False, ("email",), True), (True, (), False), (True, None, True)],
)
def test_a_sessions_own_redaction_applies_again_on_resume(
    tmp_path: Path, script_redacts: bool, override: tuple[str, ...] | None, redacted: bool
) -> None:
    from cjm_interview.domain import SessionInfo
    from cjm_interview.script import load_script
    from cjm_interview.session import InterviewSession

    text = (PROMPTS / "customer.yaml").read_text(encoding="utf-8")
    if script_redacts:
        text = text.replace(
            "perspective: customer\n", "perspective: customer\nredact: [email]\n", 1
        )
    path = tmp_path / "customer.yaml"
    path.write_text(text, encoding="utf-8")
    script = load_script(path)
    assert script.redact == (("email",) if script_redacts else ())

    store = Store(tmp_path / "s.db")
    session = InterviewSession.start(store, script, SessionInfo(), redact=override)
    session.submit("yes")
    session.submit("The bank, mail me at me@home.net")
    store.close()

    store = Store(tmp_path / "s.db")
    assert store.redact_override(session.id) == override
    resumed = InterviewSession.resume(store, session.id)  # the script as stored
    assert resumed.current().question.id == "stakeholders"
    resumed.submit("My adviser, jo@bank.example")
    kept = {a.key.question_id: a.raw for a in store.load_answers(session.id)}
    if redacted:
        assert kept["service"] == "The bank, mail me at [email]"
        assert kept["stakeholders"] == "My adviser, [email]"
    else:
        assert kept["service"].endswith("me@home.net")
        assert kept["stakeholders"].endswith("jo@bank.example")


@pytest.mark.parametrize("ending", ["finished", "ended_early"])
def test_what_a_participant_told_before_declining_is_not_kept(
    tmp_path: Path, customer_script, fake_tagger, ending: str
) -> None:
    """Consent given, an answer, then back to consent and "no": the screen said nothing
    else would be recorded, but the answer stayed in the file, with its tags and log."""
    from cjm_interview.domain import SessionInfo
    from cjm_interview.session import InterviewSession

    store = Store(tmp_path / "s.db")
    session = InterviewSession.start(store, customer_script, SessionInfo(), tagger=fake_tagger)
    session.submit("yes")
    session.submit("Train ticket refund for my trip to Leeds")
    session.engine.go_to(AnswerKey("consent", 0))
    session.submit("no")
    if ending == "ended_early":  # the interviewer ends it (F10) before the closing note
        session.end("ended_early")
    else:
        while not session.finished:
            session.submit("")
    rows = store.conn.execute("SELECT question_id FROM answers").fetchall()
    assert {q for (q,) in rows} <= {"consent", "declined"}, rows
    dump = "\n".join(store.conn.iterdump())
    assert "Leeds" not in dump
    assert store.conn.execute(
        "SELECT new_value FROM audit_log WHERE action = 'answers.withdrawn'"
    ).fetchall() == [("1",)]
    store.close()
