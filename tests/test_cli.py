"""The command line as a user meets it: output shapes, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database

from monitor import archive
from monitor.cli import cli
from monitor.demo import SITE
from monitor.items import Article, Entry, Figure
from monitor.loopback import SiteServer
from tests.conftest import ROOT, hanging_route, monitor
from tests.test_polling import rss, status, write_config

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
    assert [seed["file"], bus["file"], note["file"]] == [str(SEED_PAGE), str(BUS_PAGE), str(text)]
    assert seed["relevant"] and "county lines" in seed["matched_terms"]
    found = {(f["metric"], f["value"], f["qualifier"]) for f in seed["figures"]}
    assert {
        ("lines_closed", 172, "exact"),
        ("arrests", 1360, "exact"),
        ("drugs_value_gbp", 2700000, "more_than"),
    } <= found
    basic = {"metric", "value", "unit", "qualifier", "scope", "evidence"}
    assert set(seed["figures"][0]) == basic | {"force", "period_start", "period_end", "operation"}
    assert bus == {
        "file": str(BUS_PAGE),
        "relevant": False,
        "matched_terms": bus["matched_terms"],
        "figures": [],
    }
    assert {(f["metric"], f["value"]) for f in note["figures"]} >= {
        ("lines_closed", 12),
        ("arrests", 38),
    }


def test_extract_reads_stdin(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["extract", "-"], input="Nearly 100 arrests were made as part of county lines week."
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["file"] == "-"
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


# --- what `monitor run` and `monitor status` tell a person -------------------------------------

OFFLINE = {  # refused on loopback and names that never resolve: a machine without a network
    "refused-a": "http://127.0.0.1:1/a.xml",
    "refused-b": "http://127.0.0.2:1/b.xml",
    "unresolved-c": "http://feeds.example.invalid/c.xml",
    "unresolved-d": "http://news.example.invalid/d.xml",
}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_run_without_network_prints_one_line_per_source_and_a_next_step(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, OFFLINE)
    proc = monitor("run", "--all", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    err = proc.stderr.splitlines()
    for name in OFFLINE:
        assert sum(f"source={name} " in line for line in err) == 1, proc.stderr
    assert len(err) <= len(OFFLINE) + 2, proc.stderr  # + run_start and the outage line
    assert "Gave up retrying" not in proc.stderr and "Error downloading" not in proc.stderr
    assert "Traceback" not in proc.stderr
    out = proc.stdout.splitlines()
    assert out[0].startswith("run 1 all_failed: sources polled: 4, sources failed: 4")
    assert out[-1].startswith("next: no source answered") and "`monitor demo`" in out[-1]


def test_verbose_run_shows_scrapys_own_log(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {"refused-a": OFFLINE["refused-a"]})
    proc = monitor("run", "--all", "-v", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    assert "scrapy" in proc.stderr.lower() and "Error downloading" in proc.stderr
    assert "Versions:" in proc.stderr and "Twisted" in proc.stderr  # read only when shown


def test_run_on_a_terminal_draws_progress_and_one_line_per_failing_source(
    tmp_path: Path,
) -> None:
    cfg = write_config(tmp_path, OFFLINE)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--all", "--config", str(cfg)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"},
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    )
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        screen += chunk
    out, _ = proc.communicate(timeout=120)
    os.close(leader)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode("utf-8", "replace"))
    assert proc.returncode == 0
    assert re.search(r"polling .* \d+/4 sources · 0 articles fetched · 0 relevant", text), text
    failing = [line for line in text.replace("\r", "\n").splitlines() if line.startswith("✗ ")]
    assert sorted(line.split(":")[0] for line in failing) == [f"✗ {n}" for n in sorted(OFFLINE)]
    assert "event=poll" not in text  # key=value lines are for logs, not for a person
    assert out.startswith("run 1 all_failed")


def test_nothing_due_records_no_run_and_says_when_the_next_poll_is(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {"refused-a": OFFLINE["refused-a"]})
    db = tmp_path / "a.db"
    monitor("run", "--config", str(cfg), "--db", str(db))
    again = monitor("run", "--config", str(cfg), "--db", str(db))
    assert re.fullmatch(
        r"nothing due; next poll at (\w{3} \d\d \w{3} )?\d\d:\d\d \(refused-a\)\n", again.stdout
    ), again.stdout
    assert Database(db)["runs"].count == 1


def test_ctrl_c_says_at_once_it_is_stopping_and_exits_130(tmp_path: Path) -> None:
    release = threading.Event()
    with SiteServer(tmp_path) as site:
        site.routes["/hang.xml"] = hanging_route(release)
        site.routes["/quick.xml"] = status(200, {}, rss(site.base, 3))
        sources = {"quick": f"{site.base}/quick.xml", "hang": f"{site.base}/hang.xml"}
        cfg = write_config(tmp_path, sources, "timeout: 60")
        proc = _run("--all", "--config", str(cfg), env={"MONITOR_PROGRESS_SECONDS": "0.2"})
        try:
            assert proc.stderr is not None
            lines = iter(proc.stderr.readline, "")
            progress = next(line for line in lines if "event=progress" in line)
            proc.send_signal(signal.SIGINT)
            said = next(line for line in lines if "stopping" in line)
            assert not release.is_set()  # said while a poll still hangs, not at the cycle's end
        finally:
            release.set()
            out, _ = proc.communicate(timeout=60)
    assert "sources_total=2" in progress and "relevant=" in progress
    assert said.strip() == "stopping after the current writes (Ctrl-C again to stop at once)"
    assert proc.returncode == 130
    assert "interrupted" in out.splitlines()[0]


def test_status_fits_the_terminal_and_offers_json(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, OFFLINE)
    db = tmp_path / "a.db"
    monitor("run", "--all", "--config", str(cfg), "--db", str(db))
    narrow = subprocess.run(
        [sys.executable, "-m", "monitor", "status", "--db", str(db)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert max(len(line) for line in narrow.splitlines()) <= 80, narrow
    assert "refused-a" in narrow and "Connection was refused" in narrow
    assert "next: no source answered" in narrow
    found = json.loads(monitor("status", "--json", "--db", str(db)).stdout)
    assert {s["id"] for s in found["sources"]} == set(OFFLINE)
    assert found["runs"][0]["status"] == "all_failed"
    assert all(s["last_error"] for s in found["sources"])  # whole, not cut


def test_status_on_a_damaged_archive_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    archive.open_archive(db).conn.close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sources'").fetchone()
    conn.close()
    data = bytearray(db.read_bytes())
    data[(root - 1) * 4096 : root * 4096] = b"\xde\xad" * 2048
    db.write_bytes(bytes(data))
    proc = monitor("status", "--db", str(db), check=False)
    assert proc.returncode == 1
    assert (
        proc.stderr.strip() == f"Error: {db}: cannot read archive: database disk image is malformed"
    )


def test_a_foreign_database_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    cfg = write_config(tmp_path, {"refused-a": OFFLINE["refused-a"]})
    for command in (["run", "--all", "--config", str(cfg)], ["status"]):
        proc = monitor(*command, "--db", str(other), check=False)
        assert proc.returncode == 1
        assert proc.stderr.strip() == (
            f"Error: {other}: not a monitor archive (it holds tables notes); "
            "point --db at a new file"
        )
    assert other.read_bytes() == before
    assert not Path(f"{other}-wal").exists()


def test_an_archive_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    archive.open_archive(db).conn.close()
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('monitor', 'm999_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    cfg = write_config(tmp_path, {"refused-a": OFFLINE["refused-a"]})
    proc = monitor("run", "--all", "--config", str(cfg), "--db", str(db), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"Error: {db}: written by a newer version of the monitor (migration "
        "m999_from_the_future is unknown here); upgrade county-lines-monitor before using "
        "this archive"
    )
    assert Database(db)["runs"].count == 0


def test_shell_completion_is_what_the_readme_says(runner: CliRunner) -> None:
    script = runner.invoke(cli, [], prog_name="monitor", env={"_MONITOR_COMPLETE": "bash_source"})
    assert "_monitor_completion" in script.output
    words = runner.invoke(
        cli,
        [],
        prog_name="monitor",
        env={"_MONITOR_COMPLETE": "bash_complete", "COMP_WORDS": "monitor sta", "COMP_CWORD": "1"},
    )
    assert "plain,status" in words.output.splitlines()


def test_a_good_run_and_status_end_with_how_to_browse(tmp_path: Path) -> None:
    with SiteServer(tmp_path) as site:
        site.routes["/quick.xml"] = status(200, {}, rss(site.base, 3))
        cfg = write_config(tmp_path, {"quick": f"{site.base}/quick.xml"})
        db = tmp_path / "a.db"
        proc = monitor("run", "--all", "--config", str(cfg), "--db", str(db))
    browse = f"next: browse the archive with `monitor serve --db {db}`"
    assert proc.stdout.splitlines()[0].startswith("run 1 ok: sources polled: 1, sources failed: 0")
    assert proc.stdout.splitlines()[-1] == browse
    wide = monitor("status", "--db", str(db)).stdout
    assert wide.splitlines()[-1] == browse
