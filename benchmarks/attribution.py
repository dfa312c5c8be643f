"""What attribution (force, period, operation) adds to figure extraction, per article size.

The text is the 93 eval cases' texts joined and repeated to each size, so the money, dates and
force names are real-shaped. For each size: figures.extract alone, then extract + attribute over
the same text; wall and CPU seconds, and the ratio of the attribution step to extraction. On a
shared 2-core machine compare within one run (DESIGN.md).

Usage: python benchmarks/attribution.py [--sizes 16,64,256] (KiB)
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from monitor import attribution, figures  # noqa: E402

EVAL = Path("/work/shared/eval/cases")


def _corpus() -> str:
    texts = [json.loads(Path(f).read_text())["text"] for f in sorted(glob.glob(f"{EVAL}/*.json"))]
    return "\n\n".join(texts)


def _timed(fn):  # noqa: ANN001, ANN202
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="16,64,256")
    args = parser.parse_args()
    corpus = _corpus()
    print(
        f"{'KiB':>5} {'figures':>7} {'extract wall/cpu s':>19} {'attribute wall/cpu s':>21} ratio"
    )
    for kib in (int(s) for s in args.sizes.split(",")):
        text = (corpus * (1 + kib * 1024 // len(corpus)))[: kib * 1024]
        ctx = attribution.ArticleContext("Results", text, "2025-07-28T09:00:00+00:00")
        found, ew, ec = _timed(lambda: figures.extract(text))  # noqa: B023
        _, aw, ac = _timed(lambda: attribution.attribute(found, ctx))  # noqa: B023
        print(
            f"{kib:>5} {len(found):>7} {ew:>9.3f} / {ec:<8.3f} {aw:>10.3f} / {ac:<8.3f} {ac / ec:.3f}"
        )


if __name__ == "__main__":
    main()
