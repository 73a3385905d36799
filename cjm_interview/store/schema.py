"""Schema identity, importable without sqlite-utils (kept in step with migrations.py)."""

from __future__ import annotations

# 'CJM1' in ASCII: marks the file as ours for `file(1)` and for the checks on open.
APPLICATION_ID = 0x434A4D31
# The number of migrations; migrations.py checks that the two agree.
SCHEMA_VERSION = 7
