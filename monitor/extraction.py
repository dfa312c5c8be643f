"""Relevance and figures for one saved document: the shared core of `monitor extract`."""

from __future__ import annotations

from typing import Any

from monitor import attribution, relevance, text
from monitor.items import Figure


def _title(page: bytes) -> str:
    """The page's <title> or first <h1>: headlines carry relevance terms more often than bodies."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(page)
    except Exception:  # lxml raises on empty or odd documents
        return ""
    for xpath in ("//h1", "//title"):
        found = tree.xpath(xpath)
        if found:
            return text.plain(found[0].text_content())
    return ""


def extract_document(data: bytes) -> dict[str, Any]:
    """{"relevant", "matched_terms", "figures"} for an HTML page or plain text."""
    if text.is_html_text(data):
        title, body = _title(data), text.main_text(data)
    else:
        body = text.tidy(data.decode("utf-8", errors="replace"))
        title = ""
    relevant, terms = relevance.assess(title, body)
    found = attribution.extract(attribution.ArticleContext(title, body)) if relevant else []
    return {"relevant": relevant, "matched_terms": terms, "figures": [_figure(f) for f in found]}


def _figure(fig: Figure) -> dict[str, Any]:
    """The figure's public shape plus what it is about (null when the text does not say; a
    period needs a year, which a document without a published date may not state)."""
    return {
        **fig.as_json(),
        "force": fig.force,
        "period_start": fig.period_start,
        "period_end": fig.period_end,
        "operation": fig.operation,
    }
