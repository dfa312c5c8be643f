"""Identity of articles and announcements: canonical URLs, fingerprints and story matching rules."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from monitor import forces

# Query parameters that only track how a reader arrived (BBC, Newsquest, Google News, ads).
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|at_[a-z_]+|oc|fbclid|gclid|dclid|msclkid|mc_[a-z]+|_ga|cmpid|ito|ns_[a-z_]+"
    r"|service|int_source|xtor|s_cid|igshid)$",
    re.IGNORECASE,
)
_REF_VALUES = re.compile(r"^(rss|rss_feed|twitter|facebook|newsletter|share)", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9£]+(?:[.,][0-9]+)*")
_TITLE_SUFFIX = re.compile(r"\s+[-|–—]\s+([^-|–—]{2,80})$")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"^(19[5-9]\d|20[0-4]\d)$")

# Hosts that serve the same article as the desktop site (mobile, AMP, touch editions).
_EDITION_HOST = re.compile(r"^(?:www\d?|m|mobile|amp|touch)\.")
# AMP variants of one page: /amp/ prefix or suffix, .amp or /amp.html endings, amp query flags.
_AMP_PATH = re.compile(r"(?:/amp(?:\.html?)?/?$|\.amp(?=/?$))")
_AMP_QUERY = {"amp", "outputtype", "output", "_amp", "amp_js_v", "usqp"}
# AMP caches wrap the publisher's URL: host.cdn.ampproject.org/c/s/<host>/<path>, google.com/amp/s/.
_AMP_CACHE = re.compile(r"^/(?:[cv]/)?(?:amp/)?(s/)?([a-z0-9.-]+\.[a-z]{2,})(/.*)?$")

# Words that carry no identity in a headline: function words and the vocabulary every
# county-lines headline shares.
_STOP = """a an the and or of in on at to for from by with as is are was were be been has have had
after over into out up down its their his her this that these those it new more than says say said
how why what who county line lines drug drugs police"""
STOPWORDS = frozenset(_STOP.split())

SHINGLE_SIZE = 5
NUM_PERM = 64  # MinHash permutations: 32 bands of 2 rows, candidates from Jaccard ~0.2 upwards
BANDS = 32
ROWS = NUM_PERM // BANDS


def canonical_url(url: str) -> str:
    """The URL a story is cited by: tracking parameters and fragment gone, host lower-case.

    An IPv6 literal keeps its brackets; a link that does not parse (a bad port, an unclosed
    bracket) raises ValueError, which the pipeline turns into one skipped entry."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port  # ValueError for a port out of range or not a number
    if port and not (
        (parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)
    ):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(k) and not (k.lower() == "ref" and _REF_VALUES.match(v))
    ]
    query.sort()
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))


def url_key(url: str) -> str:
    """One identity for every edition of a page: scheme, www/mobile/AMP host, AMP path, slash."""
    parts = urlsplit(canonical_url(url))
    host, path = parts.netloc, parts.path
    cached = _AMP_CACHE.match(path) if host.endswith(".ampproject.org") else None
    if host in ("www.google.com", "google.com") and path.startswith("/amp/"):
        cached = _AMP_CACHE.match(path[4:])
    if cached and cached.group(2):
        host, path = cached.group(2).lower(), cached.group(3) or "/"
    host = _EDITION_HOST.sub("", host)
    path = _AMP_PATH.sub("", path)
    if path.startswith("/amp/"):
        path = path[4:]
    path = path.rstrip("/") or ""
    query = [(k, v) for k, v in parse_qsl(parts.query, True) if k.lower() not in _AMP_QUERY]
    return host + path + (f"?{urlencode(query)}" if query else "")


def content_hash(text: str) -> str:
    """A hash of the words only, so whitespace and case changes do not make a new version."""
    words = " ".join(_WORD.findall(text.lower()))
    return hashlib.sha1(words.encode("utf-8")).hexdigest()


def split_publisher(title: str) -> tuple[str, str | None]:
    """'Headline - Publisher' (Google News) -> ('Headline', 'Publisher'), split at the last dash."""
    match = _TITLE_SUFFIX.search(title)
    if not match:
        return title.strip(), None
    return title[: match.start()].strip(), match.group(1).strip()


def title_tokens(title: str) -> set[str]:
    """Normalised headline words for similarity: publisher suffix and shared vocabulary dropped."""
    return set(_title_tokens(title))


@lru_cache(maxsize=4096)
def _title_tokens(title: str) -> frozenset[str]:
    # memoised: placement rebuilds the key of each candidate, and a cycle's candidates are
    # mostly the same few dozen recent articles
    words = _WORD.findall(split_publisher(title)[0].lower().replace("'s ", " "))
    return frozenset(w.replace(",", "") for w in words if w not in STOPWORDS)


