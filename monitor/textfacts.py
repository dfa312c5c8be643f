"""What an article states that survives an outlet rewriting it: names, numbers, courts, events.

Story matching (monitor.dedupe) compares these between two articles. They are read from plain
text with small regexes because a rewrite changes the wording but keeps the proper nouns (the
towns, the officer quoted, the unit, "Operation Poetry", "Chelmsford Crown Court"), the numbers
(often spelled out in one copy: "Sixteen warrants" against "16 simultaneous raids") and what kind
of event the headline reports (a sentencing, a week's results, funding).
"""

from __future__ import annotations

import re
from functools import cache

from monitor import forces
from monitor.figures.numbers import words_to_number

# Capitalised words run together ("Temporary Detective Chief Inspector Neal Miller").
_RUN = re.compile(r"\b[A-Z][a-z]+(?:['’]s)?(?:[ -](?:of |upon |on |under )?[A-Z][a-z]+(?:['’]s)?)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:\"“‘]\s*|\n\s*)$")
_COURT = re.compile(
    r"\b([A-Z][a-z]+(?:[ -][A-Z][a-z]+)*) (?:Crown|Magistrates['’]?|Youth|High) Court\b"
)
_OPERATION = re.compile(r"\b(?:Operation|Op)\.? ([A-Z][a-z]+(?: [A-Z][a-z]+)?)")
_TOKEN = re.compile(r"[a-z]+|[^a-z\s-]")  # words; punctuation ends a run of number words

# Capitalised words that name nothing in particular: titles, sentence openers, the shared
# vocabulary of county-lines news, days and months. A run is split at these words.
_GENERIC_WORDS = """a an the and but he she it its they we our this that these those there in on
    at as by for from with after during over police constabulary force officers officer detective
    chief
    inspector superintendent sergeant constable temporary acting assistant deputy commissioner
    commander mr mrs ms miss dr sir judge recorder his her honour court crown magistrates
    county counties lines line drug drugs dealing class team teams unit units week weeks action
    intensification operation op national crime agency regional organised home office government
    news watch read more related report reports officers' people anyone anybody arrests crackdown
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december uk england britain british wales scotland
    london english welsh crimestoppers nca npcc nclcc rocu pcc coordination centre children
    youth young man woman men women boy girl dealer dealers gang gangs he's she's i we'll
    programme catch"""
_GENERIC = frozenset(_GENERIC_WORDS.split())

# Headline words that say what kind of event an article reports; two kinds that differ mean two
# announcements (a dealer's sentencing days after the week of action that caught him).
_EVENTS = {
    "sentencing": re.compile(r"\b(jail(?:ed)?|sentenc\w*|convicted|guilty|prison|locked up)\b"),
    "funding": re.compile(
        r"\b(funding|funds?|allocat\w*|£\S+ (?:boost|investment|for)|pledge[sd]?|grants?)\b"
    ),
    "results": re.compile(
        r"\b(arrest(?:s|ed)?|seiz\w*|raids?|warrants?|week of action|crackdown|closed|shut)\b"
    ),
}


@cache
def _areas() -> dict[str, str]:
    """Force areas named without the word Police ("Essex", "West Midlands") -> force code."""
    out = {}
    for f in forces.FORCES:
        for alias in f.aliases:
            area = re.sub(r"\s+(?:Police|Constabulary)(?:['’]s)?$", "", alias)
            if area != alias and len(area) > 3:
                out[area.lower()] = f.code
    return out


def names(text: str) -> set[str]:
    """Proper nouns (places, people, units) lower-cased, generic words and force areas left out;
    a single capitalised word opening a sentence is only an ordinary word."""
    found: set[str] = set()
    areas = _areas()
    # "Liverpool Crown Court" and "Operation Poetry" are the court and operation signals
    courts_ = courts(text) | operations(text)
    for m in _RUN.finditer(text):
        words = m.group(0).replace("’", "'").split()
        parts: list[list[str]] = [[]]
        for w in words:
            if w.lower().removesuffix("'s") in _GENERIC:
                parts.append([])
            else:
                parts[-1].append(w.removesuffix("'s"))
        opens = bool(_SENTENCE_START.search(text[max(0, m.start() - 3) : m.start()]))
        for i, part in enumerate(parts):
            if not part or (i == 0 and opens and len(part) == 1):
                continue  # "Eight County Lines...", "Catch..." open a sentence, name nothing
            name = " ".join(part).lower()
            if name not in areas and name not in courts_ and len(name) > 2:
                found.add(name)
    return found


def areas_named(text: str) -> set[str]:
    """Codes of the forces whose area the text names ("in the West Midlands"), a weaker hint
    than the force itself."""
    low = text.lower()
    return {code for area, code in _areas().items() if area in low}


def courts(text: str) -> set[str]:
    """Courts named ("Chelmsford Crown Court" -> "chelmsford")."""
    return {m.group(1).lower() for m in _COURT.finditer(text)}


def operations(text: str) -> set[str]:
    """Named operations ("Operation Poetry", "Op Raptor" -> "poetry", "raptor")."""
    out = set()
    for m in _OPERATION.finditer(text):
        name = m.group(1).split()
        if name[0].lower() not in _GENERIC:
            out.add(name[0].lower())
    return out


def spelled_numbers(text: str) -> set[str]:
    """Numbers written in words ("Sixteen warrants", "twenty-five", "two hundred and ten"), as
    digits; a word scan, since one regex of every number word costs more than the rest."""
    out: set[str] = set()
    run: list[str] = []
    for tok in [*_TOKEN.findall(text.lower()), "."]:
        if _number_word(tok) or (tok == "and" and run and run[-1] in ("hundred", "thousand")):
            run.append(tok)
            continue
        while run and run[-1] == "and":
            run.pop()
        if run:
            value = words_to_number(" ".join(run))
            if value is not None:
                out.add(f"{value:g}")
        run = []
    return out


@cache
def _number_word(token: str) -> bool:
    return token != "and" and token.isalpha() and words_to_number(token) is not None


def events(title: str) -> set[str]:
    """What kind of event a headline reports: sentencing, funding or results (several may fit;
    sentencing wins over results, since a court report also names the arrests behind it)."""
    low = title.lower()
    kinds = {k for k, rx in _EVENTS.items() if rx.search(low)}
    if "sentencing" in kinds:
        kinds.discard("results")
    return kinds
