"""`cnncalc export --to pytorch`: the module it writes, read as text, then run in PyTorch against cnncalc's numbers.

The text-only tests run without torch; the others skip cleanly where torch is not installed.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnncalc import export as exporter
from cnncalc.commands.export import export
from cnncalc.diagnostics import SpecError
from cnncalc.engine import analyse
from cnncalc.kinds import KINDS
from cnncalc.loader import load, load_file
from cnncalc.report import LayerResult, Report, walk
from cnncalc.spec import Activation, ConvTranspose, Location, Merge, Pool, Repeat, Residual, Spec, Volume, vector
from cnncalc.values import apply

if TYPE_CHECKING:
    import torch
    from torch import nn

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
LENET = str(ROOT / "specs" / "lenet5.yaml")

# every kind, option and block, and tensors that change form: a flatten inside blocks, paths that meet as a vector
# and a 1 x 1 map (a multiply broadcasting both over a map), a conv and a pool after a flatten, batchnorm on a
# vector, dense on a 1 x 1 map
EVERY_KIND = """\
name: every kind
input: [9, 8, 3]
layers:
  - conv: {filters: 4, kernel: [3, 2], stride: [2, 1], padding: same, bias: false, activation: leakyrelu}
  - conv: {filters: 8, kernel: 3, dilation: 2, groups: 4, padding: [1, 2, 0, 1], activation: elu}
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
  - maxpool: {size: 3, stride: 2, padding: [1, 0, 0, 1], ceil: true}
  - avgpool: {size: 2, stride: 1, padding: same}
  - zeropad: {padding: [1, 0, 2, 1]}
  - convtranspose: {filters: 8, kernel: [3, 4], stride: 2, padding: same, bias: false, activation: relu}
  - convtranspose: {filters: 8, kernel: 3, stride: [2, 1], padding: [0, 2, 1, 0], groups: 4,
                    output_padding: [1, 0], dilation: [1, 2]}
  - adaptivemaxpool: {size: [5, 7]}
  - upsample: {scale: [2, 1]}
  - upsample: {size: [11, 9], mode: bilinear, align_corners: true}
  - crop: {size: [9, 8]}
  - crop: {size: 6, offset: [1, 2]}
  - crop: {sides: [0, 1, 1, 0]}
  - adaptiveavgpool: {size: [4, 3]}
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


def exported(text: str) -> tuple[str, Report]:
    """A spec's text, exported; and cnncalc's report of it."""
    spec = load(text)
    report = analyse(spec)
    return exporter.to_pytorch(spec, report), report


def exported_file(path: Path) -> tuple[str, Report]:
    spec = load_file(str(path))
    report = analyse(spec)
    return exporter.to_pytorch(spec, report, f"specs/{path.name}"), report


def one_layer(input: str, layer: str) -> str:
    return f"input: {input}\nlayers:\n  - {layer}\n"


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(export, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# -- the text: no torch needed ------------------------------------------------------------------------


def test_the_specs_are_there() -> None:
    # a glob that finds nothing would parametrize nothing and pass
    assert {path.stem for path in SPECS} >= {"lenet5", "vgg16", "resnet18", "resnet50", "googlenet_inception3a"}


@pytest.mark.parametrize("path", SPECS, ids=[path.stem for path in SPECS])
def test_every_spec_exports_as_a_module_importing_torch_only(path: Path) -> None:
    text, report = exported_file(path)
    tree = ast.parse(text)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"torch"}
    assert "def build() -> nn.Module:" in text
    assert "PyTorch is channels first" in text
    # every row of the summary, blocks' own included, has its comment: path, kind, cnncalc's output
    comments = [line.strip() for line in text.splitlines() if line.strip().startswith("# ")]
    for row in walk(report.layers):
        heading = f"# {row.path} {row.kind}"
        assert any(c.startswith(heading) and f": out {row.output}, tensor" in c for c in comments), row.path
    assert sum(": out " in c for c in comments) == len(list(walk(report.layers)))
    assert f"Parameters: {report.totals.trainable_params:,}," in text


