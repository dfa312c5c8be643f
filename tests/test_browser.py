"""End to end in headless Chromium: `monitor serve` on 127.0.0.1 draws the dashboard's charts."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from monitor.datasette.grow import grow
from tests.test_datasette import GMP_MAY, build_archive

GROWTH = 200  # the grown archive of issue 18 is 5,000x; 200x keeps the test quick

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent (Debian package `chromium`; .ci/run installs it)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(db: Path) -> Iterator[str]:
    """The real `monitor serve` over an archive; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor",
            "serve",
            "--db",
            str(db),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so Datasette goes down with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"monitor serve did not start (exit {proc.poll()}):\n{out}")
                time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`monitor serve` over the fixture archive."""
    with serving(build_archive(tmp_path_factory.mktemp("serve") / "archive.db")) as base:
        yield base


@pytest.fixture(scope="module")
def grown_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`monitor serve` over the fixture archive grown GROWTH times (years of history)."""
    small = build_archive(tmp_path_factory.mktemp("small") / "archive.db")
    grown = grow(small, tmp_path_factory.mktemp("grown") / "archive.db", GROWTH)
    with serving(grown) as base:
        yield base


def chromium(tmp_path: Path, *args: str) -> str:
    """Run headless Chromium with networking extras off; returns stdout."""
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,1600",
        "--virtual-time-budget=5000",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def card(dom: str, chart: str) -> str:
    """The markup of one dashboard card, from its chart div to the next card."""
    start = dom.index(f'id="chart-{chart}"')
    end = dom.find('class="dashboard-card"', start)
    return dom[start:] if end == -1 else dom[start:end]


def test_dashboard_renders_charts(server: str, tmp_path: Path) -> None:
    url = f"{server}/-/dashboards/county-lines?metric=arrests"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    shot.unlink(missing_ok=True)
    chromium(tmp_path, f"--screenshot={shot}", url)
    assert shot.exists() and shot.stat().st_size > 20_000  # a page, not a blank frame

    dom = chromium(tmp_path, "--dump-dom", url)
    for chart in ("figures-over-time", "figures-per-force", "national-totals"):
        drawn = card(dom, chart)
        assert re.search(r'class="[^"]*\bvega-embed\b', drawn), f"{chart} was not embedded"
        assert re.search(r"<(canvas|svg)\b", drawn), f"{chart} has no canvas or svg"
    assert re.search(r">6</p>", card(dom, "stories-count")), "stories metric not drawn"
    latest = card(dom, "latest-stories")
    assert "Two county lines closed in Wigan" in latest and "<table" in latest


def test_story_page_in_browser(server: str, tmp_path: Path) -> None:
    from urllib.parse import urlencode

    query = urlencode({"title": GMP_MAY[0], "_shape": "array"})
    with urllib.request.urlopen(f"{server}/archive/stories.json?{query}", timeout=10) as r:
        import json

        (story,) = json.load(r)
    url = f"{server}/archive/stories/{story['id']}"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "story-page.png"
    shot.unlink(missing_ok=True)
    chromium(tmp_path, f"--screenshot={shot}", url)
    assert shot.exists()
    dom = chromium(tmp_path, "--dump-dom", url)
    assert "Every copy" in dom and "Manchester Evening News" in dom
    assert "More than £16,000 in cash" in dom


def _story_url(server: str, title: str) -> str:
    import json
    from urllib.parse import urlencode

    query = urlencode({"title": title, "_shape": "array", "_sort": "id"})
    with urllib.request.urlopen(f"{server}/archive/stories.json?{query}", timeout=30) as r:
        story = json.load(r)[0]
    return f"{server}/archive/stories/{story['id']}"


def test_dashboard_at_grown_size(grown_server: str, tmp_path: Path) -> None:
    url = f"{grown_server}/-/dashboards/county-lines?metric=arrests"
    dom = chromium(tmp_path, "--dump-dom", url)
    for chart in ("figures-over-time", "figures-per-force", "national-totals"):
        drawn = card(dom, chart)
        assert re.search(r"<(canvas|svg)\b", drawn), f"{chart} has no canvas or svg"
    assert re.search(rf">{6 * GROWTH:,}</p>|>{6 * GROWTH}</p>", card(dom, "stories-count"))
    assert "Two county lines closed in Wigan" in card(dom, "latest-stories")
    assert "These facets timed out" not in dom and "SQL query took too long" not in dom


def test_story_page_at_grown_size(grown_server: str, tmp_path: Path) -> None:
    dom = chromium(tmp_path, "--dump-dom", _story_url(grown_server, GMP_MAY[0]))
    assert "Every copy" in dom and "Manchester Evening News" in dom
    assert "More than £16,000 in cash" in dom and "SHA-256 of the text it read" in dom


def test_dashboard_says_no_figures_instead_of_empty_axes(server: str, tmp_path: Path) -> None:
    dom = chromium(tmp_path, "--dump-dom", f"{server}/-/dashboards/county-lines?metric=funding_gbp")
    for chart in ("figures-over-time", "figures-per-force"):
        drawn = card(dom, chart)
        assert "No figures yet for this choice." in drawn, chart
        assert not re.search(r"<(canvas|svg)\b", drawn), f"{chart} drew empty axes"
