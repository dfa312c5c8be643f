"""`monitor backfill` end to end: the real command walks a loopback web with years of history
(tests/fixtures/backfill/site.py: 30 listing pages, 300 articles, three presets) into a real
archive, beside a live `monitor run`, through failures, a 429 storm and a SIGKILL."""

from __future__ import annotations

import fcntl
import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlite_utils import Database

from monitor.cli import cli
from monitor.config import History
from monitor.dates import utc_iso
from monitor.loopback import SiteServer
from spiders import presets
from tests.conftest import ROOT, monitor
from tests.fixtures.backfill import site as site_mod

SINCE = "2019-01-01"
IN_WINDOW = 296  # 300 articles, 4 NPCC releases from 2018
THREE = ("--source", "kent-police", "--source", "npcc", "--source", "kent-echo")


@pytest.fixture
def site(tmp_path: Path) -> site_mod.HistorySite:
    return site_mod.build()


@pytest.fixture
def server(tmp_path: Path, site: site_mod.HistorySite) -> Iterator[SiteServer]:
    (tmp_path / "www").mkdir()
    with SiteServer(tmp_path / "www") as srv:
        srv.routes.update(site.routes())  # type: ignore[arg-type]
        srv.httpd.handle_error = lambda *a: None  # type: ignore[method-assign]  (the cut page)
        yield srv


@pytest.fixture
def config(tmp_path: Path, server: SiteServer) -> Path:
    base = server.base
    path = tmp_path / "config.yaml"
    path.write_text(
        f"""archive: {tmp_path / "archive.db"}
sources:
  - name: kent-police
    url: {base}/soh/news/kent/news/GetNewsRss/
    type: feed
    kind: police
    force: Kent Police
    history:
      preset: soh-search
      url: {base}/soh/news/news-search/GetPaginatedResults/?q=county+lines&page={{page}}
  - name: npcc
    url: {base}/npcc/releases
    type: html
    kind: police
    selectors: {{item: ".card__body", link: "a.card__link::attr(href)", title: "a.card__link",
                date: "time.card__date", summary: ".card__summary"}}
    date_format: "%d %b %Y"
    history:
      preset: listing-pages
      url: {base}/npcc/releases?page={{page}}
  - name: kent-echo
    url: {base}/paper/rss
    kind: press
    history:
      preset: sitemap
      url: {base}/paper/sitemap-index.xml
  - name: home-office
    url: {base}/govuk/feed.atom
    kind: gov
    history:
      preset: govuk-search
      url: {base}/govuk/api/search.json?q=county+lines&order=-public_timestamp&count=5
  - name: serocu
    url: {base}/wp/feed/
    kind: police
    history:
      preset: wordpress
  - name: serocu-news
    url: {base}/wp/feed/
    kind: police
    history:
      preset: wordpress
      url: {base}/wp/news/
  - name: no-history
    url: {base}/other/rss
"""
    )
    return path


