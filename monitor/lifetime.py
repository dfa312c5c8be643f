"""A child process that ends when its parent does (Linux PR_SET_PDEATHSIG), with no imports
beyond the standard library, so the daemon's cycle and the cycle's worker process share it."""

from __future__ import annotations

import os


def die_with_parent(sig: int | None = None) -> None:
    """A daemon's cycle never outlives its supervisor: if the daemon dies (kill -9, a signal it
    did not handle), Linux sends this process SIGTERM, which closes the cycle as a stop does.
    A cycle's worker process (monitor/offload.py) asks for SIGKILL the same way."""
    import ctypes
    import signal

    sig = signal.SIGTERM if sig is None else sig
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the daemon's hard timeout is the only guard
        return
    if os.getppid() == 1:  # the parent died before the call: nobody would reap or stop us
        os.kill(os.getpid(), sig)
