"""Source health policy: what a poll's outcome does to a source's state and its next poll time.

Pure functions over a source row and a poll result, so schedules are judged with a fake clock.

The next poll of a source is, in order:

1. its cadence: `every:` from the config, adapted to how often the source has new items (a
   source with new items on consecutive polls is polled up to twice as often; a quiet one is
   stretched to 10% of its quiet time, the heuristic freshness of RFC 9111 §4.2.2, up to four
   times `every`), as Media Cloud's rss-fetcher adapts `poll_minutes` within bounds;
2. on failure, a linear backoff instead: `every` times (1 + the weighted error score), capped at
   a day, so a failing source is slowed, never dropped (Media Cloud, Miniflux #3809);
3. never earlier than what the server asked for: the feed's <ttl> or sy:updatePeriod, the
   response's Cache-Control max-age, or Retry-After (each honoured up to a day);
4. plus up to 10% jitter, so sources configured alike do not all fire together.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from monitor.dates import utc_iso
from monitor.poll import VALIDATORS, Poll

BACKOFF_CAP_SECONDS = 24 * 3600
# A server may ask for a longer wait (ttl, max-age, Retry-After); a day is the most we grant,
# as Media Cloud does with Retry-After ("saw 317100 sec (88h!) once").
SERVER_FLOOR_CAP_SECONDS = 24 * 3600
# Hard failures (403, 404, 410, not a feed) say more about a source than transient ones
# (timeouts, 5xx, 429); an outage (every source unreachable at once) is nobody's fault.
ERROR_WEIGHTS = {"hard": 1.0, "transient": 0.5, "outage": 0.0}
BUSY_FACTOR = 0.5  # new items on consecutive polls: poll twice as often as `every`
QUIET_FACTOR = 4  # the longest a quiet source is stretched to, in multiples of `every`
QUIET_FRACTION = 0.1  # RFC 9111 heuristic freshness: 10% of the time since the last change
MIN_INTERVAL_SECONDS = 60  # the config's own minimum
JITTER_FRACTION = 0.1
JITTER_FROM_SECONDS = 600  # shorter waits are tests or busy sources: exact is fine
# A 301 must repeat on this many consecutive successful polls before the stored URL moves
# (NewsBlur waits for ~10; a hijacked host answering once cannot steal the source).
REDIRECTS_TO_ADOPT = 3


EMPTY_LISTING = "listing matched no items: its selectors or preset no longer fit the page"


def flag_empty_listing(src: dict[str, Any], poll: Poll) -> None:
    """A news listing always lists something: a page read afresh (a body unlike the stored one)
    in which the selectors found nothing means they do not fit it, so the poll fails (a hard
    error) instead of looking healthy and empty. A feed may be empty; that is not flagged."""
    if (
        src.get("type") == "html"
        and poll.error is None
        and poll.http_status == 200
        and not poll.entries
        and poll.body_hash not in (None, src.get("body_hash"))
    ):
        poll.fail(EMPTY_LISTING, "hard")
        poll.withhold_validators()


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def cadence(every: int, last_new_item_at: str | None, new_entries: int, when: datetime) -> int:
    """Seconds to the next poll of a healthy source, from its new-item rate, within bounds."""
    last_new = _parse(last_new_item_at)
    if new_entries:
        if last_new is not None and (when - last_new).total_seconds() <= 1.5 * every:
            return max(MIN_INTERVAL_SECONDS, int(every * BUSY_FACTOR))
        return every
    if last_new is None:
        return every
    quiet = (when - last_new).total_seconds()
    longest = max(every, min(every * QUIET_FACTOR, BACKOFF_CAP_SECONDS))
    return int(min(max(every, QUIET_FRACTION * quiet), longest))


def backoff(every: int, score: float) -> int:
    """Linear in the error score, capped: a failing source is slowed, never dropped."""
    return int(min(every * (1 + int(score)), BACKOFF_CAP_SECONDS))


def server_floor(src: dict[str, Any], result: dict[str, Any]) -> int:
    """The longest wait the server asked for (feed TTL, max-age, Retry-After), capped at a day.

    A feed's TTL is only seen when its body is read; a 304 keeps the stored one (when the
    archive has a `ttl_seconds` column)."""
    ttl = result["ttl_seconds"] if "ttl_seconds" in result else src.get("ttl_seconds")
    asked = max(int(ttl or 0), int(result.get("max_age") or 0), int(result.get("retry_after") or 0))
    return min(asked, SERVER_FLOOR_CAP_SECONDS)


def next_poll(wait: int, when: datetime, rng: random.Random | None = None) -> str:
    """`wait` seconds from `when`, plus up to 10% jitter so sources spread out."""
    jitter = 0.0
    if wait >= JITTER_FROM_SECONDS:
        jitter = (rng or random).uniform(0, JITTER_FRACTION * wait)
    return utc_iso(when + timedelta(seconds=wait + jitter))


def _redirect(src: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Count consecutive permanent redirects; move the stored URL on the third.

    `redirects_seen` packs two facts: REDIRECTS_TO_ADOPT or more means the URL in use came
    from a redirect (so a config sync must not reset it); the remainder counts the pending run
    of 301s. A poll that is not redirected clears the pending run."""
    adopted, pending = divmod(int(src.get("redirects_seen") or 0), REDIRECTS_TO_ADOPT)
    adopted = min(adopted, 1)
    target = result.get("permanent_redirect")
    if not target:
        pending = 0
    elif pending + 1 >= REDIRECTS_TO_ADOPT:
        return {"url": target, "redirects_seen": REDIRECTS_TO_ADOPT}
    else:
        pending += 1
    return {"redirects_seen": adopted * REDIRECTS_TO_ADOPT + pending}


def after_poll(
    src: dict[str, Any],
    result: dict[str, Any],
    when: datetime,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The source-row update for one poll (success resets the score; failure backs off)."""
    every = int(src["every_seconds"])
    update: dict[str, Any] = {"last_polled_at": utc_iso(when)}
    kind = result.get("error_kind", "hard")
    if result.get("error") is None:
        update.update(status="ok", error_score=0.0, last_error=None, last_success_at=utc_iso(when))
        for key in VALIDATORS:
            if result.get(key) is not None:
                update[key] = result[key]
        if result.get("new_entries"):
            update["last_new_item_at"] = utc_iso(when)
        update.update(_redirect(src, result))
        wait = cadence(every, src.get("last_new_item_at"), result.get("new_entries", 0), when)
    elif kind == "outage":
        # The network, not the source: keep its status and score, try again on its cadence.
        update["last_error"] = result["error"]
        wait = every
    else:
        score = float(src.get("error_score") or 0) + ERROR_WEIGHTS.get(kind, 1.0)
        status = result.get("status") or "failing"
        update.update(status=status, error_score=score, last_error=result["error"])
        # 410 Gone: the publisher says the feed is gone for good. Mark it and look once a day
        # (feeds do come back, and a day's poll is no burden); never drop it silently.
        wait = BACKOFF_CAP_SECONDS if status == "gone" else backoff(every, score)
    if "ttl_seconds" in src and "ttl_seconds" in result:
        update["ttl_seconds"] = result["ttl_seconds"]
    wait = max(wait, server_floor(src, result))
    update["next_poll_at"] = next_poll(wait, when, rng)
    return update
