"""`cnncalc apply`: pooling, convolution, transposed convolution and up-sampling on real values, as the lecture works
them by hand, and as PyTorch does."""

from __future__ import annotations

import json
import random
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cnncalc.cli import cli, main
from cnncalc.commands.apply import MAX_BYTES, MODES
from cnncalc.counts import MAX_DIGITS
from cnncalc.formulas import ShapeError
from cnncalc.report import SCHEMA_VERSION
from cnncalc.values import (
    LONG_DIGITS,
    MAX_LONG_WORK,
    MAX_PADDING,
    MAX_VALUES,
    MAX_WORK,
    Matrix,
    Source,
    apply,
    explain,
    format_matrix,
    format_value,
    parse_matrix,
    parse_number,
    sources,
)

LECTURE = "1 3 10 0; 8 4 2 9; 7 2 1 3; 1 1 0 4"
VERTICAL_EDGE = "1 0 -1; 1 0 -1; 1 0 -1"
# the vertical-edge example: a bright left half, a dark right half
HALVES = "; ".join(["10 10 10 0 0 0"] * 6)
# Andrew Ng's 6 x 6 example for the same filter
NG = "3 0 1 2 7 4; 1 5 8 9 3 1; 2 7 2 5 1 3; 0 1 3 1 7 8; 4 2 1 6 2 8; 2 4 5 2 3 9"
ONE_TO_NINE = "1 2 3; 4 5 6; 7 8 9"


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["apply", *args], input=input)


def ok(*args: str, input: str | None = None) -> str:
    result = run(*args, input=input)
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return result.stdout


# -- the command, as the lecture works it -------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["maxpool", "--size", "2", "--values", LECTURE], "8 10; 7 4", id="lecture-maxpool-2/2"),
        # (1+3+8+4)/4, (10+0+2+9)/4, (7+2+1+1)/4, (1+3+0+4)/4
        pytest.param(["avgpool", "--size", "2", "--values", LECTURE], "4 5.25; 2.75 2", id="lecture-avgpool-2/2"),
        pytest.param(["avgpool", "--size", "1x3", "--values", "1 0 0"], "1/3", id="avg-one-third-stays-exact"),
        pytest.param(["avgpool", "--size", "2", "--values", "1/3 2/3; 0.5 1"], "0.625", id="avg-of-fractions"),
        # 10*1 + 10*1 + 10*1 + 0 + ... = 30 where the window straddles the edge, 0 where it does not
        pytest.param(
            ["conv", "--filter", VERTICAL_EDGE, "--values", HALVES],
            "; ".join(["0 30 30 0"] * 4),
            id="vertical-edge-6x6",
        ),
        pytest.param(
            ["conv", "--filter", VERTICAL_EDGE, "--values", NG],
            "-5 -4 0 8; -10 -2 2 3; 0 -2 -4 -7; -3 -2 -3 -16",
            id="ng-6x6-vertical-edge",
        ),
        # cross-correlation, not convolution: a flipped filter would give 6 and 4
        pytest.param(["conv", "--filter", "1 0", "--values", "4 5 6"], "4 5", id="filter-not-flipped"),
    ],
)
def test_worked_examples(args: list[str], expected: str) -> None:
    assert ok(*args) == expected + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # stride 1: overlapping windows, 3 x 3 out of a 4 x 4
        pytest.param(
            ["maxpool", "--size", "2", "--stride", "1", "--values", LECTURE], "8 10 10; 8 4 9; 7 2 4", id="maxpool-2/1"
        ),
        pytest.param(
            [
                "maxpool",
                "--size",
                "3",
                "--stride",
                "1",
                "--values",
                "1 3 2 1 3; 2 9 1 1 5; 1 3 2 3 2; 8 3 5 1 0; 5 6 1 2 9",
            ],
            "9 9 5; 9 9 5; 8 6 9",
            id="ng-maxpool-3/1",
        ),
        # (5 - 3) / 2 + 1 = 2 per axis; the sums of the four corner 3 x 3 blocks of 1..25
        pytest.param(
            [
                "conv",
                "--filter",
                "1 1 1; 1 1 1; 1 1 1",
                "--stride",
                "2",
                "--values",
                "; ".join(" ".join(str(5 * r + c + 1) for c in range(5)) for r in range(5)),
            ],
            "63 81; 153 171",
            id="conv-5x5-stride-2",
        ),
        pytest.param(
            ["maxpool", "--size", "2", "--stride", "1x2", "--values", LECTURE], "8 10; 8 9; 7 4", id="stride-per-axis"
        ),
    ],
)
def test_stride(args: list[str], expected: str) -> None:
    assert ok(*args) == expected + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # zeros around 1..9: each output sums a value's neighbourhood, 1+2+4+5 = 12 in the corner
        pytest.param(["conv", "--padding", "1"], "12 21 16; 27 45 33; 24 39 28", id="conv-pad-1"),
        pytest.param(["conv", "--padding", "same"], "12 21 16; 27 45 33; 24 39 28", id="conv-same-is-pad-1"),
        pytest.param(["conv", "--padding", "valid"], "45", id="conv-valid"),
    ],
)
def test_padding_with_a_3x3_filter_of_ones(args: list[str], expected: str) -> None:
    assert ok(*args, "--filter", "1 1 1; 1 1 1; 1 1 1", "--values", ONE_TO_NINE) == expected + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # SAME with an even filter pads (0, 1, 0, 1): the odd pixel at the bottom and right, as TensorFlow does
        pytest.param(
            ["conv", "--filter", "1 1; 1 1", "--padding", "same", "--values", ONE_TO_NINE],
            "12 16 9; 24 28 15; 15 17 9",
            id="conv-same-even-filter",
        ),
        # max pooling pads with -inf: zero padding would win every window here and give 0 0; 0 0
        pytest.param(
            ["maxpool", "--size", "2", "--padding", "1", "--values", "-1 -2; -3 -4"],
            "-1 -2; -3 -4",
            id="maxpool-padding-never-wins",
        ),
        # average pooling counts the padding: one value and three zeros in each window
        pytest.param(
            ["avgpool", "--size", "2", "--padding", "1", "--values", "4 8; 12 16"],
            "1 2; 3 4",
            id="avgpool-counts-padding",
        ),
        pytest.param(
            ["maxpool", "--size", "2", "--stride", "1", "--padding", "same", "--values", ONE_TO_NINE],
            "5 6 6; 8 9 9; 8 9 9",
            id="maxpool-same",
        ),
    ],
)
def test_padding(args: list[str], expected: str) -> None:
    assert ok(*args) == expected + "\n"


@pytest.mark.parametrize(
    ("bias", "expected"),
    [
        pytest.param("0.5", "10.5", id="decimal"),  # 1 + 2 + 3 + 4 + 0.5
        pytest.param("-3", "7", id="negative"),
        pytest.param("1/3", "31/3", id="fraction"),
    ],
)
def test_bias(bias: str, expected: str) -> None:
    assert ok("conv", "--filter", "1 1; 1 1", "--bias", bias, "--values", "1 2; 3 4") == expected + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["maxpool"], "5", id="max-floor"),
        # ceil((3 - 2) / 2) + 1 = 2: the last windows hang past the input and keep what they cover
        pytest.param(["maxpool", "--ceil"], "5 6; 8 9", id="max-ceil"),
        # ... and an average divides by what is left: (3 + 6) / 2, (7 + 8) / 2, 9 / 1
        pytest.param(["avgpool", "--ceil"], "3 4.5; 7.5 9", id="avg-ceil"),
    ],
)
def test_ceil(args: list[str], expected: str) -> None:
    assert ok(*args, "--size", "2", "--values", ONE_TO_NINE) == expected + "\n"


# -- --explain -----------------------------------------------------------------------------------------


def test_explain_maxpool_shows_each_window() -> None:
    assert ok("maxpool", "--size", "2", "--values", LECTURE, "--explain").splitlines() == [
        "maxpool: input 4x4, window 2x2, stride 2x2, padding 0: output 2x2",
        "out[0][0] = max(1, 3, 8, 4) = 8",
        "out[0][1] = max(10, 0, 2, 9) = 10",
        "out[1][0] = max(7, 2, 1, 1) = 7",
        "out[1][1] = max(1, 3, 0, 4) = 4",
        "out = 8 10; 7 4",
    ]


def test_explain_avgpool_shows_the_sum_and_the_divisor() -> None:
    lines = ok("avgpool", "--size", "2", "--values", LECTURE, "--explain").splitlines()
    assert "out[0][1] = (10 + 0 + 2 + 9) / 4 = 5.25" in lines
    assert lines[-1] == "out = 4 5.25; 2.75 2"


