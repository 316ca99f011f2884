"""The command line: parse arguments, call the loader, the engine and a renderer, print, choose the exit code.

Exit codes: 0 success, 1 a check failed, 2 a spec could not be read or is invalid, or a usage error,
3 an internal fault (a bug in cnncalc: please report it).
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__
from .diagnostics import SpecError
from .engine import DTYPE_BYTES
from .spec import Volume

if TYPE_CHECKING:
    from .engine import Memory, Report

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3
FORMATS = ("table", "json", "csv", "markdown")
_VOLUME = re.compile(r"\s*([0-9]+)\s*[x, ]\s*([0-9]+)\s*[x, ]\s*([0-9]+)\s*", re.IGNORECASE | re.ASCII)


class VolumeType(click.ParamType):  # type: ignore[type-arg]
    """A volume written `32x32x3`, `32,32,3` or `32 32 3`."""

    name = "HxWxC"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Volume:
        if isinstance(value, Volume):
            return value
        match = _VOLUME.fullmatch(str(value))
        if not match:
            self.fail(f"{value!r} is not a volume: write it as HxWxC, e.g. 224x224x3", param, ctx)
        sizes = [int(size) for size in match.groups()]
        if not all(1 <= size < 2**31 for size in sizes):
            self.fail(f"{value!r}: every size must be between 1 and {2**31 - 1:,}", param, ctx)
        return Volume(*sizes)


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def fail_with(error: SpecError, path: str) -> NoReturn:
    """Print each error as `FILE:LINE:COL: error: ...` and exit 2."""
    for diagnostic in error.diagnostics:
        click.echo(diagnostic.format(display_name(path)), err=True)
    raise SystemExit(EXIT_INVALID)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]}, epilog="Example: cnncalc summary specs/vgg16.yaml"
)
@click.version_option(
    __version__, "-V", "--version", prog_name="cnncalc", message="%(prog)s %(version)s", help="Show the version."
)
def cli() -> None:
    """Output volumes, parameters, MACs and receptive fields of a CNN, layer by layer."""


@cli.command(epilog="Example: cnncalc summary specs/resnet50.yaml --depth 1 --format markdown")
@click.argument("spec", metavar="SPEC")
@click.option(
    "--input",
    "input_volume",
    type=VolumeType(),
    metavar="HxWxC",
    help="Override the spec's input volume, e.g. 384x384x3.",
)
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format."
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    help="Fold blocks nested deeper than N into their block's row (0: the spec's own layers only).",
)
@click.option(
    "--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Batch size for activation memory."
)
@click.option(
    "--dtype",
    type=click.Choice(list(DTYPE_BYTES)),
    default="float32",
    show_default=True,
    help="Element type for memory.",
)
def summary(
    spec: str, input_volume: Volume | None, output_format: str, depth: int | None, batch: int, dtype: str
) -> None:
    """Print a layer-by-layer table of a spec: volumes, parameters, MACs, receptive fields.

    SPEC is a YAML file, or - for standard input. Exit codes: 0 done, 2 the spec is unreadable or invalid.
    """
    from . import render
    from .engine import memory
    from .pipeline import analyse_file

    filename = display_name(spec)
    try:
        _, report = analyse_file(spec, input_volume, depth)
    except SpecError as exc:
        fail_with(exc, spec)
    mem = memory(report, batch, dtype)
    if output_format == "json":
        sys.stdout.writelines(render.json_chunks(report, mem, batch, dtype))
    elif output_format == "csv":
        click.echo(render.render_csv(report), nl=False)
        for warning in report.warnings:
            click.echo(warning.format(filename), err=True)
    elif output_format == "markdown":
        click.echo(render.render_markdown(report, mem, batch, dtype, filename), nl=False)
    else:
        print_table(report, mem, batch, dtype, filename)


class CountType(click.ParamType):  # type: ignore[type-arg]
    """A count written `61706`, `70k`, `1.2M` or `3G`."""

    name = "COUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from .counts import parse_count

        try:
            return value if isinstance(value, int) else parse_count(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class FieldType(click.ParamType):  # type: ignore[type-arg]
    """A receptive field: `32`, or `32x24` for height and width."""

    name = "R[xR]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, int]:
        match = re.fullmatch(r"\s*([0-9]+)\s*(?:[x, ]\s*([0-9]+)\s*)?", str(value), re.IGNORECASE | re.ASCII)
        if not match or not 1 <= int(match[1]) < 2**31 or not 1 <= int(match[2] or match[1]) < 2**31:
            self.fail(f"{value!r} is not a receptive field: write 32, or 32x24 for height and width", param, ctx)
        return int(match[1]), int(match[2] or match[1])


@cli.command(
    add_help_option=True,
    epilog="Example: cnncalc check specs/ --max-params 150M --target pytorch",
)
@click.argument("paths", metavar="SPEC...", nargs=-1, required=True)
@click.option("--expect-output", type=VolumeType(), metavar="HxWxC", help="The final volume, e.g. 1x1x10.")
@click.option("--expect-params", type=CountType(), help="The exact total of parameters, e.g. 61706.")
@click.option("--max-params", type=CountType(), help="At most this many parameters, e.g. 70k.")
@click.option("--max-macs", type=CountType(), help="At most this many multiply-accumulates, e.g. 1.2G.")
@click.option("--min-receptive-field", type=FieldType(), help="At least this field at the last layer, e.g. 32.")
@click.option("--target", type=click.Choice(["pytorch", "keras"]), help="Also check the framework can build it.")
@click.option("--strict", is_flag=True, help="Warnings fail the check too.")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "github"]), default="text", show_default=True,
    help="github: workflow annotations for GitHub Actions.",
)  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="Print nothing at all on success.")
@click.option("-v", "--verbose", is_flag=True, help="Print notes too.")
def check(
    paths: tuple[str, ...],
    expect_output: Volume | None,
    expect_params: int | None,
    max_params: int | None,
    max_macs: int | None,
    min_receptive_field: tuple[int, int] | None,
    target: str | None,
    strict: bool,
    output_format: str,
    quiet: bool,
    verbose: bool,
) -> None:
    """Check that specs add up: their `expect:` entries, and the limits given here (which win).

    SPEC may be a file, a directory (its *.yaml and *.yml files) or - for standard input. Each failure prints as
    FILE:LINE:COL: error: ...; on success only a closing count. Exit codes: 0 all hold, 1 a check failed,
    2 a spec could not be read or is invalid.
    """
    from .check import check as check_spec
    from .check import expectations
    from .pipeline import analyse_file, spec_files
    from .spec import Expectation

    given = {
        "output": expect_output,
        "params": expect_params,
        "max_params": max_params,
        "max_macs": max_macs,
        "receptive_field": min_receptive_field,
    }
    overrides = [Expectation(key, value) for key, value in given.items() if value is not None]
    worst, checked, failed, lines = EXIT_OK, 0, 0, []
    for path in spec_files(paths):
        checked += 1
        try:
            spec, report = analyse_file(path)
        except SpecError as exc:
            found, status = exc.diagnostics, EXIT_INVALID
        else:
            found = check_spec(spec, report, expectations(spec, overrides), target)
            failing = {"error", "warning"} if strict else {"error"}
            status = EXIT_FAILED if any(d.severity in failing for d in found) else EXIT_OK
        failed += status != EXIT_OK
        worst = max(worst, status)
        shown = [d for d in found if verbose or d.severity != "note"]
        lines += [
            d.annotation(display_name(path)) if output_format == "github" else d.format(display_name(path))
            for d in shown
        ]
    if quiet and worst == EXIT_OK:
        raise SystemExit(EXIT_OK)
    for line in lines:
        click.echo(line, err=output_format == "text")
    click.echo(f"{checked} spec{'' if checked == 1 else 's'} checked, {failed} failed")
    raise SystemExit(worst)


def print_table(report: Report, mem: Memory, batch: int, dtype: str, filename: str) -> None:
    from rich.console import Console

    from .table import render_table

    console = Console()
    width = console.width if console.is_terminal else None
    table, needed = render_table(report, mem, batch, dtype, filename, width)
    if width is None or needed > width:
        # a pipe, a file, or a terminal too narrow for the numbers: lines at their natural width, never cropped
        console = Console(width=max(needed, 100_000 if width is None else needed))
    console.print(table)


def main(argv: list[str] | None = None, prog_name: str = "cnncalc") -> int:
    """The console script: click's own handling, plus quiet exits on a closed pipe or an internal fault."""
    try:
        cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted!", err=True)
        return EXIT_FAILED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_FAILED
    except BrokenPipeError:
        # the reader went away (`cnncalc summary ... | head`): not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:  # the one place an unforeseen fault becomes a message
        if os.environ.get("CNNCALC_DEBUG"):
            raise
        click.echo(f"cnncalc: internal error: {type(exc).__name__}: {exc} (set CNNCALC_DEBUG=1 for details)", err=True)
        return EXIT_INTERNAL
    return EXIT_OK
