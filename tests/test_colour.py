"""Colour as compilers and ruff use it: `error:` red and `warning:` yellow, both bold, the rest of the line plain;
on a terminal only, unless `--color`, NO_COLOR (no-color.org) or FORCE_COLOR (force-color.org) say otherwise.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
LENET = str(ROOT / "specs" / "lenet5.yaml")

RED_ERROR = "\x1b[31m\x1b[1merror:\x1b[0m"  # click's style: red, bold, then everything reset
YELLOW_WARNING = "\x1b[33m\x1b[1mwarning:\x1b[0m"
RICH_WARNING = "\x1b[1;33mwarning:\x1b[0m"  # rich's, under a table: bold and yellow in one code
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

BAD = "input: [32, 32, 3]\nlayers:\n  - conv: {filters: 8, kernel: 3, stride: 0}\n"
STRIDE_ERROR = "3:43: {} layer 1 (conv): stride must be a positive integer, got 0"
FLOORED = "input: [224, 224, 3]\nlayers:\n  - conv: {filters: 64, kernel: 11, stride: 4}\n"
FLOOR_WARNING = "3:45: {} layer 1 (conv): height and width: (224 - 11) / 4 is not whole"

# the shell's own choices are not the test's
QUIET: dict[str, str | None] = {"NO_COLOR": None, "FORCE_COLOR": None, "TERM": "xterm", "COLUMNS": "100"}


def invoke(*args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner(env={**QUIET, **env}).invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def bad(tmp_path: Path) -> str:
    spec = tmp_path / "bad.yaml"
    spec.write_text(BAD)
    return str(spec)


@pytest.fixture
def floored(tmp_path: Path) -> str:
    spec = tmp_path / "floored.yaml"
    spec.write_text(FLOORED)
    return str(spec)


@pytest.fixture
def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard output and error on a terminal, as when a user types the command."""
    monkeypatch.setattr("cnncalc.terminal.on_terminal", lambda stream=None: stream in (None, sys.stdout, sys.stderr))


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        pytest.param(["--color", "always", "summary"], {}, True, id="always-before-the-command"),
        pytest.param(["summary", "--color", "always"], {}, True, id="always-after-the-command"),
        pytest.param(["summary"], {"FORCE_COLOR": "1"}, True, id="force-color"),
        pytest.param(["summary"], {}, False, id="auto-piped"),
        pytest.param(["summary", "--color", "never"], {"FORCE_COLOR": "1"}, False, id="never-beats-force-color"),
        pytest.param(["summary", "--color", "always"], {"NO_COLOR": "1"}, True, id="always-beats-no-color"),
        pytest.param(["summary"], {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, id="no-color-beats-force-color"),
        pytest.param(["summary"], {"FORCE_COLOR": ""}, False, id="empty-force-color-is-unset"),
    ],
)
def test_error_is_red_and_bold_where_asked_and_plain_elsewhere(
    bad: str, args: list[str], env: dict[str, str], coloured: bool
) -> None:
    code, out, err = invoke(*args, bad, **env)
    assert (code, out) == (2, "")
    assert err == f"{bad}:{STRIDE_ERROR.format(RED_ERROR if coloured else 'error:')}\n"


@pytest.mark.usefixtures("on_a_terminal")
@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        pytest.param([], {}, True, id="auto"),
        pytest.param([], {"NO_COLOR": "1"}, False, id="no-color"),
        pytest.param([], {"NO_COLOR": ""}, True, id="empty-no-color-is-unset"),
        pytest.param([], {"TERM": "dumb"}, False, id="dumb-terminal"),
        pytest.param(["--color", "never"], {}, False, id="never"),
    ],
)
def test_on_a_terminal_error_is_coloured_unless_turned_off(
    bad: str, args: list[str], env: dict[str, str], coloured: bool
) -> None:
    code, _, err = invoke("summary", *args, bad, **env)
    assert code == 2
    assert err == f"{bad}:{STRIDE_ERROR.format(RED_ERROR if coloured else 'error:')}\n"


def test_a_warning_is_yellow_under_the_table_and_on_standard_error(floored: str) -> None:
    code, out, err = invoke("--color", "always", "summary", floored)
    assert code == 0
    assert err.startswith(f"{floored}:{FLOOR_WARNING.format(YELLOW_WARNING)}")
    assert f"{floored}:{FLOOR_WARNING.format(RICH_WARNING)}" in out


def test_rf_and_a_query_colour_their_warnings_too(floored: str) -> None:
    _, out, err = invoke("rf", floored, "--color", "always")
    assert f"{floored}:{FLOOR_WARNING.format(RICH_WARNING)}" in out
    assert err.startswith(f"{floored}:{FLOOR_WARNING.format(YELLOW_WARNING)}")
    _, out, err = invoke("pool", "7x7x3", "--size", "2", "--color", "always")
    assert out.splitlines()[-1].startswith(f"{YELLOW_WARNING} height and width: (7 - 2) / 2 is not whole")
    assert err.startswith(f"{YELLOW_WARNING} height and width")


def test_check_colours_its_errors(bad: str) -> None:
    code, out, err = invoke("check", bad, "--color", "always")
    assert (code, out) == (2, "1 spec checked, 1 failed\n")
    assert err == f"{bad}:{STRIDE_ERROR.format(RED_ERROR)}\n"


def test_nothing_is_coloured_when_piped(floored: str) -> None:
    for args in (["summary", floored], ["rf", floored, "--plot"], ["pool", "7x7x3", "--size", "2"]):
        _, out, err = invoke(*args)
        assert "\x1b[" not in out + err, args


def test_forced_colour_keeps_a_piped_table_at_its_natural_width() -> None:
    # a pipe is no terminal, coloured or not: the table is not fitted to COLUMNS, only dressed
    _, plain, _ = invoke("summary", LENET, COLUMNS="60")
    _, coloured, _ = invoke("summary", LENET, "--color", "always", COLUMNS="60")
    assert coloured != plain
    assert ESCAPE.sub("", coloured) == plain


def test_never_leaves_no_escape_at_all_even_bold() -> None:
    _, out, _ = invoke("summary", LENET, "--color", "never", FORCE_COLOR="1")
    assert "\x1b" not in out


def test_a_colour_choice_that_does_not_exist_is_a_usage_error() -> None:
    code, out, err = invoke("summary", LENET, "--color", "sometimes")
    assert (code, out) == (2, "")
    assert (
        err.splitlines()[-1]
        == "Error: Invalid value for '--color': 'sometimes' is not one of 'auto', 'always', 'never'."
    )
