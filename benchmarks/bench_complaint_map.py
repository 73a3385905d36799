"""The composite map's columns on real complaint narratives, scored against hand labels.

The study (``complaint_study.py``) imports one interview per complaint; the hand labels
(``benchmarks/data/complaint_steps.jsonl``, codebook in ``complaint_stages.md``) give the
stage and moment of the steps of 79 narratives. For the labelled steps of one split, with
the column of the map each step was put in:

- purity: the share of labelled steps whose column's most common label is their own;
- recall: the share of labelled steps that sit in the column holding most of their label;

for stages and for moments, with the number of columns of the whole map. The columns are
read from the long CSV export (one row per answer with its participant, the complaint id,
its position in the journey and its composite step: any version of the map writes it), or
from the map's JSON, whose ``placements`` give each step's column and stage: then the map's
own stages are scored too. Two baselines put the figures in scale: every step in one
column, and the journeys cut into as many equal slices by relative position as the map has
columns.

    python benchmarks/complaint_study.py build -o study.json
    cjm import study.json --script benchmarks/data/complaint_script.yaml --db study.db
    cjm export --db study.db --format csv -o map.csv      # or --format json -o map.json
    python benchmarks/bench_complaint_map.py map.csv [--split test|dev|all]

``--build study.db`` makes the study database the other way, with the sentence model's tags
and vectors stored by the import itself (``run_interview`` with a tagger, as ``cjm import
--tag`` does), so the map has predicted grades for its curve and needs no encoding.
"""

from __future__ import annotations

import argparse
import csv
import json
import pickle
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

LABELS = Path(__file__).resolve().parent / "data" / "complaint_steps.jsonl"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # complaint_study beside it

Step = tuple[str, int]  # (complaint id, index in split_steps)


def quality(columns: Mapping[Step, Hashable], truth: Mapping[Step, str]) -> dict[str, float]:
    """Purity and recall of ``columns`` against ``truth`` over the steps both know."""
    held: dict[Hashable, Counter[str]] = defaultdict(Counter)
    spread: dict[str, Counter[Hashable]] = defaultdict(Counter)
    for step, label in truth.items():
        if step in columns:
            held[columns[step]][label] += 1
            spread[label][columns[step]] += 1
    total = sum(sum(c.values()) for c in held.values())
    if not total:
        return {"purity": 0.0, "recall": 0.0, "steps": 0}
    purity = sum(c.most_common(1)[0][1] for c in held.values()) / total
    recall = sum(c.most_common(1)[0][1] for c in spread.values()) / total
    return {"purity": round(purity, 3), "recall": round(recall, 3), "steps": total}


def read_labels(path: Path, split: str) -> list[dict[str, object]]:
    """The labels of one split (``all`` for both)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [row for row in rows if split == "all" or row["split"] == split]


def read_columns(path: Path) -> tuple[dict[Step, str], dict[str, int]]:
    """(complaint id, step index) -> composite step key, and each session's journey length.

    Read from the long CSV of ``cjm export --format csv``: the rows of ``step.action``
    answers, whose ``position`` is 1-based in the journey the map read.
    """
    columns: dict[Step, str] = {}
    lengths: Counter[str] = Counter()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["maps_to"] != "step.action" or not row["position"]:
                continue
            participant = row["participant"]
            lengths[participant] += 1
            if row["composite_step"]:
                columns[(participant, int(row["position"]) - 1)] = row["composite_step"]
    return columns, dict(lengths)


def read_placements(path: Path) -> tuple[dict[Step, str], dict[Step, str], dict[str, int]]:
    """Columns and stages of each step from the map's JSON ``placements``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    columns: dict[Step, str] = {}
    stages: dict[Step, str] = {}
    lengths: Counter[str] = Counter()
    for placed in data["placements"]:
        participant = placed["participant"]
        step = (participant, int(placed["position"]))
        columns[step], stages[step] = placed["step"], placed["stage"]
        lengths[participant] += 1
    return columns, stages, dict(lengths)


def by_position(lengths: Mapping[str, int], slices: int) -> dict[Step, int]:
    """Each step's slice when every journey is cut into ``slices`` equal parts by position."""
    cut: dict[Step, int] = {}
    for participant, length in lengths.items():
        for index in range(length):
            relative = index / (length - 1) if length > 1 else 0.0
            cut[(participant, index)] = min(int(relative * slices), slices - 1)
    return cut


