"""Sentences and scope: which level (case, force, region, nation) a stated result belongs to.

Police releases scope their numbers with a few kinds of cue: the force's own voice ("our
officers", "the force") or area ("in Kent", "across the county"), two or more forces acting
together or a regional unit, a national body or "nationally", and for a single operation a
singular target ("a county line", "an operation to dismantle four lines"), a town, one morning's
raids or a single day ("on Tuesday 11 October"). A national campaign named as the setting ("during
a national week of action") is not a cue. A sentence without a cue inherits the latest cue earlier
in its paragraph (or in the paragraph it continues: "Officers also seized ..."), else the article's
first cue.
"""

from __future__ import annotations

import re

from monitor.figures.sentences import Sent
from monitor.forces import FORCES, forces_named

_MONTH = r"January|February|March|April|May|June|July|August|September|October|November|December"
_DAY = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
# Every alternative below starts with a literal character and none with \b: Python's re then
# scans for the first characters instead of trying each alternative at every position (~20x
# faster). The left word boundary is checked in _found instead.
# One operation: a singular line, one address or a singular target (lowercased text).
_LINE_CUE = re.compile(r"(?:county|deal|drugs?) line\b(?!s)")
_SINGLE = ("a ", "an ", "one ", "a suspect ", "a suspected ", "one suspected ", "one suspect ")
_ADDRESS_CUE = re.compile(
    r"at (?:a|an|one)(?: [\w-]+){0,2} address\b|raided (?:a|an|one) (?:[\w-]+ )?"
    r"(?:flat|house|home|property|address|premises)\b"
)
_TARGET_CUE = re.compile(
    r"(?:dismantl|disrupt|smash|br(?:oke|eak|eaking) up|t(?:ook|aken|aking|akes?) down|"
    r"shut(?:ting)? down|clos(?:ed|ing) down)\w* (?:a|an|one) (?:[\w'-]+ ){0,3}?"
    r"(?:network|gang|group|line)\b"
)
_TARGET_VERBS = ("dismantl", "disrupt", "smash", " up ", " down ")
_TARGET_NOUNS = ("network", "gang", "group", " line")
# "In Middlesbrough, officers arrested three people": a named place opens a sub-operation.
_IN_PLACE = re.compile(
    rf"In (?!(?:The|One|Total|All|Addition|{_MONTH}|Particular|Recent|Response)\b)"
    r"[A-Z][a-z]+(?: [A-Z][a-z]+)?,"
)
_DAY_CUE = re.compile(
    rf"on (?:the morning of )?(?:{_DAY})\b|"
    rf"on (?:the )?\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTH})\b|"
    r"early today\b|this morning\b|yesterday\b|last night\b|that morning\b|that day\b"
)
# "said on Thursday" dates the statement, not the operation.
_STATED = ("said ", "announced ", "published ", "confirmed ", "reported ")
# A single day inside a week-long or longer campaign does not make the results one operation.
_PERIOD = re.compile(r"(?:weeks?|months?|fortnight|days|year(?!s? ago)|campaign|between)\b")
_FORCE_NAME = re.compile(r"[A-Z][a-z]+ (?:Police|Constabulary)\b(?! Chiefs)")
_FORCE_CUE = re.compile(
    r"Police Scotland\b|The force\b|the force\b|Met\b|GMP\b|PSNI\b|"
    r"(?:Our|our) (?:[\w-]+ ){0,3}?(?:officers|teams?|unit|taskforce|detectives)\b|"
    r"(?:across|throughout) the county\b|the county's\b|officers in [A-Z]|"
    r"We (?:arrested|seized|made|closed)\b|we (?:arrested|seized|made|closed)\b"
)
_REGION_CUE = re.compile(
    r"ROCU\b|Regional(?:ly)?\b|regional(?:ly)?\b|Special Operations Unit|EMSOU\b|SEROCU\b|"
    r"[Aa]cross the region|[A-Z][a-z]+ region\b|the region's\b|"
    r"East Midlands\b|West Midlands\b|North (?:West|East)\b|"
    r"South (?:West|East)\b|Yorkshire and the Humber|Eastern region\b"
)
_ACROSS = r"(?:country|UK|nation|United Kingdom)"
_FORCES = r"(?:across|throughout|nationwide|report)"
_NATIONAL_CUE = re.compile(
    r"NPCC\b|National Police Chiefs|National Crime Agency (?:said|also|has|seized)|"
    r"Nationwide\b|nationwide\b|Nationally\b(?![ -]co-?ordinated)|"
    r"nationally\b(?![ -]co-?ordinated)|"
    rf"Across the {_ACROSS}|across the {_ACROSS}|Across England and Wales|"
    rf"across England and Wales|Forces {_FORCES}|forces {_FORCES}|Home Office|Home Secretary|"
    r"Government\b|government\b|NCA (?:said|also|has|seized)"
)
# Cheap substring gates: a pattern runs only when one of its keys is in the sentence.
_LINE_KEYS = ("county line", "deal line", "drug line", "drugs line")
_DAY_KEYS = ("on ", "today", "yesterday", "morning", "night")
_FORCE_KEYS: tuple[str, ...] = (
    "Police",
    "Constabulary",
    "Met",
    "force",
    "GMP",
    "PSNI",
    "our ",
    "Our ",
    "we ",
)
_FORCE_KEYS += ("We ", "county", "officers in ")
_REGION_KEYS: tuple[str, ...] = (
    "ROCU",
    "egional",
    "Special Operations",
    "EMSOU",
    "region",
    "Midlands",
    "North ",
)
_REGION_KEYS += ("South ", "Yorkshire and", "Eastern region", " region")
_NATIONAL_KEYS: tuple[str, ...] = (
    "NPCC",
    "National ",
    "ationwide",
    "ationally",
    "cross ",
    "orces ",
    "Home ",
)
_NATIONAL_KEYS += ("overnment", "NCA ")
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("regional", _REGION_CUE),
    ("national", _NATIONAL_CUE),
)


