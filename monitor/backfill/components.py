"""The Scrapy parts a backfill adds to the live crawl: the live cycle keeps priority
(YieldToLive, over monitor.lock.LiveLock), Retry-After is waited out (RetryAfter), and signals
move each walk's cursor and the run's counters on (BackfillStats)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor import archive
from monitor.archive.backfill_state import save_cursor
from monitor.backfill.progress import Progress
from monitor.backfill.walk import Walk
from monitor.items import Article
from monitor.lock import LiveLock
from monitor.poll import RUN_COUNTERS

log = logging.getLogger("monitor")
RETRY_TIMES = 5  # 429/503 answers in a row on one request before its page counts as failed
MAX_WAIT = 600.0  # the longest Retry-After honoured, in seconds
# The run counters a backfill moves on (entries_seen it counts from its walks; the rest are the
# live cycle's).
BACKFILL_COUNTERS = tuple(k for k in RUN_COUNTERS if k.startswith(("articles_", "figures_")))


class YieldToLive:
    """Pipeline step before the archive write: wait while a live cycle holds the archive lock.
    The rest of the item's pipeline runs without a pause, and BackfillStats lets go after it."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> YieldToLive:
        return cls(crawler)

    async def process_item(self, item: Article) -> Article:
        lock: LiveLock = self.crawler.spider.backfill.lock
        while not lock.try_take():
            if lock.waits % 60 == 0:
                log.info("event=backfill_yield why='monitor run holds the archive lock'")
            lock.waits += 1
            await asyncio.sleep(0.5)
        return item


# ---------------------------------------------------------------- dates from the page


class PageDate:
    """Pipeline step between the fetch and the text (which drops the page): an item its listing
    left undated takes its date from the page (meta tags, <time>, the text; htmldate), and is
    dropped if that date is outside the window. Items that were not fetched stay undated."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> PageDate:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        from scrapy.exceptions import DropItem

        if item.entry.published or not item.raw:
            return item
        item.entry.published = page_date(item.raw)
        walk = self.crawler.spider.backfill.walks.get(item.entry.source_id)
        if walk is not None and not walk.in_window(item.entry.published):
            raise DropItem(f"outside the window by its page's date: {item.entry.url}")
        return item


def page_date(raw: bytes) -> str | None:
    """The publication date a page states, in UTC (a bare date is a London day), or None."""
    import htmldate

    from monitor.dates import LONDON, utc_iso

    found = htmldate.find_date(
        raw, original_date=True, extensive_search=False, outputformat="%Y-%m-%dT%H:%M:%S%z"
    )
    if not found:
        return None
    try:
        when = datetime.fromisoformat(found)
    except ValueError:
        return None
    return utc_iso(when if when.tzinfo else when.replace(tzinfo=LONDON))


# ---------------------------------------------------------------- Retry-After


class RetryAfter:
    """429/503: pause the host for what Retry-After asks (capped), then ask again; after
    RETRY_TIMES in a row the answer goes through and the page counts as failed (resumed later)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfter:
        return cls(crawler)

    async def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        from spiders.base import _retry_after

        tries = request.meta.get("backfill_tries", 0)
        if response.status not in (429, 503) or tries >= RETRY_TIMES:
            return response
        wait = min(float(_retry_after(response) or 2**tries), MAX_WAIT)
        log.info("event=backfill_retry_after url=%s wait=%s try=%s", request.url, wait, tries + 1)
        await self._pause(request.meta.get("download_slot"), wait)
        retry = request.replace(dont_filter=True)
        retry.meta["backfill_tries"] = tries + 1
        return retry

    async def _pause(self, key: str | None, wait: float) -> None:
        """No request to this host until the wait is over (the slot's delay stands in for it)."""
        slot = self.crawler.engine.downloader.slots.get(key) if key else None
        if key is None or slot is None:
            await asyncio.sleep(wait)
            return
        self.paused_until[key] = max(time.monotonic() + wait, self.paused_until.get(key, 0.0))
        slot.delay, slot.lastseen = max(slot.delay, wait), time.monotonic()
        await asyncio.sleep(wait)
        if time.monotonic() >= self.paused_until[key]:  # no later pause of this host pending
            slot.delay = self.crawler.settings.getfloat("DOWNLOAD_DELAY")


# ---------------------------------------------------------------- accounting


@dataclass
class Backfill:
    """What the spider, the pipeline step and the stats extension of one backfill share."""

    walks: dict[str, Walk]
    lock: LiveLock
    progress: Progress
    run_id: int


class BackfillStats:
    """Signals -> each walk's pages, its cursor (after every finished page) and the run row."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.flushed: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Any) -> BackfillStats:
        from scrapy import signals

        ext = cls(crawler)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def item_scraped(self, item: Article, spider: Any) -> None:
        self._done(spider, item, item.relevant, None)

    def item_dropped(self, item: Article, spider: Any, exception: BaseException) -> None:
        why = str(exception)
        failed = why.startswith(("article page failed", "not archived"))
        self._done(spider, item, False, why if failed else None)

    def item_error(self, item: Article, spider: Any, failure: Any) -> None:
        self._done(spider, item, False, f"pipeline error: {failure.getErrorMessage()}")

    def _done(self, spider: Any, item: Article, relevant: bool, failure: str | None) -> None:
        backfill: Backfill = spider.backfill
        backfill.lock.release()
        origin = spider.origin.pop(id(item), None)
        if origin is None:
            return
        walk = backfill.walks[origin[0]]
        before = walk.cursor.next_page, walk.cursor.status
        walk.item_done(origin[1], relevant, failure)
        if (walk.cursor.next_page, walk.cursor.status) != before:
            self.page_finished(walk)
        spider.page_done(walk, origin[1])  # the page's last item: the walk asks for the next

    def page_finished(self, walk: Walk) -> None:
        """Store the cursor and the run's counters so far, and show the step."""
        db = self._db()
        save_cursor(db, walk.cursor)
        self.flush()
        self.crawler.spider.backfill.progress.update(walk)

    def flush(self) -> None:
        stats = self.crawler.stats
        walks = self.crawler.spider.backfill.walks.values()
        now = Counter({k: int(stats.get_value(f"monitor/{k}", 0)) for k in BACKFILL_COUNTERS})
        now["entries_seen"] = sum(w.entries for w in walks)
        delta = {k: v - self.flushed[k] for k, v in now.items() if v != self.flushed[k]}
        if delta:
            archive.add_run_counts(self._db(), self.crawler.spider.backfill.run_id, delta)
            self.flushed = now

    def spider_closed(self, spider: Any, reason: str) -> None:
        for walk in spider.backfill.walks.values():
            if walk.cursor.status == "walking" and not walk.stopping and reason != "finished":
                why = "Ctrl-C or SIGTERM" if reason == "shutdown" else reason
                walk.cursor.last_error = f"interrupted ({why}): run it again to go on"
            save_cursor(self._db(), walk.cursor)
        self.flush()

    def _db(self) -> Any:
        from monitor.pipelines import archive_for

        return archive_for(self.crawler)
