"""Identity of articles and announcements: canonical URLs, fingerprints and story matching rules."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
    words = _WORD.findall(split_publisher(title)[0].lower().replace("'s ", " "))
    return {w.replace(",", "") for w in words if w not in STOPWORDS}


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


def jaccard(a: set, b: set) -> float:  # type: ignore[type-arg]
    """Set overlap in [0, 1]; empty sets are not similar to anything."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def minhash_bands(shingle_set: Iterable[int]) -> list[bytes]:
    """MinHash (datasketch) signature cut into LSH bands: similar bodies share a band."""
    from datasketch import MinHash  # lazy: numpy + datasketch cost ~0.4 s to import

    values = list(shingle_set)
    if not values:
        return []
    sig = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=_identity)
    sig.update_batch(values)
    raw = sig.hashvalues.astype("<u4").tobytes()
    width = ROWS * 4
    return [bytes([band]) + raw[band * width : (band + 1) * width] for band in range(BANDS)]


def _identity(value: int) -> int:
    return value


@dataclass
class StoryKey:
    """What story matching compares: headline words, body shingles and the figure set."""

    title: set[str]
    body: set[int] = field(default_factory=set)
    figures: set[tuple[str, float]] = field(default_factory=set)
    content_hash: str | None = None
    numbers: set[str] = field(default_factory=set)
    url_keys: set[str] = field(default_factory=set)
    guid: str | None = None
    force: str | None = None


def story_key(
    title: str,
    body: str = "",
    figures: Iterable[tuple[str, float]] = (),
    *,
    content_hash: str | None = None,
    urls: Iterable[str] = (),
    guid: str | None = None,
    source_id: str | None = None,
    force: str | None = None,
    shingled: bool = True,
) -> StoryKey:
    """Build the key of one article; unshingled, a body only says that there is one (cheap)."""
    body = body or ""
    words = len(_WORD.findall(body)) if shingled else body.count(" ") + 1
    text: set[int] = set()
    if words >= 2 * SHINGLE_SIZE:
        text = shingles(body) if shingled else {0}
    return StoryKey(
        title=title_tokens(title),
        body=text,
        figures={(m, float(v)) for m, v in figures},
        content_hash=content_hash if words >= 2 * SHINGLE_SIZE else None,
        numbers=numbers(body),
        url_keys={url_key(u) for u in urls if u},
        guid=_guid_key(guid, source_id),
        force=force,
    )


def _guid_key(guid: str | None, source_id: str | None) -> str | None:
    if not guid:
        return None
    if guid.startswith(("http://", "https://")):
        return url_key(guid)
    return f"{source_id}:{guid}"


def figures_conflict(a: set[tuple[str, float]], b: set[tuple[str, float]]) -> bool:
    """Both report the same metrics with mostly different values: different weeks, not copies."""
    metrics_a = {m for m, _ in a}
    common = metrics_a & {m for m, _ in b}
    if not common:
        return False
    agree = {m for m, v in a & b}
    return len(agree) < max(1, len(common) / 2)


def numbers_conflict(a: set[str], b: set[str], least: int = 3) -> bool:
    """Both texts state several numbers and mostly different ones: not the same release."""
    if len(a) < least or len(b) < least:
        return False
    return len(a & b) < 0.5 * min(len(a), len(b))


def _title_numbers_conflict(a: set[str], b: set[str]) -> bool:
    na = {t.replace("£", "") for t in a if t[-1].isdigit()}
    nb = {t.replace("£", "") for t in b if t[-1].isdigit()}
    return bool(na and nb and not na & nb)


def _distinctive(metric: str, value: float) -> float:
    """How much one shared figure says: small counts and round amounts (10, 50, £5,000) coincide
    by chance; 38 arrests or £15,400 rarely do."""
    if value < 10 and not metric.endswith("_kg"):
        return 0.25
    digits = f"{value:.6g}".replace(".", "").strip("0")
    return 0.5 if len(digits) <= 1 else 1.0


def _contained(a: set[int], b: set[int]) -> bool:
    """One text is mostly inside the other: a news-in-brief cut from a release."""
    small = min(len(a), len(b))
    return small >= 20 and len(a & b) >= 0.8 * small


def _exact(a: StoryKey, b: StoryKey) -> bool:
    return bool(
        (a.content_hash and a.content_hash == b.content_hash)
        or (a.url_keys & b.url_keys)
        or (a.guid and a.guid == b.guid)
    )


def conflict(a: StoryKey, b: StoryKey) -> bool:
    """Hard evidence of two announcements: their figures disagree, or two forces published them."""
    if _exact(a, b):
        return False
    if figures_conflict(a.figures, b.figures):
        return True
    return bool(a.force and b.force and a.force != b.force)


def match(a: StoryKey, b: StoryKey) -> str | None:
    """Why two articles report one announcement ('exact', 'figures', 'text', 'title'), or None.

    Callers have already limited `b` to a few days around `a`. Figures veto wording, because a
    false merge hides an announcement while a miss only leaves a duplicate.
    """
    if _exact(a, b):
        return "exact"
    if conflict(a, b):
        return None
    shared = a.figures & b.figures
    agree = {m for m, _ in shared}
    weight = sum(max(_distinctive(m, v) for mm, v in shared if mm == m) for m in agree)
    if len(agree) >= 3 and weight >= 2.25:
        return "figures"
    title = jaccard(a.title, b.title)
    if any(m.endswith("_gbp") and v >= 100_000 for m, v in shared) and title >= 0.25:
        return "figures"  # one large sum of money plus an overlapping headline
    if numbers_conflict(a.numbers, b.numbers) or _title_numbers_conflict(a.title, b.title):
        return None  # same template, different results: a look-alike from another week
    if a.body and b.body and (jaccard(a.body, b.body) >= 0.35 or _contained(a.body, b.body)):
        return "text"
    common = len(a.title & b.title)
    if not a.body or not b.body:  # a headline-only item (Google News) joins by its headline
        return "title" if title >= 0.6 and common >= 3 else None
    # Generic headlines ("Man jailed for dealing") recur: two full articles also need a shared
    # distinctive figure or stated numbers in common.
    backed = any(_distinctive(m, v) == 1.0 for m, v in shared) or len(a.numbers & b.numbers) >= 2
    return "title" if title >= 0.7 and common >= 4 and backed else None


def same_story(a: StoryKey, b: StoryKey) -> bool:
    """Two articles report one announcement (callers have already limited them to a few days)."""
    return match(a, b) is not None


def index_keys(key: StoryKey, body_shingles: bool = True) -> tuple[list[str], list[str]]:
    """Posting keys of an article: exact identities (any date) and windowed similarity keys."""
    exact = [f"u:{u}" for u in sorted(key.url_keys)]
    if key.guid:
        exact.append(f"g:{key.guid}")
    if key.content_hash:
        exact.append(f"h:{key.content_hash}")
    window = [f"t:{w}" for w in sorted(key.title) if len(w) > 2 or w[-1].isdigit()]
    # only figures that rarely coincide by chance: "2 arrests" would make everyone a candidate
    window += [f"f:{m}={v:g}" for m, v in sorted(key.figures) if _distinctive(m, v) == 1.0]
    if body_shingles and key.body:
        window += ["b:" + band.hex() for band in minhash_bands(key.body)]
    return exact, window


def key_hash(text: str) -> int:
    """A posting key as a signed 64-bit integer (what the index stores)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )
