"""`monitor daemon`: APScheduler decides when; each cycle is `python -m monitor run` in a child."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from monitor.config import Config

log = logging.getLogger("monitor")


class Daemon:
    """Starts a cycle every tick (sources decide for themselves whether they are due)."""

    def __init__(self, config_path: str, cfg: Config, tick: int) -> None:
        self.config_path = config_path
        self.cfg = cfg
        self.tick = tick
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()

    def cycle(self) -> None:
        """One cycle in its own process: Scrapy's reactor cannot restart, and a hang is killable."""
        if self.stopping.is_set():
            return
        cmd = [
            sys.executable,
            "-m",
            "monitor",
            "run",
            "--config",
            self.config_path,
            "--trigger",
            "daemon",
        ]
        self.child = subprocess.Popen(cmd)
        try:
            code = self.child.wait(timeout=self.cfg.cycle_timeout + 60)
            log.info("event=cycle_end exit=%s", code)
        except subprocess.TimeoutExpired:
            log.warning("event=cycle_timeout seconds=%s", self.cfg.cycle_timeout + 60)
            self.child.kill()
            self.child.wait()
        finally:
            self.child = None

    def stop(self, signum: int, frame: Any) -> None:
        """Pass the signal to the cycle in flight (Scrapy closes cleanly) and stop scheduling."""
        self.stopping.set()
        if self.child and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)


def run_daemon(config_path: str, cfg: Config, tick: int) -> None:
    """Block until SIGTERM/SIGINT; the first cycle starts at once."""
    from apscheduler.schedulers.background import BackgroundScheduler

    daemon = Daemon(config_path, cfg, tick)
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        daemon.cycle,
        "interval",
        seconds=tick,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    signal.signal(signal.SIGTERM, daemon.stop)
    signal.signal(signal.SIGINT, daemon.stop)
    scheduler.start()
    log.info("event=daemon_start tick=%s", tick)
    while not daemon.stopping.wait(1):
        pass
    scheduler.shutdown(wait=True)
    log.info("event=daemon_stop")
