"""Weighed evidence that two articles report one announcement, and the few true contradictions.

Outlets rewrite a release in their own words: a new headline, a subset of the figures, numbers
rounded ("49 arrests" -> "nearly 50"), the quote paraphrased, a day or a fortnight later. So no
single signal decides; each adds its weight and two articles are one story when the total reaches
JOIN. A veto is kept only for what cannot both be true of one announcement.

Signals (weights; JOIN = 3.0):

- exact identity: same URL edition, GUID or word-hash of the text -> always one story
- text: body shingle Jaccard (estimated from 64-value MinHash signatures) >= 0.35, or one text
  mostly inside the other -> 4.0; else 8 x J
- figures: per metric both state with compatible values (equal, or within 10% when one side is
  rounded or qualified: 49 exact ~ "nearly 50" about, "more than £10,000" ~ £10,000), the figure's
  distinctiveness (1.0; 0.5 for a round amount; 0.25 for a count under ten), x0.8 when only
  within rounding; at most 4.0
- numbers: each stated number both texts share (digits or words: "Sixteen" = "16"), 0.4 x its
  distinctiveness, at most 1.5; headline numbers all found in the other's text -> 0.5 each, at
  most 1.0
- headline: 3 x Jaccard of the headline words (shared county-lines vocabulary left out)
- names: each shared proper noun (town, officer, unit) 0.5, at most 2.0; a named operation
  ("Operation Poetry") 2.0; a court 1.0
- force: a force both name 1.0 (0.5 when one names three or more); a force one names whose
  area the other names 0.75; forces and areas named that have nothing in common -1.0
- dates: published the same or next day +0.5; five to fourteen days apart -0.5
- event: headlines of different kinds (a sentencing against a week's results) -2.0

Vetoes (true contradictions, overridden only by exact identity): more than 14 days apart; two
different home forces (the force whose own source published it, else the one its headline
names: a press copy that adds a paragraph on its local force is still the copy); two pages with
text from one force's own source (a force does not announce one thing twice: its second page is
a follow-up restating the first one's figures); figures of the same metrics that mostly cannot
both be true; the same template with different numbers (similar text or headline, mostly
different numbers stated), which is how one force's weekly releases look week after week.

A headline-only item (Google News, no page text) joins by its headline alone: Jaccard >= 0.6
with three words in common, and no headline number the other lacks; it scores JOIN plus how far
its Jaccard is above 0.6, so of two stories it fits the closer headline wins.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from monitor import forces

if TYPE_CHECKING:
    from monitor.dedupe import StoryKey

JOIN = 3.0
WINDOW_DAYS = 14
W_TEXT_STRONG, W_TEXT = 4.0, 8.0
W_FIGURES_CAP, W_ROUNDED = 4.0, 0.8
W_NUMBER, W_NUMBERS_CAP, W_HEADLINE_NUMBER, W_HEADLINE_NUMBERS = 0.4, 1.5, 0.5, 1.0
W_TITLE = 3.0
W_NAME, W_NAMES_CAP, W_OPERATION, W_COURT = 0.5, 2.0, 2.0, 1.0
W_FORCE, W_FORCES, W_AREA, W_OTHER_AREA = 1.0, 0.5, 0.75, -1.0
W_SAME_DAY, W_LATE = 0.5, -0.5
W_EVENT = -2.0
ROUNDING = 0.10  # how far a rounded or qualified figure may be from the precise one


@dataclass
class Evidence:
    """What two articles share, signal by signal, and the contradiction that vetoes them."""

    signals: dict[str, float] = field(default_factory=dict)
    veto: str | None = None
    exact: bool = False

    @property
    def score(self) -> float:
        return sum(self.signals.values())

    @property
    def same(self) -> bool:
        return self.exact or (self.veto is None and self.score >= JOIN)

    def add(self, signal: str, weight: float) -> None:
        if weight:
            self.signals[signal] = round(weight, 3)


def jaccard(a: set, b: set) -> float:  # type: ignore[type-arg]
    """Set overlap in [0, 1]; empty sets are not similar to anything."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def distinctive(metric: str, value: float) -> float:
    """How much one shared figure says: small counts and round amounts (10, 50, £5,000) coincide
    by chance; 38 arrests or £15,400 rarely do."""
    if value < 10 and not metric.endswith("_kg"):
        return 0.25
    digits = f"{value:.6g}".replace(".", "").strip("0")
    return 0.5 if len(digits) <= 1 else 1.0


