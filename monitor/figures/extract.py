"""Headline figures (lines closed, arrests, seizures...) pulled from announcement text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.figures.numbers import (
    Mention,
    find_durations,
    find_mentions,
    merge_parts,
    money_metric,
    weight_metric,
)
from monitor.figures.scope import Cues, Sent, sentences
from monitor.items import METRICS, Figure

EXTRACTOR_VERSION = "figures/2"

_I = re.IGNORECASE
_STOP = (
    r"were|was|have|has|had|been|being|who|whom|which|that|and|or|with|to|from|in|at|for|by|"
    r"on|are|is|will|would|of|as|than|the|a|an"
)
_NOUNS = (
    r"people|persons|individuals|suspects|men|women|adults|children|youngsters|teenagers|"
    r"boys|girls|males?|females?|criminals|offenders|dealers|members|associates|runners|"
    r"victims|arrests|arrested|weapons|knives|blades|firearms|guns|pistols|shotguns|handguns|"
    r"rifles|vehicles|cars|motorbikes|mopeds|phones|handsets|mobiles|sim cards|"
    r"lines?(?! (?:handsets?|phones?|mobiles?|holders?|line))|warrants|raids|visits|addresses|"
    r"homes|properties|premises|houses|flats"
)
_HEAD = re.compile(
    rf"\s*(?:of (?:these|those|the) )?(?P<mods>(?:(?!(?:{_STOP})\b)[\w'’-]+\s+){{0,3}}?)"
    rf"(?P<noun>{_NOUNS})\b",
    _I,
)
_NOUN_METRIC: dict[str, str] = {"arrests": "arrests", "arrested": "arrests"}
for _metric, _nouns in (
    ("weapons_seized", "weapons"),
    ("knives", "knives blades"),
    ("gun", "firearms guns pistols shotguns handguns rifles"),
    ("vehicles_seized", "vehicles cars motorbikes mopeds"),
    ("warrants_executed", "warrants raids"),
    ("phones_seized", "phones handsets mobiles"),
    ("line", "line lines"),
    ("place", "addresses homes properties premises houses flats visits"),
):
    _NOUN_METRIC |= dict.fromkeys(_nouns.split(), _metric)  # noqa: SIM905
_NOUN_METRIC["sim cards"] = "phones_seized"
_FAKE_GUN = re.compile(r"\b(?:imitation|replica|air|bb|toy|stun|blank|fake|nerf)\b", _I)
_NOT_SEIZED = re.compile(r"\s*(?:were |have been |had been )?(?:searched|stopped|checked)\b", _I)
_BEFORE_VERB = re.compile(
    r"\b(?P<v>arrested|arresting|arrest of|arrests of|detained|charged|charging|safeguarded|"
    r"safeguarding|protected|protecting|supported|referred|rescued)\s+(?:a total of\s+)?$",
    _I,
)
_AFTER_VERB = re.compile(
    r"\b(arrested|detained|charged|safeguarded|protected|referred|supported|rescued|spoken to)\b",
    _I,
)
_DIRECT_VERB = re.compile(
    r"\s*(?:(?:have|has|had) been |were |was |being )?(arrested|charged|safeguarded)\b", _I
)
_NRM = re.compile(r"National Referral Mechanism|(?<!\w)NRM\b")
_CLOSE_BEFORE = re.compile(
    r"\b(?:closed|closing|close|shut down|shutting down|shut|dismantled|dismantling|disrupted|"
    r"disrupting|took down|takes down|taken down|taking down|cut|closure of|closed down|"
    r"closing down)\s+(?:a total of\s+|an? (?:record|further|combined|additional|total)\s+)?$",
    _I,
)
_CLOSE_AFTER = re.compile(
    r"\s*(?:groups?|gangs?|networks?|operations?)?\s*(?:(?:were|have been|had been|being|was|"
    r"has been) )?(?:closed|shut|dismantled|disrupted|taken down|taken out)\b",
    _I,
)
# "The two county lines run by the group, known as 'Rico' and 'Smudge', have been shut down"
_CLOSE_LATER = re.compile(
    r"(?P<gap>[^;]{0,100}?)\b(?<!would )(?<!could )(?<!might )"
    r"(?:were|have been|had been|has been|was) "
    r"(?:now |since |also |successfully )?(?:closed|shut|dismantled|disrupted|taken down)\b",
    _I,
)
_NOT_CLOSED = re.compile(r"\b(?:identif|believ|thought|estimat|operat|active|running|linked)", _I)
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
_WARRANT_NEAR = re.compile(r"\b(?:warrants?|raid\w*|search\w*|executed|executing)\b[^.]{0,25}$", _I)
_CUCKOO = re.compile(r"cuckoo|\bvisit", _I)
_VISITS_TO = re.compile(r"\s*to (?:\w+ )?(?:addresses|homes|properties|premises)", _I)
_CUMULATIVE = re.compile(
    r"\bsince (?:(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) )?(?:19|20)\d\d\b|\bsince (?:it|its|the programme|the scheme) "
    r"(?:began|launch|start|was)|\bsince (?:its|the) (?:launch|start|inception)|\bbetween the "
    r"start of\b|\bbetween its launch\b|\bto date\b|\bsince (?:being )?(?:set up|launched)",
    _I,
)
_BACKGROUND = re.compile(
    r"\b(?:are|is) (?:now )?(?:thought|estimated|believed)\b|\bestimates? (?:that|there)\b|"
    r"\bthere are (?:thought|estimated|believed|around|about|some|an estimated)\b|"
    r"\bit is (?:thought|estimated|believed)\b",
    _I,
)
_WHO = (
    r"\b(?:he|she) (?:was|has been) {v}\b|^(?:an? )?(?:man|woman|teenager|youth)\b"
    r"(?:,? aged \d+,?| in (?:his|her) \w+| in \d+s)? (?:was |has been )?{v}\b"
)
_WHO_KEYS = ("he was ", "he has been ", "man ", "woman ", "teenager ", "youth ")
_ONE_WARRANT = re.compile(r"executed an? (?:search |drugs )?warrant\b|\ban? warrant was executed")
_ONE_LINE = re.compile(
    r"\b(?:shut down|closed|dismantled|took down|taken down) (?:an? |the |one )?"
    r"(?:suspect(?:ed)? )?(?:county|deal|drugs?) line\b(?!s)|"
    # "A county line supplying ... has been shut down", "and a county line shut down"
    r"\b(?:a|one) (?:suspect(?:ed)? )?(?:county|deal|drugs?) line (?:[^.;]{0,100}? "
    r"(?<!would )(?<!could )(?<!might )(?:has|had) been |was |has now been )?"
    r"(?:shut down|closed|dismantled|disrupted|taken down)\b"
)
# Singular results ("executed a warrant", "He was arrested"), each behind a cheap substring gate.
_CLOSING = ("shut", "clos", "dismantl", "disrupt", "taken down", "took down")
# Singular results ("executed a warrant", "He was arrested"), each behind two cheap substring
# gates (any key of each tuple must be present) so the regex runs only on likely sentences.
_SINGULAR: tuple[tuple[tuple[str, ...], tuple[str, ...], re.Pattern[str], str], ...] = (
    (("executed a", "warrant was executed"), ("warrant",), _ONE_WARRANT, "warrants_executed"),
    (("county line", "deal line", "drug line", "drugs line"), _CLOSING, _ONE_LINE, "lines_closed"),
    (_WHO_KEYS, ("arrested",), re.compile(_WHO.format(v="arrested")), "arrests"),
    (_WHO_KEYS, ("charged",), re.compile(_WHO.format(v="charged")), "charged"),
)
_SINGULAR_NEEDS = tuple(k for rule in _SINGULAR for k in rule[1])


@dataclass(slots=True)
class _Cand:
    """A candidate figure before restatements are merged."""

    metric: str
    value: float
    qualifier: str
    scope: str | None
    sent: int
    pos: int
    title: bool
    singular: bool = False


def _person_metric(sentence: str, mods: str, before: str, rest: str) -> str | None:
    """Decide arrests/charged/safeguarded for a count of people from the nearest verb."""
    v = _BEFORE_VERB.search(before, max(0, len(before) - 40))
    verb = v.group("v") if v else None
    if verb is None:
        a = _AFTER_VERB.search(rest)
        verb = a.group(1) if a else None
    if verb and verb.lower().startswith(("arrest", "detain")):
        return "arrests"
    if verb and verb.lower().startswith("charg"):
        return "charged"
    if verb or "vulnerable" in mods.lower():
        return (
            None
            if ("NRM" in sentence or "Referral" in sentence) and _NRM.search(sentence)
            else "safeguarded"
        )
    return None


def _count_metric(sentence: str, before: str, after: str) -> str | None:
    """Classify a bare count from the noun after it and the verb around it."""
    head = _HEAD.match(after)
    if not head:
        direct = _DIRECT_VERB.match(after)
        return (
            {"a": "arrests", "c": "charged", "s": "safeguarded"}[direct.group(1)[0].lower()]
            if direct
            else None
        )
    noun, mods, rest = head.group("noun").lower(), head.group("mods"), after[head.end() :]
    kind = _NOUN_METRIC.get(noun)
    if kind is None:
        return _person_metric(sentence, mods, before, rest)
    if kind == "gun":
        return None if _FAKE_GUN.search(mods) else "firearms_seized"
    if kind == "vehicles_seized" and _NOT_SEIZED.match(rest):
        return None
    if kind == "line":
        if _CLOSE_BEFORE.search(before) or _CLOSE_AFTER.match(rest):
            return "lines_closed"
        later = _CLOSE_LATER.match(rest)
        ok = later and not _NOT_CLOSED.search(later.group("gap")) and "identif" not in before
        return "lines_closed" if ok else None
    if kind == "place":
        if noun != "visits" and _WARRANT_NEAR.search(before):
            return "warrants_executed"
        if _CUCKOO.search(sentence) or (noun == "visits" and _VISITS_TO.match(rest)):
            return "cuckooing_visits"
        return None
    return kind


def _classify(sentence: str, m: Mention, before: str, after: str) -> str | None:
    """The metric of one mention, or None when it is not a headline result."""
    if m.kind == "gbp":
        return money_metric(sentence, before, after)
    tail = before[-80:].lower()
    if any(map(tail.__contains__, _HEDGE_KEYS)) and _HEDGE.search(tail):
        return None
    if m.kind == "kg":
        return weight_metric(sentence, m.start, after)
    return _count_metric(sentence, before, after)


def _sentence_cands(sentence: str, mentions: list[Mention], idx: int, sent: Sent) -> list[_Cand]:
    """Candidate figures in one sentence (mention offsets relative to it); scope comes later."""

    def cand(metric: str, value: float, qual: str, pos: int, scope: str | None = None) -> _Cand:
        return _Cand(metric, value, qual, scope, idx, sent.start + pos, sent.title)

    mentions = merge_parts(sentence, mentions)
    out: list[_Cand] = []
    for i, m in enumerate(mentions):
        lo = mentions[i - 1].end if i else 0
        hi = mentions[i + 1].qstart if i + 1 < len(mentions) else len(sentence)
        metric = _classify(sentence, m, sentence[lo : m.qstart], sentence[m.end : hi])
        if metric:
            out.append(cand(metric, m.value, m.qualifier, m.start))
    if mentions or "-year" in sentence:
        out += [
            cand("sentence_years", d.value, d.qualifier, d.start, "case")
            for d in find_durations(sentence)
        ]
    low = sentence.lower()
    if not any(map(low.__contains__, _SINGULAR_NEEDS)):
        return out
    for keys, needs, pattern, metric in _SINGULAR:
        gated = any(map(low.__contains__, needs)) and any(map(low.__contains__, keys))
        hit = pattern.search(low) if gated else None
        if hit:
            out.append(cand(metric, 1.0, "exact", hit.start()))
            out[-1].singular = True
    return out


def _close(a: _Cand, b: _Cand) -> bool:
    """Is a (hedged) value a rounded restatement of b?"""
    v, x = a.value, b.value
    if b.qualifier != "exact":
        return abs(v - x) <= 0.1 * max(v, x) and b.pos > a.pos
    if a.qualifier in ("more_than", "at_least"):
        return v <= x <= v * 1.3
    if a.qualifier == "about":
        return abs(v - x) <= 0.15 * v
    return a.qualifier in ("up_to", "less_than") and 0.7 * v <= x <= v


def _dedupe(cands: list[_Cand]) -> list[_Cand]:
    """Keep one figure per restated result, preferring body over headline and precise values."""
    kept: list[_Cand] = []
    for c in sorted(cands, key=lambda c: (c.title, c.pos)):
        if not any(k.metric == c.metric and k.value == c.value and k.sent != c.sent for k in kept):
            kept.append(c)
    out = [
        c
        for c in kept
        if c.qualifier == "exact"
        or not any(k.metric == c.metric and k.sent != c.sent and _close(c, k) for k in kept)
    ]
    if any(c.metric == "sentence_years" for c in out):
        out = [c for c in out if not c.singular or c.metric not in ("arrests", "charged")]
    if any(c.metric == "weapons_seized" for c in out):
        out = [c for c in out if c.metric != "knives"]
    for c in out:
        if c.metric == "knives":
            c.metric = "weapons_seized"
    return sorted(out, key=lambda c: c.pos)


def _lower(text: str) -> str:
    """Lowercase without changing offsets (a few Unicode letters grow when lowercased)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) > 1 else c.lower() for c in text)


