"""`cnncalc export --to pytorch` at every rank: 1-D inputs (N, C, L) and 3-D inputs (N, C, D, H, W).

The module's text is read without torch; in torch, every row's output and count are checked against cnncalc's, and
each windowed layer's values against the 2-D layer's on the same numbers (a 1-D map as a 2-D map one row high, a
3-D map with one axis of size 1), whose values test_export.py checks against `cnncalc apply`.
"""

from __future__ import annotations

import ast
import json
import re
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_export import exported, module_lines, one_layer, run

from cnncalc.diagnostics import SpecError
from cnncalc.kinds import KINDS
from cnncalc.report import walk
from cnncalc.spec import Pool, Volume
from cnncalc.values import apply

# every kind, as EVERY_KIND in test_export.py has them, at rank 1: causal padding (all of it before), an even
# kernel's `same`, up-sampling linear with and without align_corners, crops by size, offset and sides
EVERY_KIND_1D = """\
name: every kind 1d
input: [40, 3]
layers:
  - conv: {filters: 4, kernel: 3, stride: 2, padding: same, bias: false, activation: leakyrelu}
  - conv: {filters: 8, kernel: 3, dilation: 2, groups: 4, padding: [4, 0], activation: elu}
  - batchnorm
  - layernorm
  - groupnorm: {groups: 4}
  - instancenorm: {affine: true}
  - squeeze_excite: {squeeze: 3, activation: silu, gate: hardsigmoid}
  - squeeze_excite: {squeeze: 2, activation: none}
  - prelu: {per_channel: true}
  - scale
  - droppath: {rate: 0.1}
  - channelshuffle: {groups: 2}
  - concat:
      split: [3, 5]
      branches:
        - []
        - [{conv: {filters: 5, kernel: 4, padding: same, groups: 5}}]
  - maxpool: {size: 3, stride: 2, padding: [1, 0], ceil: true}
  - avgpool: {size: 2, stride: 1, padding: same}
  - zeropad: {padding: [1, 2]}
  - convtranspose: {filters: 8, kernel: 3, stride: 2, padding: same, bias: false, activation: relu}
  - convtranspose: {filters: 8, kernel: 3, stride: 2, padding: [0, 2], groups: 4, output_padding: 1, dilation: 2}
  - adaptivemaxpool: {size: 8}
  - upsample: {scale: 2}
  - upsample: {size: 24, mode: bilinear, align_corners: true}
  - upsample: {size: 30, mode: bilinear}
  - upsample: {size: 36}
  - crop: {size: 32}
  - crop: {size: 26, offset: 3}
  - crop: {sides: [1, 2]}
  - adaptiveavgpool: {size: 6}
  - add:
      branches:
        - []
        - [{conv: {filters: 8, kernel: 1}}]
  - multiply:
      branches:
        - [relu]
        - [globalmaxpool]
        - [flatten, {dense: {units: 1}}]
  - repeat:
      times: 2
      layers:
        - residual:
            layers: [{conv: {filters: 8, kernel: 1, activation: gelu}}, relu]
            activation: silu
  - concat:
      branches:
        - []
        - [{conv: {filters: 2, kernel: 3, padding: 1}}, relu6, leakyrelu, elu, gelu, silu, mish, hardswish,
           tanh, sigmoid, hardsigmoid, softmax]
  - globalavgpool
  - concat:
      branches:
        - []
        - [flatten, {dense: {units: 4}}]
  - flatten
  - batchnorm
  - layernorm
  - scale
  - prelu
  - dropout: {rate: 0.25}
  - residual:
      layers: [{dense: {units: 14, activation: sigmoid}}]
      shortcut: [{dense: {units: 14, bias: false}}]
      activation: tanh
  - conv: {filters: 6, kernel: 1}
  - residual:
      layers: [flatten, {dense: {units: 6}}]
  - flatten
  - globalmaxpool
  - dense: {units: 5, activation: softmax}
"""

