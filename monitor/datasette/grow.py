"""A grown archive for browsing at scale: an archive's rows copied N times, one day further back
per copy, so pages can be timed (benchmarks/browse.py) and browsed (tests) at years of history.

Copies keep every relationship (article -> story, figure -> article, story -> origin, figure
part_of / restates, article versions) with ids offset per copy, and get their own URLs and
content hashes; sources, runs and polls are not copied (a longer history, not more sources).
The story_keys placement index is not copied: no page reads it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from monitor import archive

# Each statement copies one table `:copies` times; :a, :s, :f, :v are the id offsets per copy.
_COPY = {
    "stories": """
        INSERT INTO stories (id, title, first_published, first_seen, last_seen,
                             origin_article_id, article_count)
        SELECT id + k * :s, title, {shift_first_published}, {shift_first_seen},
               {shift_last_seen}, origin_article_id + k * :a, article_count
        FROM stories, n WHERE id <= :s""",
    "articles": """
        INSERT INTO articles (id, url, original_url, source_id, guid, publisher, title, summary,
                              body, published, published_date, fetched_at, http_status,
                              content_hash, relevant, matched_terms, story_id, run_id)
        SELECT id + k * :a, url || '#copy-' || k, original_url || '#copy-' || k, source_id,
               guid || '#copy-' || k, publisher, title, summary, body, {shift_published},
               date(published_date, '-' || k || ' days'), {shift_fetched_at}, http_status,
               content_hash || '-' || k, relevant, matched_terms, story_id + k * :s, run_id
        FROM articles, n WHERE id <= :a""",
    "figures": """
        INSERT INTO figures (id, article_id, story_id, metric, value, unit, qualifier, scope,
                             evidence, evidence_start, evidence_end, extractor, force,
                             period_start, period_end, operation, part_of, restates, rule)
        SELECT id + k * :f, article_id + k * :a, story_id + k * :s, metric, value, unit,
               qualifier, scope, evidence, evidence_start, evidence_end, extractor, force,
               date(period_start, '-' || k || ' days'), date(period_end, '-' || k || ' days'),
               operation, part_of + k * :f, restates + k * :f, rule
        FROM figures, n WHERE id <= :f""",
    "article_versions": """
        INSERT INTO article_versions (id, article_id, version, title, summary, body,
                                      content_hash, text_sha256, fetched_at, replaced_at, figures)
        SELECT id + k * :v, article_id + k * :a, version, title, summary, body, content_hash,
               text_sha256, {shift_fetched_at}, {shift_replaced_at}, figures
        FROM article_versions, n WHERE id <= :v""",
}


def _shift(column: str) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {column}, '-' || k || ' days')"


def grow(src: str | Path, dst: str | Path, factor: int) -> Path:
    """Copy archive `src` to `dst` holding `factor` times its stories, articles and figures."""
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)  # a consistent copy, including what is still in the -wal file
    finally:
        source.close()
        target.close()
    db = archive.open_archive(dst)
    try:
        ids = {
            key: db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]
            for key, table in (
                ("s", "stories"),
                ("a", "articles"),
                ("f", "figures"),
                ("v", "article_versions"),
            )
        }
        shifts = {
            f"shift_{c}": _shift(c)
            for c in (
                "first_published",
                "first_seen",
                "last_seen",
                "published",
                "fetched_at",
                "replaced_at",
            )
        }
        with_n = (
            "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < :copies) "
        )
        with archive.write(db):
            for sql in _COPY.values():
                db.execute(with_n + sql.format(**shifts), {**ids, "copies": factor - 1})
    finally:
        db.conn.close()
    return Path(dst)
