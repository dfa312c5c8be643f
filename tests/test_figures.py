"""Figure extraction: the tricky numeric forms one by one, and the false-figure traps."""

from __future__ import annotations

import pytest

from monitor import figures
from monitor.figures.numbers import words_to_number
from monitor.items import METRICS, QUALIFIERS, SCOPES


def triples(text: str) -> list[tuple[str, float, str]]:
    """(metric, value, qualifier) for every figure extracted from text."""
    return [(f.metric, f.value, f.qualifier) for f in figures.extract(text)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Officers seized more than £2.7 million worth of Class A drugs.",
            ("drugs_value_gbp", 2_700_000, "more_than"),
        ),
        (
            "Detectives recovered £145m in cash from the gang.",
            ("cash_seized_gbp", 145_000_000, "exact"),
        ),
        (
            "Officers seized over £300k worth of cannabis.",
            ("drugs_value_gbp", 300_000, "more_than"),
        ),
        (
            "Police recovered £38,000+ in cash during the raids.",
            ("cash_seized_gbp", 38_000, "more_than"),
        ),
        ("They seized £987,562 in cash.", ("cash_seized_gbp", 987_562, "exact")),
        ("They also seized some £987,562 in cash.", ("cash_seized_gbp", 987_562, "exact")),
        ("Forces report some 1,600 arrests.", ("arrests", 1600, "about")),
        ("Officers found 7kg of cocaine in a van.", ("drugs_weight_kg", 7, "exact")),
        ("Officers recovered 2.5 kilos of heroin.", ("drugs_weight_kg", 2.5, "exact")),
        ("Officers seized around 30kg of drugs.", ("drugs_weight_kg", 30, "about")),
        ("He was jailed for six years and four months.", ("sentence_years", 6.33, "exact")),
        ("She was sentenced to 46 months in prison.", ("sentence_years", 3.83, "exact")),
        (
            "He received ten years and nine months at Norwich Crown Court.",
            ("sentence_years", 10.75, "exact"),
        ),
        ("Police made twelve arrests during the week.", ("arrests", 12, "exact")),
        ("Nearly 100 people were arrested in the crackdown.", ("arrests", 100, "about")),
        ("Over ten thousand pounds in cash was seized.", ("cash_seized_gbp", 10_000, "more_than")),
        ("In excess of 300 weapons were seized.", ("weapons_seized", 300, "more_than")),
        ("Officers shut down at least 20 county lines.", ("lines_closed", 20, "at_least")),
        ("The force dismantled twelve drug lines.", ("lines_closed", 12, "exact")),
        ("Up to £5m has been set aside to support victims.", ("funding_gbp", 5_000_000, "up_to")),
        (
            "The Home Office unveiled a £148 million package to tackle county lines.",
            ("funding_gbp", 148_000_000, "exact"),
        ),
        ("Officers safeguarded 34 women and 215 men.", ("safeguarded", 249, "exact")),
        ("500 men and 86 women were arrested.", ("arrests", 586, "exact")),
        ("Officers executed six warrants in Nuneaton.", ("warrants_executed", 6, "exact")),
        ("Officers carried out 15 raids across the county.", ("warrants_executed", 15, "exact")),
        ("Teams made 84 cuckooing visits.", ("cuckooing_visits", 84, "exact")),
        ("Officers visited 904 homes at risk of cuckooing.", ("cuckooing_visits", 904, "exact")),
        ("They also recovered 70 deal line handsets.", ("phones_seized", 70, "exact")),
        ("Police seized 40 mobile phones.", ("phones_seized", 40, "exact")),
        ("Police seized nine vehicles.", ("vehicles_seized", 9, "exact")),
        ("Ten people have been charged.", ("charged", 10, "exact")),
        ("Officers executed a warrant at an address in Bolton.", ("warrants_executed", 1, "exact")),
    ],
)
def test_tricky_forms(sentence: str, expected: tuple[str, float, str]) -> None:
    """Each form yields exactly the expected figure."""
    assert triples(sentence) == [expected]


