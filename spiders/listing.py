"""Listing spider: HTML news pages with no feed, read with CSS selectors or a named preset."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from parsel import Selector
from scrapy.http import Response

from monitor import dates, text
from monitor.config import Selectors, Source
from monitor.items import Article
from spiders.base import MonitorSpider
from spiders.presets import PRESETS


class ListingSpider(MonitorSpider):
    """A news listing: repeated blocks, each with a link, a title, perhaps a date and a teaser."""

    name = "listing"
    source_type = "html"

    def read(self, source: Source, response: Response) -> Iterable[Article]:
        if source.preset:
            rows = PRESETS[source.preset](response)
        else:
            assert source.selectors is not None  # config validation guarantees one or the other
            rows = select(response, source.selectors)
        seen: set[str] = set()
        for row in rows:
            try:
                url = response.urljoin(row["link"] or "")
            except ValueError:  # "http://[::1" and the like: one skipped row, not a failed poll
                self.logger.warning("event=entry_skipped source=%s url=%r", source.id, row["link"])
                continue
            title = row.get("title")
            if url in seen or not title:
                continue  # thumbnail anchors repeat the title link with no text
            if urlsplit(url).scheme not in ("http", "https"):
                continue  # javascript:, mailto: and the like are never fetched or archived
            seen.add(url)
            yield self.article(
                source,
                url,
                title,
                summary=row.get("summary") or "",
                published=dates.parse_local(row.get("date"), source.date_format),
            )


def _first(block: Selector, css: str | None) -> str | None:
    """Text of the first match; bare element selectors get their whole text."""
    if not css:
        return None
    if "::" in css:
        value = block.css(css).get()
        return text.plain(value) if value else None
    node = block.css(css)
    return text.plain(" ".join(node[0].css("*::text").getall())) if node else None


def select(response: Response, sel: Selectors) -> list[dict[str, str | None]]:
    """Rows from configured selectors."""
    rows = []
    for block in response.css(sel.item):
        link = (
            block.css(sel.link).get()
            if "::" in sel.link
            else block.css(f"{sel.link}::attr(href)").get()
        )
        if link:
            rows.append(
                {
                    "link": link.strip(),
                    "title": _first(block, sel.title),
                    "date": _first(block, sel.date),
                    "summary": _first(block, sel.summary),
                }
            )
    return rows
