"""Time budgets for CPU-bound work on the thread that drives downloads (issue 17, item 2).

Feed parsing, main-text extraction and figure extraction run on Scrapy's reactor thread, or in
a worker process (monitor/offload.py) where the same budgets apply; while one of them runs on
the reactor's thread, no download makes progress and no deadline fires. Each therefore runs
under a SIGALRM budget: a pathological input (a ReDoS author, 120 KiB of money-heavy prose that made
extraction quadratic) raises TimeoutError at the budget and costs that one item its extra, never
the cycle. SIGALRM can only be used on the main thread; elsewhere (tests, threads) the size caps
are the bound.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Per article and stage (main text, relevance, figures): generous for a real release (~40 KB,
# tens of milliseconds), small beside `cycle_timeout`.
EXTRACT_SECONDS = 5.0


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise TimeoutError("<what> took over <seconds>s") if the block runs longer."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _timeout(signum: int, frame: Any) -> None:
        raise TimeoutError(f"{what} took over {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