@pytest.mark.parametrize(
    ("input", "layer", "modules"),
    [
        # SAME at stride 1, odd kernel: the lecture's p = (f - 1) / 2 = 1, PyTorch's own padding
        pytest.param("[32, 32, 3]", "conv: {filters: 8, kernel: 3, padding: same}",
                     ["nn.Conv2d(3, 8, kernel_size=3, padding=1)"], id="same-odd-stride-1"),
        pytest.param("[32, 32, 3]", "conv: {filters: 8, kernel: 7, padding: 3, bias: false}",
                     ["nn.Conv2d(3, 8, kernel_size=7, padding=3, bias=False)"], id="explicit-symmetric"),
        pytest.param("[32, 32, 3]", "conv: {filters: 8, kernel: 3, padding: [1, 1, 2, 2]}",
                     ["nn.Conv2d(3, 8, kernel_size=3, padding=(1, 2))"], id="explicit-per-axis"),
        # an even kernel: 4 - 1 = 3 pixels, the odd one after, (1, 2) on each axis
        pytest.param("[32, 32, 3]", "conv: {filters: 8, kernel: 4, padding: same}",
                     ["nn.ZeroPad2d((1, 2, 1, 2))", "nn.Conv2d(3, 8, kernel_size=4)"], id="same-even-kernel"),
        # ceil(224 / 2) = 112 outputs need (112 - 1) 2 + 3 - 224 = 1 pixel: after, bottom and right
        pytest.param("[224, 224, 3]", "conv: {filters: 32, kernel: 3, stride: 2, padding: same}",
                     ["nn.ZeroPad2d((0, 1, 0, 1))", "nn.Conv2d(3, 32, kernel_size=3, stride=2)"],
                     id="same-stride-2"),
        # (top, bottom, left, right) in cnncalc, (left, right, top, bottom) in PyTorch
        pytest.param("[32, 32, 3]", "conv: {filters: 8, kernel: 3, padding: [1, 2, 3, 4], dilation: 2, groups: 1}",
                     ["nn.ZeroPad2d((3, 4, 1, 2))", "nn.Conv2d(3, 8, kernel_size=3, dilation=2)"],
                     id="four-sides"),
        pytest.param("[8, 8, 4]", "conv: {filters: 8, kernel: [1, 3], stride: [1, 2], groups: 4, activation: relu}",
                     ["nn.Conv2d(4, 8, kernel_size=(1, 3), stride=(1, 2), groups=4)", "nn.ReLU()"],
                     id="pairs-groups-activation"),
        pytest.param("[112, 112, 64]", "maxpool: {size: 3, stride: 2, padding: 1}",
                     ["nn.MaxPool2d(3, stride=2, padding=1)"], id="maxpool-symmetric"),
        pytest.param("[5, 5, 2]", "maxpool: {size: 2, ceil: true}", ["nn.MaxPool2d(2, ceil_mode=True)"],
                     id="maxpool-ceil"),
        # SAME for a pool: ceil(5 / 2) = 3 outputs, (3 - 1) 2 + 2 - 5 = 1 pixel after; -inf never wins a max
        pytest.param("[5, 5, 2]", "maxpool: {size: 2, padding: same}",
                     ['nn.ConstantPad2d((0, 1, 0, 1), float("-inf"))', "nn.MaxPool2d(2)"], id="maxpool-same"),
        # the pool pads the smaller side on both sides, the surplus goes in front
        pytest.param("[6, 6, 2]", "maxpool: {size: 3, stride: 2, padding: [1, 0, 1, 1], ceil: true}",
                     ['nn.ConstantPad2d((0, 0, 1, 0), float("-inf"))',
                      "nn.MaxPool2d(3, stride=2, padding=(0, 1), ceil_mode=True)"], id="maxpool-ceil-more-before"),
        # an average counts the padding in its window, as cnncalc does: count_include_pad=True, said aloud
        pytest.param("[5, 5, 2]", "avgpool: {size: 3, stride: 1, padding: same}",
                     ["nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=True)"], id="avgpool-same-stride-1"),
        # height: 4 outputs need 3 * 2 + 3 - 7 = 2 pixels, (1, 1); width: 3 * 2 + 3 - 8 = 1, (0, 1)
        pytest.param("[7, 8, 2]", "avgpool: {size: 3, stride: 2, padding: same}",
                     ["nn.ZeroPad2d((0, 1, 0, 0))",
                      "nn.AvgPool2d(3, stride=2, padding=(1, 0), count_include_pad=True)"],
                     id="avgpool-same-stride-2"),
        # ceil((4 + 1 - 2) / 2) + 1 = 3 windows, but the third starts at 4, past the input and its leading padding:
        # cnncalc drops it, PyTorch keeps it once the padding is input; a negative pad crops it
        pytest.param("[4, 4, 1]", "avgpool: {size: 2, padding: [0, 1, 0, 1], ceil: true}",
                     ["nn.ZeroPad2d((0, 1, 0, 1))", "nn.AvgPool2d(2, ceil_mode=True, count_include_pad=True)",
                      "nn.ZeroPad2d((0, -1, 0, -1))"], id="ceil-window-in-trailing-padding"),
        # a transposed conv's `same` cuts k - s = 2 from its h s + 2 outputs: 1 on each side, PyTorch's own padding
        pytest.param("[8, 8, 4]", "convtranspose: {filters: 2, kernel: 4, stride: 2, padding: same}",
                     ["nn.ConvTranspose2d(4, 2, kernel_size=4, stride=2, padding=1)"], id="convtranspose-same-even"),
        # k - s = 1: the odd one after, cropped from the bottom and the right
        pytest.param("[8, 8, 4]", "convtranspose: {filters: 2, kernel: 3, stride: 2, padding: same}",
                     ["nn.ConvTranspose2d(4, 2, kernel_size=3, stride=2)", "nn.ZeroPad2d((0, -1, 0, -1))"],
                     id="convtranspose-same-odd"),
        # PyTorch's order of the options; the smaller cut on both sides of an axis, the rest cropped
        pytest.param("[5, 5, 4]", "convtranspose: {filters: 4, kernel: [3, 2], stride: 2, padding: [1, 2, 0, 1], "
                     "output_padding: [1, 0], groups: 2, bias: false, dilation: [1, 2], activation: relu}",
                     ["nn.ConvTranspose2d(4, 4, kernel_size=(3, 2), stride=2, padding=(1, 0), output_padding=(1, 0), "
                      "groups=2, bias=False, dilation=(1, 2))", "nn.ZeroPad2d((0, -1, 0, -1))", "nn.ReLU()"],
                     id="convtranspose-four-sides"),
        pytest.param("[5, 5, 4]", "convtranspose: {filters: 4, kernel: 3, padding: [1, 1, 2, 2]}",
                     ["nn.ConvTranspose2d(4, 4, kernel_size=3, padding=(1, 2))"], id="convtranspose-per-axis"),
        # at a whole factor, nearest-exact picks floor(o / s) as nearest means to, without its float32 slips
        pytest.param("[4, 4, 2]", "upsample: {scale: 2}", ['nn.Upsample(scale_factor=2, mode="nearest-exact")'],
                     id="upsample-scale"),
        pytest.param("[4, 5, 2]", "upsample: {size: [8, 15]}",
                     ['nn.Upsample(scale_factor=(2, 3), mode="nearest-exact")'], id="upsample-whole-size"),
        pytest.param("[4, 5, 2]", "upsample: {size: [7, 15]}", ['nn.Upsample(size=(7, 15), mode="nearest")'],
                     id="upsample-size-nearest"),
        pytest.param("[4, 4, 2]", "upsample: {scale: [2, 3], mode: bilinear}",
                     ['nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=False)'],
                     id="upsample-bilinear"),
        pytest.param("[4, 4, 2]", "upsample: {size: [7, 9], mode: bilinear, align_corners: true}",
                     ['nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True)'], id="upsample-size"),
        # (top, bottom, left, right) cut in cnncalc, negative (left, right, top, bottom) padding in PyTorch; centred,
        # floor(cut / 2) before: height 3 as 1 and 2, width 4 as 2 and 2
        pytest.param("[7, 8, 2]", "crop: {size: [4, 4]}", ["nn.ZeroPad2d((-2, -2, -1, -2))"], id="crop-centred"),
        pytest.param("[7, 8, 2]", "crop: {size: [4, 5], offset: [0, 3]}", ["nn.ZeroPad2d((-3, 0, 0, -3))"],
                     id="crop-offset"),
        pytest.param("[7, 8, 2]", "crop: {sides: [1, 0, 2, 1]}", ["nn.ZeroPad2d((-2, -1, -1, 0))"], id="crop-sides"),
        pytest.param("[7, 7, 8]", "adaptiveavgpool: {size: [3, 2]}", ["nn.AdaptiveAvgPool2d((3, 2))"],
                     id="adaptiveavgpool"),
        pytest.param("[7, 7, 8]", "adaptivemaxpool: {size: 4}", ["nn.AdaptiveMaxPool2d(4)"], id="adaptivemaxpool"),
        pytest.param("[7, 7, 8]", "globalavgpool", ["nn.AdaptiveAvgPool2d(1)"], id="globalavgpool"),
        pytest.param("[7, 7, 8]", "globalmaxpool", ["nn.AdaptiveMaxPool2d(1)"], id="globalmaxpool"),
        pytest.param("[5, 5, 16]", "flatten", ["nn.Flatten()"], id="flatten"),
        # a dense layer on a 1 x 1 map: the (N, 8, 1, 1) tensor flattened first
        pytest.param("[1, 1, 8]", "dense: {units: 3, bias: false, activation: softmax}",
                     ["nn.Flatten()", "nn.Linear(8, 3, bias=False)", "nn.Softmax(dim=1)"], id="dense-on-a-map"),
        pytest.param("[7, 7, 8]", "batchnorm", ["nn.BatchNorm2d(8)"], id="batchnorm"),
        pytest.param("[7, 7, 8]", "dropout: {rate: 0.2}", ["nn.Dropout(0.2)"], id="dropout"),
        pytest.param("[7, 7, 8]", "dropout", ["nn.Dropout(0.5)"], id="dropout-default"),
        pytest.param("[7, 7, 8]", "leakyrelu", ["nn.LeakyReLU()"], id="leakyrelu"),
        pytest.param("[7, 7, 8]", "softmax", ["nn.Softmax(dim=1)"], id="softmax-over-channels"),
    ],
)  # fmt: skip
def test_each_layer_exports_as(input: str, layer: str, modules: list[str]) -> None:
    text, _ = exported(one_layer(input, layer))
    # compared as Python reads them: quotes and spacing aside
    assert module_lines(text) == [ast.unparse(ast.parse(module)) for module in modules]


