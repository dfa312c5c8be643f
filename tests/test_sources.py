"""One row per demo source, City Scrapers style: the saved feed or listing, parsed as the spider
parses it, with exact assertions on the first item and invariants over all items."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from scrapy.http import HtmlResponse, XmlResponse
from sqlite_utils import Database

from monitor import check, config, feeds
from monitor.demo import CONFIG, SITE
from monitor.items import Article
from monitor.loopback import SiteServer
from spiders.feed import FeedSpider
from spiders.listing import ListingSpider
from tests.conftest import ROOT, monitor

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


# ---- Platforms of the shipped config: one fixture each, read through the real spider ----

PLATFORMS = ROOT / "tests" / "fixtures" / "platforms"
SHIPPED = config.load(ROOT / "config.yaml")
FIXTURE_OF = {
    "soh-rss": ("soh-rss.xml", "lancashire-constabulary"),
    "soh-listing": ("soh-listing.html", "essex-police"),
    "mynewsdesk": ("mynewsdesk.xml", "metropolitan-police"),
    "joomla": ("joomla.xml", "national-crime-agency"),
    "govuk-atom": ("govuk-atom.atom", "gov-uk-county-lines"),
    "bbc": ("bbc.xml", "bbc-leeds-and-west-yorkshire"),
    "google-news": ("google-news.xml", "google-news-deal-line"),
    "reach": ("reach.xml", "chronicle-live"),
    "newsquest": ("newsquest.xml", "northern-echo"),
    "national-world": ("national-world.xml", "sunderland-echo"),
    "wordpress": ("wordpress.xml", "serocu"),
    "drupal": ("drupal.xml", "west-yorkshire-police"),
    "npcc": ("npcc.html", "npcc"),
    "police-scotland": ("police-scotland.html", "police-scotland"),
    "psni": ("psni.html", "psni"),
}


async def _collect(articles: AsyncIterator[Article]) -> list[Article]:
    return [a async for a in articles]


def through_spider(platform: str) -> list[tuple[str, str, str | None]]:
    """(title, url, published) of each entry, as the shipped source's spider reads the fixture:
    its own selectors, preset and date format, only the URL moved to the fixture."""
    file, name = FIXTURE_OF[platform]
    source = SHIPPED.source(name).model_copy(update={"url": f"{BASE}/{file}"})
    spider_cls = FeedSpider if source.type == "feed" else ListingSpider
    spider = spider_cls(sources=[source])
    request = spider.poll_request(source)
    body = (PLATFORMS / file).read_bytes().replace(b"{{BASE}}", BASE.encode())
    response_cls = HtmlResponse if source.type == "html" else XmlResponse
    response = response_cls(source.url, body=body, encoding="utf-8", request=request)
    articles = asyncio.run(_collect(spider.parse_poll(response)))
    found = [(a.entry.title, a.entry.url, a.entry.published) for a in articles]
    assert spider.polls[source.id].error is None, spider.polls[source.id]
    return found


# platform, entries, first title, first url (path), first published (UTC)
PLATFORM_CASES = [
    ("soh-rss", 3, "County line dismantled and three charged after Preston warrants",
     "/news/lancashire/news/news/2026/october/county-line-dismantled-and-three-charged-after-preston-warrants/",
     "2026-10-13T14:05:00+00:00"),
    ("soh-listing", 2, "Eleven county lines closed in a week of action",
     "/news/essex/news/news/2026/october/eleven-county-lines-closed-in-a-week-of-action/",
     "2026-10-16T09:15:00+00:00"),  # "Published: 10:15 16/10/2026" is BST
    ("mynewsdesk", 2, "Man jailed for running the 'Tommy' drugs line from Lambeth to Hastings",
     "/news/man-jailed-for-running-the-tommy-drugs-line-487201", "2026-10-15T16:37:00+00:00"),
    ("joomla", 2, "NCA and police disrupt county lines supplying Class A drugs to the coast",
     "/news/nca-and-police-disrupt-county-lines-supplying-the-coast", "2026-10-14T09:00:00+00:00"),
    ("govuk-atom", 2, "More funding to tackle county lines",
     "/government/news/more-funding-to-tackle-county-lines", "2026-10-16T09:00:02+00:00"),
    ("bbc", 2, "Teenagers were forced to sell drugs in Bradford, court hears",
     "/news/articles/c0dg4kxr2e9o?at_medium=RSS&at_campaign=rss", "2026-10-16T06:12:40+00:00"),
    ("google-news", 2, "Dealer who ran 'Jay' deal line from Birmingham jailed",
     "/rss/articles/CBMiTESTtokenAAA?oc=5", "2026-10-15T07:00:00+00:00"),
    ("reach", 2, "Gang who flooded Sunderland with heroin through a county line jailed for 40 years",
     "/news/north-east-news/gang-flooded-sunderland-heroin-county-31874512", "2026-10-15T15:30:00+00:00"),
    ("newsquest", 2, "Darlington drug dealers jailed after police cracked their 'Nathan' line",
     "/news/24911873.darlington-drug-dealers-jailed-nathan-line/?ref=rss", "2026-10-14T18:05:00+00:00"),
    ("national-world", 2, "Sunderland cuckooing victims helped as police close drugs line",
     "/news/crime/sunderland-cuckooing-victims-helped-as-police-close-drugs-line-4821907",
     "2026-10-13T11:00:00+00:00"),
    ("wordpress", 2, "Organised crime group that ran county lines into Oxford sentenced to 52 years",
     "/organised-crime-group-county-lines-oxford-sentenced/", "2026-10-15T10:00:00+00:00"),
    ("drupal", 2, "Warrants executed in Kirklees in county lines investigation",
     "/news-appeals/warrants-executed-kirklees-county-lines-investigation", "2026-10-14T14:12:00+00:00"),
    ("npcc", 2, "County lines intensification week: 1,200 arrests",
     "/releases/county-lines-intensification-week-results", "2026-10-15T23:00:00+00:00"),
    ("police-scotland", 2, "Drugs worth £250,000 recovered in Aberdeen in county lines operation",
     "/what-s-happening/news/2026/october/drugs-worth-250-000-recovered-in-aberdeen/",
     "2026-10-15T10:30:00+00:00"),
    ("psni", 2, "Drugs seized and two arrested in Belfast search operation",
     "/latest-news/search-operation-belfast-drugs-seized", "2026-10-15T13:20:00+00:00"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("platform", "count", "title", "path", "published"),
    PLATFORM_CASES,
    ids=[c[0] for c in PLATFORM_CASES],
)
def test_platform_fixture_through_the_spider(
    platform: str, count: int, title: str, path: str, published: str
) -> None:
    found = through_spider(platform)
    assert len(found) == count
    assert found[0] == (title, BASE + path, published)
    for entry_title, url, when in found:
        assert entry_title.strip() and "<" not in entry_title
        assert url.startswith(BASE + "/") and when and when.endswith("+00:00")


def test_every_configured_source_is_on_a_platform_with_a_fixture() -> None:
    assert {c[0] for c in PLATFORM_CASES} == set(FIXTURE_OF)
    unplaced = [s.name for s in SHIPPED.sources if check.platform(s) not in FIXTURE_OF]
    assert unplaced == []
    assert {check.platform(s) for s in SHIPPED.sources} == set(FIXTURE_OF)  # no fixture unused


def test_every_platform_polled_by_a_real_cycle_on_loopback(tmp_path: Path) -> None:
    """The shipped sources of each platform, moved onto a loopback copy of the fixtures: one
    `monitor run` reads them all, and `monitor coverage` then counts their forces as watched."""
    with SiteServer(PLATFORMS) as site:
        sources = []
        for file, name in FIXTURE_OF.values():
            moved = SHIPPED.source(name).model_copy(
                update={"url": f"{site.base}/{file}", "fetch_articles": False}
            )
            sources.append(moved.model_dump(exclude_none=True))
        cfg = tmp_path / "config.yaml"
        cfg.write_text(yaml.safe_dump({"archive": str(tmp_path / "a.db"), "sources": sources}))
        monitor("run", "--all", "--config", str(cfg))
    db = Database(tmp_path / "a.db")
    polls = {r["source_id"]: (r["entries"], r["error"]) for r in db["polls"].rows}
    counts = {FIXTURE_OF[p][1]: n for p, n, *_ in PLATFORM_CASES}
    assert polls == {name: (n, None) for name, n in counts.items()}
    out = monitor("coverage", "--config", str(cfg)).stdout
    watched = {"Lancashire Constabulary", "Essex Police", "Metropolitan Police Service",
               "West Yorkshire Police", "Police Scotland", "Police Service of Northern Ireland"}  # fmt: skip
    for force in watched:
        assert " watched " in next(ln for ln in out.splitlines() if ln.startswith(force + " "))
