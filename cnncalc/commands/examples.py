"""`cnncalc examples`: the example specs that ship with cnncalc, each computed afresh."""

from __future__ import annotations

import textwrap
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
        from ..terminal import terminal_width

        click.echo(format_table(found, terminal_width()), nl=False)


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


# on a terminal too narrow for every column: the first left out, then the titles shortened (to no fewer than this
# many characters) or left out too; the names, inputs and parameters stay
_DROPPED = "trainable"
_SHORTEST_TITLE = 12


def format_table(found: list[dict[str, Any]], width: int | None = None) -> str:
    """One line per example under a heading, the numbers right-aligned: `vgg16  224 x 224 x 3  138,357,544 ...`.

    On a terminal `width` columns wide, the trainable count is left out and the titles shortened or left out until
    the lines fit, and a last line says so; where they do not fit even then, they are as long as they need.
    """
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
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    kept = [0, 1, 2, 3, 4]
    title_room: int | None = None  # the title's width, where it is shortened
    left_out = []
    shortened = ""

    def across() -> int:
        return sum(widths[column] if column != 4 or title_room is None else title_room for column in kept) + 2 * (
            len(kept) - 1
        )

    if width is not None and across() > width:
        kept.remove(3)
        left_out.append(_DROPPED)
        if across() > width:
            title_room = width - (across() - widths[4])
            if title_room >= _SHORTEST_TITLE:
                shortened = ", titles shortened"
            else:
                kept.remove(4)
                left_out.append("title")
    lines = []
    for row in rows:
        cells = []
        for column in kept:
            cell = row[column]
            if column == 4:
                cells.append(_shortened(cell, title_room) if title_room is not None else cell)
            elif column == 0:
                cells.append(cell.ljust(widths[column]))
            else:
                cells.append(cell.rjust(widths[column]))
        lines.append("  ".join(cells).rstrip())
    if left_out:
        said = (
            f"{' and '.join(left_out)} left out{shortened} to fit {width} columns: a wider terminal, --format json or "
            "a pipe shows every column"
        )
        lines += ["", *textwrap.wrap(said, width or len(said))]
    return "\n".join(lines) + "\n"


def _shortened(title: str, room: int) -> str:
    """The title cut to `room` characters, ending in `...` where it is cut."""
    return title if len(title) <= room else title[: room - 3].rstrip() + "..."
