"""Datasette plugin: a story's row page shows its origin, provenance, copies, corrections and
figures with evidence."""

from __future__ import annotations

import json
from typing import Any

from datasette import hookimpl
from datasette.utils import tilde_decode

from monitor.datasette.display import number, safe_url, sha256, uk_time
from monitor.dates import uk_date

STORY = """
SELECT s.id, s.title, s.first_published, s.first_seen, s.last_seen, s.article_count,
       c.publisher AS origin_publisher, c.source_kind AS origin_kind, c.force AS origin_force,
       c.url AS origin_url, c.title AS origin_title, c.published AS origin_published,
       c.published_date AS origin_date, c.fetched_at AS origin_fetched_at,
       o.body AS origin_body, o.content_hash AS origin_hash,
       (SELECT MIN(d.published_date) FROM story_copies d WHERE d.story_id = s.id) AS published_date
FROM stories s
LEFT JOIN story_copies c ON c.article_id = s.origin_article_id
LEFT JOIN articles o ON o.id = s.origin_article_id
WHERE s.id = ?
"""
COPIES = """
SELECT article_id, is_origin, publisher, source_kind, source_id, title, published,
       published_date, fetched_at, url, figures
FROM story_copies WHERE story_id = ? ORDER BY is_origin DESC, published, article_id
"""
# Every figure read from any copy; `counted` marks the ones story_figures keeps (and sums).
FIGURES = """
SELECT f.id, f.metric, f.value, f.unit, f.qualifier, f.scope, f.evidence, f.article_id,
       f.period_start, f.period_end, f.operation, f.part_of, f.restates,
       fc.name AS force, c.publisher, c.url,
       EXISTS (SELECT 1 FROM story_figures sf WHERE sf.figure_id = f.id) AS counted
FROM figures f
LEFT JOIN story_copies c ON c.article_id = f.article_id
LEFT JOIN forces fc ON fc.code = f.force AND fc.kind = 'force'
WHERE f.story_id = ?
ORDER BY counted DESC, f.metric, c.is_origin DESC, f.id
"""
VERSIONS = """
SELECT v.article_id, v.version, v.title, v.body, v.text_sha256, v.fetched_at, v.replaced_at,
       v.figures, c.publisher
FROM article_versions v JOIN story_copies c ON c.article_id = v.article_id
WHERE c.story_id = ?
ORDER BY v.article_id, v.version
"""
CURRENT = "SELECT id, title, body FROM articles WHERE id = ?"
CURRENT_FIGURES = "SELECT metric, value, unit FROM figures WHERE article_id = ? ORDER BY id"


def _figure_set(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(f"{r.get('metric')} {number(r.get('value'))}" for r in rows)


def _what_changed(
    old: dict[str, Any], new: dict[str, Any], old_figs: list[str], new_figs: list[str]
) -> list[str]:
    """Plain-language differences between a kept version and the text that replaced it."""
    changes = []
    if (old.get("title") or "") != (new.get("title") or ""):
        changes.append(f"title was \u201c{old.get('title')}\u201d")
    if (old.get("text_sha256") or sha256(old.get("body"))) != sha256(new.get("body")):
        changes.append("text changed")
    gone = [f for f in old_figs if f not in new_figs]
    added = [f for f in new_figs if f not in old_figs]
    if gone:
        changes.append("figures removed: " + ", ".join(gone))
    if added:
        changes.append("figures added: " + ", ".join(added))
    return changes or ["no visible change"]


async def _corrections(db: Any, story_id: int) -> list[dict[str, Any]]:
    """One entry per kept version: when it was replaced (UK date) and what changed."""
    versions = [dict(r) for r in await db.execute(VERSIONS, [story_id])]
    out = []
    for i, old in enumerate(versions):
        later = versions[i + 1] if i + 1 < len(versions) else None
        if later is not None and later["article_id"] == old["article_id"]:
            new, new_figs = later, _figure_set(json.loads(later["figures"] or "[]"))
        else:
            new = dict((await db.execute(CURRENT, [old["article_id"]])).first() or {})
            new_figs = _figure_set(
                [dict(r) for r in await db.execute(CURRENT_FIGURES, [old["article_id"]])]
            )
        old_figs = _figure_set(json.loads(old["figures"] or "[]"))
        out.append(
            {
                "date": uk_date(old["replaced_at"]) or old["replaced_at"],
                "publisher": old["publisher"],
                "article_id": old["article_id"],
                "changes": _what_changed(old, new, old_figs, new_figs),
            }
        )
    return out


@hookimpl
def extra_template_vars(
    view_name: str,
    table: str | None,
    database: str | None,
    request: Any,
    datasette: Any,
) -> Any:
    if view_name != "row" or table != "stories" or request is None or database is None:
        return {}

    async def story_vars() -> dict[str, Any]:
        try:
            story_id = int(tilde_decode(request.url_vars["pks"]))
        except (KeyError, ValueError):
            return {}
        db = datasette.get_database(database)
        story = (await db.execute(STORY, [story_id])).first()
        if story is None:
            return {}
        copies = [
            dict(r)
            | {
                "url": safe_url(r["url"]),
                "fetched": uk_time(r["fetched_at"]) or r["fetched_at"],
            }
            for r in await db.execute(COPIES, [story_id])
        ]
        figures = [
            dict(r) | {"shown": number(r["value"])} for r in await db.execute(FIGURES, [story_id])
        ]
        head = dict(story) | {
            "origin_url": safe_url(story["origin_url"]),
            "origin_fetched": uk_time(story["origin_fetched_at"]) or story["origin_fetched_at"],
            "origin_sha256": sha256(story["origin_body"]),
            "first_seen_uk": uk_time(story["first_seen"]) or story["first_seen"],
        }
        head.pop("origin_body")
        corrections = await _corrections(db, story_id)
        return {
            "story_page": {
                "story": head,
                "copies": copies,
                "figures": figures,
                "corrections": corrections,
            }
        }

    return story_vars
