"""The bundled Datasette config over an archive written by monitor.archive: tables, queries, feed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import socket
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import feedparser
import pytest
from datasette.app import Datasette
from markupsafe import escape

from monitor import archive, browse, config, dedupe
from monitor.items import Article, Entry, Figure
from monitor.poll import Poll

CONFIG = """
archive: archive.db
sources:
  - name: national-crime-agency
    url: https://www.nationalcrimeagency.gov.uk/news?format=feed&type=rss
    kind: police
    publisher: National Crime Agency
  - name: greater-manchester-police
    url: https://www.gmp.police.uk/news/greater-manchester/news/GetNewsRss/
    kind: police
    force: Greater Manchester Police
  - name: west-midlands-police
    url: https://www.westmidlands.police.uk/news/west-midlands/news/GetNewsRss/
    kind: police
    force: West Midlands Police
  - name: bbc-news
    url: https://feeds.bbci.co.uk/news/england/rss.xml
    kind: press
    publisher: BBC News
  - name: manchester-evening-news
    url: https://www.manchestereveningnews.co.uk/news/?service=rss
    kind: press
    publisher: Manchester Evening News
  - name: dead-feed
    url: https://example.org/gone.rss
    kind: press
    publisher: Gone Gazette
"""

NCA_2025 = (
    "More than 1,000 county lines closed in national week of intensification",
    "More than 1,000 county lines were closed during the national county lines intensification "
    "week, the National Crime Agency said. Officers across England and Wales arrested 1,500 "
    "people during the week of action. A total of 2,300 vulnerable people were safeguarded by "
    "officers. More than £1.1 million in cash was seized from suspected dealers.",
)
BBC_2025 = (
    "County lines: over 1,000 drug lines shut in week-long crackdown - BBC News",
    "Police say more than 1,000 county lines were closed in a week-long national crackdown. "
    "Forces arrested 1,500 people, according to the National Crime Agency. Some 2,300 "
    "vulnerable people were safeguarded, officers said, as children were taken out of harm.",
)
NCA_2024 = (
    "Intensification week: 500 county lines shut down across the country",
    "Police forces shut down 500 county lines in the October intensification week. Officers "
    "arrested 800 people across the country in the national operation.",
)
GMP_MAY = (
    "Twelve arrested as county line network dismantled in Oldham",
    "Officers from Greater Manchester Police arrested 12 people and closed 3 county lines in "
    "Oldham this week. More than £16,000 in cash was seized during the warrants.",
)
MEN_MAY = (
    "Oldham raids: 12 held as police smash county lines gang",
    "Greater Manchester Police arrested 12 people in Oldham and closed 3 county lines, the force "
    "said. More than £16,000 in cash was seized in the raids on homes across the town.",
)
WMP_JUNE = (
    "West Midlands Police close seven county lines in June operation",
    "West Midlands Police closed 7 county lines and arrested 20 people in a week of action. "
    "In one raid in Walsall officers found drugs worth £62,000.",
)
BBC_COURT = (
    'Dealer jailed for running "Jay" county line & cuckooing <flat> - BBC News',
    "A dealer who ran the Jay county line from a cuckooed flat was jailed for six and a half "
    "years at Wolverhampton Crown Court.",
)
BBC_OTHER = (
    "Council tax to rise by five per cent - BBC News",
    "The council said bills would rise by five per cent from April.",
)
GMP_JUNE = (
    "Two county lines closed in Wigan after four arrests",
    "Greater Manchester Police closed 2 county lines in Wigan and arrested 4 people on Tuesday.",
)


def _fig(
    body: str, metric: str, value: float, evidence: str, scope: str | None, qualifier: str = "exact"
) -> Figure:
    from monitor.items import METRICS

    start = body.index(evidence)
    return Figure(
        metric, value, METRICS[metric], qualifier, scope, evidence, start, start + len(evidence)
    )


def _article(
    source: str,
    url: str,
    published: str,
    text: tuple[str, str],
    figures: list[tuple[Any, ...]],
    relevant: bool = True,
    publisher: str | None = None,
    force: str | None = None,
) -> Article:
    """`force` (a forces code) is what the figures of force or case scope are about."""
    title, body = text
    entry = Entry(
        source_id=source,
        url=dedupe.canonical_url(url),
        original_url=url,
        title=title,
        guid=url,
        summary=body[:80],
        published=published,
        publisher=publisher,
    )
    return Article(
        entry=entry,
        body=body,
        fetched_at=published,
        http_status=200,
        content_hash=dedupe.content_hash(body),
        relevant=relevant,
        matched_terms=["county lines"] if relevant else [],
        figures=[
            replace(_fig(body, *f), force=force if f[3] in ("force", "case") else None)
            for f in figures
        ],
    )


NATIONAL_2025 = [
    ("lines_closed", 1000, "More than 1,000 county lines were closed", "national", "more_than"),
    ("arrests", 1500, "arrested 1,500 people", "national"),
    ("safeguarded", 2300, "2,300 vulnerable people were safeguarded", "national"),
    ("cash_seized_gbp", 1100000, "More than £1.1 million in cash", "national", "more_than"),
]
ARTICLES = [
    # Saved in this order; MEN's copy arrives before the force's own release.
    _article(
        "national-crime-agency",
        "https://www.nationalcrimeagency.gov.uk/news/iw-2024",
        "2024-10-18T09:00:00+00:00",
        NCA_2024,
        [
            ("lines_closed", 500, "shut down 500 county lines", "national"),
            ("arrests", 800, "arrested 800 people", "national"),
        ],
        publisher="National Crime Agency",
    ),
    _article(
        "bbc-news",
        "https://www.bbc.co.uk/news/uk-england-court-1",
        "2025-04-03T15:00:00+00:00",
        BBC_COURT,
        [("sentence_years", 6.5, "jailed for six and a half years", "case")],
        publisher="BBC News",
    ),
    _article(
        "manchester-evening-news",
        "https://www.manchestereveningnews.co.uk/news/oldham-raids-1?utm_source=rss",
        "2025-05-10T18:00:00+00:00",
        MEN_MAY,
        [
            ("arrests", 12, "arrested 12 people", "force"),
            ("lines_closed", 3, "closed 3 county lines", "force"),
            ("cash_seized_gbp", 16000, "More than £16,000 in cash", "force", "more_than"),
        ],
        publisher="Manchester Evening News",
        force="greater-manchester",
    ),
    _article(
        "greater-manchester-police",
        "https://www.gmp.police.uk/news/oldham-county-line",
        "2025-05-10T11:00:00+00:00",
        GMP_MAY,
        [
            ("arrests", 12, "arrested 12 people", "force"),
            ("lines_closed", 3, "closed 3 county lines", "force"),
            ("cash_seized_gbp", 16000, "More than £16,000 in cash", "force", "more_than"),
        ],
        publisher="Greater Manchester Police",
        force="greater-manchester",
    ),
    _article(
        "west-midlands-police",
        "https://www.westmidlands.police.uk/news/june-lines",
        "2025-06-02T10:00:00+00:00",
        WMP_JUNE,
        [
            ("lines_closed", 7, "closed 7 county lines", "force"),
            ("arrests", 20, "arrested 20 people", "force"),
            ("drugs_value_gbp", 62000, "drugs worth £62,000", "case"),
        ],
        publisher="West Midlands Police",
        force="west-midlands",
    ),
    _article(
        "bbc-news",
        "https://www.bbc.co.uk/news/uk-council-tax",
        "2025-06-03T08:00:00+00:00",
        BBC_OTHER,
        [],
        relevant=False,
        publisher="BBC News",
    ),
    _article(
        "national-crime-agency",
        "https://www.nationalcrimeagency.gov.uk/news/iw-2025",
        "2025-06-20T09:00:00+00:00",
        NCA_2025,
        NATIONAL_2025,
        publisher="National Crime Agency",
    ),
    _article(
        "bbc-news",
        "https://www.bbc.co.uk/news/uk-county-lines-week",
        "2025-06-20T12:00:00+00:00",
        BBC_2025,
        [
            (
                "lines_closed",
                1000,
                "more than 1,000 county lines were closed",
                "national",
                "more_than",
            ),
            ("arrests", 1500, "arrested 1,500 people", "national"),
            ("safeguarded", 2300, "2,300 vulnerable people were safeguarded", "national"),
        ],
        publisher="BBC News",
    ),
    _article(
        "greater-manchester-police",
        "https://www.gmp.police.uk/news/wigan-lines",
        "2025-06-25T16:00:00+00:00",
        GMP_JUNE,
        [
            ("lines_closed", 2, "closed 2 county lines", "force"),
            ("arrests", 4, "arrested 4 people", "force"),
        ],
        publisher="Greater Manchester Police",
        force="greater-manchester",
    ),
]
RELEVANT = [a for a in ARTICLES if a.relevant]


def build_archive(path: Path) -> Path:
    """An archive written the way a cycle writes one: sources, a run, polls, then articles."""
    db = archive.open_archive(path)
    archive.sync_sources(db, config.parse(CONFIG, "test-config.yaml"))
    run_id = archive.start_run(db, "manual")
    for src in (
        "national-crime-agency",
        "greater-manchester-police",
        "west-midlands-police",
        "bbc-news",
        "manchester-evening-news",
    ):
        archive.record_poll(
            db,
            run_id,
            src,
            Poll(http_status=200, entries=10, new_entries=2, duration_ms=120),
        )
    archive.record_poll(
        db,
        run_id,
        "dead-feed",
        Poll(http_status=500, error="HTTP 500", error_kind="hard", duration_ms=80),
    )
    for art in ARTICLES:
        archive.save_article(db, art, run_id, "test-1")
    archive.finish_run(db, run_id, "ok")
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_archive(tmp_path_factory.mktemp("browse") / "archive.db")


def make_datasette(path: Path) -> Datasette:
    """Datasette configured the way `monitor serve` configures it (mutable, bundled metadata)."""
    return browse.make_datasette(path)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def ds(archive_path: Path) -> Datasette:
    return make_datasette(archive_path)


def get(ds: Datasette, path: str, **kwargs: Any) -> Any:
    response = asyncio.run(ds.client.get(path, **kwargs))
    return response


def rows(ds: Datasette, path: str) -> list[dict[str, Any]]:
    sep = "&" if "?" in path else "?"
    response = get(ds, f"{path}{sep}_shape=array&_size=max")
    assert response.status_code == 200, response.text
    return response.json()


def story_id(ds: Datasette, title: str) -> int:
    (row,) = rows(ds, f"/archive/stories.json?{urlencode({'title': title})}")
    return int(row["id"])


# --- tables and views ------------------------------------------------------------------------

TABLE_COUNTS = {
    "sources": 6,
    "runs": 1,
    "polls": 6,
    "articles": 9,
    "stories": 6,
    "figures": 21,
    "story_figures": 15,
    "story_copies": 8,
    "source_health": 6,
}


@pytest.mark.parametrize(("table", "count"), TABLE_COUNTS.items())
def test_every_table_and_view_renders(ds: Datasette, table: str, count: int) -> None:
    html = get(ds, f"/archive/{table}")
    assert html.status_code == 200
    assert len(rows(ds, f"/archive/{table}.json")) == count


def test_metadata_titles_and_column_descriptions(ds: Datasette) -> None:
    home = get(ds, "/")
    assert home.status_code == 200 and "County-lines monitor" in home.text
    page = get(ds, "/archive/figures").text
    assert "Never add figures of different scopes together" in page
    assert "more_than" in page and "drugs_weight_kg (kg)" in page


def test_stories_sorted_newest_first(ds: Datasette) -> None:
    titles = [r["title"] for r in rows(ds, "/archive/stories.json")]
    assert titles[0] == GMP_JUNE[0]
    assert titles[-1] == NCA_2024[0]


def test_foreign_keys_show_labels(ds: Datasette) -> None:
    arts = rows(
        ds, "/archive/articles.json?_labels=on&url=https://www.gmp.police.uk/news/wigan-lines"
    )
    assert arts[0]["source_id"] == {
        "value": "greater-manchester-police",
        "label": "greater-manchester-police",
    }
    assert arts[0]["story_id"]["label"] == GMP_JUNE[0]
    figs = rows(ds, "/archive/figures.json?_labels=on&metric=sentence_years")
    assert figs[0]["article_id"]["label"] == BBC_COURT[0]


def test_default_facets(ds: Datasette) -> None:
    data = get(ds, "/archive/story_figures.json").json()
    assert {"metric", "scope", "origin_kind", "force", "origin_publisher"} <= set(
        data["facet_results"]
    )
    copies = get(ds, "/archive/story_copies.json").json()
    publishers = {f["value"] for f in copies["facet_results"]["publisher"]["results"]}
    assert publishers == {
        "National Crime Agency",
        "BBC News",
        "Greater Manchester Police",
        "Manchester Evening News",
        "West Midlands Police",
    }


def test_full_text_search_on_articles(ds: Datasette) -> None:
    hits = rows(ds, "/archive/articles.json?_search=intensification")
    assert {h["title"] for h in hits} == {NCA_2024[0], NCA_2025[0]}


# --- canned queries --------------------------------------------------------------------------


def test_every_canned_query_renders(ds: Datasette) -> None:
    queries = browse.metadata()["databases"]["archive"]["queries"]
    for name in queries:
        page = get(ds, f"/archive/{name}?force=Greater+Manchester+Police")
        assert page.status_code == 200, name
        assert str(escape(queries[name]["title"])) in page.text


def test_latest_announcements(ds: Datasette) -> None:
    got = rows(ds, "/archive/latest_announcements.json")
    assert [r["title"] for r in got] == [
        GMP_JUNE[0],
        NCA_2025[0],
        WMP_JUNE[0],
        GMP_MAY[0],
        BBC_COURT[0],
        NCA_2024[0],
    ]
    nca = got[1]
    assert nca["origin_publisher"] == "National Crime Agency" and nca["copies"] == 2
    assert nca["headline_figures"] == (
        "arrests 1500 (national); cash_seized_gbp 1100000 GBP (more than, national); "
        "lines_closed 1000 (more than, national); safeguarded 2300 (national)"
    )
    # The force's own release is the origin even though the paper's copy was archived first.
    assert got[3]["origin_publisher"] == "Greater Manchester Police"
    assert got[3]["origin_url"] == "https://www.gmp.police.uk/news/oldham-county-line"
    assert got[4]["headline_figures"] == "sentence_years 6.5 years (case)"


def test_national_intensification_totals(ds: Datasette) -> None:
    got = rows(ds, "/archive/national_intensification_totals.json")
    assert [(r["published"], r["lines_closed"], r["arrests"], r["safeguarded"]) for r in got] == [
        ("2025-06-20", 1000, 1500, 2300),  # newest first
        ("2024-10-18", 500, 800, None),
    ]
    assert [r["mentions_intensification"] for r in got] == [1, 1]
    assert got[0]["cash_seized_gbp"] == 1100000


def test_force_figures(ds: Datasette) -> None:
    got = rows(ds, "/archive/force_figures.json?force=Greater+Manchester+Police")
    assert [(r["published"], r["metric"], r["value"]) for r in got] == [  # newest first
        ("2025-06-25", "arrests", 4),
        ("2025-06-25", "lines_closed", 2),
        ("2025-05-10", "arrests", 12),
        ("2025-05-10", "cash_seized_gbp", 16000),
        ("2025-05-10", "lines_closed", 3),
    ]
    assert {r["scope"] for r in got} == {"force"}
    (none,) = rows(ds, "/archive/force_figures.json?force=Nowhere+Constabulary")
    assert none["story_title"] == "No figures about Nowhere Constabulary archived yet"
    assert none["value"] is None  # a message row, never a figure
    feed = feedparser.parse(get(ds, "/archive/force_figures.atom?force=Nowhere+Police").content)
    assert [e.title for e in feed.entries] == ["No figures about Nowhere Police archived yet"]


def test_figures_by_month_keeps_scopes_apart(ds: Datasette) -> None:
    got = rows(ds, "/archive/figures_by_month.json")
    june_arrests = {
        r["scope"]: (r["total"], r["stories"])
        for r in got
        if r["month"] == "2025-06" and r["metric"] == "arrests"
    }
    assert june_arrests == {"national": (1500, 1), "force": (24, 2)}
    june_lines = {
        r["scope"]: r["total"]
        for r in got
        if r["month"] == "2025-06" and r["metric"] == "lines_closed"
    }
    assert june_lines == {"national": 1000, "force": 9}
    # One row per (month, metric, scope): nothing was summed across scopes.
    keys = [(r["month"], r["metric"], r["scope"]) for r in got]
    assert len(keys) == len(set(keys))
    # Copies do not double-count: May's Oldham figures appear once though two outlets ran them.
    may = {r["metric"]: r["total"] for r in got if r["month"] == "2025-05"}
    assert may == {"arrests": 12, "cash_seized_gbp": 16000, "lines_closed": 3}


def test_source_health_puts_failing_sources_first(ds: Datasette) -> None:
    got = rows(ds, "/archive/sources_needing_attention.json")
    # its only poll failed: it has never worked, which the health view says as such (issue 16)
    assert got[0]["name"] == "dead-feed" and got[0]["status"] == "never succeeded"
    assert got[0]["last_error"] == "HTTP 500"
    nca = next(r for r in got if r["name"] == "national-crime-agency")
    assert nca["relevant_articles"] == 2 and nca["polls"] == 1


def test_stories_with_copies(ds: Datasette) -> None:
    assert len(rows(ds, "/archive/stories_with_copies.json")) == 8
    sid = story_id(ds, NCA_2025[0])
    got = rows(ds, f"/archive/stories_with_copies.json?story_id={sid}")
    assert [(r["is_origin"], r["publisher"], r["url"]) for r in got] == [
        (1, "National Crime Agency", "https://www.nationalcrimeagency.gov.uk/news/iw-2025"),
        (0, "BBC News", "https://www.bbc.co.uk/news/uk-county-lines-week"),
    ]
    # In the HTML view story ids link to the story page.
    page = get(ds, f"/archive/stories_with_copies?story_id={sid}").text
    assert f'<a href="/archive/stories/{sid}">{sid}</a>' in page


def test_atom_feed_of_new_stories(ds: Datasette) -> None:
    response = get(ds, "/archive/new_stories.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "New county-lines stories"
    stories = rows(ds, "/archive/stories.json")
    assert len(feed.entries) == len(stories) == 6
    assert {e.title for e in feed.entries} == {s["title"] for s in stories}
    nca = next(e for e in feed.entries if e.title == NCA_2025[0])
    assert nca.id.startswith("urn:county-lines-monitor:story:")
    assert nca.link == "https://www.nationalcrimeagency.gov.uk/news/iw-2025"
    assert nca.author == "National Crime Agency"
    assert '"arrested 1,500 people"' in nca.content[0].value
    assert "2 copies" in nca.content[0].value


# --- the story page --------------------------------------------------------------------------


def test_story_page_shows_origin_copies_and_evidence(ds: Datasette) -> None:
    sid = story_id(ds, GMP_MAY[0])
    page = get(ds, f"/archive/stories/{sid}")
    assert page.status_code == 200
    text = page.text
    assert "Original release" in text and "Every copy" in text
    assert "<strong>Greater Manchester Police</strong>" in text
    assert 'href="https://www.gmp.police.uk/news/oldham-county-line"' in text
    assert 'href="https://www.manchestereveningnews.co.uk/news/oldham-raids-1"' in text
    assert "Manchester Evening News" in text
    assert "&ldquo;More than £16,000 in cash&rdquo;" in text
    assert "16,000" in text and "(repeat, not counted)" in text


def test_story_page_escapes_scraped_text(ds: Datasette) -> None:
    sid = story_id(ds, BBC_COURT[0])
    text = get(ds, f"/archive/stories/{sid}").text
    assert "<flat>" not in text
    assert "&lt;flat&gt;" in text


def test_other_row_pages_are_untouched(ds: Datasette) -> None:
    page = get(ds, "/archive/sources/bbc-news")
    assert page.status_code == 200 and "Every copy" not in page.text


# --- the dashboard ---------------------------------------------------------------------------


def _dashboard() -> dict[str, Any]:
    return browse.metadata()["plugins"]["datasette-dashboards"]["county-lines"]


def test_dashboard_page(ds: Datasette) -> None:
    first = get(ds, "/-/dashboards/county-lines")
    assert first.status_code == 302 and first.headers["location"].endswith("?metric=arrests")
    page = get(ds, "/-/dashboards/county-lines?metric=arrests")
    assert page.status_code == 200
    for chart in _dashboard()["charts"]:
        assert f'id="chart-{chart}"' in page.text
    assert '<option value="Greater Manchester Police"' in page.text


def chart_rows(ds: Datasette, chart: str, **params: str) -> list[dict[str, Any]]:
    """What the dashboard's JavaScript fetches for a chart (its SQL, filters left out)."""
    from datasette_dashboards import replace_opts_in_query

    sql = replace_opts_in_query(_dashboard()["charts"][chart]["query"], params)
    response = get(ds, "/archive.json", params={"sql": sql, "_shape": "objects", **params})
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_dashboard_chart_data(ds: Datasette) -> None:
    assert chart_rows(ds, "stories-count") == [{"n": 6}]
    assert chart_rows(ds, "copies-count") == [{"n": 8}]
    per_force = chart_rows(ds, "figures-per-force", metric="arrests")
    assert [(r["force"], r["total"]) for r in per_force] == [
        ("West Midlands Police", 20),
        ("Greater Manchester Police", 16),
    ]
    over_time = chart_rows(ds, "figures-over-time", metric="lines_closed")
    # Forces' own figures only, per month and force: national totals are never stacked on.
    assert {(r["month"], r["force"]): r["total"] for r in over_time} == {
        ("2025-05-01", "Greater Manchester Police"): 3,
        ("2025-06-01", "Greater Manchester Police"): 2,
        ("2025-06-01", "West Midlands Police"): 7,
    }
    one_force = chart_rows(ds, "figures-over-time", metric="arrests", force="West Midlands Police")
    assert [(r["month"], r["total"]) for r in one_force] == [("2025-06-01", 20)]
    national = chart_rows(ds, "national-totals")
    assert len(national) == 5  # 2024: lines, arrests; 2025: lines, arrests, safeguarded
    since = chart_rows(ds, "latest-stories", date_start="2025-06-01")
    assert len(since) == 3


