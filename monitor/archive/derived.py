"""The story tables the archive keeps current, and how it keeps them.

`story_figures` (each story's counted figures), `story_copies` (its articles, origin first),
`figure_months` (monthly sums over story_figures) and `national_weeks` (one row per story stating
national results) are tables, not views, so browsing reads stored rows (issue 18). This module
holds the SQL that computes their rows, the triggers that keep them current as articles,
figures, stories, sources and forces change, and `refreshed_once`, which defers those triggers
for the length of one placement. The migrations that create them are in schema.py (m013, m013b,
m017, m019) and use what is defined here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

# m013: story_figures and story_copies become tables the writer keeps current (triggers below),
# so browsing, facets and sums read stored rows instead of recomputing correlated subqueries per
# row: at 170k articles the views took seconds and their facets timed out (issue 18).
_COUNTED = "f.part_of IS NULL AND f.restates IS NULL"
STORY_FIGURES_ROWS = f"""
SELECT f.id AS figure_id, s.id AS story_id, s.first_published,
       (SELECT MIN(d.published_date) FROM articles d WHERE d.story_id = s.id) AS published_date,
       s.title AS story_title, f.metric, f.value, f.unit, f.qualifier, f.scope, f.evidence,
       fc.name AS force, f.force AS force_code, f.period_start, f.period_end, f.operation,
       COALESCE(o.publisher, src.publisher, src.force, src.name) AS origin_publisher,
       src.kind AS origin_kind, o.url AS origin_url, a.url AS figure_url, f.extractor, f.rule
FROM stories s
JOIN figures f ON f.story_id = s.id
JOIN articles a ON a.id = f.article_id
JOIN articles o ON o.id = s.origin_article_id
LEFT JOIN sources src ON src.id = o.source_id
LEFT JOIN forces fc ON fc.code = f.force AND fc.kind = 'force'
WHERE s.id IN ({{ids}}) AND {_COUNTED}
  AND (f.article_id = s.origin_article_id
       OR (NOT EXISTS (SELECT 1 FROM figures x
                       WHERE x.article_id = s.origin_article_id AND x.metric = f.metric
                         AND x.part_of IS NULL AND x.restates IS NULL)
           AND f.article_id = (SELECT MIN(y.article_id) FROM figures y
                               WHERE y.story_id = s.id AND y.metric = f.metric
                                 AND y.part_of IS NULL AND y.restates IS NULL)))
"""
STORY_COPIES_ROWS = """
SELECT a.id AS article_id, s.id AS story_id, s.first_published, s.title AS story_title,
       CASE WHEN a.id = s.origin_article_id THEN 1 ELSE 0 END AS is_origin,
       COALESCE(a.publisher, src.publisher, src.force, src.name) AS publisher,
       src.kind AS source_kind, src.force AS force, a.source_id, a.title, a.published,
       a.published_date, a.fetched_at, a.url,
       (SELECT COUNT(*) FROM figures f WHERE f.article_id = a.id) AS figures
