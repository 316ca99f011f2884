"""Fuzzing the loader and every command that reads a spec, in every mode, with generated files.

The shipped specs mutated (their values, then their text), YAML documents of any shape and any bytes, run
in-process through every entry of INVOCATIONS (a test fails when a command or a choice is missing from it), and a
sample through the real console script in a directory that must stay as it was. Each run must end in located
errors or a result (`fuzzing.assert_ends_well`), and cnncalc's loader must agree with the independent reading
(`fuzzing.assert_loader_agrees`).
"""

from __future__ import annotations

import click
import pytest
from fuzzing import (
    INVOCATIONS,
    YAMLISH,
    Invocation,
    almost_right_specs,
    any_documents,
    assert_ends_well,
    assert_loader_agrees,
    examples,
    exercise,
    listing,
    run_console_script,
)
from hypothesis import event, given
from hypothesis import strategies as st

from cnncalc.cli import cli


def spec_commands() -> dict[str, click.Command]:
    """The commands of `cnncalc` that read spec files: those with a SPEC argument."""
    ctx = click.Context(cli)
    found = {}
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None
        if any(isinstance(p, click.Argument) and (p.metavar or "").startswith("SPEC") for p in command.params):
            found[name] = command
    return found


def test_every_command_that_reads_a_spec_is_fuzzed_in_every_mode() -> None:
    commands = spec_commands()
    assert {"summary", "rf", "convert", "check"} <= set(commands)
    assert {invocation.command for invocation in INVOCATIONS} == set(commands), "add the new command to INVOCATIONS"
    for name, command in commands.items():
        given_here = {token for invocation in INVOCATIONS if invocation.command == name for token in invocation.argv}
        for option in command.params:
            if isinstance(option, click.Option) and isinstance(option.type, click.Choice):
                missing = {str(choice) for choice in option.type.choices} - given_here
                assert not missing, f"`{name} {option.opts[0]}` {sorted(missing)} are not in INVOCATIONS"
            elif isinstance(option, click.Option) and option.is_flag and option.name not in ("help",):
                assert set(option.opts) & given_here, f"`{name} {option.opts[0]}` is not in INVOCATIONS"


# -- almost-right specs: real ones, mutated ---------------------------------------------------------------


@examples(600)
@given(almost_right_specs(), st.sampled_from(INVOCATIONS), st.integers(0, 9))
def test_almost_right_specs_end_in_a_result_or_located_errors(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, invocation: Invocation, stdin: int
) -> None:
    assert_loader_agrees(data)
    outcome = exercise(tmp_path_factory.mktemp("fuzz"), data, invocation, stdin=stdin == 0)
    event(f"exit {outcome.code}")


# -- YAML of any shape, and bytes of any kind ----------------------------------------------------------------


@examples(250)
@given(any_documents(), st.sampled_from(INVOCATIONS))
def test_documents_of_any_shape_end_in_a_result_or_located_errors(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, invocation: Invocation
) -> None:
    assert_loader_agrees(data)
    exercise(tmp_path_factory.mktemp("fuzz"), data, invocation)


@examples(250)
@given(
    st.binary(max_size=200) | st.lists(YAMLISH, max_size=40).map(lambda parts: "".join(parts).encode()),
    st.sampled_from(INVOCATIONS),
)
def test_any_bytes_end_in_a_result_or_located_errors(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, invocation: Invocation
) -> None:
    assert_loader_agrees(data)
    exercise(tmp_path_factory.mktemp("fuzz"), data, invocation)


@examples(20)
@given(almost_right_specs(), st.sampled_from(INVOCATIONS))
def test_the_console_script_on_almost_right_specs(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, invocation: Invocation
) -> None:
    # the same cases through the real entry point, bounded in time and memory, in a directory that must stay as it is
    directory = tmp_path_factory.mktemp("console")
    path = directory / "spec.yaml"
    path.write_bytes(data)
    before = listing(directory)
    outcome = run_console_script([*invocation.argv, "spec.yaml"], directory)
    assert_ends_well(invocation, outcome, "spec.yaml", data)
    assert listing(directory) == before
