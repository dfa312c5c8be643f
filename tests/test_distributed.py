"""Distributed mode against a real redis-server on loopback and real worker processes.

The archive that two `monitor worker`s and one `monitor archiver` build must equal, row for row,
the one a single `monitor run --all` builds from the same demo site, also when one worker is
SIGKILLed mid-cycle. The CLI wiring is not assumed: workers, the enqueuer and the archiver are
the library functions, each in its own process (Scrapy's reactor runs once per process).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.demo import CONFIG as DEMO_CONFIG
from monitor.items import Article, Entry, Figure
from monitor.loopback import SiteServer
from tests.conftest import ROOT, monitor

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server not on PATH (apt-get install redis-server)"
)
redis = pytest.importorskip("redis", reason="the `redis` extra is not installed")
pytest.importorskip("scrapy_redis", reason="the `redis` extra is not installed")

from monitor.distributed import codec  # noqa: E402
from monitor.distributed.common import Keys  # noqa: E402

PRELUDE = (
    "import sys; from monitor import cli, config; cli.setup_logging(); "
    "cfg = config.load(sys.argv[1]); from monitor import distributed as d; "
)
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on 127.0.0.1, no persistence, in a temp dir."""
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def dist_config(tmp_path: Path, demo_site: SiteServer, redis_url: str) -> Path:
    path = tmp_path / "dist.yaml"
    text = DEMO_CONFIG.read_text().replace("{{BASE}}", demo_site.base)
    path.write_text(text + f"\nredis: {redis_url}\n")
    return path


