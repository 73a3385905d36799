"""The kiosk operator's PIN: salted hashing, constant-time checks and a lockout.

A kiosk never holds the PIN itself. A PIN given in ``CJM_KIOSK_PIN`` is hashed
with a fresh salt the moment it is read; a PIN hash file holds one line::

    scrypt$n=16384,r=8,p=1$<salt, base64>$<hash, base64>

written by ``cjm kiosk --write-pin-hash FILE``. After a few wrong tries the
guard refuses every attempt (right or wrong) for a while, doubling the wait
each time, so a participant cannot guess a short PIN by trying them all.
There is no default PIN anywhere: without one, kiosk mode does not start.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cjm_interview.errors import CjmError

PIN_ENV = "CJM_KIOSK_PIN"
MIN_PIN_LENGTH = 4
MAX_PIN_LENGTH = 128
SALT_BYTES = 16
HASH_BYTES = 32
# scrypt's cost: about 16 MiB and a few tens of milliseconds per check here.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_MAXMEM = 256 * 1024 * 1024
MAX_HASH_FILE = 4096  # bytes: one line of about 100
MAX_SCRYPT_WORK = 4 * 128 * SCRYPT_N * SCRYPT_R * SCRYPT_P  # four times the default's
MAX_FAILURES = 5
LOCKOUT_SECONDS = 30.0
MAX_LOCKOUT_SECONDS = 15 * 60.0


class PinError(CjmError):
    """A PIN or PIN hash file that cannot be used; the message says why."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def check_pin_format(pin: str) -> None:
    """Raise PinError if ``pin`` is too short or too long to be an operator PIN."""
    if len(pin) < MIN_PIN_LENGTH:
        raise PinError(
            f"the operator PIN must have at least {MIN_PIN_LENGTH} characters",
            "Choose a longer PIN.",
        )
    if len(pin) > MAX_PIN_LENGTH:
        raise PinError(f"the operator PIN must have at most {MAX_PIN_LENGTH} characters")


@dataclass(frozen=True)
class PinHash:
    """A salted scrypt hash of a PIN, with the cost it was made with."""

    salt: bytes
    digest: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    @classmethod
    def of(cls, pin: str, salt: bytes | None = None) -> PinHash:
        """Hash ``pin`` with a new random salt (or the one given)."""
        salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
        return cls(salt, _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))

    def matches(self, pin: str) -> bool:
        """True when ``pin`` is the PIN this hash was made from (constant-time compare)."""
        if len(pin) > MAX_PIN_LENGTH:
            return False
        try:
            candidate = _scrypt(pin, self.salt, self.n, self.r, self.p)
        except (ValueError, MemoryError):  # a cost ``decode`` let through: never a crash
            return False
        return hmac.compare_digest(candidate, self.digest)

    def encode(self) -> str:
        """The one-line text form kept in a PIN hash file."""
        return f"scrypt$n={self.n},r={self.r},p={self.p}${_b64(self.salt)}${_b64(self.digest)}"

    @classmethod
    def decode(cls, text: str, where: str = "PIN hash") -> PinHash:
        """Parse the text form; PinError says what is wrong with it."""
        parts = text.strip().split("$")
        if len(parts) != 4 or parts[0] != "scrypt":
            raise PinError(
                f"{where}: not a PIN hash (expected scrypt$n=…,r=…,p=…$salt$hash)",
                "Write one with `cjm kiosk --write-pin-hash FILE`.",
            )
        try:
            params = dict(item.split("=", 1) for item in parts[1].split(","))
            n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
            salt, digest = _unb64(parts[2]), _unb64(parts[3])
        except (KeyError, ValueError, binascii.Error):
            raise PinError(
                f"{where}: damaged PIN hash", "Write a new one with `cjm kiosk --write-pin-hash`."
            ) from None
        # Refuse costs that are too weak to protect a short PIN, or absurdly high.
        if not (2**12 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
            raise PinError(f"{where}: unsupported scrypt cost n={n}, r={r}, p={p}")
        # Costs scrypt itself refuses (n must be below 2^(16·r); about 128·n·r bytes under its
        # memory cap) made every check of the PIN fail with an error, and costs far above the
        # default froze the kiosk for seconds per try: the operator must always get out.
        if n >= 2 ** (16 * r) or 128 * n * r * p > MAX_SCRYPT_WORK:
            raise PinError(
                f"{where}: scrypt cost n={n}, r={r}, p={p} is more than a PIN check may take",
                "Write a new one with `cjm kiosk --write-pin-hash FILE`.",
            )
        if len(digest) != HASH_BYTES:
            raise PinError(
                f"{where}: the hash is {len(digest)} bytes, not {HASH_BYTES}: no PIN would match",
                "Write a new one with `cjm kiosk --write-pin-hash FILE`.",
            )
        if len(salt) < 8 or len(digest) < 16:
            raise PinError(f"{where}: the salt or hash is too short")
        return cls(salt, digest, n, r, p)


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=HASH_BYTES
    )


