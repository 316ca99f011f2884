"""What the fuzz tests share: the commands they run, how they run cnncalc and judge a run, a second reading of a
spec, and the generated inputs. Not a test file: the `test_fuzz*.py` files and `test_yaml_parsers.py` import
from it.

Every command that reads a spec (`summary`, `rf`, `convert`, `check`, `draw`, `export`, each with every output
format and mode: the table INVOCATIONS, which `test_fuzz_specs.py` keeps complete) gets generated files, and each
run must end in one of two ways (`assert_ends_well`):

- exit 2, nothing on stdout (for `check`: its closing count), and on stderr one or more
  `FILE:LINE:COL: error: ...` lines, each pointing inside the file, and nothing else (`check --format github`
  prints them as annotations on stdout instead);
- or a result: exit 0 (`check`: 0 or 1), output that parses (JSON, SVG, Python) or reads back (a converted spec,
  with the same parameters, MACs and output), and on stderr only located warnings or notes where the command
  prints them.

Never a traceback, an internal error (exit 3), a hang or a memory blow-up. `run_in_process` runs
`cnncalc.cli.main` (fast) with a time limit on each run; `run_console_script` runs the real console script in a
subprocess, bounded in time and address space. A second reading of each generated file, independent of cnncalc's
(PyYAML's constructor and the README's rules: `read_independently`), says whether the spec is valid and what it
holds: the loader must refuse exactly the invalid ones and read the others as written (`assert_loader_agrees`).
Importing this module installs an audit hook that records every file opened and process started during the
in-process runs, and refuses writes and new processes (`watched`).
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import event, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.cli import main
from cnncalc.diagnostics import SpecError
from cnncalc.engine import analyse
from cnncalc.kinds import instances, rebuilt
from cnncalc.loader import load
from cnncalc.spec import (
    ACTIVATIONS,
    Activation,
    AdaptivePool,
    BatchNorm,
    ChannelShuffle,
    Conv,
    ConvTranspose,
    Crop,
    Dense,
    Dropout,
    DropPath,
    Expectation,
    Flatten,
    GlobalPool,
    GroupNorm,
    InstanceNorm,
    Layer,
    LayerNorm,
    Merge,
    Pool,
    PReLU,
    Repeat,
    Residual,
    Scale,
    Spec,
    SqueezeExcite,
    Upsample,
    Volume,
    ZeroPad,
)

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
# bounds on a run that catch a hang or a blow-up, not a measure of speed (benchmarks/ measure that): generous, as
# a machine may be several times slower than another (the largest spec's table takes 4 s on one, 20 s on another)
# and several runs share it, and far below what the bugs they caught took (297 s and 5.9 GB for a table)
SECONDS = 180  # per run of the console script
MEMORY = 2**30  # per run of the console script: address space, interpreter and libraries included
IN_PROCESS_SECONDS = 60


def examples(n: int) -> settings:
    """`n` cases in the default profile, ten times as many in the thorough one."""
    profile = settings.default
    assert profile is not None
    return settings(max_examples=n * profile.max_examples // 100)


HEAD = "input: [8, 8, 3]\nlayers:\n"  # the start of the specs the tests write, their layers to follow


# -- the commands that read a spec, in every mode --------------------------------------------------------


class Invocation(NamedTuple):
    """A command that reads a spec, with options; the spec's path goes last."""

    argv: tuple[str, ...]

    @property
    def command(self) -> str:
        return self.argv[0]

    @property
    def codes(self) -> frozenset[int]:
        """The exit codes of a run that ends well: a result, or a refusal (2)."""
        return frozenset({0, 1, 2}) if self.command == "check" else frozenset({0, 2})

    @property
    def report(self) -> str | None:
        """The document `check` writes on stdout for a CI system, where it writes one: `junit` or `json`."""
        return next((name for name in ("junit", "json") if self.command == "check" and name in self.argv), None)

    @property
    def annotations(self) -> bool:
        """Diagnostics as GitHub workflow commands on stdout, not lines on stderr."""
        return "github" in self.argv


INVOCATIONS = [
    Invocation(("summary",)),
    Invocation(("summary", "--format", "json", "--dtype", "float32")),
    Invocation(("summary", "--format", "csv", "--depth", "1")),
    Invocation(("summary", "--format", "markdown", "--dtype", "float16", "--color", "never")),
    Invocation(("summary", "--format", "table", "--dtype", "bfloat16", "--batch", "8")),
    Invocation(("summary", "--explain", "--format", "json", "--color", "auto")),
    Invocation(("summary", "--view", "fc", "--color", "always")),
    Invocation(("summary", "--view", "layers", "--depth", "0", "--dtype", "int8")),
    Invocation(("rf",)),
    Invocation(("rf", "--format", "json", "--color", "auto")),
    Invocation(("rf", "--format", "table", "--depth", "1", "--color", "never")),
    Invocation(("rf", "--plot", "--color", "always")),
    Invocation(("convert", "--to", "conv", "--color", "always")),
    Invocation(("convert", "--to", "dense", "--color", "never")),
    Invocation(("convert", "--color", "auto", "--to", "conv")),
    Invocation(("draw", "--color", "always")),
    Invocation(("draw", "--depth", "0", "--color", "never")),
    Invocation(("draw", "--color", "auto")),
    Invocation(("export", "--color", "always")),
    Invocation(("export", "--to", "pytorch", "--color", "never")),
    Invocation(("export", "--color", "auto")),
    Invocation(("check",)),
    Invocation(("check", "--format", "text", "--strict", "-v", "--color", "always")),
    Invocation(("check", "--format", "github", "--color", "never")),
    Invocation(("check", "--format", "junit", "--strict", "--color", "always")),
    Invocation(("check", "--format", "json", "-v", "--color", "auto")),
    Invocation(("check", "--target", "pytorch", "--color", "auto")),
    Invocation(("check", "--target", "keras", "-q")),
]


# -- running cnncalc in-process, under watch -------------------------------------------------------------


