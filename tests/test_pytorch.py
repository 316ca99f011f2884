"""cnncalc against PyTorch: every output volume from a real forward pass, every parameter from `numel()`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

import torch_reference  # noqa: E402  (needs torch)
from torch import nn  # noqa: E402

from cnncalc.cli import cli  # noqa: E402
from cnncalc.diagnostics import SpecError  # noqa: E402
from cnncalc.engine import analyse  # noqa: E402
from cnncalc.loader import load, load_file  # noqa: E402
from cnncalc.spec import Volume  # noqa: E402

SPECS = sorted((Path(__file__).parent.parent / "specs").glob("*.yaml"))


def spec_text(input: tuple[int, int, int], *layers: str) -> str:
    """A spec in YAML: the input volume h x w x c, then one list item per layer."""
    h, w, c = input
    return "\n".join([f"input: [{h}, {w}, {c}]", "layers:", *(f"  - {layer}" for layer in layers)]) + "\n"


def summary_json(path: Path) -> dict[str, Any]:
    """What `cnncalc summary PATH --format json` prints, read back."""
    result = CliRunner().invoke(cli, ["summary", str(path), "--format", "json"])
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def rows(layers: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every row of the JSON tree, a block before its own: layers, then shortcut, then branches."""
    for row in layers:
        yield row
        yield from rows(row.get("layers", []))
        yield from rows(row.get("shortcut", []))
        for branch in row.get("branches", []):
            yield from rows(branch)


# -- the specs in specs/ -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", SPECS, ids=[path.stem for path in SPECS])
def test_spec_matches_a_pytorch_forward_pass(path: Path) -> None:
    report = summary_json(path)
    run = torch_reference.run_file(path)
    # the spec's own layers, one by one: the JSON's top-level list is the model's top-level modules
    top = report["layers"]
    assert [row["path"] for row in top] == run.top_level
    assert [Volume(*row["output"]) for row in top] == [run.outputs[at] for at in run.top_level]
    assert [row["trainable_params"] for row in top] == [run.trainable[at] for at in run.top_level]
    assert [row["non_trainable_params"] for row in top] == [run.running[at] for at in run.top_level]
    # and every row inside the blocks: each repetition, the shortcut, every branch
    every = list(rows(top))
    assert {row["path"] for row in every} == set(run.outputs)
    for row in every:
        at = row["path"]
        assert Volume(*row["output"]) == run.outputs[at], at
        assert (row["trainable_params"], row["non_trainable_params"]) == (run.trainable[at], run.running[at])
        if row["padding"] is not None:
            assert tuple(row["padding"]) == run.padding[at], at
    totals = report["totals"]
    assert Volume(*totals["output"]) == run.outputs[run.top_level[-1]]
    assert totals["trainable_params"] == sum(run.trainable[at] for at in run.top_level)
    assert totals["non_trainable_params"] == sum(run.running[at] for at in run.top_level)


def test_the_specs_are_there() -> None:
    # a glob that finds nothing would parametrize nothing and pass
    assert {path.stem for path in SPECS} >= {
        *("alexnet", "lenet5", "vgg16", "vgg19", "resnet18", "resnet50"),
        *("mobilenet_v1", "mobilenet_v2", "googlenet_inception3a"),
    }


@pytest.mark.parametrize(
    ("stem", "params"),
    [
        pytest.param("alexnet", 61_100_840, id="alexnet-torchvision"),
        pytest.param("vgg16", 138_357_544, id="vgg16-torchvision"),
        # 6 (25 + 1) + 16 (6 * 25 + 1) + 120 (400 + 1) + 84 (120 + 1) + 10 (84 + 1)
        pytest.param("lenet5", 61_706, id="lenet5-lecture"),
    ],
)
def test_published_parameter_counts(stem: str, params: int) -> None:
    path = next(path for path in SPECS if path.stem == stem)
    run = torch_reference.run_file(path)
    assert sum(run.trainable[top] for top in run.top_level) == params
    report = analyse(load_file(str(path)))
    assert report.totals.trainable_params == params
    assert report.totals.params == params  # no batchnorm: nothing non-trainable


def test_network_with_batchnorm_matches_pytorch() -> None:
    text = spec_text(
        (17, 23, 3),
        "conv: {filters: 8, kernel: 3, stride: 2, padding: same, bias: false}",
        "batchnorm",
        "relu",
        "maxpool: {size: 3, stride: 2, padding: 1, ceil: true}",
        "conv: {filters: 16, kernel: 3, groups: 8, padding: [1, 0, 1, 2]}",
        "batchnorm",
        "globalavgpool",
        "dense: {units: 12, activation: gelu}",
        "batchnorm",
        "dropout: {rate: 0.1}",
        "flatten",
        "dense: {units: 5, activation: softmax}",
    )
    spec = load(text)
    report = analyse(spec)
    modules = torch_reference.build(spec)
    assert torch_reference.forward(modules, spec.input) == [layer.output for layer in report.layers]
    assert [torch_reference.trainable_params(m) for m in modules] == [r.trainable_params for r in report.layers]
    assert [torch_reference.running_stats(m) for m in modules] == [r.non_trainable_params for r in report.layers]
    for layer, module in zip(report.layers, modules, strict=True):
        assert layer.padding in (None, torch_reference.applied_padding(module))
    # batchnorm over 8, 16 and 12 channels: gamma and beta learned, mean and variance running
    assert report.totals.non_trainable_params == 2 * (8 + 16 + 12)


