"""The composite map's columns on real complaint narratives, scored against hand labels.

The study (``complaint_study.py``) imports one interview per complaint; the hand labels
(``benchmarks/data/complaint_steps.jsonl``, codebook in ``complaint_stages.md``) give the
stage and moment of the steps of 79 narratives (``test`` and ``dev``; the ``train`` split is
what the map's role head learnt from, and is never scored). For the labelled steps of one
split, with
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

    python benchmarks/complaint_study.py build -o ../study.json    # outside the project
    cjm import ../study.json --script benchmarks/data/complaint_script.yaml --db ../study.db
    cjm export --db ../study.db --format csv -o ../map.csv   # or --format json -o ../map.json
    python benchmarks/bench_complaint_map.py map.csv [--split test|dev|all]

``--build study.db`` makes the study database the other way, with the sentence model's tags
and vectors stored by the import itself (``run_interview`` with a tagger, as ``cjm import
--tag`` does), so the map has predicted grades for its curve and needs no encoding.

``--against OTHER`` compares two exports of the same study: each figure of this map less the
other's, with a 95 % interval from the labelled narratives drawn again (paired).
"""

from __future__ import annotations

import argparse
import csv
import json
import pickle
import random
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
    pairs = [(columns[step], label) for step, label in truth.items() if step in columns]
    if not pairs:
        return {"purity": 0.0, "recall": 0.0, "steps": 0}
    purity, recall = _measures(pairs)
    return {"purity": round(purity, 3), "recall": round(recall, 3), "steps": len(pairs)}


def _measures(pairs: list[tuple[Hashable, str]]) -> tuple[float, float]:
    """Purity and recall of (column, label) pairs (as ``quality``)."""
    held: dict[Hashable, Counter[str]] = defaultdict(Counter)
    spread: dict[str, Counter[Hashable]] = defaultdict(Counter)
    for column, label in pairs:
        held[column][label] += 1
        spread[label][column] += 1
    total = len(pairs) or 1
    purity = sum(c.most_common(1)[0][1] for c in held.values()) / total
    recall = sum(c.most_common(1)[0][1] for c in spread.values()) / total
    return purity, recall


def compare(
    mine: Mapping[Step, Hashable],
    other: Mapping[Step, Hashable],
    truth: Mapping[Step, str],
    resamples: int = 2000,
) -> dict[str, list[float]]:
    """Purity and recall of ``mine`` less those of ``other``, and the 95 % interval of each
    difference when the labelled narratives are drawn again with replacement (paired: both
    maps scored on the same draw). Purity and recall move together with the number of
    columns, so compare maps of the same size."""
    by_story: dict[str, list[Step]] = defaultdict(list)
    for step in truth:
        if step in mine and step in other:
            by_story[step[0]].append(step)
    stories = sorted(by_story)

    def difference(drawn: list[str]) -> tuple[float, float]:
        steps = [step for story in drawn for step in by_story[story]]
        a = _measures([(mine[step], truth[step]) for step in steps])
        b = _measures([(other[step], truth[step]) for step in steps])
        return a[0] - b[0], a[1] - b[1]

    found = difference(stories)
    rng = random.Random(0)
    draws = [difference(rng.choices(stories, k=len(stories))) for _ in range(resamples)]
    out = {}
    for i, name in enumerate(("purity", "recall")):
        low = high = found[i]
        if stories and draws:
            ordered = sorted(d[i] for d in draws)
            low, high = ordered[int(0.025 * len(ordered))], ordered[int(0.975 * len(ordered)) - 1]
        out[name] = [round(found[i], 3), round(low, 3), round(high, 3)]
    return out


SCORED = ("test", "dev")


def read_labels(path: Path, split: str) -> list[dict[str, object]]:
    """The labels of one split (``all`` for ``test`` and ``dev``; never ``train``, which the
    role head learnt from)."""
    from complaint_study import label_rows

    return [
        row
        for row in label_rows(path)
        if row["split"] == split or (split == "all" and row["split"] in SCORED)
    ]


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


