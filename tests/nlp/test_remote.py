"""The model's child process: batches, and a child that hangs, dies or talks nonsense.

A fake child stands in for ``cjm tag --serve`` (no model is loaded): an
executable script put in place of the interpreter, whose behaviour on each
start is read from ``FAKE_CHILD`` ("hang", "die", "garbage" or "ok", comma
separated: the first start does the first, a restart the next).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pytest

from cjm_interview.nlp import remote
from cjm_interview.nlp.remote import RemoteTagger

FAKE_CHILD = """#!{python}
import json, os, sys, time
starts = os.environ["FAKE_STARTS"]
with open(starts, "a") as handle:
    handle.write(str(os.getpid()) + "\\n")
count = len(open(starts).read().split())
modes = os.environ["FAKE_CHILD"].split(",")
mode = modes[min(count, len(modes)) - 1]
print(json.dumps({{"ready": True, "model": "fake", "version": "1", "fallback_reason": None}}),
      flush=True)
for line in sys.stdin:
    if mode == "hang":
        time.sleep(3600)
    if mode == "die":
        print("Traceback: boom, out of memory", file=sys.stderr, flush=True)
        sys.exit(3)
    if mode == "garbage":
        print("<html>surprise</html>", flush=True)
        continue
    request = json.loads(line)
    with open(os.environ["FAKE_REQUESTS"], "a") as handle:
        handle.write(str(len(request["texts"])) + "\\n")
    if mode == "error-once":
        mode = "ok"
        print(json.dumps({{"id": request["id"], "error": "ValueError: bad text"}}), flush=True)
        continue
    scores = {{"negative": 0.1, "neutral": 0.1, "positive": 0.8}}
    result = {{"sentiment": "positive", "sentiment_scores": scores, "grade": 8.0,
              "model": "fake", "version": "1"}}
    print(json.dumps({{"id": request["id"], "results": [result] * len(request["texts"])}}),
          flush=True)
"""


@pytest.fixture
def fake_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Set the fake child's behaviour; returns the pids it started and its request sizes."""
    script = tmp_path / "fake-python"
    script.write_text(FAKE_CHILD.format(python=sys.executable))
    script.chmod(0o755)
    starts, requests = tmp_path / "starts", tmp_path / "requests"
    starts.touch()
    requests.touch()
    monkeypatch.setattr(sys, "executable", str(script))
    monkeypatch.setenv("FAKE_STARTS", str(starts))
    monkeypatch.setenv("FAKE_REQUESTS", str(requests))

    def behave(modes: str) -> tuple[Path, Path]:
        monkeypatch.setenv("FAKE_CHILD", modes)
        return starts, requests

    return behave


def _pids(starts: Path) -> list[int]:
    return [int(p) for p in starts.read_text().split()]


def _is_gone(pid: int) -> bool:
    """True when no process (not even a zombie) has this pid."""
    return not Path(f"/proc/{pid}").exists()


def _start(**timeouts: float) -> RemoteTagger:
    try:
        return RemoteTagger.start(**timeouts)  # type: ignore[arg-type]
    except TypeError:  # an older RemoteTagger without timeouts
        return RemoteTagger.start()


def test_texts_go_in_batches_not_one_per_round_trip(fake_child) -> None:
    _, requests = fake_child("ok")
    tagger = _start()
    try:
        results = tagger.tag_batch([f"answer {i}" for i in range(10)])
    finally:
        tagger.close()
    assert [r.model for r in results] == ["fake"] * 10
    assert requests.read_text().split() == ["10"]


def test_close_waits_for_the_child(fake_child) -> None:
    starts, _ = fake_child("ok")
    tagger = _start()
    tagger.close()
    (pid,) = _pids(starts)
    assert _is_gone(pid), Path(f"/proc/{pid}/status").read_text()


def test_a_hung_child_is_killed_restarted_then_replaced_by_the_lexicon(fake_child) -> None:
    starts, _ = fake_child("hang,hang")
    tagger = _start(reply_timeout=0.5)
    began = time.monotonic()
    try:
        (result,) = tagger.tag_batch(["I rang the helpline and waited ages"])
    finally:
        tagger.close()
    # Two tries of 0.5 s plus 1 s per text each, and a restart: never the hour the child sleeps.
    assert time.monotonic() - began < 30
    assert result.model.startswith("lexicon (model process failed: ")
    assert "did not answer in time" in result.model
    assert "phone" in result.touchpoints  # the lexicon tagger's own reading
    pids = _pids(starts)
    assert len(pids) == 2 and all(_is_gone(p) for p in pids)
    # Later batches go straight to the lexicon.
    assert tagger.tag_batch(["ok"])[0].model == result.model


def test_a_dead_child_is_restarted_once_and_its_error_logged(
    fake_child, caplog: pytest.LogCaptureFixture
) -> None:
    starts, _ = fake_child("die,ok")
    caplog.set_level(logging.WARNING, logger=remote.__name__)
    tagger = _start()
    try:
        results = tagger.tag_batch(["one", "two"])
    finally:
        tagger.close()
    assert [r.model for r in results] == ["fake", "fake"]
    assert "Traceback: boom, out of memory" in caplog.text
    assert "exited with code 3" in caplog.text
    assert all(_is_gone(p) for p in _pids(starts))


def test_a_child_writing_garbage_is_replaced(fake_child) -> None:
    starts, _ = fake_child("garbage")
    tagger = _start()
    try:
        (result,) = tagger.tag_batch(["fine thanks"])
    finally:
        tagger.close()
    assert "unreadable reply" in result.model
    assert tagger.fallback_reason and "unreadable reply" in tagger.fallback_reason
    assert all(_is_gone(p) for p in _pids(starts))


def test_a_batch_the_model_cannot_tag_gets_lexicon_tags_and_the_child_goes_on(
    fake_child,
) -> None:
    starts, _ = fake_child("error-once")
    tagger = _start()
    try:
        (first,) = tagger.tag_batch(["I rang the helpline"])
        (second,) = tagger.tag_batch(["fine"])
    finally:
        tagger.close()
    assert first.model == "lexicon (the model failed on this answer: ValueError: bad text)"
    assert second.model == "fake" and tagger.fallback_reason is None
    assert len(_pids(starts)) == 1  # not restarted


def test_a_child_that_never_gets_ready_is_given_up(tmp_path: Path, monkeypatch) -> None:
    script, pid_file = tmp_path / "fake-python", tmp_path / "pid"
    script.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 3600\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(script))
    began = time.monotonic()
    with pytest.raises(remote.RemoteUnavailable, match="did not answer in time"):
        RemoteTagger.start(start_timeout=0.5)
    assert time.monotonic() - began < 10
    assert _is_gone(int(pid_file.read_text()))


def test_the_real_child_tags_in_batches() -> None:
    pytest.importorskip("onnxruntime")
    tagger = RemoteTagger.start()
    try:
        results = tagger.tag_batch(["I rang the helpline and waited ages", "Brilliant app"] * 40)
    finally:
        tagger.close()
    assert len(results) == 80 and results[0].embedding is not None
    assert results[0].model == tagger.name and "phone" in results[0].touchpoints
    assert results[1].sentiment == "positive"