def test_layer_norms_scales_slopes_and_shuffles_match_pytorch() -> None:
    text = spec_text(
        (9, 7, 6),
        "conv: {filters: 12, kernel: 3, padding: 1, activation: hardswish}",
        "layernorm",
        "prelu",
        "prelu: {per_channel: true}",
        "scale",
        "droppath: {rate: 0.2}",
        "channelshuffle: {groups: 3}",
        "relu6",
        "mish",
        "hardsigmoid",
        "flatten",
        "layernorm",
        "scale",
        "prelu: {per_channel: true}",
        "dense: {units: 4}",
    )
    spec = load(text)
    report = analyse(spec)
    modules = torch_reference.build(spec)
    assert torch_reference.forward(modules, spec.input) == [layer.output for layer in report.layers]
    trainable = [torch_reference.trainable_params(m) for m in modules]
    assert trainable == [r.trainable_params for r in report.layers]
    # a layernorm learns a scale and a shift per channel, and keeps no statistics; a PReLU one slope, or c
    assert trainable[1:5] == [2 * 12, 1, 12, 12]
    assert trainable[11:14] == [2 * 9 * 7 * 12, 9 * 7 * 12, 9 * 7 * 12]
    assert report.totals.non_trainable_params == 0


def test_a_channel_shuffle_whose_groups_do_not_divide_the_channels_is_refused_by_both() -> None:
    spec = load(spec_text((4, 4, 8), "channelshuffle: {groups: 3}"))
    with pytest.raises(RuntimeError, match="divisible by groups"):
        torch_reference.forward(torch_reference.build(spec), spec.input)
    with pytest.raises(SpecError, match=r"groups 3 must divide the input channels \(8\)"):
        analyse(spec)


# -- one layer at a time -----------------------------------------------------------------------------

