"""The kiosk operator's PIN: its hash file, read and written safely, and the lockout."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cjm_interview.pin import (
    MAX_FAILURES,
    PinError,
    PinGuard,
    PinHash,
    read_pin_hash_file,
    write_pin_hash_file,
)


def test_a_pin_hash_file_is_owner_only_and_checks_the_pin(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.pin"
    write_pin_hash_file(path, "4821")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pin_hash = read_pin_hash_file(path)
    assert pin_hash.matches("4821") and not pin_hash.matches("4822")
    assert "4821" not in path.read_text()


def test_a_pin_hash_file_is_rewritten_with_a_new_pin(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.pin"
    write_pin_hash_file(path, "4821")
    write_pin_hash_file(path, "9999")
    assert read_pin_hash_file(path).matches("9999")


def test_writing_the_hash_over_another_file_is_refused(tmp_path: Path) -> None:
    """`--write-pin-hash study.db` replaced the study with a line of hash."""
    study = tmp_path / "study.db"
    study.write_bytes(b"SQLite format 3\x00" + bytes(100))
    before = study.read_bytes()
    with pytest.raises(PinError, match="is not a PIN hash file; it was left as it was"):
        write_pin_hash_file(study, "4821")
    assert study.read_bytes() == before


def test_writing_the_hash_through_a_link_is_refused(tmp_path: Path) -> None:
    """The link was followed: the file it led to was replaced and made owner-only."""
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    link = tmp_path / "kiosk.pin"
    link.symlink_to(target)
    with pytest.raises(PinError, match="symbolic link"):
        write_pin_hash_file(link, "4821")
    assert target.read_text() == "mine\n"


@pytest.mark.parametrize("kind", ["device", "pipe", "huge"])
def test_a_hash_file_that_is_no_file_is_one_error(tmp_path: Path, kind: str) -> None:
    """/dev/zero was read until memory ran out; a pipe waited for ever."""
    if kind == "device":
        path = Path("/dev/zero")
    elif kind == "pipe":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    else:
        path = tmp_path / "big.pin"
        path.write_bytes(b"scrypt$" + b"a" * 1_000_000)
    with pytest.raises(PinError, match=r"not a regular file|too large"):
        read_pin_hash_file(path)


@pytest.mark.parametrize(
    "cost",
    [
        "n=1048576,r=32,p=16",  # 4 GiB: past scrypt's memory cap, every check raised
        "n=65536,r=1,p=1",  # scrypt wants n below 2^(16·r): every check raised, 3 crashes
        "n=65536,r=8,p=16",  # 4-5 s a try: F12 and Enter froze the kiosk
    ],
)
def test_a_hash_too_costly_to_check_is_refused_when_read(cost: str) -> None:
    """Within the ranges first allowed, each of these made the operator's way out fail."""
    costly = PinHash.of("4821").encode().replace("n=16384,r=8,p=1", cost)
    with pytest.raises(PinError, match="more than a PIN check may take"):
        PinHash.decode(costly)


def test_a_hash_of_another_length_is_refused_when_read() -> None:
    """No PIN could match a 16-byte hash: the operator could never leave."""
    import base64

    good = PinHash.of("4821")
    short = good.encode().rsplit("$", 1)[0] + "$" + base64.b64encode(bytes(16)).decode()
    with pytest.raises(PinError, match="the hash is 16 bytes"):
        PinHash.decode(short)


def test_a_check_that_scrypt_refuses_is_a_wrong_pin_not_a_crash() -> None:
    pin_hash = PinHash(b"salt1234salt", bytes(32), n=65536, r=1, p=1)  # past decode's checks
    assert not pin_hash.matches("4821")


def test_repeated_wrong_pins_lock_out_even_the_right_one() -> None:
    now = [0.0]
    guard = PinGuard(PinHash.of("4821"), clock=lambda: now[0])
    for _ in range(MAX_FAILURES):
        assert not guard.check("0000")
    assert guard.locked_for() > 0 and not guard.check("4821")
    now[0] += guard.locked_for() + 0.1
    assert guard.check("4821")
