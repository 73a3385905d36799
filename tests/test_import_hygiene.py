"""The core never imports Textual, and nothing on the way to the first screen imports torch."""

from __future__ import annotations

import json
import subprocess
import sys

CORE = [
    "cjm_interview.cli",
    "cjm_interview.script",
    "cjm_interview.engine",
    "cjm_interview.session",
    "cjm_interview.store",
    "cjm_interview.importer",
    "cjm_interview.nlp.base",
    "cjm_interview.agreement",
]
HEAVY = ("textual", "torch", "sentence_transformers", "transformers")


def loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_core_imports_no_ui_and_no_model() -> None:
    modules = loaded_after("\n".join(f"import {name}" for name in CORE))
    assert not {m for m in modules if m.split(".")[0] in HEAVY}


def test_cli_help_stays_light() -> None:
    code = (
        "from click.testing import CliRunner\n"
        "from cjm_interview.cli import main\n"
        "result = CliRunner().invoke(main, ['--help'])\n"
        "assert result.exit_code == 0 and 'interview' in result.output, result.output\n"
    )
    modules = loaded_after(code)
    assert not {m for m in modules if m.split(".")[0] in HEAVY}
