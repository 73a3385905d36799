"""The keys bar at the foot of a screen, rebuilt only when what it shows changes."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Left out of the bar, in this order, when the keys do not fit in it even without spaces.
SPARE = ("toggle_panel", "select_answer", "note", "skip", "keep", "back")
# What the bar shows of one binding: its key, label, action, whether it is enabled, tooltip.
Shown = tuple[str, str, str, bool, str]


class KeysFooter(Footer):
    """Textual's footer, rebuilt once a refresh and only when its keys change.

    Textual's footer removes and mounts all its keys each time a screen's bindings are
    refreshed, and they are refreshed at every focus move: several times an answer, about a
    fifth of the app's work per answer, for a bar that rarely changes. Here the requests of
    one refresh are taken together and the bar is rebuilt only if a key, its label or its
    state differs from what is on screen.
    """

    def __init__(self) -> None:
        super().__init__(show_command_palette=False)
        self._rebuild_asked = False
        self._on_screen: tuple[Shown, ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_asked:
            self._rebuild_asked = True
            self.call_after_refresh(self._rebuild)

    def _shown(self) -> tuple[Shown, ...]:
        return tuple(
            (binding.key, binding.description, binding.action, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )

    def compose(self) -> ComposeResult:
        # What is drawn is read here, when it is drawn: the focus may have moved on since
        # the rebuild was asked for.
        self._on_screen = self._shown() if self._bindings_ready else None
        hidden = self._fit()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.display = widget.action not in hidden
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        hidden = self._fit()
        for key in self.query(FooterKey):
            key.display = key.action not in hidden

    def left_out(self) -> list[str]:
        """The keys the bar leaves out for want of room, as shown ("f6 Panel")."""
        return [
            f"{key.key_display} {key.description}".strip()
            for key in self.query(FooterKey)
            if not key.display
        ]

    def _fit(self) -> set[str]:
        """Make the keys fit the bar; the actions whose keys are left out of it.

        With the spaces around each key, a key takes its name, its label and three columns
        more: the interviewer's nine keys need 83, and an 80-column terminal cut the last
        ("f10 End"). Without them, two. Narrower still, the keys in ``SPARE`` are left out
        in turn (they still work, and F1 names them).
        """
        if not self._on_screen or not self.size.width:
            return set()
        first: dict[str, int] = {}  # the bar shows one key an action: its first
        for _node, binding, _enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in first:
                first[binding.action] = len(self.app.get_key_display(binding)) + len(
                    binding.description
                )
        width = self.size.width
        self.compact = sum(n + 3 for n in first.values()) > width
        hidden: set[str] = set()
        for action in SPARE:
            if sum(n + 2 for a, n in first.items() if a not in hidden) <= width:
                break
            if action in first:
                hidden.add(action)
        return hidden

    async def _rebuild(self) -> None:
        self._rebuild_asked = False
        if self.is_attached and self._shown() != self._on_screen:
            await self.recompose()