def write_pin_hash_file(path: Path, pin: str) -> PinHash:
    """Hash ``pin`` and write it to ``path``, readable by its owner only.

    Only a new file or an earlier PIN hash is written: a link, a device or any other file
    (a study database given by mistake) is refused, not replaced by the hash.
    """
    check_pin_format(pin)
    if path.is_symlink():
        raise PinError(f"{path} is a symbolic link", "Give the file itself, or a new name.")
    if path.exists():
        try:
            read_pin_hash_file(path)
        except PinError:
            raise PinError(
                f"{path} exists and is not a PIN hash file; it was left as it was",
                "Give a new file name, or the PIN hash file to replace.",
            ) from None
    pin_hash = PinHash.of(pin)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(pin_hash.encode() + "\n")
        os.chmod(path, 0o600)
    except OSError as exc:
        raise PinError(f"{path}: cannot write the PIN hash ({exc.strerror})") from None
    return pin_hash


def read_pin_hash_file(path: Path) -> PinHash:
    """Read a PIN hash file written by :func:`write_pin_hash_file` (a regular file of a few
    bytes: ``/dev/zero`` or a pipe is one line, not a read without end)."""
    from cjm_interview.files import InputFileError, read_limited

    if not path.exists() and not path.is_symlink():
        raise PinError(
            f"{path}: no such PIN hash file", "Write one with `cjm kiosk --write-pin-hash FILE`."
        )
    try:
        text = read_limited(path, MAX_HASH_FILE, "PIN hash file").decode("ascii")
    except InputFileError as exc:
        raise PinError(str(exc), exc.hint) from None
    except UnicodeDecodeError:
        raise PinError(f"{path}: cannot read the PIN hash (not a text file)") from None
    return PinHash.decode(text, str(path))


class PinGuard:
    """Checks operator PINs, locking out after repeated failures."""

    def __init__(
        self,
        pin_hash: PinHash,
        max_failures: int = MAX_FAILURES,
        lockout_seconds: float = LOCKOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pin_hash = pin_hash
        """The hash every attempt is checked against."""
        self.max_failures = max_failures
        """Wrong tries allowed before a lockout."""
        self.lockout_seconds = lockout_seconds
        """Length of the first lockout; each further one doubles it."""
        self.clock = clock
        """Monotonic time source (replaced in tests)."""
        self.failures = 0
        """Wrong tries since the last success or lockout."""
        self.lockouts = 0
        """Lockouts so far (each one longer than the last)."""
        self.locked_until = 0.0
        """Clock time before which every attempt is refused."""

    @classmethod
    def from_pin(
        cls,
        pin: str,
        max_failures: int = MAX_FAILURES,
        lockout_seconds: float = LOCKOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> PinGuard:
        """A guard for a PIN given in plain text (hashed at once with a fresh salt)."""
        check_pin_format(pin)
        return cls(PinHash.of(pin), max_failures, lockout_seconds, clock)

    def locked_for(self) -> float:
        """Seconds until attempts are accepted again (0 when not locked)."""
        return max(0.0, self.locked_until - self.clock())

    def check(self, pin: str) -> bool:
        """True for the right PIN; wrong ones count towards a lockout.

        While locked out every attempt fails, the right PIN included, and the
        PIN is not even hashed, so trying costs an attacker time, not us.
        """
        if self.locked_for() > 0:
            return False
        if self.pin_hash.matches(pin):
            self.failures = 0
            self.lockouts = 0
            return True
        self.failures += 1
        if self.failures >= self.max_failures:
            wait = min(self.lockout_seconds * 2**self.lockouts, MAX_LOCKOUT_SECONDS)
            self.locked_until = self.clock() + wait
            self.lockouts += 1
            self.failures = 0
        return False


def guard_from_environment(
    environ: Mapping[str, str], pin_hash_file: Path | None = None
) -> PinGuard:
    """The operator's PIN guard from ``--pin-hash-file`` or ``CJM_KIOSK_PIN``.

    Raises PinError when neither is given: there is no default PIN.
    """
    if pin_hash_file is not None:
        return PinGuard(read_pin_hash_file(pin_hash_file))
    pin = environ.get(PIN_ENV, "")
    if pin:
        return PinGuard.from_pin(pin)
    raise PinError(
        "kiosk mode needs an operator PIN and there is no default",
        f"Set {PIN_ENV}, or pass --pin-hash-file FILE "
        "(write one with `cjm kiosk --write-pin-hash FILE`).",
    )
