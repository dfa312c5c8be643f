"""Identity of articles and announcements: canonical URLs, content hashes and story matching."""

from __future__ import annotations

import hashlib
import re
import zlib
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


def canonical_url(url: str) -> str:
    """The URL a story is cited by: tracking parameters and fragment gone, host lower-case."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80)
        or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(k) and not (k.lower() == "ref" and _REF_VALUES.match(v))
    ]
    query.sort()
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))


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
    """Normalised headline words for similarity, publisher suffix dropped."""
    return set(_WORD.findall(split_publisher(title)[0].lower()))


def shingles(text: str, size: int = 5) -> set[int]:
    """Word shingles as 32-bit hashes: the unit of near-duplicate text comparison."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    return {
        zlib.crc32(" ".join(words[i : i + size]).encode()) for i in range(len(words) - size + 1)
    }


def jaccard(a: set, b: set) -> float:  # type: ignore[type-arg]
    """Set overlap in [0, 1]; empty sets are not similar to anything."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class StoryKey:
    """What story matching compares: headline words, body shingles and the figure set."""

    title: set[str]
    body: set[int] = field(default_factory=set)
    figures: set[tuple[str, float]] = field(default_factory=set)
    content_hash: str | None = None


def figures_conflict(a: set[tuple[str, float]], b: set[tuple[str, float]]) -> bool:
    """Both report the same metrics with mostly different values: different weeks, not copies."""
    metrics_a = {m for m, _ in a}
    common = metrics_a & {m for m, _ in b}
    if not common:
        return False
    agree = {m for m, v in a & b}
    return len(agree) < max(1, len(common) / 2)


def same_story(a: StoryKey, b: StoryKey) -> bool:
    """Two articles report one announcement (callers have already limited them to a few days)."""
    if a.content_hash and a.content_hash == b.content_hash:
        return True
    if figures_conflict(a.figures, b.figures):
        return False  # a false merge hides an announcement: figures veto wording
    shared = a.figures & b.figures
    if len(shared) >= 3 and len(shared) >= 0.5 * min(len(a.figures), len(b.figures)):
        return True
    if a.body and b.body and jaccard(a.body, b.body) >= 0.35:
        return True
    return jaccard(a.title, b.title) >= 0.7
