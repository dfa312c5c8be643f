"""Relevance: county-lines stories in, look-alikes out; the feed prefilter keeps recall."""

from __future__ import annotations

import pytest

from monitor.relevance import assess, is_candidate, matched_terms


@pytest.mark.parametrize(
    ("title", "text", "term"),
    [
        (
            "Week of action",
            "Officers closed 12 county lines and arrested 50 people.",
            "county lines",
        ),
        ("Dealer jailed", "He ran a deal line supplying crack cocaine in Hastings.", "deal line"),
        ("Arrest", "Officers seized a mobile phone used as a drugs line.", "drugs line"),
        ("Jailed", "The line holder directed teenage runners from London.", "line holder"),
        (
            "Closure order",
            "A flat where a vulnerable man was cuckooed has been closed.",
            "cuckooing",
        ),
        ("Results", "The NCLCC published the figures on Thursday.", "nclcc"),
        (
            "Results",
            "The National County Lines Coordination Centre said forces took part.",
            "national county lines coordination centre",
        ),
        ("Sentencing", "He was caught by Operation Orochi detectives.", "operation orochi"),
        ("Roundup", "Our intensification week results are in.", "intensification week"),
        (
            "What is County-Lines exploitation?",
            "Gangs exploit children to move drugs.",
            "county lines",
        ),
    ],
)
def test_positives(title: str, text: str, term: str) -> None:
    """Police-release vocabulary marks a story as relevant and names the term."""
    relevant, terms = assess(title, text)
    assert relevant
    assert term in terms


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Bus cuts",
            "Lincolnshire County Council plans to cut 160 bus services and two bus lines.",
        ),
        ("Pledge", "Police will pursue all reasonable lines of inquiry to solve more crimes."),
        ("Outage", "Phone lines were down across the county for six hours."),
        ("Rail", "The railway line between Salisbury and Yeovil will close for 16 days."),
        (
            "County Lines (film review)",
            "Film review. Director: Henry Blake. Starring Conrad Khan. Certificate 15. "
            "County Lines is in cinemas now and shows how County Lines gangs groom children.",
        ),
        ("Cannabis farm", "Two men were arrested after 500 cannabis plants were found in a barn."),
        ("Border Force", "Border Force seized a tonne of cocaine hidden in generators."),
        ("Crash", "A car hit a tree on County Line Road, deputies said."),
    ],
)
def test_look_alikes(title: str, text: str) -> None:
    """Councils, inquiries, phone and rail lines, a film, plain drug busts are not relevant."""
    assert assess(title, text) == (False, [])


def test_terms_lowercase_deduped_in_order() -> None:
    """Matched terms come back lowercase, once each, in the order first found."""
    text = "Cuckooing is linked to County Lines. More county lines were shut. The NCLCC said so."
    assert matched_terms(text) == ["cuckooing", "county lines", "nclcc"]


def test_title_counts() -> None:
    """A title can carry the only lexicon term."""
    assert assess("County lines gang jailed", "Five men were jailed at Norwich Crown Court.")[0]


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Man charged after police stop", ""),
        ("Five arrested in dawn raids", "Officers executed warrants across the city."),
        ("Week of action results", "Police seized cocaine and cash."),
        ("Teenager exploited by gang", ""),
        ("County lines crackdown", ""),
        ("Drugs seized in Grantham", "Class A drugs were found."),
        ("Knife amnesty begins", ""),
    ],
)
def test_candidate_keeps_crime(title: str, summary: str) -> None:
    """Anything that smells of drugs, arrests or exploitation is worth fetching."""
    assert is_candidate(title, summary)


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Yellow weather warning for snow", "Forecasters expect 10cm on high ground."),
        ("United beat City 2-1", "A late goal settled the derby."),
        ("Council sets budget for next year", "Council tax will rise by 4.99%."),
        ("New library opens in Ludlow", ""),
    ],
)
def test_candidate_rejects_other_news(title: str, summary: str) -> None:
    """Weather, sport and council budgets are not fetched."""
    assert not is_candidate(title, summary)


def test_football_club_lining_up_a_signing_is_not_county_lines() -> None:
    assert assess("Stockport County lines up loan move for striker", "The club is close.") == (
        False,
        [],
    )
    assert assess("", "Officers closed county lines up and down the region.")[0]


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Pursuit ends in crash",
            "Deputies from the sheriff's office chased the pickup across county lines before "
            "it left the interstate and overturned.",
        ),
        (
            "Chase across three counties",
            "A Chase Across County Lines\n\nState troopers and deputies from two counties "
            "followed the stolen sedan for forty miles.",
        ),
        (
            "Our verdict",
            "Film review. The writer-director's debut feature County Lines follows a boy drawn "
            "into selling; the performances are quiet and the film's last scene stays with you.",
        ),
        (
            "New on TV",
            "The drama series County Lines returns for a second run; every episode is on "
            "screen from Sunday and the cast is unchanged.",
        ),
        (
            "Our plan for safer streets",
            "The plan covers everything from county lines to burglary, fraud and antisocial "
            "driving, and sets out how neighbourhood teams will be paid for.",
        ),
        (
            "Cocaine found in lorry at port",
            "Border officers seized 400kg of cocaine hidden in a lorry of bananas. The minister "
            "said the seizure showed the drugs strategy, which also targets county lines, was "
            "working.",
        ),
        ("Cricket", "The county line-up for the opening match includes two debutants."),
    ],
)
def test_look_alikes_are_not_county_lines(title: str, text: str) -> None:
    """The US boundary sense, films and series, passing mentions in plans, cricket."""
    assert assess(title, text) == (False, [])


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Drugs gang jailed", "The gang ran a county lines operation from a flat in the town."),
        (
            "Funding for charity",
            "The charity works with young people at risk of exploitation by county lines "
            "networks, and supports children referred by schools.",
        ),
    ],
)
def test_single_mentions_with_context_stay_relevant(title: str, text: str) -> None:
    """One mention is enough when exploitation or a result surrounds it."""
    assert assess(title, text)[0]


def test_border_seizure_claiming_a_county_lines_effect_is_not_county_lines() -> None:
    """A port seizure whose minister says it will hit county lines gangs is a border story."""
    text = (
        "Border officers seized two tonnes of cocaine from a container at the port. The minister "
        "said the haul would hit the county lines gangs that exploit children."
    )
    assert assess("Cocaine found in container", text) == (False, [])


def test_one_mention_in_a_court_report_stays_relevant() -> None:
    """A defendant who ran a county lines operation: one mention, but the story is about it."""
    text = "A man who ran a county lines operation said he was sorry. He was jailed for six years."
    assert assess("Dealer jailed", text)[0]
