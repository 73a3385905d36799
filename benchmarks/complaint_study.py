"""A real-text study for the composite map: consumer complaint narratives told as journeys.

Each narrative of ``../shared/benchmarks/complaints/complaints.csv`` becomes one customer
interview: participant = the complaint id, segment = the product the consumer chose, one
journey step per sentence the narrative tells (``split_steps``). Nothing else is given: the
narratives say nothing of channels picked from a list, grades or feelings asked for, so the
study runs on its own script, ``benchmarks/data/complaint_script.yaml``: the customer
script's step questions (same ids and ``maps_to``) without the grade, channels, consent or
outcome it requires or asks, and with room for 100 steps where the customer script stops at
15 (the longest narrative tells 68).

Hand labels of the steps' stages and moments (``benchmarks/data/complaint_steps.jsonl``, with
the codebook in ``complaint_stages.md``) refer to steps by complaint id, index in
``split_steps`` and a hash of the step's text; ``check`` tells when the splitter no longer
gives the steps the labels were written for.

    python benchmarks/complaint_study.py build -o ../study.json [--limit N] [--csv FILE]
    cjm import ../study.json --script benchmarks/data/complaint_script.yaml --db ../study.db
    python benchmarks/complaint_study.py check [--csv FILE]
    python benchmarks/complaint_study.py roles [--csv FILE]
    python benchmarks/complaint_study.py sentiment -o ../complaint_steps.jsonl [--csv FILE]

``roles`` learns the composite map's role head (``cjm_interview/map/prototypes.py``) from
``models/roles.jsonl`` and the steps of the ``train`` split, each read as the role its
moment is (``ROLE_OF_MOMENT``); ``dev`` and ``test`` steps never join it.

``sentiment`` writes the steps labelled for sentiment (``complaint_step_sentiment.jsonl``,
steps of narratives that no scored split holds, nor a near copy of one: ``near_scored``) as
rows of a corpus file for ``cjm model train --also FILE``: the text may not be copied into
the project, so the file must go outside it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = Path(
    os.environ.get("CJM_COMPLAINTS")
    or ROOT.parent / "shared" / "benchmarks" / "complaints" / "complaints.csv"
)
SCRIPT = ROOT / "benchmarks" / "data" / "complaint_script.yaml"
LABELS = ROOT / "benchmarks" / "data" / "complaint_steps.jsonl"
SENTIMENT_LABELS = ROOT / "benchmarks" / "data" / "complaint_step_sentiment.jsonl"
SECOND_SENTIMENT = ROOT / "benchmarks" / "data" / "complaint_step_sentiment_second_coding.jsonl"
CHANNEL_LABELS = ROOT / "benchmarks" / "data" / "complaint_channels.jsonl"
# A narrative telling this share of its steps (or three) as a scored one does is a near copy.
NEAR_COPY = 0.2
# Steps of this many words or more that share this share of their words (Jaccard, once
# case, digits, punctuation and placeholders are set aside) are one step told twice.
LONG_STEP = 4
SAME_WORDS = 0.7
# How much a complaint step counts in the sentiment beside an answer of the corpus.
SENTIMENT_WEIGHT = 1.0

# A sentence longer than this is split further at "; ", ", and then" and ", but".
MAX_SENTENCE = 300
# A fragment shorter than this (or with fewer than two words besides placeholders) is no step.
MIN_STEP = 12
# Parts of a long sentence shorter than this stay with the part before them.
MIN_PART = 40
# Steps a script's repeat section may hold at most (the script format's own limit).
MAX_STEPS = 100

# Abbreviations after which a period never ends a sentence.
_NEVER_END = frozenset({"mr", "mrs", "ms", "dr", "prof", "rev", "hon", "vs", "cf", "viz"})
# Abbreviations that end a sentence only when a capitalised word (not a placeholder or a
# number) follows: "Acme Inc. They said" ends, "Acct. XXXX" and "No. 5" do not.
_MAY_END = frozenset(
    {
        "inc", "co", "corp", "ltd", "llc", "etc", "jr", "sr", "st", "no", "dept", "acct",
        "approx", "sec", "ave", "rd", "blvd", "est", "pg", "pp", "jan", "feb", "mar", "apr",
        "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "doc", "docs", "prop",
        "info", "amt", "pmt", "pymt", "govt", "misc", "min", "max", "yr", "yrs", "mo", "mos",
        "ref", "attn", "tel", "ph",
    }
)  # fmt: skip
# Lower-case words that go on with the sentence before rather than start one.
_GOES_ON = frozenset(
    {
        "and", "or", "nor", "but", "because", "which", "whom", "whose", "than", "to", "of",
        "from", "by", "with", "via", "as", "at", "on", "in", "for", "into", "etc",
    }
)  # fmt: skip
# "U.S", "e.g", "F.C.R.A", "N.A" (the token before the final period), or one letter ("J").
_INITIALS = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$|^[A-Za-z]$")
_PLACEHOLDER = re.compile(r"X{2,}(?:/X{2,})*")
# "{$100.00}" amounts and short "( ... )" asides: no sentence ends inside them.
_SHIELDED = re.compile(r"\{[^{}\n]*\}|\([^()\n]{0,200}\)")
_TERMINATOR = re.compile(r"[.!?]+")
# Closing quotes or brackets that belong to the sentence just ended ('' is a closing quote).
_CLOSER = re.compile(r"(?:[\"')\]]+|\s+''(?=\s|$))*")
_RUN_ON = re.compile(r"\s*;\s+|,\s+(?=and then\b)|,\s+(?=but\b)")
_WORD = re.compile(r"[A-Za-z]{2,}")


def split_steps(narrative: str) -> list[str]:
    """The steps a narrative tells, in order: its sentences, long run-ons cut at clauses.

    Line breaks end a step. A sentence ends at ".", "!" or "?" followed by a space and a new
    sentence, or glued to a capital ("report.The"), but not after a title ("Mr."), an
    initialism ("U.S.", "e.g."), a single initial, a list number at the start of a sentence
    ("2."), inside an amount ("{$100.00}") or a short "( ... )" aside, nor before a lower-case
    word unless the period follows an ordinary word. A sentence longer than ``MAX_SENTENCE``
    characters is cut before "; ", ", and then" and ", but" (parts under ``MIN_PART``
    characters stay with the part before). Whitespace is collapsed; fragments under
    ``MIN_STEP`` characters, or with fewer than two words besides ``XXXX`` placeholders, are
    dropped. Pure and deterministic: labels refer to its output by index and hash, so
    changing it invalidates them (``check`` says so).
    """
    steps = []
    for paragraph in re.split(r"\s*\n\s*", narrative):
        for sentence in _sentences(paragraph):
            for part in _run_on_parts(sentence):
                text = " ".join(part.split())
                if _is_step(text):
                    steps.append(text)
    return steps


def _sentences(paragraph: str) -> Iterator[str]:
    shielded = [m.span() for m in _SHIELDED.finditer(paragraph)]
    start = 0
    for match in _TERMINATOR.finditer(paragraph):
        begin, end = match.span()
        if any(a < begin < b for a, b in shielded):
            continue
        end = _CLOSER.match(paragraph, end).end()  # type: ignore[union-attr]
        if end < len(paragraph) and _ends_here(paragraph, start, begin, end, match.group()):
            yield paragraph[start:end]
            start = end
    yield paragraph[start:]


def _ends_here(text: str, start: int, begin: int, end: int, mark: str) -> bool:
    """Whether the terminator ``text[begin:end]`` ends the sentence begun at ``start``."""
    after = text[end:]
    spaced = after[:1].isspace()
    following = after.lstrip()
    if not following:
        return False
    word = re.search(r"(\S+)$", text[start:begin])
    before = word.group(1) if word else ""
    if following.split(maxsplit=1)[0] in _GOES_ON:  # "... doc. to prove it", "! '' and"
        return False
    if "." not in mark:  # "!" and "?"
        return spaced or following[0].isupper()
    if not spaced:  # "report.The", "XXXX.I": a period glued to the next sentence
        glued = re.search(r"(?:[a-z]{2}|XXXX|\))$", before) is not None
        return glued and following[0].isupper() and before.lower() not in _NEVER_END | _MAY_END
    key = before.lower().rstrip(".")
    if key in _NEVER_END or _INITIALS.match(before):
        return False
    # A list number opening the sentence ("2. The bank ...") is no sentence of its own.
    if before.isdigit() and len(before) <= 2 and not text[start:begin].strip()[: -len(before)]:
        return False
    capital = following[0].isupper() and not _PLACEHOLDER.match(following)
    if key in _MAY_END or len(mark) > 1:  # "etc.", "dept.", "..." go on unless a capital follows
        return capital
    return True


def _run_on_parts(sentence: str) -> list[str]:
    if len(sentence.strip()) <= MAX_SENTENCE:
        return [sentence]
    parts: list[str] = []
    start = 0
    for match in _RUN_ON.finditer(sentence):
        parts.append(sentence[start : match.start()])
        start = match.end()
    parts.append(sentence[start:])
    kept: list[str] = []
    for part in parts:
        part = part.strip().rstrip(",;").strip()
        if kept and len(part) < MIN_PART:
            kept[-1] = f"{kept[-1]}; {part}" if part else kept[-1]
        elif kept and len(kept[-1]) < MIN_PART:
            kept[-1] = f"{kept[-1]}; {part}"
        else:
            kept.append(part)
    return kept


def _is_step(text: str) -> bool:
    if len(text) < MIN_STEP:
        return False
    return len(_WORD.findall(_PLACEHOLDER.sub(" ", text))) >= 2


def step_sha(text: str) -> str:
    """The first 12 hex digits of the SHA-256 of a step's text (UTF-8): what labels pin."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Complaint:
    """One narrative and what the consumer chose about it."""

    complaint_id: str
    product: str
    company: str
    narrative: str


