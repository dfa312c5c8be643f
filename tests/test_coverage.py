"""Which forces are watched: the coverage view's verdicts, `monitor coverage`, and a source that
never worked shown as `never succeeded`, not `ok` with score 0."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from datasette.app import Datasette
from sqlite_utils import Database

from monitor import archive, browse, config, coverage, forces
from monitor.cli import cli
from monitor.loopback import SiteServer
from monitor.poll import Poll
from tests.conftest import FIXTURES, ROOT, monitor

CONFIG = """
sources:
  - {name: kent-feed, url: "http://127.0.0.1:9/kent.xml", force: Kent Police, kind: police}
  - {name: essex-feed, url: "http://127.0.0.2:9/essex.xml", force: Essex Police, kind: police}
  - {name: gmp-feed, url: "http://127.0.0.3:9/gmp.xml", force: GMP, kind: police}
  - {name: gmp-gn, url: "http://127.0.0.3:9/gn.xml", force: GMP, kind: aggregator}
  - {name: psni-feed, url: "http://127.0.0.4:9/psni.xml", force: PSNI, kind: police}
  - {name: bbc, url: "http://127.0.0.5:9/bbc.xml"}
"""
OK = Poll(http_status=200, entries=3, new_entries=1)
DOWN = Poll(http_status=404, error="HTTP 404", error_kind="hard")


def ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()


def verdicts(db: Database) -> dict[str, str]:
    return {r.force_code: r.verdict for r in coverage.read(db)}


def verdict_archive(path: Path) -> Database:
    """An archive where Kent is watched, Essex quiet, GMP failing, PSNI never succeeded."""
    db = archive.open_archive(path)
    archive.sync_sources(db, config.parse(CONFIG))
    run = archive.start_run(db, "manual")
    archive.record_poll(db, run, "kent-feed", OK)  # works, relevant story today
    archive.record_poll(db, run, "essex-feed", OK)  # works for 40 days, nothing relevant in 30
    archive.record_poll(db, run, "gmp-feed", OK)  # worked once, now both GMP sources fail
    archive.record_poll(db, run, "gmp-feed", DOWN)
    archive.record_poll(db, run, "gmp-gn", DOWN)
    archive.record_poll(db, run, "psni-feed", DOWN)  # never worked
    db.execute("UPDATE polls SET polled_at = ? WHERE source_id = 'essex-feed'", [ago(40)])
    for source, published in (("kent-feed", ago(0)), ("essex-feed", ago(35))):
        db["articles"].insert(
            {
                "url": f"https://{source}.example/1",
                "source_id": source,
                "title": "County lines",
                "published": published,
                "relevant": 1,
                "story_id": None,
            }
        )
    return db


def test_each_verdict_from_the_archive_state(tmp_path: Path) -> None:
    db = verdict_archive(tmp_path / "a.db")
    found = verdicts(db)
    assert found["kent"] == "watched"
    assert found["essex"] == "quiet 30 days"
    assert found["greater-manchester"] == "failing"
    assert found["psni"] == "never succeeded"
    assert found["police-scotland"] == "not watched"
    assert len(found) == len(forces.FORCES)  # every force, bodies excluded
    gmp = next(r for r in coverage.read(db) if r.force_code == "greater-manchester")
    assert gmp.sources == 2 and gmp.source_statuses is not None
    assert "gmp-feed (failing)" in gmp.source_statuses
    assert "gmp-gn (never succeeded)" in gmp.source_statuses
    kent = next(r for r in coverage.read(db) if r.force_code == "kent")
    assert (kent.last_relevant_story_at or "").startswith(ago(0)[:10])


def test_an_outage_leaves_a_new_source_never_succeeded_not_ok(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"archive: {tmp_path / 'a.db'}\n" + CONFIG)
    proc = monitor("run", "--all", "--config", str(cfg))
    assert "every source failed" in proc.stdout  # an outage: nobody's score rises
    db = Database(tmp_path / "a.db")
    health = {r["id"]: r for r in db.query("SELECT * FROM source_health")}
    assert {r["status"] for r in health.values()} == {"never succeeded"}
    assert {r["error_score"] for r in health.values()} == {0.0}
    status = monitor("status", "--config", str(cfg)).stdout
    kent_line = next(line for line in status.splitlines() if line.startswith("kent-feed"))
    assert "never succeeded" in kent_line and " ok " not in kent_line
    out = monitor("coverage", "--config", str(cfg)).stdout
    assert "never succeeded" in next(ln for ln in out.splitlines() if ln.startswith("Kent Police"))


def test_the_demo_lists_every_uk_force_with_a_verdict(tmp_path: Path) -> None:
    db_path = tmp_path / "demo.db"
    monitor("demo", "--db", str(db_path), timeout=300)
    out = monitor("coverage", "--db", str(db_path)).stdout
    lines = out.splitlines()
    for force in forces.FORCES:
        row = next(ln for ln in lines if ln.startswith(force.name + " "))
        assert any(v in row for v in coverage.VERDICTS), row
    rows = {r.force_code: r.verdict for r in coverage.read(archive.open_archive(db_path))}
    assert {c for c, v in rows.items() if v == "watched"} == {
        "greater-manchester",
        "merseyside",
        "metropolitan",
        "kent",
    }
    assert lines[-1] == "46 forces: 42 not watched, 4 watched"


def test_the_shipped_config_watches_every_force(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["coverage", "--config", str(ROOT / "config.yaml"), "--db", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 0, result.output
    assert "no archive yet; showing what" in result.output
    assert result.output.splitlines()[-1] == "46 forces: 46 never succeeded"
    assert not (tmp_path / "x.db").exists()  # nothing written before the first run


def test_datasette_serves_the_view_as_monitor_serve_configures_it(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    verdict_archive(path).conn.close()
    ds = Datasette(
        [str(path)],
        metadata=browse.metadata(browse.database_name(path)),
        plugins_dir=str(browse.PLUGINS),
        template_dir=str(browse.TEMPLATES),
        settings={"sql_time_limit_ms": 1000},  # what a published instance allows
    )
    got = asyncio.run(ds.client.get("/archive/coverage.json?_shape=array&_size=max"))
    assert got.status_code == 200, got.text
    assert len(got.json()) == len(forces.FORCES)
    quiet = asyncio.run(ds.client.get("/archive/coverage.json?_shape=array&verdict=quiet+30+days"))
    assert [r["force"] for r in quiet.json()] == ["Essex Police"]


def test_a_listing_whose_selectors_match_nothing_fails_not_quietly_empty(tmp_path: Path) -> None:
    selectors = '{item: "li.news-listing__item", link: "a::attr(href)", title: "h2"}'
    with SiteServer(FIXTURES / "platforms") as site:
        site.routes["/empty.xml"] = lambda h: (200, {}, b"<rss><channel><title>Quiet</title></channel></rss>")  # fmt: skip
        cfg = tmp_path / "config.yaml"
        cfg.write_text(
            f"archive: {tmp_path / 'a.db'}\nsources:\n"
            f"  - {{name: fits, url: '{site.base}/police-scotland.html', type: html,"
            f" force: Police Scotland, fetch_articles: false, selectors: {selectors}}}\n"
            f"  - {{name: redesigned, url: '{site.base}/soh-listing.html', type: html,"
            f" force: Essex Police, fetch_articles: false, selectors: {selectors}}}\n"
            f"  - {{name: quiet-feed, url: '{site.base}/empty.xml'}}\n"
        )
        for _ in range(2):  # the second poll reads the page again: still failing
            monitor("run", "--all", "--config", str(cfg))
    db = Database(tmp_path / "a.db")
    health = {r["id"]: r for r in db.query("SELECT * FROM source_health")}
    assert (health["fits"]["status"], health["fits"]["last_error"]) == ("ok", None)
    assert health["redesigned"]["status"] == "never succeeded"
    assert health["redesigned"]["last_error"] == (
        "listing matched no items: its selectors or preset no longer fit the page"
    )
    assert health["redesigned"]["failed_polls"] == 2 and health["redesigned"]["error_score"] == 2
    assert health["quiet-feed"]["status"] == "ok"  # an empty feed is empty, not broken
    assert verdicts(db)["essex"] == "never succeeded"
    assert db["runs"].get(2)["sources_failed"] == 1
