"""Article identity: canonical URLs, content hashes and story matching rules."""

from __future__ import annotations

import pytest

from monitor import dedupe, evidence, textfacts


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://www.bbc.co.uk/news/articles/c0ab?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.co.uk/news/articles/c0ab",
        ),
        (
            "https://www.dailyecho.co.uk/news/23001234.slug/?ref=rss",
            "https://www.dailyecho.co.uk/news/23001234.slug/",
        ),
        (
            "https://www.dailyecho.co.uk/news/23001234.slug/?ref=rss&utm_source=twitter#comments",
            "https://www.dailyecho.co.uk/news/23001234.slug/",
        ),
        (
            "https://news.google.com/rss/articles/CBMiabc?oc=5",
            "https://news.google.com/rss/articles/CBMiabc",
        ),
        (
            "HTTPS://WWW.GMP.Police.UK:443/news/x/?b=2&a=1",
            "https://www.gmp.police.uk/news/x/?a=1&b=2",
        ),
        ("https://example.org/page?ref=sidebar", "https://example.org/page?ref=sidebar"),
        ("http://127.0.0.1:8123/a/b?utm_medium=email", "http://127.0.0.1:8123/a/b"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert dedupe.canonical_url(url) == canonical


def test_content_hash_ignores_spacing_and_case() -> None:
    assert dedupe.content_hash("Twelve  lines\nclosed.") == dedupe.content_hash(
        "twelve lines closed"
    )
    assert dedupe.content_hash("twelve lines closed") != dedupe.content_hash("eleven lines closed")


def test_split_publisher_takes_the_last_dash() -> None:
    assert dedupe.split_publisher("Man jailed - for 6 years - Liverpool Echo") == (
        "Man jailed - for 6 years",
        "Liverpool Echo",
    )
    assert dedupe.split_publisher("No publisher here") == ("No publisher here", None)


SEED = {
    ("lines_closed", 172.0),
    ("arrests", 1360.0),
    ("weapons_seized", 321.0),
    ("cash_seized_gbp", 987562.0),
}


def key(title: str, body: str = "", figures: set | None = None) -> dedupe.StoryKey:
    return dedupe.StoryKey(dedupe.title_tokens(title), dedupe.shingles(body), figures or set())


def test_same_figure_set_is_the_same_announcement_despite_rewording() -> None:
    a = key("Record 172 county lines shut in a week", "Forces closed lines.", SEED)
    b = key("Hundreds arrested in drugs crackdown", "Police say many arrests.", SEED)
    assert dedupe.same_story(a, b)


def test_different_weeks_with_similar_wording_do_not_merge() -> None:
    other = {("lines_closed", 250.0), ("arrests", 1613.0), ("weapons_seized", 400.0)}
    a = key("County lines week of action results", "Officers closed lines.", SEED)
    b = key("County lines week of action results", "Officers closed lines.", other)
    assert not dedupe.same_story(a, b)


def test_headline_only_item_joins_by_title() -> None:
    a = key("Record 172 county lines shut down by police in a single week")
    b = key("Record 172 county lines shut down by police in a single week of action", "", SEED)
    assert dedupe.same_story(a, b)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.kentonline.co.uk/news/crime/drugs-12345/",
        "http://www.kentonline.co.uk/news/crime/drugs-12345",
        "https://m.kentonline.co.uk/news/crime/drugs-12345/",
        "https://amp.kentonline.co.uk/news/crime/drugs-12345/",
        "https://www.kentonline.co.uk/news/crime/drugs-12345/amp/",
        "https://www.kentonline.co.uk/amp/news/crime/drugs-12345/",
        "https://www.kentonline.co.uk/news/crime/drugs-12345.amp",
        "https://www.kentonline.co.uk/news/crime/drugs-12345/?amp=1&utm_source=x",
        "https://www-kentonline-co-uk.cdn.ampproject.org/c/s/www.kentonline.co.uk/news/crime/drugs-12345/amp/",
        "https://www.google.com/amp/s/www.kentonline.co.uk/news/crime/drugs-12345/amp",
    ],
)
def test_url_key_is_one_identity_for_every_edition(url: str) -> None:
    assert dedupe.url_key(url) == "kentonline.co.uk/news/crime/drugs-12345"


def test_url_key_keeps_what_identifies_a_page() -> None:
    assert dedupe.url_key("https://policeoracle.com/news/article.cfm?id=109789") != (
        dedupe.url_key("https://policeoracle.com/news/article.cfm?id=109790")
    )
    assert dedupe.url_key("https://touch.policeoracle.com/news/article.cfm?id=1") == (
        dedupe.url_key("https://www.policeoracle.com/news/article.cfm?id=1")
    )
    assert dedupe.url_key("http://127.0.0.1:8123/a/") == "127.0.0.1:8123/a"


RELEASE = (
    "Officers arrested {a} people during a week of action between {d} and {e} October. During"
    " the operation {b} county lines were closed and officers seized £{c} in cash."
)


def test_numbers_veto_a_look_alike_release() -> None:
    one = dedupe.story_key("Week of action", RELEASE.format(a=38, b=4, c="15,000", d=6, e=12))
    two = dedupe.story_key("Week of action", RELEASE.format(a=41, b=3, c="9,500", d=13, e=19))
    same = dedupe.story_key("Other headline", RELEASE.format(a=38, b=4, c="15,000", d=6, e=12))
    assert dedupe.match(one, two) is None
    assert dedupe.match(one, same) == "text"
    assert dedupe.numbers(RELEASE.format(a=38, b=4, c="15,000", d=6, e=12)) == {
        "38",
        "4",
        "15000",
        "6",
        "12",
    }


