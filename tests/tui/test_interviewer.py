"""Interviewer mode driven headlessly with Pilot, checked on screen and in the database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from cjm_interview.domain import AnswerKey
from cjm_interview.pin import PinGuard
from cjm_interview.store import Store
from cjm_interview.tui.app import make_app

from ..conftest import FakeTagger
from .helpers import (
    QUICK_TYPED,
    answer,
    answer_until,
    interviewer,
    keys_for,
    on_the_start_screen,
    press,
    queue_keys,
    settle,
    to_first_action,
)

ACTIONS = [
    "Looked at their website",
    "Called the helpline and waited on hold",
]


async def start(app, pilot, participant: str = "P07") -> None:
    await pilot.pause()
    await press(pilot, *participant, "enter")
    await pilot.pause(0.2)


@contextlib.asynccontextmanager
async def checking_tags(store: Store, script, tagger) -> AsyncIterator[tuple[Any, Any, Any]]:
    """An interviewer's app (ana) with the first step's tags selected by F7:
    (app, pilot, the tag list)."""
    from cjm_interview.tui.widgets.panel import TagList

    app = interviewer(store, script, tagger, interviewer="ana")
    async with app.run_test(size=(110, 36)) as pilot:
        await start(app, pilot)
        await to_first_action(app, pilot, ACTIONS[1])
        await pilot.press("f7")
        await pilot.pause(0.1)
        yield app, pilot, app.screen.query_one(TagList)


@contextlib.asynccontextmanager
async def asked(
    store: Store, script, wanted: Callable[[Any], bool], what: str, size: tuple[int, int]
) -> AsyncIterator[tuple[Any, Any, Any]]:
    """An interviewer's app, answered up to the first question ``wanted`` picks:
    (app, pilot, that prompt)."""
    app = interviewer(store, script)
    async with app.run_test(size=size) as pilot:
        await start(app, pilot)
        prompt = await answer_until(app, pilot, wanted, "Compared deals")
        assert prompt is not None, f"the script asks no {what} question"
        yield app, pilot, prompt


async def test_full_interview_with_live_tags(tmp_path: Path, customer_script, fake_tagger) -> None:
    store = Store(tmp_path / "s.db")
    app = interviewer(store, customer_script, fake_tagger, interviewer="ana")
    async with app.run_test(size=(100, 32)) as pilot:
        await start(app, pilot)
        assert type(app.screen).__name__ == "InterviewScreen"
        for _ in range(80):
            prompt = app.screen.current
            if prompt is None:
                break
            q = prompt.question
            text = ACTIONS[prompt.item.step_number - 1] if q.id == "action" else "fine"
            more = not (q.id == "more_steps" and prompt.item.step_number >= len(ACTIONS))
            await answer(app, pilot, prompt, *keys_for(prompt, text, yes=more))
        transcript = app.screen.chat.transcript()
        assert "So far: 1) Looked at their website; 2) Called the helpline" in transcript
        # Tags appeared under the answers a moment after they were sent.
        assert "channels: Phone" in transcript
    rows = store.list_sessions()
    assert rows[0]["status"] == "finished" and rows[0]["participant"] == "P07"
    assert rows[0]["interviewer"] == "ana" and rows[0]["tagger"] == "fake 1"
    answers = {a.key: a for a in store.load_answers(rows[0]["id"])}
    assert answers[AnswerKey("action", 2)].raw == ACTIONS[1]
    phone = {t.label for t in answers[AnswerKey("action", 2)].tags if t.kind == "touchpoint"}
    assert phone == {"phone"}


async def test_back_revises_and_pause_resumes(tmp_path: Path, customer_script) -> None:
    store = Store(tmp_path / "s.db")
    app = interviewer(store, customer_script)
    async with app.run_test(size=(100, 32)) as pilot:
        await start(app, pilot, "P1")
        await pilot.press("y", "enter")
        await pilot.pause(0.1)
        await press(pilot, *"first wording", "enter")
        await pilot.pause(0.1)
        await pilot.press("f2")
        await pilot.pause(0.1)
        assert app.screen.current.question.id == "service"
        await pilot.press("ctrl+a", "ctrl+k", *"second wording", "enter")
        await pilot.pause(0.1)
        assert app.screen.current.question.id == "stakeholders"
        await pilot.press("f5")  # pause
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "StartScreen"
    session_id = store.list_sessions()[0]["id"]
    assert store.session(session_id)["status"] == "in_progress"
    history = store.conn.execute(
        "SELECT raw_text, revision FROM answers WHERE question_id = 'service' ORDER BY revision"
    ).fetchall()
    assert history[0] == ("first wording", 1) and history[-1][1] >= 2
    assert "second wording" in history[-1][0]
    # Resume: the interview continues at the next question.
    app = interviewer(store, customer_script, resume=session_id[:8])
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause(0.3)
        assert app.screen.current.question.id == "stakeholders"
    # Or from the start screen: F9, then Enter resumes the session listed first.
    app = interviewer(store, customer_script)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("f9", "enter")  # once nothing was highlighted: Enter did nothing
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "InterviewScreen"
        assert app.screen.current.question.id == "stakeholders"


async def test_bad_grade_is_asked_again(tmp_path: Path, quick_script) -> None:
    store = Store(tmp_path / "s.db")
    app = interviewer(store, quick_script)
    async with app.run_test(size=(100, 32)) as pilot:
        await start(app, pilot)
        await pilot.press("y", "enter")
        await pilot.pause(0.1)
        await press(pilot, *"went online", "enter")
        await pilot.pause(0.1)
        assert app.screen.current.question.id == "grade"
        await pilot.press("enter")  # nothing picked
        await pilot.pause(0.1)
        assert app.screen.current.question.id == "grade"
        assert "Please give a grade from 0 (awful) to 10 (perfect)." in app.screen.chat.transcript()
        await pilot.press("1", "1", "enter")  # eleven: once stored as 1, the last digit
        await pilot.pause(0.1)
        assert app.screen.current.question.id == "grade"
        assert "11 is outside the scale" in app.screen.chat.transcript()
        await pilot.press("1", "0", "0", "0", "enter")  # once its last three: "000", stored as 0
        await pilot.pause(0.1)
        assert app.screen.current.question.id == "grade"
        assert "1000 is outside the scale" in app.screen.chat.transcript()
        await pilot.press("1", "0", "enter")  # ten, typed as two keys
        await pilot.pause(0.1)
        assert app.screen.current.question.id == "more_steps"
    grades = [a.value for a in store.load_answers(store.list_sessions()[0]["id"])
              if a.key.question_id == "grade"]  # fmt: skip
    assert grades == [10]


async def test_interviewer_checks_tags_in_the_panel(
    tmp_path: Path, customer_script, fake_tagger
) -> None:
    """F7 selects the last tagged answer; a, x, c and + change its tags in the store."""
    from cjm_interview.tui.widgets.inputs import AnswerInput

    store = Store(tmp_path / "s.db")
    async with checking_tags(store, customer_script, fake_tagger) as (app, pilot, tag_list):
        assert tag_list.has_focus

        async def highlight(kind: str, label: str | None = None) -> dict:
            index = next(
                i
                for i, t in enumerate(tag_list.tags)
                if t["kind"] == kind and (label is None or t["label"] == label)
            )
            await pilot.press("home", *["down"] * index)
            await pilot.pause(0.05)
            return tag_list.tags[index]

        phone = await highlight("touchpoint", "phone")
        await pilot.press("a")
        await pilot.pause(0.1)
        sentiment = await highlight("sentiment")
        await pilot.press("x")
        await pilot.pause(0.1)
        await highlight("touchpoint", "phone")
        await pilot.press("c")
        await pilot.pause(0.05)
        await pilot.press("ctrl+a", "ctrl+k", *"chat", "enter")
        await pilot.pause(0.1)
        await pilot.press("plus")
        await pilot.pause(0.05)
        await press(pilot, *"emotion: relief", "enter")
        await pilot.pause(0.1)
        # A label outside the taxonomy is refused; a channel's shown name is understood.
        await pilot.press("plus", *"touchpoint: nobody picked up", "enter")
        await pilot.pause(0.1)
        await pilot.press("plus", *"In person", "enter")
        await pilot.pause(0.1)
        shown = {(t["kind"], t["label"], t["status"]) for t in tag_list.tags}
        # Escape hands the keys back to the answer box.
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.focused is not None
        assert any(isinstance(w, AnswerInput) for w in app.focused.ancestors_with_self)

    session_id = store.list_sessions()[0]["id"]
    answer_id = store.answer_id(session_id, AnswerKey("action", 1))
    assert answer_id is not None
    rows = {
        (t["kind"], t["label"]): (t["status"], t["source"], t["decided_by"])
        for t in store.tags_of(answer_id, include_removed=True)
    }
    assert rows[("touchpoint", "phone")][0] == "corrected"  # accepted, then corrected
    assert rows[("touchpoint", "phone")][2] == "ana"
    assert rows[("sentiment", sentiment["label"])][0] == "removed"
    assert rows[("touchpoint", "chat")] == ("added", "person", "ana")
    assert rows[("emotion", "relief")] == ("added", "person", "ana")
    assert rows[("touchpoint", "in_person")] == ("added", "person", "ana")
    assert not any("nobody" in label for _, label in rows)
    # The panel shows what the store holds.
    assert ("touchpoint", "chat", "added") in shown
    assert ("emotion", "relief", "added") in shown
    # A corrected suggestion leaves the panel; a removed one stays, struck, to be undone.
    assert ("touchpoint", "phone") not in {(k, lab) for k, lab, _ in shown}
    assert ("sentiment", sentiment["label"], "removed") in shown
    assert phone["status"] == "suggested"
    actions = [
        r[0]
        for r in store.conn.execute(
            "SELECT action FROM audit_log WHERE action LIKE 'tag.%' ORDER BY id"
        )
    ]
    assert actions == ["tag.accepted", "tag.removed", "tag.corrected", "tag.added", "tag.added"]


async def test_a_predicted_grade_is_corrected_with_a_number(
    tmp_path: Path, customer_script, fake_tagger
) -> None:
    """c on the grade takes a number from 0 to 10; anything else is refused and changes nothing."""
    store = Store(tmp_path / "s.db")
    async with checking_tags(store, customer_script, fake_tagger) as (_, pilot, tag_list):
        index = next(i for i, t in enumerate(tag_list.tags) if t["kind"] == "grade")
        predicted = float(tag_list.tags[index]["score"])
        # Refused, and Enter on the grade as shown (nothing corrected), change nothing.
        for typed in ("eleven", "11", "-1", "nan", "7:30", None):
            keys = ["ctrl+a", "ctrl+k", *typed] if typed is not None else []
            await pilot.press("home", *["down"] * index, "c", *keys, "enter")
            await pilot.pause(0.1)
            grades = [t for t in tag_list.tags if t["kind"] == "grade"]
            assert [(t["score"], t["status"]) for t in grades] == [(predicted, "suggested")]
        await pilot.press("home", *["down"] * index, "c", "ctrl+a", "ctrl+k", *"3.5", "enter")
        await pilot.pause(0.1)
        shown = [
            (t["score"], t["status"], t["source"]) for t in tag_list.tags if t["kind"] == "grade"
        ]
        assert shown == [(3.5, "added", "person")]
        # Accepting one's own grade keeps it the person's.
        await pilot.press("home", *["down"] * index, "a")
        await pilot.pause(0.1)
        assert [t["status"] for t in tag_list.tags if t["kind"] == "grade"] == ["added"]

    session_id = store.list_sessions()[0]["id"]
    answer_id = store.answer_id(session_id, AnswerKey("action", 1))
    rows = [
        (t["label"], t["score"], t["status"], t["decided_by"])
        for t in store.tags_of(answer_id, include_removed=True)
        if t["kind"] == "grade"
    ]
    assert sorted(rows, key=str) == sorted(
        [("grade", predicted, "corrected", "ana"), ("grade", 3.5, "added", "ana")], key=str
    )
    audit = store.conn.execute(
        "SELECT old_value, new_value FROM audit_log WHERE action = 'tag.corrected'"
    ).fetchall()
    assert audit == [(f"grade:{predicted:g}", "grade:3.5")]


async def test_an_edit_left_open_is_never_applied_elsewhere(
    tmp_path: Path, customer_script, fake_tagger
) -> None:
    """An editor left open when F7 picks another answer, or when a narrow terminal hides the
    panel, is put away: what is typed next changes no tag."""
    from cjm_interview.tui.widgets.inputs import AnswerInput

    store = Store(tmp_path / "s.db")
    async with checking_tags(store, customer_script, fake_tagger) as (app, pilot, tag_list):
        editor = app.screen.query_one("#tag-editor")
        before = {t["id"]: t["status"] for t in tag_list.tags}
        await pilot.press("home", "c")
        await pilot.pause(0.1)
        assert editor.display and editor.has_focus
        await pilot.press("f7")  # the answer before
        await pilot.pause(0.1)
        assert not editor.display
        await pilot.press("tab", *"9", "enter")
        await pilot.pause(0.1)
        # Narrowed with the editor open: the keys go back to the answer, not to the panel.
        await pilot.press("f7", "home", "c")
        await pilot.pause(0.1)
        assert editor.display
        await pilot.resize_terminal(70, 30)
        await pilot.pause(0.2)
        assert not editor.display
        assert any(isinstance(w, AnswerInput) for w in app.focused.ancestors_with_self)
        await press(pilot, *"a few words")
        await pilot.pause(0.1)
    session_id = store.list_sessions()[0]["id"]
    decided = store.conn.execute(
        "SELECT count(*) FROM audit_log WHERE session_id = ? AND action LIKE 'tag.%'",
        (session_id,),
    ).fetchone()[0]
    assert decided == 0 and before


async def test_editing_keys_in_a_burst_keep_their_place(
    tmp_path: Path, customer_script, fake_tagger
) -> None:
    """Backspaces then digits arriving together correct the grade to those digits."""
    store = Store(tmp_path / "s.db")
    async with checking_tags(store, customer_script, fake_tagger) as (app, pilot, tag_list):
        index = next(i for i, t in enumerate(tag_list.tags) if t["kind"] == "grade")
        await pilot.press("home", *["down"] * index, "c")
        await pilot.pause(0.1)
        queue_keys(app, "end", *["backspace"] * 6, "7", ".", "5", "enter")
        await pilot.pause(0.3)
        grades = [(t["score"], t["status"]) for t in tag_list.tags if t["kind"] == "grade"]
        assert grades == [(7.5, "added")]


@pytest.mark.parametrize("which", ["customer", "staff"])
async def test_an_interview_is_filed_under_its_scripts_perspective(
    tmp_path: Path, customer_script, staff_script, which: str
) -> None:
    """The start screen let "staff" be chosen for the customer script: the customer's
    questions were asked and the answers filed as the staff's, on the staff's curve."""
    script = customer_script if which == "customer" else staff_script
    async with on_the_start_screen(tmp_path, script) as (store, app, pilot):
        shown = str(app.screen.query_one("#perspective").render())
        other = "staff" if which == "customer" else "customer"
        assert shown.startswith(which) and f"cjm interview --script {other}" in shown
        app.interviewer = "rkhan"  # as --interviewer (default $USER) gives it
        app.screen.query_one("#interviewer").value = ""  # emptied: the default name
        await press(pilot, *"P01", "enter")
        await pilot.pause(0.5)
        assert type(app.screen).__name__ == "InterviewScreen"
    ((perspective, script_id, by),) = store.conn.execute(
        "SELECT perspective, script_id, interviewer FROM sessions"
    )
    assert (perspective, script_id, by) == (which, script.id, "rkhan")


async def test_quitting_on_the_closing_words_leaves_the_interview_finished(
    tmp_path: Path, quick_script
) -> None:
    """The script's last words ("your answers are saved") waited for an Enter before the
    session was finished: ctrl+q there left it in progress, and so off the map."""
    from .helpers import QUICK_TYPED

    async with on_the_start_screen(tmp_path, quick_script) as (store, app, pilot):
        queue_keys(app, *"P1", "enter")
        for text in QUICK_TYPED:
            queue_keys(app, *text, "enter")
        await settle(app, pilot)
        assert app.screen.finished
        transcript = app.screen.chat.transcript()
        assert transcript.count("Thank you") == 1  # the script's words, not two thank-yous
        await pilot.press("ctrl+q")
    ((status, ended),) = store.conn.execute("SELECT status, finished_at FROM sessions")
    assert status == "finished" and ended


async def test_quitting_with_words_not_sent_asks_first(tmp_path: Path, quick_script) -> None:
    """ctrl+q quit at once, and the words in the answer box were lost without a word."""
    from cjm_interview.tui.screens.modals import ConfirmScreen

    async with on_the_start_screen(tmp_path, quick_script) as (store, app, pilot):
        queue_keys(app, *"P1", "enter", "y", "enter", *"I travel a lot")
        await settle(app, pilot)
        interview = app.screen
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmScreen) and app.is_running
        await pilot.press("n")  # no: back to the answer, the words as they were
        await pilot.pause(0.2)
        assert app.screen is interview and interview.unsent_words() == "I travel a lot"
        await pilot.press("ctrl+q", "y")
        await pilot.pause(0.2)
        assert not app.is_running
    ((status,),) = store.conn.execute("SELECT status FROM sessions")
    assert status == "in_progress"  # to be resumed


async def test_ctrl_c_says_how_to_quit_in_words(tmp_path: Path, quick_script) -> None:
    """It said "Press [b]ctrl+q[/b] to quit the app", the markup shown as typed."""
    async with on_the_start_screen(tmp_path, quick_script) as (_store, app, pilot):
        app.set_focus(None)  # in a text box ctrl+c copies
        await pilot.press("ctrl+c")
        await pilot.pause(0.2)
        said = [n.message for n in app._notifications]
    assert said == ["ctrl+c does not quit: press ctrl+q to quit the app."]


async def test_f3_on_a_question_that_needs_an_answer_says_so(
    tmp_path: Path, customer_script
) -> None:
    """F3 is greyed there; pressed all the same, it did nothing and said nothing."""
    async with on_the_start_screen(tmp_path, customer_script) as (store, app, pilot):
        await press(pilot, *"P1", "enter")
        await pilot.pause(0.3)
        assert app.screen.current.question.id == "consent"
        await pilot.press("f3")
        await pilot.pause(0.2)
        assert app.screen.chat.transcript().endswith(
            "This question needs an answer: it cannot be skipped."
        )
        assert app.screen.current.question.id == "consent"
    assert store.conn.execute("SELECT COUNT(*) FROM answers").fetchone() == (0,)


async def test_two_starts_in_one_moment_start_one_interview(
    tmp_path: Path, customer_script
) -> None:
    async with on_the_start_screen(tmp_path, customer_script) as (store, app, pilot):
        await press(pilot, *"P01")
        queue_keys(app, "enter", "enter", "ctrl+s")
        await pilot.pause(0.5)
        assert type(app.screen).__name__ == "InterviewScreen"
    assert [row["participant"] for row in store.list_sessions()] == ["P01"]


async def test_status_line_says_when_the_model_hands_over_to_the_lexicon(
    tmp_path: Path, customer_script, fake_tagger
) -> None:
    """A model process that fails mid-interview renames its tagger; the screen and row follow."""

    class HandsOver:
        name, version = "minilm-heads", "2"

        def tag_batch(self, texts, language=None):
            self.name = "lexicon (model process failed: it stopped answering)"
            return fake_tagger.tag_batch(texts, language)

    store = Store(tmp_path / "s.db")
    app = interviewer(store, customer_script, HandsOver())
    async with app.run_test(size=(120, 32)) as pilot:
        await start(app, pilot)
        status = app.screen.query_one("#tagger-status")
        assert "minilm-heads" in str(status.render())
        await to_first_action(app, pilot, "Called the helpline")
        await pilot.pause(0.3)
        assert "model process failed" in str(status.render())
        (tagger,) = store.conn.execute("SELECT tagger FROM sessions").fetchone()
        assert tagger.startswith("lexicon (model process failed")


@pytest.mark.parametrize("mode", ["interviewer", "kiosk"])
async def test_each_tagger_is_loaded_once(tmp_path: Path, quick_script, mode) -> None:
    # Textual calls every class's on_mount: a subclass that also called super().on_mount()
    # started the model's child process twice and left the first one running.
    loaded: list[FakeTagger] = []

    def load() -> FakeTagger:
        loaded.append(FakeTagger())
        return loaded[-1]

    store = Store(tmp_path / "s.db")
    options = {"pin_guard": PinGuard.from_pin("4821")} if mode == "kiosk" else {}
    app = make_app(store, quick_script, mode, load, cursor_blink=False, **options)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.5)
        assert app.tagger is loaded[0]
    assert len(loaded) == 1


@pytest.mark.parametrize(
    ("typed", "then"),
    [
        ("I compared broadband deals online", "yes"),  # then the word itself: an answer
        ("", "ny"),  # keys that pick still pick, and the later one counts
    ],
)
async def test_a_sentence_typed_into_a_yes_no_question_is_asked_again(
    tmp_path: Path, quick_script, typed: str, then: str
) -> None:
    # The y and n inside the words picked an answer letter by letter, and the spaces
    # ticked the highlighted row: "I compared broadband deals online" then Enter
    # recorded the consent as "no" and ended the interview.
    store = Store(tmp_path / "s.db")
    app = interviewer(store, quick_script)
    async with app.run_test(size=(100, 32)) as pilot:
        await start(app, pilot)
        assert app.screen.current.question.id == "consent"
        if typed:
            await press(pilot, *typed, "enter")
            await pilot.pause(0.2)
            assert app.screen.current.question.id == "consent"
            assert "Please answer yes or no." in app.screen.chat.transcript()
        await press(pilot, *then, "enter")
        await pilot.pause(0.2)
        assert app.screen.current.question.id == "action"
    session = store.list_sessions()[0]
    assert [a.value for a in store.load_answers(session["id"])] == [True]
    assert session["status"] != "declined"


def test_the_journey_read_back_has_one_full_stop_per_sentence() -> None:
    from types import SimpleNamespace

    from cjm_interview.tui.screens.interview import playback

    steps = [
        SimpleNamespace(number=1, action="Compared deals online, then read reviews."),
        SimpleNamespace(number=2, action="Rang the sales line.."),
    ]
    prompt = SimpleNamespace(steps=steps, text="Is anything missing?")
    # Once "reviews., 2) Rang the sales line..": a step's own stops, then the list's.
    assert playback(prompt) == (  # type: ignore[arg-type]
        "So far: 1) Compared deals online, then read reviews; 2) Rang the sales line.\n"
        "Is anything missing?"
    )


async def test_once_the_interview_is_over_its_keys_leave_the_footer(
    tmp_path: Path, quick_script
) -> None:
    store = Store(tmp_path / "s.db")
    app = interviewer(store, quick_script)
    async with app.run_test(size=(100, 32)) as pilot:
        await start(app, pilot)
        shown = {b.binding.action for b in app.screen.active_bindings.values()}
        assert {"back", "end_early", "pause"} <= shown
        await answer_until(app, pilot, lambda prompt: False, "went to the shop", yes=False)
        assert app.screen.finished
        shown = {b.binding.action for b in app.screen.active_bindings.values()}
        # Once still listed (F10 End did nothing): only what still works is.
        assert not shown & {"back", "skip", "keep", "end_early", "pause"}, shown
        assert "note" in shown


async def test_a_stray_enter_on_an_optional_yes_no_skips_nothing(
    tmp_path: Path, customer_script
) -> None:
    from cjm_interview.domain import QuestionType

    store = Store(tmp_path / "s.db")
    wanted = lambda p: p.question.type is QuestionType.YES_NO and p.can_skip  # noqa: E731
    async with asked(store, customer_script, wanted, "optional yes/no", (100, 32)) as (
        app, pilot, prompt,
    ):  # fmt: skip
        await pilot.press("enter")  # by accident: once recorded as skipped
        await pilot.pause(0.1)
        assert app.screen.current.key == prompt.key
        assert "Answer with y or n, then Enter; F3 skips this question." in (
            app.screen.chat.transcript()
        )
        await pilot.press("f3")  # meant: skipped
        await pilot.pause(0.1)
        following = app.screen.current.key
        assert following != prompt.key
        # Back on it, Enter alone leaves it skipped (it asked again how to answer).
        await pilot.press("f2")
        await pilot.pause(0.1)
        assert app.screen.current.key == prompt.key
        told = app.screen.chat.transcript().count("F3 skips this question.")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.screen.current.key == following
        assert app.screen.chat.transcript().count("F3 skips this question.") == told
    answers = {a.key: a for a in store.load_answers(store.list_sessions()[0]["id"])}
    assert answers[prompt.key].skipped


async def test_words_typed_into_a_channel_question_show_and_add_to_the_ticks(
    tmp_path: Path, customer_script
) -> None:
    # Typed words were kept out of sight until Enter, and then replaced the channels the
    # tagger (or the participant) had ticked.
    from cjm_interview.domain import QuestionType
    from cjm_interview.tui.widgets.inputs import ChoicePicker

    store = Store(tmp_path / "s.db")
    wanted = lambda p: p.question.type is QuestionType.TOUCHPOINTS  # noqa: E731
    async with asked(store, customer_script, wanted, "channel", (110, 34)) as (app, pilot, prompt):
        picker = app.screen.query_one(ChoicePicker)
        picker.suggest(["phone"])  # as the tagger ticks what it heard
        await pilot.pause()
        rows = picker.get_content_height(None, None, 100)
        await pilot.press("4")  # the participant ticks a row, then types words
        await pilot.pause(0.1)
        ticked = list(picker.selected)
        assert len(ticked) == 2 and "phone" in ticked
        await press(pilot, *"Rang them twice")
        await pilot.pause(0.1)
        assert "Typed: Rang them twice" in picker.render().plain
        assert picker.get_content_height(None, None, 100) == rows + 1
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.pause(0.1)
        assert "Typed: Rang them " in picker.render().plain
        await press(pilot, *"once", "enter")
        await pilot.pause(0.2)
        assert app.screen.current.key != prompt.key
    answers = {a.key: a for a in store.load_answers(store.list_sessions()[0]["id"])}
    assert answers[prompt.key].value == [*ticked, "other: Rang them once"]


async def test_f1_on_the_start_screen_says_what_the_form_is_for(
    tmp_path: Path, quick_script
) -> None:
    """F1 did nothing there, the one screen without a word of help."""
    async with on_the_start_screen(tmp_path, quick_script) as (_store, app, pilot):
        await pilot.press("f1")
        await pilot.pause(0.2)
        said = " ".join(str(n.message) for n in app._notifications)
    assert "pseudonym" in said and "F9" in said and "F2 back" in said


async def test_the_finished_interview_says_what_enter_does(tmp_path: Path, quick_script) -> None:
    """With the panel shown, the last answer box's removal passed the focus to the notes' box
    on its way to nowhere, and its hint stayed: "Enter saves the note · Esc back to the
    answer", on a screen with no answer to go back to."""
    async with on_the_start_screen(tmp_path, quick_script) as (_store, app, pilot):
        queue_keys(app, *"P1", "enter")
        for text in QUICK_TYPED:
            queue_keys(app, *text, "enter")
        await settle(app, pilot)
        assert app.screen.finished and app.focused is None
        assert str(app.screen.query_one("#hint").content) == "Enter: back to the start screen"


async def test_the_start_screens_notices_do_not_cover_the_interview(
    tmp_path: Path, quick_script
) -> None:
    """Its help (20 s) and "Interview paused" stayed over the question asked next."""
    async with on_the_start_screen(tmp_path, quick_script) as (_store, app, pilot):
        queue_keys(app, "f1")
        await settle(app, pilot)
        assert app._notifications
        queue_keys(app, *"P1", "enter", "y", "enter", "f5")
        await settle(app, pilot)
        assert [n.message for n in app._notifications][-1].startswith("Interview paused")
        queue_keys(app, "f9", "enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "InterviewScreen"
        assert not app._notifications


def test_the_resume_list_counts_one_answer_as_one() -> None:
    from cjm_interview.tui.screens.start import session_line

    row = {"participant": "P1", "perspective": "customer", "answers": 1, "updated_at": "",
           "started_at": "2026-12-07T10:00:00Z", "id": "abcdef0123"}  # fmt: skip
    assert " 1 answer " in session_line(row).plain
    assert " 2 answers " in session_line({**row, "answers": 2}).plain
