"""Story placement: which announcement an article belongs to, which copy is the origin, restory.

Placement runs inside archive.save_article's transaction. Candidates come from the `story_keys`
posting index (exact identities at any date; headline words, figures and MinHash LSH bands of the
body within a few days), so its cost follows the news rate, never the archive's size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from monitor import dedupe
from monitor.items import Article

STORY_WINDOW_DAYS = 14  # a trade-press copy can come a fortnight after the release
MAX_CANDIDATES = 40  # verify at most this many articles, best-connected first
MAX_MEMBERS = 60  # complete-link veto checks at most this many members of a story
OFFICIAL = ("police", "gov")


def _day(published: str | None) -> int:
    """Days since the epoch of an ISO timestamp (the index's time axis)."""
    try:
        when = datetime.fromisoformat((published or "").replace("Z", "+00:00"))
    except ValueError:
        when = datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() // 86400)


_ARTICLE_SQL = (
    "SELECT a.id, a.title, a.body, a.content_hash, a.url, a.original_url, a.guid, a.source_id,"
    " src.force, a.published FROM articles a LEFT JOIN sources src ON src.id = a.source_id"
)


def _key_from_row(
    row: tuple[Any, ...], figs: list[tuple[str, float, str]], body: bool = True
) -> dedupe.StoryKey:
    article_id, title, text, chash, url, original, guid, source_id, force, published = row
    return dedupe.story_key(
        title or "",
        text or "",
        figs,
        content_hash=chash,
        urls=(url, original),
        guid=guid,
        source_id=source_id,
        force=force,
        shingled=body,
        day=_day(published),
    )


def _figures_of(db: Database, ids: list[int]) -> dict[int, list[tuple[str, float, str]]]:
    """Each article's (metric, value, qualifier) in one query."""
    out: dict[int, list[tuple[str, float, str]]] = {a: [] for a in ids}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        "SELECT article_id, metric, value, COALESCE(qualifier, 'exact') FROM figures"
        f" WHERE article_id IN ({marks}) ORDER BY id",
        ids,
    )
    for article_id, metric, value, qualifier in rows:
        out[int(article_id)].append((metric, float(value), qualifier))
    return out


def _keys(db: Database, ids: Iterable[int], body: bool = True) -> dict[int, dedupe.StoryKey]:
    """Keys of several articles: one query for their rows, one for their figures."""
    ids = list(ids)
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = db.execute(f"{_ARTICLE_SQL} WHERE a.id IN ({marks})", ids).fetchall()
    figs = _figures_of(db, ids)
    return {int(r[0]): _key_from_row(r, figs[int(r[0])], body) for r in rows}


def _key_of(db: Database, article_id: int) -> dedupe.StoryKey:
    return _keys(db, [article_id])[article_id]


def _candidates(
    db: Database, article_id: int, ikeys: tuple[list[str], list[str]], day: int
) -> tuple[list[int], set[int]]:
    """Articles sharing enough index keys with this one to be worth comparing: an identity at
    any date; nearby, an LSH band, a named operation, or two of distinctive figures, headline
    words and proper nouns. Only those sharing an LSH band are compared by text (the second
    value)."""
    exact, window = ikeys
    kinds = {dedupe.key_hash(k): k[0] for k in exact + window}
    hits: dict[int, Counter[str]] = {}
    for keys, dated in ((exact, False), (window, True)):
        if not keys:
            continue
        hashes = [dedupe.key_hash(k) for k in keys]
        sql = f"SELECT key, article_id FROM story_keys WHERE key IN ({','.join('?' * len(hashes))})"
        args: list[int] = hashes
        if dated:
            sql += " AND day BETWEEN ? AND ?"
            args = [*hashes, day - STORY_WINDOW_DAYS, day + STORY_WINDOW_DAYS]
        for hashed, other in db.execute(sql, args):
            if other != article_id:
                hits.setdefault(other, Counter())[kinds[hashed]] += 1
    worth = {
        other: 1000 * (c["u"] + c["g"] + c["h"]) + 10 * (c["b"] + c["o"]) + c["f"] + c["t"] + c["n"]
        for other, c in hits.items()
        if c["u"] or c["g"] or c["h"] or c["b"] or c["o"] or c["f"] + c["t"] + c["n"] >= 2
    }
    best = sorted(worth, key=lambda a: (-worth[a], a))[:MAX_CANDIDATES]
    return best, {a for a in best if hits[a]["b"]}


def _post(db: Database, article_id: int, ikeys: tuple[list[str], list[str]], day: int) -> None:
    """Add an article's keys to the posting index."""
    exact, window = ikeys
    rows = {(dedupe.key_hash(k), day, article_id) for k in exact + window}
    db.conn.executemany(
        "INSERT OR IGNORE INTO story_keys (key, day, article_id) VALUES (?, ?, ?)", sorted(rows)
    )


