"""Polling behaviour of real `monitor run` processes against scripted loopback servers.

Each `monitor run` costs a process start (~1.5 s), so one run serves several scripted sources.
"""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor import health
from monitor.loopback import SiteServer
from tests.conftest import FIXTURES, hanging_route, monitor

ATOM = (FIXTURES / "feeds" / "gov-uk-updated-only.atom").read_bytes()


def rss(base: str, count: int, ttl: int | None = None) -> bytes:
    """A small RSS feed whose items link back to the loopback site."""
    items = "".join(
        f"<item><title>County lines operation {i}</title><link>{base}/news/{i}</link>"
        f"<guid>{base}/news/{i}</guid><pubDate>Mon, 03 Mar 2025 09:{i:02d}:00 GMT</pubDate>"
        f"<description>Officers closed line {i}.</description></item>"
        for i in range(count)
    )
    head = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Test force</title>'
        f"<link>{base}/</link>{head}{items}</channel></rss>"
    ).encode()


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer(FIXTURES / "feeds") as server:
        yield server


def write_config(tmp_path: Path, sources: dict[str, str], options: str = "") -> Path:
    """Sources every 30m that read only their feed (no article pages: fast and offline)."""
    lines = [f"archive: {tmp_path / 'a.db'}", *options.splitlines(), "sources:"]
    for name, url in sources.items():
        lines += [
            f"  - name: {name}",
            f"    url: {url}",
            "    kind: gov",
            "    every: 30m",
            "    fetch_articles: false",
        ]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(cfg: Path, tmp_path: Path, *extra: str) -> Database:
    monitor("run", "--all", "--config", str(cfg), "--db", str(tmp_path / "a.db"), *extra)
    return Database(tmp_path / "a.db")


def status(code: int, headers: dict[str, str] | None = None, body: bytes = b""):  # noqa: ANN201
    return lambda handler: (code, headers or {}, body)


def wait_until(at: str | None) -> timedelta:
    assert at is not None
    return datetime.fromisoformat(at) - datetime.now(UTC)


def last_poll(db: Database, source_id: str) -> dict:
    return next(
        db.query(
            "SELECT http_status, entries, new_entries, error FROM polls"
            " WHERE source_id = ? ORDER BY id DESC LIMIT 1",
            [source_id],
        )
    )


@pytest.mark.slow  # four real cycles
def test_a_site_over_four_polls(site: SiteServer, tmp_path: Path) -> None:
    """304s, validators that lie, a 301 that repeats, a 302, and a 500 that goes away."""
    feed = rss(site.base, 3)
    liar_polls = []

    def liar(handler: object) -> tuple[int, dict[str, str], bytes]:
        liar_polls.append(1)  # a fresh ETag every time and never a 304: only the hash tells
        return 200, {"ETag": f'"v{len(liar_polls)}"', "Content-Type": "application/rss+xml"}, feed

    site.routes["/liar.xml"] = liar
    site.routes["/moved.atom"] = status(301, {"Location": f"{site.base}/gov-uk-updated-only.atom"})
    site.routes["/away.atom"] = status(302, {"Location": f"{site.base}/gov-uk-updated-only.atom"})
    site.routes["/flaky.atom"] = status(500)
    cfg = write_config(
        tmp_path,
        {
            "gov": f"{site.base}/gov-uk-updated-only.atom",
            "liar": f"{site.base}/liar.xml",
            "moved": f"{site.base}/moved.atom",
            "away": f"{site.base}/away.atom",
            "flaky": f"{site.base}/flaky.atom",
        },
    )

    db = run(cfg, tmp_path)  # poll 1
    gov = db["sources"].get("gov")
    assert gov["etag"] and gov["status"] == "ok"
    assert last_poll(db, "liar") == {
        "http_status": 200,
        "entries": 3,
        "new_entries": 3,
        "error": None,
    }
    articles = db["articles"].count

    db = run(cfg, tmp_path)  # poll 2
    feed_requests = [h for p, h in site.requests if p == "/gov-uk-updated-only.atom"]
    assert feed_requests[-1]["if-none-match"] == gov["etag"]
    assert feed_requests[-1]["if-modified-since"] == gov["last_modified"]
    assert last_poll(db, "gov") == {
        "http_status": 304,
        "entries": 0,
        "new_entries": 0,
        "error": None,
    }
    # The liar sent a new ETag and the same bytes: the body hash says nothing changed.
    assert last_poll(db, "liar") == {
        "http_status": 200,
        "entries": 0,
        "new_entries": 0,
        "error": None,
    }
    assert db["sources"].get("liar")["etag"] == '"v2"'
    assert db["articles"].count == articles
    flaky = db["sources"].get("flaky")
    assert (flaky["status"], flaky["error_score"]) == ("failing", 1.0)  # two 5xx at 0.5
    assert wait_until(flaky["next_poll_at"]) > timedelta(minutes=55)  # 30m stretched by 2
    # One 301 is not enough to move a source; a 302 never is.
    assert db["sources"].get("moved")["url"] == f"{site.base}/moved.atom"

    del site.routes["/flaky.atom"]
    site.routes["/flaky.atom"] = lambda h: (200, {"Content-Type": "application/atom+xml"}, ATOM)
    db = run(cfg, tmp_path)  # poll 3: the 301 has now repeated three times
    assert db["sources"].get("moved")["url"] == f"{site.base}/gov-uk-updated-only.atom"
    assert db["sources"].get("away")["url"] == f"{site.base}/away.atom"
    flaky = db["sources"].get("flaky")
    assert (flaky["status"], flaky["error_score"], flaky["last_error"]) == ("ok", 0.0, None)

    run(cfg, tmp_path)  # poll 4 goes straight to the new address
    paths = [p for p, _ in site.requests]
    assert paths.count("/moved.atom") == health.REDIRECTS_TO_ADOPT
    assert paths.count("/away.atom") == 4
    assert db["articles"].count == articles + 0  # nothing was ever archived twice


