"""The terminal chart of `cnncalc rf --plot`: each row's receptive field r and its map's height h as bars, in
integers to an eighth of a cell."""

from __future__ import annotations

from .config import axes
from .render import field_text, layer_label
from .report import Report, walk
from .spec import AXIS_NAMES

Segment = tuple[str, str | None]  # a piece of a line and its style (a rich style name), or None
EIGHTHS = " ▏▎▍▌▋▊▉"
BAR_STYLE = {"r": "cyan", "h": "magenta"}
DEFAULT_BAR = 30  # cells per bar where the width is not known (a pipe, a file)
NARROWEST_BAR = 6
NARROWEST_LABEL = 8  # as the table's wrapped names


def bar(value: int, scale: int, cells: int) -> str:
    """`value` out of `scale` as a bar `cells` wide, to an eighth of a cell; past the scale, a full bar.

    Integers all the way: `value * cells * 8 // scale` eighths, at least one for any positive value.
    """
    eighths = min(max(value * cells * 8 // scale, 1 if value > 0 else 0), cells * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(cells)


def rf_chart(report: Report, filename: str, width: int | None = None) -> tuple[list[list[Segment]], int]:
    """`cnncalc rf --plot`: per row of the report, the receptive field r and the map's height h as bars to the
    scale of the input's height, each with its number; and the width the lines need.

    On a screen `width` columns wide, the bars (and, if need be, the layer names) shrink to fit; a pipe gets
    bars `DEFAULT_BAR` cells wide. Bars follow the height axis; the numbers give both axes where they differ.
    """
    rows = list(walk(report.layers))
    axis = 1 if report.input.rank == 3 else 0  # the height, or the length of a 1-D input
    name = AXIS_NAMES[report.input.rank][axis]
    letter = name[0]
    scale = report.input[axis]
    paths = [row.path for row in rows]
    labels = [layer_label(row) for row in rows]
    fields = [field_text(row) for row in rows]
    sizes = [axes(row.output.spatial) for row in rows]
    path_w = max(len(text) for text in ["#", *paths])
    label_w = max(len(text) for text in ["layer", *labels])
    r_w = max(len(text) for text in ["r", *fields])
    h_w = max(len(text) for text in [letter, *sizes])

    def fixed(label_width: int) -> int:
        # the columns and the single spaces around them, less the two bars
        return path_w + 1 + label_width + 2 + r_w + 1 + 2 + h_w + 1

    cells = DEFAULT_BAR
    if width is not None:
        cells = (width - fixed(label_w)) // 2
        if cells < NARROWEST_BAR:
            label_w = min(label_w, max(NARROWEST_LABEL, width - fixed(0) - 2 * NARROWEST_BAR))
            cells = max((width - fixed(label_w)) // 2, NARROWEST_BAR)
        cells = min(cells, 2 * DEFAULT_BAR)

    def cut(text: str) -> str:
        return text if len(text) <= label_w else text[: label_w - 1] + "…"

    title = f"{report.name or filename}: receptive field r and map {name} {letter} after each layer"
    lines: list[list[Segment]] = [[(title, "bold")]]
    r_title = "receptive field" if cells >= len("receptive field") else "field"
    h_title = "map size" if cells >= len("map size") else "size"
    header = f"{'#':<{path_w}} {'layer':<{label_w}}  {'r':>{r_w}} {r_title:<{cells}}  {letter:>{h_w}} {h_title}"
    lines.append([(header.rstrip(), "bold")])
    for row, path, label, field, size in zip(rows, paths, labels, fields, sizes, strict=True):
        lines.append(
            [
                (f"{path:<{path_w}} {cut(label):<{label_w}}  {field:>{r_w}} ", None),
                (bar(row.receptive_field[axis], scale, cells), BAR_STYLE["r"]),
                (f"  {size:>{h_w}} ", None),
                (bar(row.output[axis], scale, cells).rstrip(), BAR_STYLE["h"]),
            ]
        )
    lines.append([("", None)])
    lines.append(
        [
            (
                f"bars: the {name} axis, a full bar = the input's {scale:,} pixels; r in input pixels "
                f"(*: as large as the input), {letter} in positions of the map",
                "dim",
            )
        ]
    )
    needed = max(sum(len(text) for text, _ in line) for line in lines[1:-1])
    return lines, needed
