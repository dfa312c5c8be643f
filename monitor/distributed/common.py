"""Redis key layout, the connection, and the reaper that returns a dead worker's polls.

Everything lives under one prefix in one Redis database; one archive per database.

    monitor:requests            list   polls waiting for a worker (scrapy-redis queue, JSON)
    monitor:dupefilter          set    scrapy-redis RFPDupeFilter fingerprints (filtered requests)
    monitor:processing:<wid>    list   polls a worker has taken and not yet handed over
    monitor:worker:<wid>        string heartbeat, expires unless the worker renews it
    monitor:workers             set    worker ids seen (the reaper's list)
    monitor:results             list   finished polls (result + articles) for the archiver
    monitor:archiver:processing list   the message the archiver is writing (BLMOVE target)
    monitor:runs                set    open run ids
    monitor:run:<id>            hash   deadline, trigger
    monitor:run:<id>:pending    set    source ids whose poll has not reached the archiver
    monitor:run:<id>:polls      hash   source id -> poll result (recorded when the run closes)
    monitor:run:<id>:claims     hash   canonical URL -> poll id that may archive it this run
    monitor:inflight            set    source ids in an open run (not enqueued again)
    monitor:archived            set    "u:<url>" and "g:<source>\\0<guid>" already in the archive
    monitor:archived:mark       string which archive and up to which article id the set holds
    monitor:dead                list   messages no code could handle, with their error (JSON)
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("monitor")
PREFIX = "monitor:"


class Keys:
    requests = PREFIX + "requests"
    dupefilter = PREFIX + "dupefilter"
    workers = PREFIX + "workers"
    results = PREFIX + "results"
    archiver_processing = PREFIX + "archiver:processing"
    runs = PREFIX + "runs"
    inflight = PREFIX + "inflight"
    archived = PREFIX + "archived"
    archived_mark = PREFIX + "archived:mark"
    dead = PREFIX + "dead"

    @staticmethod
    def alive(worker_id: str) -> str:
        return f"{PREFIX}worker:{worker_id}"

    @staticmethod
    def processing(worker_id: str) -> str:
        return f"{PREFIX}processing:{worker_id}"

    @staticmethod
    def run(run_id: int | str) -> str:
        return f"{PREFIX}run:{run_id}"

    @staticmethod
    def pending(run_id: int | str) -> str:
        return f"{PREFIX}run:{run_id}:pending"

    @staticmethod
    def polls(run_id: int | str) -> str:
        return f"{PREFIX}run:{run_id}:polls"

    @staticmethod
    def claims(run_id: int | str) -> str:
        return f"{PREFIX}run:{run_id}:claims"


def connect(url: str | None) -> Any:
    """A client for the config's `redis:` URL (bytes in, bytes out)."""
    import redis

    from monitor.config import ConfigError

    if not url:
        raise ConfigError(
            "distributed mode needs a `redis: redis://host:6379/0` line in the config"
        )
    return redis.Redis.from_url(url, socket_timeout=30, health_check_interval=30)


def archived_members(url: str, source_id: str, guid: str | None) -> list[str]:
    """The `monitor:archived` members that make archive.is_archived true for an entry."""
    members = [f"u:{url}"]
    if guid:
        members.append(f"g:{source_id}\0{guid}")
    return members


def requeue(server: Any, worker_id: str) -> int:
    """Move everything in a worker's processing list back to the head of the shared queue."""
    moved = 0
    while server.lmove(Keys.processing(worker_id), Keys.requests, "RIGHT", "RIGHT") is not None:
        moved += 1
    return moved


def reap(server: Any) -> dict[str, int]:
    """Return the polls of every worker whose heartbeat has expired to the queue."""
    reaped = {}
    for raw in server.smembers(Keys.workers):
        worker_id = raw.decode() if isinstance(raw, bytes) else raw
        if server.exists(Keys.alive(worker_id)):
            continue
        moved = requeue(server, worker_id)
        server.srem(Keys.workers, worker_id)
        reaped[worker_id] = moved
        log.warning("event=worker_lost worker=%s requeued=%s", worker_id, moved)
    return reaped
