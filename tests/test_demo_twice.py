"""`monitor demo` run twice on one archive adds nothing: the demo web has one fixed address."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor.demo import DEMO_HOST, DEMO_PORT
from tests.conftest import demo_port
from tests.conftest import monitor as run_monitor


def monitor(*args: str) -> subprocess.CompletedProcess[str]:
    return run_monitor(*args, timeout=300, check=False)


def test_second_demo_run_archives_nothing_new(tmp_path: Path) -> None:
    db_path = tmp_path / "demo.db"
    first = monitor("demo", "--db", str(db_path))
    assert first.returncode == 0, first.stderr
    db = Database(db_path)
    counts = {t: db[t].count for t in ("articles", "stories", "figures")}
    second = monitor("demo", "--db", str(db_path))
    assert second.returncode == 0, second.stderr
    assert {t: db[t].count for t in ("articles", "stories", "figures")} == counts
    assert "articles new: 0, stories new: 0" in second.stdout


def test_demo_address_in_use_is_one_line(tmp_path: Path) -> None:
    with demo_port(), socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past a demo's TIME_WAIT
        try:
            taken.bind((DEMO_HOST, DEMO_PORT))
        except OSError:
            pytest.skip("the demo port is in use by something else")
        taken.listen()
        proc = monitor("demo", "--db", str(tmp_path / "demo.db"))
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"Error: demo: {DEMO_HOST}:{DEMO_PORT} is in use (another `monitor demo` running?)"
    )
