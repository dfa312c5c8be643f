"""Force, period and operation of each figure, from sentences written for these tests."""

from __future__ import annotations

from datetime import date

import pytest

from monitor import attribution, figures, forces
from monitor.attribution import ArticleContext
from monitor.items import Figure

OCT_14 = "2022-10-13T23:00:00+00:00"  # "14 Oct 2022", London midnight
PUBLISHED = date(2022, 10, 14)


def _fig(evidence: str, scope: str | None = "force") -> Figure:
    return Figure("arrests", 3, "count", scope=scope, evidence=evidence)


def _attr(
    figs: list[Figure], body: str, title: str = "", source_force: str | None = None
) -> list[Figure]:
    ctx = ArticleContext(title=title, body=body, published=OCT_14, source_force=source_force)
    return attribution.attribute(figs, ctx)


@pytest.mark.parametrize(
    ("sentence", "start", "end"),
    [
        (
            "Officers made 40 arrests in a week of action from 3 to 9 October.",
            "2022-10-03",
            "2022-10-09",
        ),
        ("Between 23 and 29 June officers arrested 12 people.", "2022-06-23", "2022-06-29"),
        ("The intensification week ran from October 3-9.", "2022-10-03", "2022-10-09"),
        ("The operation ran from 28 September to 4 October.", "2022-09-28", "2022-10-04"),
        ("During March, 14 lines were closed.", "2022-03-01", "2022-03-31"),
        ("In the 12 months to April, 300 lines were closed.", "2021-05-01", "2022-04-30"),
        ("In the year to March 2021, 1,000 lines were closed.", "2020-04-01", "2021-03-31"),
        ("Over the past year officers have closed 60 lines.", "2021-10-15", "2022-10-14"),
        ("In the last six months 20 people were charged.", "2022-04-15", "2022-10-14"),
        ("A week of action that ended on Sunday 9 October.", "2022-10-03", "2022-10-09"),
        ("During the week beginning 3 October, 9 arrests.", "2022-10-03", "2022-10-09"),
        ("From 28 December to 3 January, 5 arrests.", "2021-12-28", "2022-01-03"),
        ("Between 23rd and 29th June 2020 officers arrested 8.", "2020-06-23", "2020-06-29"),
        ("Raids between the 17th and 23rd of May found cash.", "2022-05-17", "2022-05-23"),
        ("The week ran from 23 June-29 June.", "2022-06-23", "2022-06-29"),
        ("It ran nationwide from March 7 to March 13.", "2022-03-07", "2022-03-13"),
    ],
)
def test_stated_periods(sentence: str, start: str, end: str) -> None:
    (period,) = attribution.periods_in(sentence, PUBLISHED)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize(
    "sentence",
    [
        "Officers executed three warrants on Tuesday 11 October.",
        "Hearings on 3 and 9 October were adjourned.",
        "During the week officers arrested 11 people.",
        "He was jailed for five years and four months.",
        "Around 2,000 lines operate nationally.",
        "In the last week of June, 40 people were arrested.",
        "Men were seen on the 23 and 28 December 2020.",
    ],
)
def test_no_period_when_none_is_stated(sentence: str) -> None:
    assert attribution.periods_in(sentence, PUBLISHED) == []


def test_a_period_needs_a_published_date_to_fix_its_year() -> None:
    assert attribution.periods_in("from 3 to 9 October", None) == []
    (stated,) = attribution.periods_in("from 3 to 9 October 2021", PUBLISHED)
    assert stated.start == date(2021, 10, 3)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Officers working on Operation Orochi arrested 12 people.", "Operation Orochi"),
        (
            "As part of the national County Lines Intensification Week, 40 arrests.",
            "County Lines Intensification Week",
        ),
        (
            "during an intensification week that ran from October 3-9",
            "County Lines Intensification Week",
        ),
        ("Operation of the railway resumed.", None),
        ("The operation ran for a week.", None),
    ],
)
def test_operation_names(text: str, name: str | None) -> None:
    assert attribution.operation_in(text) == name


NPCC_BODY = (
    "Forces closed 172 lines during an intensification week that ran from October 3-9.\n"
    "In Middlesbrough, officers arrested three people.\n"
    "Cambridgeshire Constabulary carried out 15 raids, seizing more than £508,000 in drugs.\n"
    "The Metropolitan Police found 7kg of cocaine.\n"
    "The government would provide up to £145m over the next three years."
)


