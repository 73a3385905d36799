"""The Textual application, built by one factory for the CLI and the tests.

Two modes share the interview screen: interviewer mode (start screen, side
panel, pause/resume/end early) and kiosk mode (welcome screen, locked-down
keys, idle reset, an operator PIN to leave).
"""

from __future__ import annotations

import contextlib
import io
import math
import time
from typing import TYPE_CHECKING, ClassVar, Literal

import rich
from rich.console import Console
from rich.segment import Segments
from rich.traceback import Traceback
from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Select, TextArea
from textual.worker import get_current_worker

from cjm_interview.answers import clean_text
from cjm_interview.domain import AnswerKey, Script, SessionInfo
from cjm_interview.errors import CjmError, not_saved
from cjm_interview.nlp.base import Tagger
from cjm_interview.pin import PinGuard
from cjm_interview.session import InterviewSession
from cjm_interview.store import Store
from cjm_interview.store.db import BUSY_TIMEOUT_MS, WRITE_RETRIES, wait_for_write_lock
from cjm_interview.tui.messages import LockFree, TaggerFailed, TaggerReady
from cjm_interview.tui.pending import (
    LOCK_POLL_SECONDS,
    UI_BUSY_TIMEOUT_MS,
    UI_WRITE_RETRIES,
    PendingAnswers,
)
from cjm_interview.tui.supervise import UnexpectedExit
from cjm_interview.tui.tagging import TaggerLoader, TaggerPlan, as_plan, label_of
from cjm_interview.tui.typeahead import Typeahead, screen_shown
from cjm_interview.tui.widgets.inputs import ChatTextArea, SafeInput

if TYPE_CHECKING:
    from cjm_interview.tui.screens.interview import InterviewScreen

HIGH_CONTRAST = Theme(
    name="cjm-high-contrast",
    primary="#FFD700",
    secondary="#00FFFF",
    accent="#FFD700",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    success="#00FF66",
    warning="#FFB000",
    error="#FF4040",
    dark=True,
    variables={
        "footer-key-foreground": "#FFD700",
        "input-selection-background": "#FFD700 40%",
        "block-cursor-foreground": "#000000",
        "block-cursor-background": "#FFD700",
    },
)

MODEL_DELAY = 1.5
"""Seconds between the first screen and starting to load the model."""

IDLE_TICK = 0.5
"""Seconds between two checks of the kiosk's idle time."""


# Keys that move the focus: taken before the typing that follows them ("P01", Tab, "ana").
FOCUS_KEYS = frozenset({"tab", "shift+tab"})


