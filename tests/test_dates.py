"""Dates as the publisher meant them: zones, offsets, day precision, partial and absurd dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor import dates, feeds

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _rss(pub: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Force news</title>'
        "<link>https://www.example.police.uk/news/</link><item><title>County line closed</title>"
        "<link>https://www.example.police.uk/news/a/</link>"
        f"<pubDate>{pub}</pubDate></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("pub", "expected"),
    [
        ("Tue, 11 Oct 2022 17:45:00 BST", "2022-10-11T16:45:00+00:00"),
        ("Tue, 11 Oct 2022 17:45:00 CEST", "2022-10-11T15:45:00+00:00"),
        ("Tue, 11 Oct 2022 17:45:00 +0100", "2022-10-11T16:45:00+00:00"),
        ("Tue, 11 Oct 2022 17:45:00 GMT", "2022-10-11T17:45:00+00:00"),
        ("Tue, 11 Oct 2022 17:45:00 EST", "2022-10-11T22:45:00+00:00"),
        ("14 Oct 2022", "2022-10-13T23:00:00+00:00"),  # date only: London midnight, as listings
        ("2022-12-14", "2022-12-14T00:00:00+00:00"),
    ],
)
def test_feed_zones_are_read_as_their_real_offsets(pub: str, expected: str) -> None:
    (item,) = feeds.parse(_rss(pub), "https://www.example.police.uk/news/rss")
    assert item.published == expected


@pytest.mark.parametrize(
    "pub",
    [
        "Thu, 01 Jan 2099 10:00:00 GMT",
        "Fri, 31 Dec 9999 10:00:00 GMT",
        "Tue, 11 Oct 2022 17:45:00 +2500",
        "Tue, 11 Oct 2022 17:45:00 +0960",
        "Sun, 01 Jan 1984 10:00:00 GMT",
    ],
)
def test_absurd_feed_dates_are_not_believed(pub: str) -> None:
    """No date: the archive falls back to the fetch time, so 2099 never tops the latest list."""
    (item,) = feeds.parse(_rss(pub), "https://www.example.police.uk/news/rss")
    assert item.published is None


def test_a_clock_a_few_hours_ahead_is_still_believed() -> None:
    parsed = datetime(2026, 12, 1, 18, 0, tzinfo=UTC).timetuple()
    assert dates.from_feed("Tue, 01 Dec 2026 18:00:00 GMT", parsed, NOW) == (
        "2026-12-01T18:00:00+00:00"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14 Oct 2022", "2022-10-13T23:00:00+00:00"),  # London midnight in BST
        ("14 Dec 2022", "2022-12-14T00:00:00+00:00"),  # London midnight in GMT
        ("Published: 14:05 13/10/2022", "2022-10-13T13:05:00+00:00"),
        ("11/10/2022 17:45 BST", "2022-10-11T16:45:00+00:00"),
        ("11/10/2022 17:45 CEST", "2022-10-11T15:45:00+00:00"),
        ("2022-10-11", "2022-10-10T23:00:00+00:00"),  # ISO is year-month-day, never day-first
        ("2022-10-11T17:45:00+01:00", "2022-10-11T16:45:00+00:00"),
    ],
)
def test_listing_dates(text: str, expected: str) -> None:
    assert dates.parse_local(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text", ["2025", "March 2025", "11/10/2022 17:45 +2500", "1 January 2099", "", "soon"]
)
def test_partial_or_absurd_listing_dates_are_not_completed(text: str) -> None:
    """ "2025" never becomes today's month and day in 2025."""
    assert dates.parse_local(text, now=NOW) is None


@pytest.mark.parametrize(
    ("iso", "day"),
    [
        ("2022-10-13T23:00:00+00:00", "2022-10-14"),
        ("2022-12-14T00:00:00+00:00", "2022-12-14"),
        ("2022-10-14T22:59:59+00:00", "2022-10-14"),
        ("2022-10-14T23:00:00+00:00", "2022-10-15"),
    ],
)
def test_uk_date_is_the_day_people_read(iso: str, day: str) -> None:
    assert dates.uk_date(iso) == day
