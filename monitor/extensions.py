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

from monitor import archive
from monitor.items import Article
from monitor.pipelines import archive_for, polls_of, read_feed_again
from monitor.poll import Poll, PollTracker, poll_finished

log = logging.getLogger("monitor")
COUNTERS = ("articles_fetched", "articles_new", "stories_new", "figures_new")


@dataclass
class _Run:
    """The crawlers of one run (one per source kind) that have not all closed yet."""

    crawlers: int = 0
    closed: list[tuple[RunStats, Spider, str]] = field(default_factory=list)


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

    @property
    def polls(self) -> dict[str, Poll]:
        return polls_of(self.crawler)

    def item_scraped(self, item: Article, spider: Spider) -> None:
        self.new_by_source[item.entry.source_id] += 1
        self.item_done(item, spider)

    def item_done(self, item: Article, spider: Spider, **kwargs: Any) -> None:
        self.done_by_source[item.entry.source_id] += 1
        self._maybe_write(item.entry.source_id)

    def item_failed(self, item: Article, spider: Spider, **kwargs: Any) -> None:
        """A pipeline bug lost this entry: keep the feed unread so the next cycle retries it."""
        read_feed_again(self.crawler, item.entry.source_id)
        self.item_done(item, spider)

    def poll_finished(self, spider: Spider, source_id: str) -> None:
        self._maybe_write(source_id)

    def _complete(self, poll: Poll, source_id: str) -> bool:
        return poll.complete(self.done_by_source[source_id])

    def _maybe_write(self, source_id: str) -> None:
        poll = self.polls.get(source_id)
        if poll is None or source_id in self.written or not self._complete(poll, source_id):
            return
        if poll.network:
            return  # judged with the whole cycle at close: it may be an outage
        self._write(source_id, poll)
        self._flush_counts()

    def _write(self, source_id: str, poll: Poll) -> None:
        db = archive_for(self.crawler)
        poll.new_entries = self.new_by_source[source_id]
        archive.record_poll(db, self.run_id, source_id, poll)
        self.written.add(source_id)
        _log_poll(source_id, poll, archive.source_state(db, source_id))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for source_id, poll in self.polls.items():
            source = getattr(spider, "sources", {}).get(source_id)
            poll.host = urlsplit(getattr(source, "url", "") or "").hostname
        run = self.runs.setdefault(self.run_id, _Run(crawlers=1))
        run.closed.append((self, spider, reason))
        if len(run.closed) < run.crawlers:
            return
        del self.runs[self.run_id]
        tracker = PollTracker()
        for stats, _, _ in run.closed:
            for source_id, poll in stats.polls.items():
                tracker.add(f"{id(stats)}:{source_id}", poll)
        if outage := tracker.close():
            every = sum(p.finished for p in tracker.polls.values())
            log.warning("event=outage run=%s sources=%s", self.run_id, every)
        for stats, _, closed_reason in run.closed:
            stats.close(closed_reason, outage)

    def close(self, reason: str, outage: bool) -> None:
        """Write what is left: network failures, and polls cut off by the cycle's end."""
        for source_id, poll in self.polls.items():
            if source_id in self.written:
                continue
            if not self._complete(poll, source_id):
                if reason == "shutdown":  # stopped: old validators stay, the source stays due
                    log.info("event=poll_interrupted source=%s", source_id)
                    continue
                poll.withhold_validators()  # entries not all archived: re-read next time
                if not poll.finished:  # never sent: the cycle ended first; nobody's fault
                    poll.not_reached(reason)
                    log.info("event=poll_not_reached source=%s", source_id)
            self._write(source_id, poll)
        self._flush_counts()

    def _flush_counts(self) -> None:
        """Add what changed since the last flush to the run's counters (kept if stopped later)."""
        stats = self.crawler.stats
        assert stats is not None
        now: Counter[str] = Counter({k: int(stats.get_value(f"monitor/{k}", 0)) for k in COUNTERS})
        written = [p for s in self.written if not (p := self.polls[s]).unreached]
        now.update(
            sources_polled=len(written),
            sources_failed=sum(bool(p.error) for p in written),
            entries_seen=sum(p.entries for p in written),
        )
        delta = {k: v - self.flushed[k] for k, v in now.items() if v != self.flushed[k]}
        if delta:
            archive.add_run_counts(archive_for(self.crawler), self.run_id, delta)
            self.flushed = now


def _log_poll(source_id: str, poll: Poll, state: dict[str, Any]) -> None:
    """One line per poll: what the server said, what we kept, and when we look next."""
    extra = ""
    if poll.error:
        extra += f" kind={poll.error_kind} error={poll.error!r}"
    for key in ("retry_after", "max_age", "ttl_seconds", "skipped"):
        if value := getattr(poll, key):
            extra += f" {key}={value}"
    log.info(
        "event=poll source=%s http=%s entries=%s new=%s ms=%s health=%s score=%s next=%s%s",
        source_id,
        poll.http_status,
        poll.entries,
        poll.new_entries,
        poll.duration_ms,
        state.get("status"),
        state.get("error_score"),
        state.get("next_poll_at"),
        extra,
    )
