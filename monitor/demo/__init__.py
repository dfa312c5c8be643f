"""`monitor demo`: bundled sample sites served on 127.0.0.1 and one real cycle over them.

The sites are served on one fixed address (DEMO_PORT), so every demo run sees the same URLs and
a second `monitor demo --db X` archives nothing new, as a second `monitor run` would not.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

from monitor import config
from monitor.crawl import run_cycle
from monitor.errors import ArchiveError
from monitor.loopback import SiteServer

HERE = Path(__file__).parent
SITE = HERE / "site"
CONFIG = HERE / "config.yaml"
DEMO_HOST = "127.0.0.1"
DEMO_PORT = 8730  # fixed: the demo archive's URLs must not change from run to run


def demo_config(base: str) -> config.Config:
    """The demo sources, pointed at the loopback server."""
    return config.load(CONFIG, {"BASE": base})


def serve_demo(port: int = DEMO_PORT) -> SiteServer:
    """The sample sites on the demo's fixed loopback address (one line if it is taken)."""
    try:
        return SiteServer(SITE, DEMO_HOST, port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise ArchiveError(
            f"demo: {DEMO_HOST}:{port} is in use (another `monitor demo` running?)"
        ) from None


def run_demo(db_path: str | Path, port: int = DEMO_PORT) -> dict[str, Any]:
    """Serve the sample sites, poll every demo source once, and return the run row."""
    with serve_demo(port) as site:
        return run_cycle(demo_config(site.base), db_path, every=True, trigger="manual")
