"""The only writer of the SQLite archive: opening, migrations, source state, runs and articles."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from monitor import forces, health
from monitor.archive import stories, versions
from monitor.archive.db import (
    connect,
    dicts,
    get,
    insert,
    insert_many,
    now_iso,
    table,
    tune,
    update,
    upsert,
    write,
)
from monitor.archive.schema import migrations
from monitor.config import Config
from monitor.dates import uk_date
from monitor.errors import ArchiveError
from monitor.items import Article, Figure
from monitor.poll import Poll

if TYPE_CHECKING:  # attribution's rules load only where figures are re-extracted
    from monitor.attribution import ArticleContext

# Derived data that a migration's new table needs filled from the rows already archived. The
# migration only creates the table (migrations never run live rules: they are frozen, the
# rules are not); the live code fills it here, once, right after the migration is applied.
REFILL_AFTER: dict[str, Callable[[Database], object]] = {
    "m006_story_keys_index": stories.index_existing,
}


def open_archive(path: str | Path, *, migrate: bool = True) -> Database:
    """Open (and create or upgrade) an archive in WAL mode with a busy timeout."""
    try:
        db = connect(path)
        _refuse_foreign_or_newer(db, path)  # before the WAL pragma, which already writes
        tune(db)
        if migrate:
            pending = [m.name for m in migrations.pending(db)]
            migrations.apply(db)
            for name in pending:
                if refill := REFILL_AFTER.get(name):
                    with write(db):
                        refill(db)
            _sync_forces(db)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path}: cannot use archive: {exc}") from None
    return db


def _refuse_foreign_or_newer(db: Database, path: str | Path) -> None:
    """Never add our tables to someone else's database, nor write to an archive whose schema
    a newer version of the monitor has moved on (a migration this version does not know)."""
    tables = [t for t in db.table_names() if not t.startswith("sqlite_")]
    if not tables:
        return
    applied = [m.name for m in migrations.applied(db)]
    if not applied:
        shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
        raise ArchiveError(
            f"{path}: not a monitor archive (it holds tables {shown}); point --db at a new file"
        )
    known = {m.name for m in migrations.pending(Database(memory=True))}
    if unknown := [name for name in applied if name not in known]:
        raise ArchiveError(
            f"{path}: written by a newer version of the monitor (migration {unknown[0]} is "
            "unknown here); upgrade county-lines-monitor before using this archive"
        )


def _sync_forces(db: Database) -> None:
    """Keep the `forces` reference table equal to monitor.forces (rewritten only on change)."""
    rows = [
        {
            "code": f.code,
            "name": f.name,
            "aliases": json.dumps(list(f.aliases)),
            "region": f.region,
            "country": f.country,
            "kind": f.kind,
        }
        for f in (*forces.FORCES, *forces.BODIES)
    ]
    have = [
        tuple(r)
        for r in db.execute(
            "SELECT code, name, aliases, region, country, kind FROM forces ORDER BY code"
        )
    ]
    if have != sorted(tuple(r.values()) for r in rows):
        with write(db):
            db.execute("DELETE FROM forces")
            table(db, "forces").insert_all(rows)


def sync_sources(db: Database, cfg: Config) -> None:
    """Make the sources table match the config without losing any source's poll state. Rows
    the config leaves as they are are not written (a cron job runs this every few minutes)."""
    with write(db):
        stored = {row["id"]: row for row in dicts(db.conn.execute("SELECT * FROM sources"))}
        configured = set()
        for src in cfg.sources:
            configured.add(src.id)
            row = {
                "id": src.id,
                "name": src.name,
                "type": src.type,
                "kind": src.kind,
                "force": src.force,
                "force_code": forces.match_name(src.force),
                "publisher": src.publisher,
                "verified": int(src.verified),
                "enabled": int(src.enabled),
                "every_seconds": src.every,
            }
            row["tls_verify"] = int(src.tls_verify)  # an opt-out is recorded and shown in health
            existing = stored.get(src.id)
            adopted = (existing or {}).get("redirects_seen") or 0
            if adopted < health.REDIRECTS_TO_ADOPT:
                row["url"] = src.url  # a followed permanent redirect overrides config's URL
            if existing is None:
                row["status"] = "ok" if src.enabled else "disabled"
            elif not src.enabled:
                row["status"] = "disabled"
            elif existing["status"] == "disabled":
                row["status"] = "ok"
            if existing is None or any(existing.get(k) != v for k, v in row.items()):
                upsert(db, "sources", row, pk="id")
        for source_id, existing in stored.items():
            if existing["enabled"] == 1 and source_id not in configured:
                update(db, "sources", source_id, {"enabled": 0, "status": "disabled"})


def due_source_ids(db: Database, when: datetime | None = None) -> list[str]:
    """Enabled sources whose next poll time has come (never polled counts as due)."""
    now = now_iso(when)
    rows = db.query(
        "SELECT id FROM sources WHERE enabled = 1 AND (next_poll_at IS NULL OR next_poll_at <= ?)"
        " ORDER BY next_poll_at",
        [now],
    )
    return [r["id"] for r in rows]


def next_poll(db: Database) -> tuple[str | None, str | None]:
    """(source id, next_poll_at) of the enabled source polled soonest; (None, None) if none."""
    row = db.execute(
        "SELECT id, next_poll_at FROM sources WHERE enabled = 1 ORDER BY next_poll_at LIMIT 1"
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def source_state(db: Database, source_id: str) -> dict[str, Any]:
    """The stored row for a source (validators, URL in use)."""
    row = get(db, "sources", source_id)
    if row is None:
        raise ArchiveError(f"source {source_id!r} is not in the archive's sources table")
    return row


def start_run(db: Database, trigger: str) -> int:
    """A new row in `runs`; its id ties the cycle's polls and articles together."""
    with write(db):
        return insert(
            db, "runs", {"started_at": now_iso(), "trigger": trigger, "status": "running"}
        )


