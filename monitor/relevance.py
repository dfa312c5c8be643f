"""Is this a county-lines story? A lexicon of police-release terms, minus known look-alikes."""

from __future__ import annotations

import functools
import re

_I = re.IGNORECASE
# Run on lowercased text without IGNORECASE or a leading \b: several times faster.
# "Stockport County lines up a loan move" is football: "lines up" is the verb, not the noun.
_TERMS = re.compile(
    r"county[\s-]+(?:drugs?[\s-]+)?lines?\b(?![\s-]+up\b(?!\s+and\s+down))|"
    r"deal(?:er)?[\s-]+lines?\b|drugs?[\s-]+lines?\b"
    r"(?![\s-]*(?:up|manager|of|extension|extensions))|line[\s-]+holders?\b|"
    r"cuckoo(?:ing|ed|[\s-]+ing)\b|nclcc\b|"
    r"national county lines co-?ordination centre\b|op(?:eration|\.)?\s+orochi\b|"
    r"intensification week\b|week of intensification\b"
)
# A film, series or book called "County Lines" is reviewed, not policed.
_MEDIA = re.compile(
    r"\b(?:film review|feature film|directed by|director:|starring|release date|certificate|"
    r"box office|screenplay|cinemas?|bfi|episodes?|box set|the cast|premiere|novel|paperback|"
    r"film title)(?!\w)"
)
_MEDIA_KEYS: tuple[str, ...] = (
    "film",
    "cinema",
    "director",
    "starring",
    "release date",
    "certificate",
    "box ",
)
_MEDIA_KEYS += ("screenplay", "bfi", "episode", "the cast", "premiere", "novel", "paperback")
_POLICING = re.compile(
    r"\b(?:arrest(?:ed|s)?|seized|charged|jailed|sentenced|police said|officers|warrants?|"
    r"safeguarded|crackdown)\b",
    _I,
)
_BOUNDARY_KEYS: tuple[str, ...] = (
    "line road",
    "line rd",
    "line avenue",
    "line ave",
    "line street",
    "line bridge",
)
_BOUNDARY_KEYS += ("across county line", "across the county line")
# US usage: a county line is a boundary or a road.
_BOUNDARY = re.compile(
    r"\bcounty[\s-]+line\s+(?:road|rd|avenue|ave|street|bridge)\b|"
    r"\bacross (?:the )?county lines? (?:into|to|from)\b",
    _I,
)
# Substrings, not words: "arrest" covers arrests/arrested; recall matters more than precision.
_CANDIDATE_KEYS = (
    "drug",
    "county line",
    "county-line",
    "cuckoo",
    "cocaine",
    "heroin",
    "crack",
    "cannabis",
    "class a",
    "class b",
    "dealer",
    "dealing",
    "deal line",
    "supply",
    "supplying",
    "exploit",
    "line holder",
    "arrest",
    "warrant",
    " raid",
    "knife",
    "knives",
    "weapon",
    "firearm",
    "gun",
    " gang",
    "jailed",
    "sentenced",
    "seiz",
    "traffick",
    "modern slavery",
    "safeguard",
    "vulnerable",
    "intensification",
    "crackdown",
    "nclcc",
    "orochi",
    "operation",
    "week of action",
    "organised crime",
    "charged",
    "ketamine",
    "mdma",
    "trap house",
)


_CANON: tuple[tuple[str, str], ...] = (
    ("county", "county lines"),
    ("deal", "deal line"),
    ("drug", "drugs line"),
    ("line", "line holder"),
    ("cuckoo", "cuckooing"),
    ("nclcc", "nclcc"),
    ("national", "national county lines coordination centre"),
    ("op", "operation orochi"),
    ("intensification", "intensification week"),
    ("week", "intensification week"),
)


@functools.lru_cache(maxsize=512)
def _norm(term: str) -> str:
    """Map a matched variant ("County-Lines", "cuckooed") to its lexicon entry for faceting."""
    low = term.lower()
    return next(canon for prefix, canon in _CANON if low.startswith(prefix))


def _lower(text: str) -> str:
    """Lowercase once so every pattern can run without IGNORECASE."""
    return text.lower()


def _terms(low: str) -> tuple[list[str], int]:
    """Lexicon entries found in lowercased text, in order, and the raw hit count."""
    seen: dict[str, None] = {}
    hits = 0
    for m in _TERMS.finditer(low):
        if m.start() and low[m.start() - 1].isalnum():
            continue
        hits += 1
        seen.setdefault(_norm(m.group(0)), None)
    return list(seen), hits


def matched_terms(text: str) -> list[str]:
    """County-lines lexicon terms in text, lowercase, deduped, in order found."""
    return _terms(_lower(text))[0]


def _look_alike(low: str, hits: int) -> bool:
    """A review of a film/series titled County Lines, or US boundary usage, is not relevant."""
    if any(map(low.__contains__, _MEDIA_KEYS)):
        media = {m.group(0) for m in _MEDIA.finditer(low)}
        if len(media) >= 2 and not _POLICING.search(low):
            return True
    if "county line" in low and any(map(low.__contains__, _BOUNDARY_KEYS)):
        return len(_BOUNDARY.findall(low)) >= hits
    return False


def assess(title: str, text: str) -> tuple[bool, list[str]]:
    """Decide relevance and return the lexicon terms that justify it."""
    full = text if not title or title in text[: len(title) + 200] else f"{title}\n{text}"
    low = _lower(full)
    terms, hits = _terms(low)
    if not terms or _look_alike(low, hits):
        return False, []
    return True, terms


def is_candidate(title: str, summary: str) -> bool:
    """Cheap prefilter on a feed entry: worth fetching if it smells of drugs or county lines."""
    low = f"{title} {summary}".lower()
    return any(map(low.__contains__, _CANDIDATE_KEYS))


# Every lexicon term above contains one of these anchors, so a page whose lower-cased bytes hold
# none of them cannot be relevant: it is rejected without building a tree (most fetched pages).
# Entities and no-break spaces stand in for the whitespace a parsed page would have.
_GAP = rb"(?:\s|-|&nbsp;|&#160;|&#xa0;|\xc2\xa0)+"
_ANCHORS = re.compile(
    rb"county|cuckoo|nclcc|orochi|intensification|(?:deal|drug)\w*"
    + _GAP
    + rb"lines?|line"
    + _GAP
    + rb"holder"
)


def may_mention(raw: bytes) -> bool:
    """Could this page's text match the lexicon? False only when no anchor is in its bytes."""
    head = raw[:1024]
    if b"\x00" in head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16/32: the bytes do not spell the words; decide on the parsed text
    return _ANCHORS.search(raw.lower()) is not None
