"""What is archived as the text of a fetched article page that may mention county lines.

One plain function of the page's bytes, so that it runs the same in a worker process
(monitor/offload.py) as on the reactor's thread: the pipeline (TextPipeline) only decides
whether a page needs it at all (the byte gate, monitor/relevance.may_mention).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor import relevance, text
from monitor.budget import EXTRACT_SECONDS, time_limit


@dataclass(frozen=True)
class PageBody:
    """The text to archive, and why it is only the rough text when the extractor ran late."""

    body: str
    over_budget: str | None = None


def page_body(raw: bytes, title: str, url: str, seconds: float = EXTRACT_SECONDS) -> PageBody:
    """The page's rough lxml text, replaced by trafilatura's main text when the rough text
    already reads as county lines (the extractor costs ~20x the rough text, and most pages with
    a lexicon word somewhere are not about county lines). A page whose relevance test or
    extraction runs past `seconds` keeps its rough text: it is still archived, and
    `monitor reextract` can read it again."""
    rough = text.rough_text(raw)
    try:
        with time_limit(seconds, "main text"):
            relevant, _ = relevance.assess(title, rough)
            if relevant:
                return PageBody(text.main_text(raw, url))
    except TimeoutError as exc:
        return PageBody(rough, str(exc))
    return PageBody(rough)
