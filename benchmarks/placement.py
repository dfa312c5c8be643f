"""Cost of placing one new article into a story against archives of 10k and 100k articles.

    python benchmarks/placement.py --dir /tmp/bench   # 10k and 100k, 3 rounds x 100 placements
    python benchmarks/placement.py --sizes 1000 200000 --dir /tmp/bench   # the issue's 1k-200k
    python benchmarks/placement.py --sizes 10000 100000 --rate 40 --place 100 --rounds 3

Archives grow at a fixed news rate (articles per day), so a bigger archive is a longer history,
as it is in production. Each placement is a full archive.save_article transaction (insert,
figures, story placement through the story_keys index); half are copies of recent articles.
An article's text facts are read before save_article, as the pipeline reads them in its worker,
and reported apart (--facts-inline: placement reads them, as when no worker answers).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor import archive, dedupe
from monitor.archive import stories  # noqa: E402
from monitor.config import Config, Source  # noqa: E402
from monitor.items import METRICS, Article, Entry, Figure  # noqa: E402

START = datetime(2020, 1, 1, tzinfo=UTC)
SOURCES = [("police", f"force-{i}") for i in range(20)] + [
    ("press", f"paper-{i}") for i in range(40)
]


def _vocab(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(6000)]


def _words(rng: random.Random, vocab: list[str], n: int, skip: int = 0) -> str:
    # Zipf-like: a few words are everywhere, most are rare (as in news text); headlines (skip)
    # drop the most common ones, as title matching drops stopwords, and vary more
    top = len(vocab) - 1
    alpha = 0.5 if skip else 0.9
    return " ".join(vocab[min(skip + int(rng.paretovariate(alpha)) - 1, top)] for _ in range(n))


def _figures(rng: random.Random) -> list[tuple[str, float]]:
    metrics = rng.sample(sorted(METRICS), rng.randint(0, 6))
    return [(m, _value(rng, m)) for m in metrics]


def _value(rng: random.Random, metric: str) -> float:
    if METRICS[metric] == "GBP":
        return float(rng.choice([1000, 5000, 10000, rng.randint(1, 500) * 500]))
    return float(rng.choice([1, 2, 3, 4, 5, 10, rng.randint(1, 400)]))


def build(path: Path, size: int, rate: int, seed: int = 1) -> datetime:
    """An archive of `size` articles, `rate` a day, each its own story, index posted."""
    rng = random.Random(seed)
    vocab = _vocab(rng)
    db = archive.open_archive(path)
    cfg = Config(
        sources=[Source(name=n, url=f"https://{n}.example/feed", kind=k) for k, n in SOURCES]
    )
    archive.sync_sources(db, cfg)
    articles, figs, story_rows = [], [], []
    for i in range(1, size + 1):
        when = (START + timedelta(days=i / rate)).isoformat()
        kind, source = rng.choice(SOURCES)
        body = _words(rng, vocab, rng.randint(150, 500))
        title = _words(rng, vocab, 9, skip=150)
        articles.append(
            {
                "id": i,
                "url": f"https://{source}.example/news/{i}",
                "source_id": source,
                "title": title,
                "body": body,
                "published": when,
                "fetched_at": when,
                "content_hash": dedupe.content_hash(body),
                "relevant": 1,
                "story_id": i,
            }
        )
        story_rows.append(
            {
                "id": i,
                "title": title,
                "first_published": when,
                "origin_article_id": i,
                "article_count": 1,
                "first_seen": when,
                "last_seen": when,
            }
        )
        figs += [
            {"article_id": i, "story_id": i, "metric": m, "value": v, "unit": METRICS[m]}
            for m, v in _figures(rng)
        ]
    with archive.write(db):
        db["stories"].insert_all(story_rows, batch_size=5000)
        db["articles"].insert_all(articles, batch_size=5000)
        db["figures"].insert_all(figs, batch_size=5000)
        stories.index_existing(db)
    db.execute("ANALYZE")
    db.conn.close()
    return START + timedelta(days=size / rate)


def measure(
    path: Path, end: datetime, count: int, rate: int, seed: int = 2, read_facts: bool = True
) -> dict[str, list[float]]:
    """Per new article published at the archive's end: save_article and stories.place CPU
    seconds, candidates verified and article keys built (the work placement does). With
    `read_facts` the article's text facts are read before save_article, as the pipeline does
    in its worker, and timed apart ("facts"); without, placement reads them itself."""
    rng = random.Random(seed)
    vocab = _vocab(random.Random(1))
    db = archive.open_archive(path)
    recent = db.execute(
        "SELECT id, title, body FROM articles ORDER BY id DESC LIMIT ?", [rate * 3]
    ).fetchall()
    out: dict[str, list[float]] = {
        "save": [],
        "facts": [],
        "place": [],
        "place_wall": [],
        "candidates": [],
        "keys": [],
    }
    real_place, real_cands, real_keys = stories.place, stories._candidates, stories._keys

    def timed_place(*args, **kwargs):  # type: ignore[no-untyped-def]
        t, w = time.process_time(), time.perf_counter()
        try:
            return real_place(*args, **kwargs)
        finally:
            out["place"].append(time.process_time() - t)
            out["place_wall"].append(time.perf_counter() - w)

    def counted_cands(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = real_cands(*args, **kwargs)
        out["candidates"][-1] += len(found)
        return found

    def counted_keys(*args, **kwargs):  # type: ignore[no-untyped-def]
        keys = real_keys(*args, **kwargs)
        out["keys"][-1] += len(keys)
        return keys

    stories.place, stories._candidates, stories._keys = timed_place, counted_cands, counted_keys
    try:
        for n in range(count):
            when = (end + timedelta(minutes=n)).isoformat()
            kind, source = rng.choice(SOURCES)
            if n % 2:  # a copy: recent article, a paragraph added, headline changed
                _, title, body = rng.choice(recent)
                body = _words(rng, vocab, 40) + " " + body
                title = _words(rng, vocab, 6, skip=150)
            else:
                title = _words(rng, vocab, 9, skip=150)
                body = _words(rng, vocab, rng.randint(150, 500))
            url = f"https://{source}.example/new/{seed}/{n}"
            entry = Entry(source_id=source, url=url, original_url=url, title=title, published=when)
            art = Article(
                entry=entry,
                body=body,
                fetched_at=when,
                http_status=200,
                content_hash=dedupe.content_hash(body),
                relevant=True,
                figures=[Figure(m, v, METRICS[m]) for m, v in _figures(rng)],
            )
            out["candidates"].append(0)
            out["keys"].append(0)
            if read_facts:  # as StoryFactsPipeline does, beside the crawl (monitor/offload.py)
                t0 = time.process_time()
                art.story_facts = dedupe.text_facts(title, body, (url, url))
                out["facts"].append(time.process_time() - t0)
            t0 = time.process_time()
            archive.save_article(db, art, None, "bench")
            out["save"].append(time.process_time() - t0)
    finally:
        stories.place, stories._candidates, stories._keys = real_place, real_cands, real_keys
        db.conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rate", type=int, default=40, help="articles per day")
    parser.add_argument("--place", type=int, default=100, help="placements per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, sizes interleaved")
    parser.add_argument("--dir", help="keep built archives here and reuse them")
    parser.add_argument(
        "--facts-inline",
        action="store_true",
        help="placement reads the text facts itself (a lost worker), not the pipeline",
    )
    args = parser.parse_args()
    results: dict[int, dict[str, list[float]]] = {s: {} for s in args.sizes}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for size in args.sizes:
            paths[size] = Path(args.dir or tmp) / f"bench-{size}-{args.rate}.db"
            if not paths[size].exists():
                t0 = time.perf_counter()
                build(paths[size], size, args.rate)
                print(f"built {size} articles in {time.perf_counter() - t0:.0f}s", flush=True)
        # interleave sizes so machine load hits both alike; CPU time, not wall time
        for round_ in range(args.rounds):
            for size in args.sizes:
                work = Path(tmp) / "work.db"  # a fresh copy: placements add articles
                src = archive.open_archive(paths[size])
                src.execute(f"VACUUM INTO '{work}'")
                src.conn.close()
                end = START + timedelta(days=size / args.rate)
                measure(work, end, 10, args.rate, seed=99)  # warm the page cache
                got = measure(
                    work, end, args.place, args.rate, seed=round_, read_facts=not args.facts_inline
                )
                for k, v in got.items():
                    results[size].setdefault(k, []).extend(v)
                work.unlink()
                Path(f"{work}-wal").unlink(missing_ok=True)
                Path(f"{work}-shm").unlink(missing_ok=True)
    med = statistics.median
    for size in args.sizes:
        r = results[size]
        facts = f" + text facts {med(r['facts']) * 1000:.2f} ms in the worker" if r["facts"] else ""
        print(
            f"archive={size:>7} ({paths[size].stat().st_size >> 20} MB)"
            f"  save_article={med(r['save']) * 1000:.2f} ms"
            f"  stories.place={med(r['place']) * 1000:.2f} ms CPU"
            f" (p90 {statistics.quantiles(r['place'], n=10)[-1] * 1000:.2f},"
            f" wall {med(r['place_wall']) * 1000:.2f}){facts}"
            f"  candidates={statistics.mean(r['candidates']):.1f}"
            f"  keys built={statistics.mean(r['keys']):.1f}  (medians)"
        )
    if len(args.sizes) > 1:
        small, big = results[args.sizes[0]], results[args.sizes[-1]]
        print(
            f"ratio {args.sizes[-1]}/{args.sizes[0]}: stories.place"
            f" {med(big['place']) / med(small['place']):.2f}x,"
            f" save_article {med(big['save']) / med(small['save']):.2f}x"
        )


if __name__ == "__main__":
    main()