def backfill(config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return monitor("backfill", "--config", str(config), "--since", SINCE, *args, check=check)


def requested(server: SiteServer, path: str) -> list[int]:
    """Page numbers asked for on a paged path, in order."""
    pages = []
    for target, _ in server.requests:
        parts = urlsplit(target)
        if parts.path == path:
            pages.append(int(parse_qs(parts.query).get("page", ["1"])[0]))
    return pages


def in_window(site: site_mod.HistorySite) -> dict[str, site_mod.Page]:
    return {p: page for p, page in site.articles.items() if page.published.year >= 2019}


def test_backfill_archives_each_relevant_article_once_with_figures_and_stories(
    config: Path, server: SiteServer, site: site_mod.HistorySite, tmp_path: Path
) -> None:
    monitor("run", "--config", str(config), "--source", "kent-police")  # a live poll first
    proc = backfill(config, "--rate", "0", *THREE)
    db = Database(tmp_path / "archive.db")
    base = server.base

    rows = {r["url"]: r for r in db["articles"].rows}
    assert set(rows) == {base + p for p in in_window(site)}  # once each, nothing from 2018
    for path, page in in_window(site).items():
        row = rows[base + path]
        assert row["relevant"] == int(page.relevant), path
        if page.relevant:
            lines = db.execute(
                "SELECT value FROM figures WHERE article_id = ? AND metric = 'lines_closed'",
                [row["id"]],
            ).fetchall()
            assert lines == [(page.lines,)], path
    # the SOH search listing says the minute; its dates are UK local time
    first = site.articles[site.soh[7]]
    assert rows[base + site.soh[7]]["published"] == utc_iso(first.published)

    # the five the live poll archived stay its rows (skipped, not doubled)
    live = [r for r in rows.values() if r["run_id"] == 1]
    assert sorted(r["url"] for r in live) == sorted(base + p for p in site.soh[:5])

    # a paper's re-report joins the police release's story, which stays its origin
    for path in site.paper:
        copy, origin = rows[base + path], rows[base + site.articles[path].copy_of]  # type: ignore[operator]
        if copy["relevant"]:
            assert copy["story_id"] == origin["story_id"]
            assert db["stories"].get(origin["story_id"])["origin_article_id"] == origin["id"]
    relevant_releases = sum(p.relevant and not p.copy_of for p in in_window(site).values())
    assert db["stories"].count == relevant_releases

    run = db["runs"].get(2)
    assert (run["trigger"], run["status"], run["sources_polled"]) == ("backfill", "ok", 3)
    assert (run["entries_seen"], run["articles_new"]) == (IN_WINDOW, IN_WINDOW - 5)
    assert "npcc: done, 12 pages, 116 articles, 35 relevant, reached 2018-09-26" in proc.stdout

    # loops end the walks: SOH's search starts again after page 12, NPCC repeats page 12
    assert requested(server, "/soh/news/news-search/GetPaginatedResults/") == list(range(1, 14))
    assert requested(server, "/npcc/releases") == list(range(1, 14))
    paths = [urlsplit(t).path for t, _ in server.requests]
    assert "/paper/sitemaps/part-2016.xml" not in paths  # older than --since: never fetched
    assert paths.count("/paper/sitemaps/loop.xml") == 1

    # a finished backfill is a no-op: not one request
    asked = len(server.requests)
    again = backfill(config, "--rate", "0", *THREE)
    assert len(server.requests) == asked
    assert "articles new: 0" in again.stdout
    status = monitor("status", "--config", str(config)).stdout
    assert "backfill" in status


def test_a_page_that_fails_halfway_stops_its_walk_and_the_next_run_resumes_there(
    config: Path, server: SiteServer, site: site_mod.HistorySite, tmp_path: Path
) -> None:
    site.cut_pages = {5: 2}  # page 5 is cut off halfway, and again on Scrapy's one retry
    first = backfill(config, "--rate", "0", "--source", "npcc")
    assert "npcc: stopped, 4 pages, 40 articles" in first.stdout
    assert "page 5:" in first.stdout  # the reason is on the summary line
    db = Database(tmp_path / "archive.db")
    assert db["articles"].count == 40
    assert db["runs"].get(1)["sources_failed"] == 1

    second = backfill(config, "--rate", "0", "--source", "npcc")
    assert "npcc: done, 12 pages, 116 articles" in second.stdout
    assert db["articles"].count == 116
    assert requested(server, "/npcc/releases") == [1, 2, 3, 4, 5, 5, 5, *range(6, 14)]


def test_a_429_storm_stops_the_walk_and_a_later_run_finishes_it(
    config: Path, server: SiteServer, site: site_mod.HistorySite, tmp_path: Path
) -> None:
    storm = site.paper[0]  # a relevant re-report: its page is fetched
    article = server.routes[storm]
    server.routes[storm] = lambda handler: (429, {"Retry-After": "1"}, b"slow down")
    first = backfill(config, "--rate", "0", "--source", "kent-echo")
    assert "kent-echo: stopped" in first.stdout
    paths = [urlsplit(t).path for t, _ in server.requests]
    assert paths.count(storm) == 6  # asked, then five more times after each Retry-After
    db = Database(tmp_path / "archive.db")
    assert not db["articles"].count_where("url = ?", [server.base + storm])

    server.routes[storm] = article  # the storm is over
    second = backfill(config, "--rate", "0", "--source", "kent-echo")
    assert "kent-echo: done" in second.stdout
    assert db["articles"].count == 60
    assert db["articles"].count_where("url = ? AND relevant = 1", [server.base + storm]) == 1


def test_a_retry_after_is_waited_out_and_the_article_archived(
    config: Path, server: SiteServer, site: site_mod.HistorySite, tmp_path: Path
) -> None:
    site.too_many = 2  # the first two article pages asked for answer 429, Retry-After: 1
    proc = backfill(config, "--rate", "0", "--source", "kent-echo")
    assert "kent-echo: done, 7 pages, 60 articles, 24 relevant" in proc.stdout
    db = Database(tmp_path / "archive.db")
    assert db["articles"].count_where("relevant = 1 AND body IS NOT NULL") == 24


def _cursor_pages(db_path: Path) -> int:
    try:
        with sqlite3.connect(db_path, timeout=5) as conn:
            row = conn.execute("SELECT SUM(next_page - 1) FROM backfill_cursors").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0] or 0)


