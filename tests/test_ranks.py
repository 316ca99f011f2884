"""1-D and 3-D inputs, worked by hand: the options read per axis at the input's rank, the lecture's formulas on every
axis, vectors that keep their rank, the located errors, and the tables, JSON and CSV written per axis."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from explain_checker import check_summary

from cnncalc.cli import cli
from cnncalc.diagnostics import SpecError
from cnncalc.engine import analyse
from cnncalc.loader import load
from cnncalc.spec import Volume


def rows(text: str) -> list[tuple[object, ...]]:
    report = analyse(load(text))
    return [(row.output, row.params, row.receptive_field, row.jump, row.effective_padding) for row in report.layers]


def errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        analyse(load(text))
    return [f"{d.loc.line}:{d.loc.column} {d.message}" if d.loc else d.message for d in caught.value.diagnostics]


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


# -- options at the input's rank ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kernel", "padding"),
    [
        ("kernel: 3, padding: 1", (3,), (1, 1)),
        ("kernel: [3], padding: [1]", (3,), (1, 1)),
        ("kernel: 3, padding: [2, 0]", (3,), (2, 0)),
        ("kernel: 3, padding: same", (3,), "same"),
    ],
)
def test_a_1_d_conv_reads_one_value_per_axis(written: str, kernel: tuple[int, ...], padding: object) -> None:
    spec = load(f"input: [100, 2]\nlayers:\n  - conv: {{filters: 4, {written}}}\n")
    conv = spec.layers[0]
    assert (conv.kernel, conv.padding, conv.stride, conv.dilation) == (kernel, padding, (1,), (1,))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("written", "kernel", "padding"),
    [
        ("kernel: 3, padding: 1", (3, 3, 3), (1,) * 6),
        ("kernel: [1, 3, 3], padding: [0, 1, 1]", (1, 3, 3), (0, 0, 1, 1, 1, 1)),
        ("kernel: 3, padding: [0, 1, 1, 2, 2, 3]", (3, 3, 3), (0, 1, 1, 2, 2, 3)),
    ],
)
def test_a_3_d_conv_reads_one_value_per_axis(written: str, kernel: tuple[int, ...], padding: object) -> None:
    spec = load(f"input: [8, 16, 16, 3]\nlayers:\n  - conv: {{filters: 4, {written}}}\n")
    conv = spec.layers[0]
    assert (conv.kernel, conv.padding, conv.stride) == (kernel, padding, (1, 1, 1))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("input: [100, 2]\nlayers:\n  - conv: {filters: 4, kernel: [3, 3]}\n",
         "3:32 kernel must be an integer or [length], got a list of 2"),
        ("input: [100, 2]\nlayers:\n  - conv: {filters: 4, kernel: 3, padding: [1, 1, 1, 1]}\n",
         "3:44 padding must be [p] or [before, after], got a list of 4"),
        ("input: [8, 16, 16, 3]\nlayers:\n  - maxpool: {size: [2, 2]}\n",
         "3:21 size must be an integer or [depth, height, width], got a list of 2"),
        ("input: [8, 16, 16, 3]\nlayers:\n  - zeropad: {padding: [1, 1, 1, 1]}\n",
         "3:24 padding must be [pd, ph, pw] or [front, back, top, bottom, left, right], got a list of 4"),
        ("input: [2, 8, 16, 16, 3]\nlayers: [flatten]\n",
         "1:8 `input` must be [l, c], [h, w, c] or [d, h, w, c], positive integers, got a list of 5"),
    ],
)  # fmt: skip
def test_a_list_of_the_wrong_length_for_the_rank_is_a_located_error(text: str, message: str) -> None:
    found = errors(text) if "input: [2, 8" not in text else _load_errors(text)
    assert message in found, found


def _load_errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load(text)
    return [f"{d.loc.line}:{d.loc.column} {d.message}" for d in caught.value.diagnostics if d.loc]


def test_an_input_of_another_rank_reads_the_spec_at_its_rank() -> None:
    text = "input: [32, 32, 3]\nlayers:\n  - conv: {filters: 4, kernel: [3, 3]}\n"
    with pytest.raises(SpecError) as caught:
        load(text, Volume(8, 32, 32, 3))
    assert "kernel must be an integer or [depth, height, width]" in caught.value.diagnostics[0].message
    assert load("input: [32, 32, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n", Volume(64, 3)).input == (64, 3)


# -- the lecture's formulas on every axis -------------------------------------------------------------------------


def test_a_1_d_conv_is_the_lecture_on_one_axis() -> None:
    # (100 + 2*1 - 5) / 2 + 1 = 49; K (f c + 1) = 8 (5*2 + 1) = 88
    (conv,) = rows("input: [100, 2]\nlayers:\n  - conv: {filters: 8, kernel: 5, stride: 2, padding: 1}\n")
    assert conv == (Volume(49, 8), 88, (5,), (2,), (1,))


def test_a_3_d_conv_counts_kd_kh_kw_c_weights_per_filter() -> None:
    # 64 (3*3*3*3 + 1) = 5,248, C3D's conv1a; groups divide the channels: 8 (3*3*3*(16/4) + 1) = 872
    first, grouped = rows(
        "input: [16, 112, 112, 16]\nlayers:\n"
        "  - conv: {filters: 64, kernel: 3, padding: 1}\n"
        "  - conv: {filters: 8, kernel: [1, 3, 3], groups: 4, padding: [0, 1, 1]}\n"
    )
    assert first[:2] == (Volume(16, 112, 112, 64), 64 * (3 * 3 * 3 * 16 + 1))
    assert grouped == (Volume(16, 112, 112, 8), 8 * (1 * 3 * 3 * 64 // 4 + 1), (3, 5, 5), (1, 1, 1), (1, 2, 2))


def test_causal_padding_puts_the_field_in_the_past() -> None:
    # kernel 2 at dilations 1, 2, 4, 8, each padded [d, 0]: r = 1 + 1 + 2 + 4 + 8 = 16, all of it before the output
    layers = "".join(f"  - conv: {{filters: 4, kernel: 2, dilation: {d}, padding: [{d}, 0]}}\n" for d in (1, 2, 4, 8))
    report = analyse(load(f"input: [1000, 1]\nlayers:\n{layers}"))
    assert [row.receptive_field for row in report.layers] == [(2,), (4,), (8,), (16,)]
    assert report.layers[-1].effective_padding == (15,) and report.totals.output == (1000, 4)
    assert report.layers[-1].fields[0].at(500) == (485, 500)


def test_a_vector_keeps_the_rank() -> None:
    one = rows("input: [100, 6]\nlayers:\n  - globalavgpool\n  - dense: {units: 3}\n")
    three = rows("input: [4, 5, 6, 2]\nlayers:\n  - flatten\n  - dense: {units: 10}\n")
    assert [row[0] for row in one] == [Volume(1, 6), Volume(1, 3)]
    assert [row[:2] for row in three] == [(Volume(1, 1, 1, 240), 0), (Volume(1, 1, 1, 10), 2410)]
    assert three[-1][2:] == ((4, 5, 6), (1, 1, 1), (0, 0, 0))


def test_a_dense_layer_on_a_map_says_what_it_needs_at_its_rank() -> None:
    (message,) = errors("input: [4, 5, 6, 2]\nlayers:\n  - dense: {units: 10}\n")
    assert "dense needs a 1 x 1 x 1 x n input, got 4 x 5 x 6 x 2: add `flatten` before it" in message


def test_upsampling_is_linear_in_1_d_and_trilinear_in_3_d() -> None:
    # scale 2, align_corners false: the windows alternate [o/2 - 1, o/2] and [o/2, o/2 + 1]: r 2, j 1/2, as in 2-D
    (linear,) = analyse(load("input: [10, 1]\nlayers:\n  - upsample: {scale: 2, mode: bilinear}\n")).layers
    (trilinear,) = analyse(
        load("input: [4, 5, 6, 1]\nlayers:\n  - upsample: {scale: [1, 2, 3], mode: bilinear}\n")
    ).layers
    assert (linear.output, linear.receptive_field, str(linear.jump[0])) == (Volume(20, 1), (2,), "1/2")
    assert trilinear.output == Volume(4, 10, 18, 1)
    assert [str(j) for j in trilinear.jump] == ["1", "1/2", "1/3"]


def test_merges_line_up_every_axis() -> None:
    (message,) = errors(
        "input: [8, 16, 16, 4]\nlayers:\n  - concat:\n      branches:\n        - [conv: {filters: 2, kernel: 3}]\n"
        "        - [conv: {filters: 2, kernel: 1}]\n"
    )
    assert "cannot concatenate: depth, height and width differ" in message


# -- the explanation, the tables and the documents per axis -------------------------------------------------------

EVERY_KIND_1D = """input: [64, 8]
layers:
  - conv: {filters: 8, kernel: 3, stride: 2, padding: same, dilation: 1}
  - maxpool: {size: 3, stride: 2, padding: [1, 1], ceil: true}
  - zeropad: {padding: [2, 1]}
  - convtranspose: {filters: 8, kernel: 4, stride: 2, padding: 1}
  - upsample: {scale: 3, mode: bilinear}
  - crop: {sides: [1, 2]}
  - adaptiveavgpool: {size: 7}
  - squeeze_excite: {squeeze: 2}
  - residual: {layers: [conv: {filters: 8, kernel: 3, padding: 1}, batchnorm, relu]}
  - concat: {branches: [[conv: {filters: 4, kernel: 1}], [avgpool: {size: 3, stride: 1, padding: 1}]]}
  - globalmaxpool
  - flatten
  - dense: {units: 5}
