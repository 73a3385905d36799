"""Errors the command line turns into one-line messages (exit status 2)."""

from __future__ import annotations


class CjmError(Exception):
    """A problem the user can fix; ``hint`` says how."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def not_saved(what: str, problem: str) -> str:
    """``problem`` as the reason ``what`` was not saved, said once: the store's own
    messages often end "the last change was not saved" already."""
    if "not saved" in problem:
        return problem
    return f"{what} could not be saved: {problem}"
