"""Pooling and convolution on real values, exactly, for checking work by hand.

Pure: no click, no I/O. Values are `Fraction`s, so an average stays exact (21/4 is 5.25, 1/3 stays 1/3).
Output sizes and padding come from the engine (`resolve_axis`); only the sums and maxima are done here.
Every output value keeps the window of input values it came from, for `--explain`:

- convolution is a cross-correlation, as PyTorch and Keras compute it: the filter is not flipped;
- padding is zeros for conv and average pooling; average pooling divides by the whole window, padding
  included (PyTorch's default `count_include_pad=True`);
- max pooling pads with -inf, as PyTorch does, so a padded position never wins (it is `None` in a window);
- with `ceil`, a last window may hang past the padded input; its positions there are not in the window at all,
  and an average divides by what is left (PyTorch's `ceil_mode`).

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
from .formulas import ShapeError, resolve_axis
from .record import Record
from .report import SCHEMA_VERSION

Matrix = tuple[tuple[Fraction, ...], ...]
# a window's rows; None is max pooling's -inf padding
Window = tuple[tuple[Fraction | None, ...], ...]
Sides = tuple[int, int, int, int]  # top, bottom, left, right
OPERATIONS = ("maxpool", "avgpool", "conv")

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


class Cell(Record):
    """One output value, and the window of input values it came from."""

    row: int
    column: int
    value: Fraction
    window: Window


class Applied(Record):
    """What `apply` computed: the output matrix, every value's window, and the geometry the engine resolved."""

    operation: str  # "maxpool", "avgpool" or "conv"
    input_shape: tuple[int, int]
    size: tuple[int, int]  # the window: the pool size, or the filter's shape
    stride: tuple[int, int]
    padding: Sides
    unused: tuple[int, int]  # input rows and columns left out at the end by the floor
    output: Matrix
    cells: tuple[Cell, ...]  # row by row
    filter: Matrix | None = None
    bias: Fraction = Fraction(0)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.output), len(self.output[0])


def pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    """An int for both axes, or (height, width); each a positive integer."""
    values = (value, value) if isinstance(value, int) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, int) and v >= 1 for v in values):
        raise ValueError(f"{name} must be a positive integer or a pair of them, got {value!r}")
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
) -> Applied:
    """Pool or convolve `values`; raise ValueError (ShapeError for a window too large) on what cannot be done.

    A pool takes `size` and strides by it unless told otherwise; a conv takes its size from `filter` and
    strides by 1. `padding` is `same`, `valid`, an int for all four sides, or (top, bottom, left, right).
    """
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}: use one of {', '.join(OPERATIONS)}")
    _check_matrix(values, "the values")
    conv = operation == "conv"
    if conv:
        if filter is None:
            raise ValueError("conv needs a filter")
        _check_matrix(filter, "the filter")
        if size is not None and pair(size, "size") != (len(filter), len(filter[0])):
            raise ValueError(f"size {size!r} differs from the filter's {len(filter)}x{len(filter[0])}")
        if ceil:
            raise ValueError("ceil is for pools: a conv floors, as the frameworks do")
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
    steps = pair(1 if conv else kernel, "stride") if stride is None else pair(stride, "stride")
    axes = _resolve(operation, (len(values), len(values[0])), kernel, steps, padding, ceil)
    (rows, top, bottom, unused_rows), (columns, left, right, unused_columns) = axes
    height, width = len(values), len(values[0])
    bias = Fraction(bias)
    limit = _bounded(operation, (rows, columns), kernel, [bias, *_flat(values), *_flat(filter or ())])
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
                work = rows * columns * kernel[0] * kernel[1]
                raise ValueError(
                    f"out[{i}][{j}]: working it out exactly takes a number of {_too_long(limit, work)}"
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


def _bounded(operation: str, shape: tuple[int, int], kernel: tuple[int, int], numbers: list[Fraction]) -> int:
    """The limit on every value worked out; ValueError, before anything is built, for a run past the bounds."""
    if not all(_fits(number, _LIMIT) for number in numbers):
        raise ValueError(f"a numerator or a denominator of more than {MAX_DIGITS:,} digits, more than apply takes")
    (rows, columns), (kh, kw) = shape, kernel
    if rows * columns > MAX_VALUES:
        raise ValueError(
            f"an output of {rows}x{columns} is {rows * columns:,} values, more than the {MAX_VALUES:,} apply takes"
        )
    work = rows * columns * kh * kw
    long = not all(_fits(number, _LONG) for number in numbers)
    if work > (MAX_LONG_WORK if long else MAX_WORK):
        window = "filter" if operation == "conv" else "window"
        bound = (
            f"{MAX_LONG_WORK:,} apply takes with a number of more than {LONG_DIGITS} digits"
            if long
            else f"{MAX_WORK:,} apply takes"
        )
        raise ValueError(
            f"an output of {rows}x{columns} from a {kh}x{kw} {window} is {work:,} steps (output values x window), "
            f"more than the {bound}"
        )
    # a run too long for long numbers keeps every value worked out short: a window of short ones can make one
    return _LIMIT if work <= MAX_LONG_WORK else _LONG


def _too_long(limit: int, work: int) -> str:
    if limit is _LIMIT:
        return f"more than {MAX_DIGITS:,} digits, more than apply keeps"
    return (
        f"more than {LONG_DIGITS} digits, and with one apply takes at most {MAX_LONG_WORK:,} steps "
        f"(output values x window), not {work:,}"
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
        sides = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        if len(sides) != 4 or not all(isinstance(p, int) and p >= 0 for p in sides):
            raise ValueError(f"padding must be a non-negative integer or four of them, got {padding!r}")
        if max(sides) > MAX_PADDING:
            raise ValueError(f"padding {_sides_text(sides)} is more than the {MAX_PADDING:,} a side apply takes")
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
    `out[0][0] = 3*1 + 0*0 + 1*(-1) + ... + 0 = -5` (the last term is the bias).
    """
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


# -- JSON ------------------------------------------------------------------------------------------


def json_value(value: Fraction | None, write: Callable[[Fraction | None], str] = format_value) -> int | str:
    """An int where the value is whole, else its exact text ("5.25", "1/3"; "-inf" for max pooling's padding)."""
    return value.numerator if value is not None and value.denominator == 1 else write(value)


def _json_matrix(
    matrix: Sequence[Sequence[Fraction | None]], write: Callable[[Fraction | None], str] = format_value
) -> list[list[int | str]]:
    return [[json_value(value, write) for value in row] for row in matrix]


def as_json(applied: Applied, windows: bool = False) -> dict[str, Any]:
    """The output and its shape, exactly (ints, or strings for other values), with every window if asked."""
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "operation": applied.operation,
        "input_shape": list(applied.input_shape),
        "size": list(applied.size),
        "stride": list(applied.stride),
        "padding": list(applied.padding),
        "shape": list(applied.shape),
        "output": _json_matrix(applied.output),
    }
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