def test_explain_conv_shows_the_products_and_the_bias() -> None:
    lines = ok("conv", "--filter", VERTICAL_EDGE, "--values", NG, "--explain").splitlines()
    assert lines[0] == "conv: input 6x6, filter 3x3, stride 1x1, padding 0: output 4x4"
    # the last term is the bias
    assert lines[1] == "out[0][0] = 3*1 + 0*0 + 1*(-1) + 1*1 + 5*0 + 8*(-1) + 2*1 + 7*0 + 2*(-1) + 0 = -5"
    assert len(lines) == 1 + 16 + 1


def test_explain_shows_max_pooling_padding_as_minus_infinity() -> None:
    lines = ok("maxpool", "--size", "2", "--padding", "1", "--values", "-1 -2; -3 -4", "--explain").splitlines()
    assert "padding is -inf, as PyTorch pads max pooling: a padded position never wins" in lines
    assert "out[0][0] = max(-inf, -inf, -inf, -1) = -1" in lines


def test_explain_shows_zero_padding_and_fractions_in_brackets() -> None:
    lines = ok("avgpool", "--size", "2", "--padding", "1", "--values", "1/3 -1", "--explain").splitlines()
    assert "out[0][0] = (0 + 0 + 0 + (1/3)) / 4 = 1/12" in lines
    assert "out[0][1] = (0 + 0 + (-1) + 0) / 4 = -0.25" in lines


def test_explain_says_which_input_rows_no_window_reaches() -> None:
    lines = ok("maxpool", "--size", "2", "--values", "1 2 3; 4 5 6; 7 8 9", "--explain").splitlines()
    assert "height: the last input row fits no window: unused" in lines
    assert "width: the last input column fits no window: unused" in lines


# -- where the values come from ---------------------------------------------------------------------------


def test_values_from_a_file_one_row_a_line(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_text("1, 3, 10, 0\n8, 4, 2, 9\n\n7 2 1 3\r\n1 1 0 4\n", encoding="utf-8")
    assert ok("maxpool", "--size", "2", "--values", str(path)) == "8 10; 7 4\n"


def test_filter_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "edge.txt"
    path.write_text("1 0 -1\n1 0 -1\n1 0 -1\n", encoding="utf-8")
    assert ok("conv", "--filter", str(path), "--values", HALVES) == "; ".join(["0 30 30 0"] * 4) + "\n"


def test_values_from_standard_input() -> None:
    assert ok("avgpool", "--size", "2", "--values", "-", input=LECTURE.replace("; ", "\n")) == "4 5.25; 2.75 2\n"


def test_the_output_reads_back_as_values() -> None:
    first = ok("avgpool", "--size", "2", "--stride", "1", "--values", LECTURE).strip()
    assert ok("maxpool", "--size", "3", "--values", first) == "5.25\n"


# -- JSON --------------------------------------------------------------------------------------------------


def test_json_gives_exact_values_and_the_shape() -> None:
    report = json.loads(ok("avgpool", "--size", "2", "--values", LECTURE, "--format", "json"))
    assert report == {
        "schema_version": SCHEMA_VERSION,
        "document": "apply",
        "operation": "avgpool",
        "input_shape": [4, 4],
        "size": [2, 2],
        "stride": [2, 2],
        "padding": [0, 0, 0, 0],
        "shape": [2, 2],
        "output": [[4, "5.25"], ["2.75", 2]],
    }


def test_json_of_a_conv_has_its_filter_bias_and_with_explain_every_window() -> None:
    args = ["conv", "--filter", "1 1; 1 1", "--bias", "1/3", "--padding", "same", "--values", "1 2; 3 4"]
    report = json.loads(ok(*args, "--format", "json", "--explain"))
    assert report["shape"] == [2, 2]
    assert report["padding"] == [0, 1, 0, 1]
    assert report["output"] == [["31/3", "19/3"], ["22/3", "13/3"]]  # 10 + 1/3, 6 + 1/3, 7 + 1/3, 4 + 1/3
    assert report["filter"] == [[1, 1], [1, 1]]
    assert report["bias"] == "1/3"
    assert report["windows"][0][1] == [[2, 0], [4, 0]]


def test_json_shows_max_pooling_padding_as_minus_inf() -> None:
    args = ["maxpool", "--size", "2", "--padding", "1", "--values", "-1 -2; -3 -4", "--format", "json", "--explain"]
    report = json.loads(ok(*args))
    assert report["output"] == [[-1, -2], [-3, -4]]
    assert report["windows"][0][0] == [["-inf", "-inf"], ["-inf", -1]]


# -- convtranspose: each input value spreads a copy of the filter, scaled by it ----------------------------------

ONES = "1 1; 1 1"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # stride 2 and a 2 x 2 filter: the copies tile the output, a block of each input value
        pytest.param(["--stride", "2"], "1 1 2 2; 1 1 2 2; 3 3 4 4; 3 3 4 4", id="stride-2-blocks"),
        # stride 1: the copies overlap and add up, 1 + 2 + 3 + 4 = 10 in the middle
        pytest.param([], "1 3 2; 4 10 6; 3 7 4", id="stride-1-overlapping-sums"),
        # stride 3: the copies are a row and a column of zeros apart
        pytest.param(["--stride", "3"], "1 1 0 2 2; 1 1 0 2 2; 0 0 0 0 0; 3 3 0 4 4; 3 3 0 4 4", id="stride-3-gaps"),
        # PyTorch's padding is cut from each side of the output: the 3 x 3 of stride 1 loses its border
        pytest.param(["--padding", "1"], "10", id="padding-cuts-the-output"),
        pytest.param(["--padding", "valid"], "1 3 2; 4 10 6; 3 7 4", id="valid-cuts-nothing"),
        # output_padding adds a row and a column at the end that no input reaches: zeros, or the bias
        pytest.param(
            ["--stride", "2", "--output-padding", "1"],
            "1 1 2 2 0; 1 1 2 2 0; 3 3 4 4 0; 3 3 4 4 0; 0 0 0 0 0",
            id="output-padding",
        ),
        pytest.param(
            ["--stride", "2", "--output-padding", "1x0", "--bias", "1/2"],
            "1.5 1.5 2.5 2.5; 1.5 1.5 2.5 2.5; 3.5 3.5 4.5 4.5; 3.5 3.5 4.5 4.5; 0.5 0.5 0.5 0.5",
            id="output-padding-per-axis-and-the-bias-everywhere",
        ),
    ],
)
def test_convtranspose_worked_examples(args: list[str], expected: str) -> None:
    assert ok("convtranspose", "--values", "1 2; 3 4", "--filter", ONES, *args) == expected + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # a single 1 gives the filter back, as it stands: a transposed conv does not flip it
        pytest.param(["--values", "1", "--filter", "1 2; 3 4"], "1 2; 3 4", id="impulse-gives-the-filter"),
        pytest.param(["--values", "2", "--filter", "1 2; 3 4"], "2 4; 6 8", id="a-scaled-copy"),
        # dilation 2: the taps land 2 apart, and the two copies interleave
        pytest.param(["--values", "1 2", "--filter", "1 1", "--dilation", "2"], "1 2 1 2", id="dilation"),
        # Keras's same: output h s; the 3 - 2 = 1 cut falls after, at the bottom and the right
        pytest.param(
            ["--values", "1 2; 3 4", "--filter", ONE_TO_NINE, "--stride", "2", "--padding", "same"],
            "1 2 5 4; 4 5 14 10; 10 14 36 24; 12 15 34 20",
            id="same-cuts-the-odd-one-after",
        ),
        pytest.param(
            ["--values", "1/3 -1", "--filter", "3 0.5", "--stride", "2"], "1 1/6 -3 -0.5", id="exact-fractions"
        ),
    ],
)
def test_convtranspose_more_examples(args: list[str], expected: str) -> None:
    assert ok("convtranspose", *args) == expected + "\n"


def test_convtranspose_of_a_ones_filter_at_its_stride_is_nearest_up_sampling() -> None:
    blocks = ok("convtranspose", "--values", LECTURE, "--filter", ONES, "--stride", "2")
    assert blocks == ok("upsample", "--values", LECTURE, "--scale", "2")


def test_explain_convtranspose_shows_each_copy_and_each_output_s_products() -> None:
    lines = ok("convtranspose", "--values", "1 2; 3 4", "--filter", "1 0; 0 -1", "--explain").splitlines()
    assert lines[:6] == [
        "convtranspose: input 2x2, filter 2x2, stride 1x1, padding 0, output padding 0x0: output 3x3",
        "each input value spreads a copy of the filter scaled by it: in[i][j]*w[a][b] adds to out[i + a][j + b]",
        "in[0][0] = 1: 1 * filter = 1 0; 0 -1, its first tap at out[0][0]",
        "in[0][1] = 2: 2 * filter = 2 0; 0 -2, its first tap at out[0][1]",
        "in[1][0] = 3: 3 * filter = 3 0; 0 -3, its first tap at out[1][0]",
        "in[1][1] = 4: 4 * filter = 4 0; 0 -4, its first tap at out[1][1]",
    ]
    # the last term is the bias; the middle value sums one product of each input value
    assert "out[1][1] = 1*(-1) + 2*0 + 3*0 + 4*1 + 0 = 3" in lines
    assert "out[0][0] = 1*1 + 0 = 1" in lines
    assert lines[-1] == "out = 1 2 0; 3 3 -2; 0 -3 -4"
    assert len(lines) == 2 + 4 + 9 + 1


