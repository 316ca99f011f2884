"""`cnncalc rf`: how the receptive field grows, layer by layer, and where it lies in the input."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..cli import Command, Size, SpecArgument, VolumeType
from ..spec import Volume

if TYPE_CHECKING:
    from ..report import Report


@click.command(cls=Command, epilog="Example: cnncalc rf specs/vgg16.yaml")
@click.argument("spec", metavar="SPEC", cls=SpecArgument)
@click.option("--input", "input_volume", type=VolumeType(), metavar="HxWxC", help="Override the spec's input.")
@click.option(
    "--depth",
    type=Size(0),
    help="Fold blocks nested deeper than N. Without it, past 10,000 rows the deepest blocks are folded until they fit.",
)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--plot", is_flag=True, help="Chart r and the map's height per layer as bars, to the scale of the input's height."
)
def rf(spec: str, input_volume: Volume | None, depth: int | None, output_format: str, plot: bool) -> None:
    """The receptive field r, its jump and effective padding P after each layer, and the input pixels the
    first output sees: its centre, and how much of it is padding.

    SPEC is a YAML file, or - for standard input. `--plot` draws r and the map's size as bars instead, for
    people who would rather look than read.
    """
    from ..documents import json_text, rf_dict
    from ..output import write_text
    from ..pipeline import analyse_file, folded_note, locate
    from ..rows import MAX_ROWS
    from ..terminal import copy_to_stderr, say_diagnostics

    if plot and output_format == "json":
        raise click.UsageError("--plot draws a chart: it goes with the table format, not json")
    source = locate(spec)
    parsed, report = analyse_file(source, input_volume, depth, max_rows=MAX_ROWS)
    if depth is None and report.kept_depth is not None:
        say_diagnostics([folded_note(parsed, report)], source.shown)
    if output_format == "json":
        write_text(json_text(rf_dict(report)))
        say_diagnostics(report.warnings, source.shown)  # the JSON has no place for them
        return
    if plot:
        print_plot(report, source.shown)
    else:
        from ..table import render_rf_table
        from ..terminal import fitted

        console, table, _ = fitted(
            lambda width: render_rf_table(report, source.shown, width, source.heading(parsed.name))
        )
        console.print(table)
    copy_to_stderr(report.warnings, source.shown)


def print_plot(report: Report, filename: str) -> None:
    """The chart of `--plot`: r and h as bars, styled where the console shows colour, never wrapped."""
    from rich.text import Text

    from ..chart import rf_chart
    from ..terminal import diagnostic_text, fitted

    console, lines, width = fitted(lambda width: rf_chart(report, filename, width))
    for segments in lines:
        console.print(
            Text.assemble(*((text, style) if style else text for text, style in segments)), soft_wrap=width is None
        )
    for warning in report.warnings:  # under the chart, as under the table
        console.print(diagnostic_text(warning, filename), soft_wrap=width is None)
