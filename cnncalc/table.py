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
    title = f"{report.name or filename}: input {report.input}"
    rows = [table_row(result) for result in report.layers]
    table = Table(title=title, title_justify="left", header_style="bold", show_edge=False, pad_edge=False)
    for column, header in enumerate(TABLE_HEADERS):
        # numbers and volumes are never cropped; names and configs wrap on a narrow terminal
        whole = header not in _WRAPPABLE
        table.add_column(
            header,
            justify="right" if header in _NUMERIC else "left",
            no_wrap=whole,
            overflow="fold",
            min_width=max([len(header)] + [len(row[column]) for row in rows]) if whole else None,
            style="cyan" if header == "output" else None,
        )
    for row in rows:
        table.add_row(*row)
    parts: list[Table | Text] = [table, Text("")]
    parts += [Text(line) for line in footer(report, mem, batch, dtype)]
    if any(all(r.covers_input) for r in report.layers):
        parts.append(Text("*: the field covers the whole input", style="dim"))
    for warning in report.warnings:
        parts.append(Text(warning.format(filename), style="yellow"))
    return Group(*parts)
