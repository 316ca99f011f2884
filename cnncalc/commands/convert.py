"""`cnncalc convert`: a classifier's dense layers as convolutions, and back."""

from __future__ import annotations

import click

from ..cli import Command, SpecArgument
from ..diagnostics import SpecError, error, shown


@click.command(cls=Command, epilog="Example: cnncalc convert specs/vgg16.yaml --to conv -o vgg16-conv.yaml")
@click.argument("spec", metavar="SPEC", cls=SpecArgument)
@click.option(
    "--to",
    "target",
    type=click.Choice(["conv", "dense"]),
    required=True,
    help="conv: every dense layer as a conv; dense: every conv that covers its whole input as a dense layer.",
)
@click.option(
    "-o",
    "--output",
    default="-",
    metavar="FILE",
    help="Write the spec to FILE, whole or not at all (-, the default: standard output).",
)
def convert(spec: str, target: str, output: str) -> None:
    """An equivalent spec: a dense layer after a flatten of h x w x c becomes a conv with an h x w kernel (later
    ones 1 x 1 convs), with the same parameters and MACs; or the reverse where it applies.

    The converted spec is valid cnncalc input: `cnncalc summary it.yaml --input 384x384x3` slides the classifier
    over the larger image. SPEC is a YAML file, or - for standard input.
    """
    from ..convert import CannotConvert, to_conv, to_dense
    from ..output import write_output
    from ..pipeline import analyse_file, locate
    from ..writer import write

    source = locate(spec)
    parsed, report = analyse_file(source)
    try:
        converted = (to_conv if target == "conv" else to_dense)(parsed, report)
    except CannotConvert as exc:
        row = exc.result
        located = error("convert", f"cannot convert to {target}: {exc}", row.layer.loc, row.path, row.kind)
        raise SpecError([located], source=source.shown) from None
    header = f"converted by `cnncalc convert --to {target}` from {shown(source.shown)}"
    text = write(converted.spec, converted.comments, header)
    for note in converted.notes:
        click.echo(f"note: {note}", err=True)
    if converted.unchanged:
        click.echo(f"note: nothing to convert: {shown(source.shown)} {converted.unchanged}; written as it is", err=True)
    write_output(text.encode("utf-8"), output, source.path)
