"""`cnncalc check`: expectations in the spec and on the command line, targets, exit codes, Makefiles."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cnncalc.cli import cli
from cnncalc.counts import parse_count

ROOT = Path(__file__).resolve().parent.parent
LENET = (ROOT / "specs" / "lenet5.yaml").read_text().split("expect:")[0]  # LeNet-5 without its expectations
EXPECT_LINE = LENET.count("\n") + 2  # the first entry of an `expect:` added after it


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def spec(tmp_path: Path, text: str, name: str = "net.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# each key of `expect:` with a value that holds for LeNet-5 and one that does not, and the message of the failure
EXPECTATIONS = [
    pytest.param("output: [1, 1, 10]", "output: [1, 1, 12]", "expected output 1 x 1 x 12, found 1 x 1 x 10",
                 id="output"),
    pytest.param("params: 61706", "params: 61716", "expected params 61,716, found 61,706 (-10)", id="params"),
    pytest.param("trainable_params: 61706", "trainable_params: 60000",
                 "expected trainable params 60,000, found 61,706 (+1,706)", id="trainable_params"),
    pytest.param("non_trainable_params: 0", "non_trainable_params: 4",
                 "expected non trainable params 4, found 0 (-4)", id="non_trainable_params"),
    pytest.param("max_params: 70k", "max_params: 60k",
                 "max_params: at most 60,000 params, found 61,706, 48,120 of them in layer 6 (dense)",
                 id="max_params"),
    pytest.param("max_macs: 0.5M", "max_macs: 400000",
                 "max_macs: at most 400,000 MACs, found 416,520, 240,000 of them in layer 3 (conv)", id="max_macs"),
    pytest.param("receptive_field: 32", "receptive_field: [33, 32]",
                 "receptive_field: at least 33 x 32, found 32", id="receptive_field"),
]  # fmt: skip


@pytest.mark.parametrize(("holds", "fails", "message"), EXPECTATIONS)
def test_each_expectation_holds_or_fails_at_its_line(tmp_path: Path, holds: str, fails: str, message: str) -> None:
    good = spec(tmp_path, LENET + f"expect:\n  {holds}\n", "good.yaml")
    assert run(good) == (0, "1 spec checked, 0 failed\n", "")
    bad = spec(tmp_path, LENET + f"expect:\n  {fails}\n", "bad.yaml")
    column = 3 + len(fails.split(":")[0]) + 2
    assert run(bad) == (1, "1 spec checked, 1 failed\n", f"{bad}:{EXPECT_LINE}:{column}: error: {message}\n")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        pytest.param("--expect-output", "1x1x12", "layer 8 (dense): expected output 1 x 1 x 12", id="output"),
        pytest.param("--expect-params", "61,716", "layer 8 (dense): expected params 61,716", id="params"),
        pytest.param("--max-params", "60k", "layer 6 (dense): max_params: at most 60,000 params, found 61,706, "
                     "48,120 of them here", id="max-params"),
        pytest.param("--max-macs", "0.4M", "layer 3 (conv): max_macs: at most 400,000 MACs", id="max-macs"),
        pytest.param("--min-receptive-field", "64", "layer 8 (dense): receptive_field: at least 64, found 32",
                     id="min-receptive-field"),
    ],
)  # fmt: skip
def test_command_line_expectations_point_at_the_layer_at_fault(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    path = spec(tmp_path, LENET)
    code, out, err = run(path, option, value)
    assert (code, out) == (1, "1 spec checked, 1 failed\n")
    assert f": error: {message}" in err
    assert err.startswith(f"{path}:")


def test_the_command_line_wins_over_the_spec(tmp_path: Path) -> None:
    path = spec(tmp_path, LENET + "expect:\n  max_params: 10k\n")
    assert run(path)[0] == 1
    assert run(path, "--max-params", "70k")[0] == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("61706", 61706), ("61_706", 61706), ("61,706", 61706), ("70k", 70_000), ("1.2M", 1_200_000), ("3G", 3 * 10**9)],
)
def test_counts_take_suffixes(text: str, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize("bad", ["1.5", "k", "12q", "-3", "1e3"])
def test_a_bad_count_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    code, out, err = run(spec(tmp_path, LENET), "--max-params", bad)
    assert (code, out) == (2, "")
    assert "Invalid value for '--max-params'" in err


def test_an_unknown_expectation_is_an_invalid_spec(tmp_path: Path) -> None:
    path = spec(tmp_path, LENET + "expect:\n  max_param: 70k\n")
    code, _, err = run(path)
    assert code == 2
    assert "unknown expectation 'max_param' (did you mean 'max_params'?)" in err


FLOORED = "input: [224, 224, 3]\nlayers:\n  - conv: {filters: 8, kernel: 11, stride: 4}\n"


def test_warnings_fail_only_under_strict(tmp_path: Path) -> None:
    path = spec(tmp_path, FLOORED)
    code, out, err = run(path)
    assert (code, out) == (0, "1 spec checked, 0 failed\n")
    assert err.startswith(f"{path}:3:44: warning: layer 1 (conv): height and width: (224 - 11) / 4 is not whole")
    assert run(path, "--strict")[:2] == (1, "1 spec checked, 1 failed\n")


def test_quiet_prints_nothing_on_success_and_everything_on_failure(tmp_path: Path) -> None:
    assert run("-q", spec(tmp_path, LENET)) == (0, "", "")
    code, out, err = run("-q", spec(tmp_path, LENET), "--max-params", "1k")
    assert (code, out) == (1, "1 spec checked, 1 failed\n")
    assert "max_params" in err


def test_the_worst_exit_code_wins_and_every_spec_is_reported(tmp_path: Path) -> None:
    good = spec(tmp_path, LENET, "good.yaml")
    failing = spec(tmp_path, LENET + "expect:\n  params: 1\n", "failing.yaml")
    invalid = spec(tmp_path, "input: [32, 32, 3]\nlayers: [{conv: {filters: 0, kernel: 3}}]\n", "invalid.yaml")
    missing = str(tmp_path / "missing.yaml")
    assert run(good, failing)[0] == 1
    code, out, err = run(good, failing, invalid, missing)
    assert (code, out) == (2, "4 specs checked, 3 failed\n")
    assert [line.split(": ")[0] for line in err.splitlines()] == [
        f"{failing}:{EXPECT_LINE}:11",
        f"{invalid}:2:27",
        f"{missing}",  # no such file: no line to point at
    ]


def test_directories_are_searched_for_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "nested" / ".hidden").mkdir(parents=True)
    spec(tmp_path, LENET, "a.yaml")
    spec(tmp_path / "nested", LENET, "b.yml")
    spec(tmp_path / "nested" / ".hidden", "not: a spec\n", "c.yaml")
    (tmp_path / "notes.txt").write_text("not a spec")
    assert run(str(tmp_path)) == (0, "2 specs checked, 0 failed\n", "")


def test_github_annotations(tmp_path: Path) -> None:
    path = spec(tmp_path, LENET + "expect:\n  params: 1\n")
    code, out, err = run(path, "--format", "github")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"::error file={path},line={EXPECT_LINE},col=11,title=cnncalc::expected params 1, found 61,706 (+61,705)",
        "1 spec checked, 1 failed",
    ]


def test_notes_show_with_verbose(tmp_path: Path) -> None:
    path = str(ROOT / "specs" / "resnet50.yaml")
    assert run(path)[2] == ""
    code, _, err = run(path, "-v")
    assert code == 0
    assert ": note: layer 10.4.4 (conv): the receptive field (235 pixels) is as large as the 224 x 224 input" in err


TARGETS = [
    pytest.param("pytorch", "conv: {filters: 8, kernel: 3, stride: 2, padding: same}",
                 "padding='same' only at stride 1", id="pytorch-same-stride-2"),
    pytest.param("pytorch", "conv: {filters: 8, kernel: 2, padding: [0, 1, 0, 1]}",
                 "Conv2d pads both sides of an axis alike", id="pytorch-asymmetric"),
    pytest.param("pytorch", "maxpool: {size: 2, padding: same}", "MaxPool2d has no padding='same'",
                 id="pytorch-pool-same"),
    pytest.param("keras", "conv: {filters: 8, kernel: 5, padding: 1}",
                 "Conv2D takes only padding 'valid' or 'same'; put ZeroPadding2D in front", id="keras-integer"),
    pytest.param("keras", "conv: {filters: 8, kernel: 3, padding: 1}", "here padding: same gives the same zeros",
                 id="keras-integer-same"),
    pytest.param("keras", "maxpool: {size: 3, stride: 2, ceil: true}", "pooling has no ceil mode", id="keras-ceil"),
    pytest.param("keras", "conv: {filters: 8, kernel: 3, stride: 2, dilation: 2}",
                 "refuses strides above 1 together with a dilation_rate above 1", id="keras-stride-dilation"),
    # a transposed conv's `same` cuts k - s, whatever the input: 2 as (1, 1), PyTorch's own padding; 1 as (0, 1)
    pytest.param("pytorch", "convtranspose: {filters: 8, kernel: 4, stride: 2, padding: same}",
                 "ConvTranspose2d has no padding='same'; here padding=1 cuts the same", id="pytorch-transposed-same"),
    pytest.param("pytorch", "convtranspose: {filters: 8, kernel: 3, stride: 2, padding: same}",
                 "ConvTranspose2d has no padding='same', here a cut of (0, 1, 0, 1) top, bottom, left, right; give "
                 "the smaller side as padding and crop the rest with a negative nn.ZeroPad2d after",
                 id="pytorch-transposed-same-odd"),
    pytest.param("pytorch", "convtranspose: {filters: 8, kernel: 3, stride: 2, padding: [0, 1, 1, 1]}",
                 "ConvTranspose2d cuts both sides of an axis alike; give the smaller side as padding",
                 id="pytorch-transposed-asymmetric"),
    pytest.param("keras", "convtranspose: {filters: 8, kernel: 5, padding: 1}",
                 "Conv2DTranspose takes only padding 'valid' or 'same'; give padding 'valid' and put Cropping2D after",
                 id="keras-transposed-integer"),
    pytest.param("keras", "convtranspose: {filters: 8, kernel: 3, stride: 2, padding: [0, 1, 0, 1]}",
                 "Conv2DTranspose takes only padding 'valid' or 'same'; here padding: same gives the same cut",
                 id="keras-transposed-integer-same"),
    pytest.param("keras", "convtranspose: {filters: 8, kernel: 3, dilation: 2, output_padding: 1}",
                 "Conv2DTranspose takes output_padding below the stride only", id="keras-transposed-output-padding"),
    pytest.param("keras", "convtranspose: {filters: 8, kernel: 3, stride: 2, dilation: 2}",
                 "Conv2DTranspose refuses strides above 1 together with a dilation_rate above 1",
                 id="keras-transposed-stride-dilation"),
    pytest.param("keras", "convtranspose: {filters: 6, kernel: 3, groups: 3}", "Conv2DTranspose has no groups",
                 id="keras-transposed-groups"),
    pytest.param("keras", "upsample: {size: [64, 48]}",
                 "UpSampling2D takes integer factors, not a `size`: give it H / h where that is whole; Resizing's "
                 "'nearest' picks floor((o + 1/2) h / H), not floor(o h / H)", id="keras-upsample-size"),
    pytest.param("keras", "upsample: {size: [50, 50], mode: bilinear}",
                 "not a `size`: give it H / h where that is whole; else Resizing(interpolation='bilinear')",
                 id="keras-upsample-size-bilinear"),
    pytest.param("keras", "upsample: {scale: 2, mode: bilinear, align_corners: true}",
                 "UpSampling2D and Resizing have no align_corners", id="keras-upsample-align-corners"),
    pytest.param("keras", "adaptiveavgpool: {size: 7}",
                 "no adaptive pooling; AveragePooling2D with pool_size = strides = h / n gives it where n divides h",
                 id="keras-adaptiveavgpool"),
    pytest.param("keras", "adaptivemaxpool: {size: [4, 5]}", "no adaptive pooling; MaxPooling2D",
                 id="keras-adaptivemaxpool"),
]  # fmt: skip


@pytest.mark.parametrize(("target", "layer", "reason"), TARGETS)
def test_targets_say_what_cannot_be_built_as_written(tmp_path: Path, target: str, layer: str, reason: str) -> None:
    path = spec(tmp_path, f"input: [32, 32, 3]\nlayers:\n  - {layer}\n")
    assert run(path)[0] == 0
    code, _, err = run(path, "--target", target)
    assert code == 1
    assert reason in err
    other = "keras" if target == "pytorch" else "pytorch"
    assert run(path, "--target", other)[0] in (0, 1)


@pytest.mark.parametrize(
    "layer",
    [
        "convtranspose: {filters: 8, kernel: 3, stride: 2, output_padding: 1, activation: relu}",
        "upsample: {scale: [2, 3]}",
        "upsample: {scale: 2, mode: bilinear}",
        "crop: {size: [28, 30], offset: [1, 0]}",
        "crop: {sides: [1, 0, 2, 3]}",
        "adaptiveavgpool: {size: 1}",
        "adaptivemaxpool: {size: 1}",
    ],
)
@pytest.mark.parametrize("target", ["pytorch", "keras"])
def test_both_frameworks_build_these_as_written(tmp_path: Path, target: str, layer: str) -> None:
    path = spec(tmp_path, f"input: [32, 32, 3]\nlayers:\n  - {layer}\n")
    assert run(path, "--target", target) == (0, "1 spec checked, 0 failed\n", "")


@pytest.mark.parametrize("layer", ["upsample: {size: [50, 40], mode: bilinear}", "adaptiveavgpool: {size: 3}"])
def test_pytorch_builds_what_keras_does_not(tmp_path: Path, layer: str) -> None:
    path = spec(tmp_path, f"input: [32, 32, 3]\nlayers:\n  - {layer}\n")
    assert run(path, "--target", "pytorch") == (0, "1 spec checked, 0 failed\n", "")
    assert run(path, "--target", "keras")[0] == 1


def test_the_whole_input_note_speaks_of_a_transposed_conv_not_a_pool_to_one_pixel(tmp_path: Path) -> None:
    # an adaptive pool to 1 x 1 is a global pool: its field is the whole input, and the note waits for the next window
    path = spec(
        tmp_path,
        "input: [8, 8, 1]\nlayers:\n  - adaptiveavgpool: {size: 1}\n  - convtranspose: {filters: 1, kernel: 3}\n",
    )
    code, _, err = run(path, "-v")
    assert code == 0
    assert ": note: layer 2 (convtranspose): the receptive field (" in err
    assert "pixels) is as large as the 8 x 8 input from here on" in err
    assert "layer 1 (adaptiveavgpool)" not in err


def test_a_field_of_one_pixel_is_said_in_the_singular(tmp_path: Path) -> None:
    path = spec(tmp_path, "input: [1, 1, 3]\nlayers:\n  - conv: {filters: 2, kernel: 1}\n")
    code, _, err = run(path, "-v")
    assert code == 0
    assert ": note: layer 1 (conv): the receptive field (1 pixel) is as large as the 1 x 1 input from here on" in err


# -- merges: add, concat, multiply; branches or `with` -------------------------------------------------------

MERGES = """\
input: [16, 16, 8]
layers:
  - conv: {filters: 8, kernel: 3, padding: same, name: a}
  - conv: {filters: 8, kernel: 3, padding: same, name: b}
  - add: {with: [a], name: sum}
  - conv: {filters: 8, kernel: 1, from: b, name: c}
  - concat: {with: [sum, a], crop: centre}
  - conv: {filters: 8, kernel: 1}
  - multiply: {with: [c]}
  - add:
      branches:
        - []
        - - conv: {filters: 8, kernel: 1}
  - concat:
      branches:
        - - crop: {like: a}
        - - conv: {filters: 4, kernel: 3, padding: same}
