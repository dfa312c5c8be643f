"""The `monitor` command line: each command parses options, calls one library function, prints."""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from monitor import config as config_mod
from monitor.poll import RUN_COUNTERS


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
        except sqlite3.DatabaseError as exc:  # a page corrupted past what open_archive reads
            where = kwargs.get("db_path") or "the archive"
            raise click.ClickException(f"{where}: cannot read archive: {exc}") from None

    return wrapper


def load_config(path: str, substitutions: dict[str, str] | None = None) -> config_mod.Config:
    return config_mod.load(path, substitutions)


class _OneLine(logging.Formatter):
    """One line per event: tracebacks belong to `-v`, not to a cron mail."""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return super().format(record).splitlines()[0]


# Scrapy's per-request download failures: each source's outcome is already one poll line
_DOWNLOAD_NOISE = ("Gave up retrying", "Error downloading")


def _quiet(record: logging.LogRecord) -> bool:
    """Without -v: our own lines, and other errors except download failures."""
    if record.name == "monitor" or record.name.startswith("monitor."):
        return True
    return record.levelno >= logging.ERROR and not str(record.msg).startswith(_DOWNLOAD_NOISE)


class _ConsoleHandler(logging.Handler):
    """Log lines printed above the live progress bar instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        from monitor import progress

        progress.console().print(self.format(record), markup=False, highlight=False)


def setup_logging(verbose: bool = False, terminal: bool = False) -> None:
    """Our events as one line each on stderr; Scrapy's own log only with -v. On a terminal
    (`terminal`) the progress bar speaks for the crawl and only warnings are logged."""
    handler: logging.Handler = _ConsoleHandler() if terminal else logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter if verbose else _OneLine
    handler.setFormatter(formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    if not verbose:  # a dead source is recorded in `polls`; Scrapy's retries are noise then
        handler.addFilter(_quiet)
    if terminal and not verbose:
        handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for noisy in ("trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def print_summary(row: dict[str, Any], db_path: str | Path) -> None:
    parts = ", ".join(f"{k.replace('_', ' ')}: {row[k]}" for k in RUN_COUNTERS)
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
@click.option(
    "--source", "names", multiple=True, metavar="NAME", help="Poll only this source (repeatable)."
)
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

    On a terminal a progress bar shows sources done, articles fetched and relevant ones, with
    one line per failing source; in a log (cron, journald) each poll is one key=value line.
    Ends with a summary and the next step. Exits 0 even if sources failed (they are recorded),
    1 with a one-line reason for a bad config or an unusable archive, 130 after Ctrl-C. With
    nothing due it says when the next poll is and records no run; an overlapping run says
    "already running" and exits 0.

    Example:

        monitor run --all --db archive.db
    """
    from monitor import progress, report
    from monitor.crawl import AlreadyRunning, NothingDue, run_cycle

    mode = progress.configure(verbose)
    setup_logging(verbose, terminal=mode == "bar")
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
    except NothingDue as due:
        when = f"next poll at {report.local_time(due.at)} ({due.source_id})"
        click.echo(f"nothing due; {when if due.at else 'no source is enabled'}")
        return
    except KeyboardInterrupt:  # before or after the crawl (during it, Scrapy stops cleanly)
        click.echo("interrupted", err=True)
        sys.exit(130)
    print_summary(row, db_path)
    click.echo(report.next_step([row], db_path))
    if progress.interrupted():
        sys.exit(130)  # what shells expect after Ctrl-C


