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
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from .engine import ShapeError, resolve_axis
from .record import Record

Matrix = tuple[tuple[Fraction, ...], ...]
# a window's rows; None is max pooling's -inf padding
Window = tuple[tuple[Fraction | None, ...], ...]
Sides = tuple[int, int, int, int]  # top, bottom, left, right
OPERATIONS = ("maxpool", "avgpool", "conv")
SCHEMA_VERSION = 1

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
        return Fraction(sign + decimal)
    if int(denominator) == 0:
        raise ValueError(f"{text.strip()!r} divides by zero")
    return Fraction(int(sign + numerator), int(denominator))


def parse_matrix(text: str) -> Matrix:
    """Rows split by `;` or newlines (blank ones skipped), values by spaces or commas: "1 3; 8 4"."""
    rows = [row for row in _ROWS.split(text) if row.strip()]
    if not rows:
        raise ValueError("no values: write rows split by ';' or newlines, e.g. '1 3 10 0; 8 4 2 9'")
    matrix: list[tuple[Fraction, ...]] = []
    for number, row in enumerate(rows, start=1):
        tokens = [token for token in _SEPARATORS.split(row.strip()) if token]
        values = []
        for column, token in enumerate(tokens, start=1):
            try:
                values.append(parse_number(token))
            except ValueError as exc:
                where = f"row {number}, column {column}: " if len(rows) > 1 or len(tokens) > 1 else ""
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
    steps = pair(1 if conv else kernel, "stride") if stride is None else pair(stride, "stride")
    axes = _resolve(operation, (len(values), len(values[0])), kernel, steps, padding, ceil)
    (rows, top, bottom, unused_rows), (columns, left, right, unused_columns) = axes
    height, width = len(values), len(values[0])
    bias = Fraction(bias)
    cells = []
    for i in range(rows):
        row_span = _span(i * steps[0] - top, kernel[0], height + bottom)
        for j in range(columns):
            column_span = _span(j * steps[1] - left, kernel[1], width + right)
            window = tuple(
                tuple(_at(values, r, c, operation) for c in column_span) for r in row_span
            )  # fmt: skip
            cells.append(Cell(i, j, _reduce(operation, window, filter, bias), window))
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


def _reduce(operation: str, window: Window, filter: Matrix | None, bias: Fraction) -> Fraction:
    flat = [value for row in window for value in row]
    if operation == "maxpool":
        # pool padding is at most half the window, so every window holds a real value
        return max(value for value in flat if value is not None)
    numbers = [Fraction(0) if value is None else value for value in flat]
    if operation == "avgpool":
        return sum(numbers, Fraction(0)) / len(numbers)
    assert filter is not None
    weights = [weight for row in filter for weight in row]
    return sum((x * w for x, w in zip(numbers, weights, strict=True)), Fraction(0)) + bias


# -- text ------------------------------------------------------------------------------------------


def format_value(value: Fraction | None) -> str:
    """Exact: 5, -5.25 where a decimal is exact, 1/3 where it is not; None (max pooling's padding) as -inf."""
    if value is None:
        return "-inf"
    if value.denominator == 1:
        return str(value.numerator)
    digits = _decimal_places(value.denominator)
    if digits is None:
        return f"{value.numerator}/{value.denominator}"
    scaled = abs(value.numerator) * 10**digits // value.denominator
    whole, fraction = divmod(scaled, 10**digits)
    return f"{'-' if value < 0 else ''}{whole}.{fraction:0{digits}d}"


def _decimal_places(denominator: int) -> int | None:
    """The fewest decimal places that write 1/denominator exactly, or None where none do (a factor not 2 or 5)."""
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    return max(twos, fives) if denominator == 1 else None


def format_matrix(matrix: Matrix) -> str:
    """The notation `--values` reads: "8 10; 7 4"."""
    return "; ".join(" ".join(format_value(value) for value in row) for row in matrix)


def _factor(value: Fraction | None) -> str:
    text = format_value(value)
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
    for cell in applied.cells:
        flat = [value for row in cell.window for value in row]
        if applied.operation == "maxpool":
            formula = f"max({', '.join(format_value(value) for value in flat)})"
        elif applied.operation == "avgpool":
            formula = f"({' + '.join(_factor(value) for value in flat)}) / {len(flat)}"
        else:
            assert applied.filter is not None
            weights = [weight for row in applied.filter for weight in row]
            terms = [f"{_factor(x)}*{_factor(w)}" for x, w in zip(flat, weights, strict=True)]
            formula = " + ".join([*terms, _factor(applied.bias)])
        lines.append(f"out[{cell.row}][{cell.column}] = {formula} = {format_value(cell.value)}")
    return lines


# -- JSON ------------------------------------------------------------------------------------------


def json_value(value: Fraction | None) -> int | str:
    """An int where the value is whole, else its exact text ("5.25", "1/3"; "-inf" for max pooling's padding)."""
    return value.numerator if value is not None and value.denominator == 1 else format_value(value)


def _json_matrix(matrix: Sequence[Sequence[Fraction | None]]) -> list[list[int | str]]:
    return [[json_value(value) for value in row] for row in matrix]


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
        report["windows"] = [
            [_json_matrix(applied.cells[i * columns + j].window) for j in range(columns)] for i in range(rows)
        ]
    return report
