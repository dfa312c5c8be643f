"""Headline figures from announcement text: numbers in prose, what they count, and in what scope.

``extract(text)`` is the one entry point; the modules are ``numbers`` (reading numbers, money,
weights and durations in prose), ``scope`` (sentences and national/regional/force/case cues) and
``extractor`` (classifying each number into a metric of the figure vocabulary).

The rules are loaded on first use (module ``__getattr__``), not when the package is imported:
a re-poll that archives nothing imports ``monitor.figures`` through the archive and attribution
but never reads a figure, and the rules' imports and regexes cost ~40 ms of its start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.figures.extractor import extract

__all__ = ["EXTRACTOR_VERSION", "extract"]

# Stored with every figure: which rules read it (`monitor reextract` replaces older ones). Here,
# not in the extractor, so that a process that only archives figures read elsewhere (a worker
# process read them: monitor/offload.py) never loads the rules.
EXTRACTOR_VERSION = "figures/3"


def __getattr__(name: str) -> Any:
    if name == "extract":
        from monitor.figures import extractor

        value = getattr(extractor, name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'monitor.figures' has no attribute {name!r}")
