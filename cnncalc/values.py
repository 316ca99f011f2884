"""Pooling, convolution, transposed convolution and up-sampling on real values, exactly, for checking work by hand.

Pure: no click, no I/O. Values are `Fraction`s, so an average stays exact (21/4 is 5.25, 1/3 stays 1/3).
Output sizes and padding come from the engine (`resolve_axis`, `transposed_output`); only the sums and maxima are
done here. Every output value keeps what it came from, for `--explain`: a pool's or a conv's window of input
values, a transposed conv's products and an up-sampling's weighted sources (`terms`):

- convolution is a cross-correlation, as PyTorch and Keras compute it: the filter is not flipped;
- padding is zeros for conv and average pooling; average pooling divides by the whole window, padding
  included (PyTorch's default `count_include_pad=True`);
- max pooling pads with -inf, as PyTorch does, so a padded position never wins (it is `None` in a window);
- with `ceil`, a last window may hang past the padded input; its positions there are not in the window at all,
  and an average divides by what is left (PyTorch's `ceil_mode`);
- a transposed conv is PyTorch's `conv_transpose2d`, the gradient of conv2d: input `x[i][j]` adds
  `x[i][j] * w[a][b]` to `out[i s - p + a d][j s - p + b d]`; its padding `p` is cut from the output, and `same`
  is Keras's (output `h s`, the `d (k - 1) + 1 - s` cut split with the odd one after);
- up-sampling is PyTorch's `interpolate`: nearest reads input `floor(o h / H)`; bilinear weighs the two inputs
  around `x = (o + 1/2) h / H - 1/2` (clamped at 0, the upper one clamped to the last input), or around
  `x = o (h - 1) / (H - 1)` with `align_corners`.

It is for matrices small enough to check by hand, and bounded far past them (MAX_VALUES and the rest): a step
on Fractions takes microseconds, so an unbounded padding or matrix would run for minutes and gigabytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from .counts import MAX_DIGITS  # a numerator or a denominator, read or worked out
from .exact import decimal_places
from .formulas import AXES, ShapeError, resolve_axis, transposed_output, transposed_same_padding
from .record import Record

Matrix = tuple[tuple[Fraction, ...], ...]
# a window's rows; None is max pooling's -inf padding
Window = tuple[tuple[Fraction | None, ...], ...]
Sides = tuple[int, int, int, int]  # top, bottom, left, right
OPERATIONS = ("maxpool", "avgpool", "conv", "convtranspose", "upsample")
MODES = ("nearest", "bilinear")  # upsample's

# The bounds keep the largest run they allow to a few seconds and tens of megabytes on a slow machine: a step (a
# product and a sum of Fractions, its window kept) is some 10 us, an output value or a value read some 20 us more.
# the values in the input, the filter, a pool's window or the output: a 316 x 316 matrix (a 224 x 224 image fits)
MAX_VALUES = 100_000
# a side: past window - 1, more padding only adds outputs that see nothing but padding
MAX_PADDING = 1_000
# output values x window: the steps worked out, and the window values every output keeps for --explain
MAX_WORK = 250_000
# a step on a number of more than LONG_DIGITS digits, read or worked out, costs more: its gcds grow with the square
# of its length, to a millisecond at MAX_DIGITS. Hand-written fractions stay short: the 25 of a 5 x 5 window,
# with denominators up to 100, add up over lcm(1..100), 41 digits.
LONG_DIGITS = 100
MAX_LONG_WORK = 1_000
_LIMIT: int = 10**MAX_DIGITS
_LONG: int = 10**LONG_DIGITS

_NUMBER = re.compile(r"([+-]?)(?:([0-9]+)/([0-9]+)|([0-9]+(?:\.[0-9]*)?|\.[0-9]+))", re.ASCII)
_ROWS = re.compile(r"[;\r\n]")
_SEPARATORS = re.compile(r"[\s,]+")


def parse_number(text: str) -> Fraction:
    """An integer (-3), a decimal (0.5) or a fraction (1/3), read exactly."""
    match = _NUMBER.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text.strip()!r} is not a number: write an integer, a decimal (0.5) or a fraction (1/3)")
    sign, numerator, denominator, decimal = match.groups()
    if decimal is not None:
        whole, _, places = decimal.partition(".")
        # k decimal places are a fraction over 10**k, a number of k + 1 digits
        digits = max(len(whole) + len(places), len(places) + 1)
    else:
        digits = max(len(numerator), len(denominator))
    if digits > MAX_DIGITS:  # before int(), which refuses past 4,300 digits
        raise ValueError(f"a number of {digits:,} digits, more than the {MAX_DIGITS:,} apply takes")
    if decimal is not None:
        # an integer as an int: Fraction reads text slowly, and most values are integers
        return Fraction(sign + decimal) if "." in decimal else Fraction(int(sign + decimal))
    if int(denominator) == 0:
        raise ValueError(f"{text.strip()!r} divides by zero")
    return Fraction(int(sign + numerator), int(denominator))


def parse_matrix(text: str) -> Matrix:
    """Rows split by `;` or newlines (blank ones skipped), values by spaces or commas: "1 3; 8 4"."""
    rows = [row for row in _ROWS.split(text) if row.strip()]
    if not rows:
        raise ValueError("no values: write rows split by ';' or newlines, e.g. '1 3 10 0; 8 4 2 9'")
    table = [[token for token in _SEPARATORS.split(row.strip()) if token] for row in rows]
    count = sum(len(tokens) for tokens in table)
    if count > MAX_VALUES:  # counted before any is read: reading is the slow part
        raise ValueError(f"{count:,} values, more than the {MAX_VALUES:,} apply takes")
    matrix: list[tuple[Fraction, ...]] = []
    for number, tokens in enumerate(table, start=1):
        values = []
        for column, token in enumerate(tokens, start=1):
            try:
                values.append(parse_number(token))
            except ValueError as exc:
                where = f"row {number}, column {column}: " if len(table) > 1 or len(tokens) > 1 else ""
                raise ValueError(f"{where}{exc}") from None
        if matrix and len(values) != len(matrix[0]):
            raise ValueError(
                f"row {number} has {len(values)} value{'' if len(values) == 1 else 's'}, row 1 has "
                f"{len(matrix[0])}: every row must have the same length"
            )
        matrix.append(tuple(values))
    return tuple(matrix)


class Term(Record):
    """An input value in an output value, times its weight: a transposed conv's filter tap, or an up-sampling's."""

    row: int  # the input value's place
    column: int
    value: Fraction
    weight: Fraction
    tap: tuple[int, int] | None = None  # a transposed conv's: the weight's place in the filter


class Cell(Record):
    """One output value, and the window of input values (or the terms) it came from."""

    row: int
    column: int
    value: Fraction
    window: Window  # empty for convtranspose and upsample: their terms say it
    terms: tuple[Term, ...] = ()  # summed into the value (with the bias): convtranspose and upsample


class Applied(Record):
    """What `apply` computed: the output matrix, every value's window, and the geometry the engine resolved."""

    operation: str  # one of OPERATIONS
    input_shape: tuple[int, int]
    size: tuple[int, int]  # the window: the pool size, or the filter's shape; upsample: the output's
    stride: tuple[int, int]
    padding: Sides  # convtranspose: cut from the output
    unused: tuple[int, int]  # input rows and columns left out at the end by the floor
    output: Matrix
    cells: tuple[Cell, ...]  # row by row
    filter: Matrix | None = None
    bias: Fraction = Fraction(0)
    output_padding: tuple[int, int] = (0, 0)  # convtranspose's
    dilation: tuple[int, int] = (1, 1)  # convtranspose's
    copies: tuple[tuple[Fraction, Matrix], ...] = ()  # convtranspose: each input value and it times the filter
    mode: str = ""  # upsample's: nearest or bilinear
    align_corners: bool = False
    scale: tuple[Fraction, Fraction] = (Fraction(1), Fraction(1))  # upsample: output size over input size

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.output), len(self.output[0])


