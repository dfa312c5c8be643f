"""Relevance and figures for one saved document: the shared core of `monitor extract`."""

from __future__ import annotations

from typing import Any

from monitor import attribution, dates, relevance, text
from monitor.items import Figure

# Where news pages state their publication time (Open Graph, GOV.UK, Dublin Core, <time>).
_DATE_XPATHS = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@name='govuk:first-published-at']/@content",
    "//meta[@name='DC.date.issued' or @name='dcterms.created' or @name='date']/@content",
    "//time/@datetime",
)


def _head(page: bytes) -> tuple[str, str | None]:
    """The page's first <h1> or <title> (headlines carry relevance terms more often than
    bodies) and its stated publication time in UTC (so a period's year can be fixed)."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(page)
    except Exception:  # lxml raises on empty or odd documents
        return "", None
    title = ""
    for xpath in ("//h1", "//title"):
        found = tree.xpath(xpath)
        if found:
            title = text.plain(found[0].text_content())
            break
    for xpath in _DATE_XPATHS:
        for value in tree.xpath(xpath):
            published = dates.parse_local(str(value))
            if published:
                return title, published
    return title, None


def extract_document(data: bytes) -> dict[str, Any]:
    """{"relevant", "matched_terms", "figures"} for an HTML page or plain text."""
    published = None
    if text.is_html_text(data):
        (title, published), body = _head(data), text.main_text(data)
    else:
        body = text.tidy(data.decode("utf-8", errors="replace"))
        title = ""
    relevant, terms = relevance.assess(title, body)
    ctx = attribution.ArticleContext(title, body, published)
    found = attribution.extract(ctx) if relevant else []
    return {"relevant": relevant, "matched_terms": terms, "figures": [_figure(f) for f in found]}


def _figure(fig: Figure) -> dict[str, Any]:
    """The figure's public shape plus what it is about (null when the text does not say; a
    period whose year the text leaves out needs the page's stated publication time)."""
    return {
        **fig.as_json(),
        "force": fig.force,
        "period_start": fig.period_start,
        "period_end": fig.period_end,
        "operation": fig.operation,
    }
