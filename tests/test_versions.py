"""Corrected releases keep every version; a pageless first copy is upgraded by a better source.

A small police site and an aggregator are written into tmp_path (shaped on the Single Online
Home RSS and Google News formats in research/sources.md), served on loopback, and polled by the
real `monitor run` in its own process; the site is edited between runs as a force would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor import archive
from monitor.items import Article, Entry, Figure
from monitor.loopback import SiteServer
from tests.conftest import monitor

SLUG = "/essex/news/essex/news/news/2022/october/eleven-arrested-in-county-lines-week-of-action/"
TITLE = "Eleven arrested in county lines week of action"
PAGE = """<!DOCTYPE html><html><head><title>{title} | Essex Police</title></head><body>
<header><nav><a href="/essex/">Home</a></nav></header>
<main><h1>{title}</h1><p>Published: 10:30 12/10/2022</p>
<div class="content">
<p>Essex Police officers tackling county lines drug dealing {arrests} during a national
week of action from 3 to 9 October.</p>
<p>Officers also seized £{cash} in cash and visited addresses where vulnerable people were
thought to be at risk of cuckooing, as part of the County Lines Intensification Week.</p>
<p>Detective Inspector Sam Reed said: "County lines gangs exploit children. We will keep
closing the lines that bring drugs into our towns."</p>
</div></main><footer><p>Call 101 or Crimestoppers on 0800 555 111.</p></footer></body></html>
"""
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Essex Police news</title><link>{{{{BASE}}}}/essex/</link>
<description>News from Essex Police</description>
<item><title>{title}</title><link>{{{{BASE}}}}{slug}</link>
<description>{summary}</description><pubDate>Wed, 12 Oct 2022 10:30:00 +0100</pubDate></item>
</channel></rss>
"""
AGGREGATOR = (
    """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>"essex" - Google News</title><link>https://news.google.com</link>
<item><title>Roadworks planned on the A12 this weekend - Essex Police</title>
<link>{{BASE}}"""
    + SLUG
    + """</link><guid isPermaLink="false">CBMiessex1</guid>
<pubDate>Wed, 12 Oct 2022 11:00:00 GMT</pubDate><description>Roadworks planned</description>
<source url="{{BASE}}/essex">Essex Police</source></item></channel></rss>
"""
)
CONFIG = """archive: {db}
sources:
  - name: essex-police
    url: "{base}/essex/news/rss.xml"
    type: feed
    kind: police
    force: Essex Police
    every: 30m
  - name: google-news-essex
    url: "{base}/gn/rss/search.xml"
    type: feed
    kind: aggregator
    every: 1h
"""


def _publish(root: Path, arrests: str, cash: str, summary: str) -> None:
    page = root / SLUG.strip("/") / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(PAGE.format(title=TITLE, arrests=arrests, cash=cash))
    feed = root / "essex/news/rss.xml"
    feed.parent.mkdir(parents=True, exist_ok=True)
    feed.write_text(FEED.format(title=TITLE, slug=SLUG, summary=summary))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[SiteServer, Path, Path]]:
    root = tmp_path / "site"
    _publish(root, "arrested 11 people", "8,200", "Officers arrested 11 people in a week.")
    (root / "gn/rss").mkdir(parents=True)
    (root / "gn/rss/search.xml").write_text(AGGREGATOR)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    with SiteServer(root) as server:
        config = tmp_path / "config.yaml"
        config.write_text(CONFIG.format(db=tmp_path / "archive.db", base=server.base))
        yield server, root, config


LOG: list[str] = []


def _run(config: Path, *names: str) -> Database:
    sources = (a for n in names for a in ("--source", n))
    LOG.append(monitor("run", "--config", str(config), "--all", *sources).stderr)
    return archive.open_archive(config.parent / "archive.db")


def _figures(db: Database, article_id: int) -> dict[str, float]:
    rows = db.execute("SELECT metric, value FROM figures WHERE article_id = ?", [article_id])
    return dict(rows.fetchall())


