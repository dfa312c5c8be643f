"""Dead letters: a message no code can handle is set aside, never replayed for ever.

A malformed entry in the results queue (or one whose article raises in the archiver) used to
sit first in `monitor:archiver:processing` and be replayed at every restart, so nothing after it
was archived; a bad request in the workers' queue went back to it with every reap. Each is
moved, in one transaction, from the list that holds it to `monitor:dead` with the queue it came
from, the error and the time, logged in one line, and the rest flow. Re-queue one by hand with
`LMOVE`-ing its `message` back once the bug is fixed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from monitor.distributed import codec
from monitor.distributed.common import Keys

log = logging.getLogger("monitor")


def dead_letter(server: Any, queue: str, raw: bytes, error: BaseException, holder: str) -> None:
    """Move `raw` from the `holder` list to the dead-letter list, with why, in one transaction."""
    why = f"{type(error).__name__}: {error}"[:500]
    letter = {"queue": queue, "error": why, "at": time.time(), "message": raw}
    pipe = server.pipeline(transaction=True)
    pipe.lpush(Keys.dead, codec.dumps(letter))
    pipe.lrem(holder, 1, raw)
    pipe.execute()
    log.error("event=dead_letter queue=%s bytes=%s error=%r", queue, len(raw), why)


def letters(server: Any) -> list[dict[str, Any]]:
    """The dead letters, newest first (`message` is the original bytes)."""
    return [codec.loads(raw) for raw in server.lrange(Keys.dead, 0, -1)]