def _has(sentence: str, keys: tuple[str, ...]) -> bool:
    """Is any key a substring of the sentence?"""
    return any(map(sentence.__contains__, keys))


def _found(pattern: re.Pattern[str], text: str, not_after: tuple[str, ...] = ()) -> bool:
    """A match of a literal-first pattern that starts a word (and follows none of not_after)."""
    m = pattern.search(text)
    while m:
        i = m.start()
        if (not i or not text[i - 1].isalnum()) and not (
            not_after and text.endswith(not_after, 0, i)
        ):
            return True
        m = pattern.search(text, i + 1)
    return False


# Gate name -> substring keys. Cues narrows each to the keys present in the article, so a
# sentence checks only keys that can occur (most are absent from any one article).
_GATES: dict[str, tuple[str, ...]] = {
    "line": _LINE_KEYS,
    "address": (" address",),
    "verb": _TARGET_VERBS,
    "noun": _TARGET_NOUNS,
    "day": _DAY_KEYS,
    "force": _FORCE_KEYS,
    "regional": _REGION_KEYS,
    "national": _NATIONAL_KEYS,
}


def gates_for(text: str) -> dict[str, tuple[str, ...]]:
    """The gate keys that occur in text (keys are case-sensitive except the lowercase ones)."""
    low = text.lower()
    out: dict[str, tuple[str, ...]] = {}
    for name, keys in _GATES.items():
        hay = low if name in ("line", "address", "verb", "noun") else text
        out[name] = tuple(k for k in keys if k in hay)
    out["area"] = tuple(a for a in _AREAS if a in text)
    return out


# Raids on a morning, one warrant, an operation against named targets: one operation's results.
_RAID_CUE = re.compile(
    r"(?:dawn|early-morning|simultaneous|co-?ordinated|coordinated) (?:dawn )?raids?\b|"
    r"the raids\b|one of (?:the )?\d+ raids\b|(?:in|across) the (?:town|city|village|estate)\b|"
    r"morning of action\b|day of action\b|"
    r"just after dawn\b|at dawn\b|(?:a|one) (?:search |drugs? )?warrant (?:was )?"
    r"(?:executed |carried out )?(?:in|at)\b"
)
# "a major operation to shut down four county lines": one operation against counted targets.
_TARGETED_OP = re.compile(
    r"(?:operation|investigation) (?:to (?:[\w-]+ ){1,2}|against |into |targeting )"
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b"
)
_OP_BEFORE = re.compile(r"\b(?:an?|the) (?:[\w-]+ ){0,2}$")
_NOT_ONE_OP = ("week", "national", "intensification", "month", "latest")
_RAID_KEYS: tuple[str, ...] = (
    "raid",
    "of action",
    "dawn",
    "warrant",
    "operation",
    "investigation",
    "the town",
)
_RAID_KEYS += ("the city", "the village", "the estate")


