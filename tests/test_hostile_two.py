"""Round two of the hostile cases (issue 17): one bad host, page or message never stops the watch.

Everything runs on loopback with real servers and the real `monitor run` process; the helpers
come from tests/test_hostile.py. docs/hostile-cases.md maps each case to its test.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlite_utils import Database

from monitor.loopback import SiteServer
from tests.test_hostile import run_monitor
from tests.test_hostile import write_config as config

RSS_ITEM = "<item><title>{title}</title><link>{link}</link><guid>{guid}</guid></item>"


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """A small RSS 2.0 feed of (title, link, guid) items."""
    body = "".join(RSS_ITEM.format(title=t, link=link, guid=g) for t, link, g in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


def feed_route(data: bytes):  # noqa: ANN201 (a SiteServer route)
    return lambda handler: (200, {"Content-Type": "application/rss+xml"}, data)


# --------------------------------------------------------------------------------------------
# Item 1: one slow host cannot starve the cycle
# --------------------------------------------------------------------------------------------


def hanging_world(tmp_path: Path, good: int, pages: int, release: threading.Event):  # noqa: ANN201
    """A police feed whose `pages` candidate pages hang, and `good` feeds on hosts of their own."""
    from contextlib import ExitStack

    stack = ExitStack()
    slow = stack.enter_context(SiteServer(tmp_path, host="127.0.0.50"))
    slow.httpd.handle_error = lambda *args: None  # type: ignore[method-assign]

    def hang(handler: object) -> tuple[int, dict[str, str], bytes]:
        release.wait(120)
        return 200, {"Content-Type": "text/html"}, b"<html><body>late</body></html>"

    items = []
    for i in range(pages):
        slow.routes[f"/news/{i}"] = hang
        items.append((f"County lines raid {i}: drugs seized", f"{slow.base}/news/{i}", f"p{i}"))
    slow.routes["/police.xml"] = feed_route(rss(items))
    sources = {"slow-police": f"{slow.base}/police.xml"}
    for i in range(good):
        site = stack.enter_context(SiteServer(tmp_path, host=f"127.0.1.{i + 1}"))
        site.routes["/feed.xml"] = feed_route(
            rss([(f"Council meeting {i}", f"{site.base}/a/{i}", f"g{i}")])
        )
        sources[f"good-{i}"] = f"{site.base}/feed.xml"
    return stack, sources


def test_one_hanging_host_does_not_starve_the_cycle(tmp_path: Path) -> None:
    """40 candidate pages on a host that never answers; 30 good feeds on other hosts."""
    release = threading.Event()
    stack, sources = hanging_world(tmp_path, good=30, pages=40, release=release)
    cfg = config(tmp_path / "c.yaml", sources, timeout=3, cycle_timeout=10)
    try:
        with stack:
            run = run_monitor("run", "--all", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    finally:
        release.set()
    assert run.returncode == 0, run.stderr
    db = Database(tmp_path / "a.db")
    good = [r for r in db["sources"].rows if r["id"].startswith("good-")]
    assert [r["id"] for r in good if r["status"] != "ok" or r["error_score"]] == []
    assert {r["id"] for r in good if r["last_success_at"]} == {r["id"] for r in good}
    assert db["articles"].count == 30  # each good feed's item; no hung page archived half-read
    slow = db["sources"].get("slow-police")
    assert slow["status"] == "ok" and slow["etag"] is None  # its feed is read again next cycle


def test_a_poll_the_cycle_never_sent_is_kept_but_charges_nobody(archive_db: Database) -> None:
    """A source cut off before it was contacted keeps its health and stays due."""
    from monitor import archive
    from monitor.config import parse
    from monitor.extensions import NOT_REACHED

    archive.sync_sources(archive_db, parse("sources:\n  - name: a\n    url: http://a.test/f\n"))
    before = dict(archive_db["sources"].get("a"))
    run_id = archive.start_run(archive_db, "manual")
    result = {"error": NOT_REACHED, "error_kind": "not_reached", "entries": 0}
    archive.record_poll(archive_db, run_id, "a", result)
    assert dict(archive_db["sources"].get("a")) == before
    assert [p["error"] for p in archive_db["polls"].rows] == [NOT_REACHED]


# --------------------------------------------------------------------------------------------
# Item 5: IPv6 literals and bad ports in entry links
# --------------------------------------------------------------------------------------------


def test_ipv6_links_keep_brackets_and_unparseable_links_are_skipped(tmp_path: Path) -> None:
    with SiteServer(tmp_path) as site:
        site.routes["/feed.xml"] = lambda h: (
            200,
            {"Content-Type": "application/rss+xml", "ETag": '"v1"'},
            rss(
                [
                    ("County lines: six held", "http://[::1]:8/x", "v6"),
                    ("County lines: bad port", "http://127.0.0.1:99999/y", "port"),
                    ("County lines: unclosed", "http://[::1/z", "urn:x:bracket"),
                    ("Council news", f"{site.base}/ok", "ok"),
                ]
            ),
        )
        cfg = config(tmp_path / "c.yaml", {"force": f"{site.base}/feed.xml"})
        run = run_monitor("run", "--all", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    db = Database(tmp_path / "a.db")
    assert sorted(r["url"] for r in db["articles"].rows) == [f"{site.base}/ok", "http://[::1]:8/x"]
    src = db["sources"].get("force")
    assert src["etag"] == '"v1"' and src["status"] == "ok"  # validators stored: no re-download
    skipped = [line for line in run.stderr.splitlines() if "event=entry_skipped" in line]
    assert len(skipped) == 1 and "99999" in skipped[0], run.stderr


def test_canonical_url_keeps_ipv6_brackets_and_rejects_bad_ports() -> None:
    import pytest

    from monitor.dedupe import canonical_url

    assert canonical_url("http://[::1]:8/a") == "http://[::1]:8/a"
    assert canonical_url("https://[2001:DB8::1]:443/a?utm_source=x") == "https://[2001:db8::1]/a"
    for bad in ("http://x.test:99999/a", "http://[::1/a", "http://x.test:ab/"):
        with pytest.raises(ValueError):
            canonical_url(bad)


# --------------------------------------------------------------------------------------------
# Item 4: out-of-range ports in source URLs
# --------------------------------------------------------------------------------------------


def test_a_source_url_with_an_out_of_range_port_is_a_config_error() -> None:
    import pytest

    from monitor.config import ConfigError, parse

    with pytest.raises(ConfigError, match=r"sources\[0\]\.url: .*99999.* not a valid URL"):
        parse("sources:\n  - name: a\n    url: http://a.test:99999/feed.xml\n")


def test_one_source_whose_url_cannot_be_requested_fails_alone(tmp_path: Path) -> None:
    """A stored URL (an adopted redirect) with a port out of range fails that source only."""
    from monitor import archive
    from monitor.config import load

    with SiteServer(tmp_path) as site:
        feeds = {n: f"{site.base}/{n}.xml" for n in ("a-bad", "b", "c")}
        for name in feeds:
            site.routes[f"/{name}.xml"] = feed_route(
                rss([(f"Item {name}", f"{site.base}/{name}", name)])
            )
        cfg = config(tmp_path / "c.yaml", feeds)
        db = archive.open_archive(tmp_path / "a.db")
        archive.sync_sources(db, load(cfg))
        db["sources"].update("a-bad", {"url": "http://127.0.0.1:99999/a.xml", "redirects_seen": 3})
        db.conn.close()
        run = run_monitor("run", "--all", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    assert run.returncode == 0, run.stderr
    db = Database(tmp_path / "a.db")
    assert {r["source_id"] for r in db["articles"].rows} == {"b", "c"}
    bad = db["sources"].get("a-bad")
    assert bad["status"] == "failing" and "99999" in bad["last_error"]
