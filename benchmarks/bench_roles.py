"""The composite map's role head, alone: how it learns from its examples and real steps.

For each way of learning the head (written examples only or with the labelled complaint
steps of the ``train`` split; the sentence vector only or with hashed words; weight decay),
two figures:

- role -> stage: the share of the labelled complaint steps of a split put in their stage
  by the role the head reads (the whole step's log-probabilities plus ``OPENING_SHARE`` of
  its opening's), as the map places a step when no stage is declared;
- held-out examples: the share of ``models/roles.jsonl``'s written examples, told of many
  services, whose role the head reads right when learnt without them (five folds, the real
  steps always in): how the head does away from complaints.

Choices are made on ``dev``; ``--split test`` reads the figures to report.

    python benchmarks/bench_roles.py [--split dev|test] [--csv FILE]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import complaint_study as study

from cjm_interview.map import acts, prototypes

STAGES = ("acquire", "use", "problem", "contact", "response", "escalate", "impact", "context")
# The codebook's stages in the order of acts.ROLE_STAGES.
FOLDS = 5
# (real steps, hashed word columns, weight decay); the shipped head is the last but one.
HEADS: tuple[tuple[bool, int, float], ...] = (
    (False, 0, 1e-3),
    (False, prototypes.ROLE_WORDS, 1e-3),
    (True, 0, 1e-3),
    (True, prototypes.ROLE_WORDS, 1e-3),
    (True, prototypes.ROLE_WORDS, 3e-4),
    (True, prototypes.ROLE_WORDS, 1e-4),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--csv", type=Path, default=study.DEFAULT_CSV)
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"{args.csv}: no such file (give the complaints CSV with --csv)", file=sys.stderr)
        return 2
    from cjm_interview.nlp.embedding import encode

    steps = study.told_steps(args.csv)
    scored = [r for r in study.label_rows() if r["split"] == args.split]
    told = [steps[r["complaint_id"]][r["step"]] for r in scored]
    opened = [acts.opening(t) for t in told]
    truth = np.asarray([STAGES.index(r["stage"]) for r in scored])
    examples, roles = prototypes.role_examples()
    real = study.role_steps(args.csv)
    texts = examples + [t for t, _ in real]
    labels = roles + [r for _, r in real]
    vectors = encode([*texts, *told, *opened])
    v_texts = vectors[: len(texts)]
    v_told = vectors[len(texts) : len(texts) + len(told)]
    v_opened = vectors[len(texts) + len(told) :]
    order = list(range(len(examples)))
    random.Random(3).shuffle(order)
    fold = np.zeros(len(examples), dtype=np.int64)
    fold[order] = np.arange(len(examples)) % FOLDS
    keys = [r.key for r in acts.ROLES]
    truth_roles = np.asarray([keys.index(r) for r in roles])
    print(f"{len(scored)} {args.split} steps; {len(examples)} examples, {len(real)} real steps")
    print("real steps  words  decay   role->stage  held-out examples")
    for with_real, words, l2 in HEADS:
        learnt = list(range(len(texts) if with_real else len(examples)))
        head = prototypes.fit_role_head(
            v_texts[learnt], [labels[i] for i in learnt], [texts[i] for i in learnt], words, l2
        )
        likely = acts.role_scores(v_told, head, told)
        likely += acts.OPENING_SHARE * acts.role_scores(v_opened, head, opened)
        stage = float((acts.role_stages(likely) == truth).mean())
        read = np.zeros(len(examples), dtype=np.int64)
        for k in range(FOLDS):
            kept = [i for i in learnt if i >= len(examples) or fold[i] != k]
            held = np.flatnonzero(fold == k)
            head = prototypes.fit_role_head(
                v_texts[kept], [labels[i] for i in kept], [texts[i] for i in kept], words, l2
            )
            found = acts.role_scores(v_texts[held], head, [texts[i] for i in held])
            read[held] = found.argmax(axis=1)
        print(f"{len(real) if with_real else 0:>10}  {words:>5}  {l2:.0e}  {stage:>11.3f}"
              f"  {float((read == truth_roles).mean()):>17.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
