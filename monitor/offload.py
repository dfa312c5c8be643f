"""CPU-heavy steps in a worker process, so the reactor keeps downloading while they run.

Feed parsing (feedparser), a page's text (lxml, trafilatura) and its figures are plain
functions of bytes and strings. Run on Scrapy's reactor thread they cost a cold cycle about as
much CPU as Scrapy's own downloading, and every millisecond of them is a millisecond no
response is read (issue 19's profile). Handed to a worker process on a second core, the reactor
only pickles their arguments and results.

`workers:` in config.yaml decides (monitor/config.py):
- `auto` (the default): one worker on a machine with two or more CPUs, started once the
  process has spent `WARM_AFTER` CPU-seconds on such work in-process (a re-poll, or a daemon
  cycle that reads a few entries, never starts one), and every call from then on is handed to
  it, queued while it starts (~0.3 s): running calls in-process until it was ready cost the
  reactor 6% of a cold cycle in an A/B against that;
- `N`: N workers, started at the first call, every call handed to them (what tests use);
- `0`: everything in-process, as before.

Results are the same wherever a call ran: the functions are pure, and each carries its own
SIGALRM budget (monitor/budget.py), which works in a worker's main thread as on the reactor's.
What a worker adds is isolation: a worker that dies (a crash in a C parser, the OOM killer)
costs the calls it held one retry on a fresh pool, then `WorkerLost`; a call stuck past its
deadline (C code does not see SIGALRM) has its pool killed and raises TimeoutError. Either way
one feed or page is affected, never the cycle.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from monitor.budget import time_limit

if TYPE_CHECKING:  # imported where a pool starts: a re-poll that parses nothing never pays them
    from concurrent.futures import Future, ProcessPoolExecutor

log = logging.getLogger("monitor")
T = TypeVar("T")

# CPU-seconds of offloadable work done in-process before `auto` starts its worker: about what
# two 40-entry feeds and a few pages cost. A worker costs ~0.3 CPU-seconds to start, on the
# other core; 0.25 s left too much of a cold cycle's first feeds on the reactor's thread.
WARM_AFTER = 0.05
# Calls in flight per worker; the rest wait here, so a call's deadline never counts the time
# it queued behind others.
PER_WORKER = 8
MAX_WORKERS = 16  # `workers:` at most; beyond a few, the one reactor feeding them is the limit


class WorkerLost(Exception):
    """The worker process died while running this call, on two pools in a row."""


def cpus() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def workers_for(setting: int | str) -> tuple[int, bool]:
    """(number of workers, adaptive?) for a `workers:` value: `auto`, or a count."""
    if setting == "auto":
        return (1 if cpus() >= 2 else 0), True
    return max(0, min(int(setting), MAX_WORKERS)), False


def limited(seconds: float, what: str, fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) under a SIGALRM budget of `seconds`, wherever it runs (picklable: a worker
    can be handed it with a module-level fn)."""
    with time_limit(seconds, what):
        return fn(*args)


def _start_worker() -> None:
    """In each worker: die with the cycle, leave Ctrl-C to it, and import what calls need."""
    from monitor.lifetime import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the cycle stops gracefully; we follow it
    die_with_parent(signal.SIGKILL)  # not Linux: the pool's pipe closing ends us instead
    import feedparser  # noqa: F401  (warm: the first call should not pay the imports)
    import trafilatura  # noqa: F401

    from monitor import attribution, dedupe, reading, textfacts  # noqa: F401


def _ready() -> int:
    return os.getpid()


@dataclass
class Counts:
    """What the run's `event=workers` line reports."""

    started: int = 0
    sent: int = 0
    inline: int = 0
    lost: int = 0
    stuck: int = 0