def py(code: str, *args: Any, timeout: float = 120) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + code, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=ENV,
    )
    assert proc.returncode == 0, f"{code} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def start_worker(config: Path, worker_id: str, log: Path) -> subprocess.Popen[bytes]:
    code = f"d.run_worker(cfg, sys.argv[1], worker_id={worker_id!r}, max_polls=2, heartbeat=2)"
    return subprocess.Popen(
        [sys.executable, "-c", PRELUDE + code, str(config)],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def snapshot(db: Path) -> dict[str, Any]:
    """What must be equal: articles, figures, story membership, polls, run counters."""
    conn = sqlite3.connect(db)
    q = conn.execute
    stories: dict[int, set[str]] = {}
    for story_id, url in q("SELECT story_id, url FROM articles WHERE story_id IS NOT NULL"):
        stories.setdefault(story_id, set()).add(url)
    run = q(
        "SELECT status, sources_polled, sources_failed, entries_seen, articles_fetched,"
        " articles_new, figures_new FROM runs ORDER BY id DESC LIMIT 1"
    ).fetchone()
    snap = {
        "articles": sorted(q("SELECT url, title, relevant, published FROM articles")),
        "figures": sorted(
            q(
                "SELECT a.url, f.metric, f.value, f.qualifier, f.scope"
                " FROM figures f JOIN articles a ON a.id = f.article_id"
            )
        ),
        "stories": sorted(sorted(urls) for urls in stories.values()),
        "polls": sorted(q("SELECT source_id, http_status, entries, new_entries, error FROM polls")),
        "sources": sorted(q("SELECT id, status, etag, body_hash FROM sources")),
        "run": run,
    }
    conn.close()
    return snap


def assert_same(single: dict[str, Any], dist: dict[str, Any]) -> None:
    assert single["articles"], "the single run archived nothing: the comparison would be empty"
    for key in single:
        assert dist[key] == single[key], key


@pytest.fixture
def single(tmp_path: Path, demo_config: Path, dist_config: Path) -> dict[str, Any]:
    """`monitor run --all` on the same demo site (no Redis in its config)."""
    db = tmp_path / "single.db"
    monitor("run", "--all", "--config", str(demo_config), "--db", str(db))
    return snapshot(db)


def test_codec_round_trips_articles_and_requests() -> None:
    art = Article(
        entry=Entry("s", "https://x/a", "https://x/a?utm=1", "T", guid="g", published="2024"),
        body="text",
        http_status=200,
        relevant=True,
        matched_terms=["county lines"],
        figures=[Figure("arrests", 3.0, "count", "more_than", "force", "3 arrests", 0, 9)],
        raw=b"<html>",
    )
    back = codec.article_from_dict(codec.loads(codec.dumps(codec.article_to_dict(art))))
    art.raw = b""
    assert back == art
    request = {"headers": {b"If-None-Match": [b'"abc"']}, "body": b"\x00\xff", "meta": {"k": 1}}
    assert codec.loads(codec.dumps(request)) == request


def test_two_workers_build_the_single_run_archive(
    tmp_path: Path, dist_config: Path, redis_url: str, single: dict[str, Any]
) -> None:
    db = tmp_path / "dist.db"
    workers = [start_worker(dist_config, f"w{i}", tmp_path / f"w{i}.log") for i in range(2)]
    try:
        out = py("print(d.enqueue_cycle(cfg, sys.argv[2], (), True, 'manual'))", dist_config, db)
        assert "'queued': 11" in out
        out = py("print(d.run_archiver(cfg, sys.argv[2], once=True))", dist_config, db)
        assert "event=run_done" in out
    finally:
        stop(workers)
    assert_same(single, snapshot(db))
    logs = [(tmp_path / f"w{i}.log").read_text() for i in range(2)]
    assert all("event=poll_done" in log for log in logs), "both workers should have polled"
    server = redis.Redis.from_url(redis_url)
    assert not server.scard(Keys.runs) and not server.llen(Keys.requests)
    assert not server.llen(Keys.results) and not server.scard(Keys.inflight)


def test_killed_worker_loses_no_work(
    tmp_path: Path,
    dist_config: Path,
    demo_site: SiteServer,
    redis_url: str,
    single: dict[str, Any],
) -> None:
    db = tmp_path / "dist.db"
    server = redis.Redis.from_url(redis_url)
    answer = demo_site.answer

    def slow(handler: Any) -> Any:  # every page takes a while: the kill lands mid-poll
        if not handler.path.startswith("/robots.txt"):
            time.sleep(0.25)
        return answer(handler)

    demo_site.answer = slow  # type: ignore[method-assign]
    victim = start_worker(dist_config, "victim", tmp_path / "victim.log")
    survivor = start_worker(dist_config, "survivor", tmp_path / "survivor.log")
    archiver = None
    try:
        py("d.enqueue_cycle(cfg, sys.argv[2], (), True, 'manual')", dist_config, db)
        archiver = subprocess.Popen(
            [sys.executable, "-c", PRELUDE + "d.run_archiver(cfg, sys.argv[2], once=True)"]
            + [str(dist_config), str(db)],
            cwd=ROOT,
            env=ENV,
            stderr=(tmp_path / "archiver.log").open("w"),
        )
        deadline = time.monotonic() + 60
        while not server.llen(Keys.processing("victim")):
            assert time.monotonic() < deadline, "the victim never took a poll"
            time.sleep(0.02)
        held = server.llen(Keys.processing("victim"))
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        assert archiver.wait(120) == 0
    finally:
        stop([p for p in (victim, survivor, archiver) if p is not None])
    logs = (tmp_path / "archiver.log").read_text() + (tmp_path / "survivor.log").read_text()
    assert "event=worker_lost worker=victim" in logs
    assert held >= 1
    assert_same(single, snapshot(db))


def test_archiver_replays_an_unfinished_message(
    tmp_path: Path, dist_config: Path, redis_url: str, db_path: Path
) -> None:
    """A message the archiver took (BLMOVE) but did not finish is written on restart, once."""
    py("print(d.enqueue_cycle(cfg, sys.argv[2], ['npcc'], False, 'manual'))", dist_config, db_path)
    server = redis.Redis.from_url(redis_url)
    art = Article(
        entry=Entry("npcc", "https://example.org/a", "https://example.org/a", "County lines"),
        body="Police closed 3 county lines.",
        relevant=True,
    )
    result = {"http_status": 200, "entries": 1, "new_entries": 1, "host": "127.0.0.1"}
    message = {
        "run_id": 1,
        "source_id": "npcc",
        "poll_id": "1:npcc",
        "worker": "gone",
        "extractor": "test",
        "result": result,
        "articles": [codec.article_to_dict(art)],
    }
    server.delete(Keys.requests)  # no worker in this test
    server.lpush(Keys.archiver_processing, codec.dumps(message))  # as if it crashed mid-write
    out = py("print(d.run_archiver(cfg, sys.argv[2], once=True))", dist_config, db_path)
    assert "'replayed': 1" in out
    server.lpush(Keys.results, codec.dumps(message))  # and the same poll delivered again
    py("print(d.run_archiver(cfg, sys.argv[2], once=True))", dist_config, db_path)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM polls").fetchone()[0] == 1
    assert conn.execute("SELECT status, articles_new FROM runs").fetchone() == ("ok", 1)
    assert server.sismember(Keys.archived, "u:https://example.org/a")


def test_due_sources_are_picked_once_per_cycle(
    tmp_path: Path, dist_config: Path, redis_url: str
) -> None:
    """A second enqueue while the first cycle is in flight queues nothing again."""
    db = tmp_path / "dist.db"
    first = py("print(d.enqueue_cycle(cfg, sys.argv[2], (), False, 'cron'))", dist_config, db)
    second = py("print(d.enqueue_cycle(cfg, sys.argv[2], (), False, 'cron'))", dist_config, db)
    assert "'queued': 11" in first
    assert "'queued': 0" in second
    assert redis.Redis.from_url(redis_url).llen(Keys.requests) == 11


def _cli_wired() -> bool:
    from monitor.cli import cli

    return {"worker", "archiver"} <= set(cli.commands)


@pytest.mark.skipif(not _cli_wired(), reason="`monitor worker`/`archiver` not in the CLI yet")
def test_cli_worker_archiver_and_run(
    tmp_path: Path, dist_config: Path, single: dict[str, Any]
) -> None:
    """`monitor run` enqueues when `redis:` is set; `monitor worker` and `monitor archiver`."""
    db = tmp_path / "dist.db"
    worker = subprocess.Popen(
        [sys.executable, "-m", "monitor", "worker", "--config", str(dist_config)],
        cwd=ROOT,
        env=ENV,
        stderr=(tmp_path / "worker.log").open("w"),
    )
    try:
        out = monitor("run", "--all", "--config", str(dist_config), "--db", str(db)).stdout
        assert "run 1 queued: 11 sources" in out
        out = monitor("archiver", "--once", "--config", str(dist_config), "--db", str(db)).stdout
        assert "run 1 ok: sources polled: 11" in out
    finally:
        stop([worker])
    assert_same(single, snapshot(db))
