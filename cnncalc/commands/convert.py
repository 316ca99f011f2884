"""`cnncalc convert`: a classifier's dense layers as convolutions, and back."""

from __future__ import annotations

import click

from ..cli import EXIT_INVALID, Command, display_name, fail_with
from ..diagnostics import SpecError, error


@click.command(cls=Command, epilog="Example: cnncalc convert specs/vgg16.yaml --to conv -o vgg16-conv.yaml")
@click.argument("spec", metavar="SPEC")
@click.option(
    "--to",
    "target",
    type=click.Choice(["conv", "dense"]),
    required=True,
    help="conv: every dense layer as a conv; dense: every conv that covers its whole input as a dense layer.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the spec here.")
def convert(spec: str, target: str, output: str | None) -> None:
    """An equivalent spec: a dense layer after a flatten of h x w x c becomes a conv with an h x w kernel (later
    ones 1 x 1 convs), with the same parameters and MACs; or the reverse where it applies.

    The converted spec is valid cnncalc input: `cnncalc summary it.yaml --input 384x384x3` slides the classifier
    over the larger image. SPEC is a YAML file, or - for standard input.
    """
    from ..convert import CannotConvert, to_conv, to_dense
    from ..pipeline import analyse_file
    from ..writer import write

    try:
        parsed, report = analyse_file(spec)
    except SpecError as exc:
        fail_with(exc, spec)
    try:
        converted = (to_conv if target == "conv" else to_dense)(parsed, report)
    except CannotConvert as exc:
        row = exc.result
        located = error("convert", f"cannot convert to {target}: {exc}", row.layer.loc, row.path, row.kind)
        click.echo(located.format(display_name(spec)), err=True)
        raise SystemExit(EXIT_INVALID) from None
    header = f"converted by `cnncalc convert --to {target}` from {display_name(spec)}"
    text = write(converted.spec, converted.comments, header)
    for note in converted.notes:
        click.echo(f"note: {note}", err=True)
    if output:
        with open(output, "w", encoding="utf-8") as stream:
            stream.write(text)
    else:
        click.echo(text, nl=False)
