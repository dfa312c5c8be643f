"""Backfill throughput: CPU per article against `monitor run` on the same articles, and
articles per second with politeness off and at the default (1 request/s per host).

    python benchmarks/backfill.py                  # all three rows, ~2 min (the polite row)
    python benchmarks/backfill.py --no-polite      # only the CPU comparison, ~20 s
    python benchmarks/backfill.py --repeats 3

The web is tests/fixtures/backfill/site.py (300 articles, 296 from 2019 on), each of its three
sites on its own loopback address (127.0.0.1-3), so "per host" means what it does on the
internet. Rows, each a whole `python -m monitor ...` process on a fresh archive:
- live: `monitor run --all` over three RSS feeds that list the same 296 articles (what a cycle
  spends per article: feed parsing, candidate fetches, text, figures, stories, writes);
- backfill, rate 0: `monitor backfill --since 2019-01-01 --rate 0` over the listings, search
  pages and sitemaps of the same articles;
- backfill, default: the same at the default --rate 1.
CPU is the child's user+sys time (getrusage), wall time beside it; ratios are within one run.
"min gap" is the shortest time between two requests to one host (>= 1 s means polite).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from monitor.dates import LONDON  # noqa: E402
from monitor.loopback import SiteServer  # noqa: E402
from tests.fixtures.backfill import site as site_mod  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def feed_route(site: site_mod.HistorySite, paths: list[str]):  # noqa: ANN201 (a SiteServer route)
    """An RSS feed listing the given articles (the live cycle's way in to the same pages)."""
    items = "".join(
        f"<item><title>{p.title}</title><link>{{BASE}}{p.path}</link>"
        f"<description>{p.summary}</description>"
        f"<pubDate>{p.published.astimezone(LONDON):%a, %d %b %Y %H:%M:%S %z}</pubDate></item>"
        for p in (site.articles[x] for x in paths)
        if p.published.year >= 2019
    )

    def route(handler: object) -> tuple[int, dict[str, str], bytes]:
        base = f"http://{handler.headers['Host']}"  # type: ignore[attr-defined]
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
        body += "</channel></rss>"
        return 200, {"Content-Type": "application/rss+xml"}, body.replace("{BASE}", base).encode()

    return route


class TimedSite(SiteServer):
    """SiteServer that notes when each request arrived (the politeness check)."""

    def __init__(self, root: Path, host: str) -> None:
        super().__init__(root, host=host)
        self.times: list[float] = []

    def answer(self, handler: object) -> tuple[int, dict[str, str], bytes]:
        self.times.append(time.monotonic())
        return super().answer(handler)  # type: ignore[arg-type]


def min_gap(servers: list[TimedSite]) -> float:
    """The shortest time between two requests to one host, over all hosts."""
    gaps = [b - a for s in servers for a, b in zip(s.times, s.times[1:], strict=False)]
    return min(gaps) if gaps else float("nan")


def config_text(bases: dict[str, str], db: Path) -> str:
    soh, npcc, paper = bases["soh"], bases["npcc"], bases["paper"]
    return f"""archive: {db}
sources:
  - name: kent-police
    url: {soh}/bench/feed.xml
    kind: police
    history:
      preset: soh-search
      url: {soh}/soh/news/news-search/GetPaginatedResults/?q=county+lines&page={{page}}
  - name: npcc
    url: {npcc}/bench/feed.xml
    kind: police
    history:
      preset: listing-pages
      url: {npcc}/npcc/releases?page={{page}}
  - name: kent-echo
    url: {paper}/bench/feed.xml
    kind: press
    history:
      preset: sitemap
      url: {paper}/paper/sitemap-index.xml
"""


def timed(args: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one `python -m monitor ...` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "monitor", *args], env=ENV, check=True,
                   capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def articles(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-polite", action="store_true", help="skip the 1 req/s row")
    opts = parser.parse_args()
    site = site_mod.build()
    rows: dict[str, list[tuple[float, float, int]]] = {}
    gaps: dict[str, list[float]] = {}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        www = Path(tmp) / "www"
        www.mkdir()
        bases = {}
        servers: list[TimedSite] = []
        for n, (name, paths) in enumerate(
            (("soh", site.soh), ("npcc", site.npcc), ("paper", site.paper)), start=1
        ):
            server = stack.enter_context(TimedSite(www, host=f"127.0.0.{n}"))
            servers.append(server)
            server.routes.update(site.routes())  # type: ignore[arg-type]
            server.routes["/bench/feed.xml"] = feed_route(site, paths)
            bases[name] = server.base
        plans = [
            ("live", ["run", "--all"]),
            ("backfill, rate 0", ["backfill", "--since", "2019-01-01", "--rate", "0"]),
        ]
        if not opts.no_polite:
            plans.append(
                ("backfill, default (1/s per host)", ["backfill", "--since", "2019-01-01"])
            )
        for i in range(opts.repeats):
            for k, (label, args) in enumerate(plans):
                db = Path(tmp) / f"run{i}-plan{k}.db"  # a fresh archive each time
                config = Path(tmp) / "config.yaml"
                config.write_text(config_text(bases, db))
                for server in servers:
                    server.times.clear()
                cpu, wall = timed([*args, "--config", str(config)])
                rows.setdefault(label, []).append((cpu, wall, articles(db)))
                gaps.setdefault(label, []).append(min_gap(servers))
    report(rows, gaps)


def report(rows: dict[str, list[tuple[float, float, int]]], gaps: dict[str, list[float]]) -> None:
    out = {}
    live_cpu = statistics.median(c / n for c, _, n in rows["live"])
    print(f"{'row':34} {'articles':>8} {'CPU s':>7} {'wall s':>7} {'CPU ms/article':>15} "
          f"{'x live':>7} {'articles/s':>10} {'min gap s':>9}")  # fmt: skip
    for label, runs in rows.items():
        cpu = statistics.median(c for c, _, _ in runs)
        wall = statistics.median(w for _, w, _ in runs)
        n = runs[0][2]
        per = cpu / n
        out[label] = {"articles": n, "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
                      "cpu_ms_per_article": round(per * 1000, 2),
                      "cpu_vs_live": round(per / live_cpu, 2),
                      "articles_per_s": round(n / wall, 1),
                      "min_gap_per_host_s": round(min(gaps[label]), 3)}  # fmt: skip
        print(f"{label:34} {n:8d} {cpu:7.2f} {wall:7.2f} {per * 1000:15.2f} "
              f"{per / live_cpu:7.2f} {n / wall:10.1f} {min(gaps[label]):9.3f}")  # fmt: skip
    print("BENCH_JSON " + json.dumps(out))


if __name__ == "__main__":
    main()
