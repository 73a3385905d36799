from __future__ import annotations

from cjm_interview.cli import main

main()