def test_explain_convtranspose_shows_the_cut() -> None:
    # the 5 x 5 of stride 2 and output padding 1, less a row and a column on every side
    args = ["--values", "1 2; 3 4", "--filter", ONES, "--stride", "2", "--padding", "1", "--output-padding", "1"]
    lines = ok("convtranspose", *args, "--bias", "-1", "--explain").splitlines()
    assert lines[0] == "convtranspose: input 2x2, filter 2x2, stride 2x2, padding 1, output padding 1x1: output 3x3"
    assert lines[1] == (
        "each input value spreads a copy of the filter scaled by it: in[i][j]*w[a][b] adds to "
        "out[2i - 1 + a][2j - 1 + b]; what falls outside the output is cut (the padding)"
    )
    assert "in[0][0] = 1: 1 * filter = 1 1; 1 1, its first tap at out[-1][-1]" in lines
    assert "out[0][0] = 1*1 + (-1) = 0" in lines
    assert lines[-1] == "out = 0 1 1; 2 3 3; 2 3 3"


def test_explain_convtranspose_names_an_output_no_input_reaches() -> None:
    lines = ok("convtranspose", "--values", "5", "--filter", "2", "--stride", "2", "--output-padding", "1",
               "--bias", "1", "--explain").splitlines()  # fmt: skip
    assert "out[0][0] = 5*2 + 1 = 11" in lines
    assert "out[1][1] = 1 = 1 (no input value reaches it: the bias alone)" in lines


def test_json_of_a_convtranspose_has_its_geometry_and_with_explain_every_product() -> None:
    args = ["--values", "1 2; 3 4", "--filter", ONES, "--stride", "2", "--padding", "1", "--output-padding", "1"]
    report = json.loads(ok("convtranspose", *args, "--bias", "1/2", "--format", "json", "--explain"))
    assert {key: report[key] for key in report if key != "terms"} == {
        "schema_version": SCHEMA_VERSION,
        "document": "apply",
        "operation": "convtranspose",
        "input_shape": [2, 2],
        "size": [2, 2],
        "stride": [2, 2],
        "padding": [1, 1, 1, 1],
        "output_padding": [1, 1],
        "dilation": [1, 1],
        "shape": [3, 3],
        "output": [["1.5", "2.5", "2.5"], ["3.5", "4.5", "4.5"], ["3.5", "4.5", "4.5"]],
        "filter": [[1, 1], [1, 1]],
        "bias": "0.5",
    }
    assert report["terms"][0][0] == {"inputs": [[0, 0]], "taps": [[1, 1]], "values": [1], "weights": [1]}
    # output padding: the last row and column lie past every copy once the padding is cut
    assert report["terms"][2][2] == {"inputs": [[1, 1]], "taps": [[1, 1]], "values": [4], "weights": [1]}


# -- upsample: each output value from the input values around its source ----------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["--scale", "2"], "1 1 2 2; 1 1 2 2; 3 3 4 4; 3 3 4 4", id="nearest-2"),
        pytest.param(["--scale", "2x1"], "1 2; 1 2; 3 4; 3 4", id="nearest-per-axis"),
        # floor(o 2 / 3) = 0 0 1 down, floor(o 2 / 5) = 0 0 0 1 1 across
        pytest.param(["--size", "3x5"], "1 1 1 2 2; 1 1 1 2 2; 3 3 3 4 4", id="nearest-to-a-size"),
        pytest.param(["--size", "1"], "1", id="nearest-down-to-one"),
        # PyTorch's documented example: x = (o + 1/2) / 2 - 1/2 = -1/4, 1/4, 3/4, 5/4
        pytest.param(
            ["--scale", "2", "--mode", "bilinear"],
            "1 1.25 1.75 2; 1.5 1.75 2.25 2.5; 2.5 2.75 3.25 3.5; 3 3.25 3.75 4",
            id="bilinear",
        ),
        # ... and with align_corners: x = o / 3, thirds
        pytest.param(
            ["--scale", "2", "--mode", "bilinear", "--align-corners"],
            "1 4/3 5/3 2; 5/3 2 7/3 8/3; 7/3 8/3 3 10/3; 3 10/3 11/3 4",
            id="bilinear-align-corners",
        ),
    ],
)
def test_upsample_worked_examples(args: list[str], expected: str) -> None:
    assert ok("upsample", "--values", "1 2; 3 4", *args) == expected + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # x = (2o + 1) / 5 - 1/2 = -0.3 (clamped to 0), 0.1, 0.5, 0.9, 1.3 (past the last input: it alone)
        pytest.param(["--mode", "bilinear"], "0 0.4 2 3.6 4", id="clamped-at-both-ends"),
        # x = o / 4: quarters of the way, the ends on the corners
        pytest.param(["--mode", "bilinear", "--align-corners"], "0 1 2 3 4", id="align-corners"),
        pytest.param(["--mode", "nearest"], "0 0 0 4 4", id="nearest"),
    ],
)
def test_upsample_a_row_of_two_to_five(args: list[str], expected: str) -> None:
    assert ok("upsample", "--values", "0 4", "--size", "1x5", *args) == expected + "\n"


def test_explain_bilinear_shows_each_source_and_each_weight() -> None:
    lines = ok("upsample", "--values", "1 2; 3 4", "--scale", "2", "--mode", "bilinear", "--explain").splitlines()
    assert lines[0] == (
        "upsample bilinear: input 2x2, output 4x4 (scale 2x2); output o reads the inputs around "
        "x = (o + 1/2) h / H - 1/2, clamped at 0, the upper one at most the last input"
    )
    assert lines[1:5] == [
        "row 0: x = -0.25, clamped to 0: in 0 (1)",
        "row 1: x = 0.25: in 0 (0.75), in 1 (0.25)",
        "row 2: x = 0.75: in 0 (0.25), in 1 (0.75)",
        "row 3: x = 1.25, its upper neighbour 2 clamped to 1: in 1 (1)",
    ]
    assert "out[0][1] = 1*0.75 + 2*0.25 = 1.25" in lines
    # 3/4 x 3/4, 3/4 x 1/4, 1/4 x 3/4, 1/4 x 1/4
    assert "out[1][1] = 1*0.5625 + 2*0.1875 + 3*0.1875 + 4*0.0625 = 1.75" in lines
    assert "out[3][3] = 4*1 = 4" in lines
    assert len(lines) == 1 + 8 + 16 + 1


def test_explain_nearest_shows_the_input_each_output_reads() -> None:
    lines = ok("upsample", "--values", "1 2; 3 4", "--size", "3x5", "--explain").splitlines()
    assert lines[0] == "upsample nearest: input 2x2, output 3x5 (scale 1.5x2.5); output o reads input floor(o h / H)"
    assert "row 2: floor(2 * 2 / 3) = 1" in lines
    assert "column 3: floor(3 * 2 / 5) = 1" in lines
    assert "out[2][3] = in[1][1] = 4" in lines


def test_explain_align_corners() -> None:
    args = ["--values", "0 3", "--size", "1x4", "--mode", "bilinear", "--align-corners", "--explain"]
    lines = ok("upsample", *args).splitlines()
    assert lines[0].endswith("output o reads the inputs around x = o (h - 1) / (H - 1) (align_corners)")
    assert "column 1: x = 1/3: in 0 (2/3), in 1 (1/3)" in lines
    assert "out[0][1] = 0*(2/3) + 3*(1/3) = 1" in lines


def test_json_of_an_upsample_has_its_mode_and_exact_scale_and_with_explain_every_weight() -> None:
    args = ["--values", "1 2; 3 4", "--size", "3x5", "--mode", "bilinear", "--format", "json", "--explain"]
    report = json.loads(ok("upsample", *args))
    assert {key: report[key] for key in report if key != "terms"} == {
        "schema_version": SCHEMA_VERSION,
        "document": "apply",
        "operation": "upsample",
        "mode": "bilinear",
        "align_corners": False,
        "input_shape": [2, 2],
        "scale": ["1.5", "2.5"],
        "shape": [3, 5],
        # x = -1/6 (clamped), 1/2, 7/6 (the last input) down; -0.3 (clamped), 0.1, 0.5, 0.9, 1.3 across
        "output": [[1, "1.1", "1.5", "1.9", 2], [2, "2.1", "2.5", "2.9", 3], [3, "3.1", "3.5", "3.9", 4]],
    }
    # halfway down, a tenth across: 1/2 x 9/10, 1/2 x 1/10, twice
    assert report["terms"][1][1] == {
        "inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
        "values": [1, 2, 3, 4],
        "weights": ["0.45", "0.05", "0.45", "0.05"],
    }
    assert report["terms"][0][0] == {"inputs": [[0, 0]], "values": [1], "weights": [1]}


