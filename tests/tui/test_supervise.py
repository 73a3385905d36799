"""The kiosk's supervisor: only the operator ends a kiosk; the crash log is the owner's
alone, never written through a link, and kept under a size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cjm_interview.tui import supervise
from cjm_interview.tui.supervise import CRASH_LOG_LIMIT, RESTARTED, run_kiosk


class FakeKiosk:
    """Ends as told: by the operator, with an error, or quietly with exit code 0."""

    def __init__(self, ending: str, notices: list[str]) -> None:
        self.ending = ending
        self.notices = notices
        self.return_code: int | None = None
        self.operator_left = False
        self.closed = False

    def run(self) -> None:
        if self.ending == "operator":
            self.operator_left, self.return_code = True, 0
        elif self.ending == "quiet":
            self.return_code = 0
        elif self.ending == "raises":
            raise RuntimeError("the terminal went away")

    def crashed_with(self) -> BaseException | None:
        return RuntimeError("fault") if self.ending == "error" else None

    def close_after_crash(self) -> None:
        self.closed = True


def kiosks(*endings: str) -> tuple[list[FakeKiosk], list[str], object]:
    made: list[FakeKiosk] = []
    notices: list[str] = []
    queue = list(endings)

    def make(notice: str) -> FakeKiosk:
        notices.append(notice)
        made.append(FakeKiosk(queue.pop(0), notices))
        return made[-1]

    return made, notices, make


@pytest.mark.parametrize("ending", ["quiet", "raises", "error"])
def test_an_end_the_operator_did_not_ask_for_restarts_it(ending: str, tmp_path: Path) -> None:
    made, notices, make = kiosks(ending, "operator")
    log = tmp_path / "kiosk.db.crash.log"
    assert run_kiosk(make, log) == 0  # type: ignore[arg-type]
    assert len(made) == 2 and made[0].closed and not made[1].closed
    assert notices == ["", RESTARTED]
    assert "kiosk crash" in log.read_text(encoding="utf-8")


def test_quiet_ends_count_as_crashes_and_stop_a_kiosk_that_keeps_ending(tmp_path: Path) -> None:
    _, _, make = kiosks("quiet", "quiet", "quiet")
    log = tmp_path / "crash.log"
    assert run_kiosk(make, log) == 1  # type: ignore[arg-type]
    assert log.read_text(encoding="utf-8").count("without the operator") == 3


def test_the_crash_log_is_never_written_through_a_link(tmp_path: Path) -> None:
    target = tmp_path / "someone_elses_file"
    target.write_text("theirs\n", encoding="utf-8")
    log = tmp_path / "crash.log"
    log.symlink_to(target)
    supervise._log(log, RuntimeError("answer text"))
    assert target.read_text(encoding="utf-8") == "theirs\n"
    assert log.is_symlink()


def test_an_existing_crash_log_becomes_owner_only(tmp_path: Path) -> None:
    log = tmp_path / "crash.log"
    log.write_text("old\n", encoding="utf-8")
    log.chmod(0o644)
    supervise._log(log, RuntimeError("answer text"))
    assert log.stat().st_mode & 0o777 == 0o600
    assert "answer text" in log.read_text(encoding="utf-8")


def test_a_fifo_in_place_of_the_log_is_refused_without_hanging(tmp_path: Path) -> None:
    log = tmp_path / "crash.log"
    os.mkfifo(log)
    supervise._log(log, RuntimeError("answer text"))  # returns: no reader needed


def test_the_crash_log_is_kept_under_its_size(tmp_path: Path) -> None:
    log = tmp_path / "crash.log"
    for _ in range(40):
        supervise._log(log, RuntimeError("x" * 100_000))
    old = log.with_name(log.name + ".1")
    assert log.stat().st_size <= CRASH_LOG_LIMIT and old.stat().st_size <= CRASH_LOG_LIMIT
    assert old.stat().st_mode & 0o777 == 0o600


async def test_a_crash_report_keeps_no_local_values(tmp_path: Path, quick_script) -> None:
    # Textual's traceback shows each frame's local values: an answer held in one would
    # outlive the erasure of its session in the crash log.
    from cjm_interview.store import Store

    from .helpers import kiosk

    app = kiosk(Store(tmp_path / "s.db"), quick_script)

    def store_answer(answer: str) -> None:
        raise ValueError("could not store the answer")

    def crash() -> None:
        store_answer(" ".join(["I", "live", "at", "4", "Elm", "Road"]))  # (not in the source)

    with pytest.raises(ValueError):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.call_later(crash)
            await pilot.pause(0.3)
    if app._exit_renderables:  # (printed when the app's run ends; run_test leaves them)
        app._print_error_renderables()
    assert "could not store the answer" in app.exit_report
    assert "store_answer" in app.exit_report  # the frames are there
    assert "Elm Road" not in app.exit_report
