"""The arithmetic every score shares: when two values are the same figure, how gold and found
figures are paired, and precision / recall / F1 from the counts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from monitor.items import Figure

G = TypeVar("G")
# What a labelled figure says: (metric, value, qualifier, scope).
Label = tuple[str, float, str | None, str | None]


def same_value(a: float, b: float) -> bool:
    """Values match to 2 decimals (years) or to a relative millionth (money, counts)."""
    return abs(a - b) <= max(0.011, abs(b) * 1e-6)


def ratio(num: int, den: int) -> float:
    """A safe ratio: 1.0 when there is nothing to score."""
    return num / den if den else 1.0


def match(
    gold: Sequence[G], pred: list[Figure], label: Callable[[G], Label]
) -> tuple[list[tuple[G, Figure]], list[G], list[Figure]]:
    """Pair (metric, value) as multisets, preferring pairs that also agree on qualifier and
    scope; returns the pairs, the gold figures missed and the found figures left over."""
    free = list(pred)
    pairs: list[tuple[G, Figure]] = []
    missed: list[G] = []
    for g in gold:
        metric, value, qualifier, scope = label(g)
        hits = [p for p in free if p.metric == metric and same_value(p.value, value)]
        if not hits:
            missed.append(g)
            continue
        best = max(hits, key=lambda p: (p.qualifier == qualifier) + (p.scope == scope))
        free.remove(best)
        pairs.append((g, best))
    return pairs, missed, free


def figure_scores(tp: int, fp: int, fn: int) -> dict[str, Any]:
    """Precision, recall and F1 with the counts they came from."""
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}