SAME_1 = ["--output-padding", "1"]


# -- convtranspose and upsample: bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["convtranspose", "--values", "1 2"], "convtranspose needs --filter", id="no-filter"),
        pytest.param(
            ["convtranspose", "--values", "1 2", "--filter", ONES, "--stride", "2", "--output-padding", "2"],
            "height: output_padding 2 must be below the stride (2) or the dilation (1)",
            id="output-padding-at-the-stride",
        ),
        pytest.param(
            ["convtranspose", "--values", "1 2", "--filter", ONES, "--output-padding", "0x1"],
            "width: output_padding 1 must be below the stride (1) or the dilation (1)",
            id="output-padding-at-stride-1",
        ),
        pytest.param(
            ["convtranspose", "--values", "1 2", "--filter", ONES, "--output-padding", "-1"],
            "'-1' is not an output padding",
            id="output-padding-negative",
        ),
        pytest.param(
            ["convtranspose", "--values", "1", "--filter", "1", "--padding", "1"],
            "height: the padding cut (1 + 1) leaves nothing of the 1 output ((h - 1) s",
            id="padding-cuts-everything",
        ),
        pytest.param(
            ["convtranspose", "--values", "1 2", "--filter", "1", "--stride", "2", "--padding", "same"],
            "height: `same` needs the kernel (1) at least as wide as the stride (2)",
            id="same-with-a-filter-narrower-than-the-stride",
        ),
        pytest.param(
            ["convtranspose", "--values", "1 2", "--filter", ONES, "--stride", "2", "--padding", "same", *SAME_1],
            "padding same takes no output_padding: its output is h s",
            id="same-with-output-padding",
        ),
        pytest.param(
            ["convtranspose", "--values", "1 2", "--filter", ONES, "--size", "2"],
            "convtranspose takes its size from --filter",
            id="convtranspose-with-size",
        ),
        pytest.param(
            ["convtranspose", "--values", "1 2", "--filter", ONES, "--ceil"],
            "convtranspose takes no --ceil (only maxpool and avgpool do)",
            id="convtranspose-ceil",
        ),
        pytest.param(
            ["convtranspose", "--values", "1 2", "--filter", ONES, "--scale", "2"],
            "convtranspose takes no --scale (only upsample does)",
            id="convtranspose-with-scale",
        ),
        pytest.param(
            ["conv", "--values", "1 2", "--filter", "1", "--output-padding", "1"],
            "conv takes no --output-padding (only convtranspose does)",
            id="conv-output-padding",
        ),
        pytest.param(
            ["conv", "--values", "1 2", "--filter", "1", "--dilation", "2"],
            "conv takes no --dilation (only convtranspose does)",
            id="conv-dilation",
        ),
        pytest.param(["upsample", "--values", "1 2"], "upsample needs --scale or --size", id="neither-scale-nor-size"),
        pytest.param(
            ["upsample", "--values", "1 2", "--scale", "2", "--size", "4"],
            "upsample takes --scale or --size, not both",
            id="both-scale-and-size",
        ),
        pytest.param(
            ["upsample", "--values", "1 2", "--scale", "2", "--align-corners"],
            "--align-corners goes with --mode bilinear only",
            id="align-corners-nearest-by-default",
        ),
        pytest.param(
            ["upsample", "--values", "1 2", "--scale", "2", "--mode", "nearest", "--align-corners"],
            "--align-corners goes with --mode bilinear only",
            id="align-corners-nearest",
        ),
        pytest.param(
            ["upsample", "--values", "1 2", "--scale", "2", "--mode", "bicubic"],
            "'bicubic' is not one of 'nearest', 'bilinear'",
            id="unknown-mode",
        ),
        pytest.param(["upsample", "--values", "1 2", "--scale", "0"], "'0' is not a positive size", id="scale-0"),
        pytest.param(
            ["upsample", "--values", "1 2", "--scale", "2", "--filter", "1"],
            "upsample takes no --filter (only conv and convtranspose do)",
            id="upsample-with-filter",
        ),
        pytest.param(
            ["upsample", "--values", "1 2", "--scale", "2", "--padding", "0"],
            "upsample takes no --padding (only maxpool, avgpool, conv and convtranspose do)",
            id="upsample-with-padding",
        ),
        pytest.param(
            ["upsample", "--values", "1 2", "--scale", "2", "--stride", "1"],
            "upsample takes no --stride",
            id="upsample-with-stride",
        ),
        pytest.param(
            ["maxpool", "--values", "1 2", "--size", "1", "--mode", "bilinear"],
            "maxpool takes no --mode (only upsample does)",
            id="pool-with-mode",
        ),
        pytest.param(
            ["avgpool", "--values", "1 2", "--size", "1", "--align-corners"],
            "avgpool takes no --align-corners (only upsample does)",
            id="pool-with-align-corners",
        ),
    ],
)
def test_convtranspose_and_upsample_refusals_are_usage_errors(args: list[str], message: str) -> None:
    refused(run(*args), message)


# -- bad input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["maxpool", "--size", "2", "--values", "1 2; 3"], "row 2 has 1 value, row 1 has 2", id="ragged"),
        pytest.param(
            ["maxpool", "--size", "2", "--values", "1 2; 3 x"],
            "row 2, column 2: 'x' is not a number",
            id="not-a-number",
        ),
        pytest.param(["maxpool", "--size", "2", "--values", "1e3 1; 2 3"], "'1e3' is not a number", id="exponent"),
        pytest.param(["maxpool", "--size", "1", "--values", "1/0"], "'1/0' divides by zero", id="divide-by-zero"),
        pytest.param(["maxpool", "--size", "2", "--values", " ; \n"], "no values", id="empty"),
        pytest.param(
            ["maxpool", "--size", "2", "--values", "nosuch.txt"],
            "'nosuch.txt' is neither a file nor",
            id="no-such-file",
        ),
        pytest.param(
            ["maxpool", "--size", "5", "--values", LECTURE],
            "height: window 5 is larger than the padded input 4",
            id="window-too-large",
        ),
        pytest.param(
            ["conv", "--filter", "1 1 1", "--values", "1 2"],
            "width: filter 3 is larger than the padded",
            id="filter-too-large",
        ),
        pytest.param(["conv", "--values", LECTURE], "conv needs --filter", id="conv-without-filter"),
        pytest.param(
            ["conv", "--filter", "1 2; 3", "--values", LECTURE], "Invalid value for '--filter'", id="ragged-filter"
        ),
        pytest.param(
            ["conv", "--filter", "1", "--size", "2", "--values", LECTURE],
            "takes its size from --filter",
            id="conv-with-size",
        ),
        pytest.param(["conv", "--filter", "1", "--ceil", "--values", LECTURE], "--ceil is for pools", id="conv-ceil"),
        pytest.param(
            ["maxpool", "--size", "2", "--filter", "1", "--values", LECTURE],
            "maxpool takes no --filter",
            id="pool-with-filter",
        ),
        pytest.param(
            ["avgpool", "--size", "2", "--bias", "1", "--values", LECTURE],
            "avgpool takes no --bias",
            id="pool-with-bias",
        ),
        pytest.param(["maxpool", "--values", LECTURE], "maxpool needs --size", id="pool-without-size"),
        pytest.param(["maxpool", "--size", "0", "--values", LECTURE], "'0' is not a positive size", id="size-0"),
        pytest.param(
            ["maxpool", "--size", "2", "--stride", "0", "--values", LECTURE],
            "'0' is not a positive size",
            id="stride-0",
        ),
        pytest.param(
            ["maxpool", "--size", "2", "--padding", "-1", "--values", LECTURE],
            "'-1' is not a padding",
            id="negative-padding",
        ),
        pytest.param(
            ["maxpool", "--size", "2", "--padding", "full", "--values", LECTURE],
            "'full' is not a padding",
            id="unknown-padding",
        ),
        pytest.param(
            ["maxpool", "--size", "2", "--padding", "2", "--values", LECTURE],
            "pool padding 2 is more than half the window 2x2",
            id="pool-padding-over-half",
        ),
        pytest.param(
            ["maxpool", "--size", "2", "--padding", "same", "--ceil", "--values", LECTURE],
            "ceil goes with explicit padding only",
            id="ceil-same",
        ),
        pytest.param(
            ["conv", "--filter", "1", "--bias", "one", "--values", LECTURE], "'one' is not a number", id="bad-bias"
        ),
        pytest.param(["meanpool", "--size", "2", "--values", LECTURE], "'meanpool' is not one of", id="operation"),
        pytest.param(["maxpool", "--size", "2"], "Missing option '--values'", id="no-values"),
        pytest.param(
            ["maxpool", "--size", "2", "--values", LECTURE, "--format", "csv"], "'csv' is not one of", id="format"
        ),
    ],
)
def test_bad_input_is_a_usage_error(args: list[str], message: str) -> None:
    result = run(*args)
    assert "Traceback" not in result.stdout + result.stderr
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Usage: cli apply" in result.stderr
    assert message in result.stderr, result.stderr


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("1 2 \xe9".encode("latin-1"))
    result = run("maxpool", "--size", "1", "--values", str(path))
    assert result.exit_code == 2
    assert f"cannot read {path}" in result.stderr