SINGLE_LAYERS = [
    # conv: padding
    pytest.param((32, 32, 3), "conv: {filters: 16, kernel: 3}", (30, 30, 16), id="conv-3x3-valid-by-default"),
    pytest.param((32, 32, 3), "conv: {filters: 8, kernel: 3, padding: valid}", (30, 30, 8), id="conv-padding-valid"),
    pytest.param((6, 6, 1), "conv: {filters: 2, kernel: 3, padding: 0}", (4, 4, 2), id="conv-padding-0"),
    # 32 + 2 * 2 - 5 + 1
    pytest.param((32, 32, 3), "conv: {filters: 6, kernel: 5, padding: 2}", (32, 32, 6), id="conv-int-padding"),
    # 28 + 2 * 2 - 5 + 1, 28 + 2 * 1 - 3 + 1
    pytest.param(
        (28, 28, 1), "conv: {filters: 6, kernel: [5, 3], padding: [2, 1]}", (28, 28, 6), id="conv-pair-padding"
    ),
    # 10 + 1 + 0 - 3 + 1, 10 + 2 + 0 - 3 + 1
    pytest.param(
        (10, 10, 2), "conv: {filters: 4, kernel: 3, padding: [1, 0, 2, 0]}", (9, 10, 4), id="conv-four-sided-padding"
    ),
    # (9 + 0 + 1 - 3) // 2 + 1, (9 + 1 + 0 - 3) // 2 + 1
    pytest.param(
        (9, 9, 2),
        "conv: {filters: 4, kernel: 3, stride: 2, padding: [0, 1, 1, 0]}",
        (4, 4, 4),
        id="conv-four-sided-padding-stride-2",
    ),
    # 4 + 2 * 2 - 1 + 1
    pytest.param((4, 4, 1), "conv: {filters: 1, kernel: 1, padding: 2}", (8, 8, 1), id="padding-wider-than-kernel"),
    # conv: SAME, out = ceil(h / s)
    pytest.param((15, 15, 4), "conv: {filters: 8, kernel: 3, padding: same}", (15, 15, 8), id="same-odd-kernel"),
    # padding 7 * 2 + 3 - 15 = 2: 1 before, 1 after
    pytest.param(
        (15, 15, 4), "conv: {filters: 8, kernel: 3, stride: 2, padding: same}", (8, 8, 8), id="same-stride-2-odd-input"
    ),
    # padding 7 * 2 + 3 - 16 = 1: 0 before, 1 after
    pytest.param(
        (16, 16, 3), "conv: {filters: 4, kernel: 3, stride: 2, padding: same}", (8, 8, 4), id="same-stride-2-even-input"
    ),
    # padding 2 - 1 = 1: 0 before, 1 after
    pytest.param((8, 8, 3), "conv: {filters: 4, kernel: 2, padding: same}", (8, 8, 4), id="same-even-kernel"),
    # padding 4 * 2 + 4 - 9 = 3: 1 before, 2 after
    pytest.param(
        (9, 9, 3), "conv: {filters: 4, kernel: 4, stride: 2, padding: same}", (5, 5, 4), id="same-even-kernel-stride-2"
    ),
    # padding 3 * 3 + 3 - 10 = 2
    pytest.param((10, 10, 3), "conv: {filters: 4, kernel: 3, stride: 3, padding: same}", (4, 4, 4), id="same-stride-3"),
    # dilated kernel 2 * (3 - 1) + 1 = 5: padding 4
    pytest.param(
        (12, 12, 3), "conv: {filters: 4, kernel: 3, dilation: 2, padding: same}", (12, 12, 4), id="same-dilation-2"
    ),
    # 3 * 2 + 1 - 8 < 0: no padding
    pytest.param(
        (8, 8, 3), "conv: {filters: 4, kernel: 1, stride: 2, padding: same}", (4, 4, 4), id="same-needs-no-padding"
    ),
    pytest.param(
        (3, 3, 2), "conv: {filters: 4, kernel: 5, padding: same}", (3, 3, 4), id="same-kernel-larger-than-input"
    ),
    # ceil(7 / 1), ceil(10 / 2); width padding 4 * 2 + 5 - 10 = 3: 1 before, 2 after
    pytest.param(
        (7, 10, 3),
        "conv: {filters: 4, kernel: [2, 5], stride: [1, 2], padding: same}",
        (7, 5, 4),
        id="same-non-square",
    ),
    # conv: stride and dilation
    # (224 + 2 * 3 - 7) // 2 + 1
    pytest.param(
        (224, 224, 3), "conv: {filters: 64, kernel: 7, stride: 2, padding: 3}", (112, 112, 64), id="resnet-stem"
    ),
    # (224 + 2 * 2 - 11) // 4 + 1 = 54.25 + 1, floored
    pytest.param(
        (224, 224, 3),
        "conv: {filters: 64, kernel: 11, stride: 4, padding: 2}",
        (55, 55, 64),
        id="alexnet-conv1-floored",
    ),
    # (8 - 3) // 2 + 1 = 2.5 + 1, floored
    pytest.param((8, 8, 1), "conv: {filters: 2, kernel: 3, stride: 2}", (3, 3, 2), id="stride-2-last-row-dropped"),
    # (11 - 2) // 3 + 1
    pytest.param((11, 11, 1), "conv: {filters: 2, kernel: 2, stride: 3}", (4, 4, 2), id="stride-3"),
    # (10 - 3) // 3 + 1 = 2.33 + 1, floored
    pytest.param((10, 10, 1), "conv: {filters: 2, kernel: 3, stride: 3}", (3, 3, 2), id="stride-3-last-row-dropped"),
    # 10 - 5 + 1
    pytest.param((10, 10, 3), "conv: {filters: 4, kernel: 3, dilation: 2}", (6, 6, 4), id="dilation-2"),
    # 16 + 2 * 2 - 5 + 1, 12 + 2 * 3 - 7 + 1
    pytest.param(
        (16, 12, 3), "conv: {filters: 4, kernel: 3, dilation: [2, 3], padding: [2, 3]}", (16, 12, 4), id="dilation-pair"
    ),
    # (15 - 5) // 2 + 1
    pytest.param(
        (15, 15, 2), "conv: {filters: 4, kernel: 3, dilation: 2, stride: 2}", (6, 6, 4), id="dilation-2-stride-2"
    ),
    # conv: groups, bias, shapes
    # 8 filters of 3 x 3 x (4 / 2), plus 8 biases
    pytest.param((8, 8, 4), "conv: {filters: 8, kernel: 3, groups: 2}", (6, 6, 8), id="groups-2"),
    pytest.param((8, 8, 6), "conv: {filters: 6, kernel: 3, groups: 6, padding: 1}", (8, 8, 6), id="depthwise"),
    pytest.param((8, 8, 3), "conv: {filters: 6, kernel: 3, groups: 3}", (6, 6, 6), id="depthwise-multiplier-2"),
    pytest.param((7, 7, 32), "conv: {filters: 16, kernel: 1}", (7, 7, 16), id="pointwise"),
    pytest.param((5, 5, 3), "conv: {filters: 4, kernel: 3, bias: false}", (3, 3, 4), id="bias-false"),
    pytest.param(
        (6, 6, 4), "conv: {filters: 4, kernel: [1, 3], groups: 4, bias: false}", (6, 4, 4), id="depthwise-bias-false"
    ),
    pytest.param(
        (10, 10, 3), "conv: {filters: 8, kernel: [1, 7], padding: [0, 3]}", (10, 10, 8), id="non-square-kernel"
    ),
    # 6 - 3 + 1, (20 - 3) // 2 + 1
    pytest.param((6, 20, 2), "conv: {filters: 4, kernel: 3, stride: [1, 2]}", (4, 9, 4), id="non-square-input-stride"),
    pytest.param((5, 5, 3), "conv: {filters: 10, kernel: 5}", (1, 1, 10), id="kernel-covers-input"),
    pytest.param((8, 8, 3), "conv: {filters: 4, kernel: 3, activation: relu}", (6, 6, 4), id="conv-relu"),
    pytest.param((4, 4, 3), "conv: {filters: 5, kernel: 1, activation: softmax}", (4, 4, 5), id="conv-softmax"),
    # max pool
    pytest.param((8, 8, 3), "maxpool: {size: 2}", (4, 4, 3), id="maxpool-2"),
    # (13 - 3) // 2 + 1, AlexNet's last pool
    pytest.param((13, 13, 8), "maxpool: {size: 3, stride: 2}", (6, 6, 8), id="maxpool-3-stride-2-overlapping"),
    # (7 - 2) // 2 + 1 = 2.5 + 1, floored
    pytest.param((7, 7, 2), "maxpool: {size: 2}", (3, 3, 2), id="maxpool-last-row-dropped"),
    # ceil((7 - 2) / 2) + 1: the last window hangs one row past the input
    pytest.param((7, 7, 2), "maxpool: {size: 2, ceil: true}", (4, 4, 2), id="ceil-last-window-kept"),
    pytest.param((6, 6, 2), "maxpool: {size: 3, stride: 2, ceil: false}", (2, 2, 2), id="ceil-false"),
    pytest.param((6, 6, 2), "maxpool: {size: 3, stride: 2, ceil: true}", (3, 3, 2), id="ceil-true"),
    # ceil((5 + 2 - 3) / 3) + 1 = 3, but the third window would start at 6 >= 5 + 1, in the padding: dropped
    pytest.param(
        (5, 5, 1), "maxpool: {size: 3, stride: 3, padding: 1, ceil: true}", (2, 2, 1), id="ceil-last-window-dropped"
    ),
    # ceil((2 - 3) / 2) + 1: one window, larger than the input
    pytest.param((2, 2, 1), "maxpool: {size: 3, stride: 2, ceil: true}", (1, 1, 1), id="ceil-window-past-input"),
    # (112 + 2 - 3) // 2 + 1, ResNet's stem pool
    pytest.param((112, 112, 8), "maxpool: {size: 3, stride: 2, padding: 1}", (56, 56, 8), id="maxpool-padding-1"),
    # floor would be (8 + 2 - 3) // 2 + 1 = 4
    pytest.param(
        (8, 8, 2), "maxpool: {size: 3, stride: 2, padding: 1, ceil: true}", (5, 5, 2), id="maxpool-ceil-padding"
    ),
    # (6 + 2 - 3) // 2 + 1, (6 - 3) // 2 + 1
    pytest.param((6, 6, 2), "maxpool: {size: 3, stride: 2, padding: [1, 0]}", (3, 2, 2), id="maxpool-pair-padding"),
    # (6 + 1 - 2) // 2 + 1 on both axes, padded on different sides
    pytest.param((6, 6, 2), "maxpool: {size: 2, padding: [1, 0, 0, 1]}", (3, 3, 2), id="maxpool-four-sided-padding"),
    # ceil(7 / 2); padding 3 * 2 + 2 - 7 = 1, after
    pytest.param((7, 7, 2), "maxpool: {size: 2, padding: same}", (4, 4, 2), id="maxpool-same"),
    pytest.param((5, 5, 2), "maxpool: {size: 3, stride: 1, padding: same}", (5, 5, 2), id="maxpool-same-stride-1"),
    # (8 - 2) // 2 + 1, (9 - 3) // 1 + 1
    pytest.param((8, 9, 2), "maxpool: {size: [2, 3], stride: [2, 1]}", (4, 7, 2), id="maxpool-non-square"),
    # (10 - 2) // 3 + 1: windows skip a row between them
    pytest.param((10, 10, 1), "maxpool: {size: 2, stride: 3}", (3, 3, 1), id="stride-larger-than-window"),
    # (10 - 3) // 4 + 1 = 1.75 + 1, floored
    pytest.param((10, 10, 1), "maxpool: {size: 3, stride: 4}", (2, 2, 1), id="pool-stride-not-dividing"),
    # average pool
    pytest.param((28, 28, 6), "avgpool: {size: 2}", (14, 14, 6), id="avgpool-lenet"),
    pytest.param((7, 7, 3), "avgpool: {size: 2}", (3, 3, 3), id="avgpool-floor"),
    pytest.param((7, 7, 3), "avgpool: {size: 2, ceil: true}", (4, 4, 3), id="avgpool-ceil"),
    pytest.param(
        (5, 5, 1),
        "avgpool: {size: 3, stride: 3, padding: 1, ceil: true}",
        (2, 2, 1),
        id="avgpool-ceil-last-window-dropped",
    ),
    pytest.param((7, 8, 1), "avgpool: {size: 2, ceil: true}", (4, 4, 1), id="avgpool-ceil-non-square"),
    pytest.param((6, 6, 2), "avgpool: {size: 3, stride: 1, padding: 1}", (6, 6, 2), id="avgpool-padding"),
    # ceil(5 / 2); padding 2 * 2 + 3 - 5 = 2
    pytest.param((5, 5, 2), "avgpool: {size: 3, stride: 2, padding: same}", (3, 3, 2), id="avgpool-same-stride-2"),
    # (5 + 0 + 1 - 2) // 2 + 1, (5 + 1 + 0 - 2) // 2 + 1
    pytest.param((5, 5, 1), "avgpool: {size: 2, padding: [0, 1, 1, 0]}", (3, 3, 1), id="avgpool-four-sided-padding"),
    # zero padding: h + top + bottom, w + left + right
    pytest.param((5, 5, 2), "zeropad: {padding: 1}", (7, 7, 2), id="zeropad"),
    pytest.param((5, 6, 2), "zeropad: {padding: [2, 0]}", (9, 6, 2), id="zeropad-pair"),
    pytest.param((5, 6, 2), "zeropad: {padding: [0, 1, 2, 3]}", (6, 11, 2), id="zeropad-four-sides"),
    # transposed conv: (h - 1) s - (top + bottom) + d (k - 1) + output_padding + 1; params c (fh fw K / groups) + K
    # DCGAN's up-sampling step: (4 - 1) 2 - 2 + 3 + 1 = 8, 8 (4 * 4 * 4) + 4 parameters
    pytest.param((4, 4, 8), "convtranspose: {filters: 4, kernel: 4, stride: 2, padding: 1}", (8, 8, 4), id="ct-dcgan"),
    # DCGAN's first layer, from the noise: (1 - 1) 1 + 3 + 1
    pytest.param((1, 1, 100), "convtranspose: {filters: 64, kernel: 4, bias: false}", (4, 4, 64), id="ct-from-1x1"),
    pytest.param((6, 6, 3), "convtranspose: {filters: 2, kernel: 3}", (8, 8, 2), id="ct-stride-1"),
    # (5 - 1) 2 - 2 + 2 + 1 + 1 = 10, the size a stride-2 conv with padding 1 took to 5
    pytest.param(
        (5, 5, 3),
        "convtranspose: {filters: 2, kernel: 3, stride: 2, padding: 1, output_padding: 1}",
        (10, 10, 2),
        id="ct-output-padding",
    ),
    # (5 - 1) 3 + 2 + 1 + [2, 0] = [17, 15]
    pytest.param(
        (5, 5, 1),
        "convtranspose: {filters: 1, kernel: 3, stride: 3, output_padding: [2, 0]}",
        (17, 15, 1),
        id="ct-output-padding-pair",
    ),
    # (6 - 1) + 2 (3 - 1) + 1 = 10
    pytest.param((6, 6, 2), "convtranspose: {filters: 2, kernel: 3, dilation: 2}", (10, 10, 2), id="ct-dilation"),
    # at stride 1, output_padding below the dilation: 5 + 4 + 1 + 1 = 11
    pytest.param(
        (6, 6, 2),
        "convtranspose: {filters: 2, kernel: 3, dilation: 2, output_padding: 1}",
        (11, 11, 2),
        id="ct-dilation-output-padding",
    ),
    # (5 - 1) 2 + 3 (3 - 1) + 1 = 15; (5 - 1) 2 + 1 (3 - 1) + 1 = 11
    pytest.param(
        (5, 5, 2),
        "convtranspose: {filters: 2, kernel: 3, stride: 2, dilation: [3, 1]}",
        (15, 11, 2),
        id="ct-dilation-stride",
    ),
    # each of the 4 input channels spreads a 3 x 3 x (6 / 2) filter: 4 * 9 * 3 + 6 = 114 parameters
    pytest.param((6, 6, 4), "convtranspose: {filters: 6, kernel: 3, groups: 2}", (8, 8, 6), id="ct-groups"),
    pytest.param(
        (5, 5, 4), "convtranspose: {filters: 4, kernel: 2, stride: 2, groups: 4}", (10, 10, 4), id="ct-depthwise"
    ),
    # the stride past the kernel leaves gaps: (5 - 1) 3 + 1 + 1 = 14; (5 - 1) 2 + 1 = 9
    pytest.param(
        (5, 5, 1), "convtranspose: {filters: 1, kernel: 2, stride: 3}", (14, 14, 1), id="ct-stride-past-kernel"
    ),
    pytest.param((5, 5, 1), "convtranspose: {filters: 1, kernel: 1, stride: 2}", (9, 9, 1), id="ct-kernel-1-stride-2"),
    # four sides cut from (4 - 1) 2 + 4 = 10: 10 - 1 - 0, 10 - 2 - 1
    pytest.param(
        (4, 4, 2),
        "convtranspose: {filters: 3, kernel: 4, stride: 2, padding: [1, 0, 2, 1]}",
        (9, 7, 3),
        id="ct-four-sided-padding",
    ),
    # (6 - 1) 1 + 3 - 2 = 6 high, (6 - 1) 2 + 5 - 4 = 11 wide
    pytest.param(
        (6, 6, 2),
        "convtranspose: {filters: 3, kernel: [3, 5], stride: [1, 2], padding: [1, 2]}",
        (6, 11, 3),
        id="ct-non-square",
    ),
    # Keras's same: out h s, the k - s cut split with the odd pixel after
    # 4 - 2 = 2: 1 before, 1 after
    pytest.param(
        (5, 5, 3), "convtranspose: {filters: 2, kernel: 4, stride: 2, padding: same}", (10, 10, 2), id="ct-same"
    ),
    # 3 - 2 = 1: 0 before, 1 after
    pytest.param(
        (5, 5, 3), "convtranspose: {filters: 2, kernel: 3, stride: 2, padding: same}", (10, 10, 2), id="ct-same-odd-cut"
    ),
    pytest.param((6, 6, 3), "convtranspose: {filters: 2, kernel: 5, padding: same}", (6, 6, 2), id="ct-same-stride-1"),
    # 2 (3 - 1) + 1 - 2 = 3: 1 before, 2 after
    pytest.param(
        (4, 4, 1),
        "convtranspose: {filters: 1, kernel: 3, stride: 2, dilation: 2, padding: same}",
        (8, 8, 1),
        id="ct-same-dilation",
    ),
    # 2 - 2 = 0: nothing cut
    pytest.param(
        (4, 4, 1), "convtranspose: {filters: 1, kernel: 2, stride: 2, padding: same}", (8, 8, 1), id="ct-same-k-is-s"
    ),
    pytest.param(
        (4, 4, 3),
        "convtranspose: {filters: 2, kernel: 4, stride: 2, padding: 1, bias: false, activation: tanh}",
        (8, 8, 2),
        id="ct-bias-false-tanh",
    ),
    # upsample: h scale, or `size`; no parameters
    pytest.param((4, 4, 3), "upsample: {scale: 2}", (8, 8, 3), id="upsample-nearest-2"),
    pytest.param((4, 5, 3), "upsample: {scale: [2, 3]}", (8, 15, 3), id="upsample-nearest-pair"),
    pytest.param((4, 4, 3), "upsample: {scale: 2, mode: bilinear}", (8, 8, 3), id="upsample-bilinear-2"),
    pytest.param(
        (4, 4, 3), "upsample: {scale: 3, mode: bilinear, align_corners: true}", (12, 12, 3), id="upsample-bilinear-ac"
    ),
    # sizes that are no multiple of the input's
    pytest.param((4, 6, 2), "upsample: {size: [7, 10]}", (7, 10, 2), id="upsample-nearest-size"),
    pytest.param((4, 5, 2), "upsample: {size: [9, 7], mode: bilinear}", (9, 7, 2), id="upsample-bilinear-size"),
    pytest.param(
        (4, 5, 2),
        "upsample: {size: [9, 7], mode: bilinear, align_corners: true}",
        (9, 7, 2),
        id="upsample-bilinear-size-ac",
    ),
    # a size below the input's: it shrinks the map
    pytest.param((8, 8, 2), "upsample: {size: 5, mode: bilinear}", (5, 5, 2), id="upsample-down"),
    # crop: the size kept, at an offset; centred floor(cut / 2) from the top; or cut by sides
    pytest.param((10, 10, 3), "crop: {size: [6, 8], offset: [1, 2]}", (6, 8, 3), id="crop-offset"),
    pytest.param((10, 10, 3), "crop: {size: 4, offset: 0}", (4, 4, 3), id="crop-offset-0"),
    pytest.param((10, 9, 3), "crop: {size: 7}", (7, 7, 3), id="crop-centred"),
    pytest.param((10, 10, 3), "crop: {sides: 1}", (8, 8, 3), id="crop-sides"),
    pytest.param((10, 10, 3), "crop: {sides: [1, 2]}", (8, 6, 3), id="crop-sides-pair"),
    pytest.param((10, 10, 3), "crop: {sides: [0, 1, 2, 3]}", (9, 5, 3), id="crop-four-sides"),
    # adaptive pools: size x size windows from floor(i h / n) to ceil((i + 1) h / n), however n and h divide
    pytest.param((10, 10, 4), "adaptiveavgpool: {size: 3}", (3, 3, 4), id="adaptiveavgpool-not-dividing"),
    pytest.param((7, 9, 4), "adaptivemaxpool: {size: [5, 4]}", (5, 4, 4), id="adaptivemaxpool-not-dividing"),
    pytest.param((12, 12, 4), "adaptiveavgpool: {size: 6}", (6, 6, 4), id="adaptiveavgpool-dividing"),
    pytest.param((3, 3, 2), "adaptivemaxpool: {size: 5}", (5, 5, 2), id="adaptive-larger-than-input"),
    pytest.param((7, 7, 8), "adaptiveavgpool: {size: 1}", (1, 1, 8), id="adaptive-to-1x1"),
    # global pools, flatten, dense, and the layers that keep the volume
    pytest.param((7, 7, 512), "globalavgpool", (1, 1, 512), id="globalavgpool"),
    pytest.param((3, 5, 8), "globalmaxpool", (1, 1, 8), id="globalmaxpool-non-square"),
    pytest.param((1, 1, 4), "globalavgpool", (1, 1, 4), id="globalavgpool-of-a-vector"),
    pytest.param((5, 5, 16), "flatten", (1, 1, 400), id="flatten"),
    pytest.param((1, 1, 400), "flatten", (1, 1, 400), id="flatten-a-vector"),
    # 84 * 10 + 10
    pytest.param((1, 1, 84), "dense: {units: 10}", (1, 1, 10), id="dense"),
    pytest.param((1, 1, 120), "dense: {units: 84, bias: false}", (1, 1, 84), id="dense-bias-false"),
    pytest.param((1, 1, 16), "dense: {units: 10, activation: softmax}", (1, 1, 10), id="dense-softmax"),
    # gamma and beta learned, running mean and variance not
    pytest.param((6, 6, 8), "batchnorm", (6, 6, 8), id="batchnorm"),
    pytest.param((1, 1, 16), "batchnorm", (1, 1, 16), id="batchnorm-of-a-vector"),
    pytest.param((4, 4, 3), "dropout: {rate: 0.25}", (4, 4, 3), id="dropout"),
    pytest.param((4, 4, 3), "leakyrelu", (4, 4, 3), id="leakyrelu"),
    pytest.param((4, 4, 3), "softmax", (4, 4, 3), id="softmax"),
]


