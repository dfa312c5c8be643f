"""`monitor serve` and `monitor snapshot`: Datasette on the archive with our bundled config."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from monitor import archive

BUNDLE = Path(__file__).parent / "datasette"
METADATA = BUNDLE / "metadata.yaml"
TEMPLATES = BUNDLE / "templates"
PLUGINS = BUNDLE / "plugins"
# metadata.yaml is written for a file called archive.db; other names get it retargeted.
BUNDLED_NAME = "archive"
# Datasette settings `monitor serve` passes (the README's public instance lowers the time limit).
# Suggested facets are off: on a grown archive they cost more than the page itself (issue 18).
SETTINGS: dict[str, int | bool] = {"sql_time_limit_ms": 3000, "suggest_facets": False}


def _setting(value: int | bool) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


class ServeError(Exception):
    """Datasette cannot start or stopped on its own (port in use, bad port): one line to show."""


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives a database file (and the first part of its URLs)."""
    return Path(db_path).stem


def _retarget(node: Any, name: str, route: str) -> Any:
    if isinstance(node, dict):
        return {
            k: (name if k == "db" and v == BUNDLED_NAME else _retarget(v, name, route))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_retarget(v, name, route) for v in node]
    if isinstance(node, str):
        return node.replace(f"/{BUNDLED_NAME}/", f"/{route}/")
    return node


def metadata(db_name: str = BUNDLED_NAME) -> dict[str, Any]:
    """The bundled metadata, its database section, chart queries and links renamed for `db_name`."""
    from datasette.utils import tilde_encode

    data = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    if db_name == BUNDLED_NAME:
        return data
    data = _retarget(data, db_name, tilde_encode(db_name))
    data["databases"] = {db_name: data["databases"][BUNDLED_NAME]}
    return data


def make_datasette(db_path: str | Path, **settings: int | bool) -> Any:
    """An in-process Datasette configured as `monitor serve` configures it (tests, benchmarks)."""
    from datasette.app import Datasette

    return Datasette(
        [str(db_path)],
        metadata=metadata(database_name(db_path)),
        template_dir=str(TEMPLATES),
        plugins_dir=str(PLUGINS),
        settings={**SETTINGS, **settings},
    )


def write_metadata(db_path: str | Path, directory: str | Path) -> Path:
    """Write the metadata for this database file into `directory`; returns its path."""
    out = Path(directory) / "metadata.json"
    out.write_text(json.dumps(metadata(database_name(db_path)), indent=2), encoding="utf-8")
    return out


def datasette_args(
    db_path: str | Path, host: str, port: int, metadata_path: str | Path | None = None
) -> list[str]:
    """The datasette command line; never `-i`, since the live archive changes under it.

    `metadata_path` defaults to the bundled file, which fits a database named archive.db;
    `serve` passes one written by `write_metadata` for any other name.
    """
    args = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(db_path),
        "--host",
        host,
        "--port",
        str(port),
        *(a for k, v in SETTINGS.items() for a in ("--setting", k, _setting(v))),
        "--metadata",
        str(metadata_path or METADATA),
        "--template-dir",
        str(TEMPLATES),
        "--plugins-dir",
        str(PLUGINS),
    ]
    return args


def check_address(host: str, port: int) -> None:
    """Fail in one line before starting Datasette when it could not listen on host:port."""
    if not 1 <= port <= 65535:
        raise ServeError(f"--port {port}: not a TCP port (1-65535)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(infos[0][4])
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ServeError(f"{host}:{port}: Datasette cannot listen there ({reason})") from None


def serve(db_path: str | Path, host: str, port: int) -> None:
    """Run Datasette in the foreground until interrupted; ServeError if it cannot run."""
    if not Path(db_path).exists():
        raise archive.ArchiveError(
            f"{db_path}: no archive yet; run `monitor run` or `monitor demo`"
        )
    check_address(host, port)
    archive.open_archive(db_path).conn.close()  # migrate first so every view exists
    stopped: list[int] = []
    with tempfile.TemporaryDirectory(prefix="monitor-serve-") as tmp:
        proc = subprocess.Popen(datasette_args(db_path, host, port, write_metadata(db_path, tmp)))

        def stop(signum: int, _frame: Any) -> None:
            stopped.append(signum)
            proc.send_signal(signum)

        # Pass SIGTERM on (a service manager stops us, not Datasette), then clean up.
        previous = signal.signal(signal.SIGTERM, stop)
        try:
            proc.wait()
        except KeyboardInterrupt:  # Ctrl-C reached Datasette too; let it finish
            stopped.append(signal.SIGINT)
            proc.wait()
        finally:
            signal.signal(signal.SIGTERM, previous)
    if proc.returncode != 0 and not stopped:
        raise ServeError(f"{host}:{port}: Datasette stopped with exit status {proc.returncode}")


def snapshot(db_path: str | Path, out_path: str | Path) -> None:
    """A consistent single-file copy of the archive (VACUUM INTO) to publish or serve with -i."""
    src, out = Path(db_path), Path(out_path)
    if not src.exists():
        raise archive.ArchiveError(f"{src}: no archive to snapshot")
    if out.exists():
        raise archive.ArchiveError(f"{out}: already exists; choose a new file name")
    if not out.parent.is_dir():
        raise archive.ArchiveError(f"{out}: directory {out.parent} does not exist")
    db = archive.open_archive(src)  # migrated, so the copy has every view
    try:
        archive.snapshot(db, out)
    finally:
        db.conn.close()
