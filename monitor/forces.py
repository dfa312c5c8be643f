"""The UK police forces reference: codes, names, aliases, regions, and bodies that are not forces.

A figure's `force` is always one of these codes (never a publisher such as the NPCC or the NCA),
so per-force charts and the coverage view join on a list, not on free text. The 43 territorial
forces of England and Wales, British Transport Police, Police Scotland and the PSNI are forces;
national bodies, regional organised crime units and police and crime commissioners are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True, slots=True)
class Force:
    """One police force (or, with kind "body", a publisher that is not a force)."""

    code: str
    name: str
    aliases: tuple[str, ...]
    region: str
    country: str
    kind: str = "force"  # force | body


def _f(code: str, name: str, region: str, *aliases: str, country: str = "England") -> Force:
    return Force(code, name, (name, *aliases), region, country)


FORCES: tuple[Force, ...] = (
    # North East
    _f("cleveland", "Cleveland Police", "North East"),
    _f("durham", "Durham Constabulary", "North East", "Durham Police"),
    _f("northumbria", "Northumbria Police", "North East"),
    # North West
    _f("cheshire", "Cheshire Constabulary", "North West", "Cheshire Police"),
    _f("cumbria", "Cumbria Constabulary", "North West", "Cumbria Police"),
    _f(
        "greater-manchester",
        "Greater Manchester Police",
        "North West",
        "GMP",
        "Greater Manchester Police's",
    ),
    _f("lancashire", "Lancashire Constabulary", "North West", "Lancashire Police"),
    _f("merseyside", "Merseyside Police", "North West"),
    # Yorkshire and the Humber
    _f("humberside", "Humberside Police", "Yorkshire and the Humber"),
    _f("north-yorkshire", "North Yorkshire Police", "Yorkshire and the Humber"),
    _f("south-yorkshire", "South Yorkshire Police", "Yorkshire and the Humber"),
    _f("west-yorkshire", "West Yorkshire Police", "Yorkshire and the Humber"),
    # East Midlands
    _f("derbyshire", "Derbyshire Constabulary", "East Midlands", "Derbyshire Police"),
    _f("leicestershire", "Leicestershire Police", "East Midlands"),
    _f("lincolnshire", "Lincolnshire Police", "East Midlands"),
    _f("northamptonshire", "Northamptonshire Police", "East Midlands", "Northants Police"),
    _f("nottinghamshire", "Nottinghamshire Police", "East Midlands", "Notts Police"),
    # West Midlands
    _f("staffordshire", "Staffordshire Police", "West Midlands"),
    _f("warwickshire", "Warwickshire Police", "West Midlands"),
    _f("west-mercia", "West Mercia Police", "West Midlands"),
    _f("west-midlands", "West Midlands Police", "West Midlands", "WMP", "West Mids Police"),
    # East of England
    _f("bedfordshire", "Bedfordshire Police", "East of England", "Beds Police"),
    _f(
        "cambridgeshire",
        "Cambridgeshire Constabulary",
        "East of England",
        "Cambridgeshire Police",
        "Cambs Police",
    ),
    _f("essex", "Essex Police", "East of England"),
    _f(
        "hertfordshire",
        "Hertfordshire Constabulary",
        "East of England",
        "Hertfordshire Police",
        "Herts Police",
    ),
    _f("norfolk", "Norfolk Constabulary", "East of England", "Norfolk Police"),
    _f("suffolk", "Suffolk Constabulary", "East of England", "Suffolk Police"),
    # London
    _f(
        "metropolitan",
        "Metropolitan Police Service",
        "London",
        "Metropolitan Police",
        "Met Police",
        "the Met",
        "Scotland Yard",
        "MPS",
    ),
    _f("city-of-london", "City of London Police", "London"),
    # South East
    _f(
        "hampshire",
        "Hampshire and Isle of Wight Constabulary",
        "South East",
        "Hampshire Constabulary",
        "Hampshire Police",
        "Hampshire & Isle of Wight Constabulary",
    ),
    _f("kent", "Kent Police", "South East"),
    _f("surrey", "Surrey Police", "South East"),
    _f("sussex", "Sussex Police", "South East"),
    _f("thames-valley", "Thames Valley Police", "South East", "TVP"),
    # South West
    _f(
        "avon-and-somerset",
        "Avon and Somerset Police",
        "South West",
        "Avon and Somerset Constabulary",
        "Avon & Somerset Police",
    ),
    _f(
        "devon-and-cornwall",
        "Devon and Cornwall Police",
        "South West",
        "Devon & Cornwall Police",
    ),
    _f("dorset", "Dorset Police", "South West"),
    _f(
        "gloucestershire",
        "Gloucestershire Constabulary",
        "South West",
        "Gloucestershire Police",
    ),
    _f("wiltshire", "Wiltshire Police", "South West"),
    # Wales
    _f("dyfed-powys", "Dyfed-Powys Police", "Wales", "Dyfed Powys Police", country="Wales"),
    _f("gwent", "Gwent Police", "Wales", country="Wales"),
    _f("north-wales", "North Wales Police", "Wales", country="Wales"),
    _f("south-wales", "South Wales Police", "Wales", country="Wales"),
    # Special and the other UK nations
    _f("british-transport", "British Transport Police", "National", "BTP", country="UK"),
    _f("police-scotland", "Police Scotland", "Scotland", country="Scotland"),
    _f(
        "psni",
        "Police Service of Northern Ireland",
        "Northern Ireland",
        "PSNI",
        country="Northern Ireland",
    ),
)

BODIES: tuple[Force, ...] = tuple(
    Force(code, name, (name, *aliases), "National", "UK", kind="body")
    for code, name, aliases in (
        ("npcc", "National Police Chiefs' Council", ("NPCC", "National Police Chiefs Council")),
        ("nca", "National Crime Agency", ("NCA",)),
        ("home-office", "Home Office", ()),
        (
            "nclcc",
            "National County Lines Coordination Centre",
            ("NCLCC", "National County Lines Co-ordination Centre"),
        ),
        ("rocu", "Regional Organised Crime Unit", ("ROCU", "ROCUs")),
        ("pcc", "Police and Crime Commissioner", ("PCC", "Police, Fire and Crime Commissioner")),
    )
)

TERRITORIAL_ENGLAND_WALES = 43


def by_code(code: str) -> Force | None:
    """The force or body with this code, or None."""
    return _codes().get(code)


@cache
def _codes() -> dict[str, Force]:
    return {f.code: f for f in (*FORCES, *BODIES)}


_CASED = {a.lower(): a for f in FORCES for a in f.aliases if a.isupper() or a == "the Met"}
_CASED["the met"] = "the Met"


@cache
def _alias_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """One alternation of every force alias, longest first, with word boundaries."""
    table = {a.lower(): f.code for f in FORCES for a in f.aliases}
    # Acronyms and "the Met" only count in their own case ("mps", "the met office" do not).
    alts = sorted(table, key=len, reverse=True)
    rx = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w-])", re.I)
    return rx, table


def forces_named(text: str) -> list[str]:
    """Codes of the forces the text names (never bodies such as the NPCC), first mention first."""
    rx, table = _alias_pattern()
    seen: dict[str, None] = {}
    for m in rx.finditer(text):
        alias = m.group(0).lower()
        cased = _CASED.get(alias)
        if cased and m.group(0) not in (cased, cased[0].upper() + cased[1:]):
            continue
        if alias == "the met" and text[m.end() : m.end() + 7].lower() == " office":
            continue
        seen.setdefault(table[alias], None)
    return list(seen)


def match_name(name: str | None) -> str | None:
    """The code of the force a free-text name (a config `force:` value) denotes, or None."""
    if not name:
        return None
    found = forces_named(name)
    return found[0] if found else None
