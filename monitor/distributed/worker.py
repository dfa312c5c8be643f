"""`monitor worker`: a long-running Scrapy process polling sources from the shared Redis queue.

scrapy-redis provides the Scheduler (queue + RFPDupeFilter in Redis); two things are added:

- ReliableQueue: scrapy-redis pops destructively (RPOP), so a worker killed mid-poll would lose
  the poll. Here a pop is an LMOVE into the worker's own processing list; the entry leaves that
  list only in the same MULTI that hands the finished poll to the archiver. A heartbeat key with
  a TTL says the worker is alive; any worker (or the archiver) that finds it expired moves the
  processing list back to the queue (common.reap). Follow-up requests of a poll this worker holds
  (retries, redirects) stay in a local deque: the poll is one unit of work.
- WorkerState (an extension, with TrackPolls, a spider middleware): counts each poll's
  articles through the item pipeline, hears the poll signal (monitor.poll.poll_finished) when
  the spider has its outcome, and sends `{result, articles}` to `monitor:results` when the last
  article has left. The spider itself holds no Redis state.

Item pipeline: the project's, with SkipArchivedPipeline (SQLite) replaced by SkipArchivedRedis
and ArchivePipeline (SQLite) by SendToArchiver. Workers never open the archive.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from redis.exceptions import RedisError
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, DropItem
from scrapy.http import Response
from scrapy_redis.queue import FifoQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from monitor import figures, offload
from monitor.config import Config
from monitor.distributed import codec
from monitor.distributed.common import Keys, archived_members, connect, reap, requeue
from monitor.distributed.deadletter import dead_letter
from monitor.items import Article
from monitor.poll import Poll, PollingSpider, poll_finished

log = logging.getLogger("monitor")


@dataclass
class Job:
    """One source's poll for one run: the unit a worker takes, finishes and hands over."""

    raw: bytes  # the queue entry, exactly as in the processing list (LREM needs the bytes)
    run_id: int
    source_id: str
    poll_id: str
    poll: Poll
    outstanding: int = 0  # articles yielded and not yet through the pipeline
    done: bool = False  # the callback (or errback) has finished
    articles: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


