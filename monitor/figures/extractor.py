"""Headline figures (lines closed, arrests, seizures...) pulled from announcement text.

The steps follow the language: ``numbers`` reads every number in prose; ``parts`` joins people
counted in parts; ``items`` says what a number counts (the noun after it, a sterling amount's
neighbours, a weight's drug); ``actions`` says whether the verb makes it a result; ``context``
drops hedges, estimates, programme totals, background cases and teasers; ``scope`` says at
what level the result was achieved. Every figure records the rule that produced it, and a part
of a stated drug total records the index of that total (``part_of``).

Work is bounded so a hostile page cannot hold a cycle: text beyond MAX_TEXT characters is not
read, sentences are cut at MAX_SENTENCE characters, every look-behind is a bounded window, and at
most MAX_FIGURES figures are returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.figures import actions, context, items
from monitor.figures.numbers import Mention, find_durations, find_mentions
from monitor.figures.parts import link_parts, merge_people
from monitor.figures.scope import Cues
from monitor.figures.sentences import Sent, sentences
from monitor.items import METRICS, Figure

MAX_TEXT = 200_000  # characters read per article; a release is rarely over 20,000
MAX_FIGURES = 100  # figures returned per article; a real announcement states fewer than 40

_WHO = (
    r"\b(?:he|she) (?:was|has been) {v}\b|^(?:an? )?(?:\d+-year-old |teenage |young |local )?"
    r"(?:man|woman|teenager|youth|boy|girl)\b"
    r"(?:,? aged \d+,?| in (?:his|her) \w+| in \d+s)? (?:was |has been )?{v}\b"
)
_WHO_KEYS = ("he was ", "he has been ", "man ", "woman ", "teenager ", "youth ", "boy ", "girl ")
_ONE_WARRANT = re.compile(
    r"execut(?:ed|ing) an? (?:search |drugs )?warrant\b|\ban? warrant was executed"
)
_ONE_SAFE = re.compile(
    r"\b(?:a|one) (?:missing |vulnerable |young |exploited )*(?:child|person|teenager|boy|girl|"
    r"adult|woman|man|youngster)\b(?: [^.;,]{0,30}?)? (?:who )?(?:was|has been) safeguarded\b"
)
_ONE_LINE = re.compile(
    r"\b(?:shut down|closed|dismantled|took down|taken down) (?:an? |the |one )?"
    r"(?:suspect(?:ed)? )?(?:county|deal|drugs?) line\b(?!s)|"
    # "A county line supplying ... has been shut down", "and a county line shut down"
    r"\b(?:a|one) (?:suspect(?:ed)? )?(?:county|deal|drugs?) line (?:[^.;]{0,100}? "
    r"(?<!would )(?<!could )(?<!might )(?:has|had) been |was |has now been )?"
    r"(?:shut down|closed|dismantled|disrupted|taken down)\b"
)
_CLOSING = ("shut", "clos", "dismantl", "disrupt", "taken down", "took down")
# Singular results ("executed a warrant", "He was arrested"), each behind two cheap substring
# gates (any key of each tuple must be present) so the regex runs only on likely sentences.
_SINGULAR: tuple[tuple[tuple[str, ...], tuple[str, ...], re.Pattern[str], str], ...] = (
    (("ed a", "ing a", "warrant was executed"), ("warrant",), _ONE_WARRANT, "warrants_executed"),
    (("a ", "one "), ("safeguarded",), _ONE_SAFE, "safeguarded"),
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
    rule: str
    singular: bool = False
    subset: bool = False
    drug: str | None = None
    length: int = 0


_Hit = tuple[str, str]  # (metric, rule)
_PEOPLE = {"arrests", "charged", "safeguarded"}
_DIRECT = {"a": "arrests", "h": "arrests", "c": "charged", "s": "safeguarded"}


def _people(mods: str, before: str, rest: str, sentence: str) -> _Hit | None:
    """arrests / charged / safeguarded for a count of people, from the nearest verb."""
    if actions.FACE_CHARGES.match(rest):
        return "charged", "people-face-charges/charged"
    direct = actions.DIRECT_PERSON.match(rest)
    metric = _DIRECT[direct.group(1)[0].lower()] if direct else actions.person_verb(before, rest)
    if metric is None and "vulnerable" in mods.lower():
        metric = "safeguarded"
    if not metric:
        return None
    if metric == "safeguarded" and context.nrm_referral(sentence):
        return None
    return (metric, f"count-of-people/{metric}") if metric else None


def _noun_hit(sentence: str, before: str, after: str) -> _Hit | None:
    """Classify a bare count from the noun after it and the verb around it."""
    head = items.HEAD.match(after)
    if not head:
        direct = actions.DIRECT_PERSON.match(after)
        if not direct and actions.CLOSE_AFTER.match(after) and " lines " in sentence:
            return "lines_closed", "elided-lines-closed/lines_closed"  # "50 targeted, 20 closed"
        if not direct:
            return None
        metric = _DIRECT[direct.group(1)[0].lower()]
        return metric, f"count-then-verb/{metric}"
    noun, mods, rest = head.group("noun").lower(), head.group("mods"), after[head.end() :]
    kind = items.noun_kind(noun, mods)
    if kind is None and noun not in items.NOUN_METRIC:
        return _people(mods, before, rest, sentence)
    if kind is None:
        return None
    if kind == "vehicles_seized" and (
        actions.NOT_SEIZED.match(rest) or items.OWN_CARS.search(mods)
    ):
        return None
    if kind == "line":
        if actions.CLOSE_BEFORE.search(before[-60:]) or actions.CLOSE_AFTER.match(rest):
            return "lines_closed", "count-before-noun/lines_closed"
        if re.search(r"\bphone\W*$", mods, re.I):
            ok = "identif" not in before[-60:]
            return ("phones_seized", "phone-lines/phones_seized") if ok else None
        later = actions.CLOSE_LATER.match(rest)
        ok = bool(later and not actions.NOT_CLOSED.search(later.group("gap")))
        ok = ok and "identif" not in before[-60:]
        return ("lines_closed", "lines-then-closed/lines_closed") if ok else None
    if kind == "place":
        if noun != "visits" and actions.WARRANT_NEAR.search(before[-60:]):
            return "warrants_executed", "raided-places/warrants_executed"
        if noun == "targets" and not actions.visited(before):
            return None
        if actions.FOUND_ONLY.match(rest):
            return None  # "15 cuckooed addresses were also discovered": found, not visited
        if (
            actions.CUCKOO.search(sentence)
            or (noun == "visits" and actions.VISITS_TO.match(rest))
            or actions.visited(before)
        ):
            return "cuckooing_visits", "visited-places/cuckooing_visits"
        return None
    return kind, f"count-before-noun/{kind}"


def _classify(sentence: str, m: Mention, before: str, after: str) -> tuple[_Hit | None, bool]:
    """(metric, rule) of one mention, or None when it is not a headline result; and subset."""
    if (":" in before or "–" in before or "- " in before) and not after.strip(" .;,"):
        table = items.labelled(before, m.kind)
        if table:
            return table, False
    if m.kind == "gbp":
        hit = items.money_metric(sentence, before, after)
        if hit and hit[0] == "drugs_value_gbp" and context.dealt_not_seized(before, after):
            return None, False
        return hit, False
    if context.hedged(before):
        return None, False
    if m.kind == "kg":
        hit = items.weight_metric(after)
        if hit and context.dealt_not_seized(before, after):
            return None, False
        return hit, False
    sub = context.SUBSET.match(after)
    if sub:
        noun = items.HEAD.match(after)
        if noun and noun.start("noun") < sub.end():
            return _noun_hit(sentence, before, after), True
        rest = after[sub.end() :]
        direct = actions.DIRECT_PERSON.match(rest) or actions.AFTER_PERSON.match(rest)
        if not direct:
            return None, True
        return _people("", "", rest, sentence), True
    return _noun_hit(sentence, before, after), False


_BLADE_KEYS = ("knife", "machete", "sword", " axe", "knuckleduster")
_GUN_KEYS = ("gun", "pistol", "rifle", "firearm", "revolver")


def _singles(sentence: str, low: str, out: list[_Cand], cand: _Make) -> None:
    """Single named items: "a sawn-off shotgun" = 1 firearm, "a zombie knife" = 1 weapon.

    A list of weapons the article does not total ("a machete, an axe and four lock knives",
    "2 swords, 1 machete") gives no weapons figure at all: neither summed nor half-counted.
    """
    knives = sum(c.metric == "knives" for c in out)
    blades = list(items.SINGLE_BLADE.finditer(sentence)) if _has(low, _BLADE_KEYS) else []
    if knives > 1 or (knives and blades):
        out[:] = [c for c in out if c.metric != "knives"]
        return
    if not (blades or _has(low, _GUN_KEYS)) or not items.SEIZURE_WORD.search(sentence):
        return
    metrics = {c.metric for c in out}
    if "firearms_seized" not in metrics and _has(low, _GUN_KEYS):
        guns = items.single_guns(sentence)
        if guns:
            out.append(
                cand("firearms_seized", guns[0], "exact", guns[1], "single-item/firearms_seized")
            )
            out[-1].singular = True
    if len(blades) == 1 and not metrics & {"weapons_seized", "knives"}:
        out.append(cand("knives", 1, "exact", blades[0].start(), "single-item/weapons_seized"))
        out[-1].singular = True


def _has(low: str, keys: tuple[str, ...]) -> bool:
    """Is any key a substring of the (lowercased) sentence?"""
    return any(map(low.__contains__, keys))


class _Make:
    """Builds candidates for one sentence (offsets relative to the sentence)."""

    def __init__(self, idx: int, sent: Sent) -> None:
        self.idx, self.sent = idx, sent

    def __call__(
        self, metric: str, value: float, qual: str, pos: int, rule: str, scope: str | None = None
    ) -> _Cand:
        s = self.sent
        return _Cand(
            metric,
            value,
            qual,
            scope,
            self.idx,
            s.start + pos,
            s.title,
            rule,
            length=s.end - s.start,
        )


# A sentence without a number is read only when a singular result may be in it.
_SENTENCE_KEYS: tuple[str, ...] = (
    "warrant",
    " line",
    "arrested",
    "charged",
    "-year",
    "-month",
    "safeguarded",
)
_SENTENCE_KEYS += ("gun", "pistol", "rifle", "knife", "machete", "sword", " axe")
_TERM_TOTAL = re.compile(
    r"\b(?:total(?:ling)?|between them|combined|in all|altogether|collectively|prison time|"
    r"jail time)\b|\b\d+ (?:[\w-]+ ){0,3}(?:have been |were |being )?jailed for",
    re.I,
)
_INCLUDING = re.compile(r"\bincluding\b", re.I)
_OF_THE = re.compile(r"\s+of (?:the|those|these)\s+", re.I)
_INCLUDING_END = re.compile(r"\bincluding\s*$", re.I)


def _sentence_cands(sentence: str, mentions: list[Mention], idx: int, sent: Sent) -> list[_Cand]:
    """Candidate figures in one sentence (mention offsets relative to it); scope comes later."""
    cand = _Make(idx, sent)
    mentions = merge_people(sentence, mentions)
    out: list[_Cand] = []
    whole = -1  # "33 of the 40 lines": the 40 is the whole the 33 is part of, not a result
    for i, m in enumerate(mentions):
        if i == whole:
            continue
        lo = mentions[i - 1].end if i else 0
        hi = mentions[i + 1].qstart if i + 1 < len(mentions) else len(sentence)
        before, after = sentence[lo : m.qstart], sentence[max(m.end, m.head_end) : hi]
        if i + 1 < len(mentions) and _OF_THE.fullmatch(after) and mentions[i + 1].kind == m.kind:
            whole = i + 1
            nxt = mentions[i + 2].qstart if i + 2 < len(mentions) else len(sentence)
            after = " " + sentence[mentions[i + 1].end : nxt].lstrip()
        if m.head_end >= 0:
            after = sentence[m.head_end : m.end]
        if i + 1 < len(mentions) and _INCLUDING_END.search(after):
            after = sentence[m.end : m.end + 160]  # "34 people, including 8 children, were ..."
        hit, subset = _classify(sentence, m, before, after)
        if not hit:
            continue
        metric, rule = hit
        if (
            out
            and out[-1].metric == metric
            and metric not in ("drugs_value_gbp", "drugs_weight_kg")
            and _INCLUDING.search(before)
        ):
            continue  # "84 phones, including 9 deal-line handsets": a part already counted
        out.append(cand(metric, m.value, m.qualifier, m.start, rule))
        out[-1].subset = subset
        if metric in ("drugs_value_gbp", "drugs_weight_kg"):
            out[-1].drug = items.drug_named(after)
    if mentions or "-year" in sentence or "-month" in sentence:
        # A prison term, or a gang's stated total, is the result of one case.
        terms = find_durations(sentence)
        total = bool(terms) and _TERM_TOTAL.search(sentence) is not None
        rule = "gang-total-term/sentence_years" if total else "prison-term/sentence_years"
        out += [cand("sentence_years", d.value, d.qualifier, d.start, rule, "case") for d in terms]
    low = sentence.lower()
    _singles(sentence, low, out, cand)
    if not any(map(low.__contains__, _SINGULAR_NEEDS)):
        return out
    for keys, needs, pattern, metric in _SINGULAR:
        gated = any(map(low.__contains__, needs)) and any(map(low.__contains__, keys))
        one = pattern.search(low) if gated else None
        if one and not any(c.metric == metric for c in out):
            out.append(cand(metric, 1.0, "exact", one.start(), f"singular/{metric}"))
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
    seen: dict[tuple[str, float, str | None], set[int]] = {}
    for c in sorted(cands, key=lambda c: (c.title, c.pos)):
        # Two list lines "2.5kg of crack" and "2.5kg of heroin" are two amounts, not one restated.
        listed = not c.title and c.length < 80
        sents = seen.setdefault((c.metric, c.value, c.drug if listed else None), set())
        if not sents - {c.sent}:
            kept.append(c)
        sents.add(c.sent)
    by_metric: dict[str, list[_Cand]] = {}
    for c in kept:
        by_metric.setdefault(c.metric, []).append(c)
    out = [
        c
        for c in kept
        if c.qualifier == "exact"
        or not any(k.sent != c.sent and _close(c, k) for k in by_metric[c.metric][:50])
    ]
    whole = {c.metric for c in out if not c.subset}
    out = [c for c in out if not c.subset or c.metric not in whole]
    if any(c.metric == "sentence_years" for c in out):
        out = [c for c in out if not c.singular or c.metric not in ("arrests", "charged")]
    # "A 38-year-old woman was arrested" after "three people were arrested": one of them.
    counted = {c.metric for c in out if not c.singular and c.value > 1}
    out = [c for c in out if not (c.singular and c.metric in counted & _PEOPLE)]
    if any(c.metric == "weapons_seized" and not c.singular for c in out):
        out = [c for c in out if c.metric != "knives"]
    for c in out:
        if c.metric == "knives":
            c.metric = "weapons_seized"
            c.rule = c.rule.replace("count-before-noun/knives", "count-of-blades/weapons_seized")
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


def _candidates(text: str, sents: list[Sent]) -> list[_Cand]:
    """All candidates in the article, with scope carried within a paragraph."""
    low = _lower(text)
    cues = Cues(text, sents)
    lead = next((s for s in sents if not s.title), None)
    allow = lead is not None and context.lead_is_cumulative(text, lead.start, lead.end)
    cands: list[_Cand] = []
    held: list[_Cand] = []  # figures of programme-total sentences, kept if the lead restates one
    buckets = _by_sentence(find_mentions(text, low), sents)
    for idx, (s, ms) in enumerate(zip(sents, buckets, strict=True)):
        lsent = low[s.start : s.end]
        if not ms and not any(k in lsent for k in _SENTENCE_KEYS):
            continue
        sentence = text[s.start : s.end]
        if context.background(sentence, lsent):
            continue
        found = _sentence_cands(sentence, ms, idx, s)
        if found:
            scope = cues.explicit(idx) or _restated_scope(found, cands) or cues.default
            for c in found:
                c.scope = c.scope or scope
            cumulative = not allow and context.cumulative(sentence, lsent)
            (held if cumulative else cands).extend(found)
        if len(cands) > 4 * MAX_FIGURES:
            break
    if held and _lead_restates(cands, held):
        cands += held  # "more than 1,000 arrested" in the lead is the precise 1,002 "since 2019"
    return sorted(cands, key=lambda c: c.pos)


def _restated_scope(found: list[_Cand], earlier: list[_Cand]) -> str | None:
    """A sentence with no cue that restates an earlier figure is at that figure's level.

    "In total, 151 arrests were made by the regional unit" then, paragraphs later, "151 people
    were arrested, 34 weapons were seized ...": the list is the regional unit's.
    """
    stated = {
        (c.metric, c.value): c.scope
        for c in earlier
        if not c.title and c.value > 1 and c.metric != "sentence_years"  # terms are always case
    }
    return next((stated[k] for c in found if (k := (c.metric, c.value)) in stated), None)


def _lead_restates(cands: list[_Cand], held: list[_Cand]) -> bool:
    """Does a rounded figure in the headline or lead restate a programme total held back?

    The lead is the first sentence of the body that states a figure (a kicker such as
    "Railway news" above it states none).
    """
    body = [c.sent for c in cands if not c.title]
    lead = min(body) if body else -1
    top = [c for c in cands if (c.title or c.sent == lead) and c.qualifier != "exact"]
    return any(t.metric == h.metric and _close(t, h) for t in top for h in held)


def extract(text: str) -> list[Figure]:
    """The headline figures of an announcement, each with its sentence and rule as evidence."""
    text = text[:MAX_TEXT]
    sents = sentences(text)
    kept = _dedupe(_candidates(text, sents))[:MAX_FIGURES]
    links = link_parts(text, kept)
    figures: list[Figure] = []
    for i, c in enumerate(kept):
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
                rule=c.rule,
                part_of=links.get(i),
            )
        )
    return figures
