"""The SQLite side of distributed mode: `enqueue_cycle` (once per cycle) and `run_archiver`.

Both run beside the archive file. The enqueuer picks the due sources exactly as `monitor run`
does and pushes one poll request per source; the archiver is the only process that writes the
archive: articles (save_article, which places stories), then, when every poll of a run is in,
the polls (so an outage is judged over the whole run, as RunStats does) and the run's counters.

Crash safety: a message is BLMOVEd into `monitor:archiver:processing` and removed only after its
SQLite writes committed; a restarted archiver first replays what is left there. save_article is
idempotent on url, a poll is recorded only if (run, source) has no row yet, and the run's counters
are recomputed from the tables, so a replay adds nothing twice.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from monitor import archive, lock
from monitor.config import Config
from monitor.distributed import codec
from monitor.distributed.common import Keys, archived_members, connect, reap
from monitor.distributed.deadletter import dead_letter
from monitor.poll import VALIDATORS, Poll, PollTracker

log = logging.getLogger("monitor")
STATE_KEYS = ("url", *VALIDATORS)


class ArchiverRunning(Exception):
    """Another archiver holds this archive (there must be exactly one)."""


# ---------------------------------------------------------------- the archived set


def archive_mark(db: Database, db_path: str | Path) -> str:
    """Which archive, and its newest article id: the set is current when the marks agree."""
    return f"{Path(db_path).resolve()}#{archive.newest_article_id(db)}"


def seed_archived(server: Any, db: Database, db_path: str | Path) -> bool:
    """Rebuild `monitor:archived` from SQLite unless the archiver's mark says it is current."""
    mark = archive_mark(db, db_path)
    current = server.get(Keys.archived_mark)
    if current is not None and current.decode() == mark:
        return False
    tmp = Keys.archived + ":building"
    server.delete(tmp)
    batch: list[str] = []
    for url, source_id, guid in archive.article_identities(db):
        batch += archived_members(url, source_id, guid)
        if len(batch) >= 5000:
            server.sadd(tmp, *batch)
            batch = []
    if batch:
        server.sadd(tmp, *batch)
    pipe = server.pipeline(transaction=True)
    if server.exists(tmp):
        pipe.rename(tmp, Keys.archived)
    else:
        pipe.delete(Keys.archived)
    pipe.set(Keys.archived_mark, mark)
    pipe.execute()
    log.info("event=archived_seeded mark=%s", mark)
    return True


# ---------------------------------------------------------------- enqueue


def enqueue_cycle(
    cfg: Config,
    db_path: str | Path,
    names: Sequence[str] = (),
    every: bool = False,
    trigger: str = "manual",
) -> dict[str, Any]:
    """Pick the due (or named, or all) sources once, open a run, and queue one poll per source.

    Sources still in an open run are skipped (they are due until their poll is recorded)."""
    from monitor.crawl import cycle_lock, pick_sources
    from monitor.distributed.spider import DistributedSpider

    for name in names:
        cfg.source(name)
    server = connect(cfg.redis)
    server.ping()
    with cycle_lock(db_path):
        db = archive.open_archive(db_path)
        archive.sync_sources(db, cfg)
        chosen = pick_sources(cfg, db, names, every)
        busy = {b.decode() for b in server.smembers(Keys.inflight)}
        sources = [s for s in chosen if s.id not in busy]
        skipped = sorted(s.id for s in chosen if s.id in busy)
        seed_archived(server, db, db_path)
        run_id = archive.start_run(db, trigger)
        if not sources:
            row = archive.finish_run(db, run_id, "ok")
            return {"run_id": run_id, "queued": 0, "skipped_in_flight": skipped, "run": row}
        try:
            stored = {s.id: archive.source_state(db, s.id) for s in sources}
            states = {sid: {k: row.get(k) for k in STATE_KEYS} for sid, row in stored.items()}
            spider = DistributedSpider(sources=list(cfg.sources), states=states)
            ids = [s.id for s in sources]
            pipe = server.pipeline(transaction=True)
            pipe.hset(
                Keys.run(run_id),
                mapping={"deadline": time.time() + cfg.cycle_timeout, "trigger": trigger},
            )
            pipe.sadd(Keys.pending(run_id), *ids)
            pipe.sadd(Keys.inflight, *ids)
            pipe.sadd(Keys.runs, run_id)
            for source in sources:
                request = spider.poll_request(source)
                request.meta.update(
                    run_id=run_id, poll_id=f"{run_id}:{source.id}", state=states[source.id]
                )
                pipe.lpush(Keys.requests, codec.dumps(request.to_dict(spider=spider)))
            pipe.execute()
        except BaseException:
            archive.finish_run(db, run_id, "interrupted")
            raise
    log.info("event=run_enqueued run=%s sources=%s skipped=%s", run_id, len(ids), len(skipped))
    return {"run_id": run_id, "queued": len(ids), "skipped_in_flight": skipped}


