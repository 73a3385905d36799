"""Tagging time of long adversarial answers: one phrase of channel cues repeated, no punctuation.

    python benchmarks/bench_long_answers.py [--chars 25000,50000,100000]

An answer may be up to 100,000 characters. Each phrase below is a channel cue
(or a look-alike of one) repeated into one unpunctuated sentence, the worst
shape for the channel rules: thousands of cues, each read in its context.
Times ``LexiconTagger.tag_text`` (the rules, the reading, VADER) at each
length. Target: a 100,000-character answer in a few seconds at most, the
time growing linearly with the length.
"""

from __future__ import annotations

import argparse
import time

from cjm_interview.nlp.lexicon import LexiconTagger

PHRASES = (
    "i was transferred ",
    "phone ",
    "phone call ",
    "left messages ",
    "live person ",
    "mailbox ",
    "voice mailbox ",
    "fedex ",
    "e-sign ",
    "deposited it at the bank ",
    "called them ",
    "never by phone, text or email ",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chars", default="25000,50000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.chars.split(",")]
    tagger = LexiconTagger()
    tagger.tag_text("warm-up: I called them")
    print(f"{'phrase':32}" + "".join(f"{n:>10,}" for n in sizes))
    worst = 0.0
    for phrase in PHRASES:
        row = f"{phrase!r:32}"
        for n in sizes:
            text = (phrase * (n // len(phrase) + 1))[:n]
            started = time.perf_counter()
            tagger.tag_text(text)
            took = time.perf_counter() - started
            worst = max(worst, took)
            row += f"{took:>9.2f}s"
        print(row, flush=True)
    print(f"slowest: {worst:.2f} s")


if __name__ == "__main__":
    main()