FROM stories s
JOIN articles a ON a.story_id = s.id
LEFT JOIN sources src ON src.id = a.source_id
WHERE s.id IN ({ids})
"""
DERIVED_COLUMNS = {
    # NUMERIC keeps 172 an integer (REAL would read it back as 172.0) and 6.5 a real.
    "story_figures": """figure_id INTEGER PRIMARY KEY, story_id INTEGER, first_published TEXT,
        published_date TEXT, story_title TEXT, metric TEXT, value NUMERIC, unit TEXT,
        qualifier TEXT, scope TEXT, evidence TEXT, force TEXT, force_code TEXT,
        period_start TEXT, period_end TEXT, operation TEXT, origin_publisher TEXT,
        origin_kind TEXT, origin_url TEXT, figure_url TEXT, extractor TEXT, rule TEXT""",
    "story_copies": """article_id INTEGER PRIMARY KEY, story_id INTEGER, first_published TEXT,
        story_title TEXT, is_origin INTEGER, publisher TEXT, source_kind TEXT, force TEXT,
        source_id TEXT, title TEXT, published TEXT, published_date TEXT, fetched_at TEXT,
        url TEXT, figures INTEGER""",
}
DERIVED_INDEXES = {
    "story_figures": [
        ["story_id", "metric"],
        ["first_published"],
        # covering the dashboard charts: metric and scope chosen, then month, force and value
        ["metric", "scope", "published_date", "force", "value", "story_id"],
        ["scope", "metric", "story_id", "period_start", "published_date", "value"],
        ["force", "metric"],
        ["origin_kind"],
        ["origin_publisher"],
    ],
    "story_copies": [
        ["story_id", "is_origin"],
        ["publisher"],
        ["source_kind"],
        ["force"],
        ["is_origin"],
    ],
}


def refresh_stories_sql(ids: str) -> str:
    """Statements that recompute both derived tables for the stories whose ids `ids` selects."""
    out = []
    for name, rows in (("story_figures", STORY_FIGURES_ROWS), ("story_copies", STORY_COPIES_ROWS)):
        out.append(f"DELETE FROM {name} WHERE story_id IN ({ids});")
        out.append(f"INSERT INTO {name} {rows.format(ids=ids)};")
    return "\n".join(out)


def _changed(*cols: str) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in cols)


_FIGURE_COLS = (
    "story_id", "article_id", "metric", "value", "unit", "qualifier", "scope", "evidence",
    "force", "period_start", "period_end", "operation", "part_of", "restates", "extractor", "rule",
)  # fmt: skip
_ARTICLE_COLS = (
    "story_id", "url", "publisher", "source_id", "title", "published", "published_date",
    "fetched_at",
)  # fmt: skip
# (trigger name, event, WHEN condition, ids of the stories to refresh)
DERIVED_TRIGGERS = [
    ("figures_ai", "INSERT ON figures", "NEW.story_id IS NOT NULL", "SELECT NEW.story_id"),
    ("figures_ad", "DELETE ON figures", "OLD.story_id IS NOT NULL", "SELECT OLD.story_id"),
    (
        "figures_au",
        "UPDATE ON figures",
        _changed(*_FIGURE_COLS),
        "SELECT OLD.story_id UNION SELECT NEW.story_id",
    ),
    ("articles_ai", "INSERT ON articles", "NEW.story_id IS NOT NULL", "SELECT NEW.story_id"),
    ("articles_ad", "DELETE ON articles", "OLD.story_id IS NOT NULL", "SELECT OLD.story_id"),
    (
        "articles_au",
        "UPDATE ON articles",
        _changed(*_ARTICLE_COLS),
        "SELECT OLD.story_id UNION SELECT NEW.story_id",
    ),
    ("stories_ai", "INSERT ON stories", "1", "SELECT NEW.id"),
    ("stories_ad", "DELETE ON stories", "1", "SELECT OLD.id"),
    (
        "stories_au",
        "UPDATE ON stories",
        _changed("id", "title", "first_published", "origin_article_id"),
        "SELECT OLD.id UNION SELECT NEW.id",
    ),
    (
        "sources_au",
        "UPDATE ON sources",
        _changed("name", "kind", "force", "publisher"),
        "SELECT story_id FROM articles WHERE source_id = NEW.id",
    ),
    ("forces_ai", "INSERT ON forces", "1", "SELECT story_id FROM figures WHERE force = NEW.code"),
    ("forces_ad", "DELETE ON forces", "1", "SELECT story_id FROM figures WHERE force = OLD.code"),
]


# m013b: figures_by_month read a GROUP BY over every counted figure (a 180 ms scan at 170k
# articles); this table keeps those monthly sums as story_figures rows come and go.
MONTH_KEY = {
    "month": "COALESCE(substr({r}.published_date, 1, 7), 'undated')",
    "metric": "{r}.metric",
    "scope": "COALESCE({r}.scope, 'unclear')",
    "unit": "COALESCE({r}.unit, '')",
}


def _month_match(row: str, other: str) -> str:
    return " AND ".join(f"{k.format(r=other)} = {k.format(r=row)}" for k in MONTH_KEY.values())


def _month_where(row: str) -> str:
    return " AND ".join(f"{col} = {k.format(r=row)}" for col, k in MONTH_KEY.items())


def _only_one_of_story(row: str) -> str:
    """1 when no other story_figures row of the same story shares this row's month key."""
    return (
        f"NOT EXISTS (SELECT 1 FROM story_figures o WHERE o.story_id = {row}.story_id"
        f" AND o.figure_id != {row}.figure_id AND {_month_match(row, 'o')})"
    )


FIGURE_MONTHS_TRIGGERS = {
    "figure_months_ai": f"""AFTER INSERT ON story_figures BEGIN
        INSERT INTO figure_months (month, metric, scope, unit)
        VALUES ({", ".join(k.format(r="NEW") for k in MONTH_KEY.values())})
        ON CONFLICT DO NOTHING;
        UPDATE figure_months SET figures = figures + 1, total = total + COALESCE(NEW.value, 0),
            approximate = approximate + COALESCE(NEW.qualifier != 'exact', 0),
            stories = stories + {_only_one_of_story("NEW")}
        WHERE {_month_where("NEW")};
    END""",
    "figure_months_ad": f"""AFTER DELETE ON story_figures BEGIN
        UPDATE figure_months SET figures = figures - 1, total = total - COALESCE(OLD.value, 0),
            approximate = approximate - COALESCE(OLD.qualifier != 'exact', 0),
            stories = stories - {_only_one_of_story("OLD")}
        WHERE {_month_where("OLD")};
        DELETE FROM figure_months WHERE figures <= 0 AND {_month_where("OLD")};
    END""",
}