def test_list_totals_each_count() -> None:
    """Bullet-style totals: one figure per item."""
    text = "Results: 110 arrests, 35 weapons seized, 12 vehicles seized and 1,255 vulnerable people safeguarded."
    assert triples(text) == [
        ("arrests", 110, "exact"),
        ("weapons_seized", 35, "exact"),
        ("vehicles_seized", 12, "exact"),
        ("safeguarded", 1255, "exact"),
    ]


def test_firearms_not_imitations() -> None:
    """Imitation firearms are not firearms; the weapons total still counts."""
    got = triples("A further 11 weapons, nine firearms and two imitation firearms were seized.")
    assert got == [("weapons_seized", 11, "exact"), ("firearms_seized", 9, "exact")]


def test_knives_only_when_no_weapons_total() -> None:
    """Knives listed inside a weapons total are not a second weapons figure."""
    got = triples("Police seized 292 weapons, among them 33 firearms and 219 knives.")
    assert got == [("weapons_seized", 292, "exact"), ("firearms_seized", 33, "exact")]


def test_charges_are_not_people_charged() -> None:
    """'259 charges' are offences, not people."""
    assert triples("In all 109 people were charged, facing 259 charges.") == [
        ("charged", 109, "exact")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The intensification week ran from 3-9 October 2022.",
        "A 23-year-old man from Leeds appeared before magistrates on 14 March.",
        "Call police on 101 or Crimestoppers anonymously on 0800 555 111.",
        "The 2022 to 2025 strategy sets out how forces will respond.",
        "Cocaine-related deaths rose by 31% between 2022 and 2023.",
        "Funding was renewed.\n\nSince 2019 the programme has closed 2,400 lines and made 8,000 arrests.",
        "Around 2,000 county lines are thought to operate nationally.",
        "There are an estimated 27,000 vulnerable children at risk of exploitation.",
        "Seized phones helped officers identify 80 drug lines.",
        "Officers made 31 referrals to the National Referral Mechanism.",
        "The week also saw 89 stop checks and 19 vehicles searched.",
        "More than 120 officers from three forces took part.",
        "They also found £5,000 in counterfeit notes and 13,700 grams of tobacco.",
        "The raids would have significantly disrupted at least three drugs lines.",
        "The group was set up in 2018 and meets twice a year.",
        "Hundreds of people were arrested and thousands of pounds seized.",
        "The line closed for 16 days while 5,699ft of track was replaced.",
    ],
)
def test_false_figure_traps(text: str) -> None:
    """Dates, ages, phone numbers, estimates, background and hedges are not results."""
    got = [(f.metric, f.value) for f in figures.extract(text)]
    assert got == []


def test_funding_period_is_not_a_sentence() -> None:
    """A funding period ("over the next three years") is not a prison term."""
    assert triples("The force will receive £5m over the next three years.") == [
        ("funding_gbp", 5_000_000, "exact")
    ]


def test_cumulative_totals_kept_when_they_are_the_news() -> None:
    """Programme totals in the lead are the headline news, so they are labelled."""
    text = "A programme running since 2019 has closed more than 550 county lines.\n\nMore detail."
    assert triples(text) == [("lines_closed", 550, "more_than")]


def test_restatements_keep_most_precise() -> None:
    """A rounded restatement ("over 1,300" after "1,360") is one figure, the precise one."""
    text = (
        "The NPCC said 1,360 people were arrested over the week.\n\n"
        "He said officers had arrested over 1,300 criminals and taken 43 firearms off the streets."
    )
    assert triples(text) == [("arrests", 1360, "exact"), ("firearms_seized", 43, "exact")]
    lead = "Over 1,000 people have been arrested.\n\nIn total officers arrested 1,100 people."
    assert triples(lead) == [("arrests", 1100, "exact")]


def test_scope_national_then_force_examples() -> None:
    """A national total and the force examples after it each get their own scope."""
    text = (
        "Forces across the UK closed 172 county lines during the week.\n\n"
        "The National Police Chiefs' Council said 1,360 people were arrested.\n\n"
        "Cambridgeshire Constabulary carried out 15 raids.\n\n"
        "In Middlesbrough, officers arrested three people.\n\n"
        "Across the region there were 94 arrests in total, the ROCU said.\n\n"
        "A man was jailed for four years."
    )
    got = [(f.metric, f.value, f.scope) for f in figures.extract(text)]
    assert got == [
        ("lines_closed", 172, "national"),
        ("arrests", 1360, "national"),
        ("warrants_executed", 15, "force"),
        ("arrests", 3, "case"),
        ("arrests", 94, "regional"),
        ("sentence_years", 4, "case"),
    ]


