"""Datasette plugin: a story's row page shows its origin, provenance, copies, corrections and
figures with evidence; cells read as people expect (172 not 172.0, UK local times, no full
bodies in a grid); the dashboard says when a choice has no figures."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from datasette import hookimpl
from datasette.utils import tilde_decode
from markupsafe import Markup, escape

from monitor.dates import uk_date

LONDON = ZoneInfo("Europe/London")
UTC_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(\+00:00|Z)$")
GRID_TEXT = 160  # characters of a body or summary shown in a table grid
LONG_TEXT_COLUMNS = {"articles": {"body", "summary"}, "article_versions": {"body", "summary"}}

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


def _safe_url(url: Any) -> str | None:
    """Only http(s) links reach the page: a stored URL came from a feed, so never trust it."""
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def _number(value: Any) -> str:
    """12.0 -> '12', 2700000.0 -> '2,700,000', 1.5 -> '1.5'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def uk_time(iso: Any) -> str | None:
    """A UTC timestamp as people in the UK read it: '2022-10-14 09:00 BST'."""
    if not isinstance(iso, str) or not UTC_STAMP.match(iso):
        return None
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(LONDON)
    return when.strftime("%Y-%m-%d %H:%M %Z")


def sha256(text: Any) -> str | None:
    """SHA-256 of the text the monitor read (UTF-8), so a quote can be checked later."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if isinstance(text, str) else None


def _figure_set(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(f"{r.get('metric')} {_number(r.get('value'))}" for r in rows)


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


FORCE_CHOICES = "SELECT name FROM forces WHERE kind = 'force' ORDER BY name"


@hookimpl
def extra_template_vars(
    template: str,
    view_name: str,
    table: str | None,
    database: str | None,
    request: Any,
    datasette: Any,
) -> Any:
    if template == "query.html" and database is not None:
        return _force_choices(datasette, database)
    if template in ("index.html", "database.html"):
        return _start_here(datasette, database)
    if view_name == "row" and table in LONG_TEXT_COLUMNS and database is not None:
        return _full_text(datasette, database, table, request)
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
                "url": _safe_url(r["url"]),
                "fetched": uk_time(r["fetched_at"]) or r["fetched_at"],
            }
            for r in await db.execute(COPIES, [story_id])
        ]
        figures = [
            dict(r) | {"shown": _number(r["value"])} for r in await db.execute(FIGURES, [story_id])
        ]
        head = dict(story) | {
            "origin_url": _safe_url(story["origin_url"]),
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


def _full_text(datasette: Any, database: str, table: str, request: Any) -> Any:
    """An article's (or kept version's) whole title, summary and body for its row page."""

    async def text() -> dict[str, Any]:
        try:
            row_id = int(tilde_decode(request.url_vars["pks"]))
        except (KeyError, ValueError):
            return {}
        db = datasette.get_database(database)
        row = (
            await db.execute(f"SELECT title, summary, body FROM {table} WHERE id = ?", [row_id])
        ).first()
        return {"full_text": dict(row)} if row is not None else {}

    return text


def _start_here(datasette: Any, database: str | None) -> Any:
    """What a person opens first, in the order metadata.yaml gives, for tables that exist."""

    async def listed() -> dict[str, Any]:
        wanted = (datasette.plugin_config("county-lines-monitor") or {}).get("start_here", [])
        names = [database] if database else list(datasette.databases)
        out = []
        for name in names:
            db = datasette.get_database(name)
            have = set(await db.table_names()) | set(await db.view_names())
            tables = (datasette.metadata("tables", database=name) or {}) if name else {}
            for item in wanted:
                if item in have:
                    about = (tables.get(item) or {}).get("description", "")
                    out.append({"database": name, "name": item, "description": about})
        return {"start_here": out}

    return listed


def _force_choices(datasette: Any, database: str) -> Any:
    """The forces a `force` parameter can name (the query page offers them as a list)."""

    async def choices() -> dict[str, Any]:
        db = datasette.get_database(database)
        try:
            names = [r[0] for r in await db.execute(FORCE_CHOICES)]
        except Exception:  # an archive from before the forces table: free text, as before
            names = []
        return {"force_choices": names}

    return choices


@hookimpl
def render_cell(
    row: Any,
    value: Any,
    column: str,
    table: str | None,
    database: str,
    datasette: Any,
) -> Markup | str | None:
    # Canned-query results have no foreign keys to link, so make story ids lead to the story.
    if table is None and column == "story_id" and isinstance(value, int):
        href = datasette.urls.row(database, "stories", str(value))
        return Markup(f'<a href="{escape(href)}">{value}</a>')
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a count stored as REAL reads 172, not 172.0
    shown = uk_time(value)
    if shown is not None:
        return Markup(f'<span title="{escape(value)} (UTC)">{escape(shown)}</span>')
    # Cut in every cell (render_cell cannot tell a grid from a row page); the row page shows
    # the whole text above the record (full_text below).
    long_text = column in LONG_TEXT_COLUMNS.get(table or "", set())
    if long_text and isinstance(value, str) and len(value) > GRID_TEXT:
        return value[:GRID_TEXT].rstrip() + "\u2026"
    return None


# The dashboard draws a chart even when its query returns no rows (empty axes); say so instead.
NO_FIGURES_SCRIPT = """
(function () {
  const draw = window.vegaEmbed;
  if (!draw) { return; }
  window.vegaEmbed = function (el, spec, opts) {
    const data = spec && spec.data;
    const rows = Array.isArray(data) ? (data[0] || {}).values : (data || {}).values;
    if (Array.isArray(rows) && rows.length === 0) {
      el.innerHTML = '<p class="no-figures">No figures yet for this choice.</p>';
      return Promise.resolve();
    }
    return draw(el, spec, opts);
  };
})();
"""


@hookimpl
def extra_body_script(template: str, view_name: str) -> str | None:
    return NO_FIGURES_SCRIPT if template == "dashboard_view.html" else None
