"""Datasette plugin: how each SQLite connection Datasette opens reads a large archive."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

# KiB of page cache per connection (SQLite's default is 2,000 KiB). At ten years (~170k
# articles, ~800 MB) a search or facet looks up thousands of article rows spread over the
# file; with the default cache each lookup is a read() from the OS, with 64 MB the pages a
# page needs stay in SQLite's own cache (search 116 -> 98 ms CPU, benchmarks/browse.py). It is
# a ceiling, not an allocation: a small archive uses what it has. Datasette opens one read
# connection per SQL thread (3 by default), so the worst case is a few hundred MB.
CACHE_KIB = 65536


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
