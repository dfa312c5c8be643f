"""DistributedSpider: one spider per `monitor worker` that polls whatever the shared queue holds.

Its requests do not come from `start()` but from Redis (scrapy-redis' Scheduler with
monitor.distributed.worker.ReliableQueue): each is one source's poll for one run, enqueued once
per cycle by `monitor run`. Feed and HTML sources share the spider; `read` dispatches on the
source's type. The poll's outcome and its articles go to the archiver when every article of the
poll has left the pipeline (monitor.distributed.worker.WorkerState).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from monitor.config import Source
from monitor.items import Article
from spiders.base import MonitorSpider
from spiders.feed import FeedSpider
from spiders.listing import ListingSpider

READERS = {"feed": FeedSpider.read, "html": ListingSpider.read}


class DistributedSpider(MonitorSpider):
    """Every configured source, any kind; polls arrive through the Redis queue."""

    name = "monitor-worker"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DistributedSpider:
        from monitor.distributed.worker import WorkerState

        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.worker = WorkerState(crawler, spider)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        return
        yield  # no start requests: the scheduler pops them from Redis

    def read(self, source: Source, response: Response) -> Iterable[Article]:
        return READERS[source.type](self, source, response)

    def parse_poll(self, response: Response) -> Iterable[Article]:
        worker = self.worker
        poll = worker.polls.get(response.meta.get("poll_id", ""))
        source = self.sources[response.meta["source_id"]]
        # MonitorSpider.parse_poll reads these before its first yield, i.e. within this next():
        self.source_type = source.type
        self.states[source.id] = response.meta.get("state") or {}
        try:
            for item in super().parse_poll(response):
                worker.track(poll, item)
                yield item
        finally:
            worker.callback_done(poll)

    def poll_failed(self, failure: Failure) -> None:
        try:
            super().poll_failed(failure)
        finally:
            self.worker.callback_done(self.worker.polls.get(failure.request.meta.get("poll_id")))
