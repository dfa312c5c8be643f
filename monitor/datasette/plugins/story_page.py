"""Datasette plugin: a story's row page shows its origin, copies and figures with evidence."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils import tilde_decode
from markupsafe import Markup, escape

STORY = """
SELECT s.id, s.title, s.first_published, s.first_seen, s.last_seen, s.article_count,
       c.publisher AS origin_publisher, c.source_kind AS origin_kind, c.force AS origin_force,
       c.url AS origin_url, c.title AS origin_title, c.published AS origin_published
FROM stories s LEFT JOIN story_copies c ON c.article_id = s.origin_article_id
WHERE s.id = ?
"""
COPIES = """
SELECT article_id, is_origin, publisher, source_kind, source_id, title, published, url, figures
FROM story_copies WHERE story_id = ? ORDER BY is_origin DESC, published, article_id
"""
# Every figure read from any copy; `counted` marks the one story_figures keeps per metric.
FIGURES = """
SELECT f.id, f.metric, f.value, f.unit, f.qualifier, f.scope, f.evidence, f.article_id,
       c.publisher, c.url,
       EXISTS (SELECT 1 FROM story_figures sf WHERE sf.figure_id = f.id) AS counted
FROM figures f LEFT JOIN story_copies c ON c.article_id = f.article_id
WHERE f.story_id = ?
ORDER BY counted DESC, f.metric, c.is_origin DESC, f.id
"""


def _safe_url(url: Any) -> str | None:
    """Only http(s) links reach the page: a stored URL came from a feed, so never trust it."""
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def _number(value: Any) -> str:
    """12.0 -> '12', 2700000.0 -> '2,700,000', 1.5 -> '1.5'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


@hookimpl
def extra_template_vars(
    view_name: str, table: str | None, database: str | None, request: Any, datasette: Any
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
            dict(r) | {"url": _safe_url(r["url"])} for r in await db.execute(COPIES, [story_id])
        ]
        figures = [
            dict(r) | {"shown": _number(r["value"])} for r in await db.execute(FIGURES, [story_id])
        ]
        head = dict(story) | {"origin_url": _safe_url(story["origin_url"])}
        return {"story_page": {"story": head, "copies": copies, "figures": figures}}

    return story_vars


@hookimpl
def render_cell(
    value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    # Canned-query results have no foreign keys to link, so make story ids lead to the story.
    if table is None and column == "story_id" and isinstance(value, int):
        href = datasette.urls.row(database, "stories", str(value))
        return Markup(f'<a href="{escape(href)}">{value}</a>')
    return None
