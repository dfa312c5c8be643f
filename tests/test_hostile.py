"""Hostile feeds and servers: nothing read that should not be, every cap holds.

Everything runs on loopback. The site under test is a configured source on 127.0.0.1; a canary
server on 127.0.0.2 and a "sidecar" on another port of 127.0.0.1 stand for internal services and
must never see a connection; a canary file must never be opened (an audit hook in the real
`monitor run` process watches every open()). The case numbers refer to
../shared/research/reliability.md; docs/hostile-cases.md maps all 37.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import brotli
import pytest
from sqlite_utils import Database

from monitor import feeds, guard, text
from monitor.loopback import SiteServer
from tests.conftest import FIXTURES, ROOT

HOSTILE = FIXTURES / "hostile"
SECRET = "CANARY-SECRET-7f3a9c"
MIB = 1024 * 1024


# --------------------------------------------------------------------------------------------
# Servers, canaries and the real `monitor` process
# --------------------------------------------------------------------------------------------


class Canary(SiteServer):
    """An internal service: answers anything with the secret, and records every TCP connection."""

    def __init__(self, root: Path, host: str) -> None:
        super().__init__(root, host=host)
        self.connections: list[tuple[str, int]] = []

        def verify(request: object, client_address: tuple[str, int]) -> bool:
            self.connections.append(client_address)
            return True

        self.httpd.verify_request = verify  # type: ignore[method-assign]
        self.routes = _Everything(SECRET.encode())

    @property
    def contacted(self) -> list[object]:
        return [*self.connections, *self.requests]


class _Everything(dict):  # type: ignore[type-arg]
    """A routes table that answers every path."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str):  # noqa: ANN204
        return lambda handler: (200, {"Content-Type": "application/rss+xml"}, self.body)


@dataclass
class World:
    site: SiteServer
    canary: Canary
    sidecar: Canary
    canary_file: Path
    audit_log: Path
    tmp: Path
    subs: dict[str, str] = field(default_factory=dict)


@contextmanager
def make_world(tmp_path: Path) -> Iterator[World]:
    empty = tmp_path / "empty"
    empty.mkdir()
    secret_dir = tmp_path / "secret"
    secret_dir.mkdir()
    canary_file = secret_dir / "canary.txt"
    canary_file.write_text(SECRET)
    with (
        Canary(empty, "127.0.0.2") as canary,
        Canary(empty, "127.0.0.1") as sidecar,
    ):
        subs = {
            "{{CANARY}}": canary.base,
            "{{CANARY_PORT}}": str(canary.httpd.server_address[1]),
            "{{SIDECAR}}": sidecar.base,
            "{{SIDECAR_PORT}}": str(sidecar.httpd.server_address[1]),
            "{{CANARY_FILE}}": str(canary_file),
            "{{CANARY_DIR}}": str(secret_dir),
        }
        root = tmp_path / "site"
        shutil.copytree(HOSTILE, root)
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for key, value in subs.items():
                    data = data.replace(key.encode(), value.encode())
                path.write_bytes(data)
        with SiteServer(root) as site:
            yield World(site, canary, sidecar, canary_file, tmp_path / "audit.log", tmp_path, subs)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path) as made:
        yield made


