"""Odd option values: one clear line before anything starts, never a crash later."""

from __future__ import annotations

from pathlib import Path

import pytest

from .hostile import Run, cjm


def refused(run: Run) -> None:
    """Click's usage error: exit 2, no traceback, the reason on its last line."""
    assert run.code == 2 and "Traceback" not in run.err, run.err[-2000:]
    assert run.err.strip().splitlines()[-1].startswith("Error: Invalid value"), run.err


@pytest.mark.parametrize("command", ["interview", "kiosk"])
def test_an_unknown_theme_is_refused_before_the_app_starts(tmp_path: Path, command: str) -> None:
    """It crashed the interviewer with a traceback and exit 0, and restarted the kiosk three
    times before it gave up."""
    db = tmp_path / "s.db"
    run = cjm(command, "--theme", "nosuch", "--db", db, env={"CJM_KIOSK_PIN": "4821"})
    refused(run)
    assert "no theme 'nosuch'; known: cjm-high-contrast" in run.err and "textual-dark" in run.err
    assert not db.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--threshold", "nan", "-o", "map.json"),
        ("export", "--position-weight", "NaN", "-o", "map.json"),
        ("export", "--position-weight", "-nan", "-o", "map.json"),
        ("kiosk", "--idle", "inf"),
        ("kiosk", "--countdown", "nan"),
    ],
)
def test_numbers_that_are_not_finite_are_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    """ "nan" passed every range check: a map's JSON said "threshold": NaN, not JSON at all."""
    run = cjm(*args, "--db", tmp_path / "s.db", env={"CJM_KIOSK_PIN": "4821"})
    refused(run)
    assert "is not a finite number" in run.err
    assert not (tmp_path / "map.json").exists()
