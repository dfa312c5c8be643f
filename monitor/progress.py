"""Progress of a cycle for whoever watches it: a live bar on a terminal (rich), `key=value` lines
for a log (cron, journald), one line per failing source, and a prompt answer to Ctrl-C.

The CLI picks the mode (`configure`); the extension is registered in monitor.settings and stays
silent unless a mode was picked, so the demo, tests and benchmarks that crawl in-process are
unchanged. Both crawlers of a run (feeds and listings) share one display.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.poll import poll_finished

log = logging.getLogger("monitor")
Mode = Literal["off", "bar", "plain"]
STOPPING = "stopping after the current writes (Ctrl-C again to stop at once)"


@dataclass
class _Settings:
    mode: Mode = "off"
    every: float = 30.0  # seconds between plain progress lines
    interrupted: threading.Event = field(default_factory=threading.Event)


_settings = _Settings()


def configure(verbose: bool = False) -> Mode:
    """Called by `monitor run` before the crawl: a live bar on a terminal; key=value lines for
    cron and journald (and with -v, beside Scrapy's log), every MONITOR_PROGRESS_SECONDS."""
    _settings.mode = "plain" if verbose or not sys.stderr.isatty() else "bar"
    try:
        _settings.every = max(0.1, float(os.environ.get("MONITOR_PROGRESS_SECONDS", "30")))
    except ValueError:
        _settings.every = 30.0
    return _settings.mode


def interrupted() -> bool:
    """True once the user pressed Ctrl-C during the crawl (the CLI then exits 130)."""
    return _settings.interrupted.is_set()


def console() -> Any:
    """The rich console on stderr that the bar and the log lines share (so neither tears)."""
    from rich.console import Console

    if _Display.console is None:
        _Display.console = Console(stderr=True, highlight=False)
    return _Display.console


@dataclass
class Tally:
    """What a person wants to know mid-cycle."""

    total: int = 0
    done: int = 0
    failed: int = 0
    fetched: int = 0
    relevant: int = 0

    def line(self) -> str:
        return (
            f"event=progress sources_done={self.done} sources_total={self.total} "
            f"sources_failed={self.failed} articles_fetched={self.fetched} "
            f"relevant={self.relevant}"
        )


class _Display:
    """One per process: the tally and whichever of the bar or the timer shows it."""

    console: ClassVar[Any] = None

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.tally = Tally()
        self.open = 0
        self.crawlers: list[Crawler] = []
        self.bar: Any = None
        self.task: Any = None
        self.timer: Any = None

    def start(self) -> None:
        if self.mode == "bar":
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("polling"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("sources · {task.fields[fetched]} articles fetched"),
                TextColumn("· {task.fields[relevant]} relevant"),
                TimeElapsedColumn(),
                console=console(),
                transient=True,  # the summary replaces it
            )
            self.task = self.bar.add_task("poll", total=None, fetched=0, relevant=0)
            self.bar.start()
        else:
            from twisted.internet import task

            self.timer = task.LoopingCall(lambda: log.info(self.refresh().line()))
            self.timer.start(_settings.every, now=False)

    def refresh(self) -> Tally:
        tally = self.tally
        tally.fetched = sum(
            int(c.stats.get_value("monitor/articles_fetched", 0) or 0) for c in self.crawlers
        )
        if self.bar is not None:
            self.bar.update(
                self.task,
                total=tally.total,
                completed=tally.done,
                fetched=tally.fetched,
                relevant=tally.relevant,
            )
        return tally

    def failed(self, source_id: str, error: str) -> None:
        if self.bar is not None:  # a log already has the poll's own key=value line
            from rich.text import Text

            from monitor.report import plain_error

            line = Text.assemble(("✗ ", "red"), f"{source_id}: {plain_error(error)}")
            line.truncate(console().width, overflow="ellipsis")
            console().print(line, highlight=False)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
        if self.timer is not None and self.timer.running:
            self.timer.stop()


class Progress:
    """Scrapy extension: spider and poll signals -> the shared display."""

    display: ClassVar[_Display | None] = None

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        if _settings.mode == "off":
            raise NotConfigured("progress is shown only for `monitor run`")
        if cls.display is None:
            cls.display = _Display(_settings.mode)
        cls.display.crawlers.append(crawler)
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.poll_finished, signal=poll_finished)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def _display(self) -> _Display:
        assert self.display is not None
        return self.display

    def spider_opened(self, spider: Spider) -> None:
        display = self._display
        display.tally.total += len(getattr(spider, "sources", {}))
        display.open += 1
        if display.open == 1:
            display.start()
            _catch_interrupt()
        display.refresh()

    def poll_finished(self, spider: Spider, source_id: str) -> None:
        display = self._display
        display.tally.done += 1
        poll = getattr(spider, "polls", {}).get(source_id)
        error = poll.error if poll is not None else None
        if error:
            display.tally.failed += 1
            display.failed(source_id, str(error))
        display.refresh()

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if getattr(item, "relevant", False):
            self._display.tally.relevant += 1
        self._display.refresh()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        display = self._display
        display.open -= 1
        if display.open == 0:
            display.stop()
            type(self).display = None


def _catch_interrupt() -> None:
    """Say at once that Ctrl-C was heard, then let Scrapy's own handler stop the crawl."""
    from twisted.internet import reactor, task

    def install() -> None:
        previous = signal.getsignal(signal.SIGINT)
        if not callable(previous):
            return

        def on_sigint(signum: int, frame: Any) -> None:
            _settings.interrupted.set()
            reactor.callFromThread(_say_stopping)  # no writes inside a signal handler
            previous(signum, frame)

        signal.signal(signal.SIGINT, on_sigint)

    task.deferLater(reactor, 0, install)  # after Scrapy's own handlers (installed at startup)


def _say_stopping() -> None:
    if _settings.mode == "bar":
        console().print(STOPPING)
    else:
        print(STOPPING, file=sys.stderr, flush=True)
