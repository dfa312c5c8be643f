"""TLS: certificates are verified against the system's trust store, except for the sources that
opt out in config (`tls_verify: false`), host by host (issue 17, item 10).

Scrapy's default context factory accepts any certificate, so a man in the middle could feed the
archive of record. `DOWNLOAD_VERIFY_CERTIFICATES = True` (monitor/settings.py) turns Twisted's
browser-like verification on (OpenSSL's default paths: the system store); this factory keeps
that for every host except the `host:port` of a source that opted out, which then gets Scrapy's
non-verifying options. The opt-out is recorded in `sources.tls_verify` and shown in
`source_health`, so nobody relies on such a source without knowing.
"""

from __future__ import annotations

import copy
from typing import Any

from scrapy.core.downloader.contextfactory import _ScrapyClientContextFactory
from scrapy.crawler import Crawler


class SourceTLSPolicy(_ScrapyClientContextFactory):
    """Verify every certificate, except on the `host:port`s in MONITOR_TLS_UNVERIFIED."""

    unverified: frozenset[str] = frozenset()
    lax: _ScrapyClientContextFactory | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceTLSPolicy:
        policy = super().from_crawler(crawler, *args, **kwargs)
        policy._verify_certificates = True
        policy.unverified = frozenset(crawler.settings.getlist("MONITOR_TLS_UNVERIFIED"))
        policy.lax = copy.copy(policy)
        policy.lax._verify_certificates = False
        return policy

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:  # noqa: N802 (Twisted's name)
        if self.lax is not None and f"{hostname.decode('ascii')}:{port}" in self.unverified:
            return self.lax.creatorForNetloc(hostname, port)
        return super().creatorForNetloc(hostname, port)


def unverified_hosts(sources: Any) -> list[str]:
    """`host:port` of each source that opted out of certificate checks (https only)."""
    from urllib.parse import urlsplit

    out = []
    for source in sources:
        parts = urlsplit(source.url)
        if not source.tls_verify and parts.scheme == "https" and parts.hostname:
            out.append(f"{parts.hostname}:{parts.port or 443}")
    return out
