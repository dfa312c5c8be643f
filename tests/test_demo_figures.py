"""Held-out gate: the demo web's article pages yield exactly the figures in EXPECTED.md.

The demo site and its EXPECTED.md were written independently of the extraction rules and ship
with the repo, so unlike ../shared/eval this check always runs. The expected rows live in
monitor/evaluation/demo.py (copied from EXPECTED.md) so the benchmark and the test share them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from monitor import figures, relevance
from monitor.evaluation import demo as DEMO  # noqa: N812 (read as a table of expectations)

ROOT = Path(__file__).resolve().parents[1]


@cache
def _page(path: str) -> tuple[str, str]:
    """(title, main text) of a demo page, extracted once per test session."""
    return DEMO.load_page(path)


def _rows(found: list) -> list[tuple[str, float, str, str | None]]:
    """Comparable (metric, value rounded to 2 dp, qualifier, scope), sorted."""
    return sorted((f.metric, round(f.value, 2), f.qualifier, f.scope) for f in found)


@pytest.mark.parametrize("path", sorted(DEMO.RELEVANT))
def test_relevant_page_figures(path: str) -> None:
    """Every figure EXPECTED.md lists, with its qualifier and scope, and nothing else."""
    title, body = _page(path)
    relevant, terms = relevance.assess(title, body)
    assert relevant and terms
    want = sorted((m, round(v, 2), q, s) for m, v, q, s in DEMO.RELEVANT[path])
    assert _rows(figures.extract(body)) == want


@pytest.mark.parametrize("path", sorted(DEMO.NOT_RELEVANT))
def test_not_relevant_page(path: str) -> None:
    """Look-alike pages (football, phone lines, bus lines, local dealing) are rejected."""
    title, body = _page(path)
    assert relevance.assess(title, body) == (False, [])


def test_demo_scores_perfect() -> None:
    """The benchmark's summary agrees: no misses of any kind on the demo web."""
    report = DEMO.evaluate()
    assert report["misses"] == []
    assert report["figures"]["f1"] == 1.0