def test_what_servers_ask_for_sets_the_next_poll(site: SiteServer, tmp_path: Path) -> None:
    """429 and 503 Retry-After (seconds and HTTP-date), max-age, feed TTL, 410, a challenge."""
    in_two_hours = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    site.routes["/busy.atom"] = status(429, {"Retry-After": "7200"})
    site.routes["/down.atom"] = status(503, {"Retry-After": in_two_hours})
    site.routes["/old.atom"] = status(410)
    site.routes["/cached.xml"] = status(200, {"Cache-Control": "public, max-age=7200"}, rss("x", 1))
    site.routes["/ttl.xml"] = status(200, {}, rss(site.base, 1, ttl=180))
    cfg = write_config(
        tmp_path,
        {
            name: f"{site.base}/{path}"
            for name, path in [
                ("busy", "busy.atom"),
                ("down", "down.atom"),
                ("old", "old.atom"),
                ("cached", "cached.xml"),
                ("ttl", "ttl.xml"),
                ("walled", "challenge.html"),
            ]
        },
    )
    db = run(cfg, tmp_path)
    src = {r["id"]: r for r in db["sources"].rows}
    assert (src["busy"]["status"], src["busy"]["last_error"]) == ("failing", "HTTP 429")
    assert (src["down"]["status"], src["down"]["last_error"]) == ("failing", "HTTP 503")
    for name in ("busy", "down", "cached"):
        assert wait_until(src[name]["next_poll_at"]) > timedelta(seconds=7000), name
    assert wait_until(src["ttl"]["next_poll_at"]) > timedelta(hours=2, minutes=55)
    paths = [p for p, _ in site.requests]
    assert paths.count("/busy.atom") == 1  # no instant retry of a 429
    assert (src["old"]["status"], src["old"]["error_score"]) == ("gone", 1.0)
    assert wait_until(src["old"]["next_poll_at"]) > timedelta(hours=23)  # looked at daily
    walled = src["walled"]
    assert walled["status"] == "failing" and walled["last_error"].startswith("NotAFeed: not a feed")
    assert walled["last_success_at"] is None


def test_a_server_that_never_answers_cannot_stall_the_cycle(
    site: SiteServer, tmp_path: Path
) -> None:
    """The server accepts the connection and reads the request, then says nothing at all."""
    release = threading.Event()
    site.routes["/hang.xml"] = hanging_route(release)
    site.httpd.handle_error = lambda *args: None  # the late answer meets a closed socket
    site.routes["/ok.xml"] = status(200, {}, rss(site.base, 2))
    cfg = write_config(
        tmp_path, {"hang": f"{site.base}/hang.xml", "ok": f"{site.base}/ok.xml"}, "timeout: 2"
    )
    started = time.monotonic()
    try:
        db = run(cfg, tmp_path)
    finally:
        release.set()
    assert time.monotonic() - started < 20
    hung = db["sources"].get("hang")
    assert hung["status"] == "failing" and hung["error_score"] == 0.5
    assert "TimeoutError" in hung["last_error"] or "took longer" in hung["last_error"]
    assert last_poll(db, "ok")["new_entries"] == 2
    assert db["runs"].get(1)["status"] == "ok"