class TimeLimit(BaseException):
    """A run past its time: a BaseException, so that cnncalc's own `except Exception` cannot take it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expire(_signal: int, _frame: object) -> None:
        raise TimeLimit(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Access(NamedTuple):
    event: str
    detail: str


_WATCHED: list[list[Access]] = []  # the accesses of the runs under watch, innermost last
_SPAWN = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "subprocess.Popen", "pty.spawn")
_CHANGE = ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.truncate", "os.chmod", "os.symlink", "os.link")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _audit(name: str, args: tuple[Any, ...]) -> None:
    if not _WATCHED:
        return
    if name == "open":
        path, mode, flags = [*args, None, None][:3]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        _WATCHED[-1].append(Access("write" if writes else "open", str(path)))
        if writes:  # refused outright: a fuzzed argument must never overwrite a file
            raise PermissionError(f"the fuzz tests refuse writing {path!r}")
    elif name.startswith(_SPAWN) or name.startswith(_CHANGE) or name.startswith("socket."):
        _WATCHED[-1].append(Access(name, repr(args)[:200]))
        raise PermissionError(f"the fuzz tests refuse {name}")


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one acts only inside `watched()`

# what importing a module may open: Python's own files and the installed packages
_IMPORTABLE = tuple(
    {str(Path(p).resolve()) for p in sys.path if p and Path(p).is_dir()}
    | {sys.prefix, str(Path(cnncalc.__file__).resolve().parent)}  # an editable install is found by a hook
)


@contextmanager
def watched() -> Iterator[list[Access]]:
    """The files opened and processes started inside; writing, changing files or spawning is refused."""
    accesses: list[Access] = []
    _WATCHED.append(accesses)
    try:
        yield accesses
    finally:
        _WATCHED.pop()


def foreign(accesses: list[Access], allowed: set[str]) -> list[Access]:
    """The accesses besides reading `allowed` and importing Python modules."""
    found = []
    for access in accesses:
        if access.event == "open":
            path = str(Path(access.detail).resolve()) if access.detail not in ("-", "") else access.detail
            if path in allowed or (path.startswith(_IMPORTABLE) and path.endswith((".py", ".pyc", ".so"))):
                continue
            if path.startswith(_IMPORTABLE) and Path(path).is_dir():  # the import system lists directories
                continue
        found.append(access)
    return found


class Outcome(NamedTuple):
    code: int
    stdout: str
    stderr: str


_RUNNER = CliRunner()


def run_in_process(argv: list[str], stdin: bytes | None = None, allowed: set[str] | None = None) -> Outcome:
    """`cnncalc ARGV` through the console script's own `main`, with a time limit; only `allowed` may be opened.

    CNNCALC_DEBUG is set, so that an internal fault surfaces as its own traceback rather than as exit 3.
    """
    with watched() as accesses:
        outcome = run_main(argv, stdin)
    paths = {str(Path(a).resolve()) for a in argv[1:] if not a.startswith("-")} if allowed is None else allowed
    assert not foreign(accesses, paths), f"cnncalc {' '.join(argv)} touched {foreign(accesses, paths)}"
    return outcome


def run_main(argv: list[str], stdin: bytes | None) -> Outcome:
    """`main(ARGV)` with click's standard streams, CNNCALC_DEBUG set and a time limit."""
    with _RUNNER.isolation(input=stdin, env={"CNNCALC_DEBUG": "1"}) as (out, err, _):
        with time_limit(IN_PROCESS_SECONDS):
            code = main(argv)
        sys.stdout.flush()  # what an exiting process does: cnncalc may write in pieces
        sys.stderr.flush()
        # read while isolated: some click releases close the streams when the isolation ends
        return Outcome(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))


def limit_resources() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def console_script() -> str:
    script = shutil.which("cnncalc")
    assert script, "the cnncalc console script is not installed: pip install -e ."
    return script