def test_a_bad_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_text("1 2\n3\n", encoding="utf-8")
    result = run("maxpool", "--size", "1", "--values", str(path))
    assert result.exit_code == 2
    assert f"{path}: row 2 has 1 value, row 1 has 2" in result.stderr


def test_the_console_script_exits_2_on_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", "maxpool", "--size", "2", "--values", "1 2; 3"]) == 2
    assert "every row must have the same length" in capsys.readouterr().err


def test_help_ends_with_an_example() -> None:
    out = ok("--help")
    assert out.strip().splitlines()[-1].strip().startswith("Example: cnncalc apply")
    assert "cross-correlation" in out


def refused(result: Result, message: str) -> None:
    """A usage error: exit 2, nothing on standard output, the message and no traceback on standard error."""
    assert "Traceback" not in result.stdout + result.stderr
    assert isinstance(result.exception, SystemExit), result.exception
    assert (result.exit_code, result.stdout) == (2, ""), result.stderr
    assert "Usage: cli apply" in result.stderr
    assert message in result.stderr, result.stderr


# -- bounds: what is past them is refused at once, by a usage error naming the bound and what was given ---------

N5000 = "9" * 5000  # past Python's 4,300-digit limit on int(text)
LONG = "9" * (LONG_DIGITS + 1)
# 1/P + 1/Q is (P + Q) / (P * Q): short numbers, and a sum of 101 digits
P, Q = 10**50 + 1, 10**50 + 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # so large a stride leaves one output: only the padding is past the bound
        pytest.param(
            ["conv", "--filter", "1", "--stride", "2147483647", "--padding", "1001", "--values", "1"],
            "padding 1,001 is more than the 1,000 a side apply takes",
            id="padding",
        ),
        pytest.param(
            ["maxpool", "--size", "317", "--values", "1"],
            "a 317x317 window is 100,489 values, more than the 100,000 apply takes",
            id="window",
        ),
        pytest.param(
            ["maxpool", "--size", "1", "--values", "0 " * 100_001],
            "100,001 values, more than the 100,000 apply takes",
            id="values",
        ),
        pytest.param(
            ["conv", "--filter", "1 " * 100_001, "--values", "1"],
            "Invalid value for '--filter': 100,001 values, more than the 100,000 apply takes",
            id="filter",
        ),
        # 158 + 1 + 158 = 317 a side
        pytest.param(
            ["conv", "--filter", "1", "--padding", "158", "--values", "1"],
            "an output of 317x317 is 100,489 values, more than the 100,000 apply takes",
            id="output",
        ),
        # (1000 - 500) / 1 + 1 = 501 outputs of 500 values each
        pytest.param(
            ["maxpool", "--size", "1x500", "--stride", "1", "--values", "0 " * 1000],
            "an output of 1x501 from a 1x500 window is 250,500 steps (output values x window), more than the "
            "250,000 apply takes",
            id="work",
        ),
        pytest.param(
            ["maxpool", "--size", "1", "--values", f"{LONG} " + "0 " * 1000],
            "an output of 1x1001 from a 1x1 window is 1,001 steps (output values x window), more than the 1,000 "
            "apply takes with a number of more than 100 digits",
            id="work-with-a-long-number",
        ),
        pytest.param(
            ["avgpool", "--size", "1x2", "--stride", "1", "--values", f"1/{P} 1/{Q} " + "0 " * 1000],
            "out[0][0]: working it out exactly takes a number of more than 100 digits, and with one apply takes at "
            "most 1,000 steps (output values x window), not 2,002",
            id="work-with-a-long-number-worked-out",
        ),
    ],
)
def test_past_the_bounds_is_a_usage_error(args: list[str], message: str) -> None:
    refused(run(*args), message)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["conv", "--filter", "1", "--stride", "2147483647", "--padding", "1000", "--values", "1"],
            "0",
            id="padding",
        ),
        # (999 - 500) / 1 + 1 = 500 outputs of 500 values each
        pytest.param(
            ["maxpool", "--size", "1x500", "--stride", "1", "--values", "0 " * 999],
            " ".join(["0"] * 500),
            id="work",
        ),
        pytest.param(
            ["maxpool", "--size", "1", "--values", f"{LONG} " + "0 " * 999],
            " ".join([LONG, *["0"] * 999]),
            id="work-with-a-long-number",
        ),
        # (1/P + 1/Q) / 2 = (10**50 + 2) / (P * Q), then (1/Q + 0) / 2, then zeros
        pytest.param(
            ["avgpool", "--size", "1x2", "--stride", "1", "--values", f"1/{P} 1/{Q} " + "0 " * 499],
            " ".join([f"{10**50 + 2}/{P * Q}", f"1/{2 * Q}", *["0"] * 498]),
            id="work-with-a-long-number-worked-out",
        ),
        pytest.param(["maxpool", "--size", "1", "--values", "9" * 4000], "9" * 4000, id="4000-digits"),
    ],
)
def test_at_the_bounds_is_computed(args: list[str], expected: str) -> None:
    assert ok(*args) == expected + "\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["maxpool", "--size", "1", "--values", N5000],
            "Invalid value for '--values': a number of 5,000 digits, more than the 4,000 apply takes",
            id="integer",
        ),
        pytest.param(
            ["maxpool", "--size", "1", "--values", f"1 {N5000}/7"],
            "row 1, column 2: a number of 5,000 digits, more than the 4,000 apply takes",
            id="numerator",
        ),
        pytest.param(
            ["maxpool", "--size", "1", "--values", f"1/{N5000}"],
            "a number of 5,000 digits, more than the 4,000 apply takes",
            id="denominator",
        ),
        # 5,000 places are a fraction over 10**5000, 5,001 digits
        pytest.param(
            ["maxpool", "--size", "1", "--values", "0." + "1" * 5000],
            "a number of 5,001 digits, more than the 4,000 apply takes",
            id="decimal",
        ),
        pytest.param(
            ["conv", "--filter", N5000, "--values", "1"],
            "Invalid value for '--filter': a number of 5,000 digits",
            id="filter",
        ),
        pytest.param(
            ["conv", "--filter", "1", "--bias", N5000, "--values", "1"],
            "Invalid value for '--bias': a number of 5,000 digits",
            id="bias",
        ),
        pytest.param(["maxpool", "--size", N5000, "--values", "1"], "is not a positive size", id="size"),
        pytest.param(
            ["maxpool", "--size", "1", "--stride", N5000, "--values", "1"], "is not a positive size", id="stride"
        ),
        pytest.param(["maxpool", "--size", "1", "--padding", N5000, "--values", "1"], "is not a padding", id="padding"),
        # 10**2999 squared has 6,000 digits
        pytest.param(
            ["conv", "--filter", str(10**2999), "--values", str(10**2999)],
            "out[0][0]: working it out exactly takes a number of more than 4,000 digits, more than apply keeps",
            id="worked-out",
        ),
    ],
)
def test_numbers_past_max_digits_are_a_usage_error(args: list[str], message: str) -> None:
    refused(run(*args), message)


def test_a_long_decimal_prints_in_full() -> None:
    # 1/2**13000: a 3,914-digit denominator, and 13,000 decimal places, more than str() writes at once
    with localcontext() as context:
        context.prec = 10_000
        expected = format(Decimal(1) / Decimal(2) ** 13000, "f")
    assert ok("maxpool", "--size", "1", "--values", f"1/{2**13000}") == expected + "\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("9" * 256, "9" * 256, id="256-digits"),
        pytest.param("1 " * 5000, " ".join(["1"] * 5000), id="a-long-row"),
        pytest.param("1/" + "3" * 300, "1/" + "3" * 300, id="a-long-fraction"),
    ],
)
def test_a_value_too_long_for_a_file_name_is_read_as_a_matrix(value: str, expected: str) -> None:
    # the file system refuses so long a name (OSError): it names no file
    assert ok("maxpool", "--size", "1", "--values", value) == expected + "\n"


def test_a_word_too_long_for_a_file_name_is_neither() -> None:
    refused(run("maxpool", "--size", "1", "--values", "x" * 300), "is neither a file nor a matrix of numbers")


