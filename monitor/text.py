"""HTML -> plain text: the article's main text (trafilatura) and feed snippets (lxml)."""

from __future__ import annotations

import html
import re

_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n+")
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # NUL, ESC...: never stored


def plain(fragment: str | None) -> str:
    """Feed titles and summaries as plain text: entities (even double-escaped) and tags removed."""
    if not fragment:
        return ""
    text = fragment
    for _ in range(3):  # Google News double-escapes its descriptions
        unescaped = html.unescape(text)
        if unescaped == text and not _TAG.search(text):
            break
        text = _TAG.sub(" ", unescaped)
    return _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()


def tidy(text: str) -> str:
    """One space between words, one blank line between paragraphs."""
    lines = [_SPACE.sub(" ", _CONTROL.sub(" ", line)).strip() for line in text.splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def main_text(page: bytes | str, url: str | None = None) -> str:
    """The article body without navigation, cookie banners and footers."""
    import trafilatura  # imported lazily: ~0.3 s that an unchanged re-poll never needs

    if isinstance(page, bytes):
        page = page.decode("utf-8", errors="replace") if not _declares_other(page) else page
    # fast: skip the justext/readability comparison, ~5x cheaper on a 40 KB page; the demo web
    # and eval figures came out identical with and without it (benchmarks/eval_demo.py).
    body = trafilatura.extract(
        page, url=url, include_comments=False, include_tables=True, deduplicate=False, fast=True
    )
    if not body:
        body = rough_text(page)
    return tidy(body or "")


def _declares_other(page: bytes) -> bool:
    """Leave non-UTF-8 pages as bytes so the parser honours their declared charset."""
    head = page[:2048].lower()
    return b"charset" in head and b"utf-8" not in head and b"utf8" not in head


# What rough_text leaves out: page furniture. These elements go wherever they are; a form goes
# only when it holds no prose (a search box, a newsletter sign-up): ASP.NET WebForms sites wrap
# the whole page, article and all, in one <form>. A header goes only outside the article, where
# the headline and standfirst may sit.
_FURNITURE = (
    "//script|//style|//nav|//footer|//noscript|//aside|//template"
    "|//header[not(ancestor::article) and not(ancestor::main)]"
    "|//form[not(.//p) and not(.//article) and not(.//main)]"
)


def rough_text(page: str | bytes) -> str:
    """Page text minus scripts, navigation, headers, footers, asides and search forms: ~20x
    cheaper than main_text, so it decides whether a page deserves the full extractor. It may
    keep too much (that costs one extractor run), never too little (that loses an article)."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(page)
    except Exception:  # lxml raises its own ParserError on empty or odd documents
        return ""
    for bad in tree.xpath(_FURNITURE):
        bad.drop_tree()
    return tidy(tree.text_content())


def is_html_text(data: bytes | str) -> bool:
    """Does a plain-text input look like an HTML page (for `monitor extract`)?"""
    head = data[:1024].lower() if isinstance(data, bytes) else data[:1024].lower().encode()
    return b"<html" in head or b"<!doctype html" in head or b"<body" in head or b"<p>" in head
