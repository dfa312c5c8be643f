"""How archive values read on the pages (shared by the bundled Datasette plugins)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
UTC_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(\+00:00|Z)$")


def safe_url(url: Any) -> str | None:
    """Only http(s) links reach the page: a stored URL came from a feed, so never trust it."""
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def number(value: Any) -> str:
    """12.0 -> '12', 2700000.0 -> '2,700,000', 1.5 -> '1.5'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def uk_time(iso: Any) -> str | None:
    """A UTC timestamp as people in the UK read it: '2022-10-14 09:00 BST'."""
    if not isinstance(iso, str) or not UTC_STAMP.match(iso):
        return None
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(LONDON)
    return when.strftime("%Y-%m-%d %H:%M %Z")


def sha256(text: Any) -> str | None:
    """SHA-256 of the text the monitor read (UTF-8), so a quote can be checked later."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if isinstance(text, str) else None
