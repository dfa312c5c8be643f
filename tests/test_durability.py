"""Hard faults: kill -9 at any moment, a reader hammering the live file, a read-only or full disk.

The real `monitor run` in its own process against a loopback site; the case numbers refer to
../shared/research/reliability.md (docs/hostile-cases.md maps all 37).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import kill_loop
from monitor.loopback import SiteServer
from tests.conftest import ROOT

ITEMS = 120

# Every test here runs the real `monitor run` over 120 fetched articles, several times.
pytestmark = pytest.mark.slow


def _archive_errors_handled() -> bool:
    """Whether crawl.py turns archive write failures into one-line errors (docs/hostile-cases.md
    lists the diff for monitor/crawl.py and monitor/pipelines.py)."""
    import inspect

    from monitor import crawl

    return "monitor_archive_error" in inspect.getsource(crawl)


needs_archive_error_diff = pytest.mark.xfail(
    not _archive_errors_handled(),
    strict=True,
    reason="read-only/full archive gives a traceback and, when full, keeps the ETag of a feed "
    "whose items were not saved: apply the crawl.py/pipelines.py diff in docs/hostile-cases.md",
)


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("site")
    kill_loop.build_site(root, ITEMS)
    with SiteServer(root) as site:
        yield site


@pytest.fixture
def config(big_site: SiteServer, tmp_path: Path) -> Path:
    return kill_loop.write_config(tmp_path / "config.yaml", f"{big_site.base}/feed.xml")


@pytest.fixture(scope="module")
def archived(big_site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One completed real run over every item: tests that start from a full archive copy it."""
    folder = tmp_path_factory.mktemp("archived")
    config = kill_loop.write_config(folder / "config.yaml", f"{big_site.base}/feed.xml")
    db = folder / "archive.db"
    done = run(config, db)
    assert done.returncode == 0, done.stderr
    assert not Path(f"{db}-wal").exists()  # closed cleanly: the file alone is the archive
    return db


def run(config: Path, db: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        kill_loop.monitor_cmd(config, db),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
        **kw,  # type: ignore[arg-type]
    )


def counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("articles", "figures", "stories", "polls", "runs")
        }
    finally:
        conn.close()


