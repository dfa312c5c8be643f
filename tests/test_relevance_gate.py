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


# What the byte scan must still see: a phrase split by markup or written with references, as
# release pages write them. The old scan (a menu's "County lines" link let most pages through)
# was blind to these on pages without one.
@pytest.mark.parametrize(
    "raw",
    [
        b"<p>Officers closed two <a href='/d'>drug</a> lines in Leeds.</p>",
        b"<p>The line <b>holder</b> was jailed.</p>",
        b"<p>The deal</span>\n  <span>line was shut down.</p>",
        b"<p>Two drug&#32;lines and a deal&#x20;line closed.</p>",
        b"<p>A c&#111;unty lines gang was jailed.</p>",
        b"<p>The line&ensp;holder was 17.</p>",
    ],
    ids=[
        "tag-split",
        "bold-holder",
        "span-split",
        "space-references",
        "letter-reference",
        "named-space",
    ],  # fmt: skip
)
def test_gate_sees_an_anchor_split_by_markup_or_written_in_references(raw: bytes) -> None:
    page = b"<html><body><nav><a href='/'>Home</a></nav>" + raw + b"</body></html>"
    assert relevance.assess("", text.rough_text(page))[0]  # what the parse would decide
    assert relevance.may_mention(page) is True


def test_gate_lets_a_menu_link_through_whatever_the_markup_around_it() -> None:
    # a misnested template: lxml closes the <nav> at </div>, so the body is page text
    page = (
        b"<html><body><div class=hd><nav><a href='/cl/'>County lines</a></div>"
        b"<p>Officers closed two drug lines.</p></nav></body></html>"
    )
    assert relevance.assess("", text.rough_text(page))[0]
    assert relevance.may_mention(page) is True


@pytest.mark.parametrize(
    "page",
    [
        b"<p>" + b"drugs seized, " * 500_000 + b"</p>",  # 7 MB of "drug" never followed by "line"
        b"<input placeholder='a'>" * 200_000 + b"<p>Nothing to see.</p>",  # "holder" x 200,000
    ],
    ids=["drugs", "placeholders"],
)
def test_a_page_built_to_make_the_gate_loop_is_left_to_the_parser(page: bytes) -> None:
    # past a few thousand anchor candidates the gate stops looking and says "maybe": the page
    # then costs one lxml parse under the extraction budget, never an unbounded loop
    assert relevance.may_mention(page) is True


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


# The second gate, rough_text, decides on page text whether the full extractor runs: what it
# drops as furniture must never be where an article's own words are.
WEBFORMS_PAGE = b"""<!DOCTYPE html><html><head><title>Man jailed after stop check</title></head>
<body><form method="post" action="./article.aspx?id=4417" id="aspnetForm">
<div class="aspNetHidden"><input type="hidden" name="__VIEWSTATE" value="dDwtMTA4"></div>
<div id="header"><input name="ctl00$search" aria-label="Search"></div>
<div id="content"><h1>Man jailed after stop check</h1>
<p>A 24-year-old who ran a county lines drug operation from Leeds into Scarborough has been
jailed for four years and six months.</p>
<p>Officers who stopped his car found 38 wraps of crack cocaine and heroin and two phones.</p>
</div></form></body></html>"""


def test_rough_text_keeps_an_article_wrapped_in_one_form_and_drops_a_search_form() -> None:
    rough = text.rough_text(WEBFORMS_PAGE)
    assert "ran a county lines drug operation" in rough
    searchable = b"<html><body><form><input name=q><label>County lines</label></form><p>x</p>"
    assert "County lines" not in text.rough_text(searchable + b"</body></html>")


def test_rough_text_keeps_an_articles_own_header_and_drops_the_sites() -> None:
    page = (
        b"<html><body><header><a href='/county-lines/'>County lines advice</a></header>"
        b"<main><article><header><p class='standfirst'>Officers closed three deal lines.</p>"
        b"</header><p>Two men were charged.</p></article></main></body></html>"
    )
    rough = text.rough_text(page)
    assert "closed three deal lines" in rough and "advice" not in rough


def test_a_webforms_article_whose_entry_never_says_county_lines_is_archived_relevant(
    tmp_path: Path,
) -> None:
    from sqlite_utils import Database

    from monitor.loopback import SiteServer
    from tests.test_hostile import body, run_monitor, write_config

    with SiteServer(tmp_path) as site:
        link = f"{site.base}/article.aspx?id=4417"
        site.routes["/article.aspx"] = body(WEBFORMS_PAGE, "text/html; charset=utf-8")
        site.routes["/news.xml"] = body(
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><item>'
            b"<title>Man jailed after stop check</title><link>" + link.encode() + b"</link>"
            b"<guid>4417</guid><description>Officers found class A drugs in his car."
            b"</description></item></channel></rss>"
        )
        cfg = write_config(tmp_path / "c.yaml", {"webforms-force": f"{site.base}/news.xml"})
        run = run_monitor("run", "--all", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    assert run.returncode == 0, run.stderr
    db = Database(tmp_path / "a.db")
    (article,) = list(db["articles"].rows)
    assert article["relevant"] == 1, article["matched_terms"]
    assert "county lines" in article["matched_terms"]
    assert "38 wraps of crack cocaine" in article["body"]
