"""Golden outputs: every command's whole output on the shipped specs, byte for byte.

Each case is one command line run in-process from the repository's root (so that `specs/NAME.yaml` is printed as
written, on any machine); its file under tests/golden/ holds the command line, the exit code, standard error and
the whole standard output, and must equal what runs now. A difference fails with a diff of the two.

The files change only on purpose: `CNNCALC_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py` rewrites them
(read the diff before committing it). Without it, a missing file fails, and so does a file no case writes.
"""

from __future__ import annotations

import difflib
import json
import os
import shlex
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("CNNCALC_UPDATE_GOLDEN") == "1"
SPECS = sorted(path.stem for path in (ROOT / "specs").glob("*.yaml"))

# rich decides from these whether it writes to a terminal, how wide, and in colour; unset (None) or fixed, so
# that the table is the pipe's: natural width, no escape codes, whatever the shell running the tests has set
ENVIRONMENT: dict[str, str | None] = {
    "COLUMNS": "100",
    "LINES": "40",
    "TERM": "dumb",
    "FORCE_COLOR": None,
    "NO_COLOR": None,
    "COLORTERM": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
    "JUPYTER_COLUMNS": None,
    "JUPYTER_LINES": None,
    "CNNCALC_DEBUG": None,
}


class Case(NamedTuple):
    """A command line (after `cnncalc`) and the golden file of its output; `piped`'s output is its standard input."""

    name: str  # the golden file, relative to tests/golden/ and without `.txt`; also the test's id
    line: str
    piped: str | None = None

    @property
    def args(self) -> list[str]:
        return shlex.split(self.line)

    @property
    def command(self) -> str:
        line = f"cnncalc {self.line}"
        return line if self.piped is None else f"cnncalc {self.piped} | {line}"

    @property
    def path(self) -> Path:
        return GOLDEN / f"{self.name}.txt"


# every spec in every format and view of `summary`, and `rf`
EVERY_SPEC = [
    ("summary", "summary specs/{}.yaml"),
    ("summary-json", "summary specs/{}.yaml --format json"),
    ("summary-csv", "summary specs/{}.yaml --format csv"),
    ("summary-markdown", "summary specs/{}.yaml --format markdown"),
    ("summary-explain", "summary specs/{}.yaml --explain"),
    ("summary-fc", "summary specs/{}.yaml --view fc"),
    ("rf", "rf specs/{}.yaml"),
]

