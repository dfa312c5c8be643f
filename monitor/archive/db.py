"""The lowest layer of the storage package: connecting, the write transaction, copies.

Everything else in ``monitor/archive/`` writes through :func:`write`, and nothing outside the
package opens a connection of its own for writing; this module imports no other part of the
package, so the layers above it (schema, stories, regroup, store) form no circle.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import Table

from monitor.dates import utc_iso
from monitor.errors import ArchiveError

now_iso = utc_iso  # re-exported: pipelines stamp fetch times with it


def connect(path: str | Path) -> Database:
    """A connection in autocommit mode (transactions are explicit, see `write`)."""
    return Database(sqlite3.connect(str(path), timeout=30, isolation_level=None))


def tune(db: Database) -> None:
    """WAL with a busy timeout, so one writer and many readers (Datasette) share the file."""
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")


def table(db: Database, name: str) -> Table:
    """`db[name]` typed as a table: sqlite-utils returns `Table | View`, and our writers only
    ever address tables (a view here is a programming error, said at once)."""
    found = db[name]
    if not isinstance(found, Table):
        raise TypeError(f"{name} is a view, not a table")
    return found


def _insert_sql(name: str, columns: Iterable[str]) -> str:
    cols = list(columns)
    quoted = ", ".join(f'"{c}"' for c in cols)
    return f'INSERT INTO "{name}" ({quoted}) VALUES ({", ".join("?" * len(cols))})'


def insert(db: Database, name: str, row: dict[str, Any]) -> int:
    """Insert one row into table `name` and return its rowid. Plain SQL: sqlite-utils' insert
    reads the table's schema on every call, which was most of the cost of archiving a figure."""
    cursor = db.conn.execute(_insert_sql(name, row), list(row.values()))
    if cursor.lastrowid is None:  # sqlite3 always has a rowid after a successful INSERT
        raise ArchiveError(f"{name}: insert returned no row id")
    return int(cursor.lastrowid)


def dicts(cursor: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    """A query's rows as dicts keyed by column name."""
    columns = [c[0] for c in cursor.description]
    for row in cursor:
        yield dict(zip(columns, row, strict=True))


def get(db: Database, name: str, key: Any, pk: str = "id") -> dict[str, Any] | None:
    """The row of table `name` whose `pk` is `key`, as a dict, or None. Plain SQL, as `insert`:
    sqlite-utils' get reads the table's schema first (0.3 ms of a re-poll's 1.7 ms per source)."""
    cursor = db.conn.execute(f'SELECT * FROM "{name}" WHERE "{pk}" = ?', [key])
    return next(dicts(cursor), None)


def update(db: Database, name: str, key: Any, values: dict[str, Any], pk: str = "id") -> None:
    """Set `values` on the row whose `pk` is `key` (no row: nothing happens)."""
    if values:
        sets = ", ".join(f'"{c}" = ?' for c in values)
        db.conn.execute(f'UPDATE "{name}" SET {sets} WHERE "{pk}" = ?', [*values.values(), key])


def upsert(db: Database, name: str, row: dict[str, Any], pk: str = "id") -> None:
    """Insert `row`, or set its other columns on the row with the same `pk` (the rest of that
    row's columns are kept, as sqlite-utils' upsert does)."""
    others = [c for c in row if c != pk]
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in others)
    action = f"DO UPDATE SET {sets}" if others else "DO NOTHING"
    db.conn.execute(f'{_insert_sql(name, row)} ON CONFLICT("{pk}") {action}', list(row.values()))


def insert_many(db: Database, name: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same columns, in one statement run per row."""
    if rows:
        columns = list(rows[0])
        db.conn.executemany(_insert_sql(name, columns), [[r[c] for c in columns] for r in rows])


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """One immediate transaction: writers queue on the lock up front instead of deadlocking."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:  # also a failed COMMIT (disk full): never leave it open
            db.conn.rollback()
        raise


def snapshot(db: Database, out: Path) -> None:
    """A consistent single-file copy (VACUUM INTO) of an open, migrated archive, left in
    rollback-journal mode: a published, read-only copy needs no -wal/-shm files beside it."""
    try:
        db.execute("VACUUM INTO ?", [str(out)])
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{out}: snapshot failed: {exc}") from None
    copy = sqlite3.connect(str(out))
    try:
        copy.execute("PRAGMA journal_mode = DELETE")
    finally:
        copy.close()