# The real CLI, with an audit hook that logs any open() of the canary; peak RSS from wait4().
_AUDITED = """
import runpy, sys
canary, log_path = sys.argv[1], sys.argv[2]
log = open(log_path, "a")
def hook(event, args):
    if event in ("open", "os.open") and args and canary in str(args[0]):
        log.write(f"{event} {args[0]}\\n"); log.flush()
sys.addaudithook(hook)
sys.argv = ["monitor", *sys.argv[3:]]
runpy.run_module("monitor", run_name="__main__")
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_mb: float
    seconds: float


def run_monitor(*args: str, canary: Path | None = None, audit: Path | None = None) -> Run:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if canary is not None and audit is not None:
        cmd = [sys.executable, "-c", _AUDITED, str(canary), str(audit), *args]
    else:
        cmd = [sys.executable, "-m", "monitor", *args]
    start = time.monotonic()
    with (
        subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env
        ) as proc,
    ):
        stdout_chunks: list[bytes] = []
        stderr_chunks: list[bytes] = []
        readers = [
            threading.Thread(target=lambda: stdout_chunks.append(proc.stdout.read())),  # type: ignore[union-attr]
            threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read())),  # type: ignore[union-attr]
        ]
        for t in readers:
            t.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        for t in readers:
            t.join(10)
    return Run(
        proc.returncode,
        b"".join(stdout_chunks).decode(errors="replace"),
        b"".join(stderr_chunks).decode(errors="replace"),
        usage.ru_maxrss / 1024,
        time.monotonic() - start,
    )


def write_config(path: Path, sources: dict[str, str], **top: object) -> Path:
    lines = [f"{k}: {v}" for k, v in top.items()] + ["sources:"]
    for name, url in sources.items():
        lines += [f"  - name: {name}", f"    url: {url}", "    kind: police", "    every: 30m"]
    path.write_text("\n".join(lines) + "\n")
    return path


def redirect(location: str, code: int = 302) -> Callable[..., tuple[int, dict[str, str], bytes]]:
    return lambda handler: (code, {"Location": location}, b"")


def body(data: bytes, ctype: str = "application/rss+xml", **headers: str):  # noqa: ANN201
    return lambda handler: (200, {"Content-Type": ctype, **headers}, data)


def dump(db: Database) -> str:
    return "\n".join(db.conn.iterdump())


# --------------------------------------------------------------------------------------------
# SSRF, file reads, redirects: one real run over every hostile source (cases 3-5, 11, 17-19)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, Database, Run]]:
    with make_world(tmp_path_factory.mktemp("hostile")) as world:
        yield _hostile_run(world)


def _hostile_run(world: World) -> tuple[World, Database, Run]:
    site, canary, sidecar = world.site, world.canary, world.sidecar
    routes = site.routes
    routes["/go/internal"] = redirect(f"{canary.base}/hop")
    routes["/redirect/internal"] = redirect(f"{canary.base}/feed.xml")
    routes["/redirect/internal-301"] = redirect(f"{sidecar.base}/feed.xml", 301)
    routes["/redirect/by-name"] = redirect(
        f"http://localhost:{sidecar.httpd.server_address[1]}/feed.xml"
    )
    routes["/redirect/file"] = redirect(f"file://{world.canary_file}")
    routes["/redirect/file-host"] = redirect(f"file://police.test{world.canary_file}")
    routes["/redirect/data"] = redirect("data:application/rss+xml;base64,PHJzcz48L3Jzcz4=")
    routes["/redirect/gopher"] = redirect(f"gopher://127.0.0.2:{world.subs['{{CANARY_PORT}}']}/_x")
    for i in range(30):
        routes[f"/chain/{i}"] = redirect(f"{site.base}/chain/{i + 1}")
    routes["/loop"] = redirect(f"{site.base}/loop")
    routes["/body-is-path"] = body(str(world.canary_file).encode())
    routes["/body-is-url"] = body(f"{canary.base}/x".encode())
    b = site.base
    sources = {
        "links": f"{b}/links.xml",
        "xxe": f"{b}/xxe.xml",
        "dtd": f"{b}/external-dtd.xml",
        "to-internal": f"{b}/redirect/internal",
        "to-sidecar-301": f"{b}/redirect/internal-301",
        "to-by-name": f"{b}/redirect/by-name",
        "to-file": f"{b}/redirect/file",
        "to-file-host": f"{b}/redirect/file-host",
        "to-data": f"{b}/redirect/data",
        "to-gopher": f"{b}/redirect/gopher",
        "chain": f"{b}/chain/0",
        "loop": f"{b}/loop",
        "meta": f"{b}/meta-refresh.html",
        "meta-file": f"{b}/meta-refresh-file.html",
        "body-is-path": f"{b}/body-is-path",
        "body-is-url": f"{b}/body-is-url",
        "good": f"{b}/good.xml",
    }
    cfg = write_config(world.tmp / "config.yaml", sources)
    db_path = world.tmp / "a.db"
    run = run_monitor(
        "run",
        "--all",
        "--config",
        str(cfg),
        "--db",
        str(db_path),
        canary=world.canary_file,
        audit=world.audit_log,
    )
    assert run.returncode == 0, run.stderr
    return world, Database(db_path), run


def test_no_internal_address_is_contacted_and_no_canary_is_read(
    hostile_run: tuple[World, Database, Run],
) -> None:
    world, db, run = hostile_run
    assert world.canary.contacted == []
    assert world.sidecar.contacted == []
    assert not world.audit_log.exists() or world.audit_log.read_text() == ""
    assert SECRET not in dump(db)
    # the positive control: the source's own article page was fetched and archived
    ok = next(db["articles"].rows_where("url = ?", [f"{world.site.base}/articles/ok.html"]))
    assert ok["http_status"] == 200 and "Shrewsbury" in ok["body"]
    assert "event=blocked" in run.stderr


def test_feed_links_to_internal_hosts_are_archived_but_never_fetched(
    hostile_run: tuple[World, Database, Run],
) -> None:
    world, db, _ = hostile_run
    rows = {r["url"].rsplit("/", 1)[1]: r for r in db["articles"].rows_where("source_id = 'links'")}
    # kept from the feed, but the page was never fetched: no status, no body from the page
    for name in ("admin", "metadata", "by-name", "decimal", "internal"):
        assert rows[name]["http_status"] is None, name
    assert rows["ok.html"]["http_status"] == 200
    # links that are not http(s) after xml:base resolution are no articles at all
    assert len(rows) == 6
    assert all(r["url"].startswith("http://") for r in db["articles"].rows)
    # the redirect hop was followed as far as the source's own host, then refused
    assert tuple(p for p, _ in world.site.requests if p == "/go/internal") == ("/go/internal",)


def test_redirects_to_internal_hosts_or_other_schemes_fail_the_poll(
    hostile_run: tuple[World, Database, Run],
) -> None:
    _, db, _ = hostile_run
    src = {r["id"]: r for r in db["sources"].rows}
    for name in ("to-internal", "to-sidecar-301", "to-by-name"):
        assert "blocked" in src[name]["last_error"], (name, src[name]["last_error"])
        assert src[name]["last_success_at"] is None
    assert src["to-sidecar-301"]["url"].endswith("/redirect/internal-301")  # not stored
    for name in ("to-file", "to-file-host", "to-data", "to-gopher"):
        assert src[name]["last_error"], name
        assert src[name]["last_success_at"] is None
    assert src["good"]["last_error"] is None and src["good"]["status"] == "ok"


def test_redirect_chain_and_loop_stop_at_the_cap(hostile_run: tuple[World, Database, Run]) -> None:
    world, db, _ = hostile_run
    chain = [int(p.rsplit("/", 1)[1]) for p, _ in world.site.requests if p.startswith("/chain/")]
    assert max(chain) == 5  # REDIRECT_MAX_TIMES = 5
    assert len([p for p, _ in world.site.requests if p == "/loop"]) <= 6
    src = {r["id"]: r for r in db["sources"].rows}
    assert src["chain"]["last_error"] and src["loop"]["last_error"]


def test_meta_refresh_is_not_followed_and_is_not_a_feed(
    hostile_run: tuple[World, Database, Run],
) -> None:
    _, db, _ = hostile_run
    for name in ("meta", "meta-file"):
        assert db["sources"].get(name)["last_error"].startswith("NotAFeed"), name


def test_xxe_and_external_dtd_are_not_resolved(hostile_run: tuple[World, Database, Run]) -> None:
    world, db, _ = hostile_run
    assert world.canary.contacted == []
    titles = [r["title"] for r in db["articles"].rows_where("source_id in ('xxe', 'dtd')")]
    assert titles and not any(SECRET in t for t in titles)


def test_a_body_that_is_a_path_or_url_is_not_opened(
    hostile_run: tuple[World, Database, Run],
) -> None:
    world, db, _ = hostile_run
    for name in ("body-is-path", "body-is-url"):
        assert db["sources"].get(name)["last_error"].startswith("NotAFeed"), name
    assert world.canary.contacted == []


# --------------------------------------------------------------------------------------------
# The guard itself: address classes, ports, DNS rebinding (case 18), with a fake resolver
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2a00:1450:4009:81a::200e", True),
        ("127.0.0.2", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert guard.is_public(ipaddress.ip_address(address)) is public


def check(policy: guard.Policy, url: str) -> str | None:
    try:
        asyncio.run(policy.check(url))
    except guard.BlockedRequest as exc:
        return str(exc)
    return None


def test_configured_host_port_is_trusted_but_not_its_other_ports() -> None:
    async def no_dns(host: str) -> str:
        raise AssertionError("literal addresses need no lookup")

    policy = guard.Policy(guard.allowed_hosts(["http://127.0.0.1:8080/feed.xml"]), no_dns)
    assert check(policy, "http://127.0.0.1:8080/article") is None
    assert "not a public address" in check(policy, "http://127.0.0.1:8081/admin")
    assert "not a public address" in check(policy, "http://[::1]:8080/")
    assert "scheme 'file'" in check(policy, "file:///etc/passwd")
    assert "scheme 'gopher'" in check(policy, "gopher://127.0.0.1:8080/")
    assert guard.allowed_hosts(["https://Police.UK/x", "http://a.test:81/"]) == [
        "a.test:81",
        "police.uk:443",
    ]


def test_dns_rebinding_is_caught_at_every_hop_and_on_the_peer() -> None:
    answers = iter(["93.184.216.34", "127.0.0.1", "169.254.169.254"])

    async def rebinding(host: str) -> str:
        return next(answers)

    policy = guard.Policy([], rebinding)
    assert check(policy, "http://news.example/feed") is None  # first lookup: public
    assert "127.0.0.1" in check(policy, "http://news.example/next-hop")  # rebound
    assert "169.254.169.254" in check(policy, "http://other.example/")
    # and if the connection still reached a private peer, its response is refused
    with pytest.raises(guard.BlockedRequest):
        policy.check_peer("http://news.example/feed", ipaddress.ip_address("10.1.2.3"))
    policy.check_peer("http://news.example/feed", ipaddress.ip_address("93.184.216.34"))


def test_a_name_that_resolves_to_a_configured_address_and_port_is_trusted() -> None:
    async def localhost(host: str) -> str:
        return "127.0.0.1"

    policy = guard.Policy(["127.0.0.1:8080"], localhost)
    assert check(policy, "http://localhost:8080/a") is None
    assert check(policy, "http://localhost:9999/a") is not None


# --------------------------------------------------------------------------------------------
# Hostile XML through feeds.parse (cases 1, 2, 6, 7, 8, 9, 10)
# --------------------------------------------------------------------------------------------


def laughs(levels: int = 10) -> bytes:
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(ents)}]><rss version="2.0"><channel>'
        f"<title>t</title><item><title>Drugs &lol{levels - 1};</title>"
        "<link>http://x.org/a</link><description>&lol9;</description></item></channel></rss>"
    ).encode()


def quadratic(entity_kb: int = 100, uses: int = 50_000) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{"a" * entity_kb * 1024}">]>'
        '<rss version="2.0"><channel><title>t</title><item><title>Drugs</title>'
        f"<link>http://x.org/a</link><description>{'&big;' * uses}</description>"
        "</item></channel></rss>"
    ).encode()


def redos_author(segments: int = 50_000) -> bytes:
    return (
        '<rss version="2.0"><channel><title>t</title><item><title>Drugs</title>'
        f"<link>http://x.org/a</link><author>{'a.' * segments}@</author></item></channel></rss>"
    ).encode()


_MEASURE = """
import resource, sys, time
from monitor import feeds
body = open(sys.argv[1], "rb").read()
t = time.monotonic()
try:
    items = feeds.parse(body, "http://x.org/")
    out = f"items={len(items)} longest={max((len(i.title) + len(i.summary) for i in items), default=0)}"
