"""`python -m monitor` is the `monitor` command (the daemon starts cycles this way)."""

from monitor.cli import cli

if __name__ == "__main__":
    cli()
