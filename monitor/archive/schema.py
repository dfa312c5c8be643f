"""The archive schema as ordered sqlite-utils migrations: one function per change, named for it."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from monitor.archive.db import table
from monitor.archive.derived import (
    DERIVED_COLUMNS,
    DERIVED_DEFERRED_DDL,
    DERIVED_INDEXES,
    DERIVED_TRIGGERS,
    FIGURE_MONTHS_TRIGGERS,
    MONTH_KEY,
    NATIONAL_WEEKS_DDL,
    NATIONAL_WEEKS_ROWS,
    NATIONAL_WEEKS_TRIGGERS,
    refresh_national_sql,
    refresh_stories_sql,
)

migrations = Migrations("monitor")


@migrations()
def m001_create_sources(db: Database) -> None:
    table(db, "sources").create(
        {
            "id": str,
            "name": str,
            "url": str,
            "type": str,
            "kind": str,
            "force": str,
            "publisher": str,
            "enabled": int,
            "every_seconds": int,
            "etag": str,
            "last_modified": str,
            "body_hash": str,
            "last_polled_at": str,
            "last_success_at": str,
            "last_new_item_at": str,
            "error_score": float,
            "status": str,
            "last_error": str,
            "next_poll_at": str,
            "redirects_seen": int,
        },
        pk="id",
        defaults={"error_score": 0.0, "status": "ok", "enabled": 1, "redirects_seen": 0},
    )


@migrations()
def m002_create_runs_and_polls(db: Database) -> None:
    table(db, "runs").create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "trigger": str,
            "status": str,
            "sources_polled": int,
            "sources_failed": int,
            "entries_seen": int,
            "articles_fetched": int,
            "articles_new": int,
            "stories_new": int,
            "figures_new": int,
        },
        pk="id",
        defaults={
            k: 0
            for k in (
                "sources_polled",
                "sources_failed",
                "entries_seen",
                "articles_fetched",
                "articles_new",
                "stories_new",
                "figures_new",
            )
        },
    )
    table(db, "polls").create(
        {
            "id": int,
            "run_id": int,
            "source_id": str,
            "polled_at": str,
            "http_status": int,
            "entries": int,
            "new_entries": int,
            "error": str,
            "duration_ms": int,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id"), ("source_id", "sources", "id")],
    )
    table(db, "polls").create_index(["source_id", "id"])


@migrations()
def m003_create_stories_articles_figures(db: Database) -> None:
    table(db, "stories").create(
        {
            "id": int,
            "title": str,
            "first_published": str,
            "first_seen": str,
            "last_seen": str,
            "origin_article_id": int,
            "article_count": int,
        },
        pk="id",
    )
    table(db, "stories").create_index(["first_published"])
    table(db, "articles").create(
        {
            "id": int,
            "url": str,
            "original_url": str,
            "source_id": str,
            "guid": str,
            "publisher": str,
            "title": str,
            "summary": str,
            "body": str,
            "published": str,
            "fetched_at": str,
            "http_status": int,
            "content_hash": str,
            "relevant": int,
            "matched_terms": str,
            "story_id": int,
            "run_id": int,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id"), ("story_id", "stories", "id")],
    )
    table(db, "articles").create_index(["url"], unique=True)
    table(db, "articles").create_index(["source_id", "guid"])
    table(db, "articles").create_index(["content_hash"])
    table(db, "articles").create_index(["story_id"])
    table(db, "articles").enable_fts(["title", "body"], create_triggers=True)
    table(db, "figures").create(
        {
            "id": int,
            "article_id": int,
            "story_id": int,
            "metric": str,
            "value": float,
            "unit": str,
            "qualifier": str,
            "scope": str,
            "evidence": str,
            "evidence_start": int,
            "evidence_end": int,
            "extractor": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("story_id", "stories", "id")],
    )
    table(db, "figures").create_index(["article_id"])
    table(db, "figures").create_index(["story_id", "metric"])


STORY_FIGURES = """
SELECT f.id AS figure_id, s.id AS story_id, s.first_published, s.title AS story_title,
       f.metric, f.value, f.unit, f.qualifier, f.scope, f.evidence,
       COALESCE(o.publisher, src.name) AS origin_publisher, src.kind AS origin_kind,
       src.force AS force, o.url AS origin_url, a.url AS figure_url, f.extractor
