"""The `monitor` command line: each command parses options, calls one library function, prints."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from monitor import config as config_mod

SUMMARY_KEYS = (
    "sources_polled",
    "sources_failed",
    "entries_seen",
    "articles_fetched",
    "articles_new",
    "stories_new",
    "figures_new",
)


def config_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--config",
        "config_path",
        default=config_mod.DEFAULT_CONFIG,
        show_default=True,
        type=click.Path(dir_okay=False),
        help="Sources and options (YAML).",
    )(fn)


def db_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        "db_path",
        default=None,
        type=click.Path(dir_okay=False),
        help="Archive file [default: the config's `archive`, else archive.db].",
    )(fn)


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Known failures become one line and exit 1, never a traceback."""
    from monitor.errors import ArchiveError

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (config_mod.ConfigError, ArchiveError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def load_config(path: str, substitutions: dict[str, str] | None = None) -> config_mod.Config:
    return config_mod.load(path, substitutions)


class _OneLine(logging.Formatter):
    """One line per event: tracebacks belong to `-v`, not to a cron mail."""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return super().format(record).splitlines()[0]


def setup_logging(verbose: bool = False) -> None:
    """Our events as one line each on stderr; Scrapy only when it has something to warn about."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter if verbose else _OneLine
    handler.setFormatter(formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    if not verbose:  # a dead source is recorded in `polls`; Scrapy's retries are noise then
        handler.addFilter(lambda r: r.levelno >= logging.ERROR or r.name == "monitor")
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for noisy in ("trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def print_summary(row: dict[str, Any], db_path: str | Path) -> None:
    parts = ", ".join(f"{k.replace('_', ' ')}: {row[k]}" for k in SUMMARY_KEYS)
    click.echo(f"run {row['id']} {row['status']}: {parts}")
    click.echo(f"archive: {db_path}")
    if row["status"] == "all_failed":
        click.echo(
            "every source failed: check this machine's network or proxy (an outage across "
            "hosts does not count against the sources); `monitor status` lists the errors"
        )


@click.group()
@click.version_option(package_name="county-lines-monitor")
def cli() -> None:
    """Track what UK police and the press announce about county-lines drug operations."""


@cli.command()
@config_option
@db_option
@click.option("--source", "names", multiple=True, help="Poll only this source (repeatable).")
@click.option("--all", "every", is_flag=True, help="Poll every enabled source now, due or not.")
@click.option(
    "--trigger",
    type=click.Choice(["manual", "cron", "daemon"]),
    default="manual",
    help="Recorded in the runs table.",
)
@click.option("-v", "--verbose", is_flag=True, help="Also show Scrapy's own log.")
@friendly_errors
def run(
    config_path: str,
    db_path: str | None,
    names: tuple[str, ...],
    every: bool,
    trigger: str,
    verbose: bool,
) -> None:
    """Poll the due sources once and append what is new to the archive.

    Example:

        monitor run --all --db archive.db
    """
    from monitor.crawl import AlreadyRunning, run_cycle

    setup_logging(verbose)
    cfg = load_config(config_path)
    db_path = db_path or cfg.archive
    try:
        if cfg.redis:  # distributed mode: the workers crawl, the archiver writes
            from monitor import distributed

            queued = distributed.enqueue_cycle(cfg, db_path, names, every, trigger)
            busy = queued["skipped_in_flight"]
            click.echo(
                f"run {queued['run_id']} queued: {queued['queued']} sources for the workers"
                + (f" ({len(busy)} still in flight from an earlier run)" if busy else "")
            )
            return
        row = run_cycle(cfg, db_path, names=names, every=every, trigger=trigger)
    except AlreadyRunning as exc:
        click.echo(f"{exc}; nothing to do")
        return
    print_summary(row, db_path)


@cli.command()
@config_option
@click.option(
    "--max-polls", default=8, show_default=True, type=click.IntRange(1), help="Polls at once."
)
@click.option("-v", "--verbose", is_flag=True, help="Also show Scrapy's own log.")
@friendly_errors
def worker(config_path: str, max_polls: int, verbose: bool) -> None:
    """Poll sources from the shared Redis queue until stopped (needs `redis:` in the config).

    Start any number, on any machine that reaches Redis and the sources; SIGINT or SIGTERM
    gives unfinished polls back to the queue.

    Example:

        monitor worker --config config.yaml
    """
    from monitor import distributed

    setup_logging(verbose)
    cfg = load_config(config_path)
    distributed.run_worker(cfg, config_path, max_polls=max_polls)


@cli.command()
@config_option
@db_option
@click.option("--once", is_flag=True, help="Exit when no run is open and nothing is waiting.")
@click.option("-v", "--verbose", is_flag=True, help="Also show Scrapy's own log.")
@friendly_errors
def archiver(config_path: str, db_path: str | None, once: bool, verbose: bool) -> None:
    """Write what the workers finished into the archive: the one writer in distributed mode.

    Example:

        monitor archiver --config config.yaml
    """
    from monitor import distributed
    from monitor.distributed.archiver import ArchiverRunning

    setup_logging(verbose)
    cfg = load_config(config_path)
    db_path = db_path or cfg.archive
    try:
        summary = distributed.run_archiver(cfg, db_path, once=once)
    except ArchiverRunning as exc:
        raise click.ClickException(str(exc)) from None
    for row in summary["runs"]:
        print_summary(row, db_path)


@cli.command()
@config_option
@db_option
@click.option("--runs", "run_count", default=5, show_default=True, help="Recent runs to show.")
@friendly_errors
def status(config_path: str, db_path: str | None, run_count: int) -> None:
    """Show each source's health and the most recent runs.

    Example:

        monitor status --db archive.db
    """
    from monitor import report

    db_path = db_path or _archive_path(config_path)
    click.echo(report.status_text(db_path, run_count))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.File("rb"))
def extract(files: tuple[Any, ...]) -> None:
    """Print relevance and figures as one JSON line per saved page or text file ('-' is stdin).

    Example:

        monitor extract saved-release.html notes.txt
    """
    from monitor import extraction

    for handle in files:
        click.echo(json.dumps(extraction.extract_document(handle.read()), ensure_ascii=False))


@cli.command()
@config_option
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@friendly_errors
def serve(config_path: str, db_path: str | None, host: str, port: int) -> None:
    """Browse the archive in Datasette with the bundled metadata and queries.

    Example:

        monitor serve --db archive.db --port 8001
    """
    from monitor import browse

    db_path = db_path or _archive_path(config_path)
    browse.serve(db_path, host, port)


@cli.command()
@config_option
@db_option
@friendly_errors
def reextract(config_path: str, db_path: str | None) -> None:
    """Re-run figure extraction over the archive after the rules improve (idempotent).

    Example:

        monitor reextract --db archive.db
    """
    from monitor import archive, figures

    db_path = db_path or _archive_path(config_path)
    db = _existing_archive(db_path)
    report = archive.reextract(db, figures.extract, figures.EXTRACTOR_VERSION)
    click.echo(
        f"{report['articles']} articles checked with {figures.EXTRACTOR_VERSION}: "
        f"{report['changed']} changed ({report['figures_removed']} figures replaced by "
        f"{report['figures_added']})"
    )


@cli.command()
@config_option
@db_option
@friendly_errors
def restory(config_path: str, db_path: str | None) -> None:
    """Rebuild story grouping over the whole archive (after tuning); running it twice moves nothing.

    Example:

        monitor restory --db archive.db
    """
    from monitor.archive import stories

    db_path = db_path or _archive_path(config_path)
    report = stories.restory(_existing_archive(db_path))
    for move in report.moves:  # which articles changed story, so a reader can check them
        before = f"story {move.before}" if move.before else "no story"
        after = f"story {move.after}" if move.after else "no story"
        click.echo(f"moved article {move.article_id} ({move.url}): {before} -> {after}")
    click.echo(
        f"{report['articles']} articles in {report['stories']} stories: {report['moved']} moved, "
        f"{report['stories_created']} stories created, {report['stories_removed']} removed"
    )


@cli.command()
@config_option
@db_option
@click.argument("out", type=click.Path(dir_okay=False))
@friendly_errors
def snapshot(config_path: str, db_path: str | None, out: str) -> None:
    """Write a consistent copy of the archive (VACUUM INTO) that is safe to publish or serve -i.

    Example:

        monitor snapshot --db archive.db public/archive.db
    """
    from monitor import browse

    db_path = db_path or _archive_path(config_path)
    browse.snapshot(db_path, out)
    click.echo(f"snapshot written: {out}")


@cli.command()
@config_option
@click.option("--tick", default=60, show_default=True, help="Seconds between due-source checks.")
@friendly_errors
def daemon(config_path: str, tick: int) -> None:
    """Run cycles on schedule, each in its own process, until SIGTERM or SIGINT.

    Example:

        monitor daemon --config /etc/monitor/config.yaml
    """
    from monitor import schedule

    setup_logging()
    cfg = load_config(config_path)
    schedule.run_daemon(config_path, cfg, tick)


@cli.command()
@click.option(
    "--db",
    "db_path",
    default="demo.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Archive to write the demo into.",
)
@friendly_errors
def demo(db_path: str) -> None:
    """Run the whole pipeline offline on bundled sample feeds served on 127.0.0.1.

    Example:

        monitor demo && monitor serve --db demo.db
    """
    from monitor import demo as demo_mod

    setup_logging()
    row = demo_mod.run_demo(db_path)
    print_summary(row, db_path)
    click.echo(f"browse it: monitor serve --db {db_path}")


def _existing_archive(db_path: str | Path) -> Any:
    """Open an archive that must already exist (never create an empty one by mistake)."""
    from monitor import archive

    if not Path(db_path).exists():
        raise archive.ArchiveError(f"{db_path}: no archive yet; run `monitor run` first")
    return archive.open_archive(db_path)


def _archive_path(config_path: str) -> str:
    """The config's archive when the config exists; archive.db otherwise."""
    if Path(config_path).exists():
        return load_config(config_path).archive
    return config_mod.DEFAULT_ARCHIVE
