"""Progress a person can follow on a long backfill: a bar per source on a terminal, redrawn in
place, and one plain line per finished page when the output is a log or a pipe."""

from __future__ import annotations

import sys
import time
from datetime import date
from typing import IO

from monitor.backfill.walk import Walk
from monitor.dates import uk_date


class Progress:
    """A bar per source on a terminal (redrawn in place); one plain line per page otherwise."""

    def __init__(self, walks: list[Walk], out: IO[str] | None = None) -> None:
        self.walks = walks
        self.out = out or sys.stderr
        self.tty = self.out.isatty()
        self.drawn = 0
        self.today = time.strftime("%Y-%m-%d", time.gmtime())

    def line(self, w: Walk) -> str:
        c = w.cursor
        reached = uk_date(c.reached) or "-"
        text = (
            f"{w.id}: {c.pages} pages, {c.articles} articles, {c.relevant} relevant,"
            f" reached {reached}"
        )
        if c.status != "walking":
            text += f" [{c.status}{': ' + c.last_error if c.last_error else ''}]"
        if not self.tty:
            return text
        return f"{self._bar(w)} {text}"

    def _bar(self, w: Walk, width: int = 20) -> str:
        """How far the walk has come from today back to --since, by the date reached."""
        done = 1.0 if w.finished else 0.0
        day = uk_date(w.cursor.reached)
        if not w.finished and day:
            total = _days(w.cursor.since, w.cursor.until or self.today)
            done = min(1.0, _days(day, w.cursor.until or self.today) / total) if total else 1.0
        full = int(done * width)
        return f"[{'#' * full}{'.' * (width - full)}] {int(done * 100):3d}%"

    def update(self, walk: Walk) -> None:
        if not self.tty:
            self.out.write(f"backfill {self.line(walk)}\n")
        else:
            if self.drawn:
                self.out.write(f"\x1b[{self.drawn}F")
            for w in self.walks:
                self.out.write(f"\x1b[2K{self.line(w)}\n")
            self.drawn = len(self.walks)
        self.out.flush()


def _days(start: str, end: str) -> int:
    return (date.fromisoformat(end[:10]) - date.fromisoformat(start[:10])).days