def read_complaints(path: Path) -> list[Complaint]:
    """The complaints of the CSV, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Complaint(row["complaint_id"], row["product"], row["company"], row["narrative"])
            for row in csv.DictReader(handle)
        ]


def labelling_order(complaints: list[Complaint]) -> list[Complaint]:
    """The order narratives are labelled in: by SHA-256 of the id, from the end backwards."""
    key = lambda c: hashlib.sha256(c.complaint_id.encode("utf-8")).hexdigest()  # noqa: E731
    return sorted(complaints, key=key, reverse=True)


def interview(complaint: Complaint) -> dict[str, Any]:
    """One complaint as an interview of the study script (``cjm import`` format)."""
    steps = split_steps(complaint.narrative)[:MAX_STEPS]
    return {
        "session": {
            "participant": complaint.complaint_id,
            "perspective": "customer",
            "segment": complaint.product,
        },
        "answers": {
            "service": f"{complaint.product} ({complaint.company})",
            "steps": [{"action": step} for step in steps],
        },
    }


def build_study(csv_path: Path, out: Path, limit: int | None = None) -> int:
    """Write the study's answers file; returns the number of interviews written."""
    complaints = read_complaints(csv_path)[:limit]
    interviews = [interview(c) for c in complaints if split_steps(c.narrative)]
    out.write_text(json.dumps({"interviews": interviews}, indent=1), encoding="utf-8")
    return len(interviews)


