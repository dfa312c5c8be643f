"""Dates from feeds and listings -> UTC ISO 8601; naive UK times are read as Europe/London."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

LONDON = ZoneInfo("Europe/London")


def from_struct(value: time.struct_time | None) -> str | None:
    """feedparser's *_parsed fields are already UTC struct_times."""
    if value is None:
        return None
    try:
        return utc_iso(datetime.fromtimestamp(calendar.timegm(value), UTC))
    except (OverflowError, ValueError):
        return None


def parse_local(text: str | None, fmt: str | None = None) -> str | None:
    """A listing's date string (UK day-first, no zone means London) in UTC, or None."""
    if not text or not text.strip():
        return None
    cleaned = text.strip().removeprefix("Published:").strip()
    try:
        if fmt:
            when = datetime.strptime(cleaned, fmt)
        else:
            when = dateutil_parser.parse(cleaned, dayfirst=True, fuzzy=True)
    except (ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=LONDON)
    return utc_iso(when)


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
