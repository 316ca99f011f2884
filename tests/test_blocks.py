"""Repeat, residual and concat blocks: shapes, totals, receptive fields where paths meet, folding, bounds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli
from cnncalc.diagnostics import SpecError
from cnncalc.engine import analyse
from cnncalc.fields import Field, merge
from cnncalc.loader import load
from cnncalc.reading import MAX_INSTANCES
from cnncalc.report import Report, walk

HEAD = "input: [32, 32, 16]\nlayers:\n"


def report(text: str, depth: int | None = None) -> Report:
    return analyse(load(text), depth)


def errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        report(text)
    return [d.format("spec.yaml") for d in caught.value.diagnostics]


def test_a_repeated_stride_2_conv_halves_the_map_each_time() -> None:
    net = report(HEAD + "  - repeat: {times: 3, layers: [{conv: {filters: 16, kernel: 2, stride: 2}}]}\n")
    (block,) = net.layers
    assert [row.output for row in block.layers] == [(16, 16, 16), (8, 8, 16), (4, 4, 16)]
    assert [row.path for row in block.layers] == ["1.1", "1.2", "1.3"]
    assert block.output == (4, 4, 16)
    # every repetition learns its own weights: 3 * 16 * (2*2*16 + 1)
    assert block.params == net.totals.params == 3 * 16 * (2 * 2 * 16 + 1)


def test_repeat_numbers_rows_across_repetitions() -> None:
    net = report(HEAD + "  - repeat: {times: 2, layers: [{conv: {filters: 16, kernel: 3, padding: same}}, relu]}\n")
    assert [(row.path, row.kind) for row in walk(net.layers)] == [
        ("1", "repeat"), ("1.1", "conv"), ("1.2", "relu"), ("1.3", "conv"), ("1.4", "relu"),
    ]  # fmt: skip


def test_identity_residual_adds_nothing_but_its_layers() -> None:
    text = HEAD + (
        "  - residual:\n"
        "      layers: [{conv: {filters: 16, kernel: 3, padding: 1}}, batchnorm, relu, "
        "{conv: {filters: 16, kernel: 3, padding: 1}}]\n"
        "      activation: relu\n"
    )
    (block,) = report(text).layers
    assert block.output == (32, 32, 16)
    assert block.trainable_params == 2 * 16 * (3 * 3 * 16 + 1) + 2 * 16
    assert block.non_trainable_params == 2 * 16
    assert block.shortcut == ()
    # both 3x3 convs: r = 1 + 2 + 2; the identity path sees 1 pixel, centred alike
    assert block.receptive_field == (5, 5)


def test_projection_shortcut_meets_the_strided_path() -> None:
    text = HEAD + (
        "  - residual:\n"
        "      layers:\n"
        "        - conv: {filters: 32, kernel: 3, stride: 2, padding: 1}\n"
        "        - conv: {filters: 32, kernel: 3, padding: 1}\n"
        "      shortcut: [{conv: {filters: 32, kernel: 1, stride: 2}}]\n"
    )
    net = report(text)
    (block,) = net.layers
    assert block.output == (16, 16, 32)
    assert [row.path for row in block.shortcut] == ["1.s1"]
    # main: r = 1 + 2*1 + 2*2 = 7, P = 1 + 1*2 = 3; shortcut: r = 1, P = 0; same centre, so the union is the main's
    assert (block.receptive_field, block.jump, block.effective_padding) == ((7, 7), (2, 2), (3, 3))
    assert net.warnings == ()


def test_concat_adds_the_channels_of_its_branches() -> None:
    text = HEAD + (
        "  - concat:\n"
        "      branches:\n"
        "        - [{conv: {filters: 8, kernel: 1}}]\n"
        "        - [{conv: {filters: 4, kernel: 1}}, {conv: {filters: 12, kernel: 3, padding: 1}}]\n"
        "        - [{maxpool: {size: 3, stride: 1, padding: 1}}]\n"
        "        - []\n"
    )
    (block,) = report(text).layers
    assert block.output == (32, 32, 8 + 12 + 16 + 16)
    assert [[row.path for row in branch] for branch in block.branches] == [
        ["1.b1.1"],
        ["1.b2.1", "1.b2.2"],
        ["1.b3.1"],
        [],
    ]
    assert block.params == 8 * (16 + 1) + 4 * (16 + 1) + 12 * (3 * 3 * 4 + 1)
    assert block.receptive_field == (3, 3)


def test_blocks_nest() -> None:
    text = HEAD + (
        "  - repeat:\n"
        "      times: 2\n"
        "      layers:\n"
        "        - residual:\n"
        "            layers:\n"
        "              - concat: {branches: [[{conv: {filters: 8, kernel: 1}}], [{conv: {filters: 8, kernel: 1}}]]}\n"
    )
    (block,) = report(text).layers
    assert [row.path for row in walk([block])] == [
        "1", "1.1", "1.1.1", "1.1.1.b1.1", "1.1.1.b2.1", "1.2", "1.2.1", "1.2.1.b1.1", "1.2.1.b2.1",
    ]  # fmt: skip
    assert block.params == 2 * 2 * 8 * (16 + 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            HEAD + "  - residual:\n      layers: [{conv: {filters: 32, kernel: 3, padding: 1}}]\n",
            "spec.yaml:3:5: error: layer 1 (residual): cannot add: the layers give 32 x 32 x 32, "
            "the shortcut (identity) gives 32 x 32 x 16",
            id="residual-channels",
        ),
        pytest.param(
            HEAD + "  - relu\n  - residual:\n      layers: [{conv: {filters: 16, kernel: 3, stride: 2, padding: 1}}]\n"
            "      shortcut: [{conv: {filters: 16, kernel: 1}}]\n",
            "spec.yaml:4:5: error: layer 2 (residual): cannot add: the layers give 16 x 16 x 16, "
            "the shortcut gives 32 x 32 x 16",
            id="residual-stride",
        ),
        pytest.param(
            HEAD + "  - concat:\n      branches:\n        - [{conv: {filters: 8, kernel: 3}}]\n        - []\n",
            "spec.yaml:3:5: error: layer 1 (concat): cannot concatenate: height and width differ: "
            "branch 1 gives 30 x 30 x 8, branch 2 gives 32 x 32 x 16",
            id="concat-sizes",
        ),
        pytest.param(
            HEAD + "  - repeat: {times: 6, layers: [{maxpool: {size: 2}}]}\n",
            "spec.yaml:3:50: error: layer 1.6 (maxpool): repetition 6 of 6: kernel 2 is larger than the padded input 1",
            id="repeat-runs-out",
        ),
        pytest.param(
            HEAD + "  - residual:\n      layers: [{conv: {filters: 16, kernel: 3, strid: 1}}]\n",
            "spec.yaml:4:48: error: layer 1.1 (conv): unknown option 'strid' (did you mean 'stride'?); conv takes: "
            "filters, kernel, stride, padding, dilation, groups, bias, activation",
            id="nested-unknown-option",
        ),
        pytest.param(
            HEAD + "  - concat: {branches: [[relu]]}\n",
            "spec.yaml:3:24: error: layer 1 (concat): branches must be a list of at least 2 branches, each a list "
            "of layers, got a list of 1",
            id="concat-one-branch",
        ),
        pytest.param(
            HEAD + "  - repeat: {times: 0, layers: [relu]}\n",
            "spec.yaml:3:21: error: layer 1 (repeat): times must be a positive integer, got 0",
            id="repeat-zero-times",
        ),
        pytest.param(
            HEAD + "  - repeat: {times: 2, layers: []}\n",
            "spec.yaml:3:32: error: layer 1 (repeat): `layers` is empty",
            id="repeat-empty",
        ),
    ],
)
def test_block_errors_name_the_paths_and_shapes(text: str, expected: str) -> None:
    assert errors(text) == [expected]


def test_a_runaway_repeat_is_refused_before_any_work() -> None:
    text = HEAD + (
        "  - repeat:\n      times: 1000\n      layers:\n        - repeat: {times: 1000, layers: [relu, relu]}\n"
    )
    (message,) = errors(text)
    assert message.startswith(
        "spec.yaml:4:14: error: layer 1 (repeat): this makes 2,001,000 layer instances (2,000,000 layers and 1,000 "
        "blocks)"
    )
    assert f"more than the {MAX_INSTANCES:,}" in message


def test_sibling_repeats_are_bounded_together() -> None:
    half = MAX_INSTANCES // 2
    text = HEAD + f"  - repeat: {{times: {half}, layers: [relu]}}\n" * 2
    (message,) = errors(text)
    assert message.startswith(
        "spec.yaml:3:3: error: this makes 1,000,002 layer instances (1,000,000 layers and 2 blocks)"
    )


def test_the_instance_count_says_that_blocks_are_counted() -> None:
    # 500,000 x 2 layers is 1,000,000 layers, within the bound; the repeat holding them is the 1,000,001st instance
    text = HEAD + f"  - repeat: {{times: {MAX_INSTANCES // 2}, layers: [relu, relu]}}\n"
    assert errors(text) == [
        "spec.yaml:3:3: error: this makes 1,000,001 layer instances (1,000,000 layers and 1 block), more than the "
        "1,000,000 cnncalc computes"
    ]


def test_misaligned_paths_warn_and_take_the_union() -> None:
    # a SAME stride-2 conv on an even map pads the bottom only: its first field is [0, 2], centred at 1,
    # while the 1x1 stride-2 shortcut's is [0, 0], centred at 0
    text = HEAD + (
        "  - residual:\n"
        "      layers: [{conv: {filters: 16, kernel: 3, stride: 2, padding: same}}]\n"
        "      shortcut: [{conv: {filters: 16, kernel: 1, stride: 2}}]\n"
    )
    net = report(text)
    (warning,) = net.warnings
    assert warning.code == "rf-misaligned"
    assert (
        "height and width: the first outputs' fields are centred apart: shortcut off by -1 from layers"
        in warning.message
    )
    assert net.layers[0].receptive_field == (3, 3)


def test_merge_takes_the_union_of_the_fields() -> None:
    # [-3, 3] and [-1, 1]: aligned, the larger wins; [0, 4] and [-1, 1]: the union is [-1, 4]
    paths = [(Field.affine(7, 2, 3), Field.affine(5, 2, 0)), (Field.affine(3, 2, 1), Field.affine(3, 2, 1))]
    (h, w), mismatches = merge(paths, ["layers", "shortcut"])
    assert (h, w) == (Field.affine(7, 2, 3), Field.affine(6, 2, 1))
    assert mismatches == ["width: the first outputs' fields are centred apart: shortcut off by -2 from layers"]


def test_unequal_jumps_are_reported() -> None:
    paths = [
        (Field.affine(3, 2, 0), Field.affine(3, 1, 1)),
        (Field.affine(1, 1, 0), Field.affine(1, 1, 0)),
        (Field.affine(1, 2, 0), Field.affine(1, 1, 0)),
    ]
    _, mismatches = merge(paths, ["branch 1", "branch 2", "branch 3"])
    assert mismatches == ["height: the jumps differ: branch 1 2, branch 2 1, branch 3 2"]


NET = HEAD + (
    "  - repeat:\n"
    "      times: 2\n"
    "      layers:\n"
    "        - residual: {layers: [{conv: {filters: 16, kernel: 3, padding: 1}}, batchnorm]}\n"
    "  - globalavgpool\n"
)


@pytest.mark.parametrize("depth", [0, 1, 2, None])
def test_depth_folds_rows_and_keeps_totals(depth: int | None) -> None:
    full, folded = report(NET), report(NET, depth)
    assert folded.totals == full.totals
    kept = [row.depth for row in walk(folded.layers)]
    assert max(kept) == (2 if depth is None else depth)
    assert [row.params for row in folded.layers] == [row.params for row in full.layers]


def cli_json(tmp_path: Path, text: str, *args: str) -> dict:  # type: ignore[type-arg]
    spec = tmp_path / "net.yaml"
    spec.write_text(text)
    result = CliRunner().invoke(cli, ["summary", str(spec), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_json_keeps_the_tree(tmp_path: Path) -> None:
    data = cli_json(tmp_path, NET)
    repeat = data["layers"][0]
    assert (repeat["kind"], repeat["times"], len(data["layers"])) == ("repeat", 2, 2)
    residual = repeat["layers"][1]
    assert (residual["path"], residual["index"], residual["shortcut"]) == ("1.2", 2, [])
    assert [row["kind"] for row in residual["layers"]] == ["conv", "batchnorm"]
    assert sum(row["params"] for row in data["layers"]) == data["totals"]["params"]


def test_depth_cuts_the_json_tree(tmp_path: Path) -> None:
    data = cli_json(tmp_path, NET, "--depth", "0")
    repeat = data["layers"][0]
    assert "layers" not in repeat
    assert repeat["params"] == 2 * (16 * (3 * 3 * 16 + 1) + 4 * 16)


def test_table_indents_rows_under_their_block(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(NET)
    result = CliRunner().invoke(cli, ["summary", str(spec)])
    rows = [line.split("│")[:2] for line in result.stdout.splitlines() if "│" in line]
    assert [(path.strip(), label.rstrip()) for path, label in rows][:4] == [
        ("1", " repeat"), ("1.1", "   residual"), ("1.1.1", "     conv"), ("1.1.2", "     batchnorm"),
    ]  # fmt: skip


def summary_run(tmp_path: Path, text: str, *args: str) -> tuple[int, str, str]:
    spec = tmp_path / "net.yaml"
    spec.write_text(text)
    result = CliRunner().invoke(cli, ["summary", str(spec), *args])
    return result.exit_code, result.stdout, result.stderr.replace(str(spec), "spec.yaml")


def test_a_runaway_repeat_is_refused_through_the_cli_before_any_work(tmp_path: Path) -> None:
    # with another error beside it, so that the layers before that one would otherwise be computed
    text = (
        "input: [8, 8, 4]\nlayers:\n  - repeat: {times: 2147483647, layers: [relu]}\n"
        "  - conv: {filters: 0, kernel: 1}\n"
    )
    code, out, err = summary_run(tmp_path, text)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "spec.yaml:3:21: error: layer 1 (repeat): this makes 2,147,483,647 layer instances, more than the "
        "1,000,000 cnncalc computes",
        "spec.yaml:4:21: error: layer 2 (conv): filters must be a positive integer, got 0",
    ]


def test_a_problem_in_every_repetition_is_said_once(tmp_path: Path) -> None:
    # the map stays 2 x 2, and each repetition floors the same way
    body = "[{conv: {filters: 4, kernel: 2, stride: 2, padding: [3, 0, 3, 0]}}]"
    text = f"input: [2, 2, 4]\nlayers:\n  - repeat: {{times: 50, layers: {body}}}\n"
    code, _, err = summary_run(tmp_path, text, "--format", "csv")
    assert code == 0
    (line,) = err.splitlines()
    assert line.endswith("the last input row and column are left out (in 50 repetitions)")


def test_an_error_in_a_repeat_does_not_echo_further_down(tmp_path: Path) -> None:
    text = HEAD.replace("[32, 32, 16]", "[8, 8, 4]") + (
        "  - repeat: {times: 2, layers: [{conv: {filters: 6, kernel: 1, groups: 4}},\n"
        "                               {conv: {filters: 4, kernel: 3}}]}\n"
        "  - concat: {branches: [[{conv: {filters: 4, kernel: 3}}], [{conv: {filters: 4, kernel: 1, stride: 2}}]]}\n"
    )
    code, _, err = summary_run(tmp_path, text)
    assert code == 2
    (line,) = err.splitlines()
    assert "groups 4 must divide both the input channels (4) and the filters (6) (in 2 repetitions)" in line


def test_vectors_meet_without_alignment_warnings() -> None:
    text = "input: [4, 4, 2]\nlayers:\n  - flatten\n  - concat: {branches: [[{dense: {units: 10}}], []]}\n"
    assert report(text).warnings == ()


def test_a_shortcut_written_empty_is_the_identity() -> None:
    text = HEAD + "  - residual:\n      layers: [relu]\n      shortcut:\n"
    assert report(text).layers[0].output == (32, 32, 16)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("  - concat: {branches: [[relu], relu]}\n", "layer 1 (concat): branch 2 must be a list of layers",
                     id="branch-not-a-list"),
        pytest.param("  - residual: {layers: []}\n", "layer 1 (residual): `layers` is empty", id="residual-empty"),
        pytest.param("  - repeat: {times: 2, layers: relu}\n", "layer 1 (repeat): `layers` must be a list of layers",
                     id="repeat-layers-not-a-list"),
    ],
)  # fmt: skip
def test_block_list_errors_name_the_block(text: str, expected: str) -> None:
    (message,) = errors(HEAD + text)
    assert f"error: {expected}" in message


def test_strides_on_a_one_pixel_map_cannot_run_the_field_away(tmp_path: Path) -> None:
    text = (
        "input: [1, 1, 1]\nlayers:\n  - repeat: {times: 14300, layers: [{conv: {filters: 1, kernel: 1, stride: 2}}]}\n"
    )
    code, out, err = summary_run(tmp_path, text, "--format", "json")
    assert (code, out) == (2, "")
    assert "error: layer 1.63 (conv): repetition 63 of 14300: the receptive field or its jump passes" in err


def test_csv_marks_block_rows(tmp_path: Path) -> None:
    import csv
    import io

    _, out, _ = summary_run(tmp_path, NET, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(int(row["params"]) for row in rows if row["block"] == "0") == report(NET).totals.params


def test_misaligned_branches_say_how_far_off_exactly_and_leave_out_the_aligned() -> None:
    # centres (r - 1) / 2 - p: branch 1 at 1, branch 2 at 1 (aligned: not named), branch 3 at 1.5, branch 4 at
    # 1 - 2**20 (a huge padding): offsets in halves of a pixel, exact, with thousands separators
    paths = [(Field.affine(3, 1, 0), Field.affine(1, 1, 0)), (Field.affine(3, 1, 0), Field.affine(1, 1, 0))]
    paths += [(Field.affine(4, 1, 0), Field.affine(1, 1, 0)), (Field.affine(3, 1, 2**20), Field.affine(1, 1, 0))]
    _, mismatches = merge(paths, ["branch 1", "branch 2", "branch 3", "branch 4"])
    assert mismatches == [
        "height: the first outputs' fields are centred apart: branch 3 off by +0.5, branch 4 off by -1,048,576"
        " from branch 1"
    ]
