"""Cost of reading the `coverage` and `source_health` views on an archive of a year or more.

    python benchmarks/coverage_view.py                      # 100k and 400k articles, 5 reads each
    python benchmarks/coverage_view.py --sizes 100000 --reads 5 --dir /tmp/bench

The archive holds the shipped config.yaml's 138 sources, a poll per source every 30 minutes for
the archive's span (one year per 100k articles at ~270 articles a day, 10% relevant) and the
articles spread over the sources. It reports wall and CPU seconds per read (the two differ on a
shared machine) and the ratio of the bigger archive to the smaller.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor import archive, config  # noqa: E402

PER_DAY = 270
POLLS_PER_DAY = 48


def build(path: Path, articles: int, seed: int = 1) -> None:
    """A migrated archive with the shipped sources, a year of polls per 100k articles, and articles."""
    rng = random.Random(seed)
    cfg = config.load(ROOT / "config.yaml")
    db = archive.open_archive(path)
    archive.sync_sources(db, cfg)
    ids = [s.id for s in cfg.sources]
    days = max(1, articles // PER_DAY)
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    with archive.write(db):
        run = db["runs"].insert({"started_at": start.isoformat(), "status": "ok"}).last_pk
        polls = (
            {
                "run_id": run,
                "source_id": sid,
                "polled_at": (start + timedelta(minutes=30 * k)).isoformat(),
                "http_status": 200,
                "entries": 20,
            }
            for k in range(days * POLLS_PER_DAY)
            for sid in rng.sample(ids, 3)  # not every source every slot: ~3 a slot
        )
        db["polls"].insert_all(polls, batch_size=5000)
        rows = (
            {
                "url": f"https://example.org/{i}",
                "source_id": rng.choice(ids),
                "title": f"Article {i}",
                "published": (start + timedelta(seconds=rng.uniform(0, days * 86400))).isoformat(),
                "relevant": int(rng.random() < 0.1),
            }
            for i in range(articles)
        )
        db["articles"].insert_all(rows, batch_size=5000)
        db.execute(
            "UPDATE sources SET last_success_at = ?, status = 'ok' WHERE rowid % 10 != 0",
            [end.isoformat()],
        )
    db.conn.close()


def read(path: Path, view: str, reads: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds of `SELECT * FROM view`, and its row count."""
    db = archive.open_archive(path)
    walls, cpus, count = [], [], 0
    for _ in range(reads):
        w, c = time.perf_counter(), time.process_time()
        count = len(list(db.query(f"SELECT * FROM {view}")))
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 400_000])
    parser.add_argument("--reads", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    where = args.dir or Path(tempfile.mkdtemp(prefix="coverage-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[int, str], tuple[float, float, int]] = {}
    print(f"{'articles':>9} {'polls':>8}  {'view':<13} {'rows':>5} {'wall s':>8} {'cpu s':>8}")
    for size in args.sizes:
        path = where / f"coverage-{size}.db"
        path.unlink(missing_ok=True)
        build(path, size)
        polls = archive.open_archive(path)["polls"].count
        for view in ("coverage", "source_health"):
            results[size, view] = wall, cpu, rows = read(path, view, args.reads)
            print(f"{size:>9} {polls:>8}  {view:<13} {rows:>5} {wall:>8.3f} {cpu:>8.3f}")
    if len(args.sizes) > 1:
        small, big = args.sizes[0], args.sizes[-1]
        for view in ("coverage", "source_health"):
            ratio = results[big, view][1] / max(results[small, view][1], 1e-9)
            print(f"{view}: {big // small}x the articles costs {ratio:.1f}x the CPU")


if __name__ == "__main__":
    main()
