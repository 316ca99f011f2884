"""`cnncalc apply`: max pooling, average pooling or a convolution on real values, exactly, for checking by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..cli import Command

if TYPE_CHECKING:
    from fractions import Fraction

    from ..values import Matrix

_PAIR = re.compile(r"\s*([0-9]+)\s*(?:[x,]\s*([0-9]+)\s*)?", re.IGNORECASE | re.ASCII)


class PairType(click.ParamType):  # type: ignore[type-arg]
    """A positive integer for both axes, `2`, or one per axis, `2x3` (height x width)."""

    name = "N|HxW"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        match = _PAIR.fullmatch(str(value))
        if not match or not 1 <= int(match[1]) < 2**31 or not 1 <= int(match[2] or match[1]) < 2**31:
            self.fail(f"{value!r} is not a positive size: write 2, or 2x3 for height and width", param, ctx)
        return int(match[1]), int(match[2] or match[1])


class PaddingType(click.ParamType):  # type: ignore[type-arg]
    """Zero padding on all four sides, `1`, or `same` or `valid` as the engine resolves them."""

    name = "N|same|valid"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | str:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text in ("same", "valid"):
            return text
        if not text.isascii() or not text.isdigit() or int(text) >= 2**31:
            self.fail(f"{value!r} is not a padding: write a number of pixels (1), same or valid", param, ctx)
        return int(text)


class NumberType(click.ParamType):  # type: ignore[type-arg]
    """An exact number: `2`, `-0.5` or `1/3`."""

    name = "NUMBER"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Fraction:
        from ..values import parse_number

        try:
            return parse_number(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class MatrixType(click.ParamType):  # type: ignore[type-arg]
    """A matrix written "1 3; 8 4", a file holding one (one row a line), or - for standard input."""

    name = "MATRIX|FILE|-"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Matrix:
        from ..values import parse_matrix

        if isinstance(value, tuple):
            return value
        text, source = str(value), ""
        if text == "-":
            with click.open_file("-") as stdin:
                text, source = stdin.read(), "<stdin>: "
        elif "\n" not in text and ";" not in text and Path(text).is_file():
            try:
                text, source = Path(text).read_text(encoding="utf-8"), f"{value}: "
            except (OSError, UnicodeDecodeError) as exc:
                self.fail(f"cannot read {value}: {exc}", param, ctx)
        try:
            return parse_matrix(text)
        except ValueError as exc:
            if not source and not re.search(r"[\s,;]", text.strip()) and re.search(r"[^0-9./+-]", text):
                self.fail(f"{value!r} is neither a file nor a matrix of numbers", param, ctx)
            self.fail(f"{source}{exc}", param, ctx)


@click.command(
    cls=Command, epilog='\b\nExample: cnncalc apply maxpool --size 2 --values "1 3 10 0; 8 4 2 9; 7 2 1 3; 1 1 0 4"'
)
@click.argument("operation", type=click.Choice(["maxpool", "avgpool", "conv"]))
@click.option(
    "--values",
    "values_matrix",
    type=MatrixType(),
    metavar="MATRIX|FILE|-",
    required=True,
    help='The input: "1 3 10 0; 8 4 2 9" (rows split by ; or newlines), a file with one row a line, or -.',
)
@click.option("--size", type=PairType(), metavar="N|HxW", help="The pooling window: 2, or 2x3 for height and width.")
@click.option(
    "--stride", type=PairType(), metavar="N|HxW", help="The step between windows (default: the size; conv: 1)."
)
@click.option(
    "--padding",
    type=PaddingType(),
    metavar="N|same|valid",
    default="0",
    show_default=True,
    help="Zeros on every side: N, same, valid.",
)
@click.option("--ceil", is_flag=True, help="Pools: keep a last window that hangs past the input (PyTorch ceil_mode).")
@click.option(
    "--filter",
    "filter_matrix",
    type=MatrixType(),
    metavar="MATRIX|FILE|-",
    help='Conv: the filter, e.g. "1 0 -1; 1 0 -1; 1 0 -1".',
)
@click.option("--bias", type=NumberType(), metavar="NUMBER", help="Conv: a number added to every output value.")
@click.option("--explain", is_flag=True, help="Show each output value with the input values it came from.")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Output format.",
)  # fmt: skip
def apply(
    operation: str,
    values_matrix: Matrix,
    size: tuple[int, int] | None,
    stride: tuple[int, int] | None,
    padding: int | str,
    ceil: bool,
    filter_matrix: Matrix | None,
    bias: Fraction | None,
    explain: bool,
    output_format: str,
) -> None:
    """Pool or convolve a matrix of numbers, exactly, as PyTorch does: for checking work by hand.

    OPERATION is maxpool, avgpool or conv. Values are integers, decimals (0.5) or fractions (1/3), kept exact:
    the output prints integers as integers, other values as exact decimals (5.25) or fractions (1/3), in the
    notation --values reads ("8 10; 7 4"). A conv is a cross-correlation, as the frameworks compute it (the
    filter is not flipped), with zero padding; max pooling pads with -inf, so padding never wins; average
    pooling counts padding in the window (PyTorch's count_include_pad). JSON gives the output and its shape,
    values as integers or, where not whole, as strings ("5.25", "1/3"); --explain adds every window.
    Exit codes: 0 done, 2 bad input.

    \b
    Example: cnncalc apply conv --values image.txt --filter "1 0 -1; 1 0 -1; 1 0 -1" --explain
    """
    from .. import values

    if operation == "conv":
        if filter_matrix is None:
            raise click.UsageError('conv needs --filter, e.g. --filter "1 0 -1; 1 0 -1; 1 0 -1"')
        if size is not None:
            raise click.UsageError("conv takes its size from --filter: leave out --size")
        if ceil:
            raise click.UsageError("--ceil is for pools: a conv floors, as the frameworks do")
    else:
        for given, option in ((filter_matrix, "--filter"), (bias, "--bias")):
            if given is not None:
                raise click.UsageError(f"{operation} takes no {option} (only conv does)")
        if size is None:
            raise click.UsageError(f"{operation} needs --size, e.g. --size 2")
    try:
        applied = values.apply(
            operation, values_matrix, size, stride, padding, ceil, filter_matrix, 0 if bias is None else bias
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if output_format == "json":
        click.echo(json.dumps(values.as_json(applied, windows=explain)))
    elif explain:
        for line in values.explain(applied):
            click.echo(line)
        click.echo(f"out = {values.format_matrix(applied.output)}")
    else:
        click.echo(values.format_matrix(applied.output))