except Exception as exc:
    out = f"error={type(exc).__name__}"
# VmHWM is this process's own peak: ru_maxrss would carry over the parent's peak across
# vfork+exec, so a large pytest process would look like a large parse.
hwm = next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(out, f"hwm_kb={hwm}", f"seconds={time.monotonic() - t:.2f}")
"""


def measure_parse(tmp_path: Path, data: bytes) -> tuple[str, float]:
    """feeds.parse in a fresh process: its outcome and the process's peak RSS in MiB."""
    path = tmp_path / "bomb.xml"
    path.write_bytes(data)
    with subprocess.Popen(
        [sys.executable, "-c", _MEASURE, str(path)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as proc:
        out = proc.stdout.read().decode()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0
    return out, int(out.split("hwm_kb=")[1].split()[0]) / 1024


def test_billion_laughs_is_not_expanded(tmp_path: Path) -> None:
    out, peak = measure_parse(tmp_path, laughs())
    seconds = float(out.rsplit("seconds=", 1)[1])
    assert seconds < 15 and peak < 200, (out, peak)  # a hang guard, not a speed goal
    assert "longest=" in out and int(out.split("longest=")[1].split()[0]) < 1000


def test_quadratic_blowup_is_bounded(tmp_path: Path) -> None:
    data = quadratic()
    assert len(data) < 5 * MIB  # fits under DOWNLOAD_MAXSIZE, so the parser must bound it
    out, peak = measure_parse(tmp_path, data)
    seconds = float(out.rsplit("seconds=", 1)[1])
    assert seconds < 15 and peak < 200, (out, peak)  # a hang guard, not a speed goal
    assert "error=" in out or int(out.split("longest=")[1].split()[0]) < 1 * MIB


def test_redos_author_is_stopped_by_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "PARSE_SECONDS", 1)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        feeds.parse(redos_author(), "http://x.org/")
    assert time.monotonic() - start < 10  # stopped by the 1 s limit, not by finishing


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "a\\b">]><rss version="2.0"><channel>'
        b"<item><title>&e;</title><link>http://x.org/a</link></item></channel></rss>",
        b'<rss version="2.0"><channel><item><title>&#1114112;</title>'
        b"<link>http://x.org/a</link></item></channel></rss>",
        b'<rss version="2.0"><channel><item><title>&#55296; &#xDFFF;</title>'
        b"<link>http://x.org/a</link></item></channel></rss>",
    ],
    ids=["backslash-entity", "beyond-unicode", "surrogates"],
)
def test_parser_crash_inputs_raise_or_parse_but_never_hang(data: bytes) -> None:
    start = time.monotonic()
    try:
        items = feeds.parse(data, "http://x.org/")
    except Exception:  # the spider turns any exception into this source's error
        items = []
    assert time.monotonic() - start < 10  # a hang guard, not a speed goal
    for item in items:
        item.title.encode("utf-8")  # storable text, no lone surrogates


