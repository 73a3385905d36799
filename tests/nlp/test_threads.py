"""Thread counts are set on purpose, not left to each library's default."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cjm_interview.nlp import threads


def test_one_thread_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CJM_THREADS", raising=False)
    assert threads.threads() == 1 and threads.onnx_threads() == 1
    monkeypatch.setenv("CJM_THREADS", "3")
    assert threads.threads() == 3 and threads.onnx_threads() == 3
    monkeypatch.setenv("CJM_THREADS", "many")
    assert threads.threads() == 1


def test_tagging_sets_the_libraries_threads_before_they_load() -> None:
    code = (
        "import os, sys\n"
        "from cjm_interview.nlp.cli import tag\n"
        "sys.argv = ['cjm', '--fallback', 'fine']\n"
        "try:\n    tag.main(standalone_mode=False)\nfinally:\n"
        "    print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['TOKENIZERS_PARALLELISM'])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env.pop("CJM_THREADS", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["1", "false"]
