"""No byte, escape sequence or paste ends the kiosk, in a real terminal: after each the
kiosk still answers, and what the participant typed around it is saved in order."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cjm_interview.store import Store

from ..conftest import ROOT
from ..terminal import HOSTILE, KIOSK_PIN, TMUX, Pane, begin_kiosk, kiosk_command

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")

# Single bytes sent alone (the full sweep of 0x00-0xff is benchmarks/kiosk_input_sweep.py):
# NUL, ctrl+c, ctrl+z, ctrl+\, ESC, the C1 range, Latin-1 letters, UTF-8 lead bytes left
# alone, and bytes that are never UTF-8. (DEL and the other editing keys come later.)
SAMPLED_BYTES = bytes.fromhex("00 03 1a 1c 1b 80 9b 9f a0 c3 e9 f0 fe ff")


EDITING = "control characters"


def still_answers(pane: Pane, probe: str, after: str) -> None:
    """The kiosk is alive and types what is typed next (`after`: what was sent before)."""
    time.sleep(0.3)  # longer than the wait that tells a lone ESC from a sequence
    assert not pane.ended(), f"the kiosk ended after {after}"
    pane.write(probe)
    pane.wait_until(
        lambda shown: probe in "".join(line.strip() for line in shown.splitlines()),
        f"{probe} not typed after {after}",
        10,
    )


def test_no_byte_or_sequence_or_paste_ends_the_kiosk(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    probes = []
    with Pane(kiosk_command(db, report_exit=True), ROOT) as pane:
        begin_kiosk(pane)
        pane.write("I came by bus")
        for byte in SAMPLED_BYTES:
            pane.send_bytes(bytes([byte]))
            probes.append(f"b{byte:02x}z")
            still_answers(pane, probes[-1], f"byte {byte:#04x}")
        for number, (name, data) in enumerate(HOSTILE.items()):
            if name != EDITING:
                pane.send_bytes(data)
                probes.append(f"s{number:02d}z")
                still_answers(pane, probes[-1], name)
        pane.keys("Enter")
        pane.wait_for("how was it?")
        pane.keys("4", "Enter")
        pane.wait_for("anything else")
        pane.keys("n", "Enter")
        pane.wait_for("Overall")
        pane.keys("6", "Enter")
        pane.wait_for("improve")
        # Control keys edit the answer (ctrl+a, ctrl+u, ctrl+k...): this answer is not checked.
        pane.send_bytes(HOSTILE[EDITING])
        still_answers(pane, "ctrlz", EDITING)
        pane.paste(("lots of words " * 75_000).encode(), tmp_path)  # about 1 MB
        # The box now ends under a notice ("shortened to fit"): help shows the kiosk answers.
        time.sleep(0.3)
        assert not pane.ended(), "the kiosk ended after a 1 MB paste"
        pane.keys("F1")
        pane.wait_for("there are no right or wrong answers", timeout=10)
        pane.keys("F12")
        pane.wait_for("PIN")
        pane.write(KIOSK_PIN)
        pane.keys("Enter")
        shown = pane.wait_for("EXITED 0")
        assert "Traceback" not in shown
    store = Store(db)
    (session,) = store.list_sessions()
    answers = {a.key.question_id: a.raw for a in store.load_answers(session["id"])}
    text = answers["action"]
    assert text.startswith("I came by bus")
    places = [text.find(probe) for probe in probes]
    assert -1 not in places and places == sorted(places), "typed text lost or out of order"
    assert not db.with_name(db.name + ".crash.log").exists()
