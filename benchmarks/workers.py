"""Worker-scaling benchmark: one cycle over a generated corpus with 1, 2 and 4 `monitor worker`s.

    python benchmarks/workers.py                          # 40 feeds x 20 items, workers 1,2,4
    python benchmarks/workers.py --feeds 50 --items 40 --workers 1,2,4 --repeats 2
    python benchmarks/workers.py --latency 0.2            # each response 200 ms away

The corpus is benchmarks/corpus.py's (the performance issue's): every feed its own site on its
own loopback address, served from a separate process so the harness takes no CPU from the
workers. For each worker count: a fresh redis-server and archive, N workers started and
registered *before* the clock starts (process start-up is not throughput), then
`enqueue_cycle` (all sources) and the archiver (`once`) until the run is closed. The same cycle
through the single-process `monitor run --all` is the baseline (its time includes its start-up,
about 1.5 s, reported separately). Prints a table and one `BENCH_JSON ` line.

On one machine every worker, the archiver, Redis and the web servers share the same cores, so
the gain is bounded by the core count; see docs/scale-out.md for what to expect across machines.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import corpus as corpus_mod  # noqa: E402  (benchmarks/corpus.py)

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
PRELUDE = (
    "import sys; from monitor import cli, config; cli.setup_logging(); "
    "cfg = config.load(sys.argv[1]); from monitor import distributed as d; "
)


def host_for(index: int) -> str:
    return f"127.0.{1 + index // 240}.{10 + index % 240}"


def _serve(root: str, hosts: list[str], ports: Any, latency: float) -> None:
    """Child process: one SiteServer per site, each on its own loopback address."""
    from contextlib import ExitStack

    from monitor.loopback import SiteServer

    with ExitStack() as stack:
        for i, host in enumerate(hosts):
            site = stack.enter_context(SiteServer(Path(root) / f"site-{i:03d}", host=host))
            if latency:
                answer = site.answer

                def slow(handler: Any, answer: Any = answer) -> Any:
                    time.sleep(latency)
                    return answer(handler)

                site.answer = slow  # type: ignore[method-assign]
            ports[i] = int(site.base.rsplit(":", 1)[1])
        signal.sigwait({signal.SIGTERM})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    import redis

    port = free_port()
    data = work / f"redis-{port}"
    data.mkdir()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    row = conn.execute("SELECT COUNT(*), COUNT(fetched_at), SUM(relevant) FROM articles").fetchone()
    figures = conn.execute("SELECT COUNT(*) FROM figures").fetchone()[0]
    conn.close()
    return {"articles": row[0], "fetched": row[1], "relevant": row[2] or 0, "figures": figures}


def single(config: Path, work: Path, tag: str) -> dict[str, Any]:
    db = work / f"single-{tag}.db"
    start, children = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--all", "--config", str(config), "--db", str(db)],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    return {"wall": wall, "workers_cpu": _cpu(resource.RUSAGE_CHILDREN) - children, **counts(db)}


def distributed(config_text: str, work: Path, n: int, tag: str, max_polls: int) -> dict[str, Any]:
    import redis

    from monitor import config as config_mod
    from monitor.distributed import enqueue_cycle, run_archiver

    redis_proc, url = start_redis(work)
    config = work / f"dist-{tag}.yaml"
    config.write_text(config_text + f"\nredis: {url}\n")
    cfg = config_mod.load(str(config))
    db = work / f"dist-{tag}.db"
    server = redis.Redis.from_url(url)
    code = "d.run_worker(cfg, sys.argv[1], worker_id=sys.argv[2], max_polls=int(sys.argv[3]))"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", PRELUDE + code, str(config), f"w{i}", str(max_polls)],
            cwd=ROOT,
            env=ENV,
            stderr=subprocess.DEVNULL,
        )
        for i in range(n)
    ]
    try:
        deadline = time.monotonic() + 120
        while server.scard("monitor:workers") < n:
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not start")
            time.sleep(0.05)
        children = _cpu(resource.RUSAGE_CHILDREN)
        start, own = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
        enqueue_cycle(cfg, db, (), True, "manual")
        result = run_archiver(cfg, db, once=True, wait=0.2)
        wall, own = time.perf_counter() - start, _cpu(resource.RUSAGE_SELF) - own
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            proc.wait(60)
        redis_proc.terminate()
        redis_proc.wait(10)
    # workers' CPU over their whole life (start-up ~1.5 s each included), plus redis-server's
    workers_cpu = _cpu(resource.RUSAGE_CHILDREN) - children
    return {
        "wall": wall,
        "runs": len(result["runs"]),
        "workers_cpu": workers_cpu,
        "archiver_cpu": own,
        **counts(db),
    }


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def archiver_alone(config_text: str, work: Path, max_polls: int) -> dict[str, Any]:
    """The archiver's own rate: let 2 workers finish every poll first, then time the archiver."""
    import redis

    from monitor import config as config_mod
    from monitor.distributed import enqueue_cycle, run_archiver

    redis_proc, url = start_redis(work)
    config = work / "alone.yaml"
    config.write_text(config_text + f"\nredis: {url}\n")
    cfg = config_mod.load(str(config))
    db = work / "alone.db"
    server = redis.Redis.from_url(url)
    code = "d.run_worker(cfg, sys.argv[1], worker_id=sys.argv[2], max_polls=int(sys.argv[3]))"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", PRELUDE + code, str(config), f"a{i}", str(max_polls)],
            cwd=ROOT,
            env=ENV,
            stderr=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    try:
        queued = enqueue_cycle(cfg, db, (), True, "manual")["queued"]
        while server.llen("monitor:results") < queued:
            time.sleep(0.1)
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            proc.wait(60)
    try:
        start = time.perf_counter()
        result = run_archiver(cfg, db, once=True, wait=0.05)
        wall = time.perf_counter() - start
    finally:
        redis_proc.terminate()
        redis_proc.wait(10)
    return {"wall": wall, "new": result.get("articles_new", 0), **counts(db)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--feeds", type=int, default=40)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--max-polls", type=int, default=8, help="polls in flight per worker")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to each response")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server not on PATH (apt-get install redis-server)")
    ns = [int(n) for n in args.workers.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    corpus = corpus_mod.generate(work / "corpus", args.feeds, args.items, seed=args.seed)
    hosts = [host_for(f.index) for f in corpus.feeds]
    ports = multiprocessing.Array("i", len(hosts))
    server = multiprocessing.Process(
        target=_serve, args=(str(corpus.root), hosts, ports, args.latency), daemon=True
    )
    server.start()
    try:
        while not all(ports[:]):
            time.sleep(0.05)
        bases = [f"http://{h}:{p}" for h, p in zip(hosts, ports[:], strict=True)]
        config_text = corpus.config_yaml(bases, str(work / "unused.db"))
        (work / "single.yaml").write_text(config_text)
        rows: dict[str, list[dict[str, Any]]] = {"single": []}
        for n in ns:
            rows[f"{n} worker{'s' if n > 1 else ''}"] = []
        for rep in range(args.repeats):
            rows["single"].append(single(work / "single.yaml", work, str(rep)))
            for n in ns:
                key = f"{n} worker{'s' if n > 1 else ''}"
                rows[key].append(distributed(config_text, work, n, f"{n}-{rep}", args.max_polls))
        alone = archiver_alone(config_text, work, args.max_polls)
    finally:
        server.terminate()
        server.join(10)
    items = len(corpus.items)
    base = statistics.median(r["wall"] for r in rows["single"])
    first = statistics.median(r["wall"] for r in rows[next(k for k in rows if k != "single")])
    print(
        f"corpus: {args.feeds} feeds x {args.items} items = {items} entries;"
        f" {os.cpu_count()} CPUs; latency {args.latency * 1000:.0f} ms; repeats {args.repeats}"
    )
    print(
        f"{'mode':<12} {'wall s':>8} {'entries/s':>10} {'pages/s':>8} {'vs 1 worker':>12}"
        f" {'crawl CPU s':>12} {'archiver CPU s':>15} {'articles':>9} {'figures':>8}"
    )
    summary = {}
    for key, runs in rows.items():
        wall = statistics.median(r["wall"] for r in runs)
        last = runs[-1]
        speed = "" if key == "single" else f"{first / wall:.2f}x"
        print(
            f"{key:<12} {wall:>8.2f} {items / wall:>10.1f} {last['fetched'] / wall:>8.1f}"
            f" {speed:>12} {last['workers_cpu']:>12.1f} {last.get('archiver_cpu', 0):>15.1f}"
            f" {last['articles']:>9} {last['figures']:>8}"
        )
        summary[key] = {**last, "wall": wall, "entries_per_s": items / wall}
    print(f"(single includes ~1.5 s process start-up; baseline {base:.2f} s)")
    rate = alone["new"] / alone["wall"]
    print(
        f"archiver alone: {alone['new']} articles ({alone['relevant']} relevant, placed in"
        f" stories) in {alone['wall']:.2f} s = {rate:.0f} articles/s"
    )
    summary["archiver_alone"] = {**alone, "articles_per_s": rate}
    print("BENCH_JSON " + json.dumps({"feeds": args.feeds, "items": args.items, **summary}))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