def test_a_corrected_release_keeps_both_versions(site: tuple[SiteServer, Path, Path]) -> None:
    server, root, config = site
    db = _run(config, "essex-police")
    (art,) = db.query("SELECT * FROM articles WHERE source_id = 'essex-police'")
    assert _figures(db, art["id"]) == {"arrests": 11, "cash_seized_gbp": 8200}

    _publish(root, "arrested 12 people", "9,400", "Officers arrested 12 people in a week.")
    db = _run(config, "essex-police")
    assert "event=article_revised source=essex-police" in LOG[-1]
    (now,) = db.query("SELECT * FROM articles WHERE source_id = 'essex-police'")
    assert now["id"] == art["id"] and "arrested 12 people" in now["body"]
    assert now["summary"] == "Officers arrested 12 people in a week."
    assert now["published_date"] == "2022-10-12"  # a correction is not a new announcement
    assert _figures(db, art["id"]) == {"arrests": 12, "cash_seized_gbp": 9400}
    (old,) = db.query("SELECT * FROM article_versions WHERE article_id = ?", [art["id"]])
    assert old["version"] == 1 and "arrested 11 people" in old["body"]
    assert old["summary"] == art["summary"] and old["text_sha256"] == art["text_sha256"]
    kept = {(f["metric"], f["value"], f["force"]) for f in json.loads(old["figures"])}
    assert kept == {("arrests", 11, "essex"), ("cash_seized_gbp", 8200, "essex")}
    assert now["text_sha256"] != art["text_sha256"]
    search = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
    assert db.execute(search, ['"arrested 12 people"']).fetchall() == [(art["id"],)]
    assert db.execute(search, ['"arrested 11 people"']).fetchall() == []  # the old text is gone

    feed = root / "essex/news/rss.xml"  # the feed is rebuilt (no 304) but the entry is the same
    feed.write_text(feed.read_text().replace("<description>News", "<description>Latest news"))
    db = _run(config, "essex-police")
    assert db["article_versions"].count == 1  # no third version
    assert db.execute("SELECT COUNT(*) FROM figure_series").fetchone()[0] == 2
    assert sum(SLUG in path for path, _ in server.requests) == 2  # the page was not fetched again


def test_a_pageless_aggregator_copy_is_upgraded_by_the_police_feed(
    site: tuple[SiteServer, Path, Path],
) -> None:
    server, _root, config = site
    db = _run(config, "google-news-essex")
    (first,) = db.query("SELECT * FROM articles")
    assert first["source_id"] == "google-news-essex" and first["relevant"] == 0
    assert first["body"] is None and not any(SLUG in path for path, _ in server.requests)

    db = _run(config, "essex-police")
    (art,) = db.query("SELECT * FROM articles")
    assert art["id"] == first["id"] and art["source_id"] == "essex-police"
    assert art["relevant"] == 1 and "arrested 11 people" in art["body"]
    assert art["title"] == TITLE and art["story_id"] is not None
    assert _figures(db, art["id"]) == {"arrests": 11, "cash_seized_gbp": 8200}
    (old,) = db.query("SELECT * FROM article_versions")
    assert old["title"].startswith("Roadworks planned")
    series = list(db.query("SELECT * FROM figure_series ORDER BY metric"))
    assert [(r["metric"], r["force"], r["period_start"], r["period_end"]) for r in series] == [
        ("arrests", "essex", "2022-10-03", "2022-10-09"),
        ("cash_seized_gbp", "essex", "2022-10-03", "2022-10-09"),
    ]
    assert {r["operation"] for r in series} == {"County Lines Intensification Week"}


URL = "https://www.essex.police.uk/news/essex/news/news/2022/october/eleven-arrested/"


def _article(source: str, title: str = TITLE, body: str = "", **entry: object) -> Article:
    e = Entry(source_id=source, url=URL, original_url=URL, title=title, **entry)  # type: ignore[arg-type]
    art = Article(entry=e, body=body, relevant=bool(body), fetched_at="2022-10-12T10:00:00+00:00")
    if body:
        art.http_status = 200
        art.figures = [Figure("arrests", 11, "count", scope="force", evidence=body, force="essex")]
    else:
        art.fetched_at = None
    return art


