"""Items a number counts: people, lines, weapons by kind, firearms, drugs, phones, vehicles, cash.

The item is read from the noun after the number, past a short stack of modifiers or quotes
(`31 active county drug lines`, `eighty-two "drug lines"`), or from a result noun (`70 weapon
recoveries`). A sterling amount is cash, a drug's value or funding by the words beside it; a
weight counts only as a weight of drugs. Single named items ("a sawn-off shotgun", "one
pistol", "a zombie knife") count as one when the sentence says they were found or seized.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
_STOP = (
    r"were|was|have|has|had|been|being|who|whom|which|that|and|or|with|to|from|in|at|for|by|"
    r"on|are|is|will|would|of|as|than|the|a|an|officers|police|staff|join|joined"
)
_GUNS = r"firearms?|guns|pistols?|shotguns?|handguns?|rifles?|revolvers?"
_BLADES = r"knives|knife|blades|machetes?|swords?|axes|knuckledusters"
_NOUNS = (
    r"people|persons?|child|individuals|suspects|men|women|adults|children|youngsters|teenagers|"
    r"boys|girls|males?|females?|criminals|offenders|dealers|members|associates|runners|"
    r"victims|arrests|arrested|weapon recoveries|weapons|"
    rf"{_BLADES}|{_GUNS}|vehicles|cars|motorbikes|mopeds|phones|handsets|mobiles|devices|"
    r"sim cards|lines?(?! (?:handsets?|phones?|mobiles?|holders?|line))|supply chains|"
    r"warrants?|raids?|visits|addresses|homes|properties|premises|houses|flats|targets"
)
HEAD = re.compile(
    r"\s*(?:of (?:these|those|the) )?"
    rf"(?P<mods>[\"“‘']?(?:(?!(?:{_STOP})(?![\w'’-]))[\w'’-]+[\"”’']?\s+[\"“‘']?){{0,3}}?)"
    rf"(?P<noun>{_NOUNS})\b",
    _I,
)
NOUN_METRIC: dict[str, str] = {"arrests": "arrests", "arrested": "arrests"}
for _metric, _nouns in (
    ("weapons_seized", "weapons"),
    ("knives", "knives knife blades machete machetes sword swords axes knuckledusters"),
    ("gun", "firearm firearms guns pistol pistols shotgun shotguns handgun handguns"),
    ("gun", "rifle rifles revolver revolvers"),
    ("vehicles_seized", "vehicles cars motorbikes mopeds"),
    ("warrants_executed", "warrant warrants raid raids"),
    ("phones_seized", "phones handsets mobiles"),
    ("device", "devices"),
    ("line", "line lines"),
    ("place", "addresses homes properties premises houses flats visits targets"),
):
    NOUN_METRIC |= dict.fromkeys(_nouns.split(), NOUN_METRIC.get(_metric, _metric))  # noqa: SIM905
NOUN_METRIC["sim cards"] = "phones_seized"
NOUN_METRIC["weapon recoveries"] = "weapons_seized"
NOUN_METRIC["supply chains"] = "line"
FAKE_GUN = re.compile(
    r"\b(?:imitation|replica|air|bb|toy|stun|blank|fake|nerf|gas-powered|gas|ball bearing)\b", _I
)
OWN_CARS = re.compile(r"\b(?:police|unmarked|patrol|marked)\b", _I)
_PHONE_MODS = re.compile(r"\b(?:mobile|phone|deal|burner|encrypted|county line)\b", _I)

# What a sterling amount or a weight is: cash, drugs value, funding, drug weight.
DRUG = (
    r"(?:drugs?|cocaine|crack|heroin|cannabis|class [ab]\b|ketamine|amphetamines?|mdma|"
    r"ecstasy|spice|skunk|methamphetamine|crystal meth|opioids?|substances|narcotics|"
    r"diamorphine|benzodiazepines?)"
)
_DRUG_RE = re.compile(DRUG, _I)
_CASH = re.compile(r"\s*(?:in |of )?(?:suspected |criminal |seized )*cash\b", _I)
_CASH_WORTH = re.compile(r"\s*(?:worth|in value) of (?:suspected |criminal )*cash\b", _I)
_DRUG_AFTER = re.compile(rf"\s*(?:worth|in|of)\s+(?:of\s+)?(?:[\w-]+\s+){{0,3}}?{DRUG}", _I)
_SEIZED_BEFORE = re.compile(r"\b(?:seized|recovered|confiscated|seizing)\s+$", _I)
_WORTH_BEFORE = re.compile(
    r"\b(?:worth|valued at|value of)\s+(?:an? )?(?:estimated\s+)?(?:up to |over |more than )?$", _I
)
_FUND_AFTER = re.compile(
    r"\s*(?:(?:of |in )?(?:new |extra |additional |government |ring-fenced )*(?:funding|"
    r"package|programme|fund|grant|investment|boost|pot)\b|to (?:support|tackle|fund|help|"
    r"target|combat|fight|crack down|expand|pay|disrupt|bring)\b|(?:has|have|was|is|will) "
    r"(?:been |be |now )?(?:set aside|allocated|awarded|invested|committed|pledged|made "
    r"available|earmarked|go(?:ing)? to|given|granted|provided)|will go (?:to|towards)\b|"
    r"from (?:the |a )?(?:[\w']+ ){0,3}(?:fund|grant|budget|scheme)\b)",
    _I,
)
# "£3 million this year and £9 million next": a split over years is funding in a funding story.
_FUND_YEAR = re.compile(
    r"\s*(?:(?:this|next|each|a|per) (?:year|financial year)\b(?! ago)|next\b)", _I
)
_FUND_BEFORE = re.compile(
    r"\b(?:set aside|allocat\w*|invest\w*|provid\w*|announc\w*|award\w*|receiv\w*|pledg\w*|"
    r"commit\w*|unveil\w*|earmark\w*|cheque for|grant of|(?:funding|grant|boost|package|"
    r"programme) (?:of|worth))\s+(?:a |an |the )?(?:further |additional |extra |new )?$",
    _I,
)
# The drug itself is named before "worth" with no list comma between ("gold valued at" is not).
_DRUG_WORTH = re.compile(
    rf"{DRUG}(?:(?! and )[^,;]|\),){{0,45}}(?:worth|valued at|value of)|street value of", _I
)
_FUND_WORDS = re.compile(
    r"\bfund(?:ing|ed|s)?\b|\bgrants?\b|\binvest|\bmoney\b|\bbudget|\bsplit\b|\baward|"
    r"\bprogramme\b|\bscheme\b|\binitiative\b",
    _I,
)


def money_metric(sentence: str, before: str, after: str) -> tuple[str, str] | None:
    """(metric, rule) for a sterling amount: cash, drugs value or funding, from its neighbours."""
    if _CASH.match(after) or _CASH_WORTH.match(after):
        return "cash_seized_gbp", "money-before-cash/cash_seized_gbp"
    if _DRUG_AFTER.match(after):
        return "drugs_value_gbp", "money-of-drug/drugs_value_gbp"
    if _FUND_AFTER.match(after) or _FUND_BEFORE.search(before[-80:]):
        return "funding_gbp", "money-for-purpose/funding_gbp"
    if _FUND_YEAR.match(after) and _FUND_WORDS.search(sentence):
        return "funding_gbp", "money-per-year/funding_gbp"
    worth = _WORTH_BEFORE.search(before[-60:])
    if worth and _DRUG_WORTH.search(before[-70:]) and _DRUG_RE.search(sentence):
        return "drugs_value_gbp", "worth-money/drugs_value_gbp"
    if _SEIZED_BEFORE.search(before[-30:]):
        return "cash_seized_gbp", "seized-money/cash_seized_gbp"
    return None


def weight_metric(after: str) -> tuple[str, str] | None:
    """(metric, rule) when a weight is a weight of drugs (a drug or class named after it)."""
    return (
        ("drugs_weight_kg", "weight-of-drug/drugs_weight_kg") if _DRUG_AFTER.match(after) else None
    )


def drug_named(after: str) -> str | None:
    """The drug or class named right after an amount ("of crack cocaine"), lowercased."""
    m = _DRUG_AFTER.match(after)
    if not m:
        return None
    return m.group(0).split()[-1].lower()


# "Arrests: 49", "Cash seized – £30,000", "Lines closed: 8": results set out as a table.
_LABEL = re.compile(
    r"(?:^|[•·*\-–]\s*)(?P<label>(?:[A-Z][\w'’-]*|[a-z][\w'’-]*)(?: [\w'’()-]+){0,4}?)\s*"
    r"(?:[:=]|\s[–-])\s*$"
)
_LABELS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(rf"^(?:{pattern})$", _I), kind, metric)
    for pattern, kind, metric in (
        (r"(?:total )?arrests?(?: made)?|people arrested", "count", "arrests"),
        (r"(?:people |persons |suspects )?charged", "count", "charged"),
        (
            r"(?:county |deal |drugs? )?lines? (?:closed|shut down|dismantled|disrupted)",
            "count",
            "lines_closed",
        ),
        (r"(?:county |deal |drugs? )?lines? closures?", "count", "lines_closed"),
        (r"(?:weapons|knives|bladed weapons)(?: seized| recovered)?", "count", "weapons_seized"),
        (r"(?:firearms|guns)(?: seized| recovered)?", "count", "firearms_seized"),
        (r"vehicles(?: seized)?", "count", "vehicles_seized"),
        (r"(?:mobile )?(?:phones|handsets)(?: seized)?", "count", "phones_seized"),
        (r"(?:search )?warrants(?: executed)?", "count", "warrants_executed"),
        (
            r"(?:vulnerable )?(?:people|adults|children|individuals )?\s?safeguarded|"
            r"safeguarding referrals|people safeguarded",
            "count",
            "safeguarded",
        ),
        (r"(?:cuckooing )?visits|addresses visited|cuckooing visits", "count", "cuckooing_visits"),
        (r"cash(?: seized)?", "gbp", "cash_seized_gbp"),
        (r"(?:value of )?drugs(?: seized)?(?: \(value\))?|street value", "gbp", "drugs_value_gbp"),
        (r"drugs(?: seized)?(?: \(weight\))?", "kg", "drugs_weight_kg"),
    )
)


def labelled(before: str, kind: str) -> tuple[str, str] | None:
    """(metric, rule) for a number set out after a label ("Arrests: 49")."""
    m = _LABEL.search(before[-60:])
    if not m:
        return None
    label = m.group("label").strip()
    for pattern, want, metric in _LABELS:
        if want == kind and pattern.match(label):
            return metric, f"label-then-number/{metric}"
    return None


def noun_kind(noun: str, mods: str) -> str | None:
    """The metric (or a class needing more context: line, place, device) a noun stands for."""
    kind = NOUN_METRIC.get(noun.lower())
    if kind == "gun":
        return None if FAKE_GUN.search(mods) else "firearms_seized"
    if kind == "device":
        return "phones_seized" if _PHONE_MODS.search(mods) else None
    return kind


# Single items, each counted as one when the sentence says it was found or seized.
_ONE = r"(?:a|an|one)\s+(?:(?!and\b|or\b|of\b)[\w-]+\s+){0,2}?"
SINGLE_GUN = re.compile(
    rf"\b{_ONE}(?:firearms?|gun|pistol|shotgun|handgun|rifle|revolver|sub-machine gun)\b"
    rf"(?:,? and (?:an? )?(?:[\w-]+ )?(?:firearm|gun|pistol|shotgun|handgun|rifle|revolver)\b)?",
    _I,
)
SINGLE_BLADE = re.compile(rf"\b{_ONE}(?:knife|machete|sword|axe|knuckleduster|zombie knife)\b", _I)
SEIZURE_WORD = re.compile(
    r"\b(?:seiz\w*|recover\w*|found|confiscat\w*|discovered|uncovered|turned up|haul)\b", _I
)
_FAKE_BEFORE = re.compile(r"\b(?:imitation|replica|air|bb|toy|stun|blank|fake)\s+(?:\w+\s+)?$", _I)


def single_guns(sentence: str) -> tuple[int, int] | None:
    """(count, offset) of singly named firearms ("a sawn-off shotgun", "a rifle and shotgun")."""
    m = SINGLE_GUN.search(sentence)
    if not m or FAKE_GUN.search(sentence):
        return None
    return (2 if " and " in m.group(0) else 1), m.start()