# m017: national_intensification_totals and the dashboard's national chart grouped every
# national figure of the whole history on each read (0.4 s at 170k articles, issue 18); this
# table keeps one row per story stating national results, refreshed from story_figures, so the
# query and its .atom read the newest weeks through an index.
NATIONAL_METRICS = (
    "lines_closed", "arrests", "charged", "safeguarded", "weapons_seized", "firearms_seized",
    "cash_seized_gbp", "drugs_value_gbp",
)  # fmt: skip
_NATIONAL_IN = ", ".join(f"'{m}'" for m in NATIONAL_METRICS)
_NATIONAL_WHERE = "{r}.scope = 'national' AND {r}.metric IN (" + _NATIONAL_IN + ")"
NATIONAL_WEEKS_ROWS = (
    """
SELECT sf.story_id, COALESCE(MIN(sf.period_start), MIN(sf.published_date)) AS week_start,
       MIN(sf.period_start) AS period_start, MAX(sf.period_end) AS period_end,
       MIN(sf.published_date) AS published, MIN(sf.first_published) AS first_published,
       sf.story_title, sf.origin_publisher, group_concat(DISTINCT sf.operation) AS operation,
"""
    + "".join(
        f"       MAX(CASE WHEN sf.metric = '{m}' THEN sf.value END) AS {m},\n"
        for m in NATIONAL_METRICS
    )
    + """       sf.origin_url
FROM story_figures sf
WHERE sf.story_id IN ({ids}) AND """
    + _NATIONAL_WHERE.format(r="sf")
    + """
GROUP BY sf.story_id
"""
)
NATIONAL_WEEKS_DDL = (
    "CREATE TABLE national_weeks (story_id INTEGER PRIMARY KEY, week_start TEXT,"
    " period_start TEXT, period_end TEXT, published TEXT, first_published TEXT,"
    " story_title TEXT, origin_publisher TEXT, operation TEXT, "
    + ", ".join(f"{m} NUMERIC" for m in NATIONAL_METRICS)
    + ", origin_url TEXT)"
)


def refresh_national_sql(ids: str) -> str:
    """Statements that recompute national_weeks for the stories whose ids `ids` selects."""
    return (
        f"DELETE FROM national_weeks WHERE story_id IN ({ids});\n"
        f"INSERT INTO national_weeks {NATIONAL_WEEKS_ROWS.format(ids=ids)};"
    )


# Only rows about national results touch the table: the writer pays nothing for the others.
NATIONAL_WEEKS_TRIGGERS = {
    "national_weeks_ai": (
        "INSERT",
        _NATIONAL_WHERE.format(r="NEW"),
        "SELECT NEW.story_id",
    ),
    "national_weeks_ad": (
        "DELETE",
        _NATIONAL_WHERE.format(r="OLD"),
        "SELECT OLD.story_id",
    ),
    "national_weeks_au": (
        "UPDATE",
        f"({_NATIONAL_WHERE.format(r='OLD')}) OR ({_NATIONAL_WHERE.format(r='NEW')})",
        "SELECT OLD.story_id UNION SELECT NEW.story_id",
    ),
}


# m019: a placement touched its story's derived rows once per statement (the article, each of
# its figures, the story row, the restatement marks: 5-8 rebuilds of one story). While a
# `derived_deferred` row exists the triggers only note the story ids in `derived_pending`, and
# refreshed_once() rebuilds each story once at the end, in the same transaction.
DERIVED_DEFERRED_DDL = (
    "CREATE TABLE IF NOT EXISTS derived_deferred (held INTEGER)",
    "CREATE TABLE IF NOT EXISTS derived_pending (story_id INTEGER)",
)


@contextmanager
def refreshed_once(db: Database) -> Iterator[None]:
    """Defer the story tables' triggers inside one transaction, then rebuild each story they
    noted once. Outside a transaction it defers nothing (a crash must not leave them off)."""
    if not db.conn.in_transaction:
        yield
        return
    db.execute("INSERT INTO derived_deferred (held) VALUES (1)")
    try:
        yield
    finally:
        db.execute("DELETE FROM derived_deferred")
    pending = "SELECT story_id FROM derived_pending WHERE story_id IS NOT NULL"
    for statement in refresh_stories_sql(pending).split(";\n"):
        db.execute(statement.rstrip(";"))
    db.execute("DELETE FROM derived_pending")
