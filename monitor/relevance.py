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
    r"film title|writer[–-]director|the film|this film|(?:19|20)\d\d film|film's|debut feature|"
    r"drama series|tv drama|the series|on screen|performances?|\w+ review)(?!\w)"
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
_MEDIA_KEYS += ("review", "series", "drama", "screen", "performance")
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
_BOUNDARY_KEYS += ("across county line", "across the county line", "across several county")
_BOUNDARY_KEYS += ("across multiple county",)
# US usage: a county line is a boundary or a road.
_BOUNDARY = re.compile(
    r"\bcounty[\s-]+line\s+(?:road|rd|avenue|ave|street|bridge)\b|"
    r"\bacross (?:the )?county lines? (?:into|to|from)\b",
    _I,
)
# The US sense: sheriffs, deputies, multi-county pursuits; there "across county lines" is a
# boundary crossed, so a hit in that form does not count.
_US = re.compile(
    r"\b(?:sheriff'?s?|deputies|multi-county|state troopers?|highway patrol|interstate|"
    r"state line|counties|district attorney|police department)\b"
)
_US_BOUNDARY = re.compile(
    r"\bacross (?:the |several |multiple |two |three )?county lines?\b(?![\s-]+(?:drug|gang))"
)
# A passing mention (one hit, not in the headline) counts only with county-lines context
# around it: exploitation, vulnerable people, runners, cuckooing, safeguarding.
_RESULT = re.compile(
    r"arrest|seiz|charged|jailed|sentenced|convicted|closed|shut down|dismantl|disrupt|raid|"
    r"warrant|recovered"
)
_POLICY = re.compile(r"\b(?:strateg\w*|plan|policy|priorit\w*|agenda|white paper|action plan)\b")
# A hoped-for effect on county lines ("would hit the county lines gangs"), not a result.
_CLAIM = re.compile(
    r"\b(?:would|will|could|should|aims? to|hopes? to|helps? to)\s+(?:\w+\s+)?(?:hit|tackle|"
    r"disrupt|target|combat|cut|reduce|stop|fight|deter|dismantle|undermine|starve)\b"
)
_SUPPORT = re.compile(
    r"exploit|vulnerab|cuckoo|\brunners?\b|line holder|deal line|safeguard|groom|"
    r"young people|children|teenager|\bmules?\b|trap house"
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
        boundary = len(_BOUNDARY.findall(low))
        if _US.search(low):
            boundary += len(_US_BOUNDARY.findall(low))
        if boundary >= hits:
            return True
    return False


def _passing_mention(low: str, title: str, terms: list[str], hits: int) -> bool:
    """One "county lines" in a list of crime types, a strategy's name or a quoted claim.

    A plan "from combatting county lines to catching burglars", or a border seizure whose
    minister "said the haul would hit county lines gangs", names county lines once with no
    county-lines context (exploitation, runners, cuckooing...) anywhere else in the article.
    """
    if hits != 1 or terms != ["county lines"] or _terms(title.lower())[1]:
        return False
    hit = _TERMS.search(low)
    if hit is None:
        return False
    start = low.rfind(". ", max(0, hit.start() - 300), hit.start()) + 1
    end = low.find(". ", hit.end(), hit.end() + 300)
    end = end if end != -1 else min(len(low), hit.end() + 300)
    sentence, outside = low[start:end], low[:start] + low[end:]
    if len(_SUPPORT.findall(outside)) >= 2:
        return False
    if _POLICY.search(sentence) or _CLAIM.search(sentence):
        return True
    return len(_SUPPORT.findall(sentence)) < 2 and not _RESULT.search(low)


def assess(title: str, text: str) -> tuple[bool, list[str]]:
    """Decide relevance and return the lexicon terms that justify it."""
    full = text if not title or title in text[: len(title) + 200] else f"{title}\n{text}"
    low = _lower(full)
    terms, hits = _terms(low)
    if not terms or _look_alike(low, hits) or _passing_mention(low, title, terms, hits):
        return False, []
    return True, terms


def is_candidate(title: str, summary: str) -> bool:
    """Cheap prefilter on a feed entry: worth fetching if it smells of drugs or county lines."""
    low = f"{title} {summary}".lower()
    return any(map(low.__contains__, _CANDIDATE_KEYS))


# Every lexicon term above contains one of these anchors, so a page whose lower-cased bytes hold
# none of them cannot be relevant: it is rejected without building a tree (most fetched pages).
# Between the words of an anchor, whatever a parsed page would read as a space or nothing:
# whitespace, hyphens, no-break spaces, any character reference, a tag ("two <a>drug</a> lines").
_GAP = rb"(?:\s|-|\xc2\xa0|&#?\w{1,8};|<[^<>]{0,200}>)+"
_ANCHORS = re.compile(
    rb"county|cuckoo|nclcc|orochi|intensification|(?:deal|drug)\w*"
    + _GAP
    + rb"lines?|line"
    + _GAP
    + rb"holder"
)
# A letter written as a character reference ("c&#111;unty"): only a parse can read that word.
_LETTER_REFERENCE = re.compile(
    rb"&#(?:0*(?:6[5-9]|[78]\d|9[07-9]|1[01]\d|12[0-2])|x0*[4-7][0-9a-f]);"  # A-Z, a-z
)

# The literal each anchor begins with: bytes.find skips to them ~20x faster than the regex can
# scan a 40 KB page, and the regex then only confirms a match where one begins. "line holder" is
# found from "holder" (a page's CSS says "line" a hundred times), looking back up to _HOLDER_GAP
# bytes for its "line".
_ANCHOR_STARTS = (b"county", b"cuckoo", b"nclcc", b"orochi", b"intensification", b"deal", b"drug")
_LINE_HOLDER = re.compile(rb"line" + _GAP + rb"holder")
_HOLDER_GAP = 4096
_MAX_LOOKS = 2000  # anchor candidates examined; past that the page is parsed (hostile or odd)


def _has_anchor(low: bytes) -> bool:
    """Does an anchor begin anywhere in this lower-cased page? (What _ANCHORS.search would say,
    at bytes.find speed.) True past _MAX_LOOKS candidates: a hostile page costs a bounded loop,
    then a parse under the extraction budget."""
    looks = 0
    for start in (*_ANCHOR_STARTS, b"holder"):
        at = low.find(start)
        while at != -1:
            looks += 1
            if looks > _MAX_LOOKS:
                return True
            if start == b"holder":
                if _LINE_HOLDER.search(low, max(0, at - _HOLDER_GAP), at + 6):
                    return True
            elif _ANCHORS.match(low, at):
                return True
            at = low.find(start, at + 1)
    return False


def may_mention(raw: bytes) -> bool:
    """Could this page's text match the lexicon? False only when no anchor is in its bytes.

    Any anchor counts, a site menu's "County lines" link included: a byte scan cannot tell
    reliably which bytes a parser puts inside a menu (misnested tags close elements early, a
    "<nav" may sit in an attribute or a <textarea>), and a page wrongly rejected here is lost."""
    head = raw[:1024]
    if b"\x00" in head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16/32: the bytes do not spell the words; decide on the parsed text
    low = raw.lower()
    if _has_anchor(low):
        return True
    return b"&#" in low and _LETTER_REFERENCE.search(low) is not None
