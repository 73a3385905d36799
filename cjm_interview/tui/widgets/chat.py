"""The conversation: the assistant's prompts and the participant's answers, scrolling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from cjm_interview.answers import clean_text
from cjm_interview.domain import AnswerKey, Tag
from cjm_interview.tui.messages import AnswerSelected
from cjm_interview.tui.safe import safe_text

MAX_EMOTIONS = 3


def tag_summary(tags: Sequence[Tag], names: Mapping[str, str] | None = None) -> Text:
    """A one-line summary of an answer's tags: channels (by ``names``, the script's own
    words for them: "In person", not ``in_person``) · sentiment · emotions."""
    names = names or {}
    touchpoints = [names.get(t.label, t.label) for t in tags if t.kind == "touchpoint"]
    sentiments = [t.label for t in tags if t.kind == "sentiment"]
    emotions = sorted((t for t in tags if t.kind == "emotion"), key=lambda t: -t.score)
    parts: list[Text] = []
    if touchpoints:
        parts.append(Text("channels: ", style="dim") + Text(", ".join(touchpoints), style="bold"))
    if sentiments:
        style = {"negative": "bold red", "positive": "bold green"}.get(sentiments[0], "bold")
        parts.append(Text("sentiment: ", style="dim") + Text(sentiments[0], style=style))
    if emotions:
        feelings = ", ".join(t.label for t in emotions[:MAX_EMOTIONS])
        parts.append(Text("feels: ", style="dim") + Text(feelings, style="italic"))
    if not parts:
        return Text("no tags", style="dim")
    return Text(" · ").join(parts)


def plain(widget: Static) -> str:
    """The text a Static shows, without styles."""
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


class AssistantBubble(Static):
    """Something the interviewer (the assistant) says."""

    def __init__(self, text: str | Text, kind: str = "") -> None:
        # Messages name files and quote what was typed: never markup, never escapes.
        body = text if isinstance(text, Text) else Text(clean_text(text))
        super().__init__(body, classes="assistant" + (f" -{kind}" if kind else ""))


class AnswerBubble(Widget):
    """One answer of the participant, with its tags underneath once they are known."""

    DEFAULT_CSS = """
    AnswerBubble { height: auto; }
    AnswerBubble > .answer-text { height: auto; }
    AnswerBubble > .answer-tags { height: auto; display: none; }
    AnswerBubble.-tagged > .answer-tags { display: block; }
    """

    def __init__(self, key: AnswerKey, text: str, show_tags: bool, italic: bool = False) -> None:
        super().__init__(classes="participant")
        self.key = key
        """The answer shown."""
        self.show_tags = show_tags
        """Whether tags appear under this answer (never in kiosks, unless asked)."""
        # Children exist from the start, so tags can be set before they mount.
        self._text = Static(
            safe_text(text, style="italic" if italic else ""), classes="answer-text"
        )
        self._tags = Static("", classes="answer-tags")

    def compose(self) -> ComposeResult:
        yield self._text
        yield self._tags

    def set_tags(self, tags: Sequence[Tag] | None, pending: bool = False) -> None:
        """Show the tags (or that they are being computed)."""
        if not self.show_tags:
            return
        line = self._tags
        if pending:
            line.update(Text("tagging…", style="dim italic"))
            self.add_class("-tagged")
        elif tags is None:
            self.remove_class("-tagged")
        else:
            script = getattr(self.app, "script", None)
            names = {t.id: t.label for t in getattr(script, "touchpoints", ())}
            line.update(tag_summary(tags, names))
            self.add_class("-tagged")

    @property
    def tags_text(self) -> str:
        """The tag line as plain text (what tests and screen readers see)."""
        if not self.has_class("-tagged"):
            return ""
        return plain(self._tags)

    def on_click(self) -> None:
        self.post_message(AnswerSelected(self.key))


class ChatLog(VerticalScroll, can_focus=False):
    """The conversation so far; always scrolled to the latest turn, or to the one picked."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._kept: Widget | None = None

    def keep_in_view(self, turn: Widget | None) -> None:
        """Show `turn` (None: the latest) now and after each change of size."""
        self._kept = turn
        # The latest turn: anchored, the layout itself keeps the end in view as the turns
        # rewrap. A scroll after the resize could run before the rewrap had made the
        # conversation taller, and leave the question out of view (on a loaded machine).
        self.anchor(turn is None)
        self.call_after_refresh(self._show_kept)

    def _show_kept(self) -> None:
        if self._kept is not None and self._kept.is_attached:
            self._kept.scroll_visible(animate=False)
        else:
            self.scroll_end(animate=False)

    def on_resize(self) -> None:
        # A terminal made smaller, the side panel shown or a taller answer box rewrap the
        # turns: the question being asked would slide out of view, and nothing scrolls it back.
        self.call_after_refresh(self._show_kept)

    def say(self, text: str | Text, kind: str = "") -> AssistantBubble:
        """Add an assistant turn."""
        bubble = AssistantBubble(text, kind)
        self.mount(bubble)
        # After the new turn is laid out, or the end is not the end yet.
        self.keep_in_view(None)
        return bubble

    def answer(
        self, key: AnswerKey, text: str, show_tags: bool, italic: bool = False
    ) -> AnswerBubble:
        """Add a participant turn (its text is shown safely, never as markup)."""
        bubble = AnswerBubble(key, text, show_tags, italic)
        self.mount(bubble)
        self.keep_in_view(None)
        return bubble

    def transcript(self) -> str:
        """Every turn as plain text, in order (for tests and checks)."""
        lines = []
        for child in self.children:
            if isinstance(child, AnswerBubble):
                lines.append("> " + plain(child._text))
                if child.tags_text:
                    lines.append("  [" + child.tags_text + "]")
            elif isinstance(child, Static):
                lines.append(plain(child))
        return "\n".join(lines)
