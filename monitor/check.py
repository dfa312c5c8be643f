"""`monitor check`: is a config usable, before any poll, and (with --probe) does each URL answer?

Validation reads only the file: names, intervals and presets (monitor.config), each `force:` as a
UK force (monitor.forces), selectors that compile, and one URL per source. The probe fetches
each enabled source once, politely: one request at a time, the project's User-Agent, robots.txt
first (RFC 9309: a 4xx robots.txt allows all, a 5xx disallows all), at least `delay` seconds
between requests to a host (more if robots.txt asks), the config's timeout and size cap, and the
SSRF guard (monitor/guard.py: loopback and private addresses only for configured sources, every
redirect hop checked). It is a small blocking fetch, not a Scrapy crawl, and writes nothing.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from monitor import feeds, forces, guard
from monitor.config import Config, Selectors, Source

# The platforms the shipped config uses, first match wins; each has a fixture under
# tests/fixtures/platforms/ read through the real spider (tests/test_sources.py).
PLATFORMS: tuple[tuple[str, str], ...] = (
    ("soh-rss", r"\.police\.uk/news/[^/?]+/news/GetNewsRss/?$"),
    ("mynewsdesk", r"/rss/current_news/\d+$"),
    ("joomla", r"[?&]format=feed\b"),
    ("govuk-atom", r"^https?://www\.gov\.uk/[^?]+\.atom\b"),
    ("bbc", r"^https?://feeds\.bbci\.co\.uk/news/"),
    ("google-news", r"^https?://news\.google\.com/rss/"),
    ("npcc", r"^https?://news\.npcc\.police\.uk/"),
    ("police-scotland", r"^https?://www\.scotland\.police\.uk/"),
    ("psni", r"^https?://www\.psni\.police\.uk/"),
    ("reach", r"[?&]service=rss\b"),
    ("newsquest", r"/news/rss/?$"),
    ("national-world", r"^https?://[^/]+/rss/?$"),
    ("wordpress", r"/feed/$"),
    ("drupal", r"/feed$"),
)
_ALTERNATE_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
_ROOT = re.compile(rb"<(?:[\w-]+:)?(rss|feed|RDF)\b")
_ROOT_NAMES = {b"rss": "RSS", b"feed": "Atom", b"RDF": "RDF"}


def platform(source: Source) -> str:
    """The platform a source's URL (or preset) belongs to; 'other' when none fits."""
    if source.preset == "soh-listing":
        return "soh-listing"
    return next((name for name, rx in PLATFORMS if re.search(rx, source.url)), "other")


def validate(cfg: Config, path: str) -> list[str]:
    """One line per problem found without fetching anything (empty: the config is fine)."""
    problems: list[str] = []
    urls: dict[str, str] = {}
    for i, src in enumerate(cfg.sources):
        key = f"{path}: sources[{i}]"
        if src.force and forces.match_name(src.force) is None:
            problems.append(f"{key}.force: {src.force!r} is not a UK force (monitor/forces.py)")
        if src.url in urls:
            problems.append(f"{key}.url: same URL as {urls[src.url]!r}")
        urls.setdefault(src.url, src.name)
        if src.type == "feed" and (src.selectors or src.preset):
            problems.append(f"{key}: a feed is read as a feed; selectors and preset are ignored")
        if src.selectors and src.preset:
            problems.append(f"{key}: both selectors and preset; the preset would win")
        problems += _selector_problems(f"{key}.selectors", src.selectors)
        if src.history:
            problems += _selector_problems(f"{key}.history.selectors", src.history.selectors)
    return problems


def _selector_problems(key: str, selectors: Selectors | None) -> list[str]:
    """Selectors that Scrapy's CSS dialect (parsel: ::text, ::attr()) cannot compile."""
    from parsel.csstranslator import HTMLTranslator

    problems = []
    for name, css in (selectors.model_dump() if selectors else {}).items():
        try:
            if css:
                HTMLTranslator().css_to_xpath(css)
        except Exception as exc:  # cssselect's SelectorSyntaxError, ExpressionError and kin
            problems.append(f"{key}.{name}: {css!r} is not CSS: {exc}")
    return problems


def summary(cfg: Config) -> str:
    """Sources per platform, and how many are `verified: false` in all and on each."""
    counts = Counter(platform(s) for s in cfg.sources)
    unverified = Counter(platform(s) for s in cfg.sources if not s.verified)
    parts = ", ".join(
        f"{name} {n}" + (f" ({unverified[name]} unverified)" if unverified[name] else "")
        for name, n in sorted(counts.items())
    )
    total = sum(unverified.values())
    return f"{len(cfg.sources)} sources, {total} of them verified: false: {parts}"


@dataclass(frozen=True, slots=True)
class Probe:
    """What one fetch of a source showed: a verdict kind, the line to print, usable or not."""

    source: str
    kind: str  # feed | listing | not a feed | http error | robots.txt | unreachable | blocked
    detail: str
    usable: bool


