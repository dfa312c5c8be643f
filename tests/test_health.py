"""Source health policy judged on a fake clock: pure functions, no sleeping, no network."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor import feeds, health
from monitor.poll import Poll, is_outage

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
EVERY = 1800
NO_JITTER = random.Random(0)


class Zero(random.Random):
    """Jitter that is always zero, so waits can be compared exactly."""

    def uniform(self, a: float, b: float) -> float:
        return a


def source(**fields: Any) -> dict[str, Any]:
    row = {
        "every_seconds": EVERY,
        "error_score": 0.0,
        "status": "ok",
        "redirects_seen": 0,
        "last_new_item_at": None,
        "url": "https://police.example/feed",
    }
    row.update(fields)
    return row


def wait_of(update: dict[str, Any], when: datetime) -> float:
    return (datetime.fromisoformat(update["next_poll_at"]) - when).total_seconds()


def poll(src: dict[str, Any], result: dict[str, Any], when: datetime) -> tuple[dict, float]:
    """Apply one poll to the row as the archive would; return the row and the wait."""
    update = health.after_poll(src, result, when, rng=Zero())
    return {**src, **update}, wait_of(update, when)


OK = {"http_status": 200, "entries": 10, "new_entries": 0}


def test_a_304_is_a_success_that_keeps_validators_and_resets_the_score() -> None:
    src = source(etag='"a"', error_score=2.5, status="failing", last_error="HTTP 500")
    row, wait = poll(src, {"http_status": 304}, T0)
    assert (row["status"], row["error_score"], row["last_error"]) == ("ok", 0.0, None)
    assert row["etag"] == '"a"' and row["last_success_at"] == T0.isoformat()
    assert wait == EVERY


def test_failures_back_off_linearly_by_weight_and_cap_at_a_day_then_reset() -> None:
    """500 for a week (one poll whenever due), then back: never dropped, capped, reset."""
    every = 4 * 3600
    row, when, waits = source(every_seconds=every), T0, []
    error = {"http_status": 500, "error": "HTTP 500", "error_kind": "transient"}
    while when < T0 + timedelta(days=7):
        row, wait = poll(row, error, when)
        waits.append(wait)
        when += timedelta(seconds=wait)
    assert waits[:5] == [every, 2 * every, 2 * every, 3 * every, 3 * every]  # 0.5 per 5xx
    assert waits[-1] == max(waits) == health.BACKOFF_CAP_SECONDS
    assert all(b >= a for a, b in zip(waits, waits[1:], strict=False))
    assert row["status"] == "failing" and row["error_score"] == len(waits) * 0.5
    row, wait = poll(row, OK, when)
    assert (row["status"], row["error_score"], row["last_error"]) == ("ok", 0.0, None)
    assert wait == every


def test_hard_errors_weigh_twice_a_timeout() -> None:
    hard, _ = poll(source(), {"http_status": 404, "error": "HTTP 404", "error_kind": "hard"}, T0)
    soft, _ = poll(source(), {"error": "TimeoutError", "error_kind": "transient"}, T0)
    assert (hard["error_score"], soft["error_score"]) == (1.0, 0.5)


def test_410_marks_gone_and_is_looked_at_daily_not_dropped() -> None:
    row, wait = poll(
        source(),
        {"http_status": 410, "error": "HTTP 410", "error_kind": "hard", "status": "gone"},
        T0,
    )
    assert row["status"] == "gone" and wait == health.BACKOFF_CAP_SECONDS


@pytest.mark.parametrize("kind", ["retry_after", "max_age", "ttl_seconds"])
def test_server_declared_waits_are_floors(kind: str) -> None:
    result = {**OK, kind: 7200}
    if kind == "retry_after":
        result = {"http_status": 429, "error": "HTTP 429", "error_kind": "transient", kind: 7200}
    _, wait = poll(source(), result, T0)
    assert wait == 7200
    _, short = poll(source(), {**OK, "max_age": 60}, T0)
    assert short == EVERY  # a shorter max-age never makes us poll faster than the cadence


def test_server_floors_are_capped_at_a_day() -> None:
    _, wait = poll(
        source(), {"error": "HTTP 503", "error_kind": "transient", "retry_after": 9e6}, T0
    )
    assert wait == health.SERVER_FLOOR_CAP_SECONDS


def test_feed_ttl_is_remembered_across_304s_when_the_archive_has_the_column() -> None:
    row, _ = poll(source(ttl_seconds=None), {**OK, "ttl_seconds": 3600}, T0)
    assert row["ttl_seconds"] == 3600
    row, wait = poll(row, {"http_status": 304}, T0 + timedelta(hours=1))
    assert wait == 3600 and row["ttl_seconds"] == 3600
    row, _ = poll(row, {**OK, "ttl_seconds": None}, T0 + timedelta(hours=2))  # feed dropped it
    assert row["ttl_seconds"] is None
    # Without the column nothing extra is written (the update must fit the table).
    update = health.after_poll(source(), {**OK, "ttl_seconds": 3600}, T0)
    assert "ttl_seconds" not in update and wait_of(update, T0) >= 3600


def test_cadence_adapts_to_the_new_item_rate_within_bounds() -> None:
    # New items on consecutive polls: twice as often as configured.
    busy = source(last_new_item_at=(T0 - timedelta(minutes=30)).isoformat())
    _, wait = poll(busy, {**OK, "new_entries": 3}, T0)
    assert wait == EVERY // 2
    # First new item after a quiet spell: back to `every`.
    quiet = source(last_new_item_at=(T0 - timedelta(days=3)).isoformat())
    _, wait = poll(quiet, {**OK, "new_entries": 1}, T0)
    assert wait == EVERY
    # Nothing new: stretched to 10% of the quiet time, never beyond four times `every`.
    for quiet_for, expected in [(1, EVERY), (10, 3600), (15, 5400), (72, 4 * EVERY)]:
        src = source(last_new_item_at=(T0 - timedelta(hours=quiet_for)).isoformat())
        _, wait = poll(src, {"http_status": 304}, T0)
        assert wait == expected, quiet_for
    # Never seen a new item: the configured interval.
    assert poll(source(), {"http_status": 304}, T0)[1] == EVERY


def test_a_quiet_source_is_polled_less_and_less_then_at_the_bound() -> None:
    row, when, waits = source(last_new_item_at=T0.isoformat()), T0, []
    for _ in range(40):
        row, wait = poll(row, {"http_status": 304}, when)
        waits.append(wait)
        when += timedelta(seconds=wait)
    assert waits[0] == EVERY and waits[-1] == 4 * EVERY
    assert all(b >= a for a, b in zip(waits, waits[1:], strict=False))


def test_jitter_spreads_sources_by_up_to_ten_percent() -> None:
    rng = random.Random(42)
    waits = [wait_of(health.after_poll(source(), OK, T0, rng=rng), T0) for _ in range(200)]
    assert min(waits) >= EVERY and max(waits) <= EVERY * 1.1
    assert len({int(w) for w in waits}) > 50
    short = source(every_seconds=120)
    assert wait_of(health.after_poll(short, OK, T0, rng=rng), T0) == 120  # tests stay exact


def test_a_repeated_301_moves_the_url_but_a_single_one_does_not() -> None:
    moved = {**OK, "permanent_redirect": "https://new.example/feed"}
    row, _ = poll(source(), moved, T0)
    row, _ = poll(row, moved, T0)
    assert row["url"] == "https://police.example/feed" and row["redirects_seen"] == 2
    row, _ = poll(row, moved, T0)
    assert row["url"] == "https://new.example/feed"
    assert row["redirects_seen"] == health.REDIRECTS_TO_ADOPT  # "URL came from a redirect"
    row, _ = poll(row, OK, T0)  # straight to the new URL from now on: still adopted
    assert row["redirects_seen"] == health.REDIRECTS_TO_ADOPT
    # An interrupted run of 301s starts again from zero.
    row, _ = poll(source(), moved, T0)
    row, _ = poll(row, OK, T0)
    row, _ = poll(row, moved, T0)
    row, _ = poll(row, moved, T0)
    assert row["url"] == "https://police.example/feed"
    # A failed poll neither counts nor clears.
    row, _ = poll(row, {"error": "HTTP 404", "error_kind": "hard"}, T0)
    assert row["redirects_seen"] == 2


def test_an_outage_blames_no_source() -> None:
    row, wait = poll(
        source(status="ok", error_score=1.0),
        {"error": "ConnectionRefusedError", "error_kind": "outage"},
        T0,
    )
    assert (row["status"], row["error_score"], wait) == ("ok", 1.0, EVERY)
    assert row["last_error"] == "ConnectionRefusedError"


def test_outage_needs_every_source_down_on_the_network_across_hosts() -> None:
    down: dict[str, Any] = {"error": "x", "network": True}
    assert is_outage([Poll(**down, host="a"), Poll(**down, host="b")])
    assert not is_outage([Poll(**down, host="a"), Poll(**down, host="a")])  # one host is down
    assert not is_outage([Poll(**down, host="a"), Poll(http_status=200, host="b")])
    assert not is_outage([])


@pytest.mark.parametrize(
    ("head", "seconds"),
    [
        (b"<rss><channel><ttl>60</ttl><item><ttl>5</ttl></item>", 3600),
        (b"<rss><channel><sy:updatePeriod>hourly</sy:updatePeriod>", 3600),
        (
            b"<rdf:RDF><channel><sy:updatePeriod>daily</sy:updatePeriod>"
            b"<sy:updateFrequency>4</sy:updateFrequency></channel><item>",
            21600,
        ),
        (b"<feed><entry><ttl>5</ttl></entry></feed>", None),  # not channel level
        (b"<rss><channel><sy:updatePeriod>fortnightly</sy:updatePeriod>", None),
        (b"<rss><channel><title>x</title><item>", None),
    ],
)
def test_declared_ttl_reads_the_channel_header(head: bytes, seconds: int | None) -> None:
    assert feeds.declared_ttl(head) == seconds
