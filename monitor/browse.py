"""`monitor serve` and `monitor snapshot`: Datasette on the archive with our bundled config."""

from __future__ import annotations

import json
import signal
import sqlite3
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
        "--setting",
        "sql_time_limit_ms",
        "3000",
        "--metadata",
        str(metadata_path or METADATA),
        "--template-dir",
        str(TEMPLATES),
        "--plugins-dir",
        str(PLUGINS),
    ]
    return args


def serve(db_path: str | Path, host: str, port: int) -> None:
    """Run Datasette in the foreground until interrupted."""
    if not Path(db_path).exists():
        raise archive.ArchiveError(
            f"{db_path}: no archive yet; run `monitor run` or `monitor demo`"
        )
    archive.open_archive(db_path).conn.close()  # migrate first so every view exists
    with tempfile.TemporaryDirectory(prefix="monitor-serve-") as tmp:
        proc = subprocess.Popen(datasette_args(db_path, host, port, write_metadata(db_path, tmp)))
        # Pass SIGTERM on (a service manager stops us, not Datasette), then clean up.
        previous = signal.signal(signal.SIGTERM, lambda signum, _frame: proc.send_signal(signum))
        try:
            proc.wait()
        except KeyboardInterrupt:  # Ctrl-C reached Datasette too; let it finish
            proc.wait()
        finally:
            signal.signal(signal.SIGTERM, previous)


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
        db.execute("VACUUM INTO ?", [str(out)])
    except sqlite3.DatabaseError as exc:
        raise archive.ArchiveError(f"{out}: snapshot failed: {exc}") from None
    finally:
        db.conn.close()
    # A published copy is read-only: rollback-journal mode needs no -wal/-shm beside it.
    conn = sqlite3.connect(str(out))
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