FROM figures f
JOIN stories s ON s.id = f.story_id
JOIN articles a ON a.id = f.article_id
JOIN articles o ON o.id = s.origin_article_id
LEFT JOIN sources src ON src.id = o.source_id
WHERE f.article_id = s.origin_article_id
   OR (NOT EXISTS (SELECT 1 FROM figures x
                   WHERE x.article_id = s.origin_article_id AND x.metric = f.metric)
       AND f.article_id = (SELECT MIN(y.article_id) FROM figures y
                           WHERE y.story_id = s.id AND y.metric = f.metric))
"""

SOURCE_HEALTH = """
SELECT s.id, s.name, s.kind, s.type, s.status, s.enabled, s.error_score, s.last_error,
       s.last_polled_at, s.last_success_at, s.last_new_item_at, s.next_poll_at,
       CAST(julianday('now') - julianday(COALESCE(s.last_new_item_at, s.last_success_at))
            AS INTEGER) AS days_since_new_item,
       CASE WHEN s.last_success_at IS NOT NULL
             AND julianday('now') - julianday(COALESCE(s.last_new_item_at, s.last_success_at)) > 14
            THEN 1 ELSE 0 END AS quiet_14_days,
       (SELECT COUNT(*) FROM polls p WHERE p.source_id = s.id) AS polls,
       (SELECT COUNT(*) FROM polls p WHERE p.source_id = s.id AND p.error IS NOT NULL)
           AS failed_polls,
       (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id AND a.relevant = 1)
           AS relevant_articles
FROM sources s
"""


@migrations()
def m004_create_views(db: Database) -> None:
    db.create_view("story_figures", STORY_FIGURES)
    db.create_view("source_health", SOURCE_HEALTH)


STORY_COPIES = """
SELECT a.id AS article_id, s.id AS story_id, s.first_published, s.title AS story_title,
       CASE WHEN a.id = s.origin_article_id THEN 1 ELSE 0 END AS is_origin,
       COALESCE(a.publisher, src.publisher, src.force, src.name) AS publisher,
       src.kind AS source_kind, src.force AS force, a.source_id, a.title, a.published,
       a.url, (SELECT COUNT(*) FROM figures f WHERE f.article_id = a.id) AS figures
FROM articles a
JOIN stories s ON s.id = a.story_id
LEFT JOIN sources src ON src.id = a.source_id
"""


@migrations()
def m005_story_copies_view(db: Database) -> None:
    # One row per copy of a story, with a publisher name even when the feed gave none, so
    # Datasette can facet copies by publisher and source kind.
    db.create_view("story_copies", STORY_COPIES)


@migrations()
def m006_story_keys_index(db: Database) -> None:
    # The persisted posting index story placement queries instead of scanning articles: one row
    # per (key hash, day, article) for URL/GUID/content-hash identities, headline words, figures
    # and MinHash LSH bands. WITHOUT ROWID keeps it one B-tree ordered for `key IN (...)` lookups.
    db.execute(
        "CREATE TABLE story_keys (key INTEGER NOT NULL, day INTEGER NOT NULL,"
        " article_id INTEGER NOT NULL REFERENCES articles(id),"
        " PRIMARY KEY (key, day, article_id)) WITHOUT ROWID"
    )
    # The articles already archived are indexed by the live story code right after this
    # migration (monitor.archive.store.REFILL_AFTER), not from here: a migration is frozen.


SOURCE_HEALTH_V2 = """
SELECT s.id, s.name, s.kind, s.type, s.url, s.status, s.enabled, s.every_seconds, s.ttl_seconds,
       s.error_score, s.last_error, s.last_polled_at, s.last_success_at, s.last_new_item_at,
       s.next_poll_at,
       CAST(julianday('now') - julianday(COALESCE(s.last_new_item_at,
            (SELECT MIN(p.polled_at) FROM polls p WHERE p.source_id = s.id AND p.error IS NULL)))
            AS INTEGER) AS days_since_new_item,
       CASE WHEN julianday('now') - julianday(COALESCE(s.last_new_item_at,
            (SELECT MIN(p.polled_at) FROM polls p WHERE p.source_id = s.id AND p.error IS NULL)))
            > 14 THEN 1 ELSE 0 END AS quiet_14_days,
       (SELECT COUNT(*) FROM polls p WHERE p.source_id = s.id) AS polls,
       (SELECT COUNT(*) FROM polls p WHERE p.source_id = s.id AND p.error IS NOT NULL)
           AS failed_polls,
       (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id AND a.relevant = 1)
           AS relevant_articles