@pytest.mark.parametrize("source", ["stdin", "file"])
@pytest.mark.parametrize(
    ("size", "accepted"),
    [pytest.param(MAX_BYTES, True, id="at-the-bound"), pytest.param(MAX_BYTES + 1, False, id="past")],
)
def test_reading_stops_at_max_bytes(source: str, size: int, accepted: bool, tmp_path: Path) -> None:
    data = "1" + " " * (size - 1)  # one value, and blanks up to the size
    path = tmp_path / "values.txt"
    path.write_text(data, encoding="utf-8")
    result = run("maxpool", "--size", "1", "--values", "-" if source == "stdin" else str(path), input=data)
    if accepted:
        assert (result.exit_code, result.stdout, result.stderr) == (0, "1\n", "")
    else:
        name = "<stdin>" if source == "stdin" else str(path)
        refused(result, f"{name} is larger than 1,048,576 bytes (1 MiB), the most apply reads")


def test_a_matrix_written_out_past_max_bytes_is_refused() -> None:
    refused(
        run("maxpool", "--size", "1", "--values", "1" + " " * MAX_BYTES),
        "a matrix of 1,048,577 characters, more than the 1,048,576 apply reads",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--values", "-", "--filter", "-"],
            "Invalid value for '--filter': standard input (-) is given to both --values and --filter",
            id="values-first",
        ),
        pytest.param(
            ["--filter", "-", "--values", "-"],
            "Invalid value for '--values': standard input (-) is given to both --filter and --values",
            id="filter-first",
        ),
    ],
)
def test_standard_input_given_twice_is_a_usage_error(args: list[str], message: str) -> None:
    refused(run("conv", *args, input="1 2\n"), message)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"1 2 \xe9", "cannot read <stdin>: not UTF-8 text: byte 0xe9 at offset 4", id="latin-1"),
        pytest.param("1 2".encode("utf-16"), "cannot read <stdin>: not UTF-8 text: byte 0xff at offset 0", id="utf-16"),
    ],
)
def test_standard_input_not_utf8_is_a_usage_error(data: bytes, message: str) -> None:
    refused(run("maxpool", "--size", "1", "--values", "-", input=data), message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # 17 x 13,889 products and 13,905 outputs
        pytest.param(
            ["convtranspose", "--values", "0 " * 17, "--filter", "0 " * 13_889],
            "a 1x17 input spread by a 1x13889 filter into an output of 1x13905 is 250,018 steps (input values x "
            "filter, plus output values), more than the 250,000 apply takes",
            id="convtranspose-work",
        ),
        # (2 - 1) s + 1 columns: refused before any is made
        pytest.param(
            ["convtranspose", "--values", "1 1", "--filter", "1", "--stride", "2147483647"],
            "an output of 1x2147483648 is 2,147,483,648 values, more than the 100,000 apply takes",
            id="convtranspose-output",
        ),
        pytest.param(
            ["convtranspose", "--filter", str(10**2999), "--values", str(10**2999)],
            "in[0][0] times the filter: working it out exactly takes a number of more than 4,000 digits",
            id="convtranspose-worked-out",
        ),
        pytest.param(
            ["upsample", "--values", "1", "--scale", "2147483647"],
            "an output of 2147483647x2147483647 is 4,611,686,014,132,420,609 values, more than the 100,000",
            id="upsample-output",
        ),
        # 62,502 outputs of 2 sources each, but the first and the last (clamped): 125,002 weights and products
        pytest.param(
            ["upsample", "--values", "0 " * 31_251, "--scale", "1x2", "--mode", "bilinear"],
            "an output of 1x62502 by bilinear up-sampling is 250,004 steps (a weight and a product for each source "
            "of each output value), more than the 250,000 apply takes",
            id="bilinear-work",
        ),
        pytest.param(
            ["upsample", "--values", LONG, "--scale", "1x1001"],
            "an output of 1x1001 by nearest up-sampling is 1,001 steps (output values), more than the 1,000 apply "
            "takes with a number of more than 100 digits",
            id="nearest-with-a-long-number",
        ),
    ],
)
def test_convtranspose_and_upsample_past_the_bounds_are_usage_errors(args: list[str], message: str) -> None:
    refused(run(*args), message)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["convtranspose", "--values", "0 " * 17, "--filter", "0 " * 13_888],
            " ".join(["0"] * 13_904),
            id="convtranspose-work",
        ),
        pytest.param(
            ["upsample", "--values", "0 " * 31_250, "--scale", "1x2", "--mode", "bilinear"],
            " ".join(["0"] * 62_500),
            id="bilinear-work",
        ),
        pytest.param(["upsample", "--values", LONG, "--scale", "1x1000"], " ".join([LONG] * 1000), id="nearest-long"),
    ],
)
def test_convtranspose_and_upsample_at_the_bounds_are_computed(args: list[str], expected: str) -> None:
    assert ok(*args) == expected + "\n"


def test_help_states_what_convtranspose_and_upsample_compute_and_their_bounds() -> None:
    text = " ".join(ok("--help").split())
    for words in (
        "OPERATION is maxpool, avgpool, conv, convtranspose or upsample",
        "out[i s - p + a d][j s - p + b d]",
        "(h - 1) s - 2p + d (k - 1) + output_padding + 1",
        "same is Keras's, output h s",
        "must be below the stride or the dilation",
        "nearest reads input floor(o h / H)",
        "x = (o + 1/2) h / H - 1/2",
        "x = o (h - 1) / (H - 1) with --align-corners",
        f"{MAX_WORK:,} input values x filter plus output values for convtranspose",
        f"{MAX_WORK:,} output values for a nearest upsample, {MAX_WORK:,} weights and products",
    ):
        assert words in text, words


def test_help_states_the_bounds() -> None:
    text = " ".join(ok("--help").split())  # as one line: click wraps it
    for bound in (
        f"--values and --filter of 1 MiB of text ({MAX_BYTES:,} bytes) and {MAX_VALUES:,} values each",
        f"a window and an output of {MAX_VALUES:,} values each",
        f"--padding {MAX_PADDING:,} a side",
        f"numbers of {MAX_DIGITS:,} digits",
        f"{MAX_WORK:,} output values x window",
        f"{MAX_LONG_WORK:,} with a number of more than {LONG_DIGITS} digits",
    ):
        assert bound in text


# -- the pure module -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1 3; 8 4", ((1, 3), (8, 4)), id="semicolons"),
        pytest.param("1,3\n8,4\n", ((1, 3), (8, 4)), id="commas-and-lines"),
        pytest.param("1, 3;\n 8  4;", ((1, 3), (8, 4)), id="both-and-a-trailing-separator"),
        pytest.param(
            "-2 +3 0.5 .25 1/3 -2/4",
            ((-2, 3, Fraction(1, 2), Fraction(1, 4), Fraction(1, 3), Fraction(-1, 2)),),
            id="signs-decimals-fractions",
        ),
        pytest.param("0.1", ((Fraction(1, 10),),), id="decimal-exactly-not-a-float"),
    ],
)
def test_parse_matrix(text: str, expected: tuple[tuple[int | Fraction, ...], ...]) -> None:
    assert parse_matrix(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "no values", id="empty"),
        pytest.param("1 2; 3", "row 2 has 1 value, row 1 has 2", id="ragged"),
        pytest.param("1 two", "row 1, column 2: 'two' is not a number", id="word"),
        pytest.param("0.5/2", "'0.5/2' is not a number", id="decimal-fraction"),
        pytest.param("nan", "'nan' is not a number", id="nan"),
        pytest.param("\u0661", "is not a number", id="arabic-indic-digit"),
    ],
)
def test_parse_matrix_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_matrix(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(Fraction(5), "5", id="int"),
        pytest.param(Fraction(-5), "-5", id="negative-int"),
        pytest.param(Fraction(21, 4), "5.25", id="exact-decimal"),
        pytest.param(Fraction(-1, 2), "-0.5", id="negative-decimal"),
        pytest.param(Fraction(1, 1024), "0.0009765625", id="power-of-two"),
        pytest.param(Fraction(1, 3), "1/3", id="no-exact-decimal"),
        pytest.param(Fraction(-7, 6), "-7/6", id="negative-fraction"),
        pytest.param(None, "-inf", id="max-pool-padding"),
    ],
)
def test_format_value(value: Fraction | None, text: str) -> None:
    assert format_value(value) == text
    if value is not None:
        assert parse_number(text) == value


def test_windows_are_kept_with_each_value() -> None:
    applied = apply("maxpool", parse_matrix(LECTURE), size=2)
    assert applied.cells[1].window == ((Fraction(10), Fraction(0)), (Fraction(2), Fraction(9)))
    assert explain(applied)[2] == "out[0][1] = max(10, 0, 2, 9) = 10"
    assert format_matrix(applied.output) == "8 10; 7 4"


def test_four_sided_padding_in_the_module() -> None:
    applied = apply("conv", parse_matrix("1 2; 3 4"), filter=parse_matrix("1"), padding=(1, 0, 0, 2))
    assert format_matrix(applied.output) == "0 0 0 0; 1 2 0 0; 3 4 0 0"