class _Groups:
    """Which story each article is in: read from the archive (placement) or held in memory
    (restory, which regroups before it writes)."""

    def __init__(self, db: Database, memory: bool = False) -> None:
        self.db = db
        self.memory = memory
        self.story: dict[int, int] = {}
        self.stories: dict[int, list[int]] = {}

    def assign(self, article_id: int, story_id: int) -> None:
        self.story[article_id] = story_id
        self.stories.setdefault(story_id, []).append(article_id)

    def absorb(self, orphan: int, story_id: int) -> None:
        for article_id in self.stories.pop(orphan, []):
            self.assign(article_id, story_id)

    def story_of(self, ids: list[int]) -> dict[int, int]:
        if self.memory:
            return {a: self.story[a] for a in ids if a in self.story}
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT id, story_id FROM articles WHERE story_id IS NOT NULL AND id IN ({marks})", ids
        )
        return {int(a): int(s) for a, s in rows}

    def members(self, story_id: int) -> list[int]:
        if self.memory:
            return self.stories.get(story_id, [])[:MAX_MEMBERS]
        rows = self.db.execute(
            "SELECT id FROM articles WHERE story_id = ? ORDER BY id LIMIT ?",
            [story_id, MAX_MEMBERS],
        )
        return [int(r[0]) for r in rows]


def _choose(
    db: Database,
    article_id: int,
    key: dedupe.StoryKey,
    ikeys: tuple[list[str], list[str]],
    groups: _Groups,
) -> tuple[int | None, list[int]]:
    """The story this article belongs to (the best-evidenced match whose members raise no
    contradiction), and the headline-only stories its headline matches (Google News items that
    came first)."""
    day = key.day if key.day is not None else _day(None)
    cands, banded = _candidates(db, article_id, ikeys, day)
    story_of = groups.story_of(cands)
    keys = _keys(db, [c for c in cands if c in story_of and c in banded])
    keys.update(_keys(db, [c for c in cands if c in story_of and c not in banded], body=False))
    best: dict[int, tuple[int, float, float, int]] = {}
    bodiless: dict[int, bool] = {}
    for other, other_key in keys.items():
        sid = story_of[other]
        bodiless[sid] = bodiless.get(sid, True) and not other_key.body
        ev = dedupe.weigh(key, other_key)
        if not ev.same:
            continue
        exact, score, title, count = best.get(sid, (0, 0.0, 0.0, 0))
        best[sid] = (
            max(exact, int(ev.exact)),
            max(score, ev.score),
            max(title, dedupe.jaccard(key.title, other_key.title)),
            count + 1,
        )
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], -kv[1][1], -kv[1][3], kv[0]))
    if (
        not key.body
        and len(ranked) > 1
        and not ranked[0][1][0]
        and ranked[0][1][2] - ranked[1][1][2] < 0.2
    ):
        return None, []  # a headline that fits two stories about equally well joins neither
    chosen = None
    for sid, (exact, _, _, _) in ranked:
        members = _keys(db, groups.members(sid), body=False)
        if exact or not any(dedupe.conflict(key, m) for m in members.values()):
            chosen = sid
            break
    orphans = []
    if chosen is not None and key.body:
        for sid in best:
            if (
                sid != chosen
                and bodiless.get(sid)
                and all(not m.body for m in _keys(db, groups.members(sid), False).values())
            ):
                orphans.append(sid)
    return chosen, orphans


def refresh_story(db: Database, story_id: int) -> None:
    """Recompute a story's origin, title, dates and article count from its members."""
    row = db.execute(
        "SELECT a.id, a.title FROM articles a LEFT JOIN sources s ON s.id = a.source_id"
        " WHERE a.story_id = ?"
        " ORDER BY CASE WHEN s.kind IN ('police', 'gov') THEN 0"
        "   WHEN s.kind = 'aggregator' OR COALESCE(a.body, '') = '' THEN 2 ELSE 1 END,"
        "   a.published, a.id LIMIT 1",
        [story_id],
    ).fetchone()
    if row is None:
        return
    count, first_pub, first_seen, last_seen = db.execute(
        "SELECT COUNT(*), MIN(published), MIN(COALESCE(fetched_at, published)),"
        " MAX(COALESCE(fetched_at, published)) FROM articles WHERE story_id = ?",
        [story_id],
    ).fetchone()
    db["stories"].update(
        story_id,
        {
            "origin_article_id": row[0],
            "title": row[1],
            "article_count": count,
            "first_published": first_pub,
            "first_seen": first_seen,
            "last_seen": last_seen,
        },
    )


def place(db: Database, article_id: int, art: Article, published: str) -> tuple[int, bool]:
    """Join the matching story, or start one; returns (story_id, created)."""
    key = _key_of(db, article_id)
    ikeys = dedupe.index_keys(key)
    story_id, orphans = _choose(db, article_id, key, ikeys, _Groups(db))
    _post(db, article_id, ikeys, _day(published))
    for orphan in orphans:  # headline-only items that arrived before the article they carry
        db.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", [story_id, orphan])
        db.execute("UPDATE figures SET story_id = ? WHERE story_id = ?", [story_id, orphan])
        db["stories"].delete(orphan)
    created = story_id is None
    if story_id is None:
        story_id = int(
            db["stories"]
            .insert({"title": art.entry.title, "first_published": published, "article_count": 0})
            .last_pk
        )
    db["articles"].update(article_id, {"story_id": story_id})
    db.execute("UPDATE figures SET story_id = ? WHERE article_id = ?", [story_id, article_id])
    refresh_story(db, story_id)
    return story_id, created


