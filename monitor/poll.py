"""The poll as a type: one source asked once, and the rules that judge a run's polls.

Both modes share these rules: `monitor run` (monitor.extensions.RunStats, one crawler per source
kind) and scale-out (monitor.distributed.worker, whose polls the archiver closes). A spider
fills a Poll; the pipeline and the extensions read and change it through its methods; the
archive stores it (monitor.archive.record_poll); health policy reads `as_result()`.

The `poll_finished` signal lives here, not in spiders/, so library code never imports a spider.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from monitor.config import Source

# Sent when a source's poll has its outcome (all its entries are yielded): RunStats writes the
# poll once those entries are through the pipeline, so a cycle stopped later keeps it.
poll_finished = object()

NOT_REACHED = "not reached: the cycle ended before this source was polled"
# What a poll learns about a feed's version; withheld when its entries were not all archived.
VALIDATORS = ("etag", "last_modified", "body_hash")
# A run's counters, in the order a summary reads them (runs columns; store.run_counts fills them).
RUN_COUNTERS = (
    "sources_polled",
    "sources_failed",
    "entries_seen",
    "articles_fetched",
    "articles_new",
    "stories_new",
    "figures_new",
)


@dataclass
class Poll:
    """What one source's poll found out: the server's answer, or how it failed."""

    started: float = field(default_factory=time.monotonic)
    entries: int = 0  # entries the body listed (all yielded to the pipeline)
    new_entries: int = 0  # of those, archived as new
    http_status: int | None = None
    duration_ms: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    max_age: int | None = None
    retry_after: int | None = None
    ttl_seconds: int | None = None
    ttl_read: bool = False  # a feed body was read, so ttl_seconds (even None) replaces the stored
    permanent_redirect: str | None = None
    error: str | None = None
    error_kind: str | None = None  # hard | transient | outage | not_reached
    status: str | None = None  # gone | blocked: what the failure says about the source
    network: bool = False  # no response at all: may be everyone's (an outage)
    host: str | None = None
    skipped: int = 0  # entries whose links did not parse

    def fail(self, error: str, kind: str, *, status: str | None = None) -> None:
        """Record a failure (messages capped: they land in logs and the archive)."""
        self.error = error[:300]
        self.error_kind = kind
        if status is not None:
            self.status = status

    def withhold_validators(self) -> None:
        """Keep the stored validators, so the next poll reads the feed again (nothing doubles:
        entries already archived are skipped)."""
        self.etag = self.last_modified = self.body_hash = None

    @property
    def finished(self) -> bool:
        """The poll got an answer or a definite failure (not cut off while in flight)."""
        return self.http_status is not None or self.error is not None

    def complete(self, through: int) -> bool:
        """Finished, and `through` (entries past the pipeline) covers every entry it listed."""
        return self.finished and through >= self.entries

    @property
    def unreached(self) -> bool:
        """A poll the cycle never sent: recorded, but neither polled nor failed."""
        return self.error_kind == "not_reached"

    def not_reached(self, why: str) -> None:
        """The cycle ended before this poll was sent: nobody's fault, the source stays due."""
        self.fail(f"{NOT_REACHED} ({why})", "not_reached")
        self.duration_ms = None

    def blame_outage(self) -> None:
        """In a run judged an outage, a failure is the network's, not the source's."""
        if self.error is not None and not self.unreached:
            self.error_kind = "outage"

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def as_result(self) -> dict[str, Any]:
        """The outcome as health policy and the wire read it: only what is known."""
        out: dict[str, Any] = {"entries": self.entries, "new_entries": self.new_entries}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in out or f.name in ("ttl_read", "ttl_seconds") or value in (None, False):
                continue
            out[f.name] = value
        if self.ttl_read:
            out["ttl_seconds"] = self.ttl_seconds
        return out

    @classmethod
    def from_result(cls, data: dict[str, Any]) -> Poll:
        """Read back `as_result()` (a finished poll sent by a worker, kept in Redis)."""
        known = {f.name for f in fields(cls)}
        poll = cls(**{k: v for k, v in data.items() if k in known})
        poll.ttl_read = "ttl_seconds" in data
        return poll

    def as_row(self, run_id: int, source_id: str, polled_at: str) -> dict[str, Any]:
        """The `polls` table row."""
        return {
            "run_id": run_id,
            "source_id": source_id,
            "polled_at": polled_at,
            "http_status": self.http_status,
            "entries": self.entries,
            "new_entries": self.new_entries,
            "error": self.error,
            "duration_ms": self.duration_ms,
        }

    def copy(self) -> Poll:
        return Poll(**asdict(self))


def is_outage(polls: Iterable[Poll]) -> bool:
    """Every source failed on the network, across at least two hosts: not their fault."""
    answered = list(polls)
    hosts = {p.host for p in answered}
    return len(hosts) > 1 and all(p.network for p in answered)


class PollTracker:
    """The polls of one run, whichever process made them, and the rule that closes the run."""

    def __init__(self) -> None:
        self.polls: dict[str, Poll] = {}

    def add(self, source_id: str, poll: Poll) -> None:
        self.polls[source_id] = poll

    def close(self, answered: Iterable[Poll] | None = None) -> bool:
        """Judge the run over its answered polls (by default: the finished ones); in an outage,
        every failure is the network's. True if it was an outage."""
        judged = [p for p in self.polls.values() if p.finished] if answered is None else answered
        outage = is_outage(judged)
        if outage:
            for poll in self.polls.values():
                poll.blame_outage()
        return outage


class PollingSpider(Protocol):
    """What the extensions read off the running spider (spiders.base.MonitorSpider), typed
    here because library code never imports spiders/: the configured sources and the polls."""

    sources: dict[str, Source]
    polls: dict[str, Poll]
