"""Feed spider: RSS 2.0, Atom and RDF sources, parsed by feedparser from the response bytes."""

from __future__ import annotations

from collections.abc import Iterable

from scrapy.http import Response

from monitor import feeds
from monitor.config import Source
from monitor.items import Article
from spiders.base import MonitorSpider


class FeedSpider(MonitorSpider):
    """Any feed: items with link, title, guid/id, summary and pubDate, published or updated."""

    name = "feed"
    source_type = "feed"

    def read(self, source: Source, response: Response) -> Iterable[Article]:
        for item in feeds.parse(response.body, response.url):
            yield self.article(
                source,
                item.url,
                item.title,
                guid=item.guid,
                summary=item.summary,
                published=item.published,
                publisher=item.publisher,
            )