@pytest.mark.parametrize(("input", "layer", "expected"), SINGLE_LAYERS)
def test_single_layer_matches_pytorch(input: tuple[int, int, int], layer: str, expected: tuple[int, int, int]) -> None:
    spec = load(spec_text(input, layer))
    (result,) = analyse(spec).layers
    (module,) = torch_reference.build(spec)
    (output,) = torch_reference.forward([module], spec.input)
    assert output == Volume(*expected)
    assert result.output == output
    if result.padding is not None:
        # where the padding goes, which the output size alone does not show: SAME puts the odd pixel after
        assert result.padding == torch_reference.applied_padding(module)
    assert result.trainable_params == torch_reference.trainable_params(module)
    assert result.non_trainable_params == torch_reference.running_stats(module)


# PyTorch warns that an even kernel makes it copy the input to pad it: the very case under test
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@pytest.mark.parametrize(
    ("kernel", "dilation", "size"),
    [(kernel, dilation, size) for kernel in (1, 2, 3, 4, 5) for dilation in (1, 2) for size in (6, 7)],
)
def test_same_split_is_pytorchs_own_same_at_stride_1(kernel: int, dilation: int, size: int) -> None:
    # PyTorch's padding="same" (stride 1 only) also puts the odd pixel after: same weights, same numbers
    native = nn.Conv2d(2, 3, kernel, padding="same", dilation=dilation)
    padded = nn.Sequential(
        torch_reference.SamePad((kernel, kernel), (1, 1), (dilation, dilation), 0.0),
        nn.Conv2d(2, 3, kernel, dilation=dilation),
    )
    padded[1].load_state_dict(native.state_dict())
    x = torch.randn(1, 2, size, size + 1)
    with torch.no_grad():
        torch.testing.assert_close(padded(x), native(x))


