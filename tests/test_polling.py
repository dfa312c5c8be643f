"""Polling behaviour of real `monitor run` processes against scripted loopback servers."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor.loopback import SiteServer
from tests.conftest import FIXTURES, monitor

ATOM = (FIXTURES / "feeds" / "gov-uk-updated-only.atom").read_bytes()


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer(FIXTURES / "feeds") as server:
        yield server


def write_config(tmp_path: Path, sources: dict[str, str]) -> Path:
    lines = ["sources:"]
    for name, url in sources.items():
        lines += [f"  - name: {name}", f"    url: {url}", "    kind: gov", "    every: 30m"]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(cfg: Path, tmp_path: Path, *extra: str) -> Database:
    monitor("run", "--all", "--config", str(cfg), "--db", str(tmp_path / "a.db"), *extra)
    return Database(tmp_path / "a.db")


def status(code: int, headers: dict[str, str] | None = None, body: bytes = b""):  # noqa: ANN201
    return lambda handler: (code, headers or {}, body)


def test_second_poll_is_conditional_and_a_304_is_a_quiet_success(
    site: SiteServer, tmp_path: Path
) -> None:
    cfg = write_config(tmp_path, {"gov": f"{site.base}/gov-uk-updated-only.atom"})
    db = run(cfg, tmp_path)
    first = db["sources"].get("gov")
    assert first["etag"] and first["status"] == "ok"
    articles = db["articles"].count
    db = run(cfg, tmp_path)
    feed_requests = [h for p, h in site.requests if p.endswith(".atom")]
    assert feed_requests[-1]["if-none-match"] == first["etag"]
    assert feed_requests[-1]["if-modified-since"] == first["last_modified"]
    polls = list(db.query("SELECT http_status, error, entries FROM polls ORDER BY id"))
    assert polls[-1] == {"http_status": 304, "error": None, "entries": 0}
    assert db["articles"].count == articles
    assert db["sources"].get("gov")["status"] == "ok"


def test_429_waits_for_retry_after(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/busy.atom"] = status(429, {"Retry-After": "7200"})
    cfg = write_config(tmp_path, {"busy": f"{site.base}/busy.atom"})
    src = run(cfg, tmp_path)["sources"].get("busy")
    assert src["status"] == "failing" and src["last_error"] == "HTTP 429"
    wait = datetime.fromisoformat(src["next_poll_at"]) - datetime.now(UTC)
    assert wait > timedelta(seconds=7000)
    assert len([p for p, _ in site.requests if p == "/busy.atom"]) == 1  # no instant retry


def test_410_marks_the_source_gone(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/old.atom"] = status(410)
    cfg = write_config(tmp_path, {"old": f"{site.base}/old.atom"})
    src = run(cfg, tmp_path)["sources"].get("old")
    assert (src["status"], src["error_score"]) == ("gone", 1.0)


def test_permanent_redirect_updates_the_stored_url_but_a_temporary_one_does_not(
    site: SiteServer, tmp_path: Path
) -> None:
    site.routes["/moved.atom"] = status(301, {"Location": f"{site.base}/gov-uk-updated-only.atom"})
    site.routes["/away.atom"] = status(302, {"Location": f"{site.base}/gov-uk-updated-only.atom"})
    cfg = write_config(
        tmp_path, {"moved": f"{site.base}/moved.atom", "away": f"{site.base}/away.atom"}
    )
    db = run(cfg, tmp_path)
    assert db["sources"].get("moved")["url"] == f"{site.base}/gov-uk-updated-only.atom"
    assert db["sources"].get("away")["url"] == f"{site.base}/away.atom"
    # the next poll goes straight to the new address
    run(cfg, tmp_path)
    assert [p for p, _ in site.requests].count("/moved.atom") == 1


def test_challenge_page_is_a_failure_not_an_empty_feed(site: SiteServer, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {"walled": f"{site.base}/challenge.html"})
    db = run(cfg, tmp_path)
    src = db["sources"].get("walled")
    assert src["status"] == "failing" and src["last_error"].startswith("NotAFeed: not a feed")
    assert src["last_success_at"] is None


def test_failing_source_backs_off_and_recovers(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/flaky.atom"] = status(500)
    cfg = write_config(tmp_path, {"flaky": f"{site.base}/flaky.atom"})
    db = run(cfg, tmp_path)
    run(cfg, tmp_path)
    src = db["sources"].get("flaky")
    assert src["error_score"] == 1.0  # two transient failures at 0.5
    wait = datetime.fromisoformat(src["next_poll_at"]) - datetime.now(UTC)
    assert wait > timedelta(minutes=50)  # 30m interval stretched by the error score
    del site.routes["/flaky.atom"]
    site.routes["/flaky.atom"] = lambda h: (200, {"Content-Type": "application/atom+xml"}, ATOM)
    src = run(cfg, tmp_path)["sources"].get("flaky")
    assert (src["status"], src["error_score"], src["last_error"]) == ("ok", 0.0, None)


def test_whole_network_outage_is_not_blamed_on_each_source(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path, {"a": "http://127.0.0.1:9/a.atom", "b": "http://127.0.0.1:9/b.atom"}
    )
    db = run(cfg, tmp_path)
    assert {r["error_score"] for r in db["sources"].rows} == {0.0}
    assert db["runs"].get(1)["status"] == "all_failed"


def test_overlapping_run_exits_zero_saying_already_running(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {"a": "http://127.0.0.1:9/a.atom"})
    db = tmp_path / "a.db"
    with open(f"{db}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = monitor("run", "--config", str(cfg), "--db", str(db))
    assert "already running" in proc.stdout
    assert not db.exists()