def module_lines(text: str) -> list[str]:
    """The modules of the first layer, one per item: `nn.Sequential(a, b)` unpacked."""
    tree = ast.parse(text)
    init = next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "__init__")
    call = init.body[0]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    first = call.value.args[0]
    if isinstance(first, ast.Call) and ast.unparse(first.func) == "nn.Sequential":
        return [ast.unparse(arg) for arg in first.args]
    return [ast.unparse(first)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("LeNet-5", "LeNet5"),
        ("ResNet-18", "ResNet18"),
        ("GoogLeNet inception (3a)", "GoogLeNetInception3a"),
        ("lecture 6x6 padded", "Lecture6x6Padded"),
        pytest.param("3a block", "Net3aBlock", id="starts-with-a-digit"),
        pytest.param("Concat", "ConcatNetwork", id="the-block-class"),
        pytest.param("graph", "GraphNetwork", id="the-graph-class"),
        pytest.param("", "Network", id="empty"),
        pytest.param(None, "Network", id="no-name"),
        # accented Latin letters lose their accents; letters of other scripts stay, as Python allows them
        pytest.param("Réseau N°code", "ReseauNCode", id="accents-and-a-degree-sign"),
        pytest.param("résumé à la carte", "ResumeALaCarte", id="lower-case-accents"),
        pytest.param("Ørsted straße", "ØrstedStraße", id="latin-letters-with-no-ascii-form"),
        pytest.param("\uff46\uff55\uff4c\uff4c \uff12", "Full2", id="full-width-forms"),
        pytest.param("ﬁlter net", "FilterNet", id="a-ligature"),
        pytest.param("深層 ネット", "深層ネット", id="cjk"),
        pytest.param("ガウス", "ガウス", id="kana-keep-their-voicing-mark"),
        pytest.param("한국어 망", "한국어망", id="hangul"),
        pytest.param("Ωmega-Δ", "ΩmegaΔ", id="greek"),
        pytest.param("2² net", "Net22Net", id="digits-first-and-a-superscript"),
        pytest.param("٣ layers", "Net3Layers", id="arabic-indic-digit-first"),
        pytest.param("!!! ***", "Network", id="only-symbols"),
        pytest.param("my_net v2", "MyNetV2", id="underscores-split-words"),
        pytest.param("none", "NoneNetwork", id="a-keyword-once-capitalised"),
    ],
)
def test_class_name(name: str | None, expected: str) -> None:
    found = exporter.class_name(name)
    assert found == expected
    # as Python reads it: an identifier, and the same after its own NFKC normalisation
    assert found.isidentifier() and unicodedata.normalize("NFKC", found) == found