class CjmApp(App[None]):
    """What both modes share: the store, the script, the taggers and their loading."""

    CSS_PATH = "app.tcss"
    TITLE = "cjm interview"

    mode: ClassVar[str] = "interviewer"

    tagger_status: reactive[str] = reactive("")
    """The tagger's state as shown in the status line ("tags: model loading…")."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notification shown as written: its messages name files and quote what was
        typed ("[/x]" read as markup stopped the toast), so never markup nor escapes,
        whatever a widget's ``notify`` passes on."""
        super().notify(
            clean_text(message), title=clean_text(title), severity=severity, timeout=timeout,
            markup=False,
        )  # fmt: skip

    def __init__(
        self,
        store: Store,
        script: Script,
        plan: TaggerPlan,
        show_tags: bool = True,
        interviewer: str = "",
        cursor_blink: bool = True,
        theme: str = HIGH_CONTRAST.name,
    ) -> None:
        super().__init__()
        self.store = store
        """The study database; used from this (the UI) thread only."""
        self.script = script
        """The script new sessions run."""
        self.plan = plan
        """The tagger usable at once and those to load in the background."""
        self.tagger: Tagger | None = plan.ready
        """The best tagger ready so far (None: answers wait for tags or go on without)."""
        self.tagger_loading = bool(plan.loaders)
        """True while a background loader is still running."""
        self.show_tags = show_tags
        """Whether tags appear under answers."""
        self.interviewer = interviewer
        """Default interviewer name on the start screen."""
        self.cursor_blink = cursor_blink
        """Blinking text cursors (off in snapshot tests)."""
        self.session: InterviewSession | None = None
        """The interview on screen, if any."""
        self._theme_name = theme
        self.typeahead = Typeahead(self)
        """Keys typed while one question's input gives way to the next."""
        self.drafts: dict[str, tuple[AnswerKey, str]] = {}
        """Per session paused, the words typed at its question and not sent (kept while the
        app runs: a draft is not an answer, and is never stored)."""
        self.pending = PendingAnswers()
        """Answers waiting while another program holds the database's lock."""
        # The screen never freezes on a lock: a write waits a moment, then its
        # answer waits in ``pending`` and is tried again from a timer.
        if not store.read_only:
            store.set_patience(UI_BUSY_TIMEOUT_MS, UI_WRITE_RETRIES)
        self.tagger_status = self._status_text()

    # ------------------------------------------------------------ start-up
    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver":
            # No byte from the keyboard or a paste may end the app (see terminal_input).
            from cjm_interview.tui.terminal_input import SafeLinuxDriver

            return SafeLinuxDriver
        return driver

    def begin(self) -> None:
        """What both modes do once mounted: the theme, and the taggers' loading.

        Called by each mode's ``on_mount``. Not an ``on_mount`` itself: Textual calls
        the handler of every class in the hierarchy, so the taggers (the model's child
        process) would be loaded twice.
        """
        self.register_theme(HIGH_CONTRAST)
        self.theme = self._theme_name
        if self.plan.loaders:
            self._load_taggers(self.plan.loaders)

    def watch_lock(self) -> None:
        """Wait, in a worker, for another program to let the database's lock go."""
        if not any(w.group == "lock-wait" and not w.is_finished for w in self.workers):
            self._wait_for_lock()

    @work(thread=True, exclusive=True, exit_on_error=False, group="lock-wait")
    def _wait_for_lock(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            if wait_for_write_lock(self.store.path, LOCK_POLL_SECONDS):
                self.post_message(LockFree())
                return

    def _interview_screens(self, closing_too: bool = False) -> list[InterviewScreen]:
        """The interview screens on the stack: those being closed (hidden) only if asked."""
        from cjm_interview.tui.screens.interview import InterviewScreen

        return [
            screen
            for screen in self.screen_stack
            if isinstance(screen, InterviewScreen) and (closing_too or screen.display)
        ]

    async def on_lock_free(self, message: LockFree) -> None:
        await self._store_pending()
        for screen in self._interview_screens():
            screen.tagger_changed()  # tags that could not be stored are tagged again

    async def _store_pending(self) -> None:
        """Store the answers that waited for the lock; show them on their screens."""
        if not self.pending:
            return
        stored_now = self.pending.flush()
        if self.pending:
            self.watch_lock()  # another writer was quicker: wait again
        for stored in stored_now:
            for screen in self._interview_screens():
                if screen.session is stored.pending.session:
                    await screen.answer_stored(stored.result)
        while self.pending.erased:
            erased = self.pending.erased.pop(0)
            for screen in self._interview_screens(closing_too=True):
                if screen.session is erased:
                    await screen.erased()
        while self.pending.errors:
            self.notify(not_saved("An answer", self.pending.errors.pop(0)), severity="error")

    def save_pending_now(self) -> None:
        """Store what still waits, however long the lock takes (the app is closing)."""
        if self.pending and not self.store.read_only:
            self.store.set_patience(BUSY_TIMEOUT_MS, WRITE_RETRIES)
            self.pending.flush()

    def on_unmount(self) -> None:
        self.save_pending_now()
        # A model tagger runs in a child process: stop it with the app.
        close = getattr(self.tagger, "close", None)
        if callable(close):
            close()

    @work(thread=True, exit_on_error=False, group="tagger-load")
    def _load_taggers(self, loaders: tuple[tuple[str, TaggerLoader], ...]) -> None:
        # torch and sentence-transformers are imported here, in a thread, so the
        # first question is on screen long before the model is.
        for index, (label, loader) in enumerate(loaders):
            final = index == len(loaders) - 1
            if label == "model" and index > 0:
                # Let the first question be drawn before the model's process
                # takes a core of this two-core machine.
                time.sleep(MODEL_DELAY)
            try:
                tagger = loader()
            except Exception as exc:
                self.post_message(TaggerFailed(label, str(exc) or type(exc).__name__, final))
                continue
            self.post_message(TaggerReady(tagger, label, final))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.InputEvent, events.Paste)) and not self.screen_stack:
            return  # still queued as the app closes: no screen is left to take it
        if self.typeahead.take(event):
            return
        if isinstance(event, events.Key) and await self._focus_key(event):
            return
        await super().on_event(event)

    async def _focus_key(self, event: events.Key) -> bool:
        """Move the focus for Tab or shift+Tab as the key arrives; whether it moved.

        The app hands each key to the focused widget as it comes and runs a binding such as
        Tab's only once the key has come back up from it: "P01", Tab, "ana" arriving together
        went "P01ana" into the first field. Moved now, the keys after it go to the next one.
        """
        if event.key not in FOCUS_KEYS or event.is_forwarded:
            return False
        focused = self.focused
        # Only from a box whose own keys run as they arrive: from one whose keys still run on
        # their way up (a Select's Down and Enter), the Tab waits its turn behind them. A
        # Select shut takes no keys of its own before a Tab ("Tab Tab seg" typed "seg" into
        # it, not into the field after it).
        if isinstance(focused, Select) and not focused.expanded:
            pass
        elif not isinstance(focused, SafeInput | ChatTextArea):
            return False
        if isinstance(focused, TextArea) and focused.tab_behavior == "indent":
            return False  # the box types the Tab itself
        return await self._check_bindings(event.key, priority=True) or await self._check_bindings(
            event.key
        )

    def _status_text(self, failed: str = "") -> str:
        if not self.plan.enabled:
            return "tags: off"
        parts = []
        if self.tagger is not None:
            parts.append(f"tags: {self.tagger.name}")
        if self.tagger_loading:
            parts.append("model loading…" if parts else "tags: model loading…")
        elif failed:
            parts.append(f"({failed} unavailable)" if parts else f"tags: off ({failed} failed)")
        return " · ".join(parts)

    def on_tagger_ready(self, message: TaggerReady) -> None:
        self.tagger = message.tagger
        self.tagger_loading = not message.final
        self.tagger_status = self._status_text()
        if self.session is not None:
            self._record_tagger(self.session)
        self._tell_screens()

    def on_tagger_failed(self, message: TaggerFailed) -> None:
        self.tagger_loading = not message.final
        self.tagger_status = self._status_text(failed=message.label)
        self.log.warning(f"tagger {message.label} not loaded: {message.reason}")
        self._tell_screens()

    def tagger_renamed(self) -> None:
        """Show and record the tagger's name again: a model process that fails hands over
        to the lexicon tagger and says so in its name, with no message of its own."""
        status = self._status_text()
        if status != self.tagger_status:
            self.tagger_status = status
            if self.session is not None:
                self._record_tagger(self.session)

    def _tell_screens(self) -> None:
        for screen in self._interview_screens(closing_too=True):
            screen.tagger_changed()

    def _record_tagger(self, session: InterviewSession) -> None:
        # The name of the tagger is a detail; the answers are what matter.
        with contextlib.suppress(CjmError):
            self.store.update_session(session.id, tagger=label_of(self.tagger))

    # ------------------------------------------------------------ sessions
    def open_session(self, info: SessionInfo) -> InterviewSession:
        """Start a session in the store (tags come from workers, not the session)."""
        session = InterviewSession.start(
            self.store,
            self.script,
            info,
            tagger=None,
            expect_tags=self.plan.enabled,
            tagger_name=label_of(self.tagger),
            actor=self.actor(info),
        )
        self.session = session
        return session

    def actor(self, info: SessionInfo) -> str:
        """Who gives the answers, as the audit log names them."""
        return info.interviewer

    def interview_screen(self, session: InterviewSession, resumed: bool = False) -> Screen[None]:
        from cjm_interview.tui.screens.interview import InterviewScreen

        return InterviewScreen(session, self.show_tags, resumed)

    def interview_finished(self, screen: Screen[None]) -> None:
        """The engine has nothing more to ask (the session is marked finished)."""
        self.store.flush_log()

    async def interview_closed(self, screen: Screen[None], paused: bool = False) -> None:
        """The interview screen is done with: finished, paused or ended early."""

    async def interview_erased(self, screen: Screen[None]) -> None:
        """The screen's session was erased (``sessions delete``) while it was open."""

    def say_erased(self, screen: Screen[None], next_step: str) -> None:
        """Tell whoever is at the screen, plainly, why the interview stopped."""
        from cjm_interview.tui.screens.interview import InterviewScreen

        if isinstance(screen, InterviewScreen):
            self.pending.drop(screen.session)
        self.notify(
            f"This interview was erased and can take no more answers. {next_step}",
            severity="warning",
            timeout=10,
        )

    async def start_interview(self, info: SessionInfo | None) -> None:
        """Begin a new interview (from the start or welcome screen)."""

    async def resume_interview(self, session_id: str) -> None:
        """Reopen an unfinished session (interviewer mode only)."""


