"""Storage: the only code that writes SQL to the archive (open, migrate, write, stories).

Callers use ``from monitor import archive`` and the names re-exported here; the modules are
``store`` (sources, runs, polls, articles, figures), ``schema`` (migrations and views) and
``stories`` (story placement and its key index).
"""

from monitor.archive.store import (
    add_run_counts,
    cached_robots,
    close_abandoned_runs,
    due_source_ids,
    finish_run,
    is_archived,
    now_iso,
    open_archive,
    record_poll,
    reextract,
    run_counts,
    run_row,
    run_status,
    save_article,
    source_state,
    start_run,
    store_robots,
    sync_sources,
    write,
)
from monitor.archive.versions import revisit
from monitor.errors import ArchiveError

__all__ = [
    "ArchiveError",
    "add_run_counts",
    "cached_robots",
    "close_abandoned_runs",
    "due_source_ids",
    "finish_run",
    "is_archived",
    "now_iso",
    "open_archive",
    "record_poll",
    "reextract",
    "revisit",
    "run_counts",
    "run_row",
    "run_status",
    "save_article",
    "source_state",
    "start_run",
    "store_robots",
    "sync_sources",
    "write",
]
