"""A tagged study with hostile participant text, shared by the export tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from cjm_interview.importer import run_interview
from cjm_interview.script import load_script
from cjm_interview.store import Store
from cjm_interview.synth import generate

from ..conftest import PROMPTS, ROOT, FakeTagger

EVIL = '<script>window.PWNED=1</script><img src=x onerror="window.PWNED=2">'
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(scope="package")
def study(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("exp") / "study.db"
    store = Store(path)
    customer = load_script(PROMPTS / "customer.yaml")
    staff = load_script(PROMPTS / "staff.yaml")
    tagger = FakeTagger()
    generated = generate(customers=20, staff=6, steps=4, seed=5)
    for interview in generated.interviews:
        script = staff if interview["session"]["perspective"] == "staff" else customer
        run_interview(store, script, interview, tagger=tagger)
    hostile = generated.interviews[0]
    hostile["session"]["participant"] = EVIL
    hostile["answers"]["steps"][0]["action"] = EVIL + " searched online"
    hostile["answers"]["steps"][0]["feelings"] = FORMULA + " and *bold* [link](http://x) | pipe"
    hostile["answers"]["improvement"] = "-1+2 @SUM(A1) ` backtick"
    run_interview(store, customer, hostile, tagger=tagger)
    store.close()
    return path


# A complaint-like study: every step the generator has, a segment per session and no grade
# asked (the script has none), so the curve and the figures are the tagger's.
SEGMENTS = ("Checking or savings account", "Credit reporting", "Debt collection")


@pytest.fixture(scope="package")
def ungraded_study(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ungraded") / "study.db"
    script = load_script(ROOT / "benchmarks" / "data" / "complaint_script.yaml")
    tagger = FakeTagger()
    generated = generate(customers=30, steps=16, seed=3)
    with Store(path) as store:
        for index, told in enumerate(generated.interviews):
            item = {
                "session": {
                    "participant": f"c{index}",
                    "perspective": "customer",
                    "segment": SEGMENTS[index % len(SEGMENTS)],
                },
                "answers": {
                    "service": "a bank",
                    "steps": [{"action": s["action"]} for s in told["answers"]["steps"]],
                },
            }
            run_interview(store, script, item, tagger=tagger)
    return path