# the same at rank 3: a value per axis, six sides
EVERY_KIND_3D = """\
name: every kind 3d
input: [5, 9, 8, 3]
layers:
  - conv: {filters: 4, kernel: [2, 3, 2], stride: [1, 2, 1], padding: same, bias: false, activation: leakyrelu}
  - conv: {filters: 8, kernel: 3, dilation: [1, 2, 1], groups: 4, padding: [1, 1, 1, 2, 0, 1], activation: elu}
  - batchnorm
  - layernorm
  - groupnorm: {groups: 4}
  - instancenorm: {affine: true}
  - squeeze_excite: {squeeze: 3, activation: silu, gate: hardsigmoid}
  - squeeze_excite: {squeeze: 2, activation: none}
  - prelu: {per_channel: true}
  - scale
  - droppath: {rate: 0.1}
  - channelshuffle: {groups: 2}
  - concat:
      split: [3, 5]
      branches:
        - []
        - [{conv: {filters: 5, kernel: 3, padding: 1, groups: 5}}]
  - maxpool: {size: 3, stride: 2, padding: [0, 1, 1, 0, 0, 1], ceil: true}
  - avgpool: {size: 2, stride: 1, padding: same}
  - zeropad: {padding: [0, 1, 1, 0, 2, 1]}
  - convtranspose: {filters: 8, kernel: [2, 3, 4], stride: 2, padding: same, bias: false, activation: relu}
  - convtranspose: {filters: 8, kernel: 3, stride: [1, 2, 1], padding: [1, 0, 0, 2, 1, 0], groups: 4,
                    output_padding: [0, 1, 0], dilation: [2, 1, 2]}
  - adaptivemaxpool: {size: [3, 5, 7]}
  - upsample: {scale: [1, 2, 1]}
  - upsample: {size: [4, 11, 9], mode: bilinear, align_corners: true}
  - upsample: {size: [5, 12, 10], mode: bilinear}
  - upsample: {size: [7, 12, 13]}
  - crop: {size: [6, 9, 8]}
  - crop: {size: [4, 6, 6], offset: [1, 1, 2]}
  - crop: {sides: [1, 0, 0, 1, 1, 0]}
  - adaptiveavgpool: {size: [2, 4, 3]}
  - add:
      branches:
        - []
        - [{conv: {filters: 8, kernel: 1}}]
  - multiply:
      branches:
        - [relu]
        - [globalmaxpool]
        - [flatten, {dense: {units: 1}}]
  - repeat:
      times: 2
      layers:
        - residual:
            layers: [{conv: {filters: 8, kernel: 1, activation: gelu}}, relu]
            activation: silu
  - concat:
      branches:
        - []
        - [{conv: {filters: 2, kernel: 3, padding: 1}}, relu6, leakyrelu, elu, gelu, silu, mish, hardswish,
           tanh, sigmoid, hardsigmoid, softmax]
  - globalavgpool
  - concat:
      branches:
        - []
        - [flatten, {dense: {units: 4}}]
  - flatten
  - batchnorm
  - layernorm
  - scale
  - prelu
  - dropout: {rate: 0.25}
  - residual:
      layers: [{dense: {units: 14, activation: sigmoid}}]
      shortcut: [{dense: {units: 14, bias: false}}]
      activation: tanh
  - conv: {filters: 6, kernel: 1}
  - residual:
      layers: [flatten, {dense: {units: 6}}]
  - flatten
  - globalmaxpool
  - dense: {units: 5, activation: softmax}
"""

EVERY_KIND = {1: EVERY_KIND_1D, 3: EVERY_KIND_3D}

# U-Net's skips in small, an FCN-style crop `like` a layer `from` the input, and gates: a 1 x c map and a vector
# joined to a map (test_export.py's SKIPS and GATES), for an input of any rank
SKIPS = """\
name: skips
input: {input}
layers:
  - conv: {{filters: 4, kernel: 3, activation: relu, name: down}}
  - maxpool: {{size: 2}}
  - conv: {{filters: 8, kernel: 3}}
  - convtranspose: {{filters: 4, kernel: 2, stride: 2}}
  - concat: {{with: [down], crop: centre}}
  - conv: {{filters: 3, kernel: 1, name: scored}}
  - crop: {{like: scored, from: input}}
  - add: {{with: [scored], name: features}}
  - globalavgpool
  - conv: {{filters: 3, kernel: 1, activation: sigmoid}}
  - multiply: {{with: [features], name: excited}}
  - globalmaxpool
  - dense: {{units: 3, activation: sigmoid}}
  - multiply: {{with: [excited]}}
"""
SKIPS_INPUTS = {1: "[20, 3]", 3: "[10, 12, 12, 3]"}

# the modules of each rank, every one of them in its every-kind module
RANK_MODULES = {
    rank: [
        *(f"nn.{name}{rank}d(" for name in ("Conv", "ConvTranspose", "MaxPool", "AvgPool", "BatchNorm")),
        *(f"nn.{name}{rank}d(" for name in ("AdaptiveMaxPool", "AdaptiveAvgPool", "InstanceNorm")),
        *(f"nn.{name}{rank}d(" for name in ("ZeroPad", "ConstantPad")),
        f"nn.AdaptiveAvgPool{rank}d(1)",
        f"nn.Conv{rank}d(channels, squeeze, 1)",
    ]
    for rank in (1, 3)
}
LINEAR_MODES = {1: "linear", 3: "trilinear"}


def defined_classes(text: str) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(text)) if isinstance(node, ast.ClassDef)}


# -- the text: no torch needed ------------------------------------------------------------------------