def test_a_national_release_gives_named_forces_their_figures_and_national_ones_none() -> None:
    found = _attr(figures.extract(NPCC_BODY), NPCC_BODY, "Record 172 county lines closed")
    by_value = {(f.metric, f.value): f for f in found}
    assert by_value[("lines_closed", 172)].force is None
    assert by_value[("warrants_executed", 15)].force == "cambridgeshire"
    assert by_value[("drugs_value_gbp", 508000)].force == "cambridgeshire"
    assert by_value[("drugs_weight_kg", 7)].force == "metropolitan"
    assert by_value[("arrests", 3)].force is None  # two forces named, none in its sentence
    funding = by_value.pop(("funding_gbp", 145_000_000))
    assert (funding.period_start, funding.force) == (None, None)  # money for years ahead
    results = by_value.values()
    assert {(f.period_start, f.period_end) for f in results} == {("2022-10-03", "2022-10-09")}
    assert {f.operation for f in found} == {"County Lines Intensification Week"}


def test_a_press_story_about_one_force_gets_that_force() -> None:
    body = "Kent Police led the raids.\nOfficers arrested 11 people and seized £8,200 in cash."
    found = _attr(figures.extract(body), body, "Eleven arrested in Kent raids")
    assert found and {f.force for f in found} == {"kent"}


def test_a_force_release_gives_its_figures_to_the_publishing_force() -> None:
    (fig,) = _attr(
        [_fig("Officers from our Challenger team arrested four people.", "case")],
        "x",
        source_force="greater-manchester",
    )
    assert fig.force == "greater-manchester"


def test_a_force_release_naming_a_helper_force_keeps_its_own() -> None:
    sentence = "Supported by Merseyside Police, Cheshire Constabulary officers arrested four."
    (fig,) = _attr([_fig(sentence)], sentence, source_force="cheshire")
    assert fig.force == "cheshire"


def test_a_publisher_that_is_not_a_force_is_never_a_force() -> None:
    body = "The National Crime Agency said officers arrested eight people. The NPCC welcomed it."
    (fig,) = _attr([_fig(body, "case")], body)
    assert fig.force is None
    codes = {f.code for f in forces.FORCES}
    assert not codes & {b.code for b in forces.BODIES}


def test_national_and_regional_figures_get_no_force_even_when_a_force_is_named() -> None:
    figs = [
        _fig("Nationally, with GMP, 1,360 people were arrested.", "national"),
        _fig("Across the North West, Merseyside Police and GMP arrested 90 people.", "regional"),
    ]
    assert [f.force for f in _attr(figs, "x", source_force="merseyside")] == [None, None]


def test_the_sentence_period_beats_the_article_period() -> None:
    body = "During March officers arrested 5 people.\nBetween 23 and 29 June, 9 more were arrested."
    figs = [
        _fig("During March officers arrested 5 people."),
        _fig("Between 23 and 29 June, 9 more were arrested."),
    ]
    first, second = _attr(figs, body)
    assert (first.period_start, first.period_end) == ("2022-03-01", "2022-03-31")
    assert (second.period_start, second.period_end) == ("2022-06-23", "2022-06-29")


def test_no_period_and_no_operation_when_the_article_states_none() -> None:
    (fig,) = _attr(
        [_fig("Officers arrested four people on Tuesday.")],
        "Officers arrested four people on Tuesday.",
    )
    assert (fig.period_start, fig.period_end, fig.operation) == (None, None, None)


def test_monitor_extract_dates_a_page_from_its_published_time_meta() -> None:
    """The BBC copy says "from 3 to 9 October" and its meta says 14 Oct 2022: the year is 2022."""
    from monitor import extraction
    from monitor.demo import SITE

    page = (SITE / "bbc/news/articles/c8v4lk2pj0zo/index.html").read_bytes()
    found = extraction.extract_document(page)["figures"]
    national = [f for f in found if f["scope"] == "national"]
    assert national and {(f["period_start"], f["period_end"]) for f in national} == {
        ("2022-10-03", "2022-10-09")
    }
    assert {f["force"] for f in national} == {None}