def test_dashboard_table_escapes_scraped_text(ds: Datasette) -> None:
    # The table chart writes cells with innerHTML, so its SQL must escape titles itself.
    got = chart_rows(ds, "latest-stories")
    court = next(r for r in got if "Jay" in r["story"])
    assert "&lt;flat&gt;" in court["story"] and "&amp; cuckooing" in court["story"]
    assert "&quot;Jay&quot;" in court["story"]
    assert court["story"].startswith('<a href="/archive/stories/')


# --- serving other names, snapshots, the command line ----------------------------------------


def test_metadata_follows_the_database_name(archive_path: Path, tmp_path: Path) -> None:
    demo = tmp_path / "demo.db"
    shutil.copy(archive_path, demo)
    meta = browse.metadata("demo")
    assert list(meta["databases"]) == ["demo"]
    charts = meta["plugins"]["datasette-dashboards"]["county-lines"]["charts"]
    assert {c["db"] for c in charts.values()} == {"demo"}
    assert "/demo/stories/" in charts["latest-stories"]["query"]
    demo_ds = make_datasette(demo)
    assert get(demo_ds, "/demo/latest_announcements").status_code == 200
    assert get(demo_ds, "/demo/new_stories.atom").status_code == 200
    assert "/demo/latest_announcements" in get(demo_ds, "/").text
    written = browse.write_metadata(demo, tmp_path)
    assert '"demo"' in written.read_text()