@pytest.mark.parametrize("rank", [1, 3])
def test_every_kind_exports_with_the_modules_of_its_rank(rank: int) -> None:
    text, report = exported(EVERY_KIND[rank])
    assert {row.kind for row in walk(report.layers)} == set(KINDS)
    assert not re.findall(r"nn\.\w+2d\(", text)  # no 2-D module anywhere
    assert [module for module in RANK_MODULES[rank] if module not in text] == []
    assert f'mode="{LINEAR_MODES[rank]}", align_corners=True' in text
    assert f'mode="{LINEAR_MODES[rank]}", align_corners=False' in text
    ones = ", 1" * rank
    # a vector's batchnorm is BatchNorm1d at every rank; a vector meets maps as an (N, n, 1, ...) map
    assert "nn.BatchNorm1d(14)" in text and f"nn.Unflatten(1, (14{ones}))" in text
    assert (
        "Scale(14, vector=True)" in text and f"torch.full((channels,) if vector else (channels{ones}), initial)" in text
    )
    assert defined_classes(text) >= {"ChannelNorm", "Scale", "SqueezeExcitation", "DropPath", "Residual", "Concat"}
    compile(text, "<export>", "exec")


@pytest.mark.parametrize(
    ("input", "header", "example"),
    [
        pytest.param(
            "[64, 3]",
            """\
Built for a 64 x 3 input: every size and padding here is worked out for it.

PyTorch is channels first: where cnncalc writes a volume l x c, the tensor here is
(N, c, l), so the input is (N, 3, 64); after a flatten, a vector of n is (N, n).
""",
            "torch.randn(1, 3, 64)",
            id="1d",
        ),
        # the sentence, longer by its axes, wrapped to the module's width
        pytest.param(
            "[16, 112, 112, 3]",
            """\
Built for a 16 x 112 x 112 x 3 input: every size and padding here is worked out for it.

PyTorch is channels first: where cnncalc writes a volume d x h x w x c, the tensor here
is (N, c, d, h, w), so the input is (N, 3, 16, 112, 112); after a flatten, a vector of n
is (N, n).
""",
            "torch.randn(1, 3, 16, 112, 112)",
            id="3d",
        ),
    ],
)
def test_the_docstring_and_the_example_input_have_the_inputs_rank(input: str, header: str, example: str) -> None:
    text, _ = exported(one_layer(input, "conv: {filters: 8, kernel: 3}"))
    assert f"\n{header}" in text
    assert f"        output = model({example})\n" in text


