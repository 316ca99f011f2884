"""`cnncalc examples`: the example specs that ship with cnncalc, each computed afresh."""

from __future__ import annotations

from typing import Any

import click

from ..cli import Command

FORMATS = ("table", "json")


@click.command(cls=Command, epilog="Example: cnncalc examples --format json")
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format."
)
def examples(output_format: str) -> None:
    """List the example specs that ship with cnncalc: name, input and parameters, as computed now.

    Every command that reads a SPEC takes an example's name too (cnncalc summary vgg16), from any directory; a
    file of that name, where one exists, wins.
    """
    found = catalogue()
    if output_format == "json":
        from ..documents import document, json_text
        from ..output import write_text

        write_text(json_text(document("examples", {"examples": found})))
    else:
        click.echo(format_table(found), nl=False)


def catalogue() -> list[dict[str, Any]]:
    """Each example's name, title, input and parameter counts, computed by the engine (never copied, never stale)."""
    from ..pipeline import analyse_file
    from ..pipeline import examples as shipped

    found = []
    for name, source in shipped().items():
        spec, report = analyse_file(source, depth=0)
        totals = report.totals
        found.append(
            {
                "name": name,
                "title": spec.name,
                "input": list(spec.input),
                "params": totals.params,
                "trainable_params": totals.trainable_params,
                "non_trainable_params": totals.non_trainable_params,
            }
        )
    return found


def format_table(found: list[dict[str, Any]]) -> str:
    """One line per example under a heading, the numbers right-aligned: `vgg16  224 x 224 x 3  138,357,544 ...`."""
    rows = [("name", "input", "params", "trainable", "title")]
    rows += [
        (
            example["name"],
            " x ".join(str(size) for size in example["input"]),
            f"{example['params']:,}",
            f"{example['trainable_params']:,}",
            example["title"] or "",
        )
        for example in found
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = [
        f"{name:<{widths[0]}}  {size:>{widths[1]}}  {params:>{widths[2]}}  {trainable:>{widths[3]}}  {title}".rstrip()
        for name, size, params, trainable, title in rows
    ]
    return "\n".join(lines) + "\n"
