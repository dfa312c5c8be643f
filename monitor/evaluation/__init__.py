"""Scoring against labelled cases: figures and relevance (`figures`), story grouping (`stories`)
and the demo's expected figures (`demo`).

Tests and benchmarks import it; the monitor itself never does (tests/test_architecture.py), so
what is scored is the shipped code and nothing in the watch path depends on the labels.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cases_dir() -> Path:
    """$MONITOR_EVAL_CASES, else the first shared/eval/cases above the repo (a worktree nests
    deeper than the main checkout), else where the main checkout would have it."""
    env = os.environ.get("MONITOR_EVAL_CASES")
    if env:
        return Path(env)
    for parent in REPO.parents:
        if (parent / "shared" / "eval" / "cases").is_dir():
            return parent / "shared" / "eval" / "cases"
    return REPO.parent / "shared" / "eval" / "cases"