def _number_weight(number: str) -> float:
    try:
        value = float(number)
    except ValueError:
        return 0.0
    return distinctive("", value)


def compatible(a: float, qa: str, b: float, qb: str) -> tuple[bool, bool]:
    """(can both be true, only within rounding): 49 exact and "nearly 50" can; 38 and 41 cannot."""
    if a == b:
        return True, False
    lo, hi = min(a, b), max(a, b)
    if hi <= 0 or (hi - lo) / hi > ROUNDING:
        return False, False
    for value, qual, other in ((a, qa, b), (b, qb, a)):
        if qual in ("more_than", "at_least") and other < value:
            return False, False
        if qual in ("less_than", "up_to") and other > value:
            return False, False
    rounded = {qa, qb} != {"exact"} or min(distinctive("", a), distinctive("", b)) < 1.0
    return rounded, rounded


def _figure_agreement(a: StoryKey, b: StoryKey) -> tuple[float, int, int]:
    """(weight of the metrics that agree, metrics agreeing, metrics disagreeing)."""
    mine, theirs = a.facts_by_metric(), b.facts_by_metric()
    weight, agree, disagree = 0.0, 0, 0
    for metric in mine.keys() & theirs.keys():
        left, right = mine[metric], theirs[metric]
        best = 0.0
        for va, qa in left:
            for vb, qb in right:
                ok, rounded = compatible(va, qa, vb, qb)
                if ok:
                    w = distinctive(metric, max(va, vb)) * (W_ROUNDED if rounded else 1.0)
                    best = max(best, w)
        if best:
            agree += 1
            weight += best
        else:
            disagree += 1
    return min(weight, W_FIGURES_CAP), agree, disagree


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


def _title_numbers_conflict(a: StoryKey, b: StoryKey) -> bool:
    return bool(a.title_numbers and b.title_numbers and not a.title_numbers & b.title_numbers)


def text_similarity(a: StoryKey, b: StoryKey) -> tuple[float, bool]:
    """(shingle Jaccard, one text mostly inside the other: a news-in-brief cut from a
    release), exact from shingle sets when both keys hold them, else estimated from their
    MinHash signatures (what placement keeps, so a candidate's text is never re-read)."""
    if a.body and b.body:
        small = min(len(a.body), len(b.body))
        inter = len(a.body & b.body)
        return inter / len(a.body | b.body), small >= 20 and inter >= 0.8 * small
    if not a.signature or len(a.signature) != len(b.signature):
        return 0.0, False
    est = sum(map(operator.eq, a.signature, b.signature)) / len(a.signature)
    least = min(a.shingle_count, b.shingle_count)
    common = est * (a.shingle_count + b.shingle_count) / (1 + est)
    return est, least >= 20 and common >= 0.8 * least


def _exact(a: StoryKey, b: StoryKey) -> bool:
    return bool(
        (a.content_hash and a.content_hash == b.content_hash)
        or (a.url_keys & b.url_keys)
        or (a.guid and a.guid == b.guid)
    )


@cache
def _force_code(name: str) -> str | None:
    return forces.match_name(name)


def _home(key: StoryKey) -> str | None:
    """The one force an article is about: its own source's force, else the only force its
    headline names (a press copy adding a paragraph on its local force is still the copy)."""
    own = _force_code(key.force) if key.force else None
    if own:
        return own
    return next(iter(key.title_forces)) if len(key.title_forces) == 1 else None