def content(db: Path) -> str:
    """A digest of what the archive holds (not its bytes: WAL checkpoints may move pages)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT url, title, body FROM articles ORDER BY url").fetchall()
        figs = conn.execute("SELECT article_id, metric, value FROM figures ORDER BY 1, 2, 3")
        return hashlib.sha1(repr((rows, figs.fetchall())).encode()).hexdigest()
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------
# Case 27: kill -9 at random moments (15 here, seeded; benchmarks/kill_loop.py does 200)
# --------------------------------------------------------------------------------------------

KILLS = 15


def test_kill_9_loop_leaves_a_consistent_archive_that_the_next_run_completes(
    config: Path, tmp_path: Path
) -> None:
    """Seed 20240101 draws 7 kills that wait for articles to be appended and then strike within
    0.3 s, and 8 at a fixed delay of 0.23-1.37 s (start-up, schema, sources, the feed poll)."""
    db = tmp_path / "archive.db"
    report = kill_loop.kill_loop(
        config, db, kills=KILLS, low=0.2, high=1.5, seed=20240101, during_writes=0.5
    )
    print(
        f"\nkill loop: {report.kills} kills in {report.seconds:.0f} s, "
        f"{report.mid_write} while appending articles, {report.exited_before_kill} runs finished "
        "first, articles after each kill: "
        f"{report.articles_after_each}"
    )
    assert report.kills >= KILLS
    assert report.integrity_failures == []
    # the kills are spread over the run: a third while articles were being written, and
    # some before the first article of that run was appended
    assert report.mid_write >= 5, report
    assert report.kills - report.mid_write >= 3, report
    final = run(config, db)
    assert final.returncode == 0, final.stderr
    assert kill_loop.integrity(db) == "ok"
    got = counts(db)
    assert got["articles"] == ITEMS
    assert kill_loop.duplicates(db) == dict.fromkeys(kill_loop.duplicates(db), 0)
    conn = sqlite3.connect(db)
    per_article = dict(conn.execute("SELECT article_id, count(*) FROM figures GROUP BY 1"))
    conn.close()
    assert len(per_article) == ITEMS and max(per_article.values()) <= 6  # 5-6 per page, once


# --------------------------------------------------------------------------------------------
# Case 36: SIGTERM mid-run (systemd stop)
# --------------------------------------------------------------------------------------------


def test_sigterm_mid_run_exits_promptly_and_the_next_run_completes(
    config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    proc = subprocess.Popen(
        kill_loop.monitor_cmd(config, db),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until articles are being written
        if db.exists() and _articles(db) > 5:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    start = time.monotonic()
    proc.communicate(timeout=60)
    assert time.monotonic() - start < 30  # well inside systemd's TimeoutStopSec default (90 s)
    assert kill_loop.integrity(db) == "ok"
    assert not Path(f"{db}-journal").exists()
    conn = sqlite3.connect(db)
    status = conn.execute("SELECT status FROM runs ORDER BY id DESC").fetchone()[0]
    conn.close()
    assert status in ("interrupted", "ok")
    final = run(config, db)
    assert final.returncode == 0, final.stderr
    assert counts(db)["articles"] == ITEMS
    assert kill_loop.duplicates(db) == dict.fromkeys(kill_loop.duplicates(db), 0)


def _articles(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


# --------------------------------------------------------------------------------------------
# Case 29: a Datasette-like reader (mode=ro, heavy queries) while a cycle appends
# --------------------------------------------------------------------------------------------

_READER = """
import sqlite3, sys, time
db, stop = sys.argv[1], sys.argv[2]
queries = [
    "SELECT count(*) FROM articles",
    "SELECT source_id, publisher, count(*) FROM articles GROUP BY 1, 2 ORDER BY 3 DESC",
    "SELECT metric, count(*), sum(value) FROM figures GROUP BY metric",
    "SELECT count(*) FROM articles WHERE body LIKE '%cocaine%' OR title LIKE '%lines%'",
    "SELECT s.id, count(a.id) FROM stories s LEFT JOIN articles a ON a.story_id = s.id GROUP BY s.id",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)"
    " SELECT count(*) FROM n, (SELECT count(*) FROM articles)",
]
done = errors = 0
import os
while not os.path.exists(stop):
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        conn.execute("BEGIN")  # a long read transaction, as a slow page render holds one
        for q in queries:
            conn.execute(q).fetchall()
            done += 1
        time.sleep(0.01)
        conn.execute("COMMIT")
        conn.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            time.sleep(0.05)
            continue
        errors += 1
        print("reader error:", exc, file=sys.stderr)
print(done, errors)
"""


def test_heavy_reader_never_makes_the_writer_see_database_is_locked(
    config: Path, tmp_path: Path, archived: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(archived, db)  # the schema exists before the readers start
    # a second cycle over an archived feed would write nothing: start afresh on a copy
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM figures")
    conn.execute("UPDATE articles SET story_id = NULL")
    conn.execute("DELETE FROM stories")
    for table in ("articles", "polls"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("UPDATE sources SET etag = NULL, last_modified = NULL, body_hash = NULL")
    conn.commit()
    conn.close()
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", _READER, str(db), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    try:
        cycle = run(config, db)
    finally:
        stop.touch()
        outputs = [r.communicate(timeout=60) for r in readers]
    assert cycle.returncode == 0, cycle.stderr
    assert "locked" not in cycle.stderr.lower() and "busy" not in cycle.stderr.lower()
    assert counts(db)["articles"] == ITEMS
    for out, err in outputs:
        done, errors = map(int, out.split())
        assert done > 0 and errors == 0, err
    wal = Path(f"{db}-wal")
    assert not wal.exists() or wal.stat().st_size < 64 * 1024 * 1024  # checkpoints keep up


# --------------------------------------------------------------------------------------------
# Case 31: read-only archive, read-only directory, disk full
# --------------------------------------------------------------------------------------------

_LIBC = ctypes.CDLL(None, use_errno=True)


def _without_root_override() -> None:
    """In the child: drop CAP_DAC_OVERRIDE/READ_SEARCH/FOWNER so file modes bind even for root."""
    for cap in (1, 2, 3):
        _LIBC.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; effective caps follow after exec


def _archive_with_data(archived: Path, tmp_path: Path) -> Path:
    """A copy of the module's full archive, with its lock file, alone in tmp_path/data."""
    db = tmp_path / "data" / "archive.db"
    db.parent.mkdir()
    shutil.copy(archived, db)
    shutil.copy(f"{archived}.lock", f"{db}.lock")
    return db


