"""History spider: reads each source's past, page after page, for `monitor backfill`.

Pages are asked for one at a time per source, from the cursor's page: a listing or search page
(`soh-search`, `listing-pages`, `wordpress`: HTML read exactly as the live listing spider reads
it), a feed page (`wordpress` /feed/?paged=N, `govuk-search` Atom), the GOV.UK search API's JSON,
or, for `sitemap`, an index whose child sitemaps are the pages (a child last modified before
--since is not fetched). What to keep, when to stop and what the cursor says is the walk's
business (monitor/backfill.py); this spider only turns bodies into Articles.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from monitor import dates
from monitor.backfill.components import Backfill
from monitor.backfill.walk import Walk
from monitor.config import Source
from monitor.items import Article
from spiders import presets
from spiders.feed import FeedSpider
from spiders.listing import ListingSpider

ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # <time datetime>: dateutil's day-first reading would swap it


class HistorySpider(ListingSpider):
    """Walks the given sources' histories (see monitor.backfill.Walk for the rules)."""

    name = "history"

    def __init__(self, backfill: Backfill, **kwargs: Any) -> None:
        super().__init__(sources=[w.source for w in backfill.walks.values()], **kwargs)
        self.backfill = backfill
        self.origin: dict[int, tuple[str, int]] = {}  # id(item) -> (source, page)
        self.children: dict[str, list[tuple[str, str | None]]] = {}  # sitemap index, per source
        # per source: the page whose items are still in the pipeline, and what to ask for next
        self.next_pages: dict[str, tuple[int, Callable[[], Iterable[scrapy.Request]]]] = {}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for walk in self.backfill.walks.values():
            if walk.cursor.preset == "sitemap":  # the index is read again: it names the pages
                yield self.page_request(walk, 0, self.start_url(walk))
            else:
                yield self.page_request(walk, walk.cursor.next_page)

    @staticmethod
    def start_url(walk: Walk) -> str:
        assert walk.source.history is not None
        return walk.source.history.url or walk.source.url

    def page_request(self, walk: Walk, page: int, url: str | None = None) -> scrapy.Request:
        history = walk.source.history
        assert history is not None
        return scrapy.Request(
            url or presets.history_page_url(history, walk.source.url, page),
            callback=self.parse_page,
            errback=self.page_failed,
            dont_filter=True,  # a loop is the walk's to notice, not the dupefilter's to hide
            meta={"source_id": walk.id, "page": page, "handle_httpstatus_list": [404, 410]},
        )

    def parse_page(self, response: Response) -> Iterable[Any]:
        walk = self.backfill.walks[response.meta["source_id"]]
        page = response.meta["page"]
        if response.status in (404, 410) and page > 1:
            walk.end(page - 1, f"page {page} answered {response.status}")
            self.backfill.progress.update(walk)
            return
        try:
            if response.status >= 400:
                raise ValueError(f"HTTP {response.status}")
            if walk.cursor.preset == "sitemap":
                yield from self.sitemap(walk, page, response)
                return
            articles = list(self.read_page(walk.source, response))
        except Exception as exc:  # hostile or broken body: this page failed, resumed later
            walk.fail(page, f"{type(exc).__name__}: {exc}")
            self.backfill.progress.update(walk)
            return
        yield from self.keep(walk, page, articles)
        yield from self.then(walk, page, lambda: [self.page_request(walk, page + 1)])

    def keep(
        self, walk: Walk, page: int, articles: list[Article], ordered: bool = True
    ) -> Iterable[Article]:
        """Hand the page's items in the window to the pipeline, each tagged with its page."""
        kept = walk.take_page(page, articles, ordered)
        for article in kept:
            self.origin[id(article)] = (walk.id, page)
        if not kept:
            self.backfill.progress.update(walk)
        yield from kept

    def then(
        self, walk: Walk, page: int, more: Callable[[], Iterable[scrapy.Request]]
    ) -> Iterable[scrapy.Request]:
        """Ask for what follows `page` once every item of it is through the pipeline, never
        before: a walk reading ahead of its pipeline would, on Ctrl-C, finish every page it had
        read (Scrapy's graceful stop completes the responses it holds), and hold them in memory."""
        if walk.stopping:
            return
        if walk.pending.get(page, 0) == 0:  # nothing of it kept, or all of it through already
            yield from more()
        else:
            self.next_pages[walk.id] = (page, more)

    def page_done(self, walk: Walk, page: int) -> None:
        """Called after each item of `page` is through (BackfillStats): the last one asks for
        the next page, unless the walk is stopping or the crawl is (Ctrl-C, SIGTERM)."""
        waiting = self.next_pages.get(walk.id)
        if waiting is None or waiting[0] != page or walk.pending.get(page, 0) > 0:
            return
        del self.next_pages[walk.id]
        engine = self.crawler.engine
        if walk.stopping or not engine.running:
            return
        for request in waiting[1]():
            engine.crawl(request)

    def read_page(self, source: Source, response: Response) -> Iterable[Article]:
        """One page of a paged history as the live spiders would read it."""
        history = source.history
        assert history is not None
        body = response.body.lstrip()[:200].lower()
        if presets.is_search_api(response.url):
            yield from self.rows(source, response, presets.govuk_search_rows(response))
        elif body.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")):
            yield from FeedSpider.read(self, source, response)  # type: ignore[arg-type]
        else:
            yield from ListingSpider.read(self, self.listing_source(source), response)

    @staticmethod
    def listing_source(source: Source) -> Source:
        """The source as the listing spider should read its history pages."""
        history = source.history
        assert history is not None
        if history.selectors:
            return source.model_copy(update={"selectors": history.selectors, "preset": None})
        if history.preset == "soh-search" or source.preset == "soh-listing":
            return source.model_copy(update={"preset": "soh-listing"})
        if source.selectors:
            return source
        if history.preset == "wordpress":
            update = {"selectors": presets.WORDPRESS_SELECTORS, "date_format": ISO_FORMAT}
            return source.model_copy(update=update)
        return source.model_copy(update={"selectors": presets.NPCC_SELECTORS})

    def rows(
        self, source: Source, response: Response, rows: list[dict[str, str | None]]
    ) -> Iterable[Article]:
        """Articles from rows whose dates are ISO 8601 (sitemaps, the search API)."""
        for row in rows:
            if not row.get("link"):
                continue
            url = response.urljoin(row["link"] or "")
            title = row.get("title") or _title_from_slug(url)
            published = _iso(row.get("date"))
            yield self.article(
                source, url, title, summary=row.get("summary") or "", published=published
            )

    def sitemap(self, walk: Walk, page: int, response: Response) -> Iterable[Any]:
        """Page 0 is the start URL (an index: its children are pages 1..N; a urlset: page 1)."""
        read = presets.read_sitemap(response.body)
        if page == 0 and read.children:
            self.children[walk.id] = read.children
            yield from self.next_child(walk, 0)
            return
        articles = list(self.rows(walk.source, response, read.rows))
        yield from self.keep(walk, max(page, 1), articles, ordered=False)
        if page == 0:
            walk.end(1, "a single sitemap")
        else:
            yield from self.then(walk, page, lambda: self.next_child(walk, page))

    def next_child(self, walk: Walk, after: int) -> Iterable[scrapy.Request]:
        """The next child sitemap worth reading; older ones count as read without a request."""
        children = self.children[walk.id]
        page = max(after + 1, walk.cursor.next_page)
        while page <= len(children):
            url, lastmod = children[page - 1]
            day = dates.uk_date(_iso(lastmod))
            if (
                url in walk.seen
                or url == self.start_url(walk)
                or (day is not None and day < walk.cursor.since)
            ):  # a child naming the index or a sibling again (a loop), or older than --since
                walk.skip(page)
            else:
                walk.seen.add(url)
                yield self.page_request(walk, page, url)
                return
            page += 1
        walk.end(len(children), f"all {len(children)} child sitemaps read")
        self.backfill.progress.update(walk)

    def page_failed(self, failure: Failure) -> None:
        """No answer for a page (after Scrapy's retry): the walk stops before it."""
        meta = failure.request.meta  # type: ignore[attr-defined]
        walk = self.backfill.walks[meta["source_id"]]
        walk.fail(meta["page"], f"{failure.value.__class__.__name__}: {failure.getErrorMessage()}")
        self.backfill.progress.update(walk)


def _iso(value: str | None) -> str | None:
    """An ISO 8601 date or time (a bare date is a London day) in UTC; other shapes as listings."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return dates.parse_local(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dates.LONDON)
    return dates.utc_iso(when)


def _title_from_slug(url: str) -> str:
    """A plain sitemap names no title: the URL's last segment stands in until a page says more."""
    slug = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    return slug.replace("-", " ").replace("_", " ").strip().capitalize() or url