FROM sources s
"""


@migrations()
def m007_sources_ttl_and_quiet_since_first_success(db: Database) -> None:
    # The feed's own <ttl> is remembered across 304s; a source that never had a new item counts
    # its quiet days from its first successful poll, not from the latest one.
    table(db, "sources").add_column("ttl_seconds", int)
    db.create_view("source_health", SOURCE_HEALTH_V2, replace=True)


@migrations()
def m008_robots_cache(db: Database) -> None:
    # robots.txt per host, kept a day, so frequent cycles do not re-ask every host every time.
    table(db, "robots").create(
        {"netloc": str, "status": int, "body": bytes, "fetched_at": str}, pk="netloc"
    )


@migrations()
def m009_articles_run_index(db: Database) -> None:
    # Closing a run counts its articles; without this each cycle scanned the whole archive.
    table(db, "articles").create_index(["run_id"])


@migrations()
def m010_round_two_contract(db: Database) -> None:
    # The second round's contract (DESIGN.md): each figure's force (a `forces` code), the period
    # it reports, its operation, the stated total it is part of, the earlier story figure it
    # restates, and the extraction rule that produced it; each article's UK local date; the
    # forces reference table; and versions of corrected releases.
    for col, typ in (
        ("force", str),
        ("period_start", str),
        ("period_end", str),
        ("operation", str),
        ("part_of", int),
        ("restates", int),
        ("rule", str),
    ):
        table(db, "figures").add_column(col, typ)
    table(db, "figures").create_index(["force", "metric"])
    table(db, "articles").add_column("published_date", str)  # the writer fills it (Europe/London)
    table(db, "sources").add_column("verified", int)  # config `verified:` (URL from a pattern)
    table(db, "sources").add_column("tls_verify", int)  # config `tls_verify:` (0: opted out)
    table(db, "forces").create(
        {
            "code": str,
            "name": str,
            "aliases": str,
            "region": str,
            "country": str,
            "kind": str,
        },
        pk="code",
    )
    table(db, "article_versions").create(
        {
            "id": int,
            "article_id": int,
            "version": int,
            "title": str,
            "summary": str,
            "body": str,
            "content_hash": str,
            "text_sha256": str,
            "fetched_at": str,
            "replaced_at": str,
            "figures": str,  # JSON list of the figures as they were
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    table(db, "article_versions").create_index(["article_id", "version"], unique=True)


# One row per counted figure of each story: story_figures' choice of article (the origin's
# figures, else the earliest copy stating that metric) without parts of a stated total and
# restatements of an earlier story's figure, so sums over it never count a result twice.
FIGURE_SERIES = """
SELECT f.id AS figure_id, sf.story_id, sf.story_title AS story, o.published_date,
       f.period_start, f.period_end, f.force, fo.name AS force_name, f.metric, f.value, f.unit,
       f.qualifier, f.scope, f.operation, f.evidence, sf.origin_url, sf.figure_url AS story_url,
       o.published