def test_a_unicode_class_name_is_written_as_such_and_compiles() -> None:
    text, _ = exported("name: 深層 Réseau\ninput: [4, 4, 1]\nlayers: [relu]\n")
    assert "class 深層Reseau(nn.Sequential):" in text
    assert "return 深層Reseau()" in text
    compile(text, "exported.py", "exec")


def test_a_name_cannot_break_out_of_its_comment_or_docstring() -> None:
    spec = 'name: "evil\\nimport os\\"\\"\\" \\\\"\ninput: [4, 4, 1]\nlayers:\n  - relu: {name: "x\\nimport os"}\n'
    text, _ = exported(spec)
    tree = ast.parse(text)
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import) and node.names[0].name == "os"]
    assert "# 1 relu x\\nimport os: out 4 x 4 x 1" in text


@pytest.mark.parametrize(
    ("name", "docstring"),
    [
        pytest.param("name: LeNet-5\n", "A freshly initialised LeNet-5.", id="named"),
        pytest.param("", "A freshly initialised network.", id="unnamed"),
    ],
)
def test_build_names_the_network_once(name: str, docstring: str) -> None:
    text, _ = exported(name + one_layer("[4, 4, 1]", "relu"))
    assert f'def build() -> nn.Module:\n    """{docstring}"""\n' in text


def test_a_layer_without_an_exact_module_is_refused_at_its_place(monkeypatch: pytest.MonkeyPatch) -> None:
    # every activation cnncalc declares has its module; one without must be refused, not written as something else
    monkeypatch.delitem(exporter.ACTIVATION_MODULES, "tanh")
    spec = Spec(Volume(4, 4, 1), (Activation("relu"), Activation("tanh", loc=Location(5, 5))))
    with pytest.raises(SpecError) as failed:
        exporter.to_pytorch(spec, analyse(spec))
    assert [d.format("net.yaml") for d in failed.value.diagnostics] == [
        "net.yaml:5:5: error: layer 2 (tanh): cannot export exactly: no PyTorch module for the activation 'tanh'"
    ]


# -- the command ----------------------------------------------------------------------------------------


def test_prints_the_module() -> None:
    code, out, err = invoke(LENET, "--to", "pytorch")
    assert (code, err) == (0, "")
    assert out == exported_file(Path(LENET))[0].replace("specs/lenet5.yaml", LENET)
    assert out.startswith('"""LeNet-5: a PyTorch model exported by cnncalc.')


def test_writes_the_module_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "lenet5.py"
    code, out, err = invoke(LENET, "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text() == invoke(LENET)[1]


def test_reads_standard_input() -> None:
    code, out, err = invoke("-", input=Path(LENET).read_text())
    assert (code, err) == (0, "")
    assert "From <stdin>." in out and "class LeNet5(nn.Sequential):" in out


def test_an_invalid_spec_is_a_located_error() -> None:
    code, out, err = invoke("-", input="input: [4, 4, 1]\nlayers:\n  - conv: {filters: 1, kernel: 3, stride: 0}\n")
    assert (code, out) == (2, "")
    assert err == "<stdin>:3:43: error: layer 1 (conv): stride must be a positive integer, got 0\n"


def test_warnings_go_to_standard_error() -> None:
    code, out, err = invoke("-", input="input: [8, 8, 1]\nlayers:\n  - conv: {filters: 1, kernel: 3, stride: 2}\n")
    assert code == 0
    assert "nn.Conv2d(1, 1, kernel_size=3, stride=2)" in out
    assert err.startswith("<stdin>:3:") and ": warning: layer 1 (conv): " in err


def test_an_export_that_cannot_be_exact_exits_2_at_each_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    # as if PyTorch had no tanh: every layer that needs it is named, at its `activation:` option
    monkeypatch.delitem(exporter.ACTIVATION_MODULES, "tanh")
    code, out, err = invoke(LENET)
    assert (code, out) == (2, "")
    reason = "cannot export exactly: no PyTorch module for the activation 'tanh'"
    assert err.splitlines() == [
        f"{LENET}:5:47: error: layer 1 (conv): {reason}",
        f"{LENET}:7:48: error: layer 3 (conv): {reason}",
        f"{LENET}:10:37: error: layer 6 (dense): {reason}",
        f"{LENET}:11:36: error: layer 7 (dense): {reason}",
    ]


def test_an_unwritable_file_exits_2(tmp_path: Path) -> None:
    code, out, err = invoke(LENET, "-o", str(tmp_path / "missing" / "lenet5.py"))
    assert (code, out) == (2, "")
    assert err.startswith(f"cnncalc export: cannot write {tmp_path / 'missing' / 'lenet5.py'}: ")


def test_only_pytorch_for_now() -> None:
    code, _, err = invoke(LENET, "--to", "keras")
    assert code == 2
    assert "'keras' is not 'pytorch'" in err


def test_help_ends_with_an_example() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    last = out.strip().splitlines()[-1].strip()
    assert last == "Example: cnncalc export specs/resnet18.yaml --to pytorch -o resnet18.py"
    assert "Example: cnncalc export specs/lenet5.yaml > lenet5.py" in out


# -- in PyTorch ---------------------------------------------------------------------------------------


def volume(x: torch.Tensor, rank: int = 2) -> Volume:
    """A tensor as cnncalc's volume: (N, c, h, w) is h x w x c, (N, c, l) l x c; a vector (N, n) is 1 x 1 x n at
    `rank`, the rank of the maps it meets."""
    if x.dim() == 2:
        return vector(rank, x.shape[1])
    return Volume(*x.shape[2:], x.shape[1])


def rows_and_modules(rows: Sequence[LayerResult], modules: Sequence[nn.Module]) -> Iterator[tuple[str, nn.Module]]:
    """Each row's path with its module: the exported model's children map one-to-one to the rows, at every depth."""
    assert len(rows) == len(modules), [row.path for row in rows]
    for row, module in zip(rows, modules, strict=True):
        yield row.path, module
        if isinstance(row.layer, Repeat):
            yield from rows_and_modules(row.layers, list(module.children()))
        elif isinstance(row.layer, Residual):
            yield from rows_and_modules(row.layers, list(module.get_submodule("layers").children()))
            if row.shortcut:
                yield from rows_and_modules(row.shortcut, list(module.get_submodule("shortcut").children()))
        elif isinstance(row.layer, Merge) and row.layer.branches:
            for branch, path in zip(row.branches, module.get_submodule("branches").children(), strict=True):
                if branch:
                    yield from rows_and_modules(branch, list(path.children()))


def run(text: str, report: Report, meta: bool = False) -> dict[str, Volume]:
    """Build the exported model, check its counts against cnncalc's, run it once: every row's output, by path.

    `meta`: built and run on PyTorch's meta device, shapes without values: PyTorch's own shape rules and checks,
    without the seconds that drawing VGG19's 143M weights and running its 20 G MACs would take.
    """
    import torch
    from torch import nn

    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    device = torch.device("meta" if meta else "cpu")
    with device:
        model = namespace["build"]()
    assert isinstance(model, nn.Sequential)
    assert not [m for m in model.modules() if isinstance(m, nn.modules.lazy.LazyModuleMixin)]
    assert sum(p.numel() for p in model.parameters()) == report.totals.trainable_params
    running = [
        stats.numel()
        for m in model.modules()
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d))
        for stats in (m.running_mean, m.running_var)
        if stats is not None
    ]
    assert sum(running) == report.totals.non_trainable_params
    outputs: dict[str, Volume] = {}
    given = report.input
    for path, module in rows_and_modules(report.layers, list(model.children())):

        def catch(_module: nn.Module, _input: object, output: torch.Tensor, path: str = path) -> None:
            outputs[path] = volume(output, given.rank)

        module.register_forward_hook(catch)
    with torch.no_grad():
        final = model.eval()(torch.randn(1, given.c, *given.spatial, device=device))
    assert volume(final, given.rank) == report.totals.output
    return outputs