"""

EVERY_KIND_3D = """input: [6, 20, 18, 3]
layers:
  - conv: {filters: 8, kernel: [1, 3, 3], stride: [1, 2, 2], padding: same}
  - maxpool: {size: [1, 3, 3], stride: [1, 2, 2], padding: [0, 1, 1]}
  - zeropad: {padding: [0, 1, 1, 1, 2, 0]}
  - convtranspose: {filters: 4, kernel: 2, stride: 2}
  - upsample: {size: [12, 20, 16]}
  - crop: {size: [10, 18, 14], offset: [1, 1, 2]}
  - adaptivemaxpool: {size: [5, 6, 7]}
  - groupnorm: {groups: 2}
  - residual: {layers: [conv: {filters: 4, kernel: 3, padding: 1}]}
  - flatten
  - dense: {units: 3}
"""


@pytest.mark.parametrize("text", [EVERY_KIND_1D, EVERY_KIND_3D], ids=["1-d", "3-d"])
def test_every_explained_number_adds_up_at_any_rank(text: str) -> None:
    assert check_summary(text) > 30


@pytest.mark.parametrize(("text", "rank"), [(EVERY_KIND_1D, 1), (EVERY_KIND_3D, 3)], ids=["1-d", "3-d"])
def test_the_json_has_a_value_per_axis(text: str, rank: int) -> None:
    code, out, _ = run("summary", "-", "--format", "json", stdin=text)
    assert code == 0
    document = json.loads(out)
    assert len(document["input"]) == rank + 1
    for row in document["layers"]:
        assert len(row["output"]) == rank + 1
        for key in ("receptive_field", "jump", "effective_padding", "local_receptive_field"):
            assert len(row[key]) == rank, key
        assert row["padding"] is None or len(row["padding"]) == 2 * rank


@pytest.mark.parametrize(
    ("text", "axes"), [(EVERY_KIND_1D, ["l"]), (EVERY_KIND_3D, ["d", "h", "w"])], ids=["1-d", "3-d"]
)
def test_the_csv_has_a_column_per_axis(text: str, axes: list[str]) -> None:
    code, out, _ = run("summary", "-", "--format", "csv", stdin=text)
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    for name in ("out", "rf", "jump", "effective_padding"):
        assert [key for key in table[0] if key.startswith(f"{name}_") and key != "out_c"] == [
            f"{name}_{axis}" for axis in axes
        ]
    assert all(None not in row and None not in row.values() for row in table)  # every row as long as the header


def test_the_table_writes_sizes_and_fields_by_axis() -> None:
    code, out, _ = run("summary", "c3d")
    assert code == 0
    assert "16 x 112 x 112 x 64" in out and "76x246x246*" in out
    assert "receptive field: 76 x 246 x 246, jump 16 x 32 x 32" in out


# -- the queries --------------------------------------------------------------------------------------------------


def test_a_query_on_a_clip_reads_one_size_for_every_axis() -> None:
    code, out, _ = run("conv", "16x112x112x3", "-k", "64", "-f", "3", "-p", "1", "--format", "json")
    assert code == 0
    found = json.loads(out)
    assert (found["output"], found["params"], found["padding"]) == ([16, 112, 112, 64], 5248, [1] * 6)


def test_a_query_on_a_signal_takes_causal_padding() -> None:
    code, out, _ = run("conv", "16000x1", "-k", "32", "-f", "2", "-d", "4", "-p", "4,0", "--format", "json")
    assert code == 0
    found = json.loads(out)
    assert (found["output"], found["receptive_field"], found["effective_padding"]) == ([16000, 32], [5], [4])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["conv", "8x8x8x3", "-k", "8", "-f", "3x3"], "'3x3': the 8 x 8 x 8 x 3 volume has 3 spatial axes"),
        (["pool", "64x3", "--size", "2", "-p", "1,1,1"], "'1,1,1': the 64 x 3 volume has 1 spatial axis"),
    ],
)
def test_a_query_size_of_the_wrong_rank_is_a_usage_error(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert message in err


@pytest.mark.parametrize(
    "text",
    [
        # a body that settles: the same volume and field growth in every repetition, summed in one step
        "input: [500, 4]\nlayers:\n  - repeat:\n      times: 40\n      layers:\n"
        "        - conv: {filters: 4, kernel: 3, padding: [2, 0]}\n        - groupnorm: {groups: 2}\n",
        # a body that grows the map evenly on every axis: MACs a cubic in 3-D, not summed in closed form
        "input: [3, 4, 5, 2]\nlayers:\n  - repeat:\n      times: 12\n      layers:\n"
        "        - zeropad: {padding: [1, 0, 0, 1, 1, 1]}\n        - conv: {filters: 2, kernel: 1}\n",
        "input: [8, 8, 8, 2]\nlayers:\n  - repeat:\n      times: 30\n      layers:\n"
        "        - conv: {filters: 2, kernel: 3, padding: 1}\n        - squeeze_excite: {squeeze: 1}\n",
    ],
    ids=["1-d-settling", "3-d-widening", "3-d-statistics"],
)
def test_a_folded_repeat_sums_what_every_repetition_computed_gives(text: str) -> None:
    spec = load(text)
    folded, unfolded = analyse(spec, depth=0), analyse(spec)
    assert folded.totals == unfolded.totals
    assert folded.layers[0].receptive_field == unfolded.layers[0].receptive_field
    assert folded.layers[0].local_receptive_field == unfolded.layers[0].local_receptive_field