# -- what PyTorch refuses, cnncalc refuses ----------------------------------------------------------

REFUSED = [
    pytest.param(
        (4, 4, 3), "conv: {filters: 8, kernel: 5}", "Kernel size can't be greater", "shape", id="conv-kernel-larger"
    ),
    # 3 + 2 * 1 < 7
    pytest.param(
        (3, 3, 1),
        "conv: {filters: 1, kernel: 7, padding: 1}",
        "Kernel size can't be greater",
        "shape",
        id="conv-kernel-larger-than-padded-input",
    ),
    # 2 + 1 < 4
    pytest.param(
        (2, 2, 1),
        "conv: {filters: 1, kernel: 4, padding: [1, 0, 1, 0]}",
        "Kernel size can't be greater",
        "shape",
        id="four-sided-padding-still-too-small",
    ),
    # 2 * (3 - 1) + 1 = 7 > 5
    pytest.param(
        (5, 5, 1),
        "conv: {filters: 1, kernel: 3, dilation: 3}",
        "Kernel size can't be greater",
        "shape",
        id="dilated-kernel-larger",
    ),
    pytest.param(
        (10, 3, 1),
        "conv: {filters: 1, kernel: [3, 5]}",
        "Kernel size can't be greater",
        "shape",
        id="kernel-wider-than-input",
    ),
    pytest.param((4, 4, 1), "maxpool: {size: 5}", "Output size is too small", "shape", id="maxpool-window-larger"),
    pytest.param((2, 2, 1), "avgpool: {size: 3}", "Output size is too small", "shape", id="avgpool-window-larger"),
    # ceil((2 - 3) / 1) + 1 = 0: even ceil finds no window
    pytest.param(
        (2, 2, 1),
        "maxpool: {size: 3, stride: 1, ceil: true}",
        "Output size is too small",
        "shape",
        id="ceil-stride-1-window-larger",
    ),
    pytest.param(
        (8, 8, 1),
        "maxpool: {size: 3, padding: 2}",
        "pad should be at most half",
        "pool-padding",
        id="maxpool-padding-more-than-half",
    ),
    pytest.param(
        (8, 8, 1),
        "avgpool: {size: 2, padding: 2}",
        "pad should be at most half",
        "pool-padding",
        id="avgpool-padding-more-than-half",
    ),
    pytest.param(
        (4, 4, 1),
        "maxpool: {size: 1, padding: 1}",
        "pad should be at most half",
        "pool-padding",
        id="pool-padding-on-a-1x1-window",
    ),
    # 3 > 4 // 2 on the width only
    pytest.param(
        (8, 8, 1),
        "maxpool: {size: [3, 4], padding: [1, 3]}",
        "pad should be at most half",
        "pool-padding",
        id="pool-padding-too-wide",
    ),
    pytest.param(
        (8, 8, 6),
        "conv: {filters: 8, kernel: 3, groups: 4}",
        "in_channels must be divisible by groups",
        "groups",
        id="groups-not-dividing-input-channels",
    ),
    pytest.param(
        (8, 8, 4),
        "conv: {filters: 6, kernel: 3, groups: 4}",
        "expected weight to be divisible by 4",
        "groups",
        id="groups-not-dividing-filters",
    ),
    pytest.param(
        (8, 8, 3),
        "conv: {filters: 6, kernel: 3, groups: 6}",
        "in_channels must be divisible by groups",
        "groups",
        id="groups-more-than-channels",
    ),
    pytest.param(
        (8, 8, 6),
        "convtranspose: {filters: 8, kernel: 3, groups: 4}",
        "in_channels must be divisible by groups",
        "groups",
        id="ct-groups-not-dividing-input-channels",
    ),
    # nn.ConvTranspose2d's own refusal (the lazy one's check is the reference's: see torch_reference.Refuse)
    pytest.param(
        (8, 8, 4),
        "convtranspose: {filters: 6, kernel: 3, groups: 4}",
        "out_channels must be divisible by groups",
        "groups",
        id="ct-groups-not-dividing-filters",
    ),
    pytest.param(
        (4, 4, 1),
        "convtranspose: {filters: 1, kernel: 3, stride: 2, output_padding: 2}",
        "output padding must be smaller than either stride or dilation",
        "shape",
        id="ct-output-padding-not-below-stride",
    ),
    pytest.param(
        (4, 4, 1),
        "convtranspose: {filters: 1, kernel: 3, dilation: 2, output_padding: [1, 2]}",
        "output padding must be smaller than either stride or dilation",
        "shape",
        id="ct-output-padding-not-below-dilation",
    ),
    # (1 - 1) 1 + 1 - 2 = -1; PyTorch's message depends on the batch (oneDNN's at 2)
    pytest.param(
        (1, 1, 1),
        "convtranspose: {filters: 1, kernel: 1, padding: 1}",
        "Output size is too small|could not construct a memory descriptor",
        "shape",
        id="ct-padding-cuts-everything",
    ),
    pytest.param(
        (4, 4, 1), "upsample: {scale: 2, size: 8}", "only one of size or scale_factor", "shape", id="upsample-both"
    ),
    pytest.param((4, 4, 1), "upsample", "either size or scale_factor", "shape", id="upsample-neither"),
    pytest.param(
        (4, 4, 1),
        "upsample: {scale: 2, align_corners: true}",
        "align_corners option can only be set with the interpolating modes",
        "align-corners",
        id="upsample-nearest-align-corners",
    ),
]


