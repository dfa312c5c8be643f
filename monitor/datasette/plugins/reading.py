"""Datasette plugin: the archive reads as people expect: 172 not 172.0, UK local times, no
full bodies in a grid (the row page has the whole text), a "start here" list on the index, a
force parameter picked from the forces list, and "no figures yet" instead of empty chart axes."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils import tilde_decode
from markupsafe import Markup, escape

from monitor.datasette.display import uk_time

GRID_TEXT = 160  # characters of a body or summary shown in a table grid
LONG_TEXT_COLUMNS = {"articles": {"body", "summary"}, "article_versions": {"body", "summary"}}
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
    return {}


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
