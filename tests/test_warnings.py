"""Warnings as a user meets them: in every output that has a place for them, on standard error too where the
output is no terminal, in `rf` as in `summary`; and an option that a format cannot honour is refused, not dropped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
LENET = str(ROOT / "specs" / "lenet5.yaml")

# AlexNet's first conv on 224 x 224: (224 - 11) / 4 = 53.25, floored
FLOORED = "input: [224, 224, 3]\nlayers:\n  - conv: {filters: 64, kernel: 11, stride: 4}\n"
WARNING = (
    "3:45: warning: layer 1 (conv): height and width: (224 - 11) / 4 is not whole, so the output is floored to 54"
    " and the last input row and column are left out"
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def floored(tmp_path: Path) -> str:
    spec = tmp_path / "floored.yaml"
    spec.write_text(FLOORED)
    return str(spec)


@pytest.fixture
def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard output as a terminal (standard error stays captured): what is printed is what the user sees."""
    monkeypatch.setattr("cnncalc.terminal.on_terminal", lambda stream=None: stream in (None, sys.stdout))


@pytest.mark.parametrize(
    ("output_format", "in_the_output"),
    [
        pytest.param("table", lambda out, line: line in out.splitlines(), id="under-the-table"),
        pytest.param("markdown", lambda out, line: f"- {line}" in out.splitlines(), id="markdown-bullet"),
        pytest.param(
            "json", lambda out, line: line.endswith(json.loads(out)["warnings"][0]["message"]), id="json-warnings"
        ),
        pytest.param("csv", lambda out, line: "warning" not in out, id="csv-has-no-place"),
    ],
)
def test_piped_output_keeps_its_warnings_and_standard_error_gets_them_too(
    floored: str, output_format: str, in_the_output: object
) -> None:
    code, out, err = invoke("summary", floored, "--format", output_format)
    assert code == 0
    assert err == f"{floored}:{WARNING}\n"
    assert callable(in_the_output) and in_the_output(out, f"{floored}:{WARNING}")


@pytest.mark.usefixtures("on_a_terminal")
@pytest.mark.parametrize("output_format", ["table", "markdown", "json"])
def test_on_a_terminal_a_warning_is_shown_once(floored: str, output_format: str) -> None:
    code, out, err = invoke("summary", floored, "--format", output_format)
    assert (code, err) == (0, "")
    assert "(224 - 11) / 4 is not whole" in out


@pytest.mark.usefixtures("on_a_terminal")
def test_on_a_terminal_csv_still_sends_its_warnings_to_standard_error(floored: str) -> None:
    code, out, err = invoke("summary", floored, "--format", "csv")
    assert (code, err) == (0, f"{floored}:{WARNING}\n")
    assert "warning" not in out


def test_rf_shows_the_warning_summary_shows(floored: str) -> None:
    code, out, err = invoke("rf", floored)
    assert (code, err) == (0, f"{floored}:{WARNING}\n")
    assert out.splitlines()[-1] == f"{floored}:{WARNING}"


def test_rf_plot_shows_it_under_the_chart(floored: str) -> None:
    code, out, err = invoke("rf", floored, "--plot")
    assert (code, err) == (0, f"{floored}:{WARNING}\n")
    assert out.splitlines()[-1] == f"{floored}:{WARNING}"


@pytest.mark.usefixtures("on_a_terminal")
def test_rf_json_has_no_place_for_it_so_standard_error_has_it(floored: str) -> None:
    code, out, err = invoke("rf", floored, "--format", "json")
    assert (code, err) == (0, f"{floored}:{WARNING}\n")
    assert "warning" not in out


def test_a_query_warns_on_standard_error_too_when_piped() -> None:
    code, out, err = invoke("pool", "7x7x3", "--size", "2")
    warning = (
        "warning: height and width: (7 - 2) / 2 is not whole, so the output is floored to 3 and the last input row"
        " and column are left out"
    )
    assert (code, err) == (0, f"{warning}\n")
    assert out.splitlines()[-1] == warning


def test_without_warnings_standard_error_stays_empty() -> None:
    quiet = (
        ["summary", LENET],
        ["summary", LENET, "--format", "json"],
        ["rf", LENET],
        ["pool", "8x8x1", "--size", "2"],
    )
    for args in quiet:
        code, _, err = invoke(*args)
        assert (code, err) == (0, ""), args


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--view", "fc", "--format", "csv"],
            "--view fc goes with the table and markdown formats (json has each conv's dense_equivalent_params and"
            " connections), not csv",
            id="fc-csv",
        ),
        pytest.param(
            ["--batch", "32", "--format", "csv"],
            "--batch and --dtype size the memory line, which csv has no place for: use json or markdown",
            id="batch-csv",
        ),
        pytest.param(
            ["--format", "csv", "--dtype", "float16"],
            "--batch and --dtype size the memory line, which csv has no place for: use json or markdown",
            id="dtype-csv",
        ),
        pytest.param(
            ["--explain", "--format", "csv"],
            "--explain goes with the table, markdown and json formats, not csv",
            id="explain-csv",
        ),
    ],
)
def test_an_option_a_format_cannot_honour_is_refused(args: list[str], message: str) -> None:
    code, out, err = invoke("summary", LENET, *args)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == f"Error: {message}"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--view", "fc", "--format", "json"], id="fc-json"),  # each conv's dense equivalent is in it
        pytest.param(["--view", "fc", "--format", "markdown"], id="fc-markdown"),
        pytest.param(["--explain", "--format", "json"], id="explain-json"),
        pytest.param(["--batch", "32", "--dtype", "float16", "--format", "json"], id="batch-json"),
        pytest.param(["--batch", "32", "--dtype", "float16", "--format", "markdown"], id="batch-markdown"),
    ],
)
def test_what_a_format_honours_is_taken(args: list[str]) -> None:
    code, out, err = invoke("summary", LENET, *args)
    assert (code, err) == (0, "")
    assert out
