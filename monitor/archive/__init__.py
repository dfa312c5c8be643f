"""Storage: the only code that writes SQL to the archive (open, migrate, write, stories).

Callers use ``from monitor import archive`` and the names re-exported here; the modules are
``db`` (connect, the write transaction, snapshots; imports nothing else here), ``derived``
(the story tables kept current by triggers: their SQL, and deferring them for one placement),
``schema`` (migrations and the SQL of views), ``stories`` (story placement and its key
index), ``regroup`` (`monitor restory`), ``restated``, ``versions``, ``backfill_state`` and
``store`` (sources, runs, polls, articles, figures; opens and upgrades an archive).
"""

from monitor.archive.db import now_iso, snapshot, write
from monitor.archive.store import (
    add_run_counts,
    article_identities,
    cached_robots,
    close_abandoned_runs,
    due_source_ids,
    finish_run,
    is_archived,
    newest_article_id,
    open_archive,
    poll_recorded,
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
)
from monitor.archive.versions import revisit
from monitor.errors import ArchiveError

__all__ = [
    "ArchiveError",
    "add_run_counts",
    "article_identities",
    "cached_robots",
    "close_abandoned_runs",
    "due_source_ids",
    "finish_run",
    "is_archived",
    "newest_article_id",
    "now_iso",
    "open_archive",
    "poll_recorded",
    "record_poll",
    "reextract",
    "revisit",
    "run_counts",
    "run_row",
    "run_status",
    "save_article",
    "snapshot",
    "source_state",
    "start_run",
    "store_robots",
    "sync_sources",
    "write",
]
