"""Hostile scripts: bombs, deep conditions, huge numbers, devices and pipes.

Each runs ``cjm script check`` as a real process with a time and memory limit:
the answer is one line and exit status 2, never a hang or a traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ..conftest import PROMPTS
from .hostile import cjm, one_clear_line

QUICK = (PROMPTS / "quick.yaml").read_text(encoding="utf-8")


def merge_key_bomb(links: int = 8_000) -> str:
    """Each mapping merges the one before it: a few hundred KB expanding quadratically."""
    lines = ["a0: &a0 {k0: 0}"]
    lines += [f"a{i}: &a{i}\n  <<: [*a{i - 1}]\n  k{i}: {i}" for i in range(1, links)]
    return "\n".join(lines) + "\n"


def with_condition(condition: str) -> str:
    """The quick script with ``condition`` as its first section's ``when:``."""
    start = QUICK.index("  - id:", QUICK.index("sections:"))
    end = QUICK.index("\n", start) + 1
    return QUICK[:end] + f"    when: '{condition}'\n" + QUICK[end:]


HOSTILE = {
    "merge_key_bomb": merge_key_bomb(),
    "when_5000_deep": with_condition("(" * 5_000 + "${consent} == true" + ")" * 5_000),
    "when_20000_or": with_condition(" or ".join(["${consent} == true"] * 20_000)),
    "version_5000_digits": re.sub(r"^version:.*$", "version: " + "9" * 5_000, QUICK, flags=re.M),
    "when_5000_digit_number": with_condition("${consent} == " + "7" * 5_000),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_script_is_one_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(HOSTILE[name], encoding="utf-8")
    run = cjm("script", "check", path, timeout=20)
    one_clear_line(run)
    assert str(path) in run.err


@pytest.mark.parametrize("name", ["/dev/zero", "/dev/urandom", "fifo", "folder"])
def test_script_check_refuses_what_is_not_a_file(tmp_path: Path, name: str) -> None:
    path = Path(name)
    if name == "fifo":
        path = tmp_path / "pipe.yaml"
        os.mkfifo(path)
    elif name == "folder":
        path = tmp_path / "scripts.yaml"
        path.mkdir()
    run = cjm("script", "check", path, timeout=20)
    one_clear_line(run)
    assert str(path) in run.err


def test_script_copy_in_a_database_gets_the_same_limits() -> None:
    from cjm_interview.script import ScriptError, parse_script

    with pytest.raises(ScriptError, match=r"aliases|merge keys"):
        parse_script(merge_key_bomb(), "stored (copy in database)")
    with pytest.raises(ScriptError, match="too large"):
        parse_script("# " + "x" * 2_100_000, "stored (copy in database)")