def _one_line_error(proc: subprocess.CompletedProcess[str], db: Path) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and str(db.name) in lines[0], proc.stderr


@needs_archive_error_diff
def test_read_only_archive_file_is_a_clear_error_and_loses_nothing(
    config: Path, tmp_path: Path, archived: Path
) -> None:
    db = _archive_with_data(archived, tmp_path)
    before, digest = counts(db), content(db)
    files = [p for p in db.parent.iterdir() if not p.name.endswith(".lock")]
    for path in files:
        path.chmod(0o444)
    try:
        proc = run(config, db, preexec_fn=_without_root_override)
        _one_line_error(proc, db)
    finally:
        for path in files:
            path.chmod(0o644)
    assert counts(db) == before and content(db) == digest
    assert run(config, db).returncode == 0  # writable again: the next run recovers


@needs_archive_error_diff
def test_read_only_directory_is_a_clear_error_for_a_new_archive_and_harmless_for_an_old_one(
    config: Path, tmp_path: Path, archived: Path
) -> None:
    db = _archive_with_data(archived, tmp_path)
    before, digest = counts(db), content(db)
    new = tmp_path / "data" / "new.db"
    db.parent.chmod(0o555)
    try:
        proc = run(config, new, preexec_fn=_without_root_override)
        _one_line_error(proc, new)
        again = run(config, db, preexec_fn=_without_root_override)  # its files already exist
    finally:
        db.parent.chmod(0o755)
    assert again.returncode == 0, again.stderr
    assert counts(db)["articles"] == before["articles"] and content(db) == digest
    assert not new.exists()


# The real CLI with the archive capped a few pages above its current size: SQLITE_FULL.
_FULL = """
import runpy, sys
from monitor import archive
spare = int(sys.argv[1])
opened = archive.open_archive
def capped(path, **kw):
    db = opened(path, **kw)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + spare}")
    return db
archive.open_archive = capped
sys.argv = ["monitor", *sys.argv[2:]]
runpy.run_module("monitor", run_name="__main__")
"""


@needs_archive_error_diff
def test_disk_full_is_a_clear_error_and_the_next_run_recovers(
    big_site: SiteServer, tmp_path: Path
) -> None:
    # first a small archive (10 items), then a full disk while 110 more arrive
    small = tmp_path / "small"
    kill_loop.build_site(small, 10)
    with SiteServer(small) as site:
        cfg_small = kill_loop.write_config(tmp_path / "small.yaml", f"{site.base}/feed.xml")
        db = tmp_path / "data" / "archive.db"
        db.parent.mkdir()
        assert run(cfg_small, db).returncode == 0
    old = _rows(db)
    config = kill_loop.write_config(tmp_path / "config.yaml", f"{big_site.base}/feed.xml")
    args = ["run", "--all", "--config", str(config), "--db", str(db)]
    proc = subprocess.run(
        [sys.executable, "-c", _FULL, "8", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    _one_line_error(proc, db)
    assert "full" in proc.stderr
    assert kill_loop.integrity(db) == "ok"
    assert _rows(db)[: len(old)] == old  # what was there is still there, unchanged
    assert kill_loop.duplicates(db) == dict.fromkeys(kill_loop.duplicates(db), 0)
    final = run(config, db)
    assert final.returncode == 0, final.stderr
    assert counts(db)["articles"] == 10 + ITEMS
    assert kill_loop.duplicates(db) == dict.fromkeys(kill_loop.duplicates(db), 0)


def _rows(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT a.id, a.url, a.title, a.body, a.story_id,"
            " (SELECT count(*) FROM figures f WHERE f.article_id = a.id) FROM articles a ORDER BY a.id"
        ).fetchall()
    finally:
        conn.close()
