"""A walk through one source's history: which items of a page to keep, when to stop, and the
cursor (monitor/archive/backfill_state.py) that moves on only past fully archived pages."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from monitor.archive.backfill_state import Cursor, load_cursor
from monitor.config import Source
from monitor.dates import uk_date
from monitor.items import Article

log = logging.getLogger("monitor")


@dataclass
class PageTally:
    """What one page gave; added to the cursor only once the cursor moves past the page."""

    sig: str
    oldest: str | None
    articles: int = 0
    relevant: int = 0


@dataclass
class Walk:
    """One source's walk in this process: its cursor plus what is still in the pipeline."""

    source: Source
    cursor: Cursor
    seen: set[str] = field(default_factory=set)
    pending: dict[int, int] = field(default_factory=dict)
    completed: set[int] = field(default_factory=set)
    last_page: int | None = None  # set when the walk knows its end
    failed_page: int | None = None
    tally: dict[int, PageTally] = field(default_factory=dict)
    entries: int = 0
    why_end: str = ""

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def finished(self) -> bool:
        return self.cursor.status == "done"

    @property
    def stopping(self) -> bool:
        """No more pages will be asked for (the end is known, or a page failed)."""
        return self.last_page is not None or self.failed_page is not None

    def in_window(self, published: str | None) -> bool:
        day = uk_date(published)
        return day is None or (
            day >= self.cursor.since and (not self.cursor.until or day <= self.cursor.until)
        )

    def take_page(self, page: int, articles: list[Article], ordered: bool = True) -> list[Article]:
        """The page's items inside the window; on a newest-first listing (`ordered`) it also
        decides whether the walk goes on: not after an empty page or one older than --since."""
        urls = [a.entry.url for a in articles]
        sig = hashlib.sha1("\n".join(sorted(urls)).encode()).hexdigest()[:16]
        dated = sorted(a.entry.published for a in articles if a.entry.published)
        if urls and (set(urls) <= self.seen or sig == self.cursor.last_sig):
            self.end(page - 1, f"page {page} repeats an earlier page (a pagination loop)")
            return []
        self.seen.update(urls)
        reached = self.cursor.reached  # of the pages behind the cursor: true after a resume too
        if ordered and dated and reached and dated[0] > reached:
            # all of it is newer than where the walk had got to: news published since a resume
            # pushed older pages down, or the listing started again (then the next page repeats)
            log.info("event=backfill_newer_page source=%s page=%s", self.id, page)
            self.skip(page)
            return []
        if ordered and not articles:
            self.end(page - 1, f"page {page} is empty")
            return []
        days = [d for d in map(uk_date, dated) if d]
        if ordered and days and max(days) < self.cursor.since:
            self.end(page, f"page {page} is older than {self.cursor.since}")
        elif page >= (self.source.history.max_pages if self.source.history else 1):
            self.end(page, f"max_pages ({page}) reached")
        kept = [a for a in articles if self.in_window(a.entry.published)]
        self.tally[page] = PageTally(sig, dated[0] if dated else None)
        self.entries += len(kept)
        self.pending[page] = len(kept)
        if not kept:
            self.complete(page)
        return kept

    def skip(self, page: int) -> None:
        """A page passed over, uncounted (a child sitemap older than --since, a newer page)."""
        self.pending[page] = 0
        self.complete(page)

    def end(self, last_page: int, why: str) -> None:
        """The walk's last page is known; the cursor is done once every page up to it is."""
        if self.last_page is None:
            self.last_page, self.why_end = max(last_page, self.cursor.next_page - 1), why
            log.info("event=backfill_end source=%s why=%r", self.id, why)
            self._advance()

    def fail(self, page: int, why: str) -> None:
        """A page (or one of its articles) could not be read: the cursor stays before it."""
        if self.failed_page is None or page < self.failed_page:
            self.failed_page = page
        self.cursor.last_error = f"page {page}: {why}"[:300]
        self.cursor.status = "stopped"
        log.warning("event=backfill_page_failed source=%s page=%s why=%r", self.id, page, why)

    def item_done(self, page: int, relevant: bool, failure: str | None) -> None:
        self.tally[page].articles += 1
        self.tally[page].relevant += int(relevant)
        if failure:
            self.fail(page, failure)
        self.pending[page] -= 1
        if self.pending[page] == 0:
            self.complete(page)

    def complete(self, page: int) -> None:
        if page != self.failed_page:
            self.completed.add(page)
        self._advance()

    def _advance(self) -> None:
        c = self.cursor
        while c.next_page in self.completed and c.next_page != self.failed_page:
            # a page counts once the cursor is past it: read again after a kill, it counts once
            if (t := self.tally.pop(c.next_page, None)) is not None:
                c.pages, c.articles, c.relevant = (
                    c.pages + 1,
                    c.articles + t.articles,
                    c.relevant + t.relevant,
                )
                c.last_sig = t.sig
                if t.oldest and (c.reached is None or t.oldest < c.reached):
                    c.reached = t.oldest
            c.next_page += 1
        if self.last_page is not None and c.next_page > self.last_page and self.failed_page is None:
            c.status, c.last_error = "done", None


def start_walk(db: Any, source: Source, since: str, until: str) -> Walk:
    """Resume the stored walk of the same window, or start a fresh one at page 1."""
    assert source.history is not None
    preset = source.history.preset
    cursor = load_cursor(db, source.id)
    if cursor is None or not cursor.same_window(preset, since, until):
        cursor = Cursor(source_id=source.id, preset=preset, since=since, until=until)
    elif cursor.status == "stopped":
        cursor.status = "walking"
    return Walk(source, cursor)
