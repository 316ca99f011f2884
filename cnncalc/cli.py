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
        report = analyse_file(spec, input_volume, depth)
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