@pytest.mark.parametrize(
    ("input", "layer", "modules"),
    [
        # causal padding: all of it before, in front as PyTorch's (before, after)
        pytest.param("[16, 2]", "conv: {filters: 4, kernel: 3, padding: [2, 0], dilation: 1}",
                     ["nn.ZeroPad1d((2, 0))", "nn.Conv1d(2, 4, kernel_size=3)"], id="1d-causal"),
        pytest.param("[16, 2]", "conv: {filters: 4, kernel: 3, padding: same}",
                     ["nn.Conv1d(2, 4, kernel_size=3, padding=1)"], id="1d-same-stride-1"),
        # ceil(16 / 2) = 8 outputs need 7 * 2 + 3 - 16 = 1: after
        pytest.param("[16, 2]", "conv: {filters: 4, kernel: 3, stride: 2, padding: same}",
                     ["nn.ZeroPad1d((0, 1))", "nn.Conv1d(2, 4, kernel_size=3, stride=2)"], id="1d-same-stride-2"),
        pytest.param("[16, 4]", "conv: {filters: 8, kernel: 3, dilation: 2, groups: 2, padding: 2, bias: false}",
                     ["nn.Conv1d(4, 8, kernel_size=3, padding=2, dilation=2, groups=2, bias=False)"],
                     id="1d-dilation-groups"),
        pytest.param("[8, 4]", "convtranspose: {filters: 2, kernel: 3, stride: 2, padding: same}",
                     ["nn.ConvTranspose1d(4, 2, kernel_size=3, stride=2)", "nn.ZeroPad1d((0, -1))"],
                     id="1d-convtranspose-same"),
        pytest.param("[8, 4]", "convtranspose: {filters: 2, kernel: 3, stride: 2, padding: [1, 2], output_padding: 1}",
                     ["nn.ConvTranspose1d(4, 2, kernel_size=3, stride=2, padding=1, output_padding=1)",
                      "nn.ZeroPad1d((0, -1))"], id="1d-convtranspose-sides"),
        pytest.param("[5, 2]", "maxpool: {size: 2, padding: same}",
                     ['nn.ConstantPad1d((0, 1), float("-inf"))', "nn.MaxPool1d(2)"], id="1d-maxpool-same"),
        pytest.param("[16, 2]", "maxpool: {size: 3, stride: 2, padding: 1}", ["nn.MaxPool1d(3, stride=2, padding=1)"],
                     id="1d-maxpool-symmetric"),
        # the third window starts in the trailing padding: cnncalc drops it, the negative pad crops it
        pytest.param("[4, 1]", "avgpool: {size: 2, padding: [0, 1], ceil: true}",
                     ["nn.ZeroPad1d((0, 1))", "nn.AvgPool1d(2, ceil_mode=True, count_include_pad=True)",
                      "nn.ZeroPad1d((0, -1))"], id="1d-ceil-window-in-trailing-padding"),
        pytest.param("[9, 8]", "adaptiveavgpool: {size: 4}", ["nn.AdaptiveAvgPool1d(4)"], id="1d-adaptiveavgpool"),
        pytest.param("[9, 8]", "adaptivemaxpool: {size: 4}", ["nn.AdaptiveMaxPool1d(4)"], id="1d-adaptivemaxpool"),
        pytest.param("[9, 8]", "globalmaxpool", ["nn.AdaptiveMaxPool1d(1)"], id="1d-globalmaxpool"),
        pytest.param("[9, 8]", "globalavgpool", ["nn.AdaptiveAvgPool1d(1)"], id="1d-globalavgpool"),
        pytest.param("[9, 8]", "batchnorm", ["nn.BatchNorm1d(8)"], id="1d-batchnorm"),
        pytest.param("[9, 8]", "instancenorm", ["nn.InstanceNorm1d(8)"], id="1d-instancenorm"),
        pytest.param("[9, 8]", "layernorm", ["ChannelNorm(8)"], id="1d-layernorm"),
        pytest.param("[9, 8]", "groupnorm: {groups: 2}", ["nn.GroupNorm(2, 8)"], id="1d-groupnorm"),
        pytest.param("[9, 2]", "zeropad: {padding: [1, 2]}", ["nn.ZeroPad1d((1, 2))"], id="1d-zeropad"),
        # centred: floor(4 / 2) = 2 before; at an offset of 1, 3 after
        pytest.param("[9, 2]", "crop: {size: 5}", ["nn.ZeroPad1d((-2, -2))"], id="1d-crop-centred"),
        pytest.param("[9, 2]", "crop: {size: 5, offset: 1}", ["nn.ZeroPad1d((-1, -3))"], id="1d-crop-offset"),
        pytest.param("[9, 2]", "crop: {sides: [0, 3]}", ["nn.ZeroPad1d((0, -3))"], id="1d-crop-sides"),
        pytest.param("[4, 2]", "upsample: {scale: 2}", ['nn.Upsample(scale_factor=2, mode="nearest-exact")'],
                     id="1d-upsample-nearest"),
        pytest.param("[4, 2]", "upsample: {size: 7}", ['nn.Upsample(size=7, mode="nearest")'],
                     id="1d-upsample-nearest-size"),
        pytest.param("[4, 2]", "upsample: {scale: 3, mode: bilinear}",
                     ['nn.Upsample(scale_factor=3, mode="linear", align_corners=False)'], id="1d-upsample-linear"),
        pytest.param("[4, 2]", "upsample: {size: 7, mode: bilinear, align_corners: true}",
                     ['nn.Upsample(size=7, mode="linear", align_corners=True)'], id="1d-upsample-align-corners"),
        pytest.param("[1, 8]", "dense: {units: 3}", ["nn.Flatten()", "nn.Linear(8, 3)"], id="1d-dense-on-a-map"),
        # PyTorch's padding order: the last axis first, (left, right, top, bottom, front, back)
        pytest.param("[4, 5, 6, 2]", "conv: {filters: 3, kernel: 3, padding: [1, 2, 3, 4, 5, 6]}",
                     ["nn.ZeroPad3d((5, 6, 3, 4, 1, 2))", "nn.Conv3d(2, 3, kernel_size=3)"], id="3d-six-sides"),
        pytest.param("[4, 5, 6, 2]",
                     "conv: {filters: 3, kernel: [3, 1, 5], stride: [1, 2, 1], padding: [1, 1, 0, 0, 2, 2]}",
                     ["nn.Conv3d(2, 3, kernel_size=(3, 1, 5), stride=(1, 2, 1), padding=(1, 0, 2))"],
                     id="3d-per-axis"),
        # k - s = (0, 1, 2): cut (0, 0), (0, 1), (1, 1); the smaller on both sides, the odd one cropped from the bottom
        pytest.param("[3, 4, 5, 2]", "convtranspose: {filters: 2, kernel: [2, 3, 4], stride: 2, padding: same}",
                     ["nn.ConvTranspose3d(2, 2, kernel_size=(2, 3, 4), stride=2, padding=(0, 0, 1))",
                      "nn.ZeroPad3d((0, 0, 0, -1, 0, 0))"], id="3d-convtranspose-same"),
        pytest.param("[3, 4, 5, 2]",
                     "convtranspose: {filters: 2, kernel: 3, stride: [2, 1, 2], output_padding: [1, 0, 0], "
                     "dilation: [1, 1, 2], groups: 2}",
                     ["nn.ConvTranspose3d(2, 2, kernel_size=3, stride=(2, 1, 2), output_padding=(1, 0, 0), groups=2, "
                      "dilation=(1, 1, 2))"], id="3d-convtranspose-options"),
        # ceil(5 / 2) = 3 needs 1 after in depth, 4 none in height, ceil(3 / 2) = 2 needs 1 after in width
        pytest.param("[5, 4, 3, 1]", "maxpool: {size: 2, padding: same}",
                     ['nn.ConstantPad3d((0, 1, 0, 0, 0, 1), float("-inf"))', "nn.MaxPool3d(2)"], id="3d-maxpool-same"),
        # depth: 4 outputs need 3 * 2 + 3 - 7 = 2, (1, 1); height: 3 * 2 + 3 - 8 = 1, (0, 1); width none
        pytest.param("[7, 8, 2, 1]", "avgpool: {size: [3, 3, 1], stride: [2, 2, 1], padding: same}",
                     ["nn.ZeroPad3d((0, 0, 0, 1, 0, 0))",
                      "nn.AvgPool3d((3, 3, 1), stride=(2, 2, 1), padding=(1, 0, 0), count_include_pad=True)"],
                     id="3d-avgpool-same"),
        pytest.param("[7, 7, 7, 8]", "adaptivemaxpool: {size: [2, 3, 1]}", ["nn.AdaptiveMaxPool3d((2, 3, 1))"],
                     id="3d-adaptivemaxpool"),
        pytest.param("[7, 7, 7, 8]", "adaptiveavgpool: {size: 2}", ["nn.AdaptiveAvgPool3d(2)"],
                     id="3d-adaptiveavgpool"),
        pytest.param("[7, 7, 7, 8]", "globalavgpool", ["nn.AdaptiveAvgPool3d(1)"], id="3d-globalavgpool"),
        pytest.param("[7, 7, 7, 8]", "batchnorm", ["nn.BatchNorm3d(8)"], id="3d-batchnorm"),
        pytest.param("[7, 7, 7, 8]", "instancenorm: {affine: true}", ["nn.InstanceNorm3d(8, affine=True)"],
                     id="3d-instancenorm"),
        pytest.param("[7, 7, 7, 2]", "zeropad: {padding: [1, 2, 3, 4, 5, 6]}", ["nn.ZeroPad3d((5, 6, 3, 4, 1, 2))"],
                     id="3d-zeropad"),
        # cuts of 2, 3 and 3: (1, 1), (1, 2), (1, 2)
        pytest.param("[5, 6, 7, 2]", "crop: {size: [3, 3, 4]}", ["nn.ZeroPad3d((-1, -2, -1, -2, -1, -1))"],
                     id="3d-crop-centred"),
        pytest.param("[5, 6, 7, 2]", "crop: {size: [3, 4, 5], offset: [0, 1, 2]}",
                     ["nn.ZeroPad3d((-2, 0, -1, -1, 0, -2))"], id="3d-crop-offset"),
        pytest.param("[5, 6, 7, 2]", "crop: {sides: [1, 0, 0, 2, 3, 0]}", ["nn.ZeroPad3d((-3, 0, 0, -2, -1, 0))"],
                     id="3d-crop-sides"),
        pytest.param("[3, 4, 5, 2]", "upsample: {scale: [1, 2, 3]}",
                     ['nn.Upsample(scale_factor=(1, 2, 3), mode="nearest-exact")'], id="3d-upsample-nearest"),
        pytest.param("[3, 4, 5, 2]", "upsample: {size: [3, 5, 7], mode: bilinear, align_corners: true}",
                     ['nn.Upsample(size=(3, 5, 7), mode="trilinear", align_corners=True)'],
                     id="3d-upsample-trilinear"),
    ],
)  # fmt: skip
def test_each_layer_exports_at_its_rank_as(input: str, layer: str, modules: list[str]) -> None:
    text, _ = exported(one_layer(input, layer))
    assert module_lines(text) == [ast.unparse(ast.parse(module)) for module in modules]