class InterviewerApp(CjmApp):
    """Interviewer mode: start screen, side panel, pause, resume, end early."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
    ]

    mode = "interviewer"

    def __init__(self, *args: object, resume: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.resume_id = resume
        """A session to reopen at once (``--resume``)."""

    def on_mount(self) -> None:
        self.begin()
        from cjm_interview.tui.screens.start import StartScreen

        if self.resume_id:
            self.call_later(self.resume_interview, self.resume_id)
        else:
            self.push_screen(StartScreen())

    def action_help_quit(self) -> None:
        """ctrl+c: how to quit, in words (Textual's own says "Press [b]ctrl+q[/b]", and
        notifications here are never markup)."""
        self.notify("ctrl+c does not quit: press ctrl+q to quit the app.")

    async def action_quit(self) -> None:
        """ctrl+q: at once, as every answer sent is stored; but words typed and not sent
        would be lost without a word, so they are asked about first."""
        from cjm_interview.tui.screens.interview import InterviewScreen
        from cjm_interview.tui.screens.modals import ConfirmScreen

        screen = self.screen
        if not isinstance(screen, InterviewScreen) or not screen.unsent_words():
            self.exit()
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(
            ConfirmScreen(
                "Quit? The words in the answer box were not sent and will be lost; the "
                "interview stays unfinished, to be resumed from the start screen."
            ),
            decided,
        )

    async def start_interview(self, info: SessionInfo | None) -> None:
        try:
            session = self.open_session(info or SessionInfo())
        except CjmError as exc:
            self.notify(f"{exc} {exc.hint}", severity="error", timeout=10)
            self.call_later(self.typeahead.release)  # the keys after the Enter stay here
            return
        self.clear_notifications()  # the start screen's (its help, "paused") would cover it
        await self._show(self.interview_screen(session))

    async def resume_interview(self, session_id: str) -> None:
        """Reopen an unfinished session where it stopped."""
        try:
            full_id = self.store.resolve_session_id(session_id)
            session = InterviewSession.resume(
                self.store, full_id, self.script, expect_tags=self.plan.enabled
            )
        except CjmError as exc:
            self.notify(f"{exc} {exc.hint}", severity="error", timeout=10)
            if len(self.screen_stack) <= 1:
                from cjm_interview.tui.screens.start import StartScreen

                await self.push_screen(StartScreen())
            self.call_later(self.typeahead.release)  # nothing resumed: the keys stay here
            return
        self.session = session
        self.clear_notifications()
        await self._show(self.interview_screen(session, resumed=True))

    async def _show(self, screen: Screen[None]) -> None:
        if len(self.screen_stack) > 1:
            await self.switch_screen(screen)
        else:
            await self.push_screen(screen)

    async def interview_erased(self, screen: Screen[None]) -> None:
        from cjm_interview.tui.screens.start import StartScreen

        self.session = None
        self.say_erased(screen, "Nothing more of it is saved.")
        await self._show(StartScreen())

    async def interview_closed(self, screen: Screen[None], paused: bool = False) -> None:
        from cjm_interview.tui.screens.start import StartScreen

        self.session = None
        self.store.flush_log()
        if paused:
            self.notify("Interview paused. Resume it from the list below.")
        await self._show(StartScreen())
        screen_shown(self)  # the keys typed after leaving go to its first field


class KioskApp(CjmApp, inherit_bindings=False):
    """Kiosk mode: participants alone at a shared terminal, keys locked down."""

    ENABLE_COMMAND_PALETTE = False

    # Every way out of a terminal program is a key that does nothing here;
    # the operator leaves through F12 and the PIN.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q,ctrl+c,ctrl+z,ctrl+backslash,ctrl+p", "nothing", show=False, priority=True),
        Binding("escape", "nothing", show=False),
        Binding("f12", "operator", show=False, priority=True),
    ]

    mode = "kiosk"

    def __init__(
        self,
        *args: object,
        pin_guard: PinGuard,
        idle_seconds: float = 120.0,
        countdown_seconds: float = 30.0,
        reset_seconds: float = 10.0,
        kiosk_id: str = "",
        notice: str = "",
        **kwargs: object,
    ) -> None:
        if not isinstance(pin_guard, PinGuard):
            raise CjmError("kiosk mode needs an operator PIN and there is no default")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.pin_guard = pin_guard
        """Checks the operator's PIN."""
        self.idle_seconds = idle_seconds
        """Inactivity before "are you still there?"."""
        self.notice = notice
        """A line for the welcome screen until the next interview starts (after a restart)."""
        self.countdown_seconds = countdown_seconds
        """How long "are you still there?" waits before the reset."""
        self.reset_seconds = reset_seconds
        """How long the thank-you stays before the welcome screen returns."""
        self.kiosk_id = kiosk_id
        """Name of this terminal, kept with each session."""
        self.last_input = time.monotonic()
        """When the participant last pressed a key or touched the mouse."""
        self.participants = 0
        """Sessions started since launch."""
        self.operator_left = False
        """True once the operator left with the PIN: the only end that is not a crash."""
        self.exit_report = ""
        """What Textual would have printed on leaving (a traceback), kept for the crash log."""
        self._asking_idle = False
        self._resetting = False
        self.pressed_at: float | None = None
        """When the last mouse button went down (Textual's event clock): a click's press."""
        self.key_gap = math.inf
        """Seconds between the key being handled and the one typed before it (their own
        times): a key held down repeats every few hundredths of a second."""
        self._key_at = -math.inf

    def on_mount(self) -> None:
        self.begin()
        from cjm_interview.tui.screens.welcome import WelcomeScreen

        self.push_screen(WelcomeScreen())
        self.set_interval(IDLE_TICK, self._check_idle)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.last_input = time.monotonic()
            if isinstance(event, events.MouseDown) and not event.is_forwarded:
                # The copies handed on to widgets are timed anew: keep the press's time.
                self.pressed_at = event.time
            if isinstance(event, events.Key) and not event.is_forwarded:
                self.key_gap, self._key_at = event.time - self._key_at, event.time
        await super().on_event(event)

    # Ways out that a participant could otherwise reach.
    def action_nothing(self) -> None:
        """Swallow the key."""

    async def action_quit(self) -> None:
        self.action_operator()

    def action_help_quit(self) -> None:
        """Ctrl+c does not leave a kiosk."""

    def action_command_palette(self) -> None:
        """No command palette in a kiosk."""

    def action_suspend_process(self) -> None:
        """A kiosk is never suspended to a shell."""

    def action_operator(self) -> None:
        """F12: the operator leaves with the PIN."""
        from cjm_interview.tui.screens.modals import PinScreen

        if isinstance(self.screen, PinScreen):
            return

        def decided(ok: bool | None) -> None:
            if ok:
                self._abandon()
                self.operator_left = True
                self.exit()

        self.push_screen(PinScreen(self.pin_guard), decided)

    # ------------------------------------------------------------ participants
    def actor(self, info: SessionInfo) -> str:
        return f"participant@{self.kiosk_id or 'kiosk'}"

    async def start_interview(self, info: SessionInfo | None) -> None:
        info = SessionInfo(
            perspective=self.script.perspective,
            language=self.script.languages[0],
            kiosk=self.kiosk_id,
        )
        try:
            session = self.open_session(info)
        except CjmError as exc:
            self.notify(f"{exc} {exc.hint}", severity="error", timeout=10)
            return
        self.participants += 1
        self.last_input = time.monotonic()
        self.notice = ""
        await self.switch_screen(self.interview_screen(session))

    # ------------------------------------------------------------ after a crash
    def crashed_with(self) -> BaseException | None:
        """The error that ended the app, if one did (else why it ended, when not by the PIN)."""
        if self._exception is not None:
            return self._exception
        if not self.operator_left and self.exit_report:
            return UnexpectedExit(f"the kiosk was stopped:\n{self.exit_report}")
        return None

    def _print_error_renderables(self) -> None:
        # A traceback on the kiosk's terminal would show the next person the
        # last one's answers (Textual prints locals): it goes to the crash log.
        report = io.StringIO()
        console = Console(file=report, width=100, color_system=None)
        for renderable in self._exit_renderables:
            console.print(renderable)
        self.exit_report = report.getvalue()
        self._exit_renderables.clear()

    def _fatal_error(self) -> None:
        # Textual's own renders the traceback with each frame's local values, where a
        # participant's answers sit; the crash log keeps none (erasure cannot reach it).
        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    def close_after_crash(self) -> None:
        """Close the participant's session as abandoned: its answers are all saved."""
        self._abandon()
        self.save_pending_now()

    def interview_screen(self, session: InterviewSession, resumed: bool = False) -> Screen[None]:
        from cjm_interview.tui.screens.interview import KioskInterviewScreen

        return KioskInterviewScreen(session, self.show_tags, resumed)

    def interview_finished(self, screen: Screen[None]) -> None:
        super().interview_finished(screen)
        self.set_timer(self.reset_seconds, lambda: self._reset_after_finish(screen))

    async def _reset_after_finish(self, finished: Screen[None]) -> None:
        # This participant's thank-you only: closed early by a key, the next person's own
        # thank-you (a new screen) was cleared by this timer before its time.
        if self.screen is finished:
            await self.reset("finished")

    async def interview_closed(self, screen: Screen[None], paused: bool = False) -> None:
        await self.reset("finished")

    async def interview_erased(self, screen: Screen[None]) -> None:
        self.say_erased(screen, "The screen is ready for the next person.")
        await self.reset("erased")  # nothing to close: the session is gone

    def _abandon(self) -> None:
        session = self.session
        self.session = None
        if session is not None and self.pending.abandon(session):
            return  # closed once its waiting answer is stored
        if session is not None and not session.finished:
            try:
                session.end("abandoned")
            except CjmError as exc:
                self.log.error(f"could not mark session abandoned: {exc}")

    async def reset(self, why: str = "abandoned") -> None:
        """Close the participant's session and show the welcome screen to the next person.

        Every screen of the previous participant is dropped: nothing of theirs
        can be reached from the welcome screen.
        """
        if self._resetting:
            return
        self._resetting = True
        try:
            from cjm_interview.tui.screens.welcome import WelcomeScreen

            if why == "abandoned":
                self._abandon()
                self.store.flush_log()
            self.session = None
            self.typeahead.drop()  # keys typed ahead were the last participant's
            while len(self.screen_stack) > 2:
                await self.pop_screen()
            await self.switch_screen(WelcomeScreen(returned=True))
            self._asking_idle = False
        finally:
            self._resetting = False

    async def _check_idle(self) -> None:
        """After ``idle_seconds`` without a key, on any screen or dialog: ask, then reset.

        A dialog left open (the operator's PIN, say) is closed first; a finished
        interview, or a dialog over the welcome screen, is reset at once.
        """
        from textual.screen import ModalScreen

        from cjm_interview.tui.screens.modals import IdleScreen
        from cjm_interview.tui.screens.welcome import WelcomeScreen

        if self._asking_idle or self._resetting:
            return
        if time.monotonic() - self.last_input < self.idle_seconds:
            return
        if isinstance(self.screen, WelcomeScreen) and self.session is None:
            return
        session = self.session
        if session is None or session.finished:
            await self.reset("finished")
            return
        self._asking_idle = True
        while isinstance(self.screen, ModalScreen) and len(self.screen_stack) > 2:
            await self.pop_screen()

        async def answered(still_there: bool | None) -> None:
            self._asking_idle = False
            self.last_input = time.monotonic()
            if not still_there:
                await self.reset("abandoned")

        await self.push_screen(IdleScreen(self.countdown_seconds), answered)