def restory(db: Database) -> dict[str, int]:
    """Rebuild the key index and every story's grouping over the whole archive, idempotently.

    Articles are replayed in publication order; a rebuilt group keeps the old story id most of
    its articles had, so links to stories survive unless their grouping really changed.
    """
    from monitor.archive.store import write  # store imports this module

    with write(db):
        old = {
            int(a): int(s)
            for a, s in db.execute("SELECT id, story_id FROM articles WHERE story_id IS NOT NULL")
        }
        db.execute("DELETE FROM story_keys")
        groups = _Groups(db, memory=True)
        order = db.execute(
            "SELECT id FROM articles WHERE relevant = 1 ORDER BY published, id"
        ).fetchall()
        next_group = 0
        for (article_id,) in order:  # one row at a time: bodies stay on disk
            key = _key_of(db, article_id)
            ikeys = dedupe.index_keys(key)
            group, orphans = _choose(db, article_id, key, ikeys, groups)
            if group is None:
                next_group += 1
                group = next_group
            for orphan in orphans:
                groups.absorb(orphan, group)
            groups.assign(article_id, group)
            _post(db, article_id, ikeys, key.day if key.day is not None else _day(None))
        memory = groups.story
        final = _assign_ids(memory, old)
        return _write_groups(db, memory, final, old)


def _assign_ids(memory: dict[int, int], old: dict[int, int]) -> dict[int, int]:
    """Rebuilt group -> story id: the old id most of its articles had, else a fresh one."""
    members: dict[int, list[int]] = {}
    for article_id, group in sorted(memory.items()):
        members.setdefault(group, []).append(article_id)
    final: dict[int, int] = {}
    taken: set[int] = set()
    for group, ids in sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[1][0])):
        votes = Counter(old[a] for a in ids if a in old)
        for sid, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if sid not in taken:
                final[group] = sid
                taken.add(sid)
                break
    fresh = max([*old.values(), 0]) + 1
    for group in sorted(members):
        if group not in final:
            final[group] = fresh
            fresh += 1
    return final


def _write_groups(
    db: Database, memory: dict[int, int], final: dict[int, int], old: dict[int, int]
) -> dict[str, int]:
    existing = {int(r[0]) for r in db.execute("SELECT id FROM stories")}
    wanted = set(final.values())
    for sid in sorted(wanted - existing):
        db["stories"].insert({"id": sid, "article_count": 0})
    moved = 0
    for article_id, group in memory.items():
        sid = final[group]
        if old.get(article_id) != sid:
            moved += 1
            db["articles"].update(article_id, {"story_id": sid})
        db.execute("UPDATE figures SET story_id = ? WHERE article_id = ?", [sid, article_id])
    stale = [a for a in old if a not in memory]
    for article_id in stale:  # no longer relevant: belongs to no story
        db["articles"].update(article_id, {"story_id": None})
        db.execute("UPDATE figures SET story_id = NULL WHERE article_id = ?", [article_id])
    removed = existing - wanted
    for sid in sorted(removed):
        db["stories"].delete(sid)
    for sid in sorted(wanted):
        refresh_story(db, sid)
    return {
        "articles": len(memory),
        "stories": len(wanted),
        "moved": moved + len(stale),
        "stories_created": len(wanted - existing),
        "stories_removed": len(removed),
    }


def merged_figures(db: Database, story_id: int) -> list[dict[str, Any]]:
    """A story's figures, one set per metric: the origin's where it has the metric, else the
    best-ranked copy's (official before press, then earliest); repeated values dropped."""
    rows = db.execute(
        "SELECT f.*, a.id = st.origin_article_id AS is_origin FROM figures f"
        " JOIN articles a ON a.id = f.article_id JOIN stories st ON st.id = f.story_id"
        " LEFT JOIN sources s ON s.id = a.source_id WHERE f.story_id = ?"
        " ORDER BY is_origin DESC, CASE WHEN s.kind IN ('police', 'gov') THEN 0 ELSE 1 END,"
        " a.published, a.id, f.id",
        [story_id],
    )
    cols = [d[0] for d in rows.description]
    chosen: dict[str, int] = {}
    seen: set[tuple[Any, ...]] = set()
    out = []
    for values in rows.fetchall():
        fig = dict(zip(cols, values, strict=True))
        owner = chosen.setdefault(fig["metric"], fig["article_id"])
        ident = (fig["metric"], fig["value"], fig["unit"], fig["scope"])
        if owner != fig["article_id"] or ident in seen:
            continue
        seen.add(ident)
        out.append(fig)
    return out


def index_existing(db: Database) -> int:
    """Post every relevant article's keys without regrouping (the migration's backfill)."""
    ids = [int(r[0]) for r in db.execute("SELECT id FROM articles WHERE relevant = 1 ORDER BY id")]
    for start in range(0, len(ids), 500):
        for article_id, key in _keys(db, ids[start : start + 500]).items():
            _post(db, article_id, dedupe.index_keys(key), key.day or _day(None))
    return len(ids)