def close_abandoned_runs(db: Database, *, backfill: bool = False) -> None:
    """Runs left `running` by a killed process (we hold the lock, so none is really running);
    their counters are taken from the tables, since the killed process never flushed them. A
    backfill runs beside the live cycles under its own lock: each closes only its own kind."""
    kind = "trigger = 'backfill'" if backfill else "trigger IS NOT 'backfill'"
    running = [r[0] for r in db.execute(f"SELECT id FROM runs WHERE status = 'running' AND {kind}")]
    with write(db):
        for run_id in running:
            counts = run_counts(db, run_id)
            update(db, "runs", run_id, {**counts, "status": "killed", "finished_at": now_iso()})


def run_counts(db: Database, run_id: int) -> dict[str, int]:
    """A run's counters from the tables: right after a kill or a replay, where running
    counters are not (a poll the cycle never sent is recorded but neither polled nor failed)."""
    q = db.execute
    articles, fetched = q(
        "SELECT COUNT(*), COUNT(fetched_at) FROM articles WHERE run_id = ?", [run_id]
    ).fetchone()
    figures_new = q(
        "SELECT COUNT(*) FROM figures f JOIN articles a ON a.id = f.article_id WHERE a.run_id = ?",
        [run_id],
    ).fetchone()[0]
    polled, failed, entries = q(
        "SELECT COUNT(*), COUNT(error), COALESCE(SUM(entries), 0) FROM polls"
        " WHERE run_id = ? AND (error IS NULL OR error NOT LIKE 'not reached%')",
        [run_id],
    ).fetchone()
    stories_new = q(
        "SELECT COUNT(DISTINCT a.story_id) FROM articles a WHERE a.run_id = ?"
        " AND a.story_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM articles b"
        " WHERE b.story_id = a.story_id AND b.run_id < ?)",
        [run_id, run_id],
    ).fetchone()[0]
    kept = get(db, "runs", run_id) or {}
    # Counters the tables cannot see stay as counted: pages fetched and not archived, and the
    # sources a backfill walked (it writes no polls rows). The tables win where counters lag.
    return {
        "articles_fetched": max(fetched, int(kept.get("articles_fetched") or 0)),
        "articles_new": articles,
        "stories_new": stories_new,
        "figures_new": figures_new,
        "sources_polled": max(polled, int(kept.get("sources_polled") or 0)),
        "sources_failed": max(failed, int(kept.get("sources_failed") or 0)),
        "entries_seen": max(entries, int(kept.get("entries_seen") or 0)),
    }


def add_run_counts(db: Database, run_id: int, counts: dict[str, int]) -> None:
    """Add a crawler's counters to its run (several crawlers share one run)."""
    if not counts:
        return
    sets = ", ".join(f"{k} = {k} + ?" for k in counts)
    with write(db):
        db.execute(f"UPDATE runs SET {sets} WHERE id = ?", [*counts.values(), run_id])


def run_row(db: Database, run_id: int) -> dict[str, Any]:
    """One run's row, with the counters its crawlers added."""
    row = get(db, "runs", run_id)
    if row is None:
        raise ArchiveError(f"run {run_id} is not in the archive's runs table")
    return row


def run_status(row: dict[str, Any], finished: bool = True) -> str:
    """ok, interrupted (SIGTERM or the cycle time limit), or all_failed (nothing answered)."""
    if not finished:
        return "interrupted"
    if row["sources_polled"] and row["sources_failed"] == row["sources_polled"]:
        return "all_failed"
    return "ok"