@pytest.mark.parametrize(
    ("data", "title"),
    [
        (
            (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><item>'
                "<title>Caf\xe9 \x93drugs\x94</title><link>http://x.org/a</link></item>"
                "</channel></rss>"
            ).encode("latin-1"),
            "Caf",
        ),
        (
            (
                '<rss version="2.0"><channel><item><title>Drugs \u00a3100</title>'
                "<link>http://x.org/a</link></item></channel></rss>"
            ).encode("utf-16-le"),
            "",
        ),
        (
            b'<rss version="2.0"><channel><item><title>Drugs \xff\xfe bad\x00 nul</title>'
            b"<link>http://x.org/a</link></item></channel></rss>",
            "Drugs",
        ),
    ],
    ids=["cp1252-labelled-utf8", "utf16-without-bom", "invalid-utf8-and-nul"],
)
def test_encoding_lies_never_raise_and_store_valid_text(data: bytes, title: str) -> None:
    try:
        items = feeds.parse(data, "http://x.org/")
    except feeds.NotAFeed:
        return  # a clean rejection is fine too
    for item in items:
        item.title.encode("utf-8")
        assert item.title.startswith(title)


def test_nul_and_control_characters_are_not_stored() -> None:
    data = (
        b'<rss version="2.0"><channel><item><title>Drugs\x00 bad\x1b[31m nul\x07</title>'
        b"<link>http://x.org/a</link><description>a\x00b</description></item></channel></rss>"
    )
    (item,) = feeds.parse(data, "http://x.org/")
    assert not any(ord(c) < 32 and c not in "\n\t" for c in item.title + item.summary)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>",
        b'{"items": [{"title": "drugs", "url": "http://x.org/a"}]}',
        b"%PDF-1.4 not a feed",
    ],
    ids=["empty", "login-page", "json", "pdf"],
)
def test_not_a_feed(data: bytes) -> None:
    with pytest.raises(feeds.NotAFeed):
        feeds.parse(data, "http://x.org/")


