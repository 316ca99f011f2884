"""`cnncalc rf`: how the receptive field grows, layer by layer, and where it lies in the input."""

from __future__ import annotations

import json

import click

from ..cli import VolumeType, display_name, fail_with
from ..diagnostics import SpecError
from ..spec import Volume


@click.command(epilog="Example: cnncalc rf specs/vgg16.yaml")
@click.argument("spec", metavar="SPEC")
@click.option("--input", "input_volume", type=VolumeType(), metavar="HxWxC", help="Override the spec's input.")
@click.option("--depth", type=click.IntRange(min=0), help="Fold blocks nested deeper than N.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def rf(spec: str, input_volume: Volume | None, depth: int | None, output_format: str) -> None:
    """The receptive field r, its jump and effective padding P after each layer, and the input pixels the
    first output sees: its centre, and how much of it is padding.

    SPEC is a YAML file, or - for standard input.
    """
    from ..pipeline import analyse_file
    from ..render import rf_dict

    try:
        _, report = analyse_file(spec, input_volume, depth)
    except SpecError as exc:
        fail_with(exc, spec)
    if output_format == "json":
        click.echo(json.dumps(rf_dict(report), indent=2))
        return
    from rich.console import Console

    from ..table import render_rf_table

    console = Console()
    width = console.width if console.is_terminal else None
    table, needed = render_rf_table(report, display_name(spec), width)
    if width is None or needed > width:
        console = Console(width=max(needed, 100_000 if width is None else needed))
    console.print(table)
