"""A/B of whole cycles: checkouts (and `workers:` values) alternated on the same servers.

    git worktree add /tmp/before 613a74a
    python benchmarks/ab.py before=/tmp/before new=.:auto inline=.:0 --rounds 4

Ratios across runs of cycle.py move with the machine (a shared 2-core box swings 2x), so a
change is judged here: one corpus (cycle.py's, 50 feeds x 40 items by default), one set of
loopback servers, and round after round each variant's cold cycle (`monitor run --all` on a
fresh archive) then its re-poll (every feed answers 304), each variant's `monitor` run from its
own checkout (`python -m monitor` with that checkout first on the path). A variant is
`label=CHECKOUT[:WORKERS]`; WORKERS is written as `workers:` into its config (leave it out for
a checkout older than that key). Prints medians and min-max of wall and CPU seconds, and each
re-poll against an empty Scrapy spider started in the same round. Each checkout's modules are
byte-compiled first (cycle.compile_sources).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus as corpus_mod  # noqa: E402
import cycle  # noqa: E402


@dataclass
class Variant:
    label: str
    checkout: Path
    workers: str | None
    runs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Variant:
        label, _, spec = text.partition("=")
        path, _, workers = spec.partition(":")
        if not label or not path:
            raise SystemExit(f"{text!r}: expected label=CHECKOUT[:WORKERS]")
        checkout = Path(path).resolve()
        if not (checkout / "monitor" / "__main__.py").exists():
            raise SystemExit(f"{text!r}: {checkout} is not a checkout of the monitor")
        return cls(label, checkout, workers or None)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(variant: Variant, config: Path, db: Path) -> tuple[float, float]:
    """(wall, CPU seconds of the process and its workers) of one `monitor run --all`."""
    cpu, start = children_cpu(), time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--all", "--config", str(config), "--db", str(db)],
        cwd=variant.checkout,
        env={**os.environ, "PYTHONPATH": str(variant.checkout)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{variant.label}: monitor run exited {proc.returncode}\n{proc.stderr}")
    return time.perf_counter() - start, children_cpu() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("variants", nargs="+", help="label=CHECKOUT[:WORKERS]")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--feeds", type=int, default=50)
    ap.add_argument("--items", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    variants = [Variant.parse(v) for v in args.variants]
    for v in variants:
        cycle.compile_sources(v.checkout)
    empty: list[tuple[float, float]] = []
    work = Path(tempfile.mkdtemp(prefix="monitor-ab-"))
    corpus = corpus_mod.generate(work / "web", args.feeds, args.items, 0.1, args.seed)
    with ExitStack() as stack:
        sites = cycle.serve(stack, corpus)
        base = corpus.config_yaml([s.base for s in sites], str(work / "a.db"))
        for r in range(args.rounds):
            for v in variants:
                config = work / f"{v.label}.yaml"
                key = f"workers: {v.workers}\nsources:"
                config.write_text(base.replace("sources:", key, 1) if v.workers else base)
                db = work / f"{v.label}-{r}.db"
                for phase in ("cold", "re-poll"):
                    wall, cpu = run(v, config, db)
                    v.runs.setdefault(phase, []).append((wall, cpu))
                    print(f"round {r + 1} {v.label} {phase}: {wall:.2f} s, CPU {cpu:.2f} s")
            got = cycle.timed_process([sys.executable, "-c", cycle.EMPTY_SPIDER])
            empty.append((got["wall"], got["cpu"]))
    print(f"\n{'variant':<16}{'phase':<9}{'wall median (min-max)':<26}CPU median (min-max)")
    for v in variants:
        for phase, runs in v.runs.items():
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(
                f"{v.label:<16}{phase:<9}"
                f"{statistics.median(walls):.3f} s ({min(walls):.2f}-{max(walls):.2f})".ljust(51)
                + f"{statistics.median(cpus):.3f} s ({min(cpus):.2f}-{max(cpus):.2f})"
            )
    walls, cpus = [w for w, _ in empty], [c for _, c in empty]
    print(
        f"{'empty spider':<25}{statistics.median(walls):.3f} s".ljust(51)
        + f"{statistics.median(cpus):.3f} s  (Scrapy's start-up alone, once a round)"
    )
    for v in variants:
        ratio = [w / e for (w, _), (e, _) in zip(v.runs["re-poll"], empty, strict=True)]
        ratio_cpu = [c / e for (_, c), (_, e) in zip(v.runs["re-poll"], empty, strict=True)]
        print(
            f"{v.label:<16}re-poll / empty spider, same round: {statistics.median(ratio):.2f}x"
            f" ({min(ratio):.2f}-{max(ratio):.2f}), CPU {statistics.median(ratio_cpu):.2f}x"
        )


if __name__ == "__main__":
    main()
