"""A picture of a report: the network's volumes as SVG (`cnncalc draw`; `rf --plot`'s chart is in `chart`).

Pure: a report in, SVG text out; the standard library only, no I/O.

The volumes are drawn as the lecture's slides draw them, left to right, the input first, in rows that fit the
page's width (`WIDTH`), one under the other, each joined from its end back under it to the start of the next;
a repeat's rows flow likewise in its frame (unless a skip line leaves or reaches one of them: it keeps them on
one line, under the skip lines), and a block's lanes stay on one row. Each layer's output
is a box in oblique perspective: its front face as tall as `h` and as wide as `c` (the channels stack along
the flow), its depth going back up and to the right as `w`, all on a log scale (log2), so that 224 and 7 both
fit on one page. A 1-D map `l x c` is such a box as tall as `l` and as thin as a map 1 wide; a 3-D map
`d x h x w x c` is its `h x w x c` box with copies stacked behind it, each a step up and to the left, log2 d of
them (rounded up, at most `STACK`). A vector, 1 x ... x 1 x n (after `flatten`, a global pool or a dense
layer), stands up as a thin bar, its height log-scaled to n, as the slides draw the dense layers. Under every
box: its kind and name, its size as `summary` writes it (`h x w x c`, `16 x 112 x 112 x 3`) and its receptive
field `RF r` (`*`: as large as the input), the numbers of `summary`.

Blocks are drawn as branches that meet again:

- a residual's layers and shortcut are two lanes, the layers on the flow line and the shortcut under it
  (an identity shortcut is a bare line), joining at a `+` node labelled with the residual's row;
- the branches of a concat, an add or a multiply are parallel lanes (an empty branch is a bare line) joining
  at a `concat`, `+` or times-sign node;
- a merge `with` earlier outputs is that node on the flow line: the current tensor comes in from the left, each
  named output along a skip line from above its own box, routed over the boxes between (U-Net's four skips nest,
  the shortest lowest; one from an earlier row goes by a gutter right of the rows), and a line under the node
  says `with enc4 (crop centre)`;
- a layer that reads an earlier output (`from`) is fed by such a skip line instead of an arrow from its left
  neighbour;
- a repeat shows every repetition's rows in turn inside a dashed frame whose header is the repeat's row
  (`repeat layer1 x2`, its size and field): the summary at its default depth lists those rows, and a frame
  keeps one labelled element per row rather than hiding them behind an `x N`;
- a block folded by `depth` is one box with its kind and name (and `x N` for a repeat).

So there is one labelled element per row of the summary at the same depth: a `<g>` whose class holds
`layer` and one of `volume`, `add`, `concat`, `multiply` or `repeat`, with the row's numbers as data attributes
(`data-path`, `data-kind`, `data-name`, `data-output`, `data-rf`, `data-jump`, `data-params`) and its
labels as `<text>` elements of class `name`, `size` and `rf` (and `with` for a merge `with` earlier outputs).
The input is a `<g class="input volume">`. The faces of the copies stacked behind a 3-D map's box are of class
`depth`. A skip line is a `<path class="skip">` with `data-name` (the name
read), `data-from` (that row's path, or `input`) and `data-to` (the reading row's).
The same report gives the same bytes: coordinates are rounded to a tenth of a pixel and nothing depends on
the clock or on the order of a set.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from .check import named_rows
from .config import axes
from .graph import INPUT as NETWORK_INPUT
from .kinds import KINDS, ByKind
from .record import Record
from .render import field_text, layer_label, printable
from .report import LayerResult, Report
from .spec import (
    ACTIVATIONS,
    Merge,
    Volume,
)

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
FONT_SIZE = 11
CHAR = 6.7  # the advance of one character of an 11 px monospace font, a little generous
LINE = 14  # one line of a label
PAD = 6  # either side of a box's column
GAP = 22  # between two columns: room for an arrow
LABEL_GAP = 6  # between a box and its label
FORK = 26  # where a block's lanes part, and where they meet again
LANE_GAP = 24  # between two lanes
FRAME = 10  # a repeat's frame around its rows
MARGIN = 18
NAME_CHARS = 16  # a longer `kind name` is written on two lines
SKIP_GAP = 14  # between a skip line and what it passes over, and between two skip lines
SKIP_SPREAD = 6  # between the skip lines that come down into one node


def _xml(text: str) -> str:
    """Text for an SVG element: XML's reserved characters escaped, and a spec's control characters written out
    (`\\x08`), which XML 1.0 does not allow at all."""
    return escape(printable(text))


def _attribute(text: str) -> str:
    return quoteattr(printable(text))


# a box's colours: the front face, the top (lit) and the side (shaded)
Colours = tuple[str, str, str]
# per kind
COLOURS = ByKind("draw.COLOURS")
for kinds, colours in (
    (("conv",), ("#6fa8dc", "#a9cbea", "#3d85c6")),
    (("convtranspose",), ("#8e9ce8", "#c3cbf3", "#5f6fcc")),  # a conv's hue, towards violet
    (
        ("maxpool", "avgpool", "adaptiveavgpool", "adaptivemaxpool", "globalavgpool", "globalmaxpool"),
        ("#f6b26b", "#f9cfa0", "#e69138"),
    ),
    (("dense",), ("#93c47d", "#bcdcaf", "#6aa84f")),
    (("flatten",), ("#b4a7d6", "#d5cdea", "#8e7cc3")),
    (("batchnorm", "layernorm", "groupnorm", "instancenorm", "scale"), ("#d0d0d0", "#e8e8e8", "#ababab")),
    (("squeeze_excite",), ("#f6b26b", "#fce5cd", "#e69138")),  # a gate from a global pool: the pools' hues
    (("zeropad",), ("#a2c4c9", "#d0e0e3", "#76a5af")),
    (("upsample",), ("#8fd3c4", "#c5eae2", "#5bb5a2")),  # resizing the map: zeropad's hues, towards green
    (("crop",), ("#b3bfd1", "#d9e0ea", "#8795ab")),  # and towards grey-blue
    (
        (*ACTIVATIONS, "prelu", "dropout", "droppath", "channelshuffle"),
        ("#ffe599", "#fff2c4", "#f1c232"),
    ),  # the volume unchanged
    (("repeat", "residual", "add", "concat", "multiply"), ("#d5a6bd", "#ead1dc", "#c27ba0")),
):
    COLOURS.register(*kinds)(colours)
INPUT = ("#f3f3f3", "#ffffff", "#cccccc")
INK = "#333333"
EDGE = "#777777"
SKIP = "#a64d79"  # a skip line: the block colours' hue, deeper
NOTE = "#666666"
# the node where a merge's inputs meet: its symbol, and the role its row's group is classed by
NODES = {
    "residual": ("+", "add"),
    "add": ("+", "add"),
    "multiply": ("\N{MULTIPLICATION SIGN}", "multiply"),
    "concat": ("concat", "concat"),
}


def _n(value: float) -> str:
    """A coordinate, to a tenth of a pixel, without a trailing `.0`: the same number gives the same bytes."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _attrs(**values: str) -> str:
    """Attributes in the order given, `data_path` written `data-path`, every value escaped."""
    return "".join(f" {key.replace('_', '-')}={_attribute(value)}" for key, value in values.items())


