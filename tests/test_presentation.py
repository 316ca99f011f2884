"""The tables as a reader meets them: totals that do not depend on folding, MACs labelled per sample, a key to
every shorthand shown, and tables that fit the terminal they are printed on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

# as a pipe or a file: no terminal, whatever the shell running the tests has set
PIPE = {"COLUMNS": "100", "TERM": "dumb", "TTY_COMPATIBLE": "0", "FORCE_COLOR": None, "NO_COLOR": None}


def terminal(columns: int) -> dict[str, str | None]:
    """A terminal of that many columns (rich reads these; a dumb terminal would be taken as 80 wide)."""
    return {**PIPE, "COLUMNS": str(columns), "TTY_COMPATIBLE": "1", "TERM": "xterm", "NO_COLOR": "1"}


STYLES = re.compile(r"\x1b\[[0-9;]*m")


def run(*args: str, env: dict[str, str | None] = PIPE) -> tuple[int, str, str]:
    """The exit code, standard output (its styles, bold or dim on a terminal, left out) and standard error."""
    result = CliRunner().invoke(cli, list(args), env=env)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, STYLES.sub("", result.stdout), result.stderr


def spec(name: str) -> str:
    return str(SPECS / f"{name}.yaml")


def closing(out: str, start: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(start)]


# --- `--view fc`: totals over every conv, whatever is folded ---


@pytest.mark.parametrize(
    ("name", "convolutions"),
    [
        pytest.param(
            "vgg16",
            "convolutions: 14,714,688 params for 15,346,630,656 connections; dense layers joining the same volumes "
            "would need 16,707,012,704,256 params",
            id="vgg16",
        ),
        pytest.param(
            "resnet18",
            "convolutions: 11,166,912 params for 1,813,561,344 connections; dense layers joining the same volumes "
            "would need 374,500,091,392 params",
            id="resnet18",
        ),
    ],
)
@pytest.mark.parametrize("depth", [[], ["--depth", "0"], ["--depth", "1"]], ids=["unfolded", "depth-0", "depth-1"])
@pytest.mark.parametrize("output_format", ["table", "markdown"])
def test_the_fc_view_counts_every_conv_at_any_depth(
    name: str, convolutions: str, depth: list[str], output_format: str
) -> None:
    code, out, err = run("summary", spec(name), "--view", "fc", *depth, "--format", output_format)
    assert (code, err) == (0, "")
    bullet = "- " if output_format == "markdown" else ""
    assert closing(out, f"{bullet}convolutions: ") == [bullet + convolutions]
    assert "nothing to set beside dense layers" not in out


def test_the_fc_view_of_a_network_without_convs_still_says_so(tmp_path: Path) -> None:
    path = tmp_path / "mlp.yaml"
    path.write_text("input: [1, 1, 8]\nlayers:\n  - repeat: {times: 2, layers: [dense: {units: 4}]}\n")
    code, out, err = run("summary", str(path), "--view", "fc", "--depth", "0")
    assert (code, err) == (0, "")
    assert closing(out, "no convolutions") == ["no convolutions: nothing to set beside dense layers"]


@pytest.mark.parametrize("output_format", ["table", "markdown"])
def test_the_fc_view_has_no_key_for_columns_it_does_not_show(output_format: str) -> None:
    code, out, err = run("summary", spec("lenet5"), "--view", "fc", "--format", output_format)
    assert (code, err) == (0, "")
    assert "RF, jump, P" not in out
    assert "config: " not in out
    code, out, err = run("summary", spec("lenet5"), "--format", output_format)
    assert "RF, jump, P: receptive field, jump and effective padding in input pixels" in out


# --- MACs are per sample; --batch says what a batch costs ---


@pytest.mark.parametrize("output_format", ["table", "markdown"])
@pytest.mark.parametrize(
    ("batch", "macs"),
    [
        pytest.param("1", "MACs per sample: 416,520 (FLOPs = 2 x MACs = 833,040)", id="batch-1"),
        pytest.param(
            "32",
            "MACs per sample: 416,520 (FLOPs = 2 x MACs = 833,040); batch of 32: 32 x 416,520 = 13,328,640 MACs",
            id="batch-32",
        ),
    ],
)
def test_macs_are_labelled_per_sample_and_a_batch_is_counted_apart(batch: str, macs: str, output_format: str) -> None:
    code, out, err = run("summary", spec("lenet5"), "--batch", batch, "--format", output_format)
    assert (code, err) == (0, "")
    bullet = "- " if output_format == "markdown" else ""
    assert closing(out, f"{bullet}MACs") == [bullet + macs]
    # memory is the batch's, as before
    assert f"(batch {batch}: input and every layer output)" in out


# --- a key to the config column's shorthand, and rf's columns ---


@pytest.mark.parametrize(
    ("name", "args", "key"),
    [
        pytest.param(
            "lenet5", [], "config: 6 5x5 = 6 filters of 5 x 5; 2x2 = windows of 2 x 2; /2 = stride 2", id="lenet5"
        ),
        pytest.param(
            "resnet18",
            ["--depth", "0"],
            "config: 64 7x7 = 64 filters of 7 x 7; 3x3 = windows of 3 x 3; /2 = stride 2; "
            "pad 3 = 3 zeros added on every side; x2 = a repeat's layers, 2 times over",
            id="resnet18-depth-0",
        ),
        pytest.param(
            "mobilenet_v1",
            ["--depth", "0"],
            "config: 32 3x3 = 32 filters of 3 x 3; /2 = stride 2; same(0,1,0,1) = the padding SAME asks for "
            "(output = input / stride, rounded up): top 0, bottom 1, left 0, right 1; pad(0,1,0,1) = zeros added: "
            "top 0, bottom 1, left 0, right 1; x5 = a repeat's layers, 5 times over",
            id="mobilenet-same",
        ),
        pytest.param(
            "fcn8s",
            ["--depth", "0"],
            "config: 64 3x3 = 64 filters of 3 x 3; 2x2 = windows of 2 x 2; /2 = stride 2; pad 100 = 100 zeros "
            "added on every side; ceil = a last partial window counts (rounded up)",
            id="fcn8s-ceil",
        ),
    ],
)
def test_the_config_column_has_a_key_to_the_shorthand_it_uses(name: str, args: list[str], key: str) -> None:
    code, out, err = run("summary", spec(name), *args)
    assert (code, err) == (0, "")
    assert closing(out, "config: ") == [key]


def test_a_key_to_dilation_up_sampling_and_transposed_convs(tmp_path: Path) -> None:
    path = tmp_path / "dilated.yaml"
    path.write_text(
        "input: [16, 16, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3, dilation: 2}\n  - upsample: {scale: 2}\n"
        "  - conv: {filters: 4, kernel: 1, padding: same}\n  - convtranspose: {filters: 2, kernel: 3, stride: 2, "
        "padding: 1, output_padding: 1}\n"
    )
    code, out, err = run("summary", str(path))
    assert (code, err) == (0, "")
    assert closing(out, "config: ") == [
        "config: 4 3x3 = 4 filters of 3 x 3; /2 = stride 2; same = SAME, which needs no padding here; "
        "pad 1 = 1 cut from every side of the output; out+1 = output padding: 1 added after the last position "
        "along each axis; dil 2 = dilation 2: the window's taps 2 apart; "
        "x2 = up-sampled, 2 times as many positions along each axis"
    ]


def test_rf_marks_a_field_as_large_as_the_input_and_keys_its_columns() -> None:
    code, out, err = run("rf", spec("lenet5"))
    assert (code, err) == (0, "")
    rows = [line.split("│") for line in out.splitlines() if "│" in line]
    assert [row[2].strip() for row in rows[-3:]] == ["32*", "32*", "32*"]  # as summary's RF column shows them
    assert out.splitlines()[-1] == (
        "r, jump, P in input pixels; the first output sees input pixels -P to -P + r - 1; padding lies outside "
        "0..h-1; in padding: how many of those pixels are padding, before + after; *: a field as large as the input"
    )


# --- tables that fit the terminal ---

NUMBER = re.compile(r"\d[\d,./]*\d|\d")


def numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text))


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["summary", spec("lenet5")], id="lenet5"),
        pytest.param(["summary", spec("resnet18"), "--depth", "0"], id="resnet18-depth-0"),
        pytest.param(["summary", spec("resnet18"), "--depth", "1", "--batch", "8"], id="resnet18-depth-1"),
        pytest.param(["summary", spec("mobilenet_v1")], id="mobilenet_v1"),
        pytest.param(["summary", spec("resnet18"), "--view", "fc"], id="resnet18-fc"),
        pytest.param(["rf", spec("resnet18"), "--depth", "1"], id="rf-resnet18"),
        pytest.param(["rf", spec("unet")], id="rf-unet"),
        pytest.param(["examples"], id="examples"),
    ],
)
def test_a_table_fits_the_terminal_and_no_number_is_split(args: list[str], columns: int) -> None:
    code, piped, err = run(*args)
    assert (code, err) == (0, "")
    code, out, err = run(*args, env=terminal(columns))
    assert (code, err) == (0, "")
    assert max(len(line) for line in out.splitlines()) <= columns
    # every number printed is one the full table prints whole: none broken across two lines
    assert numbers(out) <= numbers(piped) | {str(columns)}  # and the width, in the line naming what is left out
    assert out != piped


@pytest.mark.parametrize(
    ("args", "columns", "dropped"),
    [
        pytest.param(
            ["summary", spec("lenet5")],
            60,
            "P, jump, # left out to fit 60 columns: a wider terminal, --format markdown or a pipe shows every column",
            id="lenet5-60",
        ),
        pytest.param(
            ["summary", spec("resnet18"), "--depth", "0"],
            80,
            "P, jump left out to fit 80 columns: a wider terminal, --format markdown or a pipe shows every column",
            id="resnet18-80",
        ),
        pytest.param(
            ["rf", spec("resnet18"), "--depth", "0"],
            60,
            "centre, in padding left out to fit 60 columns: a wider terminal, --format json or a pipe shows every "
            "column",
            id="rf-60",
        ),
        pytest.param(
            ["examples"],
            80,
            "trainable left out to fit 80 columns: a wider terminal, --format json or a pipe shows every column",
            id="examples-80",
        ),
    ],
)
def test_the_columns_left_out_are_named_under_the_table(args: list[str], columns: int, dropped: str) -> None:
    code, out, err = run(*args, env=terminal(columns))
    assert (code, err) == (0, "")
    # the line may wrap at a space, never inside a word
    assert dropped in " ".join(out.split())


def test_the_key_names_only_the_columns_shown() -> None:
    code, out, err = run("summary", spec("lenet5"), env=terminal(60))
    assert (code, err) == (0, "")
    assert "P:" not in out and "effective padding" not in out
    code, out, err = run("summary", spec("lenet5"), env=terminal(200))
    assert (code, err) == (0, "")
    assert "RF, jump, P: receptive field, jump and effective padding" in out
    assert "left out" not in out


def test_a_piped_table_keeps_every_column_at_its_natural_width() -> None:
    code, out, err = run("summary", spec("resnet18"), "--depth", "0", env={**PIPE, "COLUMNS": "60"})
    assert (code, err) == (0, "")
    header = next(line for line in out.splitlines() if line.startswith("#"))
    assert [cell.strip() for cell in header.split("┃")] == [
        "#", "layer", "config", "output", "params", "MACs", "RF", "jump", "P",
    ]  # fmt: skip
    assert max(len(line) for line in out.splitlines()) > 100


def test_the_fc_view_of_a_spec_too_long_to_compute_row_by_row_says_what_it_counts(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(
        "input: [4, 4, 2]\nlayers:\n  - conv: {filters: 2, kernel: 1}\n"
        "  - repeat: {times: 10001, layers: [conv: {filters: 2, kernel: 1}]}\n"
    )
    code, out, err = run("summary", str(path), "--view", "fc")
    folded = "every block is folded into its row (--depth N to choose)"
    assert code == 0 and folded in out and folded in err  # piped: the note on standard error too
    # the first conv's alone: 2 (1 1 2) + 2 params, 4 4 2 outputs reading 1 1 2 inputs each;
    # dense, (4 4 2)(4 4 2) + 4 4 2
    assert closing(out, "convolutions") == [
        "convolutions of the rows shown (not those inside folded blocks): 6 params for 64 connections; dense "
        "layers joining the same volumes would need 1,056 params"
    ]


def test_a_key_to_padding_that_adds_cuts_and_takes(tmp_path: Path) -> None:
    path = tmp_path / "padding.yaml"
    path.write_text(
        "input: [16, 16, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3, padding: same}\n"
        "  - convtranspose: {filters: 2, kernel: 3, stride: 2, padding: same}\n  - crop: {sides: 1}\n"
        "  - zeropad: {padding: [1, 2, 3, 4]}\n"
    )
    code, out, err = run("summary", str(path))
    assert (code, err) == (0, "")
    assert closing(out, "config: ") == [
        "config: 4 3x3 = 4 filters of 3 x 3; /2 = stride 2; same(1) = the padding SAME asks for (output = input / "
        "stride, rounded up): 1 on every side; same(0,1,0,1) = the padding SAME cuts from the output (output = "
        "input x stride): top 0, bottom 1, left 0, right 1; pad(1,2,3,4) = zeros added: top 1, bottom 2, left 3, "
        "right 4; pad 1 = 1 taken from every side"
    ]
