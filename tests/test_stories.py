"""Story grouping over a real archive: copies join, look-alikes stay apart, origin, restory."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor import archive, config, dedupe
from monitor.archive import regroup
from monitor.evaluation import stories as ev
from monitor.items import METRICS, Article, Entry, Figure

ROOT = Path(__file__).resolve().parents[1]
EVAL_CASES = next(
    (p / "shared" / "eval" / "cases" for p in ROOT.parents if (p / "shared" / "eval").is_dir()),
    ROOT.parent / "shared" / "eval" / "cases",
)  # ../shared/eval from the main checkout, ../../shared/eval from a worktree

CONFIG = """
sources:
  - {name: kent-police, url: "https://www.kent.police.uk/rss", kind: police, force: Kent Police}
  - {name: essex-police, url: "https://www.essex.police.uk/rss", kind: police, force: Essex Police}
  - {name: kent-online, url: "https://www.kentonline.co.uk/rss", kind: press}
  - {name: kent-messenger, url: "https://www.kentmessenger.co.uk/rss", kind: press}
  - {name: google-news, url: "https://news.google.com/rss/search?q=county", kind: aggregator}
"""

RELEASE = (
    "Officers from Kent Police arrested {arrests} people during a week of action against county"
    " lines drug dealing between {d1} and {d2} October.\n\n"
    "During the operation {lines} county lines were closed down and officers seized £{cash:,} in"
    " cash.\n\n"
    "Teams also seized {weapons} weapons, including knives and a machete, and safeguarded {safe}"
    " vulnerable people who were being exploited by the gangs.\n\n"
    'Detective Inspector Sam Reid said: "County lines gangs exploit children and vulnerable'
    " adults and bring violence to our streets. This week shows what we can do when we work"
    ' together with partners, and we will keep going after the people at the top."\n\n'
    "Anyone with information about drug dealing can report it to Crimestoppers anonymously."
)
WEEK1 = {"arrests": 38, "lines": 4, "cash": 15000, "weapons": 21, "safe": 17, "d1": 6, "d2": 12}
WEEK2 = {"arrests": 41, "lines": 3, "cash": 9500, "weapons": 12, "safe": 30, "d1": 13, "d2": 19}


def figs(f: dict[str, int]) -> list[tuple[str, float]]:
    return [
        ("arrests", f["arrests"]),
        ("lines_closed", f["lines"]),
        ("cash_seized_gbp", f["cash"]),
        ("weapons_seized", f["weapons"]),
        ("safeguarded", f["safe"]),
    ]


@pytest.fixture
def db() -> Database:
    db = archive.open_archive(":memory:")
    archive.sync_sources(db, config.parse(CONFIG))
    return db


def save(
    db: Database,
    source: str,
    url: str,
    title: str,
    body: str,
    published: str,
    figures: list[tuple[str, float]] = (),  # type: ignore[assignment]
    guid: str | None = None,
) -> int:
    """Archive one article the way the pipeline does; returns its id."""
    entry = Entry(
        source_id=source,
        url=dedupe.canonical_url(url),
        original_url=url,
        title=title,
        guid=guid,
        published=f"{published}T10:00:00+00:00",
    )
    art = Article(
        entry=entry,
        body=body,
        fetched_at=f"{published}T10:05:00+00:00",
        http_status=200 if body else None,
        content_hash=dedupe.content_hash(body) if body else None,
        relevant=True,
        figures=[Figure(m, float(v), METRICS[m]) for m, v in figures],
    )
    archive.save_article(db, art, None, "test")
    return int(db.execute("SELECT id FROM articles WHERE url = ?", [entry.url]).fetchone()[0])


def story(db: Database, article_id: int) -> int:
    return int(db["articles"].get(article_id)["story_id"])


def release(db: Database, week: dict[str, int] = WEEK1, day: str = "2024-10-14") -> int:
    return save(
        db,
        "kent-police",
        f"https://www.kent.police.uk/news/week-of-action-{week['d1']}/",
        f"Week of action: {week['arrests']} arrests as Kent Police targets county lines",
        RELEASE.format(**week),
        day,
        figs(week),
    )


def press_copy(db: Database, day: str = "2024-10-15", source: str = "kent-online") -> int:
    """New headline, an extra paragraph, the quote trimmed."""
    paras = RELEASE.format(**WEEK1).split("\n\n")
    paras[3] = 'Detective Inspector Sam Reid said: "County lines gangs exploit children."'
    paras.insert(1, "It comes after residents in Maidstone raised concerns about dealing.")
    return save(
        db,
        source,
        f"https://www.{source}.co.uk/news/crime/maidstone-drugs-crackdown-12345/?ref=rss",
        "Dozens held in Maidstone drugs crackdown",
        "\n\n".join(paras),
        day,
        figs(WEEK1),
    )


def test_press_copy_joins_the_police_release_which_stays_origin(db: Database) -> None:
    copy = press_copy(db, day="2024-10-14")  # the paper got there first
    origin = release(db, day="2024-10-14")
    assert story(db, copy) == story(db, origin)
    row = db["stories"].get(story(db, origin))
    assert row["origin_article_id"] == origin
    assert row["article_count"] == 2
    assert row["title"].startswith("Week of action: 38 arrests")
    assert row["first_seen"] <= row["last_seen"]
    assert db["stories"].count == 1


def test_different_weeks_with_the_same_wording_stay_apart(db: Database) -> None:
    first = release(db, WEEK1, "2024-10-14")
    second = release(db, WEEK2, "2024-10-21")
    assert story(db, first) != story(db, second)


def test_look_alike_inside_the_window_is_vetoed_by_its_numbers(db: Database) -> None:
    """Same template, two days apart, no figures extracted: the stated numbers keep them apart."""
    a = save(
        db,
        "kent-online",
        "https://a.example/1",
        "Week of action results",
        RELEASE.format(**WEEK1),
        "2024-10-14",
    )
    b = save(
        db,
        "kent-messenger",
        "https://b.example/2",
        "Week of action results",
        RELEASE.format(**WEEK2),
        "2024-10-16",
    )
    assert story(db, a) != story(db, b)


def test_same_figure_set_joins_a_rewritten_report(db: Database) -> None:
    origin = release(db)
    rewrite = save(
        db,
        "kent-messenger",
        "https://www.kentmessenger.co.uk/news/gangs-hit-999/",
        "Gangs hit as force shuts drug lines",
        "A crackdown in Maidstone led to 38 arrests, the force said. Four deal lines were shut"
        " and £15,000 in cash taken, along with 21 weapons; 17 people were safeguarded.",
        "2024-10-16",
        figs(WEEK1),
    )
    assert story(db, rewrite) == story(db, origin)


def test_two_forces_are_two_announcements(db: Database) -> None:
    kent = release(db)
    essex = save(
        db,
        "essex-police",
        "https://www.essex.police.uk/news/week/",
        "Week of action: county lines results",
        "Essex results. " * 20,
        "2024-10-14",
        figs(WEEK1),
    )
    assert story(db, kent) != story(db, essex)


def test_google_news_item_attaches_by_headline(db: Database) -> None:
    origin = release(db)
    gn = save(
        db,
        "google-news",
        "https://news.google.com/rss/articles/CBMiAAA?oc=5",
        "Week of action: 38 arrests as Kent Police targets county lines - Kent Police",
        "",
        "2024-10-14",
    )
    assert story(db, gn) == story(db, origin)
    assert db["stories"].get(story(db, gn))["origin_article_id"] == origin


def test_google_news_item_seen_first_is_absorbed_by_the_article(db: Database) -> None:
    gn = save(
        db,
        "google-news",
        "https://news.google.com/rss/articles/CBMiBBB",
        "Dozens held in Maidstone drugs crackdown - Kent Online",
        "",
        "2024-10-14",
    )
    origin = release(db, day="2024-10-14")
    copy = press_copy(db)
    assert story(db, gn) == story(db, copy) == story(db, origin)
    assert db["stories"].count == 1


def test_google_news_item_with_other_numbers_stays_apart(db: Database) -> None:
    origin = release(db)
    gn = save(
        db,
        "google-news",
        "https://news.google.com/rss/articles/CBMiCCC",
        "Week of action: 41 arrests as Kent Police targets county lines",
        "",
        "2024-10-14",
    )
    assert story(db, gn) != story(db, origin)


def test_amp_and_mobile_editions_and_reposts_are_one_story(db: Database) -> None:
    origin = release(db)
    amp = save(
        db,
        "kent-police",
        "http://m.kent.police.uk/news/week-of-action-6/amp/",
        "Kent Police week of action",
        "Short AMP page text.",
        "2024-10-14",
    )
    repost = save(
        db,
        "kent-messenger",
        "https://www.kentmessenger.co.uk/x/repost",
        "Reposted",
        RELEASE.format(**WEEK1),
        "2024-10-30",
    )  # identical text, later
    assert story(db, amp) == story(db, repost) == story(db, origin)


def test_restory_is_idempotent_and_keeps_story_ids(db: Database) -> None:
    origin = release(db)
    press_copy(db)
    release(db, WEEK2, "2024-10-21")
    save(
        db,
        "google-news",
        "https://news.google.com/rss/articles/CBMiDDD",
        "Dozens held in Maidstone drugs crackdown",
        "",
        "2024-10-15",
    )
    before = {r["id"]: r["story_id"] for r in db["articles"].rows}
    stories_before = list(db["stories"].rows)
    first = regroup.restory(db)
    assert {r["id"]: r["story_id"] for r in db["articles"].rows} == before
    assert list(db["stories"].rows) == stories_before
    assert first["moved"] == 0 and first["stories"] == 2
    second = regroup.restory(db)
    assert second == first
    assert db["stories"].get(story(db, origin))["article_count"] == 3


def split_copy(db: Database) -> tuple[int, int]:
    """A release and its press copy, the copy wrongly put in a story of its own (id 99)."""
    origin = release(db)
    copy = press_copy(db)
    db.execute("INSERT INTO stories (id, title, article_count) VALUES (99, 'split', 1)")
    db.execute("UPDATE articles SET story_id = 99 WHERE id = ?", [copy])
    return origin, copy


def test_restory_regroups_after_a_wrong_grouping(db: Database) -> None:
    origin, copy = split_copy(db)
    result = regroup.restory(db)
    assert story(db, copy) == story(db, origin)
    assert result["moved"] == 1 and result["stories_removed"] == 1
    assert [(m.article_id, m.before, m.after) for m in result.moves] == [
        (copy, 99, story(db, origin))
    ]
    assert result.moves[0].url.startswith("https://www.kent-online.co.uk/news/crime/")
    assert regroup.restory(db).moves == []
    assert not db["stories"].count_where("id = 99")


def test_story_figures_prefer_the_origin(db: Database) -> None:
    """One home for "a story's figures": the story_figures table (kept by triggers) takes each
    metric from the origin when it has it, whichever copy was archived first."""
    copy = press_copy(db, day="2024-10-14")
    with archive.write(db):
        db.execute(
            "UPDATE figures SET value = 40 WHERE article_id = ? AND metric = 'arrests'", [copy]
        )
    origin = release(db, day="2024-10-15")
    rows = db.execute(
        "SELECT sf.metric, sf.value, f.article_id FROM story_figures sf"
        " JOIN figures f ON f.id = sf.figure_id WHERE sf.story_id = ?",
        [story(db, origin)],
    ).fetchall()
    assert [(v, a) for m, v, a in rows if m == "arrests"] == [(38.0, origin)]
    assert {a for _, _, a in rows} == {origin}
    assert len(rows) == 5


def test_placement_queries_the_key_index(db: Database) -> None:
    origin = release(db)
    keys = db.execute("SELECT COUNT(*) FROM story_keys WHERE article_id = ?", [origin])
    assert keys.fetchone()[0] >= dedupe.BANDS
    plan = " ".join(
        str(r)
        for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT key, article_id FROM story_keys WHERE key IN (1, 2)"
            " AND day BETWEEN 1 AND 9"
        )
    )
    assert "SEARCH" in plan and "SCAN" not in plan


def test_synthetic_syndication_set_groups_without_false_merges() -> None:
    docs = ev.synthetic_docs(seed=3, announcements=30)
    precision, recall, _, _ = ev.pairwise(docs, ev.place_all(docs))
    assert precision == 1.0
    assert recall >= 0.95


@pytest.mark.skipif(not EVAL_CASES.is_dir(), reason="../shared/eval/cases not present")
def test_dev_stories_group_with_full_precision() -> None:
    docs = ev.dev_docs(EVAL_CASES)
    precision, recall, false_merges, _ = ev.pairwise(docs, ev.place_all(docs))
    assert false_merges == []
    assert precision == 1.0
    assert recall >= 0.95
    assert any(a.story == b.story for a, b in itertools.combinations(docs, 2) if a.story)


PLEDGE = (
    "The Home Office has pledged up to £145,000,000 over three years to tackle county lines"
    " drug gangs, Policing Minister Dana Holt announced today. The money will expand the County"
    " Lines Programme in Merseyside, the West Midlands and Greater Manchester."
)


def test_a_repeated_pledge_restates_the_story_that_announced_it(db: Database) -> None:
    pledge = save(
        db,
        "kent-online",
        "https://www.kentonline.co.uk/news/pledge/",
        "Government pledges up to £145m to tackle county lines",
        PLEDGE,
        "2024-10-01",
        [("funding_gbp", 145_000_000)],
    )
    db.execute("UPDATE figures SET qualifier = 'up_to' WHERE article_id = ?", [pledge])
    later = save(
        db,
        "kent-police",
        "https://www.kent.police.uk/news/week-of-action-results/",
        "Week of action: 38 arrests as Kent Police targets county lines",
        RELEASE.format(**WEEK1) + "\n\nThe Home Office has pledged up to £145m to the programme.",
        "2024-10-14",
        [*figs(WEEK1), ("funding_gbp", 145_000_000)],
    )
    db.execute(
        "UPDATE figures SET qualifier = 'up_to' WHERE article_id = ? AND metric = 'funding_gbp'",
        [later],
    )
    regroup.restory(db)  # qualifiers changed behind placement's back: re-link
    assert story(db, pledge) != story(db, later)
    first = db.execute("SELECT id FROM figures WHERE article_id = ?", [pledge]).fetchone()[0]
    rows = {r["metric"]: r["restates"] for r in db["figures"].rows_where("article_id = ?", [later])}
    assert rows.pop("funding_gbp") == first
    assert set(rows.values()) == {None}  # the week's own results are its own
    counted = db.execute(
        "SELECT SUM(value) FROM figures WHERE metric = 'funding_gbp'"
        " AND part_of IS NULL AND restates IS NULL"
    ).fetchone()[0]
    assert counted == 145_000_000


def test_the_same_count_from_another_force_is_not_a_restatement(db: Database) -> None:
    release(db, WEEK1, "2024-10-14")
    essex = save(
        db,
        "essex-police",
        "https://www.essex.police.uk/news/other/",
        "Essex Police make 38 arrests in drugs operation",
        "Essex Police officers arrested 38 people in Chelmsford and Colchester this week after"
        " an investigation into drug dealing in the town centre.",
        "2024-10-20",
        [("arrests", 38)],
    )
    assert db.execute("SELECT restates FROM figures WHERE article_id = ?", [essex]).fetchone() == (
        None,
    )


def test_first_seen_is_when_the_monitor_fetched_the_story_not_when_it_was_published(
    db: Database,
) -> None:
    run_id = archive.start_run(db, "manual")
    started = db["runs"].get(run_id)["started_at"]
    entry = Entry(
        source_id="google-news",
        url="https://news.google.com/rss/articles/CBMiOLD",
        original_url="https://news.google.com/rss/articles/CBMiOLD",
        title="County lines gang jailed after Kent Police investigation - Kent Online",
        published="2022-03-01T09:00:00+00:00",  # an old item in today's feed
    )
    archive.save_article(db, Article(entry=entry, relevant=True), run_id, "test")
    row = db["stories"].get(db["articles"].get(1)["story_id"])
    assert row["first_published"] == "2022-03-01T09:00:00+00:00"
    assert row["first_seen"] == started


def test_monitor_restory_lists_the_articles_it_moved(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    path = tmp_path / "archive.db"
    db = archive.open_archive(path)
    archive.sync_sources(db, config.parse(CONFIG))
    origin, copy = split_copy(db)
    origin_story = story(db, origin)
    db.conn.close()
    runner = CliRunner()
    first = runner.invoke(cli, ["restory", "--db", str(path)])
    assert first.exit_code == 0, first.output
    url = "https://www.kent-online.co.uk/news/crime/maidstone-drugs-crackdown-12345/"
    assert f"moved article {copy} ({url}): story 99 -> story {origin_story}" in first.output
    assert "2 articles in 1 stories: 1 moved" in first.output
    second = runner.invoke(cli, ["restory", "--db", str(path)])
    assert "moved article" not in second.output and ": 0 moved" in second.output


def test_a_follow_up_restating_the_weeks_arrests_is_its_own_story_and_counts_them_once(
    db: Database,
) -> None:
    origin = release(db)
    follow = save(
        db,
        "kent-police",
        "https://www.kent.police.uk/news/dealer-jailed/",
        "Maidstone dealer jailed after county lines week of action",
        "A drug dealer from Maidstone has been jailed for six years after being caught during"
        " the county lines week of action run by Kent Police between 6 and 12 October.\n\nHe was"
        " one of 38 people arrested during the week. Officers found him with crack cocaine and a"
        " knife at an address in Maidstone.",
        "2024-10-16",
        [("sentence_years", 6), ("arrests", 38)],
    )
    assert story(db, follow) != story(db, origin)
    first = db.execute(
        "SELECT id FROM figures WHERE article_id = ? AND metric = 'arrests'", [origin]
    ).fetchone()[0]
    restates = dict(
        db.execute("SELECT metric, restates FROM figures WHERE article_id = ?", [follow]).fetchall()
    )
    assert restates == {"sentence_years": None, "arrests": first}  # set at placement


REWRITE = (
    "A crackdown on drug gangs in Maidstone has led to {arrests} arrests, Kent Police has said."
    " The force said {lines} deal lines had been shut down and £{cash:,} in cash seized over the"
    " seven days. A total of {weapons} weapons were taken off the streets and {safe} vulnerable"
    " people were safeguarded."
)


def test_a_rewrite_of_next_weeks_release_joins_that_week_not_this_one(db: Database) -> None:
    first = release(db, WEEK1, "2024-10-14")
    second = release(db, WEEK2, "2024-10-21")
    rewrite = save(
        db,
        "kent-messenger",
        "https://www.kentmessenger.co.uk/news/maidstone-crackdown-2/",
        "Maidstone drugs crackdown nets dozens of arrests",
        REWRITE.format(**WEEK2),
        "2024-10-23",
        figs(WEEK2),
    )
    assert story(db, rewrite) == story(db, second) != story(db, first)


def test_an_undated_copy_is_placed_at_its_fetch_time_and_joins(db: Database) -> None:
    origin = release(db, WEEK1, "2024-10-14")
    entry = Entry(
        source_id="kent-messenger",
        url="https://www.kentmessenger.co.uk/news/undated-copy/",
        original_url="https://www.kentmessenger.co.uk/news/undated-copy/",
        title="Maidstone drugs crackdown: 38 held",
    )  # neither the feed nor the page gives a date
    art = Article(
        entry=entry,
        body=REWRITE.format(**WEEK1),
        fetched_at="2024-10-17T08:00:00+00:00",
        http_status=200,
        content_hash=dedupe.content_hash(REWRITE.format(**WEEK1)),
        relevant=True,
        figures=[Figure(m, float(v), METRICS[m]) for m, v in figs(WEEK1)],
    )
    archive.save_article(db, art, None, "test")
    copy = db.execute("SELECT id, published FROM articles WHERE url = ?", [entry.url]).fetchone()
    assert copy[1] == "2024-10-17T08:00:00+00:00"
    assert story(db, copy[0]) == story(db, origin)


def test_an_archive_from_before_the_key_index_is_indexed_on_upgrade(tmp_path: Path) -> None:
    """Migration m006 only creates `story_keys`; the live story code fills it for the articles
    already archived, once, right after the migration (so a migration runs no live rules)."""
    path = tmp_path / "old.db"
    db = archive.open_archive(path)
    archive.sync_sources(db, config.parse(CONFIG))
    origin = release(db)
    posted = db.execute("SELECT COUNT(*) FROM story_keys").fetchone()[0]
    assert posted >= dedupe.BANDS
    with archive.write(db):  # back to an archive written before m006
        db.execute("DROP TABLE story_keys")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm006_story_keys_index'")
    db.conn.close()
    again = archive.open_archive(path)
    assert again.execute("SELECT COUNT(*) FROM story_keys").fetchone()[0] == posted
    assert story(again, press_copy(again)) == story(again, origin)  # placement finds it
