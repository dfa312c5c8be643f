"""Held-out check: relevance and figures on the bundled demo web (monitor/demo/site).

The expected figures are copied exactly from monitor/demo/EXPECTED.md, which was written
independently of the extraction rules. Each page runs the real path: main text (trafilatura),
relevance.assess(title, body), then figures.extract(body) when relevant.

Usage: python benchmarks/eval_demo.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from monitor import figures, relevance, text
from monitor.demo import SITE  # the bundled demo web
from monitor.evaluation.scoring import figure_scores, match, ratio

# (metric, value, qualifier, scope), as listed in EXPECTED.md.
Row = tuple[str, float, str, str]
_H7: list[Row] = [
    ("lines_closed", 172, "exact", "national"),
    ("arrests", 1360, "exact", "national"),
    ("weapons_seized", 321, "exact", "national"),
    ("drugs_value_gbp", 2_700_000, "more_than", "national"),
    ("cash_seized_gbp", 987_562, "exact", "national"),
    ("firearms_seized", 43, "exact", "national"),
    ("safeguarded", 1255, "exact", "national"),
]
_FUNDING: Row = ("funding_gbp", 145_000_000, "up_to", "national")
_OLDHAM: list[Row] = [
    ("lines_closed", 1, "exact", "case"),
    ("arrests", 4, "exact", "case"),
    ("warrants_executed", 3, "exact", "case"),
    ("drugs_weight_kg", 1.2, "about", "case"),
    ("cash_seized_gbp", 12_450, "exact", "case"),
]
_GMP = "gmp/news/greater-manchester/news/news/2022/october/"
_MERSEY = "merseyside/news/merseyside/news/news/2022/october-2022/"
_KENT = "news/kent/news/news/2022/october/"

RELEVANT: dict[str, list[Row]] = {
    "npcc/releases/record-172-county-lines-closed-in-a-single-week-of-action/": [
        *_H7,
        ("arrests", 3, "exact", "case"),
        ("warrants_executed", 15, "exact", "force"),
        ("drugs_value_gbp", 508_000, "more_than", "force"),
        ("cash_seized_gbp", 20_000, "more_than", "force"),
        ("drugs_weight_kg", 7, "exact", "force"),
        _FUNDING,
    ],
    "men/news/uk-news/county-lines-crackdown-record-172-drug-25268431/": [*_H7, _FUNDING],
    "echo/news/23052917.police-close-172-county-drug-lines-one-week/": list(_H7),
    "bbc/news/articles/c8v4lk2pj0zo/": list(_H7),
    _GMP + "county-line-shut-down-and-four-arrested-after-oldham-drugs-raids/": list(_OLDHAM),
    "men/news/greater-manchester-news/dee-county-line-oldham-raids-25259012/": list(_OLDHAM),
    _MERSEY + "line-holder-jailed-for-running-benz-county-line-into-north-wales/": [
        ("sentence_years", 6.333, "exact", "case"),
    ],
    "met/news/three-jailed-for-running-county-line-from-lewisham-to-hastings-458213/": [
        ("sentence_years", 5.5, "exact", "case"),
        ("sentence_years", 4, "exact", "case"),
        ("sentence_years", 3.75, "exact", "case"),
    ],
    "nca/news/eight-arrested-as-nca-dismantles-county-lines-network-supplying-coastal-towns/": [
        ("arrests", 8, "exact", "case"),
        ("warrants_executed", 6, "exact", "case"),
        ("drugs_weight_kg", 3, "exact", "case"),
        ("cash_seized_gbp", 48_000, "exact", "case"),
        ("phones_seized", 2, "exact", "case"),
        ("lines_closed", 2, "exact", "case"),
    ],
    "govuk/government/news/up-to-145-million-to-crack-down-on-county-lines-gangs/": [_FUNDING],
    _KENT + "officers-visit-46-homes-at-risk-of-cuckooing-in-county-lines-crackdown/": [
        ("cuckooing_visits", 46, "exact", "force"),
        ("arrests", 11, "exact", "force"),
        ("cash_seized_gbp", 8200, "exact", "force"),
    ],
}

NOT_RELEVANT: list[str] = [
    _GMP + "cannabis-farm-with-around-300-plants-found-in-wigan-loft/",
    _GMP + "appeal-after-burglary-in-heaton-moor/",
    _MERSEY + "101-phone-lines-affected-by-technical-fault/",
    _MERSEY + "drivers-urged-to-take-care-as-yellow-weather-warning-for-rain-comes-into-force/",
    "met/news/man-charged-with-murder-after-fatal-stabbing-in-tottenham-458190/",
    "met/news/road-closures-in-place-for-remembrance-sunday-in-westminster-458305/",
    "nca/news/cocaine-worth-100-million-found-in-banana-shipment-at-london-gateway/",
    "nca/news/fraudster-who-stole-from-pensioners-jailed/",
    "govuk/government/news/police-uplift-15343-additional-officers-recruited/",
    "govuk/government/news/fire-and-rescue-incident-statistics-year-ending-june-2022/",
    "bbc/news/articles/cz7r3m1xv5wo/",
    "bbc/news/articles/c3g8n1j2dk4o/",
    "men/sport/football/stockport-county-lines-up-loan-25265540/",
    "echo/news/23049876.three-bus-lines-across-county-axed-timetable-shake-up/",
    "echo/news/23047312.southampton-drug-dealer-jailed-cocaine-found-flat/",
    "npcc/releases/police-chiefs-welcome-national-wellbeing-service-for-officers-and-staff/",
    "npcc/releases/new-national-guidance-on-responding-to-stalking-published/",
    _KENT + "officers-catch-37-drivers-using-mobile-phones-in-week-long-campaign/",
    _KENT + "missing-dover-woman-found-safe-and-well/",
]


def page_title(page: bytes) -> str:
    """The page's first <h1>, else its <title> (what `monitor extract` uses as the title)."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(page)
    for xpath in ("//h1", "//title"):
        found = tree.xpath(xpath)
        if found:
            return text.plain(found[0].text_content())
    return ""


