"""Worker processes for feed parsing, page text and figures (monitor/offload.py): real spawned
processes, real crashes and hangs, and a real cycle whose archive must not depend on them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlite_utils import Database

from monitor import feeds, offload, reading
from monitor.archive import stories
from monitor.config import ConfigError, parse
from monitor.loopback import SiteServer
from tests.conftest import FIXTURES, ROOT, monitor, write_demo_config

T = TypeVar("T")
PAGE = (
    b"<html><head><title>x</title></head><body><nav>Home | News</nav><article>"
    b"<h1>Police close three county lines</h1><p>Officers closed three county lines and "
    b"arrested 12 people during a week of action against drug dealing gangs.</p>"
    b"<p>Detectives seized cash and two knives, and safeguarded five children.</p>"
    b"</article><footer>Contact us</footer></body></html>"
)


def run(coro: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(coro())  # type: ignore[arg-type]


def refuse_to_start() -> None:
    """A worker initializer that fails, as a worker that cannot import its modules would."""
    raise RuntimeError("this worker cannot start")


def test_a_call_returns_in_a_worker_what_it_returns_in_process() -> None:
    pool = offload.Offload(1)

    async def both() -> tuple[Any, Any, int]:
        there = await pool.run(30, reading.page_body, PAGE, "Police close lines", "http://x/1")
        pid = await pool.run(30, os.getpid)
        return there, reading.page_body(PAGE, "Police close lines", "http://x/1"), pid

    try:
        there, here, pid = run(both)
    finally:
        pool.close()
    assert there == here and "arrested 12 people" in there.body
    assert pid != os.getpid()  # it really ran elsewhere
    assert (pool.counts.sent, pool.counts.inline) == (2, 0)


def test_a_worker_that_dies_costs_its_call_and_the_next_call_gets_a_fresh_worker() -> None:
    pool = offload.Offload(1)

    async def crash_then_parse() -> list[feeds.FeedItem]:
        with pytest.raises(offload.WorkerLost, match="died running _exit"):
            await pool.run(30, os._exit, 3)  # a segfault in a C parser looks like this
        feed = (FIXTURES / "platforms" / "drupal.xml").read_bytes()
        return await pool.run(30, feeds.parse, feed, "http://127.0.0.1/feed")

    try:
        items = run(crash_then_parse)
    finally:
        pool.close()
    assert items and all(i.url.startswith("http") for i in items)
    # the crash was retried once on a fresh pool, then given up; a third pool parsed the feed
    assert pool.counts.lost == 1 and pool.counts.started == 3


def test_a_call_stuck_where_sigalrm_cannot_reach_is_cut_off_at_its_deadline() -> None:
    pool = offload.Offload(1)

    async def stuck_then_ok() -> tuple[float, int]:
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="sleep took over 1s in a worker"):
            await pool.run(1, time.sleep, 60)
        waited = time.monotonic() - started
        return waited, await pool.run(30, os.getpid)

    try:
        waited, pid = run(stuck_then_ok)
    finally:
        pool.close()
    assert waited < 30 and pid != os.getpid()
    assert pool.counts.stuck == 1


def test_a_budget_raised_in_a_worker_reaches_the_caller_as_the_same_timeout() -> None:
    pool = offload.Offload(1)

    async def over() -> None:
        await pool.run(30, offload.limited, 0.2, "figures", time.sleep, 5)

    try:
        with pytest.raises(TimeoutError, match=r"^figures took over 0.2s$"):
            run(over)
    finally:
        pool.close()
    assert pool.counts.stuck == 0  # the worker's own SIGALRM, not our deadline


def test_auto_runs_in_process_until_the_work_pays_for_a_worker_then_queues_for_it() -> None:
    pool = offload.Offload(1, adaptive=True, warm_after=0.05)

    async def until_handed_over() -> tuple[int, int]:
        calls = 0
        while pool.counts.sent == 0 and calls < 5000:
            await pool.run(30, reading.page_body, PAGE * 20, "Police close lines", "http://x/1")
            calls += 1
        return calls, pool.counts.inline

    try:
        calls, inline = run(until_handed_over)
    finally:
        pool.close()
    assert inline >= 1 and pool.counts.sent == 1 and calls == inline + 1
    assert pool.inline_cpu >= 0.05


def test_a_worker_that_cannot_start_leaves_the_work_in_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = offload.Offload(1, initializer=refuse_to_start)

    async def parse() -> Any:
        return await pool.run(30, reading.page_body, PAGE, "Police close lines", "http://x/1")

    try:
        page = run(parse)
        again = run(parse)
    finally:
        pool.close()
    assert page == again == reading.page_body(PAGE, "Police close lines", "http://x/1")
    assert pool.workers == 0 and pool.counts.inline == 2
    assert "event=workers_unavailable" in caplog.text


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("many", "workers: 'many' is not auto or a number of worker processes (0-16)"),
        ("17", "workers: '17' is not auto or a number of worker processes (0-16)"),
        ("true", "workers: 'True' is not auto or a number of worker processes (0-16)"),
    ],
)
def test_a_bad_workers_value_is_one_line_naming_the_key(value: str, error: str) -> None:
    text = f"workers: {value}\nsources:\n  - name: a\n    url: http://127.0.0.1/feed\n"
    with pytest.raises(ConfigError) as caught:
        parse(text, "config.yaml")
    assert str(caught.value) == f"config.yaml: {error}"
    assert parse(text.replace(value, "auto", 1)).workers == "auto"
    assert parse(text.replace(value, "2", 1)).workers == 2


def _archive(db: Path) -> dict[str, Any]:
    """What a reader of the archive sees: articles, their text, figures and stories."""
    d = Database(db)
    return {
        "articles": sorted(
            d.execute(
                "SELECT url, relevant, matched_terms, body, content_hash FROM articles"
            ).fetchall()
        ),
        "figures": sorted(
            d.execute(
                "SELECT a.url, f.metric, f.value, f.qualifier, f.scope, f.evidence, f.force,"
                " f.period_start, f.operation FROM figures f JOIN articles a"
                " ON a.id = f.article_id"
            ).fetchall()
        ),
        "stories": sorted(
            json.dumps(sorted(r[0].split(",")))
            for r in d.execute(
                "SELECT group_concat(url) FROM articles WHERE story_id IS NOT NULL"
                " GROUP BY story_id"
            ).fetchall()
        ),
    }


def test_a_cycle_archives_the_same_rows_with_a_worker_as_without(
    demo_site: SiteServer, tmp_path: Path
) -> None:
    found = {}
    for workers in (0, 1):
        folder = tmp_path / f"workers-{workers}"
        folder.mkdir()
        config = write_demo_config(folder, demo_site)
        config.write_text(config.read_text().replace("sources:", f"workers: {workers}\nsources:"))
        proc = monitor("run", "--all", "--config", str(config))
        assert "sources polled: 11, sources failed: 0" in proc.stdout
        line = re.search(r"event=workers started=(\d+) sent=(\d+) inline=(\d+)", proc.stderr)
        if workers:  # every feed, page text and figure went to the worker
            assert line is not None and int(line[2]) > 20 and line[3] == "0", proc.stderr
        else:
            assert line is None
        found[workers] = _archive(folder / "archive.db")
    assert found[0]["figures"] and found[0]["stories"]
    assert found[1] == found[0]
    # the story facts read beside the crawl are what placement reads off the stored article
    db = Database(tmp_path / "workers-1" / "archive.db")
    rows = db.execute(
        "SELECT f.facts, a.id, a.title, a.body, a.content_hash, a.url, a.original_url, a.guid,"
        " a.source_id, a.published FROM story_facts f JOIN articles a ON a.id = f.article_id"
    ).fetchall()
    assert len(rows) == db.execute("SELECT count(*) FROM articles WHERE relevant").fetchone()[0]
    for stored, *article in rows:
        db.execute("DELETE FROM story_facts WHERE article_id = ?", [article[0]])
        assert json.loads(stored) == stories._facts_from_article(db, tuple(article))


# `monitor run` in a process that says, as it exits, which costly libraries it loaded
PROBE = (
    "import atexit, sys\n"
    "heavy = ('numpy', 'trafilatura', 'feedparser')\n"
    "atexit.register(lambda: print('LOADED', [m for m in heavy if m in sys.modules],"
    " file=sys.stderr))\n"
    "from monitor.cli import cli\n"
    "cli(sys.argv[1:], prog_name='monitor')\n"
)


def test_the_crawl_process_loads_no_parser_when_a_worker_reads_and_a_re_poll_loads_none(
    demo_site: SiteServer, tmp_path: Path
) -> None:
    config = write_demo_config(tmp_path, demo_site)
    text = config.read_text()
    config.write_text(text.replace("sources:", "workers: 1\nsources:"))

    def probe() -> str:
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, "run", "--all", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stderr

    cold = probe()
    assert "LOADED []" in cold and "event=workers started=1" in cold, cold[-2000:]
    config.write_text(text)  # workers: auto, the default
    again = probe()
    assert "LOADED []" in again and "event=workers" not in again, again[-2000:]
    statuses = re.findall(r"event=poll source=\S+ http=(\d+)", again)
    assert len(statuses) == 11 and set(statuses) == {"304"}, again[-2000:]  # nothing to read


HOLDER = (
    "import asyncio, os, sys, time\n"
    "from monitor import offload\n"
    "pool = offload.Offload(1)\n"
    "print(asyncio.run(pool.run(30, os.getpid)), flush=True)\n"
    "time.sleep(120)\n"
)


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_a_worker_ends_with_the_cycle_that_started_it_even_on_kill_9() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert _running(worker)  # alive while the cycle is
        parent.kill()  # SIGKILL: no handler, no atexit, no pool shutdown
        parent.wait(10)
        for _ in range(100):
            if not _running(worker):
                break
            time.sleep(0.1)
        else:
            os.kill(worker, 9)
            raise AssertionError("the worker outlived its cycle")
    finally:
        if parent.poll() is None:
            parent.kill()
