"""kill -9 loop: SIGKILL the real `monitor run` at random moments, then check the archive.

    python benchmarks/kill_loop.py --kills 200 --items 300

Each round starts `monitor run --all` against a loopback site whose feed lists `--items`
county-lines articles (every one fetched, with figures and a story), kills it with SIGKILL after
a random delay, and runs `PRAGMA integrity_check`. At the end one run is left to finish, and the
archive must hold every item exactly once: unique URLs, no doubled figures, no doubled stories.
tests/test_durability.py runs the same loop with 15 seeded kills (marked `slow`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "tests" / "fixtures" / "hostile" / "article-template.html"
TOWNS = [
    "Aberdale",
    "Bramford",
    "Calder",
    "Dunmore",
    "Eastwick",
    "Farnley",
    "Glenholt",
    "Hexley",
    "Ilsworth",
    "Jarrowvale",
    "Kelbrook",
    "Lydmoor",
    "Marsden",
    "Northby",
    "Oakhurst",
    "Pembury",
    "Quarley",
    "Redmire",
    "Stanwell",
    "Thornby",
]


def build_site(root: Path, items: int) -> None:
    """feed.xml listing `items` articles, and the article pages (distinct towns and figures)."""
    template = TEMPLATE.read_text()
    (root / "a").mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(items):
        town = f"{TOWNS[i % len(TOWNS)]} {i}"
        title = f"{i + 3} arrests in {town} county lines crackdown"
        fields = {
            "TITLE": title,
            "TOWN": town,
            "ARRESTS": i + 3,
            "LINES": i % 7 + 2,
            "VALUE": i + 10,
            "CASH": i % 50 + 5,
            "NAME": f"Smith{i}",
            "SAFE": i % 9 + 1,
        }
        page = template
        for key, value in fields.items():
            page = page.replace("{{" + key + "}}", str(value))
        (root / "a" / f"{i}.html").write_text(page)
        entries.append(
            f"<item><title>{title}</title><link>{{{{BASE}}}}/a/{i}.html</link>"
            f"<guid>item-{i}</guid><pubDate>Mon, 0{i % 9 + 1} Jan 2024 10:{i % 60:02d}:00 GMT"
            "</pubDate></item>"
        )
    (root / "feed.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Kill loop</title>'
        + "".join(entries)
        + "</channel></rss>"
    )


def write_config(path: Path, feed_url: str) -> Path:
    path.write_text(
        f"sources:\n  - name: kl\n    url: {feed_url}\n    kind: police\n    every: 30m\n"
    )
    return path


def monitor_cmd(config: Path, db: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "monitor",
        "run",
        "--all",
        "--config",
        str(config),
        "--db",
        str(db),
    ]


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@dataclass
class Report:
    kills: int = 0
    exited_before_kill: int = 0
    mid_write: int = 0
    integrity_failures: list[str] = field(default_factory=list)
    articles_after_each: list[int] = field(default_factory=list)
    seconds: float = 0.0


def _articles(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or killed before the schema was
        return 0


def kill_loop(
    config: Path,
    db: Path,
    kills: int,
    low: float,
    high: float,
    seed: int | None = None,
    during_writes: float = 0.5,
) -> Report:
    """Start and SIGKILL `monitor run` `kills` times; integrity_check after each kill.

    A share `during_writes` of the kills waits until the run is appending articles (the count
    grows, or 20 s) and then strikes within 0.3 s; the rest strike at a uniform moment in
    [low, high] seconds, which mostly lands in start-up, schema, sync and the feed poll."""
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    report = Report()
    start = time.monotonic()
    while report.kills < kills:
        before = _articles(db) if db.exists() else 0
        proc = subprocess.Popen(
            monitor_cmd(config, db),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if rng.random() < during_writes:
            deadline = time.monotonic() + 20  # start-up, schema, poll, first fetch
            while proc.poll() is None and time.monotonic() < deadline:
                if _articles(db) > before:
                    time.sleep(rng.uniform(0, 0.3))
                    break
                time.sleep(0.02)
            delay = 0.0
        else:
            delay = rng.uniform(low, high)
        if delay:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            report.kills += 1
            if _articles(db) > before:
                report.mid_write += 1  # it had appended articles when it was killed
        else:
            report.exited_before_kill += 1  # finished first: a run, not a kill
        if db.exists():
            result = integrity(db)
            if result != "ok":
                report.integrity_failures.append(result)
            report.articles_after_each.append(_articles(db))
    report.seconds = time.monotonic() - start
    return report


def duplicates(db: Path) -> dict[str, int]:
    """Counts that must all be zero after the final run."""
    conn = sqlite3.connect(db)
    q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    try:
        return {
            "duplicate_urls": q("SELECT count(*) - count(DISTINCT url) FROM articles"),
            "duplicate_guids": q(
                "SELECT count(*) - count(DISTINCT source_id || char(0) || guid) FROM articles"
            ),
            "doubled_figures": q(
                "SELECT count(*) FROM (SELECT 1 FROM figures"
                " GROUP BY article_id, metric, value, evidence_start HAVING count(*) > 1)"
            ),
            "doubled_stories": q(
                "SELECT count(*) FROM (SELECT 1 FROM stories GROUP BY title HAVING count(*) > 1)"
            ),
            "stories_miscounted": q(
                "SELECT count(*) FROM stories s WHERE article_count !="
                " (SELECT count(*) FROM articles a WHERE a.story_id = s.id)"
            ),
            "empty_stories": q(
                "SELECT count(*) FROM stories s WHERE NOT EXISTS"
                " (SELECT 1 FROM articles a WHERE a.story_id = s.id)"
            ),
            "relevant_without_story": q(
                "SELECT count(*) FROM articles WHERE relevant = 1 AND story_id IS NULL"
            ),
        }
    finally:
        conn.close()


def main() -> None:
    import tempfile

    sys.path.insert(0, str(ROOT))
    from monitor.loopback import SiteServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--low", type=float, default=0.2, help="earliest kill, seconds")
    parser.add_argument("--high", type=float, default=4.0, help="latest kill, seconds")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        build_site(work / "site", args.items)
        with SiteServer(work / "site") as site:
            config = write_config(work / "config.yaml", f"{site.base}/feed.xml")
            db = work / "archive.db"
            report = kill_loop(config, db, args.kills, args.low, args.high, args.seed)
            final = subprocess.run(
                monitor_cmd(config, db),
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                text=True,
            )
        conn = sqlite3.connect(db)
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        conn.close()
        print(f"kills: {report.kills} (+{report.exited_before_kill} runs that finished first)")
        print(f"loop time: {report.seconds:.0f} s")
        print(f"integrity_check failures: {len(report.integrity_failures)}")
        print(f"kills that landed while articles were being written: {report.mid_write}")
        print(f"final run exit code: {final.returncode}: {final.stdout.strip().splitlines()[0]}")
        print(f"articles: {articles} of {args.items}; final integrity_check: {integrity(db)}")
        print(f"duplicates: {duplicates(db)}")


if __name__ == "__main__":
    main()
