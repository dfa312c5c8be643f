"""Cycle benchmark: the real `monitor run` against its floor, on a generated corpus on loopback.

    python benchmarks/cycle.py                                   # quick: 10 feeds x 20 items
    python benchmarks/cycle.py --feeds 50 --items 40 --repeats 3 --daemon-cycles 200  # full
    python benchmarks/cycle.py --profile artifacts/profile        # + pyinstrument of cold/re-poll

Everything is measured in the same run, on the same machine, so the ratios mean something:
- cold: `python -m monitor run --all` on a fresh archive, the whole process (wall time);
- floor: the same URLs the cold cycle requested (read from the servers' request logs) fetched
  by a bare aiohttp client (16 connections, 2 per host, like settings.py), plus plain lxml text
  of the article pages it fetched, plus `python -c pass` start-up;
- re-poll: a second `monitor run --all` on the same archive (every feed answers 304), against
  the start-up of an empty Scrapy spider process (asyncio reactor, no requests; the issue's
  floor) and against the bare Scrapy spider sending the re-poll's requests with the same ETags
  (every one a 304 too: what any client of those feeds must pay);
- placement: 1,000 new articles through archive.is_archived + archive.save_article (append,
  figures, story placement) into archives of 1k and N (default 200k) articles;
- daemon: RSS of the real `monitor daemon --tick 1` at cycle 1 and cycle N (default 20), by
  running benchmarks/daemon_memory.py (a colleague's harness) and reading its summary;
- recall kept, pages fetched vs relevant pages, relevance + figures ms per article.
Prints one table (median, min-max over the repeats) and one JSON line (prefix `BENCH_JSON `).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import corpus as corpus_mod  # noqa: E402  (benchmarks/corpus.py)

from monitor.loopback import SiteServer  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
EMPTY_SPIDER = """
import scrapy
from scrapy.crawler import CrawlerProcess
class Empty(scrapy.Spider):
    name = "empty"
    async def start(self):
        return
        yield
