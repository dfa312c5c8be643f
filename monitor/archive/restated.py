"""Figures that repeat what an earlier story announced, linked so that sums count them once.

A national release quotes the Home Office's "up to £145m" pledge again; a force release repeats
the national totals of the same week; a sentencing story says the dealer "was one of 38 people
arrested". Each such figure gets `figures.restates` = the id of the figure in the story that
announced it first. A figure restates another when it has the same metric and value, a qualifier
of the same family (exact/about, more than/at least, up to/less than), a value distinctive enough
not to coincide by chance, and the same subject: a funding pledge or a national total anywhere,
otherwise a force both articles name.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from monitor import evidence, forces

FAMILY = {
    "exact": "point",
    "about": "point",
    "more_than": "lower",
    "at_least": "lower",
    "up_to": "upper",
    "less_than": "upper",
}
# Earlier figures looked at per figure, newest first (in index order, so the lookup stays flat
# as the archive grows); one that itself restates another is skipped, so the link goes to the
# story that announced the figure.
MAX_EARLIER = 8


def _forces_of(db: Database, article_id: int) -> set[str]:
    """The forces an article names (from its stored story facts, so no page is re-read) and
    its own source's force."""
    row = db.execute(
        "SELECT sf.facts, s.force FROM articles a LEFT JOIN sources s ON s.id = a.source_id"
        " LEFT JOIN story_facts sf ON sf.article_id = a.id WHERE a.id = ?",
        [article_id],
    ).fetchone()
    if row is None:
        return set()
    named = set(json.loads(row[0])["forces"]) if row[0] else set()
    own = forces.match_name(row[1])
    return named | {own} if own else named


def _in_origin(db: Database, figure_id: int, metric: str, value: float) -> int:
    """The same figure as stated by its story's origin article, where the origin states it."""
    row = db.execute(
        "SELECT f.id FROM figures f JOIN stories s ON s.id = f.story_id"
        " WHERE f.story_id = (SELECT story_id FROM figures WHERE id = ?)"
        " AND f.metric = ? AND f.value = ? AND f.restates IS NULL"
        " ORDER BY f.article_id = s.origin_article_id DESC, f.id LIMIT 1",
        [figure_id, metric, value],
    ).fetchone()
    return int(row[0]) if row else figure_id


def mark(db: Database, article_id: int, story_id: int) -> int:
    """Link this article's figures to the figures of earlier stories they repeat; returns how
    many it linked."""
    figs = db.execute(
        "SELECT f.id, f.metric, f.value, COALESCE(f.qualifier, 'exact'), f.scope, a.published"
        " FROM figures f JOIN articles a ON a.id = f.article_id WHERE f.article_id = ?",
        [article_id],
    ).fetchall()
    mine: set[str] | None = None
    linked = 0
    for fid, metric, value, qualifier, scope, published in figs:
        if evidence.distinctive(metric, float(value)) < 1.0:
            continue
        earlier = db.execute(
            "SELECT f.id, f.article_id, COALESCE(f.qualifier, 'exact'), f.scope FROM figures f"
            " JOIN articles a ON a.id = f.article_id WHERE f.metric = ? AND f.value = ?"
            " AND f.story_id IS NOT NULL AND f.story_id != ? AND f.restates IS NULL"
            " AND a.published <= ? ORDER BY f.id DESC LIMIT ?",
            [metric, value, story_id, published, MAX_EARLIER],
        ).fetchall()
        for other_id, other_article, other_qual, other_scope in earlier:
            if FAMILY.get(other_qual) != FAMILY.get(qualifier):
                continue
            same_subject = metric == "funding_gbp" or scope == other_scope == "national"
            if not same_subject:
                mine = mine if mine is not None else _forces_of(db, article_id)
                same_subject = bool(mine & _forces_of(db, int(other_article)))
            if same_subject:
                target = _in_origin(db, int(other_id), metric, value)
                db.execute("UPDATE figures SET restates = ? WHERE id = ?", [target, fid])
                linked += 1
                break
    return linked


def remark_all(db: Database) -> int:
    """Recompute every link after a regrouping, replaying articles in publication order."""
    db.execute("UPDATE figures SET restates = NULL WHERE restates IS NOT NULL")
    rows = db.execute(
        "SELECT id, story_id FROM articles WHERE relevant = 1 AND story_id IS NOT NULL"
        " ORDER BY published, id"
    ).fetchall()
    return sum(mark(db, int(a), int(s)) for a, s in rows)
