"""The demo archive as a citable time series: dates as announced, periods, forces, export.

One `monitor demo` run (the whole pipeline on the bundled sites over loopback) backs every test
here; `monitor export` and `monitor reextract` run as real commands against it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor import archive
from tests.conftest import monitor

NPCC = "/npcc/releases/record-172-county-lines-closed-in-a-single-week-of-action/"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    monitor("demo", "--db", str(path))
    return path


@pytest.fixture
def db(demo_db: Path) -> Database:
    return archive.open_archive(demo_db)


def _npcc_figures(db: Database) -> list[dict[str, object]]:
    return list(
        db.query(
            "SELECT f.* FROM figures f JOIN articles a ON a.id = f.article_id WHERE a.url LIKE ?",
            [f"%{NPCC}"],
        )
    )


def test_the_npcc_release_reads_as_the_day_it_was_dated(db: Database) -> None:
    (art,) = db.query("SELECT * FROM articles WHERE url LIKE ?", [f"%{NPCC}"])
    assert (art["published"], art["published_date"]) == ("2022-10-13T23:00:00+00:00", "2022-10-14")
    dates = {
        r["published_date"]
        for r in db.query(
            "SELECT published_date FROM figure_series WHERE origin_url LIKE ?", [f"%{NPCC}"]
        )
    }
    assert dates == {"2022-10-14"}


def test_the_week_of_action_is_the_period_of_the_national_figures(db: Database) -> None:
    national = [f for f in _npcc_figures(db) if f["scope"] == "national"]
    results = [f for f in national if f["metric"] != "funding_gbp"]
    assert len(results) == 7
    assert {(f["period_start"], f["period_end"]) for f in results} == {("2022-10-03", "2022-10-09")}
    assert {f["operation"] for f in results} == {"County Lines Intensification Week"}
    (funding,) = [f for f in national if f["metric"] == "funding_gbp"]
    assert funding["period_start"] is None  # money for the next three years, not the week's


def test_cambridgeshire_figures_are_cambridgeshire_and_no_force_is_a_body(db: Database) -> None:
    cambs = {(f["metric"], f["value"]) for f in _npcc_figures(db) if f["force"] == "cambridgeshire"}
    assert cambs == {
        ("warrants_executed", 15),
        ("drugs_value_gbp", 508000),
        ("cash_seized_gbp", 20000),
    }
    named = {r[0] for r in db.execute("SELECT DISTINCT force FROM figures WHERE force IS NOT NULL")}
    forces = {r[0] for r in db.execute("SELECT code FROM forces WHERE kind = 'force'")}
    assert named and named <= forces
    assert "npcc" not in named and "nca" not in named
    assert (
        db.execute(
            "SELECT COUNT(*) FROM figures WHERE scope = 'national' AND force IS NOT NULL"
        ).fetchone()[0]
        == 0
    )


def test_each_story_figure_is_counted_once(db: Database) -> None:
    """Copies of the NPCC release (BBC, MEN, Echo) do not repeat its totals in the series."""
    rows = list(
        db.query("SELECT * FROM figure_series WHERE metric = 'lines_closed' AND value = 172")
    )
    assert len(rows) == 1 and rows[0]["origin_url"].endswith(NPCC)


def _view_counts(db: Database, since: str = "") -> Counter[tuple[str, str, str, str]]:
    rows = db.execute(
        "SELECT metric, COALESCE(scope, ''), COALESCE(force, ''), value FROM figure_series"
        " WHERE published_date >= ?",
        [since],
    )
    return Counter((m, s, f, repr(float(v))) for m, s, f, v in rows)


def test_export_csv_round_trips_into_the_view_counts(
    demo_db: Path, db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "series.csv"
    proc = monitor("export", "--db", str(demo_db), "--format", "csv", str(out))
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    got = Counter((r["metric"], r["scope"], r["force"], repr(float(r["value"]))) for r in rows)
    assert got == _view_counts(db) and len(rows) > 20
    assert f"{len(rows)} figures exported" in proc.stderr
    first = rows[0]
    assert list(first) == [
        "figure_id", "story_id", "story", "published_date", "period_start", "period_end",
        "force", "force_name", "metric", "value", "unit", "qualifier", "scope", "operation",
        "evidence", "origin_url", "story_url", "published",
    ]  # fmt: skip
    assert [r["published"] for r in rows] == sorted(r["published"] for r in rows)


def test_export_jsonl_and_since(demo_db: Path, db: Database) -> None:
    lines = monitor("export", "--db", str(demo_db), "--format", "jsonl", "--since", "2022-10-14")
    rows = [json.loads(line) for line in io.StringIO(lines.stdout)]
    got = Counter(
        (r["metric"], r["scope"] or "", r["force"] or "", repr(float(r["value"]))) for r in rows
    )
    assert got == _view_counts(db, "2022-10-14")
    assert rows and min(r["published_date"] for r in rows) == "2022-10-14"
    assert any(r["force"] == "cambridgeshire" and r["value"] == 508000 for r in rows)


def test_export_refuses_a_bad_since(demo_db: Path) -> None:
    proc = monitor("export", "--db", str(demo_db), "--since", "14/10/2022", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "Error: --since: '14/10/2022' is not a date like 2022-10-01"
    )


def test_reextract_fills_force_and_period_in_an_older_archive(
    demo_db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "old.db"
    shutil.copy(demo_db, copy)
    old = archive.open_archive(copy)
    with archive.write(old):
        old.execute("UPDATE figures SET force = NULL, period_start = NULL, period_end = NULL")
    old.conn.close()
    first = monitor("reextract", "--db", str(copy)).stdout
    assert " 0 changed" not in first
    again = monitor("reextract", "--db", str(copy)).stdout
    assert " 0 changed" in again
    db = archive.open_archive(copy)
    assert (
        db.execute(
            "SELECT COUNT(*) FROM figure_series WHERE force = 'cambridgeshire'"
            " AND period_start = '2022-10-03'"
        ).fetchone()[0]
        == 3
    )
