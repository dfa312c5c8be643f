"""Story placement: which announcement an article belongs to, and which copy is the origin.

Placement runs inside archive.save_article's transaction, in three steps:

1. Candidates come from the `story_keys` posting index: exact identities (URL edition, GUID,
   word hash) at any date; within STORY_WINDOW_DAYS (14) either side, MinHash LSH bands of the
   body and named operations (each enough alone) or two of distinctive figures, headline words
   and proper nouns. SQLite ranks them; the best MAX_CANDIDATES are compared.
2. Each candidate is compared by monitor.evidence.weigh: weighed signals (figures within
   rounding and qualifier, numbers in digits or words, names, operation, court, force, headline,
   MinHash text similarity, dates, event kind) joined at evidence.JOIN = 3.0, and vetoes only for
   true contradictions (two home forces, figures that cannot both be true, one template with
   other numbers, a force's second page, more than 14 days). The signals and weights are listed
   in that module's docstring.
3. The article joins the best-evidenced story none of whose members it contradicts (complete
   link on contradictions, so a chain of copies cannot bridge two weeks), or starts one; its
   figures that repeat an earlier story's are linked by monitor.archive.restated.

Each article's text is read once: its facts (names, numbers, forces, MinHash signature...) are
kept in `story_facts`, so comparing a candidate never re-reads its page, and the cost follows
the news rate, never the archive's size. `monitor restory` (monitor.archive.regroup) replays it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlite_utils import Database

from monitor import dedupe
from monitor.archive import restated
from monitor.archive.db import insert, table
from monitor.archive.derived import refreshed_once
from monitor.dates import utc_iso
from monitor.items import Article

STORY_WINDOW_DAYS = 14  # a trade-press copy can come a fortnight after the release
MAX_CANDIDATES = 24  # verify at most this many articles, best-connected first
MAX_EXTRA = 6  # and this many more sharing the most figures, and the most headline words
MAX_MEMBERS = 60  # complete-link veto checks at most this many members of a story
OFFICIAL = ("police", "gov")
_KEY_WEIGHT = {"u": 1000, "g": 1000, "h": 1000, "b": 10, "o": 10}  # others (t, f, n): 1


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
    " a.published FROM articles a"
)


def _facts_from_article(
    db: Database, row: tuple[Any, ...], read: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Read an article's text once: its facts and what else its key needs, kept in story_facts
    (so later placements read neither its body nor the article row, whose body may spill over
    several pages). `read`: the text's facts as the pipeline already read them off the same
    title, text and URLs (in a worker process: monitor/offload.py)."""
    article_id, title, text, chash, url, original, guid, source_id, published = row
    facts = dict(read) if read else dedupe.text_facts(title or "", text or "", (url, original))
    facts.update(title=title or "", hash=chash, guid=guid, source=source_id, day=_day(published))
    db.execute(
        "INSERT OR REPLACE INTO story_facts (article_id, facts) VALUES (?, ?)",
        [article_id, json.dumps(facts, separators=(",", ":"))],
    )
    return facts


