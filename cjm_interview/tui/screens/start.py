"""Interviewer mode's start screen: a new interview, or one to resume."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from cjm_interview.domain import SessionInfo
from cjm_interview.tui.safe import one_line
from cjm_interview.tui.typeahead import ENTER_LEAVES_CLASS, move_focus
from cjm_interview.tui.widgets.footer import KeysFooter
from cjm_interview.tui.widgets.inputs import SafeInput

START_AGAIN_AFTER = 1.0
"""Seconds in which a second start from the same screen is the same start."""

if TYPE_CHECKING:
    from cjm_interview.tui.app import CjmApp


def session_line(row: dict[str, Any]) -> Text:
    """One unfinished session in the resume list."""
    who = one_line(row["participant"] or "(no name)", 20)
    line = Text(f"{who:<20} ", style="bold")
    line.append(f"{row['perspective']:<9}")
    answers = row["answers"]
    line.append(f"{answers:>3} {'answer ' if answers == 1 else 'answers'}  ")
    line.append(f"{(row['updated_at'] or row['started_at'] or '')[:16].replace('T', ' ')}  ")
    line.append(row["id"][:8], style="dim")
    return line


class StartScreen(Screen[None]):
    """Who is interviewed (pseudonym, perspective, segment, language), or resume one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", priority=True),
        # Not a priority binding: those run when the key arrives, before the keys typed
        # just ahead of it reach the box ("P01" then ctrl+s in one burst lost the name).
        Binding("ctrl+s", "start", "Start"),
        # Run as it arrives (priority), so that keys after it go to the list.
        Binding("f9", "focus_resume", "Resume list", priority=True),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__(classes="start")
        self._started_at = -START_AGAIN_AFTER

    @property
    def cjm(self) -> CjmApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        script = self.cjm.script
        with VerticalScroll(id="start-body"):
            yield Static(Text(script.title.get("en"), style="bold"), id="start-title")
            if script.description is not None:
                yield Static(Text(script.description.get("en"), style="italic"), id="start-about")
            yield Static(Text("New interview", style="bold"), classes="section-title")
            with Grid(id="start-form"):
                yield Static("Participant")
                yield SafeInput(
                    placeholder="pseudonym, e.g. P07",
                    compact=True,
                    id="participant",
                    classes=ENTER_LEAVES_CLASS,
                )
                yield Static("Perspective")
                # The script's own: "staff" chosen here ran the customer's questions and
                # filed the answers as staff ones.
                other = "staff" if script.perspective == "customer" else "customer"
                yield Static(
                    Text.assemble(
                        script.perspective,
                        (f" · for {other}: cjm interview --script {other}", "dim"),
                    ),
                    id="perspective",
                )
                yield Static("Segment")
                yield SafeInput(
                    placeholder="optional, e.g. new customers",
                    compact=True,
                    id="segment",
                    classes=ENTER_LEAVES_CLASS,
                )
                yield Static("Persona")
                yield SafeInput(
                    placeholder="optional", compact=True, id="persona", classes=ENTER_LEAVES_CLASS
                )
                yield Static("Language")
                yield Select(
                    [(lang, lang) for lang in script.languages],
                    value=script.languages[0],
                    allow_blank=False,
                    compact=True,
                    id="language",
                )
                yield Static("Interviewer")
                yield SafeInput(
                    self.cjm.interviewer,
                    compact=True,
                    id="interviewer",
                    classes=ENTER_LEAVES_CLASS,
                    select_on_focus=True,  # a default ($USER): typing a name replaces it
                )
            yield Static(
                Text("Enter in a field or ctrl+s: start · Tab: next field", style="dim"),
                id="start-keys",
            )
            with Vertical(id="resume"):
                yield Static(Text("Resume an unfinished interview"), id="resume-title")
                # Its Enter resumes: the keys after it wait for the question resumed.
                yield OptionList(id="resume-list", compact=True, classes=ENTER_LEAVES_CLASS)
        yield KeysFooter()

    def on_mount(self) -> None:
        for widget in self.query(Input):
            widget.cursor_blink = self.cjm.cursor_blink
        self.query_one("#participant", Input).focus()
        self.refresh_sessions()

    def refresh_sessions(self) -> None:
        """List the unfinished sessions of this database."""
        options = self.query_one("#resume-list", OptionList)
        options.clear_options()
        rows = self.cjm.store.unfinished_sessions()
        for row in rows:
            options.add_option(Option(session_line(row), id=row["id"]))
        self.query_one("#resume").display = bool(rows)
        self.refresh_bindings()  # F9 is offered only with something to resume

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_resume":
            return any(
                options.option_count for options in self.query("#resume-list").results(OptionList)
            )
        return True

    def info(self) -> SessionInfo:
        """What the form says about the interview to start."""

        def text(widget_id: str) -> str:
            return " ".join(self.query_one(f"#{widget_id}", Input).value.split())

        language = self.query_one("#language", Select).value
        return SessionInfo(
            perspective=self.cjm.script.perspective,
            participant=text("participant"),
            segment=text("segment"),
            persona=text("persona"),
            language=str(language),
            # A field emptied is the default name ($USER), so each decision keeps a name.
            interviewer=text("interviewer") or self.cjm.interviewer,
        )

    def action_help(self) -> None:
        """F1: what the form is for and the keys of the interview it starts."""
        text = (
            "Participant: a pseudonym (P07), never a real name. Segment and persona are "
            "optional: the composite map can be sliced by them. The interviewer's name goes "
            "with every tag decision.\n"
            "Enter or ctrl+s starts; F9 goes to the interviews to resume.\n"
            "In the interview: Enter sends an answer · F1 help · F2 back · F3 skip · "
            "F8 keep the answer given earlier · F4 note · F7 tags · F6 panel · F5 pause · "
            "F10 end early · ctrl+q quit."
        )
        self.notify(text, title="Help", timeout=20)

    async def action_start(self) -> None:
        # Enter twice (or Enter and ctrl+s) in one moment started two interviews, the second
        # under the first's name with no answers; a start that fails can be tried again.
        now = time.monotonic()
        if now - self._started_at < START_AGAIN_AFTER:
            return
        self._started_at = now
        self.app.call_later(self.cjm.start_interview, self.info())

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_start()

    def action_focus_resume(self) -> None:
        options = self.query_one("#resume-list", OptionList)
        if options.option_count:
            if options.highlighted is None:  # Enter at once resumes the first
                options.highlighted = 0
            move_focus(options)

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.cjm.typeahead.hold()  # the keys typed after it answer the question resumed
            self.app.call_later(self.cjm.resume_interview, event.option.id)
