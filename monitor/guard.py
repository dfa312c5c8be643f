"""SSRF guard: no request (feed poll, article link, robots.txt, redirect hop) may reach a loopback,
private, link-local or reserved address unless its host:port is one of the configured sources.

The operator trusts what they configured, not what a feed says. The check runs on the *resolved*
address of every request, and every redirect hop is a new request that passes through here again.
The lookup goes through the reactor's resolver, Scrapy's CachingThreadedResolver, whose cache the
connection then reads: the address checked is the address connected to (no DNS-rebinding gap
between check and use). `PeerGuard` checks the peer of each response as a second line.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

log = logging.getLogger("monitor")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str], Awaitable[str]]
ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


class BlockedRequest(IgnoreRequest):
    """A request the guard refused; the message names the URL and the reason."""


def host_port(url: str) -> str | None:
    """'host:port' of an http(s) URL, lower-case, default port filled in; None if it has none."""
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # a port that is not a number
        return None
    if not host or parts.scheme not in DEFAULT_PORTS:
        return None
    port = port or DEFAULT_PORTS[parts.scheme]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def allowed_hosts(urls: Iterable[str]) -> list[str]:
    """The MONITOR_ALLOWED_HOSTS value for a list of configured source URLs."""
    return sorted({hp for url in urls if (hp := host_port(url))})


def is_public(address: Address) -> bool:
    """Globally routable unicast: not loopback, private, link-local, reserved, shared, multicast."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public(mapped)
        if address.teredo is not None:
            return is_public(address.teredo[1])
    return bool(
        address.is_global
        and not address.is_multicast
        and not address.is_unspecified
        and not address.is_reserved
    )


def literal(host: str) -> Address | None:
    """The address a host names literally ('127.0.0.2', '::1'), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def reactor_resolve(host: str) -> str:
    """One IPv4 address through the reactor's (caching) resolver, as the connection will use."""
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import reactor

    return await maybe_deferred_to_future(reactor.resolver.getHostByName(host))


class Policy:
    """Which requests may go out: http(s) only; non-public addresses only for configured hosts."""

    def __init__(self, allowed: Iterable[str], resolve: Resolve = reactor_resolve) -> None:
        self.allowed = {a.lower() for a in allowed}
        self.resolve = resolve

    def add_urls(self, urls: Iterable[str]) -> None:
        self.allowed.update(allowed_hosts(urls))

    def trusted(self, url: str) -> bool:
        return host_port(url) in self.allowed

    async def check(self, url: str) -> None:
        """Raise BlockedRequest unless the URL may be fetched."""
        parts = urlsplit(url)
        if parts.scheme not in ALLOWED_SCHEMES:
            raise BlockedRequest(f"blocked {url[:200]}: scheme {parts.scheme!r} is not http(s)")
        hp = host_port(url)
        if hp is None:
            raise BlockedRequest(f"blocked {url[:200]}: no host or a bad port")
        if hp in self.allowed:
            return
        host = hp.rsplit(":", 1)[0]
        port = hp.rsplit(":", 1)[1]
        address = literal(host)
        if address is None:
            try:
                address = ipaddress.ip_address(await self.resolve(host.strip("[]")))
            except BlockedRequest:
                raise
            except Exception:
                return  # unresolvable: the download itself fails with a DNS error
        if f"{address}:{port}" in self.allowed or f"[{address}]:{port}" in self.allowed:
            return
        if not is_public(address):
            raise BlockedRequest(
                f"blocked {url[:200]}: {host} is {address}, not a public address,"
                " and not a configured source"
            )

    def check_peer(self, url: str, peer: Address | None) -> None:
        """The address actually connected to, checked like the resolved one."""
        if peer is None or self.trusted(url):
            return
        port = host_port(url).rsplit(":", 1)[1]  # type: ignore[union-attr]
        if f"{peer}:{port}" in self.allowed or f"[{peer}]:{port}" in self.allowed:
            return
        if not is_public(peer):
            raise BlockedRequest(f"blocked {url[:200]}: answered from {peer}, not a public address")


def _policy(crawler: Crawler) -> Policy:
    """One policy per crawler: the setting plus the URLs of the spider's own sources."""
    policy = getattr(crawler, "monitor_guard_policy", None)
    if policy is None:
        policy = Policy(crawler.settings.getlist("MONITOR_ALLOWED_HOSTS"))
        crawler.monitor_guard_policy = policy  # type: ignore[attr-defined]
    spider = getattr(crawler, "spider", None)
    if spider is not None and not getattr(policy, "spider_seen", False):
        sources = getattr(spider, "sources", {}) or {}
        policy.add_urls(getattr(s, "url", "") for s in sources.values())
        policy.spider_seen = True  # type: ignore[union-attr]
    return policy


class SsrfGuard:
    """Downloader middleware (engine side, before robots.txt): checks each request's address."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SsrfGuard:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        try:
            await _policy(self.crawler).check(request.url)
        except BlockedRequest as exc:
            _blocked(self.crawler, exc)
            raise


class PeerGuard:
    """Downloader middleware (downloader side): drops a response from a non-public peer."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PeerGuard:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        try:
            _policy(self.crawler).check_peer(request.url, response.ip_address)
        except BlockedRequest as exc:
            _blocked(self.crawler, exc)
            raise
        return response


def _blocked(crawler: Crawler, exc: BlockedRequest) -> None:
    if crawler.stats is not None:
        crawler.stats.inc_value("monitor/requests_blocked")
    log.warning("event=blocked %s", exc)


__all__ = [
    "BlockedRequest",
    "PeerGuard",
    "Policy",
    "SsrfGuard",
    "allowed_hosts",
    "host_port",
    "is_public",
]
