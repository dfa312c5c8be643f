"""County-lines monitor: UK police and press announcements about county lines, and their figures."""

import sys

__version__ = "0.1.0"


def _sqlite_utils_without_numpy() -> None:
    """Import sqlite-utils with numpy hidden. sqlite-utils imports numpy when it is installed
    (~50 ms) only to map numpy scalar types to column types, and the archive never stores a
    numpy value; numpy is here for MinHash (monitor/dedupe.py), which imports it itself when
    it first runs. So a process that computes no MinHash (every unchanged re-poll; the crawl
    process when a worker reads the text: monitor/offload.py) never loads numpy."""
    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # `import numpy` raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        if sys.modules.get("numpy", 0) is None:
            del sys.modules["numpy"]


_sqlite_utils_without_numpy()
