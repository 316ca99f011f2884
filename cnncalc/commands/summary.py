"""`cnncalc summary`: the layer-by-layer table of a spec, or its JSON, CSV or Markdown."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..cli import VolumeType, display_name, fail_with
from ..diagnostics import SpecError
from ..engine import DTYPE_BYTES
from ..spec import Volume

if TYPE_CHECKING:
    from ..engine import Memory, Report

FORMATS = ("table", "json", "csv", "markdown")


@click.command(epilog="Example: cnncalc summary specs/resnet50.yaml --depth 1 --format markdown")
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
    from .. import render
    from ..engine import memory
    from ..pipeline import analyse_file

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


def print_table(report: Report, mem: Memory, batch: int, dtype: str, filename: str) -> None:
    from rich.console import Console

    from ..table import render_table

    console = Console()
    width = console.width if console.is_terminal else None
    table, needed = render_table(report, mem, batch, dtype, filename, width)
    if width is None or needed > width:
        # a pipe, a file, or a terminal too narrow for the numbers: lines at their natural width, never cropped
        console = Console(width=max(needed, 100_000 if width is None else needed))
    console.print(table)