def finish_run(db: Database, run_id: int, status: str) -> dict[str, Any]:
    """Close a run and return its row, its counters taken from the tables (a story started early
    in a run can be merged into another before it ends; an interrupted run's counters lag)."""
    counts = run_counts(db, run_id)
    with write(db):
        update(db, "runs", run_id, {**counts, "finished_at": now_iso(), "status": status})
    return run_row(db, run_id)


def record_poll(db: Database, run_id: int, source_id: str, poll: Poll) -> None:
    """Store one poll and move the source's health state on (see monitor.health)."""
    when = datetime.now(UTC)
    # never sent (the cycle ended first): the poll is kept, the source is untouched and still due
    src = source_state(db, source_id)
    if not poll.unreached:
        health.flag_empty_listing(src, poll)  # mutates the poll, so its row records it too
    changes = {} if poll.unreached else health.after_poll(src, poll.as_result(), when)
    with write(db):
        update(db, "sources", source_id, changes)
        insert(db, "polls", poll.as_row(run_id, source_id, now_iso(when)))


def poll_recorded(db: Database, run_id: int, source_id: str) -> bool:
    """Whether this run already has this source's poll (a replayed message must not count it
    twice, nor move the source's health twice)."""
    sql = "SELECT 1 FROM polls WHERE run_id = ? AND source_id = ?"
    return db.execute(sql, [run_id, source_id]).fetchone() is not None


def newest_article_id(db: Database) -> int:
    """The highest article id: with the file's path, the scale-out archived-set's mark."""
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0])


def article_identities(db: Database) -> Iterator[tuple[str, str, str | None]]:
    """(url, source_id, guid) of every archived article, streamed, to seed the archived set."""
    yield from db.execute("SELECT url, source_id, guid FROM articles")


def is_archived(db: Database, url: str, source_id: str, guid: str | None) -> bool:
    """Seen before: by canonical URL anywhere, or by GUID from the same source."""
    if db.execute("SELECT 1 FROM articles WHERE url = ?", [url]).fetchone():
        return True
    return bool(guid) and bool(
        db.execute(
            "SELECT 1 FROM articles WHERE source_id = ? AND guid = ?", [source_id, guid]
        ).fetchone()
    )


def save_article(db: Database, art: Article, run_id: int | None, extractor: str) -> dict[str, int]:
    """Append an article, its figures and its story link in one transaction; repeats add nothing."""
    e = art.entry
    published = e.published or art.fetched_at or now_iso()
    body = art.stored_body()
    with write(db):
        existing = db.execute("SELECT id FROM articles WHERE url = ?", [e.url]).fetchone()
        if existing:  # seen again: a correction or a better copy is kept as a version
            rows = _figure_rows(existing[0], None, art.figures, extractor) if art.relevant else []
            return versions.revise(db, existing[0], art, rows, _insert_figures)
        article_id = insert(
            db,
            "articles",
            {
                "url": e.url,
                "original_url": e.original_url,
                "source_id": e.source_id,
                "guid": e.guid,
                "publisher": e.publisher,
                "title": e.title,
                "summary": e.summary,
                "body": body,
                "published": published,
                "published_date": uk_date(published),
                "fetched_at": art.fetched_at,
                "http_status": art.http_status,
                "content_hash": art.content_hash,
                "relevant": int(art.relevant),
                "matched_terms": json.dumps(art.matched_terms),
                "run_id": run_id,
                "entry_updated": e.published,
                "text_sha256": versions.text_sha256(body, e.summary),
            },
        )
        figures = _figure_rows(article_id, None, art.figures, extractor) if art.relevant else []
        _insert_figures(db, figures)
        story_new = 0
        if art.relevant:
            # the facts were read off this same title, text and URLs (StoryFactsPipeline)
            art.story_id, created = stories.place(db, article_id, art, published, art.story_facts)
            story_new = int(created)
    return {"articles_new": 1, "stories_new": story_new, "figures_new": len(figures)}


def _figure_rows(
    article_id: int, story_id: int | None, found: list[Figure], extractor: str
) -> list[dict[str, Any]]:
    return [
        {
            "article_id": article_id,
            "story_id": story_id,
            "metric": f.metric,
            "value": f.value,
            "unit": f.unit,
            "qualifier": f.qualifier,
            "scope": f.scope,
            "evidence": f.evidence,
            "evidence_start": f.start,
            "evidence_end": f.end,
            "extractor": extractor,
            "rule": f.rule,
            "force": f.force,
            "period_start": f.period_start,
            "period_end": f.period_end,
            "operation": f.operation,
            "part_of": f.part_of,  # an index into `found` until _insert_figures maps it to an id
            "restates": f.restates,
        }
        for f in found
    ]


