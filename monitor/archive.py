"""The only writer of the SQLite archive: opening, migrations, source state, runs and articles."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from monitor import dedupe
from monitor.config import Config
from monitor.items import Article
from monitor.schema import migrations

STORY_WINDOW_DAYS = 4
BACKOFF_CAP_SECONDS = 24 * 3600
# Hard failures say more about a source than transient ones do.
# An outage (every source unreachable at once) is the network's fault, not any source's.
ERROR_WEIGHTS = {"hard": 1.0, "transient": 0.5, "outage": 0.0}


class ArchiveError(Exception):
    """The archive file cannot be used; the message says which file and why."""


def now_iso(when: datetime | None = None) -> str:
    """UTC ISO 8601 to the second: the one timestamp format in the archive."""
    return (when or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0).isoformat()


def open_archive(path: str | Path, *, migrate: bool = True) -> Database:
    """Open (and create or upgrade) an archive in WAL mode with a busy timeout."""
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        db = Database(conn)
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        if migrate:
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path}: cannot use archive: {exc}") from None
    return db


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """One immediate transaction: writers queue on the lock up front instead of deadlocking."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    else:
        db.execute("COMMIT")


def sync_sources(db: Database, cfg: Config) -> None:
    """Make the sources table match the config without losing any source's poll state."""
    with write(db):
        configured = set()
        for src in cfg.sources:
            configured.add(src.id)
            row = {
                "id": src.id,
                "name": src.name,
                "type": src.type,
                "kind": src.kind,
                "force": src.force,
                "publisher": src.publisher,
                "enabled": int(src.enabled),
                "every_seconds": src.every,
            }
            existing = (
                db["sources"].get(src.id) if db["sources"].count_where("id = ?", [src.id]) else None
            )
            if existing is None or not existing.get("redirects_seen"):
                row["url"] = src.url  # a followed permanent redirect overrides config's URL
            if existing is None:
                row["status"] = "ok" if src.enabled else "disabled"
            elif not src.enabled:
                row["status"] = "disabled"
            elif existing["status"] == "disabled":
                row["status"] = "ok"
            db["sources"].upsert(row, pk="id")
        for row in db.query("SELECT id FROM sources WHERE enabled = 1"):
            if row["id"] not in configured:
                db["sources"].update(row["id"], {"enabled": 0, "status": "disabled"})


def due_source_ids(db: Database, when: datetime | None = None) -> list[str]:
    """Enabled sources whose next poll time has come (never polled counts as due)."""
    now = now_iso(when)
    rows = db.query(
        "SELECT id FROM sources WHERE enabled = 1 AND (next_poll_at IS NULL OR next_poll_at <= ?)"
        " ORDER BY next_poll_at",
        [now],
    )
    return [r["id"] for r in rows]


def source_state(db: Database, source_id: str) -> dict[str, Any]:
    """The stored row for a source (validators, URL in use)."""
    return dict(db["sources"].get(source_id))


def start_run(db: Database, trigger: str) -> int:
    """A new row in `runs`; its id ties the cycle's polls and articles together."""
    with write(db):
        return int(
            db["runs"]
            .insert({"started_at": now_iso(), "trigger": trigger, "status": "running"})
            .last_pk
        )


def add_run_counts(db: Database, run_id: int, counts: dict[str, int]) -> None:
    """Add a crawler's counters to its run (several crawlers share one run)."""
    if not counts:
        return
    sets = ", ".join(f"{k} = {k} + ?" for k in counts)
    with write(db):
        db.execute(f"UPDATE runs SET {sets} WHERE id = ?", [*counts.values(), run_id])


def finish_run(db: Database, run_id: int, status: str) -> dict[str, Any]:
    """Close a run and return its row for the summary."""
    with write(db):
        db["runs"].update(run_id, {"finished_at": now_iso(), "status": status})
    return dict(db["runs"].get(run_id))


def _next_poll(every: int, delay: int, when: datetime) -> str:
    """Next poll time with up to 10% jitter so sources do not all fire together."""
    jitter = random.uniform(0, 0.1 * delay) if delay >= 600 else 0
    return now_iso(when + timedelta(seconds=max(every, delay) + jitter))


def record_poll(db: Database, run_id: int, source_id: str, result: dict[str, Any]) -> None:
    """Store one poll and move the source's health state on (success resets, failure backs off)."""
    when = datetime.now(UTC)
    src = db["sources"].get(source_id)
    error = result.get("error")
    update: dict[str, Any] = {"last_polled_at": now_iso(when)}
    retry_after = int(result.get("retry_after") or 0)
    if error is None:
        update.update(status="ok", error_score=0.0, last_error=None, last_success_at=now_iso(when))
        for key in ("etag", "last_modified", "body_hash"):
            if result.get(key) is not None:
                update[key] = result[key]
        if result.get("new_entries"):
            update["last_new_item_at"] = now_iso(when)
        if result.get("permanent_redirect"):
            update["url"] = result["permanent_redirect"]
            update["redirects_seen"] = 1
        delay = src["every_seconds"]
    else:
        score = float(src["error_score"] or 0) + ERROR_WEIGHTS[result.get("error_kind", "hard")]
        status = result.get("status") or "failing"
        update.update(status=status, error_score=score, last_error=error)
        delay = min(src["every_seconds"] * (1 + int(score)), BACKOFF_CAP_SECONDS)
    update["next_poll_at"] = _next_poll(src["every_seconds"], max(delay, retry_after), when)
    poll = {
        "run_id": run_id,
        "source_id": source_id,
        "polled_at": now_iso(when),
        "http_status": result.get("http_status"),
        "entries": result.get("entries", 0),
        "new_entries": result.get("new_entries", 0),
        "error": error,
        "duration_ms": result.get("duration_ms"),
    }
    with write(db):
        db["sources"].update(source_id, update)
        db["polls"].insert(poll)