def test_figure_contract() -> None:
    """Units come from METRICS, qualifiers/scopes from the contract, evidence is verbatim."""
    text = "Headline here\n\nPolice arrested 57 people. Officers seized £16,000 in cash and 7kg of cocaine."
    found = figures.extract(text)
    assert len(found) == 3
    for f in found:
        assert f.unit == METRICS[f.metric]
        assert f.qualifier in QUALIFIERS
        assert f.scope in SCOPES
        assert f.start is not None and f.end is not None
        assert text[f.start : f.end] == f.evidence
    assert isinstance(figures.EXTRACTOR_VERSION, str)


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("twelve", 12),
        ("twenty-five", 25),
        ("one hundred and twenty", 120),
        ("ten thousand", 10_000),
    ],
)
def test_written_numbers(words: str, value: float) -> None:
    """Written numbers parse to their value."""
    assert words_to_number(words) == value


def test_empty_text() -> None:
    """No text, no figures."""
    assert figures.extract("") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Police forces closed a record 172 county lines.", [("lines_closed", 172, "exact")]),
        (
            "A county line supplying crack cocaine into Oldham has been shut down.",
            [("lines_closed", 1, "exact")],
        ),
        (
            "Four people have been arrested and a county line shut down.",
            [("arrests", 4, "exact"), ("lines_closed", 1, "exact")],
        ),
        (
            "The two county lines run by the group, known as 'Rico' and 'Smudge', have been shut down.",
            [("lines_closed", 2, "exact")],
        ),
        ("Three county lines were dismantled.", [("lines_closed", 3, "exact")]),
        ("Officers identified 50 county lines, which have since been closed.", []),
        ("Police hope a county line will be shut down.", []),
        ("There are around 600 county lines operating across the country.", []),
    ],
)
def test_lines_closed_release_language(text: str, expected: list) -> None:
    """Passive and separated closure verbs count; identified or hoped-for lines do not."""
    assert triples(text) == expected


def test_scope_single_operation_write_up() -> None:
    """A write-up of one operation (a network dismantled, raids on one day) is scope case,
    even when a force is named as the speaker or a national estimate closes the article."""
    text = (
        "Eight people have been arrested after National Crime Agency officers dismantled a "
        "network running county lines into Cumbria.\n"
        "Officers searched six properties on Wednesday 5 October, seizing 3kg of cocaine.\n"
        "Greater Manchester Police said officers seized £12,450 in cash when the warrants were "
        "executed on Tuesday (October 11).\n"
        "There are estimated to be around 600 county lines operating across the country."
    )
    got = [(f.metric, f.value, f.scope) for f in figures.extract(text)]
    assert got == [
        ("arrests", 8, "case"),
        ("warrants_executed", 6, "case"),
        ("drugs_weight_kg", 3, "case"),
        ("cash_seized_gbp", 12_450, "case"),
    ]


def test_scope_day_inside_a_week_is_not_case() -> None:
    """A date inside a week of action, or the day a statement was made, is not one operation."""
    text = (
        "Officers visited 46 addresses during a national week of action that ended on "
        "Sunday 9 October.\n"
        "The NPCC said on Thursday that 1,100 suspects were arrested."
    )
    got = [(f.metric, f.value, f.scope) for f in figures.extract(text)]
    assert [g[:2] for g in got] == [("cuckooing_visits", 46), ("arrests", 1100)]
    assert "case" not in {g[2] for g in got}
    assert got[1][2] == "national"