def read_map(path: Path) -> tuple[dict[Step, str], dict[Step, str], dict[str, int]]:
    """Columns, stages (JSON only; else empty) and journey lengths of a map's export."""
    if path.suffix == ".json":
        return read_placements(path)
    columns, lengths = read_columns(path)
    return columns, {}, lengths


def truths(rows: list[dict[str, object]]) -> tuple[dict[Step, str], dict[Step, str]]:
    """The stage and the moment of each labelled step."""
    steps = [(str(r["complaint_id"]), int(str(r["step"]))) for r in rows]
    return (
        {step: str(r["stage"]) for step, r in zip(steps, rows, strict=True)},
        {step: str(r["moment"]) for step, r in zip(steps, rows, strict=True)},
    )


def against(mine: Path, other: Path, labels: Path, split: str) -> dict[str, object]:
    """Each figure of map ``mine`` less that of map ``other`` (two exports of one study),
    with its 95 % interval over narratives drawn again (``compare``)."""
    columns, stages, _ = read_map(mine)
    their_columns, their_stages, _ = read_map(other)
    stage, moment = truths(read_labels(labels, split))
    result: dict[str, object] = {
        "split": split,
        "columns": [len(set(columns.values())), len(set(their_columns.values()))],
        "map": {"stage": compare(columns, their_columns, stage),
                "moment": compare(columns, their_columns, moment)},
    }  # fmt: skip
    if stages and their_stages:
        result["map stages"] = {"stage": compare(stages, their_stages, stage),
                                "moment": compare(stages, their_stages, moment)}  # fmt: skip
    return result


def score(map_csv: Path, labels: Path, split: str) -> dict[str, object]:
    """Stage and moment purity and recall of the map's columns and of the two baselines."""
    columns, stages, lengths = read_map(map_csv)
    rows = read_labels(labels, split)
    stage, moment = truths(rows)
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

    def tag_batch(self, texts: list[str], language: str | None = None) -> list[Any]:
        missing = sorted(set(texts) - set(self.results))
        self.results.update(zip(missing, self.tagger.tag_batch(missing, language), strict=True))
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
    failed = untagged = 0
    for item in interviews:
        try:
            untagged += len(run_interview(store, script, item, tagger=tagger).tag_errors)
        except InterviewImportError:
            failed += 1
    store.close()
    if untagged:  # a study without its tags would be scored as if it had them
        raise SystemExit(f"{untagged} answers could not be tagged: {db} is incomplete; delete it")
    return {"interviews": len(interviews), "steps": len(texts), "failed": failed,
            "tag_s": round(t1 - t0, 1), "import_s": round(time.perf_counter() - t1, 1)}  # fmt: skip


def print_against(result: dict[str, Any], as_json: bool) -> int:
    """The differences of ``against``, as JSON or a table."""
    if as_json:
        print(json.dumps(result, indent=1))
        return 0
    mine, other = result["columns"]
    print(f"split {result['split']}: this map ({mine} columns) less the other ({other} "
          "columns), 95 % interval over narratives drawn again")  # fmt: skip
    for name in ("map", "map stages"):
        if name not in result:
            continue
        for kind in ("stage", "moment"):
            cells = [
                f"{what} {d:+.3f} [{low:+.3f}, {high:+.3f}]"
                for what, (d, low, high) in result[name][kind].items()
            ]
            print(f"{name:<11}{kind:<8}" + "   ".join(cells))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("map_csv", type=Path, nargs="?", help="long CSV (or JSON) of `cjm export`")
    parser.add_argument("--build", type=Path, metavar="DB", help="build the tagged study into DB")
    parser.add_argument("--csv", type=Path, help="complaints CSV [default: the shared one]")
    parser.add_argument("--cache", type=Path, help="keep the model's results here between builds")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument(
        "--against", type=Path, metavar="MAP", help="another export of the same study: the "
        "differences of this map's figures from its, with 95 %% intervals",
    )  # fmt: skip
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
    for path in (args.map_csv, args.labels, *([args.against] if args.against else [])):
        if not path.is_file():
            print(f"{path}: no such file", file=sys.stderr)
            return 2
    try:
        if args.against:
            return print_against(against(args.map_csv, args.against, args.labels, args.split),
                                 args.json)  # fmt: skip
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
