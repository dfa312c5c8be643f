"""Issue 17 item 3: one bad message never crash-loops the scale-out archiver or a worker.

A real redis-server on loopback and real processes, with the fixtures of tests/test_distributed.py.
"""

# ruff: noqa: F811 (pytest fixtures imported from tests/test_distributed.py, used as arguments)
from __future__ import annotations

import sqlite3
from pathlib import Path

from monitor.distributed import codec  # noqa: E402
from monitor.distributed.common import Keys  # noqa: E402
from monitor.distributed.deadletter import letters  # noqa: E402
from monitor.items import Article, Entry  # noqa: E402
from tests.test_distributed import (  # noqa: F401 (fixtures)
    dist_config,
    py,
    redis,
    redis_url,
    start_worker,
    stop,
)


def message(source_id: str, articles: list[dict[str, object]]) -> bytes:
    result = {"http_status": 200, "entries": len(articles), "host": "127.0.0.1"}
    return codec.dumps(
        {
            "run_id": 1,
            "source_id": source_id,
            "poll_id": f"1:{source_id}",
            "worker": "w",
            "extractor": "test",
            "result": result,
            "articles": articles,
        }
    )


def test_a_bad_result_message_is_a_dead_letter_and_the_rest_flow(
    dist_config: Path, redis_url: str, db_path: Path
) -> None:
    py(
        "print(d.enqueue_cycle(cfg, sys.argv[2], ['npcc', 'national-crime-agency'], False))",
        dist_config,
        db_path,
    )
    server = redis.Redis.from_url(redis_url)
    server.delete(Keys.requests)  # no worker in this test
    good = Article(entry=Entry("npcc", "https://example.org/a", "https://example.org/a", "T"))
    server.lpush(Keys.archiver_processing, b"{not json")  # as if taken before a crash
    server.lpush(Keys.results, message("national-crime-agency", [{"entry": {"bogus": 1}}]))
    server.lpush(Keys.results, message("npcc", [codec.article_to_dict(good)]))
    out = py("print(d.run_archiver(cfg, sys.argv[2], once=True))", dist_config, db_path)
    assert "'dead_letters': 2" in out
    assert out.count("event=dead_letter") == 2
    dead = letters(server)
    assert [d["queue"] for d in dead] == ["results", "results"]
    assert {d["message"] for d in dead} >= {b"{not json"}
    assert any("TypeError" in d["error"] for d in dead)
    assert not server.llen(Keys.archiver_processing) and not server.llen(Keys.results)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT url FROM articles").fetchall() == [("https://example.org/a",)]
    assert conn.execute("SELECT status FROM runs").fetchone() == ("ok",)
    errors = dict(conn.execute("SELECT source_id, error FROM polls"))
    assert errors["npcc"] is None and "could not be archived" in errors["national-crime-agency"]


def test_a_bad_request_in_the_queue_is_a_dead_letter_and_workers_go_on(
    tmp_path: Path, dist_config: Path, redis_url: str, db_path: Path
) -> None:
    server = redis.Redis.from_url(redis_url)
    server.rpush(Keys.requests, b"\xff not a request", codec.dumps({"meta": {}}))
    py("print(d.enqueue_cycle(cfg, sys.argv[2], ['npcc'], False))", dist_config, db_path)
    worker = start_worker(dist_config, "w0", tmp_path / "w0.log")
    try:
        out = py("print(d.run_archiver(cfg, sys.argv[2], once=True))", dist_config, db_path)
    finally:
        stop([worker])
    assert "event=run_done" in out
    dead = letters(server)
    assert [d["queue"] for d in dead] == ["requests", "requests"]
    assert (tmp_path / "w0.log").read_text().count("event=dead_letter") == 2
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT error FROM polls WHERE source_id = 'npcc'").fetchone() == (None,)


def test_a_poll_no_worker_took_before_the_deadline_is_not_reached_and_not_charged(
    dist_config: Path, redis_url: str, db_path: Path
) -> None:
    py("print(d.enqueue_cycle(cfg, sys.argv[2], ['npcc'], False))", dist_config, db_path)
    server = redis.Redis.from_url(redis_url)
    server.hset(Keys.run(1), "deadline", 0)  # the cycle's time is up; no worker ever ran
    py("print(d.run_archiver(cfg, sys.argv[2], once=True))", dist_config, db_path)
    conn = sqlite3.connect(db_path)
    (error,) = conn.execute("SELECT error FROM polls WHERE source_id = 'npcc'").fetchone()
    assert error.startswith("not reached")
    assert conn.execute("SELECT status, error_score FROM sources WHERE id = 'npcc'").fetchone() == (
        "ok",
        0.0,
    )
    assert conn.execute("SELECT sources_polled, sources_failed FROM runs").fetchone() == (0, 0)
