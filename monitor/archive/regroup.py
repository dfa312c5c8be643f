"""`monitor restory`: re-group the whole archive with the current story rules, idempotently,
and say which articles changed story.

Articles are replayed in publication order through the same placement as a new article
(monitor.archive.stories), into groups held in memory; only then is anything written. A rebuilt
group keeps the story id most of its articles had, so links to stories survive unless their
grouping really changed, and a second run moves nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlite_utils import Database

from monitor import dedupe
from monitor.archive import restated
from monitor.archive.db import table, write
from monitor.archive.stories import _choose, _day, _Groups, _key_of, _post, refresh_story


@dataclass(frozen=True)
class Move:
    """One article that changed story (None: it had none, or no longer has one)."""

    article_id: int
    url: str
    before: int | None
    after: int | None


@dataclass
class Restory:
    """What a re-grouping did."""

    articles: int = 0
    stories: int = 0
    stories_created: int = 0
    stories_removed: int = 0
    moves: list[Move] = field(default_factory=list)

    @property
    def moved(self) -> int:
        return len(self.moves)

    def __getitem__(self, name: str) -> int:  # report["moved"], as the CLI prints it
        return int(getattr(self, name))


def restory(db: Database) -> Restory:
    """Rebuild the key index and every story's grouping over the whole archive, idempotently."""
    with write(db):
        old = {
            int(a): int(s)
            for a, s in db.execute("SELECT id, story_id FROM articles WHERE story_id IS NOT NULL")
        }
        db.execute("DELETE FROM story_keys")
        db.execute("DELETE FROM story_facts")  # the rules that read them may have changed
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
) -> Restory:
    existing = {int(r[0]) for r in db.execute("SELECT id FROM stories")}
    wanted = set(final.values())
    for sid in sorted(wanted - existing):
        table(db, "stories").insert({"id": sid, "article_count": 0})
    changed: dict[int, int | None] = {}
    for article_id, group in memory.items():
        sid = final[group]
        if old.get(article_id) != sid:
            changed[article_id] = sid
            table(db, "articles").update(article_id, {"story_id": sid})
        db.execute("UPDATE figures SET story_id = ? WHERE article_id = ?", [sid, article_id])
    for article_id in [a for a in old if a not in memory]:  # no longer relevant: no story
        changed[article_id] = None
        table(db, "articles").update(article_id, {"story_id": None})
        db.execute("UPDATE figures SET story_id = NULL WHERE article_id = ?", [article_id])
    removed = existing - wanted
    for sid in sorted(removed):
        table(db, "stories").delete(sid)
    for sid in sorted(wanted):
        refresh_story(db, sid)
    restated.remark_all(db)
    ids = sorted(changed)
    urls: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        urls.update(db.execute(f"SELECT id, url FROM articles WHERE id IN ({marks})", chunk))
    return Restory(
        articles=len(memory),
        stories=len(wanted),
        stories_created=len(wanted - existing),
        stories_removed=len(removed),
        moves=[Move(a, urls.get(a, ""), old.get(a), changed[a]) for a in ids],
    )
