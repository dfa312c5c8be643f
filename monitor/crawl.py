"""One cycle: lock, pick the due sources, crawl them with Scrapy, close the run row."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from monitor import archive, lock, offload
from monitor.config import Config, ConfigError
from monitor.lifetime import die_with_parent

log = logging.getLogger("monitor")


class AlreadyRunning(Exception):
    """Another cycle holds the archive's lock (an overlapping cron run)."""


class NothingDue(Exception):
    """No source is due: no run is recorded; says which source is next, and when."""

    def __init__(self, source_id: str | None, at: str | None) -> None:
        super().__init__(f"nothing due; next poll at {at} ({source_id})")
        self.source_id, self.at = source_id, at


@contextmanager
def cycle_lock(db_path: str | Path) -> Iterator[None]:
    """The cycle's flock beside the archive (monitor/lock.py): overlapping runs cannot collide."""
    try:
        with lock.hold(db_path, ".lock", "another monitor run is already running"):
            yield
    except lock.Locked as exc:
        raise AlreadyRunning(str(exc)) from None


def scrapy_settings(cfg: Config, db_path: str | Path, run_id: int | None) -> Any:
    """Project settings plus what this config and run decide."""
    from scrapy.settings import Settings

    from monitor.guard import allowed_hosts
    from monitor.tls import unverified_hosts

    settings = Settings()
    settings.setmodule("monitor.settings", priority="project")
    settings.setdict(
        {
            "MONITOR_DB": str(db_path),
            "MONITOR_RUN_ID": run_id,
            # the SSRF guard trusts these host:port pairs even when they are private addresses
            "MONITOR_ALLOWED_HOSTS": allowed_hosts(s.url for s in cfg.sources),
            "MONITOR_TLS_UNVERIFIED": unverified_hosts(cfg.sources),
            "USER_AGENT": cfg.user_agent,
            "DOWNLOAD_TIMEOUT": cfg.timeout,
            "DOWNLOAD_MAXSIZE": cfg.max_bytes,
            "CLOSESPIDER_TIMEOUT": cfg.cycle_timeout,
            "MONITOR_WORKERS": cfg.workers,  # monitor/offload.py
            "LOG_INSTALL_ROOT_HANDLER": False,  # our one-line handler stays in charge
        },
        priority="cmdline",
    )
    if not _shown("scrapy.utils.log", logging.INFO):
        # Scrapy reads ten packages' versions from their metadata at start-up (~14 ms, a
        # sixtieth of a re-poll) for an INFO line that only -v shows
        settings.set("LOG_VERSIONS", [], priority="cmdline")
    return settings


def _shown(name: str, level: int) -> bool:
    """Whether a record of logger `name` at `level` would reach a handler: the -v question,
    asked of the logging set-up itself (monitor.cli.setup_logging) rather than passed down."""
    logger = logging.getLogger(name)
    if not logger.isEnabledFor(level):
        return False
    record = logger.makeRecord(name, level, __file__, 0, "", (), None)
    while logger is not None:
        for handler in logger.handlers:
            if level >= handler.level and handler.filter(record):
                return True
        logger = logger.parent if logger.propagate else None  # type: ignore[assignment]
    return False


def pick_sources(cfg: Config, db: Any, names: Sequence[str], every: bool) -> list[Any]:
    """Named sources (whether due or not), all enabled ones, or the due ones."""
    if names:
        return [cfg.source(n) for n in names]
    if every:
        return [s for s in cfg.sources if s.enabled]
    due = set(archive.due_source_ids(db))
    return [s for s in cfg.sources if s.id in due]


def _crawl(cfg: Config, db_path: str | Path, run_id: int, sources: list[Any], db: Any) -> bool:
    """Run the feed and listing crawlers together; True when both finished normally."""
    from scrapy.crawler import CrawlerProcess

    from spiders.feed import FeedSpider
    from spiders.listing import ListingSpider

    states = {s.id: archive.source_state(db, s.id) for s in sources}
    process = CrawlerProcess(scrapy_settings(cfg, db_path, run_id))
    crawlers = []
    for spider, kind in ((FeedSpider, "feed"), (ListingSpider, "html")):
        batch = [s for s in sources if s.type == kind]
        if batch:
            crawler = process.create_crawler(spider)
            crawlers.append(crawler)
            process.crawl(crawler, sources=batch, states=states)
    try:
        process.start()
    finally:
        offload.shutdown()
    for crawler in crawlers:
        if error := getattr(crawler, "monitor_archive_error", None):
            raise archive.ArchiveError(f"{db_path}: cannot write archive: {error}")
    return all(c.stats.get_value("finish_reason") == "finished" for c in crawlers)


def run_cycle(
    cfg: Config,
    db_path: str | Path,
    *,
    names: Sequence[str] = (),
    every: bool = False,
    trigger: str = "manual",
) -> dict[str, Any]:
    """Poll the chosen sources once and return the run's row; failures are recorded, not raised."""
    for name in names:
        cfg.source(name)  # unknown names fail before anything is locked or written
    if trigger == "daemon":
        die_with_parent()
    with cycle_lock(db_path):
        try:
            return _locked_cycle(cfg, db_path, names, every, trigger)
        except sqlite3.Error as exc:  # read-only file, disk full: one line, nothing half-written
            raise archive.ArchiveError(f"{db_path}: cannot write archive: {exc}") from None


def _locked_cycle(
    cfg: Config, db_path: str | Path, names: Sequence[str], every: bool, trigger: str
) -> dict[str, Any]:
    db = archive.open_archive(db_path)
    archive.close_abandoned_runs(db)
    archive.sync_sources(db, cfg)
    sources = pick_sources(cfg, db, names, every)
    if not sources and not names and not every:  # cron every 5 minutes: no empty run rows
        raise NothingDue(*archive.store.next_poll(db))
    run_id = archive.start_run(db, trigger)
    log.info("event=run_start run=%s sources=%s", run_id, len(sources))
    for source in sources:
        if not source.tls_verify and source.url.startswith("https:"):
            log.warning("event=tls_unverified source=%s (tls_verify: false)", source.id)
    finished = False
    try:
        finished = _crawl(cfg, db_path, run_id, sources, db) if sources else True
    finally:
        row = archive.finish_run(
            db, run_id, archive.run_status(archive.run_row(db, run_id), finished)
        )
    return row


__all__ = ["AlreadyRunning", "ConfigError", "NothingDue", "run_cycle"]
