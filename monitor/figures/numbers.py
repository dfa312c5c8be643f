"""Numbers in prose: digits, written numbers, money, weights, qualifiers and prison terms.

Reading a number is kept apart from classifying it: this module only says "£2.7 million,
more_than" or "six years and three months = 6.25"; what the number counts is decided in
``items``, ``actions`` and ``context``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
        + ("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen")
        + ("eighteen", "nineteen")
    )
}
_TENS: dict[str, int] = {
    w: 10 * (i + 2)
    for i, w in enumerate(
        ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
    )
}
_SCALES: dict[str, int] = {"thousand": 1_000, "million": 1_000_000}
_WORDS = sorted([*_UNITS, *_TENS, "hundred", *_SCALES], key=len, reverse=True)
_NUMW = "|".join(_WORDS)
WRITTEN = rf"\b(?:{_NUMW})(?:(?:[ -]+|(?<=hundred) and |(?<=thousand) and )(?:{_NUMW}))*\b"
DIGITS = r"(?<![\w.,/\-–])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUM = rf"(?:{DIGITS}|{WRITTEN})"

# A plain character-class scan is ~5x faster than the precise pattern; _DIGITS_OK then trims.
_DIGIT_RUN = re.compile(r"[0-9£][0-9,.]*")
_DIGITS_OK = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
# Lowercased text, no IGNORECASE and no leading \b: the engine can then skip ahead fast.
_WORD_MENTION = re.compile(
    rf"(?:{_NUMW})(?:(?:[ -]+|(?<=hundred) and |(?<=thousand) and )(?:{_NUMW}))*\b"
)
_TAIL = re.compile(
    r"(?: ?(?P<mult>million|billion|bn|m|k)\b)?"
    r"(?: ?(?P<unit>kgs|kg|kilos?|kilograms?|tonnes?|grams|g)\b)?"
    r"(?P<plus>\+)?(?: (?P<pounds>pounds)\b)?",
    re.IGNORECASE,
)
_TAIL_FIRST = frozenset("mbkgtpMBKGTP+")
_QUALIFIER = re.compile(
    r"\b(?P<q>more than|over|in excess of|upwards of|just over|nearly|almost|around|about|"
    r"approximately|approx\.?|roughly|some|an estimated|up to|at least|fewer than|less than|"
    r"under|just under)[\s`'\"‘’“”]+$",
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
_QUAL_LAST = frozenset(k.rsplit(None, 1)[-1] for k in _QMAP)
_MULT: dict[str, float] = {"million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "k": 1e3}
_KG: dict[str, float] = {"kg": 1.0, "kgs": 1.0, "kilo": 1.0, "kilos": 1.0, "kilogram": 1.0}
_KG |= {"kilograms": 1.0, "tonne": 1000.0, "tonnes": 1000.0, "g": 0.001, "grams": 0.001}
_AFTER_SKIP = re.compile(r"[\w%]|-\d|–\d| ?per ?cent|-year|-month| years? old|-strong", re.I)
_YEAR = re.compile(r"(?:19|20)\d\d")


_BEFORE_WORDS = ("aged ", "age of ", "number ", "no. ", "no.")


# "Four men, aged 19, 24, 33 and 41": every number in a list of ages is an age.
_AGE_LIST = re.compile(
    r"\baged (?:between |from |up to |under |over )?(?:\d+,? (?:and |to )?)*$", re.IGNORECASE
)


def _skip_before(text: str, start: int) -> bool:
    """An age, a range end or a numbering ("aged 19", "3-9", "No. 5") precedes the number."""
    if start >= 2 and text[start - 1] in "-–" and text[start - 2].isdigit():
        return True
    if "aged " in text[max(0, start - 40) : start] and _AGE_LIST.search(
        text, max(0, start - 40), start
    ):
        return True
    window = text[max(0, start - 8) : start].lower()
    if "ag" not in window and "numb" not in window and "no." not in window:
        return False
    for word in _BEFORE_WORDS:
        if window.endswith(word):
            i = len(window) - len(word)
            return i == 0 or not window[i - 1].isalnum()
    return False


def _skip_after(text: str, end: int) -> bool:
    """A unit or word glued to the number ("31%", "16-year-old", "5 per cent") follows it."""
    nxt = text[end : end + 1]
    if not nxt or (nxt == " " and text[end + 1 : end + 2] not in "pPyY"):
        return False
    return bool(_AFTER_SKIP.match(text, end))


@dataclass(slots=True)
class Mention:
    """One number found in text, with its kind (count|gbp|kg), qualifier and span."""

    value: float
    kind: str
    qualifier: str
    start: int
    end: int
    qstart: int
    head_end: int = -1  # people counted per place: the noun and verb follow the first part


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
    last = text[max(0, start - 15) : start].rsplit(None, 1)[-1:]
    if not last or last[0].lower().rstrip("`'\"‘’“”") not in _QUAL_LAST:
        return "exact", start
    m = _QUALIFIER.search(text, max(0, start - 24), start)
    if not m:
        return "exact", start
    return _QMAP[m.group("q").lower()], m.start()


def _is_round(value: float) -> bool:
    """A value with at most two significant digits reads as a rounded estimate."""
    digits = f"{value:.0f}".rstrip("0")
    return value == int(value) and len(digits) <= 2


def _value(base: float, tail: re.Match[str]) -> float:
    """Apply million/k multipliers and weight units to a parsed number."""
    mult = (tail.group("mult") or "").lower()
    unit = (tail.group("unit") or "").lower()
    if mult:
        base *= _MULT[mult]
    if unit:
        base *= _KG[unit]
    return round(base, 6)


def _skip(
    text: str, start: int, end: int, digits: str | None, gbp: bool, tail: re.Match[str]
) -> bool:
    """Reject dates, years, ages, ranges, percentages, phone numbers and metres."""
    if start and (text[start - 1].isalnum() or text[start - 1] in ".,/-–"):
        return True
    if _skip_after(text, end) or _skip_before(text, start):
        return True
    mult = tail.group("mult")
    if mult and mult.lower() in ("m", "k", "bn") and not gbp:
        return True
    if digits and not gbp and not tail.group("unit"):
        return bool(_YEAR.fullmatch(digits)) or (digits[0] == "0" and not digits.startswith("0."))
    return False


_Raw = tuple[int, int, float, str | None, bool, int]


def _raw_numbers(text: str, low: str) -> list[_Raw]:
    """(start, end, value, digits, sterling, digits start) for every number in the text."""
    found: list[_Raw] = []
    for m in _DIGIT_RUN.finditer(text):
        start = m.start()
        num_start = start + 1 if text[start] == "£" else start
        if num_start < len(text) and text[num_start] == " ":
            num_start += 1
        ok = _DIGITS_OK.match(text, num_start)
        if ok:
            digits = ok.group(0)
            value = float(digits.replace(",", ""))
            found.append((start, ok.end(), value, digits, num_start > start, num_start))
    covered = 0
    for i in _word_starts(low):
        word = _WORD_MENTION.match(low, i) if i >= covered else None
        number = words_to_number(word.group(0)) if word else None
        if word and number is not None:
            covered = word.end()
            found.append((i, word.end(), number, None, False, i))
    found.sort()
    return found


_PUNCT_CHARS = b",.;:!?()[]\"'-/"
_PUNCT = bytes.maketrans(_PUNCT_CHARS, b" " * len(_PUNCT_CHARS))
_NUMSET = frozenset(w.encode() for w in _WORDS)


def _word_starts(low: str) -> list[int]:
    """Offsets of whole number words, found with str.find (much cheaper than a regex scan)."""
    starts: list[int] = []
    tokens = low.encode("ascii", "replace").translate(_PUNCT).split()
    for raw in _NUMSET.intersection(tokens):
        word = raw.decode()
        i = low.find(word)
        while i != -1:
            j = i + len(word)
            if not (i and low[i - 1].isalpha()) and not low[j : j + 1].isalpha():
                starts.append(i)
            i = low.find(word, j)
    starts.sort()
    return starts


def find_mentions(text: str, low: str | None = None) -> list[Mention]:
    """All numbers in text that could be a figure, with units and qualifiers attached."""
    low = text.lower() if low is None else low
    out: list[Mention] = []
    covered = 0
    for start, end, base, digits, gbp, num_start in _raw_numbers(text, low):
        if start < covered:
            continue
        # Most numbers are followed by a plain word: let the tail match only the empty string.
        nxt = text[end : end + 2]
        bare = nxt[:1] not in _TAIL_FIRST and (nxt[:1] != " " or nxt[1:] not in _TAIL_FIRST)
        tail = _TAIL.match(text, end, end if bare else len(text))
        assert tail is not None  # every part of the tail pattern is optional
        covered = tail.end()
        sterling = gbp or bool(tail.group("pounds"))
        if _skip(text, num_start, tail.end(), digits, sterling, tail):
            continue
        value = _value(base, tail)
        kind = "gbp" if sterling else "kg" if tail.group("unit") else "count"
        qual, qstart = qualifier_before(text, start)
        if tail.group("plus"):
            qual = "more_than"
        elif qual == "about" and text[qstart:start].lower().startswith("some"):
            qual = "about" if _is_round(value) else "exact"
        out.append(Mention(value, kind, qual, start, tail.end(), qstart))
    return out


_LNUM = rf"(?<![\w.,])(?:{DIGITS}|{WRITTEN})"
_DURATION = re.compile(
    rf"(?P<y>{_LNUM})(?P<half> and (?:a )?half)? years?(?:,? (?:and )?(?P<m>{_LNUM}) months?)?|"
    rf"(?P<mo>{_LNUM}) months?|(?P<yt>{_LNUM})[ -]year (?:prison |jail |custodial )?"
    rf"(?:sentence|term)|(?P<mt>{_LNUM})[ -]month (?:prison |jail |custodial )?(?:sentence|term)"
)
_JAIL_BEFORE = re.compile(
    r"\b(?:jail|prison|imprison|sentenc|custod|detention|detained|locked up|behind bars|"
    r"received|given|handed|serve|term of|got)\w*\b[^.;]{0,60}$",
    re.IGNORECASE,
)
_JAIL_AFTER = re.compile(
    r"[^.;]{0,12}\b(?:in prison|behind bars|in custody|in jail|imprisonment|custodial|"
    r"in a young offenders?|detention)",
    re.IGNORECASE,
)
_NOT_TERM = re.compile(
    r"\b(?:next|last|past|coming|previous|first|within|aged|over the|suspended for)\s+$", re.I
)
# A suspended sentence is not a custodial one.
_SUSPENDED = re.compile(r"[^.;]{0,40}?\bsuspended\b", re.I)


def _num(text: str | None) -> float:
    """Parse a digit or written number already matched by NUM."""
    if not text:
        return 0.0
    if text[0].isdigit():
        return float(text.replace(",", ""))
    return words_to_number(text) or 0.0


def find_durations(sentence: str) -> list[Mention]:
    """Custodial terms ("six years and four months", "46 months") as years, 2 decimals."""
    low = sentence.lower()
    if "year" not in low and "month" not in low:
        return []
    found: list[Mention] = []
    for m in _DURATION.finditer(low):
        if _NOT_TERM.search(low, max(0, m.start() - 20), m.start()):
            continue
        if low.startswith(" ago", m.end()) or low.startswith(" old", m.end()):
            continue
        if "suspended" in low and _SUSPENDED.match(low, m.end()):
            continue
        lo = max(0, m.start() - 90)
        if not (_JAIL_BEFORE.search(low, lo, m.start()) or _JAIL_AFTER.match(low, m.end())):
            continue
        years = _num(m.group("y")) + _num(m.group("yt")) + (0.5 if m.group("half") else 0)
        years += (_num(m.group("m")) + _num(m.group("mo")) + _num(m.group("mt"))) / 12
        qual, qstart = qualifier_before(sentence, m.start())
        found.append(Mention(round(years, 2), "years", qual, m.start(), m.end(), qstart))
    return found
