"""`monitor export`: the `figure_series` view as a tidy CSV or JSON Lines file to cite and analyse.

One row per counted figure (parts of a stated total and restatements are left out by the view),
in publication order, with the columns documented in README.md ("Exporting the time series").
The file is the view: reading the CSV back gives the same rows and the same counts.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import astuple, dataclass, fields
from datetime import date
from typing import TextIO

from sqlite_utils import Database

FORMATS = ("csv", "jsonl")


@dataclass(frozen=True, slots=True)
class SeriesRow:
    """One counted figure as exported (a row of the `figure_series` view)."""

    figure_id: int
    story_id: int
    story: str
    published_date: str | None
    period_start: str | None
    period_end: str | None
    force: str | None
    force_name: str | None
    metric: str
    value: float
    unit: str
    qualifier: str
    scope: str | None
    operation: str | None
    evidence: str
    origin_url: str
    story_url: str
    published: str | None

    def as_json(self) -> dict[str, object]:
        """The row with whole numbers as integers (1360, not 1360.0)."""
        row: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        row["value"] = _number(self.value)
        return row


COLUMNS = tuple(f.name for f in fields(SeriesRow))


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def check_since(since: str | None) -> str | None:
    """A `--since` value as YYYY-MM-DD, or ValueError naming the option."""
    if since is None:
        return None
    try:
        return date.fromisoformat(since).isoformat()
    except ValueError:
        raise ValueError(f"--since: {since!r} is not a date like 2022-10-01") from None


def series(db: Database, since: str | None = None) -> Iterator[SeriesRow]:
    """Rows of `figure_series` published on or after `since` (a UK date), oldest first."""
    where, params = ("WHERE published_date >= ?", [since]) if since else ("", [])
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM figure_series {where}"
        " ORDER BY published, story_id, figure_id"
    )
    for row in db.execute(sql, params):
        yield SeriesRow(*row)


def write(rows: Iterator[SeriesRow], out: TextIO, fmt: str) -> int:
    """Write rows as CSV (header, empty cells for nulls) or JSON Lines; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for r in rows:
            cells = ["" if v is None else v for v in astuple(r)]
            cells[COLUMNS.index("value")] = _number(r.value)
            writer.writerow(cells)
            count += 1
    elif fmt == "jsonl":
        for r in rows:
            out.write(json.dumps(r.as_json(), ensure_ascii=False) + "\n")
            count += 1
    else:
        raise ValueError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    return count