def test_datasette_args_never_immutable(tmp_path: Path) -> None:
    args = browse.datasette_args(tmp_path / "archive.db", "127.0.0.1", 8001)
    assert "-i" not in args and "--immutable" not in args
    assert args[1:4] == ["-m", "datasette", "serve"]
    assert args[args.index("--metadata") + 1] == str(browse.METADATA)
    assert args[args.index("--plugins-dir") + 1] == str(browse.PLUGINS)
    assert args[args.index("--template-dir") + 1] == str(browse.TEMPLATES)
    custom = browse.datasette_args(tmp_path / "demo.db", "0.0.0.0", 9000, tmp_path / "m.json")
    assert custom[custom.index("--metadata") + 1] == str(tmp_path / "m.json")


def test_snapshot_is_a_consistent_read_only_copy(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "snapshot.db"
    browse.snapshot(archive_path, out)
    conn = sqlite3.connect(f"file:{out}?immutable=1", uri=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("SELECT COUNT(*) FROM story_figures").fetchone()[0] == 15
    assert (
        conn.execute(
            "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'intensification'"
        ).fetchone()[0]
        == 2
    )
    conn.close()
    snap_ds = Datasette(
        immutables=[str(out)],
        metadata=browse.metadata("snapshot"),
        template_dir=str(browse.TEMPLATES),
        plugins_dir=str(browse.PLUGINS),
    )
    assert len(rows(snap_ds, "/snapshot/latest_announcements.json")) == 6


def test_snapshot_refuses_to_overwrite(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "taken.db"
    out.write_bytes(b"keep me")
    with pytest.raises(archive.ArchiveError, match="already exists"):
        browse.snapshot(archive_path, out)
    assert out.read_bytes() == b"keep me"
    with pytest.raises(archive.ArchiveError, match="no archive"):
        browse.snapshot(tmp_path / "missing.db", tmp_path / "new.db")
    with pytest.raises(archive.ArchiveError, match="does not exist"):
        browse.snapshot(archive_path, tmp_path / "nowhere" / "new.db")


def test_a_new_empty_archive_still_browses(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    archive.open_archive(path).conn.close()
    empty = make_datasette(path)
    for name in browse.metadata()["databases"]["archive"]["queries"]:
        assert get(empty, f"/archive/{name}").status_code == 200, name
    assert get(empty, "/-/dashboards/county-lines?metric=arrests").status_code == 200
    feed = feedparser.parse(get(empty, "/archive/new_stories.atom").content)
    assert not feed.bozo
    assert [e.id for e in feed.entries] == ["urn:county-lines-monitor:no-stories-yet"]
    national = feedparser.parse(get(empty, "/archive/national_intensification_totals.atom").content)
    assert [e.id for e in national.entries] == ["urn:county-lines-monitor:national:none-yet"]


# --- round two: dates, periods, forces, parts and restatements, versions (issues 12, 14) ------

ROUND_TWO_CONFIG = """
sources:
  - name: npcc
    url: https://news.npcc.police.uk/feed
    kind: police
    publisher: National Police Chiefs' Council
  - name: bbc-news
    url: https://feeds.bbci.co.uk/news/england/rss.xml
    kind: press
    publisher: BBC News
"""
NPCC_2022 = (
    "Record 172 county lines closed in a single week of action",
    "Police closed a record 172 county lines during the intensification week from 3 to 9 "
    "October, the National Police Chiefs' Council said. Officers arrested 1,360 people. Drugs "
    "worth more than £2.7 million were seized, including £1.2 million of cocaine. In "
    "Cambridgeshire, officers seized £508,000 of drugs.",
)
NPCC_2022_FIRST = (
    "Record 170 county lines closed in a week of action",
    "Police closed 170 county lines during the intensification week from 3 to 9 October.",
)
BBC_RECAP = (
    "County lines crackdown: what the week of action found - BBC News",
    "Last month officers arrested 1,360 people in the county lines week of action, police "
    "said, as forces plan another week in the spring.",
)
WEEK = {"period_start": "2022-10-03", "period_end": "2022-10-09"}
OPERATION = "County Lines Intensification Week"


def build_round_two(path: Path) -> Path:
    """The NPCC release of 14 Oct 2022 (a date-only feed item: London midnight in UTC), its
    parts and its Cambridgeshire figure, a later story restating it, and an earlier version."""
    db = archive.open_archive(path)
    archive.sync_sources(db, config.parse(ROUND_TWO_CONFIG, "round-two.yaml"))
    run_id = archive.start_run(db, "manual")
    title, body = NPCC_2022
    national = {"force": None, "operation": OPERATION, **WEEK}
    figures = [
        replace(
            _fig(body, "lines_closed", 172, "closed a record 172 county lines", "national"),
            **national,
        ),  # fmt: skip
        replace(_fig(body, "arrests", 1360, "arrested 1,360 people", "national"), **national),
        replace(
            _fig(
                body, "drugs_value_gbp", 2700000, "more than £2.7 million", "national", "more_than"
            ),
            **national,
        ),  # fmt: skip
        replace(
            _fig(body, "drugs_value_gbp", 1200000, "£1.2 million of cocaine", "national"),
            part_of=2,
            **national,
        ),  # fmt: skip
        replace(
            _fig(body, "drugs_value_gbp", 508000, "seized £508,000 of drugs", "force"),
            force="cambridgeshire",
            **WEEK,
        ),  # fmt: skip
    ]
    npcc = _article(
        "npcc",
        "https://news.npcc.police.uk/releases/record-172-county-lines",
        "2022-10-13T23:00:00+00:00",
        NPCC_2022,
        [],
        publisher="National Police Chiefs' Council",
    )
    npcc.figures = figures
    npcc.fetched_at = "2022-10-14T08:00:00+00:00"
    archive.save_article(db, npcc, run_id, "test-2")
    recap = _article(
        "bbc-news",
        "https://www.bbc.co.uk/news/uk-county-lines-recap",
        "2022-11-20T10:00:00+00:00",
        BBC_RECAP,
        [("arrests", 1360, "officers arrested 1,360 people", "national")],
        publisher="BBC News",
    )
    archive.save_article(db, recap, run_id, "test-2")
    first = db.execute("SELECT id FROM figures WHERE metric = 'arrests' ORDER BY id").fetchone()[0]
    npcc_id = db.execute("SELECT id FROM articles WHERE source_id = 'npcc'").fetchone()[0]
    with archive.write(db):  # what the stories and versions writers record, set directly
        db.execute("UPDATE figures SET restates = ? WHERE id > ? AND metric = 'arrests'",
                   [first, first])  # fmt: skip
        db["article_versions"].insert(
            {
                "article_id": npcc_id,
                "version": 1,
                "title": NPCC_2022_FIRST[0],
                "body": NPCC_2022_FIRST[1],
                "text_sha256": hashlib.sha256(NPCC_2022_FIRST[1].encode()).hexdigest(),
                "fetched_at": "2022-10-13T23:30:00+00:00",
                "replaced_at": "2022-10-15T07:30:00+00:00",
                "figures": json.dumps([{"metric": "lines_closed", "value": 170, "unit": "count"}]),
            }
        )
    archive.finish_run(db, run_id, "ok")
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def ds2(tmp_path_factory: pytest.TempPathFactory) -> Datasette:
    return make_datasette(build_round_two(tmp_path_factory.mktemp("round2") / "archive.db"))


def test_release_dated_14_october_reads_14_october_everywhere(ds2: Datasette) -> None:
    (national,) = rows(ds2, "/archive/national_intensification_totals.json")
    assert national["published"] == "2022-10-14"
    latest = rows(ds2, "/archive/latest_announcements.json")
    assert "2022-10-14" in [r["published"] for r in latest]
    sid = story_id(ds2, NPCC_2022[0])
    assert "Published 2022-10-14" in get(ds2, f"/archive/stories/{sid}").text
    feed = feedparser.parse(get(ds2, "/archive/new_stories.atom").content)
    entry = next(e for e in feed.entries if e.title == NPCC_2022[0])
    assert "Published 2022-10-14 by National Police Chiefs' Council" in entry.content[0].value
    # Timestamps with a time read in UK local time (BST in October), the UTC value kept beside.
    html = get(ds2, "/archive/articles").text
    assert "2022-10-14 00:00 BST" in html and 'title="2022-10-13T23:00:00+00:00 (UTC)"' in html


def test_national_totals_are_keyed_by_their_week(ds2: Datasette) -> None:
    (national,) = rows(ds2, "/archive/national_intensification_totals.json")
    assert (national["week_start"], national["week_end"]) == ("2022-10-03", "2022-10-09")
    assert national["operation"] == OPERATION
    assert (national["lines_closed"], national["arrests"]) == (172, 1360)
    chart = chart_rows(ds2, "national-totals")
    assert {r["week"] for r in chart} == {"2022-10-03"}


def test_sums_leave_out_parts_of_totals_and_restatements(ds2: Datasette) -> None:
    months = rows(ds2, "/archive/figures_by_month.json")
    drugs = {
        (r["month"], r["scope"]): r["total"] for r in months if r["metric"] == "drugs_value_gbp"
    }
    # £2.7m total only: the £1.2m of cocaine is part of it; Cambridgeshire's figure is force scope.
    assert drugs == {("2022-10", "national"): 2700000, ("2022-10", "force"): 508000}
    arrests = [(r["month"], r["total"]) for r in months if r["metric"] == "arrests"]
    assert arrests == [("2022-10", 1360)]  # the November recap restates it: not counted again
    sid = story_id(ds2, BBC_RECAP[0])
    page = get(ds2, f"/archive/stories/{sid}").text
    assert "restates an earlier story, not counted" in page
    npcc = get(ds2, f"/archive/stories/{story_id(ds2, NPCC_2022[0])}").text
    assert "part of a stated total, not counted" in npcc


def test_forces_come_from_the_figure_never_the_publisher(ds2: Datasette) -> None:
    got = rows(ds2, "/archive/force_figures.json?force=Cambridgeshire+Constabulary")
    assert [(r["metric"], r["value"], r["published"]) for r in got] == [
        ("drugs_value_gbp", 508000, "2022-10-14")
    ]
    per_force = chart_rows(ds2, "figures-per-force", metric="drugs_value_gbp")
    assert [r["force"] for r in per_force] == ["Cambridgeshire Constabulary"]
    facets = get(ds2, "/archive/story_figures.json?_facet=force").json()
    listed = {v["value"] for v in facets["facet_results"]["force"]["results"]}
    assert listed == {"Cambridgeshire Constabulary"}
    # The dashboard's force filter and the query's force list are the forces table, kind force.
    board = get(ds2, "/-/dashboards/county-lines?metric=arrests").text
    assert '<option value="Cambridgeshire Constabulary"' in board
    assert "National Police Chiefs&#39; Council</option>" not in board
    assert '<option value="National Police Chiefs' not in board
    page = get(ds2, "/archive/force_figures?force=Cambridgeshire+Constabulary").text
    assert 'id="force-choices"' in page and '<option value="Cambridgeshire Constabulary">' in page
    assert (
        "National Police Chiefs" not in page.split('id="force-choices"')[1].split("</datalist>")[0]
    )


def test_story_page_shows_provenance_and_corrections(ds2: Datasette) -> None:
    page = get(ds2, f"/archive/stories/{story_id(ds2, NPCC_2022[0])}").text
    assert ">https://news.npcc.police.uk/releases/record-172-county-lines</a>" in page
    assert "2022-10-14 09:00 BST" in page  # fetched_at 08:00 UTC
    assert hashlib.sha256(NPCC_2022[1].encode()).hexdigest() in page
    assert "Corrected on 2022-10-15" in page
    assert f"title was \u201c{NPCC_2022_FIRST[0]}\u201d" in page and "text changed" in page
    assert "figures removed: lines_closed 170" in page
    assert "figures added:" in page and "lines_closed 172" in page
    assert "2022-10-03 to 2022-10-09 (County Lines Intensification Week)" in page


# --- reading fixes (issue 18) ------------------------------------------------------------------


def test_canned_queries_show_results_first(ds: Datasette) -> None:
    for name in browse.metadata()["databases"]["archive"]["queries"]:
        page = get(ds, f"/archive/{name}").text
        assert 'id="sql-query"' not in page, name  # the SQL is one click away
        assert f'href="/archive/{name}?_show_sql=1">show</a>' in page, name
        assert '<table class="rows-and-columns">' in page, name
        assert 'id="sql-query"' in get(ds, f"/archive/{name}?_show_sql=1").text, name


def test_whole_numbers_read_as_whole_numbers(ds: Datasette) -> None:
    figures = get(ds, "/archive/figures?metric=arrests&value=12").text
    assert '<td class="col-value type-float">12</td>' in figures
    assert "12.0" not in figures
    csv = get(ds, "/archive/force_figures.csv?force=Greater+Manchester+Police").text
    assert ",12," in csv and "12.0" not in csv
    assert "12.0" not in get(ds, "/archive/story_figures.csv?_size=max").text
    assert "6.5" in get(ds, "/archive/story_figures.csv?_size=max").text


def test_articles_grid_shows_no_full_bodies(ds: Datasette) -> None:
    grid = get(ds, "/archive/articles").text
    assert NCA_2025[1] not in grid and NCA_2025[1][:100] in grid
    (row,) = rows(ds, f"/archive/articles.json?{urlencode({'title': NCA_2025[0]})}")
    page = get(ds, f"/archive/articles/{row['id']}").text
    assert NCA_2025[1].replace("'", "&#39;") in page  # the row page has the whole text


def test_is_origin_facet_returns_the_rows_it_promises(ds: Datasette) -> None:
    data = get(ds, "/archive/story_copies.json?_facet=is_origin").json()
    counts = {v["value"]: v["count"] for v in data["facet_results"]["is_origin"]["results"]}
    assert counts == {1: 6, 0: 2}
    assert len(rows(ds, "/archive/story_copies.json?is_origin=1")) == 6


def test_index_lists_what_people_open_first(ds: Datasette) -> None:
    for path in ("/", "/archive"):
        page = get(ds, path).text
        start = page.split('class="start-here"')[1].split("</section>")[0]
        names = re.findall(r'<a href="/archive/([a-z_]+)">', start)
        assert names[:5] == [
            "stories",
            "story_figures",
            "figure_series",
            "source_health",
            "coverage",
        ], path
    database = get(ds, "/archive").text
    listed = re.findall(r'<h3><a href="/archive/([a-z_]+)">', database)
    assert "story_keys" not in listed and "_sqlite_migrations" not in listed
    assert "derived_deferred" not in listed and "derived_pending" not in listed  # m019's scratch
    assert "story_keys" in re.findall(r'<h3><a href="/archive/([a-z_]+)">',
                                      get(ds, "/archive?_show_hidden=1").text)  # fmt: skip


def test_source_health_view_has_its_facets(ds: Datasette) -> None:
    data = get(ds, "/archive/source_health.json").json()
    assert {"kind", "status", "quiet_14_days"} <= set(data["facet_results"])
    assert "/archive/source_health" not in browse.metadata()["databases"]["archive"]["queries"]


@pytest.mark.parametrize(
    "path",
    [
        "/archive/new_stories.atom",
        "/archive/force_figures.atom?force=Greater+Manchester+Police",
        "/archive/national_intensification_totals.atom",
    ],
)
def test_subscribable_queries_have_atom(ds: Datasette, path: str) -> None:
    response = get(ds, path)
    assert response.status_code == 200, response.text[:300]
    feed = feedparser.parse(response.content)
    assert not feed.bozo and feed.entries
    assert all(e.link.startswith("https://") for e in feed.entries)


def test_dashboard_counters_follow_the_force_filter(ds: Datasette) -> None:
    assert chart_rows(ds, "stories-count", force="West Midlands Police") == [{"n": 1}]
    assert chart_rows(ds, "copies-count", force="Greater Manchester Police") == [{"n": 3}]
    latest = chart_rows(ds, "latest-stories", force="West Midlands Police")
    assert len(latest) == 1 and "June operation" in latest[0]["story"]


def test_dashboard_says_when_a_choice_has_no_figures(ds: Datasette) -> None:
    page = get(ds, "/-/dashboards/county-lines?metric=funding_gbp").text
    assert "No figures yet for this choice." in page  # drawn instead of empty axes
    assert chart_rows(ds, "figures-per-force", metric="funding_gbp") == []
    x = _dashboard()["charts"]["national-totals"]["display"]["encoding"]["x"]
    assert x["axis"]["format"] == "%b %Y"  # months and years, not bare dates


def test_empty_archive_dashboard_points_to_monitor_demo(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    archive.open_archive(path).conn.close()
    (row,) = chart_rows(make_datasette(path), "latest-stories")
    assert "monitor demo" in row["story"]


def test_serve_refuses_a_port_in_use_in_one_line(archive_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--db", str(archive_path), "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert f"127.0.0.1:{port}" in result.output and "cannot listen" in result.output
    bad = CliRunner().invoke(cli, ["serve", "--db", str(archive_path), "--port", "70000"])
    assert (
        bad.exit_code == 1 and bad.output.strip() == "Error: --port 70000: not a TCP port (1-65535)"
    )


# --- the derived tables the views became (m013, m013b) ----------------------------------------


def _recomputed(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    """story_figures and story_copies as computed from scratch now."""
    from monitor.archive import derived

    every = "SELECT id FROM stories"
    return {
        "story_figures": sorted(
            db.execute(derived.STORY_FIGURES_ROWS.format(ids=every)).fetchall()
        ),
        "story_copies": sorted(db.execute(derived.STORY_COPIES_ROWS.format(ids=every)).fetchall()),
    }


def _stored(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "story_figures": sorted(db.execute("SELECT * FROM story_figures").fetchall()),
        "story_copies": sorted(db.execute("SELECT * FROM story_copies").fetchall()),
    }


def _months(db: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    from monitor.archive import derived

    keys = ", ".join(f"{k.format(r='sf')} AS {c}" for c, k in derived.MONTH_KEY.items())
    fresh = db.execute(
        f"SELECT month, metric, scope, unit, COUNT(DISTINCT story_id), COUNT(*),"
        f" SUM(COALESCE(value, 0)), SUM(COALESCE(qualifier != 'exact', 0))"
        f" FROM (SELECT {keys}, story_id, value, qualifier FROM story_figures sf)"
        f" GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    ).fetchall()
    kept = db.execute("SELECT * FROM figure_months ORDER BY 1, 2, 3, 4").fetchall()
    return fresh, kept


def _national(db: Any) -> list[tuple[Any, ...]]:
    return sorted(db.execute("SELECT * FROM national_weeks").fetchall())


def _national_recomputed(db: Any) -> list[tuple[Any, ...]]:
    from monitor.archive import derived

    rows = derived.NATIONAL_WEEKS_ROWS.format(ids="SELECT id FROM stories")
    return sorted(db.execute(rows).fetchall())


def test_derived_tables_follow_every_write(tmp_path: Path) -> None:
    from monitor.archive import regroup

    db = archive.open_archive(build_archive(tmp_path / "archive.db"))
    first = _stored(db)
    assert first == _recomputed(db)
    assert len(first["story_figures"]) == TABLE_COUNTS["story_figures"]
    fresh, kept = _months(db)
    assert kept == fresh and kept
    assert _national(db) == _national_recomputed(db) and len(_national(db)) == 2
    # Regrouping every story, dropping an article's figures, marking parts and restatements,
    # renaming a source and a correction to a title all flow through.
    regroup.restory(db)
    with archive.write(db):
        db.execute("DELETE FROM figures WHERE metric = 'cash_seized_gbp'")
        db.execute("UPDATE figures SET part_of = (SELECT MIN(id) FROM figures) WHERE id IN"
                   " (SELECT id FROM figures WHERE metric = 'arrests' ORDER BY id DESC LIMIT 2)")  # fmt: skip
        db.execute("UPDATE figures SET restates = 1 WHERE metric = 'safeguarded'")
        db.execute("UPDATE sources SET publisher = 'BBC' WHERE id = 'bbc-news'")
        db.execute("UPDATE articles SET title = 'Corrected' WHERE id = 1")
    assert _stored(db) == _recomputed(db)
    fresh, kept = _months(db)
    assert kept == fresh
    assert _national(db) == _national_recomputed(db)
    (nca,) = [r for r in _national(db) if r[1] == "2025-06-20"]
    assert nca[15] is None  # cash_seized_gbp deleted: gone from the national row too
    assert not [r for r in _stored(db)["story_figures"] if r[5] == "cash_seized_gbp"]


def test_writes_deferred_for_one_placement_rebuild_each_story_once_and_correctly(
    tmp_path: Path,
) -> None:
    """What refreshed_once() (m019) defers is rebuilt at its end: the same rows as computing
    the story tables from scratch, with no trigger left switched off, even after a failure."""
    from monitor.archive import derived

    db = archive.open_archive(build_archive(tmp_path / "archive.db"))
    held = "SELECT COUNT(*) FROM derived_deferred"
    with archive.write(db), derived.refreshed_once(db):
        assert db.execute(held).fetchone()[0] == 1
        two = [r[0] for r in db.execute("SELECT id FROM stories ORDER BY id LIMIT 2")]
        db.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", two)
        db.execute("UPDATE figures SET story_id = ? WHERE story_id = ?", two)
        db.execute("DELETE FROM stories WHERE id = ?", [two[1]])
        db.execute("UPDATE figures SET value = value + 1 WHERE metric = 'arrests'")
        assert _stored(db) != _recomputed(db)  # deferred: nothing rebuilt yet
    assert _stored(db) == _recomputed(db)
    assert db.execute(held).fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM derived_pending").fetchone()[0] == 0
    with pytest.raises(ZeroDivisionError), archive.write(db), derived.refreshed_once(db):
        db.execute("UPDATE figures SET value = value + 1 WHERE metric = 'arrests'")
        _ = 1 / 0
    assert db.execute(held).fetchone()[0] == 0  # rolled back, triggers live again
    db.execute("UPDATE figures SET value = value + 1 WHERE metric = 'arrests'")  # autocommit
    assert _stored(db) == _recomputed(db)


# --- a long history: pages show the newest rows and say how to reach older ones (issue 18) ----

GROWN = 400  # copies, one day further back each: over a year of history


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Datasette:
    from monitor.datasette.grow import grow

    work = tmp_path_factory.mktemp("grown")
    (work / "grown").mkdir()
    return make_datasette(
        grow(build_archive(work / "archive.db"), work / "grown/archive.db", GROWN)
    )


def test_national_totals_lead_with_the_newest_and_page_back(grown: Datasette) -> None:
    got = rows(grown, "/archive/national_intensification_totals.json")
    assert len(got) == 50  # of 800 national stories
    weeks = [r["week_start"] for r in got]
    assert weeks[0] == "2025-06-20" and weeks == sorted(weeks, reverse=True)
    # Each row still carries that story's own figures, never a sum across stories.
    assert {(r["lines_closed"], r["arrests"]) for r in got} <= {(1000, 1500), (500, 800)}
    older = rows(grown, f"/archive/national_intensification_totals.json?before={weeks[-1]}")
    assert len(older) == 50 and all(r["week_start"] < weeks[-1] for r in older)
    assert all(r["mentions_intensification"] == 1 for r in got + older)
    page = get(grown, "/archive/national_intensification_totals").text
    assert "the latest 50" in page and 'name="before"' in page  # the page says how to go back
    feed = feedparser.parse(get(grown, "/archive/national_intensification_totals.atom").content)
    assert len(feed.entries) == 50 and feed.entries[0].title == NCA_2025[0]
    (none,) = rows(grown, "/archive/national_intensification_totals.json?before=2000-01-01")
    assert none["story_title"] == "No national results archived before 2000-01-01"
    chart = chart_rows(grown, "national-totals")
    assert max(r["week"] for r in chart) == "2025-06-20"
    assert len({(r["week"], r["story_title"]) for r in chart}) <= 100  # the latest 100 results
    assert {r["week"] for r in chart} == {r["week"] for r in chart_rows(grown, "national-totals")}
    old = chart_rows(grown, "national-totals", date_start="2024-01-01", date_end="2024-03-31")
    assert old and all("2024-01-01" <= r["week"] <= "2024-03-31" for r in old)


def test_force_figures_lead_with_the_newest_and_page_back(grown: Datasette) -> None:
    path = "/archive/force_figures.json?force=Greater+Manchester+Police"
    got = rows(grown, path)
    assert len(got) == 100  # of 5 x 400
    assert [(r["published"], r["metric"]) for r in got[:2]] == [
        ("2025-06-25", "arrests"),
        ("2025-06-25", "lines_closed"),
    ]
    dates = [r["published"] for r in got]
    assert dates == sorted(dates, reverse=True)
    older = rows(grown, f"{path}&before={dates[-1]}")
    assert len(older) == 100 and all(r["published"] < dates[-1] for r in older)
    feed = feedparser.parse(
        get(grown, "/archive/force_figures.atom?force=Greater+Manchester+Police").content
    )
    assert len(feed.entries) == 100
    (none,) = rows(grown, f"{path}&before=2000-01-01")
    assert none["story_title"] == (
        "No figures about Greater Manchester Police archived before 2000-01-01"
    )


def test_figures_by_month_shows_the_latest_twelve_months(grown: Datasette) -> None:
    got = rows(grown, "/archive/figures_by_month.json")
    months = sorted({r["month"] for r in got}, reverse=True)
    assert len(months) == 12 and months[0] == "2025-06"
    older = rows(grown, f"/archive/figures_by_month.json?before={months[-1]}")
    before = sorted({r["month"] for r in older}, reverse=True)
    assert 0 < len(before) <= 12 and before[0] < months[-1]  # what is left of the history
    # The totals are the month's whole sums: each story once, as story_figures counts them.
    sql = (
        "SELECT substr(published_date, 1, 7) AS month, metric, scope,"
        " COUNT(DISTINCT story_id) AS stories, SUM(value) AS total FROM story_figures"
        " WHERE published_date >= :since GROUP BY 1, 2, 3"
    )
    fresh = get(grown, "/archive.json", params={"sql": sql, "since": months[-1], "_shape": "array"})
    assert {(r["month"], r["metric"], r["scope"], r["stories"], r["total"]) for r in got} == {
        (r["month"], r["metric"], r["scope"], r["stories"], r["total"]) for r in fresh.json()
    }


def test_search_facets_by_publisher_only(grown: Datasette) -> None:
    data = get(grown, "/archive/articles.json?_search=cuckooed").json()
    assert set(data["facet_results"]) == {"publisher"}
    assert data["filtered_table_rows_count"] == GROWN

    # The description's ?relevant=1 still filters a search (the council-tax story is not).
    def count(query: str) -> int:
        return int(get(grown, f"/archive/articles.json?_search=BBC{query}").json()[
            "filtered_table_rows_count"])  # fmt: skip

    assert count("&relevant=0") == GROWN and count("&relevant=1") == count("") - GROWN > 0
    assert "?relevant=1" in get(grown, "/archive/articles").text


def test_datasette_connections_keep_a_large_page_cache(grown: Datasette) -> None:
    from monitor.datasette.plugins import serving

    db = grown.get_database("archive")
    size = asyncio.run(db.execute_fn(lambda conn: conn.execute("PRAGMA cache_size").fetchone()))
    assert size[0] == -serving.CACHE_KIB