def test_the_module_raises_shape_errors_for_a_window_too_large() -> None:
    with pytest.raises(ShapeError, match="height: window 3 is larger than the padded input 2"):
        apply("avgpool", parse_matrix("1 2; 3 4"), size=3)


ONE = ((Fraction(1),),)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"values": ((Fraction(0),) * 100_001,), "size": 1},
            "the values: 1x100001, 100,001 values, more than the 100,000 apply takes",
            id="values",
        ),
        pytest.param(
            {"filter": ((Fraction(0),) * 100_001,)},
            "the filter: 1x100001, 100,001 values, more than the 100,000 apply takes",
            id="filter",
        ),
        pytest.param({"size": (1, 100_001)}, "a 1x100001 window is 100,001 values, more than the 100,000", id="window"),
        pytest.param(
            {"filter": ONE, "padding": (0, 0, 0, 1001)},
            "padding (0, 0, 0, 1001) is more than the 1,000 a side apply takes",
            id="padding",
        ),
        pytest.param(
            {"filter": ONE, "padding": 1000},
            "an output of 2001x2001 is 4,004,001 values, more than the 100,000 apply takes",
            id="output",
        ),
        pytest.param(
            {"values": ((Fraction(0),) * 1000,), "size": (1, 500), "stride": 1},
            "an output of 1x501 from a 1x500 window is 250,500 steps (output values x window), more than the 250,000",
            id="work",
        ),
        pytest.param(
            {"filter": ONE, "bias": Fraction(1, 10**MAX_DIGITS)},
            "a numerator or a denominator of more than 4,000 digits, more than apply takes",
            id="bias-of-4001-digits",
        ),
    ],
)
def test_the_module_refuses_past_the_bounds(kwargs: dict[str, Any], message: str) -> None:
    operation = "conv" if "filter" in kwargs else "maxpool"
    with pytest.raises(ValueError) as info:
        apply(operation, **{"values": ONE, **kwargs})
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        pytest.param("9" * (MAX_DIGITS + 1), MAX_DIGITS + 1, id="integer"),
        pytest.param("-1/" + "7" * (MAX_DIGITS + 1), MAX_DIGITS + 1, id="denominator"),
        pytest.param("1" * 2000 + "." + "1" * 2001, 4001, id="decimal"),
        # 4,000 places are a fraction over 10**4000, 4,001 digits
        pytest.param("." + "1" * MAX_DIGITS, MAX_DIGITS + 1, id="places"),
    ],
)
def test_parse_number_refuses_past_max_digits(text: str, digits: int) -> None:
    with pytest.raises(ValueError, match=f"a number of {digits:,} digits, more than the 4,000 apply takes"):
        parse_number(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("9" * MAX_DIGITS, Fraction(10**MAX_DIGITS - 1), id="integer"),
        pytest.param("-1/" + "7" * MAX_DIGITS, Fraction(-1, int("7" * MAX_DIGITS)), id="denominator"),
        pytest.param(
            "." + "5" * (MAX_DIGITS - 1), Fraction(int("5" * (MAX_DIGITS - 1)), 10 ** (MAX_DIGITS - 1)), id="places"
        ),
    ],
)
def test_parse_number_reads_max_digits(text: str, expected: Fraction) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(Fraction(1, 2**13000), id="13000-places"),
        pytest.param(Fraction(-7, 5**5700), id="5700-places"),
        pytest.param(Fraction(10**3999 - 1, 2**13287), id="long-numerator"),
        pytest.param(Fraction(3, 2**10 * 5**3), id="short"),
    ],
)
def test_format_value_writes_long_decimals_exactly(value: Fraction) -> None:
    with localcontext() as context:
        context.prec = 20_000
        assert format_value(value) == format(Decimal(value.numerator) / Decimal(value.denominator), "f")


def test_sources_weigh_exactly() -> None:
    quarter, three_quarters = Fraction(1, 4), Fraction(3, 4)
    assert sources(2, 4, "bilinear") == (
        Source(Fraction(-1, 4), ((0, Fraction(1)),)),
        Source(quarter, ((0, three_quarters), (1, quarter))),
        Source(three_quarters, ((0, quarter), (1, three_quarters))),
        Source(Fraction(5, 4), ((1, Fraction(1)),)),
    )
    assert sources(2, 4, "bilinear", align_corners=True)[1] == Source(
        Fraction(1, 3), ((0, Fraction(2, 3)), (1, Fraction(1, 3)))
    )
    # a whole x reads one input alone
    assert sources(3, 5, "bilinear", align_corners=True)[2] == Source(Fraction(1), ((1, Fraction(1)),))


def test_nearest_is_exact_where_a_float32_scale_is_not() -> None:
    # 41 * 2 / 82 is 1: output 41 reads input 1 (PyTorch's float32 41 * (2 / 82) falls just short, and reads 0)
    assert sources(2, 82, "nearest")[41].taps == ((1, Fraction(1)),)
    assert format_matrix(apply("upsample", parse_matrix("1 2"), scale=(1, 41)).output).split()[40:42] == ["1", "2"]


def test_convtranspose_keeps_each_output_s_products() -> None:
    applied = apply("convtranspose", parse_matrix("1 2; 3 4"), filter=parse_matrix("1 1; 1 1"))
    middle = applied.cells[4]
    assert (middle.row, middle.column, middle.value) == (1, 1, Fraction(10))
    assert [(term.row, term.column, term.tap, int(term.value), int(term.weight)) for term in middle.terms] == [
        (0, 0, (1, 1), 1, 1),
        (0, 1, (1, 0), 2, 1),
        (1, 0, (0, 1), 3, 1),
        (1, 1, (0, 0), 4, 1),
    ]
    two = Fraction(2)
    assert applied.copies[1] == (two, ((two, two), (two, two)))


