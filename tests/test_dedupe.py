"""Article identity: canonical URLs, content hashes and story matching rules."""

from __future__ import annotations

import pytest

from monitor import dedupe


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://www.bbc.co.uk/news/articles/c0ab?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.co.uk/news/articles/c0ab",
        ),
        (
            "https://www.dailyecho.co.uk/news/23001234.slug/?ref=rss",
            "https://www.dailyecho.co.uk/news/23001234.slug/",
        ),
        (
            "https://www.dailyecho.co.uk/news/23001234.slug/?ref=rss&utm_source=twitter#comments",
            "https://www.dailyecho.co.uk/news/23001234.slug/",
        ),
        (
            "https://news.google.com/rss/articles/CBMiabc?oc=5",
            "https://news.google.com/rss/articles/CBMiabc",
        ),
        (
            "HTTPS://WWW.GMP.Police.UK:443/news/x/?b=2&a=1",
            "https://www.gmp.police.uk/news/x/?a=1&b=2",
        ),
        ("https://example.org/page?ref=sidebar", "https://example.org/page?ref=sidebar"),
        ("http://127.0.0.1:8123/a/b?utm_medium=email", "http://127.0.0.1:8123/a/b"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert dedupe.canonical_url(url) == canonical


def test_content_hash_ignores_spacing_and_case() -> None:
    assert dedupe.content_hash("Twelve  lines\nclosed.") == dedupe.content_hash(
        "twelve lines closed"
    )
    assert dedupe.content_hash("twelve lines closed") != dedupe.content_hash("eleven lines closed")


def test_split_publisher_takes_the_last_dash() -> None:
    assert dedupe.split_publisher("Man jailed - for 6 years - Liverpool Echo") == (
        "Man jailed - for 6 years",
        "Liverpool Echo",
    )
    assert dedupe.split_publisher("No publisher here") == ("No publisher here", None)


SEED = {
    ("lines_closed", 172.0),
    ("arrests", 1360.0),
    ("weapons_seized", 321.0),
    ("cash_seized_gbp", 987562.0),
}


def key(title: str, body: str = "", figures: set | None = None) -> dedupe.StoryKey:
    return dedupe.StoryKey(dedupe.title_tokens(title), dedupe.shingles(body), figures or set())


def test_same_figure_set_is_the_same_announcement_despite_rewording() -> None:
    a = key("Record 172 county lines shut in a week", "Forces closed lines.", SEED)
    b = key("Hundreds arrested in drugs crackdown", "Police say many arrests.", SEED)
    assert dedupe.same_story(a, b)


def test_different_weeks_with_similar_wording_do_not_merge() -> None:
    other = {("lines_closed", 250.0), ("arrests", 1613.0), ("weapons_seized", 400.0)}
    a = key("County lines week of action results", "Officers closed lines.", SEED)
    b = key("County lines week of action results", "Officers closed lines.", other)
    assert not dedupe.same_story(a, b)


def test_headline_only_item_joins_by_title() -> None:
    a = key("Record 172 county lines shut down by police in a single week")
    b = key("Record 172 county lines shut down by police in a single week of action", "", SEED)
    assert dedupe.same_story(a, b)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.kentonline.co.uk/news/crime/drugs-12345/",
        "http://www.kentonline.co.uk/news/crime/drugs-12345",
        "https://m.kentonline.co.uk/news/crime/drugs-12345/",
        "https://amp.kentonline.co.uk/news/crime/drugs-12345/",
        "https://www.kentonline.co.uk/news/crime/drugs-12345/amp/",
        "https://www.kentonline.co.uk/amp/news/crime/drugs-12345/",
        "https://www.kentonline.co.uk/news/crime/drugs-12345.amp",
        "https://www.kentonline.co.uk/news/crime/drugs-12345/?amp=1&utm_source=x",
        "https://www-kentonline-co-uk.cdn.ampproject.org/c/s/www.kentonline.co.uk/news/crime/drugs-12345/amp/",
        "https://www.google.com/amp/s/www.kentonline.co.uk/news/crime/drugs-12345/amp",
    ],
)
def test_url_key_is_one_identity_for_every_edition(url: str) -> None:
    assert dedupe.url_key(url) == "kentonline.co.uk/news/crime/drugs-12345"


def test_url_key_keeps_what_identifies_a_page() -> None:
    assert dedupe.url_key("https://policeoracle.com/news/article.cfm?id=109789") != (
        dedupe.url_key("https://policeoracle.com/news/article.cfm?id=109790")
    )
    assert dedupe.url_key("https://touch.policeoracle.com/news/article.cfm?id=1") == (
        dedupe.url_key("https://www.policeoracle.com/news/article.cfm?id=1")
    )
    assert dedupe.url_key("http://127.0.0.1:8123/a/") == "127.0.0.1:8123/a"


RELEASE = (
    "Officers arrested {a} people during a week of action between {d} and {e} October. During"
    " the operation {b} county lines were closed and officers seized £{c} in cash."
)


def test_numbers_veto_a_look_alike_release() -> None:
    one = dedupe.story_key("Week of action", RELEASE.format(a=38, b=4, c="15,000", d=6, e=12))
    two = dedupe.story_key("Week of action", RELEASE.format(a=41, b=3, c="9,500", d=13, e=19))
    same = dedupe.story_key("Other headline", RELEASE.format(a=38, b=4, c="15,000", d=6, e=12))
    assert dedupe.match(one, two) is None
    assert dedupe.match(one, same) == "text"
    assert dedupe.numbers(RELEASE.format(a=38, b=4, c="15,000", d=6, e=12)) == {
        "38",
        "4",
        "15000",
        "6",
        "12",
    }


def test_headline_only_items_need_matching_numbers() -> None:
    article = dedupe.story_key("172 county lines shut in a week", "Forty words of text. " * 5)
    assert dedupe.match(dedupe.story_key("172 county lines shut in a week - BBC"), article)
    assert not dedupe.match(dedupe.story_key("250 county lines shut in a week"), article)


def test_police_forces_veto_each_other() -> None:
    a = key("County lines week of action results", "", SEED)
    b = key("County lines week of action results", "", SEED)
    a.force, b.force = "Kent Police", "Essex Police"
    assert dedupe.match(a, b) is None
