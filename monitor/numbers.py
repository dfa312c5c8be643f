"""Numbers in prose: digits, written numbers, money, weights, qualifiers and prison terms."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS: dict[str, int] = {
    w: 10 * (i + 2)
    for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
_SCALES: dict[str, int] = {"thousand": 1_000, "million": 1_000_000}
_WORDS = sorted([*_UNITS, *_TENS, "hundred", *_SCALES], key=len, reverse=True)
_NUMW = "|".join(_WORDS)
WRITTEN = (
    rf"\b(?:{_NUMW})(?:(?:[ -]+|(?<=hundred) and |(?<=thousand) and )(?:{_NUMW}))*\b"
)
DIGITS = r"(?<![\w.,/\-–])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUM = rf"(?:{DIGITS}|{WRITTEN})"

_MENTION = re.compile(
    rf"(?P<gbp>£ ?)?(?:(?P<d>{DIGITS})|(?P<w>{WRITTEN}))"
    r"(?: ?(?P<mult>million|billion|bn|m|k)\b)?"
    r"(?: ?(?P<unit>kg|kilos?|kilograms?|tonnes?|grams|g)\b)?"
    r"(?P<plus>\+)?(?: (?P<pounds>pounds)\b)?",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(
    r"\b(?P<q>more than|over|in excess of|upwards of|just over|nearly|almost|around|about|"
    r"approximately|approx\.?|roughly|some|an estimated|up to|at least|fewer than|less than|"
    r"under|just under)\s+$",
    re.IGNORECASE,
)
_QMAP: dict[str, str] = {
    "more than": "more_than",
    "over": "more_than",
    "in excess of": "more_than",
    "upwards of": "more_than",
    "just over": "more_than",
    "nearly": "about",
    "almost": "about",
    "around": "about",
    "about": "about",
    "approximately": "about",
    "approx": "about",
    "approx.": "about",
    "roughly": "about",
    "some": "about",
    "an estimated": "exact",
    "up to": "up_to",
    "at least": "at_least",
    "fewer than": "less_than",
    "less than": "less_than",
    "under": "less_than",
    "just under": "less_than",
}
_MULT: dict[str, float] = {"million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "k": 1e3}
_KG: dict[str, float] = {"kg": 1.0, "kilo": 1.0, "kilos": 1.0, "kilogram": 1.0}
_KG |= {"kilograms": 1.0, "tonne": 1000.0, "tonnes": 1000.0, "g": 0.001, "grams": 0.001}
_AFTER_SKIP = re.compile(r"[\w%]|-\d|–\d| ?per ?cent|-year|-month| years? old|-strong", re.I)
_BEFORE_SKIP = re.compile(r"(?:\d[-–]|\baged |\bage of |\bnumber |\bNo\. ?)$", re.I)
_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass
class Mention:
    """One number found in text, with its kind (count|gbp|kg), qualifier and span."""

    value: float
    kind: str
    qualifier: str
    start: int
    end: int
    qstart: int


def words_to_number(text: str) -> float | None:
    """Read written numbers ("ten thousand", "twenty-five") because releases spell them out."""
    total, current = 0, 0
    for tok in re.split(r"[\s-]+", text.lower()):
        if tok == "and":
            continue
        if tok in _UNITS:
            current += _UNITS[tok]
        elif tok in _TENS:
            current += _TENS[tok]
        elif tok == "hundred":
            current = (current or 1) * 100
        elif tok in _SCALES:
            total += (current or 1) * _SCALES[tok]
            current = 0
        else:
            return None
    return float(total + current)


def qualifier_before(text: str, start: int) -> tuple[str, int]:
    """Find the hedge word ("more than", "nearly") directly before a number, if any."""
    m = _QUALIFIER.search(text, max(0, start - 24), start)
    if not m:
        return "exact", start
    return _QMAP[m.group("q").lower()], m.start()


def _is_round(value: float) -> bool:
    """A value with at most two significant digits reads as a rounded estimate."""
    digits = f"{value:.0f}".rstrip("0")
    return value == int(value) and len(digits) <= 2


def _value(m: re.Match[str]) -> float | None:
    """The numeric value of a mention, applying million/k and weight units."""
    raw = m.group("d")
    base = float(raw.replace(",", "")) if raw else words_to_number(m.group("w"))
    if base is None:
        return None
    mult = (m.group("mult") or "").lower()
    unit = (m.group("unit") or "").lower()
    if mult:
        base *= _MULT[mult]
    if unit:
        base *= _KG[unit]
    return round(base, 6)


def _skip(text: str, m: re.Match[str]) -> bool:
    """Reject dates, years, ages, ranges, percentages, phone numbers and metres."""
    digits, gbp = m.group("d"), m.group("gbp") or m.group("pounds")
    before = _BEFORE_SKIP.search(text, max(0, m.start() - 12), m.start())
    if _AFTER_SKIP.match(text, m.end()) or before:
        return True
    if m.group("mult") and m.group("mult").lower() in ("m", "k", "bn") and not gbp:
        return True
    if digits and not gbp and not m.group("unit"):
        if _YEAR.fullmatch(digits) or (digits.startswith("0") and not digits.startswith("0.")):
            return True
    return False


def find_mentions(text: str, pos: int, endpos: int) -> list[Mention]:
    """All numbers in text[pos:endpos] that could be a figure, with qualifiers attached."""
    found: list[Mention] = []
    for m in _MENTION.finditer(text, pos, endpos):
        if _skip(text, m):
            continue
        value = _value(m)
        if value is None:
            continue
        kind = "gbp" if m.group("gbp") or m.group("pounds") else "kg" if m.group("unit") else "count"
        qual, qstart = qualifier_before(text, m.start())
        if m.group("plus"):
            qual = "more_than"
        elif qual == "about" and text[qstart:m.start()].lower().startswith("some"):
            qual = "about" if _is_round(value) else "exact"
        found.append(Mention(value, kind, qual, m.start(), m.end(), qstart))
    return found


_DURATION = re.compile(
    rf"(?P<y>{NUM}) years?(?:,? (?:and )?(?P<m>{NUM}) months?)?|(?P<mo>{NUM}) months?",
    re.IGNORECASE,
)
_JAIL_BEFORE = re.compile(
    r"\b(?:jail|prison|imprison|sentenc|custod|detention|detained|locked up|behind bars|"
    r"received|given|handed|serve|term of)\w*\b[^.;]{0,60}$",
    re.IGNORECASE,
)
_JAIL_AFTER = re.compile(
    r"[^.;]{0,12}\b(?:in prison|behind bars|in custody|in jail|imprisonment|custodial|"
    r"in a young offenders?|detention)",
    re.IGNORECASE,
)
_NOT_TERM = re.compile(r"\b(?:next|last|past|coming|previous|first|within|aged|over the)\s+$", re.I)


def _num(text: str | None) -> float:
    """Parse a digit or written number already matched by NUM."""
    if not text:
        return 0.0
    if text[0].isdigit():
        return float(text.replace(",", ""))
    return words_to_number(text) or 0.0


def find_durations(text: str, pos: int, endpos: int) -> list[Mention]:
    """Custodial terms ("six years and four months", "46 months") as years, 2 decimals."""
    found: list[Mention] = []
    for m in _DURATION.finditer(text, pos, endpos):
        if _NOT_TERM.search(text, max(pos, m.start() - 20), m.start()):
            continue
        if text.startswith(" ago", m.end()) or text.startswith(" old", m.end()):
            continue
        lo = max(pos, m.start() - 90)
        if not (_JAIL_BEFORE.search(text, lo, m.start()) or _JAIL_AFTER.match(text, m.end(), endpos)):
            continue
        years = _num(m.group("y")) + (_num(m.group("m")) + _num(m.group("mo"))) / 12
        qual, qstart = qualifier_before(text, m.start())
        found.append(Mention(round(years, 2), "years", qual, m.start(), m.end(), qstart))
    return found