def test_a_killed_backfill_resumes_where_it_left_off(
    config: Path, server: SiteServer, site: site_mod.HistorySite, tmp_path: Path
) -> None:
    db_path = tmp_path / "archive.db"
    args = ["backfill", "--config", str(config), "--since", SINCE, "--rate", "25", *THREE]
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while _cursor_pages(db_path) < 6 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc.poll() is None, "the backfill finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    db = Database(db_path)
    done_before = {r["source_id"]: r["next_page"] for r in db["backfill_cursors"].rows}
    assert db["runs"].get(1)["status"] == "running"  # killed: nobody closed it

    after = backfill(config, "--rate", "0", *THREE)
    assert db["runs"].get(1)["status"] == "killed"
    assert db["articles"].count == IN_WINDOW
    assert db.execute("SELECT COUNT(DISTINCT url) FROM articles").fetchone()[0] == IN_WINDOW
    assert "kent-police: done, 12 pages, 120 articles" in after.stdout
    for path, source in (
        ("/soh/news/news-search/GetPaginatedResults/", "kent-police"),
        ("/npcc/releases", "npcc"),
    ):
        pages = requested(server, path)
        resumed_at = done_before.get(source, 1)
        # pages before the cursor were read once; the second run started at the cursor
        assert all(pages.count(n) == 1 for n in range(1, resumed_at)), (source, pages)
        assert pages.count(resumed_at) <= 2