@pytest.fixture
def sources(archive_db: Database) -> Database:
    for sid, kind in (("essex-police", "police"), ("echo", "press"), ("gn", "aggregator")):
        archive_db["sources"].insert({"id": sid, "name": sid, "kind": kind, "type": "feed"})
    return archive_db


def test_a_replayed_or_lesser_copy_changes_nothing(sources: Database) -> None:
    body = "Essex Police officers arrested 11 people in a county lines week of action."
    archive.save_article(sources, _article("essex-police", body=body), None, "t")
    for again in (
        _article("essex-police", body=body),  # the scale-out archiver replaying a message
        _article("gn", title="Roadworks on the A12", fetch=False),  # an aggregator copy
        _article("echo", title="Eleven held", body=body + " More."),  # a press copy
    ):
        assert archive.revisit(sources, again.entry) is None
        counts = archive.save_article(sources, again, None, "t")
        assert counts == {"articles_new": 0, "stories_new": 0, "figures_new": 0}
    (row,) = sources.query("SELECT source_id, title FROM articles")
    assert row == {"source_id": "essex-police", "title": TITLE}
    assert sources["article_versions"].count == 0


def test_a_later_updated_time_refetches_but_versions_only_a_changed_text(
    sources: Database,
) -> None:
    body = "Essex Police officers arrested 11 people in a county lines week of action."
    first = _article("essex-police", body=body, published="2022-10-12T09:30:00+00:00")
    archive.save_article(sources, first, None, "t")
    later = _article("essex-police", body=body, published="2022-10-13T08:00:00+00:00")
    assert archive.revisit(sources, later.entry) == "corrected"
    archive.save_article(sources, later, None, "t")  # same text: remembered, not versioned
    assert sources["article_versions"].count == 0
    assert archive.revisit(sources, later.entry) is None
    (row,) = sources.query("SELECT published, published_date FROM articles")
    assert row == {"published": "2022-10-12T09:30:00+00:00", "published_date": "2022-10-12"}


def test_a_press_copy_never_displaces_a_pageless_police_entry(sources: Database) -> None:
    archive.save_article(sources, _article("essex-police"), None, "t")  # robots refused the page
    press = _article("echo", body="Essex Police officers arrested 11 people in county lines raids.")
    assert archive.revisit(sources, press.entry) is None
    gn_first = _article("gn", title="Eleven arrested - Essex Police", fetch=False)
    gn_first.entry.url = gn_first.entry.original_url = URL + "?gn"
    archive.save_article(sources, gn_first, None, "t")
    press.entry.url = press.entry.original_url = URL + "?gn"
    assert archive.revisit(sources, press.entry) == "upgrade"  # press fetches; GN did not


def test_placing_an_article_leaves_its_full_text_index_alone(tmp_path: Path) -> None:
    """Only a change of title or body re-indexes an article (m018): moving it between stories,
    which placement and `monitor restory` do to every article, costs no tokenising."""
    db = archive.open_archive(tmp_path / "a.db")
    db.execute("INSERT INTO sources (id, name, kind, url) VALUES ('p', 'p', 'police', 'http://p')")
    db.execute(
        "INSERT INTO articles (id, source_id, url, title, body) VALUES"
        " (1, 'p', 'http://p/1', 'Lines closed', 'Officers closed four county lines.')"
    )
    db.execute("INSERT INTO stories (id, title) VALUES (7, 'Lines closed')")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    db.execute("UPDATE articles SET story_id = 7 WHERE id = 1")
    assert statements and not [s for s in statements if "articles_fts" in s]
    db.execute("UPDATE articles SET body = 'Officers closed five deal lines.' WHERE id = 1")
    assert [s for s in statements if "articles_fts" in s]
    db.conn.set_trace_callback(None)
    search = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
    assert db.execute(search, ["five"]).fetchall() == [(1,)]
    assert db.execute(search, ["four"]).fetchall() == []