def told_steps(csv_path: Path) -> dict[str, list[str]]:
    """Each narrative's steps, by complaint id."""
    return {c.complaint_id: split_steps(c.narrative) for c in read_complaints(csv_path)}


def check_labels(
    csv_path: Path, labels: Path, steps: dict[str, list[str]] | None = None
) -> list[str]:
    """Problems with the labels: unknown complaints, steps out of range, stale hashes
    (``steps``: the narratives' steps, when they have been split already)."""
    steps = told_steps(csv_path) if steps is None else steps
    problems = []
    for number, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        label = json.loads(line)
        told = steps.get(label["complaint_id"])
        where = f"{labels.name}:{number}"
        if told is None:
            problems.append(f"{where}: no complaint {label['complaint_id']}")
        elif not 0 <= label["step"] < len(told):
            problems.append(f"{where}: {label['complaint_id']} has no step {label['step']}")
        elif step_sha(told[label["step"]]) != label["sha"]:
            problems.append(f"{where}: {label['complaint_id']} step {label['step']} changed")
    return problems


# The role (``cjm_interview.map.acts.ROLES``) each moment of the codebook plays.
ROLE_OF_MOMENT = {
    "took_out": "sign_up",
    **dict.fromkeys(("paid", "account_activity", "hardship"), "use"),
    **dict.fromkeys(
        ("report_item", "billing_error", "account_action", "collection", "fraud",
         "service_failure"),
        "problem",
    ),
    **dict.fromkeys(("disputed_with_bureau", "disputed_with_company", "asked_company"), "contact"),
    **dict.fromkeys(("complained_regulator", "police_or_legal"), "escalate"),
    **dict.fromkeys(
        ("no_response", "refused", "answered", "fixed", "poor_service", "kept_on"), "response"
    ),
    "harm": "impact",
    "asks": "request",
    **dict.fromkeys(("background", "law", "evidence"), "background"),
    "opinion": "verdict",
}  # fmt: skip
ROLE_SPLITS = ("train",)


