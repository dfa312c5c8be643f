"""Every page a person browses, timed on the demo archive and on the demo grown N times (issue 18).

    python benchmarks/browse.py                       # demo vs 5,000x (~170k articles), 3 rounds
    python benchmarks/browse.py --factor 500 --rounds 5 --dir /tmp/browse

Datasette runs in-process, configured exactly as `monitor serve` configures it (bundled metadata,
plugins, templates, settings) with sql_time_limit_ms 1000, the README's public-instance limit.
Each page is fetched once to warm caches, then `--rounds` times; the table gives the median wall
ms and CPU ms (process time, all threads) per page, grown/demo as a ratio, and whether the page
stays inside the bound (10x its demo CPU time; at least 1 ms is assumed for the demo) and free of
time-outs (an error page, or facets that timed out). The ratio is taken on CPU time because wall
times swing 2x on a shared machine; wall ratios are printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasette.app import Datasette  # noqa: E402
from datasette_dashboards import replace_opts_in_query  # noqa: E402

from monitor import browse  # noqa: E402
from monitor.datasette.grow import grow  # noqa: E402
from monitor.demo import run_demo  # noqa: E402

LIMIT_MS = 1000
BOUND = 10.0


@dataclass
class Timing:
    """One page on one archive: median wall and CPU milliseconds, and what went wrong if any."""

    wall_ms: float
    cpu_ms: float
    problem: str | None


def make_datasette(path: Path) -> Datasette:
    """Datasette as `monitor serve` starts it, with the public time limit."""
    return browse.make_datasette(path, sql_time_limit_ms=LIMIT_MS)  # type: ignore[no-any-return]


def chart_paths(ds: Datasette, db: str, params: dict[str, str]) -> dict[str, str]:
    """Each dashboard chart's query as the dashboard page asks for it (filled like the plugin)."""
    board = ds.metadata()["plugins"]["datasette-dashboards"]["county-lines"]
    out = {}
    for name, chart in board["charts"].items():
        sql = replace_opts_in_query(chart["query"], params)
        used = {k: v for k, v in params.items() if f":{k}" in sql}
        out[f"chart {name}"] = f"/{db}.json?" + urlencode({"sql": sql, **used, "_shape": "array"})
    return out


def pages(ds: Datasette, db: str, story: int, force: str) -> dict[str, str]:
    """Label -> path of every page issue 18 times."""
    listed = {
        "articles table (facets)": f"/{db}/articles",
        "figures table (facets)": f"/{db}/figures",
        "story_figures view": f"/{db}/story_figures",
        "story_copies view": f"/{db}/story_copies",
        "a story's page": f"/{db}/stories/{story}",
        "search cuckooing": f"/{db}/articles?_search=cuckooing",
        "source_health view": f"/{db}/source_health",
        "dashboard page": "/-/dashboards/county-lines",
    }
    queries = ds.metadata()["databases"][db]["queries"]
    for name in queries:
        args = {"force": force} if name == "force_figures" else {}
        if name == "stories_with_copies":
            args = {"story_id": ""}
        listed[f"query {name}"] = f"/{db}/{name}?" + urlencode(args)
    listed["atom new_stories"] = f"/{db}/new_stories.atom"
    listed["atom force_figures"] = f"/{db}/force_figures.atom?" + urlencode({"force": force})
    listed["atom national_totals"] = f"/{db}/national_intensification_totals.atom"
    listed.update(chart_paths(ds, db, {"metric": "arrests", "force": ""}))
    listed.update(
        {
            k + " (force)": v
            for k, v in chart_paths(ds, db, {"metric": "arrests", "force": force}).items()
        }
    )
    return listed


async def _fetch(ds: Datasette, path: str) -> str | None:
    response = await ds.client.get(path, follow_redirects=True)
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    if "facets-timed-out" in response.text:
        return "facets timed out"
    return None


def time_page(ds: Datasette, path: str, rounds: int) -> Timing:
    """Median wall and CPU ms of `rounds` fetches after one warm-up fetch."""
    problem = asyncio.run(_fetch(ds, path))
    walls, cpus = [], []
    for _ in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        problem = asyncio.run(_fetch(ds, path)) or problem
        walls.append((time.perf_counter() - w0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return Timing(statistics.median(walls), statistics.median(cpus), problem)


def name_newsroom_forces(path: Path) -> None:
    """Give a force newsroom's force- and case-scope figures that force, as attribution will
    (the demo's figures carry no force until the figure rules name one), so the per-force
    pages and charts have rows to time. Bodies and other figures stay as the demo wrote them."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(
                "UPDATE figures SET force = (SELECT fc.code FROM articles a"
                " JOIN sources s ON s.id = a.source_id JOIN forces fc ON fc.name = s.force"
                " WHERE a.id = figures.article_id) WHERE force IS NULL AND scope IN ('force', 'case')"
            )
    finally:
        conn.close()


def sample(path: Path) -> tuple[int, str]:
    """The story with the most copies and a force with figures: pages worth opening."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        story = conn.execute("SELECT id FROM stories ORDER BY article_count DESC, id LIMIT 1")
        return int(story.fetchone()[0]), "Greater Manchester Police"
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="browse-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    demo, grown = work / "archive.db", work / f"grown{args.factor}" / "archive.db"
    if not demo.exists():
        run_demo(demo)
        name_newsroom_forces(demo)
    grown.parent.mkdir(exist_ok=True)
    if not grown.exists():
        t0 = time.perf_counter()
        grow(demo, grown, args.factor)
        print(f"grew {demo} x{args.factor} in {time.perf_counter() - t0:.1f} s -> {grown}")
    import sqlite3

    conn = sqlite3.connect(grown)
    counts = {
        t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("articles", "figures", "stories")
    }
    conn.close()
    print(f"grown archive: {counts}")

    results = []
    small, big = make_datasette(demo), make_datasette(grown)
    story, force = sample(demo)
    story_big, _ = sample(grown)
    for label, path in pages(small, "archive", story, force).items():
        big_path = path.replace(f"/stories/{story}", f"/stories/{story_big}")
        results.append(
            (label, time_page(small, path, args.rounds), time_page(big, big_path, args.rounds))
        )

    print(
        f"\n| page | demo ms wall (cpu) | {args.factor}x ms wall (cpu) | ratio cpu (wall)"
        f" | within {BOUND:g}x, no time-out |"
    )
    print("|---|---|---|---|---|")
    failed = 0
    for label, a, b in results:
        ratio = b.cpu_ms / max(a.cpu_ms, 1.0)  # CPU: wall swings 2x on a shared machine
        wall = b.wall_ms / max(a.wall_ms, 1.0)
        ok = ratio <= BOUND and b.problem is None and a.problem is None
        failed += not ok
        why = "yes" if ok else f"NO ({b.problem or a.problem or 'slow'})"
        print(
            f"| {label} | {a.wall_ms:.0f} ({a.cpu_ms:.0f}) | {b.wall_ms:.0f} ({b.cpu_ms:.0f})"
            f" | {ratio:.1f} ({wall:.1f}) | {why} |"
        )
    print(
        f"\n{len(results) - failed} of {len(results)} pages within the bound; limit {LIMIT_MS} ms"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
