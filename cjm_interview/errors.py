"""Errors the command line turns into one-line messages (exit status 2)."""

from __future__ import annotations


class CjmError(Exception):
    """A problem the user can fix; ``hint`` says how."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint
