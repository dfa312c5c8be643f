"""Round two of the hostile cases (issue 17): one bad host, page or message never stops the watch.

Everything runs on loopback with real servers and the real `monitor run` process; the helpers
come from tests/test_hostile.py. docs/hostile-cases.md maps each case to its test.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor.loopback import SiteServer
from tests.conftest import monitor
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
    from monitor.poll import NOT_REACHED, Poll

    archive.sync_sources(archive_db, parse("sources:\n  - name: a\n    url: http://a.test/f\n"))
    before = dict(archive_db["sources"].get("a"))
    run_id = archive.start_run(archive_db, "manual")
    result = Poll(error=NOT_REACHED, error_kind="not_reached", entries=0)
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
    (poll_line,) = [line for line in run.stderr.splitlines() if "event=poll " in line]
    assert "entries=3" in poll_line and "skipped=1" in poll_line  # the unclosed one: no link


def test_canonical_url_keeps_ipv6_brackets_and_rejects_bad_ports() -> None:
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


# --------------------------------------------------------------------------------------------
# Item 9 (and issue 15 item 2): one lock module, no symlink followed, no holder's pid wiped
# --------------------------------------------------------------------------------------------


def test_a_symlink_at_the_lock_path_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    db = tmp_path / "a.db"
    Path(f"{db}.lock").symlink_to(victim)
    cfg = config(tmp_path / "c.yaml", {"a": "http://127.0.0.1:9/a.xml"})
    run = run_monitor("run", "--config", str(cfg), "--db", str(db))
    assert run.returncode != 0
    assert "a.db.lock" in run.stdout + run.stderr and "Traceback" not in run.stderr
    assert victim.read_text() == "precious"


def test_the_archiver_lock_keeps_the_holders_pid_and_follows_no_symlink(tmp_path: Path) -> None:
    import os

    from monitor.distributed.archiver import ArchiverRunning, archiver_lock
    from monitor.errors import ArchiveError

    db = tmp_path / "a.db"
    with archiver_lock(db):
        with pytest.raises(ArchiverRunning, match="another archiver"), archiver_lock(db):
            pass
        assert Path(f"{db}.archiver.lock").read_text() == str(os.getpid())
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    other = tmp_path / "b.db"
    Path(f"{other}.archiver.lock").symlink_to(victim)
    with pytest.raises(ArchiveError, match="cannot open"), archiver_lock(other):
        pass
    assert victim.read_text() == "precious"


def test_the_backfill_takes_the_cycles_lock_only_between_cycles_and_follows_no_symlink(
    tmp_path: Path,
) -> None:
    from monitor.errors import ArchiveError
    from monitor.lock import LiveLock, Locked, hold

    db = tmp_path / "a.db"
    backfill = LiveLock(db)
    with hold(db, ".lock", "a cycle is running"):
        assert backfill.try_take() is False  # the live cycle has it: the backfill waits
    assert backfill.try_take() is True
    with pytest.raises(Locked, match="a cycle is running"), hold(db, ".lock", "a cycle is running"):
        pass  # and while the backfill writes, a cycle is told so
    backfill.release()
    with hold(db, ".lock", "a cycle is running"):
        pass
    backfill.close()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    other = tmp_path / "b.db"
    Path(f"{other}.lock").symlink_to(victim)
    with pytest.raises(ArchiveError, match="cannot open"):
        LiveLock(other).try_take()
    assert victim.read_text() == "precious"


# --------------------------------------------------------------------------------------------
# Item 8: SIGHUP, and a cycle never outlives its daemon
# --------------------------------------------------------------------------------------------


def test_sighup_reloads_the_daemon_and_a_killed_daemon_takes_its_cycle_along(
    tmp_path: Path,
) -> None:
    import os
    import signal

    from tests.test_daemon import eventually, query, start_daemon, stop

    release = threading.Event()
    with SiteServer(tmp_path) as site:
        site.httpd.handle_error = lambda *args: None  # type: ignore[method-assign]
        site.routes["/quick.xml"] = feed_route(rss([("Council news", f"{site.base}/a", "a")]))
        site.routes["/hang.xml"] = lambda h: (release.wait(60), (200, {}, b""))[1]
        sources = {"quick": f"{site.base}/quick.xml"}
        cfg = config(tmp_path / "c.yaml", sources, archive=tmp_path / "a.db", timeout=60)
        db = tmp_path / "a.db"
        proc = start_daemon(cfg, tick=1)
        try:
            eventually(lambda: query(db, "SELECT 1 FROM runs WHERE finished_at IS NOT NULL"))
            proc.send_signal(signal.SIGHUP)
            eventually(lambda: proc.poll() is not None or _children(proc.pid) == [])
            assert proc.poll() is None, "SIGHUP killed the daemon"
        finally:
            _, err = stop(proc, within=5)
        assert proc.returncode == 0, err
        assert "event=reload_requested signal=SIGHUP" in err
        # a daemon killed mid-cycle: its cycle gets SIGTERM from the kernel and ends
        config(tmp_path / "c.yaml", {"hang": f"{site.base}/hang.xml"}, archive=db, timeout=60)
        proc = start_daemon(cfg, tick=1)
        try:
            eventually(lambda: len(_children(proc.pid)) == 1)
            (child,) = _children(proc.pid)
            proc.kill()
            proc.wait(10)
            eventually(lambda: not _alive(child))
        finally:
            release.set()
            for pid in _children(proc.pid):
                os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    """Live child processes of `pid` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --------------------------------------------------------------------------------------------
# Item 9: huge titles, bidi overrides and zero-width characters
# --------------------------------------------------------------------------------------------


def test_titles_and_summaries_are_capped_and_lose_invisible_controls(tmp_path: Path) -> None:
    huge = "County lines " + "drugs " * (4 * 1024 * 1024 // 6)  # a 4 MiB headline
    reversed_ = "\u202edeggaj sdrawkcab\u202c County lines arrests"
    zero_width = "Coun\u200bty li\u200dnes: \ufefffour held\u2066"
    items = [(huge, "{base}/a", "a"), (reversed_, "{base}/b", "b"), (zero_width, "{base}/c", "c")]
    with SiteServer(tmp_path) as site:
        feed = rss([(t, u.format(base=site.base), g) for t, u, g in items])
        feed = feed.replace(
            b"</guid></item>",
            b"</guid><description>" + b"x " * 200_000 + b"</description></item>",
            1,
        )
        site.routes["/feed.xml"] = feed_route(feed)
        cfg = config(tmp_path / "c.yaml", {"force": f"{site.base}/feed.xml"})
        run = run_monitor("run", "--all", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    assert run.returncode == 0, run.stderr
    rows = {r["url"][-1]: r for r in Database(tmp_path / "a.db")["articles"].rows}
    assert len(rows["a"]["title"]) <= 501 and rows["a"]["title"].startswith("County lines drugs")
    assert len(rows["a"]["summary"]) <= 5001
    assert rows["b"]["title"] == "deggaj sdrawkcab County lines arrests"
    assert rows["c"]["title"] == "County lines: four held"


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("sources:\n  - name: a\n    url: http://a.test/f\n    every: 9999999d\n", "366 day"),
        (
            "sources:\n  - name: a\n    url: http://a.test/f\n    every: " + "9" * 30 + "\n",
            "366 day",
        ),
        ("sources: " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
        ("a: " + "{b: " * 20_000 + "1" + "}" * 20_000 + "\nsources: []\n", "nested too deeply"),
    ],
    ids=["9999999d", "30-digits", "deep-list", "deep-map"],
)
def test_absurd_intervals_and_deep_yaml_are_one_line(
    tmp_path: Path, text: str, expect: str
) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    proc = monitor("run", "--config", str(cfg), "--db", str(tmp_path / "a.db"), check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"Error: {cfg}:") and expect in line


def test_status_on_a_corrupted_archive_is_one_line(tmp_path: Path) -> None:
    from monitor import archive

    db_path = tmp_path / "a.db"
    db = archive.open_archive(db_path)
    (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sources'").fetchone()
    page = db.execute("PRAGMA page_size").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    with open(db_path, "r+b") as handle:  # the sources table's page is garbage; the rest is fine
        handle.seek((root - 1) * page)
        handle.write(b"\xff" * 100)
    proc = monitor("status", "--db", str(db_path), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip()
        == f"Error: {db_path}: cannot read archive: database disk image is malformed"
    )


# --------------------------------------------------------------------------------------------
# Item 10: TLS certificates are verified; a source's opt-out is recorded and shown
# --------------------------------------------------------------------------------------------


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (no CA anywhere trusts it)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_an_unverifiable_certificate_fails_the_poll_unless_the_source_opts_out(
    tmp_path: Path,
) -> None:
    import ssl

    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    urls = {}
    with SiteServer(tmp_path) as checked_site, SiteServer(tmp_path) as lax_site:
        for name, site in (("checked", checked_site), ("opted-out", lax_site)):
            site.httpd.socket = context.wrap_socket(site.httpd.socket, server_side=True)
            site.httpd.handle_error = lambda *args: None  # type: ignore[method-assign]
            base = site.base.replace("http://", "https://")
            site.routes["/feed.xml"] = feed_route(rss([(f"News {name}", f"{base}/{name}", name)]))
            urls[name] = f"{base}/feed.xml"
        cfg = tmp_path / "c.yaml"
        cfg.write_text(
            "sources:\n"
            f"  - name: checked\n    url: {urls['checked']}\n    kind: police\n"
            f"  - name: opted-out\n    url: {urls['opted-out']}\n    kind: police\n"
            "    tls_verify: false\n"
        )
        db_path = tmp_path / "a.db"
        run = run_monitor("run", "--all", "--config", str(cfg), "--db", str(db_path))
        assert run.returncode == 0, run.stderr
    db = Database(db_path)
    checked = db["sources"].get("checked")
    assert checked["status"] == "failing" and checked["error_score"] == 1.0
    assert checked["last_error"].startswith("TLS: certificate verify failed")
    assert [r["source_id"] for r in db["articles"].rows] == ["opted-out"]
    health = {r["id"]: r["tls_verify"] for r in db["source_health"].rows}
    assert health == {"checked": 1, "opted-out": 0}


# --------------------------------------------------------------------------------------------
# Item 9: a killed run's counters come from the tables
# --------------------------------------------------------------------------------------------


def test_a_killed_runs_counters_are_taken_from_the_tables(tmp_path: Path) -> None:
    """The process died before flushing its counters; the next run closes it with the truth."""
    from monitor import archive
    from monitor.items import Article, Entry

    db_path = tmp_path / "a.db"
    db = archive.open_archive(db_path)
    cfg = config(tmp_path / "c.yaml", {"a": "http://127.0.0.1:9/a.xml"})
    from monitor.config import load

    archive.sync_sources(db, load(cfg))
    killed = archive.start_run(db, "cron")
    for i in range(7):
        url = f"https://example.org/{i}"
        art = Article(entry=Entry("a", url, url, f"County lines {i}"), body="", relevant=False)
        archive.save_article(db, art, killed, "test")
    db.conn.close()  # as if kill -9: the run is left `running` with zero counters
    run_monitor("run", "--all", "--config", str(cfg), "--db", str(db_path))
    row = Database(db_path)["runs"].get(killed)
    assert (row["status"], row["articles_new"]) == ("killed", 7)


# --------------------------------------------------------------------------------------------
# Item 2 (the budget part): extraction cannot hold the download thread past its budget
# --------------------------------------------------------------------------------------------


def test_a_pathological_page_costs_its_figures_not_the_cycle(tmp_path: Path) -> None:
    """A 1 MiB release of money-heavy prose (quadratic for the figure rules) and a good feed."""
    prose = "".join(f"cash worth £{i % 97 + 1}.5 million seized and " for i in range(29_000))
    page = f"<html><body><article><h1>County lines</h1><p>{prose}</p></article></body></html>"
    with SiteServer(tmp_path) as slow, SiteServer(tmp_path, host="127.0.1.1") as good:
        slow.routes["/release"] = lambda h: (200, {"Content-Type": "text/html"}, page.encode())
        slow.routes["/feed.xml"] = feed_route(
            rss([("County lines: drugs seized", f"{slow.base}/release", "r")])
        )
        good.routes["/feed.xml"] = feed_route(rss([("Council news", f"{good.base}/a", "a")]))
        sources = {"heavy": f"{slow.base}/feed.xml", "good": f"{good.base}/feed.xml"}
        cfg = config(tmp_path / "c.yaml", sources, timeout=5, cycle_timeout=20)
        # a hang guard, not a speed check: without the budget this cycle runs for hours
        monitor("run", "--all", "--config", str(cfg), "--db", str(tmp_path / "a.db"), timeout=120)
    db = Database(tmp_path / "a.db")
    assert {r["source_id"] for r in db["articles"].rows} == {"heavy", "good"}
    assert db["sources"].get("good")["status"] == "ok"
    assert db["runs"].get(1)["status"] == "ok"


def test_the_fetch_gate_holds_one_per_host_and_nothing_past_the_deadline() -> None:
    """The gate on its own: a hung host takes one slot; after the deadline nothing starts."""
    import asyncio
    import time

    from monitor.fetchgate import FetchGate, NotReached

    async def scenario() -> tuple[list[str], list[str]]:
        gate = FetchGate(deadline=time.monotonic() + 0.5, per_host=1, total=4)
        started: list[str] = []
        hung = asyncio.Event()

        async def fetch(url: str) -> str:
            started.append(url)
            if "hung" in url:
                await hung.wait()  # never set: only the deadline ends it
            return url

        urls = [f"http://hung.test/{i}" for i in range(5)] + [
            "http://ok.test/a",
            "http://ok.test/b",
        ]
        results = await asyncio.gather(
            *(gate.fetch(u, lambda u=u: fetch(u)) for u in urls), return_exceptions=True
        )
        after = await asyncio.gather(
            gate.fetch("http://ok.test/c", lambda: fetch("c")), return_exceptions=True
        )
        done = [r for r in results if isinstance(r, str)]
        assert all(isinstance(r, NotReached) for r in results if not isinstance(r, str))
        assert isinstance(after[0], NotReached)
        return started, done

    started, done = asyncio.run(scenario())
    assert [u for u in started if "hung" in u] == ["http://hung.test/0"]  # one slot per host
    assert done == ["http://ok.test/a", "http://ok.test/b"]  # other hosts were not held up
    assert "c" not in started
