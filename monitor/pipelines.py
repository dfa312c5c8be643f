"""Thin item pipelines, one domain call each; the order lives in settings.ITEM_PIPELINES."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, IgnoreRequest
from sqlite_utils import Database

from monitor import archive, dedupe, figures, offload, reading, relevance
from monitor.archive import store
from monitor.budget import EXTRACT_SECONDS, time_limit
from monitor.fetchgate import FetchGate, NotReached
from monitor.items import Article
from monitor.poll import Poll

log = logging.getLogger("monitor")
T = TypeVar("T")


def archive_for(crawler: Crawler) -> Database:
    """The run's archive connection, shared by every component of this crawler."""
    db = getattr(crawler, "monitor_db", None)
    if db is None:
        db = archive.open_archive(crawler.settings.get("MONITOR_DB", "archive.db"))
        crawler.monitor_db = db  # type: ignore[attr-defined]
    return db


def read_feed_again(crawler: Crawler, source_id: str) -> None:
    """Keep the source's old validators, so the next cycle re-reads its feed and retries what
    this one could not finish (entries already archived are skipped, so nothing doubles)."""
    poll = polls_of(crawler).get(source_id)
    if poll is not None:
        poll.withhold_validators()


def polls_of(crawler: Crawler) -> dict[str, Poll]:
    """The polls the crawler's spider holds, by source id (none for a spider that polls not)."""
    polls: dict[str, Poll] = getattr(crawler.spider, "polls", {})
    return polls


# An article page that answers like this is retried next cycle instead of archived half-read.
RETRY_LATER = frozenset({408, 425, 429, 500, 502, 503, 504, 522, 524})


class CanonicalisePipeline:
    """One URL per article however a feed decorated it (tracking parameters, fragments)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CanonicalisePipeline:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        try:
            item.entry.url = dedupe.canonical_url(item.entry.original_url)
        except ValueError as exc:  # a link that does not parse: skip it, keep the rest of the feed
            self.crawler.stats.inc_value("monitor/entries_skipped")
            poll = polls_of(self.crawler).get(item.entry.source_id)
            if poll is not None:  # shown on the source's `event=poll` line
                poll.skipped += 1
            log.warning(
                "event=entry_skipped source=%s url=%r why=%r",
                item.entry.source_id,
                item.entry.original_url[:200],
                str(exc)[:100],
            )
            raise DropItem(f"link does not parse: {exc}") from None
        return item


class SkipArchivedPipeline:
    """Drop entries already archived (or seen earlier in this run) before any page is fetched,
    unless their own source corrected them or a pageless copy can be upgraded (archive.revisit)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipArchivedPipeline:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        e = item.entry
        keys = {e.url, f"{e.source_id}\0{e.guid}"} if e.guid else {e.url}
        if keys & self.seen or archive.revisit(archive_for(self.crawler), e) is None:
            raise DropItem(f"already archived: {e.url}")
        self.seen |= keys
        return item


