"""robots.txt obeyed as Scrapy does, but remembered in the archive for a day: a cron cycle every
five minutes should not ask each host for its robots.txt every five minutes (Google keeps it
24 h), and an unchanged re-poll then costs one request per source, not two."""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from monitor import archive

ROBOTS_MAX_AGE_SECONDS = 24 * 3600


class CachedRobotsTxt(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware with a per-host cache in the archive's `robots` table.

    Only a `monitor run` crawl (MONITOR_DB set) uses the cache; elsewhere (a scale-out worker with
    no archive) it is Scrapy's middleware unchanged."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._db_path = crawler.settings.get("MONITOR_DB")

    def _db(self) -> Any:
        from monitor.pipelines import archive_for

        return archive_for(self.crawler)

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        if self._db_path and netloc not in self._parsers:
            body = archive.cached_robots(self._db(), netloc, ROBOTS_MAX_AGE_SECONDS)
            if body is not None:
                self._stats.inc_value("robotstxt/cache_hit")
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        await super()._parse_robots(response, netloc, request)
        if self._db_path and response.status < 500:  # a server error is not its policy
            archive.store_robots(self._db(), netloc, response.status, response.body)
