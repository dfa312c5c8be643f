"""Distributed mode: workers share the crawl frontier through Redis, one archiver writes SQLite.

    monitor run           -> enqueue_cycle: due sources once per cycle, one poll request each
    monitor worker (xN)   -> run_worker: scrapy-redis Scheduler, pipeline up to figures
    monitor archiver (x1) -> run_archiver: save_article, polls, run counts (the only writer)

Needs the `redis` extra (scrapy-redis, redis) and a `redis:` URL in the config; without it
`monitor run` stays the single-process default. See docs/scale-out.md.
"""

from __future__ import annotations

from typing import Any


def run_worker(cfg: Any, config_path: str, **options: Any) -> None:
    from monitor.distributed.worker import run_worker as _run

    _run(cfg, config_path, **options)


def run_archiver(cfg: Any, db_path: Any, *, once: bool = False, **options: Any) -> dict[str, Any]:
    from monitor.distributed.archiver import run_archiver as _run

    return _run(cfg, db_path, once=once, **options)


def enqueue_cycle(
    cfg: Any, db_path: Any, names: Any = (), every: bool = False, trigger: str = "manual"
) -> dict[str, Any]:
    from monitor.distributed.archiver import enqueue_cycle as _run

    return _run(cfg, db_path, names, every, trigger)


__all__ = ["enqueue_cycle", "run_archiver", "run_worker"]
