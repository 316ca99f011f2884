"""`cnncalc summary`: the layer-by-layer table of a spec, or its JSON, CSV or Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from ..cli import Command, Size, SpecArgument, VolumeType
from ..report import DTYPE_BYTES
from ..rows import MAX_ROWS
from ..spec import Volume

if TYPE_CHECKING:
    from ..pipeline import Source
    from ..report import Memory, Report
    from ..spec import Spec

FORMATS = ("table", "json", "csv", "markdown")


@click.command(cls=Command, epilog="Example: cnncalc summary specs/resnet50.yaml --depth 1 --format markdown")
@click.argument("spec", metavar="SPEC", cls=SpecArgument)
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
    type=Size(0),
    help="Fold blocks nested deeper than N into their block's row (0: the spec's own layers only). Without it,"
    " a report of more than 10,000 rows folds the deepest blocks until it fits, and says so.",
)
@click.option("--batch", type=Size(1), default=1, show_default=True, help="Batch size for activation memory.")
@click.option(
    "--dtype",
    type=click.Choice(list(DTYPE_BYTES)),
    default="float32",
    show_default=True,
    help="Element type for memory.",
)
@click.option("--explain", is_flag=True, help="Show the lecture's formulas with each layer's numbers put in.")
@click.option(
    "--view",
    type=click.Choice(["layers", "fc"]),
    default="layers",
    show_default=True,
    help="fc: each conv beside the dense layer joining the same volumes.",
)
def summary(
    spec: str,
    input_volume: Volume | None,
    output_format: str,
    depth: int | None,
    batch: int,
    dtype: str,
    explain: bool,
    view: str,
) -> None:
    """Print a layer-by-layer table of a spec: volumes, parameters, MACs, receptive fields.

    SPEC is a YAML file, or - for standard input. Exit codes: 0 done, 2 the spec is unreadable or invalid.
    """
    from .. import documents, render
    from ..output import write_stdout, write_text
    from ..pipeline import analyse_file, folded_note, locate, sliding
    from ..report import memory
    from ..terminal import copy_to_stderr, say_diagnostics

    refuse_what_csv_drops(output_format, explain, view)
    source = locate(spec).read(input_volume)  # once: the sliding footer computes it again; stdin is read once
    filename = source.shown
    parsed, report = analyse_file(source, input_volume, depth, max_rows=MAX_ROWS)
    notes = [folded_note(parsed, report)] if depth is None and report.kept_depth is not None else []
    said = [note.subject for note in notes]
    mem = memory(report, batch, dtype)
    # the spec's own input, where a classifier gives one answer: the crops a larger input slides over
    slid = sliding(source, report) if input_volume is not None else None
    more = (render.sliding_lines(slid) if slid else []) + said
    if view == "fc" and output_format in ("table", "markdown"):
        more = every_conv(source, input_volume, parsed, report) + more
    explained = None
    if explain:
        from ..explain import explain as formulas
        from ..explain import fc_view
        from ..report import walk

        explained = {row.path: formulas(row) + fc_view(row) for row in walk(report.layers)}
    if output_format == "json":
        write_text(documents.json_chunks(report, mem, batch, dtype, explained, slid, notes))
    elif output_format == "csv":
        # CSV and Markdown are documents, in UTF-8 whatever the terminal's encoding (as JSON and SVG are)
        write_stdout(documents.render_csv(report).encode("utf-8"))
        say_diagnostics([*report.warnings, *notes], filename)  # the CSV has no place for them
    elif output_format == "markdown":
        markdown = documents.render_markdown(
            report, mem, batch, dtype, filename, view, more, source.heading(parsed.name)
        )
        if explained:
            markdown += "\n" + render.render_explained(report, explained, bullet="- ")
        write_stdout(markdown.encode("utf-8"))
    else:
        print_table(report, mem, batch, dtype, filename, view, more, source.heading(parsed.name))
        if explained:
            click.echo("\n" + render.render_explained(report, explained), nl=False)
    if output_format != "csv":  # in the output already: on standard error too where that is no terminal
        copy_to_stderr([*report.warnings, *notes], filename)


def refuse_what_csv_drops(output_format: str, explain: bool, view: str) -> None:
    """CSV holds a row per layer and nothing else: an option whose effect it would drop is a usage error."""
    if output_format != "csv":
        return
    if explain:
        raise click.UsageError("--explain goes with the table, markdown and json formats, not csv")
    if view == "fc":
        raise click.UsageError(
            "--view fc goes with the table and markdown formats (json has each conv's dense_equivalent_params and"
            " connections), not csv"
        )
    ctx = click.get_current_context()
    if any(ctx.get_parameter_source(name) is not ParameterSource.DEFAULT for name in ("batch", "dtype")):
        raise click.UsageError(
            "--batch and --dtype size the memory line, which csv has no place for: use json or markdown"
        )


def every_conv(source: Source, input_volume: Volume | None, parsed: Spec, report: Report) -> list[str]:
    """The fc view's comparison of every conv with dense layers: the same whatever is folded, so computed from
    every row, none folded; a spec of more rows than MAX_ROWS keeps to the rows shown, and says so."""
    from ..pipeline import analyse_file
    from ..render import fc_footer
    from ..report import walk
    from ..rows import row_count

    if not any(row.folded for row in walk(report.layers)):
        return fc_footer(walk(report.layers))
    if row_count(parsed.layers) > MAX_ROWS:
        return fc_footer(walk(report.layers), every=False)
    _, unfolded = analyse_file(source, input_volume)
    return fc_footer(walk(unfolded.layers))


def print_table(
    report: Report, mem: Memory, batch: int, dtype: str, filename: str, view: str, more: list[str], heading: str
) -> None:
    from ..table import render_table
    from ..terminal import fitted

    console, table, _ = fitted(
        lambda width: render_table(report, mem, batch, dtype, filename, width, view, more, heading)
    )
    console.print(table)
