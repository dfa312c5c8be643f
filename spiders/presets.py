"""Selector presets shared by every site on one platform (the City Scrapers mixin, as config)."""

from __future__ import annotations

import re
from collections.abc import Callable

from scrapy.http import Response

from monitor import text

_SOH_ARTICLE = re.compile(r"/news/[^/]+/(?:[^/]+/)?news/\d{4}/")
_PUBLISHED = re.compile(r"Published:\s*(\d{1,2}:\d{2}\s+\d{1,2}/\d{1,2}/\d{4})")


def soh_listing(response: Response) -> list[dict[str, str | None]]:
    """Single Online Home listings: no stable classes, so key on article hrefs and the
    'Published: HH:MM DD/MM/YYYY' line in the enclosing block; the teaser is its first <p>."""
    rows = []
    for anchor in response.xpath("//a[@href]"):
        href = anchor.attrib["href"]
        if not _SOH_ARTICLE.search(href):
            continue
        title = text.plain(" ".join(anchor.css("*::text").getall()))
        block = anchor.xpath("ancestor::*[self::li or self::article or self::div][1]")
        block_text = " ".join(block.css("*::text").getall()) if block else ""
        date = _PUBLISHED.search(block_text)
        summary = (
            next(
                (
                    text.plain(" ".join(p.css("*::text").getall()))
                    for p in block.css("p")
                    if "Published:" not in "".join(p.css("*::text").getall())
                ),
                None,
            )
            if block
            else None
        )
        rows.append(
            {
                "link": href,
                "title": title or None,
                "date": date.group(1) if date else None,
                "summary": summary,
            }
        )
    return rows


PRESETS: dict[str, Callable[[Response], list[dict[str, str | None]]]] = {
    "soh-listing": soh_listing,
}
