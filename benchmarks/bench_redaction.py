"""How well redaction does on the realistic test list: personal data caught, harmless text kept.

    python benchmarks/bench_redaction.py [--show]

Prints the number of personal strings fully redacted (none of their personal
parts left, the right placeholder in place), by kind, and the number of
harmless look-alikes that were changed; ``--show`` prints every miss.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cjm_interview.privacy import redact  # noqa: E402
from tests.core.redaction_cases import HARMLESS, PERSONAL  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every miss")
    args = parser.parse_args()
    start = time.perf_counter()
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses = []
    for text, secrets, placeholder in PERSONAL:
        out = redact(text)
        total[placeholder] += 1
        if placeholder in out and not any(s in out for s in secrets):
            caught[placeholder] += 1
        else:
            misses.append(f"missed: {text!r} -> {out!r}")
    changed = []
    for text in HARMLESS:
        out = redact(text)
        if out != text:
            changed.append(f"changed: {text!r} -> {out!r}")
    elapsed = time.perf_counter() - start
    print(f"personal data caught: {sum(caught.values())}/{len(PERSONAL)}")
    for kind in sorted(total):
        print(f"  {kind:<16} {caught[kind]}/{total[kind]}")
    print(f"harmless strings changed: {len(changed)}/{len(HARMLESS)}")
    print(f"time: {elapsed * 1000:.0f} ms for {len(PERSONAL) + len(HARMLESS)} strings")
    if args.show:
        print("\n".join(misses + changed))


if __name__ == "__main__":
    main()
