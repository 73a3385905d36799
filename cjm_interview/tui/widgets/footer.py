"""The keys bar at the foot of a screen, rebuilt only when what it shows changes."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

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
        self._fit()
        yield from super().compose()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Drop the spaces around each key when the keys would not fit in the bar with them.

        With them each key takes its key, its label and four columns: the interviewer's nine
        keys need 83 columns, and an 80-column terminal would cut the last ("f10 End").
        """
        if not self._on_screen or not self.size.width:
            return
        spaced = sum(
            len(self.app.get_key_display(binding)) + len(binding.description) + 3
            for _node, binding, _enabled, _tooltip in self.screen.active_bindings.values()
            if binding.show
        )
        self.compact = spaced > self.size.width

    async def _rebuild(self) -> None:
        self._rebuild_asked = False
        if self.is_attached and self._shown() != self._on_screen:
            await self.recompose()