def _text_width(lines: Sequence[str]) -> float:
    return max((len(line) for line in lines), default=0) * CHAR


class _Canvas:
    """What a drawing collects, in three layers: frames at the back, then the edges, then the boxes; and where
    the rows landed, for the skip lines drawn after them."""

    def __init__(self, fed_by_skips: frozenset[str] = frozenset()) -> None:
        self.backs: list[str] = []
        self.edges: list[str] = []
        self.nodes: list[str] = []
        self.fed_by_skips = fed_by_skips  # the paths of the rows whose input comes along a skip line (`from`)
        # per row's path (`input` for the input): where a skip line leaves it, and where one comes into it
        self.ports: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}

    def edge(self, path: str, arrow: bool) -> None:
        marker = ' marker-end="url(#arrow)"' if arrow else ""
        self.edges.append(f'<path d="{path}" fill="none" stroke="{EDGE}" stroke-width="1.2"{marker}/>')

    def fed(self, item: _Item) -> bool:
        """Whether `item` takes its input from the item before it (else a skip line brings it)."""
        return not self.fed_by_skips.intersection(item.entries)


class _Ends(Record):
    """Where a drawn item is joined: an incoming edge ends at `entry` on the item's flow line (with an arrowhead if
    `arrow`), an outgoing one starts at (`exit`, `exit_y`): on the flow line too, but for items laid out in rows,
    whose last row is lower."""

    entry: float
    arrow: bool
    exit: float
    exit_y: float


class _Item:
    """A part of the picture: measured when built, drawn at (x, flow line y) later."""

    width: float
    up: float  # above the flow line
    down: float  # below it
    drop = 0.0  # how far under the flow line its labels start; 0: it has none on the flow line
    entries: tuple[str, ...] = ()  # the rows its input goes into: the first box's, and the blocks' around it

    def align(self, drop: float) -> None:
        """Start the labels on the flow line at least `drop` under it, level with the neighbours' labels."""

    def draw(self, canvas: _Canvas, x: float, y: float) -> _Ends:
        raise NotImplementedError


def _name_lines(result: LayerResult) -> list[str]:
    times = f" x{result.times}" if KINDS[result.kind].repeated_by else ""
    if not result.name:
        return [result.kind + times]
    label = f"{result.kind} {result.name}{times}"
    return [label] if len(label) <= NAME_CHARS else [result.kind, result.name + times]


def _row_group(result: LayerResult, role: str) -> str:
    """The opening tag of a row's group, and its tooltip: the row's numbers as data attributes."""
    tooltip = f"{result.path} {layer_label(result, '')}"
    if result.config:
        tooltip += f" ({result.config})"
    if result.layer.source is not None:
        tooltip += f" from {result.layer.source}"
    tooltip += (
        f": {result.output}, {result.params:,} params, receptive field {field_text(result)}, jump {axes(result.jump)}"
    )
    attrs = _attrs(
        **{"class": f"layer {role}"},
        data_path=result.path,
        data_kind=result.kind,
        data_name=result.name or "",
        data_output=str(result.output),
        data_rf=axes(result.receptive_field, "x").replace(",", ""),
        data_jump=axes(result.jump, "x").replace(",", ""),
        data_params=str(result.params),
    )
    return f"<g{attrs}><title>{_xml(tooltip)}</title>"


