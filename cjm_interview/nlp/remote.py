"""The model tagger in a child process.

Loading the encoder holds the interpreter lock for long stretches; in a
thread of the UI process that freezes the screen for hundreds of
milliseconds. A child process (``cjm tag --serve``) loads it instead, and the
UI's worker threads wait on a pipe, which costs nothing.

Each request is one line with a batch of texts, and one line comes back.
Every read and write has a deadline: a child that hangs, dies or answers
nonsense is killed (and waited for), started once more, and if that one fails
too the lexicon tagger takes over, its tags saying why in their ``model``
field. The child's error output is logged (``logging``, this module's logger),
never shown over the interface.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import selectors
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from cjm_interview.nlp.base import TagResult

log = logging.getLogger(__name__)

# Loading takes about a second with the ONNX encoder, several with torch, and
# the first run also builds the ONNX file; a loaded machine multiplies all of it.
START_TIMEOUT = 180.0
# A batch gets this long, plus PER_TEXT for each of its texts.
REPLY_TIMEOUT = 30.0
PER_TEXT = 1.0
# Texts per request: bigger batches are split (a request is one line in memory).
MAX_BATCH = 64
# A child that fails is started again this many times, then the lexicon takes over.
RESTARTS = 1
STDERR_LINES = 50


class RemoteUnavailable(RuntimeError):
    """The child process could not load the model, or stopped answering."""


class BatchFailed(RuntimeError):
    """The child is well but could not tag one batch (it said why)."""


def serve_command() -> list[str]:
    """The command of the child process."""
    return [sys.executable, "-m", "cjm_interview", "tag", "--serve"]


class _Child:
    """One child process: its pipes, a deadline on every read and write, its stderr logged."""

    def __init__(self, command: Sequence[str], env: dict[str, str] | None) -> None:
        self.proc = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr
        os.set_blocking(self.proc.stdin.fileno(), False)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._buffer = b""
        self.stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._drain = threading.Thread(target=self._log_stderr, daemon=True)
        self._drain.start()

    def _log_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", errors="replace").rstrip()
            if line:
                self.stderr.append(line)
                log.warning("tagger process %d: %s", self.proc.pid, line)

    def last_error(self) -> str:
        """The child's last line of error output, shortened (for a reason shown to people)."""
        return self.stderr[-1][:200] if self.stderr else ""

    def send(self, data: bytes, deadline: float) -> None:
        """Write all of ``data``; RemoteUnavailable when the deadline passes or the pipe closes."""
        assert self.proc.stdin is not None
        fd = self.proc.stdin.fileno()
        view = memoryview(data)
        while view:
            _ready(fd, selectors.EVENT_WRITE, deadline, "the tagger process stopped reading")
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                continue
            except OSError:  # a broken pipe: the child is gone
                raise RemoteUnavailable(self._stopped()) from None

    def read_line(self, deadline: float) -> bytes:
        """One line from the child, or RemoteUnavailable when the deadline passes or it ends."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            _ready(fd, selectors.EVENT_READ, deadline, "the tagger process did not answer in time")
            try:
                block = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if not block:
                raise RemoteUnavailable(self._stopped())
            self._buffer += block
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _stopped(self) -> str:
        try:
            code = self.proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            return "the tagger process closed its output"
        detail = self.last_error()
        return f"the tagger process exited with code {code}" + (f" ({detail})" if detail else "")

    def close(self, wait: float = 5.0) -> None:
        """End the child and wait for it: no zombie is left behind."""
        proc = self.proc
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()  # a healthy child ends at the end of its input
                proc.wait(timeout=min(wait, 1.0))
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait(timeout=wait)
        else:
            proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None and not pipe.closed:
                with contextlib.suppress(OSError):
                    pipe.close()
        self._drain.join(timeout=wait)
        if proc.stderr is not None:
            proc.stderr.close()


def _ready(fd: int, event: int, deadline: float, late: str) -> None:
    """Wait until ``fd`` can be read or written; RemoteUnavailable(``late``) at the deadline."""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, event)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RemoteUnavailable(late)
            if selector.select(left):
                return


def _child_env() -> dict[str, str]:
    """The child's environment: the thread count set before its libraries start."""
    from cjm_interview.nlp.threads import thread_env, threads

    count = threads()
    return {**os.environ, **thread_env(count), "CJM_THREADS": str(count)}


