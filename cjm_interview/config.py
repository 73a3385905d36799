"""Where bundled data lives, and the environment variables that override it."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    # A wheel carries prompts/ and models/ inside the package under _data/; a
    # source checkout keeps them beside the package. Beside is used only in a
    # checkout (pyproject.toml next to it): installed, the package's parent is
    # site-packages, where another distribution's prompts/ or models/ may sit.
    inside = _PACKAGE / "_data" / name
    if inside.is_dir():
        return inside
    root = _PACKAGE.parent
    if (root / "pyproject.toml").is_file() and (root / name).is_dir():
        return root / name
    return inside


def prompts_dir() -> Path:
    """Folder of the bundled interview scripts."""
    return Path(os.environ.get("CJM_PROMPTS_DIR") or _data_dir("prompts"))


def models_dir() -> Path:
    """Folder of taxonomies, labelled data and trained heads."""
    return Path(os.environ.get("CJM_MODELS_DIR") or _data_dir("models"))


def default_script() -> Path:
    """The script `cjm interview` runs when none is named."""
    return prompts_dir() / "customer.yaml"


def default_db() -> Path:
    """The database used when none is named: `CJM_DB`, else ./cjm.db."""
    return Path(os.environ.get("CJM_DB") or "cjm.db")


def bundled_script(name: str) -> Path:
    """Resolve a bundled script by short name (``customer``) or return the path as given."""
    candidate = prompts_dir() / f"{name}.yaml"
    if not name.endswith((".yaml", ".yml")) and candidate.is_file():
        return candidate
    return Path(name)
