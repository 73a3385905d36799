"""The real program in a real terminal, for the tests that drive it through tmux.

Each pane runs on a tmux server of its own (a private socket, no user
configuration). A tmux the developer has open, with its own environment and
options, cannot change what the program shows, and one test's server shutting
down can never take the next test's session with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path
from types import TracebackType

TMUX = shutil.which("tmux")
_numbers = count()
# Programs size themselves from COLUMNS and LINES before the terminal, and the
# test run may have set them (to 80×24): the pane's size must be the one asked for.
_ENVIRONMENT = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


KIOSK_PIN = "4821"


# Sequences that stopped the kiosk, or could: huge numbers, unterminated strings,
# a paste that holds its own end marker, mouse reports far off the screen, lies about size.
HOSTILE: dict[str, bytes] = {
    "huge cursor move": b"\x1b[99999999999A",
    "huge kitty key": b"\x1b[99999999999u",
    "code point past unicode": b"\x1b[1114112u",
    "huge kitty text": b"\x1b[97;1;99999999999u",
    "many parameters": b"\x1b[" + b"1;" * 500 + b"A",
    "one thousand digits": b"\x1b[" + b"9" * 1000 + b"A",
    "paste ending early, then a huge number": b"\x1b[200~a\x1b[201~\x1b[99999999999A\x1b[201~",
    "paste of latin-1": b"\x1b[200~caf\xe9\x1b[201~",
    "paste of invalid utf-8": b"\x1b[200~\xff\xfe\xc3\x28\xe2\x82\x1b[201~",
    "unterminated osc": b"\x1b]0;" + b"x" * 200,
    "unterminated dcs": b"\x1bP" + b"q" * 200,
    "osc with bell": b"\x1b]52;c;" + b"A" * 100 + b"\x07",
    "sgr mouse far away": b"\x1b[<0;99999999;99999999M",
    "sgr mouse negative": b"\x1b[<0;-5;-5M",
    "x10 mouse": b"\x1b[M\xff\xff\xff",
    "in-band resize of zero": b"\x1b[48;0;0;0;0t\x1b[<0;5;5M",
    "in-band resize huge": b"\x1b[48;99999;99999;1;1t",
    # A claim that the terminal reports its size in-band, then a size: the kiosk drew in a
    # corner (or a 3999-cell square, 16 s a frame) and no longer heard real resizes.
    "in-band resize claimed": b"\x1b[?2048;1$y\x1b[48;6;20;0;0t",
    "in-band resize large": b"\x1b[48;3999;3999;0;0t",
    "cursor report huge": b"\x1b[99999999;99999999R",
    "mode report": b"\x1b[?2048;9$y",
    "c1 csi": b"\x9b31m",
    "lone escapes": b"\x1b\x1b\x1b\x1b",
    # Enter, ctrl+j and ctrl+b answer or go back: the byte sweep (benchmarks) has them.
    "control characters": bytes(b for b in range(32) if b not in b"\r\n\x02") + b"\x7f",
}


def kiosk_command(
    db: Path,
    tagger: str = "none",
    *options: str,
    program: Path | None = None,
    report_exit: bool = False,
) -> str:
    """The shell command that runs `cjm kiosk` on the quick script (or `program` with
    the same arguments). With `report_exit`, the pane then shows "EXITED <code>"; without,
    the program is the pane's process (its pid is the pane's)."""
    run = str(program) if program else "-m cjm_interview"
    command = (
        f"CJM_KIOSK_PIN={KIOSK_PIN} {'' if report_exit else 'exec '}{sys.executable} {run} "
        f"kiosk --script quick --db {db} --tagger {tagger} {' '.join(options)}"
    ).rstrip()
    return command + "; echo EXITED $?; sleep 30" if report_exit else command


def begin_kiosk(pane: Pane) -> None:
    """From the kiosk's welcome screen to its first free-text question, consent given."""
    pane.wait_for("Press Enter to begin")
    pane.keys("Enter")
    pane.wait_for("Do you agree to take part?")
    pane.keys("y", "Enter")
    pane.wait_for("first thing you did?")


