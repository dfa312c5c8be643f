"""Source health policy: what a poll's outcome does to a source's state and its next poll time.

Pure functions over a source row and a poll result, so schedules are judged with a fake clock.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from monitor.dates import utc_iso

BACKOFF_CAP_SECONDS = 24 * 3600
# Hard failures (403, 404, 410, not a feed) say more about a source than transient ones
# (timeouts, 5xx, 429); an outage (every source unreachable at once) is nobody's fault.
ERROR_WEIGHTS = {"hard": 1.0, "transient": 0.5, "outage": 0.0}


def next_poll(every: int, delay: int, when: datetime, rng: random.Random | None = None) -> str:
    """`delay` from now (never less than `every`) plus up to 10% jitter so sources spread out."""
    wait = max(every, delay)
    jitter = (rng or random).uniform(0, 0.1 * wait) if wait >= 600 else 0.0
    return utc_iso(when + timedelta(seconds=wait + jitter))


def backoff(every: int, score: float) -> int:
    """Linear in the error score, capped: a failing source is slowed, never dropped."""
    return int(min(every * (1 + int(score)), BACKOFF_CAP_SECONDS))


def after_poll(src: dict[str, Any], result: dict[str, Any], when: datetime) -> dict[str, Any]:
    """The source-row update for one poll (success resets the score; failure backs off)."""
    every = int(src["every_seconds"])
    update: dict[str, Any] = {"last_polled_at": utc_iso(when)}
    if result.get("error") is None:
        update.update(status="ok", error_score=0.0, last_error=None, last_success_at=utc_iso(when))
        for key in ("etag", "last_modified", "body_hash"):
            if result.get(key) is not None:
                update[key] = result[key]
        if result.get("new_entries"):
            update["last_new_item_at"] = utc_iso(when)
        if result.get("permanent_redirect"):
            update.update(url=result["permanent_redirect"], redirects_seen=1)
        delay = every
    else:
        score = float(src.get("error_score") or 0) + ERROR_WEIGHTS[result.get("error_kind", "hard")]
        update.update(
            status=result.get("status") or "failing", error_score=score, last_error=result["error"]
        )
        delay = backoff(every, score)
    delay = max(delay, int(result.get("retry_after") or 0))
    update["next_poll_at"] = next_poll(every, delay, when)
    return update
