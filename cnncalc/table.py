"""The rich table of a report: the one renderer that needs rich, imported only when a table is drawn."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .engine import Memory, Report
from .render import TABLE_HEADERS, footer, table_row

_NUMERIC = {"#", "params", "MACs", "RF", "jump"}
_WRAPPABLE = {"layer", "config"}


def render_table(report: Report, mem: Memory, batch: int, dtype: str, filename: str, fit: bool = True) -> Group:
    """The layer table with totals and warnings under it; `fit` lets names and configs wrap to a narrow screen."""
    rows = [table_row(result) for result in report.layers]
    title = Text(f"{report.name or filename}: input {report.input}", style="bold")
    # Cells arrive laid out: aligned and with their one-space margins. Rich's own cell padding wraps every
    # cell in a Padding renderable, and its measuring reads every cell: a third of the time of a big table.
    table = Table(title=title, title_justify="left", header_style="bold", show_edge=False, padding=0)
    columns = []
    for column, header in enumerate(TABLE_HEADERS):
        width = max([len(header)] + [len(row[column]) for row in rows])
        lay_out = _layout(width, header in _NUMERIC, first=column == 0, last=column == len(TABLE_HEADERS) - 1)
        columns.append(lay_out)
        wrappable = fit and header in _WRAPPABLE  # names and configs may wrap; numbers never do
        table.add_column(
            Text(lay_out(header)),
            no_wrap=not wrappable,
            overflow="fold",
            width=None if wrappable else len(lay_out(header)),
            max_width=len(lay_out(header)) if wrappable else None,
            style="cyan" if header == "output" else None,
        )
    for row in rows:
        # Text cells: a layer name like "conv[1]" is shown as written, never read as rich markup
        table.add_row(*(Text(lay_out(cell)) for lay_out, cell in zip(columns, row, strict=True)))
    parts: list[Table | Text] = [table, Text("")]
    parts += [Text(line) for line in footer(report, mem, batch, dtype)]
    if any(all(r.covers_input) for r in report.layers):
        parts.append(Text("*: the field covers the whole input", style="dim"))
    for warning in report.warnings:
        parts.append(Text(warning.format(filename), style="yellow"))
    return Group(*parts)


def _layout(width: int, right: bool, first: bool, last: bool) -> Callable[[str], str]:
    """A cell's text aligned in its column, with a space either side except at the table's edges."""
    before, after = ("" if first else " "), ("" if last else " ")

    def lay_out(cell: str) -> str:
        return before + (cell.rjust(width) if right else cell.ljust(width)) + after

    return lay_out
