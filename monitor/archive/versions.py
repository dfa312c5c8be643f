"""Corrected releases and better copies: an archived URL seen again is revised, never overwritten.

Two cases let an entry whose URL is already archived through the pipeline again (issue 14,
issue 17 item 7). A *correction*: its own source now gives it another title, summary or a later
entry date (a feed's updated time), or its page reads differently on the new fetch; the old
title, summary, text and figures become a row of `article_versions` (version 1 is the first text
archived) and the article row carries the new ones. An *upgrade*: the row came without a page
(an aggregator headline, or a copy that was never fetched) and a different source that fetches
now carries the URL; the row takes that source's entry, page and figures, and the old fields are
kept as a version too. Nothing already archived is lost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from monitor.archive import stories
from monitor.dates import uk_date, utc_iso
from monitor.items import Article, Entry

Rows = list[dict[str, Any]]
OFFICIAL = frozenset({"police", "gov"})
NO_CHANGE = {"articles_new": 0, "stories_new": 0, "figures_new": 0}
_KEPT = (
    *("metric", "value", "unit", "qualifier", "scope", "evidence"),
    *("force", "period_start", "period_end", "operation", "rule"),
)


def text_sha256(body: str | None, summary: str | None) -> str:
    """SHA-256 of the text the monitor read (the page text, else the feed summary), so a quote
    can be checked against it later even if the page changes."""
    return hashlib.sha256((body or summary or "").encode("utf-8")).hexdigest()


def revisit(db: Database, e: Entry) -> str | None:
    """Why an entry goes through the pipeline: "new", "corrected" or "upgrade"; None skips it
    (archived and unchanged, or the same source's GUID already archived under another URL)."""
    row = db.execute(
        "SELECT source_id, title, summary, COALESCE(entry_updated, published), fetched_at"
        " FROM articles WHERE url = ?",
        [e.url],
    ).fetchone()
    if row is None:
        if (
            e.guid
            and db.execute(
                "SELECT 1 FROM articles WHERE source_id = ? AND guid = ?", [e.source_id, e.guid]
            ).fetchone()
        ):
            return None
        return "new"
    source_id, title, summary, seen, fetched_at = row
    if source_id == e.source_id:
        later = bool(e.published and seen and e.published > seen)
        changed = e.title != title or (e.summary or "") != (summary or "")
        return "corrected" if later or changed else None
    if fetched_at is not None or not e.fetch:
        return None
    kinds = dict(
        db.execute("SELECT id, kind FROM sources WHERE id IN (?, ?)", [source_id, e.source_id])
    )
    if kinds.get(source_id) in OFFICIAL and kinds.get(e.source_id) not in OFFICIAL:
        return None  # a press copy never displaces the force's own entry
    return "upgrade"


def revise(
    db: Database,
    article_id: int,
    art: Article,
    figure_rows: Rows,
    insert_figures: Callable[[Database, Rows], None],
) -> dict[str, int]:
    """Apply a correction or upgrade to an archived article (inside the caller's transaction);
    an entry that is neither (a replayed or lesser copy) changes nothing."""
    e = art.entry
    why = revisit(db, e)
    if why is None:
        return dict(NO_CHANGE)
    old = dict(db.table("articles").get(article_id))
    upgrade = why == "upgrade"
    page = art.stored_body()
    fetched = art.http_status == 200 or upgrade
    same_text = not fetched or text_sha256(page, e.summary) == old.get("text_sha256")
    if not upgrade and same_text and (e.title, e.summary) == (old["title"], old["summary"]):
        db.table("articles").update(article_id, {"entry_updated": e.published})
        return dict(NO_CHANGE)
    _keep(db, old)
    update: dict[str, Any] = {
        "title": e.title,
        "summary": e.summary,
        "entry_updated": e.published,
        "text_sha256": text_sha256(page if fetched else old["body"], e.summary),
    }
    if upgrade:
        published = e.published or old["published"]
        update |= {"source_id": e.source_id, "guid": e.guid, "publisher": e.publisher}
        update |= {"published": published, "published_date": uk_date(published)}
    if fetched:
        update |= {"body": page, "fetched_at": art.fetched_at, "http_status": art.http_status}
        update |= {"content_hash": art.content_hash, "relevant": int(art.relevant)}
        update |= {"matched_terms": json.dumps(art.matched_terms)}
    db.table("articles").update(article_id, update)
    if fetched:
        db.execute("DELETE FROM figures WHERE article_id = ?", [article_id])
        insert_figures(db, [{**r, "story_id": old["story_id"]} for r in figure_rows])
    created = False
    if old["story_id"] is not None:
        stories.refresh_story(db, old["story_id"])  # a better origin or a corrected title
    elif art.relevant:
        art.story_id, created = stories.place(
            db, article_id, art, update.get("published") or old["published"]
        )
    added = len(figure_rows) if upgrade else 0
    return {**NO_CHANGE, "stories_new": int(created), "figures_new": added, "articles_revised": 1}


def _keep(db: Database, old: dict[str, Any]) -> None:
    """The article as it was, with its figures, as the next version number."""
    figures = [
        {k: r[k] for k in _KEPT}
        for r in db.query("SELECT * FROM figures WHERE article_id = ? ORDER BY id", [old["id"]])
    ]
    (last,) = db.execute(
        "SELECT COALESCE(MAX(version), 0) FROM article_versions WHERE article_id = ?", [old["id"]]
    ).fetchone()
    db.table("article_versions").insert(
        {
            "article_id": old["id"],
            "version": last + 1,
            "title": old["title"],
            "summary": old["summary"],
            "body": old["body"],
            "content_hash": old["content_hash"],
            "text_sha256": old.get("text_sha256") or text_sha256(old["body"], old["summary"]),
            "fetched_at": old["fetched_at"],
            "replaced_at": utc_iso(),
            "figures": json.dumps(figures, ensure_ascii=False),
        }
    )
