"""The summary command as a user meets it: output formats, overrides, standard input, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
LENET = str(SPECS / "lenet5.yaml")


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def summary_json(*args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = invoke("summary", *args, "--format", "json")
    assert (code, err) == (0, "")
    return json.loads(out)  # type: ignore[no-any-return]


def test_table_has_no_colour_codes_when_not_on_a_terminal() -> None:
    code, out, _ = invoke("summary", LENET)
    assert code == 0
    assert "\x1b[" not in out
    assert "61,706" in out


def test_json_has_the_contracted_keys_and_exact_integers() -> None:
    report = summary_json(LENET)
    assert {"name", "input", "layers", "totals", "warnings"} <= report.keys()
    assert report["name"] == "LeNet-5"
    assert report["input"] == [32, 32, 1]
    layer_keys = {"index", "kind", "name", "output", "params", "trainable_params", "receptive_field", "jump",
                  "effective_padding", "macs"}  # fmt: skip
    for index, layer in enumerate(report["layers"], start=1):
        assert layer_keys <= layer.keys()
        assert layer["index"] == index
    totals = report["totals"]
    assert totals["params"] == totals["trainable_params"] + totals["non_trainable_params"] == 61_706
    assert totals["flops"] == 2 * totals["macs"]
    assert totals["output"] == [1, 1, 10]
    assert totals["receptive_field"] == [32, 32]
    # the per-layer column adds up to the total
    assert sum(layer["params"] for layer in report["layers"]) == totals["params"]
    assert sum(layer["macs"] for layer in report["layers"]) == totals["macs"]
    assert report["layers"][0] == {
        **report["layers"][0],
        "kind": "conv",
        "name": "C1",
        "output": [28, 28, 6],
        "params": 6 * (5 * 5 * 1 + 1),
        "receptive_field": [5, 5],
        "jump": [1, 1],
    }


@pytest.mark.parametrize(
    ("spec", "headline"),
    [
        # torchinfo and sum(p.numel() for p in model.parameters()) say 11,689,512: batchnorm's statistics are buffers
        pytest.param("resnet18.yaml", "params: 11,699,112 = 11,689,512 trainable + 9,600 batchnorm statistics",
                     id="with-batchnorm"),
        pytest.param("lenet5.yaml", "params: 61,706", id="without"),
    ],
)  # fmt: skip
def test_the_params_headline_splits_off_batchnorms_statistics(spec: str, headline: str) -> None:
    code, out, err = invoke("summary", str(SPECS / spec), "--depth", "0")
    assert (code, err) == (0, "")
    assert [line for line in out.splitlines() if line.startswith("params:")] == [headline]


def test_csv_has_a_row_per_layer() -> None:
    code, out, _ = invoke("summary", LENET, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert len(rows) == 8
    assert rows[0]["kind"] == "conv" and rows[0]["params"] == "156" and rows[0]["out_h"] == "28"
    assert sum(int(row["params"]) for row in rows) == 61_706


def test_markdown_is_a_pipe_table() -> None:
    code, out, _ = invoke("summary", LENET, "--format", "markdown")
    assert code == 0
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 8
    assert "| 1 | conv C1 | 6 5x5 tanh | 28 x 28 x 6 | 156 |" in out


def test_input_override_tries_another_resolution() -> None:
    report = summary_json(str(SPECS / "vgg16.yaml"), "--input", "32x32x3")
    assert report["input"] == [32, 32, 3]
    assert report["layers"][-8]["output"] == [1, 1, 512]  # pool5
    # torchvision's adaptive pool brings any map back to 7 x 7 x 512: fc6, and the count, stay as they are
    assert report["layers"][-7]["output"] == [7, 7, 512]
    assert report["totals"]["params"] == 138_357_544


@pytest.mark.parametrize("written", ["32x32x3", "32,32,3", "32 32 3", "32X32X3"])
def test_volume_spellings(written: str) -> None:
    assert summary_json(LENET, "--input", written)["input"] == [32, 32, 3]


@pytest.mark.parametrize("written", ["32", "2x2x2x2x2", "0x32x3", "32x32x-3", "axbxc", "1e3x2x2", "3000000000x1x1"])
def test_bad_volume_is_a_usage_error(written: str) -> None:
    code, out, err = invoke("summary", LENET, "--input", written)
    assert code == 2
    assert out == ""
    assert "Invalid value for '--input'" in err
    assert "Traceback" not in err


def test_memory_follows_batch_and_dtype() -> None:
    one = summary_json(LENET)["memory"]
    many = summary_json(LENET, "--batch", "32", "--dtype", "float16")["memory"]
    assert many["activation_bytes"] == one["activation_bytes"] * 32 // 2
    assert many["param_bytes"] == one["param_bytes"] // 2 == 61_706 * 2


def test_spec_from_standard_input() -> None:
    spec = "input: [6, 6, 1]\nlayers:\n  - conv: {filters: 1, kernel: 3}\n"
    code, out, err = invoke("summary", "-", "--format", "json", input=spec)
    assert (code, err) == (0, "")
    assert json.loads(out)["totals"]["output"] == [4, 4, 1]


def test_warnings_go_to_stderr_with_csv_and_into_the_json(tmp_path: Path) -> None:
    spec = tmp_path / "floored.yaml"
    spec.write_text("input: [224, 224, 3]\nlayers:\n  - conv: {filters: 64, kernel: 11, stride: 4}\n")
    code, out, err = invoke("summary", str(spec), "--format", "csv")
    assert code == 0
    assert "warning" not in out
    assert err.startswith(f"{spec}:3:45: warning: layer 1 (conv): height and width: (224 - 11) / 4 is not whole")
    code, out, piped = invoke("summary", str(spec), "--format", "json")
    assert (code, piped) == (0, err)  # not a terminal: on standard error too
    (warning,) = json.loads(out)["warnings"]
    assert (warning["line"], warning["column"], warning["layer"], warning["code"]) == (3, 45, "1", "floor")


@pytest.mark.parametrize(
    "args",
    [
        ["summary", LENET, "--format", "xml"],
        ["rf", LENET, "--depth", "deep"],
        ["nosuch"],
        ["summary", LENET, "--batch", "0"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, _, err = invoke(*args)
    assert code == 2
    assert "Usage:" in err


def test_every_help_ends_with_an_example() -> None:
    for args in ([], ["summary"]):
        code, out, _ = invoke(*args, "--help")
        assert code == 0
        assert out.strip().splitlines()[-1].strip().startswith("Example: cnncalc")


def run_module(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # the colour switches come from the test alone, not from the shell that runs it
    environment = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "cnncalc", *args], capture_output=True, text=True, env=environment, timeout=60
    )


def test_python_dash_m_runs_the_cli() -> None:
    done = run_module("summary", LENET)
    assert done.returncode == 0
    assert "params: 61,706" in done.stdout


def test_colour_on_a_terminal_and_none_with_no_color() -> None:
    # FORCE_COLOR makes rich treat the pipe as a terminal; the volumes are drawn in cyan (ESC[36m)
    coloured = run_module("summary", LENET, FORCE_COLOR="1")
    plain = run_module("summary", LENET, FORCE_COLOR="1", NO_COLOR="1")
    assert "\x1b[36m" in coloured.stdout
    assert "\x1b[36m" not in plain.stdout
    assert "params: 61,706" in plain.stdout


def test_errors_of_reading_and_of_computing_come_together(tmp_path: Path) -> None:
    # layer 3 cannot be read; layers 1 and 2 can still be computed, and are wrong too
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "input: [32, 32, 3]\n"
        "layers:\n"
        "  - conv: {filters: 16, kernel: 3, groups: 2}\n"
        "  - dense: {units: 10}\n"
        "  - conv: {filters: 8, kernel: 3, stride: 0}\n"
    )
    code, out, err = invoke("summary", str(spec))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{spec}:3:44: error: layer 1 (conv): groups 2 must divide both the input channels (3) and the filters (16)",
        f"{spec}:4:5: error: layer 2 (dense): dense needs a 1 x 1 x n input, got 30 x 30 x 16: add `flatten` before it",
        f"{spec}:5:43: error: layer 3 (conv): stride must be a positive integer, got 0",
    ]


def test_input_on_the_command_line_stands_in_for_a_missing_one(tmp_path: Path) -> None:
    spec = tmp_path / "no-input.yaml"
    spec.write_text("layers:\n  - conv: {filters: 4, kernel: 3}\n")
    assert summary_json(str(spec), "--input", "8x8x1")["totals"]["output"] == [6, 6, 4]
    code, _, err = invoke("summary", str(spec))
    assert code == 2
    assert err == f"{spec}:1:1: error: missing `input`\n"


def test_the_whole_output_arrives_before_the_quick_exit(tmp_path: Path) -> None:
    # the console script leaves with os._exit once it has flushed: a long output through a pipe arrives whole
    done = run_module("summary", "specs/resnet50.yaml", "--format", "json")
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["totals"]["params"] == 25_610_152


@pytest.mark.parametrize("output_format", ["csv", "json", "markdown"])
def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path: Path, output_format: str) -> None:
    # `cnncalc summary ... | head -1`, on an output far larger than a pipe holds: no traceback, no message
    spec = tmp_path / "long.yaml"
    spec.write_text("input: [8, 8, 3]\nlayers: [" + "relu, " * 20_000 + "relu]\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "cnncalc", "summary", str(spec), "--format", output_format],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    assert process.wait(timeout=60) in (0, 1)  # 1 where a write failed, 0 where click let it go
    assert process.stderr.read() == b""


# -- numbers on the command line: one rule for all, and none past what a size can be ---------------------------

NINES = "9" * 5000  # past Python's 4,300-digit limit on int(text)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["conv", "32x32x3", "-k", NINES, "-f", "3"], "is more than 2,147,483,647", id="filters"),
        pytest.param(["conv", "32x32x3", "-k", "8", "-f", NINES], "write one positive integer", id="kernel"),
        pytest.param(["conv", "32x32x3", "-k", "8", "-f", "3", "-p", NINES], "every padding must be at most",
                     id="padding"),
        pytest.param(["conv", f"{NINES}x3x3", "-k", "8", "-f", "3"], "every size must be between 1 and", id="volume"),
        pytest.param(["dense", NINES, "--units", "2"], "is not a volume", id="dense-inputs"),
        pytest.param(["pad", "32", "-f", "3", "--output", NINES], "is more than 2,147,483,647", id="pad-output"),
        pytest.param(["summary", LENET, "--input", f"1x{NINES}x3"], "every size must be between 1 and", id="input"),
        pytest.param(["summary", LENET, "--batch", "9" * 400], "is more than 2,147,483,647", id="batch"),
        pytest.param(["summary", LENET, "--depth", NINES], "is more than 2,147,483,647", id="depth"),
        pytest.param(["check", LENET, "--max-params", NINES], "a count of 5,000 digits is more than cnncalc reads",
                     id="count"),
        pytest.param(["check", LENET, "--expect-output", f"1x1x{NINES}"], "every size must be between 1 and",
                     id="expect-output"),
        pytest.param(["check", LENET, "--min-receptive-field", NINES], "is not a receptive field", id="field"),
        # digits of other scripts: int() takes them, a spec does not, and neither does the command line
        pytest.param(["conv", "32x32x3", "-k", "\u0668", "-f", "3"], "is not a whole number", id="arabic-indic"),
        pytest.param(["pad", "\uff13\uff12", "-f", "3"], "is not a whole number", id="fullwidth"),
        pytest.param(["summary", LENET, "--depth", "\u0661"], "is not a whole number", id="depth-arabic-indic"),
    ],
)  # fmt: skip
def test_a_number_no_size_can_be_is_a_usage_error(argv: list[str], message: str) -> None:
    code, out, err = invoke(*argv)
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err
    assert len(err) < 1_000  # the number is not echoed whole


ONE = "0" * 5000 + "1"  # a small size, written with more digits than Python's limit lets int() read


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["conv", "8x8x3", "-k", ONE, "-f", "3"], "output:          6 x 6 x 1", id="filters"),
        pytest.param(["conv", "8x8x3", "-k", "2", "-f", ONE], "output:          8 x 8 x 2", id="kernel"),
        pytest.param(["conv", f"{ONE}x8x3", "-k", "2", "-f", "1"], "output:          1 x 8 x 2", id="volume"),
        pytest.param(["pool", "8x8x3", "--size", ONE], "output:          8 x 8 x 3", id="pool-size"),
        pytest.param(["apply", "maxpool", "--size", "2", "--stride", ONE, "--values", "1 2 3; 4 5 6"], "5 6",
                     id="apply-stride"),
    ],
)  # fmt: skip
def test_leading_zeros_are_read_at_any_length(argv: list[str], expected: str) -> None:
    code, out, err = invoke(*argv)
    assert (code, err) == (0, "")
    assert expected in out


def test_explain_writes_its_ratios_exactly_however_large() -> None:
    # a ratio past a float's exact integers was printed as 2.3058430070662103e+18
    spec = "input: [1024, 1024, 2048]\nlayers:\n  - conv: {filters: 1024, kernel: 1, stride: 1024}\n"
    code, out, err = invoke("summary", "-", "--explain", input=spec)
    assert (code, err) == (0, "")
    assert "e+" not in out
    assert "connections in all: 1,048,576 times fewer than dense" in out


def test_the_sliding_footer_reads_standard_input_once(tmp_path: Path) -> None:
    # the spec's own input is computed again for the footer: from the text read, not from the pipe again
    converted = invoke("convert", LENET, "--to", "conv")[1]
    (tmp_path / "conv.yaml").write_text(converted)
    code, out, err = invoke("summary", "-", "--input", "64x64x1", input=converted)
    assert (code, err) == (0, "")
    assert "sliding: the classifier made for 32 x 32 runs at 9 x 9 = 81 positions in one pass" in out
    assert out == invoke("summary", str(tmp_path / "conv.yaml"), "--input", "64x64x1")[1]


@pytest.mark.parametrize("output_format", ["csv", "markdown", "json"])
@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "ascii"])
def test_documents_are_utf8_whatever_the_terminal(tmp_path: Path, output_format: str, encoding: str) -> None:
    (tmp_path / "spec.yaml").write_text(
        "name: ✓ café\ninput: [8, 8, 3]\nlayers:\n  - conv: {filters: 2, kernel: 3, name: 日本}\n"
    )
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    env.pop("CNNCALC_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc", "summary", "spec.yaml", "--format", output_format],
        cwd=tmp_path, capture_output=True, env=env, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, b"")
    text = done.stdout.decode("utf-8")
    assert "日本" in text  # as written, in every document
