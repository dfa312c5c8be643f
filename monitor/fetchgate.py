"""Article pages fetched from the pipeline, kept inside the cycle (issue 17, item 1).

`engine.download_async` bypasses the scheduler, yet every page it starts counts against
Scrapy's `CONCURRENT_REQUESTS`: forty pages on one hung host filled the downloader, the
scheduler backed out, and the feeds after it were never polled while the cycle ran for minutes
past `cycle_timeout`. So pipeline fetches pass a gate: at most `per_host` in flight per host and
`total` in all (half the downloader, so polls always find room), and none after the cycle's
deadline, when waiting fetches give up and fetches in flight are cancelled. A page that does not
get through is "not reached": its entry is retried next cycle, and nobody is charged.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")


class NotReached(Exception):
    """The cycle's deadline came before this page could be fetched."""


@dataclass
class FetchGate:
    """Per-host and total limits on pipeline fetches, and the cycle's deadline (monotonic)."""

    deadline: float
    per_host: int = 1
    total: int = 8
    _hosts: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _all: asyncio.Semaphore | None = None

    @classmethod
    def for_cycle(cls, seconds: float, per_domain: int, concurrent: int) -> FetchGate:
        """A gate for a cycle of `seconds` from now, sized from Scrapy's concurrency settings."""
        deadline = time.monotonic() + seconds if seconds else float("inf")
        return cls(deadline, max(1, per_domain - 1), max(1, concurrent // 2))

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    async def fetch(self, url: str, download: Callable[[], Awaitable[T]]) -> T:
        """Run `download()` within the limits; NotReached if the deadline comes first."""
        async with self._slot(url):
            left = self._left()  # before the coroutine exists: none is left un-awaited
            try:
                return await asyncio.wait_for(download(), left)
            except TimeoutError:
                raise NotReached(url) from None

    @contextlib.asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        host = urlsplit(url).hostname or ""
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        if self._all is None:
            self._all = asyncio.Semaphore(self.total)
        left = self._left()
        try:
            await asyncio.wait_for(per_host.acquire(), left)
        except TimeoutError:
            raise NotReached(url) from None
        try:
            left = self._left()
            try:
                await asyncio.wait_for(self._all.acquire(), left)
            except TimeoutError:
                raise NotReached(url) from None
            try:
                yield
            finally:
                self._all.release()
        finally:
            per_host.release()

    def _left(self) -> float | None:
        """Seconds to the deadline (None: no deadline); NotReached once it has passed."""
        left = self.remaining()
        if left <= 0:
            raise NotReached("the cycle's deadline has passed")
        return None if left == float("inf") else left
