"""What a newcomer writes first: sizes channels first, another framework's words, one query's option names in
another, a spec in capitals, a file that is not there, a spec piped in without `-`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli
from cnncalc.diagnostics import Diagnostic
from cnncalc.loader import load
from cnncalc.spec import Location, Volume

ROOT = Path(__file__).resolve().parent.parent
LENET = str(ROOT / "specs" / "lenet5.yaml")
HEAD = "input: [32, 32, 3]\nlayers:\n"


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def spec_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "net.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- sizes written channels first, as PyTorch writes a tensor ---------------------------------------------


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        pytest.param((3, 224, 224), (224, 224, 3), id="rgb-image"),
        pytest.param((1, 28, 28), (28, 28, 1), id="mnist"),
        pytest.param((4, 64, 64), (64, 64, 4), id="rgba"),
        pytest.param((1, 16000), (16000, 1), id="1-d-signal"),
        pytest.param((3, 16, 112, 112), (16, 112, 112, 3), id="3-d-clip"),
    ],
)
def test_channels_first_sizes_read_channels_last(written: tuple[int, ...], meant: tuple[int, ...]) -> None:
    assert Volume(*written).channels_last() == Volume(*meant)


@pytest.mark.parametrize(
    "written",
    [
        pytest.param((224, 224, 3), id="channels-last"),
        pytest.param((1, 1, 512), id="a-vector"),
        pytest.param((4, 4, 512), id="a-small-map-of-many-channels"),
        pytest.param((3, 224, 15), id="last-below-16"),
        pytest.param((3, 8, 224), id="middle-below-16"),
        pytest.param((2, 224, 224), id="first-not-1-3-or-4"),
    ],
)
def test_sizes_that_do_not_look_channels_first(written: tuple[int, ...]) -> None:
    assert Volume(*written).channels_last() is None


def test_a_query_on_a_channels_first_volume_warns_and_still_computes() -> None:
    code, out, err = run("conv", "3x224x224", "-k", "64", "-f", "7", "-s", "2", "-p", "3", "--format", "json")
    assert code == 0
    # computed as written: (3 + 3 + 3 - 7) / 2 + 1 = 2 rows, (224 + 3 + 3 - 7) / 2 + 1 = 112 columns
    assert json.loads(out)["output"] == [2, 112, 64]
    assert err == "warning: 3x224x224 looks channels-first; did you mean 224x224x3? cnncalc sizes are h x w x c\n"


def test_a_query_on_a_channels_last_volume_says_nothing_more() -> None:
    code, _, err = run("conv", "224x224x3", "-k", "64", "-f", "7", "-s", "2", "-p", "3", "--format", "json")
    assert (code, err) == (0, "")


def test_an_input_on_the_command_line_warns_too() -> None:
    code, _, err = run("summary", LENET, "--input", "1x32x32", "--format", "json")
    assert code == 2  # a 1-row map is too small for LeNet-5's 5 x 5 filters: the error follows the warning
    assert err.startswith("warning: 1x32x32 looks channels-first; did you mean 32x32x1? cnncalc sizes are h x w x c\n")


def test_a_specs_channels_first_input_is_a_located_warning(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "input: [3, 224, 224]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n")
    code, out, _ = run("summary", spec, "--format", "json")
    assert code == 0
    assert json.loads(out)["warnings"] == [
        {"severity": "warning", "code": "input", "layer": None, "kind": None, "line": 1, "column": 8,
         "message": "input [3, 224, 224] looks channels-first; did you mean [224, 224, 3]? cnncalc sizes are h x w x c"}
    ]  # fmt: skip
    found = load("input: [3, 224, 224]\nlayers: [flatten]\n").warnings
    assert [(d.loc, d.severity) for d in found] == [(Location(1, 8), "warning")]


def test_an_input_given_instead_of_the_specs_is_the_one_judged(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "input: [3, 224, 224]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n")
    code, out, err = run("summary", spec, "--input", "224x224x3", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["warnings"] == []


# -- another framework's words ------------------------------------------------------------------------------


def loader_errors(text: str) -> list[str]:
    from cnncalc.diagnostics import SpecError

    with pytest.raises(SpecError) as failed:
        load(text)
    return [d.subject for d in failed.value.diagnostics]


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        pytest.param("linear: {units: 10}", "unknown layer kind 'linear': cnncalc calls it `dense`", id="linear"),
        pytest.param("Conv2d: {filters: 8, kernel: 3}", "unknown layer kind 'Conv2d': cnncalc calls it `conv`",
                     id="Conv2d"),
        pytest.param("BatchNorm2d", "unknown layer kind 'BatchNorm2d': cnncalc calls it `batchnorm`", id="BatchNorm2d"),
        pytest.param("nn.MaxPool2d: {size: 2}", "unknown layer kind 'nn.MaxPool2d': cnncalc calls it `maxpool`",
                     id="nn.MaxPool2d"),
        pytest.param("Conv2DTranspose: {filters: 8, kernel: 2}",
                     "unknown layer kind 'Conv2DTranspose': cnncalc calls it `convtranspose`", id="keras-transpose"),
        pytest.param("GlobalAveragePooling2D", "cnncalc calls it `globalavgpool`", id="keras-global-pool"),
        pytest.param("ReLU", "unknown layer kind 'ReLU': cnncalc calls it `relu`", id="ReLU"),
        pytest.param("maxpol: {size: 2}", "unknown layer kind 'maxpol' (did you mean 'maxpool'?)", id="a-typo"),
        pytest.param("maxpool: {kernel: 2}", "unknown option 'kernel': cnncalc calls it `size`", id="pool-kernel"),
        pytest.param("maxpool: {kernel_size: 2}", "unknown option 'kernel_size': cnncalc calls it `size`",
                     id="pool-kernel_size"),
        pytest.param("conv: {out_channels: 8, kernel: 3}", "unknown option 'out_channels': cnncalc calls it `filters`",
                     id="out_channels"),
        pytest.param("conv: {filters: 8, kernel_size: 3}", "unknown option 'kernel_size': cnncalc calls it `kernel`",
                     id="conv-kernel_size"),
        pytest.param("conv: {filters: 8, size: 3}", "unknown option 'size': cnncalc calls it `kernel`", id="conv-size"),
        pytest.param("conv: {filters: 8, kernel: 3, strides: 2}", "unknown option 'strides': cnncalc calls it `stride`",
                     id="keras-strides"),
        pytest.param("dense: {out_features: 10}", "unknown option 'out_features': cnncalc calls it `units`",
                     id="out_features"),
        pytest.param("conv: {filters: 8, kernel: 3, in_channels: 3}",
                     "unknown option 'in_channels': not needed: cnncalc takes the channels from the input",
                     id="in_channels"),
        pytest.param("conv: {filters: 8, kernel: 3, padding_mode: reflect}",
                     "unknown option 'padding_mode': not needed: what the padding holds changes no size or count",
                     id="padding_mode"),
        pytest.param("conv: {filters: 8, kernel: 3, strdie: 2}", "unknown option 'strdie' (did you mean 'stride'?)",
                     id="an-option-typo"),
    ],
)  # fmt: skip
def test_another_frameworks_word_is_answered_with_cnncalcs(layer: str, message: str) -> None:
    found = loader_errors(f"{HEAD}  - {layer}\n")
    assert any(message in subject for subject in found), found


def test_a_window_word_is_not_put_where_it_means_something_else() -> None:
    # an adaptive pool's `size` is its output, not a window: `kernel` gets no hint there
    found = loader_errors(f"{HEAD}  - adaptiveavgpool: {{kernel: 2}}\n")
    assert found == ["layer 1 (adaptiveavgpool): unknown option 'kernel'; adaptiveavgpool takes: size"]


def test_a_mistyped_command_gets_the_nearest() -> None:
    code, out, err = run("sumary", LENET)
    assert (code, out) == (2, "")
    assert err.endswith("Error: No such command 'sumary'. Did you mean 'summary'?\n"), err


def test_a_command_like_no_other_gets_no_guess() -> None:
    code, _, err = run("frobnicate", LENET)
    assert code == 2
    assert err.endswith("Error: No such command 'frobnicate'.\n"), err


# -- one vocabulary and one case rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "window",
    [pytest.param(["-f", "2"], id="-f"), pytest.param(["--kernel", "2"], id="--kernel"),
     pytest.param(["--size", "2"], id="--size-as-before")],
)  # fmt: skip
def test_every_window_is_f_or_kernel(window: list[str]) -> None:
    code, out, err = run("pool", "4x4x6", *window, "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["output"] == [2, 2, 6]  # (4 - 2) / 2 + 1 = 2


def test_a_pools_window_given_per_axis_wrongly_names_its_flag() -> None:
    code, out, err = run("pool", "4x4x6", "-f", "2x2x2")
    assert (code, out) == (2, "")
    assert "Invalid value for '-f' / '--kernel': '2x2x2': the 4 x 4 x 6 volume has 2 spatial axes" in err


@pytest.mark.parametrize(
    ("args", "key", "expected"),
    [
        pytest.param(["conv", "32x32x3", "-k", "8", "-f", "3", "-p", "SAME"], "output", [32, 32, 8], id="padding"),
        pytest.param(["pool", "4x4x6", "-f", "2", "--kind", "AVG"], "kind", "avgpool", id="pool-kind"),
        pytest.param(["upsample", "4x4x3", "--scale", "2", "--mode", "Bilinear"], "output", [8, 8, 3], id="mode"),
    ],
)
def test_choices_are_taken_in_any_case(args: list[str], key: str, expected: object) -> None:
    code, out, err = run(*args, "--format", "JSON")
    assert (code, err) == (0, "")
    assert json.loads(out)[key] == expected


def test_summary_takes_its_format_in_capitals() -> None:
    code, out, err = run("summary", LENET, "--format", "JSON")
    assert (code, err) == (0, "")
    assert json.loads(out)["totals"]["params"] == 61_706


@pytest.mark.parametrize(
    ("options", "field", "expected"),
    [
        pytest.param("conv: {filters: 8, kernel: 3, padding: SAME}", "padding", "same", id="SAME"),
        pytest.param("conv: {filters: 8, kernel: 3, padding: Valid}", "padding", "valid", id="Valid"),
        pytest.param("conv: {filters: 8, kernel: 3, activation: ReLU}", "activation", "relu", id="ReLU"),
        pytest.param("upsample: {scale: 2, mode: Bilinear}", "mode", "bilinear", id="Bilinear"),
    ],
)
def test_a_specs_words_are_read_in_any_case(options: str, field: str, expected: str) -> None:
    layer = load(f"{HEAD}  - {options}\n").layers[0]
    assert getattr(layer, field) == expected


@pytest.mark.parametrize(
    ("size", "message"),
    [
        pytest.param("32x32", "'32x32' is a size per axis: SIZE is one side of the input, a whole number such as 32",
                     id="square"),
        pytest.param("32x24", "'32x24' is a size per axis", id="per-axis"),
        pytest.param("many", "'many' is not a whole number", id="words"),
    ],
)  # fmt: skip
def test_pad_says_what_its_size_is(size: str, message: str) -> None:
    code, out, err = run("pad", size, "-f", "3")
    assert (code, out) == (2, "")
    assert f"Error: Invalid value for 'SIZE': {message}" in err, err


# -- files without a place, and a spec piped in -------------------------------------------------------------


def test_a_missing_file_has_no_line_or_column(tmp_path: Path) -> None:
    missing = str(tmp_path / "nonexist.yaml")
    code, out, err = run("summary", missing)
    assert (code, out, err) == (2, "", f"{missing}: error: no such file\n")


def test_a_directory_has_no_line_or_column(tmp_path: Path) -> None:
    code, out, err = run("rf", str(tmp_path))
    assert (code, out, err) == (2, "", f"{tmp_path}: error: is a directory, not a spec file\n")


def test_a_diagnostic_without_a_place_names_the_file_alone() -> None:
    placed = Diagnostic("error", "spec", "stride must be a positive integer, got 0", Location(5, 43), "3", "conv")
    unplaced = Diagnostic("error", "read", "no such file")
    assert placed.format("net.yaml") == "net.yaml:5:43: error: layer 3 (conv): stride must be a positive integer, got 0"
    assert unplaced.format("net.yaml") == "net.yaml: error: no such file"
    assert unplaced.annotation("net.yaml") == "::error file=net.yaml,title=cnncalc::no such file"


SPEC = HEAD + "  - conv: {filters: 16, kernel: 3}\n  - flatten\n  - dense: {units: 10}\n"


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["summary", "--format", "json"], id="summary"),
        pytest.param(["rf", "--format", "json"], id="rf"),
        pytest.param(["check"], id="check"),
        pytest.param(["convert", "--to", "conv"], id="convert"),
        pytest.param(["export", "--to", "pytorch"], id="export"),
        pytest.param(["draw"], id="draw"),
    ],
)
def test_a_piped_spec_needs_no_dash(command: list[str]) -> None:
    code, out, err = run(*command, input=SPEC)
    assert (code, err) == (0, "")
    assert out


def test_a_piped_spec_reads_as_with_a_dash() -> None:
    assert run("summary", "--format", "json", input=SPEC) == run("summary", "-", "--format", "json", input=SPEC)


def test_nothing_piped_and_nothing_named_says_so() -> None:
    code, out, err = run("summary", input="")
    assert (code, out, err) == (2, "", "<stdin>: error: nothing on standard input: name a SPEC file, or pipe one in\n")


def test_on_a_terminal_a_spec_must_still_be_named() -> None:
    # standard input a terminal: nothing is piped, and nothing is waited for
    import os
    import shutil
    import subprocess

    script = shutil.which("cnncalc")
    assert script, "the cnncalc console script is not installed: pip install -e ."
    controller, terminal = os.openpty()
    try:
        done = subprocess.run([script, "summary"], stdin=terminal, capture_output=True, text=True, timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith("Error: Missing argument 'SPEC'.\n"), done.stderr


def test_an_onnx_models_errors_have_no_line_or_column(tmp_path: Path) -> None:
    # without the onnx package, or with it on bytes that are no model: either way nothing in the file to point at
    model = tmp_path / "model.onnx"
    model.write_bytes(b"not a model")
    code, out, err = run("summary", str(model))
    assert (code, out) == (2, "")
    assert err.startswith(f"{model}: error: "), err


def test_a_dense_layer_flattens_first_so_the_order_of_its_sizes_is_no_matter() -> None:
    # 3 * 224 * 224 inputs whichever way they are written: 150,528 * 10 + 10 parameters
    code, out, err = run("dense", "3x224x224", "--units", "10", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["params"] == 150_528 * 10 + 10