# Counties inside a force area that the force is not named after (a gazetteer, not cases).
_COUNTIES: tuple[str, ...] = tuple(
    "Shropshire Herefordshire Worcestershire Telford Cornwall Devon Somerset Bristol "
    "Oxfordshire Berkshire Buckinghamshire Powys Northumberland Rutland Teesside Tyneside "
    "London Manchester Peterborough Milton_Keynes Isle_of_Wight East_Sussex "
    "West_Sussex Scotland Northern_Ireland".replace("_", "~")
    .replace(" ", "|")
    .replace("~", " ")
    .split("|")
)


def _area_names() -> dict[str, str]:
    """Force areas as places ("Kent", "Devon and Cornwall") -> force code, from the reference."""
    out: dict[str, str] = {}
    for force in FORCES:
        for alias in force.aliases:
            place = re.sub(r"\s*(?:Police Service|Police|Constabulary)$", "", alias)
            if place != alias and place not in ("Metropolitan", "British Transport", "Met"):
                out[place] = force.code
    for county in _COUNTIES:
        out.setdefault(county, county.lower())
    return out


_AREA_CODE = _area_names()
_AREAS = tuple(sorted(_AREA_CODE, key=len, reverse=True))
_AREA_ALT = "|".join(re.escape(a) for a in _AREAS)
# "in Kent", "across Lincolnshire", "Police in Cumbria": the force's own area.
_AREA_CUE = re.compile(
    rf"(?:\b(?:in|across|throughout|around) (?:the county of )?)(?:{_AREA_ALT})\b"
    r"(?![ -](?:Police|Constabulary|region))"
)
# "Police in Northampton", "officers in Wallasey": a town inside a force area, one operation.
_TOWN_CUE = re.compile(
    rf"\b(?:[Pp]olice|[Oo]fficers) in (?!(?:{_AREA_ALT}|The|England|Britain|UK|Operation|Op|"
    rf"Project|Our|This|That|These|Those|Uniform|Plain|{_MONTH}|{_DAY})\b)"
    r"[A-Z][a-z]+\b(?! (?:Police|Constabulary))"
)
_PARTNERS = re.compile(
    r"\b(?:alongside|with the help of|supported by|assisted by|helped by|worked with|working "
    r"with|in partnership with|with support from)\b"
)


def _is_case(sentence: str, gates: dict[str, tuple[str, ...]]) -> bool:
    """Does the sentence describe one operation rather than a campaign total?"""
    if sentence.startswith("In ") and _IN_PLACE.match(sentence):
        return True
    low = sentence.lower()
    if _has(low, _RAID_KEYS) and _RAID_CUE.search(low):
        return True
    if "operation " in low or "investigation " in low:
        for op in _TARGETED_OP.finditer(low):
            before = _OP_BEFORE.search(low, max(0, op.start() - 40), op.start())
            if before and not _has(before.group(0), _NOT_ONE_OP):
                return True
    if ("olice in " in sentence or "fficers in " in sentence) and _TOWN_CUE.search(sentence):
        return True
    if gates["line"] and _has(low, gates["line"]):
        m = _LINE_CUE.search(low)
        while m:
            if low.endswith(_SINGLE, 0, m.start()) and not low.endswith("by a ", 0, m.start()):
                return True
            m = _LINE_CUE.search(low, m.end())
    if (" address" in low or "raided " in low) and _found(_ADDRESS_CUE, low):
        return True
    if (
        gates["verb"]
        and gates["noun"]
        and _has(low, gates["verb"])
        and _has(low, gates["noun"])
        and _found(_TARGET_CUE, low)
    ):
        return True
    return bool(
        gates["day"]
        and _has(sentence, gates["day"])
        and _found(_DAY_CUE, sentence, _STATED)
        and not _found(_PERIOD, low)
    )