def _veto(
    a: StoryKey, b: StoryKey, text: float, title: float, agreement: tuple[float, int, int]
) -> str | None:
    if a.day is not None and b.day is not None and abs(a.day - b.day) > WINDOW_DAYS:
        return "dates"
    home_a, home_b = _home(a), _home(b)
    if home_a and home_b and home_a != home_b:
        return "forces"
    if a.source and a.source == b.source and a.force and a.has_body and b.has_body:
        return "source"  # a force does not announce one thing on two pages
    _, agree, disagree = agreement
    if disagree and agree < max(1, (agree + disagree) / 2):
        return "figures"
    if (text >= 0.2 or title >= 0.5) and numbers_conflict(a.numbers, b.numbers):
        return "template"
    if title >= 0.5 and _title_numbers_conflict(a, b):
        return "template"
    return None


def weigh(a: StoryKey, b: StoryKey) -> Evidence:
    """The evidence that a and b report one announcement (see the module docstring)."""
    ev = Evidence(exact=_exact(a, b))
    if ev.exact:
        return ev
    text, contained = text_similarity(a, b)
    title = jaccard(a.title, b.title)
    agreement = _figure_agreement(a, b)
    if not a.has_body or not b.has_body:  # a headline-only item joins by its headline
        common = len(a.title & b.title)
        if title >= 0.6 and common >= 3 and not _title_numbers_conflict(a, b):
            ev.add("headline only", JOIN + title - 0.6)  # the closer headline ranks first
    else:
        _add_signals(ev, a, b, text if text < 0.35 and not contained else 1.0, title)
        ev.add("figures", agreement[0])
    if ev.score >= JOIN:  # a contradiction only matters for what would otherwise join
        ev.veto = _veto(a, b, text, title, agreement)
    return ev


def _add_signals(ev: Evidence, a: StoryKey, b: StoryKey, text: float, title: float) -> None:
    ev.add("text", W_TEXT_STRONG if text >= 1.0 else W_TEXT * text)
    shared = sum(_number_weight(n) for n in a.spelled & b.spelled)
    ev.add("numbers", min(W_NUMBERS_CAP, W_NUMBER * shared))
    for one, other in ((a, b), (b, a)):
        heads = {n for n in one.title_numbers if _number_weight(n) >= 0.5}
        if heads and heads <= other.spelled:
            weight = min(W_HEADLINE_NUMBERS, W_HEADLINE_NUMBER * len(heads))
            ev.add("headline numbers", max(weight, ev.signals.get("headline numbers", 0.0)))
    ev.add("headline", W_TITLE * title)
    ev.add("names", min(W_NAMES_CAP, W_NAME * len(a.names & b.names)))
    ev.add("operation", W_OPERATION if a.operations & b.operations else 0.0)
    ev.add("court", W_COURT if a.courts & b.courts else 0.0)
    if a.forces & b.forces:  # a roundup naming many forces says little about one
        ev.add("force", W_FORCE if max(len(a.forces), len(b.forces)) <= 2 else W_FORCES)
    elif (a.forces | a.areas) & (b.forces | b.areas):
        ev.add("force", W_AREA)
    elif (a.forces | a.areas) and (b.forces | b.areas):
        ev.add("force", W_OTHER_AREA)
    if a.day is not None and b.day is not None:
        gap = abs(a.day - b.day)
        ev.add("dates", W_SAME_DAY if gap <= 1 else W_LATE if gap >= 5 else 0.0)
    if a.events and b.events and not a.events & b.events:
        ev.add("event", W_EVENT)


def conflict(a: StoryKey, b: StoryKey) -> bool:
    """A true contradiction: the two cannot be one announcement (checked against every member
    of a story before an article joins it)."""
    if _exact(a, b):
        return False
    text, title = text_similarity(a, b)[0], jaccard(a.title, b.title)
    return _veto(a, b, text, title, _figure_agreement(a, b)) is not None


def match(a: StoryKey, b: StoryKey) -> str | None:
    """Why two articles report one announcement ('exact', 'text', 'evidence', 'title'), or None."""
    ev = weigh(a, b)
    if not ev.same:
        return None
    if ev.exact:
        return "exact"
    if "headline only" in ev.signals:
        return "title"
    return "text" if ev.signals.get("text", 0) >= W_TEXT_STRONG else "evidence"


def same_story(a: StoryKey, b: StoryKey) -> bool:
    """Two articles report one announcement."""
    return weigh(a, b).same