@pytest.mark.parametrize(("input", "layer", "torch_message", "code"), REFUSED)
def test_what_pytorch_refuses_cnncalc_refuses(
    input: tuple[int, int, int], layer: str, torch_message: str, code: str
) -> None:
    spec = load(spec_text(input, layer))
    modules = torch_reference.build(spec)
    with pytest.raises((ValueError, RuntimeError), match=torch_message):
        torch_reference.forward(modules, spec.input)
    with pytest.raises(SpecError) as raised:
        analyse(spec)
    assert code in [d.code for d in raised.value.diagnostics]


def test_ceil_with_one_sided_pool_padding_is_not_built() -> None:
    # PyTorch pads a pool's two sides alike; padding in front first would move where ceil drops a window
    spec = load(spec_text((6, 6, 1), "maxpool: {size: 2, padding: [1, 0, 0, 0], ceil: true}"))
    with pytest.raises(torch_reference.Unsupported, match="ceil"):
        torch_reference.build(spec)


@pytest.mark.parametrize(
    "layer",
    [
        # Keras pads the outputs then, to keep h s: no PyTorch module does
        pytest.param("convtranspose: {filters: 1, kernel: 1, stride: 2, padding: same}", id="kernel-below-stride"),
        pytest.param("convtranspose: {filters: 1, kernel: 2, stride: 3, dilation: 1, padding: same}", id="k-2-s-3"),
        # Keras's rule with output_padding is another: (h - 1) s + k - 2 floor(k / 2) + output_padding
        pytest.param(
            "convtranspose: {filters: 1, kernel: 3, stride: 2, padding: same, output_padding: 1}", id="output-padding"
        ),
    ],
)
def test_transposed_same_that_pytorch_cannot_build_cnncalc_refuses(layer: str) -> None:
    spec = load(spec_text((4, 4, 1), layer))
    with pytest.raises(torch_reference.Unsupported):
        torch_reference.build(spec)
    with pytest.raises(SpecError) as raised:
        analyse(spec)
    assert "shape" in [d.code for d in raised.value.diagnostics]