def test_whole_network_outage_is_not_blamed_on_each_source(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path, {"a": "http://127.0.0.1:9/a.atom", "b": "http://127.0.0.2:9/b.atom"}
    )
    proc = monitor("run", "--all", "--config", str(cfg))
    assert "every source failed: check this machine's network" in proc.stdout
    db = Database(tmp_path / "a.db")
    assert {r["error_score"] for r in db["sources"].rows} == {0.0}
    assert {r["status"] for r in db["sources"].rows} == {"ok"}
    assert db["runs"].get(1)["status"] == "all_failed"
    assert db["polls"].count == 2


def test_overlapping_run_exits_zero_saying_already_running(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {"a": "http://127.0.0.1:9/a.atom"})
    db = tmp_path / "a.db"
    with open(f"{db}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = monitor("run", "--config", str(cfg), "--db", str(db))
    assert proc.returncode == 0
    assert "already running" in proc.stdout
    assert not db.exists()


def test_robots_txt_is_obeyed_and_remembered_for_a_day(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = status(
        200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
    )
    site.routes["/private/feed.atom"] = status(200, {"Content-Type": "application/atom+xml"}, ATOM)
    cfg = write_config(
        tmp_path,
        {
            "open": f"{site.base}/gov-uk-updated-only.atom",
            "walled": f"{site.base}/private/feed.atom",
        },
    )
    db = run(cfg, tmp_path)
    run(cfg, tmp_path)
    paths = [p for p, _ in site.requests]
    assert paths.count("/robots.txt") == 1  # the second cycle read it from the archive
    assert "/private/feed.atom" not in paths  # and still obeyed it
    assert db["sources"].get("walled")["status"] == "blocked"
    assert db["sources"].get("open")["status"] == "ok"


@pytest.mark.slow  # two cycles, a retried 503
def test_article_page_that_fails_is_retried_next_cycle_not_lost(
    site: SiteServer, tmp_path: Path
) -> None:
    site.routes["/force.xml"] = status(
        200, {"Content-Type": "application/rss+xml"}, rss(site.base, 1)
    )
    answers = [503, 503, 200]  # Scrapy retries once within the cycle
    page = (
        b"<html><body><article><h1>County lines operation 0</h1><p>Officers closed a "
        b"county line and arrested 12 people in a week of action.</p></article></body></html>"
    )
    site.routes["/news/0"] = lambda h: (answers.pop(0), {"Content-Type": "text/html"}, page)
    lines = [
        f"archive: {tmp_path / 'a.db'}",
        "sources:",
        "  - name: force",
        f"    url: {site.base}/force.xml",
        "    kind: police",
        "    every: 30m",
    ]
    cfg = tmp_path / "config.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    db = run(cfg, tmp_path)
    assert db["articles"].count == 0  # not archived half-read from its feed fields
    assert db["sources"].get("force")["etag"] is None  # so the feed is read again
    db = run(cfg, tmp_path)
    (article,) = db["articles"].rows
    assert article["relevant"] == 1 and article["http_status"] == 200
    assert ("arrests", 12.0) in {(f["metric"], f["value"]) for f in db["figures"].rows}


def test_absurd_cache_headers_neither_crash_nor_hide_a_source(
    site: SiteServer, tmp_path: Path
) -> None:
    site.routes["/long.xml"] = status(
        200,
        {"Content-Type": "application/rss+xml", "Cache-Control": "max-age=" + "9" * 5000},
        rss(site.base, 2),
    )
    site.routes["/odd.xml"] = status(503, {"Retry-After": "\u00b2"})
    cfg = write_config(tmp_path, {"long": f"{site.base}/long.xml", "odd": f"{site.base}/odd.xml"})
    db = run(cfg, tmp_path)
    long, odd = db["sources"].get("long"), db["sources"].get("odd")
    assert (long["status"], last_poll(db, "long")["entries"]) == ("ok", 2)
    assert (odd["status"], odd["last_error"]) == ("failing", "HTTP 503")
