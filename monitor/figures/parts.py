"""Parts and totals: people counted in parts are one figure; drug amounts keep a link to a total.

"Eleven men, two women and a boy were arrested" is one figure, 14, as researchers count people.
"43kg of Class A drugs (8kg of crack cocaine, 31kg of cocaine and 4kg of heroin)" is a stated
total and its parts: both are extracted, and each part records the index of its total
(``Figure.part_of``) so that every sum in the archive can add totals only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from monitor.figures.numbers import Mention

_I = re.IGNORECASE
_PART = (
    r"(?:female|male|men|women|children|adults|boys|girls|females|males|juveniles|youths|"
    r"teenagers|minors)"
)
_PART_BETWEEN = re.compile(rf"\s+{_PART}\s*(?:,\s*and|,|and)\s+$", _I)
_PART_AFTER = re.compile(rf"\s+(?:[\w-]+\s+){{0,2}}?{_PART}\b", _I)
# "... and a boy were arrested": one more person named singly at the end of the list.
_ONE_MORE = re.compile(
    r"\s*(?:,\s*)?and (?:a|one) (?:teenage |young )?(?:boy|girl|man|woman|teenager|youth|"
    r"juvenile|minor)\b",
    _I,
)
# "Three men were held in Hull and three in Leeds": the same people counted per place.
_PER_PLACE = re.compile(
    r"\s+(?:men|women|people|suspects)\s+(?:were|have been)\s+(?:arrested|held|detained)\s+"
    r"in [A-Z][\w-]+(?: [A-Z][\w-]+)?\s+and\s+$"
)
_IN_PLACE_AFTER = re.compile(r"\s+in [A-Z]")


def merge_people(sentence: str, mentions: list[Mention]) -> list[Mention]:
    """Sum people counted in parts ("11 men, 2 women and a boy") into one total."""
    out: list[Mention] = []
    for m in mentions:
        prev = out[-1] if out else None
        if prev is not None and prev.kind == m.kind == "count" and _joined(sentence, prev, m):
            head = prev.end if _PER_PLACE.fullmatch(sentence, prev.end, m.qstart) else -1
            out[-1] = Mention(
                prev.value + m.value, "count", prev.qualifier, prev.start, m.end, prev.qstart, head
            )
            continue
        out.append(m)
    if " a " not in sentence and " one " not in sentence:
        return out
    for i, m in enumerate(out):
        after = _PART_AFTER.match(sentence, m.end) if m.kind == "count" else None
        more = _ONE_MORE.match(sentence, after.end()) if after else None
        if more:
            out[i] = Mention(m.value + 1, m.kind, m.qualifier, m.start, more.end(), m.qstart)
    return out


def _joined(sentence: str, prev: Mention, m: Mention) -> bool:
    """Is m the next part of the people counted by prev ("34 female and 215 male ...")?"""
    if _PART_BETWEEN.fullmatch(sentence, prev.end, m.qstart):
        return _PART_AFTER.match(sentence, m.end) is not None
    if _PER_PLACE.fullmatch(sentence, prev.end, m.qstart):
        return _IN_PLACE_AFTER.match(sentence, m.end) is not None
    return False


class _Amount(Protocol):
    """What link_parts needs of a candidate figure."""

    metric: str
    value: float
    sent: int
    pos: int
    drug: str | None


_BREAKDOWN = re.compile(
    r"\(|\bincluding\b|\bof which\b|\bmade up of\b|\bcomprising\b|\bconsisting of\b|:", _I
)
_TOTAL_AFTER = re.compile(
    r"\b(?:a total|in total|totalling|total (?:estimated )?(?:street )?value|"
    r"combined|overall|altogether)\b",
    _I,
)
_AMOUNTS = ("drugs_value_gbp", "drugs_weight_kg")


def link_parts(text: str, cands: Sequence[_Amount]) -> dict[int, int]:
    """Map index of a part -> index of its stated total, for drug values and weights.

    A total is a generic amount ("of drugs", "of Class A") followed in its sentence by a
    breakdown ("(", "including", "of which") of named amounts that add up to no more than it; or
    named amounts followed by a stated total ("a total street value of").
    """
    links: dict[int, int] = {}
    for metric in _AMOUNTS:
        idx = [i for i, c in enumerate(cands) if c.metric == metric]
        for t in idx:
            total = cands[t]
            same = [i for i in idx if i != t and cands[i].sent == total.sent and i not in links]
            after = [i for i in same if cands[i].pos > total.pos]
            before = [i for i in same if cands[i].pos < total.pos]
            for group, cue_span in (
                (after, (total.pos, min((cands[i].pos for i in after), default=total.pos))),
                (before, (max((cands[i].pos for i in before), default=total.pos), total.pos)),
            ):
                if not group or sum(cands[i].value for i in group) > total.value * 1.05:
                    continue
                if any(cands[i].value >= total.value for i in group):
                    continue
                span = text[cue_span[0] : cue_span[1]] if group is after else ""
                if group is after and not _BREAKDOWN.search(span):
                    continue
                if group is before and not _TOTAL_AFTER.search(text, cue_span[0], total.pos + 1):
                    continue
                if group is after and total.drug not in (None, "drugs", "drug", "a", "b"):
                    continue
                for i in group:
                    links[i] = t
    _link_split_totals(cands, links)
    return links


_SPLITS = ("drugs_value_gbp", "drugs_weight_kg", "funding_gbp")


def _link_split_totals(cands: Sequence[_Amount], links: dict[int, int]) -> None:
    """ "£250,000 ... split £150,000 this year and £100,000 next": parts that add up exactly.

    Two or more amounts of one metric in the same sentence, within three sentences after a
    total of that metric, whose sum equals the total (to half a per cent) are its parts.
    """
    for t, total in enumerate(cands):
        if total.metric not in _SPLITS or t in links:
            continue
        by_sent: dict[int, list[int]] = {}
        for i, c in enumerate(cands):
            if (
                c.metric == total.metric
                and total.sent < c.sent <= total.sent + 3
                and i not in links
                and i not in links.values()
            ):
                by_sent.setdefault(c.sent, []).append(i)
        for group in by_sent.values():
            parts = sum(cands[i].value for i in group)
            if len(group) >= 2 and abs(parts - total.value) <= 0.005 * total.value:
                for i in group:
                    links[i] = t
                break
