"""`monitor serve`: Datasette on the live archive (mutable mode) with our bundled metadata."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from monitor import archive

BUNDLE = Path(__file__).parent / "datasette"


def datasette_args(db_path: str | Path, host: str, port: int) -> list[str]:
    """The datasette command line; never `-i`, since the live archive changes under it."""
    args = [sys.executable, "-m", "datasette", "serve", str(db_path), "--host", host,
            "--port", str(port), "--setting", "sql_time_limit_ms", "3000"]
    metadata = BUNDLE / "metadata.yaml"
    if metadata.exists():
        args += ["--metadata", str(metadata)]
    templates = BUNDLE / "templates"
    if templates.is_dir():
        args += ["--template-dir", str(templates)]
    return args


def serve(db_path: str | Path, host: str, port: int) -> None:
    """Run Datasette in the foreground until interrupted."""
    if not Path(db_path).exists():
        raise archive.ArchiveError(f"{db_path}: no archive yet; run `monitor run` or `monitor demo`")
    archive.open_archive(db_path).conn.close()  # migrate first so every view exists
    try:
        subprocess.run(datasette_args(db_path, host, port), check=False)
    except KeyboardInterrupt:
        pass
