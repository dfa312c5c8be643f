"""MonitorSpider: what every source kind shares (source lookup, conditional GET, poll results)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from monitor import config as config_mod
from monitor import feeds, safetext
from monitor.config import Source
from monitor.items import Article, Entry
from monitor.poll import Poll, poll_finished

# Statuses that say something about the source itself, not about the network.
HARD_STATUSES = {401, 403, 404, 410, 451}
# Every status reaches our callback except redirects, which RedirectMiddleware must still follow.
KEEP_STATUSES = [304, *range(400, 600)]
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?([0-9]{1,9})\b", re.I)


class MonitorSpider(scrapy.Spider):
    """Polls each given source once; subclasses turn a 200 body into Articles."""

    source_type = ""

    def __init__(
        self,
        sources: list[Source] | str | None = None,
        states: dict[str, dict[str, Any]] | None = None,
        config: str = config_mod.DEFAULT_CONFIG,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if sources is None or isinstance(sources, str):  # `scrapy crawl feed -a sources=a,b`
            cfg = config_mod.load(config)
            names = [n for n in (sources or "").split(",") if n]
            sources = [cfg.source(n) for n in names] or [
                s for s in cfg.sources if s.type == self.source_type and s.enabled
            ]
        self.sources = {s.id: s for s in sources}
        self.states = states or {}
        self.polls: dict[str, Poll] = {}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources.values():
            try:
                request = self.poll_request(source)
            except ValueError as exc:  # a stored URL Scrapy cannot take: this source fails alone
                poll = self.polls.setdefault(source.id, Poll())
                url = self.states.get(source.id, {}).get("url") or source.url
                poll.fail(f"bad URL {url!r}: {exc}", "hard")
                self._poll_finished(source.id)
                continue
            yield request

    def poll_request(self, source: Source) -> scrapy.Request:
        """A conditional GET for the source's listing or feed, keeping every status for us."""
        state = self.states.get(source.id, {})
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        self.polls[source.id] = Poll()
        return scrapy.Request(
            state.get("url") or source.url,
            headers=headers,
            callback=self.parse_poll,
            errback=self.poll_failed,
            dont_filter=True,
            meta={"source_id": source.id, "handle_httpstatus_list": KEEP_STATUSES},
        )

    async def parse_poll(self, response: Response) -> AsyncIterator[Article]:
        """Record the poll's outcome, then let the subclass read a fresh body."""
        source_id = response.meta["source_id"]
        try:
            articles = await self._poll(response)
        except Exception as exc:  # hostile headers or bodies fail this source, never look healthy
            poll = self.polls[source_id]
            poll.fail(f"{type(exc).__name__}: {exc}", "hard")
            poll.withhold_validators()
            articles = []
        for article in articles:
            yield article
        self._poll_finished(source_id)

    async def _poll(self, response: Response) -> list[Article]:
        source = self.sources[response.meta["source_id"]]
        poll = self.polls[source.id]
        poll.http_status, poll.duration_ms = response.status, poll.elapsed_ms()
        if max_age := _max_age(response):
            poll.max_age = max_age
        reasons = response.meta.get("redirect_reasons") or []
        if reasons and all(r in (301, 308) for r in reasons) and response.status < 400:
            poll.permanent_redirect = response.url  # a 304 at the new address counts too
        if response.status == 304:
            return []
        if response.status >= 400:
            self._http_error(poll, response)
            return []
        body_hash = hashlib.sha1(response.body).hexdigest()
        poll.etag = _header(response, b"ETag")
        poll.last_modified = _header(response, b"Last-Modified")
        poll.body_hash = body_hash
        if body_hash == self.states.get(source.id, {}).get("body_hash"):
            return []  # validators lied (or were absent): same bytes as last time
        try:
            articles = await self.read_body(source, response)
        except Exception as exc:  # hostile input: any parser failure is this source's error
            poll.fail(f"{type(exc).__name__}: {exc}", "hard")
            poll.body_hash = None
            return []
        poll.entries = len(articles)
        if source.type == "feed":
            poll.ttl_seconds, poll.ttl_read = feeds.declared_ttl(response.body), True
        return articles

    async def read_body(self, source: Source, response: Response) -> list[Article]:
        """The Articles in a 200 body; a subclass whose reading is costly hands it to a worker
        process here (FeedSpider)."""
        return list(self.read(source, response))

    def read(self, source: Source, response: Response) -> Iterable[Article]:
        """Subclasses: the Articles (entries only, not yet fetched) in a 200 body."""
        raise NotImplementedError

    def poll_failed(self, failure: Failure) -> None:
        """No response: refused by our own rules (robots.txt), or a network failure (DNS,
        refused, reset, timeout), which is transient and may be everyone's (an outage)."""
        source_id = failure.request.meta["source_id"]  # type: ignore[attr-defined]  # Scrapy's
        poll = self.polls[source_id]
        error = f"{getattr(failure.type, '__name__', 'Error')}: {failure.getErrorMessage()}"
        poll.duration_ms = poll.elapsed_ms()
        if failure.check(IgnoreRequest):
            poll.fail(error, "hard", status="blocked")
        elif "certificate verify failed" in error[:300]:  # the source's, not the network's
            poll.fail("TLS: certificate verify failed (a source may say tls_verify: false)", "hard")
        else:
            poll.fail(error, "transient")
            poll.network = True
        self._poll_finished(source_id)

    def _poll_finished(self, source_id: str) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.signals.send_catch_log(poll_finished, spider=self, source_id=source_id)

    def _http_error(self, poll: Poll, response: Response) -> None:
        status = response.status
        poll.fail(f"HTTP {status}", "hard" if status in HARD_STATUSES else "transient")
        if status == 410:
            poll.status = "gone"
        elif status in (401, 403, 451):
            poll.status = "blocked"
        if retry_after := _retry_after(response):
            poll.retry_after = retry_after

    @staticmethod
    def article(source: Source, url: str, title: str, **fields: Any) -> Article:
        """An Article holding only what the listing said (title and summary capped and without
        invisible controls: monitor/safetext.py); the pipeline does the rest."""
        if "summary" in fields:
            fields["summary"] = safetext.summary(fields["summary"])
        entry = Entry(
            source_id=source.id,
            url=url,
            original_url=url,
            title=safetext.title(title),
            publisher=fields.pop("publisher", None) or source.publisher or source.force,
            fetch=source.should_fetch_articles,
            **fields,
        )
        return Article(entry=entry)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _max_age(response: Response) -> int | None:
    """Cache-Control max-age in seconds (no-store/no-cache say nothing about polling)."""
    match = _MAX_AGE.search(_header(response, b"Cache-Control") or "")
    return int(match.group(1)) if match else None


def _retry_after(response: Response) -> int | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    value = (_header(response, b"Retry-After") or "").strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is True; int() of it is not
        return int(value) if len(value) <= 9 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - datetime.now(UTC)).total_seconds())) or None