def _by_sentence(mentions: list[Mention], sents: list[Sent]) -> list[list[Mention]]:
    """Bucket mentions into sentences, re-basing their offsets (in place) to the sentence."""
    buckets: list[list[Mention]] = [[] for _ in sents]
    j = 0
    for m in mentions:
        while j < len(sents) and sents[j].end <= m.start:
            j += 1
        if j == len(sents):
            break
        base = sents[j].start
        if m.start >= base:
            m.qstart = max(m.qstart, base) - base
            m.start -= base
            m.end -= base
            buckets[j].append(m)
    return buckets


def _skip_sentence(sentence: str, low: str, allow_cumulative: bool) -> bool:
    """Background estimates and cumulative programme totals are context, not results."""
    if ("thought" in low or "estimat" in low or "believed" in low) and _BACKGROUND.search(sentence):
        return True
    cumulative = ("since" in low or "between" in low or "to date" in low) and bool(
        _CUMULATIVE.search(sentence)
    )
    return cumulative and not allow_cumulative


def _candidates(text: str, sents: list[Sent]) -> list[_Cand]:
    """All candidates in the article, with scope carried within a paragraph."""
    low = _lower(text)
    cues = Cues(text, sents)
    lead = next((s for s in sents if not s.title), None)
    allow = lead is not None and bool(_CUMULATIVE.search(text, lead.start, lead.end))
    cands: list[_Cand] = []
    buckets = _by_sentence(find_mentions(text, low), sents)
    for idx, (s, ms) in enumerate(zip(sents, buckets, strict=True)):
        lsent = low[s.start : s.end]
        if not ms and not any(
            k in lsent for k in ("warrant", " line", "arrested", "charged", "-year")
        ):
            continue
        sentence = text[s.start : s.end]
        if _skip_sentence(sentence, lsent, allow):
            continue
        found = _sentence_cands(sentence, ms, idx, s)
        if found:
            scope = cues.scope(idx)
            for c in found:
                c.scope = c.scope or scope
            cands.extend(found)
    return cands


def extract(text: str) -> list[Figure]:
    """The headline figures of an announcement, each with its sentence as evidence."""
    sents = sentences(text)
    figures: list[Figure] = []
    for c in _dedupe(_candidates(text, sents)):
        s = sents[c.sent]
        figures.append(
            Figure(
                metric=c.metric,
                value=c.value,
                unit=METRICS[c.metric],
                qualifier=c.qualifier,
                scope=c.scope,
                evidence=text[s.start : s.end],
                start=s.start,
                end=s.end,
            )
        )
    return figures
