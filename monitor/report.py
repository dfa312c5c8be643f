"""What `monitor status` and `monitor run` tell a person: tables that fit the terminal, JSON for
scripts, and the next command worth typing."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import textwrap
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor import archive

# (column, header); the order is the order shown
HEALTH_COLUMNS = (
    ("id", "source"),
    ("kind", "kind"),
    ("status", "status"),
    ("error_score", "score"),
    ("last_success_at", "last success"),
    ("last_new_item_at", "last new item"),
    ("days_since_new_item", "quiet days"),
    ("next_poll_at", "next poll"),
    ("last_error", "last error"),
)
# dropped first when the terminal is narrow; last_error takes what width is left
HEALTH_DROP = (
    "days_since_new_item",
    "kind",
    "last_new_item_at",
    "error_score",
    "last_success_at",
    "next_poll_at",
)
RUN_COLUMNS = (
    ("id", "run"),
    ("started_at", "started"),
    ("trigger", "trigger"),
    ("status", "status"),
    ("sources_polled", "polled"),
    ("sources_failed", "failed"),
    ("entries_seen", "entries"),
    ("articles_new", "articles"),
    ("stories_new", "stories"),
    ("figures_new", "figures"),
)
RUN_DROP = ("trigger", "entries_seen", "stories_new", "sources_failed")
MIN_ERROR_WIDTH = 24
ERROR_LINES = 2  # a wrapped last_error keeps each source to at most two lines
_EXCEPTION_PREFIX = re.compile(r"^[A-Z]\w*(?:Error|Exception): ")


@dataclass
class Status:
    """Source health rows (the `source_health` view) and the most recent runs, newest first."""

    db_path: str
    sources: list[dict[str, Any]]
    runs: list[dict[str, Any]]

    def as_json(self) -> str:
        return json.dumps({"archive": self.db_path, "sources": self.sources, "runs": self.runs})


def load_status(db_path: str | Path, run_count: int = 5) -> Status:
    """Read health and runs; a missing or damaged archive is one ArchiveError line."""
    if not Path(db_path).exists():
        raise archive.ArchiveError(f"{db_path}: no archive yet; run `monitor run` first")
    db = archive.open_archive(db_path)
    try:
        health = "SELECT * FROM source_health ORDER BY status != 'ok' DESC, id"
        sources = [dict(r) for r in db.query(health)]
        recent = "SELECT * FROM runs ORDER BY id DESC LIMIT ?"
        runs = [dict(r) for r in db.query(recent, [run_count])]
    except sqlite3.DatabaseError as exc:  # a damaged page found only when read
        raise archive.ArchiveError(f"{db_path}: cannot read archive: {exc}") from None
    finally:
        db.conn.close()
    return Status(str(db_path), sources, runs)


def _short(value: object) -> object:
    """Timestamps to the minute, without the seconds and zone a reader does not need."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        return value[:16].replace("T", " ")
    return "" if value is None else value


def plain_error(text: str) -> str:
    """An error as a person reads it: one line, without the exception's class name (its
    message says the same in words)."""
    text = _EXCEPTION_PREFIX.sub("", " ".join(text.split()))
    return text.replace("no results for hostname lookup: ", "")  # Twisted says it twice


def _wrap_error(text: str, width: int) -> str:
    """An error in at most two lines of `width`, the end cut with an ellipsis."""
    lines = textwrap.wrap(plain_error(text), width, break_long_words=True) or [""]
    if len(lines) > ERROR_LINES:
        lines = lines[:ERROR_LINES]
        lines[-1] = lines[-1][: width - 1] + "…"
    return "\n".join(lines)


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    from tabulate import tabulate  # the status tables; `monitor run` never draws one

    cells = [[_short(r.get(c)) for c, _ in columns] for r in rows]
    return str(tabulate(cells, headers=[h for _, h in columns]))


def fit_table(
    rows: list[dict[str, Any]],
    columns: tuple[tuple[str, str], ...],
    drop: tuple[str, ...],
    width: int,
    flexible: str | None = None,
) -> str:
    """A table within `width`: drop columns in `drop` order, then give `flexible` the rest."""
    shown = list(columns)
    for name in (None, *drop):
        shown = [c for c in shown if c[0] != name]
        fixed = [c for c in shown if c[0] != flexible]
        used = max((len(line) for line in _table(rows, fixed).splitlines()), default=0)
        room = width - used - 2
        if used <= width and (flexible is None or room >= MIN_ERROR_WIDTH):
            break
    if flexible is None or flexible not in dict(shown):
        return _table(rows, fixed)
    room = max(width - used - 2, MIN_ERROR_WIDTH)
    cut = [{**r, flexible: _wrap_error(str(r.get(flexible) or ""), room)} for r in rows]
    return _table(cut, shown)


def status_text(status: Status, width: int | None = None) -> str:
    """Source health and recent runs as two tables that fit `width` (default: the terminal)."""
    width = width or shutil.get_terminal_size().columns
    health = fit_table(status.sources, HEALTH_COLUMNS, HEALTH_DROP, width, "last_error")
    runs = fit_table(status.runs, RUN_COLUMNS, RUN_DROP, width)
    hint = next_step(status.runs, status.db_path)  # not wrapped: a command stays whole
    return "\n\n".join(["Sources\n" + health, "Recent runs\n" + runs, hint])


def next_step(runs: list[dict[str, Any]], db_path: str | Path) -> str:
    """The command worth typing after a run or a look at status."""
    if runs and runs[0].get("status") == "all_failed":
        return "next: no source answered; without a network, try `monitor demo`"
    return f"next: browse the archive with `monitor serve --db {db_path}`"


def local_time(iso: str | None) -> str:
    """A stored UTC time as this machine's local HH:MM, with the day when it is not today."""
    if not iso:
        return "now"
    when = datetime.fromisoformat(iso).astimezone()
    today = datetime.now().astimezone().date()
    return when.strftime("%H:%M" if when.date() == today else "%a %d %b %H:%M")
