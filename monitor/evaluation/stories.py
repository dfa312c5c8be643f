"""Pairwise precision/recall of story grouping: dev cases and a synthetic syndication set.

    python benchmarks/syndication_eval.py                 # dev (extracted figures) + synthetic
    python benchmarks/syndication_eval.py --gold-figures  # dev with the labelled figures
    python benchmarks/syndication_eval.py --show-errors

Articles go through the real archive path (archive.save_article -> stories.place); the score
counts article pairs put in one story versus pairs that share a labelled story.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from monitor import archive, dedupe, figures
from monitor.archive import regroup
from monitor.config import Config, Source
from monitor.evaluation import cases_dir
from monitor.items import METRICS, Article, Entry, Figure

EVAL = cases_dir()


@dataclass
class Doc:
    """One article to place, with the story it truly belongs to (None: a story of its own)."""

    id: str
    source: str
    kind: str
    url: str
    title: str
    body: str
    published: str
    story: str | None
    force: str | None = None
    figures: list[Figure] | None = None  # None: run the extractor on the body
    guid: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _kind(case: dict) -> str:
    url = (case.get("source_url") or "").lower()
    pub = (case.get("publisher") or "").lower()
    if "gov.uk" in url:
        return "gov"
    if "police.uk" in url or "constabulary" in pub or pub.endswith("police"):
        return "police"
    return "press"


def dev_docs(cases: Path = EVAL, gold: bool = False, dated: bool = False) -> list[Doc]:
    """The dev cases as articles; undated mode puts them all on one day (worst case)."""
    docs = []
    loaded = [json.loads(p.read_text()) for p in sorted(cases.glob("*.json"))]
    first: dict[str, str] = {}  # a story's earliest stated date
    for case in loaded:
        if case.get("story") and len(case.get("published") or "") == 10:
            first[case["story"]] = min(first.get(case["story"], "9999"), case["published"])
    for case in loaded:
        if not case.get("relevant"):
            continue
        day = "2024-06-01"
        if dated and case.get("published"):
            day = (case["published"] + "-01-01")[:10] if len(case["published"]) < 10 else ""
            day = day or case["published"]
        elif dated and case.get("story") in first:
            # an undated page is archived at its fetch time: the monitor fetches a copy when
            # its feed carries it, here the day after the story's first dated copy
            day = (date.fromisoformat(first[case["story"]]) + timedelta(days=1)).isoformat()
        text = case["text"]
        figs = None
        if gold:
            figs = [
                Figure(f["metric"], float(f["value"]), f["unit"], f["qualifier"], f["scope"])
                for f in case["figures"]
            ]
        docs.append(
            Doc(
                id=case["id"],
                source=f"case-{case['id']}",
                kind=_kind(case),
                url=case.get("source_url") or f"https://example.org/{case['id']}",
                title=case["title"],
                body=text,
                published=f"{day}T09:00:00+00:00",
                story=case.get("story"),
                figures=figs,
            )
        )
    return docs


# ---- synthetic syndication set -------------------------------------------------------------

FORCES = [
    ("Kent Police", "Maidstone", "kent"),
    ("Essex Police", "Chelmsford", "essex"),
    ("Merseyside Police", "Liverpool", "merseyside"),
    ("West Midlands Police", "Birmingham", "west-midlands"),
    ("Avon and Somerset Police", "Bristol", "avon-somerset"),
    ("Thames Valley Police", "Reading", "thames-valley"),
    ("Sussex Police", "Brighton", "sussex"),
    ("Norfolk Constabulary", "Norwich", "norfolk"),
    ("Devon and Cornwall Police", "Plymouth", "devon-cornwall"),
    ("Lancashire Police", "Preston", "lancashire"),
]
PRESS = ["echo", "gazette", "herald", "chronicle", "argus", "mercury", "star", "post"]
OFFICERS = ["Detective Inspector Sam Reid", "Chief Superintendent Ann Cole", "DCI Raj Patel"]

RELEASE = [
    "Officers from {force} arrested {arrests} people during a week of action against county"
    " lines drug dealing between {d1} and {d2} {month}.",
    "During the operation {lines} county lines were closed down and officers seized"
    " £{cash:,} in cash.",
    "Teams also seized {weapons} weapons, including knives and a machete, and safeguarded"
    " {safe} vulnerable people who were being exploited by the gangs.",
    "Warrants were carried out at addresses across {town} and neighbouring towns, and"
    " officers visited homes of people thought to be at risk of cuckooing.",
    "Drugs with an estimated street value of £{drugs:,} were recovered, mostly crack cocaine"
    " and heroin.",
]
QUOTE = (
    '{officer} said: "County lines gangs exploit children and vulnerable adults and bring'
    " violence to our streets. This week shows what we can do when we work together with"
    ' partners, and we will keep going after the people at the top of these networks."'
)
CLOSING = (
    "Anyone with information about drug dealing in their area can report it to police or"
    " anonymously to Crimestoppers."
)
REWRITE = [
    "A crackdown on drug gangs in {town} has led to {arrests} arrests, {force} has said.",
    "The force said {lines} deal lines had been shut down and £{cash:,} in cash seized over"
    " the seven days.",
    "A total of {weapons} weapons were taken off the streets and {safe} vulnerable people"
    " were safeguarded.",
    "The week of action ended on {d2} {month}, with further court appearances expected.",
]
HEADLINES = [
    "{arrests} arrested in {town} county lines crackdown",
    "{force} closes {lines} county lines in week of action",
    "County lines: {arrests} arrests and £{cash:,} seized in {town}",
    "Police seize {weapons} weapons as {town} drug lines targeted",
    "Week of action against drug gangs in {town} nets {arrests} arrests",
]
EXTRA = (
    "It comes after figures showed drug-related crime in {town} rose last year, with"
    " residents raising concerns about dealing near schools."
)
FOLLOW_UP = (
    "A drug dealer from {town} has been jailed for {years} years after being caught during"
    " the county lines week of action run by {force} between {d1} and {d2} {month}.\n\n"
    "He was one of {arrests} people arrested during the week. Officers found him with crack"
    " cocaine and a knife at an address in {town}.\n\n" + CLOSING
)


def _facts(rng: random.Random, force: tuple[str, str, str], week_start: date) -> dict:
    return {
        "force": force[0],
        "town": force[1],
        "arrests": rng.randint(12, 240),
        "lines": rng.randint(2, 30),
        "cash": rng.randint(20, 400) * 500,
        "weapons": rng.randint(10, 60),
        "safe": rng.randint(10, 150),
        "drugs": rng.randint(10, 500) * 1000,
        "d1": week_start.day,
        "d2": (week_start + timedelta(days=6)).day,
        "month": (week_start + timedelta(days=6)).strftime("%B"),
        "officer": rng.choice(OFFICERS),
    }


def synthetic_docs(seed: int = 7, announcements: int = 60) -> list[Doc]:
    """Releases, their press copies (edits, new headlines, trimmed quotes, rewrites, Google News,
    AMP/mobile editions, verbatim reposts) and look-alike releases from other weeks and forces."""
    rng = random.Random(seed)
    docs: list[Doc] = []
    for n in range(announcements):
        force = FORCES[n % len(FORCES)]
        week = n // len(FORCES)  # each force announces once per week: look-alikes a week apart
        week_start = date(2024, 1, 1) + timedelta(days=7 * week)
        f = _facts(rng, force, week_start)
        published = week_start + timedelta(days=7)  # results come out the Monday after
        day = published.isoformat()
        story = f"s{n}"
        release = [s.format(**f) for s in RELEASE] + [QUOTE.format(**f), CLOSING]
        slug = f"{force[2]}-week-{n}"
        base = f"https://www.{force[2]}.police.uk/news/{slug}/"
        title = f"Week of action: {f['arrests']} arrests as {f['force']} targets county lines"
        docs.append(
            Doc(
                f"{story}-police",
                force[2],
                "police",
                base,
                title,
                "\n\n".join(release),
                f"{day}T10:00:00+00:00",
                story,
                force=f["force"],
            )
        )
        titles = [title]
        for c in range(rng.randint(1, 5)):
            outlet = rng.choice(PRESS)
            lag = rng.randint(0, 3)
            when = f"{day}T{11 + c:02d}:00:00+00:00"
            if lag:
                when = f"{published + timedelta(days=lag)}T08:00:00+00:00"
            variant = rng.choice(
                ["edit", "edit", "trim", "rewrite", "brief", "gn", "amp", "verbatim"]
            )
            body = list(release)
            headline = rng.choice(HEADLINES).format(**f)
            if variant == "edit":
                body.insert(rng.randint(1, len(body) - 1), EXTRA.format(**f))
                body = body[:-1]
            elif variant == "trim":
                body[5] = body[5].split(":")[0] + ": " + '"County lines gangs exploit children."'
                del body[3]
            elif variant == "brief":  # a news-in-brief: two sentences of the release
                body = [body[0], body[1]]
            elif variant == "rewrite":
                body = [s.format(**f) for s in REWRITE]
            elif variant in ("amp", "verbatim"):
                headline = title
            doc_url = f"https://www.{outlet}-{force[2]}.co.uk/news/{n}-{c}-county-lines/"
            kind, source, text = "press", f"{outlet}-{force[2]}", "\n\n".join(body)
            if variant == "gn":  # Google News repeats a carried headline, maybe with its outlet
                kind, source, text = "aggregator", "google-news", ""
                doc_url = f"https://news.google.com/rss/articles/CBMi{n}x{c}?oc=5"
                headline = rng.choice(titles) + rng.choice(["", f" - The {outlet.title()}"])
            if variant == "amp":
                source = force[2]
                kind = "police"
                doc_url = f"https://m.{force[2]}.police.uk/news/{slug}/amp/"
            titles.append(headline)
            docs.append(
                Doc(
                    f"{story}-{c}-{variant}",
                    source,
                    kind,
                    doc_url,
                    headline,
                    text,
                    when,
                    story,
                    force=f["force"] if kind == "police" else None,
                )
            )
        if n % 3 == 0:  # a different announcement days later restating one result
            follow = FOLLOW_UP.format(**f, years=rng.randint(3, 9))
            docs.append(
                Doc(
                    f"f{n}-police",
                    force[2],
                    "police",
                    f"{base}jailed/",
                    f"{force[1]} dealer jailed after county lines week of action",
                    follow,
                    f"{published + timedelta(days=2)}T10:00:00+00:00",
                    f"f{n}",
                    force=f["force"],
                )
            )
    return docs


# ---- placing and scoring ---------------------------------------------------------------------


def place_all(docs: list[Doc]) -> dict[str, int]:
    """Archive the docs in publication order; returns doc id -> story id."""
    db = archive.open_archive(":memory:")
    kinds: dict[str, tuple[str, str | None]] = {}
    for d in docs:
        kinds.setdefault(d.source, (d.kind, d.force))
    cfg = Config(
        sources=[
            Source.model_validate(
                {"name": s, "url": f"https://{s}.example/feed", "kind": k, "force": force}
            )
            for s, (k, force) in sorted(kinds.items())
        ]
    )
    archive.sync_sources(db, cfg)
    ids: dict[str, int] = {}
    for d in sorted(docs, key=lambda d: (d.published, d.id)):
        figs = d.figures if d.figures is not None else figures.extract(d.body)
        entry = Entry(
            source_id=d.source,
            url=dedupe.canonical_url(d.url),
            original_url=d.url,
            title=d.title,
            guid=d.guid,
            published=d.published,
        )
        art = Article(
            entry=entry,
            body=d.body,
            fetched_at=d.published,
            http_status=200 if d.body else None,
            content_hash=dedupe.content_hash(d.body) if d.body else None,
            relevant=True,
            figures=[f for f in figs if f.metric in METRICS],
        )
        archive.save_article(db, art, None, "eval")
        (ids[d.id],) = db.execute("SELECT id FROM articles WHERE url = ?", [entry.url]).fetchone()
    assign = {d.id: db.table("articles").get(ids[d.id])["story_id"] for d in docs}
    again = regroup.restory(db)
    after = {d.id: db.table("articles").get(ids[d.id])["story_id"] for d in docs}
    place_all.restory = (again, assign == after)  # type: ignore[attr-defined]
    return assign


def pairwise(docs: list[Doc], pred: dict[str, int]) -> tuple[float, float, list, list]:
    """Pairwise precision and recall, with the false-merge and missed pairs."""
    tp = fp = fn = 0
    false_merges, misses = [], []
    for a, b in itertools.combinations(docs, 2):
        same_gold = a.story is not None and a.story == b.story
        same_pred = pred[a.id] == pred[b.id]
        if same_gold and same_pred:
            tp += 1
        elif same_pred:
            fp += 1
            false_merges.append((a.id, b.id))
        elif same_gold:
            fn += 1
            misses.append((a.id, b.id))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, false_merges, misses


def report(name: str, docs: list[Doc], show: bool) -> tuple[float, float]:
    pred = place_all(docs)
    p, r, fm, miss = pairwise(docs, pred)
    again, stable = place_all.restory  # type: ignore[attr-defined]
    gold_pairs = sum(
        1 for a, b in itertools.combinations(docs, 2) if a.story and a.story == b.story
    )
    print(
        f"{name:<28} articles={len(docs):4d} gold_pairs={gold_pairs:5d}"
        f" precision={p:.3f} recall={r:.3f} false_merges={len(fm)} missed={len(miss)}"
        f" restory_same={stable} moved={again['moved']}"
    )
    if show:
        for pair in fm[:20]:
            print("   false merge", pair)
        for pair in miss[:20]:
            print("   missed", pair)
    return p, r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold-figures", action="store_true")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--announcements", type=int, default=60)
    args = parser.parse_args()
    if EVAL.is_dir():
        report("dev (one day, extracted)", dev_docs(gold=args.gold_figures), args.show_errors)
        report("dev (as dated)", dev_docs(gold=args.gold_figures, dated=True), args.show_errors)
    report("synthetic", synthetic_docs(announcements=args.announcements), args.show_errors)


if __name__ == "__main__":
    main()