def _labels(lines: Sequence[tuple[str, str]], cx: float, top: float) -> list[str]:
    """Label lines centred at `cx`, the first line's top at `top`; a `name` line is bold."""
    texts = []
    for number, (role, text) in enumerate(lines, start=1):
        weight = ' font-weight="bold"' if role == "name" else ""
        texts.append(
            f'<text class="{role}" x="{_n(cx)}" y="{_n(top + number * LINE - 3)}" text-anchor="middle"'
            f' fill="{INK}"{weight}>{_xml(text)}</text>'
        )
    return texts


def _row_lines(result: LayerResult) -> list[tuple[str, str]]:
    return [("name", line) for line in _name_lines(result)] + [
        ("size", str(result.output)),
        ("rf", f"RF {field_text(result)}"),
    ]


def _log(n: int) -> float:
    return math.log2(max(n, 1))


def _box_faces(
    left: float, y: float, face_w: float, face_h: float, dx: float, dy: float, colours: Colours, extra: str
) -> str:
    """A box's top, side and front face, its front face's left edge at `left` and its middle at `y`; `extra`: more
    attributes for each."""
    front, lit, shade = colours
    right, top, bottom = left + face_w, y - face_h / 2, y + face_h / 2
    back_top = top - dy
    return (
        f'<polygon{extra} points="{_n(left)},{_n(top)} {_n(left + dx)},{_n(back_top)} '
        f'{_n(right + dx)},{_n(back_top)} {_n(right)},{_n(top)}" fill="{lit}" stroke="{INK}"'
        ' stroke-width="0.8" stroke-linejoin="round"/>'
        f'<polygon{extra} points="{_n(right)},{_n(top)} {_n(right + dx)},{_n(back_top)} '
        f'{_n(right + dx)},{_n(bottom - dy)} {_n(right)},{_n(bottom)}" fill="{shade}" stroke="{INK}"'
        ' stroke-width="0.8" stroke-linejoin="round"/>'
        f'<rect{extra} x="{_n(left)}" y="{_n(top)}" width="{_n(face_w)}" height="{_n(face_h)}"'
        f' fill="{front}" stroke="{INK}" stroke-width="0.8"/>'
    )


STACK = 5  # the most copies of a 3-D map's box stacked behind it for its depth d: log2 d, rounded up
STACK_STEP = 3.0  # from one copy to the next, up and to the left


class _Box(_Item):
    """A volume: one layer's output, a folded block, or the input (`result` None)."""

    def __init__(self, volume: Volume, result: LayerResult | None) -> None:
        self.result = result
        self.entries = () if result is None else (result.path,)
        if volume.is_point:
            # a vector stands up as the slides draw a dense layer: its n along the height
            self.face_w, self.face_h, depth = 8.0, 8 + 9 * _log(volume.c), 6.0
        else:
            # a 1-D map stands as a slab, its length along the height and no depth (a width of 1); a 3-D map is
            # its h x w x c box
            h, w = (volume.spatial[0], 1) if volume.rank == 1 else volume.spatial[-2:]
            self.face_w = 4 + 5 * _log(volume.c)
            self.face_h = 10 + 14 * _log(h)
            depth = (10 + 14 * _log(w)) * 0.55
        # the depth recedes up and to the right
        self.dx, self.dy = depth * 0.8, depth * 0.6
        # a 3-D map's d: copies of its box stacked behind it, each a step further up and to the left
        self.copies = min(math.ceil(_log(volume.spatial[0])), STACK) if volume.rank == 3 else 0
        self.stack = self.copies * STACK_STEP
        if result is None:
            self.lines = [("name", "input"), ("size", str(volume))]
            self.colours = INPUT
        else:
            self.lines = _row_lines(result)
            self.colours = COLOURS[result.kind]
        footprint = self.stack + self.face_w + self.dx
        self.width = max(footprint, _text_width([text for _, text in self.lines])) + 2 * PAD
        self.up = self.face_h / 2 + self.dy + 2 + self.stack
        self.align(self.face_h / 2)

    def align(self, drop: float) -> None:
        self.drop = max(drop, self.face_h / 2)
        self.down = self.drop + LABEL_GAP + len(self.lines) * LINE

    def draw(self, canvas: _Canvas, x: float, y: float) -> _Ends:
        cx = x + self.width / 2
        left = cx - (self.face_w + self.dx - self.stack) / 2
        shape = (self.face_w, self.face_h, self.dx, self.dy, self.colours)
        parts = [
            '<g class="input volume"' + _attrs(data_output=str(self.lines[1][1])) + ">"
            if self.result is None
            else _row_group(self.result, "volume"),
            *(
                _box_faces(left - step * STACK_STEP, y - step * STACK_STEP, *shape, ' class="depth"')
                for step in range(self.copies, 0, -1)
            ),
            _box_faces(left, y, *shape, ""),
            *_labels(self.lines, cx, y + self.drop + LABEL_GAP),
            "</g>",
        ]
        canvas.nodes.append("".join(parts))
        # along the back edge of the hindmost top face: a skip line leaves on the right, one comes in on the left
        back, back_top = left - self.stack + self.dx, y - self.face_h / 2 - self.dy - self.stack
        leaves, arrives = (back + 0.75 * self.face_w, back_top), (back + 0.25 * self.face_w, back_top)
        canvas.ports[NETWORK_INPUT if self.result is None else self.result.path] = (leaves, arrives)
        # the arrow in ends at the hindmost copy the flow line crosses
        crossed = max((step for step in range(self.copies + 1) if step * STACK_STEP < self.face_h / 2), default=0)
        return _Ends(left - crossed * STACK_STEP, True, cx, y)


