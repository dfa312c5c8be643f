"""Which feed entries deserve a page fetch? Candidate rules scored on labelled cases and the corpus.

A page fetch is the most expensive thing a cycle does, so the rule that picks which entries to
fetch decides the cycle's cost; a rule that skips a relevant entry loses it for good (its page is
never read). Each rule sees what a feed gives: the headline, a summary (here the case text's first
28 words, as real feeds truncate) and the source's kind. Scored on:
- ../shared/eval/cases: recall over relevant cases (must stay 1.00) and share of all cases fetched;
- the benchmark corpus (benchmarks/corpus.py): recall over relevant items, pages fetched, and
  pages saved against fetching every entry.

    python benchmarks/candidates.py [--cases DIR] [--feeds 50 --items 40]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import corpus as corpus_mod  # noqa: E402

from monitor import relevance  # noqa: E402

SUMMARY_WORDS = 28
_OFFICIAL = re.compile(
    r"police|constabulary|home office|gov\.uk|crime agency|rocu|organised crime unit|emsou|"
    r"special operations|npcc|police chiefs|crown prosecution|commissioner",
    re.I,
)
_DRUGS = (
    "drug",
    "cocaine",
    "heroin",
    "crack",
    "cannabis",
    "class a",
    "class b",
    "ketamine",
    "mdma",
    "deal",
    "supply",
    "county line",
    "cuckoo",
)
# Drugs, exploitation and the outcomes a county-lines release leads with, without the generic
# policing words (arrest, warrant, weapon, charged, operation) that every crime story has.
_NARROW = (
    *_DRUGS,
    "exploit",
    "vulnerable",
    "safeguard",
    "traffick",
    "modern slavery",
    "jailed",
    "sentenced",
    "line holder",
    "intensification",
    "nclcc",
    "orochi",
)


@dataclass(frozen=True)
class Entry:
    """What a feed says about an item before its page is fetched."""

    title: str
    summary: str
    kind: str  # police | gov | press


def _low(e: Entry) -> str:
    return f"{e.title} {e.summary}".lower()


RULES: dict[str, Callable[[Entry], bool]] = {
    "fetch everything": lambda e: True,
    "lexicon terms only (county lines, cuckooing, deal line...)": lambda e: bool(
        relevance.matched_terms(f"{e.title}\n{e.summary}")
    ),
    "drug vocabulary": lambda e: any(k in _low(e) for k in _DRUGS),
    "is_candidate (today: drugs + policing + exploitation substrings)": lambda e: (
        relevance.is_candidate(e.title, e.summary)
    ),
    "official source: everything; press: is_candidate": lambda e: (
        e.kind in ("police", "gov") or relevance.is_candidate(e.title, e.summary)
    ),
    "drugs + exploitation + jailed/sentenced/safeguarded": lambda e: any(
        k in _low(e) for k in _NARROW
    ),
    "official source: is_candidate; press: drug vocabulary": lambda e: (
        relevance.is_candidate(e.title, e.summary)
        if e.kind in ("police", "gov")
        else any(k in _low(e) for k in _DRUGS)
    ),
}


def _case_entries(cases_dir: Path) -> list[tuple[Entry, bool]]:
    out = []
    for path in sorted(cases_dir.glob("*.json")):
        c = json.loads(path.read_text(encoding="utf-8"))
        body = c["text"].split("\n", 1)[-1]  # the first line repeats the headline
        summary = " ".join(body.split()[:SUMMARY_WORDS])
        kind = "police" if _OFFICIAL.search(c.get("publisher") or "") else "press"
        out.append((Entry(c["title"], summary, kind), bool(c["relevant"])))
    return out


def _corpus_entries(feeds: int, items: int) -> list[tuple[Entry, bool]]:
    with tempfile.TemporaryDirectory() as tmp:
        corp = corpus_mod.generate(Path(tmp), feeds, items, write=False)
    kinds = {f.index: f.kind for f in corp.feeds}
    return [(Entry(i.title, i.summary, kinds[i.feed]), i.relevant) for i in corp.items]


def score(rows: list[tuple[Entry, bool]], rule: Callable[[Entry], bool]) -> dict[str, float]:
    """Recall over relevant rows, rows fetched, and the share of all rows fetched."""
    relevant = [e for e, r in rows if r]
    fetched = sum(rule(e) for e, _ in rows)
    kept = sum(rule(e) for e in relevant)
    return {
        "recall": kept / len(relevant) if relevant else 1.0,
        "fetched": fetched,
        "share": fetched / len(rows) if rows else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cases", type=Path, default=ROOT.parent / "shared" / "eval" / "cases")
    ap.add_argument("--feeds", type=int, default=50)
    ap.add_argument("--items", type=int, default=40)
    args = ap.parse_args()
    cases = _case_entries(args.cases) if args.cases.is_dir() else []
    corp = _corpus_entries(args.feeds, args.items)
    every = len(corp)
    print(
        f"eval cases: {len(cases)} ({sum(r for _, r in cases)} relevant); corpus: {every}"
        f" entries ({sum(r for _, r in corp)} relevant)"
    )
    print(
        f"{'rule':<66} {'eval recall':>11} {'eval fetched':>12} {'corpus recall':>13}"
        f" {'pages':>6} {'saved':>6}"
    )
    for name, rule in RULES.items():
        ev = score(cases, rule)
        co = score(corp, rule)
        print(
            f"{name:<66} {ev['recall']:>11.3f} {ev['share']:>11.0%} {co['recall']:>13.3f}"
            f" {co['fetched']:>6.0f} {every - co['fetched']:>6.0f}"
        )


if __name__ == "__main__":
    main()
