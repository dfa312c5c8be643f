"""One row per demo source, City Scrapers style: the saved feed or listing, parsed as the spider
parses it, with exact assertions on the first item and invariants over all items."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from monitor import config, feeds
from monitor.demo import CONFIG, SITE
from spiders.listing import ListingSpider

BASE = "http://127.0.0.1:8123"
CFG = config.load(CONFIG, {"BASE": BASE})
SOURCES = {s.name: s for s in CFG.sources}


def fixture_bytes(url: str) -> bytes:
    path = url.removeprefix(BASE).split("?")[0].lstrip("/")
    file = SITE / path
    if file.is_dir() or path.endswith("/") or not path:
        file = file / "index.html"
    return Path(file).read_bytes().replace(b"{{BASE}}", BASE.encode())


def entries(name: str) -> list[tuple[str, str, str | None]]:
    """(title, url, published) of each entry, as the spiders produce them."""
    source = SOURCES[name]
    body = fixture_bytes(source.url)
    if source.type == "feed":
        return [(i.title, i.url, i.published) for i in feeds.parse(body, source.url)]
    response = HtmlResponse(source.url, body=body, encoding="utf-8")
    spider = ListingSpider(sources=[source])
    return [(a.entry.title, a.entry.url, a.entry.published) for a in spider.read(source, response)]


# name, entries, first title, first url (path), first published (UTC)
CASES = [
    (
        "greater-manchester-police",
        3,
        "County line shut down and four arrested after Oldham drugs raids",
        "/gmp/news/greater-manchester/news/news/2022/october/county-line-shut-down-and-four-arrested-after-oldham-drugs-raids/",
        "2022-10-12T12:20:00+00:00",
    ),
    (
        "merseyside-police",
        3,
        "Line holder jailed for running 'Benz' county line into North Wales",
        "/merseyside/news/merseyside/news/news/2022/october-2022/line-holder-jailed-for-running-benz-county-line-into-north-wales/",
        "2022-10-11T16:45:00+00:00",
    ),
    (
        "metropolitan-police",
        3,
        "Road closures in place for Remembrance Sunday in Westminster",
        "/met/news/road-closures-in-place-for-remembrance-sunday-in-westminster-458305/",
        "2022-10-14T09:05:00+00:00",
    ),
    (
        "national-crime-agency",
        3,
        "Fraudster who stole £1.3 million from pensioners jailed",
        "/nca/news/fraudster-who-stole-from-pensioners-jailed/",
        "2022-10-14T14:00:00+00:00",
    ),
    (
        "home-office",
        3,
        "Up to £145 million to crack down on county lines gangs",
        "/govuk/government/news/up-to-145-million-to-crack-down-on-county-lines-gangs/",
        "2022-10-18T08:12:44+00:00",
    ),
    (
        "bbc-england",
        3,
        "County lines: Record number of drug lines closed in week-long crackdown",
        "/bbc/news/articles/c8v4lk2pj0zo/?at_medium=RSS&at_campaign=rss",
        "2022-10-14T11:23:51+00:00",
    ),
    (
        "manchester-evening-news",
        3,
        "County lines crackdown sees record 172 drug lines shut down in a week",
        "/men/news/uk-news/county-lines-crackdown-record-172-drug-25268431/",
        "2022-10-14T14:42:00+00:00",
    ),
    (
        "daily-echo",
        4,
        "Police close 172 county drug lines in one week as 1,360 people arrested",
        "/echo/news/23052917.police-close-172-county-drug-lines-one-week/?ref=rss",
        "2022-10-14T16:05:00+00:00",
    ),
    (
        "google-news-county-lines",
        4,
        "County lines crackdown sees record 172 drug lines shut down in a week",
        None,
        "2022-10-14T14:42:00+00:00",
    ),
    (
        "npcc",
        3,
        "Record 172 county lines closed in a single week of action",
        "/npcc/releases/record-172-county-lines-closed-in-a-single-week-of-action/",
        "2022-10-13T23:00:00+00:00",
    ),  # "14 Oct 2022": London midnight, in BST
    (
        "kent-police",
        3,
        "Officers visit 46 homes at risk of cuckooing in county lines crackdown",
        "/news/kent/news/news/2022/october/officers-visit-46-homes-at-risk-of-cuckooing-in-county-lines-crackdown/",
        "2022-10-13T13:05:00+00:00",
    ),  # "Published: 14:05 13/10/2022", relative href, thumbnail twin
]


@pytest.mark.parametrize(
    ("name", "count", "title", "path", "published"), CASES, ids=[c[0] for c in CASES]
)
def test_first_entry(
    name: str, count: int, title: str | None, path: str | None, published: str | None
) -> None:
    found = entries(name)
    assert len(found) == count
    first_title, first_url, first_published = found[0]
    if title:
        assert first_title == title
    if path:
        assert first_url == BASE + path
    if published:
        assert first_published == published


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_invariants(name: str) -> None:
    for title, url, published in entries(name):
        assert title.strip() and "<" not in title
        assert url.startswith(BASE + "/")
        assert published is None or published.endswith("+00:00")


def test_every_demo_source_has_a_row() -> None:
    assert {c[0] for c in CASES} == set(SOURCES)