@dataclass
class _Fetcher:
    """Blocking GETs with the project's manners; one robots.txt parser per host."""

    cfg: Config
    delay: float
    policy: guard.Policy = field(init=False)
    robots: dict[str, RobotFileParser] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.policy = guard.Policy(guard.allowed_hosts(s.url for s in self.cfg.sources), _resolve)

    def get(self, url: str, tls_verify: bool = True) -> tuple[int, bytes, str]:
        """(status, body, final URL); raises guard.BlockedRequest, OSError or ValueError."""
        netloc = urlsplit(url).netloc
        wait = self.last.get(netloc, 0) + self._delay(netloc) - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        asyncio.run(self.policy.check(url))
        context = ssl.create_default_context()
        if not tls_verify:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        opener = urllib.request.build_opener(
            _GuardedRedirects(self.policy), urllib.request.HTTPSHandler(context=context)
        )
        request = urllib.request.Request(url, headers={"User-Agent": self.cfg.user_agent})
        try:
            with opener.open(request, timeout=self.cfg.timeout) as response:
                body = response.read(self.cfg.max_bytes + 1)
                status, final = response.status, response.url
        except urllib.error.HTTPError as exc:
            status, body, final = exc.code, b"", url
        finally:
            self.last[netloc] = time.monotonic()
        if len(body) > self.cfg.max_bytes:
            raise ValueError(f"response over the {self.cfg.max_bytes}-byte cap")
        return status, body, final

    def allowed(self, url: str) -> bool:
        """robots.txt's answer for our User-Agent (fetched once per host)."""
        parts = urlsplit(url)
        parser = self.robots.get(parts.netloc)
        if parser is None:
            parser = self.robots[parts.netloc] = RobotFileParser()
            try:
                status, body, _ = self.get(f"{parts.scheme}://{parts.netloc}/robots.txt")
            except (OSError, ValueError):
                status, body = 404, b""  # no answer: the source's own fetch will say so
            if status >= 500:
                parser.parse(["User-agent: *", "Disallow: /"])
            elif status < 400:
                parser.parse(body.decode("utf-8", "replace").splitlines())
            else:
                parser.parse([])
        return parser.can_fetch(self.cfg.user_agent, url)

    def _delay(self, netloc: str) -> float:
        parser = self.robots.get(netloc)
        asked = parser.crawl_delay(self.cfg.user_agent) if parser else None
        return max(self.delay, float(asked or 0))


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Every redirect hop passes the SSRF guard again; at most 5 hops, as Scrapy allows."""

    max_redirections = 5

    def __init__(self, policy: guard.Policy) -> None:
        self.policy = policy

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:  # fmt: skip
        asyncio.run(self.policy.check(urljoin(req.full_url, newurl)))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


async def _resolve(host: str) -> str:
    """An address the host resolves to, a non-public one first: every address must pass."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    bad = [a for a in addresses if (ip := guard.literal(a)) and not guard.is_public(ip)]
    return (bad or addresses)[0]


def advertised_feeds(body: bytes, url: str) -> list[str]:
    """Feeds an HTML page names in <link rel="alternate" type="application/rss+xml" ...>."""
    from parsel import Selector

    page = Selector(text=body.decode("utf-8", "replace"))
    links = page.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]")
    return [
        urljoin(url, href)
        for link in links
        if (link.attrib.get("type") or "").lower() in _ALTERNATE_TYPES
        and (href := link.attrib.get("href"))
    ]


def _read(source: Source, body: bytes, url: str) -> Probe:
    """A 200 body judged as the spider for this source's type would read it."""
    name = source.name
    if source.type == "feed":
        try:
            entries = feeds.parse(body, url)
        except (feeds.NotAFeed, TimeoutError):
            found = advertised_feeds(body, url)
            hint = f"it advertises {', '.join(found)}" if found else "it advertises no feed"
            return Probe(name, "not a feed", f"not a feed (an HTML page?): {hint}", False)
        root = _ROOT.search(body[:4096])
        label = _ROOT_NAMES[root.group(1)] if root else "feed"
        return Probe(name, "feed", f"{label} feed with {_count(len(entries), 'entry')}", True)
    from scrapy.http import HtmlResponse

    from spiders.listing import ListingSpider  # the spider's own reading, as crawl.py runs it

    response = HtmlResponse(url, body=body, encoding="utf-8")
    count = len(list(ListingSpider(sources=[source]).read(source, response)))
    found = advertised_feeds(body, url)
    hint = f"; it advertises {', '.join(found)}" if found and not count else ""
    matched = _count(count, "item")
    return Probe(name, "listing", f"listing: selectors matched {matched}{hint}", count > 0)


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


def probe_source(fetcher: _Fetcher, source: Source) -> Probe:
    """Fetch one source once and say what it is."""
    name = source.name
    try:
        if not fetcher.allowed(source.url):
            return Probe(name, "robots.txt", "refused by robots.txt for our User-Agent", False)
        status, body, final = fetcher.get(source.url, source.tls_verify)
    except guard.BlockedRequest as exc:
        return Probe(name, "blocked", str(exc), False)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return Probe(name, "unreachable", f"unreachable: {reason}", False)
    if status >= 400:
        return Probe(name, "http error", f"HTTP {status}", False)
    return _read(source, body, final)


def probe(cfg: Config, delay: float = 1.0) -> list[Probe]:
    """Every enabled source, fetched once, in config order."""
    fetcher = _Fetcher(cfg, delay)
    return [probe_source(fetcher, s) for s in cfg.sources if s.enabled]


def probe_text(results: list[Probe]) -> str:
    """One line per source and a count of the unusable ones."""
    width = max((len(r.source) for r in results), default=0)
    lines = [f"{'ok' if r.usable else 'FAIL':4}  {r.source:{width}}  {r.detail}" for r in results]
    bad = sum(not r.usable for r in results)
    lines.append(f"{len(results)} sources probed: {len(results) - bad} usable, {bad} unusable")
    return "\n".join(lines)