FROM story_figures sf
JOIN figures f ON f.id = sf.figure_id
JOIN stories s ON s.id = sf.story_id
JOIN articles o ON o.id = s.origin_article_id
LEFT JOIN forces fo ON fo.code = f.force AND fo.kind = 'force'
WHERE f.part_of IS NULL AND f.restates IS NULL
"""


def _replaced(sql: str, *swaps: tuple[str, str, int]) -> str:
    """`sql` with each (old, new, times) swapped; an old text seen a different number of times
    is a bug here, not in the view."""
    for old, new, times in swaps:
        assert sql.count(old) == times, old
        sql = sql.replace(old, new)
    return sql


# A source's first successful poll: polls are written in time order, so the first by id is the
# earliest, found through the (source_id, id) index instead of a scan of all its polls.
FIRST_SUCCESS = (
    "(SELECT p.polled_at FROM polls p WHERE p.source_id = s.id AND p.error IS NULL"
    " ORDER BY p.id LIMIT 1)"
)
# The time an article counts from: published when the feed said, else when it was fetched.
ARTICLE_AT = "COALESCE(a.published, a.fetched_at)"

# source_health as in m007, except that an enabled source with no success ever says so (during an
# outage its stored status stays 'ok' with score 0), with its force and `verified:`, and with the
# first success found through the index.
SOURCE_HEALTH_V3 = _replaced(
    SOURCE_HEALTH_V2,
    (
        " s.status,",
        "\n       CASE WHEN s.enabled = 1 AND s.last_success_at IS NULL THEN 'never succeeded'"
        "\n            ELSE s.status END AS status,",
        1,
    ),
    (
        "AS relevant_articles\n",
        "AS relevant_articles,\n       s.force, s.force_code, s.verified\n",
        1,
    ),
    (
        "(SELECT MIN(p.polled_at) FROM polls p WHERE p.source_id = s.id AND p.error IS NULL)",
        FIRST_SUCCESS,
        2,
    ),
)

# One row per UK force (the `forces` reference, kind 'force'), joined with the enabled sources
# whose `force:` maps to it. The verdict, first match wins: no source -> 'not watched'; no source
# ever succeeded -> 'never succeeded'; none ok now -> 'failing'; watched for 30 days or more with
# no relevant article published in the last 30 -> 'quiet 30 days'; else 'watched'. Every
# per-source lookup is one index probe (polls by source and id; articles by source, relevance
# and time), so the view costs the same on a year's archive as on a week's.
COVERAGE = f"""
WITH src AS (
  SELECT h.id, h.force_code, h.status, h.verified, h.last_success_at,
         {FIRST_SUCCESS.replace("s.id", "h.id")} AS first_success_at,
         (SELECT MAX({ARTICLE_AT}) FROM articles a WHERE a.source_id = h.id AND a.relevant = 1)
             AS last_relevant_at
  FROM source_health h WHERE h.enabled = 1 AND h.force_code IS NOT NULL
),
per_force AS (
  SELECT f.code, f.name, f.region, f.country,
         COUNT(src.id) AS sources,
         group_concat(src.id || ' (' || src.status || ')', ', ') AS source_statuses,
         SUM(CASE WHEN src.verified = 0 THEN 1 ELSE 0 END) AS unverified_sources,
         SUM(CASE WHEN src.status = 'ok' THEN 1 ELSE 0 END) AS sources_ok,
         MAX(src.last_success_at) AS last_success_at,
         MIN(src.first_success_at) AS first_success_at,
         MAX(src.last_relevant_at) AS last_relevant_at
  FROM forces f LEFT JOIN src ON src.force_code = f.code
  WHERE f.kind = 'force'
  GROUP BY f.code
)
SELECT pf.code AS force_code, pf.name AS force, pf.region, pf.country, pf.sources,
       pf.source_statuses, COALESCE(pf.unverified_sources, 0) AS unverified_sources,
       pf.last_success_at, pf.last_relevant_at AS last_relevant_story_at,
       (SELECT a.story_id FROM src JOIN articles a ON a.source_id = src.id AND a.relevant = 1
            AND {ARTICLE_AT} = pf.last_relevant_at
        WHERE src.force_code = pf.code LIMIT 1) AS last_relevant_story_id,
       CASE WHEN pf.sources = 0 THEN 'not watched'
            WHEN pf.last_success_at IS NULL THEN 'never succeeded'
            WHEN pf.sources_ok = 0 THEN 'failing'
            WHEN julianday('now') - julianday(pf.first_success_at) >= 30
             AND (pf.last_relevant_at IS NULL
                  OR julianday('now') - julianday(pf.last_relevant_at) > 30)
            THEN 'quiet 30 days'
            ELSE 'watched' END AS verdict
