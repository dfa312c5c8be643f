"""The archive's locks: one flock beside the archive per role (a cycle, the scale-out archiver).

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


class Locked(Exception):
    """Another process holds this lock; the message says which role and which archive."""


@contextmanager
def hold(db_path: str | Path, suffix: str, busy: str) -> Iterator[None]:
    """Hold `<db_path><suffix>` exclusively for the block; Locked(`busy`) if another holds it."""
    lock_path = f"{db_path}{suffix}"
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(lock_path, flags, 0o644)
    except OSError as exc:
        raise ArchiveError(f"{db_path}: cannot open {lock_path}: {exc.strerror}") from None
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