process = CrawlerProcess({"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False,
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor"})
process.crawl(Empty)
process.start()
"""
# The framework floor: the same URLs the cold cycle requested (feeds, robots.txt, pages), fetched
# by a bare Scrapy spider with the monitor's politeness (16 slots, 2 per host, AutoThrottle with
# the same start delay), no parsing, no pipelines, no archive. Given "url<TAB>etag" lines it sends
# the ETag as If-None-Match: the re-poll's requests, answered 304 as the monitor's were.
BARE_SPIDER = """
import sys
import scrapy
from scrapy.crawler import CrawlerProcess
LINES = [line.split("\t") for line in open(sys.argv[1]).read().splitlines() if line]
class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for url, *etag in LINES:
            yield scrapy.Request(url, dont_filter=True, callback=self.parse,
                                 headers={"If-None-Match": etag[0]} if etag else {},
                                 meta={"handle_httpstatus_all": True})
    def parse(self, response):
        return None
process = CrawlerProcess({"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False,
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "AUTOTHROTTLE_ENABLED": True, "AUTOTHROTTLE_START_DELAY": 0.5,
    "AUTOTHROTTLE_MAX_DELAY": 30, "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "ROBOTSTXT_OBEY": False, "COOKIES_ENABLED": False, "RETRY_TIMES": 1})
process.crawl(Bare)
process.start()
"""


# ---------------------------------------------------------------- serving


class LoggedSite(SiteServer):
    """SiteServer that also logs each answer's status and size (the floor re-fetches these)."""

    def __init__(self, root: Path, host: str) -> None:
        super().__init__(root, host=host)
        self.log: list[tuple[str, int, int]] = []
        self.etags: dict[str, str] = {}  # path -> If-None-Match the client sent

    def answer(self, handler: Any) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = super().answer(handler)
        self.log.append((handler.path, status, len(body)))
        if sent := handler.headers.get("If-None-Match"):
            self.etags[handler.path] = sent
        return status, headers, body


def serve(stack: ExitStack, corpus: corpus_mod.Corpus) -> list[LoggedSite]:
    """One server per site, each on its own loopback address (127.0.0.10, .11, ...): real
    sources live on their own hosts, and Scrapy's per-host slots and robots.txt behave so."""
    sites = []
    for feed in corpus.feeds:
        host = f"127.0.{1 + feed.index // 240}.{10 + feed.index % 240}"
        sites.append(stack.enter_context(LoggedSite(corpus.root / feed.site, host)))
    return sites


def take_logs(sites: list[LoggedSite]) -> list[tuple[str, str, int, int]]:
    """(base, path, status, bytes) of every request since the last call; clears the logs."""
    out = []
    for site in sites:
        out += [(site.base, p, s, n) for p, s, n in site.log]
        site.log.clear()
        site.requests.clear()
        site.etags.clear()
    return out


def request_lines(sites: list[LoggedSite]) -> str:
    """The requests since the last take_logs as the bare spider's input: url, tab, ETag sent."""
    lines = []
    for site in sites:
        for path, _, _ in site.log:
            etag = site.etags.get(path)
            lines.append(f"{site.base}{path}\t{etag}" if etag else f"{site.base}{path}")
    return "\n".join(lines)


# ---------------------------------------------------------------- processes


def _children_cpu() -> float:
    """User + system CPU seconds of every reaped child so far."""
    import resource

    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def timed_process(cmd: list[str], timeout: float = 1800) -> dict[str, Any]:
    """Wall time and CPU seconds (user + system) of one child process."""
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    wall = time.perf_counter() - start
    # communicate() reaped it; resource use of reaped children accumulates in RUSAGE_CHILDREN
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{out}\n{err[-3000:]}")
    return {"wall": wall, "cpu": _children_cpu() - cpu0, "stdout": out, "stderr": err}


def monitor_run(config: Path, db: Path, prefix: list[str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, *(prefix or []), "-m", "monitor", "run", "--all"]
    return timed_process([*cmd, "--config", str(config), "--db", str(db)])


def compile_sources(root: Path) -> None:
    """Byte-compile a checkout's own modules, as pip does for an installed package. Under
    PYTHONDONTWRITEBYTECODE (set on some machines and CI images) an editable checkout would
    otherwise compile every module of the monitor again in every process it starts, a cost no
    installed copy pays and Scrapy, installed, never pays here."""
    import compileall

    for package in ("monitor", "spiders"):
        compileall.compile_dir(str(root / package), quiet=1)


def python_start(n: int = 5) -> float:
    """Median wall time of `python -c pass` (the interpreter alone, site-packages included)."""
    return statistics.median(
        timed_process([sys.executable, "-c", "pass"])["wall"] for _ in range(n)
    )


# ---------------------------------------------------------------- the floor


async def _fetch_all(urls: list[str]) -> list[tuple[str, bytes]]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=16, limit_per_host=2)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> tuple[str, bytes]:
            async with session.get(url) as resp:
                return url, await resp.read()

        return await asyncio.gather(*(one(u) for u in urls))


def floor_fetch(urls: list[str]) -> tuple[float, list[tuple[str, bytes]]]:
    start = time.perf_counter()
    bodies = asyncio.run(_fetch_all(urls))
    return time.perf_counter() - start, bodies


def floor_text(pages: list[bytes]) -> float:
    from lxml import html as lxml_html

    start = time.perf_counter()
    for page in pages:
        lxml_html.fromstring(page).text_content()
    return time.perf_counter() - start


# ---------------------------------------------------------------- outcome of a cycle


def is_article(path: str) -> bool:
    return path.startswith("/news/") and not path.endswith((".xml", ".atom"))


def recall(db: Path, corpus: corpus_mod.Corpus, sites: list[LoggedSite]) -> dict[str, Any]:
    """Relevant archived / relevant in corpus, plus false positives and the run's counters."""
    host_feed = {urlsplit(s.base).netloc: i for i, s in enumerate(sites)}
    truth = {(i.feed, i.path.rstrip("/")) for i in corpus.items if i.relevant}
    conn = sqlite3.connect(db)
    got = set()
    for url, relevant in conn.execute("SELECT url, relevant FROM articles"):
        parts = urlsplit(url)
        if relevant:
            got.add((host_feed.get(parts.netloc), parts.path.rstrip("/")))
    run = conn.execute(
        "SELECT articles_new, articles_fetched, stories_new, figures_new FROM runs ORDER BY id"
        " DESC LIMIT 1"
    ).fetchone()
    archived = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    conn.close()
    return {
        "relevant_in_corpus": len(truth),
        "relevant_archived": len(truth & got),
        "false_positives": len(got - truth),
        "recall": len(truth & got) / len(truth) if truth else 1.0,
        "articles_archived": archived,
        "run_counts": dict(zip(("new", "fetched", "stories", "figures"), run or (), strict=False)),
    }


# ---------------------------------------------------------------- relevance + figures


def relevance_figures(corpus: corpus_mod.Corpus) -> dict[str, float]:
    """In-process cost of relevance.assess on every article and figures.extract on the relevant
    ones, on the articles' own words (what the main-text extractor hands them)."""
    from monitor import figures, relevance

    items = corpus.items
    texts = [(i.title, i.text) for i in items]
    start = time.perf_counter()
    rel_ms = []
    relevant = 0
    for title, text in texts:
        t0 = time.perf_counter()
        ok, _ = relevance.assess(title, text)
        if ok:
            figures.extract(text)
            relevant += 1
            rel_ms.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - start
    return {
        "ms_per_article": total * 1000 / len(texts),
        "ms_per_relevant_article": statistics.mean(rel_ms) if rel_ms else 0.0,
    }


# ---------------------------------------------------------------- archive growth


def _articles_for(corpus: corpus_mod.Corpus, tag: str, day_shift: float = 0.0) -> list[Any]:
    """Pipeline-ready Articles (text, relevance, figures, hash computed here: setup)."""
    from datetime import datetime, timedelta

    from monitor import dedupe, figures, relevance
    from monitor.items import Article, Entry

    out = []
    for item in corpus.items:
        url = f"https://{tag}-site-{item.feed:03d}.example{item.path}"
        when = datetime.fromisoformat(item.published.replace("Z", "+00:00"))
        published = (when - timedelta(days=day_shift)).isoformat().replace("+00:00", "Z")
        entry = Entry(
            source_id=f"bench-{item.feed:03d}",
            url=dedupe.canonical_url(url),
            original_url=url,
            title=item.title,
            guid=f"{tag}:{item.guid}",
            summary=item.summary,
            published=published,
            publisher=None,
        )
        art = Article(entry=entry, body=item.text, fetched_at=published, http_status=200)
        art.relevant, art.matched_terms = relevance.assess(item.title, item.text)
        art.figures = figures.extract(item.text) if art.relevant else []
        art.content_hash = dedupe.content_hash(item.text)
        out.append(art)
    return out


def _place(db: Any, arts: list[Any], run_id: int | None = None) -> None:
    from monitor import archive, figures

    for art in arts:
        e = art.entry
        if not archive.is_archived(db, e.url, e.source_id, e.guid):
            archive.save_article(db, art, run_id, figures.EXTRACTOR_VERSION)


def _sources(db: Any, feeds: int) -> None:
    from monitor import archive

    with archive.write(db):
        for f in range(feeds):
            kind = "press" if f % 4 == 3 else "police"
            db["sources"].upsert(
                {
                    "id": f"bench-{f:03d}",
                    "name": f"bench-{f:03d}",
                    "url": "https://x.example/",
                    "type": "feed",
                    "kind": kind,
                    "enabled": 1,
                    "status": "ok",
                },
                pk="id",
            )


def build_archives(work: Path, big: int, seed: int) -> tuple[Path, Path, list[Any]]:
    """Setup, not measurement: a 1k archive through the real save_article (5 days of news at
    200 articles a day), and a `big` one: the 1k copied and its rows replicated further back in
    time by bulk INSERT ... SELECT (windowed story keys keep their hash on shifted days, exact
    identities - URL, GUID, content hash - are salted per copy so they stay unique)."""
    from monitor import archive, dedupe
    from monitor.archive import stories

    hist = corpus_mod.generate(work / "hist", 50, 20, seed=seed + 1, write=False)
    new = corpus_mod.generate(work / "new", 50, 20, seed=seed + 2, write=False)
    # history: 1,000 articles, 5 days (200 a day) ending the day before the new ones
    hist_arts = _articles_for(hist, "hist", day_shift=1.0)
    new_arts = _articles_for(new, "new")
    small = work / "archive-1k.db"
    db = archive.open_archive(small)
    _sources(db, 50)
    _place(db, hist_arts)
    exact: set[int] = set()
    for row in db.execute(f"{stories._ARTICLE_SQL} WHERE a.relevant = 1").fetchall():
        key = stories._key_from_row(db, row)
        exact |= {dedupe.key_hash(k) for k in dedupe.index_keys(key)[0]}
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()

    large = work / f"archive-{big // 1000}k.db"
    shutil.copy(small, large)
    conn = sqlite3.connect(large, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("CREATE TEMP TABLE exact (key INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO exact VALUES (?)", [(k,) for k in exact])
    n_art = conn.execute("SELECT MAX(id) FROM articles").fetchone()[0]
    n_story = conn.execute("SELECT COALESCE(MAX(id), 0) FROM stories").fetchone()[0]
    n_fig = conn.execute("SELECT COALESCE(MAX(id), 0) FROM figures").fetchone()[0]
    span = 5  # days covered by one copy
    copies = max(0, big // n_art - 1)
    art_cols = [r[1] for r in conn.execute("PRAGMA table_info(articles)")]
    story_cols = [r[1] for r in conn.execute("PRAGMA table_info(stories)")]
    fig_cols = [r[1] for r in conn.execute("PRAGMA table_info(figures)")]

    def shifted(col: str) -> str:
        return f"strftime('%Y-%m-%dT%H:%M:%SZ', {col}, :days || ' days')"

    over_a = {
        "id": "id + :da",
        "url": "url || '#c' || :c",
        "original_url": "original_url || '#c' || :c",
        "guid": "guid || '#c' || :c",
        "content_hash": "content_hash || :c",
        "story_id": "story_id + :ds",
        "published": shifted("published"),
        "fetched_at": shifted("fetched_at"),
    }
    over_s = {
        "id": "id + :ds",
        "origin_article_id": "origin_article_id + :da",
        "first_published": shifted("first_published"),
        "first_seen": shifted("first_seen"),
        "last_seen": shifted("last_seen"),
    }
    over_f = {"id": "id + :df", "article_id": "article_id + :da", "story_id": "story_id + :ds"}

    def copy_sql(table: str, cols: list[str], over: dict[str, str]) -> str:
        exprs = ", ".join(over.get(c, c) for c in cols)
        return (
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {exprs} FROM {table} "
            f"WHERE id <= :max_{table}"
        )

    sqls = [
        copy_sql("stories", story_cols, over_s),
        copy_sql("articles", art_cols, over_a),
        copy_sql("figures", fig_cols, over_f),
    ]
    keys_sql = (
        "INSERT INTO story_keys (key, day, article_id) SELECT CASE WHEN key IN (SELECT key FROM"
        " temp.exact) THEN (key & 281474976710655) + (:c << 48) ELSE key END, day + :days, article_id + :da"
        " FROM story_keys WHERE article_id <= :max_articles"
    )
    conn.execute("BEGIN")
    for c in range(1, copies + 1):
        params = {
            "c": c,
            "days": -span * c,
            "da": n_art * c,
            "ds": n_story * c,
            "df": n_fig * c,
            "max_stories": n_story,
            "max_articles": n_art,
            "max_figures": n_fig,
        }
        for sql in sqls:
            conn.execute(sql, {k: v for k, v in params.items() if f":{k}" in sql})
        conn.execute(keys_sql, {k: v for k, v in params.items() if f":{k}" in keys_sql})
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    return small, large, new_arts


def placement(base: Path, arts: list[Any], work: Path) -> float:
    """Seconds to place the 1,000 new articles into a fresh copy of `base`."""
    from monitor import archive

    target = work / f"placing-{base.name}"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(base, target)
    db = archive.open_archive(target)
    start = time.perf_counter()
    _place(db, arts)
    elapsed = time.perf_counter() - start
    db.conn.close()
    return elapsed


# ---------------------------------------------------------------- daemon memory


def daemon_memory(cycles: int) -> dict[str, Any]:
    """Reuse benchmarks/daemon_memory.py (the real `monitor daemon --tick 1`, every tick polls:
    the harness marks the sources due again after each run) and read its summary lines."""
    import re

    script = ROOT / "benchmarks" / "daemon_memory.py"
    res = timed_process(
        [sys.executable, str(script), "--cycles", str(cycles), "--tick", "1"],
        timeout=cycles * 10 + 120,
    )
    out = res["stdout"]
    rss = re.search(
        r"daemon RSS: cycle 1 ([\d.]+) MB.*cycle (\d+) ([\d.]+) MB \(growth ([-+\d.]+)", out
    )
    child = re.search(r"child peak RSS per cycle: first (\d+) MB, median (\d+) MB, max (\d+)", out)
    if not rss:
        raise RuntimeError(f"daemon_memory.py printed no RSS line:\n{out}\n{res['stderr'][-2000:]}")
    return {
        "cycles": int(rss.group(2)),
        "rss_mb_cycle1": float(rss.group(1)),
        "rss_mb_last": float(rss.group(3)),
        "growth_mb": float(rss.group(4)),
        "child_peak_mb_median": float(child.group(2)) if child else None,
        "child_peak_mb_max": float(child.group(3)) if child else None,
        "seconds": res["wall"],
    }


# ---------------------------------------------------------------- profiles


def profile(config: Path, work: Path, out: Path) -> None:
    """pyinstrument over a cold cycle and a re-poll, plus -X importtime of the re-poll."""
    out.mkdir(parents=True, exist_ok=True)
    db = work / "profile.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    for name in ("cold", "repoll"):
        prefix = ["-m", "pyinstrument", "-r", "text", "--show-all", "-o", str(out / f"{name}.txt")]
        prefix_html = ["-m", "pyinstrument", "-r", "html", "-o", str(out / f"{name}.html")]
        if name == "cold":
            monitor_run(config, db, prefix)
            shutil.copy(db, work / "profile-cold.db")
        else:
            monitor_run(config, db, prefix_html)
            monitor_run(config, db, prefix)
    res = monitor_run(config, db, ["-X", "importtime"])
    (out / "repoll-importtime.txt").write_text(res["stderr"])
    print(f"profiles written to {out}", file=sys.stderr)


# ---------------------------------------------------------------- report


def stat(values: Iterable[float]) -> dict[str, float]:
    v = list(values)
    return {"median": statistics.median(v), "min": min(v), "max": max(v)}


def fmt(s: dict[str, float], unit: str = "s", scale: float = 1.0) -> str:
    if s["min"] == s["max"]:
        return f"{s['median'] * scale:.3g} {unit}"
    return f"{s['median'] * scale:.3g} {unit} ({s['min'] * scale:.3g}-{s['max'] * scale:.3g})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--feeds", type=int, default=10)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--relevant", type=float, default=0.1, help="fraction about county lines")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument(
        "--archive-size", type=int, default=0, help="the large archive (0: skip placement)"
    )
    ap.add_argument("--daemon-cycles", type=int, default=20, help="the issue asks 200; 0 skips")
    ap.add_argument("--profile", type=Path, help="also write pyinstrument profiles here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    compile_sources(ROOT)

    work = Path(tempfile.mkdtemp(prefix="monitor-bench-"))
    log = lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr)  # noqa
    results: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        results.setdefault(key, []).append(value)

    try:
        corpus = corpus_mod.generate(work / "web", args.feeds, args.items, args.relevant, args.seed)
        log(f"corpus: {json.dumps(corpus.summary())}")
        with ExitStack() as stack:
            sites = serve(stack, corpus)
            config = work / "config.yaml"
            config.write_text(corpus.config_yaml([s.base for s in sites], str(work / "a.db")))
            outcome: dict[str, Any] = {}
            for r in range(args.repeats):
                db = work / f"run-{r}.db"
                take_logs(sites)
                cold = monitor_run(config, db)
                cold_log = take_logs(sites)
                add("cold_s", cold["wall"])
                add("cold_cpu_s", cold["cpu"])
                repoll = monitor_run(config, db)
                repoll_urls = work / "repoll-urls.txt"
                repoll_urls.write_text(request_lines(sites))
                repoll_log = take_logs(sites)
                add("repoll_s", repoll["wall"])
                add("repoll_cpu_s", repoll["cpu"])
                empty = timed_process([sys.executable, "-c", EMPTY_SPIDER])
                add("empty_spider_s", empty["wall"])
                add("empty_spider_cpu_s", empty["cpu"])
                bare_repoll = timed_process([sys.executable, "-c", BARE_SPIDER, str(repoll_urls)])
                take_logs(sites)
                add("bare_repoll_s", bare_repoll["wall"])
                add("bare_repoll_cpu_s", bare_repoll["cpu"])
                add("repoll_vs_bare_repoll", repoll["wall"] / bare_repoll["wall"])
                add("repoll_vs_bare_repoll_cpu", repoll["cpu"] / max(1e-9, bare_repoll["cpu"]))
                url_file = work / "cold-urls.txt"
                url_file.write_text("\n".join(base + path for base, path, _, _ in cold_log))
                bare = timed_process([sys.executable, "-c", BARE_SPIDER, str(url_file)])
                take_logs(sites)
                add("bare_scrapy_s", bare["wall"])
                add("bare_scrapy_cpu_s", bare["cpu"])
                add("cold_vs_bare_scrapy", cold["wall"] / bare["wall"])
                add("cold_vs_bare_scrapy_cpu", cold["cpu"] / max(1e-9, bare["cpu"]))
                add("python_start_s", python_start())
                urls = [base + path for base, path, _, _ in cold_log]
                fetch_s, bodies = floor_fetch(urls)
                take_logs(sites)
                pages = [b for u, b in bodies if is_article(urlsplit(u).path)]
                add("floor_fetch_s", fetch_s)
                add("floor_text_s", floor_text(pages))
                add(
                    "floor_s", fetch_s + results["floor_text_s"][-1] + results["python_start_s"][-1]
                )
                add("cold_vs_floor", cold["wall"] / results["floor_s"][-1])
                add("repoll_vs_empty_spider", repoll["wall"] / results["empty_spider_s"][-1])
                add("repoll_vs_empty_spider_cpu", repoll["cpu"] / max(1e-9, empty["cpu"]))
                out = recall(db, corpus, sites)
                fetched = sum(is_article(p) for _, p, _, _ in cold_log)
                add("recall", out["recall"])
                add("pages_fetched", fetched)
                add("fetched_vs_relevant", fetched / max(1, out["relevant_in_corpus"]))
                add("repoll_pages_fetched", sum(is_article(p) for _, p, _, _ in repoll_log))
                add(
                    "repoll_304_share",
                    sum(s == 304 for _, p, s, _ in repoll_log if p.endswith((".xml", ".atom")))
                    / max(1, len(corpus.feeds)),
                )
                add("requests_cold", len(cold_log))
                outcome = {
                    **out,
                    "cold_stdout": cold["stdout"].strip().splitlines()[0:1],
                    "repoll_stdout": repoll["stdout"].strip().splitlines()[0:1],
                }
                log(
                    f"repeat {r + 1}: cold {cold['wall']:.2f}s ({cold['cpu']:.2f} CPU s), bare "
                    f"Scrapy {bare['wall']:.2f}s ({bare['cpu']:.2f} CPU s), floor "
                    f"{results['floor_s'][-1]:.2f}s,"
                    f" re-poll {repoll['wall']:.2f}s, empty spider "
                    f"{results['empty_spider_s'][-1]:.2f}s, fetched {fetched}, recall "
                    f"{out['recall']:.3f}"
                )
            for _ in range(args.repeats):
                rf = relevance_figures(corpus)
                add("relfig_ms_per_article", rf["ms_per_article"])
                add("relfig_ms_per_relevant", rf["ms_per_relevant_article"])

            daemon: dict[str, Any] = {}
            # Story placement has its own benchmark (benchmarks/placement.py, which builds its
            # archives through the story code's own keys); here it runs only when asked.
            if args.archive_size:
                log(f"building the 1k and {args.archive_size // 1000}k archives (setup)")
                t0 = time.perf_counter()
                small, large, new_arts = build_archives(work, args.archive_size, args.seed)
                log(f"archives built in {time.perf_counter() - t0:.1f}s")
                for _ in range(args.repeats):
                    add("place_1k_s", placement(small, new_arts, work))
                    add("place_big_s", placement(large, new_arts, work))
                    add("place_ratio", results["place_big_s"][-1] / results["place_1k_s"][-1])
            if args.daemon_cycles:
                log(f"daemon: {args.daemon_cycles} cycles at --tick 1")
                daemon = daemon_memory(args.daemon_cycles)
            if args.profile:
                profile(config, work, args.profile)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work}")

    s = {k: stat(v) for k, v in results.items()}
    big = f"{args.archive_size // 1000}k"

    def wall_cpu(
        label: str, wall: str, cpu: str, unit: str = "s", note: str = ""
    ) -> tuple[str, str, str]:
        """A row of a wall-clock measure with its CPU twin beside it."""
        return label, fmt(s[wall], unit), f"CPU {fmt(s[cpu], unit)}{note}"

    rows = [
        (
            "corpus",
            f"{args.feeds} feeds x {args.items} items, {outcome['relevant_in_corpus']} "
            f"relevant, {args.repeats} repeats",
            "",
        ),
        wall_cpu("cold cycle (monitor run --all)", "cold_s", "cold_cpu_s"),
        wall_cpu("  bare Scrapy spider, same URLs", "bare_scrapy_s", "bare_scrapy_cpu_s"),
        wall_cpu(
            "  cold / bare Scrapy",
            "cold_vs_bare_scrapy",
            "cold_vs_bare_scrapy_cpu",
            "x",
            "; target <= 1.5x",
        ),
        (
            "  floor = fetch + lxml text + python start",
            fmt(s["floor_s"]),
            f"fetch {fmt(s['floor_fetch_s'])}, text {fmt(s['floor_text_s'])}, "
            f"start {fmt(s['python_start_s'])}",
        ),
        ("  cold / floor", fmt(s["cold_vs_floor"], "x"), "moonshot <= 4x"),
        (
            "recall kept",
            fmt(s["recall"], ""),
            f"target 1.0; false positives {outcome['false_positives']}",
        ),
        (
            "pages fetched / relevant pages",
            fmt(s["fetched_vs_relevant"], "x"),
            f"{fmt(s['pages_fetched'], 'pages')}; target <= 2x",
        ),
        wall_cpu(
            "re-poll (all 304)",
            "repoll_s",
            "repoll_cpu_s",
            note=f"; pages fetched {fmt(s['repoll_pages_fetched'], '')}, feeds 304 "
            f"{fmt(s['repoll_304_share'], '', 100)}%",
        ),
        wall_cpu("  empty Scrapy spider start-up", "empty_spider_s", "empty_spider_cpu_s"),
        wall_cpu(
            "  re-poll / empty spider",
            "repoll_vs_empty_spider",
            "repoll_vs_empty_spider_cpu",
            "x",
            "; target <= 1.3x",
        ),
        wall_cpu("  bare Scrapy, same requests (304)", "bare_repoll_s", "bare_repoll_cpu_s"),
        wall_cpu(
            "  re-poll / bare Scrapy re-poll",
            "repoll_vs_bare_repoll",
            "repoll_vs_bare_repoll_cpu",
            "x",
        ),
        *(
            [
                ("place 1,000 articles into 1k", fmt(s["place_1k_s"]), ""),
                (f"place 1,000 articles into {big}", fmt(s["place_big_s"]), ""),
                (f"  {big} / 1k", fmt(s["place_ratio"], "x"), "target <= 1.5x"),
            ]
            if "place_1k_s" in s
            else [("story placement", "see benchmarks/placement.py", "")]
        ),
        (
            "relevance + figures per article",
            fmt(s["relfig_ms_per_article"], "ms"),
            f"per relevant article {fmt(s['relfig_ms_per_relevant'], 'ms')}; target <= 1 ms",
        ),
    ]
    if daemon:
        rows.append(
            (
                f"daemon RSS cycle 1 -> {daemon['cycles']}",
                f"{daemon['rss_mb_cycle1']:.1f} -> {daemon['rss_mb_last']:.1f} MB",
                f"growth {daemon['growth_mb']:+.1f} MB (target <= 20 MB); child peak median "
                f"{daemon['child_peak_mb_median']} MB (benchmarks/daemon_memory.py)",
            )
        )
    else:
        rows.append(("daemon RSS", "skipped (--daemon-cycles 0)", ""))
    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    print(f"{'measure':<{w1}}  {'median (min-max)':<{w2}}  note")
    for a, b, c in rows:
        print(f"{a:<{w1}}  {b:<{w2}}  {c}")
    summary = {
        "feeds": args.feeds,
        "items": args.items,
        "repeats": args.repeats,
        "relevant_fraction": args.relevant,
        "seed": args.seed,
        "archive_size": args.archive_size,
        "relevant_in_corpus": outcome["relevant_in_corpus"],
        "false_positives": outcome["false_positives"],
        **{k: round(v["median"], 4) for k, v in s.items()},
        "ranges": {k: [round(v["min"], 4), round(v["max"], 4)] for k, v in s.items()},
        "daemon": {k: round(v, 2) if isinstance(v, float) else v for k, v in daemon.items()},
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    print("BENCH_JSON " + json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
