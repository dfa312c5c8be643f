"""MonitorSpider: what every source kind shares (source lookup, conditional GET, poll results)."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from monitor import config as config_mod
from monitor import feeds, health, safetext
from monitor.config import Source
from monitor.items import Article, Entry

# Statuses that say something about the source itself, not about the network.
HARD_STATUSES = {401, 403, 404, 410, 451}
# Every status reaches our callback except redirects, which RedirectMiddleware must still follow.
KEEP_STATUSES = [304, *range(400, 600)]
# Sent when a source's poll has its outcome (all its entries are yielded): RunStats writes the
# poll once those entries are through the pipeline, so a cycle stopped later keeps it.
poll_finished = object()
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
        self.results: dict[str, dict[str, Any]] = {}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources.values():
            try:
                request = self.poll_request(source)
            except ValueError as exc:  # a stored URL Scrapy cannot take: this source fails alone
                result = self.results.setdefault(source.id, {"entries": 0})
                url = self.states.get(source.id, {}).get("url") or source.url
                result.update(error=f"bad URL {url!r}: {exc}"[:300], error_kind="hard")
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
        self.results[source.id] = {"started": time.monotonic(), "entries": 0}
        return scrapy.Request(
            state.get("url") or source.url,
            headers=headers,
            callback=self.parse_poll,
            errback=self.poll_failed,
            dont_filter=True,
            meta={"source_id": source.id, "handle_httpstatus_list": KEEP_STATUSES},
        )

    def parse_poll(self, response: Response) -> Iterable[Article]:
        """Record the poll's outcome, then let the subclass read a fresh body."""
        source_id = response.meta["source_id"]
        try:
            yield from self._poll(response)
        except Exception as exc:  # hostile headers or bodies fail this source, never look healthy
            result = self.results[source_id]
            result.update(error=f"{type(exc).__name__}: {exc}"[:300], error_kind="hard")
            health.withhold_validators(result)
        self._poll_finished(source_id)

    def _poll(self, response: Response) -> Iterable[Article]:
        source = self.sources[response.meta["source_id"]]
        result = self.results[source.id]
        result.update(http_status=response.status, duration_ms=self._elapsed(result))
        if max_age := _max_age(response):
            result["max_age"] = max_age
        reasons = response.meta.get("redirect_reasons") or []
        if reasons and all(r in (301, 308) for r in reasons) and response.status < 400:
            result["permanent_redirect"] = response.url  # a 304 at the new address counts too
        if response.status == 304:
            return
        if response.status >= 400:
            self._http_error(result, response)
            return
        body_hash = hashlib.sha1(response.body).hexdigest()
        result.update(
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            body_hash=body_hash,
        )
        if body_hash == self.states.get(source.id, {}).get("body_hash"):
            return  # validators lied (or were absent): same bytes as last time
        try:
            articles = list(self.read(source, response))
        except Exception as exc:  # hostile input: any parser failure is this source's error
            result.update(error=f"{type(exc).__name__}: {exc}"[:300], error_kind="hard")
            result.pop("body_hash", None)
            return
        result["entries"] = len(articles)
        if self.source_type == "feed":
            result["ttl_seconds"] = feeds.declared_ttl(response.body)
        yield from articles

    def read(self, source: Source, response: Response) -> Iterable[Article]:
        """Subclasses: the Articles (entries only, not yet fetched) in a 200 body."""
        raise NotImplementedError

    def poll_failed(self, failure: Failure) -> None:
        """No response: refused by our own rules (robots.txt), or a network failure (DNS,
        refused, reset, timeout), which is transient and may be everyone's (an outage)."""
        source_id = failure.request.meta["source_id"]
        result = self.results[source_id]
        result.update(
            error=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300],
            duration_ms=self._elapsed(result),
        )
        if failure.check(IgnoreRequest):
            result.update(error_kind="hard", status="blocked")
        elif "certificate verify failed" in result["error"]:  # the source's, not the network's
            result.update(
                error="TLS: certificate verify failed (a source may say tls_verify: false)",
                error_kind="hard",
            )
        else:
            result.update(error_kind="transient", network=True)
        self._poll_finished(source_id)

    def _poll_finished(self, source_id: str) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.signals.send_catch_log(poll_finished, spider=self, source_id=source_id)

    def _http_error(self, result: dict[str, Any], response: Response) -> None:
        status = response.status
        result["error"] = f"HTTP {status}"
        result["error_kind"] = "hard" if status in HARD_STATUSES else "transient"
        if status == 410:
            result["status"] = "gone"
        elif status in (401, 403, 451):
            result["status"] = "blocked"
        if retry_after := _retry_after(response):
            result["retry_after"] = retry_after

    @staticmethod
    def _elapsed(result: dict[str, Any]) -> int:
        return int((time.monotonic() - result["started"]) * 1000)

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
