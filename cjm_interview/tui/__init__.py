"""The terminal UI (Textual): interviewer mode and kiosk mode.

Nothing outside this package imports it; the CLI reaches it lazily, so the
core and ``cjm --help`` never load Textual.
"""
