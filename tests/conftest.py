"""Hypothesis profiles: every generated case reproduces, and a nightly-style run does ten times as many.

`default` (loaded here) runs each generated test with a seed taken from the test itself (`derandomize`) and no
example database, so two runs try the same cases and a failure reproduces anywhere; `thorough` runs ten times
as many (`python3 -m pytest --hypothesis-profile=thorough`). Tests that set their own count take it from the
profile: `settings(max_examples=n * settings.default.max_examples // 100)` is n in the default run and 10 n in
the thorough one. `--hypothesis-show-statistics` prints how many cases each test ran.

The `parser` fixture runs a test twice where PyYAML has libyaml: as cnncalc reads YAML with it, and as it reads
without it.

Tests that need torch, make, zsh, fish or an SVG renderer skip where these are missing. With CNNCALC_NO_SKIPS=1
(as CI runs) a skipped test fails the run: CI installs all of them, so a skip there means a test did not run.
"""

from __future__ import annotations

import os

import pytest
import yaml
from hypothesis import settings

settings.register_profile(
    "default",
    max_examples=100,
    derandomize=True,  # the seed is a hash of the test: fixed, so a failure reproduces
    database=None,  # nothing carried over between runs: the same cases every time
    deadline=None,  # a forward pass or a subprocess has no fixed cost; time limits are the tests' own
    print_blob=True,
)
settings.register_profile("thorough", settings.get_profile("default"), max_examples=1_000)
settings.load_profile("default")  # `--hypothesis-profile` replaces it after this file is read


PARSERS = ["libyaml", "pyyaml"] if hasattr(yaml, "CSafeLoader") else ["pyyaml"]


@pytest.fixture(params=PARSERS)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How cnncalc reads YAML: "libyaml" (its fast parser first, PyYAML's own for what it refuses) or "pyyaml"."""
    if request.param == "pyyaml":
        monkeypatch.setattr("cnncalc.compose.FAST_PARSER", None)
    return str(request.param)


NO_SKIPS = os.environ.get("CNNCALC_NO_SKIPS") == "1"


def _skipped(reporter: pytest.TerminalReporter | None) -> int:
    return len(reporter.stats.get("skipped", [])) if reporter is not None else 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if NO_SKIPS and exitstatus == pytest.ExitCode.OK and _skipped(reporter):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if NO_SKIPS and _skipped(terminalreporter):
        count = _skipped(terminalreporter)
        terminalreporter.write_line(f"CNNCALC_NO_SKIPS=1: {count} skipped, where every test must run", red=True)