class _Line(_Item):
    """An empty lane: an identity shortcut, or a concat's `[]` branch."""

    def __init__(self) -> None:
        self.width = len("identity") * CHAR + 2 * PAD
        self.up = LINE
        self.down = 4.0

    def draw(self, canvas: _Canvas, x: float, y: float) -> _Ends:
        canvas.edge(f"M{_n(x)},{_n(y)} H{_n(x + self.width)}", arrow=False)
        canvas.nodes.append(
            f'<text class="identity" x="{_n(x + self.width / 2)}" y="{_n(y - 4)}" text-anchor="middle"'
            f' fill="{NOTE}" font-style="italic">identity</text>'
        )
        return _Ends(x, False, x + self.width, y)


def _rows(items: Sequence[_Item], limit: float | None) -> tuple[tuple[_Item, ...], ...]:
    """`items` in rows of at most `limit` wide, as many to a row as fit, in their order; an item wider than
    `limit` alone on its row. One row where `limit` is None."""
    rows: list[tuple[_Item, ...]] = []
    row: list[_Item] = []
    width = 0.0
    for item in items:
        if row and limit is not None and width + GAP + item.width > limit:
            rows.append(tuple(row))
            row = []
        width = width + GAP + item.width if row else item.width
        row.append(item)
    rows.append(tuple(row))
    return tuple(rows)


ROW_GAP = 2 * LINE  # between one row's labels and the next row's top: room for the line from one to the other


class _Placed(Record):
    """A row as drawn: its flow line, how far it reaches down, and the left, right and top of each of its items."""

    y: float
    bottom: float
    lefts: list[float]
    rights: list[float]
    tops: list[float]


class _Sequence(_Item):
    """Items one after another along the flow line, joined by arrows; where they would be wider than `limit`,
    in rows, one under the other, the flow line the first row's, each row joined from its end back to the start
    of the next."""

    def __init__(self, items: Sequence[_Item], limit: float | None = None) -> None:
        self.items = tuple(items)
        self.entries = self.items[0].entries
        self.rows = _rows(self.items, limit)
        self.width = max(sum(item.width for item in row) + GAP * (len(row) - 1) for row in self.rows)
        self.clearance = [0.0] * len(self.rows)  # how far above each row's flow line its skip lines run
        self.placed: list[_Placed] = []  # filled when drawn
        # the labels along a row of boxes on one level, as a slide would set them
        self.align(max(item.drop for item in self.rows[0]))

    def clear(self, clearance: Sequence[float]) -> None:
        """Make room above each row for the skip lines that run over it."""
        self.clearance = list(clearance)
        self.align(self.drop)

    def align(self, drop: float) -> None:
        # the first row's labels level with the neighbours' (they are on its flow line), the others' with their own
        self.offsets: list[float] = []
        offset = below = 0.0
        for number, row in enumerate(self.rows):
            level = max([item.drop for item in row] + ([drop] if number == 0 else []))
            for item in row:
                item.align(level)
            up = max([item.up for item in row] + [self.clearance[number]])
            if number == 0:
                self.up = up
            else:
                offset += below + ROW_GAP + up
            self.offsets.append(offset)
            below = max(item.down for item in row)
        self.drop = max(item.drop for item in self.rows[0])
        self.down = offset + below

    def draw(self, canvas: _Canvas, x: float, y: float) -> _Ends:
        ends: list[_Ends] = []
        self.placed = []
        right = x  # where the item drawn last ends
        for row, offset in zip(self.rows, self.offsets, strict=True):
            ry, at = y + offset, x
            lefts, rights = [], []
            for number, item in enumerate(row):
                drawn = item.draw(canvas, at, ry)
                if ends and canvas.fed(item):
                    canvas.edge(self._joint(ends[-1], right, drawn, ry, x if number == 0 else None), drawn.arrow)
                ends.append(drawn)
                lefts.append(at)
                rights.append(at + item.width)
                right = at + item.width
                at += item.width + GAP
            bottom = ry + max(item.down for item in row)
            self.placed.append(_Placed(ry, bottom, lefts, rights, [ry - item.up for item in row]))
        return _Ends(ends[0].entry, ends[0].arrow, ends[-1].exit, ends[-1].exit_y)

    def _joint(self, before: _Ends, right: float, after: _Ends, y: float, start: float | None) -> str:
        """The edge from one item's exit to the next's entry at `y`; for the first of a row (`start`, the rows'
        left), down under the row above and back along it to the start of this one."""
        path = f"M{_n(before.exit)},{_n(before.exit_y)}"
        if start is not None:
            under = self.placed[-1].bottom + ROW_GAP / 2
            path += f" H{_n(right + GAP / 2)} V{_n(under)} H{_n(start)} V{_n(y)}"
            return path + (f" H{_n(after.entry)}" if after.entry != start else "")
        if before.exit_y != y:  # out of the last row of a block laid out in rows, up past its right side
            path += f" H{_n(right + GAP / 2)} V{_n(y)}"
        return path + f" H{_n(after.entry)}"


