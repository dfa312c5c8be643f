"""Feed bytes -> entries: feedparser on io.BytesIO (a str may be opened as a path), time-limited."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from monitor import dates, dedupe, text
from monitor.budget import time_limit

PARSE_SECONDS = 10
# Channel-level hints on how often a feed changes: RSS 2.0 <ttl> (minutes) and the RSS 1.0
# syndication module's updatePeriod / updateFrequency (any namespace prefix).
_TTL = re.compile(rb"<ttl>\s*(\d{1,7})\s*</ttl>", re.I)
_PERIOD = re.compile(rb"<(?:[\w-]+:)?updatePeriod>\s*(\w+)\s*</(?:[\w-]+:)?updatePeriod>", re.I)
_FREQUENCY = re.compile(rb"<(?:[\w-]+:)?updateFrequency>\s*(\d{1,4})\s*<", re.I)
_FIRST_ITEM = re.compile(rb"<(?:[\w-]+:)?(?:item|entry)[\s>]", re.I)
_PERIOD_SECONDS = {
    b"hourly": 3600,
    b"daily": 86400,
    b"weekly": 7 * 86400,
    b"monthly": 30 * 86400,
    b"yearly": 365 * 86400,
}


class NotAFeed(Exception):
    """The body is not RSS, Atom or RDF (a challenge page served as 200, an error page...)."""


@dataclass
class FeedItem:
    """The fields we keep from one feed entry, already plain text."""

    url: str
    title: str
    guid: str | None
    summary: str
    published: str | None
    publisher: str | None


def parse(body: bytes, base_url: str) -> list[FeedItem]:
    """Entries of an RSS/Atom/RDF document; raises NotAFeed for anything else."""
    import feedparser  # lazy: unchanged re-polls never parse

    if not body.strip():
        raise NotAFeed("empty body")
    with time_limit(PARSE_SECONDS, "feed"):
        parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": base_url})
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS, Atom or RDF root element"
        raise NotAFeed(f"not a feed: {str(reason)[:120]}")
    return [item for entry in parsed.entries if (item := _item(entry, base_url))]


def declared_ttl(body: bytes) -> int | None:
    """Seconds the feed says it stays fresh (<ttl>, or sy:updatePeriod / updateFrequency), if any.

    Read from the channel header only (before the first item), with plain byte patterns: no
    parse, no entities, so it is safe on any body and costs microseconds."""
    first = _FIRST_ITEM.search(body)
    head = body[: first.start()] if first else body[:65536]
    if match := _TTL.search(head):
        return int(match.group(1)) * 60
    if match := _PERIOD.search(head):
        period = _PERIOD_SECONDS.get(match.group(1).lower())
        if period is None:
            return None
        frequency = _FREQUENCY.search(head)
        return period // max(1, int(frequency.group(1)) if frequency else 1)
    return None


def _link(entry: Any, base_url: str) -> str | None:
    """The entry's article link, resolved and http(s) only (xml:base may point anywhere)."""
    href = entry.get("link")
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            href = link["href"]
            break
    if not href:
        guid = entry.get("id", "")
        href = guid if guid.startswith(("http://", "https://")) else None
    if not href:
        return None
    try:
        url = urljoin(base_url, href.strip())
        scheme = urlsplit(url).scheme
    except ValueError:  # "http://[::1": no link, so no entry (the pipeline skips bad ports)
        return None
    return url if scheme in ("http", "https") else None


def _dated(entry: Any) -> tuple[str | None, Any]:
    """The entry's date as written and as feedparser read it (published, else updated)."""
    if entry.get("published_parsed"):
        return entry.get("published"), entry["published_parsed"]
    return entry.get("updated"), entry.get("updated_parsed")


def _item(entry: Any, base_url: str) -> FeedItem | None:
    url = _link(entry, base_url)
    title = text.plain(entry.get("title"))
    if not url or not title:
        return None
    source = entry.get("source") or {}
    publisher = text.plain(source.get("title")) or None
    if publisher:
        stripped, suffix = dedupe.split_publisher(title)
        if suffix and suffix.lower() == publisher.lower():
            title = stripped
    return FeedItem(
        url=url,
        title=title,
        guid=(entry.get("id") or None),
        summary=text.plain(entry.get("summary")),
        published=dates.from_feed(*_dated(entry)),
        publisher=publisher,
    )
