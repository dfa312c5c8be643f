"""Which UK forces are watched: the archive's `coverage` view as rows and a table for the terminal.

The verdict rule lives in the view (monitor/archive/schema.py, m012), so Datasette and this
command cannot disagree; this module only reads it. Before the first `monitor run` there is no
archive: the config's sources are then laid over an in-memory one, so "which forces does my
config watch?" has an answer (every watched force shows `never succeeded` until it is polled).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from pathlib import Path

from sqlite_utils import Database
from tabulate import tabulate

from monitor import archive
from monitor.config import Config

# Worst first: what a researcher must look at before trusting a per-force chart.
VERDICTS = ("not watched", "never succeeded", "failing", "quiet 30 days", "watched")
TABLE_COLUMNS = ("force", "region", "verdict", "source_statuses", "last_success_at",
                 "last_relevant_story_at")  # fmt: skip


@dataclass(frozen=True, slots=True)
class ForceCoverage:
    """One row of the `coverage` view."""

    force_code: str
    force: str
    region: str
    country: str
    sources: int
    source_statuses: str | None
    unverified_sources: int
    last_success_at: str | None
    last_relevant_story_at: str | None
    last_relevant_story_id: int | None
    verdict: str


def read(db: Database) -> list[ForceCoverage]:
    """Every force, worst verdict first, then by region and name."""
    names = [f.name for f in fields(ForceCoverage)]
    rows = [ForceCoverage(**{n: r[n] for n in names}) for r in db.query("SELECT * FROM coverage")]
    return sorted(rows, key=lambda r: (VERDICTS.index(r.verdict), r.region, r.force))


def open_for(db_path: str | Path, cfg: Config | None) -> tuple[Database, bool]:
    """The archive if it exists, else an in-memory one holding the config's sources (True)."""
    if Path(db_path).exists():
        return archive.open_archive(db_path), False
    db = archive.open_archive(":memory:")
    if cfg is not None:
        archive.sync_sources(db, cfg)
    return db, True


def _short(value: object) -> object:
    if isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":
        return value[:16].replace("T", " ")
    return value if value is not None else ""


def text(rows: list[ForceCoverage]) -> str:
    """The table and a one-line count per verdict."""
    table = tabulate(
        [[_short(getattr(r, c)) for c in TABLE_COLUMNS] for r in rows],
        headers=[c.replace("_at", "").replace("_", " ") for c in TABLE_COLUMNS],
    )
    counts = Counter(r.verdict for r in rows)
    summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])
    return f"{table}\n\n{len(rows)} forces: {summary}"