@pytest.mark.parametrize(
    "layer",
    [
        pytest.param("crop: {size: 5}", id="larger-than-the-map"),
        pytest.param("crop: {size: 2, offset: [3, 0]}", id="past-the-map"),
        pytest.param("crop: {sides: [2, 2, 0, 0]}", id="sides-cut-everything"),
        pytest.param("crop: {sides: 1, size: 2}", id="sides-and-size"),
        pytest.param("crop: {offset: 1}", id="no-size"),
        pytest.param("crop", id="nothing"),
    ],
)
def test_a_crop_that_keeps_nothing_of_the_map_is_refused(layer: str) -> None:
    # PyTorch has no crop layer: the reference's slicing refuses what cannot be sliced, and so must cnncalc
    spec = load(spec_text((4, 4, 1), layer))
    with pytest.raises(RuntimeError):
        torch_reference.forward(torch_reference.build(spec), spec.input)
    with pytest.raises(SpecError) as raised:
        analyse(spec)
    assert "shape" in [d.code for d in raised.value.diagnostics]


def test_dcgan_generator_matches_pytorch() -> None:
    """The DCGAN generator of PyTorch's tutorial: 100 noise channels to a 64 x 64 x 3 image, 3,576,704 parameters:
    100 512 16 + 512 256 16 + 256 128 16 + 128 64 16 + 64 3 16 weights, 2 (512 + 256 + 128 + 64) for batchnorm."""
    layers = ["convtranspose: {filters: 512, kernel: 4, bias: false}", "batchnorm", "relu"]
    for filters in (256, 128, 64):
        layers += [f"convtranspose: {{filters: {filters}, kernel: 4, stride: 2, padding: 1, bias: false}}"]
        layers += ["batchnorm", "relu"]
    layers += ["convtranspose: {filters: 3, kernel: 4, stride: 2, padding: 1, bias: false, activation: tanh}"]
    spec = load(spec_text((1, 1, 100), *layers))
    report = analyse(spec)
    run = torch_reference.run(spec)
    assert [run.outputs[at] for at in run.top_level] == [row.output for row in report.layers]
    assert report.totals.output == Volume(64, 64, 3)
    assert sum(run.trainable[at] for at in run.top_level) == report.totals.trainable_params == 3_576_704
    assert sum(run.macs[at] for at in run.top_level) == report.totals.macs