def _node_size(symbol: str) -> tuple[float, float]:
    """A merge node's width and height: a circle for a sign (`+`, times), a box for `concat`."""
    return (22.0, 22.0) if len(symbol) == 1 else (len(symbol) * CHAR + 10, 20.0)


def _node(symbol: str, cx: float, y: float) -> str:
    """A merge node centred at (cx, y) on the flow line."""
    width, height = _node_size(symbol)
    if len(symbol) == 1:
        return (
            f'<circle cx="{_n(cx)}" cy="{_n(y)}" r="{_n(width / 2)}" fill="#ffffff" stroke="{INK}"'
            ' stroke-width="1.2"/>'
            f'<text x="{_n(cx)}" y="{_n(y + 5)}" text-anchor="middle" font-size="16" fill="{INK}">{symbol}</text>'
        )
    return (
        f'<rect x="{_n(cx - width / 2)}" y="{_n(y - height / 2)}" width="{_n(width)}"'
        f' height="{_n(height)}" rx="4" fill="#ffffff" stroke="{INK}" stroke-width="1.2"/>'
        f'<text x="{_n(cx)}" y="{_n(y + 4)}" text-anchor="middle" fill="{INK}">{symbol}</text>'
    )


def _node_ports(symbol: str, cx: float, y: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where a skip line leaves a merge node (up and to the right) and where one comes into it (its top)."""
    width, height = _node_size(symbol)
    rise = 0.35 * height if len(symbol) == 1 else height / 2  # a circle's edge at 45 degrees, a box's top
    return (cx + 0.35 * width, y - rise), (cx, y - height / 2)


class _Merge(_Item):
    """A residual or a merge of branches: lanes that part at the block's start and meet at its node."""

    def __init__(self, result: LayerResult, lanes: Sequence[_Item], shortcut: bool) -> None:
        self.result = result
        self.entries = (result.path,)
        self.lanes = tuple(lanes)
        self.shortcut = shortcut  # a residual's two lanes: the layers on the flow line, the shortcut under them
        self.symbol, self.role = NODES[result.kind]
        self.node_w, self.node_h = _node_size(self.symbol)
        self.lines = _row_lines(result)
        self.node_col = max(self.node_w, _text_width([text for _, text in self.lines])) + 2 * PAD
        self.inner = max(lane.width for lane in self.lanes)
        for lane in self.lanes:
            if isinstance(lane, _Line):
                lane.width = self.inner  # a bare line runs the whole way, its `identity` under the other lanes
        self.width = FORK + self.inner + FORK + self.node_col
        self.align(self.lanes[0].drop if self.shortcut else 0.0)

    def align(self, drop: float) -> None:
        if self.shortcut:
            # the layers on the flow line, their labels level with the neighbours', the shortcut under them,
            # as the ResNet paper draws it
            main, short = self.lanes
            main.align(drop)
            self.offsets = [0.0, main.down + LANE_GAP + short.up]
        else:
            height = sum(lane.up + lane.down for lane in self.lanes) + LANE_GAP * (len(self.lanes) - 1)
            self.offsets, top = [], -height / 2
            for lane in self.lanes:
                self.offsets.append(top + lane.up)
                top += lane.up + lane.down + LANE_GAP
        placed = list(zip(self.lanes, self.offsets, strict=True))
        self.drop = max(drop, self.node_h / 2)
        self.up = max([self.node_h / 2] + [lane.up - offset for lane, offset in placed])
        self.down = max(
            [self.drop + LABEL_GAP + len(self.lines) * LINE] + [lane.down + offset for lane, offset in placed]
        )

    def draw(self, canvas: _Canvas, x: float, y: float) -> _Ends:
        fork, start = x + FORK / 2, x + FORK
        join = start + self.inner + FORK / 2
        cx = start + self.inner + FORK + self.node_col / 2
        node_left = cx - self.node_w / 2
        # where its input comes: from the left, or (`from`) down a skip line to the fork
        parting = f"M{_n(x)},{_n(y)} H{_n(fork)}" if canvas.fed(self) else f"M{_n(fork)},{_n(y)}"
        for lane, offset in zip(self.lanes, self.offsets, strict=True):
            ly = y + offset
            ends = lane.draw(canvas, start, ly)
            if canvas.fed(lane):
                canvas.edge(f"{parting} V{_n(ly)} H{_n(ends.entry)}", ends.arrow)
            canvas.edge(f"M{_n(ends.exit)},{_n(ly)} H{_n(join)} V{_n(y)} H{_n(node_left)}", arrow=True)
        labels = _labels(self.lines, cx, y + self.drop + LABEL_GAP)
        node = _node(self.symbol, cx, y)
        canvas.nodes.append(_row_group(self.result, self.role) + node + "".join(labels) + "</g>")
        canvas.ports[self.result.path] = (_node_ports(self.symbol, cx, y)[0], (fork, y))
        return _Ends(x, False, cx, y)


class _Join(_Item):
    """A merge `with` earlier outputs: its node on the flow line, the current tensor coming in from the left and
    the named outputs along skip lines from above (laid by `_routes` once every row is placed)."""

    def __init__(self, result: LayerResult, layer: Merge) -> None:
        self.result = result
        self.entries = (result.path,)
        self.symbol, self.role = NODES[result.kind]
        self.node_w, self.node_h = _node_size(self.symbol)
        crop = f" (crop {layer.crop})" if layer.crop else ""
        self.lines = [*_row_lines(result), ("with", f"with {', '.join(layer.merged)}{crop}")]
        self.width = max(self.node_w, _text_width([text for _, text in self.lines])) + 2 * PAD
        self.up = self.node_h / 2
        self.align(self.node_h / 2)

    def align(self, drop: float) -> None:
        self.drop = max(drop, self.node_h / 2)
        self.down = self.drop + LABEL_GAP + len(self.lines) * LINE

    def draw(self, canvas: _Canvas, x: float, y: float) -> _Ends:
        cx = x + self.width / 2
        labels = _labels(self.lines, cx, y + self.drop + LABEL_GAP)
        canvas.nodes.append(_row_group(self.result, self.role) + _node(self.symbol, cx, y) + "".join(labels) + "</g>")
        canvas.ports[self.result.path] = _node_ports(self.symbol, cx, y)
        return _Ends(cx - self.node_w / 2, True, cx, y)


class _Frame(_Item):
    """A repeat's rows, every repetition's in turn, in a dashed frame headed by the repeat's own row."""

    def __init__(self, result: LayerResult, inner: _Sequence) -> None:
        self.result = result
        self.inner = inner
        self.entries = (result.path, *inner.entries)
        name = " ".join(_name_lines(result))
        self.size_text, self.rf_text = str(result.output), f"RF {field_text(result)}"
        self.header = [name, f"{self.size_text}  {self.rf_text}"]
        self.width = max(inner.width, _text_width(self.header)) + 2 * FRAME
        self.up = inner.up + FRAME + 2 * LINE + 2
        self.align(inner.drop)

    def align(self, drop: float) -> None:
        self.inner.align(drop)
        self.drop = self.inner.drop
        self.down = self.inner.down + FRAME

    def draw(self, canvas: _Canvas, x: float, y: float) -> _Ends:
        top = y - self.up
        left = x + FRAME
        first, second = top + LINE + 1, top + 2 * LINE + 1
        canvas.backs.append(
            _row_group(self.result, "repeat")
            + f'<rect x="{_n(x)}" y="{_n(top)}" width="{_n(self.width)}" height="{_n(self.up + self.down)}" rx="6"'
            ' fill="#f5f8fc" stroke="#8a9bb3" stroke-width="1" stroke-dasharray="5 3"/>'
            f'<text class="name" x="{_n(left)}" y="{_n(first)}" fill="{INK}" font-weight="bold">'
            f"{_xml(self.header[0])}</text>"
            f'<text class="size" x="{_n(left)}" y="{_n(second)}" fill="{INK}">{_xml(self.size_text)}</text>'
            f'<text class="rf" x="{_n(left + (len(self.size_text) + 2) * CHAR)}" y="{_n(second)}" fill="{INK}">'
            f"{_xml(self.rf_text)}</text>"
            "</g>"
        )
        ends = self.inner.draw(canvas, left, y)
        # a skip line leaves from its top right corner, and one comes into its first row
        canvas.ports[self.result.path] = ((x + self.width - FRAME, top), canvas.ports[self.inner.entries[0]][1])
        return ends


class _Page(Record):
    """How wide the rows may be (None: one row), and the blocks that hold a row a skip line leaves or reaches: those
    keep their rows on one line, the skip lines being routed over the rows of the page, not of a block."""

    limit: float | None
    holding_skips: frozenset[str] = frozenset()


ONE_ROW = _Page(None)


def _holders(skips: Sequence[_Skip]) -> frozenset[str]:
    """The paths of the blocks around each row a skip line leaves or reaches (`4` and `4.2` for `4.2.3`)."""
    paths = (path for skip in skips for path in (skip.source, skip.reader))
    return frozenset(
        ".".join(parts[:end]) for parts in (path.split(".") for path in paths) for end in range(1, len(parts))
    )


def _item(result: LayerResult, page: _Page = ONE_ROW) -> _Item:
    """A row's drawing, a repeat's rows in rows that fit `page`."""
    if result.folded or not result.is_block:
        return _Box(result.output, result)
    drawn: _Item = BLOCKS[result.kind](result, page)
    return drawn


# how each block kind is drawn: a repeat's rows in a frame, in rows that fit the page's width; a residual's and a
# merge's lanes meeting, each lane on one row (lanes side by side would not read as such if they wrapped); a
# merge `with` earlier outputs as its node alone
BLOCKS = ByKind("draw.BLOCKS", covers="blocks")


@BLOCKS.register("repeat")
def _framed(result: LayerResult, page: _Page) -> _Item:
    wraps = page.limit is not None and result.path not in page.holding_skips
    inner = page._replace(limit=page.limit - 2 * FRAME) if wraps and page.limit is not None else ONE_ROW
    return _Frame(result, _Sequence([_item(row, inner) for row in result.layers], inner.limit))


@BLOCKS.register("residual")
def _added(result: LayerResult, page: _Page) -> _Item:
    return _Merge(result, [_lane(result.layers), _lane(result.shortcut)], shortcut=True)


@BLOCKS.register("add", "concat", "multiply")
def _merged(result: LayerResult, page: _Page) -> _Item:
    layer = result.layer
    assert isinstance(layer, Merge)
    if layer.merged:
        return _Join(result, layer)
    return _Merge(result, [_lane(branch) for branch in result.branches], shortcut=False)


def _lane(rows: Sequence[LayerResult]) -> _Item:
    return _Sequence([_item(row) for row in rows]) if rows else _Line()


class _Skip(Record):
    """A skip line: from the row that bears `name` (its path, or `input`) to the row that reads it by its `option`
    (`from`: its input; `with`: one of the tensors a merge joins)."""

    name: str
    source: str
    reader: str
    option: str


def _skips(report: Report) -> list[_Skip]:
    """Every output read by name, each a skip line: a merge's `with`, and a `from` that reads another output than
    its left neighbour's."""
    skips = []
    for row, seen in named_rows(report.layers):
        read = [] if row.layer.source is None else [("from", row.layer.source)]
        if isinstance(row.layer, Merge):
            read += [("with", name) for name in row.layer.merged]
        for option, name in read:
            found = seen.get(name)
            source = NETWORK_INPUT if found is None else found.path
            if option == "from" and source == _left_of(row):
                continue  # it reads what the arrow from its left brings
            skips.append(_Skip(name, source, row.path, option))
    return skips


def _left_of(row: LayerResult) -> str | None:
    """The row drawn just before `row` on its line, whose output would come in from the left: its sibling before
    it (the input before the network's first layer); None for the first row of a block's list."""
    if row.number > 1:
        return row.path[: -len(str(row.number))] + str(row.number - 1)
    return NETWORK_INPUT if row.depth == 0 else None


def _routes(
    skips: Sequence[_Skip], canvas: _Canvas, flow: _Sequence
) -> tuple[list[list[tuple[float, float]]], dict[int, float]]:
    """Each skip line's corners, from where it leaves to where it arrives, the rows of `flow` drawn on `canvas`;
    and per row, the height of the highest line over it.

    A line within a row goes up from its source, over the items between at a height of its own (the shorter
    lines lower, so that nested skips nest), and down into its reader, beside the others that come into it. A
    line from one row to a later one runs over the rest of its source's row to a gutter right of the rows, down
    it, and back over the end of its reader's row: in each row it is one more line to the gutter, nested as the
    others; in the gutter the line that runs higher over its source's row runs further right, so that lines
    nested over the rows stay nested down the gutter.
    """
    bottoms = [row.bottom for row in flow.placed]
    gutter = flow.placed[0].lefts[0] + flow.width + SKIP_GAP
    into: dict[str, list[int]] = {}
    for number, skip in enumerate(skips):
        into.setdefault(skip.reader, []).append(number)
    points = []  # where each leaves and arrives
    for number, skip in enumerate(skips):
        (sx, sy), (tx, ty) = canvas.ports[skip.source][0], canvas.ports[skip.reader][1]
        together = into[skip.reader]
        points.append((sx, sy, tx + (together.index(number) - (len(together) - 1) / 2) * SKIP_SPREAD, ty))
    # each line's runs over a row: (the row, left, right, the heights of the ends that rise to it, its line)
    runs: dict[int, list[tuple[float, float, list[float], int]]] = {}
    crossing: list[int] = []
    rows = []  # each line's source's row and reader's row
    for number, (sx, sy, tx, ty) in enumerate(points):
        source, reader = bisect_left(bottoms, sy), bisect_left(bottoms, ty)
        rows.append((source, reader))
        if source == reader:
            runs.setdefault(source, []).append((min(sx, tx), max(sx, tx), [sy, ty], number))
        else:
            runs.setdefault(source, []).append((sx, gutter, [sy], number))
            runs.setdefault(reader, []).append((tx, gutter, [ty], number))
            crossing.append(number)
    heights: dict[tuple[int, int], float] = {}  # per line and row, the height of its run over that row
    for row in sorted(runs):
        placed = flow.placed[row]
        laid: list[tuple[float, float, float]] = []  # the runs laid so far, by where they start: left, right, height
        starts: list[float] = []  # their lefts
        for left, right, ends, number in sorted(runs[row], key=lambda run: run[1] - run[0]):
            under = placed.tops[bisect_left(placed.rights, left) : bisect_right(placed.lefts, right)]
            # the runs laid before are no longer than this one: those it meets start at most its length before it
            near = laid[bisect_left(starts, 2 * left - right - SKIP_SPREAD) : bisect_right(starts, right + SKIP_SPREAD)]
            under += [height for _, b, height in near if b >= left - SKIP_SPREAD]
            heights[number, row] = min([*ends, *under]) - SKIP_GAP
            at = bisect_right(starts, left)
            starts.insert(at, left)
            laid.insert(at, (left, right, heights[number, row]))
    # down the gutter: the line that runs highest over its source's row furthest right
    order = sorted(crossing, key=lambda number: -heights[number, rows[number][0]])
    lanes = {number: gutter + lane * SKIP_SPREAD for lane, number in enumerate(order)}
    corners = []
    for number, (sx, sy, tx, ty) in enumerate(points):
        source, reader = rows[number]
        over_source, over_reader = heights[number, source], heights[number, reader]
        if source == reader:
            corners.append([(sx, sy), (sx, over_source), (tx, over_reader), (tx, ty)])
        else:
            x = lanes[number]
            corners.append(
                [(sx, sy), (sx, over_source), (x, over_source), (x, over_reader), (tx, over_reader), (tx, ty)]
            )
    highest: dict[int, float] = {}
    for (_, row), height in heights.items():
        highest[row] = min(height, highest.get(row, height))
    return corners, highest


def _skip_line(skip: _Skip, corners: Sequence[tuple[float, float]]) -> str:
    attrs = _attrs(**{"class": "skip"}, data_name=skip.name, data_from=skip.source, data_to=skip.reader)
    (sx, sy), *turns = corners
    # up, across, (down the gutter, across,) down
    d = f"M{_n(sx)},{_n(sy)}" + "".join(
        f" V{_n(y)}" if number % 2 == 0 else f" H{_n(x)}" for number, (x, y) in enumerate(turns)
    )
    return (
        f'<path{attrs} d="{d}" fill="none" stroke="{SKIP}"'
        f' stroke-width="1.2" marker-end="url(#skip-arrow)"><title>{_xml(f"{skip.reader} {skip.option} {skip.name}")}'
        "</title></path>"
    )


# what the boxes' sizes say, per rank
NOTES = {
    1: "box height: l, width: c, each on a log scale, thin as a map 1 wide; a 1 x n vector stands as a bar of height n",
    2: "box height: h, depth: w, width: c, each on a log scale; a 1 x 1 x n vector stands as a bar of height n",
    3: "box height: h, depth: w, width: c, each on a log scale; d: log2 d boxes stacked behind (at most "
    f"{STACK}); a 1 x 1 x 1 x n vector stands as a bar of height n",
}


WIDTH = 1600  # a picture's width, in pixels, where its rows fit: a page, a screen


def draw_svg(report: Report, title: str | None = None, width: int = WIDTH) -> str:
    """The report's volumes as an SVG picture (see the module's docstring); `title` stands in for a nameless spec.

    The layers run left to right in rows that fit `width` (0: all on one row), one row under the other; a repeat's
    rows are laid out in its frame likewise, but for one that holds a row a skip line leaves or reaches, whose
    rows stay on one line under the skip lines. An item wider than the page on its own (a block's lanes, such a
    repeat) keeps its width.
    """
    skips = _skips(report)
    # room right of the rows for the skip lines that go down from one row to a later one, at most one lane each
    gutter = SKIP_GAP + len(skips) * SKIP_SPREAD if skips else 0
    limit = max(width - 2 * MARGIN - gutter, 0) if width else None
    page = _Page(limit, _holders(skips))
    flow = _Sequence([_Box(report.input, None), *(_item(row, page) for row in report.layers)], limit)
    heading = report.name or title or "network"
    t = report.totals
    subtitle = (
        f"input {report.input} → output {t.output} · {t.params:,} params · {t.macs:,} MACs · "
        f"receptive field {axes(t.receptive_field, ' x ')}"
    )
    note = NOTES[report.input.rank]
    note2 = "RF: receptive field in input pixels (*: as large as the input)"
    fed_by_skips = frozenset(skip.reader for skip in skips if skip.option == "from")
    if skips:  # laid out once with the first row's flow line at y = 0, to find how high the skip lines run
        sketch = _Canvas(fed_by_skips)
        flow.draw(sketch, MARGIN, 0)
        highest = _routes(skips, sketch, flow)[1]
        flow.clear([placed.y + 2 - highest.get(row, placed.y + 2) for row, placed in enumerate(flow.placed)])
    y = MARGIN + 2 * LINE + 14 + flow.up
    height = y + flow.down + 3 * LINE + MARGIN
    canvas = _Canvas(fed_by_skips)
    flow.draw(canvas, MARGIN, y)
    routes = _routes(skips, canvas, flow)[0] if skips else []
    crossing = sum(len(corners) > 4 for corners in routes)
    # the rows, and the gutter where the skip lines from one row to a later one go down
    picture_width = flow.width + (SKIP_GAP + crossing * SKIP_SPREAD if crossing else 0)
    picture_width = max(picture_width, _text_width([subtitle, note])) + 2 * MARGIN
    skip_lines = [_skip_line(skip, corners) for skip, corners in zip(skips, routes, strict=True)]
    skip_arrow = (
        '<marker id="skip-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7"'
        f' orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{SKIP}"/></marker>'
        if skips
        else ""
    )
    size = f'width="{_n(picture_width)}" height="{_n(height)}" viewBox="0 0 {_n(picture_width)} {_n(height)}"'
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" {size} font-family="{FONT}" font-size="{FONT_SIZE}">',
        f"<title>{_xml(heading)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7"'
        f' orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{EDGE}"/></marker>{skip_arrow}</defs>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text class="title" x="{MARGIN}" y="{MARGIN + LINE}" font-size="14" font-weight="bold" fill="{INK}">'
        f"{_xml(heading)}</text>",
        f'<text class="subtitle" x="{MARGIN}" y="{MARGIN + 2 * LINE + 2}" fill="{NOTE}">{_xml(subtitle)}</text>',
        *canvas.backs,
        *canvas.edges,
        *skip_lines,
        *canvas.nodes,
        f'<text class="note" x="{MARGIN}" y="{_n(height - MARGIN - LINE)}" fill="{NOTE}">{_xml(note)}</text>',
        f'<text class="note" x="{MARGIN}" y="{_n(height - MARGIN)}" fill="{NOTE}">{_xml(note2)}</text>',
        "</svg>",
    ]
    return "\n".join(lines) + "\n"