class Offload:
    """A process pool for one crawl process, shared by its crawlers (see for_settings)."""

    def __init__(
        self,
        workers: int,
        adaptive: bool = False,
        warm_after: float = WARM_AFTER,
        initializer: Callable[[], None] | None = None,
    ) -> None:
        self.workers, self.adaptive, self.warm_after = workers, adaptive, warm_after
        self.initializer = initializer or _start_worker
        self.counts = Counts()
        self.inline_cpu = 0.0
        self._pool: ProcessPoolExecutor | None = None
        self._warm: Future[int] | None = None
        self._slots: asyncio.Semaphore | None = None

    async def run(self, deadline: float, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args), in a worker once this process has its pool (queued while it starts), else
        here; `deadline` seconds bound a call that a worker holds (fn's own budget should be
        well inside it)."""
        if not self._use_pool():
            return self._inline(fn, args)
        from concurrent.futures.process import BrokenProcessPool

        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers * PER_WORKER)
        async with self._slots:
            for _ in (1, 2):
                if self.workers == 0:  # no worker could start here: in-process from now on
                    return self._inline(fn, args)
                pool = self._pool or self._start()
                try:
                    return await self._call(pool, deadline, fn, args)
                except BrokenProcessPool:  # a worker died: a fresh pool, once
                    self._discard(pool)
        self.counts.lost += 1
        raise WorkerLost(f"the worker process died running {fn.__name__}")

    async def _call(
        self, pool: ProcessPoolExecutor, deadline: float, fn: Callable[..., T], args: Any
    ) -> T:
        future = pool.submit(fn, *args)
        self.counts.sent += 1
        waiting = asyncio.wrap_future(future)
        done, _ = await asyncio.wait({waiting}, timeout=deadline)
        if not done:  # stuck where SIGALRM cannot reach: kill the pool, lose this call only
            self.counts.stuck += 1
            self._discard(pool, kill=True)
            raise TimeoutError(f"{fn.__name__} took over {deadline:g}s in a worker")
        return waiting.result()

    def _use_pool(self) -> bool:
        if self.workers == 0:
            return False
        return not self.adaptive or self._pool is not None  # queued while it starts

    def _inline(self, fn: Callable[..., T], args: Any) -> T:
        self.counts.inline += 1
        started = time.thread_time()
        try:
            return fn(*args)
        finally:
            self.inline_cpu += time.thread_time() - started
            if self.workers and self._pool is None and self.inline_cpu >= self.warm_after:
                self._start()

    def _start(self) -> ProcessPoolExecutor:
        """A fresh pool (spawned: no forking of a process that runs a reactor and threads)."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=self.initializer,
        )
        self._warm = self._pool.submit(_ready)
        self.counts.started += self.workers
        return self._pool

    def _discard(self, pool: ProcessPoolExecutor, kill: bool = False) -> None:
        warm = self._warm if self._pool is pool else None
        if warm is not None and warm.done() and warm.exception() is not None:
            self.workers = 0  # the pool broke before a worker was ever ready: none can start
            why = warm.exception()
            log.warning("event=workers_unavailable why=%r (work stays in-process)", str(why))
        if kill:
            # ProcessPoolExecutor has no public kill before Python 3.14 (kill_workers)
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        if self._pool is pool:
            self._pool, self._warm = None, None

    def close(self) -> None:
        """Stop the workers (they finish nothing more) and log what they did."""
        if self._pool is not None:
            self._discard(self._pool)
        c = self.counts
        if c.started:
            log.info(
                "event=workers started=%s sent=%s inline=%s lost=%s stuck=%s",
                c.started,
                c.sent,
                c.inline,
                c.lost,
                c.stuck,
            )


_INLINE = Offload(0)
_current: Offload | None = None


def for_settings(settings: Any) -> Offload:
    """The process's pool, made from the first crawler's MONITOR_WORKERS: the feed and listing
    crawlers of one cycle share it (one process, one reactor)."""
    global _current
    if settings is None:
        return _INLINE
    if _current is None:
        _current = Offload(*workers_for(settings.get("MONITOR_WORKERS", "auto")))
    return _current


def for_crawler(crawler: Any) -> Offload:
    """for_settings of a crawler; in-process for a spider used without one (unit tests)."""
    return for_settings(getattr(crawler, "settings", None))


def shutdown() -> None:
    """End of the crawl process's work: stop the pool, so the next crawl starts afresh."""
    global _current
    if _current is not None:
        _current.close()
        _current = None
