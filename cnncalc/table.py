"""The rich table of a report: the one renderer that needs rich, imported only when a table is drawn."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .engine import Memory, Report
from .render import TABLE_HEADERS, footer, table_row

_NUMERIC = {"#", "params", "MACs", "RF", "jump"}
_WRAPPABLE = {"layer", "config"}


def render_table(report: Report, mem: Memory, batch: int, dtype: str, filename: str) -> Group:
    """The layer table with totals and warnings under it."""
    rows = [table_row(result) for result in report.layers]
    title = Text(f"{report.name or filename}: input {report.input}", style="bold")
    table = Table(title=title, title_justify="left", header_style="bold", show_edge=False, pad_edge=False)
    for column, header in enumerate(TABLE_HEADERS):
        # widths known up front spare rich from measuring every cell; numbers and volumes are never cropped,
        # names and configs may wrap on a narrow terminal
        width = max([len(header)] + [len(row[column]) for row in rows])
        wrappable = header in _WRAPPABLE
        table.add_column(
            header,
            justify="right" if header in _NUMERIC else "left",
            no_wrap=not wrappable,
            overflow="fold",
            width=None if wrappable else width,
            max_width=width if wrappable else None,
            style="cyan" if header == "output" else None,
        )
    for row in rows:
        # Text cells: a layer name like "conv[1]" is shown as written, never read as rich markup
        table.add_row(*(Text(cell) for cell in row))
    parts: list[Table | Text] = [table, Text("")]
    parts += [Text(line) for line in footer(report, mem, batch, dtype)]
    if any(all(r.covers_input) for r in report.layers):
        parts.append(Text("*: the field covers the whole input", style="dim"))
    for warning in report.warnings:
        parts.append(Text(warning.format(filename), style="yellow"))
    return Group(*parts)
