"""The archive schema as ordered sqlite-utils migrations: one function per change, named for it."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("monitor")


@migrations()
def m001_create_sources(db: Database) -> None:
    db["sources"].create(
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
    db["runs"].create(
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
    db["polls"].create(
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
    db["polls"].create_index(["source_id", "id"])


@migrations()
def m003_create_stories_articles_figures(db: Database) -> None:
    db["stories"].create(
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
    db["stories"].create_index(["first_published"])
    db["articles"].create(
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
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["source_id", "guid"])
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["story_id"])
    db["articles"].enable_fts(["title", "body"], create_triggers=True)
    db["figures"].create(
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
    db["figures"].create_index(["article_id"])
    db["figures"].create_index(["story_id", "metric"])


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
    from monitor.archive import stories  # derived data: index the articles already archived

    stories.index_existing(db)


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
    db["sources"].add_column("ttl_seconds", int)
    db.create_view("source_health", SOURCE_HEALTH_V2, replace=True)


@migrations()
def m008_robots_cache(db: Database) -> None:
    # robots.txt per host, kept a day, so frequent cycles do not re-ask every host every time.
    db["robots"].create(
        {"netloc": str, "status": int, "body": bytes, "fetched_at": str}, pk="netloc"
    )


@migrations()
def m009_articles_run_index(db: Database) -> None:
    # Closing a run counts its articles; without this each cycle scanned the whole archive.
    db["articles"].create_index(["run_id"])


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
        db["figures"].add_column(col, typ)
    db["figures"].create_index(["force", "metric"])
    db["articles"].add_column("published_date", str)  # the writer fills it (Europe/London)
    db["sources"].add_column("verified", int)  # config `verified:` (URL from a pattern)
    db["sources"].add_column("tls_verify", int)  # config `tls_verify:` (0: opted out)
    db["forces"].create(
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
    db["article_versions"].create(
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
    db["article_versions"].create_index(["article_id", "version"], unique=True)


STORY_FACTS_DDL = (
    "CREATE TABLE IF NOT EXISTS story_facts (article_id INTEGER PRIMARY KEY, facts TEXT NOT NULL)"
)


@migrations()
def m014_story_facts_and_restates_lookup(db: Database) -> None:
    # What story matching reads from each article's text (names, numbers, forces...), kept so
    # placement compares candidates without re-reading their text; derived data, refilled by
    # placement and `monitor restory`. The figures index serves the `restates` lookup.
    db.execute(STORY_FACTS_DDL)
    db["figures"].create_index(["metric", "value"], if_not_exists=True)
