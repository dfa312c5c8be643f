"""The item contract that flows from spiders through pipelines into the archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METRICS: dict[str, str] = {
    "lines_closed": "count",
    "arrests": "count",
    "charged": "count",
    "weapons_seized": "count",
    "firearms_seized": "count",
    "drugs_value_gbp": "GBP",
    "drugs_weight_kg": "kg",
    "cash_seized_gbp": "GBP",
    "safeguarded": "count",
    "warrants_executed": "count",
    "vehicles_seized": "count",
    "phones_seized": "count",
    "cuckooing_visits": "count",
    "sentence_years": "years",
    "funding_gbp": "GBP",
}
QUALIFIERS = ("exact", "more_than", "less_than", "about", "at_least", "up_to")
SCOPES = ("national", "regional", "force", "case")


@dataclass
class Figure:
    """One headline figure and the sentence that states it (offsets index the article text)."""

    metric: str
    value: float
    unit: str
    qualifier: str = "exact"
    scope: str | None = None
    evidence: str = ""
    start: int | None = None
    end: int | None = None
    rule: str | None = None  # the extraction rule that produced it, to trace a wrong figure
    force: str | None = None  # a monitor.forces code, never a publisher
    period_start: str | None = None  # YYYY-MM-DD, when the text states the activity's dates
    period_end: str | None = None
    operation: str | None = None  # "Operation Orochi", "County Lines Intensification Week"
    part_of: int | None = None  # index (in the same article's list) of the stated total
    restates: int | None = None  # figures.id in an earlier story that this one repeats

    def as_json(self) -> dict[str, object]:
        """The public shape printed by `monitor extract`."""
        return {
            "metric": self.metric,
            "value": int(self.value) if float(self.value).is_integer() else self.value,
            "unit": self.unit,
            "qualifier": self.qualifier,
            "scope": self.scope,
            "evidence": self.evidence,
        }


@dataclass
class Entry:
    """One feed or listing item as the spider saw it; `url` canonical, `original_url` as given."""

    source_id: str
    url: str
    original_url: str
    title: str
    guid: str | None = None
    summary: str = ""
    published: str | None = None
    publisher: str | None = None
    fetch: bool = True


@dataclass
class Article:
    """An entry plus what the pipeline learned from its page."""

    entry: Entry
    body: str = ""
    fetched_at: str | None = None
    http_status: int | None = None
    content_hash: str | None = None
    relevant: bool = False
    matched_terms: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    story_id: int | None = None
    raw: bytes = b""  # the fetched page, dropped once its text is extracted
    # what story matching reads off the archived text (dedupe.text_facts), computed beside the
    # crawl (StoryFactsPipeline); None: placement reads it from the stored article itself
    story_facts: dict[str, Any] | None = None

    def stored_body(self) -> str | None:
        """The text archived in `articles.body`: a relevant article's fetched page only (a
        feed's summary has its own column, and an irrelevant page's text is not kept)."""
        return self.body if self.relevant and self.http_status == 200 else None
