"""Readable tables of source health and recent runs for `monitor status`."""

from __future__ import annotations

from pathlib import Path

from tabulate import tabulate

from monitor import archive

HEALTH_COLUMNS = (
    "id",
    "kind",
    "status",
    "error_score",
    "last_success_at",
    "last_new_item_at",
    "days_since_new_item",
    "next_poll_at",
    "last_error",
)
RUN_COLUMNS = (
    "id",
    "started_at",
    "trigger",
    "status",
    "sources_polled",
    "sources_failed",
    "entries_seen",
    "articles_new",
    "stories_new",
    "figures_new",
)


def _short(value: object) -> object:
    """Timestamps to the minute and long errors cut, so the table fits a terminal."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        return value[:16].replace("T", " ")
    if isinstance(value, str) and len(value) > 40:
        return value[:39] + "…"
    return value


def status_text(db_path: str | Path, run_count: int = 5) -> str:
    """Source health and recent runs as two tables."""
    if not Path(db_path).exists():
        raise archive.ArchiveError(f"{db_path}: no archive yet; run `monitor run` first")
    db = archive.open_archive(db_path)
    health = [
        [_short(r[c]) for c in HEALTH_COLUMNS]
        for r in db.query("SELECT * FROM source_health ORDER BY status != 'ok' DESC, id")
    ]
    runs = [
        [_short(r[c]) for c in RUN_COLUMNS]
        for r in db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [run_count])
    ]
    return "\n\n".join(
        [
            "Sources\n" + tabulate(health, headers=HEALTH_COLUMNS),
            "Recent runs\n" + tabulate(runs, headers=RUN_COLUMNS),
        ]
    )
