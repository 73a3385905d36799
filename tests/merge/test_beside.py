"""The themes worked out in a forked child while the moments are formed: the same map as
when they are worked out in line, and no child left behind whatever happens."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cjm_interview.map import beside, build, build_map
from cjm_interview.store import Store

from .test_composite import study_db  # noqa: F401 - the module's study, as a fixture


def the_map(store: Store) -> str:
    data = build_map(store, encode_missing=False).data
    data.pop("generated_at")
    return json.dumps(data, sort_keys=True)


def children() -> set[int]:
    """This process's children still there (zombies too)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.add(int(entry.name))
    return found


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every study forks, whatever its size; the children forked are listed."""
    if not beside.can_fork():
        pytest.skip("no fork here")
    forked: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(beside, "LEAST_STEPS", 0)
    monkeypatch.setattr(beside.os, "fork", fork)
    return forked


def test_the_themes_worked_out_beside_give_the_same_map(study_db, forks) -> None:  # noqa: F811
    store, _, _ = study_db
    alongside = the_map(store)
    assert len(forks) == 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(beside, "LEAST_STEPS", 10**9)
        in_line = the_map(store)
    assert len(forks) == 1  # that one in line
    assert alongside == in_line
    assert not children() & set(forks)


def test_a_map_that_stops_leaves_no_child(
    study_db,  # noqa: F811
    forks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, _, _ = study_db

    def stopped(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "form_moments", stopped)
    with pytest.raises(KeyboardInterrupt):
        build_map(store, encode_missing=False)
    assert len(forks) == 1
    assert not children() & set(forks)


def test_no_child_while_other_threads_run(study_db, forks) -> None:  # noqa: F811
    import threading

    store, _, _ = study_db
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        the_map(store)
    finally:
        release.set()
        other.join()
    assert forks == []


@pytest.mark.parametrize("failure", ["the child breaks", "no fork"])
def test_a_child_that_fails_leaves_the_work_to_the_parent(
    study_db,  # noqa: F811
    forks,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    store, _, _ = study_db
    in_line = the_map(store)
    fds = open_fds()
    parent = os.getpid()
    real = build.study_themes

    def broken(*args):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            raise RuntimeError("the child breaks")
        return real(*args)

    def no_fork() -> int:  # too many processes for the user, or no memory to copy this one
        raise BlockingIOError(11, "Resource temporarily unavailable")

    if failure == "no fork":
        monkeypatch.setattr(beside.os, "fork", no_fork)
    else:
        monkeypatch.setattr(build, "study_themes", broken)
    assert the_map(store) == in_line
    assert len(forks) == (2 if failure == "the child breaks" else 1)
    assert not children() & set(forks)
    assert open_fds() == fds


def test_an_interrupt_while_waiting_stops_the_child(forks, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    def slow() -> int:
        time.sleep(60)
        return 1

    work = beside.Beside(slow, fork=True)
    assert len(forks) == 1

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    fds = open_fds()
    monkeypatch.setattr(beside.os, "read", interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        work.result()
    assert time.monotonic() - started < 30  # killed, not waited for
    assert not children() & set(forks)
    assert open_fds() == fds - 1  # the pipe's end closed


@pytest.mark.parametrize("perspective", [None, "staff"])
def test_journeys_read_in_two_processes_are_the_ones_read_in_one(
    study_db,  # noqa: F811
    forks,
    monkeypatch: pytest.MonkeyPatch,
    perspective: str | None,
) -> None:
    from cjm_interview.map import Filters, journeys

    store, _, _ = study_db
    chosen = Filters(perspective=perspective)
    monkeypatch.setattr(journeys, "LEAST_SESSIONS", 10**9)
    alone = journeys.load_journeys(store, chosen)
    assert forks == []
    monkeypatch.setattr(journeys, "LEAST_SESSIONS", 0)
    shared = journeys.load_journeys(store, chosen)
    assert len(forks) == 1 and not children() & set(forks)
    assert [j.session["id"] for j in shared] == [j.session["id"] for j in alone]
    assert shared == alone  # every step, field, text and tag, in order
    if perspective is None:  # the customers' steps are tagged
        # The child read the later ones: their tags came through its own query.
        later = alone[int(len(alone) * journeys.OWN_SHARE) :]
        assert later and any(s.tags for j in later for s in j.steps)


def test_no_child_on_one_core(study_db, forks, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    store, _, _ = study_db
    in_line = the_map(store)
    assert len(forks) == 1
    monkeypatch.setattr(beside, "_cores", lambda: 1)
    assert the_map(store) == in_line
    assert len(forks) == 1  # none more
