"""The archive's locks: one flock beside the archive per role (a cycle, the scale-out archiver),
and the cycle's lock taken and let go again by a backfill (`LiveLock`).

The kernel frees an flock when its holder dies, so no lock is ever stale. The file is opened
without truncating (a second run must not wipe the holder's pid before it learns it is locked:
the old archiver's `open(..., "w")` did) and with O_NOFOLLOW, so a symlink planted at the lock's
path cannot make a run write its pid into some other file (issue 17, item 9).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.errors import ArchiveError

_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


class Locked(Exception):
    """Another process holds this lock; the message says which role and which archive."""


@contextmanager
def hold(db_path: str | Path, suffix: str, busy: str) -> Iterator[None]:
    """Hold `<db_path><suffix>` exclusively for the block; Locked(`busy`) if another holds it."""
    fd = _open(db_path, suffix)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Locked(f"{db_path}: {busy}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _open(db_path: str | Path, suffix: str) -> int:
    lock_path = f"{db_path}{suffix}"
    try:
        return os.open(lock_path, _FLAGS, 0o644)
    except OSError as exc:
        raise ArchiveError(f"{db_path}: cannot open {lock_path}: {exc.strerror}") from None


class LiveLock:
    """The flock `monitor run` holds for a cycle (`<db_path>.lock`), taken by a backfill only
    while it writes and let go between items, so a live cycle never waits behind history.
    The file stays open for the whole backfill; `waits` counts the times it found it held."""

    def __init__(self, db_path: str | Path, suffix: str = ".lock") -> None:
        self.db_path, self.suffix = db_path, suffix
        self.fd: int | None = None
        self.waits = 0

    def try_take(self) -> bool:
        """True when this process now holds the lock; False while a live cycle has it."""
        if self.fd is None:
            self.fd = _open(self.db_path, self.suffix)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