@pytest.mark.parametrize("rank", [1, 3])
def test_named_skips_at_each_rank_are_joined_by_the_join_of_that_rank(rank: int) -> None:
    text, _ = exported(SKIPS.format(input=SKIPS_INPUTS[rank]))
    assert defined_classes(text) == {"Join", "Graph", "Skips"}
    assert 'Join("concat", centre=True),' in text and 'Join("multiply", as_map=True),' not in text
    dims = rank + 2
    assert f"any(tensor.dim() == {dims} for tensor in tensors)" in text
    assert f"tensor[{', '.join([':', ':', *['None'] * rank])}] if tensor.dim() == 2" in text
    extent = "length" if rank == 1 else "d x h x w"
    assert f"# with down (layer 1), each cut to this {extent} around its centre" in text


# -- in PyTorch ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("rank", [1, 3])
def test_every_kind_runs_in_pytorch_at_each_rank_with_cnncalcs_numbers(rank: int) -> None:
    pytest.importorskip("torch")
    text, report = exported(EVERY_KIND[rank])
    outputs = run(text, report)
    assert outputs == {row.path: row.output for row in walk(report.layers)}
    assert all(output.rank == rank for output in outputs.values())


@pytest.mark.parametrize("rank", [1, 3])
def test_named_skips_run_in_pytorch_at_each_rank_with_cnncalcs_numbers(rank: int) -> None:
    pytest.importorskip("torch")
    text, report = exported(SKIPS.format(input=SKIPS_INPUTS[rank]))
    outputs = run(text, report)
    assert outputs == {row.path: row.output for row in walk(report.layers)}