def test_headline_only_items_need_matching_numbers() -> None:
    article = dedupe.story_key("172 county lines shut in a week", "Forty words of text. " * 5)
    assert dedupe.match(dedupe.story_key("172 county lines shut in a week - BBC"), article)
    assert not dedupe.match(dedupe.story_key("250 county lines shut in a week"), article)


def test_police_forces_veto_each_other() -> None:
    a = key("County lines week of action results", "", SEED)
    b = key("County lines week of action results", "", SEED)
    a.force, b.force = "Kent Police", "Essex Police"
    assert dedupe.match(a, b) is None


# ---- weighed evidence (monitor.evidence, monitor.textfacts) --------------------------------

ESSEX_RELEASE = (
    "Our specialist officers made 49 arrests as part of a week of action against County Lines"
    " drug gangs in Essex, and seized almost £100,000 in cash. Eight County Lines have been"
    " disrupted and 11 people have been charged. Arrests took place in Halstead, Colchester and"
    " Clacton. Detective Inspector Ruth Okafor of the Serious Violence Unit said Operation Kestrel"
    " would carry on."
)
ESSEX_REWRITE = (
    "POLICE have arrested nearly 50 people, some of them from Halstead, in a crackdown on drug"
    " gangs. According to Essex Police, the seizure of almost £100,000 in cash came as eight"
    " lines were disrupted. The Operation Kestrel teams in Colchester and Clacton worked round"
    " the clock, DI Ruth Okafor said."
)


def facts_key(
    title: str, body: str, figures: list[tuple[str, float, str]], **kw
) -> dedupe.StoryKey:  # type: ignore[no-untyped-def]
    return dedupe.story_key(title, body, figures, **kw)


def test_a_rewrite_with_rounded_figures_is_the_same_announcement() -> None:
    release = facts_key(
        "County Lines warrants: 49 arrests in Essex during week of action",
        ESSEX_RELEASE,
        [("arrests", 49, "exact"), ("cash_seized_gbp", 100000, "about"), ("charged", 11, "exact")],
        day=100,
    )
    rewrite = facts_key(
        "Arrests in Halstead as police crack down on drugs gangs",
        ESSEX_REWRITE,
        [("arrests", 50, "about"), ("cash_seized_gbp", 100000, "about")],
        day=101,
    )
    ev = dedupe.weigh(release, rewrite)
    assert ev.same and ev.veto is None
    assert {"figures", "names", "operation", "force"} <= set(ev.signals)
    assert {"halstead", "colchester", "clacton", "ruth okafor"} <= release.names & rewrite.names


def test_the_same_template_from_another_force_stays_apart() -> None:
    release = facts_key(
        "49 arrests in week of action",
        ESSEX_RELEASE,
        [("arrests", 49, "exact")],
        force="Essex Police",
    )
    other = facts_key(
        "49 arrests in week of action",
        ESSEX_RELEASE.replace("Essex", "Kent").replace("Halstead", "Maidstone"),
        [("arrests", 49, "exact")],
        force="Kent Police",
    )
    assert dedupe.weigh(release, other).veto == "forces"


@pytest.mark.parametrize(
    ("a", "qa", "b", "qb", "ok"),
    [
        (49, "exact", 50, "about", True),  # "nearly 50"
        (10000, "more_than", 10000, "exact", True),  # the qualifier dropped in the copy
        (96509, "exact", 100000, "about", True),  # "almost £100,000"
        (4300000, "exact", 4000000, "more_than", True),  # "more than £4m"
        (38, "exact", 41, "exact", False),  # two different weeks
        (45, "exact", 50, "more_than", False),  # cannot both be true
        (50, "exact", 80, "about", False),
    ],
)
def test_figures_agree_within_rounding_and_qualifier(
    a: float, qa: str, b: float, qb: str, ok: bool
) -> None:
    assert evidence.compatible(a, qa, b, qb)[0] is ok


def test_numbers_in_words_and_digits_meet() -> None:
    assert {"16", "9"} <= textfacts.spelled_numbers("Sixteen warrants were executed; nine arrests.")
    one = dedupe.text_facts("Raids", "Sixteen warrants were executed and nine people arrested.")
    two = dedupe.text_facts("Dawn raids", "There were 16 simultaneous raids and 9 arrests.")
    assert {"16", "9"} <= set(one["spelled"]) & set(two["spelled"])


def test_names_leave_out_sentence_openers_titles_and_force_areas() -> None:
    text = (
        "Eight County Lines were closed. Chief Constable Sam Reid visited Ward End Park Road in"
        " Birmingham, where West Midlands Police officers from the County Lines Taskforce and"
        " Operation Poetry worked. He was sentenced at Wolverhampton Crown Court."
    )
    assert textfacts.names(text) == {"sam reid", "ward end park road", "birmingham", "taskforce"}
    assert textfacts.operations(text) == {"poetry"}
    assert textfacts.courts(text) == {"wolverhampton"}


def test_a_sentencing_is_not_the_week_of_action_that_caught_him() -> None:
    assert textfacts.events("Dealer jailed after county lines week of action") == {"sentencing"}
    assert textfacts.events("Week of action: 38 arrests as police target lines") == {"results"}
    assert textfacts.events("Home Office allocates £5m for victims") == {"funding"}
