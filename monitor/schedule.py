"""`monitor daemon`: APScheduler decides when; each cycle is `python -m monitor run` in a child.

Every tick the daemon reads the sources' `next_poll_at` (a cheap query, no Scrapy) and starts a
cycle only when a source is due, so a short tick costs nothing while sources keep their own
cadence. The cycle runs in its own process because Scrapy's reactor cannot restart, because a
hung cycle can be killed, and because its memory goes back to the system when it exits: the
daemon itself stays small and flat (see benchmarks/daemon_memory.py).

Stopping (SIGTERM from systemd, SIGINT from a terminal): no new cycle starts; the cycle in flight
gets SIGTERM, which makes Scrapy close its spiders (polls are written, each article is already
its own transaction); if it has not exited after half the grace period it gets a second SIGTERM
(Scrapy stops at once) and at the end of the grace period SIGKILL (SQLite rolls back whatever
transaction was open). The daemon then exits 0. A second signal to the daemon skips the wait.
SIGHUP reloads the config instead of killing the daemon, and a cycle started by the daemon gets
SIGTERM from the kernel if the daemon itself dies (lifetime.die_with_parent): no orphan cycle runs
on without its hard timeout.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from monitor import config as config_mod
from monitor.archive.store import due_source_ids
from monitor.config import Config

log = logging.getLogger("monitor")
STOP_GRACE_SECONDS = 6.0  # systemd's TimeoutStopSec (90 s by default) must exceed it
HARD_TIMEOUT_MARGIN = 60
POLL_CHILD_SECONDS = 0.1


def sources_due(db_path: str | Path, cfg: Config, when: datetime | None = None) -> list[str]:
    """Enabled sources whose next poll has come, or that the archive has not seen yet."""
    enabled = [s.id for s in cfg.sources if s.enabled]
    if not Path(db_path).exists():
        return enabled
    try:
        con = sqlite3.connect(db_path, timeout=5)
        try:
            known = {r[0] for r in con.execute("SELECT id FROM sources WHERE enabled = 1")}
            due = set(due_source_ids(Database(con), when))  # the one "due" rule
        finally:
            con.close()
    except sqlite3.Error:  # no schema yet, or unreadable: let the cycle report it properly
        return enabled
    return [i for i in enabled if i not in known or i in due]


class Daemon:
    """Runs a cycle per tick when any source is due; one at a time; each one killable."""

    def __init__(
        self,
        config_path: str,
        cfg: Config,
        tick: int,
        *,
        hard_timeout: float | None = None,
        grace: float = STOP_GRACE_SECONDS,
    ) -> None:
        self.config_path = config_path
        self.cfg = cfg
        self.tick = tick
        self.hard_timeout = hard_timeout
        self.grace = grace
        self.stopping = threading.Event()
        self.hurry = threading.Event()
        self.cycles = 0
        self.skipped_ticks = 0
        self._config_mtime = _mtime(config_path)
        self._reload_wanted = False

    @property
    def timeout(self) -> float:
        """The cycle's own limit (CLOSESPIDER_TIMEOUT) plus room to close: then it is killed."""
        if self.hard_timeout is not None:
            return self.hard_timeout
        return self.cfg.cycle_timeout + self.cfg.timeout + HARD_TIMEOUT_MARGIN

    def command(self) -> list[str]:
        """The child: exactly what cron would run."""
        return [
            sys.executable,
            "-m",
            "monitor",
            "run",
            "--config",
            self.config_path,
            "--trigger",
            "daemon",
        ]

    def on_tick(self) -> None:
        """The scheduled job: start a cycle if a source is due (and we are not stopping)."""
        if self.stopping.is_set():
            return
        self._reload_config()
        due = sources_due(self.cfg.archive, self.cfg)
        if due:
            self.cycle(len(due))

    def cycle(self, due: int = 0) -> int | None:
        """One cycle in its own process; returns its exit code (None if it could not start)."""
        self.cycles += 1
        started = time.monotonic()
        try:
            child = subprocess.Popen(self.command(), start_new_session=True)
        except OSError as exc:
            log.error("event=cycle_error cycle=%s error=%r", self.cycles, str(exc))
            return None
        log.info("event=cycle_start cycle=%s pid=%s due=%s", self.cycles, child.pid, due)
        code, maxrss_kb = self._wait(child, started)
        log.log(
            logging.INFO if code == 0 else logging.WARNING,
            "event=cycle_end cycle=%s exit=%s seconds=%.1f child_maxrss_mb=%.0f skipped_ticks=%s",
            self.cycles,
            code,
            time.monotonic() - started,
            maxrss_kb / 1024,
            self.skipped_ticks,
        )
        self.skipped_ticks = 0
        return code

    def _wait(self, child: subprocess.Popen[bytes], started: float) -> tuple[int, int]:
        """Reap the child (with its peak RSS), escalating on stop or on the hard timeout:
        SIGTERM (Scrapy closes its spiders), a second SIGTERM at half the grace period (Scrapy
        stops at once), SIGKILL at its end."""
        signalled: float | None = None
        sent = 0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                child.returncode = code = os.waitstatus_to_exitcode(status)
                return code, usage.ru_maxrss
            now = time.monotonic()
            if signalled is None:
                if self.stopping.is_set() or now - started > self.timeout:
                    if not self.stopping.is_set():
                        log.warning(
                            "event=cycle_timeout cycle=%s seconds=%.0f", self.cycles, now - started
                        )
                    child.send_signal(signal.SIGTERM)
                    signalled, sent = now, 1
            elif sent < 3 and (self.hurry.is_set() or now - signalled > self.grace):
                log.warning("event=cycle_kill cycle=%s pid=%s", self.cycles, child.pid)
                child.kill()
                sent = 3
            elif sent == 1 and now - signalled > self.grace / 2:
                child.send_signal(signal.SIGTERM)
                sent = 2
            time.sleep(POLL_CHILD_SECONDS)

    def stop(self, signum: int, frame: Any) -> None:
        """First signal: finish the cycle in flight and exit. Second: do not wait for it."""
        if self.stopping.is_set():
            self.hurry.set()
        self.stopping.set()
        log.info("event=daemon_stopping signal=%s", signal.Signals(signum).name)

    def reload(self, signum: int, frame: Any) -> None:
        """SIGHUP (a closed terminal, `systemctl reload`): read the config again at the next
        tick; the cycle in flight goes on under this daemon. Never a silent death."""
        self._reload_wanted = True
        log.info("event=reload_requested signal=%s", signal.Signals(signum).name)

    def _reload_config(self) -> None:
        """Pick up an edited config (new sources, new cadence) without a restart."""
        mtime = _mtime(self.config_path)
        if mtime == self._config_mtime and not self._reload_wanted:
            return
        self._reload_wanted = False
        self._config_mtime = mtime
        try:
            self.cfg = config_mod.load(self.config_path)
            log.info("event=config_reloaded sources=%s", len(self.cfg.sources))
        except config_mod.ConfigError as exc:
            log.error("event=config_error error=%r", str(exc))


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def run_daemon(config_path: str, cfg: Config, tick: int) -> None:
    """Block until SIGTERM/SIGINT; the first cycle starts at once."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, JobEvent
    from apscheduler.schedulers.background import BackgroundScheduler

    daemon = Daemon(config_path, cfg, tick)

    def listen(event: JobEvent) -> None:
        if event.code == EVENT_JOB_MAX_INSTANCES:
            daemon.skipped_ticks += 1  # a cycle outlasted the tick: counted, reported at its end
        elif event.code == EVENT_JOB_ERROR:
            log.error("event=tick_error error=%r", str(getattr(event, "exception", "")))

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_listener(listen, EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES)
    scheduler.add_job(
        daemon.on_tick,
        "interval",
        seconds=tick,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
    signal.signal(signal.SIGTERM, daemon.stop)
    signal.signal(signal.SIGINT, daemon.stop)
    signal.signal(signal.SIGHUP, daemon.reload)  # its default action kills the daemon silently
    log.info(
        "event=daemon_start pid=%s tick=%s config=%s archive=%s",
        os.getpid(),
        tick,
        config_path,
        cfg.archive,
    )
    scheduler.start()
    while not daemon.stopping.wait(0.5):
        pass
    scheduler.shutdown(wait=True)
    log.info("event=daemon_stop cycles=%s", daemon.cycles)