def load_page(path: str) -> tuple[str, str]:
    """(title, main text) of one demo article page."""
    raw = (SITE / path / "index.html").read_bytes()
    return page_title(raw), text.main_text(raw)


def evaluate() -> dict[str, Any]:
    """Relevance and figure scores over every demo article page, with each miss listed."""
    texts = {p: load_page(p) for p in [*RELEVANT, *NOT_RELEVANT]}
    tp = fp = fn = qual_ok = scope_ok = 0
    misses: list[str] = []
    rel_tp = rel_fp = rel_fn = 0
    for path, (title, body) in texts.items():
        want_rel = path in RELEVANT
        got_rel, _ = relevance.assess(title, body)
        rel_tp += got_rel and want_rel
        rel_fp += got_rel and not want_rel
        rel_fn += want_rel and not got_rel
        if got_rel != want_rel:
            misses.append(f"[{path}] relevance: want {want_rel}, got {got_rel}")
        if not want_rel:
            continue
        pred = figures.extract(body) if got_rel else []
        pairs, missed, extra = match(RELEVANT[path], pred, lambda g: g)
        tp, fn, fp = tp + len(pairs), fn + len(missed), fp + len(extra)
        for g, p in pairs:
            qual_ok += g[2] == p.qualifier
            scope_ok += g[3] == p.scope
            if (g[2], g[3]) != (p.qualifier, p.scope):
                misses.append(
                    f"[{path}] attr {g[0]}={g[1]} want {[g[2], g[3]]} "
                    f"got {[p.qualifier, p.scope]} | {p.evidence[:120]}"
                )
        misses += [f"[{path}] FN {g[0]}={g[1]} {g[2]} {g[3]}" for g in missed]
        misses += [f"[{path}] FP {p.metric}={p.value} | {p.evidence[:120]}" for p in extra]
    return {
        "pages": len(texts),
        "relevance": {
            "precision": ratio(rel_tp, rel_tp + rel_fp),
            "recall": ratio(rel_tp, rel_tp + rel_fn),
        },
        "figures": figure_scores(tp, fp, fn),
        "qualifier_accuracy": ratio(qual_ok, tp),
        "scope_accuracy": ratio(scope_ok, tp),
        "misses": misses,
        "ms_per_article": _timing(list(texts.values())),
        "extractor": figures.EXTRACTOR_VERSION,
    }


def _timing(texts: list[tuple[str, str]], rounds: int = 50) -> float:
    """Mean milliseconds for assess + extract per page (main-text extraction excluded)."""
    start = time.perf_counter()
    for _ in range(rounds):
        for title, body in texts:
            relevance.assess(title, body)
            figures.extract(body)
    return (time.perf_counter() - start) * 1000 / (rounds * max(1, len(texts)))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = ap.parse_args(argv)
    r = evaluate()
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    f = r["figures"]
    print(f"demo pages: {r['pages']}  extractor: {r['extractor']}")
    print(f"relevance  P={r['relevance']['precision']:.3f}  R={r['relevance']['recall']:.3f}")
    print(
        f"figures    P={f['precision']:.3f}  R={f['recall']:.3f}  F1={f['f1']:.3f}  "
        f"(tp={f['tp']} fp={f['fp']} fn={f['fn']})"
    )
    qual, scope = r["qualifier_accuracy"], r["scope_accuracy"]
    print(f"qualifier accuracy {qual:.3f}   scope accuracy {scope:.3f}")
    print(f"speed: {r['ms_per_article']:.3f} ms per page (assess + extract)")
    print("misses:" if r["misses"] else "misses: none")
    for line in r["misses"]:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
