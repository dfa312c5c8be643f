"""Selector presets shared by every site on one platform (the City Scrapers mixin, as config)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from monitor import text
from monitor.config import History, Selectors

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


# ------------------------------------------------------------------ history presets (backfill)
# How `monitor backfill` walks a source's past: which URL is page N, and how a page is read.
# HTML listings are read by the live listing spider's own code (spiders/listing.py).

# WordPress themes built on the default markup: <article> blocks, an .entry-title link, a
# <time datetime> and an .entry-summary (twentytwenty* and most child themes).
WORDPRESS_SELECTORS = Selectors(
    item="article",
    link=".entry-title a::attr(href)",
    title=".entry-title",
    date="time::attr(datetime)",
    summary=".entry-summary",
)
# NPCC newsroom cards (research/sources.md 2.8), the default for `listing-pages`.
NPCC_SELECTORS = Selectors(
    item=".card__body",
    link="a.card__link::attr(href)",
    title="a.card__link",
    date="time.card__date",
    summary=".card__summary",
)


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


def history_page_url(history: History, start: str, page: int) -> str:
    """Page N (from 1) of a paged history: "{page}" in the URL, else the preset's own paging:
    ?page=N (SOH search, GOV.UK Atom, NPCC-style), /page/N/ or ?paged=N (WordPress), start=
    (GOV.UK search API, `count` results a page)."""
    url = history.url or start
    if "{page}" in url:
        return url.replace("{page}", str(page))
    if page == 1:
        return url
    if history.preset == "wordpress":
        if "/feed" in urlsplit(url).path:
            return _with_query(url, paged=str(page))
        return url.rstrip("/") + f"/page/{page}/"
    if is_search_api(url):
        count = int(dict(parse_qsl(urlsplit(url).query)).get("count", "20"))
        return _with_query(url, start=str((page - 1) * count))
    return _with_query(url, page=str(page))


def is_search_api(url: str) -> bool:
    """GOV.UK's public search API (JSON) rather than its Atom search pages."""
    return urlsplit(url).path.endswith(".json")


def govuk_search_rows(response: Response) -> list[dict[str, str | None]]:
    """GOV.UK search API JSON: {"results": [{"title", "link", "description",
    "public_timestamp"}]}; links are site-relative."""
    data = json.loads(response.body)
    return [
        {
            "link": r["link"],
            "title": r.get("title"),
            "date": r.get("public_timestamp"),
            "summary": r.get("description"),
        }
        for r in data.get("results", [])
        if isinstance(r, dict) and r.get("link")
    ]


@dataclass
class SitemapPage:
    """A sitemap read: child sitemaps (index) or article URLs (urlset), each with its date."""

    children: list[tuple[str, str | None]] = field(default_factory=list)
    rows: list[dict[str, str | None]] = field(default_factory=list)


_NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


def read_sitemap(body: bytes) -> SitemapPage:
    """An XML sitemap, sitemap index or Google news sitemap (Scrapy's parser, which also guards
    against entity expansion); a news sitemap adds each article's title and publication date."""
    sitemap = Sitemap(body)
    page = SitemapPage()
    if sitemap.type == "sitemapindex":
        page.children = [(d["loc"], d.get("lastmod")) for d in sitemap]
        return page
    news = _news_fields(body)
    for d in sitemap:
        title, published = news.get(d["loc"], (None, None))
        page.rows.append({"link": d["loc"], "title": title, "date": published or d.get("lastmod")})
    return page


def _news_fields(body: bytes) -> dict[str, tuple[str | None, str | None]]:
    """loc -> (news:title, news:publication_date); Scrapy's Sitemap drops nested elements."""
    if _NEWS.encode() not in body:
        return {}
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(body, parser=parser)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "n": _NEWS}
    out = {}
    for url in root.iterfind("s:url", ns):
        loc = url.findtext("s:loc", namespaces=ns)
        if loc:
            out[loc.strip()] = (
                url.findtext("n:news/n:title", namespaces=ns),
                url.findtext("n:news/n:publication_date", namespaces=ns),
            )
    return out