def run_console_script(
    argv: list[str], cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> Outcome:
    """`cnncalc ARGV` as users run it, in `cwd`, within SECONDS and MEMORY; a run past either fails the test."""
    environment = {key: value for key, value in os.environ.items() if key != "CNNCALC_DEBUG"} | (env or {})
    try:
        done = subprocess.run(
            [console_script(), *argv],
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=SECONDS,
            cwd=cwd,
            env=environment,
            preexec_fn=limit_resources,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"cnncalc {' '.join(argv)} still running after {SECONDS} s")
    return Outcome(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def listing(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file below `directory`, with its size and modification time."""
    return {
        str(path.relative_to(directory)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
    }


# -- what a run must end in ----------------------------------------------------------------------------

# after `FILE:`, a line and a column where the problem has a place in the file (a missing file has none)
LOCATED = r"(?:(?P<line>[0-9]+):(?P<column>[0-9]+):)? (?P<severity>error|warning|note): (?P<message>\S.*)"
ANNOTATION = (
    r"::(?P<severity>error|warning|notice) file=(?P<file>[^,]*)(?:,line=(?P<line>[0-9]+),col=(?P<column>[0-9]+))?.*"
)


def yaml_lines(data: bytes) -> list[str]:
    """The lines of a file as YAML counts them (CR, LF, CRLF, NEL, LS and PS end a line)."""
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    return re.split(r"\r\n|[\r\n\x85\u2028\u2029]", text)


def assert_inside(lines: list[str], line: int, column: int, what: str) -> None:
    """A diagnostic's place is in the file (`lines`): a line it has, a column of that line or just past its end."""
    if (line, column) == (len(lines) + 1, 1):
        return  # the end of the stream, where libyaml puts it after a last line without its line break
    assert 1 <= line <= len(lines), f"line {line} of a file of {len(lines)}: {what}"
    assert 1 <= column <= len(lines[line - 1]) + 1, f"column {column} of a line of {len(lines[line - 1])}: {what}"


def assert_ends_well(invocation: Invocation, outcome: Outcome, path: str, data: bytes) -> None:
    """The run ends in located errors (exit 2) or a result; never a fault."""
    code, out, err = outcome
    if "always" in invocation.argv:  # coloured as asked: the lines are read without their escape codes
        out, err = (re.sub(r"\x1b\[[0-9;]*m", "", text) for text in (out, err))
    everything = out + err
    assert "Traceback" not in everything and "internal error" not in everything, everything[-3000:]
    assert code in invocation.codes, f"exit {code}:\n{everything[-3000:]}"
    name = re.escape(path)
    # a line ends at a line feed, as terminals, editors and CI logs see it
    lines = err.removesuffix("\n").split("\n") if err else []
    if invocation.command == "convert" and code == 0:
        lines = [line for line in lines if not line.startswith("note: ")]  # what it kept, and why
    located = [re.fullmatch(rf"{name}:{LOCATED}", line) for line in lines]
    assert all(located), f"stderr has lines that are no located diagnostic:\n{err[-3000:]}"
    diagnostics = [m for m in located if m]
    if invocation.annotations:
        notes = [re.match(ANNOTATION, line) for line in out.removesuffix("\n").split("\n")[:-1]]
        assert all(notes), f"stdout has lines that are no annotation:\n{out[-3000:]}"
        diagnostics += [m for m in notes if m]
    placed = [m for m in diagnostics if m["line"] is not None]
    file_lines = yaml_lines(data) if any(m["line"] != "1" or m["column"] != "1" for m in placed) else [""]
    for match in placed:
        assert_inside(file_lines, int(match["line"]), int(match["column"]), match[0])
    errors = [m for m in diagnostics if m["severity"] == "error"]
    if code == 2:
        assert errors, f"exit 2 without an error:\n{everything[-3000:]}"
        if invocation.command == "check":
            assert_check_report(invocation, out, "invalid")
        else:
            assert out == "", out[-3000:]
        return
    # a result
    if invocation.command == "summary" and "json" in invocation.argv:
        report = json.loads(out)
        totals = report["totals"]
        assert totals["params"] == totals["trainable_params"] + totals["non_trainable_params"]
        assert totals["params"] == sum(row["params"] for row in report["layers"])
        assert totals["macs"] == sum(row["macs"] for row in report["layers"])
        assert totals["flops"] == 2 * totals["macs"]
        assert totals["output"] == report["layers"][-1]["output"]
    elif invocation.command == "rf" and "json" in invocation.argv:
        json.loads(out)
    elif invocation.command == "convert":
        assert_converted_reads_back(data, out)
    elif invocation.command == "draw":
        assert ElementTree.fromstring(out).tag.endswith("svg"), out[:300]
    elif invocation.command == "export":
        compile(out, "exported.py", "exec")  # a Python module: running it needs torch, test_export.py does that
    elif invocation.command == "check":
        assert code == 1 or not errors, err
        if invocation.report:
            assert_check_report(invocation, out, "failed" if code else "passed")
        else:
            assert out.splitlines()[-1:] in ([], ["1 spec checked, 0 failed"], ["1 spec checked, 1 failed"]), out
    else:
        assert out.strip(), "a result, and nothing printed"
    if invocation.command in ("summary", "rf", "draw"):
        # a result's warnings and notes go with it, and to stderr too where it is piped, as here: never an error
        assert not errors, err


def assert_check_report(invocation: Invocation, out: str, status: str) -> None:
    """`check`'s closing count, or its JUnit or JSON report, which parses and says `status` of the one spec."""
    if invocation.report == "json":
        assert json.loads(out)["specs"][0]["status"] == status, out[-3000:]
    elif invocation.report == "junit":
        suite = ElementTree.fromstring(out.encode("utf-8")).find("testsuite")
        assert suite is not None, out[-3000:]
        found = "invalid" if suite.get("errors") != "0" else "failed" if suite.get("failures") != "0" else "passed"
        assert found == status, out[-3000:]
    else:
        assert out.splitlines()[-1] == f"1 spec checked, {0 if status == 'passed' else 1} failed", out


def assert_converted_reads_back(data: bytes, converted: str) -> None:
    """`convert` writes a spec that cnncalc reads, with the original's parameters, MACs and output."""
    before = analyse(load(data.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))).totals
    after = analyse(load(converted)).totals
    assert (after.trainable_params, after.non_trainable_params, after.macs, after.output) == (
        before.trainable_params,
        before.non_trainable_params,
        before.macs,
        before.output,
    ), converted


def exercise(tmp_path: Path, data: bytes, invocation: Invocation, stdin: bool = False) -> Outcome:
    """Run `invocation` in-process on `data`, written to a file (or given on standard input), and check the end."""
    path = tmp_path / "spec.yaml"
    path.write_bytes(data)
    argv = [*invocation.argv, "-" if stdin else str(path)]
    outcome = run_in_process(argv, stdin=data if stdin else None, allowed=set() if stdin else {str(path.resolve())})
    try:
        assert_ends_well(invocation, outcome, "<stdin>" if stdin else str(path), data)
    except AssertionError as exc:
        raise AssertionError(f"cnncalc {' '.join(argv)}: {exc}") from None
    return outcome


# -- an independent reading: what the README allows, from PyYAML's values ----------------------------------


class Invalid(Exception):
    """Something the README does not allow."""


class Unknown(Exception):
    """Something this reading does not decide (an alias bomb, a count written as text)."""


class _NotDecimal(str):
    """An integer YAML 1.1 reads in another base (010, 0x10, 3:3): the README refuses them."""


class _Strict(yaml.SafeLoader):
    """PyYAML's safe loader, its own parser (which every message of cnncalc's follows), without YAML 1.1's
    leniencies."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = []
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise Invalid("a merge key")
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in keys:
                    raise Invalid(f"duplicate key {key!r}")
            except TypeError:
                raise Invalid("a key that is no name") from None
            keys.append(key)
        return super().construct_mapping(node, deep=deep)

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        if any(key.tag == "tag:yaml.org,2002:merge" for key, _ in node.value):
            raise Invalid("a merge key")

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int | str:  # type: ignore[override]
        value = str(node.value).replace("_", "")
        if re.fullmatch(r"[-+]?(0|[1-9][0-9]*)", value):
            return int(value) if len(value) < 4000 else _NotDecimal(value)
        return _NotDecimal(node.value)


_Strict.add_constructor("tag:yaml.org,2002:int", _Strict.construct_yaml_int)
for _tag in ("binary", "set", "omap", "pairs"):
    _Strict.add_constructor(f"tag:yaml.org,2002:{_tag}", lambda loader, node: (_ for _ in ()).throw(Invalid(node.tag)))

MAX_SIZE = 2**31 - 1
MAX_INSTANCES = 1_000_000


def _size(value: Any, minimum: int = 1) -> int:
    if type(value) is not int or not minimum <= value <= MAX_SIZE:
        raise Invalid(f"not an integer in [{minimum}, {MAX_SIZE}]: {value!r}")
    return value


def _pair(value: Any, rank: int, minimum: int = 1) -> tuple[int, ...]:
    """One size for every axis, or a list of one per axis (the input's rank of them)."""
    if isinstance(value, list):
        if len(value) != rank:
            raise Invalid(f"a list of {len(value)} at rank {rank}")
        return tuple(_size(v, minimum) for v in value)
    return (_size(value, minimum),) * rank


def _padding(value: Any, rank: int) -> str | tuple[int, ...]:
    if isinstance(value, str) and value in ("same", "valid"):
        return value
    if isinstance(value, list) and len(value) in (rank, 2 * rank):
        sides = [_size(v, 0) for v in value]
        return tuple(p for p in sides for _ in range(2)) if len(sides) == rank else tuple(sides)
    return (_size(value, 0),) * (2 * rank)


def _sides(value: Any, rank: int) -> tuple[int, ...]:
    """Amounts only: p, one per axis or two per axis; no `same` or `valid`."""
    sides = _padding(value, rank)
    if isinstance(sides, str):
        raise Invalid(f"sides that are no amounts: {value!r}")
    return sides


def _mode(value: Any) -> str:
    if type(value) is not str or value not in ("nearest", "bilinear"):
        raise Invalid(f"no upsampling mode: {value!r}")
    return value


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise Invalid(f"not a boolean: {value!r}")
    return value


def _activation(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value in ("none", "linear")):
        return None
    if isinstance(value, str) and value in ACTIVATIONS:
        return value
    raise Invalid(f"no activation: {value!r}")


def _rate(value: Any) -> float:
    if type(value) not in (int, float) or not 0 <= value < 1:
        raise Invalid(f"no rate: {value!r}")
    return float(value)


def _text(value: Any) -> str:
    if type(value) is not str:  # a _NotDecimal is text that YAML read as an integer: no string either
        raise Invalid(f"no string: {value!r}")
    return value


_CONV = {"filters", "kernel", "stride", "padding", "dilation", "groups", "bias", "activation"}
_POOL = {"size", "stride", "padding", "ceil"}
OPTIONS: dict[str, set[str]] = {
    "conv": _CONV,
    "convtranspose": _CONV | {"output_padding"},
    "upsample": {"scale", "size", "mode", "align_corners"},
    "crop": {"size", "offset", "like", "sides"},
    "adaptiveavgpool": {"size"},
    "adaptivemaxpool": {"size"},
    "maxpool": _POOL,
    "avgpool": _POOL,
    "globalavgpool": set(),
    "globalmaxpool": set(),
    "flatten": set(),
    "dense": {"units", "bias", "activation"},
    "zeropad": {"padding"},
    "batchnorm": set(),
    "layernorm": set(),
    "groupnorm": {"groups"},
    "instancenorm": {"affine"},
    "squeeze_excite": {"squeeze", "activation", "gate"},
    "scale": set(),
    "dropout": {"rate"},
    "droppath": {"rate"},
    **{name: set() for name in ACTIVATIONS},
    "prelu": {"per_channel"},
    "channelshuffle": {"groups"},
    "repeat": {"times", "layers"},
    "residual": {"layers", "shortcut", "activation"},
    **{name: {"branches", "with", "crop"} for name in ("add", "multiply")},
    "concat": {"branches", "with", "crop", "split"},
}
REQUIRED = {"conv": {"filters", "kernel"}, "maxpool": {"size"}, "avgpool": {"size"}, "dense": {"units"}}
# an upsample needs `scale` or `size`, a crop `size` or `sides`: the shapes' to say, not the loader's
REQUIRED |= {"convtranspose": {"filters", "kernel"}, "adaptiveavgpool": {"size"}, "adaptivemaxpool": {"size"}}
REQUIRED |= {"zeropad": {"padding"}, "channelshuffle": {"groups"}, "groupnorm": {"groups"}}
REQUIRED |= {"squeeze_excite": {"squeeze"}}
# a merge needs `branches` or `with`: the engine's to say, not the loader's
REQUIRED |= {"repeat": {"times", "layers"}, "residual": {"layers"}}


class _Reading:
    """The README's spec format, read from PyYAML's values into cnncalc's records (without their places)."""

    def __init__(self) -> None:
        self.budget = 100_000  # values visited: an alias bomb is cnncalc's to refuse, not this reading's to expand
        self.open: list[int] = []  # the lists and mappings being read: one among them again is a loop
        self.rank = 2  # the input's spatial axes: sizes are given per axis of them

    def visit(self, value: Any) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise Unknown("too many values")

    def layers(self, value: Any, empty_ok: bool = False) -> tuple[Layer, ...]:
        if not isinstance(value, list) or (not value and not empty_ok):
            raise Invalid(f"no list of layers: {value!r:.80}")
        if id(value) in self.open:
            raise Invalid("a list that contains itself")
        self.open.append(id(value))
        layers = tuple(self.layer(item) for item in value)
        self.open.pop()
        return layers

    def layer(self, value: Any) -> Layer:
        self.visit(value)
        name = source = None
        if isinstance(value, str) and not isinstance(value, _NotDecimal):
            kind, options = value, None
        elif isinstance(value, dict):
            if any(type(key) is not str for key in value):
                raise Invalid("a key that is no name")
            kinds = [key for key in value if key not in ("name", "from")]
            if len(kinds) != 1:
                raise Invalid(f"{len(kinds)} kinds")
            kind, options = kinds[0], value[kinds[0]]
            if "name" in value:
                name = _text(value["name"])
            if "from" in value:
                source = _text(value["from"])
        else:
            raise Invalid(f"no layer: {value!r:.80}")
        if kind not in OPTIONS:
            raise Invalid(f"no kind: {kind!r}")
        options = {} if options is None else options
        if not isinstance(options, dict) or any(type(key) is not str for key in options):
            raise Invalid("options that are no mapping of names")
        if "name" in options:
            if name is not None:
                raise Invalid("a name given twice")
            name = _text(options["name"])
        if "from" in options:
            if source is not None:
                raise Invalid("a from given twice")
            source = _text(options["from"])
        given = {key: value for key, value in options.items() if key not in ("name", "from")}
        if set(given) - OPTIONS[kind] or REQUIRED.get(kind, set()) - set(given):
            raise Invalid(f"options {sorted(given)} for {kind}")
        return self.record(kind, given, name)._replace(source=source)

    def record(self, kind: str, given: dict[str, Any], name: str | None) -> Layer:
        if kind == "conv":
            return Conv(
                "conv",
                _size(given["filters"]),
                _pair(given["kernel"], self.rank),
                _pair(given.get("stride", 1), self.rank),
                _padding(given.get("padding", "valid"), self.rank),
                _pair(given.get("dilation", 1), self.rank),
                _size(given.get("groups", 1)),
                _boolean(given.get("bias", True)),
                _activation(given.get("activation")),
                name,
            )
        if kind == "convtranspose":
            return ConvTranspose(
                kind="convtranspose",
                filters=_size(given["filters"]),
                kernel=_pair(given["kernel"], self.rank),
                stride=_pair(given.get("stride", 1), self.rank),
                padding=_padding(given.get("padding", "valid"), self.rank),
                output_padding=_pair(given.get("output_padding", 0), self.rank, minimum=0),
                dilation=_pair(given.get("dilation", 1), self.rank),
                groups=_size(given.get("groups", 1)),
                bias=_boolean(given.get("bias", True)),
                activation=_activation(given.get("activation")),
                name=name,
            )
        if kind == "upsample":
            return Upsample(
                kind="upsample",
                scale=_pair(given["scale"], self.rank) if "scale" in given else None,
                size=_pair(given["size"], self.rank) if "size" in given else None,
                mode=_mode(given.get("mode", "nearest")),
                align_corners=_boolean(given.get("align_corners", False)),
                name=name,
            )
        if kind == "crop":
            return Crop(
                kind="crop",
                size=_pair(given["size"], self.rank) if "size" in given else None,
                offset=_pair(given["offset"], self.rank, minimum=0) if "offset" in given else None,
                like=_text(given["like"]) if "like" in given else None,
                sides=_sides(given["sides"], self.rank) if "sides" in given else None,
                name=name,
            )
        if kind in ("adaptiveavgpool", "adaptivemaxpool"):
            return AdaptivePool(kind=kind, size=_pair(given["size"], self.rank), name=name)
        if kind in ("maxpool", "avgpool"):
            size = _pair(given["size"], self.rank)
            stride = _pair(given["stride"], self.rank) if "stride" in given else size
            padding = _padding(given.get("padding", "valid"), self.rank)
            return Pool(kind, size, stride, padding, _boolean(given.get("ceil", False)), name)
        if kind in ("globalavgpool", "globalmaxpool"):
            return GlobalPool(kind, name)
        if kind == "flatten":
            return Flatten("flatten", name)
        if kind == "dense":
            units = _size(given["units"])
            return Dense("dense", units, _boolean(given.get("bias", True)), _activation(given.get("activation")), name)
        if kind == "zeropad":
            padding = _padding(given["padding"], self.rank)
            if isinstance(padding, str):
                raise Invalid("zeropad takes amounts, not same or valid")
            return ZeroPad("zeropad", padding, name)
        if kind == "batchnorm":
            return BatchNorm("batchnorm", name)
        if kind == "layernorm":
            return LayerNorm("layernorm", name)
        if kind == "groupnorm":
            return GroupNorm("groupnorm", _size(given["groups"]), name)
        if kind == "instancenorm":
            return InstanceNorm("instancenorm", _boolean(given.get("affine", False)), name)
        if kind == "squeeze_excite":
            gate = given.get("gate", "sigmoid")
            if gate not in ("sigmoid", "hardsigmoid"):
                raise Invalid(f"no gate: {gate!r}")
            between = _activation(given["activation"]) if "activation" in given else "relu"
            return SqueezeExcite("squeeze_excite", _size(given["squeeze"]), between, gate, name)
        if kind == "scale":
            return Scale("scale", name)
        if kind == "dropout":
            return Dropout("dropout", _rate(given.get("rate", 0.5)), name)
        if kind == "droppath":
            return DropPath("droppath", _rate(given.get("rate", 0)), name)
        if kind == "prelu":
            return PReLU("prelu", _boolean(given.get("per_channel", False)), name)
        if kind == "channelshuffle":
            return ChannelShuffle("channelshuffle", _size(given["groups"]), name)
        if kind == "repeat":
            return Repeat("repeat", _size(given["times"]), self.layers(given["layers"]), name)
        if kind == "residual":
            shortcut = given.get("shortcut")
            return Residual(
                "residual",
                self.layers(given["layers"]),
                () if shortcut is None else self.layers(shortcut, empty_ok=True),
                _activation(given.get("activation")),
                name,
            )
        if kind in ("add", "concat", "multiply"):
            branches = given.get("branches", [])
            if "branches" in given and (not isinstance(branches, list) or len(branches) < 2):
                raise Invalid("fewer than 2 branches")
            merged = given.get("with", [])
            names = tuple(_text(item) for item in (merged if isinstance(merged, list) else [merged]))
            if "with" in given and not names:
                raise Invalid("with names nothing")
            crop = given.get("crop")
            if crop is not None and crop != "centre":
                raise Invalid(f"no crop mode: {crop!r}")
            split = given.get("split")
            if split is not None and (not isinstance(split, list) or not split):
                raise Invalid(f"no split: {split!r}")
            return Merge(
                kind,
                tuple(self.layers(branch, empty_ok=True) for branch in branches),
                names,
                crop,
                None if split is None else tuple(_size(count) for count in split),
                name=name,
            )
        return Activation(kind, name)

    def expectation(self, key: str, value: Any) -> Expectation:
        if key == "output":
            if not isinstance(value, list) or len(value) not in (2, 3, 4):
                raise Invalid("an output of other than 2 to 4")
            return Expectation(key, Volume(*(_size(v) for v in value)))
        if key == "receptive_field":
            return Expectation(key, _pair(value, self.rank))
        if key in ("params", "trainable_params", "non_trainable_params", "max_params", "max_macs"):
            if isinstance(value, str) and not isinstance(value, _NotDecimal):
                return Expectation(key, _count(value))
            return Expectation(key, _size(value, 0))
        raise Invalid(f"no expectation {key!r}")

    def spec(self, document: Any) -> Spec:
        if not isinstance(document, dict) or any(type(key) is not str for key in document):
            raise Invalid("no mapping of names")
        if set(document) - {"name", "description", "input", "layers", "expect"}:
            raise Invalid(f"top-level keys {sorted(document)}")
        if "input" not in document or "layers" not in document:
            raise Invalid("no input or no layers")
        volume = document["input"]
        if not isinstance(volume, list) or len(volume) not in (2, 3, 4):
            raise Invalid("an input of other than 2 to 4")
        self.rank = len(volume) - 1
        expect = document.get("expect", {})
        if not isinstance(expect, dict) or any(type(key) is not str for key in expect):
            raise Invalid("an expect that is no mapping of names")
        spec = Spec(
            Volume(*(_size(v) for v in volume)),
            self.layers(document["layers"]),
            _text(document["name"]) if "name" in document else None,
            _text(document["description"]) if "description" in document else None,
            tuple(self.expectation(key, value) for key, value in expect.items()),
        )
        if instances(spec.layers) > MAX_INSTANCES:
            raise Invalid("too many layer instances")
        return spec


def _count(text: str) -> int:
    """The README's counts: 61706, 61_706, 61,706, 70k, 1.2M, 3G; a fraction of one is none."""
    match = re.fullmatch(r"\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([kKMGT]?)\s*", text)
    if not match:
        raise Invalid(f"no count: {text!r}")
    value = Fraction(match[1].replace("_", "").replace(",", "")) * {"": 1, "k": 10**3, "K": 10**3, "M": 10**6,
                                                                     "G": 10**9, "T": 10**12}[match[2]]  # fmt: skip
    if value.denominator != 1:
        raise Invalid(f"a fraction: {text!r}")
    return int(value)


def read_independently(data: bytes) -> Spec | None:
    """The spec `data` holds, as the README defines it; None where it is invalid. Unknown where undecided."""
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        document = yaml.load(text, Loader=_Strict)
        return _Reading().spec(document)
    except (Invalid, yaml.YAMLError):
        return None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # an explicit tag on text it cannot take: `!!float AlexNet`, `!!bool maybe`
    except RecursionError:
        raise Unknown("nested too deep for PyYAML's constructor") from None


def assert_loader_agrees(data: bytes) -> None:
    """cnncalc's loader refuses what the independent reading finds invalid, and reads the rest as it does."""
    try:
        expected = read_independently(data)
    except Unknown as exc:
        event(f"undecided by the independent reading: {exc}")
        return
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        spec = load(text)
    except (SpecError, UnicodeDecodeError) as exc:
        assert expected is None, f"cnncalc refuses a valid spec: {exc}\n{data[:3000]!r}"
        event("invalid")
        return
    assert expected is not None, f"cnncalc accepts a spec the README refuses:\n{data[:3000]!r}"
    assert placeless(spec) == expected, f"cnncalc reads {placeless(spec)}\nwritten: {expected}\n{data[:3000]!r}"
    event("valid")


# -- walking layer records ----------------------------------------------------------------------------------


def placeless(spec: Spec) -> Spec:
    """A spec without the places its records were read from, to compare with one read another way."""

    def strip(layer: Layer) -> Layer:
        return rebuilt(layer._replace(loc=None, option_locs={}), strip)

    expect = tuple(e._replace(loc=None) for e in spec.expect)
    return spec._replace(layers=tuple(map(strip, spec.layers)), expect=expect, input_loc=None)


# -- almost-right specs: real ones, mutated ---------------------------------------------------------------

SEEDS = [path.read_text(encoding="utf-8") for path in SPECS] + [
    "input: [32, 32, 3]\nlayers:\n  - conv: {filters: 8, kernel: 3, padding: same}\n  - relu\n  - flatten\n"
    "  - dense: {units: 10, activation: softmax}\n",
    "name: blocks\ninput: [16, 16, 8]\nlayers:\n  - repeat:\n      times: 2\n      layers:\n        - residual:\n"
    "            layers: [{conv: {filters: 8, kernel: 3, padding: 1}}, batchnorm]\n            activation: relu\n"
    "  - concat:\n      branches:\n        - []\n        - [{conv: {filters: 4, kernel: 1}}]\n"
    "  - {maxpool: {size: 2, ceil: true}, name: pool}\n  - globalavgpool\n  - flatten\n  - dense: {units: 3}\n",
    "input: [28, 28, 1]\nlayers: [{conv: {filters: 6, kernel: 5, stride: [1, 1], dilation: 1, groups: 1, bias: true}},"
    " {avgpool: {size: [2, 2], stride: 2, padding: [0, 0, 0, 0]}}, {dropout: {rate: 0.25}}, flatten,"
    " {dense: {units: 10, bias: false}}]\nexpect: {output: [1, 1, 10], params: 8.7k, receptive_field: 6}\n",
    "name: decoder\ninput: [6, 5, 8]\nlayers:\n  - convtranspose: {filters: 4, kernel: 4, stride: 2, padding: 1,"
    " output_padding: [0, 1], dilation: 1, groups: 2, bias: false, activation: relu}\n"
    "  - upsample: {scale: 2, mode: bilinear, align_corners: true}\n  - crop: {size: [20, 19], offset: [1, 0]}\n"
    "  - crop: {sides: [1, 0, 2, 1]}\n  - convtranspose: {filters: 2, kernel: 3, stride: [2, 1], padding: same}\n"
    "  - upsample: {size: [45, 40]}\n  - crop: {size: 40}\n  - {adaptivemaxpool: {size: [9, 7]}, name: pooled}\n"
    "  - adaptiveavgpool: {size: 3}\n  - flatten\n  - dense: {units: 3}\nexpect: {output: [1, 1, 3]}\n",
]
SEED_DOCUMENTS = [yaml.safe_load(seed) for seed in SEEDS]

NAN, INF = float("nan"), float("inf")
ODD_VALUES = [
    0, -1, -3, 1, 2, 3, 7, 2**31 - 1, 2**31, 2**63, 10**30, -(10**30), 10**4000, 1.5, 3.0, -0.0, 0.5, 1e-300,
    NAN, INF, -INF, True, False, None, "", " ", "3", "8", "-1", "same", "SAME", "Same", "valid", "full", "1e3",
    "0x10", "010", "0o7", "3:3", "1_000", "yes", "no", "on", "off", "y", "~", "null", "none", "linear", "relu",
    "Relu", "conv", "flatten", "input", "layers", "name", "x" * 300, "é", "日本", "\t", "\u200b", "a\nb",
    "\x1b[31mred", "--format", "-", "/etc/passwd", "../specs/vgg16.yaml", "file:///etc/passwd",
    "$(touch PWNED)", "`touch PWNED`", "%(x)s", "{0}", "[bold]x[/]", "\\", "'", '"', "#", "&a", "*a", "!!str",
    datetime.date(2024, 1, 1), datetime.datetime(2024, 1, 1, 12, 0),
    [], [1], [1, 2], [3, 3], [1, 2, 3], [1, 2, 3, 4], [1, 2, 3, 4, 5], [0, 0], [-1, 1], ["3", 3], [None],
    [[1, 2]], {}, {"a": 1}, {"filters": 8}, {"conv": {"filters": 8, "kernel": 3}}, {"relu": None},
    {1: 2}, {None: 1}, {True: "x"}, {"name": "x"},
]  # fmt: skip
# a copy of each: a mutation that changes a list inside one must not change the table
odd_values = st.sampled_from(ODD_VALUES).map(copy.deepcopy) | st.integers() | st.floats() | st.text(max_size=12)


def places(node: Any, limit: int = 400) -> list[tuple[Any, Any]]:
    """Every (container, key or index) of a document, breadth first: where a mutation can act."""
    found: list[tuple[Any, Any]] = []
    queue = [node]
    while queue and len(found) < limit:
        container = queue.pop(0)
        keys = list(container) if isinstance(container, dict) else range(len(container))
        for key in keys:
            found.append((container, key))
            if isinstance(container[key], (dict, list)):
                queue.append(container[key])
    return found


def misspelt(draw: st.DrawFn, word: str) -> str:
    """A near miss: a letter dropped, doubled, swapped or changed, a case changed, an `s` or a space added."""
    if not word:
        return "x"
    i = draw(st.integers(0, len(word) - 1))
    how = draw(st.sampled_from(["drop", "double", "swap", "change", "upper", "plural", "space", "lookalike"]))
    if how == "drop":
        return word[:i] + word[i + 1 :] or "x"
    if how == "double":
        return word[: i + 1] + word[i:]
    if how == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "change":
        return word[:i] + draw(st.sampled_from("aeiouxz_-")) + word[i + 1 :]
    if how == "upper":
        return word.upper() if draw(st.booleans()) else word.capitalize()
    if how == "plural":
        return word + "s"
    if how == "space":
        return word + " " if draw(st.booleans()) else " " + word
    return word.replace("o", "\u043e").replace("a", "\u0430")  # Cyrillic letters that look Latin


def benign(draw: st.DrawFn, container: Any, key: Any) -> None:
    """A change that mostly keeps a spec valid: another small size, a flag flipped, another form of padding, an
    option or a name left out; the loader must read it as written."""
    value = container[key]
    if isinstance(value, bool):
        container[key] = not value
    elif isinstance(value, int):
        container[key] = draw(st.sampled_from([1, 2, 3, 4, 8, value, value + 1]))
    elif isinstance(value, list) and len(value) in (2, 4) and all(isinstance(v, int) for v in value):
        container[key] = draw(st.sampled_from([value[0], [value[0]] * len(value), value]))
    elif key in ("padding", "activation", "name", "stride", "dilation", "bias", "ceil", "groups", "description"):
        if draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(st.sampled_from(["same", "valid", 1, [1, 0], [0, 1, 1, 0]]) if key == "padding"
                                  else st.sampled_from([*ACTIVATIONS, "none"]) if key == "activation"
                                  else st.sampled_from(["a", "conv 1", "x.y", "", "é"]))  # fmt: skip


@st.composite
def mutated_document(draw: st.DrawFn) -> Any:
    """A real spec as PyYAML reads it, then changed in 1 to 4 places; one in three only in ways that mostly keep
    it valid."""
    document = json.loads(json.dumps(draw(st.sampled_from(SEED_DOCUMENTS)), default=str))  # a deep copy
    gentle = draw(st.integers(0, 2)) == 0
    for _ in range(draw(st.integers(1, 4))):
        spots = places(document)
        if not spots:
            break
        container, key = draw(st.sampled_from(spots))
        if gentle:
            benign(draw, container, key)
            continue
        how = draw(
            st.sampled_from(["drop", "rename", "replace", "replace", "swap", "wrap", "move", "add", "nest", "share"])
        )
        value = container[key]
        if how == "drop":
            del container[key]
        elif how == "rename" and isinstance(container, dict) and isinstance(key, str):
            container[misspelt(draw, key)] = container.pop(key)
        elif how == "swap" and isinstance(container, dict) and not isinstance(value, (dict, list)):
            del container[key]
            try:
                container[value] = key
            except TypeError:
                container[str(value)] = key
        elif how == "wrap":
            container[key] = draw(st.sampled_from([[value], {"x": value}, {str(key): value}, [value, value]]))
        elif how == "move":
            other, other_key = draw(st.sampled_from(spots))
            if other is not container or other_key != key:
                other[other_key], container[key] = value, other[other_key]
        elif how == "add":
            if isinstance(container, dict):
                container[draw(st.sampled_from(["strid", "padding", "name", "units", "extra", "filters"]))] = draw(
                    odd_values
                )
            else:
                container.insert(key, draw(odd_values))
        elif how == "nest":
            depth = draw(st.integers(2, 250))
            for _ in range(depth):
                value = [value]
            container[key] = value
        elif how == "share":  # the same object twice: PyYAML writes an anchor and an alias
            other, other_key = draw(st.sampled_from(spots))
            other[other_key] = value
        else:
            container[key] = draw(odd_values)
    return document


def dumped(draw: st.DrawFn, document: Any) -> bytes:
    """A document in YAML, in one of PyYAML's styles; anything PyYAML cannot write becomes its text."""
    style = draw(st.sampled_from([None, True, False]))
    width = draw(st.sampled_from([80, 20, 10_000]))
    try:
        text = yaml.safe_dump(document, default_flow_style=style, sort_keys=False, width=width,
                              allow_unicode=draw(st.booleans()))  # fmt: skip
    except (yaml.YAMLError, RecursionError, ValueError):
        text = repr(document)
    return text.encode("utf-8")


TAGS = [
    "!!python/object/apply:os.system ['touch PWNED']", "!!python/object/apply:builtins.open ['PWNED', 'w']",
    "!!python/name:os.system", "!!python/module:os", "!!python/object:__main__.X {}", "!!binary aGVsbG8=",
    "!!set {a, b}", "!!omap [a: 1]", "!include other.yaml", "!ENV ${HOME}", "!!str", "!!int", "!!float", "!!bool",
    "!!null", "!!timestamp", "!!seq", "!!map", "!custom", "!", "!<tag:yaml.org,2002:str>", "&anchor", "*undefined",
]  # fmt: skip
BAD_BYTES = [b"\x80", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\x00", b"\x07", b"\x1b", b"\xef\xbb\xbf",
             b"\xfe\xff", b"\r", b"\r\n", b"\t", b"\x85", "\u2028".encode(), b"\xf4\x90\x80\x80"]  # fmt: skip


@st.composite
def text_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """Changes below YAML's values: tags and anchors, tabs, bytes that are not UTF-8, lines cut, doubled, swapped."""
    for _ in range(draw(st.integers(0, 3))):
        lines = data.split(b"\n")
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        how = draw(st.sampled_from(["tag", "tab", "byte", "truncate", "duplicate", "delete", "swap", "crlf", "merge"]))
        if how == "tag" and b": " in lines[i]:
            head, _, tail = lines[i].partition(b": ")
            lines[i] = head + b": " + draw(st.sampled_from(TAGS)).encode() + b" " + tail
        elif how == "tab":
            lines[i] = b"\t" + lines[i].lstrip(b" ") if draw(st.booleans()) else lines[i].replace(b"  ", b"\t")
        elif how == "byte":
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.sampled_from(BAD_BYTES)) + data[at:]
            continue
        elif how == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
            continue
        elif how == "duplicate":
            lines.insert(i, lines[i])
        elif how == "delete":
            del lines[i]
        elif how == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif how == "crlf":
            return data.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r"])))
        elif how == "merge":
            lines.insert(i, b"merged: &m {filters: 8}")
            lines.append(b"  - conv: {<<: *m, kernel: 3}")
        data = b"\n".join(lines)
    return data


@st.composite
def almost_right_specs(draw: st.DrawFn) -> bytes:
    data = dumped(draw, draw(mutated_document()))
    return draw(text_mutations(data)) if draw(st.booleans()) else data


# -- YAML of any shape, and bytes of any kind ----------------------------------------------------------------

yaml_values = st.recursive(
    odd_values,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from([*OPTIONS, "input", "layers", "x"])
                                                                 | st.text(max_size=6), inner, max_size=4),
    max_leaves=30,
)  # fmt: skip


@st.composite
def any_documents(draw: st.DrawFn) -> bytes:
    """A document of any shape, sometimes with `input` and `layers` so that the layers are read."""
    document = draw(yaml_values)
    if draw(st.booleans()):
        document = {"input": draw(st.sampled_from([[8, 8, 3], [1, 1, 1], document])), "layers": document}
    return draw(text_mutations(dumped(draw, document)))


YAMLISH = st.sampled_from(
    ["input:", "layers:", " ", "  ", "\n", "- ", "[", "]", "{", "}", ",", ": ", "conv", "relu", "8", "-1", "&a ",
     "*a", "!!str ", "? ", "|", ">", "'", '"', "#", "---", "...", "%YAML 1.1", "\t", "<<: ", "\ufeff", "é"]
)  # fmt: skip