def _insert_figures(db: Database, rows: list[dict[str, Any]]) -> None:
    """Insert one article's figures, turning each `part_of` list index into the total's row id."""
    ids: list[int] = []
    for row in rows:
        ids.append(insert(db, "figures", {**row, "part_of": None}))
    for row, fid in zip(rows, ids, strict=True):
        idx = row["part_of"]
        if isinstance(idx, int) and 0 <= idx < len(ids) and ids[idx] != fid:
            db.execute("UPDATE figures SET part_of = ? WHERE id = ?", [ids[idx], fid])


_ABOUT = ("force", "period_start", "period_end", "operation")  # set by monitor.attribution


def _signature(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a reader sees of a figure set; evidence offsets and versions do not count as change."""
    keys = ("metric", "value", "unit", "qualifier", "scope", "evidence", *_ABOUT)
    return sorted(tuple(str(r[k]) for k in keys) for r in rows)


def _context(db: Database, art: dict[str, Any]) -> ArticleContext:
    """What attribution knows of an archived article: its text, date and publishing source."""
    from monitor.attribution import ArticleContext

    src = db.execute("SELECT kind, force FROM sources WHERE id = ?", [art["source_id"]]).fetchone()
    kind, force = src if src else (None, None)
    return ArticleContext.of(art["title"] or "", art["body"], art["published"], kind, force)


def reextract(
    db: Database,
    extract: Callable[[str], list[Figure]],
    extractor: str,
    attribute: Callable[[list[Figure], ArticleContext], list[Figure]] | None = None,
) -> dict[str, int]:
    """Re-run figure extraction (and attribution, when given) over every relevant article; only
    changed articles are rewritten."""
    report = {"articles": 0, "changed": 0, "figures_added": 0, "figures_removed": 0}
    ids = [
        r[0]
        for r in db.execute(
            "SELECT id FROM articles WHERE relevant = 1 AND body IS NOT NULL ORDER BY id"
        )
    ]
    for article_id in ids:
        report["articles"] += 1
        art = table(db, "articles").get(article_id)
        old = list(db["figures"].rows_where("article_id = ?", [article_id]))
        found = extract(art["body"])
        if attribute is not None:
            found = attribute(found, _context(db, art))
        new = _figure_rows(article_id, art["story_id"], found, extractor)
        if _signature(old) == _signature(new):
            continue
        with write(db):
            db.execute("DELETE FROM figures WHERE article_id = ?", [article_id])
            _insert_figures(db, new)
        report["changed"] += 1
        report["figures_added"] += len(new)
        report["figures_removed"] += len(old)
    return report


def cached_robots(db: Database, netloc: str, max_age: int) -> bytes | None:
    """A host's robots.txt body if fetched within `max_age` seconds."""
    since = now_iso(datetime.now(UTC) - timedelta(seconds=max_age))
    row = db.execute(
        "SELECT body FROM robots WHERE netloc = ? AND fetched_at >= ?", [netloc, since]
    ).fetchone()
    return bytes(row[0]) if row else None


def store_robots(db: Database, netloc: str, status: int, body: bytes) -> None:
    """Remember a host's robots.txt (the body as served; a 404 means no rules)."""
    with write(db):
        row = {"netloc": netloc, "status": status, "body": body, "fetched_at": now_iso()}
        upsert(db, "robots", row, pk="netloc")


def save_irrelevant(db: Database, arts: list[Article], run_id: int | None) -> list[Article]:
    """Append new irrelevant articles (no figures, no story) in one transaction: a cycle archives
    hundreds, and one commit each was most of their cost. Returns the ones not appended here (a
    URL already archived, or twice in the batch), for `save_article`, which keeps versions.
    The row is `save_article`'s for an irrelevant article."""
    later: list[Article] = []
    rows: list[dict[str, Any]] = []
    urls: set[str] = set()
    with write(db):
        for art in arts:
            e = art.entry
            if (
                art.relevant
                or e.url in urls
                or db.execute("SELECT 1 FROM articles WHERE url = ?", [e.url]).fetchone()
            ):
                later.append(art)
                continue
            urls.add(e.url)
            published = e.published or art.fetched_at or now_iso()
            rows.append(
                {
                    "url": e.url,
                    "original_url": e.original_url,
                    "source_id": e.source_id,
                    "guid": e.guid,
                    "publisher": e.publisher,
                    "title": e.title,
                    "summary": e.summary,
                    "body": None,
                    "published": published,
                    "published_date": uk_date(published),
                    "fetched_at": art.fetched_at,
                    "http_status": art.http_status,
                    "content_hash": art.content_hash,
                    "relevant": 0,
                    "matched_terms": json.dumps(art.matched_terms),
                    "run_id": run_id,
                    "entry_updated": e.published,
                    "text_sha256": versions.text_sha256(None, e.summary),
                }
            )
        insert_many(db, "articles", rows)
    return later