def label_rows(labels: Path = LABELS) -> list[dict[str, Any]]:
    """Every labelled step, in the file's order."""
    text = labels.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def role_labels(labels: Path = LABELS) -> list[dict[str, Any]]:
    """The labelled steps the role head learns from, in the file's order."""
    return [row for row in label_rows(labels) if row["split"] in ROLE_SPLITS]


def role_hash(labels: Path = LABELS) -> str:
    """What the shipped head records of the labelled steps it learnt from: a hash of their
    ids, hashes and roles (the text is not needed to check it)."""
    told = [
        f"{r['complaint_id']}\t{r['step']}\t{r['sha']}\t{ROLE_OF_MOMENT[r['moment']]}\n"
        for r in role_labels(labels)
    ]
    return hashlib.sha256("".join(told).encode("utf-8")).hexdigest()


def _checked_steps(csv_path: Path, labels: Path, hint: str) -> dict[str, list[str]]:
    """The narratives' steps, split once, after the labels are checked against them: the
    first problem (and how many more) stops it, with ``hint``."""
    steps = told_steps(csv_path)
    problems = check_labels(csv_path, labels, steps)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SystemExit(f"{problems[0]}{more}: {hint}")
    return steps


def role_steps(csv_path: Path, labels: Path = LABELS) -> list[tuple[str, str]]:
    """(text, role) of each labelled step the role head learns from."""
    steps = _checked_steps(csv_path, labels, "run check")
    return [
        (steps[r["complaint_id"]][r["step"]], ROLE_OF_MOMENT[r["moment"]])
        for r in role_labels(labels)
    ]


def normalised(step: str) -> str:
    """A step's words alone: lower case, no digits, punctuation or placeholders."""
    return " ".join(re.sub(r"[^a-z]+", " ", step.lower().replace("xx", " ")).split())


def scored_ids() -> set[str]:
    """The narratives some figure is reported on: the stage labels' ``dev`` and ``test``
    splits and the channel labels' ``test`` part."""
    channels = label_rows(CHANNEL_LABELS)
    return {r["complaint_id"] for r in label_rows() if r["split"] != "train"} | {
        r["complaint_id"] for r in channels if r["split"] == "test"
    }


@dataclass
class ScoredSteps:
    """The steps of the scored narratives, as ``near_scored`` compares them."""

    told: set[str]  # normalised
    words: list[frozenset[str]]  # of the steps of ``LONG_STEP`` words or more
    owner: list[str]  # the narrative of each of those

    @classmethod
    def of(cls, steps: dict[str, list[str]]) -> ScoredSteps:
        told: set[str] = set()
        words: list[frozenset[str]] = []
        owner: list[str] = []
        for other in sorted(scored_ids() & steps.keys()):
            for step in steps[other]:
                text = normalised(step)
                told.add(text)
                if len(text.split()) >= LONG_STEP:
                    words.append(frozenset(text.split()))
                    owner.append(other)
        return cls(told, words, owner)

    def narratives_telling(self, step: str) -> set[str]:
        """The scored narratives that tell this step, the same words or nearly (a long step
        sharing ``SAME_WORDS`` of its words with theirs: a form letter edited a little)."""
        mine = frozenset(normalised(step).split())
        if len(mine) < LONG_STEP:
            return set()
        found = set()
        for theirs, other in zip(self.words, self.owner, strict=True):
            # Jaccard; sets this far apart in size cannot reach it (a quick test first).
            near = SAME_WORDS * len(theirs) <= len(mine) and SAME_WORDS * len(mine) <= len(theirs)
            if near and len(mine & theirs) >= SAME_WORDS * len(mine | theirs):
                found.add(other)
        return found


