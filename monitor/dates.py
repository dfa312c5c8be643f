"""Dates from feeds and listings -> UTC ISO 8601; naive UK times are read as Europe/London.

The rules here keep a date as the publisher meant it (research/reliability.md, issue 17): a
date-only value is London midnight (its UK date kept beside it by the archive), the zone names
BST and CEST that feedparser reads as UTC are read as their real offsets, an offset beyond
+-14:00 is refused, a date before 1995 or more than a day in the future is not believed (the
caller falls back to the fetch time), and a partial date ("2025", "March 2025") is never
completed with today's month and day.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

LONDON = ZoneInfo("Europe/London")
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)  # before any police force published online
FUTURE_SLACK = timedelta(days=1)  # a clock a little ahead is fine; 2099 is not

# Zone names feedparser does not know (it reads them as UTC), in hours east of UTC. IST is left
# out on purpose: Irish Summer Time and India Standard Time share it.
NAMED_ZONES: dict[str, int] = {
    "BST": 1,
    "WET": 0,
    "WEST": 1,
    "CET": 1,
    "MET": 1,
    "CEST": 2,
    "MEST": 2,
    "EET": 2,
    "EEST": 3,
}
_TRAILING_ZONE = re.compile(r"(?:\s|\d)([A-Z]{3,4})\s*$")
_TIME_OF_DAY = re.compile(r"\d:\d\d")
_TRAILING_OFFSET = re.compile(r"(?:\s|\d)([+-])(\d{2}):?(\d{2})\s*$")


def from_struct(value: time.struct_time | None) -> str | None:
    """feedparser's *_parsed fields are already UTC struct_times."""
    if value is None:
        return None
    try:
        return utc_iso(datetime.fromtimestamp(calendar.timegm(value), UTC))
    except (OverflowError, ValueError):
        return None


def from_feed(
    raw: str | None, parsed: time.struct_time | None, now: datetime | None = None
) -> str | None:
    """A feed entry's date (feedparser's raw string and its UTC reading), or None if unusable."""
    if parsed is None:
        return None
    try:
        when = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError):
        return None
    raw = (raw or "").strip()
    if raw and not _TIME_OF_DAY.search(raw):  # "14 Oct 2022": the day in London, as a listing
        when = datetime(when.year, when.month, when.day, tzinfo=LONDON)
        return utc_iso(when) if believable(when, now) else None
    offset = _TRAILING_OFFSET.search(raw)
    if offset and (int(offset.group(2)) > 14 or int(offset.group(3)) >= 60):
        return None  # "+2500": feedparser shifts the time by a day; nobody meant that
    zone = _TRAILING_ZONE.search(raw)
    if zone and zone.group(1) in NAMED_ZONES:
        when -= timedelta(hours=NAMED_ZONES[zone.group(1)])
    return utc_iso(when) if believable(when, now) else None


def believable(when: datetime, now: datetime | None = None) -> bool:
    """Not before 1995 and not more than a day ahead of now."""
    return EARLIEST <= when <= (now or datetime.now(UTC)) + FUTURE_SLACK


# Two defaults that differ in every field: a field the text does not give shows up as a
# difference between the two readings, so a partial date is known to be partial.
_DEFAULTS = (datetime(2001, 1, 1, 0, 0), datetime(2002, 2, 2, 1, 1))


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]|$)")
_TZINFOS = {name: hours * 3600 for name, hours in NAMED_ZONES.items()} | {"GMT": 0, "UTC": 0}


def _read(text: str, default: datetime) -> datetime:
    return dateutil_parser.parse(text, dayfirst=True, fuzzy=True, default=default, tzinfos=_TZINFOS)


def parse_local(
    text: str | None, fmt: str | None = None, now: datetime | None = None
) -> str | None:
    """A listing's date string (UK day-first, no zone means London) in UTC, or None when it is
    missing, partial (no day), zoned beyond +-14:00 or outside the believable range."""
    if not text or not text.strip():
        return None
    cleaned = text.strip().removeprefix("Published:").strip()
    try:
        if fmt:
            when = datetime.strptime(cleaned, fmt)
        elif _ISO_DAY.match(cleaned):  # dateutil's dayfirst would swap month and day of ISO
            when = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
        else:
            a, b = (_read(cleaned, default) for default in _DEFAULTS)
            if a.date() != b.date():
                return None  # "2025" or "March 2025": the day was never stated
            when = a
    except (ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=LONDON)
    try:
        offset = when.utcoffset()
    except ValueError:  # dateutil keeps "+2500" and only fails when asked for the offset
        return None
    if offset is None or abs(offset) > timedelta(hours=14):
        return None
    return utc_iso(when) if believable(when.astimezone(UTC), now) else None


def utc_iso(when: datetime | None = None) -> str:
    """UTC ISO 8601 to the second: the archive's one timestamp format (now, by default)."""
    return (when or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0).isoformat()


def uk_date(iso: str | None) -> str | None:
    """The UK local calendar date (YYYY-MM-DD) of a UTC timestamp: the date people read."""
    if not iso:
        return None
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(LONDON).date().isoformat()