@pytest.mark.parametrize("input", ["[64, 3]", "[6, 8, 8, 2]"], ids=["1d", "3d"])
def test_the_module_runs_as_a_script_at_each_rank(input: str, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    layers = "conv: {filters: 8, kernel: 3, padding: same}\n  - maxpool: {size: 2}\n  - flatten\n  - dense: {units: 10}"
    text, report = exported(one_layer(input, layers))
    exec(compile(text, "exported.py", "exec"), {"__name__": "__main__"})
    assert capsys.readouterr().out == f"(1, 10) {report.totals.trainable_params}\n"


def test_a_join_cuts_every_axis_around_the_centre_at_each_rank() -> None:
    # as test_export.py's merges, in 3-D: the larger outputs cut around their centres on every axis and stacked;
    # the input read again, multiplied by a gate broadcast over the three axes, and added
    pytest.importorskip("torch")
    import torch

    spec = """\
input: [5, 6, 5, 2]
layers:
  - zeropad: {padding: 1, name: padded}
  - crop: {size: 4, offset: 0}
  - concat: {with: [padded, input], crop: centre}
  - globalmaxpool: {from: input, name: gate}
  - relu: {from: input}
  - multiply: {with: [gate]}
  - add: {with: [input]}
"""
    text, report = exported(spec)
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    model = namespace["build"]()
    image = torch.randn(1, 2, 5, 6, 5, generator=torch.Generator().manual_seed(5))
    padded = torch.nn.functional.pad(image, (1, 1, 1, 1, 1, 1))
    # 7 x 8 x 7 cut to 4 x 4 x 4 from (1, 2, 1); 5 x 6 x 5 from (0, 1, 0)
    stacked = torch.cat([padded[:, :, :4, :4, :4], padded[:, :, 1:5, 2:6, 1:5], image[:, :, :4, 1:5, :4]], dim=1)
    hooked: dict[str, torch.Tensor] = {}
    model[2].register_forward_hook(lambda _module, _input, output: hooked.setdefault("3", output))
    with torch.no_grad():
        got = model(image)
    assert report.layers[2].output == Volume(4, 4, 4, 6) and torch.equal(hooked["3"], stacked)
    gate = image.amax(dim=(2, 3, 4), keepdim=True)
    assert torch.equal(got, image.relu() * gate + image)


def test_a_join_cuts_a_length_around_its_centre() -> None:
    pytest.importorskip("torch")
    import torch

    spec = "input: [9, 2]\nlayers:\n  - crop: {size: 4, offset: 0}\n  - concat: {with: [input], crop: centre}\n"
    text, _ = exported(spec)
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    signal = torch.arange(18.0).reshape(1, 2, 9)
    # a cut of 5: floor(5 / 2) = 2 before
    assert torch.equal(namespace["build"]()(signal), torch.cat([signal[:, :, :4], signal[:, :, 2:6]], dim=1))


def test_channel_norm_normalises_the_channels_at_each_position_at_each_rank() -> None:
    pytest.importorskip("torch")
    import torch

    for input, shape in (("[5, 4]", (1, 4, 5)), ("[2, 3, 5, 4]", (1, 4, 2, 3, 5))):
        text, _ = exported(one_layer(input, "layernorm"))
        namespace: dict[str, Any] = {"__name__": "exported"}
        exec(compile(text, "<export>", "exec"), namespace)
        x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(len(shape)))
        mean, var = x.mean(dim=1, keepdim=True), x.var(dim=1, unbiased=False, keepdim=True)
        got = namespace["build"]().double()(x)
        assert torch.allclose(got, (x - mean) / torch.sqrt(var + 1e-5))


