"""Result actions: the verb (or result noun) that makes a count of an item a result.

People counted are a result only beside what happened to them: arrested, charged, safeguarded.
Lines are a result only when closed, shut down, dismantled, disrupted or taken out of use, never
when merely identified or targeted. Each pattern is matched against a bounded window before or
after the number, never against the whole prefix of the sentence.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

BEFORE_PERSON = re.compile(
    r"\b(?P<v>arrested|arresting|arrest of|arrests of|arrest|detained|charged|charging|charge|"
    r"safeguarded|safeguarding|protected|protecting|rescued|held)\s+"
    r"(?:a total of\s+|a further\s+)?$",
    _I,
)
AFTER_PERSON = re.compile(
    r"\b(arrested|detained|charged|safeguarded|protected|rescued|spoken to|"
    r"referred for safeguarding)\b|"
    r"\b(face|faces|facing) (?:a total of |more than |over )?[\w,]+ (?:charges|offences)\b",
    _I,
)
DIRECT_PERSON = re.compile(
    r"\s*(?:(?:have|has|had) (?:since |now |also )?been |were (?:also |later |then )?|was |"
    r"being |are )?(arrested|charged|safeguarded|held)\b",
    _I,
)
# "58 people face 140 charges between them": people charged, stated beside their charges.
FACE_CHARGES = re.compile(
    r"\s*(?:\w+\s+){0,2}?(?:now )?fac(?:e|es|ing)(?: (?:[\w,]+ )?charges\b|"
    r"(?: a total of| more than| over)?\s*$)",
    _I,
)
CLOSE_BEFORE = re.compile(
    r"\b(?:closed|closing|close|shut down|shutting down|shut|dismantled|dismantling|disrupted|"
    r"disrupting|took down|takes down|taken down|taking down|took out|taken out|cut|closure of|"
    r"closed down|closing down|destroyed|destroying|shutdown of|disruption (?:of|to))\s+"
    r"(?:a total of\s+|an? (?:record|further|combined|additional|total)\s+)?$",
    _I,
)
_CLOSED = (
    r"(?:closed|shut|shutdown|dismantled|disrupted|destroyed|taken down|taken out|put out of "
    r"action|deactivated)"
)
CLOSE_AFTER = re.compile(
    r"\s*(?:groups?|gangs?|networks?|operations?|supply chains?)?\s*(?:(?:were|have been|had "
    rf"been|being|was|has been) )?(?:(?:identified|targeted|found) and )?{_CLOSED}\b",
    _I,
)
# "The two county lines run by the group, known as 'Rico' and 'Smudge', have been shut down"
CLOSE_LATER = re.compile(
    r"(?P<gap>[^;]{0,100}?)\b(?<!would )(?<!could )(?<!might )"
    r"(?:were|have been|had been|has been|was) "
    r"(?:now |since |also |successfully )?(?:(?:identified|targeted) and )?"
    rf"(?:{_CLOSED}|closed down|taken out of use)\b",
    _I,
)
NOT_CLOSED = re.compile(r"\b(?:identif|believ|thought|estimat|operat|active|running|linked)", _I)
NOT_SEIZED = re.compile(r"\s*(?:were |have been |had been )?(?:searched|stopped|checked)\b", _I)
WARRANT_NEAR = re.compile(r"\b(?:warrants?|raid\w*|search\w*|executed|executing)\b[^.]{0,25}$", _I)
CUCKOO = re.compile(r"cuckoo|\bvisit|\bchecked\b|welfare check", _I)
FOUND_ONLY = re.compile(r"\s*(?:were|have been) (?:also )?(?:discovered|identified|found)\b", _I)
VISITS_TO = re.compile(r"\s*to (?:\w+ )?(?:addresses|homes|properties|premises)", _I)
_PATROL_VISIT = re.compile(r"\b(?:visited|visiting|visits to|checked on)\s+$", _I)


# The verb of a count belongs to its own clause: "Three members were filmed ..., and another
# member was arrested" arrested one, not three.
_CLAUSE = re.compile(r",\s*(?:and|while|but|who|before|after)\b|;|\bwhile\b")


def person_verb(before: str, rest: str) -> str | None:
    """The verb deciding what a count of people is: arrested, charged, safeguarded; "" = none."""
    v = BEFORE_PERSON.search(before, max(0, len(before) - 40))
    verb = v.group("v") if v else None
    if verb is None:
        clause = _CLAUSE.split(rest[:160], 1)[0]
        # "either spoken to or safeguarded": the result verb wins over the contact verb.
        hits = [a.group(1) or "charged" for a in AFTER_PERSON.finditer(clause)]
        verb = next((h for h in hits if h.lower() != "spoken to"), hits[0] if hits else None)
    if verb is None:
        return None
    low = verb.lower()
    if low.startswith(("arrest", "detain", "held")):
        return "arrests"
    if low.startswith("charg"):
        return "charged"
    if low == "spoken to":
        return ""
    return "safeguarded"


def visited(before: str) -> bool:
    """Officers visited the count that follows ("patrols visited six known targets")."""
    return bool(_PATROL_VISIT.search(before, max(0, len(before) - 30)))
