"""Shared fixtures: a real loopback site, real archives, and the real `monitor` command."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from monitor import archive
from monitor.demo import CONFIG as DEMO_CONFIG
from monitor.demo import DEMO_PORT
from monitor.demo import SITE as DEMO_SITE
from monitor.loopback import SiteServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"

# Which tests need a service binary, so `-m "not redis and not browser"` runs where it is absent.
# A module is taken to start one if its name, a fixture it uses, or its text names the program:
# that holds for test files written after this hook, without each remembering a pytestmark.
NEEDS = {
    "redis": re.compile(r"redis", re.IGNORECASE),
    "browser": re.compile(r"chromium|browser|playwright", re.IGNORECASE),
}
STARTS = {  # a string literal naming the program: a comment that mentions it does not count
    "redis": re.compile(r"[\"']redis-server[\"']"),
    "browser": re.compile(r"[\"'][^\"'\n]*chromium[^\"'\n]*[\"']", re.IGNORECASE),
}


def _service_markers(item: pytest.Item, texts: dict[Path, str]) -> set[str]:
    """The service markers `item` earns from its module name, its fixtures or its module text."""
    path = Path(str(item.path))
    if path not in texts:
        texts[path] = path.read_text(errors="replace") if path.suffix == ".py" else ""
    fixtures = " ".join(getattr(item, "fixturenames", ()))
    return {
        name
        for name, pattern in NEEDS.items()
        if pattern.search(path.stem) or pattern.search(fixtures) or STARTS[name].search(texts[path])
    }


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that start redis-server or Chromium (`redis`, `browser`)."""
    texts: dict[Path, str] = {}
    for item in items:
        have = {mark.name for mark in item.iter_markers()}
        for name in _service_markers(item, texts) - have:
            item.add_marker(getattr(pytest.mark, name))


# `monitor demo` serves its sites on one fixed port (monitor.demo.DEMO_PORT). Tests on different
# pytest-xdist workers take this file lock around each demo run, so two never race for the port.
# (A lock, not xdist_group marks: pytest 9.2 ignores the node-id suffix pytest-xdist 3.8 sets.)
_DEMO_LOCK = Path(tempfile.gettempdir()) / f"county-lines-demo-{DEMO_PORT}.lock"
_demo_port_held = False


@contextmanager
def demo_port() -> Iterator[None]:
    """Hold the demo port for this process; a test that holds it may still run the demo."""
    global _demo_port_held
    if _demo_port_held:
        yield
        return
    with _DEMO_LOCK.open("a") as handle:  # closing the file lets go of the flock
        fcntl.flock(handle, fcntl.LOCK_EX)
        _demo_port_held = True
        try:
            yield
        finally:
            _demo_port_held = False


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


def write_demo_config(folder: Path, site: SiteServer) -> Path:
    """The demo's config.yaml with its {{BASE}} filled in and its archive at folder/archive.db."""
    path = folder / "config.yaml"
    text = DEMO_CONFIG.read_text().replace("{{BASE}}", site.base)
    path.write_text(text.replace("archive: demo.db", f"archive: {folder / 'archive.db'}"))
    return path


@pytest.fixture
def demo_config(tmp_path: Path, demo_site: SiteServer) -> Path:
    """The demo's config.yaml with its {{BASE}} filled in, written where `monitor run` can read it."""
    return write_demo_config(tmp_path, demo_site)


def monitor(
    *args: str, timeout: float = 120, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the real `monitor` command in its own process (Scrapy's reactor runs once per process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with demo_port() if args[:1] == ("demo",) else nullcontext():
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