def pair(value: int | tuple[int, int], name: str, minimum: int = 1) -> tuple[int, int]:
    """An int for both axes, or (height, width); each a positive integer (at least `minimum`)."""
    values = (value, value) if isinstance(value, int) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, int) and v >= minimum for v in values):
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {what} or a pair of them, got {value!r}")
    return values[0], values[1]


def apply(
    operation: str,
    values: Matrix,
    size: int | tuple[int, int] | None = None,
    stride: int | tuple[int, int] | None = None,
    padding: int | str | Sides = 0,
    ceil: bool = False,
    filter: Matrix | None = None,
    bias: Fraction | int = 0,
    output_padding: int | tuple[int, int] | None = None,
    dilation: int | tuple[int, int] | None = None,
    scale: int | tuple[int, int] | None = None,
    mode: str | None = None,
    align_corners: bool = False,
) -> Applied:
    """Pool, convolve or up-sample `values`; raise ValueError (ShapeError for a window too large) on what cannot be
    done.

    A pool takes `size` and strides by it unless told otherwise; a conv takes its size from `filter` and
    strides by 1. `padding` is `same`, `valid`, an int for all four sides, or (top, bottom, left, right).
    A convtranspose takes `filter`, strides by 1, cuts `padding` from its output and takes `output_padding` and
    `dilation`. An upsample takes `scale` or `size` (the output's), `mode` (nearest) and `align_corners`.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}: use one of {', '.join(OPERATIONS)}")
    _check_matrix(values, "the values")
    if operation != "convtranspose" and (output_padding is not None or dilation is not None):
        raise ValueError(f"{operation} takes no output_padding or dilation (only convtranspose does)")
    if operation != "upsample" and (scale is not None or mode is not None or align_corners):
        raise ValueError(f"{operation} takes no scale, mode or align_corners (only upsample does)")
    if operation == "upsample":
        if filter is not None or bias or stride is not None or padding != 0 or ceil:
            raise ValueError("upsample takes no filter, bias, stride, padding or ceil: give scale or size")
        return _upsample(values, scale, size, mode or "nearest", align_corners)
    conv = operation in ("conv", "convtranspose")
    if conv:
        if filter is None:
            raise ValueError(f"{operation} needs a filter")
        _check_matrix(filter, "the filter")
        if size is not None and pair(size, "size") != (len(filter), len(filter[0])):
            raise ValueError(f"size {size!r} differs from the filter's {len(filter)}x{len(filter[0])}")
        if ceil:
            why = "a conv floors, as the frameworks do" if operation == "conv" else "a transposed conv has no windows"
            raise ValueError(f"ceil is for pools: {why}")
        kernel = (len(filter), len(filter[0]))
    else:
        if filter is not None:
            raise ValueError(f"{operation} takes no filter: give its window with size")
        if bias:
            raise ValueError(f"{operation} takes no bias")
        if size is None:
            raise ValueError(f"{operation} needs a size")
        kernel = pair(size, "size")
    if kernel[0] * kernel[1] > MAX_VALUES:
        raise ValueError(
            f"a {kernel[0]}x{kernel[1]} window is {kernel[0] * kernel[1]:,} values, more than the {MAX_VALUES:,} "
            "apply takes"
        )
    if operation == "convtranspose":
        assert filter is not None
        steps = pair(1 if stride is None else stride, "stride")
        extra = pair(0 if output_padding is None else output_padding, "output_padding", minimum=0)
        spacing = pair(1 if dilation is None else dilation, "dilation")
        return _convtranspose(values, filter, steps, padding, extra, spacing, Fraction(bias))
    steps = pair(1 if conv else kernel, "stride") if stride is None else pair(stride, "stride")
    axes = _resolve(operation, (len(values), len(values[0])), kernel, steps, padding, ceil)
    (rows, top, bottom, unused_rows), (columns, left, right, unused_columns) = axes
    height, width = len(values), len(values[0])
    bias = Fraction(bias)
    work = rows * columns * kernel[0] * kernel[1]
    what = f"an output of {rows}x{columns} from a {kernel[0]}x{kernel[1]} {'filter' if conv else 'window'}"
    limit = _bounded((rows, columns), [bias, *_flat(values), *_flat(filter or ())], work, what, _WINDOWS)
    cells = []
    for i in range(rows):
        row_span = _span(i * steps[0] - top, kernel[0], height + bottom)
        for j in range(columns):
            column_span = _span(j * steps[1] - left, kernel[1], width + right)
            window = tuple(
                tuple(_at(values, r, c, operation) for c in column_span) for r in row_span
            )  # fmt: skip
            try:
                value = _reduce(operation, window, filter, bias, limit)
            except _TooLong:
                raise ValueError(
                    f"out[{i}][{j}]: working it out exactly takes a number of {_too_long(limit, work, _WINDOWS)}"
                ) from None
            cells.append(Cell(i, j, value, window))
    output = tuple(tuple(cell.value for cell in cells[i * columns : (i + 1) * columns]) for i in range(rows))
    return Applied(
        operation,
        (height, width),
        kernel,
        steps,
        (top, bottom, left, right),
        (unused_rows, unused_columns),
        output,
        tuple(cells),
        filter,
        bias,
    )


def _convtranspose(
    values: Matrix,
    filter: Matrix,
    stride: tuple[int, int],
    padding: int | str | Sides,
    output_padding: tuple[int, int],
    dilation: tuple[int, int],
    bias: Fraction,
) -> Applied:
    """PyTorch's conv_transpose2d: each input value adds itself times the filter to the output, then the bias."""
    (height, width), kernel = (len(values), len(values[0])), (len(filter), len(filter[0]))
    cuts = _cuts(padding, kernel, stride, dilation, output_padding)
    shape = []
    for axis, name in enumerate(AXES):
        try:
            size = transposed_output(
                (height, width)[axis],
                kernel[axis],
                stride[axis],
                cuts[2 * axis],
                cuts[2 * axis + 1],
                dilation[axis],
                output_padding[axis],
            )
        except ShapeError as exc:
            raise ShapeError(f"{name}: {exc}") from None
        shape.append(size)
    rows, columns = shape
    work = height * width * kernel[0] * kernel[1] + rows * columns
    what = f"a {height}x{width} input spread by a {kernel[0]}x{kernel[1]} filter into an output of {rows}x{columns}"
    limit = _bounded((rows, columns), [bias, *_flat(values), *_flat(filter)], work, what, _SPREAD)
    # per output value: the products that land on it, and where each came from
    products: list[list[list[Fraction]]] = [[[] for _ in range(columns)] for _ in range(rows)]
    terms: list[list[list[Term]]] = [[[] for _ in range(columns)] for _ in range(rows)]
    copies = []
    tap_places = [[(a, b) for b in range(kernel[1])] for a in range(kernel[0])]  # one tuple each, shared by the terms
    for i, row in enumerate(values):
        for j, x in enumerate(row):
            try:
                copy = tuple(tuple(_kept(x * weight, limit) for weight in taps) for taps in filter)
            except _TooLong:
                raise ValueError(
                    f"in[{i}][{j}] times the filter: working it out exactly takes a number of "
                    f"{_too_long(limit, work, _SPREAD)}"
                ) from None
            copies.append((x, copy))
            for a, (taps, places) in enumerate(zip(filter, tap_places, strict=True)):
                r = i * stride[0] - cuts[0] + a * dilation[0]
                if not 0 <= r < rows:
                    continue  # cut by the padding
                for b, weight in enumerate(taps):
                    c = j * stride[1] - cuts[2] + b * dilation[1]
                    if 0 <= c < columns:
                        products[r][c].append(copy[a][b])
                        terms[r][c].append(Term(i, j, x, weight, places[b]))
    cells = []
    for r in range(rows):
        for c in range(columns):
            try:
                total = _sum(products[r][c], limit) if products[r][c] else Fraction(0)
                value = _kept(total + bias, limit) if bias else total
            except _TooLong:
                raise ValueError(
                    f"out[{r}][{c}]: working it out exactly takes a number of {_too_long(limit, work, _SPREAD)}"
                ) from None
            cells.append(Cell(r, c, value, (), tuple(terms[r][c])))
    return Applied(
        "convtranspose",
        (height, width),
        kernel,
        stride,
        cuts,
        (0, 0),
        _rows_of(cells, columns),
        tuple(cells),
        filter,
        bias,
        output_padding=output_padding,
        dilation=dilation,
        copies=tuple(copies),
    )