def shingles(text: str, size: int = SHINGLE_SIZE) -> set[int]:
    """Word shingles as 32-bit hashes: the unit of near-duplicate text comparison."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    return {
        zlib.crc32(" ".join(words[i : i + size]).encode()) for i in range(len(words) - size + 1)
    }


def numbers(text: str) -> set[str]:
    """The numbers a text states, separators dropped and calendar years left out."""
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    return {n for n in found if not _YEAR.match(n)}


def minhash_signature(shingle_set: Iterable[int]) -> list[int]:
    """MinHash signature of a shingle set: equal values estimate Jaccard.

    The arithmetic of datasketch's MinHash (scheme "affine32", seed 1, identity hash; the
    default since datasketch 2.0) in a few numpy lines: importing datasketch costs ~0.4 s of a
    cycle (its package imports scipy for LSH, which we do not use), and pinning the scheme here
    keeps stored signatures comparable whatever datasketch version is installed.
    tests/test_minhash.py checks it bit for bit against datasketch.MinHash."""
    values = list(shingle_set)
    if not values:
        return []
    import numpy as np  # lazy; sqlite_utils has usually imported it already

    a, b = _permutations()
    h = np.array(values, dtype=np.uint32).reshape(-1, 1)
    # MurmurHash3's 32-bit finalizer, then h -> a*h + b mod 2^32 per permutation (uint32 wraps)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return [int(v) for v in (h * a + b).min(axis=0)]


@cache
def _permutations() -> tuple[Any, Any]:
    """The 64 affine permutations datasketch draws for seed 1 (odd multipliers: bijections)."""
    import numpy as np

    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def bands_of(signature: list[int]) -> list[bytes]:
    """A signature cut into LSH bands: similar bodies share a band."""
    if not signature:
        return []
    raw = struct.pack(f"<{len(signature)}I", *signature)
    width = ROWS * 4
    return [bytes([band]) + raw[band * width : (band + 1) * width] for band in range(BANDS)]


def minhash_bands(shingle_set: Iterable[int]) -> list[bytes]:
    """MinHash signature cut into LSH bands."""
    return bands_of(minhash_signature(shingle_set))


@dataclass
class StoryKey:
    """What story matching compares: headline words, body shingles, figures and stated facts."""

    title: set[str]
    body: set[int] = field(default_factory=set)
    figures: set[tuple[str, float]] = field(default_factory=set)
    content_hash: str | None = None
    numbers: set[str] = field(default_factory=set)
    url_keys: set[str] = field(default_factory=set)
    guid: str | None = None
    force: str | None = None
    facts: set[tuple[str, float, str]] = field(default_factory=set)  # metric, value, qualifier
    spelled: set[str] = field(default_factory=set)  # numbers in words and digits, no years
    title_numbers: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    forces: set[str] = field(default_factory=set)  # forces named (codes), and the source's own
    title_forces: set[str] = field(default_factory=set)  # forces the headline names
    areas: set[str] = field(default_factory=set)  # force areas named without "Police"
    courts: set[str] = field(default_factory=set)
    operations: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    day: int | None = None
    source: str | None = None
    has_body: bool = False  # page text of ten words or more (a headline-only item has none)
    signature: list[int] = field(default_factory=list)  # MinHash of the body's shingles
    shingle_count: int = 0

    _by_metric: dict[str, list[tuple[float, str]]] | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.figures and not self.facts:  # built from bare (metric, value) pairs
            self.facts = {(m, v, "exact") for m, v in self.figures}
        self.has_body = self.has_body or bool(self.body)

    def facts_by_metric(self) -> dict[str, list[tuple[float, str]]]:
        """(value, qualifier) of each metric, grouped once: a key is compared with dozens of
        candidates, and keys are never changed once built."""
        if self._by_metric is None:
            grouped: dict[str, list[tuple[float, str]]] = {}
            for metric, value, qualifier in self.facts:
                grouped.setdefault(metric, []).append((value, qualifier))
            self._by_metric = grouped
        return self._by_metric


def text_facts(title: str, body: str, urls: Iterable[str] = ()) -> dict[str, Any]:
    """The facts of an article's headline, text and URLs that matching compares (JSON-ready):
    stored per article (story_facts) so placement never re-reads a candidate's text."""
    from monitor import textfacts  # lazy: its regexes and figures.numbers serve placement only

    headline = split_publisher(title)[0]
    both = f"{headline}\n{body}"
    named = set(forces.forces_named(both))
    stated = numbers(body)
    found = {
        "numbers": stated,
        "spelled": stated | numbers(headline) | textfacts.spelled_numbers(both),
        "title_numbers": numbers(headline),
        "names": textfacts.names(both),
        "forces": named,
        "title_forces": set(forces.forces_named(headline)),
        "areas": textfacts.areas_named(both) - named,
        "courts": textfacts.courts(both),
        "operations": textfacts.operations(both),
        "events": textfacts.events(headline),
    }
    out: dict[str, Any] = {k: sorted(v) for k, v in found.items()}
    out["words"] = len(_WORD.findall(body))
    out["url_keys"] = sorted({url_key(u) for u in urls if u})
    body_shingles = shingles(body) if out["words"] >= 2 * SHINGLE_SIZE else set()
    out["shingles"] = len(body_shingles)
    sig = minhash_signature(body_shingles)  # hex: decodes ~10x faster than a JSON list of ints
    out["sig"] = struct.pack(f"<{len(sig)}I", *sig).hex()
    return out