# each windowed layer in 2-D, a value per axis and two sides per axis written out (so that an axis can be dropped
# or a size-1 axis added); at rank 1 it is one of its axes, at rank 3 it has a size-1 axis added anywhere
WINDOWED = [
    pytest.param((7, 9, 4), "conv", {"filters": 4, "kernel": [3, 2], "stride": [2, 1], "padding": [1, 2, 0, 1],
                                     "dilation": [1, 2], "groups": 2}, id="conv"),
    pytest.param((7, 8, 2), "conv", {"filters": 3, "kernel": [4, 3], "stride": [2, 3], "padding": "same"},
                 id="conv-same"),
    pytest.param((4, 5, 2), "convtranspose", {"filters": 2, "kernel": [3, 4], "stride": [2, 3],
                                              "padding": [2, 0, 1, 3], "output_padding": [1, 2]},
                 id="convtranspose-sides-output-padding"),
    pytest.param((3, 4, 4), "convtranspose", {"filters": 4, "kernel": [3, 4], "stride": [2, 2], "padding": "same",
                                              "groups": 2}, id="convtranspose-same"),
    pytest.param((4, 4, 4), "convtranspose", {"filters": 4, "kernel": [2, 3], "stride": [1, 2], "padding": [0, 1, 1, 0],
                                              "dilation": [2, 2], "groups": 2}, id="convtranspose-dilation"),
    pytest.param((6, 7, 2), "maxpool", {"size": [3, 3], "stride": [2, 2], "padding": [1, 0, 0, 1], "ceil": True},
                 id="maxpool-ceil"),
    pytest.param((5, 6, 1), "maxpool", {"size": [2, 3], "stride": [2, 2], "padding": "same"}, id="maxpool-same"),
    pytest.param((4, 5, 1), "avgpool", {"size": [2, 2], "stride": [2, 2], "padding": [0, 1, 0, 1], "ceil": True},
                 id="avgpool-ceil-crop"),
    pytest.param((7, 8, 2), "avgpool", {"size": [3, 3], "stride": [2, 2], "padding": "same"}, id="avgpool-same"),
    pytest.param((7, 5, 2), "adaptiveavgpool", {"size": [3, 2]}, id="adaptiveavgpool"),
    pytest.param((7, 5, 2), "adaptivemaxpool", {"size": [4, 3]}, id="adaptivemaxpool"),
    pytest.param((3, 4, 2), "upsample", {"scale": [2, 3]}, id="upsample-nearest-scale"),
    pytest.param((3, 4, 2), "upsample", {"size": [5, 7]}, id="upsample-nearest-size"),
    pytest.param((3, 4, 2), "upsample", {"scale": [2, 3], "mode": "bilinear"}, id="upsample-bilinear-scale"),
    pytest.param((3, 4, 2), "upsample", {"size": [5, 7], "mode": "bilinear"}, id="upsample-bilinear-size"),
    pytest.param((3, 4, 2), "upsample", {"size": [5, 7], "mode": "bilinear", "align_corners": True},
                 id="upsample-align-corners"),
    pytest.param((7, 8, 2), "crop", {"size": [4, 5]}, id="crop-centred"),
    pytest.param((7, 8, 2), "crop", {"size": [4, 5], "offset": [2, 1]}, id="crop-offset"),
    pytest.param((7, 8, 2), "crop", {"sides": [1, 0, 2, 1]}, id="crop-sides"),
    pytest.param((4, 5, 2), "zeropad", {"padding": [1, 0, 2, 1]}, id="zeropad"),
    pytest.param((4, 5, 4), "layernorm", {}, id="layernorm"),
    pytest.param((4, 5, 4), "instancenorm", {"affine": True}, id="instancenorm"),
    pytest.param((4, 5, 4), "groupnorm", {"groups": 2}, id="groupnorm"),
    pytest.param((4, 5, 4), "batchnorm", {}, id="batchnorm"),
    pytest.param((4, 5, 4), "squeeze_excite", {"squeeze": 2}, id="squeeze_excite"),
    pytest.param((4, 5, 4), "scale", {}, id="scale"),
    pytest.param((4, 5, 4), "globalmaxpool", {}, id="globalmaxpool"),
    pytest.param((4, 5, 4), "globalavgpool", {}, id="globalavgpool"),
]  # fmt: skip

# an axis that is not there: one of size 1 that each option leaves alone
_NEUTRAL = {"kernel": 1, "stride": 1, "dilation": 1, "size": 1, "scale": 1, "output_padding": 0, "offset": 0}
_SIDES = ("padding", "sides")


