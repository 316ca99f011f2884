"""Generated command lines: `summary` with options right and wrong, and any tokens on any command.

A `summary` command line must be taken exactly when each part is right, and refused with click's usage error
(exit 2) otherwise; anything on any command ends in a result, click's usage error or located errors, never a fault.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import click
import pytest
from fuzzing import HEAD, examples, run_in_process, run_main, watched
from hypothesis import event, given
from hypothesis import strategies as st

from cnncalc.cli import cli


@contextmanager
def working_directory(directory: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


GOOD_SPEC = (
    HEAD + "  - conv: {filters: 4, kernel: 1}\n  - relu\n  - globalavgpool\n  - flatten\n  - dense: {units: 3}\n"
)


class Part(NamedTuple):
    """Part of a command line, and whether click must take it."""

    tokens: tuple[str, ...]
    valid: bool


# a volume of any rank is taken (the spec's 1 x 1 convs compute at every rank): L x C and D x H x W x C too
VOLUMES = [("32x32x3", True), ("32,32,3", True), ("32 32 3", True), (" 8X8x1 ", True), ("2147483647x1x1", True),
           ("32x32", True), ("8x32x32x3", True), ("0x1x1", False), ("2147483648x1x1", False), ("32", False),
           ("axbxc", False), ("-1x3x3", False), ("", False), ("1e3x1x1", False), ("\u0663x3x3", False),
           ("2x2x32x32x3", False), ("3.5x3x3", False)]  # fmt: skip


@st.composite
def summary_command_lines(draw: st.DrawFn) -> tuple[list[str], bool]:
    """`cnncalc summary` with options right and wrong, some given twice (click takes the last), and whether click
    must accept the whole."""
    chosen: dict[str, Part] = {}
    parts: list[Part] = []
    for _ in range(draw(st.integers(0, 6))):
        option = draw(st.sampled_from(["--format", "--input", "--depth", "--batch", "--dtype", "--view", "--explain",
                                       "unknown", "extra"]))  # fmt: skip
        if option == "--format":
            value = draw(st.sampled_from(["table", "json", "csv", "markdown", "yaml", "JSON", "", "tab"]))
            part = Part((option, value), value.lower() in ("table", "json", "csv", "markdown"))  # in any case
        elif option == "--input":
            value, valid = draw(st.sampled_from(VOLUMES))
            part = Part((option, value), valid)
        elif option in ("--depth", "--batch"):
            low = 0 if option == "--depth" else 1
            value = draw(st.sampled_from(["0", "1", "7", "0010", "-1", "x", "1.5", "", "1e3", str(10**20)]))
            part = Part((option, value), value.isdigit() and low <= int(value) <= 2**31 - 1)
        elif option == "--dtype":
            value = draw(st.sampled_from(["float32", "float16", "bfloat16", "int8", "float64", "FLOAT32", ""]))
            part = Part((option, value), value.lower() in ("float32", "float16", "bfloat16", "int8"))
        elif option == "--view":
            value = draw(st.sampled_from(["layers", "fc", "dense", ""]))
            part = Part((option, value), value in ("layers", "fc"))
        elif option == "--explain":
            part = Part((option,), True)
        elif option == "unknown":
            part = Part((draw(st.sampled_from(["--frobnicate", "-z", "--formats", "--Format", "---format"])),), False)
        else:
            part = Part((draw(st.sampled_from(["also.yaml", "json", "7"])),), False)  # a second SPEC
        parts.append(part)
        if option.startswith("--"):
            chosen[option] = part
    # an option given twice: click converts the last only
    valid = all(part.valid for part in parts if part.tokens[0] not in chosen or chosen[part.tokens[0]] is part)
    last_format = chosen.get("--format")
    if last_format is not None and last_format.tokens[1] == "csv":
        # CSV has no place for the formulas, the fc view's columns or the memory line: refused, not dropped
        view = chosen.get("--view")
        if "--explain" in chosen or "--batch" in chosen or "--dtype" in chosen or (view and view.tokens[1] == "fc"):
            valid = False
    spec_at = draw(st.integers(0, len(parts)))
    tokens = [token for part in parts[:spec_at] for token in part.tokens] + ["spec.yaml"]
    tokens += [token for part in parts[spec_at:] for token in part.tokens]
    if draw(st.integers(0, 9)) == 0 and not any(part.tokens[0] in ("also.yaml", "json", "7") for part in parts):
        tokens.remove("spec.yaml")  # and no other argument to take its place: standard input is read
    return ["summary", *tokens], valid


@examples(300)
@given(summary_command_lines())
def test_summary_takes_good_command_lines_and_refuses_the_rest_with_a_usage_error(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[list[str], bool]
) -> None:
    argv, valid = case
    directory = tmp_path_factory.mktemp("argv")
    (directory / "spec.yaml").write_text(GOOD_SPEC)
    with working_directory(directory):
        outcome = run_in_process(argv, allowed={str(directory / "spec.yaml")})
    assert "Traceback" not in outcome.stdout + outcome.stderr
    if valid and "spec.yaml" not in argv:  # no SPEC named: standard input is read, and nothing was piped in
        nothing = "<stdin>: error: nothing on standard input: name a SPEC file, or pipe one in\n"
        assert (outcome.code, outcome.stdout, outcome.stderr) == (2, "", nothing), outcome
    elif valid:
        assert (outcome.code, outcome.stderr) == (0, ""), outcome
        assert outcome.stdout.strip()
    else:
        assert outcome.code == 2, outcome
        assert outcome.stdout == ""
        assert "Usage: cnncalc summary" in outcome.stderr and "Error: " in outcome.stderr, outcome.stderr
    event("accepted" if valid else "refused")


def command_names() -> list[str]:
    ctx = click.Context(cli)
    return list(cli.list_commands(ctx))


def option_names() -> list[str]:
    """Every option of every command, but those that write a file (tested on their own, in a scratch directory)."""
    ctx = click.Context(cli)
    names = set()
    for name in command_names():
        command = cli.get_command(ctx, name)
        assert command is not None
        for param in command.params:
            if isinstance(param, click.Option) and "--output" not in param.opts:
                names.update(param.opts)
    return sorted(names)


VALUES = ["spec.yaml", "-", "3", "0", "-1", "2147483648", "32x32x3", "3x3", "1,2,3,4", "same", "valid", "max", "avg",
          "json", "table", "csv", "github", "pytorch", "keras", "conv", "dense", "70k", "1.2M", "1.5", "1e3", "",
          " ", "x", "é", "\t", "--", "1 2; 3 4", "1/3", "nan", "inf", "lenet5", "vgg16.yaml", "example:lenet5",
          # numbers at and past Python's 4,300-digit limit on int(text), past any size, and in other scripts' digits
          "9" * 4300, "9" * 4301, "1" * 256, "9" * 400, "1" + "0" * 20, "1x" + "9" * 5000 + "x3", "\u0663",
          "\uff13x\uff13", "1/" + "7" * 4301, "0." + "5" * 4301]  # fmt: skip


@examples(400)
@given(
    st.sampled_from(command_names()),
    st.lists(st.sampled_from(option_names()) | st.sampled_from(VALUES) | st.text(max_size=8).filter(
        # no -o FILE (a write, tested on its own), no line feed (a file name is printed as given, as compilers do)
        lambda text: not text.startswith("-o") and text[:3] != "--o" and "\n" not in text), max_size=8),
)  # fmt: skip
def test_any_command_line_ends_in_a_result_or_a_usage_error(
    tmp_path_factory: pytest.TempPathFactory, command: str, arguments: list[str]
) -> None:
    # anything on any command: exit 0 (1 for a failed check), or 2 with click's usage error or located errors
    directory = tmp_path_factory.mktemp("argv")
    (directory / "spec.yaml").write_text(GOOD_SPEC)
    argv = [command, *arguments]
    with working_directory(directory), watched() as accesses:
        code, stdout, stderr = run_main(argv, b"1 2; 3 4\n")
    assert not [a for a in accesses if a.event != "open"], accesses
    assert "Traceback" not in stdout + stderr and code in (0, 1, 2), (code, stdout, stderr)
    if code == 2:
        usage = "Error: " in stderr
        lines = stderr.removesuffix("\n").split("\n")
        located = stderr and all(
            # at a line and column, or at none (a file that is missing, standard input with nothing on it)
            re.match(r".*: (error|warning|note): ", line) or line.startswith(f"cnncalc {command}: ")
            for line in lines
        )
        assert usage or located, stderr
        event("usage error" if usage else "located errors")
    else:
        event(f"exit {code}")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["summary", "spec.yaml", "--depth", "deep"], "'deep' is not a whole number", id="depth-words"),
        pytest.param(["summary", "spec.yaml", "--format", "yaml"], "'yaml' is not one of", id="unknown-format"),
        pytest.param(["summary", "spec.yaml", "--input", "0x32x3"], "every size must be between 1", id="size-0"),
        pytest.param(["summary", "spec.yaml", "--input", "32"], "is not a volume", id="one-size"),
        pytest.param(["summary", "spec.yaml", "--input", "2x2x32x32x3"], "is not a volume", id="five-sizes"),
        pytest.param(["summary", "spec.yaml", "--depth", "-1"], "-1 is not in the range x>=0", id="depth-negative"),
        pytest.param(["summary", "spec.yaml", "--batch", "0"], "0 is not in the range x>=1", id="batch-0"),
        pytest.param(["summary", "spec.yaml", "--explain", "--format", "csv"], "--explain goes with", id="explain-csv"),
        pytest.param(["summary", "spec.yaml", "--view", "fc", "--format", "csv"], "--view fc goes with", id="fc-csv"),
        pytest.param(["summary", "spec.yaml", "--format", "csv", "--batch", "8"], "csv has no place", id="batch-csv"),
        pytest.param(["summary", "spec.yaml", "--color", "red"], "'red' is not one of", id="colour-red"),
        pytest.param(["summary", "spec.yaml", "other.yaml"], "unexpected extra argument", id="two-specs"),
        # click says "No such option: --frobnicate" before 8.4, "No such option '--frobnicate'." since
        pytest.param(["summary", "spec.yaml", "--frobnicate"], "No such option", id="unknown-option"),
        pytest.param(["rf", "spec.yaml", "--format", "csv"], "'csv' is not one of", id="rf-csv"),
        pytest.param(["convert", "spec.yaml"], "Missing option '--to'", id="convert-without-to"),
        pytest.param(["convert", "spec.yaml", "--to", "keras"], "'keras' is not one of", id="convert-to-keras"),
        pytest.param(["check", "spec.yaml", "--max-params", "lots"], "is not a count", id="check-count"),
        pytest.param(["sumary", "spec.yaml"], "Did you mean 'summary'?", id="mistyped-command"),
        pytest.param(["draw", "spec.yaml", "-o", "net.txt"], "the picture is written as .svg or .png", id="draw-txt"),
        pytest.param(["summarize", "spec.yaml"], "No such command 'summarize'", id="unknown-command"),
    ],
)
def test_bad_command_lines_are_usage_errors(tmp_path: Path, argv: list[str], message: str) -> None:
    (tmp_path / "spec.yaml").write_text(GOOD_SPEC)
    with working_directory(tmp_path):
        outcome = run_in_process(argv, allowed={str(tmp_path / "spec.yaml")})
    assert (outcome.code, outcome.stdout) == (2, "")
    assert "Usage: cnncalc" in outcome.stderr and "Error: " in outcome.stderr, outcome.stderr
    assert message in outcome.stderr, outcome.stderr
