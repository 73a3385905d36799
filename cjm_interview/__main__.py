from __future__ import annotations

from cjm_interview.launch import main

main()