"""


@pytest.mark.parametrize("target", ["pytorch", "keras"])
def test_both_frameworks_join_equal_shapes_as_written(tmp_path: Path, target: str) -> None:
    # a `crop: centre` that cuts nothing needs no Cropping2D
    assert run(spec(tmp_path, MERGES), "--target", target, "-v") == (0, "1 spec checked, 0 failed\n", "")


UNET = str(ROOT / "specs" / "unet.yaml")


def test_pytorch_cuts_the_skips_of_u_net_as_written() -> None:
    assert run(UNET, "--target", "pytorch") == (0, "1 spec checked, 0 failed\n", "")


def test_keras_cuts_each_skip_of_u_net_with_cropping2d() -> None:
    code, _, err = run(UNET, "--target", "keras")
    assert code == 1
    lines = [(line.split(": ")[0].split(":")[-2], line.split("): ", 1)[1]) for line in err.splitlines()]
    assert lines == [
        ("22", "Keras: Concatenate does not crop: cut 'enc4' (64 x 64) with Cropping2D(4) in front"),
        ("26", "Keras: Concatenate does not crop: cut 'enc3' (136 x 136) with Cropping2D(16) in front"),
        ("30", "Keras: Concatenate does not crop: cut 'enc2' (280 x 280) with Cropping2D(40) in front"),
        ("34", "Keras: Concatenate does not crop: cut 'enc1' (568 x 568) with Cropping2D(88) in front"),
    ]  # 64 - 56 = 8, 4 either side; 136 - 104 = 32; 280 - 200 = 80; 568 - 392 = 176
    assert err.splitlines()[0].startswith(f"{UNET}:22:34: error: layer 16 (concat): ")  # at `crop`


@pytest.mark.parametrize(
    ("named", "cropping"),
    [
        pytest.param("[10, 12, 2]", "(2, 3)", id="even-cuts"),  # 4 and 6 cut, half either side
        pytest.param("[9, 8, 2]", "((1, 2), (1, 1))", id="odd-cut-the-larger-half-after"),
    ],
)
@pytest.mark.parametrize("kind", ["add", "concat", "multiply"])
def test_keras_gives_the_cropping_of_a_centre_crop(tmp_path: Path, kind: str, named: str, cropping: str) -> None:
    path = spec(
        tmp_path,
        f"input: {named}\nlayers:\n  - crop: {{size: [6, 6], name: small}}\n"
        f"  - {kind}: {{with: [input], crop: centre}}\n",
    )
    assert run(path, "--target", "pytorch") == (0, "1 spec checked, 0 failed\n", "")
    merge = {"add": "Add", "concat": "Concatenate", "multiply": "Multiply"}[kind]
    size = " x ".join(named.strip("[]").split(", ")[:2])
    message = f"Keras: {merge} does not crop: cut 'input' ({size}) with Cropping2D({cropping}) in front"
    assert run(path, "--target", "keras") == (
        1, "1 spec checked, 1 failed\n", f"{path}:4:{29 + len(kind)}: error: layer 2 ({kind}): {message}\n"
    )  # fmt: skip


SQUEEZE_EXCITE = """\
input: [16, 16, 8]
layers:
  - conv: {filters: 8, kernel: 3, padding: same, name: features}
  - globalavgpool
  - dense: {units: 2, activation: relu}
  - dense: {units: 8, activation: sigmoid, name: gate}
  - multiply: {from: features, with: [gate]}
  - repeat:
      times: 2
      layers:
        - conv: {filters: 8, kernel: 1}
        - multiply: {with: [gate]}
