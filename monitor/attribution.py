"""What each figure is about: its force, the period it reports and the operation it belongs to.

Runs after ``figures.extract()`` over the same text; plain functions, no Scrapy. The rules
(issue 14): a figure's force is a ``monitor.forces`` code named in its own sentence; failing
that, a force- or case-scope figure takes the publishing force (a force's own release) or the one
force its article names (a press story about one force's operation). National and regional
figures get no force, and a publisher that is not a force (NPCC, NCA, Home Office) is never one:
``forces_named`` only knows forces. The period is the activity's stated dates ("from 3 to 9
October", "during March", "in the 12 months to April", "over the past year"), the sentence's own
first, else the article's; the article's published UK date fixes a year the text leaves out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from monitor import figures, forces
from monitor.dates import uk_date
from monitor.items import Figure

_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        )
    )
    for name in names
}
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_WORDS |= {"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18}


def _month(group: str) -> str:
    alts = "|".join(sorted(_MONTHS, key=len, reverse=True))
    return rf"(?P<{group}>{alts})\.?"


def _day(group: str) -> str:
    return rf"(?P<{group}>[0-3]?\d)(?:st|nd|rd|th)?"


_YEAR = r"(?:,?\s+(?P<y{n}>(?:19|20)\d\d))?"
_TO = r"\s*(?:-|–|—|to|until|till|and)\s*"
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day\s+)?"
_COUNT = r"(?P<n>\d{1,2}|" + "|".join(_WORDS) + r")"

# Each family: a name (to trace what matched) and its pattern; all case-insensitive.
_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx, re.I))
    for name, rx in (
        (
            "day_range",  # from 3 to 9 October; between 23 and 29 June; 28 September to 4 October
            r"\b(?P<lead>from\s+|between\s+)?(?:the\s+)?"
            + _day("d1")
            + r"(?:\s+(?:of\s+)?"
            + _month("m1")
            + _YEAR.format(n=1)
            + r")?"
            + _TO
            + r"(?:the\s+)?"
            + _day("d2")
            + r"\s+(?:of\s+)?"
            + _month("m2")
            + _YEAR.format(n=2)
            + r"\b",
        ),
        (
            "month_first_range",  # October 3-9; from October 3 to 9; September 28 to October 4
            r"\b(?P<lead>from\s+|between\s+)?"
            + _month("m1")
            + r"\s+"
            + _day("d1")
            + _TO
            + r"(?:"
            + _month("m2")
            + r"\s+)?"
            + _day("d2")
            + r"\b(?!\s*(?:%|per|people|arrests|lines))"
            + _YEAR.format(n=2),
        ),
        (
            "week_ending",  # a week of action that ended on Sunday 9 October
            r"\bweek\b[^.;]{0,40}?\bend(?:ed|ing|s)?\s+(?:on\s+)?"
            + _WEEKDAY
            + _day("d2")
            + r"\s+(?:of\s+)?"
            + _month("m2")
            + _YEAR.format(n=2)
            + r"\b",
        ),
        (
            "week_beginning",  # the week beginning 3 October
            r"\bweek\s+(?:beginning|starting|commencing)\s+(?:on\s+)?"
            + _WEEKDAY
            + _day("d1")
            + r"\s+(?:of\s+)?"
            + _month("m1")
            + _YEAR.format(n=1)
            + r"\b",
        ),
        (
            "months_to",  # in the 12 months to April; the year to March 2023
            r"\bthe\s+(?:(?P<n>\d{1,2}|"
            + "|".join(_WORDS)
            + r")\s+months?|(?P<year>year|financial\s+year))\s+(?:to|up\s+to|ending|until)\s+"
            r"(?:the\s+end\s+of\s+)?" + _month("m2") + _YEAR.format(n=2) + r"\b",
        ),
        (
            "whole_month",  # during March; throughout October 2022
            r"\b(?:during|throughout|across|for\s+the\s+month\s+of)\s+(?:the\s+month\s+of\s+)?"
            + _month("m1")
            + _YEAR.format(n=1)
            + r"\b(?!\s+[0-3]?\d\b)",
        ),
        (
            "past",  # over the past year; in the last six months; during the past week
            r"\b(?:over|in|during|within)\s+the\s+(?:past|last|previous)\s+(?:"
            + _COUNT
            + r"\s+)?(?P<unit>years?|months?|weeks?|days?)\b(?!\s+of\b)",
        ),
    )
)

_OPERATION = re.compile(r"\bOperation\s+(?!The\b|Of\b|And\b|A\b|An\b)([A-Z][a-zA-Z'-]{2,})")
_CAMPAIGN = re.compile(r"\b(?:national\s+)?(?:county\s+lines\s+)?intensification\s+week", re.I)
CAMPAIGN_NAME = "County Lines Intensification Week"
# Not results of the activity an article dates: money announced for the years ahead, a sentence
# handed down on one day. They take a period only from their own sentence.
NOT_ACTIVITY = frozenset({"funding_gbp", "sentence_years"})


@dataclass(frozen=True, slots=True)
class Period:
    """The activity's stated dates, inclusive."""

    start: date
    end: date
    rule: str  # the family that matched, to trace a wrong period


