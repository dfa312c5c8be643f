"""Story placement: which announcement a new article belongs to, and which copy is the origin.

Runs inside archive.save_article's transaction; it compares only against stories from a few days
either side of the article, so its cost follows the news rate, not the archive's size.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database

from monitor import dedupe
from monitor.dates import utc_iso
from monitor.items import Article

STORY_WINDOW_DAYS = 4


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
    lo = utc_iso(day - timedelta(days=STORY_WINDOW_DAYS))
    hi = utc_iso(day + timedelta(days=STORY_WINDOW_DAYS))
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


def place(db: Database, article_id: int, art: Article, published: str) -> tuple[int, bool]:
    """Join the matching story, or start one; returns (story_id, created)."""
    key = _story_key(db, article_id, art.entry.title, art.body, art.content_hash)
    story_id = _find_story(db, article_id, key, published)
    if story_id is None:
        story_id = int(
            db["stories"]
            .insert(
                {
                    "title": art.entry.title,
                    "first_published": published,
                    "first_seen": utc_iso(),
                    "last_seen": utc_iso(),
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
            "last_seen": utc_iso(),
            "first_published": min(story["first_published"], published),
        }
        if _origin_rank(db, article_id) < _origin_rank(db, story["origin_article_id"]):
            update.update(origin_article_id=article_id, title=art.entry.title)
        db["stories"].update(story_id, update)
        created = False
    db["articles"].update(article_id, {"story_id": story_id})
    db.execute("UPDATE figures SET story_id = ? WHERE article_id = ?", [story_id, article_id])
    return story_id, created