def flat(shown: str) -> str:
    """Screen text as one line: wrapped sentences joined; borders, bars and spacing gone."""
    return " ".join(" ".join(line.strip("▌║│ ").split()) for line in shown.splitlines())


class Pane:
    """`command` running in a 100×30 tmux pane; keys in, screen text out.

    The pane stays on screen when the program ends, so a test that fails because
    the program died shows its last screen (a traceback, say).
    """

    def __init__(self, command: str, cwd: Path, width: int = 100, height: int = 30) -> None:
        self.name = f"cjm-tests-{os.getpid()}-{next(_numbers)}"
        self._tmux(
            "new-session", "-d", "-s", "pane", "-x", str(width), "-y", str(height),
            "-c", str(cwd), command,
            ";", "set-option", "-t", "pane", "remain-on-exit", "on",
        )  # fmt: skip
        self.pid = int(self._tmux("list-panes", "-t", "pane", "-F", "#{pane_pid}").split()[0])
        """The pid of the pane's process (the program, when started with exec)."""
        self._socket = Path(self._tmux("display-message", "-p", "#{socket_path}").strip())

    def _tmux(self, *args: str, check: bool = True) -> str:
        assert TMUX is not None
        command = [TMUX, "-L", self.name, "-f", "/dev/null", *args]
        return subprocess.run(
            command, capture_output=True, text=True, check=check, env=_ENVIRONMENT
        ).stdout

    def keys(self, *keys: str, pause: float = 0.0) -> None:
        """Press keys by tmux name ("Enter", "C-c", "F12"), `pause` seconds apart."""
        for key in keys:
            self._tmux("send-keys", "-t", "pane", key)
            time.sleep(pause)

    def write(self, text: str) -> None:
        """Type `text` as it is (no key names)."""
        self._tmux("send-keys", "-t", "pane", "-l", text)

    def send_bytes(self, data: bytes) -> None:
        """Send raw bytes, as a terminal would (a few hundred per tmux command)."""
        for start in range(0, len(data), 500):
            chunk = data[start : start + 500]
            self._tmux("send-keys", "-t", "pane", "-H", *(f"{b:02x}" for b in chunk))

    def paste(self, data: bytes, folder: Path) -> None:
        """Paste `data` as a terminal does: bracketed, when the program asked for it."""
        source = folder / f"paste-{next(_numbers)}"
        source.write_bytes(data)
        self._tmux("load-buffer", "-b", "paste", str(source))
        self._tmux("paste-buffer", "-p", "-d", "-b", "paste", "-t", "pane")

    def resize(self, width: int, height: int) -> None:
        """Resize the pane's window, as a person dragging the terminal's corner would."""
        self._tmux("resize-window", "-t", "pane", "-x", str(width), "-y", str(height))

    def screen(self) -> str:
        """What the pane shows now, as text."""
        return self._tmux("capture-pane", "-p", "-t", "pane")

    def ended(self) -> bool:
        """Whether the program in the pane has ended."""
        return self._tmux("list-panes", "-t", "pane", "-F", "#{pane_dead}").strip() == "1"

    def wait_until(self, shows: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        """Wait until the screen `shows` what is expected; the screen. Fails with the screen."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if shows(shown):
                return shown
            if self.ended():
                # tmux scrolls a dead pane: its history holds the last words (a traceback).
                shown = self._tmux("capture-pane", "-p", "-S", "-", "-t", "pane").strip("\n")
                raise AssertionError(f"{what}: the program ended; the screen was:\n{shown}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: {timeout:.0f} s passed; the screen was:\n{shown}")
            time.sleep(0.1)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """Wait until `text` is on screen, wherever its lines wrap; the screen."""
        return self.wait_until(
            lambda shown: text in flat(shown), f"{text!r} never appeared", timeout
        )

    def close(self) -> None:
        """Stop the program and the pane's tmux server."""
        self._tmux("kill-server", check=False)
        self._socket.unlink(missing_ok=True)  # tmux leaves it behind

    def __enter__(self) -> Pane:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
