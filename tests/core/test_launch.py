"""Ctrl-C while ``cjm`` starts up: one line and status 130, never a traceback."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What an installer writes as the ``cjm`` console script (pip's template), for the entry point
# pyproject.toml names: the test reads the project's entry point, not whatever an older
# install left in the environment.
CONSOLE_SCRIPT = """\
import re
import sys
from {module} import {attr}
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit({attr}())
"""

# Run before the console script: tells the test (one byte on a pipe) when the command line's
# own import begins, so each delay below lands in start-up however loaded the machine is.
PRELUDE = """\
import os, runpy, sys
ready = int(sys.argv.pop(1))
class Ready:
    def find_spec(self, name, path=None, target=None):
        if name == "cjm_interview.cli":
            sys.meta_path.remove(self)
            os.write(ready, b"!")
            os.close(ready)
        return None
sys.meta_path.insert(0, Ready())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def console_script(tmp_path: Path) -> Path:
    entry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["cjm"]
    module, attr = entry.split(":")
    script = tmp_path / "cjm"
    script.write_text(CONSOLE_SCRIPT.format(module=module, attr=attr))
    return script


# From the start of the command line's import: within click and rich, the lazy command's
# import, the tagger's start, and the command's own work.
# Up to and past the end of the command, where Python shuts down (once ended by the signal,
# silently, status -2).
@pytest.mark.parametrize(
    "delay", [0.0, 0.005, 0.01, 0.02, 0.04, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.24, 0.32]
)
def test_ctrl_c_during_start_up_ends_in_one_line(tmp_path: Path, delay: float) -> None:
    script = console_script(tmp_path)
    read_end, write_end = os.pipe()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = ["tag", "--fallback", "I called them"]
    child = subprocess.Popen(
        [sys.executable, "-c", PRELUDE, str(write_end), str(script), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(write_end,),
        env=env,
        cwd=tmp_path,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 60)
        assert ready and os.read(read_end, 1) == b"!", "the command line never started"
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        os.close(read_end)
        if child.poll() is None:
            child.kill()
    text = err.decode()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    if child.returncode == 0:  # the command had finished: its answer, whole
        assert b"phone" in out
        return
    assert child.returncode == 130, (child.returncode, text)
    assert text.strip() == "Interrupted."
