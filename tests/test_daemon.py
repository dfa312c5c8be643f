"""`monitor daemon`: the real process on a loopback site, stopped with SIGTERM; and its parts."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from monitor import archive, config, schedule
from monitor.loopback import SiteServer
from tests.conftest import FIXTURES, ROOT, hanging_route
from tests.test_polling import rss, status, write_config


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer(FIXTURES / "feeds") as server:
        server.httpd.handle_error = lambda *args: None  # answers to a client that left
        yield server


def start_daemon(cfg: Path, tick: int = 1) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "daemon", "--config", str(cfg), "--tick", str(tick)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def eventually(check: Callable[[], object], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def query(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        con.close()


def stop(proc: subprocess.Popen[str], within: float) -> tuple[float, str]:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    return time.monotonic() - started, err


@pytest.mark.slow  # two daemon cycles and idle ticks
def test_daemon_polls_at_once_skips_idle_ticks_and_stops_on_sigterm(
    site: SiteServer, tmp_path: Path
) -> None:
    site.routes["/force.xml"] = status(200, {}, rss(site.base, 3))
    cfg = write_config(tmp_path, {"force": f"{site.base}/force.xml"})
    db = tmp_path / "a.db"
    proc = start_daemon(cfg, tick=1)
    try:
        # The first cycle starts at once, not a tick later.
        eventually(lambda: query(db, "SELECT 1 FROM runs WHERE finished_at IS NOT NULL"))
        # Nothing is due for 30 minutes: ticks pass without starting a process.
        time.sleep(2.5)
        assert query(db, "SELECT COUNT(*) FROM runs") == [(1,)]
        # The source comes due: the next tick polls it.
        con = sqlite3.connect(db)
        with con:
            con.execute("UPDATE sources SET next_poll_at = NULL")
        con.close()
        eventually(lambda: query(db, "SELECT COUNT(*) FROM polls") == [(2,)])
    finally:
        seconds, err = stop(proc, within=5)
    assert proc.returncode == 0, err
    assert seconds < 5
    assert "event=daemon_start" in err and "event=cycle_start" in err
    assert "event=daemon_stop cycles=2" in err
    assert query(db, "SELECT trigger, status FROM runs") == [("daemon", "ok")] * 2
    assert query(db, "SELECT COUNT(*) FROM articles") == [(3,)]


def test_sigterm_mid_cycle_keeps_finished_polls_and_leaves_the_rest_due(
    site: SiteServer, tmp_path: Path
) -> None:
    """One source answered, one never will: SIGTERM, and the daemon exits 0 within seconds."""
    release = threading.Event()
    site.routes["/hang.xml"] = hanging_route(release)
    site.routes["/quick.xml"] = status(200, {}, rss(site.base, 2))
    cfg = write_config(
        tmp_path,
        {"quick": f"{site.base}/quick.xml", "hang": f"{site.base}/hang.xml"},
        "timeout: 60",
    )
    db = tmp_path / "a.db"
    proc = start_daemon(cfg, tick=3600)
    try:
        eventually(lambda: query(db, "SELECT 1 FROM polls WHERE source_id = 'quick'"))
        eventually(lambda: any(p == "/hang.xml" for p, _ in site.requests))
    finally:
        seconds, err = stop(proc, within=15)
        release.set()
    assert proc.returncode == 0, err
    assert seconds < schedule.STOP_GRACE_SECONDS + 3
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT COUNT(*) FROM articles") == [(2,)]
    # The quick source's poll was written when its articles were; the hung one is untouched:
    # no poll, no blame, still due.
    assert query(db, "SELECT source_id, http_status FROM polls") == [("quick", 200)]
    assert query(db, "SELECT status, error_score, next_poll_at FROM sources WHERE id = 'hang'") == [
        ("ok", 0.0, None)
    ]
    assert query(db, "SELECT sources_polled, articles_new FROM runs") == [(1, 2)]


class Stubborn(schedule.Daemon):
    """A cycle that hangs and ignores SIGTERM, like a wedged child; it creates the file named by
    `ready` once SIGTERM is ignored, so a test can wait for that instead of a fixed time."""

    ready = Path("/nonexistent")

    def command(self) -> list[str]:
        code = (
            "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "open(sys.argv[1], 'w').close(); time.sleep(60)"
        )
        return [sys.executable, "-c", code, str(self.ready)]


D = TypeVar("D", bound=schedule.Daemon)


def make_daemon(cls: type[D], tmp_path: Path, **kwargs: float) -> D:
    cfg_path = write_config(tmp_path, {"a": "http://127.0.0.1:9/a.xml"})
    return cls(str(cfg_path), config.load(str(cfg_path)), 1, **kwargs)


def test_a_hung_cycle_is_killed_at_the_hard_timeout(tmp_path: Path) -> None:
    daemon = make_daemon(Stubborn, tmp_path, hard_timeout=0.5, grace=1.0)
    started = time.monotonic()
    assert daemon.cycle() == -signal.SIGKILL
    assert time.monotonic() - started < 4
    # The next cycle is not blocked by the last one.
    assert daemon.cycle() == -signal.SIGKILL and daemon.cycles == 2


def test_stopping_ends_the_cycle_in_flight(tmp_path: Path) -> None:
    daemon = make_daemon(Stubborn, tmp_path, grace=1.0)
    daemon.ready = tmp_path / "ready"
    codes: list[int | None] = []
    worker = threading.Thread(target=lambda: codes.append(daemon.cycle()))
    worker.start()
    eventually(daemon.ready.exists)
    daemon.stop(signal.SIGTERM, None)
    worker.join(5)
    assert codes == [-signal.SIGKILL]
    daemon.on_tick()  # no new cycle once stopping
    assert daemon.cycles == 1


def test_sources_due_reads_next_poll_times(tmp_path: Path) -> None:
    cfg_path = write_config(
        tmp_path, {name: f"http://127.0.0.1:9/{name}.xml" for name in ("a", "b", "c", "d")}
    )
    cfg = config.load(str(cfg_path))
    db_path = tmp_path / "a.db"
    assert schedule.sources_due(db_path, cfg) == ["a", "b", "c", "d"]  # no archive yet
    db = archive.open_archive(db_path)
    archive.sync_sources(db, cfg)
    now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    db["sources"].update("a", {"next_poll_at": (now + timedelta(minutes=5)).isoformat()})
    db["sources"].update("b", {"next_poll_at": (now - timedelta(minutes=5)).isoformat()})
    db["sources"].update("c", {"next_poll_at": (now + timedelta(hours=1)).isoformat()})
    db.execute("DELETE FROM sources WHERE id = 'd'")  # configured, never synced: due
    assert schedule.sources_due(db_path, cfg, now) == ["b", "d"]
    assert schedule.sources_due(db_path, cfg, now + timedelta(minutes=10)) == ["a", "b", "d"]