FROM per_force pf
"""


@migrations()
def m011_figure_series_view(db: Database) -> None:
    # The time series a researcher exports (`monitor export`) and browses (Datasette). Articles
    # archived before m010 get their UK local date here; this copy of the rule stays frozen
    # with the migration (the writer uses monitor.dates.uk_date).
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    for article_id, published in db.execute(
        "SELECT id, published FROM articles WHERE published_date IS NULL AND published IS NOT NULL"
    ).fetchall():
        try:
            when = datetime.fromisoformat(published.replace("Z", "+00:00"))
        except ValueError:
            continue
        day = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(london).date()
        db.execute(
            "UPDATE articles SET published_date = ? WHERE id = ?", [day.isoformat(), article_id]
        )
    # Provenance and corrections (monitor/archive/versions.py): the SHA-256 of the text read,
    # and the feed entry's date as last seen, so a later `updated` time is noticed as a change.
    import hashlib

    table(db, "articles").add_column("text_sha256", str)
    table(db, "articles").add_column("entry_updated", str)
    for article_id, body, summary in db.execute(
        "SELECT id, body, summary FROM articles"
    ).fetchall():
        digest = hashlib.sha256((body or summary or "").encode("utf-8")).hexdigest()
        db.execute("UPDATE articles SET text_sha256 = ? WHERE id = ?", [digest, article_id])
    db.create_view("figure_series", FIGURE_SERIES)


@migrations()
def m012_coverage_view(db: Database) -> None:
    # Which forces are watched: each source's `force:` as a `forces` code (written by
    # sync_sources through forces.match_name; existing rows matched on an exact alias here), a
    # source that never succeeded shown as 'never succeeded' rather than 'ok' with score 0, and
    # the per-force `coverage` view that tells "no announcements" from "not watched". The index
    # answers "latest relevant article of a source" without reading its other articles.
    table(db, "sources").add_column("force_code", str)
    db.execute(
        "UPDATE sources SET force_code = (SELECT f.code FROM forces f, json_each(f.aliases) j"
        " WHERE f.kind = 'force' AND lower(j.value) = lower(sources.force) LIMIT 1)"
        " WHERE force IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX idx_articles_source_relevant_at ON articles"
        f" (source_id, relevant, {ARTICLE_AT.replace('a.', '')})"
    )
    db.create_view("source_health", SOURCE_HEALTH_V3, replace=True)
    db.create_view("coverage", COVERAGE)


@migrations()
def m013_story_tables_kept_by_triggers(db: Database) -> None:
    for name, columns in DERIVED_COLUMNS.items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE TABLE {name} ({columns})")
        for cols in DERIVED_INDEXES[name]:
            table(db, name).create_index(cols)
    for statement in refresh_stories_sql("SELECT id FROM stories").split(";\n"):
        db.execute(statement.rstrip(";"))
    for name, event, when, ids in DERIVED_TRIGGERS:
        db.execute(
            f"CREATE TRIGGER derived_{name} AFTER {event} WHEN {when}"
            f" BEGIN {refresh_stories_sql(ids)} END"
        )
    db.execute(
        "CREATE INDEX story_copies_newest_first ON story_copies"
        " (first_published DESC, story_id DESC, is_origin DESC, published, article_id)"
    )
    table(db, "stories").create_index(["first_seen"], if_not_exists=True)
    table(db, "articles").create_index(["source_id", "relevant"], if_not_exists=True)
    # Facet and filter columns of the raw tables people browse.
    for name, col in (
        ("articles", "publisher"),
        ("articles", "relevant"),
        ("articles", "published"),
        ("figures", "metric"),
        ("figures", "scope"),
        ("figures", "qualifier"),
        ("figures", "unit"),
    ):
        table(db, name).create_index([col], if_not_exists=True)


@migrations()
def m013b_figure_months(db: Database) -> None:
    db.execute(
        "CREATE TABLE figure_months (month TEXT NOT NULL, metric TEXT NOT NULL,"
        " scope TEXT NOT NULL, unit TEXT NOT NULL, stories INTEGER NOT NULL DEFAULT 0,"
        " figures INTEGER NOT NULL DEFAULT 0, total NUMERIC NOT NULL DEFAULT 0,"
        " approximate INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (month, metric, scope, unit))"
    )
    table(db, "story_figures").create_index(
        ["story_id", "metric", "scope", "unit", "published_date"]
    )
    for name, body in FIGURE_MONTHS_TRIGGERS.items():
        db.execute(f"CREATE TRIGGER derived_{name} {body}")
    keys = ", ".join(f"{k.format(r='sf')} AS {col}" for col, k in MONTH_KEY.items())
    db.execute(
        "INSERT INTO figure_months SELECT month, metric, scope, unit, COUNT(DISTINCT story_id),"
        " COUNT(*), SUM(COALESCE(value, 0)), SUM(COALESCE(qualifier != 'exact', 0)) FROM ("
        f" SELECT {keys}, story_id, value, qualifier FROM story_figures sf)"
        " GROUP BY month, metric, scope, unit"
    )


@migrations()
def m013c_story_figures_force_indexes(db: Database) -> None:
    # A force's figures stream in date order (force_figures stops at Datasette's row cap instead
    # of sorting every figure of the force), and the dashboard's force filter reads story ids
    # from the index alone.
    table(db, "story_figures").create_index(["force", "first_published", "story_id", "metric"])
    table(db, "story_figures").create_index(["force", "story_id"])


@migrations()
def m015_tls_verify_in_source_health(db: Database) -> None:
    # A source that opted out of certificate checks (`tls_verify: false`) says so in its health
    # row, so a reader of the archive of record can see which sources a man in the middle could
    # have fed (issue 17, item 10).
    view = SOURCE_HEALTH_V3.replace("s.next_poll_at,", "s.next_poll_at, s.tls_verify,", 1)
    db.create_view("source_health", view, replace=True)


@migrations()
def m016_backfill_cursors(db: Database) -> None:
    # `monitor backfill` keeps one cursor per source: the window it walks, the next listing page
    # (or child sitemap) to read, the oldest date reached, and whether the walk is done, so an
    # interrupted walk continues where it left off and a finished one is not walked again.
    table(db, "backfill_cursors").create(
        {
            "source_id": str,
            "preset": str,
            "since": str,
            "until": str,
            "status": str,  # walking | done | stopped
            "next_page": int,
            "reached": str,
            "pages": int,
            "articles": int,
            "relevant": int,
            "last_sig": str,
            "last_error": str,
            "run_id": int,
            "updated_at": str,
        },
        pk="source_id",
        defaults={"next_page": 1, "pages": 0, "articles": 0, "relevant": 0},
    )


STORY_FACTS_DDL = (
    "CREATE TABLE IF NOT EXISTS story_facts (article_id INTEGER PRIMARY KEY, facts TEXT NOT NULL)"
)


@migrations()
def m014_story_facts_and_restates_lookup(db: Database) -> None:
    # What story matching reads from each article's text (names, numbers, forces...), kept so
    # placement compares candidates without re-reading their text; derived data, refilled by
    # placement and `monitor restory`. The figures index serves the `restates` lookup.
    db.execute(STORY_FACTS_DDL)
    table(db, "figures").create_index(["metric", "value"], if_not_exists=True)


@migrations()
def m017_national_weeks(db: Database) -> None:
    db.execute(NATIONAL_WEEKS_DDL)
    table(db, "national_weeks").create_index(["week_start", "story_id"])
    table(db, "national_weeks").create_index(["published"])
    every_story = "SELECT story_id FROM story_figures"
    db.execute(f"INSERT INTO national_weeks {NATIONAL_WEEKS_ROWS.format(ids=every_story)}")
    for name, (event, when, ids) in NATIONAL_WEEKS_TRIGGERS.items():
        db.execute(
            f"CREATE TRIGGER derived_{name} AFTER {event} ON story_figures WHEN {when}"
            f" BEGIN {refresh_national_sql(ids)} END"
        )


@migrations()
def m018_fts_follows_only_title_and_body(db: Database) -> None:
    """sqlite-utils' FTS trigger fires on any UPDATE of articles, so placing an article in a
    story (story_id), a restory or a version bump re-tokenised its whole body twice. It now fires
    only when the indexed columns change; the index itself is untouched."""
    db.execute("DROP TRIGGER IF EXISTS articles_au")
    db.execute(
        'CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "body" ON "articles" BEGIN'
        ' INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body")'
        ' VALUES(\'delete\', old.rowid, old."title", old."body");'
        ' INSERT INTO "articles_fts" (rowid, "title", "body")'
        ' VALUES (new.rowid, new."title", new."body"); END'
    )


@migrations()
def m019_derived_tables_refreshed_once_per_placement(db: Database) -> None:
    for statement in DERIVED_DEFERRED_DDL:
        db.execute(statement)
    deferring = "EXISTS (SELECT 1 FROM derived_deferred)"
    for name, event, when, ids in DERIVED_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS derived_{name}")
        db.execute(
            f"CREATE TRIGGER derived_{name} AFTER {event} WHEN ({when}) AND NOT {deferring}"
            f" BEGIN {refresh_stories_sql(ids)} END"
        )
        db.execute(
            f"CREATE TRIGGER deferred_{name} AFTER {event} WHEN ({when}) AND {deferring}"
            f" BEGIN INSERT INTO derived_pending (story_id) {ids}; END"
        )