class WorkerState:
    """What one worker holds: its polls in flight, its heartbeat, and the hand-over."""

    def __init__(self, crawler: Crawler, spider: Spider) -> None:
        spider.worker = self  # type: ignore[attr-defined]  # the queue and pipelines find it here
        settings = crawler.settings
        self.crawler = crawler
        self.spider: PollingSpider = spider  # type: ignore[assignment]  # a MonitorSpider
        self.server = connect(settings.get("REDIS_URL"))
        self.worker_id = settings.get("MONITOR_WORKER_ID") or default_worker_id()
        self.processing_key = Keys.processing(self.worker_id)
        self.max_polls = settings.getint("MONITOR_WORKER_MAX_POLLS", 8)
        self.ttl = settings.getfloat("MONITOR_WORKER_HEARTBEAT", 30.0)
        self.idle_exit = settings.getfloat("MONITOR_WORKER_IDLE_EXIT", 0.0)
        self.polls: dict[str, Job] = {}
        self.item_poll: dict[int, str] = {}
        self.last_active = time.monotonic()
        self.beats = 0
        self.loop: Any = None
        for handler, signal in (
            (self.opened, signals.spider_opened),
            (self.idle, signals.spider_idle),
            (self.closed, signals.spider_closed),
            (self.item_scraped, signals.item_scraped),
            (self.item_gone, signals.item_dropped),
            (self.item_failed, signals.item_error),
            (self.poll_finished, poll_finished),
        ):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerState:
        assert crawler.spider is not None  # extensions are built after the spider
        return cls(crawler, crawler.spider)

    # ------------------------------------------------------------------ life cycle

    def opened(self, spider: Spider) -> None:
        from twisted.internet import task

        self.beat()
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(max(0.2, self.ttl / 4), now=False)
        # The engine asks the scheduler for work every 5 s when idle; a worker should notice a
        # new cycle sooner than that (one LMOVE per interval).
        self.crawler.engine._SLOT_HEARTBEAT_INTERVAL = 0.25
        log.info("event=worker_start worker=%s max_polls=%s", self.worker_id, self.max_polls)

    def beat(self) -> None:
        """Renew the heartbeat; every few beats, return dead workers' polls to the queue."""
        self.server.set(Keys.alive(self.worker_id), str(os.getpid()), px=int(self.ttl * 1000))
        self.server.sadd(Keys.workers, self.worker_id)
        self.beats += 1
        if self.beats % 2 == 0:
            reap(self.server)

    def idle(self, spider: Spider) -> None:
        if self.polls or not self.idle_exit:
            raise DontCloseSpider
        if time.monotonic() - self.last_active < self.idle_exit:
            raise DontCloseSpider
        log.info("event=worker_idle_exit worker=%s", self.worker_id)

    def closed(self, spider: Spider, reason: str) -> None:
        """Give back what was not finished (a poll is redone whole) and say goodbye."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        moved = requeue(self.server, self.worker_id)
        self.server.delete(Keys.alive(self.worker_id))
        self.server.srem(Keys.workers, self.worker_id)
        log.info("event=worker_stop worker=%s reason=%s requeued=%s", self.worker_id, reason, moved)

    # ------------------------------------------------------------------ polls

    def has_room(self) -> bool:
        return len(self.polls) < self.max_polls

    def begin(self, raw: bytes, request: Request) -> bool:
        """Take a popped poll; False (and acknowledged) if its run is over or it is a duplicate."""
        meta = request.meta
        poll_id, source_id = meta["poll_id"], meta["source_id"]
        run_id = int(meta["run_id"])
        if poll_id in self.polls or not self.server.sismember(Keys.runs, run_id):
            self.server.lrem(self.processing_key, 1, raw)  # duplicate, or its run has closed
            return False
        job = Job(raw, run_id, source_id, poll_id, Poll())
        self.polls[poll_id] = job
        self.last_active = time.monotonic()
        if source_id not in self.spider.sources:
            job.poll.fail("source not in this worker's config", "transient")
            job.done = True
            self.finish(job)
            return False
        self.spider.polls[source_id] = job.poll
        return True

    def track(self, poll: Job | None, item: Article) -> None:
        if poll is not None:
            self.item_poll[id(item)] = poll.poll_id
            poll.outstanding += 1

    def poll_of(self, item: Article) -> Job | None:
        return self.polls.get(self.item_poll.get(id(item), ""))

    def poll_finished(self, spider: Spider, source_id: str) -> None:
        """The spider has the poll's outcome (callback or errback done)."""
        outcome = self.spider.polls.get(source_id)
        job = next((j for j in self.polls.values() if j.poll is outcome), None)
        if job is not None:
            job.done = True
            self.finish(job)

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        self.item_gone(item)

    def item_failed(self, item: Any, *args: Any, **kwargs: Any) -> None:
        """A pipeline error lost this entry: withhold the feed's new validators so it is retried."""
        poll = self.poll_of(item)
        if poll is not None:
            poll.poll.withhold_validators()
        self.item_gone(item)

    def item_gone(self, item: Any, *args: Any, **kwargs: Any) -> None:
        poll_id = self.item_poll.pop(id(item), None)
        poll = self.polls.get(poll_id or "")
        if poll is not None:
            poll.outstanding -= 1
            self.finish(poll)

    def finish(self, poll: Job) -> None:
        """Hand the poll to the archiver and drop it from the processing list, atomically."""
        if not poll.done or poll.outstanding > 0 or self.polls.get(poll.poll_id) is not poll:
            return
        source = self.spider.sources.get(poll.source_id)
        result = poll.poll
        result.new_entries = len(poll.articles)
        result.host = urlsplit(getattr(source, "url", "")).hostname
        message = {
            "run_id": poll.run_id,
            "source_id": poll.source_id,
            "poll_id": poll.poll_id,
            "worker": self.worker_id,
            "extractor": figures.EXTRACTOR_VERSION,
            "result": result.as_result(),
            "articles": poll.articles,
        }
        pipe = self.server.pipeline(transaction=True)
        pipe.lpush(Keys.results, codec.dumps(message))
        pipe.lrem(self.processing_key, 1, poll.raw)
        pipe.execute()
        del self.polls[poll.poll_id]
        if self.spider.polls.get(poll.source_id) is result:
            del self.spider.polls[poll.source_id]
        self.last_active = time.monotonic()
        log.info(
            "event=poll_done worker=%s run=%s source=%s http=%s articles=%s",
            self.worker_id,
            poll.run_id,
            poll.source_id,
            result.http_status,
            len(poll.articles),
        )


