"""The README's ```console blocks, run: each `$ ` line's output must be what the block shows after it.

A block runs in a temporary directory of its own, where `specs` links to the repository's specs (so that
`specs/lenet5.yaml` is printed as written) and files made by one line are there for the next. A `$ cnncalc ...`
line is split with shlex and run in-process, its standard output and error together as a terminal shows them;
any other `$ ` line (printf, `&&`) runs in bash, the console script first on PATH, and its standard output is
compared (third-party programs may warn on stderr: torch does without numpy). In the block, a line `...` stands
for any lines, none included; trailing spaces are not compared (editors strip them from the README).
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import os
import re
import shlex
import subprocess
import sysconfig
from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SCRIPTS = Path(sysconfig.get_path("scripts"))

# the environment rich reads to choose a terminal's width and colours: unset, so that tables print at their
# natural width and without escape codes, as in the README
ENVIRONMENT: dict[str, str | None] = {
    "FORCE_COLOR": None,
    "NO_COLOR": None,
    "COLORTERM": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
    "COLUMNS": "100",
    "LINES": "40",
    "CNNCALC_DEBUG": None,
}

# files a block reads that the README does not write out: the README shows only the messages about bad.yaml,
# so this is a bad.yaml that has those three faults at those places
FILES = {
    "bad.yaml": (
        "input: [32, 32, 3]\n"
        "layers:\n"
        "  - conv: {filters: 16, kernel: 3, groups: 2}\n"
        "  - dense: {units: 10}\n"
        "  - conv: {filters: 8, kernel: 3, stride: 0}\n"
    ),
}

SHELL_OPERATORS = {"|", "||", "&", "&&", ";", ">", ">>", "<"}


class Command(NamedTuple):
    line: str  # after the `$ `
    expected: list[str]  # the lines the block shows after it, up to the next `$ ` line
    number: int  # its line in the README


class Block(NamedTuple):
    number: int  # the line of its opening fence
    commands: list[Command]


def console_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        if lines[index].strip() != "```console":
            index += 1
            continue
        start = index
        commands: list[Command] = []
        index += 1
        while lines[index].strip() != "```":
            line = lines[index]
            if line.startswith("$ "):
                commands.append(Command(line[2:], [], index + 1))
            else:
                assert commands, f"README.md:{index + 1}: a console block must start with a `$ ` line"
                commands[-1].expected.append(line)
            index += 1
        blocks.append(Block(start + 1, commands))
        index += 1
    return blocks


BLOCKS = console_blocks(README.read_text(encoding="utf-8"))


def block_id(block: Block) -> str:
    words = re.sub(r"[^A-Za-z0-9.]+", "-", block.commands[0].line).strip("-")
    return f"line-{block.number}-{words[:48].rstrip('-')}"


def is_elision(line: str) -> bool:
    return line.strip() == "..."


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the lines are equal, trailing spaces aside, a `...` line in `expected` standing for any lines."""
    expected = [line.rstrip() for line in expected]
    actual = [line.rstrip() for line in actual]

    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(expected):
            return j == len(actual)
        if is_elision(expected[i]):
            return any(match(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and expected[i] == actual[j] and match(i + 1, j + 1)

    return match(0, 0)


def shell_line(line: str) -> bool:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    tokens = list(lexer)
    return not tokens or tokens[0] != "cnncalc" or any(token in SHELL_OPERATORS for token in tokens)


def run(line: str, directory: Path) -> str:
    if shell_line(line):
        environment = {key: value for key, value in os.environ.items() if key not in ENVIRONMENT}
        environment.update({key: value for key, value in ENVIRONMENT.items() if value is not None})
        environment["PATH"] = f"{SCRIPTS}{os.pathsep}{environment.get('PATH', '')}"
        done = subprocess.run(
            ["bash", "-c", line], cwd=directory, env=environment, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"`{line}` ended with exit code {done.returncode}:\n{done.stderr}"
        return done.stdout
    result = CliRunner(env=ENVIRONMENT).invoke(cli, shlex.split(line)[1:], terminal_width=100)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code != 3, f"`{line}`: an internal error:\n{result.output}"
    return result.output  # stdout and stderr together, as on a terminal


def needs(block: Block) -> set[str]:
    # the README's `python3 resnet18.py` runs the exported model: torch, as the other comparisons with it need
    return {"torch"} if any("python3 " in command.line for command in block.commands) else set()


@pytest.mark.parametrize("block", [pytest.param(block, id=block_id(block)) for block in BLOCKS])
def test_a_console_block_shows_what_cnncalc_prints(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in needs(block):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    (tmp_path / "specs").symlink_to(ROOT / "specs")
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for command in block.commands:
        actual = run(command.line, tmp_path).split("\n")
        if actual[-1] == "":
            actual.pop()  # the final newline
        if not matches(command.expected, actual):
            comparison = difflib.unified_diff(
                command.expected, actual, f"README.md, after line {command.number}", "cnncalc's output", lineterm=""
            )
            pytest.fail(
                f"README.md:{command.number}: `$ {command.line}` prints otherwise than the README shows "
                "(a `...` line stands for any lines):\n" + "\n".join(comparison),
                pytrace=False,
            )


def test_the_readme_has_its_console_blocks() -> None:
    # the blocks are found at all: a fence written otherwise would leave a block silently unrun
    commands = [command.line for block in BLOCKS for command in block.commands]
    assert len(BLOCKS) == README.read_text(encoding="utf-8").count("```console") >= 10
    assert "cnncalc summary specs/lenet5.yaml" in commands
    assert "cnncalc summary bad.yaml" in commands
    assert all(block.commands for block in BLOCKS)


@pytest.mark.parametrize(
    ("expected", "actual", "result"),
    [
        pytest.param(["a", "b"], ["a", "b"], True, id="equal"),
        pytest.param(["a", "b  "], ["a  ", "b"], True, id="trailing-spaces"),
        pytest.param(["a", "b"], ["a", "c"], False, id="a-line-differs"),
        pytest.param(["a"], ["a", "b"], False, id="a-line-more"),
        pytest.param(["a", "b"], ["a"], False, id="a-line-less"),
        pytest.param(["...", "c"], ["a", "b", "c"], True, id="elided-head"),
        pytest.param(["a", "..."], ["a", "b", "c"], True, id="elided-tail"),
        pytest.param(["a", "...", "c"], ["a", "c"], True, id="elided-nothing"),
        pytest.param(["a", "    ...", "d"], ["a", "b", "c", "d"], True, id="elided-indented"),
        pytest.param(["...", "b", "...", "d"], ["a", "b", "c"], False, id="elided-but-missing"),
        pytest.param(["...", "x", "..."], ["a", "b", "c"], False, id="elided-around-nothing-there"),
        pytest.param([], [], True, id="no-output"),
        pytest.param([], ["a"], False, id="output-where-none-is-shown"),
    ],
)
def test_matching_with_elisions(expected: list[str], actual: list[str], result: bool) -> None:
    assert matches(expected, actual) is result


@pytest.mark.parametrize(
    ("line", "shell"),
    [
        pytest.param("cnncalc summary specs/lenet5.yaml", False, id="cnncalc"),
        pytest.param('cnncalc apply conv --filter "1 0 -1; 1 0 -1"', False, id="quoted-semicolon"),
        pytest.param("cnncalc export x.yaml -o x.py && python3 x.py", True, id="and"),
        pytest.param("printf 'a\\n' > image.txt      # a comment", True, id="printf"),
        pytest.param("cnncalc convert x.yaml --to conv | cnncalc summary -", True, id="pipe"),
    ],
)
def test_which_lines_run_in_a_shell(line: str, shell: bool) -> None:
    assert shell_line(line) is shell