class FetchPipeline:
    """Fetch the article page only when the entry could be about county lines, through the
    cycle's gate (per-host and total limits, the deadline: see monitor/fetchgate.py)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        s = crawler.settings
        self.gate = FetchGate.for_cycle(
            s.getfloat("CLOSESPIDER_TIMEOUT"),
            s.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
            s.getint("CONCURRENT_REQUESTS"),
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchPipeline:
        return cls(crawler)

    async def process_item(self, item: Article) -> Article:
        e = item.entry
        if not e.fetch or not relevance.is_candidate(e.title, e.summary):
            return item
        request = scrapy.Request(
            e.original_url, dont_filter=True, meta={"handle_httpstatus_list": list(range(400, 600))}
        )
        try:
            response = await self.gate.fetch(
                e.original_url, lambda: self.crawler.engine.download_async(request)
            )
        except NotReached:
            self.crawler.stats.inc_value("monitor/article_fetch_not_reached")
            return self._later(item, "not reached before the cycle's deadline")
        except IgnoreRequest:  # robots.txt or the SSRF guard: archived from its feed fields
            self.crawler.stats.inc_value("monitor/article_fetch_refused")
            return item
        except Exception as exc:  # network trouble: try the whole entry again next cycle
            return self._later(item, type(exc).__name__)
        if response.status in RETRY_LATER:
            return self._later(item, f"HTTP {response.status}")
        item.http_status = response.status
        item.fetched_at = archive.now_iso()
        self.crawler.stats.inc_value("monitor/articles_fetched")
        if response.status == 200 and isinstance(response, scrapy.http.TextResponse):
            item.raw = response.body
        return item

    def _later(self, item: Article, why: str) -> Article:
        self.crawler.stats.inc_value("monitor/article_fetch_failed")
        read_feed_again(self.crawler, item.entry.source_id)
        log.info(
            "event=article_retry_later source=%s url=%s why=%s",
            item.entry.source_id,
            item.entry.url,
            why,
        )
        raise DropItem(f"article page failed ({why}); retried next cycle")


class TextPipeline:
    """Main text from the fetched page (the feed's summary when there is none); the costly
    extractor runs only on pages whose rough text already reads as county lines, in a worker
    process when the cycle has one (monitor/reading.py, monitor/offload.py)."""

    def __init__(self, crawler: Crawler) -> None:
        self.offload = offload.for_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TextPipeline:
        return cls(crawler)

    async def process_item(self, item: Article) -> Article:
        e = item.entry
        if not item.raw:
            item.body = e.summary
        elif not relevance.may_mention(item.raw) and not relevance.matched_terms(
            f"{e.title}\n{e.summary}"
        ):
            item.body = e.summary  # no lexicon anchor anywhere: irrelevant, never parsed
        else:
            try:
                page = await self.offload.run(
                    WORKER_DEADLINE, reading.page_body, item.raw, e.title, e.url
                )
            except (TimeoutError, offload.WorkerLost) as exc:  # judged on its feed fields
                over_budget(item, exc)
                item.body = e.summary
            else:
                item.body = page.body
                if page.over_budget:  # the rough text is kept: the page is still archived
                    over_budget(item, page.over_budget)
        item.raw = b""
        return item


# How long a worker may hold one page's text or figures: their SIGALRM budget, and then some.
WORKER_DEADLINE = 3 * EXTRACT_SECONDS


async def in_budget(pool: offload.Offload, what: str, fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) under one article's budget (EXTRACT_SECONDS), in the worker when there is one."""
    return await pool.run(WORKER_DEADLINE, offload.limited, EXTRACT_SECONDS, what, fn, *args)


def over_budget(item: Article, why: Exception | str) -> None:
    """One line for a page whose extraction hit its budget (monitor/budget.py) or whose worker
    process was lost (monitor/offload.py)."""
    log.warning(
        "event=extract_over_budget source=%s url=%s why=%r",
        item.entry.source_id,
        item.entry.url,
        str(why),
    )


class RelevancePipeline:
    """Decide on headline plus text, and keep the terms that decided it."""

    def process_item(self, item: Article) -> Article:
        try:
            with time_limit(EXTRACT_SECONDS, "relevance"):
                item.relevant, item.matched_terms = relevance.assess(item.entry.title, item.body)
        except TimeoutError as exc:  # judged on the headline and the feed's summary instead
            over_budget(item, exc)
            item.relevant, item.matched_terms = relevance.assess(
                item.entry.title, item.entry.summary
            )
        return item


class FiguresPipeline:
    """Headline figures of relevant articles, each with its evidence sentence, the force it is
    about, the period it reports and its operation (monitor.attribution)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.offload = offload.for_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FiguresPipeline:
        return cls(crawler)

    async def process_item(self, item: Article) -> Article:
        e = item.entry
        if item.relevant and e.fetch:  # a bare aggregator headline is not a source
            from monitor import attribution  # its rules load with the first relevant page

            source = getattr(self.crawler.spider, "sources", {}).get(e.source_id)
            context = attribution.ArticleContext.of(
                e.title,
                item.body,
                e.published or item.fetched_at,
                getattr(source, "kind", None),
                getattr(source, "force", None),
            )
            try:
                item.figures = await in_budget(
                    self.offload, "figures", attribution.extract, context
                )
            except (TimeoutError, offload.WorkerLost) as exc:  # none; `monitor reextract` later
                over_budget(item, exc)
                item.figures = []
        return item


class StoryFactsPipeline:
    """What story placement compares, read off a relevant article's archived text beside the
    crawl (dedupe.text_facts: numbers, names, places, MinHash), so the archive step does not
    compute it on the reactor's thread. Without it (a lost worker) placement reads it itself."""

    def __init__(self, crawler: Crawler) -> None:
        self.offload = offload.for_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoryFactsPipeline:
        return cls(crawler)

    async def process_item(self, item: Article) -> Article:
        if item.relevant:
            e = item.entry
            try:
                urls = (e.url, e.original_url)
                body = item.stored_body() or ""
                item.story_facts = await in_budget(
                    self.offload, "story facts", dedupe.text_facts, e.title, body, urls
                )
            except (TimeoutError, offload.WorkerLost):
                item.story_facts = None
        return item


class FingerprintPipeline:
    """The content hash that exact-duplicate story matching uses."""

    def process_item(self, item: Article) -> Article:
        if item.body:
            item.content_hash = dedupe.content_hash(item.body)
        return item


class ArchivePipeline:
    """Append the article, its figures and its story link in one transaction.

    Irrelevant articles (most of a cycle's entries) are written in batches, one transaction for
    all those reaching this step within FLUSH_AFTER seconds of the first: one commit each was
    most of their cost, and entries reach this step a few at a time (each after its own page
    fetch and text; in the same turn of the event loop, ~3 at once). Each item still leaves
    this step only once its row is committed, so a poll is never recorded ahead of its
    articles."""

    BATCH = 500  # rows per transaction at most; a feed rarely has more than 100 entries
    FLUSH_AFTER = 0.05  # seconds an irrelevant row may wait for others to share its commit

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pending: list[tuple[Article, asyncio.Future[None]]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    async def process_item(self, item: Article) -> Article:
        if item.relevant:
            return self._save(item)
        done = asyncio.get_running_loop().create_future()
        self.pending.append((item, done))
        if len(self.pending) == 1:
            asyncio.get_running_loop().call_later(self.FLUSH_AFTER, self._flush)
        elif len(self.pending) >= self.BATCH:
            self._flush()
        await done
        return item

    def _flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        run_id: Any = self.crawler.settings.get("MONITOR_RUN_ID")
        try:
            later = store.save_irrelevant(archive_for(self.crawler), [a for a, _ in batch], run_id)
        except BaseException as exc:  # noqa: BLE001 (every waiting item must hear of it)
            for item, done in batch:
                if isinstance(exc, sqlite3.Error):
                    self._failed(item, exc)
                    done.set_exception(DropItem(f"not archived: {exc}"))
                else:
                    done.set_exception(exc)
            return
        retry = {id(a) for a in later}
        for item, done in batch:
            try:
                if id(item) in retry:  # already archived: save_article keeps it as a version
                    self._save(item)
                else:
                    self._count({"articles_new": 1, "stories_new": 0, "figures_new": 0})
            except BaseException as exc:  # noqa: BLE001
                done.set_exception(exc)
            else:
                done.set_result(None)

    def _save(self, item: Article) -> Article:
        run_id: Any = self.crawler.settings.get("MONITOR_RUN_ID")
        try:
            counts = archive.save_article(
                archive_for(self.crawler), item, run_id, figures.EXTRACTOR_VERSION
            )
        except sqlite3.Error as exc:  # disk full, read-only file: nothing half-written
            self._failed(item, exc)
            raise DropItem(f"not archived: {exc}") from None
        self._count(counts)
        if counts.get("articles_revised"):
            log.info("event=article_revised source=%s url=%s", item.entry.source_id, item.entry.url)
        return item

    def _count(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            self.crawler.stats.inc_value(f"monitor/{key}", value)

    def _failed(self, item: Article, exc: sqlite3.Error) -> None:
        """Keep the source's old validators (so the next run re-reads it) and stop the crawl."""
        from scrapy.utils.defer import deferred_from_coro

        read_feed_again(self.crawler, item.entry.source_id)
        if getattr(self.crawler, "monitor_archive_error", None) is None:
            self.crawler.monitor_archive_error = str(exc)  # type: ignore[attr-defined]
            log.error("event=archive_error error=%r", str(exc))
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_error"))