def _cuts(
    padding: int | str | Sides,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    output_padding: tuple[int, int],
) -> Sides:
    """What a transposed conv cuts from its output: PyTorch's padding, or Keras's `same` (output h s)."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        if any(output_padding):
            raise ValueError("padding same takes no output_padding: its output is h s (input size times stride)")
        sides: list[int] = []
        for axis, name in enumerate(AXES):
            try:
                sides += transposed_same_padding(kernel[axis], stride[axis], dilation[axis])
            except ShapeError as exc:
                raise ShapeError(f"{name}: {exc}") from None
        return sides[0], sides[1], sides[2], sides[3]
    if isinstance(padding, str):
        raise ValueError(f"padding must be same, valid or a number, got {padding!r}")
    return _sides(padding)


class Source(Record):
    """Where an up-sampled output falls on an input axis, and the input positions it reads there."""

    x: Fraction  # before PyTorch's clamp at 0
    taps: tuple[tuple[int, Fraction], ...]  # input position and weight: the weights sum to 1, none is 0


def sources(size: int, out: int, mode: str, align_corners: bool = False) -> tuple[Source, ...]:
    """Per output position along an axis of `size` up-sampled to `out`, as PyTorch's interpolate reads it."""
    one = Fraction(1)
    if mode == "nearest":
        return tuple(Source(Fraction(o * size, out), ((o * size // out, one),)) for o in range(out))
    # x = (o a - offset) / b: in integers, the weights all over b, each made once
    if align_corners:
        a, offset, b = (size - 1, 0, out - 1) if out > 1 else (0, 0, 1)
    else:
        a, offset, b = 2 * size, out - size, 2 * out
    weights: dict[int, Fraction] = {}

    def weight(part: int) -> Fraction:
        """part / b, one Fraction for each part: a product of two weights is then found by their ids."""
        known = weights.get(part)
        if known is None:
            known = weights[part] = Fraction(part, b)
        return known

    found = []
    for o in range(out):
        numerator = o * a - offset
        low, above = divmod(max(numerator, 0), b)  # floor(x) and b (x - floor(x)), x clamped at 0
        if above == 0 or low == size - 1:  # x whole, or its upper neighbour clamped to the last input: low alone
            taps: tuple[tuple[int, Fraction], ...] = ((low, one),)
        else:
            taps = ((low, weight(b - above)), (low + 1, weight(above)))
        found.append(Source(Fraction(numerator, b), taps))
    return tuple(found)


def _upsample(
    values: Matrix,
    scale: int | tuple[int, int] | None,
    size: int | tuple[int, int] | None,
    mode: str,
    align_corners: bool,
) -> Applied:
    """PyTorch's interpolate: each output value the weighted sum of the input values around its source."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if align_corners and mode != "bilinear":
        raise ValueError("align_corners goes with bilinear only: nearest has no corners to align")
    if (scale is None) == (size is None):
        raise ValueError(f"upsample takes scale or size, one of them; {'neither' if scale is None else 'both'} given")
    height, width = len(values), len(values[0])
    if size is not None:
        rows, columns = pair(size, "size")
    else:
        assert scale is not None
        factors = pair(scale, "scale")
        rows, columns = height * factors[0], width * factors[1]
    _check_output((rows, columns))  # before listing the sources: an axis may be 2**31 long
    row_sources, column_sources = (
        sources(height, rows, mode, align_corners),
        sources(width, columns, mode, align_corners),
    )
    # a nearest output value is an input value; a bilinear one works out a weight and a product for each source
    unit = _NEAREST if mode == "nearest" else _BILINEAR
    work = sum(len(source.taps) for source in row_sources) * sum(len(source.taps) for source in column_sources)
    work *= 1 if mode == "nearest" else 2
    limit = _bounded((rows, columns), _flat(values), work, f"an output of {rows}x{columns} by {mode} up-sampling", unit)
    # up-sampled across first, each input row read (PyTorch's order): a product fewer than weight by weight
    across: dict[int, list[Fraction]] = {}
    for i in sorted({i for source in row_sources for i, _ in source.taps}):
        try:
            across[i] = [
                _sum([values[i][j] if w == 1 else values[i][j] * w for j, w in source.taps], limit)
                for source in column_sources
            ]
        except _TooLong:
            raise ValueError(
                f"input row {i} up-sampled across: working it out exactly takes a number of "
                f"{_too_long(limit, work, unit)}"
            ) from None
    weights: dict[tuple[int, int], Fraction] = {}  # by the ids of a row's and a column's weight
    cells = []
    for r, row_source in enumerate(row_sources):
        for c, column_source in enumerate(column_sources):
            try:
                value = _sum([across[i][c] if w == 1 else across[i][c] * w for i, w in row_source.taps], limit)
            except _TooLong:
                raise ValueError(
                    f"out[{r}][{c}]: working it out exactly takes a number of {_too_long(limit, work, unit)}"
                ) from None
            terms = []
            for i, row_weight in row_source.taps:
                for j, column_weight in column_source.taps:
                    key = id(row_weight), id(column_weight)
                    weight = weights.get(key)
                    if weight is None:
                        weight = weights[key] = row_weight * column_weight
                    terms.append(Term(i, j, values[i][j], weight, None))
            cells.append(Cell(r, c, value, (), tuple(terms)))
    return Applied(
        "upsample",
        (height, width),
        (rows, columns),
        (1, 1),
        (0, 0, 0, 0),
        (0, 0),
        _rows_of(cells, columns),
        tuple(cells),
        mode=mode,
        align_corners=align_corners,
        scale=(Fraction(rows, height), Fraction(columns, width)),
    )


def _rows_of(cells: list[Cell], columns: int) -> Matrix:
    return tuple(tuple(cell.value for cell in cells[i : i + columns]) for i in range(0, len(cells), columns))


def _check_matrix(matrix: Matrix, name: str) -> None:
    if not matrix or not matrix[0] or any(len(row) != len(matrix[0]) for row in matrix):
        raise ValueError(f"{name} must be a non-empty matrix with rows of equal length")
    if len(matrix) * len(matrix[0]) > MAX_VALUES:
        raise ValueError(
            f"{name}: {len(matrix)}x{len(matrix[0])}, {len(matrix) * len(matrix[0]):,} values, more than the "
            f"{MAX_VALUES:,} apply takes"
        )


def _flat(matrix: Matrix) -> list[Fraction]:
    return [value for row in matrix for value in row]


# how each operation's steps are counted, in a refusal
_WINDOWS = "output values x window"
_SPREAD = "input values x filter, plus output values"
_NEAREST = "output values"
_BILINEAR = "a weight and a product for each source of each output value"


def _bounded(shape: tuple[int, int], numbers: list[Fraction], work: int, what: str, unit: str) -> int:
    """The limit on every value worked out; ValueError, before anything is built, for a run past the bounds.

    `work` is the steps the run takes, counted as `unit` says, and `what` makes them ("an output of 2x2 from a
    3x3 filter").
    """
    if not all(_fits(number, _LIMIT) for number in numbers):
        raise ValueError(f"a numerator or a denominator of more than {MAX_DIGITS:,} digits, more than apply takes")
    _check_output(shape)
    long = not all(_fits(number, _LONG) for number in numbers)
    if work > (MAX_LONG_WORK if long else MAX_WORK):
        bound = (
            f"{MAX_LONG_WORK:,} apply takes with a number of more than {LONG_DIGITS} digits"
            if long
            else f"{MAX_WORK:,} apply takes"
        )
        raise ValueError(f"{what} is {work:,} steps ({unit}), more than the {bound}")
    # a run too long for long numbers keeps every value worked out short: a window of short ones can make one
    return _LIMIT if work <= MAX_LONG_WORK else _LONG


def _check_output(shape: tuple[int, int]) -> None:
    rows, columns = shape
    if rows * columns > MAX_VALUES:
        raise ValueError(
            f"an output of {rows}x{columns} is {rows * columns:,} values, more than the {MAX_VALUES:,} apply takes"
        )


def _too_long(limit: int, work: int, unit: str) -> str:
    if limit is _LIMIT:
        return f"more than {MAX_DIGITS:,} digits, more than apply keeps"
    return (
        f"more than {LONG_DIGITS} digits, and with one apply takes at most {MAX_LONG_WORK:,} steps ({unit}), "
        f"not {work:,}"
    )


class _TooLong(ValueError):
    """A value worked out has a numerator or a denominator of more than MAX_DIGITS digits."""


def _fits(value: Fraction, limit: int) -> bool:
    return -limit < value.numerator < limit and value.denominator < limit


def _kept(value: Fraction, limit: int) -> Fraction:
    if not _fits(value, limit):
        raise _TooLong
    return value


def _resolve(
    operation: str,
    shape: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: int | str | Sides,
    ceil: bool,
) -> tuple[tuple[int, int, int, int], ...]:
    """Per axis, from the engine: output size, padding before and after, input rows the floor leaves out."""
    modes: tuple[str | tuple[int, int], str | tuple[int, int]]
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be same, valid or a number, got {padding!r}")
        if padding == "same" and ceil:
            raise ValueError("ceil goes with explicit padding only, not with same")
        modes = (padding, padding)
    else:
        sides = _sides(padding)
        if operation != "conv":
            limits = (kernel[0] // 2,) * 2 + (kernel[1] // 2,) * 2
            if any(p > limit for p, limit in zip(sides, limits, strict=True)):
                # a window of padding alone would have no value to pool
                raise ValueError(
                    f"pool padding {_sides_text(sides)} is more than half the window {kernel[0]}x{kernel[1]} "
                    f"(at most {limits[0]}, {limits[2]}); PyTorch refuses it"
                )
        modes = ((sides[0], sides[1]), (sides[2], sides[3]))
    result = []
    for axis, name in enumerate(("height", "width")):
        try:
            out, before, after, unused = resolve_axis(shape[axis], kernel[axis], stride[axis], 1, modes[axis], ceil)
        except ShapeError as exc:
            window = "filter" if operation == "conv" else "window"
            raise ShapeError(f"{name}: {str(exc).replace('kernel', window, 1)}") from None
        result.append((out, before, after, unused))
    return tuple(result)


def _sides(padding: int | Sides) -> Sides:
    """An explicit padding as (top, bottom, left, right), each checked against MAX_PADDING."""
    sides = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
    if len(sides) != 4 or not all(isinstance(p, int) and p >= 0 for p in sides):
        raise ValueError(f"padding must be a non-negative integer or four of them, got {padding!r}")
    if max(sides) > MAX_PADDING:
        raise ValueError(f"padding {_sides_text(sides)} is more than the {MAX_PADDING:,} a side apply takes")
    return sides[0], sides[1], sides[2], sides[3]


def _sides_text(sides: Sequence[int]) -> str:
    return str(sides[0]) if len(set(sides)) == 1 else "({}, {}, {}, {})".format(*sides)


def _span(start: int, kernel: int, end: int) -> range:
    # with ceil, a last window may hang past the padded input: what lies beyond is no part of it
    return range(start, min(start + kernel, end))


def _at(values: Matrix, row: int, column: int, operation: str) -> Fraction | None:
    if 0 <= row < len(values) and 0 <= column < len(values[0]):
        return values[row][column]
    return None if operation == "maxpool" else Fraction(0)


def _reduce(operation: str, window: Window, filter: Matrix | None, bias: Fraction, limit: int) -> Fraction:
    flat = [value for row in window for value in row]
    if operation == "maxpool":
        # pool padding is at most half the window, so every window holds a real value
        return max(value for value in flat if value is not None)
    numbers = [Fraction(0) if value is None else value for value in flat]
    if operation == "avgpool":
        return _kept(_sum(numbers, limit) / len(numbers), limit)
    assert filter is not None
    weights = [weight for row in filter for weight in row]
    total = _sum([x * w for x, w in zip(numbers, weights, strict=True)], limit)
    return _kept(total + bias, limit) if bias else total


def _sum(terms: list[Fraction], limit: int) -> Fraction:
    # every partial sum is kept below the limit, not the total alone: a long one would grow, each step slower
    total = _kept(terms[0], limit)
    for term in terms[1:]:
        total = _kept(total + term, limit)
    return total


# -- text ------------------------------------------------------------------------------------------


def format_value(value: Fraction | None) -> str:
    """Exact: 5, -5.25 where a decimal is exact, 1/3 where it is not; None (max pooling's padding) as -inf."""
    if value is None:
        return "-inf"
    if value.denominator == 1:
        return str(value.numerator)
    digits = decimal_places(value.denominator)
    if digits is None:
        return f"{value.numerator}/{value.denominator}"
    scaled = abs(value.numerator) * 10**digits // value.denominator
    whole, fraction = divmod(scaled, 10**digits)
    return f"{'-' if value < 0 else ''}{whole}.{_padded(fraction, digits)}"


def _padded(number: int, width: int) -> str:
    """`number` in `width` digits, leading zeros added; in pieces, as str() refuses more than 4,300 digits at once.

    1/2**13000 is a 4,000-digit denominator and 13,000 decimal places.
    """
    if width <= MAX_DIGITS:
        return f"{number:0{width}d}"
    high, low = divmod(number, 10**MAX_DIGITS)
    return _padded(high, width - MAX_DIGITS) + f"{low:0{MAX_DIGITS}d}"


def format_matrix(matrix: Matrix) -> str:
    """The notation `--values` reads: "8 10; 7 4"."""
    return "; ".join(" ".join(format_value(value) for value in row) for row in matrix)


def _writer() -> Callable[[Fraction | None], str]:
    """format_value, each value written once: it stands in a window's worth of windows, and a long one takes ms."""
    # by id, each with its value: held here, no other value can take its id
    written: dict[int, tuple[Fraction | None, str]] = {}

    def write(value: Fraction | None) -> str:
        known = written.get(id(value))
        if known is None:
            known = written[id(value)] = (value, format_value(value))
        return known[1]

    return write


def _factor(text: str) -> str:
    # a negative number or a fraction inside a product or a sum: brackets keep it one factor
    return f"({text})" if text.startswith("-") or "/" in text else text


def explain(applied: Applied) -> list[str]:
    """A line on the geometry, then each output value with the input values it came from, row by row.

    `out[0][1] = max(10, 0, 2, 9) = 10`, `out[0][0] = (1 + 3 + 8 + 4) / 4 = 4`,
    `out[0][0] = 3*1 + 0*0 + 1*(-1) + ... + 0 = -5` (the last term is the bias). A transposed conv shows each
    input value's scaled copy of the filter, then each output value's products; an up-sampling each output
    position's source along each axis, then each output value's weighted sources.
    """
    if applied.operation == "convtranspose":
        return _explain_spread(applied)
    if applied.operation == "upsample":
        return _explain_upsample(applied)
    (h, w), (kh, kw), (sh, sw) = applied.input_shape, applied.size, applied.stride
    rows, columns = applied.shape
    what = "filter" if applied.operation == "conv" else "window"
    lines = [
        f"{applied.operation}: input {h}x{w}, {what} {kh}x{kw}, stride {sh}x{sw}, padding "
        f"{_sides_text(applied.padding)}: output {rows}x{columns}"
    ]
    for axis, unit, count in zip(("height", "width"), ("row", "column"), applied.unused, strict=True):
        if count:
            units = f"input {unit} fits" if count == 1 else f"{count} input {unit}s fit"
            lines.append(f"{axis}: the last {units} no window: unused")
    if applied.operation == "maxpool" and any(applied.padding):
        lines.append("padding is -inf, as PyTorch pads max pooling: a padded position never wins")
    write = _writer()
    for cell in applied.cells:
        flat = [value for row in cell.window for value in row]
        if applied.operation == "maxpool":
            formula = f"max({', '.join(write(value) for value in flat)})"
        elif applied.operation == "avgpool":
            formula = f"({' + '.join(_factor(write(value)) for value in flat)}) / {len(flat)}"
        else:
            assert applied.filter is not None
            weights = [weight for row in applied.filter for weight in row]
            terms = [f"{_factor(write(x))}*{_factor(write(w))}" for x, w in zip(flat, weights, strict=True)]
            formula = " + ".join([*terms, _factor(write(applied.bias))])
        lines.append(f"out[{cell.row}][{cell.column}] = {formula} = {write(cell.value)}")
    return lines


def _explain_spread(applied: Applied) -> list[str]:
    (h, w), (kh, kw), (sh, sw) = applied.input_shape, applied.size, applied.stride
    (dh, dw), (oh, ow) = applied.dilation, applied.output_padding
    top, _, left, _ = applied.padding
    rows, columns = applied.shape
    dilated = f", dilation {dh}x{dw}" if (dh, dw) != (1, 1) else ""
    lines = [
        f"convtranspose: input {h}x{w}, filter {kh}x{kw}, stride {sh}x{sw}{dilated}, padding "
        f"{_sides_text(applied.padding)}, output padding {oh}x{ow}: output {rows}x{columns}",
        f"each input value spreads a copy of the filter scaled by it: in[i][j]*w[a][b] adds to "
        f"out[{_place('i', sh, top, 'a', dh)}][{_place('j', sw, left, 'b', dw)}]"
        + ("; what falls outside the output is cut (the padding)" if any(applied.padding) else ""),
    ]
    write = _writer()
    for index, (value, copy) in enumerate(applied.copies):
        i, j = divmod(index, w)
        lines.append(
            f"in[{i}][{j}] = {write(value)}: {_factor(write(value))} * filter = {format_matrix(copy)}, its first tap "
            f"at out[{i * sh - top}][{j * sw - left}]"
        )
    bias = _factor(write(applied.bias))
    for cell in applied.cells:
        terms = [f"{_factor(write(term.value))}*{_factor(write(term.weight))}" for term in cell.terms]
        if terms:
            formula, note = " + ".join([*terms, bias]), ""
        else:
            formula, note = write(applied.bias), " (no input value reaches it: the bias alone)"
        lines.append(f"out[{cell.row}][{cell.column}] = {formula} = {write(cell.value)}{note}")
    return lines


def _place(index: str, stride: int, cut: int, tap: str, dilation: int) -> str:
    """Where tap `tap` of input `index` lands along an axis: `2i - 1 + a`."""
    place = f"{stride if stride != 1 else ''}{index}" + (f" - {cut}" if cut else "")
    return f"{place} + {dilation if dilation != 1 else ''}{tap}"


def _explain_upsample(applied: Applied) -> list[str]:
    (h, w), (rows, columns) = applied.input_shape, applied.shape
    if applied.mode == "nearest":
        rule = "output o reads input floor(o h / H)"
    elif applied.align_corners:
        rule = "output o reads the inputs around x = o (h - 1) / (H - 1) (align_corners)"
    else:
        rule = (
            "output o reads the inputs around x = (o + 1/2) h / H - 1/2, clamped at 0, the upper one at most the "
            "last input"
        )
    scale = "x".join(format_value(factor) for factor in applied.scale)
    lines = [f"upsample {applied.mode}: input {h}x{w}, output {rows}x{columns} (scale {scale}); {rule}"]
    for unit, size, out in (("row", h, rows), ("column", w, columns)):
        for o, source in enumerate(sources(size, out, applied.mode, applied.align_corners)):
            if applied.mode == "nearest":
                lines.append(f"{unit} {o}: floor({o} * {size} / {out}) = {source.taps[0][0]}")
                continue
            notes = ""
            if source.x < 0:
                notes = ", clamped to 0"
            elif source.x > size - 1:
                notes = f", its upper neighbour {size} clamped to {size - 1}"
            reads = ", ".join(f"in {i} ({format_value(weight)})" for i, weight in source.taps)
            lines.append(f"{unit} {o}: x = {format_value(source.x)}{notes}: {reads}")
    write = _writer()
    for cell in applied.cells:
        if applied.mode == "nearest":
            (term,) = cell.terms
            formula = f"in[{term.row}][{term.column}]"
        else:
            formula = " + ".join(f"{_factor(write(term.value))}*{_factor(write(term.weight))}" for term in cell.terms)
        lines.append(f"out[{cell.row}][{cell.column}] = {formula} = {write(cell.value)}")
    return lines


# -- JSON ------------------------------------------------------------------------------------------


def json_value(value: Fraction | None, write: Callable[[Fraction | None], str] = format_value) -> int | str:
    """An int where the value is whole, else its exact text ("5.25", "1/3"; "-inf" for max pooling's padding)."""
    return value.numerator if value is not None and value.denominator == 1 else write(value)


def _json_matrix(
    matrix: Sequence[Sequence[Fraction | None]], write: Callable[[Fraction | None], str] = format_value
) -> list[list[int | str]]:
    return [[json_value(value, write) for value in row] for row in matrix]


def as_json(applied: Applied, windows: bool = False) -> dict[str, Any]:
    """The output and its shape, exactly (ints, or strings for other values), with every window if asked (a
    transposed conv's or an up-sampling's terms: each input value, its place and its weight)."""
    if applied.operation == "upsample":
        report: dict[str, Any] = {
            "operation": applied.operation,
            "mode": applied.mode,
            "align_corners": applied.align_corners,
            "input_shape": list(applied.input_shape),
            "scale": [json_value(factor) for factor in applied.scale],
            "shape": list(applied.shape),
            "output": _json_matrix(applied.output),
        }
        return _with_terms(report, applied) if windows else report
    report = {
        "operation": applied.operation,
        "input_shape": list(applied.input_shape),
        "size": list(applied.size),
        "stride": list(applied.stride),
        "padding": list(applied.padding),
        "shape": list(applied.shape),
        "output": _json_matrix(applied.output),
    }
    if applied.operation == "convtranspose":
        assert applied.filter is not None
        report["output_padding"] = list(applied.output_padding)
        report["dilation"] = list(applied.dilation)
        report["filter"] = _json_matrix(applied.filter)
        report["bias"] = json_value(applied.bias)
        return _with_terms(report, applied) if windows else report
    if applied.operation == "conv":
        assert applied.filter is not None
        report["filter"] = _json_matrix(applied.filter)
        report["bias"] = json_value(applied.bias)
    if windows:
        rows, columns = applied.shape
        write = _writer()
        report["windows"] = [
            [_json_matrix(applied.cells[i * columns + j].window, write) for j in range(columns)] for i in range(rows)
        ]
    return report


def _with_terms(report: dict[str, Any], applied: Applied) -> dict[str, Any]:
    """`report` with every output value's terms, row by row: the places of its input values (and a transposed
    conv's filter taps), the values and their weights."""
    rows, columns = applied.shape
    write = _writer()
    places: dict[tuple[int, int], list[int]] = {}  # each place one list, however many terms name it

    def place(term: Term) -> list[int]:
        return places.setdefault((term.row, term.column), [term.row, term.column])

    def terms_json(terms: tuple[Term, ...]) -> dict[str, Any]:
        # tuples, written as arrays: half the memory of a short list, and a 316 x 316 output has 100,000 of each
        found: dict[str, Any] = {"inputs": tuple([place(term) for term in terms])}
        if applied.operation == "convtranspose":
            found["taps"] = tuple([term.tap for term in terms])
        found["values"] = tuple([json_value(term.value, write) for term in terms])
        found["weights"] = tuple([json_value(term.weight, write) for term in terms])
        return found

    report["terms"] = [[terms_json(applied.cells[i * columns + j].terms) for j in range(columns)] for i in range(rows)]
    return report
