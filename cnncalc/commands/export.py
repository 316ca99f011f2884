"""`cnncalc export`: a spec as a self-contained PyTorch module, exact to cnncalc's numbers."""

from __future__ import annotations

import click

from ..cli import Command, SpecArgument
from ..diagnostics import SpecError

EXAMPLE = "Example: cnncalc export specs/resnet18.yaml --to pytorch -o resnet18.py"


@click.command(cls=Command, epilog=EXAMPLE)
@click.argument("spec", metavar="SPEC", cls=SpecArgument)
@click.option(
    "--to",
    "to",
    type=click.Choice(["pytorch"]),
    default="pytorch",
    show_default=True,
    help="The framework to write for.",
)
@click.option(
    "-o",
    "--output",
    default="-",
    metavar="FILE",
    help="Write the module to FILE, whole or not at all (- , the default: standard output).",
)
def export(spec: str, to: str, output: str) -> None:
    """Write a spec as a Python module: an nn.Module of the network and build(), with no lazy layers.

    SPEC is a YAML file, or - for standard input. The module imports only torch; each layer is commented with
    its path in the spec and the output cnncalc computes for it, and parameter counts and every output shape
    match cnncalc's summary. A layer that cannot be written exactly is an error, never an approximation.
    Exit codes: 0 done, 2 the spec is unreadable or invalid, or cannot be exported exactly.

    Example: cnncalc export specs/lenet5.yaml > lenet5.py && python3 lenet5.py
    """
    from ..export import export as write
    from ..output import write_output
    from ..pipeline import analyse_file, locate
    from ..terminal import say_diagnostics

    source = locate(spec)
    parsed, report = analyse_file(source, writes_rows="to export, a module each")
    try:
        text = write(parsed, report, to, source.shown)
    except SpecError as exc:
        exc.source = source.shown
        raise
    say_diagnostics(report.warnings, source.shown)
    write_output(text.encode("utf-8"), output, source.path)
