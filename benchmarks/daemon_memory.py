"""Daemon memory over many cycles: the real `monitor daemon` against a loopback site.

    python benchmarks/daemon_memory.py --cycles 200 --tick 1

Each cycle is a child `monitor run`; the daemon's own RSS is read from /proc at the end of
cycle 1 and of the last cycle, and every child's peak RSS comes from the daemon's
`event=cycle_end ... child_maxrss_mb=` log lines (os.wait4's rusage). After each run the
harness marks the sources due again, as if their interval had passed, so every tick polls.
The feed changes every 10 cycles, so most polls are 304s and some archive new articles.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.loopback import SiteServer  # noqa: E402


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def feed(base: str, version: int) -> bytes:
    items = "".join(
        f"<item><title>County lines arrests {version}-{i}</title>"
        f"<link>{base}/news/{version}-{i}</link><description>Officers closed a county line."
        "</description></item>"
        for i in range(5)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>".encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--tick", type=int, default=1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="daemon-memory-"))
    db = tmp / "archive.db"
    with SiteServer(tmp) as site:
        state = {"version": 0}

        def route(handler: object) -> tuple[int, dict[str, str], bytes]:
            body = feed(site.base, state["version"] // 10)
            etag = f'"{state["version"] // 10}"'
            if handler.headers.get("If-None-Match") == etag:  # type: ignore[attr-defined]
                return 304, {"ETag": etag}, b""
            return 200, {"ETag": etag, "Content-Type": "application/rss+xml"}, body

        for name in ("a", "b"):
            site.routes[f"/{name}.xml"] = route
        cfg = tmp / "config.yaml"
        cfg.write_text(
            f"archive: {db}\nsources:\n"
            + "".join(
                f"  - name: {n}\n    url: {site.base}/{n}.xml\n    every: 1m\n"
                "    fetch_articles: false\n"
                for n in ("a", "b")
            )
        )
        log_path = tmp / "daemon.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "monitor", "daemon", "--config", str(cfg)]
                + ["--tick", str(args.tick)],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            samples: dict[int, int] = {}
            seen = 0
            started = time.monotonic()
            while seen < args.cycles:
                time.sleep(0.2)
                if proc.poll() is not None:
                    raise SystemExit(f"daemon exited early: {log_path}")
                if not db.exists():
                    continue
                con = sqlite3.connect(db, timeout=10)
                try:
                    done = con.execute(
                        "SELECT COUNT(*) FROM runs WHERE finished_at IS NOT NULL"
                    ).fetchone()[0]
                except sqlite3.OperationalError:
                    done = 0
                if done > seen:
                    seen = done
                    samples[seen] = rss_kb(proc.pid)
                    state["version"] = seen
                    with con:
                        con.execute("UPDATE sources SET next_poll_at = NULL")
                con.close()
            elapsed = time.monotonic() - started
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(30)
    text = log_path.read_text()
    children = [float(m) for m in re.findall(r"child_maxrss_mb=(\d+)", text)]
    con = sqlite3.connect(db)
    runs, articles = con.execute("SELECT COUNT(*), SUM(articles_new) FROM runs").fetchone()
    first, last = samples[min(samples)], samples[max(samples)]
    mid = samples[min(samples, key=lambda k: abs(k - args.cycles // 2))]
    print(f"cycles: {runs} in {elapsed:.0f} s (tick {args.tick} s); articles archived: {articles}")
    print(
        f"daemon RSS: cycle 1 {first / 1024:.1f} MB, cycle {args.cycles // 2} {mid / 1024:.1f} MB,"
        f" cycle {max(samples)} {last / 1024:.1f} MB (growth {(last - first) / 1024:+.1f} MB)"
    )
    print(
        f"child peak RSS per cycle: first {children[0]:.0f} MB, median "
        f"{statistics.median(children):.0f} MB, max {max(children):.0f} MB,"
        f" last {children[-1]:.0f} MB"
    )
    print(f"daemon exit code after SIGTERM: {code}; log: {log_path}")


if __name__ == "__main__":
    main()
