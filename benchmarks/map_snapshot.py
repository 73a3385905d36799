"""The composite map's JSON of some studies, written so that two versions of the code
can be compared byte for byte (``cmp``): a speed change must not change a map.

    python benchmarks/map_snapshot.py OUT_DIR [STUDY.db ...]

Without studies, three small generated studies like the tests' (customers and staff,
fake tags, seeds 5, 7 and 11) are built in ``OUT_DIR/studies`` first (kept for the
next run). ``generated_at`` is left out of each map: it is the only field that
changes from run to run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def small_studies(folder: Path) -> list[Path]:
    """Generated studies as the tests build them (made once)."""
    sys.path.insert(0, str(ROOT))
    from cjm_interview.importer import run_interview
    from cjm_interview.script import load_script
    from cjm_interview.store import Store
    from cjm_interview.synth import generate
    from tests.conftest import FakeTagger

    folder.mkdir(parents=True, exist_ok=True)
    customer = load_script(ROOT / "prompts" / "customer.yaml")
    staff = load_script(ROOT / "prompts" / "staff.yaml")
    paths = []
    for seed, (customers, workers, steps) in {
        5: (20, 6, 4),
        7: (60, 10, 8),
        11: (150, 0, 12),
    }.items():
        path = folder / f"study-{seed}.db"
        paths.append(path)
        if path.exists():
            continue
        with Store(path) as store:
            for told in generate(
                customers=customers, staff=workers, steps=steps, seed=seed
            ).interviews:
                script = staff if told["session"]["perspective"] == "staff" else customer
                run_interview(store, script, told, tagger=FakeTagger())
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("studies", type=Path, nargs="*")
    args = parser.parse_args()
    from cjm_interview.map import build_map
    from cjm_interview.store import Store

    args.out.mkdir(parents=True, exist_ok=True)
    for study in args.studies or small_studies(args.out / "studies"):
        with Store(study) as store:
            data = dict(build_map(store, encode_missing=False).data)
        data.pop("generated_at")
        target = args.out / f"{study.stem}.json"
        target.write_text(json.dumps(data, indent=1, ensure_ascii=False))
        print(target)


if __name__ == "__main__":
    main()
