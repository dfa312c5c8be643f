"""`monitor backfill`: walk each source's history into the archive through the live pipeline.

A walk reads a source's past page by page (a listing, a search, a feed's older pages or a
sitemap), newest first, and hands every item in the window to the same ITEM_PIPELINES as
`monitor run`, so a backfilled article and a polled one are the same row and never two. A
cursor per source (archive table `backfill_cursors`) moves on only when every item of a page is
through the pipeline, so a walk killed at any moment continues from its first unfinished page,
and a finished walk is not walked again. Politeness is stricter than the live watch (DESIGN.md
"Policies"): one request per second per host by default, no random speed-ups, robots.txt, and
Retry-After waited out; the live cycle keeps priority, since each write first takes the cycle's
own lock for the moment it lasts, and waits while a `monitor run` holds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from monitor import archive, offload
from monitor.backfill.components import Backfill
from monitor.backfill.progress import Progress
from monitor.backfill.walk import Walk, start_walk
from monitor.config import Config, ConfigError, Source
from monitor.crawl import AlreadyRunning, cycle_lock
from monitor.lock import LiveLock

DEFAULT_RATE = 1.0  # requests per second per host


@dataclass
class Result:
    """The backfill's run row and each walk's final cursor (for the summary)."""

    run: dict[str, Any]
    walks: list[Walk]


@contextmanager
def backfill_lock(db_path: str | Path) -> Iterator[None]:
    """One backfill per archive at a time: the cycle's kind of flock, on its own file, so the
    cycle's lock stays free for the live watch."""
    try:
        with cycle_lock(f"{db_path}.backfill"):
            yield
    except AlreadyRunning:
        raise AlreadyRunning(f"{db_path}: another backfill is already running") from None


def pick_sources(cfg: Config, names: Sequence[str]) -> list[Source]:
    """The named sources (each must say `history:`), or every enabled source that does."""
    if names:
        chosen = [cfg.source(n) for n in names]
        for src in chosen:
            if src.history is None:
                raise ConfigError(
                    f"sources[{cfg.sources.index(src)}] ({src.name}): no history: to walk; add"
                    " e.g. history: {preset: listing-pages, url: 'https://...?page={page}'}"
                )
        return chosen
    chosen = [s for s in cfg.sources if s.enabled and s.history is not None]
    if not chosen:
        raise ConfigError("no source has history: to walk; add one to a source in the config")
    return chosen


def scrapy_settings(cfg: Config, db_path: str | Path, run_id: int, rate: float) -> Any:
    """The live crawl's settings, stricter: `rate` requests/s per host (0: politeness off)."""
    from monitor.crawl import scrapy_settings as live_settings
    from monitor.guard import allowed_hosts

    settings = live_settings(cfg, db_path, run_id)
    pipes = settings.getdict("ITEM_PIPELINES")
    pipes["monitor.backfill.components.PageDate"] = 260  # after the fetch (250), before text
    pipes["monitor.backfill.components.YieldToLive"] = 850  # just before ArchivePipeline (900)
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    middlewares["monitor.backfill.components.RetryAfter"] = (
        600  # sees 429/503 before RetryMiddleware
    )
    extensions = settings.getdict("EXTENSIONS")
    extensions["monitor.extensions.RunStats"] = None  # no polls: a walk is not a poll
    extensions["monitor.backfill.components.BackfillStats"] = 500
    polite = rate > 0
    walked = [s.url for s in cfg.sources] + [s.history.url for s in cfg.sources if s.history]
    settings.setdict(
        {
            # the SSRF guard also trusts the hosts that histories are walked on
            "MONITOR_ALLOWED_HOSTS": allowed_hosts(u.replace("{page}", "1") for u in walked if u),
            "ITEM_PIPELINES": pipes,
            "DOWNLOADER_MIDDLEWARES": middlewares,
            "EXTENSIONS": extensions,
            "DOWNLOAD_DELAY": 1.0 / rate if polite else 0.0,
            "RANDOMIZE_DOWNLOAD_DELAY": False,  # 0.5x-1.5x would break "at most N per second"
            "CONCURRENT_REQUESTS_PER_DOMAIN": 1 if polite else 8,
            "AUTOTHROTTLE_ENABLED": polite,  # slows down further on a slow host, never below
            "CLOSESPIDER_TIMEOUT": 0,  # a backfill is long on purpose; Ctrl-C stops it
        },
        priority="cmdline",
    )
    return settings


def run_backfill(
    cfg: Config,
    db_path: str | Path,
    *,
    names: Sequence[str] = (),
    since: str,
    until: str = "",
    rate: float = DEFAULT_RATE,
    out: IO[str] | None = None,
) -> Result:
    """Walk the chosen sources' histories from `until` (today) back to `since` (YYYY-MM-DD)."""
    sources = pick_sources(cfg, names)
    with backfill_lock(db_path):
        db = archive.open_archive(db_path)
        archive.close_abandoned_runs(db, backfill=True)
        archive.sync_sources(db, cfg)
        walks = [start_walk(db, s, since, until) for s in sources]
        todo = [w for w in walks if not w.finished]
        run_id = archive.start_run(db, "backfill")
        finished = False
        try:
            finished = _crawl(cfg, db_path, run_id, rate, todo, out) if todo else True
        finally:
            failed = sum(w.cursor.status == "stopped" for w in todo)
            archive.add_run_counts(db, run_id, {"sources_polled": len(todo)})
            archive.add_run_counts(db, run_id, {"sources_failed": failed} if failed else {})
            row = archive.finish_run(
                db, run_id, archive.run_status(archive.run_row(db, run_id), finished)
            )
        return Result(row, walks)


def _crawl(
    cfg: Config, db_path: str | Path, run_id: int, rate: float, walks: list[Walk], out: Any
) -> bool:
    from scrapy.crawler import CrawlerProcess

    from spiders.history import HistorySpider

    lock = LiveLock(db_path)
    backfill = Backfill({w.id: w for w in walks}, lock, Progress(walks, out), run_id)
    process = CrawlerProcess(scrapy_settings(cfg, db_path, run_id, rate))
    crawler = process.create_crawler(HistorySpider)
    try:
        process.crawl(crawler, backfill=backfill)
        process.start()
    finally:
        offload.shutdown()
        lock.close()
    if error := getattr(crawler, "monitor_archive_error", None):
        raise archive.ArchiveError(f"{db_path}: cannot write archive: {error}")
    return bool(crawler.stats.get_value("finish_reason") == "finished")