# --- Round two: families of phrasings, each in sentences written for these tests ----------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a count before a stack of modifiers or quotes
        ('Forty-three "drug lines" were taken out of use.', [("lines_closed", 43, "exact")]),
        ("The team disrupted 27 active county drug lines.", [("lines_closed", 27, "exact")]),
        # closed although also identified
        ("Twelve lines were identified and shut down.", [("lines_closed", 12, "exact")]),
        # single items count as one
        ("Officers recovered a sawn-off shotgun from the loft.", [("firearms_seized", 1, "exact")]),
        ("A zombie knife was seized from the car.", [("weapons_seized", 1, "exact")]),
        ("One pistol was found under a mattress.", [("firearms_seized", 1, "exact")]),
        # weights per class or drug, a named drug's value
        ("Detectives seized 4.7kg of Class B.", [("drugs_weight_kg", 4.7, "exact")]),
        ("More than 6kgs of heroin was found.", [("drugs_weight_kg", 6, "more_than")]),
        ("They found £7,200 of ketamine in a holdall.", [("drugs_value_gbp", 7200, "exact")]),
        # people charged stated beside their charges
        ("Forty-one people face 97 charges between them.", [("charged", 41, "exact")]),
        # phones called something else, a result noun for weapons
        ("Officers seized 52 handsets used to run the lines.", [("phones_seized", 52, "exact")]),
        ("Officers seized 29 mobile devices.", [("phones_seized", 29, "exact")]),
        ("The week saw about 80 weapon recoveries.", [("weapons_seized", 80, "about")]),
        # phone lines: seized, shut down, or only identified
        ("Detectives seized 64 phone lines used for dealing.", [("phones_seized", 64, "exact")]),
        ("55 phone lines were shut down.", [("lines_closed", 55, "exact")]),
        ("Analysts identified 30 phone lines.", []),
        # a part already counted after "including"
        (
            "Officers seized 40 phones, including 12 deal-line handsets.",
            [("phones_seized", 40, "exact")],
        ),
        # prison terms in words and months; a suspended sentence is not custodial
        ("He was jailed for four and half years.", [("sentence_years", 4.5, "exact")]),
        ("She received a nine-month sentence.", [("sentence_years", 0.75, "exact")]),
        ("He was jailed for seven years and five months.", [("sentence_years", 7.42, "exact")]),
        ("He got three years, eight months.", [("sentence_years", 3.67, "exact")]),
        ("He was given a two-year sentence, suspended for 18 months.", []),
        # funding split over years, going to a purpose, from a fund, a cheque
        (
            "The fund will receive £4 million this year and £6 million next.",
            [("funding_gbp", 4_000_000, "exact"), ("funding_gbp", 6_000_000, "exact")],
        ),
        ("£1.5m will go to youth diversion projects.", [("funding_gbp", 1_500_000, "exact")]),
        ("An extra £5m a year will be spent on the programme.", [("funding_gbp", 5e6, "exact")]),
        (
            "Up to £80,000 from the Safer Streets Fund is available.",
            [("funding_gbp", 80_000, "up_to")],
        ),
        (
            "The project was presented with a cheque for £12,300.",
            [("funding_gbp", 12_300, "exact")],
        ),
        # people counted in parts are one figure; ages are not figures
        ("Nine men, three women and a girl were arrested.", [("arrests", 13, "exact")]),
        ("Four men were held in Bristol and two in Bath.", [("arrests", 6, "exact")]),
        ("Three men, aged 20, 27 and 52, were arrested.", [("arrests", 3, "exact")]),
        ("Two women and a man were arrested.", [("arrests", 3, "exact")]),
        # safeguarding: singly, "referred for safeguarding", an "at-risk" modifier
        ("A missing teenager was safeguarded.", [("safeguarded", 1, "exact")]),
        ("Nine people were referred for safeguarding.", [("safeguarded", 9, "exact")]),
        ("Officers safeguarded 40 at-risk young people.", [("safeguarded", 40, "exact")]),
        ("Eighteen vulnerable adults were spoken to during welfare checks.", []),
        # one warrant
        ("Officers executing a drugs warrant found cannabis.", [("warrants_executed", 1, "exact")]),
        # cuckooing visits are visits, not addresses found
        (
            "Officers visited 45 addresses at risk of cuckooing.",
            [("cuckooing_visits", 45, "exact")],
        ),
        ("Eleven cuckooed addresses were also discovered.", []),
    ],
)
def test_round_two_forms(text: str, expected: list[tuple[str, float, str]]) -> None:
    """Forms police releases and reports use that the first rules missed."""
    assert triples(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Related: Police close 40 county lines in crackdown",
        "Read more: 12 arrested in dawn raids on drug gangs",
        "The charity supported 1,800 young people last year.",
        "The gang moved £450,000 of cocaine along the line over 14 months.",
        "Officers seized cannabis and jewellery valued at £2,000.",
        "A machete, an axe and three kitchen knives were recovered.",
        "An imitation pistol and an air rifle were found.",
        "Eight unmarked police cars arrived at dawn.",
        "Last year, 40 people were jailed for 210 years after a similar investigation.",
        "More than 200 officers join dawn raids on drug gangs",
    ],
)
def test_round_two_false_figures(text: str) -> None:
    """Teasers, caseloads, drugs dealt, untotalled lists, police cars, older cases."""
    assert triples(text) == []