def make_app(
    store: Store,
    script: Script,
    mode: Literal["interviewer", "kiosk"] = "interviewer",
    tagger: Tagger | TaggerPlan | TaggerLoader | None = None,
    *,
    resume: str | None = None,
    interviewer: str = "",
    show_tags: bool | None = None,
    pin_guard: PinGuard | None = None,
    idle_seconds: float = 120.0,
    countdown_seconds: float = 30.0,
    reset_seconds: float = 10.0,
    kiosk_id: str = "",
    notice: str = "",
    cursor_blink: bool = True,
    theme: str = HIGH_CONTRAST.name,
) -> CjmApp:
    """Build the app from its services; the CLI and the tests both come through here.

    Args:
        store: The study database.
        script: The script new sessions run.
        mode: ``interviewer`` or ``kiosk``.
        tagger: A ready tagger, a callable that loads one (run in a background
            thread), a TaggerPlan, or None for no tags.
        resume: Interviewer mode: a session id (or unique prefix) to reopen at once.
        interviewer: Interviewer mode: the default interviewer name.
        show_tags: Show tags under answers (default: yes for interviewers, no in kiosks).
        pin_guard: Kiosk mode: the operator's PIN; required, there is no default.
        idle_seconds: Kiosk mode: inactivity before "are you still there?".
        countdown_seconds: Kiosk mode: time to answer it before the reset.
        reset_seconds: Kiosk mode: how long the thank-you stays.
        kiosk_id: Kiosk mode: name of this terminal, kept with each session.
        notice: Kiosk mode: a line for the welcome screen (after a restart).
        cursor_blink: Blinking cursors (off for stable snapshots).
        theme: A Textual theme name; the default is high contrast.
    """
    plan = as_plan(tagger)
    if mode == "kiosk":
        if pin_guard is None:
            raise CjmError(
                "kiosk mode needs an operator PIN and there is no default",
                "Set CJM_KIOSK_PIN, or pass --pin-hash-file FILE.",
            )
        return KioskApp(
            store,
            script,
            plan,
            show_tags=bool(show_tags),
            cursor_blink=cursor_blink,
            theme=theme,
            pin_guard=pin_guard,
            idle_seconds=idle_seconds,
            countdown_seconds=countdown_seconds,
            reset_seconds=reset_seconds,
            kiosk_id=kiosk_id,
            notice=notice,
        )
    if mode != "interviewer":
        raise ValueError(f"unknown mode {mode!r}")
    return InterviewerApp(
        store,
        script,
        plan,
        show_tags=True if show_tags is None else show_tags,
        interviewer=interviewer,
        cursor_blink=cursor_blink,
        theme=theme,
        resume=resume,
    )
