"""Score relevance and figures against the labelled eval cases.

The scoring lives in monitor/evaluation/figures.py, where the tests import it from; this file keeps
the command people know. Options: `--help`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.evaluation.figures import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