def test_markup_in_feeds_becomes_plain_text() -> None:
    data = (HOSTILE / "xss.xml").read_bytes().replace(b"{{BASE}}", b"http://x.org")
    for item in feeds.parse(data, "http://x.org/"):
        for value in (item.title, item.summary):
            assert "<" not in value and "javascript:" not in value.lower(), value


def test_article_markup_becomes_plain_text() -> None:
    page = (HOSTILE / "articles" / "xss-1.html").read_bytes()
    out = text.main_text(page, "http://x.org/a")
    assert "county lines" in out.lower()
    assert "<" not in out and "alert(" not in out, out


# --------------------------------------------------------------------------------------------
# Bombs, huge and lying bodies, slow and broken servers (cases 12-16, 9, 10 end to end)
# --------------------------------------------------------------------------------------------


def _gzip_zeros(size: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * MIB
    return b"".join([*(z.compress(chunk) for _ in range(size // MIB)), z.flush()])


def _gzip_to_zlib(member: bytes, size: int) -> bytes:
    """The same deflate stream in zlib framing (header, data, Adler-32 of the output)."""
    adler, chunk = 1, b"\0" * MIB
    for _ in range(size // MIB):
        adler = zlib.adler32(chunk, adler)
    return b"\x78\xda" + member[10:-8] + adler.to_bytes(4, "big")


@pytest.fixture(scope="session")
def bombs() -> dict[str, bytes]:
    """gzip: 4 members of 1 GiB of zeros (4 GiB from 4 MiB, under the 5 MiB body cap, so it is
    the decompression that must be capped); deflate and brotli: 1 GiB each."""
    member = _gzip_zeros(1024 * MIB)
    br = brotli.Compressor(quality=5)
    chunk = b"\0" * MIB
    return {
        "gzip": member * 4,
        "deflate": _gzip_to_zlib(member, 1024 * MIB),
        "br": b"".join([*(br.process(chunk) for _ in range(1024)), br.finish()]),
    }


class RawServer:
    """A TCP server whose answers are scripts writing raw bytes: for what http.server can't do."""

    def __init__(self) -> None:
        self.scripts: dict[str, Callable[[socket.socket], None]] = {}
        scripts = self.scripts

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                path = data.split(b" ", 2)[1].decode()
                script = scripts.get(path)
                try:
                    if script is None:
                        self.request.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    else:
                        script(self.request)
                except OSError:
                    pass  # the client hung up: that is what a cap looks like from here

        socketserver.ThreadingTCPServer.daemon_threads = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


GOOD_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    + b"".join(
        f"<item><title>Drugs item {i}</title><link>http://127.0.0.1:9/a{i}</link>"
        f"<guid>g{i}</guid></item>".encode()
        for i in range(40)
    )
    + b"</channel></rss>"
)


def head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/rss+xml"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _stream_zeros(sock: socket.socket, limit: int = 2048 * MIB) -> None:
    chunk = b"<" + b"a" * (64 * 1024 - 1)
    for _ in range(limit // len(chunk)):
        sock.sendall(chunk)


def _slow(sock: socket.socket) -> None:
    sock.sendall(head(Content_Length="100000"))
    for _ in range(120):
        sock.sendall(b" ")
        time.sleep(0.5)


def _reset(sock: socket.socket) -> None:
    sock.sendall(head(Content_Length=str(len(GOOD_FEED))) + GOOD_FEED[: len(GOOD_FEED) // 2])
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()


def _chunked_no_end(sock: socket.socket) -> None:
    sock.sendall(head(Transfer_Encoding="chunked"))
    sock.sendall(f"{len(GOOD_FEED):x}\r\n".encode() + GOOD_FEED + b"\r\n")  # no 0-chunk


def _chunked_forever(sock: socket.socket) -> None:
    sock.sendall(head(Transfer_Encoding="chunked"))
    chunk = b"a" * 65536
    for _ in range(2048 * MIB // len(chunk)):
        sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")


def _short_content_length(sock: socket.socket) -> None:
    sock.sendall(head(Content_Length=str(len(GOOD_FEED) * 3)) + GOOD_FEED)


def _huge_declared(sock: socket.socket) -> None:
    sock.sendall(head(Content_Length=str(2048 * MIB)))
    _stream_zeros(sock)


def _huge_undeclared(sock: socket.socket) -> None:
    sock.sendall(head(Connection="close"))
    _stream_zeros(sock)


def _bomb(data: bytes, encoding: str) -> Callable[[socket.socket], None]:
    def script(sock: socket.socket) -> None:
        sock.sendall(head(Content_Encoding=encoding, Content_Length=str(len(data))) + data)

    return script


@pytest.mark.slow  # builds GiB-scale bombs once per session, then a real run per kind
@pytest.mark.parametrize("kind", ["gzip", "deflate", "br"])
def test_decompression_bomb_is_dropped_at_the_cap_with_bounded_memory(
    kind: str, bombs: dict[str, bytes], tmp_path: Path, record_property: Callable[..., None]
) -> None:
    with RawServer() as raw:
        raw.scripts["/bomb"] = _bomb(bombs[kind], kind)
        raw.scripts["/good"] = lambda s: s.sendall(
            head(Content_Length=str(len(GOOD_FEED))) + GOOD_FEED
        )
        cfg = write_config(
            tmp_path / "c.yaml", {"bomb": f"{raw.base}/bomb", "good": f"{raw.base}/good"}
        )
        run = run_monitor(
            "run", "--all", "-v", "--config", str(cfg), "--db", str(tmp_path / "a.db")
        )
    assert run.returncode == 0, run.stderr
    db = Database(tmp_path / "a.db")
    src = db["sources"].get("bomb")
    assert len(bombs[kind]) < 5 * MIB  # the body fits; only its decompression can be capped
    assert "DOWNLOAD_MAXSIZE" in src["last_error"] and src["last_success_at"] is None
    assert "exceeded DOWNLOAD_MAXSIZE" in run.stderr  # Scrapy's warning
    assert db["sources"].get("good")["status"] == "ok"  # the other feed goes on
    record_property(f"peak_mb_{kind}", round(run.peak_mb, 1))
    print(f"\npeak RSS of `monitor run` under the {kind} bomb: {run.peak_mb:.0f} MiB")
    assert run.peak_mb < 300, run.peak_mb


@pytest.mark.parametrize(
    ("script", "expect"),
    [
        (_huge_declared, "larger than download max size"),
        (_huge_undeclared, "DownloadCancelledError"),  # cancelled when the cap is passed
        (_chunked_forever, "DownloadCancelledError"),
        (_short_content_length, ""),
        (_chunked_no_end, ""),
        (_reset, ""),
        (_slow, "TimeoutError"),
    ],
    ids=[
        "huge-declared",
        "huge-undeclared",
        "chunked-forever",
        "short",
        "chunked-no-end",
        "reset",
        "slowloris",
    ],
)
def test_huge_lying_slow_or_broken_bodies_fail_the_poll_and_store_nothing(
    script: Callable[[socket.socket], None], expect: str, tmp_path: Path
) -> None:
    with RawServer() as raw:
        raw.scripts["/feed"] = script
        cfg = write_config(tmp_path / "c.yaml", {"bad": f"{raw.base}/feed"}, timeout=2)
        run = run_monitor("run", "--all", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    assert run.returncode == 0, run.stderr
    assert run.seconds < 30 and run.peak_mb < 300, (run.seconds, run.peak_mb)
    db = Database(tmp_path / "a.db")
    src = db["sources"].get("bad")
    assert src["last_error"] and expect in src["last_error"], src["last_error"]
    assert db["articles"].count == 0  # no partial parse is stored


@pytest.mark.slow  # a real run of two sources, ~10 s
def test_refused_port_is_a_soft_error_and_other_feeds_go_on(world: World) -> None:
    cfg = write_config(
        world.tmp / "c.yaml",
        {"refused": "http://127.0.0.1:9/feed.xml", "good": f"{world.site.base}/good.xml"},
    )
    run = run_monitor("run", "--all", "--config", str(cfg), "--db", str(world.tmp / "a.db"))
    assert run.returncode == 0, run.stderr
    db = Database(world.tmp / "a.db")
    refused = db["sources"].get("refused")
    assert refused["status"] == "failing" and refused["error_score"] == 0.5
    assert db["sources"].get("good")["status"] == "ok"
    assert db["articles"].count == 1


@pytest.mark.slow  # waits out the feed parse time limit
def test_crash_inputs_and_challenge_pages_fail_one_feed_and_keep_the_rest(world: World) -> None:
    site = world.site
    site.routes["/crash.xml"] = body(
        b'<rss version="2.0"><channel><item><title>&#1114112; drugs</title>'
        b"<link>http://x.org/a</link></item></channel></rss>"
    )
    site.routes["/redos.xml"] = body(redos_author(60_000))
    state = {"feed": (HOSTILE / "good.xml").read_bytes().replace(b"{{BASE}}", site.base.encode())}
    site.routes["/flips.xml"] = lambda h: (
        200,
        {"Content-Type": "application/rss+xml"},
        state["feed"],
    )
    cfg = write_config(
        world.tmp / "c.yaml",
        {
            "crash": f"{site.base}/crash.xml",
            "redos": f"{site.base}/redos.xml",
            "flips": f"{site.base}/flips.xml",
            "xss": f"{site.base}/xss.xml",
        },
    )
    db_path = world.tmp / "a.db"
    args = ("run", "--all", "--config", str(cfg), "--db", str(db_path))
    run = run_monitor(*args)
    assert run.returncode == 0, run.stderr
    assert run.seconds < 40
    db = Database(db_path)
    assert "TimeoutError" in db["sources"].get("redos")["last_error"]
    assert db["sources"].get("flips")["status"] == "ok"
    before = list(db["articles"].rows)
    # the same feed now serves a challenge page: an error, not an empty feed; rows untouched
    state["feed"] = (FIXTURES / "feeds" / "challenge.html").read_bytes()
    run = run_monitor(*args[:-4], "--source", "flips", *args[-4:])
    assert run.returncode == 0, run.stderr
    flips = db["sources"].get("flips")
    assert flips["last_error"].startswith("NotAFeed") and flips["status"] == "failing"
    assert list(db["articles"].rows) == before
    # nothing stored can render as markup
    for row in db["articles"].rows:
        for key in ("title", "summary", "body"):
            value = row[key] or ""
            assert "<" not in value and "javascript:" not in value.lower(), (key, value)


def test_bodies_are_parsed_from_bytes_never_a_string() -> None:
    """feedparser's own resolver would open a str as a path or URL; we hand it BytesIO."""
    import inspect

    source = inspect.getsource(feeds.parse)
    assert "io.BytesIO(body)" in source
    assert isinstance(io.BytesIO(b""), io.BufferedIOBase)


@pytest.mark.parametrize(
    ("robots", "fetched"),
    [
        ((200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /\n"), False),
        ((500, {"Content-Type": "text/plain"}, b"oops"), True),
        ((404, {"Content-Type": "text/html"}, b"<html>nope</html>"), True),
    ],
    ids=["disallow-all", "robots-500-allows", "robots-404-allows"],
)
def test_robots_txt_policy(
    world: World, robots: tuple[int, dict[str, str], bytes], fetched: bool
) -> None:
    """Case 26: `Disallow: /` is obeyed; an unreadable robots.txt (5xx, 404) allows the poll."""
    world.site.routes["/robots.txt"] = lambda handler: robots
    cfg = write_config(world.tmp / "c.yaml", {"good": f"{world.site.base}/good.xml"})
    run = run_monitor("run", "--all", "--config", str(cfg), "--db", str(world.tmp / "a.db"))
    assert run.returncode == 0, run.stderr
    paths = [p for p, _ in world.site.requests]
    assert ("/good.xml" in paths) is fetched
    src = Database(world.tmp / "a.db")["sources"].get("good")
    if not fetched:
        assert "robots.txt" in src["last_error"] and src["status"] == "blocked"