# the other options and commands, on a spec or a few each
SOME_SPECS = [
    Case("summary-options/resnet18-depth-0", "summary specs/resnet18.yaml --depth 0"),
    Case("summary-options/resnet18-depth-1", "summary specs/resnet18.yaml --depth 1"),
    Case("summary-options/resnet18-depth-1-json", "summary specs/resnet18.yaml --depth 1 --format json"),
    Case("summary-options/resnet50-depth-1-markdown", "summary specs/resnet50.yaml --depth 1 --format markdown"),
    Case("summary-options/vgg16-input-384", "summary specs/vgg16.yaml --input 384x384x3"),
    Case("summary-options/vgg16-batch-32-float16", "summary specs/vgg16.yaml --batch 32 --dtype float16"),
    # warnings: under the table, in the JSON, and on stderr beside the CSV (and beside the others, piped)
    Case("summary-options/alexnet-input-230", "summary specs/alexnet.yaml --input 230x230x3"),
    Case("summary-options/alexnet-input-230-csv", "summary specs/alexnet.yaml --input 230x230x3 --format csv"),
    Case("summary-options/alexnet-input-230-json", "summary specs/alexnet.yaml --input 230x230x3 --format json"),
    Case("summary-options/lenet5-explain-json", "summary specs/lenet5.yaml --explain --format json"),
    Case("summary-options/lenet5-explain-markdown", "summary specs/lenet5.yaml --explain --format markdown"),
    Case("summary-options/lenet5-fc-json", "summary specs/lenet5.yaml --view fc --format json"),
    Case("summary-options/lenet5-fc-markdown", "summary specs/lenet5.yaml --view fc --format markdown"),
    Case("summary-options/lenet5-fc-explain", "summary specs/lenet5.yaml --view fc --explain"),
    # the sliding footer: a converted classifier on a larger input, read from standard input
    Case("summary-sliding/lenet5-64x64x1", "summary - --input 64x64x1", "convert specs/lenet5.yaml --to conv"),
    Case("summary-sliding/vgg16-384x384x3", "summary - --input 384x384x3", "convert specs/vgg16.yaml --to conv"),
    Case(
        "summary-sliding/lenet5-64x64x1-json",
        "summary - --input 64x64x1 --format json",
        "convert specs/lenet5.yaml --to conv",
    ),
    Case("rf-options/lenet5-json", "rf specs/lenet5.yaml --format json"),
    Case("rf-options/vgg16-plot", "rf specs/vgg16.yaml --plot"),
    Case("rf-options/resnet18-depth-1", "rf specs/resnet18.yaml --depth 1"),
    Case("rf-options/alexnet-input-230", "rf specs/alexnet.yaml --input 230x230x3"),  # summary's warnings
    # specs that pass, and specs that fail, each target
    *(
        Case(f"check/{name}-{target}", f"check specs/{name}.yaml --target {target}")
        for name in ("lenet5", "alexnet", "googlenet_inception3a", "mobilenet_v1", "resnet18")
        for target in ("pytorch", "keras")
    ),
    Case("check/mobilenet_v1-pytorch-github", "check specs/mobilenet_v1.yaml --target pytorch --format github"),
    # both ways, and one refused (a global pool cannot slide)
    Case("convert/lenet5-to-conv", "convert specs/lenet5.yaml --to conv"),
    Case("convert/alexnet-to-conv", "convert specs/alexnet.yaml --to conv"),
    Case("convert/vgg16-to-conv", "convert specs/vgg16.yaml --to conv"),
    Case("convert/resnet18-to-conv", "convert specs/resnet18.yaml --to conv"),
    Case("convert/lenet5-to-conv-to-dense", "convert - --to dense", "convert specs/lenet5.yaml --to conv"),
    Case("export/lenet5", "export specs/lenet5.yaml --to pytorch"),
    Case("export/resnet18", "export specs/resnet18.yaml --to pytorch"),
    Case("export/googlenet_inception3a", "export specs/googlenet_inception3a.yaml --to pytorch"),
    Case("export/mobilenet_v1", "export specs/mobilenet_v1.yaml --to pytorch"),  # nn.ZeroPad2d in front
    Case("draw/lenet5", "draw specs/lenet5.yaml"),
    Case("draw/googlenet_inception3a", "draw specs/googlenet_inception3a.yaml"),
    Case("draw/resnet18-depth-1", "draw specs/resnet18.yaml --depth 1"),
    Case("examples/table", "examples"),
    Case("examples/json", "examples --format json"),
    # one layer at the prompt
    Case("queries/conv-explain", "conv 32x32x3 -k 16 -f 3 -p 1 --explain"),
    Case("queries/conv-odd-explain", "conv 9x13x4 -k 6 -f 3x2 -s 2x1 -p same -d 2 -g 2 --no-bias --explain"),
    Case("queries/conv-json", "conv 32x32x3 -k 16 -f 3 -s 2 -p same --format json"),
    Case("queries/pool-explain", "pool 7x9x3 --size 3 -s 2 -p 1 --ceil --kind avg --explain"),
    Case("queries/dense-explain", "dense 5x5x16 --units 120 --explain"),
    Case("queries/pad", "pad 32 --kernel 5 --stride 2"),
    Case("queries/pad-output", "pad 32 --kernel 5 --stride 2 --output 30"),
]


def cases() -> Iterator[Case]:
    for name in SPECS:
        for group, line in EVERY_SPEC:
            yield Case(f"{group}/{name}", line.format(name))
    yield from SOME_SPECS


CASES = list(cases())


def run(args: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    runner = CliRunner(env=ENVIRONMENT)
    result = runner.invoke(cli, args, input=stdin, terminal_width=100)
    # an exception other than click's exit is a crash, never an output to keep
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def render(case: Case, code: int, stdout: str, stderr: str) -> str:
    """The golden file's text: the command line, the exit code, stderr (each line marked) and stdout verbatim."""
    lines = [f"$ {case.command}", f"exit code: {code}"]
    if stderr:
        lines.append("stderr:" if stderr.endswith("\n") else "stderr (no newline at the end):")
        lines.extend(f"| {line}" for line in stderr.removesuffix("\n").split("\n"))
    else:
        lines.append("stderr: empty")
    lines.append("stdout:" if stdout.endswith("\n") or not stdout else "stdout (no newline at the end):")
    return "\n".join(lines) + "\n" + stdout


def read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as file:  # newline="": the bytes as written, no \r translated
        return file.read()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(text)


def diff(expected: str, actual: str, name: str) -> str:
    lines = list(
        difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True), f"tests/golden/{name}.txt", "now"
        )
    )
    shown = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines[:400])
    if len(lines) > 400:
        shown += f"... and {len(lines) - 400} more lines of diff\n"
    return shown


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # relative paths, as a user types them: messages and titles then print the same on every machine
    monkeypatch.chdir(ROOT)


