"""The command line's edge, each thing held once: the size and padding types apply and the layer commands share,
the one way a table is fitted to the terminal, and choices that must agree with the tables that define them."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from cnncalc.cli import MAX_SIZE, PaddingType, PairType, cli
from cnncalc.commands.apply import PADDING, PAIR
from cnncalc.terminal import fitted

MATRIX = "1 3 10 0; 8 4 2 9; 7 2 1 3; 1 1 0 4"
LONG = "9" * 5_000


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def refusal(kind: click.ParamType, value: object) -> str:  # type: ignore[type-arg]
    with pytest.raises(click.BadParameter) as raised:
        kind.convert(value, None, None)
    return raised.value.message


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        pytest.param("3", (3, 3), id="one-for-both"),
        pytest.param("3x5", (3, 5), id="height-x-width"),
        pytest.param(" 3 X 5 ", (3, 5), id="spaces-and-capital-x"),
        pytest.param("3,5", (3, 5), id="comma"),
        pytest.param("003x0005", (3, 5), id="leading-zeros"),
        pytest.param(str(MAX_SIZE), (MAX_SIZE, MAX_SIZE), id="largest"),
    ],
)
def test_a_pair_reads_the_same_in_apply_and_the_layer_commands(text: str, pair: tuple[int, int]) -> None:
    assert PAIR.convert(text, None, None) == pair
    assert PairType().convert(text, None, None) == pair


@pytest.mark.parametrize(
    ("text", "apply_says", "layer_says"),
    [
        pytest.param(
            "0",
            "'0' is not a positive size: write 2, or 2x3 for height and width",
            "'0': write one positive integer, or two as HxW",
            id="zero",
        ),
        pytest.param(
            str(MAX_SIZE + 1),
            "'2147483648' is not a positive size: write 2, or 2x3 for height and width",
            "'2147483648': write one positive integer, or two as HxW",
            id="past-max-size",
        ),
        pytest.param(
            "1x2x3",
            "'1x2x3' is not a positive size: write 2, or 2x3 for height and width",
            "'1x2x3': write one positive integer, or two as HxW",
            id="three-sizes",
        ),
        pytest.param(
            LONG,
            f"{LONG!r} is not a positive size: write 2, or 2x3 for height and width",  # apply shows it whole
            f"'{'9' * 36}...: write one positive integer, or two as HxW",
            id="five-thousand-digits",
        ),
    ],
)
def test_a_pair_is_refused_in_each_command_s_words(text: str, apply_says: str, layer_says: str) -> None:
    assert refusal(PAIR, text) == apply_says
    assert refusal(PairType(), text) == layer_says


def test_apply_trims_only_ascii_white_space_from_a_pair_as_it_always_has() -> None:
    assert PairType().convert("2\xa0", None, None) == (2, 2)
    assert refusal(PAIR, "2\xa0") == "'2\\xa0' is not a positive size: write 2, or 2x3 for height and width"


@pytest.mark.parametrize(
    ("text", "sides"),
    [
        pytest.param("1", (1, 1, 1, 1), id="p"),
        pytest.param("1,2", (1, 1, 2, 2), id="ph-pw"),
        pytest.param("1,2,3,4", (1, 2, 3, 4), id="top-bottom-left-right"),
        pytest.param(" Same ", "same", id="same"),
        pytest.param("valid", "valid", id="valid"),
    ],
)
def test_a_layer_s_padding_is_four_sides(text: str, sides: object) -> None:
    assert PaddingType().convert(text, None, None) == sides


@pytest.mark.parametrize(
    ("text", "padding"),
    [
        pytest.param("1", 1, id="p"),
        pytest.param("1000", 1_000, id="largest-apply-takes"),
        pytest.param("same", "same", id="same"),
        pytest.param(3, 3, id="already-a-number"),
    ],
)
def test_apply_s_padding_is_one_number(text: object, padding: object) -> None:
    assert PADDING.convert(text, None, None) == padding


@pytest.mark.parametrize(
    ("text", "apply_says", "layer_says"),
    [
        pytest.param(
            "1,2",
            "'1,2' is not a padding: write a number of pixels (1), same or valid",
            None,
            id="two-sizes-only-a-layer-takes",
        ),
        pytest.param(
            "1,2,3",
            "'1,2,3' is not a padding: write a number of pixels (1), same or valid",
            "'1,2,3': write same, valid, p, ph,pw or top,bottom,left,right",
            id="three-sizes",
        ),
        pytest.param(
            "full",
            "'full' is not a padding: write a number of pixels (1), same or valid",
            "'full': write same, valid, p, ph,pw or top,bottom,left,right",
            id="a-word",
        ),
        pytest.param(
            "1,99999999999,3",
            "'1,99999999999,3' is not a padding: write a number of pixels (1), same or valid",
            "'1,99999999999,3': every padding must be at most 2,147,483,647",
            id="past-max-size-before-the-count",
        ),
        pytest.param(
            "1001", "padding 1,001 is more than the 1,000 a side apply takes", None, id="past-what-apply-takes"
        ),
    ],
)
def test_a_padding_is_refused_in_each_command_s_words(text: str, apply_says: str, layer_says: str | None) -> None:
    assert refusal(PADDING, text) == apply_says
    if layer_says is not None:
        assert refusal(PaddingType(), text) == layer_says


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["apply", "maxpool", "--size", "0", "--values", MATRIX],
            "Invalid value for '--size': '0' is not a positive size: write 2, or 2x3 for height and width",
            id="apply-size",
        ),
        pytest.param(
            ["conv", "32x32x3", "-k", "8", "-f", "0"],
            "Invalid value for '-f' / '--kernel': '0': write one positive integer, or one per axis as HxW",
            id="conv-kernel",
        ),
        pytest.param(
            ["apply", "maxpool", "--size", "2", "--padding", "1001", "--values", MATRIX],
            "Invalid value for '--padding': padding 1,001 is more than the 1,000 a side apply takes",
            id="apply-padding",
        ),
        pytest.param(
            ["pool", "4x4x6", "--size", "2", "-p", "1,2,3"],
            "Invalid value for '-p' / '--padding': '1,2,3': the 4 x 4 x 6 volume has 2 spatial axes: write p, one per "
            "axis (2) or two per axis (4)",
            id="pool-padding",
        ),
    ],
)
def test_a_refused_size_is_a_usage_error(args: list[str], message: str) -> None:
    code, out, err = invoke(*args)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == f"Error: {message}"


@pytest.fixture
def no_terminal(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard output captured, as a pipe or a file is: no terminal, whatever the environment says."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_terminal")
def test_output_that_is_no_terminal_is_laid_out_for_no_width_and_printed_unwrapped() -> None:
    widths: list[int | None] = []

    def lay_out(width: int | None) -> tuple[str, int]:
        widths.append(width)
        return "laid out", 120

    console, laid_out, width = fitted(lay_out)
    assert (widths, laid_out, width) == ([None], "laid out", None)
    assert console.width == 100_000


@pytest.mark.usefixtures("no_terminal")
def test_a_line_wider_than_that_still_fits() -> None:
    console, _, _ = fitted(lambda width: ("", 150_000))
    assert console.width == 150_000


def loaded_by(module: str) -> set[str]:
    """The cnncalc and rich modules importing `module` loads, in a fresh interpreter."""
    code = f"import sys, {module}; print(*sorted(m for m in sys.modules if m.split('.')[0] in ('cnncalc', 'rich')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(done.stdout.split())


@pytest.mark.parametrize(
    ("command", "option", "table", "defined"),
    [
        pytest.param("cnncalc.commands.check:check", "target", "cnncalc.check", "TARGETS", id="check-target"),
        pytest.param("cnncalc.commands.export:export", "to", "cnncalc.export", "TARGETS", id="export-to"),
        pytest.param("cnncalc.commands.apply:apply", "operation", "cnncalc.values", "OPERATIONS", id="apply-operation"),
    ],
)
def test_a_choice_written_out_agrees_with_its_table(command: str, option: str, table: str, defined: str) -> None:
    # written out, not imported: importing the table's module would slow every start of the command
    module, name = command.split(":")
    (param,) = (p for p in getattr(importlib.import_module(module), name).params if p.name == option)
    assert isinstance(param.type, click.Choice)
    assert tuple(param.type.choices) == tuple(getattr(importlib.import_module(table), defined))
    assert table not in loaded_by(module)


@pytest.mark.parametrize("module", ["cnncalc.cli", "cnncalc.commands.summary", "cnncalc.commands.rf"])
def test_defining_a_command_loads_no_rich(module: str) -> None:
    assert not [name for name in loaded_by(module) if name.split(".")[0] == "rich"]