def test_a_unet_style_decoder_matches_pytorch() -> None:
    """Up-sampling by every means, a skip's crop and adaptive pools: every row as PyTorch runs it."""
    spec = load(
        spec_text(
            (13, 11, 8),
            "convtranspose: {filters: 8, kernel: 2, stride: 2}",
            "conv: {filters: 8, kernel: 3}",
            "upsample: {scale: 2, mode: bilinear}",
            "crop: {size: [40, 30]}",
            # (40 - 1) 2 + 3 - 1 + 1 = 80 high, (30 - 1) 2 + 3 - 1 + 1 = 60 wide
            "convtranspose: {filters: 4, kernel: 3, stride: 2, padding: [1, 0, 0, 1], output_padding: 1, groups: 4}",
            "upsample: {size: [100, 75]}",
            "crop: {sides: [1, 3, 3, 0]}",
            "adaptivemaxpool: {size: [12, 9]}",
            "adaptiveavgpool: {size: [5, 4]}",
        )
    )
    report = analyse(spec)
    run = torch_reference.run(spec)
    for row in report.layers:
        at = row.path
        assert (row.output, row.trainable_params, row.macs) == (run.outputs[at], run.trainable[at], run.macs[at]), at
        if row.padding is not None:
            assert row.padding == run.padding[at], at


def test_a_transposed_conv_whose_groups_do_not_divide_its_filters_is_refused_as_pytorch_builds_it() -> None:
    # nn.ConvTranspose2d(2, 3, 1, groups=2) raises; nn.LazyConvTranspose2d(3, 1, groups=2) without a bias runs and
    # gives 2 channels: the reference refuses it as the module built with its input channels does
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.ConvTranspose2d(2, 3, 1, groups=2)
    spec = load(spec_text((1, 1, 2), "convtranspose: {filters: 3, kernel: 1, groups: 2, bias: false}"))
    with pytest.raises(torch_reference.Refused, match="out_channels must be divisible by groups"):
        torch_reference.run(spec)
    with pytest.raises(SpecError) as raised:
        analyse(spec)
    assert "groups" in [d.code for d in raised.value.diagnostics]


@pytest.mark.xfail(
    strict=True,
    raises=SpecError,
    reason="cnncalc refuses the whole network, shapes and parameters too, where a row's windows repeat only after "
    "more than MAX_PERIOD (4,096) outputs: here 100 (101 - 1 over 50 - 1, aligned corners) times 47",
)
def test_a_network_whose_windows_repeat_only_after_many_outputs_is_computed_as_pytorch_runs_it() -> None:
    spec = load(
        spec_text(
            (50, 50, 1), "upsample: {size: 101, mode: bilinear, align_corners: true}", "adaptiveavgpool: {size: 47}"
        )
    )
    run = torch_reference.run(spec)
    assert run.outputs["2"] == Volume(47, 47, 1)
    assert analyse(spec).totals.output == run.outputs["2"]