def test_ctrl_c_stops_cleanly_and_says_so(config: Path, server: SiteServer, tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    args = ["backfill", "--config", str(config), "--since", SINCE, "--rate", "25", *THREE]
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 120
    while _cursor_pages(db_path) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    read = {pattern: len(listing_pages(server, pattern)) for pattern in LISTINGS}
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert "run 1 interrupted:" in out
    assert "(interrupted (Ctrl-C or SIGTERM): run it again to go on)" in out
    assert Database(db_path)["runs"].get(1)["status"] == "interrupted"
    # each walk stops at the page it is on: at most the one page in flight is read after Ctrl-C
    for pattern, before in read.items():
        assert len(listing_pages(server, pattern)) <= before + 1, pattern
    assert Database(db_path)["articles"].count < IN_WINDOW


# the history pages of the three walks (a search, a paged listing, child sitemaps), not articles
LISTINGS = (r"/soh/news/news-search/GetPaginatedResults/", r"/npcc/releases", r"/paper/sitemaps/.+")


def listing_pages(server: SiteServer, pattern: str) -> list[str]:
    """The history pages asked for whose path matches `pattern`, in order."""
    return [t for t, _ in list(server.requests) if re.fullmatch(pattern, urlsplit(t).path)]


def test_a_backfill_waits_while_monitor_run_holds_the_archive_lock(
    config: Path, server: SiteServer, tmp_path: Path
) -> None:
    db_path = tmp_path / "archive.db"
    with open(f"{db_path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as `monitor run` does for its cycle
        args = ["backfill", "--config", str(config), "--since", SINCE, "--rate", "0"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", *args, "--source", "npcc"],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not requested(server, "/npcc/releases") and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # room to read ahead, which it must not do while its items wait
        # it reads the first page, holds that page's items at the lock, and reads no further
        # (the next page is asked for once the page's items are through: see HistorySpider.then)
        assert len(requested(server, "/npcc/releases")) == 1
        assert Database(db_path)["articles"].count == 0  # and writes nothing meanwhile
        fcntl.flock(lock, fcntl.LOCK_UN)  # the cycle ends
        out, _ = proc.communicate(timeout=120)
    assert "npcc: done, 12 pages, 116 articles" in out
    assert Database(db_path)["articles"].count == 116


def test_govuk_search_api_and_wordpress_feed_pages_are_walked_too(
    config: Path, server: SiteServer, site: site_mod.HistorySite, tmp_path: Path
) -> None:
    proc = backfill(config, "--rate", "0", "--source", "home-office", "--source", "serocu")
    assert "home-office: done, 3 pages, 12 articles, 4 relevant" in proc.stdout
    assert "serocu: done, 2 pages, 10 articles, 4 relevant" in proc.stdout
    db = Database(tmp_path / "archive.db")
    for path in site.npcc[:12]:
        row = next(db["articles"].rows_where("url = ?", [server.base + path]))
        assert (row["source_id"], row["published"]) == (
            "home-office",
            utc_iso(site.articles[path].published),
        )
    starts = [parse_qs(urlsplit(t).query).get("start", ["0"])[0] for t, _ in server.requests
              if urlsplit(t).path == "/govuk/api/search.json"]  # fmt: skip
    assert starts == ["0", "5", "10", "15"]  # the fourth page is empty: the end


def test_an_undated_listing_takes_each_date_from_the_article_page(
    config: Path, server: SiteServer, site: site_mod.HistorySite, tmp_path: Path
) -> None:
    proc = backfill(config, "--rate", "0", "--source", "serocu-news")
    assert "serocu-news: done, 3 pages, 15 articles, 6 relevant" in proc.stdout
    db = Database(tmp_path / "archive.db")
    for path in site.soh[10:25]:
        row = next(db["articles"].rows_where("url = ?", [server.base + path]))
        page = site.articles[path]
        if page.relevant or "cannabis" in page.title:  # fetched: the page says when
            assert row["published"] == utc_iso(page.published), path


def test_robots_txt_is_obeyed(config: Path, server: SiteServer, tmp_path: Path) -> None:
    robots = b"User-agent: *\nDisallow: /npcc/\n"
    server.routes["/robots.txt"] = lambda handler: (200, {"Content-Type": "text/plain"}, robots)
    proc = backfill(config, "--rate", "0", "--source", "npcc")
    assert "npcc: stopped, 0 pages" in proc.stdout and "robots.txt" in proc.stdout
    assert requested(server, "/npcc/releases") == []


def test_until_keeps_only_the_window(config: Path, tmp_path: Path) -> None:
    proc = backfill(config, "--rate", "0", "--source", "npcc", "--until", "2020-12-31")
    assert "npcc: done" in proc.stdout
    published = [
        r[0] for r in Database(tmp_path / "archive.db").execute("SELECT published FROM articles")
    ]
    assert published and all("2018-12-31" < p[:10] <= "2020-12-31" for p in published)


def test_mistakes_are_one_line_naming_the_source(runner, config: Path) -> None:  # noqa: ANN001
    result = runner.invoke(
        cli, ["backfill", "--config", str(config), "--since", SINCE, "--source", "no-history"]
    )
    assert result.exit_code == 1
    assert "Error: sources[6] (no-history): no history: to walk" in result.output
    result = runner.invoke(
        cli, ["backfill", "--config", str(config), "--since", SINCE, "--source", "nope"]
    )
    assert result.exit_code == 1 and "no source named 'nope'" in result.output
    result = runner.invoke(cli, ["backfill", "--config", str(config), "--since", "01/01/2019"])
    assert result.exit_code == 2 and "--since" in result.output


@pytest.mark.parametrize(
    ("preset", "url", "page", "expected"),
    [
        (
            "listing-pages",
            "https://news.npcc.police.uk/releases?page={page}",
            3,
            "https://news.npcc.police.uk/releases?page=3",
        ),
        (
            "listing-pages",
            "https://news.npcc.police.uk/releases",
            1,
            "https://news.npcc.police.uk/releases",
        ),
        (
            "listing-pages",
            "https://news.npcc.police.uk/releases",
            2,
            "https://news.npcc.police.uk/releases?page=2",
        ),
        ("wordpress", "https://serocu.police.uk/news/", 4, "https://serocu.police.uk/news/page/4/"),
        (
            "wordpress",
            "https://serocu.police.uk/feed/",
            4,
            "https://serocu.police.uk/feed/?paged=4",
        ),
        (
            "govuk-search",
            "https://www.gov.uk/search/news-and-communications.atom?keywords=county+lines",
            2,
            "https://www.gov.uk/search/news-and-communications.atom?keywords=county+lines&page=2",
        ),
        (
            "govuk-search",
            "https://www.gov.uk/api/search.json?q=county+lines&count=50",
            3,
            "https://www.gov.uk/api/search.json?q=county+lines&count=50&start=100",
        ),
    ],
)
def test_each_preset_knows_its_page_n(preset: str, url: str, page: int, expected: str) -> None:
    history = History.model_validate({"preset": preset, "url": url})
    assert presets.history_page_url(history, url, page) == expected


def test_govuk_search_api_and_news_sitemap_rows() -> None:
    from scrapy.http import TextResponse

    body = (
        b'{"results": [{"title": "County lines funding", "link": "/government/news/county-lines",'
        b' "description": "More money", "public_timestamp": "2024-10-16T10:00:02.000+01:00"}]}'
    )
    response = TextResponse("https://www.gov.uk/api/search.json?q=x", body=body)
    assert presets.govuk_search_rows(response) == [
        {
            "link": "/government/news/county-lines",
            "title": "County lines funding",
            "date": "2024-10-16T10:00:02.000+01:00",
            "summary": "More money",
        }
    ]
    news = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        b' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
        b"<loc>https://p.example/a/</loc><lastmod>2024-10-20</lastmod><news:news>"
        b"<news:publication_date>2024-10-16T09:00:00+01:00</news:publication_date>"
        b"<news:title>Lines closed</news:title></news:news></url></urlset>"
    )
    assert presets.read_sitemap(news).rows == [
        {
            "link": "https://p.example/a/",
            "title": "Lines closed",
            "date": "2024-10-16T09:00:00+01:00",
        }
    ]


def test_a_live_cycle_leaves_a_running_backfill_alone(archive_db: Database) -> None:
    from monitor import archive

    backfill_run = archive.start_run(archive_db, "backfill")
    cron_run = archive.start_run(archive_db, "cron")
    archive.close_abandoned_runs(archive_db)  # what `monitor run` does under its lock
    assert archive_db["runs"].get(cron_run)["status"] == "killed"
    assert archive_db["runs"].get(backfill_run)["status"] == "running"
    archive.close_abandoned_runs(archive_db, backfill=True)  # the next backfill, under its own
    assert archive_db["runs"].get(backfill_run)["status"] == "killed"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_per_source_on_a_terminal_and_plain_lines_elsewhere() -> None:
    from monitor.archive.backfill_state import Cursor
    from monitor.backfill.progress import Progress
    from monitor.backfill.walk import Walk
    from monitor.config import Source

    def walk(name: str, reached: str | None, status: str = "walking") -> Walk:
        source = Source.model_validate({"name": name, "url": "https://example.org/feed"})
        cursor = Cursor(name, "sitemap", "2020-01-01", "2024-01-01", status=status, next_page=4)
        cursor.pages, cursor.articles, cursor.relevant, cursor.reached = 3, 30, 7, reached
        return Walk(source, cursor)

    walks = [walk("halfway", "2021-12-31T12:00:00+00:00"), walk("done", None, "done")]
    screen = _Terminal()
    progress = Progress(walks, screen)
    progress.update(walks[0])
    progress.update(walks[1])
    frames = screen.getvalue().split("\x1b[2F")  # the second frame redraws both bars in place
    assert len(frames) == 2
    assert frames[1].splitlines() == [
        "\x1b[2K[##########..........]  50% halfway: 3 pages, 30 articles, 7 relevant,"
        " reached 2021-12-31",
        "\x1b[2K[####################] 100% done: 3 pages, 30 articles, 7 relevant, reached -"
        " [done]",
    ]
    log = io.StringIO()
    Progress(walks, log).update(walks[0])
    assert log.getvalue() == (
        "backfill halfway: 3 pages, 30 articles, 7 relevant, reached 2021-12-31\n"
    )


def test_a_resumed_walk_passes_over_pages_pushed_down_by_new_news() -> None:
    from monitor.archive.backfill_state import Cursor
    from monitor.backfill.walk import Walk
    from monitor.config import Source
    from monitor.items import Article, Entry

    def articles(*days: str) -> list[Article]:
        return [
            Article(
                Entry(
                    "s",
                    f"https://x.example/{d}",
                    f"https://x.example/{d}",
                    "t",
                    published=f"{d}T09:00:00+00:00",
                )
            )
            for d in days
        ]

    source = Source.model_validate(
        {"name": "s", "url": "https://x.example/feed", "history": {"preset": "listing-pages"}}
    )
    cursor = Cursor(
        "s", "listing-pages", "2020-01-01", next_page=3, reached="2024-05-01T09:00:00+00:00"
    )
    walk = Walk(source, cursor)  # resumed at page 3; since then a page's worth of news came out
    assert walk.take_page(3, articles("2024-05-03", "2024-05-02")) == []
    assert not walk.stopping and walk.cursor.next_page == 4  # passed over, the walk goes on
    kept = walk.take_page(4, articles("2024-05-01", "2024-04-20"))
    assert len(kept) == 2 and walk.cursor.next_page == 4  # waiting for the pipeline
    for _ in kept:
        walk.item_done(4, relevant=False, failure=None)
    assert (walk.cursor.next_page, walk.cursor.pages, walk.cursor.articles) == (5, 1, 2)
    assert walk.take_page(5, articles("2024-05-03", "2024-05-02")) == []  # seen: a loop
    assert walk.cursor.status == "done" and "loop" in walk.why_end
