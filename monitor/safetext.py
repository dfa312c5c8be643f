"""Text that is safe to display: feed titles and summaries capped, and invisible controls gone.

A feed may carry a 4 MiB title, or a headline wrapped in a right-to-left override (U+202E) that
makes Datasette and every reader's terminal show it reversed, or zero-width characters that make
two equal headlines compare different. Titles and summaries lose them before they are stored
(issue 17, item 9); line and paragraph breaks are the text module's business.
"""

from __future__ import annotations

import re

TITLE_CAP = 500  # characters: the longest real headline in research/sources.md is ~200
SUMMARY_CAP = 5000  # a feed summary is a teaser; the page's own text has its own column
# Bidirectional embeddings, overrides and isolates, the implicit marks, zero-width space,
# joiners, word joiner and invisible operators, and the byte-order mark used as a ZWNBSP.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def clean(text: str | None, cap: int) -> str:
    """`text` without invisible format characters, cut to `cap` characters at a word if it can."""
    text = _INVISIBLE.sub("", text or "")
    if len(text) <= cap:
        return text
    cut = text[:cap]
    space = cut.rfind(" ", cap - 50)
    return (cut[:space] if space > 0 else cut).rstrip() + "…"


def title(text: str | None) -> str:
    return clean(text, TITLE_CAP)


def summary(text: str | None) -> str:
    return clean(text, SUMMARY_CAP)
