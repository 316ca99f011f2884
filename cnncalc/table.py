"""Rich tables of a report: the one renderer that needs rich, imported only when a table is drawn."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import islice

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .render import (
    FC_HEADERS,
    FC_NUMERIC,
    FULL_FIELD_NOTE,
    LOCAL_HEADER,
    LOCAL_NOTE,
    NUMERIC_HEADERS,
    TABLE_HEADERS,
    UNEVEN_NOTE,
    fc_footer,
    fc_row,
    footer,
    has_local,
    local_text,
    printable,
    rf_row,
    table_row,
)
from .report import LayerResult, Memory, Report, walk
from .rows import MAX_ROWS
from .terminal import diagnostic_text

_WRAPPABLE = frozenset({"layer", "config"})
_NARROWEST = 8  # a wrapped name or config column keeps this many characters
RF_HEADERS = ("#", "layer", "r", "jump", "P", "first output sees", "centre", "in padding")
_RF_NUMERIC = frozenset({"r", "jump", "P", "centre"})


def render_table(
    report: Report,
    mem: Memory,
    batch: int,
    dtype: str,
    filename: str,
    width: int | None = None,
    view: str = "layers",
    more: Sequence[str] = (),
    heading: str | None = None,
) -> tuple[Group, int]:
    """The layer table (or, with view "fc", each conv beside its dense equivalent), totals and warnings under it,
    and the width it needs (see `grid`); `more` adds lines to the totals, `heading` names the network (by
    default its name, else its file's)."""
    title = Text(f"{printable(heading or report.name or filename)}: input {report.input}", style="bold")
    shown, hidden = _shown(report)
    local = has_local(shown)
    if view == "fc":
        table, needed = grid(title, FC_HEADERS, [fc_row(r) for r in shown], FC_NUMERIC, width)
    elif local:
        rows = [(*table_row(r), local_text(r)) for r in shown]
        table, needed = grid(title, (*TABLE_HEADERS, LOCAL_HEADER), rows, NUMERIC_HEADERS | {LOCAL_HEADER}, width)
    else:
        table, needed = grid(title, TABLE_HEADERS, [table_row(r) for r in shown], NUMERIC_HEADERS, width)
    parts: list[Table | Text] = [table, Text("")]
    if hidden:
        parts.append(Text(hidden))
    parts += [Text(line) for line in footer(report, mem, batch, dtype)]
    if view == "fc":
        parts += [Text(line) for line in fc_footer(report)]
    parts += [Text(line) for line in more]
    parts.append(Text(FULL_FIELD_NOTE, style="dim"))
    if any(row.uneven for row in walk(report.layers)):
        parts.append(Text(UNEVEN_NOTE, style="dim"))
    if local and view != "fc":
        parts.append(Text(LOCAL_NOTE, style="dim"))
    parts += [diagnostic_text(warning, filename) for warning in report.warnings]
    return Group(*parts), needed


def render_rf_table(
    report: Report, filename: str, width: int | None = None, heading: str | None = None
) -> tuple[Group, int]:
    """The receptive field's growth, layer by layer, and where the first output's field lies in the input."""
    title = Text(f"{printable(heading or report.name or filename)}: receptive field on {report.input}", style="bold")
    shown, hidden = _shown(report, "--format json")
    rows = [rf_row(result, report.input) for result in shown]
    if local := has_local(shown):
        rows = [(*row, local_text(result)) for row, result in zip(rows, shown, strict=True)]
        table, needed = grid(title, (*RF_HEADERS, LOCAL_HEADER), rows, _RF_NUMERIC | {LOCAL_HEADER}, width)
    else:
        table, needed = grid(title, RF_HEADERS, rows, _RF_NUMERIC, width)
    note = (
        "r, jump, P in input pixels; the first output sees input pixels -P to -P + r - 1; padding lies outside 0..h-1"
    )
    notes = [Text(note, style="dim")]
    if any(row.uneven for row in walk(report.layers)):
        uneven = (
            "~: outputs see windows of different sizes (up-sampled, or an adaptive pool's uneven windows): r is the "
            "widest, the first output's window may be narrower (shown as it is): -P to -P + r - 1 holds where all "
            "are alike"
        )
        notes.append(Text(uneven, style="dim"))
    if local:
        notes.append(Text(LOCAL_NOTE, style="dim"))
    notes += [diagnostic_text(warning, filename) for warning in report.warnings]
    return Group(table, Text(""), *([Text(hidden)] if hidden else []), *notes), needed


def _shown(report: Report, formats: str = "--format csv, json or markdown") -> tuple[list[LayerResult], str]:
    """The rows a table draws, at most MAX_ROWS, and what it says of the rest.

    Folding blocks keeps most reports within MAX_ROWS (see `analyse_file`); what is left past it is a spec that
    writes out more layers than that, one by one.
    """
    rows = list(islice(walk(report.layers), MAX_ROWS + 1))
    if len(rows) <= MAX_ROWS:
        return rows, ""
    rest = sum(1 for _ in walk(report.layers)) - MAX_ROWS
    more = f"{rest:,} more {'row' if rest == 1 else 'rows'}"
    return rows[:MAX_ROWS], f"... {more} not shown: {formats} lists them all"


def grid(
    title: Text, headers: Sequence[str], rows: list[tuple[str, ...]], numeric: frozenset[str], width: int | None
) -> tuple[Table, int]:
    """A table, and the width it needs.

    On a screen `width` columns wide, names and configs wrap to fit; numbers are never cropped: where even
    wrapped names leave too little room, the table keeps its natural width and the width it needs says so.
    """
    natural = [max([len(header)] + [len(row[column]) for row in rows]) for column, header in enumerate(headers)]
    borders = 3 * (len(headers) - 1)  # a space, a rule and a space between columns
    natural_width = sum(natural) + borders
    narrowest = sum(min(w, _NARROWEST) if h in _WRAPPABLE else w for h, w in zip(headers, natural, strict=True))
    if width is not None and narrowest + borders <= width < natural_width:
        return _wrapping_table(title, headers, rows, natural, numeric), narrowest + borders
    return _laid_out_table(title, headers, rows, natural, numeric), natural_width


def _table(title: Text, padding: tuple[int, int]) -> Table:
    return Table(
        title=title, title_justify="default", header_style="bold", show_edge=False, padding=padding, pad_edge=False
    )


def _laid_out_table(
    title: Text, headers: Sequence[str], rows: list[tuple[str, ...]], widths: list[int], numeric: frozenset[str]
) -> Table:
    """Cells arrive aligned and with their one-space margins, at their natural widths.

    Rich's own cell padding wraps every cell in a Padding renderable, and its layout measures every cell: a
    third of the drawing time of a big table, spared where nothing needs to wrap.
    """
    table = _table(title, (0, 0))
    last = len(headers) - 1
    columns = []
    for column, (header, width) in enumerate(zip(headers, widths, strict=True)):
        lay_out = _layout(width, header in numeric, first=column == 0, last=column == last)
        columns.append(lay_out)
        table.add_column(Text(lay_out(header)), no_wrap=True, width=len(lay_out(header)), style=_style(header))
    for row in rows:
        # Text cells: a layer name like "conv[1]" is shown as written, never read as rich markup
        table.add_row(*(Text(lay_out(cell)) for lay_out, cell in zip(columns, row, strict=True)))
    return table


def _wrapping_table(
    title: Text, headers: Sequence[str], rows: list[tuple[str, ...]], widths: list[int], numeric: frozenset[str]
) -> Table:
    """Rich lays the cells out: names and configs wrap; numbers and volumes keep their width."""
    table = _table(title, (0, 1))
    for header, width in zip(headers, widths, strict=True):
        wrappable = header in _WRAPPABLE
        table.add_column(
            Text(header),
            justify="right" if header in numeric else "left",
            no_wrap=not wrappable,
            overflow="fold",
            width=None if wrappable else width,
            min_width=min(width, _NARROWEST) if wrappable else None,
            style=_style(header),
        )
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _style(header: str) -> str | None:
    return "cyan" if header in ("output", "first output sees") else None


def _layout(width: int, right: bool, first: bool, last: bool) -> Callable[[str], str]:
    """A cell's text aligned in its column, with a space either side except at the table's edges."""
    before, after = ("" if first else " "), ("" if last else " ")

    def lay_out(cell: str) -> str:
        return before + (cell.rjust(width) if right else cell.ljust(width)) + after

    return lay_out
