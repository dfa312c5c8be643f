"""RunStats: turns spider signals into `polls` rows, source health and the run's counters.

A source's poll (and with it its new validators) is written once its outcome is known and every
entry it yielded is through the pipeline, so its articles are already committed: a cycle stopped
at any moment afterwards keeps that poll, and a source cut off before that point keeps its old
validators and is simply due again. Network failures wait for the end of the cycle, where the
whole cycle (every crawler of the run) is judged: if every source failed on the network, across
more than one host, it is an outage and no source is blamed.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor import archive, health
from monitor.items import Article
from monitor.pipelines import archive_for, read_feed_again
from spiders.base import poll_finished

log = logging.getLogger("monitor")
COUNTERS = ("articles_fetched", "articles_new", "stories_new", "figures_new")
NOT_REACHED = "not reached: the cycle ended before this source was polled"


@dataclass
class _Run:
    """The crawlers of one run (one per source kind) that have not all closed yet."""

    crawlers: int = 0
    closed: list[tuple[RunStats, Spider, str]] = field(default_factory=list)


def is_outage(results: list[dict[str, Any]]) -> bool:
    """Every source failed on the network, across at least two hosts: not their fault."""
    hosts = {r.get("host") for r in results}
    return len(hosts) > 1 and all(r.get("network") for r in results)


def _not_reached(result: dict[str, Any]) -> bool:
    """A poll the cycle never sent: recorded, but neither polled nor failed."""
    return result.get("error_kind") == "not_reached"


def _finished(result: dict[str, Any]) -> bool:
    """The poll got an answer or a definite failure (not cut off while in flight)."""
    return result.get("http_status") is not None or result.get("error") is not None


class RunStats:
    """Per crawler: counts each source's entries through the pipeline and writes its poll."""

    runs: ClassVar[dict[int, _Run]] = {}

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_id = int(crawler.settings.get("MONITOR_RUN_ID"))
        self.new_by_source: Counter[str] = Counter()
        self.done_by_source: Counter[str] = Counter()
        self.written: set[str] = set()
        self.flushed: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunStats:
        if crawler.settings.get("MONITOR_RUN_ID") is None:
            raise NotConfigured("no run id: not started by `monitor run`")
        ext = cls(crawler)
        cls.runs.setdefault(ext.run_id, _Run()).crawlers += 1
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_done, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_failed, signal=signals.item_error)
        crawler.signals.connect(ext.poll_finished, signal=poll_finished)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def item_scraped(self, item: Article, spider: Spider) -> None:
        self.new_by_source[item.entry.source_id] += 1
        self.item_done(item, spider)

    def item_done(self, item: Article, spider: Spider, **kwargs: Any) -> None:
        self.done_by_source[item.entry.source_id] += 1
        self._maybe_write(spider, item.entry.source_id)

    def item_failed(self, item: Article, spider: Spider, **kwargs: Any) -> None:
        """A pipeline bug lost this entry: keep the feed unread so the next cycle retries it."""
        read_feed_again(self.crawler, item.entry.source_id)
        self.item_done(item, spider)

    def poll_finished(self, spider: Spider, source_id: str) -> None:
        self._maybe_write(spider, source_id)

    def _complete(self, result: dict[str, Any], source_id: str) -> bool:
        return _finished(result) and self.done_by_source[source_id] >= result.get("entries", 0)

    def _maybe_write(self, spider: Spider, source_id: str) -> None:
        result = spider.results.get(source_id)
        if result is None or source_id in self.written or not self._complete(result, source_id):
            return
        if result.get("network"):
            return  # judged with the whole cycle at close: it may be an outage
        self._write(spider, source_id, result)
        self._flush_counts(spider)

    def _write(self, spider: Spider, source_id: str, result: dict[str, Any]) -> None:
        db = archive_for(self.crawler)
        result["new_entries"] = self.new_by_source[source_id]
        archive.record_poll(db, self.run_id, source_id, result)
        self.written.add(source_id)
        _log_poll(source_id, result, archive.source_state(db, source_id))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for source_id, result in spider.results.items():
            source = spider.sources.get(source_id)
            result["host"] = urlsplit(getattr(source, "url", "") or "").hostname
        run = self.runs.setdefault(self.run_id, _Run(crawlers=1))
        run.closed.append((self, spider, reason))
        if len(run.closed) < run.crawlers:
            return
        del self.runs[self.run_id]
        every = [r for _, s, _ in run.closed for r in s.results.values() if _finished(r)]
        outage = is_outage(every)
        if outage:
            log.warning("event=outage run=%s sources=%s", self.run_id, len(every))
        for stats, closed_spider, closed_reason in run.closed:
            stats.close(closed_spider, closed_reason, outage)

    def close(self, spider: Spider, reason: str, outage: bool) -> None:
        """Write what is left: network failures, and polls cut off by the cycle's end."""
        for source_id, result in spider.results.items():
            if source_id in self.written:
                continue
            if not self._complete(result, source_id):
                if reason == "shutdown":  # stopped: old validators stay, the source stays due
                    log.info("event=poll_interrupted source=%s", source_id)
                    continue
                health.withhold_validators(result)  # entries not all archived: re-read next time
                if not _finished(result):  # never sent: the cycle ended first; nobody's fault
                    result.update(
                        error=f"{NOT_REACHED} ({reason})",
                        error_kind="not_reached",
                        duration_ms=None,
                    )
                    log.info("event=poll_not_reached source=%s", source_id)
            if outage and result.get("network"):
                result["error_kind"] = "outage"
            self._write(spider, source_id, result)
        self._flush_counts(spider)

    def _flush_counts(self, spider: Spider) -> None:
        """Add what changed since the last flush to the run's counters (kept if stopped later)."""
        stats = self.crawler.stats
        now: Counter[str] = Counter({k: int(stats.get_value(f"monitor/{k}", 0)) for k in COUNTERS})
        written = [r for s in self.written if not _not_reached(r := spider.results[s])]
        now.update(
            sources_polled=len(written),
            sources_failed=sum(bool(r.get("error")) for r in written),
            entries_seen=sum(int(r.get("entries", 0)) for r in written),
        )
        delta = {k: v - self.flushed[k] for k, v in now.items() if v != self.flushed[k]}
        if delta:
            archive.add_run_counts(archive_for(self.crawler), self.run_id, delta)
            self.flushed = now


def _log_poll(source_id: str, result: dict[str, Any], state: dict[str, Any]) -> None:
    """One line per poll: what the server said, what we kept, and when we look next."""
    extra = ""
    if result.get("error"):
        extra += f" kind={result.get('error_kind')} error={result['error']!r}"
    for key in ("retry_after", "max_age", "ttl_seconds", "skipped"):
        if result.get(key):
            extra += f" {key}={result[key]}"
    log.info(
        "event=poll source=%s http=%s entries=%s new=%s ms=%s health=%s score=%s next=%s%s",
        source_id,
        result.get("http_status"),
        result.get("entries", 0),
        result.get("new_entries", 0),
        result.get("duration_ms"),
        state.get("status"),
        state.get("error_score"),
        state.get("next_poll_at"),
        extra,
    )