def is_archived(db: Database, url: str, source_id: str, guid: str | None) -> bool:
    """Seen before: by canonical URL anywhere, or by GUID from the same source."""
    if db.execute("SELECT 1 FROM articles WHERE url = ?", [url]).fetchone():
        return True
    return bool(guid) and bool(
        db.execute(
            "SELECT 1 FROM articles WHERE source_id = ? AND guid = ?", [source_id, guid]
        ).fetchone()
    )


def _story_key(
    db: Database, article_id: int, title: str, body: str, content_hash: str | None
) -> dedupe.StoryKey:
    figs = {
        (r[0], r[1])
        for r in db.execute("SELECT metric, value FROM figures WHERE article_id = ?", [article_id])
    }
    return dedupe.StoryKey(dedupe.title_tokens(title), dedupe.shingles(body), figs, content_hash)


def _find_story(db: Database, article_id: int, key: dedupe.StoryKey, published: str) -> int | None:
    """The story this article belongs to, looking only at stories from a few days either side."""
    day = datetime.fromisoformat(published)
    lo = now_iso(day - timedelta(days=STORY_WINDOW_DAYS))
    hi = now_iso(day + timedelta(days=STORY_WINDOW_DAYS))
    rows = db.execute(
        "SELECT a.id, a.story_id, a.title, a.body, a.content_hash FROM articles a"
        " JOIN stories s ON s.id = a.story_id"
        " WHERE s.first_published BETWEEN ? AND ? AND a.id != ?",
        [lo, hi, article_id],
    ).fetchall()
    for other_id, story_id, title, body, chash in rows:
        if dedupe.same_story(key, _story_key(db, other_id, title, body or "", chash)):
            return int(story_id)
    return None


def _origin_rank(db: Database, article_id: int) -> tuple[int, str]:
    """Police and official releases outrank press copies; then the earliest wins."""
    row = db.execute(
        "SELECT s.kind, a.published FROM articles a LEFT JOIN sources s ON s.id = a.source_id"
        " WHERE a.id = ?",
        [article_id],
    ).fetchone()
    kind, published = row
    return (0 if kind in ("police", "gov") else 1, published or "")


def _attach_story(db: Database, article_id: int, art: Article, published: str) -> tuple[int, bool]:
    key = _story_key(db, article_id, art.entry.title, art.body, art.content_hash)
    story_id = _find_story(db, article_id, key, published)
    if story_id is None:
        story_id = int(
            db["stories"]
            .insert(
                {
                    "title": art.entry.title,
                    "first_published": published,
                    "first_seen": now_iso(),
                    "last_seen": now_iso(),
                    "origin_article_id": article_id,
                    "article_count": 1,
                }
            )
            .last_pk
        )
        created = True
    else:
        story = db["stories"].get(story_id)
        update = {
            "article_count": story["article_count"] + 1,
            "last_seen": now_iso(),
            "first_published": min(story["first_published"], published),
        }
        if _origin_rank(db, article_id) < _origin_rank(db, story["origin_article_id"]):
            update.update(origin_article_id=article_id, title=art.entry.title)
        db["stories"].update(story_id, update)
        created = False
    db["articles"].update(article_id, {"story_id": story_id})
    db.execute("UPDATE figures SET story_id = ? WHERE article_id = ?", [story_id, article_id])
    return story_id, created


def save_article(db: Database, art: Article, run_id: int | None, extractor: str) -> dict[str, int]:
    """Append an article, its figures and its story link in one transaction; repeats add nothing."""
    e = art.entry
    published = e.published or art.fetched_at or now_iso()
    with write(db):
        if db.execute("SELECT 1 FROM articles WHERE url = ?", [e.url]).fetchone():
            return {"articles_new": 0, "stories_new": 0, "figures_new": 0}
        article_id = int(
            db["articles"]
            .insert(
                {
                    "url": e.url,
                    "original_url": e.original_url,
                    "source_id": e.source_id,
                    "guid": e.guid,
                    "publisher": e.publisher,
                    "title": e.title,
                    "summary": e.summary,
                    "body": art.body if art.relevant else None,
                    "published": published,
                    "fetched_at": art.fetched_at,
                    "http_status": art.http_status,
                    "content_hash": art.content_hash,
                    "relevant": int(art.relevant),
                    "matched_terms": json.dumps(art.matched_terms),
                    "run_id": run_id,
                }
            )
            .last_pk
        )
        figures = (
            [
                {
                    "article_id": article_id,
                    "metric": f.metric,
                    "value": f.value,
                    "unit": f.unit,
                    "qualifier": f.qualifier,
                    "scope": f.scope,
                    "evidence": f.evidence,
                    "evidence_start": f.start,
                    "evidence_end": f.end,
                    "extractor": extractor,
                }
                for f in art.figures
            ]
            if art.relevant
            else []
        )
        if figures:
            db["figures"].insert_all(figures)
        story_new = 0
        if art.relevant:
            art.story_id, created = _attach_story(db, article_id, art, published)
            story_new = int(created)
    return {"articles_new": 1, "stories_new": story_new, "figures_new": len(figures)}
