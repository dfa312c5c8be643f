"""The byte-level gate before any parse: it may only reject pages that could never be relevant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor import relevance, text

DEMO_SITE = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "site"
EVAL_CASES = Path(__file__).resolve().parents[2] / "shared" / "eval" / "cases"


def _page(title: str, body: str) -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
    return (
        f"<!doctype html><html><head><title>{title}</title></head>"
        f"<body><nav>Home | News</nav><h1>{title}</h1>{paras}</body></html>"
    ).encode()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"<p>Officers closed a County&nbsp;Lines operation.</p>", True),
        (b"<p>A deal&#160;line was taken out of use.</p>", True),
        (b"<p>The DRUGS\n LINE was run from the city.</p>", True),
        (b"<p>Homes visited over CUCKOOING fears.</p>", True),
        (b"<p>The line-holder was jailed.</p>", True),
        (b"<p>Roadworks close the ring road; the online timetable changes.</p>", False),
        (b"<p style='line-height:2'>A burglary appeal in the town centre.</p>", False),
        ("<p>County lines</p>".encode("utf-16"), True),  # no readable bytes: decide later
    ],
)
def test_gate_on_release_phrasings(raw: bytes, expected: bool) -> None:
    assert relevance.may_mention(raw) is expected


def test_gate_never_rejects_a_relevant_demo_page() -> None:
    pages = [p for p in DEMO_SITE.rglob("index.html")]
    assert len(pages) >= 20
    for page in pages:
        raw = page.read_bytes()
        rough = text.rough_text(raw)
        if relevance.assess("", rough)[0]:
            assert relevance.may_mention(raw), page


@pytest.mark.skipif(not EVAL_CASES.is_dir(), reason="../shared/eval/cases not present")
def test_gate_never_rejects_a_relevant_eval_case() -> None:
    for path in sorted(EVAL_CASES.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if relevance.assess(case["title"], case["text"])[0]:
            assert relevance.may_mention(_page(case["title"], case["text"])), case["id"]