"""
BROADCAST = (
    "Keras: Multiply broadcasts 'gate' (1 x 1 x 8) to 16 x 16 x 8: its documentation asks for inputs of one shape, "
    "but it stretches an axis of 1 as numpy does (as keras.applications' squeeze-and-excitation blocks do)"
)


def test_keras_notes_where_a_multiply_broadcasts(tmp_path: Path) -> None:
    # Keras's merge layers stretch an axis of 1 (their shape check allows it): a note, once per layer, not a failure
    path = spec(tmp_path, SQUEEZE_EXCITE)
    assert run(path, "--target", "keras") == (0, "1 spec checked, 0 failed\n", "")
    err = run(path, "--target", "keras", "-v")[2]
    notes = [line for line in err.splitlines() if "Multiply" in line]
    assert notes == [
        f"{path}:7:38: note: layer 5 (multiply): {BROADCAST}",
        f"{path}:12:28: note: layer 6.2 (multiply): {BROADCAST}",
    ]
    assert "Multiply" not in run(path, "--target", "pytorch", "-v")[2]


def test_a_broadcast_branch_is_named(tmp_path: Path) -> None:
    path = spec(
        tmp_path,
        "input: [8, 8, 4]\nlayers:\n  - multiply:\n      branches:\n        - []\n        - [globalmaxpool]\n",
    )
    err = run(path, "--target", "keras", "-v")[2]
    assert "layer 1 (multiply): Keras: Multiply broadcasts branch 2 (1 x 1 x 4) to 8 x 8 x 4: " in err


def test_a_merge_whose_rows_are_folded_is_judged_by_its_options() -> None:
    # a report too long to keep every row has none for the merges inside its blocks: their shapes are not known
    from cnncalc.check import check
    from cnncalc.engine import analyse
    from cnncalc.loader import load

    text = (
        "input: [12, 12, 3]\nlayers:\n  - conv: {filters: 4, kernel: 1, name: skip}\n  - repeat:\n      times: 2\n"
        "      layers:\n        - conv: {filters: 4, kernel: 3}\n        - concat: {with: [skip], crop: centre}\n"
    )
    spec_ = load(text)
    found = [d for d in check(spec_, analyse(spec_, depth=0), [], "keras") if d.severity != "note"]
    assert [(d.layer, d.message) for d in found] == [
        ("2.2", "Keras: Concatenate does not crop: cut each larger input with Cropping2D in front")
    ]
    every_row = [d for d in check(spec_, analyse(spec_), [], "keras") if d.severity == "error"]
    assert [(d.layer, d.message) for d in every_row] == [
        ("2.2", "Keras: Concatenate does not crop: cut 'skip' (12 x 12) with Cropping2D(1) in front"),
        ("2.4", "Keras: Concatenate does not crop: cut 'skip' (12 x 12) with Cropping2D(2) in front"),
    ]


@pytest.mark.parametrize("name", ["lenet5", "vgg16", "resnet50", "alexnet"])
def test_the_shipped_torchvision_style_specs_build_in_pytorch(name: str) -> None:
    assert run(str(ROOT / "specs" / f"{name}.yaml"), "--target", "pytorch")[0] == 0


def test_pre_commit_hook_runs_check() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "cnncalc-check"
    assert hook["entry"] == "cnncalc check"
    assert hook["language"] == "python"


MAKEFILE = """\
check-good:
\tcnncalc check -q good.yaml