@pytest.mark.parametrize("path", SPECS, ids=[path.stem for path in SPECS])
def test_every_spec_runs_in_pytorch_with_cnncalcs_numbers(path: Path) -> None:
    pytest.importorskip("torch")
    text, report = exported_file(path)
    # a real forward pass where it takes a moment (LeNet, the lecture's, inception 3a); the ImageNet networks, whose
    # weights and passes take seconds of CPU (MobileNet's depthwise convs most of all), as shapes on the meta device
    outputs = run(text, report, meta=report.totals.macs > 2 * 10**8)
    assert [outputs[row.path] for row in report.layers] == [row.output for row in report.layers]
    assert outputs == {row.path: row.output for row in walk(report.layers)}


def test_every_kind_runs_in_pytorch_with_cnncalcs_numbers() -> None:
    pytest.importorskip("torch")
    text, report = exported(EVERY_KIND)
    assert {row.kind for row in walk(report.layers)} == set(KINDS)
    # the forms meet: a vector path and a 1 x 1 map path as (N, n, 1, 1), a conv after a flatten unflattened
    assert "nn.Unflatten(1, (14, 1, 1))" in text and "nn.BatchNorm1d(14)" in text
    outputs = run(text, report)
    assert outputs == {row.path: row.output for row in walk(report.layers)}


@pytest.mark.parametrize(
    ("input", "layer"),
    [
        pytest.param((6, 7), "maxpool: {size: 3, stride: 2, padding: same}", id="maxpool-same-stride-2"),
        pytest.param((5, 5), "maxpool: {size: 2, padding: same}", id="maxpool-same-even"),
        pytest.param((7, 8), "avgpool: {size: 3, stride: 2, padding: same}", id="avgpool-same-stride-2"),
        pytest.param((5, 6), "avgpool: {size: 3, stride: 1, padding: same}", id="avgpool-same-stride-1"),
        pytest.param((6, 6), "maxpool: {size: 3, stride: 2, padding: [1, 0, 1, 1], ceil: true}", id="ceil-before"),
        pytest.param((6, 5), "avgpool: {size: 3, stride: 2, padding: [0, 1, 1, 0], ceil: true}", id="ceil-avg"),
        pytest.param((4, 4), "maxpool: {size: 2, padding: [0, 1, 0, 1], ceil: true}", id="ceil-crop-max"),
        pytest.param((4, 5), "avgpool: {size: 2, padding: [0, 1, 0, 1], ceil: true}", id="ceil-crop-avg"),
        pytest.param((7, 7), "avgpool: {size: 3, stride: 2, padding: 1, ceil: true}", id="ceil-symmetric"),
    ],
)
def test_pools_compute_what_cnncalc_computes(input: tuple[int, int], layer: str) -> None:
    # not only the shapes: the values of `cnncalc apply`, exactly, padding and last windows included
    pytest.importorskip("torch")
    import torch

    h, w = input
    text, report = exported(one_layer(f"[{h}, {w}, 1]", layer))
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    values = torch.randint(-9, 10, (1, 1, h, w), generator=torch.Generator().manual_seed(h * w)).double()
    got = namespace["build"]()(values)[0, 0].tolist()
    pool = report.layers[0].layer
    assert isinstance(pool, Pool)
    matrix = tuple(tuple(Fraction(int(v)) for v in row) for row in values[0, 0].tolist())
    size, stride, padding = (pool.size[0], pool.size[1]), (pool.stride[0], pool.stride[1]), pool.padding
    if not isinstance(padding, str):
        top, bottom, left, right = padding
        padding = (top, bottom, left, right)
    expected = apply(pool.kind, matrix, size, stride, padding, pool.ceil).output
    assert len(got) == len(expected)
    for found, row in zip(got, expected, strict=True):
        assert found == pytest.approx([float(v) for v in row])


