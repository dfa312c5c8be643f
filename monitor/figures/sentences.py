"""Sentence spans of an article's text: the unit every figure is read in and cited by.

Lines are paragraphs; a short first line without a full stop is the headline. A full stop
followed by a capital, digit, pound sign, quote or bracket ends a sentence unless it ends a
title (Mr, Det, Supt...). Spans longer than MAX_SENTENCE are cut at a space, so the work on a
page without full stops stays linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPLIT = re.compile(r"[.!?][)'\"”’]*\s+(?=[A-Z0-9£'\"“‘(])")
_ABBREV = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Det|Ch|Supt|Insp|Sgt|Con|St|No|Cllr|Lt|Col|Rev|Prof)$")
_LINE = re.compile(r"[^\n]+")


@dataclass(slots=True)
class Sent:
    """A sentence span with its paragraph number and whether it is the headline."""

    start: int
    end: int
    para: int
    title: bool


MAX_SENTENCE = 1_500  # a longer run without a full stop is cut at a space (keeps work linear)


def _add_span(out: list[Sent], text: str, start: int, end: int, para: int, title: bool) -> None:
    """Append a stripped, non-empty sentence span, cut into pieces of at most MAX_SENTENCE."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = cut if cut > start else start + MAX_SENTENCE
        out.append(Sent(start, cut, para, title))
        start = cut + 1 if text[cut : cut + 1] == " " else cut
    if end > start:
        out.append(Sent(start, end, para, title))


def sentences(text: str) -> list[Sent]:
    """Split into sentences per line; a short first line without a full stop is the headline."""
    out: list[Sent] = []
    lines = list(_LINE.finditer(text))
    for para, line in enumerate(lines):
        title = para == 0 and len(lines) > 1 and len(line[0]) < 250
        title = title and not line[0].rstrip().endswith((".", "!", "?"))
        start = line.start()
        for cut in _SPLIT.finditer(text, line.start(), line.end()):
            if _ABBREV.search(text, max(start, cut.start() - 6), cut.start()):
                continue
            _add_span(out, text, start, cut.start() + 1, para, title)
            start = cut.end()
        _add_span(out, text, start, line.end(), para, title)
    return out
