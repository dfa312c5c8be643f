"""The README stays true: every command is documented there and in its own --help."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_readme_with_help_and_example(name: str) -> None:
    assert f"`monitor {name}" in README, f"README.md does not document `monitor {name}`"
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_readme_test_command_is_what_ci_runs() -> None:
    fenced = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    test_command = next(block for block in fenced if "pytest" in block)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_readme_config_keys_are_real_config_keys() -> None:
    from monitor.config import Config, Selectors, Source

    block = README.split("## Configuration", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    keys = set(re.findall(r"^\s*-?\s*([a-z_]+):", block, re.M))
    known = set(Config.model_fields) | set(Source.model_fields) | set(Selectors.model_fields)
    assert keys <= known, keys - known


def test_readme_extract_example_is_what_extract_prints() -> None:
    block = README.split("Example of `monitor extract`:", 1)[1].split("```bash\n", 1)[1]
    command, shown = block.split("\n```", 1)[0].split("\n", 1)
    text = command.split('echo "', 1)[1].split('" |', 1)[0]
    result = CliRunner().invoke(cli, ["extract", "-"], input=text)
    assert result.output.strip() == shown.strip()


def test_readme_interval_examples_are_what_the_config_accepts() -> None:
    from monitor.config import parse_interval

    line = next(ln for ln in README.splitlines() if ln.strip().startswith("every:"))
    accepted, refused = line.split("#", 1)[1].split(":", 1)[1].split("(", 1)
    for value in accepted.replace(",", " ").split():
        assert parse_interval(value) >= 60, value
    bad = refused.split()[0]
    with pytest.raises(ValueError, match="shorter than the 1 minute minimum"):
        parse_interval(bad)


def test_readme_command_table_is_generated_from_help() -> None:
    """`cog -r README.md` regenerates it; a new or changed command fails here until it is run."""
    proc = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "--diff", "README.md"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"README.md is stale: run `cog -r README.md`\n{proc.stdout}"
    for name in COMMANDS:
        assert f"| `monitor {name}" in README
