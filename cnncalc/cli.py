"""The command line: parse arguments, call the loader, the engine and a renderer, print, choose the exit code.

Exit codes: 0 success, 1 a check failed, 2 a spec could not be read or is invalid, or a usage error.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from . import __version__
from .diagnostics import SpecError
from .engine import DTYPE_BYTES
from .spec import Volume

EXIT_INVALID = 2
FORMATS = ("table", "json", "csv", "markdown")


class VolumeType(click.ParamType):  # type: ignore[type-arg]
    """A volume written `32x32x3`, `32,32,3` or `32 32 3`."""

    name = "HxWxC"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Volume:
        if isinstance(value, Volume):
            return value
        parts = str(value).lower().replace("x", " ").replace(",", " ").split()
        if len(parts) != 3 or not all(part.isdigit() for part in parts):
            self.fail(f"{value!r} is not a volume: write it as HxWxC, e.g. 224x224x3", param, ctx)
        sizes = [int(part) for part in parts]
        if not all(1 <= size < 2**31 for size in sizes):
            self.fail(f"{value!r}: every size must be between 1 and {2**31 - 1:,}", param, ctx)
        return Volume(*sizes)


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def fail_with(error: SpecError, path: str) -> None:
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


@cli.command(epilog="Example: cnncalc summary specs/vgg16.yaml --format markdown")
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
    "--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Batch size for activation memory."
)
@click.option(
    "--dtype",
    type=click.Choice(list(DTYPE_BYTES)),
    default="float32",
    show_default=True,
    help="Element type for memory.",
)
def summary(spec: str, input_volume: Volume | None, output_format: str, batch: int, dtype: str) -> None:
    """Print a layer-by-layer table of a spec: volumes, parameters, MACs, receptive fields.

    SPEC is a YAML file, or - for standard input. Exit codes: 0 done, 2 the spec is unreadable or invalid.
    """
    from . import render
    from .engine import analyse, memory
    from .loader import load_file

    filename = display_name(spec)
    try:
        parsed = load_file(spec)
        if input_volume is not None:
            parsed = parsed._replace(input=input_volume)
        report = analyse(parsed)
    except SpecError as exc:
        fail_with(exc, spec)
    mem = memory(report, batch, dtype)
    if output_format == "json":
        click.echo(render.render_json(report, mem, batch, dtype), nl=False)
    elif output_format == "csv":
        click.echo(render.render_csv(report), nl=False)
        for warning in report.warnings:
            click.echo(warning.format(filename), err=True)
    elif output_format == "markdown":
        click.echo(render.render_markdown(report, mem, batch, dtype, filename), nl=False)
    else:
        print_table(report, mem, batch, dtype, filename)


def print_table(report: Any, mem: Any, batch: int, dtype: str, filename: str) -> None:
    from rich.console import Console

    from .table import render_table

    console = Console()
    if not console.is_terminal:
        # a pipe or a file: lines at their natural width, never wrapped at 80 columns
        console = Console(width=100_000)
    console.print(render_table(report, mem, batch, dtype, filename, fit=console.is_terminal))


def main(argv: list[str] | None = None, prog_name: str = "cnncalc") -> None:
    """The console script: click's own handling, plus quiet exits on a closed pipe or an internal fault."""
    try:
        cli.main(args=argv, prog_name=prog_name)
    except BrokenPipeError:
        # the reader went away (`cnncalc summary ... | head`): not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None
    except Exception as exc:  # the one place an unforeseen fault becomes a message
        if os.environ.get("CNNCALC_DEBUG"):
            raise
        click.echo(f"cnncalc: internal error: {type(exc).__name__}: {exc} (set CNNCALC_DEBUG=1 for details)", err=True)
        raise SystemExit(3) from None