def test_subset_already_counted_is_dropped() -> None:
    """ "Three of them" and "five of the arrests" are inside a figure already stated."""
    text = (
        "Twelve people were charged with drug offences. Three of them were also charged with "
        "assault. Officers made 30 arrests. Five of the arrests were for possession."
    )
    assert triples(text) == [("charged", 12, "exact"), ("arrests", 30, "exact")]


def test_subset_of_another_metric_is_kept() -> None:
    """ "30 arrested, nine of those charged": the only statement of people charged."""
    assert triples("Officers arrested 30 people, nine of those being charged.") == [
        ("arrests", 30, "exact"),
        ("charged", 9, "exact"),
    ]


def test_cumulative_and_comparison() -> None:
    """A total "since the taskforce was set up" is context; "the biggest since" is not."""
    text = (
        "Officers made 14 arrests on Tuesday, the biggest operation since the unit was set up.\n\n"
        "Since the taskforce was set up, it has closed 300 lines."
    )
    assert triples(text) == [("arrests", 14, "exact")]


def test_drug_parts_link_to_their_total() -> None:
    """Parts of a stated drugs total carry part_of = the index of the total in the list."""
    found = figures.extract(
        "Officers seized 12kg of Class A drugs (5kg of crack cocaine, 4kg of cocaine and 3kg "
        "of heroin)."
    )
    assert [(f.value, f.part_of) for f in found] == [(12, None), (5, 0), (4, 0), (3, 0)]
    found = figures.extract(
        "They seized £20,000 of cocaine and £5,000 of heroin, a total street value of £25,000."
    )
    assert [(f.value, f.part_of) for f in found] == [(20_000, 2), (5_000, 2), (25_000, None)]
    found = figures.extract(
        "£180,000 of heroin, £90,000 of crack and £15,000 of cocaine were seized."
    )
    assert [f.part_of for f in found] == [None, None, None]


def test_list_lines_of_equal_weights_are_two_figures() -> None:
    """Two list lines with the same weight of different drugs are not one restated figure."""
    text = "Seizures included:\n\n3kg of crack cocaine\n\n3kg of heroin\n\n£9,000 in cash"
    assert triples(text) == [
        ("drugs_weight_kg", 3, "exact"),
        ("drugs_weight_kg", 3, "exact"),
        ("cash_seized_gbp", 9000, "exact"),
    ]


def test_every_figure_names_its_rule() -> None:
    """A wrong figure can be traced to the rule that produced it in one step."""
    text = (
        "Officers arrested 12 people, closed 4 county lines and seized £3,000 in cash, 2kg of "
        "cocaine and a shotgun. He was jailed for six years."
    )
    rules = {f.metric: f.rule for f in figures.extract(text)}
    assert rules == {
        "arrests": "count-of-people/arrests",
        "lines_closed": "count-before-noun/lines_closed",
        "cash_seized_gbp": "money-before-cash/cash_seized_gbp",
        "drugs_weight_kg": "weight-of-drug/drugs_weight_kg",
        "firearms_seized": "single-item/firearms_seized",
        "sentence_years": "prison-term/sentence_years",
    }