@st.composite
def pools(draw: st.DrawFn) -> tuple[tuple[int, int], str]:
    """A pool cnncalc accepts: any window, stride, padding (at most half the window, or same) and ceil."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    stride = [draw(st.integers(1, 4)), draw(st.integers(1, 4))]
    if draw(st.booleans()):
        padding, ceil = "same", False
    else:
        padding = str([draw(st.integers(0, k // 2)) for k in (kh, kh, kw, kw)])
        ceil = draw(st.booleans())
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    layer = f"{kind}: {{size: [{kh}, {kw}], stride: {stride}, padding: {padding}, ceil: {str(ceil).lower()}}}"
    return (h, w), layer


@settings(max_examples=60 * settings().max_examples // 100, deadline=None)  # 600 with --hypothesis-profile=thorough
@given(pools())
def test_any_pool_computes_what_cnncalc_computes(case: tuple[tuple[int, int], str]) -> None:
    pytest.importorskip("torch")
    input, layer = case
    try:
        analyse(load(one_layer(f"[{input[0]}, {input[1]}, 1]", layer)))
    except SpecError:
        assume(False)  # a window larger than the padded input: nothing to export
    test_pools_compute_what_cnncalc_computes(input, layer)


def test_an_asymmetric_conv_computes_what_cnncalc_computes() -> None:
    pytest.importorskip("torch")
    import torch

    text, _ = exported(one_layer("[7, 6, 1]", "conv: {filters: 1, kernel: 4, stride: 2, padding: same}"))
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    model = namespace["build"]()
    image = torch.arange(42, dtype=torch.float64).reshape(1, 1, 7, 6)
    kernel = [[1, 0, -1, 2], [1, 0, -1, 0], [1, 3, -1, 0], [0, 0, 1, 1]]
    conv = model[0][1]
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(kernel, dtype=torch.float64).reshape(1, 1, 4, 4))
        conv.bias.zero_()
        got = model.double()(image)[0, 0].tolist()
    matrix = tuple(tuple(Fraction(int(v)) for v in row) for row in image[0, 0].tolist())
    filter = tuple(tuple(Fraction(v) for v in row) for row in kernel)
    expected = apply("conv", matrix, stride=2, padding="same", filter=filter).output
    assert got == [[float(v) for v in row] for row in expected]


@pytest.mark.parametrize(
    ("input", "layer"),
    [
        pytest.param((5, 6), "convtranspose: {filters: 2, kernel: 3, stride: 2, padding: same}", id="same-odd"),
        pytest.param((4, 5), "convtranspose: {filters: 2, kernel: [3, 4], stride: [2, 3], padding: [2, 0, 1, 3], "
                     "output_padding: [1, 2]}", id="four-sides-output-padding"),
        pytest.param((4, 4), "convtranspose: {filters: 4, kernel: 2, stride: 1, padding: [0, 1, 1, 0], dilation: 2, "
                     "groups: 2}", id="dilation-groups"),
    ],
)  # fmt: skip
def test_a_transposed_conv_computes_what_cnncalc_computes(input: tuple[int, int], layer: str) -> None:
    # cnncalc cuts top, bottom, left and right from the whole output, output_padding at its end: the exported
    # ConvTranspose2d and its crop give that, value for value
    pytest.importorskip("torch")
    import torch
    import torch.nn.functional as F

    h, w = input
    text, report = exported(one_layer(f"[{h}, {w}, 2]", layer))
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    model = namespace["build"]().double()
    (conv,) = [m for m in model.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    row = report.layers[0]
    spec = row.layer
    assert isinstance(spec, ConvTranspose) and row.padding is not None
    image = torch.randn(1, 2, h, w, dtype=torch.float64, generator=torch.Generator().manual_seed(h * w))
    with torch.no_grad():
        got = model(image)
        whole = F.conv_transpose2d(
            image, conv.weight, conv.bias, spec.stride, 0, spec.output_padding, spec.groups, spec.dilation
        )
    top, bottom, left, right = row.padding
    expected = whole[:, :, top : whole.shape[2] - bottom, left : whole.shape[3] - right]
    assert volume(got) == row.output
    assert torch.equal(got, expected)


@pytest.mark.parametrize("scale", [2, 3, 41, 47])
def test_nearest_up_sampling_picks_what_cnncalc_picks(scale: int) -> None:
    # floor(o / s): PyTorch's own nearest, in float32, picks o / s - 1 at o = 41 for a factor of 41
    pytest.importorskip("torch")
    import torch

    text, report = exported(one_layer("[2, 3, 1]", f"upsample: {{scale: {scale}}}"))
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    image = torch.arange(6.0).reshape(1, 1, 2, 3)
    rows, columns = torch.arange(2 * scale) // scale, torch.arange(3 * scale) // scale
    assert volume(got := namespace["build"]()(image)) == report.totals.output
    assert torch.equal(got, image[:, :, rows][:, :, :, columns])


def test_a_crop_keeps_what_cnncalc_keeps() -> None:
    pytest.importorskip("torch")
    import torch

    text, _ = exported(one_layer("[7, 8, 1]", "crop: {size: [4, 5], offset: [2, 1]}"))
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    image = torch.arange(56.0).reshape(1, 1, 7, 8)
    assert torch.equal(namespace["build"]()(image), image[:, :, 2:6, 1:6])


@pytest.mark.parametrize("input", ["[5, 12]", "[3, 4, 12]", "[2, 3, 4, 12]"])
@pytest.mark.parametrize("groups", [2, 3, 4])
def test_a_channel_shuffle_is_pytorchs_own(input: str, groups: int) -> None:
    # written out as reshape, transpose, reshape (which ONNX can export), it must be nn.ChannelShuffle's order
    pytest.importorskip("torch")
    import torch

    text, report = exported(one_layer(input, f"channelshuffle: {{groups: {groups}}}"))
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    x = torch.randn(2, report.input.c, *report.input.spatial)
    assert torch.equal(namespace["build"]()(x), torch.nn.ChannelShuffle(groups)(x))


# -- named skips: `from`, `with`, and merges of either form --------------------------------------------

# U-Net's way down and up in small, an FCN-style skip: a crop `like` an output, of a `from: input`, then added
SKIPS = """\
name: skips
input: [12, 12, 3]
layers:
  - conv: {filters: 4, kernel: 3, activation: relu, name: down}
  - maxpool: {size: 2}
  - conv: {filters: 8, kernel: 3}
  - convtranspose: {filters: 4, kernel: 2, stride: 2}
  - concat: {with: [down], crop: centre}
  - conv: {filters: 3, kernel: 1, name: scored}
  - crop: {like: scored, from: input}
  - add: {with: [scored]}