def score(map_csv: Path, labels: Path, split: str) -> dict[str, object]:
    """Stage and moment purity and recall of the map's columns and of the two baselines."""
    stages: dict[Step, str] = {}
    if map_csv.suffix == ".json":
        columns, stages, lengths = read_placements(map_csv)
    else:
        columns, lengths = read_columns(map_csv)
    rows = read_labels(labels, split)
    stage = {(str(r["complaint_id"]), int(str(r["step"]))): str(r["stage"]) for r in rows}
    moment = {(str(r["complaint_id"]), int(str(r["step"]))): str(r["moment"]) for r in rows}
    count = len(set(columns.values()))
    baselines = {"one column": dict.fromkeys(columns, 0), "position": by_position(lengths, count)}
    result: dict[str, object] = {
        "split": split,
        "labelled_steps": len(rows),
        "placed": sum(1 for step in stage if step in columns),
        "columns": count,
        "map": {"stage": quality(columns, stage), "moment": quality(columns, moment)},
    }
    if stages:
        result["stages"] = len(set(stages.values()))
        result["map stages"] = {"stage": quality(stages, stage), "moment": quality(stages, moment)}
    for name, cut in baselines.items():
        result[name] = {"stage": quality(cut, stage), "moment": quality(cut, moment)}
    return result


class _Precomputed:
    """The model's results for every step, computed in batches once (and kept in ``cache``),
    handed out by text: the import stores exactly what tagging each answer would store."""

    def __init__(self, tagger: Any, texts: list[str], cache: Path | None = None) -> None:
        self.name, self.version, self.tagger = tagger.name, tagger.version, tagger
        self.results: dict[str, Any] = {}
        if cache is not None and cache.exists():  # tagging 5,000 steps takes minutes
            self.results = pickle.loads(cache.read_bytes())
        unique = sorted(set(texts) - set(self.results))
        for start in range(0, len(unique), 256):
            batch = unique[start : start + 256]
            self.results.update(zip(batch, tagger.tag_batch(batch), strict=True))
        if cache is not None:
            cache.write_bytes(pickle.dumps(self.results))

    def tag_batch(self, texts: list[str]) -> list[Any]:
        missing = sorted(set(texts) - set(self.results))
        self.results.update(zip(missing, self.tagger.tag_batch(missing), strict=True))
        return [self.results[t] for t in texts]


def build(db: Path, csv_path: Path, cache: Path | None = None) -> dict[str, Any]:
    """The study database, every narrative imported with the model's tags and vectors."""
    from complaint_study import SCRIPT, interview, read_complaints

    from cjm_interview.importer import InterviewImportError, run_interview
    from cjm_interview.nlp.loader import load_tagger
    from cjm_interview.script import load_script
    from cjm_interview.store import Store

    interviews = [interview(c) for c in read_complaints(csv_path)]
    interviews = [i for i in interviews if i["answers"]["steps"]]
    texts = [s["action"] for i in interviews for s in i["answers"]["steps"]]
    t0 = time.perf_counter()
    tagger = _Precomputed(load_tagger("model"), texts, cache)
    t1 = time.perf_counter()
    script = load_script(SCRIPT)
    store = Store(db)
    failed = 0
    for item in interviews:
        try:
            run_interview(store, script, item, tagger=tagger)
        except InterviewImportError:
            failed += 1
    store.close()
    return {"interviews": len(interviews), "steps": len(texts), "failed": failed,
            "tag_s": round(t1 - t0, 1), "import_s": round(time.perf_counter() - t1, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("map_csv", type=Path, nargs="?", help="long CSV (or JSON) of `cjm export`")
    parser.add_argument("--build", type=Path, metavar="DB", help="build the tagged study into DB")
    parser.add_argument("--csv", type=Path, help="complaints CSV [default: the shared one]")
    parser.add_argument("--cache", type=Path, help="keep the model's results here between builds")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args(argv)
    if args.build:
        import complaint_study

        source = args.csv or complaint_study.DEFAULT_CSV
        if not source.is_file():
            print(f"{source}: no such file (give --csv or set CJM_COMPLAINTS)", file=sys.stderr)
            return 2
        print(json.dumps(build(args.build, source, args.cache)))
        return 0
    if args.map_csv is None:
        parser.error("give the map's CSV or JSON, or --build DB")
    for path in (args.map_csv, args.labels):
        if not path.is_file():
            print(f"{path}: no such file", file=sys.stderr)
            return 2
    try:
        result = score(args.map_csv, args.labels, args.split)
    except (KeyError, ValueError) as exc:
        print(f"{args.map_csv}: not the long CSV of `cjm export` ({exc})", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(
        f"split {result['split']}: {result['placed']} of {result['labelled_steps']} labelled "
        f"steps placed; the map has {result['columns']} columns"
    )
    print(f"{'':<12}{'stage purity':>14}{'recall':>8}{'moment purity':>15}{'recall':>8}")
    for name in ("map", "map stages", "position", "one column"):
        if name not in result:
            continue
        row: dict[str, dict[str, float]] = result[name]  # type: ignore[assignment]
        print(
            f"{name:<12}{row['stage']['purity']:>14.3f}{row['stage']['recall']:>8.3f}"
            f"{row['moment']['purity']:>15.3f}{row['moment']['recall']:>8.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