def test_work_is_capped_on_huge_pages() -> None:
    """A page of a megabyte without full stops yields a bounded list from bounded sentences."""
    from monitor.figures.extractor import MAX_FIGURES
    from monitor.figures.sentences import MAX_SENTENCE

    chunk = "officers seized £1,200 in cash and arrested 12 people and found £3,400 of cocaine "
    found = figures.extract(chunk * (1_048_576 // len(chunk)))
    assert 0 < len(found) <= MAX_FIGURES
    assert all(len(f.evidence) <= MAX_SENTENCE for f in found)


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("Our specialist officers made 31 arrests during the national week of action.", "force"),
        ("Officers in Cumbria executed 22 warrants during the week.", "force"),
        ("Across the county, officers seized £40,000 in cash.", "force"),
        ("Police in Ashbourne arrested six people during the week.", "case"),
        ("Officers in Operation Sceptre seized 40 knives across the county.", "force"),
        ("Officers in March arrested 16 people across the county.", "force"),
        ("Officers from Norfolk, Suffolk and Essex Police arrested 88 people.", "regional"),
        ("We worked alongside Kent Police and Sussex Police to arrest 19 people.", "force"),
        ("Our team worked with Dorset Police and Wiltshire Police to charge 7 people.", "force"),
        ("Across the region, 140 people were arrested.", "regional"),
        ("Nationally, 1,400 arrests were made.", "national"),
        ("Sixteen warrants were executed at dawn.", "case"),
        ("The arrests came after coordinated raids on four addresses, with 9 arrests.", "case"),
        ("The operation, co-ordinated by the NPCC, saw our officers make 25 arrests.", "force"),
    ],
)
def test_scope_cues_from_the_language(text: str, scope: str) -> None:
    """Who acted and where: the force's voice or area, a town, several forces, the nation."""
    assert {f.scope for f in figures.extract(text)} == {scope}


def test_funding_split_links_to_its_total() -> None:
    """A grant split over years is one total and its parts; sums count the total once."""
    text = (
        "Grant for youth work\n"
        "The commissioner has awarded £250,000 to youth services to tackle exploitation.\n"
        "The money is split £150,000 this year and £100,000 next year."
    )
    found = figures.extract(text)
    assert [(f.metric, f.value, f.part_of) for f in found] == [
        ("funding_gbp", 250_000, None),
        ("funding_gbp", 150_000, 0),
        ("funding_gbp", 100_000, 0),
    ]
    assert sum(f.value for f in found if f.part_of is None) == 250_000


def test_raiding_one_flat_is_a_case() -> None:
    """A raid on one flat is one operation, whatever the article is about."""
    found = figures.extract("When officers raided a flat in the town they found £9,500 in cash.")
    assert [(f.metric, f.scope) for f in found] == [("cash_seized_gbp", "case")]


def test_one_person_among_those_counted_is_not_another_figure() -> None:
    """A single arrest told after the count of arrests is one of those already counted."""
    text = (
        "Three people were arrested after officers executed a warrant at a flat.\n\n"
        "A 38-year-old woman was arrested on suspicion of possession."
    )
    assert [(f.metric, f.value) for f in figures.extract(text)] == [
        ("arrests", 3),
        ("warrants_executed", 1),
    ]
    assert triples("A 17-year-old boy was arrested.") == [("arrests", 1, "exact")]
    assert triples("Ten men and two women, aged between 18 and 52, were arrested.") == [
        ("arrests", 12, "exact")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Thirty people, including nine children, were safeguarded.",
            [("safeguarded", 30, "exact")],
        ),
        (
            "Some 60 vulnerable people were either spoken to or safeguarded.",
            [("safeguarded", 60, "about")],
        ),
        (
            "Police estimate that £31,000 worth of drugs were seized.",
            [("drugs_value_gbp", 31_000, "exact")],
        ),
        ("£600,000 of cocaine moved along the line over a year.", []),
        ("Two men were seen carrying knives, and a third man was arrested nearby.", []),
        ("A gas-powered pistol was recovered from the car.", []),
    ],
)
def test_round_two_context(text: str, expected: list[tuple[str, float, str]]) -> None:
    """Parts after "including", contact-or-result verbs, estimates of a seizure, clauses."""
    assert triples(text) == expected


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("A major operation to dismantle three county lines led to 14 arrests.", "case"),
        ("In the latest operation against the gangs, our officers made 30 arrests.", "force"),
        ("Officers safeguarded 12 people exploited by a county line or a gang.", "force"),
        ("Detectives made nine arrests on Tuesday, the unit having formed a year ago.", "case"),
        ("Police said 12 warrants were executed that morning.", "case"),
        ("Police arrested 8 people in the town.", "case"),
        ("During the week the Eastern region saw 90 arrests.", "regional"),
    ],
)
def test_scope_cues_for_one_operation(text: str, scope: str) -> None:
    """One operation against counted targets, one morning, one town; not a latest campaign."""
    assert {f.scope for f in figures.extract(text)} == {scope}