"""

# squeeze and excitation: a 1 x 1 x c gate made from a named layer (by convs, or by dense layers as a vector)
# multiplies a map broadcast
GATES = """\
name: gates
input: [8, 8, 6]
layers:
  - conv: {filters: 8, kernel: 3, padding: same, activation: relu, name: features}
  - conv: {filters: 8, kernel: 1, name: body}
  - globalavgpool: {from: features}
  - conv: {filters: 2, kernel: 1, activation: relu}
  - conv: {filters: 8, kernel: 1, activation: sigmoid}
  - multiply: {with: [body], name: excited}
  - globalmaxpool
  - dense: {units: 8, activation: sigmoid}
  - multiply: {with: [excited]}
"""

# branches added and multiplied: a 1 x 1 x c map and a vector of 1 broadcast over a map
BRANCHES = """\
name: branches
input: [6, 6, 4]
layers:
  - add:
      branches:
        - []
        - [{conv: {filters: 4, kernel: 3, padding: 1}}]
        - [{conv: {filters: 4, kernel: 1}}, relu]
  - multiply:
      branches:
        - [{conv: {filters: 4, kernel: 1}}]
        - [globalavgpool, {conv: {filters: 4, kernel: 1, activation: sigmoid}}]
        - [globalmaxpool, flatten, {dense: {units: 1}}]
"""

# names inside blocks: a repeat's rows reading their own repetition's outputs, one from outside and the input
# (a Graph in a Graph); a residual read from a name and reading its own; vectors joined where a map is wanted
NESTED = """\
name: nested
input: [6, 6, 4]
layers:
  - conv: {filters: 4, kernel: 1, name: a}
  - repeat:
      times: 3
      layers:
        - conv: {filters: 4, kernel: 3, padding: 1, name: b}
        - relu
        - add: {with: [b, a]}
        - concat: {with: [input]}
        - conv: {filters: 4, kernel: 1}
  - residual:
      from: a
      layers:
        - conv: {filters: 4, kernel: 1, name: c}
        - multiply: {with: [c]}
        - conv: {filters: 4, kernel: 1, from: c}
  - concat:
      branches:
        - [{conv: {filters: 2, kernel: 1, name: d}}, {add: {with: [d]}}]
        - []
  - globalavgpool
  - residual:
      layers: [{flatten: {name: v}}, {dense: {units: 6}}, {add: {with: [v]}}]
"""


def test_unet_exports_as_a_graph_of_its_skips() -> None:
    text, _ = exported_file(ROOT / "specs" / "unet.yaml")
    assert "class UNet(Graph):" in text
    assert 'joins={"16": ("11",), "20": ("8",), "24": ("5",), "28": ("2",)},' in text
    assert text.count('Join("concat", centre=True),') == 4
    assert "# with enc4 (layer 11), each cut to this h x w around its centre" in text
    # the classes it uses, and no others
    defined = {node.name for node in ast.walk(ast.parse(text)) if isinstance(node, ast.ClassDef)}
    assert defined == {"Join", "Graph", "UNet"}


def test_unet_runs_in_pytorch_with_its_papers_numbers() -> None:
    pytest.importorskip("torch")
    import torch

    text, report = exported_file(ROOT / "specs" / "unet.yaml")
    assert report.totals.trainable_params == 31_030_658
    outputs = run(text, report, meta=True)  # 31M weights and 55 G MACs: shapes by PyTorch's rules on the meta device
    assert outputs == {row.path: row.output for row in walk(report.layers)}
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(text, "<export>", "exec"), namespace)
    with torch.device("meta"):
        model = namespace["build"]()
        output = model(torch.randn(1, 1, 572, 572))
    assert tuple(output.shape) == (1, 2, 388, 388)
    assert sum(p.numel() for p in model.parameters()) == 31_030_658


@pytest.mark.parametrize("text", [SKIPS, GATES, BRANCHES, NESTED], ids=["skips", "gates", "branches", "nested"])
def test_named_skips_and_merges_run_in_pytorch_with_cnncalcs_numbers(text: str) -> None:
    pytest.importorskip("torch")
    module, report = exported(text)
    outputs = run(module, report)
    assert outputs == {row.path: row.output for row in walk(report.layers)}


def test_only_the_merge_classes_used_are_defined() -> None:
    def defined(text: str) -> set[str]:
        return {node.name for node in ast.walk(ast.parse(exported(text)[0])) if isinstance(node, ast.ClassDef)}

    assert defined(SKIPS) == {"Join", "Graph", "Skips"}
    assert defined(BRANCHES) == {"Add", "Multiply", "Branches"}
    assert defined(NESTED) == {"Residual", "Concat", "Join", "Graph", "Nested"}
    assert defined(Path(LENET).read_text()) == {"LeNet5"}


def graphs(text: str) -> dict[str, dict[str, Any]]:
    """The keywords of every Graph the text builds, by their prefix: the network's own under ""."""
    found = {}
    for call in ast.walk(ast.parse(text)):
        if isinstance(call, ast.Call) and ast.unparse(call.func) in ("Graph", "super().__init__") and call.keywords:
            keywords = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords if keyword.arg}
            found[keywords.get("prefix", "")] = keywords
    return found


