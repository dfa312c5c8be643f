"""The command line as a user meets it: output shapes, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database

from monitor import archive
from monitor.cli import cli
from monitor.demo import SITE
from monitor.items import Article, Entry, Figure
from tests.conftest import monitor

SEED_PAGE = (
    SITE / "npcc/releases/record-172-county-lines-closed-in-a-single-week-of-action/index.html"
)
BUS_PAGE = (
    SITE / "echo/news/23049876.three-bus-lines-across-county-axed-timetable-shake-up/index.html"
)


def test_extract_prints_one_json_line_per_input_in_order(runner: CliRunner, tmp_path: Path) -> None:
    text = tmp_path / "note.txt"
    text.write_text("Officers closed twelve county lines and arrested 38 people during the week.")
    result = runner.invoke(cli, ["extract", str(SEED_PAGE), str(BUS_PAGE), str(text)])
    assert result.exit_code == 0, result.output
    seed, bus, note = (json.loads(line) for line in result.output.splitlines())
    assert seed["relevant"] and "county lines" in seed["matched_terms"]
    found = {(f["metric"], f["value"], f["qualifier"]) for f in seed["figures"]}
    assert {
        ("lines_closed", 172, "exact"),
        ("arrests", 1360, "exact"),
        ("drugs_value_gbp", 2700000, "more_than"),
    } <= found
    basic = {"metric", "value", "unit", "qualifier", "scope", "evidence"}
    assert set(seed["figures"][0]) == basic | {"force", "period_start", "period_end", "operation"}
    assert bus == {"relevant": False, "matched_terms": bus["matched_terms"], "figures": []}
    assert {(f["metric"], f["value"]) for f in note["figures"]} >= {
        ("lines_closed", 12),
        ("arrests", 38),
    }


def test_extract_reads_stdin(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["extract", "-"], input="Nearly 100 arrests were made as part of county lines week."
    )
    assert result.exit_code == 0
    (figure,) = json.loads(result.output)["figures"]
    assert (figure["metric"], figure["value"], figure["qualifier"]) == ("arrests", 100, "about")


def test_extract_missing_file_is_a_one_line_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["extract", str(tmp_path / "missing.html")])
    assert result.exit_code == 2
    assert "missing.html': No such file or directory" in result.output


def _archive_with_stale_figures(path: Path) -> None:
    from monitor import config

    db = archive.open_archive(path)
    archive.sync_sources(
        db, config.parse("sources:\n  - name: npcc\n    url: https://e.org/r\n    kind: police\n")
    )
    body = "Police closed 172 county lines and 1,360 people were arrested during the week."
    art = Article(
        Entry("npcc", "https://e.org/a", "https://e.org/a", "Week of action"),
        body=body,
        relevant=True,
        http_status=200,
        matched_terms=["county lines"],
        figures=[Figure("arrests", 1300, "count", evidence="stale rule")],
    )
    archive.save_article(db, art, None, "figures/0")


def test_reextract_rewrites_changed_figures_once(tmp_path: Path) -> None:
    db_path = tmp_path / "a.db"
    _archive_with_stale_figures(db_path)
    first = monitor("reextract", "--db", str(db_path)).stdout
    assert "1 articles checked" in first and "1 changed (1 figures replaced by 2)" in first
    rows = {(r["metric"], r["value"]) for r in Database(db_path)["figures"].rows}
    assert rows == {("lines_closed", 172.0), ("arrests", 1360.0)}
    again = monitor("reextract", "--db", str(db_path)).stdout
    assert "0 changed" in again
    assert Database(db_path)["figures"].count == 2


def test_commands_on_a_missing_archive_say_what_to_do(tmp_path: Path) -> None:
    for command in ("status", "reextract"):
        proc = monitor(command, "--db", str(tmp_path / "none.db"), check=False)
        assert proc.returncode == 1
        assert (
            proc.stderr.strip()
            == f"Error: {tmp_path / 'none.db'}: no archive yet; run `monitor run` first"
        )
        assert not (tmp_path / "none.db").exists()


def test_demo_runs_offline_and_prints_a_summary(tmp_path: Path) -> None:
    proc = monitor("demo", "--db", str(tmp_path / "demo.db"))
    assert "sources polled: 11, sources failed: 0" in proc.stdout
    assert "browse it: monitor serve --db" in proc.stdout
    db = Database(tmp_path / "demo.db")
    assert db["articles"].count == 34 and db["stories"].count >= 7