def story_key(
    title: str,
    body: str = "",
    figures: Iterable[tuple[str, float] | tuple[str, float, str]] = (),
    *,
    content_hash: str | None = None,
    urls: Iterable[str] = (),
    guid: str | None = None,
    source_id: str | None = None,
    force: str | None = None,
    day: int | None = None,
    stored: dict[str, Any] | None = None,
) -> StoryKey:
    """Build the key of one article from its text, or from its stored text_facts (then its text
    is not read again: bodies are compared by MinHash signature)."""
    body = body or ""
    got = stored if stored is not None else text_facts(title, body, urls)
    words = int(got["words"])
    facts = {(f[0], float(f[1]), f[2] if len(f) > 2 else "exact") for f in figures}
    own = _force_of(force) if force else None
    named = set(got["forces"])
    return StoryKey(
        title=title_tokens(title),
        body=set(),
        figures={(m, v) for m, v, _ in facts},
        content_hash=content_hash if words >= 2 * SHINGLE_SIZE else None,
        numbers=set(got["numbers"]),
        url_keys=set(got["url_keys"]),
        guid=_guid_key(guid, source_id),
        force=force,
        facts=facts,
        spelled=set(got["spelled"]),
        title_numbers=set(got["title_numbers"]),
        names=set(got["names"]),
        forces=named | ({own} if own else set()),
        title_forces=set(got.get("title_forces", ())),
        areas=set(got["areas"]),
        courts=set(got["courts"]),
        operations=set(got["operations"]),
        events=set(got["events"]),
        day=day,
        source=source_id,
        has_body=words >= 2 * SHINGLE_SIZE,
        signature=_unhex(got["sig"]),
        shingle_count=int(got["shingles"]),
    )


def _unhex(sig: str | list[int]) -> list[int]:
    if isinstance(sig, list):  # stored by the first version of story_facts
        return sig
    raw = bytes.fromhex(sig)
    return list(struct.unpack(f"<{len(raw) // 4}I", raw))


@cache
def _force_of(name: str) -> str | None:
    return forces.match_name(name)


def _guid_key(guid: str | None, source_id: str | None) -> str | None:
    if not guid:
        return None
    if guid.startswith(("http://", "https://")):
        return url_key(guid)
    return f"{source_id}:{guid}"


def index_keys(key: StoryKey, body_shingles: bool = True) -> tuple[list[str], list[str]]:
    """Posting keys of an article: exact identities (any date) and windowed similarity keys."""
    exact = [f"u:{u}" for u in sorted(key.url_keys)]
    if key.guid:
        exact.append(f"g:{key.guid}")
    if key.content_hash:
        exact.append(f"h:{key.content_hash}")
    window = [f"t:{w}" for w in sorted(key.title) if len(w) > 2 or w[-1].isdigit()]
    # only figures that rarely coincide by chance: "2 arrests" would make everyone a candidate
    window += [f"f:{m}={v:g}" for m, v in sorted(key.figures) if distinctive(m, v) == 1.0]
    # proper nouns and named operations survive a rewrite that shares no headline word
    window += [f"n:{n}" for n in sorted(key.names)]
    window += [f"o:{o}" for o in sorted(key.operations)]
    if body_shingles and (key.signature or key.body):
        bands = bands_of(key.signature) if key.signature else minhash_bands(key.body)
        window += ["b:" + band.hex() for band in bands]
    return exact, window


def key_hash(text: str) -> int:
    """A posting key as a signed 64-bit integer (what the index stores)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )


# The weighing lives in monitor.evidence; these names are the matching API callers use.
from monitor.evidence import (  # noqa: E402
    conflict,
    distinctive,
    figures_conflict,
    jaccard,
    match,
    numbers_conflict,
    same_story,
    weigh,
)

__all__ = [
    "StoryKey",
    "canonical_url",
    "conflict",
    "content_hash",
    "distinctive",
    "figures_conflict",
    "index_keys",
    "jaccard",
    "key_hash",
    "match",
    "numbers_conflict",
    "same_story",
    "story_key",
    "url_key",
    "weigh",
]
