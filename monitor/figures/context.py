"""Context that disqualifies a number: hedges, estimates, cumulative totals, background, teasers.

A number can name the right item beside the right verb and still not be a result of this
announcement: "could disrupt 20 lines" is a hope, "around 2,000 lines operate nationally" an
estimate, "since 2016 the unit has closed 400 lines" a programme total, "Earlier this year 30
people were jailed" an older case told as background, a "Read more:" line a teaser for another
story, and "£600,000 of cocaine moved along the line" drugs supplied, not seized. Every check
here looks at a bounded window (the sentence, or a few dozen characters before a number), so
extraction stays linear in the text.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

# Literal-first (no leading \b, no IGNORECASE) so re scans fast; run on the last 80 characters.
_HEDGE = re.compile(
    r"(?<![\w])(?:would|could|might|may|will|aims?|plans?|hopes?|expected|pledged?|targets?)\b"
    r"(?:\s+[\w-]+){0,3}\s+$"
)
_HEDGE_KEYS: tuple[str, ...] = (
    "would",
    "could",
    "might",
    "may",
    "will",
    "aim",
    "plan",
    "hope",
    "expect",
    "pledge",
)
_HEDGE_KEYS += ("target",)
_CUMULATIVE = re.compile(
    r"\bsince (?:(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) )?(?:19|20)\d\d\b|\bsince (?:it|its|the programme|the scheme) "
    r"(?:began|launch|start|was)|\bsince (?:its|the) (?:launch|start|inception)|\bbetween the "
    r"start of\b|\bbetween its launch\b|\bto date\b|\bsince (?:being )?(?:set up|launched)|"
    r"\bsince the (?:operation|unit|team|taskforce|task force|initiative|project|partnership|"
    r"campaign|scheme|programme) (?:began|started|launched|was (?:set up|launched|formed))",
    _I,
)
_BACKGROUND = re.compile(
    r"\b(?:are|is) (?:now )?(?:thought|estimated|believed)\b|\bestimates? (?:that )?there\b|"
    r"\bthere are (?:thought|estimated|believed|around|about|some|an estimated)\b|"
    r"\bit is (?:thought|estimated|believed)\b",
    _I,
)
# An older case or an earlier year told as background opens its sentence with when it was.
_EARLIER = re.compile(
    r"(?:Last year|Previously|In a separate (?:case|investigation)|"
    r"In (?:19|20)\d\d|Back in|In the previous|The previous year)\b"
)
# A line that points to another story is a teaser, not this article's results.
_TEASER = re.compile(
    r"\s*(?:Related|Read more|Read also|Also read|See also|More on this story|You may also like|"
    r"Related stories|Related articles|Most read|Recommended)\s*[:|–-]",
    _I,
)
_SUPERLATIVE = re.compile(r"\b(?:biggest|largest|first|most|highest|best)\b[^.,;]*$", _I)
_NRM = re.compile(r"National Referral Mechanism|(?<!\w)NRM\b")
# Drugs moved, sold or brought in over a period were dealt, not seized.
_DEALT = re.compile(
    r"\b(?:moved|supplied|sold|couriered|imported|smuggled|trafficked|transported|dealt|"
    r"shipped|distributed|ferried|flooded)\b",
    _I,
)
_DEALT_BEFORE = re.compile(
    r"\b(?:moved|supplied|sold|couriered|imported|smuggled|trafficked|transported|dealt|"
    r"shipped|distributed|ferried|supplying|selling|moving)\s+(?:[\w-]+\s+){0,2}$",
    _I,
)
_SEIZED = re.compile(r"\b(?:seiz\w*|recover\w*|found|confiscat\w*|intercept\w*|haul)\b", _I)
# "Three of them", "Five of the arrests", "four of those": a subset of a figure already counted.
SUBSET = re.compile(
    r"\s+of (?:them|whom|those|the (?!county\b|country\b|region\b|force\b)[\w-]+)\b",
    _I,
)


def hedged(before: str) -> bool:
    """A hope, plan or target ("will close 20 lines") directly before a number."""
    tail = before[-80:].lower()
    return any(map(tail.__contains__, _HEDGE_KEYS)) and bool(_HEDGE.search(tail))


def is_teaser(sentence: str) -> bool:
    """A "Related:" / "Read more:" line inside a page."""
    return sentence[:1] in "RrAaSsMmYy" and bool(_TEASER.match(sentence))


def skip_sentence(sentence: str, low: str, allow_cumulative: bool) -> bool:
    """Background estimates, older cases and cumulative programme totals are context."""
    return background(sentence, low) or (not allow_cumulative and cumulative(sentence, low))


def background(sentence: str, low: str) -> bool:
    """An estimate, a teaser line or an older case told as background."""
    if ("thought" in low or "estimat" in low or "believed" in low) and _BACKGROUND.search(sentence):
        return True
    return is_teaser(sentence) or bool(_EARLIER.match(sentence))


def cumulative(sentence: str, low: str) -> bool:
    """A programme total "since 2019" / "to date" (not the news unless the lead says so)."""
    if not ("since" in low or "between" in low or "to date" in low):
        return False
    return _cumulative(sentence, 0, len(sentence))


def _cumulative(text: str, start: int, end: int) -> bool:
    """A programme total ("since 2019", "to date"), not a comparison ("the biggest since")."""
    hit = _CUMULATIVE.search(text, start, end)
    if hit is None:
        return False
    # "the biggest operation since the taskforce was set up" compares; it totals nothing.
    return not _SUPERLATIVE.search(text, max(start, hit.start() - 50), hit.start())


def lead_is_cumulative(text: str, start: int, end: int) -> bool:
    """Programme totals in the lead sentence are the article's headline news."""
    return _cumulative(text, start, end)


def nrm_referral(sentence: str) -> bool:
    """National Referral Mechanism referrals are not people safeguarded."""
    return ("NRM" in sentence or "Referral" in sentence) and bool(_NRM.search(sentence))


def dealt_not_seized(before: str, after: str) -> bool:
    """ "£600,000 of cocaine moved along the line": drugs dealt, with no seizure word nearby."""
    if _DEALT_BEFORE.search(before[-40:]):
        return True
    window = after[:80]
    hit = _DEALT.search(window)
    return hit is not None and not _SEIZED.search(window, 0, hit.start())
