"""Score relevance and figures on the bundled demo web against EXPECTED.md.

The scoring lives in monitor/evaluation/demo.py, where the tests import it from; this file keeps
the command people know. Options: `--help`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.evaluation.demo import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