def _key_from_facts(
    facts: dict[str, Any], force: str | None, figs: list[tuple[str, float, str]]
) -> dedupe.StoryKey:
    return dedupe.story_key(
        facts["title"],
        "",
        figs,
        content_hash=facts["hash"],
        guid=facts["guid"],
        source_id=facts["source"],
        force=force,
        day=facts["day"],
        stored=facts,
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


def _keys(
    db: Database, ids: Iterable[int], read: dict[int, dict[str, Any]] | None = None
) -> dict[int, dedupe.StoryKey]:
    """Keys of several articles from their stored facts (read from the article the first
    time, unless `read` holds an article's text facts already), their figures and their
    source's force: three or four queries in all."""
    ids = list(ids)
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    stored = {
        int(a): f
        for a, f in db.execute(
            f"SELECT article_id, facts FROM story_facts WHERE article_id IN ({marks})", ids
        )
    }
    force = _source_forces(db)
    figs = _figures_of(db, ids)
    keys = {}
    for a, text in stored.items():
        source = _stored_facts(text)["source"]
        keys[a] = _stored_key(text, force.get(source), tuple(figs[a]))
    missing = [a for a in ids if a not in stored]
    if missing:
        rows = db.execute(
            f"{_ARTICLE_SQL} WHERE a.id IN ({','.join('?' * len(missing))})", missing
        ).fetchall()
        for row in rows:
            facts = _facts_from_article(db, row, (read or {}).get(int(row[0])))
            keys[int(row[0])] = _key_from_facts(facts, force.get(facts["source"]), figs[row[0]])
    return keys


# A cycle compares each new article with the same few dozen recent ones, so the keys built from
# their stored facts are memoised on what they are built from (the facts as stored, the source's
# force, the figures): a revised article or a changed force is a different entry, never a stale
# one. Keys and facts are shared, so nothing may change them in place.
@lru_cache(maxsize=1024)
def _stored_facts(text: str) -> dict[str, Any]:
    facts: dict[str, Any] = json.loads(text)
    return facts


@lru_cache(maxsize=1024)
def _stored_key(
    text: str, force: str | None, figs: tuple[tuple[str, float, str], ...]
) -> dedupe.StoryKey:
    return _key_from_facts(_stored_facts(text), force, list(figs))


def _source_forces(db: Database) -> dict[str, str]:
    """Each source's configured force (the sources table is small)."""
    return {s: f for s, f in db.execute("SELECT id, force FROM sources WHERE force IS NOT NULL")}


def _key_of(db: Database, article_id: int, read: dict[str, Any] | None = None) -> dedupe.StoryKey:
    return _keys(db, [article_id], {article_id: read} if read else None)[article_id]


def _candidates(
    db: Database, article_id: int, ikeys: tuple[list[str], list[str]], day: int
) -> list[int]:
    """Articles sharing enough index keys with this one to be worth comparing: an identity at
    any date; nearby, an LSH band, a named operation, or two of distinctive figures, headline
    words and proper nouns."""
    exact, window = ikeys
    # an identity decides; a band or an operation is worth comparing alone; a figure, headline
    # word or proper noun needs a second one (the weights make "worth >= 2" that rule). SQLite
    # sums the weights: the window's postings never come back to Python one by one.
    lo, hi = day - STORY_WINDOW_DAYS, day + STORY_WINDOW_DAYS
    keys: dict[int, tuple[int, ...]] = {}
    for span, group in (((-(2**31), 2**31), exact), ((lo, hi), window)):
        for k in group:
            weight = _KEY_WEIGHT.get(k[0], 1)
            keys.setdefault(dedupe.key_hash(k), (weight, *span, int(k[0] == "f"), int(k[0] == "t")))
    if not keys:
        return []
    args: list[int] = [v for h, rest in keys.items() for v in (h, *rest)]
    sql = (
        f"WITH k(key, w, lo, hi, f, t) AS (VALUES {','.join(['(?, ?, ?, ?, ?, ?)'] * len(keys))})"
        " SELECT s.article_id, SUM(k.w) AS worth, SUM(k.f), SUM(k.t)"
        " FROM k CROSS JOIN story_keys s ON s.key = k.key AND s.day BETWEEN k.lo AND k.hi"
        " WHERE s.article_id != ? GROUP BY s.article_id HAVING worth >= 2"
        " ORDER BY worth DESC, s.article_id LIMIT 1000"
    )
    rows = db.execute(sql, [*args, article_id]).fetchall()
    chosen = [int(r[0]) for r in rows[:MAX_CANDIDATES]]
    # and the ones sharing the most distinctive figures, then headline words, so look-alikes
    # sharing template text cannot crowd out a news-in-brief or the Google News item that
    # carries this article's headline
    rest = rows[MAX_CANDIDATES:]
    for col, least in ((2, 1), (3, 3)):
        ranked = sorted((r for r in rest if r[col] >= least), key=lambda r: (-r[col], r[0]))
        extra = [int(r[0]) for r in ranked[:MAX_EXTRA]]
        chosen += [a for a in extra if a not in chosen]
    return chosen


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
    cands = _candidates(db, article_id, ikeys, day)
    story_of = groups.story_of(cands)
    keys = _keys(db, [c for c in cands if c in story_of])
    best: dict[int, tuple[int, float, float, int]] = {}
    bodiless: dict[int, bool] = {}
    for other, other_key in keys.items():
        sid = story_of[other]
        bodiless[sid] = bodiless.get(sid, True) and not other_key.has_body
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
        not key.has_body
        and len(ranked) > 1
        and not ranked[0][1][0]
        and ranked[0][1][2] - ranked[1][1][2] < 0.2
    ):
        return None, []  # a headline that fits two stories about equally well joins neither
    chosen = None
    for sid, (exact, _, _, _) in ranked:
        members = _keys(db, groups.members(sid))
        if exact or not any(dedupe.conflict(key, m) for m in members.values()):
            chosen = sid
            break
    orphans = []
    if chosen is not None and key.has_body:
        for sid in best:
            if (
                sid != chosen
                and bodiless.get(sid)
                and all(not m.has_body for m in _keys(db, groups.members(sid)).values())
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
    # first_seen is when the monitor first fetched the story (a page's fetch time, or the run
    # that saw a headline-only item), never a publication time: a feed may carry old items
    count, first_pub, first_seen, last_seen = db.execute(
        "SELECT COUNT(*), MIN(a.published), MIN(COALESCE(a.fetched_at, r.started_at)),"
        " MAX(COALESCE(a.fetched_at, r.started_at)) FROM articles a"
        " LEFT JOIN runs r ON r.id = a.run_id WHERE a.story_id = ?",
        [story_id],
    ).fetchone()
    if first_seen is None:  # no fetch time recorded (an item archived outside a run)
        kept = db.execute("SELECT first_seen, last_seen FROM stories WHERE id = ?", [story_id])
        first_seen, last_seen = kept.fetchone()
        first_seen = first_seen or utc_iso()
        last_seen = last_seen or first_seen
    db.execute(  # plain SQL: sqlite-utils' update re-reads the table schema on every call
        "UPDATE stories SET origin_article_id = ?, title = ?, article_count = ?,"
        " first_published = ?, first_seen = ?, last_seen = ? WHERE id = ?",
        [row[0], row[1], count, first_pub, first_seen, last_seen, story_id],
    )


def place(
    db: Database,
    article_id: int,
    art: Article,
    published: str,
    read: dict[str, Any] | None = None,
) -> tuple[int, bool]:
    """Join the matching story, or start one; returns (story_id, created). The story tables
    (story_figures, story_copies) are rebuilt once for the stories it touched, not once per
    statement. `read`: the text facts of the article as just stored, if already read."""
    with refreshed_once(db):
        return _place(db, article_id, art, published, read)


def _place(
    db: Database, article_id: int, art: Article, published: str, read: dict[str, Any] | None
) -> tuple[int, bool]:
    key = _key_of(db, article_id, read)
    ikeys = dedupe.index_keys(key)
    story_id, orphans = _choose(db, article_id, key, ikeys, _Groups(db))
    _post(db, article_id, ikeys, _day(published))
    for orphan in orphans:  # headline-only items that arrived before the article they carry
        db.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", [story_id, orphan])
        db.execute("UPDATE figures SET story_id = ? WHERE story_id = ?", [story_id, orphan])
        table(db, "stories").delete(orphan)
    created = story_id is None
    if story_id is None:
        story_id = insert(
            db,
            "stories",
            {"title": art.entry.title, "first_published": published, "article_count": 0},
        )
    db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article_id])
    db.execute("UPDATE figures SET story_id = ? WHERE article_id = ?", [story_id, article_id])
    restated.mark(db, article_id, story_id)
    refresh_story(db, story_id)
    return story_id, created


def index_existing(db: Database) -> int:
    """Post every relevant article's keys without regrouping (filled after migration m006)."""
    ids = [int(r[0]) for r in db.execute("SELECT id FROM articles WHERE relevant = 1 ORDER BY id")]
    for start in range(0, len(ids), 500):
        for article_id, key in _keys(db, ids[start : start + 500]).items():
            _post(db, article_id, dedupe.index_keys(key), key.day or _day(None))
    return len(ids)