def near_scored(
    steps: dict[str, list[str]], complaint_id: str, scored: ScoredSteps | None = None
) -> set[int]:
    """The steps of a narrative that may not be learnt from: all of them when the narrative
    is a near copy of a scored one (a complaint filed twice, a form letter sent by several
    people: ``NEAR_COPY`` of its steps, or three, told by one scored narrative, the same
    words or nearly), else those a scored narrative also tells ("Please help.")."""
    scored = scored or ScoredSteps.of(steps)
    told = steps[complaint_id]
    tellers = [scored.narratives_telling(step) for step in told]
    by_other = Counter(other for found in tellers for other in found)
    if by_other and max(by_other.values()) >= min(3, NEAR_COPY * len(told)):
        return set(range(len(told)))
    return {k for k, step in enumerate(told) if tellers[k] or normalised(step) in scored.told}


def sentiment_rows(
    csv_path: Path, labels: Path = SENTIMENT_LABELS, weight: float = SENTIMENT_WEIGHT
) -> list[dict[str, Any]]:
    """Corpus rows (text, sentiment, weight) of the steps labelled for sentiment."""
    steps = _checked_steps(csv_path, labels, f"run check --labels {labels}")
    rows = label_rows(labels)
    scored = ScoredSteps.of(steps)
    barred = {cid: near_scored(steps, cid, scored) for cid in {r["complaint_id"] for r in rows}}
    for number, r in enumerate(rows, 1):
        if r["step"] in barred[r["complaint_id"]]:
            raise SystemExit(
                f"{labels.name}:{number}: {r['complaint_id']} step {r['step']} is told in a"
                " scored narrative too (or its narrative is a near copy of one)"
            )
    return [
        {"text": steps[r["complaint_id"]][r["step"]], "sentiment": r["sentiment"], "weight": weight}
        for r in rows
    ]


def _not_here(out: Path) -> str | None:
    """Why a file of the narratives' text may not be written at ``out``, if it may not."""
    if out.resolve().is_relative_to(ROOT):
        # Their text may not be copied into the project (and a corpus file in
        # models/corpus would be learnt from without --also).
        return f"{out}: inside the project; write it outside (the narratives' text may not be copied into it)"  # noqa: E501
    if not out.resolve().parent.is_dir():
        return f"{out.parent}: no such folder"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = argparse.ArgumentParser(add_help=False)
    source.add_argument(
        "--csv", type=Path, default=DEFAULT_CSV, help="complaints CSV [env CJM_COMPLAINTS]"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", parents=[source], help="write the study to import")
    build.add_argument("-o", "--out", type=Path, required=True)
    build.add_argument("--limit", type=int, default=None, help="first N complaints only")
    check = commands.add_parser("check", parents=[source], help="check labels against the splitter")
    check.add_argument("--labels", type=Path, default=LABELS)
    commands.add_parser(
        "roles", parents=[source], help="learn the map's role head (after editing its examples)"
    )
    sentiment = commands.add_parser(
        "sentiment",
        parents=[source],
        help="write the steps labelled for sentiment as a corpus file (outside the project)",
    )
    sentiment.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"{args.csv}: no such file (give the complaints CSV with --csv)", file=sys.stderr)
        return 2
    if args.command in ("build", "sentiment") and (refused := _not_here(args.out)):
        print(refused, file=sys.stderr)
        return 2
    if args.command == "build":
        written = build_study(args.csv, args.out, args.limit)
        print(f"{args.out}: {written} interviews; import with:")
        print(f"  cjm import {args.out} --script {SCRIPT} --db {args.out.with_suffix('.db')}")
        return 0
    if args.command == "roles":
        from cjm_interview.map import prototypes

        real = role_steps(args.csv)
        written = prototypes.write(real, role_hash())
        print(f"{prototypes.FILE.name}: {written} texts ({len(real)} labelled complaint steps)")
        return 0
    if args.command == "sentiment":
        rows = sentiment_rows(args.csv)
        with args.out.open("w", encoding="utf-8") as handle:
            # ASCII: a line separator in a narrative (U+2028) would cut a row in two.
            handle.writelines(json.dumps(row) + "\n" for row in rows)
        print(f"{args.out}: {len(rows)} steps; learn from them with:")
        print(f"  cjm model train --keep-adapter --also {args.out}")
        return 0
    problems = check_labels(args.csv, args.labels)
    for problem in problems:
        print(problem)
    print(f"{args.labels.name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
