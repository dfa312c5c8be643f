"""Shared fixtures: a real loopback site, real archives, and the real `monitor` command."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from monitor import archive
from monitor.demo import CONFIG as DEMO_CONFIG
from monitor.demo import SITE as DEMO_SITE
from monitor.loopback import SiteServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def archive_db() -> Database:
    """A migrated in-memory archive."""
    return archive.open_archive(":memory:")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A migrated archive file under tmp_path."""
    path = tmp_path / "archive.db"
    archive.open_archive(path).conn.close()
    return path


@pytest.fixture
def demo_site() -> Iterator[SiteServer]:
    """The bundled demo web, served on 127.0.0.1 with a fresh request log per test."""
    with SiteServer(DEMO_SITE) as site:
        yield site


@pytest.fixture
def demo_config(tmp_path: Path, demo_site: SiteServer) -> Path:
    """The demo's config.yaml with its {{BASE}} filled in, written where `monitor run` can read it."""
    path = tmp_path / "config.yaml"
    text = DEMO_CONFIG.read_text().replace("{{BASE}}", demo_site.base)
    path.write_text(text.replace("archive: demo.db", f"archive: {tmp_path / 'archive.db'}"))
    return path


def monitor(
    *args: str, timeout: float = 120, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the real `monitor` command in its own process (Scrapy's reactor runs once per process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or ROOT,
        env=env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"monitor {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def hanging_route(release: threading.Event):  # noqa: ANN201 (a SiteServer route)
    """A route that accepts the request and says nothing until `release` is set (or 60 s)."""

    def hang(handler: object) -> tuple[int, dict[str, str], bytes]:
        release.wait(60)
        return 200, {}, b""

    return hang
