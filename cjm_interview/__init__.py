"""Customer journey mapping interviews: scripted, tagged locally, kept in SQLite."""

from __future__ import annotations

__version__ = "0.1.0"
