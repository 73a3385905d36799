"""The model tagger in a child process.

Importing torch and loading the encoder holds the interpreter lock for long
stretches; in a thread of the UI process that freezes the screen for
hundreds of milliseconds. A child process (``cjm tag --serve``) loads it
instead, and the UI's worker threads wait on a pipe, which costs nothing.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Sequence

from cjm_interview.nlp.base import TagResult


class RemoteUnavailable(RuntimeError):
    """The child process could not load the model."""


class RemoteTagger:
    """Implements the Tagger protocol by talking to ``cjm tag --serve``."""

    def __init__(self, proc: subprocess.Popen[bytes], name: str, version: str) -> None:
        self.proc = proc
        self.name = name
        self.version = version
        self._lock = threading.Lock()
        self._next = 0

    @classmethod
    def start(cls, require_model: bool = True) -> RemoteTagger:
        """Start the child and wait until its model is loaded (call from a worker thread)."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "cjm_interview", "tag", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        try:
            ready = json.loads(line)
        except json.JSONDecodeError:
            proc.kill()
            raise RemoteUnavailable("the tagger process did not start") from None
        if require_model and ready.get("fallback_reason"):
            proc.kill()
            raise RemoteUnavailable(str(ready["fallback_reason"]))
        return cls(proc, str(ready["model"]), str(ready["version"]))

    def tag_batch(self, texts: Sequence[str]) -> list[TagResult]:
        """Tag texts one line at a time through the pipe."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        results = []
        with self._lock:
            for text in texts:
                self._next += 1
                request = json.dumps({"id": str(self._next), "text": text}) + "\n"
                self.proc.stdin.write(request.encode("utf-8"))
                self.proc.stdin.flush()
                reply = json.loads(self.proc.stdout.readline() or b"{}")
                if "sentiment" not in reply:
                    raise RemoteUnavailable(reply.get("error", "the tagger process stopped"))
                embedding = base64.b64decode(reply["embedding"]) if "embedding" in reply else None
                results.append(
                    TagResult(
                        sentiment=reply["sentiment"],
                        sentiment_scores=reply["sentiment_scores"],
                        grade=float(reply["grade"]),
                        touchpoints=reply.get("touchpoint_scores", {}),
                        emotions=reply.get("emotion_scores", {}),
                        model=reply["model"],
                        version=reply["version"],
                        embedding=embedding,
                        embedding_model=reply.get("embedding_model"),
                    )
                )
        return results

    def close(self) -> None:
        """Stop the child process."""
        if self.proc.poll() is None:
            self.proc.kill()
