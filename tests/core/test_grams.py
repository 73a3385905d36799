"""Hashed words and word pairs: the columns heads read beside a sentence vector."""

from __future__ import annotations

from cjm_interview import grams


def test_columns_are_the_distinct_sorted_hashes_of_words_and_pairs() -> None:
    found = grams.columns("Still waiting, still waiting!", 4096)
    assert list(found) == sorted(set(found))
    # "still", "waiting", "!" and the pairs "still waiting", "waiting still", "waiting !".
    assert len(found) <= 6 and found == grams.columns("still WAITING still waiting !", 4096)
    assert grams.columns("", 4096) == () and grams.columns("no words", 0) == ()
    assert all(0 <= c < 8 for c in grams.columns("one two three four five six", 8))


def test_a_long_text_is_hashed_alike_but_not_remembered() -> None:
    grams._cached.cache_clear()
    short = "I rang them twice"
    long = " ".join([short] * 200)
    assert len(long) > grams.CACHED_LENGTH
    assert grams.columns(long, 4096) == grams.columns(short + " " + short, 4096)
    assert grams._cached.cache_info().currsize == 1  # the short one only