# ---------------------------------------------------------------- archiver


@contextmanager
def archiver_lock(db_path: str | Path) -> Iterator[None]:
    """The archiver's flock beside the archive (monitor/lock.py): there is exactly one."""
    try:
        with lock.hold(db_path, ".archiver.lock", "another archiver is already running"):
            yield
    except lock.Locked as exc:
        raise ArchiverRunning(str(exc)) from None


class Archiver:
    def __init__(self, cfg: Config, db_path: str | Path) -> None:
        self.cfg = cfg
        self.db_path = db_path
        self.server = connect(cfg.redis)
        self.db = archive.open_archive(db_path)
        self.totals: Counter[str] = Counter()
        self.finished: list[dict[str, Any]] = []

    def handle(self, raw: bytes) -> None:
        """Write one finished poll; a message that cannot be written becomes a dead letter."""
        from redis.exceptions import RedisError

        try:
            self._handle(raw)
        except (sqlite3.OperationalError, RedisError):
            raise  # disk full, locked, Redis away: the message stays, to be replayed
        except Exception as exc:  # malformed or unwritable: set aside, so the rest flow
            dead_letter(self.server, "results", raw, exc, Keys.archiver_processing)
            self._poll_lost(raw, exc)
            self.totals["dead_letters"] += 1

    def _poll_lost(self, raw: bytes, exc: Exception) -> None:
        """Let the run close: its poll is recorded as failed (when the message names one)."""
        try:
            msg = codec.loads(raw)
            run_id, source_id = int(msg["run_id"]), str(msg["source_id"])
        except Exception:
            return  # nothing to name: the run closes at its deadline
        if self.server.sismember(Keys.runs, run_id):
            error = f"message could not be archived: {type(exc).__name__}: {exc}"[:300]
            poll = Poll()
            poll.fail(error, "transient")
            pipe = self.server.pipeline(transaction=True)
            pipe.hsetnx(Keys.polls(run_id), source_id, codec.dumps(poll.as_result()))
            pipe.srem(Keys.pending(run_id), source_id)
            pipe.execute()

    def _handle(self, raw: bytes) -> None:
        """Write one finished poll's articles; keep its result for when the run closes."""
        msg = codec.loads(raw)
        run_id, source_id = int(msg["run_id"]), msg["source_id"]
        members: list[str] = []
        for data in msg["articles"]:
            art = codec.article_from_dict(data)
            counts = archive.save_article(self.db, art, run_id, msg["extractor"])
            self.totals.update(counts)
            members += archived_members(art.entry.url, art.entry.source_id, art.entry.guid)
        pipe = self.server.pipeline(transaction=True)
        if members:
            pipe.sadd(Keys.archived, *members)
        pipe.set(Keys.archived_mark, archive_mark(self.db, self.db_path))
        if self.server.sismember(Keys.runs, run_id):
            pipe.hsetnx(Keys.polls(run_id), source_id, codec.dumps(msg["result"]))
            pipe.srem(Keys.pending(run_id), source_id)
        else:
            log.warning("event=late_poll run=%s source=%s (run already closed)", run_id, source_id)
        pipe.lrem(Keys.archiver_processing, 1, raw)
        pipe.execute()
        self.totals["messages"] += 1

    def close_runs(self) -> None:
        """Close each open run whose polls are all in, or whose deadline has passed."""
        for raw in self.server.smembers(Keys.runs):
            run_id = int(raw)
            meta = self.server.hgetall(Keys.run(run_id))
            pending = {p.decode() for p in self.server.smembers(Keys.pending(run_id))}
            deadline = float(meta.get(b"deadline", 0) or 0)
            if pending and time.time() < deadline:
                continue
            self.close_run(run_id, pending)

    def close_run(self, run_id: int, pending: set[str]) -> None:
        tracker = PollTracker()
        for k, v in self.server.hgetall(Keys.polls(run_id)).items():
            tracker.add(k.decode(), Poll.from_result(codec.loads(v)))
        answered = [p for k, p in tracker.polls.items() if k not in pending]
        queued = self.still_queued(run_id)
        for source_id in pending:  # the deadline passed with these polls still out
            poll = Poll()
            if source_id in queued:  # no worker took it: not reached, nobody's fault
                poll.not_reached("no worker took it")
            else:
                poll.fail("no answer before the cycle ended (timeout)", "transient")
            tracker.add(source_id, poll)
        results = tracker.polls
        if tracker.close(answered):  # judged over the whole run, as RunStats does
            log.warning("event=outage run=%s sources=%s", run_id, len(answered))
        for source_id, result in sorted(results.items()):
            if archive.poll_recorded(self.db, run_id, source_id):
                continue  # recorded before a crash: replaying must not move health twice
            archive.record_poll(self.db, run_id, source_id, result)
        # the counters are taken from the tables (archive.run_counts): a replay adds nothing
        row = archive.finish_run(
            self.db, run_id, archive.run_status(archive.run_row(self.db, run_id))
        )
        pipe = self.server.pipeline(transaction=True)
        if results:
            pipe.srem(Keys.inflight, *results)
        pipe.delete(Keys.run(run_id), Keys.pending(run_id), Keys.polls(run_id))
        pipe.delete(Keys.claims(run_id))
        pipe.srem(Keys.runs, run_id)
        pipe.execute()
        self.finished.append(row)
        log.info(
            "event=run_done run=%s status=%s polled=%s new=%s",
            run_id,
            row["status"],
            row["sources_polled"],
            row["articles_new"],
        )

    def still_queued(self, run_id: int) -> set[str]:
        """Sources of this run whose poll request is still waiting in the shared queue."""
        out = set()
        for raw in self.server.lrange(Keys.requests, 0, -1):
            try:
                meta = codec.loads(raw).get("meta") or {}
            except Exception:  # noqa: S112 (a bad entry is the workers' dead letter, not ours)
                continue
            if str(meta.get("run_id")) == str(run_id) and meta.get("source_id"):
                out.add(str(meta["source_id"]))
        return out

    def recover(self) -> int:
        """Replay what a previous archiver took and did not finish (oldest first)."""
        left = self.server.lrange(Keys.archiver_processing, 0, -1)
        for raw in reversed(left):
            self.handle(raw)
        return len(left)

    def step(self, timeout: float) -> bool:
        raw = self.server.blmove(Keys.results, Keys.archiver_processing, timeout, "RIGHT", "LEFT")
        if raw is None:
            return False
        self.handle(raw)
        return True


def run_archiver(
    cfg: Config,
    db_path: str | Path,
    *,
    once: bool = False,
    wait: float = 1.0,
    reap_every: float = 2.0,
) -> dict[str, Any]:
    """Write finished polls into the archive until stopped; with `once`, return when no run is
    open and nothing is waiting. Also returns dead workers' polls to the queue."""
    with archiver_lock(db_path):
        arch = Archiver(cfg, db_path)
        server = arch.server
        arch.totals["replayed"] = arch.recover()
        last_reap = 0.0
        try:
            while True:
                if time.monotonic() - last_reap >= reap_every:
                    reap(server)
                    arch.close_runs()
                    last_reap = time.monotonic()
                if arch.step(wait):
                    continue
                arch.close_runs()
                if once and not server.scard(Keys.runs) and not server.llen(Keys.results):
                    break
        except KeyboardInterrupt:
            log.info("event=archiver_stop")
        return {**arch.totals, "runs": arch.finished}
