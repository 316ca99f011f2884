"""Shell habits: every help ends in an example, and completion works in bash, zsh and fish (click's own scripts)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cnncalc.cli import LazyGroup, cli
from cnncalc.commands.examples import examples
from cnncalc.commands.schema import schema

ROOT = Path(__file__).resolve().parent.parent


def written_commands() -> dict[str, click.Command]:
    """Every registered command whose module exists (some are registered before they are written), and the
    commands written here before they are registered."""
    assert isinstance(cli, LazyGroup)
    found: dict[str, click.Command] = {"schema": schema, "examples": examples}
    for name in cli.list_commands(click.Context(cli)):
        module = cli.lazy[name].split(":")[0] if name in cli.lazy else None
        try:
            command = cli.get_command(click.Context(cli), name)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # the command's module is there but fails to import: a fault, not a gap
                raise
            continue
        assert command is not None
        found[name] = command
    return found


def help_text(name: str, command: click.Command) -> str:
    assert isinstance(cli, LazyGroup)
    if name in cli.lazy:  # as users meet it, through the group and its context settings
        result = CliRunner().invoke(cli, [name, "--help"])
    else:
        result = CliRunner().invoke(command, ["--help"], prog_name=f"cnncalc {name}")
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    return result.stdout


def test_the_group_help_ends_with_an_example() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert result.stdout.rstrip().splitlines()[-1].strip().startswith("Example: cnncalc ")


@pytest.mark.parametrize(("name", "command"), sorted(written_commands().items()))
def test_every_command_help_ends_with_an_example_of_itself(name: str, command: click.Command) -> None:
    last = help_text(name, command).rstrip().splitlines()[-1].strip()
    assert last.startswith(f"Example: cnncalc {name} "), last


# -- completion ------------------------------------------------------------------------------------------


def run(env: dict[str, str], *command: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("_CNNCALC", "COMP_"))}
    environment.update(env)
    if path:
        environment["PATH"] = path + os.pathsep + environment.get("PATH", "")
    return subprocess.run(list(command), capture_output=True, text=True, env=environment, timeout=60, cwd=ROOT)


def cnncalc(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(env, sys.executable, "-m", "cnncalc")


@pytest.mark.parametrize(
    ("shell", "registers"),
    [
        pytest.param("bash", "complete -o nosort -F _cnncalc_completion cnncalc", id="bash"),
        pytest.param("zsh", "compdef _cnncalc_completion cnncalc", id="zsh"),
        pytest.param("fish", 'complete --no-files --command cnncalc --arguments "(_cnncalc_completion)"', id="fish"),
    ],
)
def test_each_shell_gets_a_completion_script(shell: str, registers: str) -> None:
    done = cnncalc({"_CNNCALC_COMPLETE": f"{shell}_source"})
    assert (done.returncode, done.stderr) == (0, "")
    assert registers in done.stdout


@pytest.mark.parametrize(
    ("shell", "words", "cword", "expected"),
    [
        pytest.param("bash", "cnncalc su", "1", "plain,summary\n", id="bash-command"),
        pytest.param("bash", "cnncalc summary x --format m", "4", "plain,markdown\n", id="bash-option-value"),
        pytest.param("bash", "cnncalc summary x --dep", "3", "plain,--depth\n", id="bash-option"),
        pytest.param("zsh", "cnncalc summary x --format c", "4", "plain\ncsv\n_\n", id="zsh-option-value"),
    ],
)
def test_completion_answers(shell: str, words: str, cword: str, expected: str) -> None:
    # the protocol between click's shell functions and the program: what the shell asks, what cnncalc answers
    done = cnncalc({"_CNNCALC_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": cword})
    assert (done.returncode, done.stdout, done.stderr) == (0, expected, "")


@pytest.fixture
def on_path(tmp_path: Path) -> str:
    """A folder holding a `cnncalc` that runs this checkout: the shells' functions call the program by name."""
    script = tmp_path / "cnncalc"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m cnncalc "$@"\n')
    script.chmod(0o755)
    return str(tmp_path)


def shell(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed")
    return found


def test_bash_completes_an_option_value(on_path: str) -> None:
    script = (
        'eval "$(_CNNCALC_COMPLETE=bash_source cnncalc)"\n'
        "COMP_WORDS=(cnncalc summary net.yaml --format m); COMP_CWORD=4\n"
        '_cnncalc_completion cnncalc\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = run({}, shell("bash"), "--norc", "--noprofile", "-c", script, path=on_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "markdown\n", "")


def test_zsh_registers_the_completion(on_path: str) -> None:
    # zsh completes only inside its line editor; that the script loads and registers is what can be seen outside
    script = (
        "autoload -Uz compinit && compinit -u -D\n"
        'eval "$(_CNNCALC_COMPLETE=zsh_source cnncalc)"\n'
        "print -r -- $_comps[cnncalc]\n"
    )
    done = run({}, shell("zsh"), "-f", "-c", script, path=on_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "_cnncalc_completion\n", "")


def test_fish_completes_an_option_value(on_path: str) -> None:
    # click 8.4.0 and 8.4.1 wrote a fish script that fails (pallets/click#3502): pyproject.toml excludes them
    script = (
        "_CNNCALC_COMPLETE=fish_source cnncalc | source\n"
        'complete --do-complete "cnncalc summary net.yaml --format m"\n'
        'complete --do-complete "cnncalc summ"\n'
    )
    done = run({}, shell("fish"), "--no-config", "-c", script, path=on_path)
    assert done.stderr == ""
    assert done.returncode == 0
    value, command = done.stdout.splitlines()
    assert (value, command.split("\t")[0]) == ("markdown", "summary")