def test_lead_rounding_a_programme_total_makes_it_the_news() -> None:
    """ "Nearly 500 arrested" in the lead, "since it was set up ... 497": the total is the news."""
    text = (
        "Taskforce milestone\n\n"
        "Nearly 500 people have been arrested by the railway taskforce, police said.\n\n"
        "Since it was set up in 2020, the taskforce has arrested 497 people and seized £120,000 "
        "in cash."
    )
    assert triples(text) == [("arrests", 497, "exact"), ("cash_seized_gbp", 120_000, "exact")]


def test_scope_carries_into_a_continuing_paragraph() -> None:
    """ "Officers also seized ..." continues the paragraph before it, and its level."""
    text = (
        "Week of action results\n\n"
        "Police in Ashbourne arrested six people on the first day.\n\n"
        "Across the region, 88 people were arrested.\n\n"
        "Officers also seized £31,000 in cash and 14 vehicles."
    )
    got = [(f.metric, f.value, f.scope) for f in figures.extract(text)]
    assert got == [
        ("arrests", 6, "case"),
        ("arrests", 88, "regional"),
        ("cash_seized_gbp", 31_000, "regional"),
        ("vehicles_seized", 14, "regional"),
    ]


def test_restated_figure_carries_its_scope() -> None:
    """A later list that restates a figure stated with a cue is at that figure's level."""
    text = (
        "Crackdown results\n\n"
        "Our officers made 12 arrests in the town.\n\n"
        "In total, 140 arrests were made by the regional organised crime unit.\n\n"
        "Between Monday and Friday 140 people were arrested and 25 knives were seized."
    )
    got = [(f.metric, f.value, f.scope) for f in figures.extract(text)]
    assert got == [
        ("arrests", 12, "case"),
        ("arrests", 140, "regional"),
        ("weapons_seized", 25, "regional"),
    ]


def test_results_set_out_as_a_table() -> None:
    """ "Arrests: 49", "Cash seized – £34,500": a label then a number is that result."""
    text = (
        "Results of the week\n"
        "Arrests: 49\n"
        "People charged: 11\n"
        "County lines closed: 8\n"
        "Cash seized – £34,500\n"
        "Drugs seized: 4.2kg\n"
        "Mobile phones: 40\n"
        "Officers on patrol: 120\n"
        "Date: 14 March"
    )
    assert triples(text) == [
        ("arrests", 49, "exact"),
        ("charged", 11, "exact"),
        ("lines_closed", 8, "exact"),
        ("cash_seized_gbp", 34_500, "exact"),
        ("drugs_weight_kg", 4.2, "exact"),
        ("phones_seized", 40, "exact"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Officers have now closed 33 of the 40 lines they identified.", [("lines_closed", 33)]),
        ("Three of the 12 men were charged.", [("charged", 3)]),
        ("More than 50 lines were targeted and 20 closed.", [("lines_closed", 20)]),
    ],
)
def test_part_of_a_stated_whole(text: str, expected: list[tuple[str, float]]) -> None:
    """ "33 of the 40 lines" closes 33; "50 targeted and 20 closed" closes 20."""
    assert [(f.metric, f.value) for f in figures.extract(text)] == expected
