"""The fast lane: tests that start redis-server or Chromium are marked so `-m` can leave them out,
including test files written after tests/conftest.py was (the hook reads names, not a list)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")
FAST_LANE = "not slow and not redis and not browser"

NEW_FILES = {
    # a module that starts the program itself (split here so this module does not count)
    "test_queue": "import shutil\n"
    "def test_starts_it():\n"
    "    assert shutil.which('redis"
    "-server') or True\n",
    # a module that only uses a fixture that does
    "test_workers": "import pytest\n"
    "@pytest.fixture\n"
    "def redis_url():\n"
    "    return 'redis://127.0.0.1:1/0'\n"
    "def test_uses_it(redis_url):\n"
    "    assert redis_url\n",
    # a module named for the browser
    "test_browser_pages": "def test_page():\n    assert True\n",
    "test_screens": "CHROME = '/usr/bin/chromium'\ndef test_shot():\n    assert CHROME\n",
    "test_slowish": "import pytest\n@pytest.mark.slow\ndef test_long():\n    assert True\n",
    "test_plain": "def test_plain():\n    assert True\n",
}


def selected(pytester: pytest.Pytester, expression: str) -> set[str]:
    """The test ids `pytest -m expression` would run in the pytester directory."""
    result = pytester.runpytest("--collect-only", "-q", "-m", expression)
    return {line.split("::")[0] for line in result.outlines if "::" in line}


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A suite with this project's conftest and markers, and test files it has never seen."""
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makeini(
        "[pytest]\naddopts = --strict-markers\nmarkers =\n    slow: s\n    redis: r\n    browser: b\n"
    )
    pytester.makepyfile(**NEW_FILES)
    return pytester


def test_redis_and_browser_are_marked_from_module_text_fixtures_and_names(
    suite: pytest.Pytester,
) -> None:
    assert selected(suite, "redis") == {"test_queue.py", "test_workers.py"}
    assert selected(suite, "browser") == {"test_browser_pages.py", "test_screens.py"}


def test_the_fast_lane_leaves_out_slow_redis_and_browser_tests(suite: pytest.Pytester) -> None:
    assert selected(suite, FAST_LANE) == {"test_plain.py"}
    assert len(selected(suite, "slow or redis or browser")) == len(NEW_FILES) - 1


def test_an_unknown_marker_is_an_error(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_typo="import pytest\n@pytest.mark.slwo\ndef test_x():\n    pass\n")
    result = suite.runpytest("-q", "test_typo.py")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*'slwo' not found in `markers`*"])
