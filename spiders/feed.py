"""Feed spider: RSS 2.0, Atom and RDF sources, parsed by feedparser from the response bytes."""

from __future__ import annotations

from collections.abc import Iterable

from scrapy.http import Response

from monitor import feeds, offload
from monitor.config import Source
from monitor.items import Article
from spiders.base import MonitorSpider


class FeedSpider(MonitorSpider):
    """Any feed: items with link, title, guid/id, summary and pubDate, published or updated."""

    name = "feed"
    source_type = "feed"

    def read(self, source: Source, response: Response) -> Iterable[Article]:
        return articles_of(source, feeds.parse(response.body, response.url))

    async def read_body(self, source: Source, response: Response) -> list[Article]:
        """feedparser in the cycle's worker process when it has one (monitor/offload.py)."""
        items = await offload.for_crawler(getattr(self, "crawler", None)).run(
            PARSE_DEADLINE, feeds.parse, response.body, response.url
        )
        return articles_of(source, items)


def articles_of(source: Source, items: list[feeds.FeedItem]) -> list[Article]:
    """A feed's entries as Articles (a function: the history and distributed spiders read feeds
    with FeedSpider.read on themselves)."""
    return [
        MonitorSpider.article(
            source,
            item.url,
            item.title,
            guid=item.guid,
            summary=item.summary,
            published=item.published,
            publisher=item.publisher,
        )
        for item in items
    ]


# How long a worker may hold one feed: feedparser's own budget, and then some.
PARSE_DEADLINE = 3 * feeds.PARSE_SECONDS