@dataclass(frozen=True, slots=True)
class ArticleContext:
    """What attribution knows about the article a figure came from."""

    title: str
    body: str
    published: str | None = None  # UTC ISO; its UK date fixes a year the text leaves out
    source_force: str | None = None  # forces code of the publishing force, for its own releases

    @classmethod
    def of(
        cls, title: str, body: str, published: str | None, kind: str | None, force: str | None
    ) -> ArticleContext:
        """The context of an article from a source of this kind and configured `force:` name;
        only a police source's own force counts as the publishing force."""
        own = forces.match_name(force) if kind == "police" else None
        return cls(title=title, body=body, published=published, source_force=own)

    @property
    def day(self) -> date | None:
        """The UK date the article was published."""
        local = uk_date(self.published)
        return date.fromisoformat(local) if local else None


def _count(value: str | None) -> int:
    if not value:
        return 1
    return int(value) if value.isdigit() else _WORDS[value.lower()]


def _dated(day: int, month: int, year: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _fix_year(start: date, end: date, stated: bool, published: date) -> tuple[date, date]:
    """A period with no stated year ends in the latest year that starts it by publication."""
    if stated or start <= published:
        return start, end
    return start - relativedelta(years=1), end - relativedelta(years=1)


def _month_of(g: dict[str, str | None], key: str) -> int:
    return _MONTHS[(g[key] or "").lower()]


def _past(g: dict[str, str | None], year: int, published: date) -> tuple[date, date] | None:
    """Over the past N units, ending on the publication date."""
    unit = (g["unit"] or "").lower().rstrip("s") + "s"
    step = relativedelta(**{unit: _count(g["n"])})  # type: ignore[arg-type]
    return published - step + timedelta(days=1), published


def _whole_month(g: dict[str, str | None], year: int, published: date) -> tuple[date, date]:
    start = date(year, _month_of(g, "m1"), 1)
    return start, start + relativedelta(months=1, days=-1)


def _months_to(g: dict[str, str | None], year: int, published: date) -> tuple[date, date]:
    """N months (or a year) ending with the named month; fixed to a month begun by publication."""
    last = date(year, _month_of(g, "m2"), 1)
    if not g.get("y2") and last > published:
        last -= relativedelta(years=1)
    end = last + relativedelta(months=1, days=-1)
    months = 12 if g["year"] else _count(g["n"])
    return end + timedelta(days=1) - relativedelta(months=months), end


def _week_beginning(
    g: dict[str, str | None], year: int, published: date
) -> tuple[date, date] | None:
    first = _dated(int(g["d1"] or 0), _month_of(g, "m1"), year)
    return (first, first + timedelta(days=6)) if first else None


def _week_ending(g: dict[str, str | None], year: int, published: date) -> tuple[date, date] | None:
    last = _dated(int(g["d2"] or 0), _month_of(g, "m2"), year)
    return (last - timedelta(days=6), last) if last else None


def _range(g: dict[str, str | None], year: int, published: date) -> tuple[date, date] | None:
    """From one day to another; a start month after the end month is in the year before."""
    m2 = _month_of(g, "m2" if g.get("m2") else "m1")
    m1 = _month_of(g, "m1") if g.get("m1") else m2
    start = _dated(int(g["d1"] or 0), m1, year - 1 if m1 > m2 else year)
    end = _dated(int(g["d2"] or 0), m2, year)
    return (start, end) if start and end and start <= end else None


_READERS = {
    "day_range": _range,
    "month_first_range": _range,
    "week_ending": _week_ending,
    "week_beginning": _week_beginning,
    "months_to": _months_to,
    "whole_month": _whole_month,
    "past": _past,
}
_FIXED = ("past", "months_to")  # their year is already settled against the publication date


def _period(name: str, m: re.Match[str], published: date) -> Period | None:
    g = m.groupdict()
    if name.endswith("range") and "and" in m.group(0).lower().split() and not g.get("lead"):
        return None  # "on 3 and 9 October" names two days, not a span
    stated = bool(g.get("y1") or g.get("y2"))
    span = _READERS[name](g, int(g.get("y2") or g.get("y1") or published.year), published)
    if span is None or (name != "months_to" and (span[1] - span[0]).days > 366):
        return None
    start, end = span if name in _FIXED else _fix_year(*span, stated, published)
    return Period(start, end, name)


def periods_in(text: str, published: date | None) -> list[Period]:
    """Every stated activity period in the text, in reading order (none without a date to fix
    the year of a period that states none)."""
    if published is None:
        return []
    found: list[tuple[int, Period]] = []
    taken: list[tuple[int, int]] = []
    for name, rx in _FAMILIES:
        for m in rx.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue  # an earlier family already read these words
            period = _period(name, m, published)
            if period is not None:
                found.append((m.start(), period))
                taken.append(m.span())
    return [p for _, p in sorted(found, key=lambda x: x[0])]


def operation_in(text: str) -> str | None:
    """The first stated operation ("Operation Orochi") or campaign name in the text."""
    op, campaign = _OPERATION.search(text), _CAMPAIGN.search(text)
    if op and (campaign is None or op.start() < campaign.start()):
        return f"Operation {op.group(1)}"
    return CAMPAIGN_NAME if campaign else None


def force_of(fig: Figure, ctx: ArticleContext, article_forces: list[str]) -> str | None:
    """The force a figure is about: named in its sentence, else (force or case scope) the
    publishing force or the article's one named force; national and regional get none."""
    if fig.scope in ("national", "regional"):
        return None
    named = forces.forces_named(fig.evidence)
    if named:  # a force's own release naming a helper force keeps its own
        return ctx.source_force if ctx.source_force in named else named[0]
    if ctx.source_force:
        return ctx.source_force
    return article_forces[0] if len(article_forces) == 1 else None


def attribute(found: list[Figure], ctx: ArticleContext) -> list[Figure]:
    """Set force, period and operation on each figure (in place); returns the same list."""
    if not found:
        return found
    whole = f"{ctx.title}.\n{ctx.body}"
    article_forces = forces.forces_named(whole)
    published = ctx.day
    article_periods = periods_in(whole, published)
    article_operation = operation_in(whole)
    for fig in found:
        fig.force = force_of(fig, ctx, article_forces)
        own = periods_in(fig.evidence, published)
        inherited = article_periods[:1] if fig.metric not in NOT_ACTIVITY else []
        period = (own or inherited)[0] if own or inherited else None
        if period is not None:
            fig.period_start, fig.period_end = period.start.isoformat(), period.end.isoformat()
        fig.operation = operation_in(fig.evidence) or article_operation
    return found


def extract(ctx: ArticleContext) -> list[Figure]:
    """The article body's figures with their force, period and operation set."""
    return attribute(figures.extract(ctx.body), ctx)