@pytest.mark.usefixtures("in_root")
@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
def test_output_matches_the_golden_file(case: Case) -> None:
    stdin = None
    if case.piped is not None:
        code, stdin, err = run(shlex.split(case.piped))
        # notes on what it did may go to standard error; nothing else may
        said = [line for line in err.splitlines() if not line.startswith("note: ")]
        assert (code, said) == (0, []), f"{case.command}: the first command failed: {err}"
    actual = render(case, *run(case.args, stdin))
    if UPDATE:
        if not case.path.exists() or read(case.path) != actual:
            write(case.path, actual)
        return
    compare(case, actual)


def compare(case: Case, actual: str) -> None:
    if not case.path.exists():
        pytest.fail(
            f"no golden file tests/golden/{case.name}.txt: run with CNNCALC_UPDATE_GOLDEN=1 to write it, then read it",
            pytrace=False,
        )
    expected = read(case.path)
    if actual != expected:
        pytest.fail(
            f"`{case.command}` no longer prints what tests/golden/{case.name}.txt holds "
            f"(CNNCALC_UPDATE_GOLDEN=1 rewrites it, if the change is meant):\n{diff(expected, actual, case.name)}",
            pytrace=False,
        )


# the in-process runs above are what the console script prints: checked on a few cases, each a separate process
BY_THE_CONSOLE_SCRIPT = [
    "summary/lenet5",
    "summary-json/resnet18",
    "summary-options/alexnet-input-230-csv",
    "check/alexnet-keras",
    "convert/resnet18-to-conv",
    "draw/lenet5",
]


@pytest.mark.parametrize("name", BY_THE_CONSOLE_SCRIPT)
def test_the_console_script_prints_the_same(name: str) -> None:
    (case,) = [case for case in CASES if case.name == name]
    assert case.piped is None
    script = Path(sysconfig.get_path("scripts")) / "cnncalc"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cnncalc"]
    environment = {key: value for key, value in os.environ.items() if key not in ENVIRONMENT}
    environment.update({key: value for key, value in ENVIRONMENT.items() if value is not None})
    done = subprocess.run(
        [*command, *case.args], cwd=ROOT, env=environment, capture_output=True, timeout=120, check=False
    )
    compare(case, render(case, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")))


def test_every_golden_file_belongs_to_a_case() -> None:
    # a file no case writes any more would otherwise sit there, compared with nothing
    written = {case.path for case in CASES}
    stray = sorted(
        str(path.relative_to(GOLDEN)) for path in GOLDEN.rglob("*") if path.is_file() and path not in written
    )
    assert stray == [], f"golden files that no case compares (delete them): {stray}"


def test_the_cases_have_distinct_names() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.usefixtures("in_root")
def test_every_shipped_example_has_golden_outputs() -> None:
    # a new example spec gets its golden files with the rest, by the loop over specs/*.yaml
    code, out, err = run(["examples", "--format", "json"])
    assert (code, err) == (0, "")
    assert SPECS
    assert sorted(example["name"] for example in json.loads(out)["examples"]) == SPECS


def test_render_keeps_every_byte_apart() -> None:
    # what the golden files hold: a missing final newline and stderr are visible, not lost
    case = Case("x", "summary 'a b'")
    assert render(case, 0, "out\n", "") == "$ cnncalc summary 'a b'\nexit code: 0\nstderr: empty\nstdout:\nout\n"
    assert render(case, 2, "", "e1\ne2\n") == ("$ cnncalc summary 'a b'\nexit code: 2\nstderr:\n| e1\n| e2\nstdout:\n")
    assert render(case, 0, "out", "e") == (
        "$ cnncalc summary 'a b'\nexit code: 0\n"
        "stderr (no newline at the end):\n| e\nstdout (no newline at the end):\nout"
    )
    assert render(case, 0, "out", "") != render(case, 0, "out\n", "")
