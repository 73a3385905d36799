"""The whole package is type-checked, the terminal UI included."""

from __future__ import annotations

import tomllib

from .conftest import ROOT


def test_mypy_checks_the_terminal_ui_strictly() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True
    assert "cjm_interview" in config["files"]
    excluded = config.get("exclude", [])
    assert not any("tui" in pattern for pattern in excluded), excluded
