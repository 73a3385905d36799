"""The `cjm tag --jsonl` contract other tools depend on."""

from __future__ import annotations

import json
import subprocess
import sys

from ..conftest import ROOT


def tag(stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "cjm_interview", "tag", "--jsonl", "--fallback", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
    )


def test_one_line_out_per_line_in_in_order() -> None:
    lines = [
        {"id": f"a{i}", "text": t}
        for i, t in enumerate(
            ["I called the helpline", "", "lovely staff at the branch", "🙂 emoji only"] * 40
        )
    ]
    done = tag("".join(json.dumps(x) + "\n" for x in lines).encode())
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [o["id"] for o in out] == [x["id"] for x in lines]
    for item in out:
        assert item["sentiment"] in ("negative", "neutral", "positive")
        assert 0 <= item["grade"] <= 10
        assert isinstance(item["touchpoints"], list) and isinstance(item["emotions"], list)
    assert out[0]["touchpoints"] == ["phone"]
    assert out[2]["touchpoints"] == ["in_person"]


def test_malformed_line_is_reported_by_number_after_earlier_output() -> None:
    stdin = (
        b'{"id": "1", "text": "called them"}\n'
        b'{"id": "2", "text": "went online"}\n'
        b'{"id": "3", "text": \n'
        b'{"id": "4", "text": "never reached"}\n'
    )
    done = tag(stdin)
    assert done.returncode == 2
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [o["id"] for o in out] == ["1", "2"]
    assert b"line 3" in done.stderr


def test_wrong_types_and_bad_bytes() -> None:
    assert b"line 1" in tag(b'{"id": 1, "text": "x"}\n').stderr
    assert b"line 2" in tag(b'{"id": "1", "text": "x"}\n\xff\xfe\n').stderr
    done = tag(b'{"id": "x", "text": "bad \\u001b[31m \\ud800"}\n')
    assert done.returncode == 0 and b"\x1b" not in done.stdout


def test_stdout_is_only_json() -> None:
    done = tag(b'{"id": "1", "text": "hello"}\n')
    for line in done.stdout.decode().splitlines():
        json.loads(line)


def test_a_byte_order_mark_is_read_past_and_a_key_given_twice_refused() -> None:
    """As `cjm import` reads a file: a BOM (as some editors save UTF-8) was "invalid JSON",
    and of two "text" keys the last was tagged without a word."""
    done = tag(b'\xef\xbb\xbf{"id": "1", "text": "called them"}\n')
    assert done.returncode == 0 and json.loads(done.stdout)["id"] == "1"
    done = tag(b'{"id": "1", "text": "called them"}\n{"id": "2", "text": "a", "text": "b"}\n')
    assert done.returncode == 2 and b"line 2: the key 'text' is given twice" in done.stderr
    assert [json.loads(line)["id"] for line in done.stdout.decode().splitlines()] == ["1"]
