"""DistributedSpider: one spider per `monitor worker` that polls whatever the shared queue holds.

Its requests do not come from `start()` but from Redis (scrapy-redis' Scheduler with
monitor.distributed.worker.ReliableQueue): each is one source's poll for one run, enqueued once
per cycle by `monitor run`. Feed and HTML sources share the spider; `read` dispatches on the
source's type. The spider knows nothing of Redis: the worker's bookkeeping is an extension on the
poll signal (monitor.distributed.worker.WorkerState), which sends the poll's outcome and its
articles to the archiver once every article of the poll has left the pipeline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import scrapy
from scrapy.http import Response

from monitor.config import Source
from monitor.items import Article
from spiders.base import MonitorSpider
from spiders.feed import FeedSpider
from spiders.listing import ListingSpider

# Called with the DistributedSpider as `self`: it carries the state both readers use.
READERS: dict[str, Callable[[Any, Source, Response], Iterable[Article]]] = {
    "feed": FeedSpider.read,
    "html": ListingSpider.read,
}


class DistributedSpider(MonitorSpider):
    """Every configured source, any kind; polls arrive through the Redis queue."""

    name = "monitor-worker"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        return
        yield  # no start requests: the scheduler pops them from Redis

    def read(self, source: Source, response: Response) -> Iterable[Article]:
        return READERS[source.type](self, source, response)

    async def parse_poll(self, response: Response) -> AsyncIterator[Article]:
        # the poll's state travels with its request; MonitorSpider._poll reads it
        self.states[response.meta["source_id"]] = response.meta.get("state") or {}
        async for article in super().parse_poll(response):
            yield article
