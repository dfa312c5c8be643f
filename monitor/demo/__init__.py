"""`monitor demo`: bundled sample sites served on 127.0.0.1 and one real cycle over them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor import config
from monitor.crawl import run_cycle
from monitor.loopback import SiteServer

HERE = Path(__file__).parent
SITE = HERE / "site"
CONFIG = HERE / "config.yaml"


def demo_config(base: str) -> config.Config:
    """The demo sources, pointed at the loopback server."""
    return config.load(CONFIG, {"BASE": base})


def run_demo(db_path: str | Path) -> dict[str, Any]:
    """Serve the sample sites, poll every demo source once, and return the run row."""
    with SiteServer(SITE) as site:
        return run_cycle(demo_config(site.base), db_path, every=True, trigger="manual")