def on_axes(input: tuple[int, ...], kind: str, options: dict[str, Any], axes: list[int | None]) -> str:
    """The one-layer spec of a 2-D case on `axes`: each the 2-D axis it takes, or None for an axis of size 1."""
    sizes = [1 if axis is None else input[axis] for axis in axes]
    placed = {}
    for key, value in options.items():
        if isinstance(value, list) and key in _SIDES:
            placed[key] = [
                side for axis in axes for side in ((0, 0) if axis is None else value[2 * axis : 2 * axis + 2])
            ]
        elif isinstance(value, list):
            placed[key] = [_NEUTRAL[key] if axis is None else value[axis] for axis in axes]
        else:
            placed[key] = value
    return one_layer(json.dumps([*sizes, input[-1]]), f"{kind}: {json.dumps(placed)}")


# a rank's spec on the axes given, and the 2-D spec it computes as: a 1-D map as a 2-D map one row high (either
# axis of the 2-D case); a 3-D map as the 2-D map with an axis of size 1 in front, between or after its two
PLACEMENTS = [
    pytest.param([0], [None, 0], id="1d-height"),
    pytest.param([1], [None, 1], id="1d-width"),
    pytest.param([None, 0, 1], [0, 1], id="3d-depth-1"),
    pytest.param([0, None, 1], [0, 1], id="3d-height-1"),
    pytest.param([0, 1, None], [0, 1], id="3d-width-1"),
]


@pytest.mark.parametrize(("axes", "flat"), PLACEMENTS)
@pytest.mark.parametrize(("input", "kind", "options"), WINDOWED)
def test_each_layer_computes_at_its_rank_what_it_computes_in_2d(
    input: tuple[int, ...], kind: str, options: dict[str, Any], axes: list[int | None], flat: list[int | None]
) -> None:
    # the same weights and the same numbers in a shape of the other rank: the same values out, padding, cuts,
    # last windows and interpolation included
    pytest.importorskip("torch")
    import torch

    models, reports = [], []
    for placed in (axes, flat):
        text, report = exported(on_axes(input, kind, options, placed))
        namespace: dict[str, Any] = {"__name__": "exported"}
        exec(compile(text, "<export>", "exec"), namespace)
        models.append(namespace["build"]().double().eval())
        reports.append(report)
    model, reference = models
    assert reports[0].totals.output.rank == len(axes)
    assert reports[0].totals.output.elements == reports[1].totals.output.elements
    generator = torch.Generator().manual_seed(sum(input))
    with torch.no_grad():
        for weight, flat_weight in zip(model.parameters(), reference.parameters(), strict=True):
            weight.copy_(torch.randn(weight.shape, dtype=torch.float64, generator=generator))
            flat_weight.copy_(weight.reshape(flat_weight.shape))
        given = reports[0].input
        x = torch.randn(1, given.c, *given.spatial, dtype=torch.float64, generator=generator)
        got = model(x)
        expected = reference(x.reshape(1, given.c, *reports[1].input.spatial))
    out = reports[0].totals.output
    assert tuple(got.shape) == (1, out.c, *out.spatial)
    assert torch.allclose(got.reshape(expected.shape), expected, rtol=1e-12, atol=1e-12)


@st.composite
def pools_1d(draw: st.DrawFn) -> tuple[int, str]:
    """A 1-D pool cnncalc accepts: any window, stride, padding (at most half the window, or same) and ceil."""
    k, length, stride = draw(st.integers(1, 4)), draw(st.integers(1, 9)), draw(st.integers(1, 4))
    if draw(st.booleans()):
        padding, ceil = "same", False
    else:
        padding, ceil = str([draw(st.integers(0, k // 2)) for _ in range(2)]), draw(st.booleans())
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    return length, f"{kind}: {{size: {k}, stride: {stride}, padding: {padding}, ceil: {str(ceil).lower()}}}"


@settings(max_examples=60 * settings().max_examples // 100, deadline=None)
@given(pools_1d())
def test_any_1d_pool_computes_what_cnncalc_computes(case: tuple[int, str]) -> None:
    # `cnncalc apply` on the signal as a one-row matrix, the window one row high
    pytest.importorskip("torch")
    import torch

    length, layer = case
    try:
        text, report = exported(one_layer(f"[{length}, 1]", layer))
    except SpecError:
        assume(False)  # a window larger than the padded input: nothing to export
    pool = report.layers[0].layer
    assert isinstance(pool, Pool)
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    signal = torch.randint(-9, 10, (1, 1, length), generator=torch.Generator().manual_seed(length)).double()
    got = namespace["build"]()(signal)[0, 0].tolist()
    padding = pool.padding
    if not isinstance(padding, str):
        before, after = padding
        padding = (0, 0, before, after)
    row = tuple(Fraction(int(v)) for v in signal[0, 0].tolist())
    (expected,) = apply(pool.kind, (row,), (1, pool.size[0]), (1, pool.stride[0]), padding, pool.ceil).output
    assert got == pytest.approx([float(v) for v in expected])
