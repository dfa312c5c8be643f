"""Backfill cursors: where each source's walk through its history stands (m016)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from sqlite_utils import Database

from monitor.archive.db import now_iso, write


@dataclass
class Cursor:
    """One source's walk: its window, the next page to read and how far back it has reached."""

    source_id: str
    preset: str
    since: str
    until: str = ""  # "" when the window is open-ended (today)
    status: str = "walking"  # walking | done | stopped
    next_page: int = 1
    reached: str | None = None  # the oldest published date seen so far (UTC ISO)
    pages: int = 0
    articles: int = 0
    relevant: int = 0
    last_sig: str | None = None  # a hash of the last page's links (a loop on resume)
    last_error: str | None = None
    run_id: int | None = None
    updated_at: str | None = None

    def same_window(self, preset: str, since: str, until: str) -> bool:
        """The same walk asked for again (a different window starts a fresh walk)."""
        return (self.preset, self.since, self.until) == (preset, since, until)


_FIELDS = {f.name for f in fields(Cursor)}


def load_cursor(db: Database, source_id: str) -> Cursor | None:
    """The stored cursor of a source, if it was ever backfilled."""
    rows = list(db["backfill_cursors"].rows_where("source_id = ?", [source_id]))
    return Cursor(**{k: v for k, v in rows[0].items() if k in _FIELDS}) if rows else None


def save_cursor(db: Database, cursor: Cursor) -> None:
    """Store a cursor (one small transaction, taken after each finished page)."""
    cursor.updated_at = now_iso()
    with write(db):
        db.table("backfill_cursors").upsert(asdict(cursor), pk="source_id")
