"""Issue 17 item 1: one cycle with a police feed whose candidate pages hang, among good feeds.

Prints the cycle's wall time and CPU seconds, and how many good sources were polled, charged
or never reached. Everything is on loopback (the hung host is 127.0.0.50, good feeds on
127.0.1.N). Repeat with:

    PYTHONPATH=. python benchmarks/hanging_host.py --good 30 --pages 40 --timeout 3 --cycle 10
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import threading
from pathlib import Path

from sqlite_utils import Database

from tests.test_hostile import run_monitor
from tests.test_hostile_two import config, hanging_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--good", type=int, default=30)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--timeout", type=int, default=3)
    parser.add_argument("--cycle", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp)
        release = threading.Event()
        stack, sources = hanging_world(path, args.good, args.pages, release)
        cfg = config(path / "c.yaml", sources, timeout=args.timeout, cycle_timeout=args.cycle)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            with stack:
                run = run_monitor("run", "--all", "--config", str(cfg), "--db", str(path / "a.db"))
        finally:
            release.set()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        db = Database(path / "a.db")
        good = [r for r in db["sources"].rows if r["id"].startswith("good-")]
        polled = sum(bool(r["last_success_at"]) for r in good)
        charged = sum(bool(r["error_score"]) for r in good)
        print(
            f"cycle_timeout={args.cycle}s timeout={args.timeout}s wall={run.seconds:.1f}s "
            f"cpu={cpu:.1f}s good_polled={polled}/{len(good)} good_charged={charged} "
            f"exit={run.returncode}"
        )


if __name__ == "__main__":
    main()
