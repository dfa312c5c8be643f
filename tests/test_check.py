"""`monitor check`: config problems found without polling, and one polite probe per source that
says what each URL is (served on loopback from tests/fixtures/platforms/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor import check, config
from monitor.config import USER_AGENT
from monitor.loopback import SiteServer
from tests.conftest import FIXTURES, ROOT, monitor


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer(FIXTURES / "platforms") as server:
        yield server


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"archive: {tmp_path / 'a.db'}\nsources:\n{body}")
    return path


def test_the_shipped_config_passes_and_is_summarised_by_platform() -> None:
    proc = monitor("check", "--config", str(ROOT / "config.yaml"))
    summary = proc.stdout.strip().splitlines()[-1]
    assert summary.startswith("138 sources, 109 of them verified: false: bbc 28 (23 unverified),")
    assert "soh-rss 37 (33 unverified)" in summary and "other" not in summary


def test_problems_are_one_line_each_and_exit_1(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        """  - {name: a, url: "https://a.example/feed", force: Kent Constabulary}
  - {name: b, url: "https://a.example/feed"}
  - name: c
    url: https://c.example/news
    type: html
    selectors: {item: "li[", link: "a::attr(href)"}
  - {name: d, url: "https://d.example/feed", preset: soh-listing}
""",
    )
    proc = monitor("check", "--config", str(cfg), check=False)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[:4] == [
        f"{cfg}: sources[0].force: 'Kent Constabulary' is not a UK force (monitor/forces.py)",
        f"{cfg}: sources[1].url: same URL as 'a'",
        f"{cfg}: sources[2].selectors.item: 'li[' is not CSS: "
        + proc.stdout.splitlines()[2].split("is not CSS: ", 1)[1],
        f"{cfg}: sources[3]: a feed is read as a feed; selectors and preset are ignored",
    ]
    assert proc.stderr.strip() == f"Error: {cfg}: 4 problems"


def test_a_bad_interval_is_the_config_loaders_one_line(tmp_path: Path) -> None:
    cfg = write(tmp_path, '  - {name: a, url: "https://a.example/f", every: fortnightly}\n')
    proc = monitor("check", "--config", str(cfg), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"Error: {cfg}: sources[0].every: 'fortnightly' is not an interval like 30m, 2h or 1d"
    )


def test_probe_reports_each_verdict_kind_once(site: SiteServer, tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        f"""  - {{name: soh, url: "{site.base}/soh-rss.xml", kind: police}}
  - name: scotland
    url: {site.base}/police-scotland.html
    type: html
    selectors:
      item: "li.news-listing__item"
      link: "a.news-listing__link::attr(href)"
      title: ".news-listing__title"
  - {{name: newsroom, url: "{site.base}/newsroom.html"}}
  - {{name: gone, url: "{site.base}/missing.xml"}}
  - {{name: private, url: "{site.base}/private/feed.xml"}}
  - {{name: paused, url: "{site.base}/off.xml", enabled: false}}
""",
    )
    proc = monitor("check", "--config", str(cfg), "--probe", "--delay", "0", check=False)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()[1:]
    assert [line.split()[:2] for line in lines[:5]] == [
        ["ok", "soh"],
        ["ok", "scotland"],
        ["FAIL", "newsroom"],
        ["FAIL", "gone"],
        ["FAIL", "private"],
    ]
    details = [line.split(None, 2)[2] for line in lines[:5]]
    assert details == [
        "RSS feed with 3 entries",
        "listing: selectors matched 2 items",
        f"not a feed (an HTML page?): it advertises {site.base}/soh-rss.xml, "
        f"{site.base}/govuk-atom.atom",
        "HTTP 404",
        "refused by robots.txt for our User-Agent",
    ]
    assert lines[5] == "5 sources probed: 2 usable, 3 unusable"
    paths = [path for path, _ in site.requests]
    assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1
    assert "/private/feed.xml" not in paths and "/off.xml" not in paths
    assert {headers["user-agent"] for _, headers in site.requests} == {USER_AGENT}
    kinds = [r.kind for r in check.probe(config.load(cfg), delay=0)]
    assert kinds == ["feed", "listing", "not a feed", "http error", "robots.txt"]  # each once


def test_probe_follows_no_redirect_to_an_unconfigured_loopback(
    site: SiteServer, tmp_path: Path
) -> None:
    with SiteServer(FIXTURES / "platforms") as other:
        site.routes["/moved.xml"] = lambda h: (302, {"Location": f"{other.base}/soh-rss.xml"}, b"")
        cfg = write(tmp_path, f'  - {{name: moved, url: "{site.base}/moved.xml"}}\n')
        proc = monitor("check", "--config", str(cfg), "--probe", "--delay", "0", check=False)
        assert proc.returncode == 1
        assert f"blocked {other.base}/soh-rss.xml" in proc.stdout
        assert "not a public address, and not a configured source" in proc.stdout
        assert other.requests == []


RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="http://x/"><title>RDF news</title><link>http://x/</link>
    <description>d</description></channel>
  <item rdf:about="http://x/1"><title>One</title><link>http://x/1</link></item>
</rdf:RDF>"""


def test_probe_names_the_format_and_an_empty_listing_fails_with_its_feeds(
    site: SiteServer, tmp_path: Path
) -> None:
    site.routes["/rdf.xml"] = lambda h: (200, {"Content-Type": "application/rdf+xml"}, RDF)
    cfg = write(
        tmp_path,
        f"""  - {{name: atom, url: "{site.base}/govuk-atom.atom"}}
  - {{name: rdf, url: "{site.base}/rdf.xml"}}
  - name: wrong-selectors
    url: {site.base}/soh-listing.html
    type: html
    selectors: {{item: "li.news-listing__item", link: "a::attr(href)"}}
""",
    )
    proc = monitor("check", "--config", str(cfg), "--probe", "--delay", "0", check=False)
    assert proc.returncode == 1
    details = [line.split(None, 2)[2] for line in proc.stdout.splitlines()[1:4]]
    assert details == [
        "Atom feed with 2 entries",
        "RDF feed with 1 entry",
        f"listing: selectors matched 0 items; it advertises {site.base}/news/essex/news/GetNewsRss/",
    ]


def test_probe_of_a_closed_port_says_unreachable(tmp_path: Path) -> None:
    cfg = write(tmp_path, '  - {name: closed, url: "http://127.0.0.1:9/feed.xml"}\n')
    (result,) = check.probe(config.load(cfg), delay=0)
    assert (result.kind, result.usable) == ("unreachable", False)
    assert result.detail.startswith("unreachable: ") and "refused" in result.detail.lower()