# A national campaign named as the setting ("during a national week of action", "co-ordinated
# by the NPCC") says when the force acted, not that the figures are national ones.
_CAMPAIGN = re.compile(
    r"(?:national|nationwide|UK-wide|country-wide|national county lines)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:week|weeks|campaign|operation|initiative|crackdown|intensification|action|day|effort)\b|"
    r"(?:ran|running|run|took place|held|co-ordinated|coordinated) (?:nationwide|nationally)\b|"
    r"(?:co-?ordinated|led|organised) by the (?:National Police Chiefs'? Council|NPCC|NCLCC|"
    r"National County Lines Co-?ordination Centre)(?: \(NPCC\))?|"
    r"in which (?:police )?forces (?:across|throughout) the country took part",
    re.IGNORECASE,
)


_CAMPAIGN_KEYS = ("ational", "ATIONAL", "ationwide", "-wide", "ordinated", " by the ", "took part")


def _regional_by_forces(sentence: str) -> bool:
    """Two or more forces named as acting together make a regional result (not as partners)."""
    if "Police" not in sentence and "Constabulary" not in sentence:
        return False
    if _PARTNERS.search(sentence):
        return False
    codes = set(forces_named(sentence))
    for group in _FROM_AREAS.finditer(sentence):
        codes |= {_AREA_CODE[a] for a in _AREA_LIST.findall(group.group(0))}
    return len(codes) >= 2


_AREA_LIST = re.compile(rf"\b(?:{_AREA_ALT})\b")
# "Officers from South Wales, Gwent and Dyfed-Powys Police": the forces that acted together.
_FROM_AREAS = re.compile(
    rf"\bfrom (?:the )?(?:{_AREA_ALT})(?:(?:, | and | & )(?:the )?(?:{_AREA_ALT}))+"
)


def scope_cue(sentence: str, gates: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The scope a sentence names explicitly: case > force > regional > national."""
    gates = _GATES if gates is None else gates
    if _is_case(sentence, gates):
        return "case"
    if _has(sentence, _CAMPAIGN_KEYS):
        sentence = _CAMPAIGN.sub(" ", sentence)
    if _regional_by_forces(sentence):
        return "regional"
    areas = gates.get("area", _AREAS)
    if areas and _has(sentence, areas) and _AREA_CUE.search(sentence):
        return "force"
    keys = gates["force"]
    if (
        keys
        and _has(sentence, keys)
        and (_FORCE_NAME.search(sentence) or _found(_FORCE_CUE, sentence))
    ):
        return "force"
    for scope, cue in _CUES:
        keys = gates[scope]
        if keys and _has(sentence, keys) and _found(cue, sentence):
            return scope
    return None


_CONTINUES = re.compile(
    r"(?:Officers|Police|They|Detectives|Teams|Searches|The (?:hauls?|seizures|officers|teams?|"
    r"unit|raids|searches)) (?:have |had |were )?also\b|In addition\b|Additionally\b"
)


class Cues:
    """Scope cues per sentence, computed only for the sentences that need them."""

    def __init__(self, text: str, sents: list[Sent]) -> None:
        self.text, self.sents = text, sents
        self.cache: dict[int, str | None] = {}
        self._default: str | None = None
        self.gates = gates_for(text)

    @property
    def default(self) -> str:
        """The article's first explicit cue outside the headline, else force."""
        if self._default is None:
            first = (i for i, s in enumerate(self.sents) if not s.title and self.cue(i))
            self._default = self.cue(next(first, -1)) or "force"
        return self._default

    def cue(self, idx: int) -> str | None:
        """The explicit cue of sentence idx (None for idx -1 or no cue)."""
        if idx < 0:
            return None
        if idx not in self.cache:
            s = self.sents[idx]
            self.cache[idx] = scope_cue(self.text[s.start : s.end], self.gates)
        return self.cache[idx]

    def scope(self, idx: int) -> str:
        """The latest cue earlier in the same paragraph, else the article's default."""
        return self.explicit(idx) or self.default

    def explicit(self, idx: int) -> str | None:
        """The latest cue earlier in the paragraph (through "Officers also ..." continuations).

        A paragraph that opens by continuing the one before ("Officers also seized ...",
        "They also recovered ...") carries on its scope.
        """
        sents = self.sents
        if sents[idx].title:
            return None
        j = idx
        while j >= 0 and not sents[j].title:
            para = sents[j].para
            while j >= 0 and sents[j].para == para:
                cue = self.cue(j)
                if cue:
                    return cue
                j -= 1
            first = sents[j + 1]
            if not _CONTINUES.match(self.text, first.start, first.end):
                return None
        return None
