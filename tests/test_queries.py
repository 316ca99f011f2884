"""One layer at the prompt, the lecture's formulas shown with the numbers put in, and `rf`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
LENET = str(ROOT / "specs" / "lenet5.yaml")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def query(*args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run(*args, "--format", "json")
    data = json.loads(out)
    # piped, the JSON's warnings are on standard error too
    assert (code, err) == (0, "".join(f"warning: {w['message']}\n" for w in data.get("warnings", []))), err
    return data  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("args", "output", "padding"),
    [
        pytest.param(["32x32x3", "-k", "16", "-f", "3"], [30, 30, 16], [0, 0, 0, 0], id="32-conv3-valid"),
        pytest.param(["6x6x1", "-k", "1", "-f", "3"], [4, 4, 1], [0, 0, 0, 0], id="6x6-conv3"),
        pytest.param(["6x6x1", "-k", "1", "-f", "3", "-p", "1"], [6, 6, 1], [1, 1, 1, 1], id="6x6-conv3-pad1"),
        pytest.param(["7x7x1", "-k", "1", "-f", "3", "-s", "2"], [3, 3, 1], [0, 0, 0, 0], id="7x7-conv3-stride2"),
        pytest.param(["32x32x3", "-k", "8", "-f", "5", "-p", "same"], [32, 32, 8], [2, 2, 2, 2], id="same-p=(f-1)/2"),
        pytest.param(["32x32x3", "-k", "8", "-f", "4", "-p", "same"], [32, 32, 8], [1, 2, 1, 2], id="same-even-kernel"),
        pytest.param(["32x32x3", "-k", "8", "-f", "3", "-s", "2", "-p", "same"], [16, 16, 8], [0, 1, 0, 1],
                     id="same-stride-2"),
        pytest.param(["32,32,3", "--filters", "8", "--kernel", "3x5", "--padding", "1,2"], [32, 32, 8], [1, 1, 2, 2],
                     id="long-options-pairs"),
    ],
)  # fmt: skip
def test_conv_query(args: list[str], output: list[int], padding: list[int]) -> None:
    data = query("conv", *args)
    assert (data["output"], data["padding"]) == (output, padding)


def test_conv_query_has_the_keys_of_a_summary_layer() -> None:
    data = query("conv", "32 32 3", "-k", "16", "-f", "3")
    assert {"output", "params", "trainable_params", "macs", "flops", "receptive_field", "jump"} <= data.keys()
    # K (f f c + 1) = 16 * (3*3*3 + 1); MACs = h' w' K f f c
    assert (data["params"], data["macs"]) == (16 * (3 * 3 * 3 + 1), 30 * 30 * 16 * 3 * 3 * 3)
    assert data["input"] == [32, 32, 3]


def test_conv_text_shows_the_four_sides_and_the_totals() -> None:
    code, out, _ = run("conv", "32x32x3", "-k", "16", "-f", "3", "-s", "2", "-p", "same")
    assert code == 0
    assert out.splitlines()[:6] == [
        "conv 16 3x3 /2 same(0,1,0,1) on 32 x 32 x 3",
        "output:          16 x 16 x 16",
        "padding:         top 0, bottom 1, left 0, right 1",
        "params:          448",
        "MACs:            110,592 (FLOPs = 2 x MACs = 221,184)",
        "receptive field: 3, jump 2, effective padding 0",
    ]


def explained(*args: str) -> list[str]:
    code, out, _ = run(*args, "--explain")
    assert code == 0
    return [line.strip() for line in out.split("how:")[1].splitlines() if line.strip()]


def test_explain_puts_the_numbers_in_the_lecture_formulas() -> None:
    lines = explained("conv", "32x32x3", "-k", "16", "-f", "3", "-p", "1")
    assert "h' = w' = (32 + 2*1 - 3) / 1 + 1 = 31 + 1 = 32" in lines
    assert "params = K * (3*3*3 + 1) = 16 * (3*3*3 + 1) = 448" in lines
    assert "r = 1 + (3 - 1) * 1 = 3; j = 1 * 1 = 1" in lines


def test_explain_shows_how_same_found_its_padding() -> None:
    lines = explained("conv", "32x32x3", "-k", "16", "-f", "3", "-s", "2", "-p", "same")
    assert "SAME: h' = w' = ceil(32 / 2) = 16; padding = max((16 - 1)*2 + 3 - 32, 0) = 1: 0 before, 1 after" in lines


def test_explain_shows_the_fraction_and_the_floor() -> None:
    lines = explained("conv", "224x224x3", "-k", "64", "-f", "11", "-s", "4", "-p", "2")
    assert (
        "h' = w' = floor((224 + 2*2 - 11) / 4) + 1 = floor(54.25) + 1 = 55: the last partial window is dropped" in lines
    )


def test_the_lecture_sparse_and_shared_example() -> None:
    # a 3 x 3 input, a 2 x 2 filter, 4 outputs: 16 connections (weights, were they not shared) and 4 biases
    # against 4 shared weights and 1 bias
    lines = explained("conv", "3x3x1", "-k", "1", "-f", "2")
    assert (
        "sparsity: each of the 4 outputs sees 2*2*1 = 4 inputs, 16 connections in all: 2.25 times fewer than dense"
        in lines
    )
    assert any(line.startswith("sharing: the 1 filter serves all 2*2 = 4 positions, so 5 parameters") for line in lines)


def test_a_filter_covering_its_input_is_one_dense_neuron_per_filter() -> None:
    # a 3 x 3 filter over a 3 x 3 input is a dense layer: K filters, K neurons of 9 inputs each
    for filters in (1, 2):
        data = query("conv", "3x3x1", "-k", str(filters), "-f", "3")
        dense = query("dense", "3x3x1", "--units", str(filters))
        assert data["output"] == dense["output"] == [1, 1, filters]
        assert data["params"] == dense["params"] == filters * (3 * 3 + 1)


@pytest.mark.parametrize(
    ("args", "output"),
    [
        pytest.param(["4x4x6", "--size", "2"], [2, 2, 6], id="lecture-4x4-max-2/2"),
        pytest.param(["5x5x6", "--size", "2"], [2, 2, 6], id="floor"),
        pytest.param(["5x5x6", "--size", "2", "--ceil"], [3, 3, 6], id="ceil"),
        pytest.param(["5x5x1", "--size", "2", "--ceil", "-p", "1"], [3, 3, 1], id="ceil-last-window-dropped"),
        pytest.param(["4x4x6", "--size", "3", "-s", "1", "--kind", "avg"], [2, 2, 6], id="avg-stride-1"),
    ],
)
def test_pool_query_keeps_the_channels(args: list[str], output: list[int]) -> None:
    data = query("pool", *args)
    assert (data["output"], data["params"]) == (output, 0)


def test_dense_query() -> None:
    # units (n + 1) = 120 * (400 + 1)
    assert query("dense", "400", "--units", "120")["params"] == 48_120
    assert query("dense", "5x5x16", "--units", "120")["params"] == 48_120


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        pytest.param(["32", "-f", "5"], "SAME: ceil(32 / 1) = 32: pad 4 in all, 2 before and 2 after", id="odd"),
        pytest.param(["32", "-f", "4"], "SAME: ceil(32 / 1) = 32: pad 3 in all, 1 before and 2 after", id="even"),
        pytest.param(["32", "-f", "3", "-s", "2"], "SAME: ceil(32 / 2) = 16: pad 1 in all, 0 before and 1 after",
                     id="stride-2"),
        pytest.param(["32", "-f", "3", "--output", "40"],
                     "the output asked for, 40: pad 10 in all, 5 before and 5 after", id="output"),
        # floor((11 - 2) / 4) + 1 = 3 already: none is the least padding, though 1, 2 and 3 give 3 too
        pytest.param(["11", "-f", "2", "-s", "4", "--output", "3"],
                     "the output asked for, 3: pad 0 in all, 0 before and 0 after", id="none-needed"),
    ],
)  # fmt: skip
def test_pad_finds_the_padding(args: list[str], first_line: str) -> None:
    code, out, _ = run("pad", *args)
    assert code == 0
    assert out.splitlines()[0] == first_line


def test_pad_says_p_is_f_minus_1_over_2() -> None:
    assert "p = (f - 1) / 2 = (5 - 1) / 2 = 2 on each side" in run("pad", "32", "-f", "5")[1]


def test_pad_says_when_no_padding_can() -> None:
    code, _, err = run("pad", "32", "-f", "3", "--output", "20")
    assert code == 2
    assert "no padding gives 20: with none the output is already 30" in err


@pytest.mark.parametrize(
    "args",
    [
        ["conv", "32", "-k", "8", "-f", "3"],
        ["conv", "2x2x2x2x2", "-k", "8", "-f", "1"],
        ["conv", "8x8x8x3", "-k", "8", "-f", "3x3"],
        ["conv", "64x3", "-k", "8", "-f", "2", "-p", "1,1,1"],
        ["conv", "32x32x3", "-k", "0", "-f", "3"],
        ["conv", "32x32x3", "-k", "8", "-f", "3", "-p", "middle"],
        ["conv", "3x3x1", "-k", "8", "-f", "5"],
        ["conv", "32x32x3", "-k", "8", "-f", "3", "-g", "2"],
        ["pool", "4x4x6", "--size", "2", "-p", "2"],
        ["pool", "4x4x6", "--size", "2", "-p", "same", "--ceil"],
        ["dense", "-4", "--units", "3"],
        ["conv", "32x32x3", "-k", "8", "-f", "3", "--format", "xml"],
    ],
)
def test_bad_queries_are_usage_errors(args: list[str]) -> None:
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert "Error" in err


def test_rf_shows_where_the_first_output_looks() -> None:
    data = query("rf", LENET)
    rows = {row["path"]: row for row in data["layers"]}
    assert rows["1"]["receptive_field"] == [5, 5]
    assert rows["6"]["first_field"][0] == {"start": 0, "end": 31, "centre": 15.5, "padding_before": 0,
                                           "padding_after": 0}  # fmt: skip


def test_rf_counts_the_padding_the_field_overlaps() -> None:
    data = query("rf", str(ROOT / "specs" / "vgg16.yaml"))
    pool5 = next(row for row in data["layers"] if row["name"] == "pool5")
    # Araujo et al.: r 212, P 90 -> the first output sees pixels -90 to 121, 90 of them padding
    assert pool5["first_field"][0] == {"start": -90, "end": 121, "centre": 15.5, "padding_before": 90,
                                       "padding_after": 0}  # fmt: skip


def test_rf_table() -> None:
    code, out, _ = run("rf", LENET)
    assert code == 0
    assert "6 │ dense C5     │ 32* │    4 │ 0 │ [0, 31]" in out  # *: a field as large as the input


def test_summary_explain_in_every_format() -> None:
    code, out, _ = run("summary", LENET, "--explain")
    assert code == 0
    assert "How each number was found:" in out
    assert "params = 120 * (400 + 1) = 48,120" in out
    data = query("summary", LENET, "--explain")
    assert "r = 16 + (5 - 1) * 4 = 32: a filter over the whole 5-wide map" in data["layers"][5]["explain"]
    assert "- 6 dense C5:" in run("summary", LENET, "--explain", "--format", "markdown")[1]
    assert run("summary", LENET, "--explain", "--format", "csv")[0] == 2
