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
    FULL_MARK,
    LOCAL_HEADER,
    LOCAL_NOTE,
    NUMERIC_HEADERS,
    TABLE_HEADERS,
    UNEVEN_NOTE,
    config_key,
    fc_row,
    field_note,
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
RF_HEADERS = ("#", "layer", "r", "jump", "P", "first output sees", "centre", "in padding")
_RF_NUMERIC = frozenset({"r", "jump", "P", "centre"})

# on a terminal too narrow for every column, the columns left out first: what the others do not already say, then
# the least read; a row's name, its output and its main numbers stay
_LAYERS_DROPPED = ("P", "jump", LOCAL_HEADER, "#", "MACs", "RF", "config")
_FC_DROPPED = ("connections", "#", "dense equivalent", "output")
_RF_DROPPED = ("centre", "in padding", LOCAL_HEADER, "#", "first output sees")


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
    and the width it needs (see `grid`); `more` adds lines to the totals (the fc view's comparison among them),
    `heading` names the network (by default its name, else its file's)."""
    title = Text(f"{printable(heading or report.name or filename)}: input {report.input}", style="bold")
    shown, hidden = _shown(report)
    local = has_local(shown)
    if view == "fc":
        table, needed, dropped = grid(title, FC_HEADERS, [fc_row(r) for r in shown], FC_NUMERIC, width, _FC_DROPPED)
        columns: Sequence[str] = FC_HEADERS
    elif local:
        rows = [(*table_row(r), local_text(r)) for r in shown]
        columns = (*TABLE_HEADERS, LOCAL_HEADER)
        table, needed, dropped = grid(title, columns, rows, NUMERIC_HEADERS | {LOCAL_HEADER}, width, _LAYERS_DROPPED)
    else:
        columns = TABLE_HEADERS
        rows = [table_row(r) for r in shown]
        table, needed, dropped = grid(title, columns, rows, NUMERIC_HEADERS, width, _LAYERS_DROPPED)
    kept = [column for column in columns if column not in dropped]
    parts: list[Table | Text] = [table, Text("")]
    if dropped:
        parts.append(Text(left_out(dropped, width, "--format markdown"), style="dim"))
    if hidden:
        parts.append(Text(hidden))
    parts += [Text(line) for line in footer(report, mem, batch, dtype)]
    parts += [Text(line) for line in more]
    if note := field_note(kept):
        parts.append(Text(note, style="dim"))
    if "config" in kept and (key := config_key(shown)):
        parts.append(Text(key, style="dim"))
    if "RF" in kept and any(row.uneven for row in walk(report.layers)):
        parts.append(Text(UNEVEN_NOTE, style="dim"))
    if LOCAL_HEADER in kept:
        parts.append(Text(LOCAL_NOTE, style="dim"))
    parts += [diagnostic_text(warning, filename) for warning in report.warnings]
    return Group(*parts), needed


def left_out(dropped: Sequence[str], width: int | None, formats: str) -> str:
    """The line under a table fitted to a terminal, naming the columns it leaves out and where they are shown."""
    return (
        f"{', '.join(dropped)} left out to fit {width} columns: a wider terminal, {formats} or a pipe shows every "
        "column"
    )


def render_rf_table(
    report: Report, filename: str, width: int | None = None, heading: str | None = None
) -> tuple[Group, int]:
    """The receptive field's growth, layer by layer, and where the first output's field lies in the input."""
    title = Text(f"{printable(heading or report.name or filename)}: receptive field on {report.input}", style="bold")
    shown, hidden = _shown(report, "--format json")
    rows = [rf_row(result, report.input) for result in shown]
    columns: Sequence[str] = RF_HEADERS
    if has_local(shown):
        rows = [(*row, local_text(result)) for row, result in zip(rows, shown, strict=True)]
        columns = (*RF_HEADERS, LOCAL_HEADER)
        table, needed, dropped = grid(title, columns, rows, _RF_NUMERIC | {LOCAL_HEADER}, width, _RF_DROPPED)
    else:
        table, needed, dropped = grid(title, columns, rows, _RF_NUMERIC, width, _RF_DROPPED)
    kept = [column for column in columns if column not in dropped]
    key = ["r, jump, P in input pixels"]
    if "first output sees" in kept:
        key.append("the first output sees input pixels -P to -P + r - 1; padding lies outside 0..h-1")
    if "in padding" in kept:
        key.append("in padding: how many of those pixels are padding, before + after")
    key.append(FULL_MARK)
    notes = [Text("; ".join(key), style="dim")]
    if any(row.uneven for row in walk(report.layers)):
        uneven = (
            "~: outputs see windows of different sizes (up-sampled, or an adaptive pool's uneven windows): r is the "
            "widest, the first output's window may be narrower (shown as it is): -P to -P + r - 1 holds where all "
            "are alike"
        )
        notes.append(Text(uneven, style="dim"))
    if LOCAL_HEADER in kept:
        notes.append(Text(LOCAL_NOTE, style="dim"))
    notes += [diagnostic_text(warning, filename) for warning in report.warnings]
    said = [Text(left_out(dropped, width, "--format json"), style="dim")] if dropped else []
    return Group(table, Text(""), *said, *([Text(hidden)] if hidden else []), *notes), needed


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
    title: Text,
    headers: Sequence[str],
    rows: list[tuple[str, ...]],
    numeric: frozenset[str],
    width: int | None,
    droppable: Sequence[str] = (),
) -> tuple[Table, int, tuple[str, ...]]:
    """A table, the width it needs, and the columns it leaves out.

    Without a terminal (`width` None) every column is drawn at its natural width. On a screen `width` columns
    wide, names and configs wrap between words to fit; where even wrapped they leave too little room, the columns
    of `droppable` are left out, in its order, until the rest fit. Numbers are never cropped or broken: where
    even the fewest columns do not fit, the table keeps their natural width and the width it needs says so.
    """
    natural = [max([len(header)] + [len(row[column]) for row in rows]) for column, header in enumerate(headers)]
    if width is None or _across(natural) <= width:
        return _laid_out_table(title, headers, rows, natural, numeric), _across(natural), ()
    # a wrapped column keeps its longest word whole: no number in a config is cut in two
    narrowest = [
        max([len(header)] + [len(word) for row in rows for word in row[column].split()]) if header in _WRAPPABLE else w
        for column, (header, w) in enumerate(zip(headers, natural, strict=True))
    ]
    left = [header for header in droppable if header in headers]
    kept = list(range(len(headers)))
    dropped: list[str] = []
    while _across([narrowest[column] for column in kept]) > width and left:
        header = left.pop(0)
        kept.remove(headers.index(header))
        dropped.append(header)
    headers = [headers[column] for column in kept]
    rows = [tuple(row[column] for column in kept) for row in rows]
    natural = [natural[column] for column in kept]
    if _across(natural) <= width:
        return _laid_out_table(title, headers, rows, natural, numeric), _across(natural), tuple(dropped)
    narrowest = [narrowest[column] for column in kept]
    needed = _across(narrowest)
    wrapped = [column for column, header in enumerate(headers) if header in _WRAPPABLE]
    room = max(width, needed) - _across(natural) + sum(natural[column] for column in wrapped)
    shares = _shares([natural[column] for column in wrapped], [narrowest[column] for column in wrapped], room)
    for column, share in zip(wrapped, shares, strict=True):
        natural[column] = share
    return _wrapping_table(title, headers, rows, natural, numeric), needed, tuple(dropped)


def _shares(natural: list[int], narrowest: list[int], room: int) -> list[int]:
    """The widths of the columns that wrap, `room` in all: the widest narrowed first, none below its narrowest.

    Rich's own narrowing can take a column below the longest word it then keeps whole, and the table past the
    screen: these widths are given to it instead.
    """
    widths = list(natural)
    while sum(widths) > room:
        column = max(
            (column for column, (width, least) in enumerate(zip(widths, narrowest, strict=True)) if width > least),
            key=lambda column: widths[column],
            default=None,
        )
        if column is None:
            break
        widths[column] -= 1
    return widths


def _across(widths: Sequence[int]) -> int:
    """The width of a table of columns this wide: a space, a rule and a space between columns."""
    return sum(widths) + 3 * (len(widths) - 1)


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
    """Rich lays the cells out in columns of these widths: names and configs wrap between words; numbers and
    volumes keep their width.

    The one-space margins between columns are each cell's own (a Padding), not the table's: rich before 15 counts
    a table's edge padding in a column's width even where `pad_edge=False` leaves it out, which made the table a
    column wider than measured and narrowed a number.
    """
    from rich.padding import Padding

    table = _table(title, (0, 0))
    last = len(headers) - 1
    margins = [(0 if column == 0 else 1, 0 if column == last else 1) for column in range(len(headers))]
    for header, width, (left, right) in zip(headers, widths, margins, strict=True):
        justified = Text(header, justify="right" if header in numeric else "left")
        table.add_column(Padding(justified, (0, right, 0, left)), width=width + left + right, style=_style(header))
    for row in rows:
        table.add_row(
            *(
                Padding(
                    Text(
                        cell,
                        justify="right" if header in numeric else "left",
                        no_wrap=header not in _WRAPPABLE,
                        overflow="fold",
                    ),
                    (0, right, 0, left),
                )
                for cell, header, (left, right) in zip(row, headers, margins, strict=True)
            )
        )
    return table


def _style(header: str) -> str | None:
    return "cyan" if header in ("output", "first output sees") else None


def _layout(width: int, right: bool, first: bool, last: bool) -> Callable[[str], str]:
    """A cell's text aligned in its column, with a space either side except at the table's edges."""
    before, after = ("" if first else " "), ("" if last else " ")

    def lay_out(cell: str) -> str:
        return before + (cell.rjust(width) if right else cell.ljust(width)) + after

    return lay_out
