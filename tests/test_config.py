"""config.yaml validation: every mistake is one line naming the file and the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor import config
from tests.conftest import ROOT, monitor

GOOD = "sources:\n  - name: gmp\n    url: https://example.org/feed\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: [\n", "c.yaml: not valid YAML at line 2"),
        # libyaml reads valid configs; a refused one is re-read in Python, whose error names more
        ("sources: *feeds\n", "c.yaml: not valid YAML at line 1: found undefined alias 'feeds'"),
        ("sources:\n\t- a\n", "c.yaml: not valid YAML at line 2: found character '\\t' that"),
        (
            "sources:\n  - name: a\n    url: ftp://x/y\n",
            "c.yaml: sources[0].url: 'ftp://x/y' is not an http(s) URL",
        ),
        (GOOD + "    every: soon\n", "c.yaml: sources[0].every: 'soon' is not an interval"),
        (GOOD + "    every: 10s\n", "c.yaml: sources[0].every: '10s' is shorter than the 1 minute"),
        (GOOD + "    colour: red\n", "c.yaml: sources[0].colour: unknown key"),
        (GOOD + "archiv: x.db\n", "c.yaml: archiv: unknown key (did you mean `archive`?)"),
        (
            GOOD.replace("sources:", "sorces:"),
            "c.yaml: sorces: unknown key (did you mean `sources`?)",
        ),
        (GOOD + "    evry: 2h\n", "c.yaml: sources[0].evry: unknown key (did you mean `every`?)"),
        (
            GOOD + "    history: {preset: sitemap, ulr: 'https://e.org/s.xml'}\n",
            "c.yaml: sources[0].history.ulr: unknown key (did you mean `url`?)",
        ),
        (
            GOOD + "  - name: gmp\n    url: https://example.org/2\n",
            "c.yaml: sources[1].name: duplicate",
        ),
        (
            "sources:\n  - name: npcc\n    url: https://e.org/\n    type: html\n",
            "c.yaml: sources[0]: an html source needs",
        ),
        (
            GOOD + "    type: html\n    preset: joomla\n",
            "c.yaml: sources[0].preset: Input should be 'soh-listing'",
        ),
        ("- just a list\n", "c.yaml: expected a mapping"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.parse(text, "c.yaml")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_intervals_parse_to_seconds() -> None:
    cfg = config.parse(GOOD + "    every: 2h30m\n")
    assert cfg.sources[0].every == 9000
    assert config.parse(GOOD).sources[0].every == 1800
    assert config.parse(GOOD + "    every: 90s\n").sources[0].every == 90  # the minimum is 1m


def test_a_far_off_key_gets_no_guess() -> None:
    with pytest.raises(config.ConfigError) as err:
        config.parse(GOOD + "    colour: red\n", "c.yaml")
    assert str(err.value) == "c.yaml: sources[0].colour: unknown key"


def test_cli_names_a_misspelt_top_level_key(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text(GOOD.replace("sources:", "sorces:"))
    proc = monitor("run", "--config", str(bad), "--db", str(tmp_path / "a.db"), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"Error: {bad}: sorces: unknown key (did you mean `sources`?)"


def test_shipped_config_is_valid_and_covers_the_recommended_sources() -> None:
    cfg = config.load(ROOT / "config.yaml")
    kinds = {s.kind for s in cfg.sources}
    assert kinds == {"police", "gov", "press", "aggregator"}
    urls = " ".join(s.url for s in cfg.sources)
    for needle in (
        "gmp.police.uk",
        "westmidlands.police.uk",
        "merseyside.police.uk",
        "news.met.police.uk",
        "nationalcrimeagency.gov.uk",
        "gov.uk/government",
        "keywords=county+lines",
        "feeds.bbci.co.uk",
        "news.google.com",
        "manchestereveningnews",
        "dailyecho",
    ):
        assert needle in urls


def test_cli_reports_bad_config_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("sources:\n  - name: a\n    url: http://x/\n    every: fortnightly\n")
    proc = monitor("run", "--config", str(bad), "--db", str(tmp_path / "a.db"), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"Error: {bad}: sources[0].every: 'fortnightly' is not an interval like 30m, 2h or 1d"
    )
    assert not (tmp_path / "a.db").exists()


def test_missing_config_names_the_file(tmp_path: Path) -> None:
    proc = monitor("run", "--config", str(tmp_path / "nope.yaml"), check=False)
    assert proc.returncode == 1
    assert "nope.yaml: cannot read config" in proc.stderr


def test_unknown_source_name_suggests_the_nearest(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(GOOD.replace("name: gmp", "name: npcc"))
    proc = monitor("run", "--config", str(cfg), "--source", "npc", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: no source named 'npc' (did you mean `npcc`?)"
    far = monitor("run", "--config", str(cfg), "--source", "kent", check=False)
    assert far.stderr.strip() == "Error: no source named 'kent'; configured: npcc"


def test_cli_refuses_an_interval_under_a_minute_and_accepts_90s(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        GOOD.replace("https://example.org/feed", "http://127.0.0.1:1/f") + "    every: 30s\n"
    )
    proc = monitor("run", "--config", str(cfg), "--db", str(tmp_path / "a.db"), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"Error: {cfg}: sources[0].every: '30s' is shorter than the 1 minute minimum"
    )
    cfg.write_text(cfg.read_text().replace("30s", "90s"))
    monitor("run", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    assert config.load(cfg).sources[0].every == 90


@pytest.mark.parametrize("setting", [None, "logfire"])
def test_building_the_config_models_leaves_pydantic_plugins_as_the_user_set_them(
    setting: str | None,
) -> None:
    """The models are built with pydantic's plugin scan off (a cost on every run), and the
    variable is put back: the worker, Datasette and anything else started after see the
    user's own setting."""
    code = (
        "import os; from monitor import config; "
        "print(repr(os.environ.get('PYDANTIC_DISABLE_PLUGINS')), config.Config.__name__)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if setting:
        env["PYDANTIC_DISABLE_PLUGINS"] = setting
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [repr(setting), "Config"]
