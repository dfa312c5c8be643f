"""Score relevance and figure extraction against the labelled eval cases.

Usage: python benchmarks/eval_extraction.py [--cases DIR] [--json] [--big]
Default cases: $MONITOR_EVAL_CASES, else <repo>/../shared/eval/cases.
--big also times relevance + figures on money-heavy pages of 64 KiB to 1 MiB (with and without
full stops), reporting wall and CPU seconds and the ratio per doubling (2.0 = linear).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from monitor import figures, relevance
from monitor.evaluation import cases_dir
from monitor.evaluation.scoring import Label, figure_scores, match, ratio, same_value
from monitor.items import Figure


def load_cases(cases_dir: Path) -> list[dict[str, Any]]:
    """Every case file in the directory, sorted by id."""
    cases = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(cases_dir.glob("*.json"))]
    return sorted(cases, key=lambda c: str(c["id"]))


def _label(g: dict[str, Any]) -> Label:
    return g["metric"], g["value"], g["qualifier"], g["scope"]


def match_figures(
    gold: list[dict[str, Any]], pred: list[Figure]
) -> tuple[list[tuple[dict[str, Any], Figure]], list[dict[str, Any]], list[Figure]]:
    """Match (metric, value) as multisets, preferring pairs that also agree on qualifier/scope."""
    return match(gold, pred, _label)


def _relevance_scores(cases: list[dict[str, Any]]) -> tuple[dict[str, float], list[str]]:
    """Precision/recall of assess() against the labels, plus the ids it got wrong."""
    tp = fp = fn = 0
    wrong: list[str] = []
    for c in cases:
        got, _ = relevance.assess(c["title"], c["text"])
        tp += got and c["relevant"]
        fp += got and not c["relevant"]
        fn += (not got) and c["relevant"]
        if got != c["relevant"]:
            wrong.append(f"{c['id']}: labelled {c['relevant']}, got {got}")
    return {"precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn)}, wrong


def evaluate(cases_dir: Path) -> dict[str, Any]:
    """Run relevance and figures over every case and return all scores and misses."""
    cases = load_cases(cases_dir)
    rel, rel_wrong = _relevance_scores(cases)
    tp = fp = fn = qual_ok = scope_ok = negative_figs = 0
    per: dict[str, Counter[str]] = {}
    misses: list[dict[str, Any]] = []
    for c in cases:
        pred = figures.extract(c["text"])
        if not c["relevant"]:
            negative_figs += len(pred)
            continue
        pairs, missed, extra = match_figures(c["figures"], pred)
        tp, fn, fp = tp + len(pairs), fn + len(missed), fp + len(extra)
        for g, p in pairs:
            qual_ok += g["qualifier"] == p.qualifier
            scope_ok += g["scope"] == p.scope
            per.setdefault(g["metric"], Counter())["tp"] += 1
            if g["qualifier"] != p.qualifier or g["scope"] != p.scope:
                misses.append(
                    {
                        "case": c["id"],
                        "type": "attr",
                        "metric": g["metric"],
                        "value": g["value"],
                        "want": [g["qualifier"], g["scope"]],
                        "got": [p.qualifier, p.scope],
                        "evidence": g["evidence"],
                    }
                )
        for g in missed:
            per.setdefault(g["metric"], Counter())["fn"] += 1
            misses.append(
                {
                    "case": c["id"],
                    "type": "FN",
                    "metric": g["metric"],
                    "value": g["value"],
                    "evidence": g["evidence"],
                }
            )
        for p in extra:
            per.setdefault(p.metric, Counter())["fp"] += 1
            misses.append(
                {
                    "case": c["id"],
                    "type": "FP",
                    "metric": p.metric,
                    "value": p.value,
                    "evidence": p.evidence[:160],
                }
            )
    return {
        "cases": len(cases),
        "relevance": rel,
        "relevance_errors": rel_wrong,
        "figures": figure_scores(tp, fp, fn),
        "qualifier_accuracy": ratio(qual_ok, tp),
        "scope_accuracy": ratio(scope_ok, tp),
        "figures_on_negatives": negative_figs,
        "per_metric": {
            m: {
                "precision": ratio(n["tp"], n["tp"] + n["fp"]),
                "recall": ratio(n["tp"], n["tp"] + n["fn"]),
                **dict(n),
            }
            for m, n in sorted(per.items())
        },
        "misses": misses,
        **dict(zip(("ms_per_article", "cpu_ms_per_article"), _timing(cases), strict=True)),
        "extractor": figures.EXTRACTOR_VERSION,
    }


def _timing(cases: list[dict[str, Any]], rounds: int = 20) -> tuple[float, float]:
    """Mean wall and CPU milliseconds for assess + extract on one case (the budget is 1 ms).

    CPU time is reported beside wall time because on a shared machine wall time swings 2x.
    """
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for c in cases:
            relevance.assess(c["title"], c["text"])
            figures.extract(c["text"])
    n = rounds * max(1, len(cases))
    return (time.perf_counter() - start) * 1000 / n, (time.process_time() - cpu) * 1000 / n


_MONEY = (
    "Officers seized £1,200 in cash, £3,400 worth of cocaine and 2kg of cannabis, arrested 12 "
    "people, charged 4, closed 3 county lines and recovered more than £6,000 of heroin"
)


def big_page_timing(sizes: tuple[int, ...] = (32_768, 65_536, 131_072, 1_048_576)) -> list[str]:
    """Wall and CPU seconds for assess + extract on large money-heavy pages (issue 17, item 2).

    Linear work shows as a steady CPU cost per KiB actually read (figures read at most
    MAX_TEXT characters, so a 1 MiB page costs what its first MAX_TEXT characters cost).
    """
    from monitor.figures.extractor import MAX_TEXT

    lines = [f"large pages (figures read at most {MAX_TEXT:,} characters):"]
    for stops, label in ((". ", "sentences"), (", and ", "no full stops")):
        unit = _MONEY + stops
        for size in sizes:
            text = (unit * (size // len(unit) + 1))[:size]
            wall, cpu = time.perf_counter(), time.process_time()
            relevance.assess("", text)
            found = figures.extract(text)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            per_kib = cpu * 1e6 / (min(size, MAX_TEXT) / 1024)
            lines.append(
                f"  {size // 1024:>5} KiB, {label}: {wall:.3f} s wall, {cpu:.3f} s cpu "
                f"({per_kib:.0f} us cpu per KiB read), {len(found)} figures"
            )
    return lines


def quantulum_baseline(cases_dir: Path) -> str:
    """Value recall of quantulum3 on the same labels, for comparison, when it is installed."""
    try:
        from quantulum3 import parser
    except ImportError:
        return "quantulum3 not installed: baseline comparison skipped"
    found = total = 0
    for c in load_cases(cases_dir):
        values = [q.value for q in parser.parse(c["text"])]
        for g in c["figures"]:
            total += 1
            found += any(same_value(v, g["value"]) for v in values)
    return (
        f"quantulum3 value recall (no metric typing): {ratio(found, total):.3f} ({found}/{total})"
    )


def _print_report(r: dict[str, Any], baseline: str) -> None:
    """Human-readable summary, then every miss with its case id and evidence."""
    f = r["figures"]
    print(f"cases: {r['cases']}  extractor: {r['extractor']}")
    print(f"relevance  P={r['relevance']['precision']:.3f}  R={r['relevance']['recall']:.3f}")
    for line in r["relevance_errors"]:
        print(f"  relevance miss {line}")
    print(
        f"figures    P={f['precision']:.3f}  R={f['recall']:.3f}  F1={f['f1']:.3f}  "
        f"(tp={f['tp']} fp={f['fp']} fn={f['fn']})"
    )
    print(
        f"qualifier accuracy {r['qualifier_accuracy']:.3f}   "
        f"scope accuracy {r['scope_accuracy']:.3f}"
    )
    print(f"figures extracted from negative cases (not scored): {r['figures_on_negatives']}")
    print(
        f"speed: {r['ms_per_article']:.3f} ms wall, {r['cpu_ms_per_article']:.3f} ms CPU "
        "per article (assess + extract)"
    )
    print("per metric:")
    for m, s in r["per_metric"].items():
        print(
            f"  {m:<18} P={s['precision']:.2f} R={s['recall']:.2f}  "
            f"tp={s.get('tp', 0)} fp={s.get('fp', 0)} fn={s.get('fn', 0)}"
        )
    print("misses:")
    for m in r["misses"]:
        extra = f" want {m['want']} got {m['got']}" if m["type"] == "attr" else ""
        print(f"  [{m['case']}] {m['type']} {m['metric']}={m['value']}{extra} | {m['evidence']}")
    print(baseline)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=Path, default=cases_dir())
    ap.add_argument("--json", action="store_true", help="print the scores as JSON")
    ap.add_argument("--big", action="store_true", help="also time 64 KiB - 1 MiB pages")
    args = ap.parse_args(argv)
    if not args.cases.is_dir():
        print(f"no eval cases at {args.cases}", file=sys.stderr)
        return 2
    report = evaluate(args.cases)
    baseline = quantulum_baseline(args.cases)
    if args.json:
        print(json.dumps({**report, "baseline": baseline}, indent=2))
    else:
        _print_report(report, baseline)
    if args.big:
        print("\n".join(big_page_timing()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