check-bad:
\tcnncalc check bad.yaml
"""


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("cnncalc") is None, reason="needs make and cnncalc")
def test_a_makefile_fails_where_a_spec_stops_adding_up(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(MAKEFILE)
    spec(tmp_path, LENET + "expect:\n  params: 61706\n", "good.yaml")
    spec(tmp_path, LENET + "expect:\n  params: 61700\n", "bad.yaml")
    good = subprocess.run(["make", "-s", "check-good"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (good.returncode, good.stdout, good.stderr) == (0, "", "")
    bad = subprocess.run(["make", "check-bad"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2  # make's own status when a recipe fails
    assert f"bad.yaml:{EXPECT_LINE}:11: error: expected params 61,700, found 61,706 (+6)" in bad.stderr
    assert "Error 1" in bad.stderr  # cnncalc's exit status, as make reports it


# -- what a path gives: folders with FIFOs, unreadable and empty folders, - twice ------------------------------


def test_a_fifo_in_a_folder_is_no_spec_and_never_read(tmp_path: Path) -> None:
    # reading it would wait for ever for a writer
    spec(tmp_path, LENET, "good.yaml")
    os.mkfifo(tmp_path / "pipe.yaml")
    assert run(str(tmp_path)) == (0, "1 spec checked, 0 failed\n", "")


def test_a_fifo_named_is_read(tmp_path: Path) -> None:
    # named on the command line, it is what the user asked for (process substitution, `<(...)`, is a pipe)
    fifo = tmp_path / "piped.yaml"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat '{ROOT / 'specs' / 'lenet5.yaml'}' > '{fifo}'"])
    assert run(str(fifo))[0] == 0
    writer.wait()


def test_a_folder_with_no_spec_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no spec here")
    folder = str(tmp_path / "empty")
    assert run(folder) == (
        2, "1 spec checked, 1 failed\n", f"{folder}: error: no spec files (*.yaml, *.yml) in this folder\n"
    )  # fmt: skip


def test_an_unreadable_folder_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # what a folder without the read permission gives to any user but root (the tests may run as root)
    spec(tmp_path, LENET, "good.yaml")
    locked = tmp_path / "locked"
    locked.mkdir()
    spec(locked, "input: [8, 8, 3]\nlayers: []\n", "broken.yaml")
    scandir = os.scandir

    def refusing(path: Any = ".") -> Any:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    assert run(str(tmp_path)) == (
        2, "2 specs checked, 1 failed\n", f"{locked}: error: cannot read this folder: Permission denied\n"
    )  # fmt: skip


def test_standard_input_named_twice_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["check", "-", "-"], input="input: [8, 8, 3]\nlayers: [relu]\n")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "standard input (-) is named more than once: it can be read once" in result.stderr


@pytest.mark.parametrize("output_format", ["text", "github"])
def test_a_file_name_that_would_break_a_line_is_escaped(tmp_path: Path, output_format: str) -> None:
    # a name with a line feed once printed a line of its own: here, a GitHub workflow command
    name = "net\n::error file=evil.yaml,line=1::pwned.yaml"
    path = spec(tmp_path, LENET + "expect:\n  params: 1\n", name)
    code, stdout, stderr = run(path, "--format", output_format)
    assert code == 1
    printed = stdout if output_format == "github" else stderr
    assert not any(line.startswith("::error file=evil") for line in printed.splitlines())
    assert len(printed.splitlines()) == (2 if output_format == "github" else 1)  # and the line feed as `\n`
    assert "net\\n" in printed


# -- counts are no sizes; tensors past int64 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "message"),
    [
        pytest.param("max_macs: 20000000000", None, id="20-G-MACs-as-a-number"),
        pytest.param("max_macs: 20G", None, id="20-G-MACs-as-text"),
        pytest.param("max_params: 2147483648", None, id="past-int32"),
        pytest.param("max_macs: 1", "max_macs: at most 1 MACs, found 416,520", id="a-count-that-fails"),
        pytest.param("max_macs: -1", "expect max_macs must be an integer >= 0, got -1", id="negative"),
    ],
)
def test_a_count_in_a_spec_is_not_bounded_as_a_size(tmp_path: Path, written: str, message: str | None) -> None:
    code, _, stderr = run(spec(tmp_path, LENET + f"expect:\n  {written}\n"))
    assert (code, stderr) == (0, "") if message is None else message in stderr


BEYOND_INT64 = "input: [2147483647, 2147483647, 2147483647]\nlayers:\n  - flatten\n  - dense: {units: 10}\n"


@pytest.mark.parametrize("target", ["pytorch", "keras"])
def test_a_tensor_past_int64_cannot_be_built(tmp_path: Path, target: str) -> None:
    # every size within 2,147,483,647, their products past 2**63 - 1: no framework makes such a tensor
    path = spec(tmp_path, BEYOND_INT64)
    assert run(path)[0] == 0  # cnncalc computes it, exactly
    code, _, stderr = run(path, "--target", target)
    framework = {"pytorch": "PyTorch", "keras": "Keras"}[target]
    held = "is more than a tensor holds (9,223,372,036,854,775,807)"
    assert code == 1
    assert stderr.splitlines() == [
        f"{path}:1:8: error: {framework}: the input of {2147483647**3:,} elements {held}",
        f"{path}:3:5: error: layer 1 (flatten): {framework}: its output of {2147483647**3:,} elements {held}",
        f"{path}:4:5: error: layer 2 (dense): {framework}: its weights, {10 * 2147483647**3:,} of them, are {held[3:]}",
    ]


# -- batchnorm's statistics: counted in `params` (as Keras does), left out of PyTorch's parameters() ------------

# 4 (3 * 3 * 3 + 1) = 112 for the conv; the batchnorm learns 2 * 4 = 8 (gamma, beta) and keeps 2 * 4 = 8 statistics
NORMED = "input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n  - batchnorm\n"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        pytest.param(
            "expect:\n  params: 120\n",
            "expected params 120, found 128 (+8): 120 trainable + 8 batchnorm statistics, which PyTorch keeps as "
            "buffers, not parameters: for its count, expect trainable_params: 120",
            id="pytorch-count-as-params",
        ),
        pytest.param(
            "expect:\n  trainable_params: 128\n",
            "expected trainable params 128, found 120 (-8): 128 counts the 8 batchnorm statistics too, as Keras's "
            "total does: for that, expect params: 128",
            id="keras-total-as-trainable",
        ),
        pytest.param("expect:\n  params: 121\n", "expected params 121, found 128 (+7)\n", id="a-miss-by-another-count"),
    ],
)
def test_a_miss_by_the_batchnorm_statistics_names_the_right_key(tmp_path: Path, given: str, message: str) -> None:
    path = spec(tmp_path, NORMED + given)
    code, out, err = run(path)
    assert (code, out) == (1, "1 spec checked, 1 failed\n")
    assert f"{path}:6:" in err
    assert f": error: {message}" in err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        pytest.param("--expect-params", "120", "expected params 120, found 128 (+8): 120 trainable + 8 batchnorm "
                     "statistics, which PyTorch keeps as buffers, not parameters: for its count, give "
                     "--expect-trainable-params 120", id="pytorch-count-as-params"),
        pytest.param("--expect-trainable-params", "128", "expected trainable params 128, found 120 (-8): 128 counts "
                     "the 8 batchnorm statistics too, as Keras's total does: for that, give --expect-params 128",
                     id="keras-total-as-trainable"),
    ],
)  # fmt: skip
def test_on_the_command_line_the_message_names_the_flag(tmp_path: Path, option: str, value: str, message: str) -> None:
    path = spec(tmp_path, NORMED)
    assert run(path, option, value) == (
        1, "1 spec checked, 1 failed\n", f"{path}:4:5: error: layer 2 (batchnorm): {message}\n"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("option", "holds", "fails", "message"),
    [
        pytest.param("--expect-trainable-params", "120", "121", "expected trainable params 121, found 120 (-1)",
                     id="trainable"),
        pytest.param("--expect-non-trainable-params", "8", "0", "expected non trainable params 0, found 8 (+8)",
                     id="non-trainable"),
    ],
)  # fmt: skip
def test_every_expect_key_has_a_flag(tmp_path: Path, option: str, holds: str, fails: str, message: str) -> None:
    path = spec(tmp_path, NORMED)
    assert run(path, option, holds) == (0, "1 spec checked, 0 failed\n", "")
    assert run(path, option, fails) == (
        1, "1 spec checked, 1 failed\n", f"{path}:4:5: error: layer 2 (batchnorm): {message}\n"
    )  # fmt: skip


def test_resnet18_checks_against_pytorchs_count() -> None:
    # torchinfo and sum(p.numel() for p in model.parameters()) say 11,689,512; batchnorm's buffers hold 9,600 more
    resnet18 = str(ROOT / "specs" / "resnet18.yaml")
    assert run(resnet18, "--expect-trainable-params", "11689512") == (0, "1 spec checked, 0 failed\n", "")
    code, _, err = run(resnet18, "--expect-params", "11689512")
    assert code == 1
    assert err.endswith(
        "expected params 11,689,512, found 11,699,112 (+9,600): 11,689,512 trainable + 9,600 batchnorm statistics, "
        "which PyTorch keeps as buffers, not parameters: for its count, give --expect-trainable-params 11689512\n"
    )
