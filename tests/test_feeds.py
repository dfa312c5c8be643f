"""Feed bytes -> entries, on formats and pathologies seen in real UK feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import feeds
from tests.conftest import FIXTURES

FEEDS = FIXTURES / "feeds"


def parse(name: str, base: str = "https://example.org/feed") -> list[feeds.FeedItem]:
    return feeds.parse((FEEDS / name).read_bytes(), base)


def test_challenge_page_served_as_200_is_not_a_feed() -> None:
    with pytest.raises(feeds.NotAFeed):
        parse("challenge.html")


def test_empty_body_is_not_a_feed() -> None:
    with pytest.raises(feeds.NotAFeed):
        feeds.parse(b"   ", "https://example.org/feed")


def test_gov_uk_atom_uses_updated_and_alternate_link() -> None:
    first, second = parse("gov-uk-updated-only.atom", "https://www.gov.uk/x.atom")
    assert (
        first.url
        == "https://www.gov.uk/government/news/new-funding-to-tackle-county-lines-exploitation"
    )
    assert (
        first.guid
        == "tag:www.gov.uk,2005:/government/news/new-funding-to-tackle-county-lines-exploitation"
    )
    assert first.published == "2022-10-16T09:00:02+00:00"  # +01:00 in the feed, UTC here
    assert first.summary.startswith("The government will spend up to £145 million")
    assert "<p>" not in first.summary
    assert second.url == "https://www.gov.uk/government/news/relative-link"


def test_google_news_title_loses_publisher_suffix_and_description_is_plain() -> None:
    (item,) = parse("google-news.xml")
    assert item.title == "Record 172 county lines shut down in a single week"
    assert item.publisher == "Southern Daily Echo"
    assert item.published == "2022-10-14T07:00:00+00:00"
    assert "&nbsp;" not in item.summary and "<a" not in item.summary


def test_windows_1252_feed_and_hostile_links() -> None:
    items = parse("cp1252.xml", "https://www.dailyecho.co.uk/news/rss/")
    assert [i.title for i in items] == ["‘Line holder’ jailed after £20,000 found"]
    assert items[0].summary == "A county lines dealer was jailed & banned."
    # file: via xml:base, javascript: and an empty title are all dropped


@pytest.mark.parametrize("name", ["gov-uk-updated-only.atom", "google-news.xml", "cp1252.xml"])
def test_invariants(name: str) -> None:
    for item in parse(name):
        assert item.url.startswith(("http://", "https://"))
        assert item.title.strip()
        assert item.published is None or item.published.endswith("+00:00")


def test_feedparser_is_never_given_a_path(tmp_path: Path) -> None:
    secret = tmp_path / "canary.xml"
    secret.write_text(
        "<rss version='2.0'><channel><item><title>canary</title>"
        "<link>https://x.org/a</link></item></channel></rss>"
    )
    with pytest.raises(feeds.NotAFeed):
        feeds.parse(str(secret).encode(), "https://example.org/feed")