def test_four_sided_convtranspose_padding_in_the_module() -> None:
    applied = apply("convtranspose", parse_matrix("1 2; 3 4"), filter=parse_matrix("1 1; 1 1"), padding=(1, 0, 0, 1))
    assert format_matrix(applied.output) == "4 10; 3 7"  # 1 3 2; 4 10 6; 3 7 4 less its top row and right column


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"operation": "convtranspose"}, "convtranspose needs a filter", id="no-filter"),
        pytest.param(
            {"operation": "convtranspose", "filter": ONE, "ceil": True},
            "ceil is for pools: a transposed conv has no windows",
            id="convtranspose-ceil",
        ),
        pytest.param(
            {"operation": "convtranspose", "filter": ONE, "output_padding": -1},
            "output_padding must be an integer >= 0 or a pair of them, got -1",
            id="negative-output-padding",
        ),
        pytest.param(
            {"operation": "conv", "filter": ONE, "dilation": 2},
            "conv takes no output_padding or dilation (only convtranspose does)",
            id="conv-dilation",
        ),
        pytest.param(
            {"operation": "maxpool", "size": 1, "scale": 2},
            "maxpool takes no scale, mode or align_corners (only upsample does)",
            id="pool-scale",
        ),
        pytest.param(
            {"operation": "upsample", "scale": 2, "filter": ONE},
            "upsample takes no filter, bias, stride, padding or ceil",
            id="upsample-filter",
        ),
        pytest.param(
            {"operation": "upsample", "scale": 2, "mode": "bicubic"},
            "mode must be one of nearest, bilinear, got 'bicubic'",
            id="upsample-mode",
        ),
        pytest.param(
            {"operation": "upsample", "scale": 2, "align_corners": True},
            "align_corners goes with bilinear only",
            id="upsample-align-corners-nearest",
        ),
        pytest.param({"operation": "upsample"}, "upsample takes scale or size, one of them; neither given", id="none"),
        pytest.param(
            {"operation": "upsample", "scale": 2, "size": 2},
            "upsample takes scale or size, one of them; both given",
            id="both",
        ),
    ],
)
def test_the_module_refuses_what_convtranspose_and_upsample_cannot_do(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        apply(values=ONE, **kwargs)
    assert message in str(info.value)


def test_the_command_s_modes_are_the_module_s() -> None:
    # written out in the command, not imported: importing the module would slow every start of it
    import cnncalc.values

    assert tuple(MODES) == cnncalc.values.MODES


# -- against PyTorch ---------------------------------------------------------------------------------------------


def random_matrix(rng: random.Random, rows: int, columns: int, low: int, high: int) -> Matrix:
    return tuple(tuple(Fraction(rng.randint(low, high)) for _ in range(columns)) for _ in range(rows))


def tensor(torch: Any, matrix: Matrix) -> Any:
    return torch.tensor([[float(v) for v in row] for row in matrix], dtype=torch.float64)[None, None]


@pytest.mark.parametrize("operation", ["maxpool", "avgpool", "conv"])
def test_matches_pytorch_on_random_small_integers(operation: str) -> None:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = random.Random(f"apply-{operation}")
    compared = 0
    for _ in range(300):
        h, w = rng.randint(1, 7), rng.randint(1, 7)
        kernel = (rng.randint(1, 4), rng.randint(1, 4))
        stride = (rng.randint(1, 3), rng.randint(1, 3))
        values = random_matrix(rng, h, w, -9, 9)
        x = tensor(torch, values)
        padding: int | str
        if operation == "conv":
            filter = random_matrix(rng, kernel[0], kernel[1], -3, 3)
            bias = rng.randint(-5, 5)
            paddings: list[int | str] = [0, 1, 2, "same", "valid"]
            padding = rng.choice(paddings)
            try:
                applied = apply("conv", values, stride=stride, padding=padding, filter=filter, bias=bias)
            except ShapeError:
                with pytest.raises(RuntimeError):
                    functional.conv2d(x, tensor(torch, filter), stride=stride, padding=padding)
                continue
            top, bottom, left, right = applied.padding
            # PyTorch's own "same" is stride 1 only: pad as resolved (checked against TensorFlow's rule elsewhere)
            padded = functional.pad(x, (left, right, top, bottom))
            expected = functional.conv2d(
                padded, tensor(torch, filter), torch.tensor([float(bias)], dtype=torch.float64), stride=stride
            )
        else:
            pad = rng.randint(0, min(kernel) // 2)
            ceil = rng.random() < 0.5
            try:
                applied = apply(operation, values, size=kernel, stride=stride, padding=pad, ceil=ceil)
            except ShapeError:
                with pytest.raises(RuntimeError):
                    functional.max_pool2d(x, kernel, stride, pad, ceil_mode=ceil)
                continue
            pool = functional.max_pool2d if operation == "maxpool" else functional.avg_pool2d
            expected = pool(x, kernel, stride, pad, ceil_mode=ceil)
        got = applied.output
        assert (len(got), len(got[0])) == tuple(expected.shape[2:])
        for row, expected_row in zip(got, expected[0, 0].tolist(), strict=True):
            for value, reference in zip(row, expected_row, strict=True):
                if operation == "avgpool":
                    assert abs(float(value) - reference) < 1e-9
                else:
                    assert value == reference  # small integers: float64 is exact
        compared += 1
    assert compared > 150  # most cases fit: the comparison is not vacuous


def test_convtranspose_matches_pytorch_on_random_small_integers() -> None:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = random.Random("apply-convtranspose")
    compared = refusals = 0
    for _ in range(600):
        h, w = rng.randint(1, 5), rng.randint(1, 5)
        kernel = (rng.randint(1, 4), rng.randint(1, 4))
        stride = (rng.randint(1, 3), rng.randint(1, 3))
        dilation = (rng.randint(1, 2), rng.randint(1, 2))
        # now and then as large as the stride or the dilation: a refusal, in both
        output_padding = (rng.randint(0, max(stride[0], dilation[0])), rng.randint(0, max(stride[1], dilation[1])))
        padding = rng.randint(0, 3)
        values, filter = random_matrix(rng, h, w, -9, 9), random_matrix(rng, kernel[0], kernel[1], -3, 3)
        bias = rng.randint(-5, 5)
        x, weight = tensor(torch, values), tensor(torch, filter)
        try:
            applied = apply(
                "convtranspose",
                values,
                stride=stride,
                padding=padding,
                filter=filter,
                bias=bias,
                output_padding=output_padding,
                dilation=dilation,
            )
        except ShapeError:
            with pytest.raises(RuntimeError):
                functional.conv_transpose2d(x, weight, None, stride, padding, output_padding, 1, dilation)
            refusals += 1
            continue
        biases = torch.tensor([float(bias)], dtype=torch.float64)
        expected = functional.conv_transpose2d(x, weight, biases, stride, padding, output_padding, 1, dilation)
        assert [[float(v) for v in row] for row in applied.output] == expected[0, 0].tolist()  # integers: exact
        compared += 1
    assert compared > 150 and refusals > 50  # both sides of the bounds are tried


def test_convtranspose_same_is_the_gradient_of_a_tensorflow_same_conv() -> None:
    # Keras's transposed conv is the gradient of a conv with SAME padding from its h s output to its h input: the
    # conv pads max((h - 1) s + k - h s, 0) = k - s, the odd one after, and the transposed conv cuts it
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = random.Random("apply-convtranspose-same")
    for _ in range(150):
        h, w = rng.randint(1, 5), rng.randint(1, 5)
        stride = (rng.randint(1, 3), rng.randint(1, 3))
        dilation = (rng.randint(1, 2), rng.randint(1, 2))
        # a filter spanning at least the stride: `same` cuts d (k - 1) + 1 - s
        kernel = tuple(rng.randint(-(-(s - 1) // d) + 1, 4) for s, d in zip(stride, dilation, strict=True))
        values, filter = random_matrix(rng, h, w, -9, 9), random_matrix(rng, kernel[0], kernel[1], -3, 3)
        pads = []
        for size, k, s, d in zip((h, w), kernel, stride, dilation, strict=True):
            total = max((size - 1) * s + d * (k - 1) + 1 - size * s, 0)
            pads.append((total // 2, total - total // 2))
        z = torch.zeros(1, 1, h * stride[0], w * stride[1], dtype=torch.float64, requires_grad=True)
        padded = functional.pad(z, (*pads[1], *pads[0]))
        y = functional.conv2d(padded, tensor(torch, filter), stride=stride, dilation=dilation)
        assert tuple(y.shape[2:]) == (h, w)
        (y * tensor(torch, values)).sum().backward()
        applied = apply("convtranspose", values, stride=stride, padding="same", filter=filter, dilation=dilation)
        assert [[float(v) for v in row] for row in applied.output] == z.grad[0, 0].tolist()


def exact_in_float(size: int, out: int, mode: str, align_corners: bool) -> bool:
    """Whether PyTorch's float64 up-sampling of small integers is exact: its scale, and so every weight, a
    fraction over a power of 2 (nearest reads a value, and is exact at these sizes)."""
    if mode == "nearest":
        return True
    ratio = Fraction(size - 1, out - 1) if align_corners and out > 1 else Fraction(size, out)
    return ratio.denominator & (ratio.denominator - 1) == 0


@pytest.mark.parametrize(
    ("mode", "align_corners"),
    [pytest.param("nearest", False, id="nearest"), pytest.param("bilinear", False, id="bilinear"),
     pytest.param("bilinear", True, id="bilinear-align-corners")],
)  # fmt: skip
def test_upsample_matches_pytorch_on_random_small_integers(mode: str, align_corners: bool) -> None:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = random.Random(f"apply-upsample-{mode}-{align_corners}")
    exact = close = 0
    for _ in range(300):
        h, w = rng.randint(1, 6), rng.randint(1, 6)
        values = random_matrix(rng, h, w, -9, 9)
        aligned = align_corners if mode == "bilinear" else None
        if rng.random() < 0.5:
            scale = (rng.randint(1, 4), rng.randint(1, 4))
            applied = apply("upsample", values, scale=scale, mode=mode, align_corners=align_corners)
            factors = (float(scale[0]), float(scale[1]))
            expected = functional.interpolate(
                tensor(torch, values), scale_factor=factors, mode=mode, align_corners=aligned
            )
        else:
            size = (rng.randint(1, 16), rng.randint(1, 16))  # most of them no multiple of the input's
            applied = apply("upsample", values, size=size, mode=mode, align_corners=align_corners)
            expected = functional.interpolate(tensor(torch, values), size=size, mode=mode, align_corners=aligned)
        rows, columns = applied.shape
        assert (rows, columns) == tuple(expected.shape[2:])
        if exact_in_float(h, rows, mode, align_corners) and exact_in_float(w, columns, mode, align_corners):
            assert [[float(v) for v in row] for row in applied.output] == expected[0, 0].tolist()
            exact += 1
        else:
            for row, expected_row in zip(applied.output, expected[0, 0].tolist(), strict=True):
                for value, reference in zip(row, expected_row, strict=True):
                    assert abs(float(value) - reference) < 1e-9
            close += 1
    assert exact > 50 and (mode == "nearest" or close > 50)  # both comparisons are made


def test_nearest_differs_from_pytorch_only_where_its_float32_scale_falls_short() -> None:
    # PyTorch works out floor(o * scale) in float32: where o h / H is whole and the rounded scale is below h / H,
    # it reads the input before; everywhere else it reads what floor(o h / H) does
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    for size in range(1, 17):
        positions = torch.arange(size, dtype=torch.float64)[None, None, None]
        for out in range(1, 101):
            read = functional.interpolate(positions, size=(1, out), mode="nearest")[0, 0, 0].tolist()
            for o, source in enumerate(sources(size, out, "nearest")):
                ((index, _),) = source.taps
                if read[o] != index:
                    assert (o * size % out, read[o]) == (0, index - 1), (size, out, o)