@cli.command()
@config_option
@db_option
@click.option("--source", "names", multiple=True, help="Walk only this source (repeatable).")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Oldest day.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Newest day [default: today].")
@click.option(
    "--rate",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Requests per second per host (0: no delay, for your own mirror only).",
)
@click.option("-v", "--verbose", is_flag=True, help="Also show Scrapy's own log.")
@friendly_errors
def backfill(
    config_path: str,
    db_path: str | None,
    names: tuple[str, ...],
    since: Any,
    until: Any,
    rate: float,
    verbose: bool,
) -> None:
    """Walk the sources' own history (listings, searches, sitemaps) back to --since and archive
    it as `monitor run` would; an interrupted backfill resumes, a finished one does nothing.

    Example:

        monitor backfill --source kent-police --since 2019-01-01
    """
    from monitor.backfill import run_backfill
    from monitor.crawl import AlreadyRunning
    from monitor.dates import uk_date

    setup_logging(verbose)
    if sys.stderr.isatty() and not verbose:  # the bars redraw in place: only warnings between
        logging.getLogger("monitor").setLevel(logging.WARNING)
    cfg = load_config(config_path)
    db_path = db_path or cfg.archive
    window = {"since": since.date().isoformat(), "until": until.date().isoformat() if until else ""}
    try:
        result = run_backfill(cfg, db_path, names=names, rate=rate, **window)
    except AlreadyRunning as exc:
        click.echo(f"{exc}; nothing to do")
        return
    for walk in result.walks:
        c = walk.cursor
        click.echo(
            f"{walk.id}: {c.status}, {c.pages} pages, {c.articles} articles, {c.relevant} relevant,"
            f" reached {uk_date(c.reached) or '-'}" + (f" ({c.last_error})" if c.last_error else "")
        )
    print_summary(result.run, db_path)


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
@click.option(
    "--runs", "run_count", default=5, show_default=True, metavar="N", help="Recent runs to show."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document (sources, runs) instead.")
@friendly_errors
def status(config_path: str, db_path: str | None, run_count: int, as_json: bool) -> None:
    """Show each source's health (status, error score, last success, last new item, next poll,
    last error) and the most recent runs, as tables that fit the terminal.

    Example:

        monitor status --db archive.db
        monitor status --json | jq '.sources[] | select(.status != "ok") | .id'
    """
    from monitor import report

    db_path = db_path or _archive_path(config_path)
    found = report.load_status(db_path, run_count)
    click.echo(found.as_json() if as_json else report.status_text(found))


@cli.command()
@config_option
@click.option("--probe", is_flag=True, help="Also fetch each enabled source once, politely.")
@click.option(
    "--delay", default=1.0, show_default=True, type=click.FloatRange(0), help="Seconds per host."
)
@friendly_errors
def check(config_path: str, probe: bool, delay: float) -> None:
    """Validate the config without polling; with --probe, fetch each source once and say what it
    is (feed with N entries, listing with N items, HTML page and the feeds it advertises, HTTP
    error, robots.txt refusal). Exits 1 if anything is wrong or unusable.

    Example:

        monitor check --config config.yaml --probe
    """
    from monitor import check as check_mod

    cfg = load_config(config_path)
    problems = check_mod.validate(cfg, config_path)
    for line in problems:
        click.echo(line)
    click.echo(check_mod.summary(cfg))
    if problems:
        raise click.ClickException(f"{config_path}: {len(problems)} problems")
    if probe:
        results = check_mod.probe(cfg, delay)
        click.echo(check_mod.probe_text(results))
        if not all(r.usable for r in results):
            sys.exit(1)


@cli.command()
@config_option
@db_option
@friendly_errors
def coverage(config_path: str, db_path: str | None) -> None:
    """Show each UK force with its sources and a verdict: watched, quiet 30 days, failing,
    never succeeded or not watched (before any run: what the config would watch).

    Example:

        monitor coverage --db archive.db
    """
    from monitor import coverage as coverage_mod

    cfg = load_config(config_path) if Path(config_path).exists() else None
    db_path = db_path or (cfg.archive if cfg else config_mod.DEFAULT_ARCHIVE)
    db, from_config = coverage_mod.open_for(db_path, cfg)
    if from_config:
        click.echo(f"{db_path}: no archive yet; showing what {config_path} would watch")
    click.echo(coverage_mod.text(coverage_mod.read(db)))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.File("rb"), metavar="FILE...")
def extract(files: tuple[Any, ...]) -> None:
    """Print relevance and figures as one JSON line per saved page or text file ('-' is stdin).

    Each line names its input in "file" ("-" for stdin), so lines can be matched to files.

    Example:

        monitor extract saved-release.html notes.txt
    """
    from monitor import extraction

    for handle in files:
        name = getattr(handle, "name", "-")
        name = "-" if name == "<stdin>" else name
        found = extraction.extract_document(handle.read())
        click.echo(json.dumps({"file": name, **found}, ensure_ascii=False))


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
    try:
        browse.serve(db_path, host, port)
    except browse.ServeError as exc:  # port in use, bad port: one line, exit 1
        raise click.ClickException(str(exc)) from None


@cli.command()
@config_option
@db_option
@friendly_errors
def reextract(config_path: str, db_path: str | None) -> None:
    """Re-run figure extraction over the archive after the rules improve (idempotent).

    Rewrites only articles whose figures changed and reports how many; running it twice changes
    nothing.

    Example:

        monitor reextract --db archive.db
    """
    from monitor import archive, attribution, figures

    db_path = db_path or _archive_path(config_path)
    db = _existing_archive(db_path)
    report = archive.reextract(
        db, figures.extract, figures.EXTRACTOR_VERSION, attribution.attribute
    )
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
    from monitor.archive import regroup

    db_path = db_path or _archive_path(config_path)
    report = regroup.restory(_existing_archive(db_path))
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
@click.argument("out", type=click.Path(dir_okay=False), metavar="OUT.db")
@friendly_errors
def snapshot(config_path: str, db_path: str | None, out: str) -> None:
    """Write a consistent copy of the archive (VACUUM INTO) that is safe to publish or serve -i.

    Refuses to overwrite OUT.db.

    Example:

        monitor snapshot --db archive.db public/archive.db
    """
    from monitor import browse

    db_path = db_path or _archive_path(config_path)
    browse.snapshot(db_path, out)
    click.echo(f"snapshot written: {out}")


@cli.command()
@config_option
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True
)
@click.option("--since", default=None, help="Only figures published on or after this UK date.")
@click.argument("out", default="-", type=click.File("w", encoding="utf-8", lazy=True))
@friendly_errors
def export(config_path: str, db_path: str | None, fmt: str, since: str | None, out: Any) -> None:
    """Write the figure_series rows (one per counted figure) as CSV or JSON Lines (`-`: stdout).

    Example:

        monitor export --db archive.db --since 2022-01-01 figures.csv
    """
    from monitor import export as export_mod

    try:
        since = export_mod.check_since(since)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db = _existing_archive(db_path or _archive_path(config_path))
    count = export_mod.write(export_mod.series(db, since), out, fmt)
    click.echo(f"{count} figures exported", err=True)


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