class RemoteTagger:
    """Implements the Tagger protocol by talking to ``cjm tag --serve``."""

    def __init__(
        self,
        child: _Child,
        ready: dict[str, Any],
        command: Sequence[str],
        start_timeout: float = START_TIMEOUT,
        reply_timeout: float = REPLY_TIMEOUT,
    ) -> None:
        self._child: _Child | None = child
        self.name = str(ready["model"])
        self.version = str(ready["version"])
        self.runtime = str(ready.get("runtime") or "")
        self.command = list(command)
        self.start_timeout = start_timeout
        self.reply_timeout = reply_timeout
        self.restarts = 0
        self.fallback_reason: str | None = None
        """Why the lexicon tagger replaced the child, once it has."""
        self._lexicon: Any = None
        self._lock = threading.Lock()
        self._next = 0

    @classmethod
    def start(
        cls,
        require_model: bool = True,
        command: Sequence[str] | None = None,
        start_timeout: float = START_TIMEOUT,
        reply_timeout: float = REPLY_TIMEOUT,
    ) -> RemoteTagger:
        """Start the child and wait until its model is loaded (call from a worker thread)."""
        command = list(command or serve_command())
        child, ready = cls._spawn(command, start_timeout, require_model)
        return cls(child, ready, command, start_timeout, reply_timeout)

    @staticmethod
    def _spawn(
        command: Sequence[str], timeout: float, require_model: bool = True
    ) -> tuple[_Child, dict[str, Any]]:
        child = _Child(command, _child_env())
        try:
            line = child.read_line(time.monotonic() + timeout)
            try:
                ready = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise RemoteUnavailable("the tagger process did not start") from None
            if not isinstance(ready, dict) or not ready.get("ready"):
                raise RemoteUnavailable("the tagger process did not start")
            if require_model and ready.get("fallback_reason"):
                raise RemoteUnavailable(str(ready["fallback_reason"]))
        except RemoteUnavailable as exc:
            child.close()
            log.warning("tagger process not started: %s", exc)
            raise
        return child, ready

    def tag_batch(self, texts: Sequence[str], language: str | None = None) -> list[TagResult]:
        """Tag texts in batches through the pipe; the lexicon tagger if the child fails twice."""
        texts = list(texts)
        results: list[TagResult] = []
        for start in range(0, len(texts), MAX_BATCH):
            results += self._tag_chunk(texts[start : start + MAX_BATCH], language)
        return results

    def _tag_chunk(self, texts: list[str], language: str | None) -> list[TagResult]:
        if not texts:
            return []
        with self._lock:
            while self._lexicon is None:
                try:
                    return self._ask(texts, language)
                except BatchFailed as exc:  # the model is fine; these texts broke it
                    from cjm_interview.nlp.lexicon import LexiconTagger

                    log.warning("tagger process could not tag a batch: %s", exc)
                    label = f"lexicon ({_short(str(exc))})"
                    results = LexiconTagger().tag_batch(texts, language)
                    return [_labelled(r, label) for r in results]
                except RemoteUnavailable as exc:
                    self._failed(str(exc))
            lexicon = self._lexicon
        return [_labelled(r, self.name) for r in lexicon.tag_batch(texts, language)]

    def _ask(self, texts: list[str], language: str | None) -> list[TagResult]:
        child = self._child
        if child is None:
            raise RemoteUnavailable("the tagger process is closed")
        self._next += 1
        request_id = str(self._next)
        item: dict[str, Any] = {"id": request_id, "texts": texts}
        if language:
            item["language"] = language
        request = json.dumps(item) + "\n"
        deadline = time.monotonic() + self.reply_timeout + PER_TEXT * len(texts)
        child.send(request.encode("utf-8", errors="surrogatepass"), deadline)
        line = child.read_line(deadline)
        try:
            reply = json.loads(line)
            if reply.get("id") != request_id:
                raise ValueError("a reply to another request")
            if "error" in reply:
                raise BatchFailed(f"the model failed on this answer: {reply['error']}")
            results = [_result(item) for item in reply["results"]]
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            if isinstance(reply := _maybe_json(line), dict) and "error" in reply:
                raise RemoteUnavailable(f"the tagger process refused: {reply['error']}") from None
            raise RemoteUnavailable(
                f"the tagger process sent an unreadable reply ({exc})"
            ) from None
        if len(results) != len(texts):
            raise RemoteUnavailable("the tagger process answered for another number of texts")
        return results

    def _failed(self, reason: str) -> None:
        """The child failed: end it, then start another once, or hand over to the lexicon."""
        child, self._child = self._child, None
        if child is not None:
            detail = child.last_error()
            if detail and detail not in reason:
                reason = f"{reason}; its last error: {detail}"
            child.close(wait=2.0)
        log.warning("tagger process failed: %s", reason)
        if self.restarts < RESTARTS:
            self.restarts += 1
            try:
                self._child, _ = self._spawn(self.command, self.start_timeout)
                log.warning("tagger process restarted")
                return
            except RemoteUnavailable as exc:
                reason = f"{reason}; restart failed: {exc}"
        from cjm_interview.nlp.lexicon import LexiconTagger

        self.fallback_reason = reason
        self._lexicon = LexiconTagger()
        self.name = f"lexicon (model process failed: {_short(reason)})"
        self.version = self._lexicon.version
        log.warning("lexicon tagger in use from now on: %s", reason)

    def close(self) -> None:
        """Stop the child process and wait for it.

        Not under the lock: a request waiting on a hung child ends at once
        when its pipe closes, instead of holding up the close.
        """
        child, self._child = self._child, None
        if child is not None:
            child.close()


def _short(reason: str) -> str:
    return reason.split(";")[0][:120]


def _labelled(result: TagResult, model: str) -> TagResult:
    """A lexicon result whose ``model`` says why it stands in for the model."""
    from dataclasses import replace

    return replace(result, model=model)


def _maybe_json(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _result(item: dict[str, Any]) -> TagResult:
    embedding = base64.b64decode(item["embedding"]) if "embedding" in item else None
    return replace(
        TagResult.from_json(item), embedding=embedding, embedding_model=item.get("embedding_model")
    )