class Scheduler(RedisScheduler):
    """scrapy-redis' Scheduler, minimally adapted to Scrapy 2.19 and to a shared, persistent queue.

    - open(): scrapy-redis logs through Spider.log(), deprecated in Scrapy 2.19;
    - close()/flush(): SCHEDULER_PERSIST is forced on; one worker stopping must never delete the
      queue or the seen-set the other workers are using.
    """

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = ReliableQueue(
            server=self.server, spider=spider, key=self.queue_key, serializer=self.serializer
        )
        if not self.df:  # type: ignore[has-type]  # scrapy-redis sets it in __init__
            from scrapy.utils.misc import load_object

            self.df = load_object(self.dupefilter_cls).from_spider(spider)

    def close(self, reason: str) -> None:
        return None

    def flush(self) -> None:
        return None


class ReliableQueue(FifoQueue):
    """FIFO over Redis where a pop is LMOVE into this worker's processing list (see module doc)."""

    def __init__(self, server: Any, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.worker: WorkerState = spider.worker  # type: ignore[attr-defined]
        self.local: deque[Request] = deque()

    def __len__(self) -> int:
        return len(self.local) + int(self.server.llen(self.key))

    def push(self, request: Request) -> None:
        if request.meta.get("poll_id") in self.worker.polls:
            self.local.append(request)  # a retry or redirect of a poll this worker holds
        else:
            super().push(request)

    def pop(self, timeout: int = 0) -> Request | None:
        if self.local:
            return self.local.popleft()
        while self.worker.has_room():
            data = self.server.lmove(self.key, self.worker.processing_key, "RIGHT", "LEFT")
            if data is None:
                return None
            try:
                request = self._decode_request(data)
                if self.worker.begin(data, request):
                    return request
            except RedisError:
                raise  # Redis away: the entry stays in the processing list for the reaper
            except Exception as exc:  # not a poll we can read: set aside, take the next one
                dead_letter(self.server, "requests", data, exc, self.worker.processing_key)
        return None

    def clear(self) -> None:
        self.local.clear()  # never the shared list


class TrackPolls:
    """Spider middleware: ties each article a poll's callback yields to that poll (by the
    response's poll id), so the worker knows when the poll's last article has left."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrackPolls:
        return cls(crawler)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        worker: WorkerState = self.crawler.spider.worker  # type: ignore[union-attr]
        for item in result:
            if isinstance(item, Article):
                worker.track(worker.polls.get(response.meta.get("poll_id", "")), item)
            yield item

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        worker: WorkerState = self.crawler.spider.worker  # type: ignore[union-attr]
        async for item in result:
            if isinstance(item, Article):
                worker.track(worker.polls.get(response.meta.get("poll_id", "")), item)
            yield item


class SkipArchivedRedis:
    """SkipArchivedPipeline without SQLite: the archiver's `monitor:archived` set, and per-run
    claims so that two sources listing one URL fetch it once. A claim belongs to a poll id, not a
    worker, so when a dead worker's poll is redone elsewhere, its claims are honoured again."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipArchivedRedis:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        worker: WorkerState = self.crawler.spider.worker  # type: ignore[union-attr]
        poll = worker.poll_of(item)
        e = item.entry
        if any(
            worker.server.smismember(Keys.archived, archived_members(e.url, e.source_id, e.guid))
        ):
            raise DropItem(f"already archived: {e.url}")
        if poll is None:
            return item
        if e.url in poll.seen:
            raise DropItem(f"already archived: {e.url}")
        claims = Keys.claims(poll.run_id)
        if not worker.server.hsetnx(claims, e.url, poll.poll_id):
            owner = worker.server.hget(claims, e.url)
            if owner is None or owner.decode() != poll.poll_id:
                raise DropItem(f"already archived: {e.url}")
        poll.seen.add(e.url)
        return item


class SendToArchiver:
    """In place of ArchivePipeline: keep the finished article with its poll for the hand-over."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SendToArchiver:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        worker: WorkerState = self.crawler.spider.worker  # type: ignore[union-attr]
        poll = worker.poll_of(item)
        if poll is not None:
            poll.articles.append(codec.article_to_dict(item))
        return item


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def worker_settings(cfg: Config, **options: Any) -> Any:
    """`monitor run`'s Scrapy settings, with the Redis scheduler and the worker's pipeline."""
    from monitor.crawl import scrapy_settings
    from monitor.guard import allowed_hosts

    settings = scrapy_settings(cfg, "", None)  # no archive, no run: RunStats stays off
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    pipelines.pop("monitor.pipelines.SkipArchivedPipeline", None)
    pipelines.pop("monitor.pipelines.ArchivePipeline", None)
    pipelines["monitor.distributed.worker.SkipArchivedRedis"] = 200
    pipelines["monitor.distributed.worker.SendToArchiver"] = 900
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["monitor.extensions.RunStats"] = None
    extensions["monitor.distributed.worker.WorkerState"] = 0
    middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    middlewares["monitor.distributed.worker.TrackPolls"] = 1000  # nearest the spider
    settings.setdict(
        {
            "ITEM_PIPELINES": pipelines,
            "EXTENSIONS": extensions,
            "SPIDER_MIDDLEWARES": middlewares,
            "SCHEDULER": "monitor.distributed.worker.Scheduler",
            "SCHEDULER_QUEUE_KEY": Keys.requests,
            "SCHEDULER_DUPEFILTER_KEY": Keys.dupefilter,
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_SERIALIZER": "monitor.distributed.codec",
            "REDIS_URL": cfg.redis,
            "CLOSESPIDER_TIMEOUT": 0,  # a worker lives across cycles; runs time out at the archiver
            "MONITOR_ALLOWED_HOSTS": allowed_hosts(s.url for s in cfg.sources),
            "MONITOR_WORKER_ID": options.get("worker_id"),
            "MONITOR_WORKER_MAX_POLLS": options.get("max_polls", 8),
            "MONITOR_WORKER_HEARTBEAT": options.get("heartbeat", 30.0),
            "MONITOR_WORKER_IDLE_EXIT": options.get("idle_exit") or 0,
        },
        priority="cmdline",
    )
    return settings


def run_worker(
    cfg: Config,
    config_path: str,
    *,
    worker_id: str | None = None,
    max_polls: int = 8,
    heartbeat: float = 30.0,
    idle_exit: float | None = None,
) -> None:
    """Poll sources from the shared queue until stopped (SIGINT/SIGTERM give unfinished polls
    back), or until idle for `idle_exit` seconds."""
    from scrapy.crawler import CrawlerProcess

    from monitor.distributed.spider import DistributedSpider

    connect(cfg.redis).ping()  # fail fast, with the URL's error, before Scrapy starts
    settings = worker_settings(
        cfg, worker_id=worker_id, max_polls=max_polls, heartbeat=heartbeat, idle_exit=idle_exit
    )
    process = CrawlerProcess(settings)
    process.crawl(DistributedSpider, sources=list(cfg.sources), config=config_path)
    try:
        process.start()
    finally:
        offload.shutdown()
