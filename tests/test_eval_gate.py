"""The labelled eval set must not regress below the pinned floors in eval_baseline.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.evaluation import figures as evaluation

ROOT = Path(__file__).resolve().parents[1]
BASELINE = json.loads((ROOT / "tests" / "eval_baseline.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report() -> dict:
    """One evaluation run shared by the assertions below."""
    cases = evaluation.cases_dir()
    if not cases.is_dir() or not any(cases.glob("*.json")):
        pytest.skip(f"eval cases not available at {cases} (set MONITOR_EVAL_CASES)")
    return evaluation.evaluate(cases)


@pytest.mark.parametrize(
    ("path", "floor_key"),
    [
        (("relevance", "precision"), "relevance_precision"),
        (("relevance", "recall"), "relevance_recall"),
        (("figures", "precision"), "figure_precision"),
        (("figures", "recall"), "figure_recall"),
        (("figures", "f1"), "figure_f1"),
        (("qualifier_accuracy",), "qualifier_accuracy"),
        (("scope_accuracy",), "scope_accuracy"),
    ],
)
def test_score_floor(report: dict, path: tuple[str, ...], floor_key: str) -> None:
    """Each score stays at or above its pinned floor."""
    value = report
    for key in path:
        value = value[key]
    assert value >= BASELINE[floor_key], f"{'.'.join(path)} = {value:.3f} < {BASELINE[floor_key]}"


def test_seed_case_exact(report: dict) -> None:
    """The seed announcement's figures all match (no misses of any kind on it)."""
    assert [m for m in report["misses"] if m["case"] == "seed"] == []
