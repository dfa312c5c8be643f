"""End to end: the real `monitor run` over the demo web on loopback, read back from SQLite.

What the demo web holds, article by article, is in monitor/demo/EXPECTED.md.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor.demo import SITE as DEMO_SITE
from monitor.loopback import SiteServer
from tests.conftest import monitor, write_demo_config

SEED_H7 = {
    ("lines_closed", 172.0, "exact"),
    ("arrests", 1360.0, "exact"),
    ("weapons_seized", 321.0, "exact"),
    ("drugs_value_gbp", 2700000.0, "more_than"),
    ("cash_seized_gbp", 987562.0, "exact"),
    ("firearms_seized", 43.0, "exact"),
    ("safeguarded", 1255.0, "exact"),
}
ECHO = "/echo/news/23052917.police-close-172-county-drug-lines-one-week/"


def run_demo_cycle(config: Path) -> Database:
    """One real cycle over every demo source, into the archive beside `config`."""
    proc = monitor("run", "--all", "--config", str(config))
    assert "sources polled: 11, sources failed: 0" in proc.stdout
    return Database(config.parent / "archive.db")


@pytest.fixture(scope="module")
def shared_site() -> Iterator[SiteServer]:
    """The demo web for the tests that only read what the first cycle left (one site, one log)."""
    with SiteServer(DEMO_SITE) as site:
        yield site


@pytest.fixture(scope="module")
def shared_config(tmp_path_factory: pytest.TempPathFactory, shared_site: SiteServer) -> Path:
    return write_demo_config(tmp_path_factory.mktemp("pipeline"), shared_site)


@pytest.fixture(scope="module")
def first_run(shared_config: Path) -> Database:
    """One real cycle over every demo source, shared by the tests that only read its result."""
    return run_demo_cycle(shared_config)


@pytest.fixture
def copy_config(first_run: Database, shared_site: SiteServer, tmp_path: Path) -> Path:
    """A config whose archive is a copy of the first cycle's, for a test that runs more cycles
    after it: the shared archive stays as the first cycle left it."""
    copy = sqlite3.connect(tmp_path / "archive.db")
    first_run.conn.backup(copy)
    copy.close()
    return write_demo_config(tmp_path, shared_site)


def test_every_entry_is_archived_once(first_run: Database) -> None:
    assert first_run["articles"].count == 34  # 35 entries, one tracking-tagged duplicate
    assert first_run["sources"].count == 11
    run = first_run["runs"].get(1)
    assert (run["status"], run["sources_polled"], run["entries_seen"], run["articles_new"]) == (
        "ok",
        11,
        35,
        34,
    )


def test_seed_announcement_is_one_story_with_its_national_figures(
    first_run: Database, shared_site: SiteServer
) -> None:
    origin_url = (
        f"{shared_site.base}/npcc/releases/"
        "record-172-county-lines-closed-in-a-single-week-of-action/"
    )
    origin = next(first_run["articles"].rows_where("url = ?", [origin_url]))
    story = first_run["stories"].get(origin["story_id"])
    assert story["origin_article_id"] == origin["id"]
    national = {
        (r["metric"], r["value"], r["qualifier"])
        for r in first_run.query(
            "SELECT * FROM story_figures WHERE story_id = ? AND scope = 'national'", [story["id"]]
        )
    }
    assert national >= SEED_H7
    evidence = dict(
        first_run.execute(
            "SELECT metric, evidence FROM story_figures WHERE story_id = ? AND scope = 'national'",
            [story["id"]],
        ).fetchall()
    )
    assert "1,360 people were arrested" in evidence["arrests"]
    # the press copies of the release joined the police original
    members = {
        r["source_id"] for r in first_run["articles"].rows_where("story_id = ?", [story["id"]])
    }
    assert {"npcc", "bbc-england", "manchester-evening-news", "daily-echo"} <= members


def test_tracking_tagged_duplicate_link_is_one_article(
    first_run: Database, shared_site: SiteServer
) -> None:
    rows = list(first_run["articles"].rows_where("url = ?", [shared_site.base + ECHO]))
    assert len(rows) == 1
    assert rows[0]["original_url"].startswith(shared_site.base + ECHO + "?ref=rss")
    assert (
        first_run.execute(
            "SELECT COUNT(*) FROM articles WHERE url LIKE '%utm_%' OR url LIKE '%ref=rss%'"
            " OR url LIKE '%at_medium%' OR url LIKE '%oc=5%'"
        ).fetchone()[0]
        == 0
    )


def test_irrelevant_entries_are_kept_without_body_or_figures(first_run: Database) -> None:
    rows = list(first_run["articles"].rows_where("relevant = 0"))
    assert len(rows) == 19
    assert all(r["body"] is None and r["story_id"] is None for r in rows)
    ids = [r["id"] for r in rows]
    assert (
        first_run.execute(
            f"SELECT COUNT(*) FROM figures WHERE article_id IN ({','.join('?' * len(ids))})", ids
        ).fetchone()[0]
        == 0
    )


def test_relevant_articles_store_main_text_and_matched_terms(first_run: Database) -> None:
    for row in first_run["articles"].rows_where(
        "relevant = 1 AND source_id != 'google-news-county-lines'"
    ):
        assert row["body"] and "<" not in row["body"]
        assert "cookie" not in row["body"].lower()  # the banner is boilerplate, not the article
        assert json.loads(row["matched_terms"])


def test_google_news_items_keep_headline_and_publisher_and_are_not_fetched(
    first_run: Database, shared_site: SiteServer
) -> None:
    rows = list(first_run["articles"].rows_where("source_id = 'google-news-county-lines'"))
    assert len(rows) == 4
    assert all(" - " not in r["title"] and r["publisher"] for r in rows)
    assert "Liverpool Echo" in {r["publisher"] for r in rows}
    assert not [p for p, _ in shared_site.requests if p.startswith("/gn/rss/articles/")]


def test_listing_dates_are_london_local_stored_in_utc(first_run: Database) -> None:
    kent = {
        r["title"]: r["published"]
        for r in first_run["articles"].rows_where("source_id = 'kent-police'")
    }
    assert len(kent) == 3  # thumbnail anchors repeat each link with no text
    assert kent["Officers visit 46 homes at risk of cuckooing in county lines crackdown"] == (
        "2022-10-13T13:05:00+00:00"
    )
    npcc = [r["published"] for r in first_run["articles"].rows_where("source_id = 'npcc'")]
    assert "2022-10-13T23:00:00+00:00" in npcc  # "14 Oct 2022" at London midnight (BST)


def test_second_run_adds_nothing_and_polls_conditionally(
    copy_config: Path, shared_site: SiteServer
) -> None:
    db = Database(copy_config.parent / "archive.db")
    counts = {t: db[t].count for t in ("articles", "stories", "figures")}
    before = len(shared_site.requests)
    monitor("run", "--all", "--config", str(copy_config))
    assert {t: db[t].count for t in counts} == counts
    second = shared_site.requests[before:]
    feeds = [h for p, h in second if p.endswith((".xml", ".atom")) or ".xml?" in p]
    assert feeds and all("if-none-match" in h for h in feeds)
    assert not [
        p
        for p, _ in second
        if "/news/" in p
        and not p.endswith((".xml", ".atom"))
        and "rss" not in p
        and "latest" not in p
    ]  # no article page fetched again
    polls = list(db.query("SELECT http_status FROM polls WHERE run_id = 2"))
    assert {p["http_status"] for p in polls} == {304}


def test_status_shows_every_source(first_run: Database, shared_config: Path) -> None:
    out = monitor("status", "--config", str(shared_config)).stdout
    for name in ("greater-manchester-police", "npcc", "kent-police", "google-news-county-lines"):
        assert name in out
    assert "Recent runs" in out


EXPECTED_STORIES = {  # origin source -> sources of every copy (monitor/demo/EXPECTED.md)
    "npcc": [
        "bbc-england",
        "daily-echo",
        "google-news-county-lines",
        "google-news-county-lines",
        "manchester-evening-news",
        "npcc",
    ],
    "greater-manchester-police": ["greater-manchester-police", "manchester-evening-news"],
    "merseyside-police": ["google-news-county-lines", "merseyside-police"],
    "metropolitan-police": ["google-news-county-lines", "metropolitan-police"],
    "national-crime-agency": ["national-crime-agency"],
    "home-office": ["home-office"],
    "kent-police": ["kent-police"],
}


def test_one_story_per_announcement_with_the_official_release_as_origin(
    first_run: Database,
) -> None:
    found = {}
    for story in first_run["stories"].rows:
        origin = first_run["articles"].get(story["origin_article_id"])
        members = sorted(
            r["source_id"] for r in first_run["articles"].rows_where("story_id = ?", [story["id"]])
        )
        assert story["article_count"] == len(members)
        found[origin["source_id"]] = members
    assert found == EXPECTED_STORIES
    assert first_run["runs"].get(1)["stories_new"] == 7
