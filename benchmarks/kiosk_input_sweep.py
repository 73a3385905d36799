"""Every single byte 0x00-0xff, and the hostile sequences of the tests, sent to a real kiosk.

`cjm kiosk` runs in tmux (tests/terminal.py). At its first free-text question each byte is
sent alone (tmux send-keys -H), then a probe word is typed: the kiosk survived if it is
still running and either shows the probe or moved on as the key asks (Enter sends the
answer, ctrl+b goes back), in which case a fresh kiosk takes the next byte. The hostile
sequences follow, each with its probe. Results: benchmarks/results/kiosk_input_sweep.json.

    nice -n 10 .venv/bin/python benchmarks/kiosk_input_sweep.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.terminal import HOSTILE, Pane, begin_kiosk, kiosk_command  # noqa: E402


def joined(shown: str) -> str:
    return "".join(line.strip() for line in shown.splitlines())


def fresh(folder: Path, number: int) -> Pane:
    pane = Pane(kiosk_command(folder / f"sweep-{number}.db", report_exit=True), ROOT)
    begin_kiosk(pane)
    return pane


def probe(pane: Pane, word: str) -> str:
    """'typed', 'moved' (the key changed the screen), or 'dead'."""
    time.sleep(0.3)
    if pane.ended() or "EXITED" in pane.screen():
        return "dead"
    pane.write(word)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        shown = pane.screen()
        if word in joined(shown):
            return "typed"
        if "EXITED" in shown or pane.ended():
            return "dead"
        time.sleep(0.1)
    return "moved"


def main() -> None:
    results: dict[str, str] = {}
    screens: dict[str, str] = {}  # what a probe that was not typed left on screen
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        runs = 0
        pane = fresh(Path(folder), runs)
        items = [(f"byte {b:#04x}", bytes([b])) for b in range(256)] + list(HOSTILE.items())
        for number, (name, data) in enumerate(items):
            pane.send_bytes(data)
            outcome = probe(pane, f"q{number:03d}z")
            results[name] = outcome
            if outcome != "typed":
                screens[name] = pane.screen()
                pane.close()
                runs += 1
                pane = fresh(Path(folder), runs)
        pane.close()
    counts = {k: sum(1 for v in results.values() if v == k) for k in ("typed", "moved", "dead")}
    report = {
        "tried": len(results),
        "bytes": 256,
        "sequences": len(HOSTILE),
        "survived": counts["typed"] + counts["moved"],
        **counts,
        "moved_by": [k for k, v in results.items() if v == "moved"],
        "dead_after": [k for k, v in results.items() if v == "dead"],
        "screens": screens,
        "seconds": round(time.monotonic() - started, 1),
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "kiosk_input_sweep.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "screens"}, indent=2))


if __name__ == "__main__":
    main()
