"""RunStats: turns spider signals into `polls` rows, source health and the run's counters."""

from __future__ import annotations

import logging
from collections import Counter

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor import archive
from monitor.items import Article
from monitor.pipelines import archive_for

log = logging.getLogger("monitor")
COUNTERS = ("articles_fetched", "articles_new", "stories_new", "figures_new")


class RunStats:
    """Writes polls when the spider closes, so a killed run leaves the old validators in place."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.new_by_source: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunStats:
        if crawler.settings.get("MONITOR_RUN_ID") is None:
            raise NotConfigured("no run id: not started by `monitor run`")
        ext = cls(crawler)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def item_scraped(self, item: Article, spider: Spider) -> None:
        self.new_by_source[item.entry.source_id] += 1

    def spider_closed(self, spider: Spider, reason: str) -> None:
        db = archive_for(self.crawler)
        run_id = int(self.crawler.settings.get("MONITOR_RUN_ID"))
        results = getattr(spider, "results", {})
        outage = len(results) > 1 and all(r.get("network") for r in results.values())
        failed = 0
        for source_id, result in results.items():
            result["new_entries"] = self.new_by_source[source_id]
            if reason != "finished":  # interrupted: keep old validators so the next run re-reads
                for key in ("etag", "last_modified", "body_hash"):
                    result.pop(key, None)
            if outage:
                result["error_kind"] = "outage"
            failed += bool(result.get("error"))
            archive.record_poll(db, run_id, source_id, result)
            log.info(
                "event=poll source=%s status=%s entries=%s new=%s ms=%s%s",
                source_id,
                result.get("http_status"),
                result.get("entries", 0),
                result["new_entries"],
                result.get("duration_ms"),
                f" error={result['error']!r}" if result.get("error") else "",
            )
        stats = self.crawler.stats
        counts = {k: int(stats.get_value(f"monitor/{k}", 0)) for k in COUNTERS}
        counts.update(
            sources_polled=len(results),
            sources_failed=failed,
            entries_seen=sum(int(r.get("entries", 0)) for r in results.values()),
        )
        archive.add_run_counts(db, run_id, counts)