def test_a_list_that_reads_names_is_a_graph() -> None:
    text, _ = exported(NESTED)
    # each repetition's rows read their own b, the outer a and the input; the residual reads a, its rows their c;
    # the concat's first branch its d; the last residual's vectors are joined as the 1 x 1 map the shortcut gives
    assert graphs(text) == {
        "": {"sources": {"3": "1"}},
        "2.": {
            "prefix": "2.",
            "joins": {
                "2.3": ("2.1", "1"),
                "2.4": ("input",),
                "2.8": ("2.6", "1"),
                "2.9": ("input",),
                "2.13": ("2.11", "1"),
                "2.14": ("input",),
            },
        },
        "3.": {"prefix": "3.", "sources": {"3.3": "3.1"}, "joins": {"3.2": ("3.1",)}},
        "4.b1.": {"prefix": "4.b1.", "joins": {"4.b1.2": ("4.b1.1",)}},
        "6.": {"prefix": "6.", "joins": {"6.3": ("6.1",)}},
    }
    assert "class Nested(Graph):" in text
    assert 'Join("add", as_map=True),' in text


def test_merges_compute_what_cnncalc_computes() -> None:
    # no parameters, so the values follow from the input: a crop, the larger outputs cut around their centres and
    # stacked; the input read again, multiplied by a gate broadcast, and added
    pytest.importorskip("torch")
    import torch

    spec = """\
input: [5, 5, 2]
layers:
  - zeropad: {padding: 1, name: padded}
  - crop: {size: [4, 4], offset: [0, 0]}
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
    image = torch.randn(1, 2, 5, 5, generator=torch.Generator().manual_seed(5))
    padded = torch.nn.functional.pad(image, (1, 1, 1, 1))
    stacked = torch.cat([padded[:, :, :4, :4], padded[:, :, 1:5, 1:5], image[:, :, :4, :4]], dim=1)
    hooked: dict[str, torch.Tensor] = {}
    model[2].register_forward_hook(lambda _module, _input, output: hooked.setdefault("3", output))
    with torch.no_grad():
        got = model(image)
    assert report.layers[2].output == Volume(4, 4, 6) and torch.equal(hooked["3"], stacked)
    gate = image.amax(dim=(2, 3), keepdim=True)
    assert torch.equal(got, image.relu() * gate + image)


def test_a_name_read_into_a_residual_or_a_branch_is_refused_where_it_is_read() -> None:
    spec = """\
input: [6, 6, 4]
layers:
  - conv: {filters: 4, kernel: 1, name: a}
  - residual:
      layers:
        - conv: {filters: 4, kernel: 1, from: a}
        - repeat: {times: 2, layers: [{add: {with: [a]}}]}
  - concat:
      branches:
        - [relu, {add: {with: [input]}}]
        - []
"""
    with pytest.raises(SpecError) as failed:
        exported(spec)
    why = "from outside the {} block this layer is in: export passes earlier outputs into a repeat's layers, not into a"
    refused = "cannot export exactly: reads"
    assert [d.format("net.yaml") for d in failed.value.diagnostics] == [
        f"net.yaml:6:47: error: layer 2.1 (conv): {refused} 'a' {why.format('residual')} residual's or a merge's",
        f"net.yaml:7:52: error: layer 2.2.1 (add): {refused} 'a' {why.format('residual')} residual's or a merge's",
        f"net.yaml:10:31: error: layer 3.b1.2 (add): {refused} 'input' {why.format('concat')} residual's or a merge's",
    ]


def test_the_module_runs_as_a_script(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    text, _ = exported_file(Path(LENET))
    exec(compile(text, "lenet5.py", "exec"), {"__name__": "__main__"})
    assert capsys.readouterr().out == "(1, 10) 61706\n"


def test_the_written_file_imports_and_builds(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    code, _, _ = invoke(LENET, "-o", str(tmp_path / "lenet5.py"))
    assert code == 0
    script = "import lenet5; model = lenet5.build(); print(sum(p.numel() for p in model.parameters()))"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    # where numpy is missing, `import torch` alone warns "Failed to initialize NumPy": torch's warning, not the
    # module's, and the only one let through
    torchs = [] if importlib.util.find_spec("numpy") else ["-W", "ignore:Failed to initialize NumPy:UserWarning"]
    done = subprocess.run(
        [sys.executable, *torchs, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "61706\n", "")
