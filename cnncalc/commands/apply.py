"""`cnncalc apply`: max pooling, average pooling or a convolution on real values, exactly, for checking by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from ..cli import Command, PaddingType, PairType

if TYPE_CHECKING:
    from fractions import Fraction

    from ..values import Matrix

# a matrix read from a file or standard input, or written out: room for five times MAX_VALUES one-digit values,
# or some 250 numbers of 4,000 digits; a larger file (or an endless pipe) is refused, not read into memory
MAX_BYTES = 2**20
_STDIN = "cnncalc.apply.stdin"  # ctx.meta: the option that read standard input


def _padding_refused(pixels: int) -> str | None:
    """Why apply refuses a padding of `pixels` a side, if it does: its bound is the values module's."""
    from ..values import MAX_PADDING

    return f"padding {pixels:,} is more than the {MAX_PADDING:,} a side apply takes" if pixels > MAX_PADDING else None


# apply's words for the shared types (a refused value shown whole), and a padding as one number of pixels
_NO_PADDING = "{value!r} is not a padding: write a number of pixels (1), same or valid"
PAIR = PairType(
    "N|HxW",
    "{value!r} is not a positive size: write 2, or 2x3 for height and width",
    blanks=" \t\n\r\f\v",  # ASCII white space only, around the value as between its sizes
)
PADDING = PaddingType("N|same|valid", sides=False, message=_NO_PADDING, too_large=_NO_PADDING, refuse=_padding_refused)


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
            name = "/".join(param.opts) if param is not None else "-"
            if ctx is not None and ctx.meta.setdefault(_STDIN, name) != name:
                self.fail(
                    f"standard input (-) is given to both {ctx.meta[_STDIN]} and {name}: it is read once", param, ctx
                )
            try:
                stdin = click.open_file("-", "rb")  # kept open: it is not ours to close
            except RuntimeError:  # started with standard input closed
                self.fail("cannot read <stdin>: it is closed", param, ctx)
            text, source = self.read(stdin, "<stdin>", param, ctx), "<stdin>: "
        elif len(text) > MAX_BYTES:
            self.fail(f"a matrix of {len(text):,} characters, more than the {MAX_BYTES:,} apply reads", param, ctx)
        elif "\n" not in text and ";" not in text and _is_file(text):
            try:
                with open(text, "rb") as stream:
                    text, source = self.read(stream, text, param, ctx), f"{value}: "
            except OSError as exc:
                self.fail(f"cannot read {value}: {exc.strerror or exc}", param, ctx)
        try:
            return parse_matrix(text)
        except ValueError as exc:
            if not source and not re.search(r"[\s,;]", text.strip()) and re.search(r"[^0-9./+-]", text):
                self.fail(f"{value!r} is neither a file nor a matrix of numbers", param, ctx)
            self.fail(f"{source}{exc}", param, ctx)

    def read(self, stream: IO[bytes], name: str, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """At most MAX_BYTES of UTF-8 text; a usage error past them, or on a byte that is not UTF-8."""
        try:
            data = stream.read(MAX_BYTES + 1)
        except OSError as exc:
            self.fail(f"cannot read {name}: {exc.strerror or exc}", param, ctx)
        if len(data) > MAX_BYTES:
            self.fail(f"{name} is larger than {MAX_BYTES:,} bytes (1 MiB), the most apply reads", param, ctx)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = f"0x{data[exc.start]:02x}"
            self.fail(f"cannot read {name}: not UTF-8 text: byte {byte} at offset {exc.start:,}", param, ctx)


def _is_file(text: str) -> bool:
    """Whether `text` names a file; a text that can name none (too long, a NUL in it) is a matrix."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


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
@click.option("--size", type=PAIR, metavar="N|HxW", help="The pooling window: 2, or 2x3 for height and width.")
@click.option("--stride", type=PAIR, metavar="N|HxW", help="The step between windows (default: the size; conv: 1).")
@click.option(
    "--padding",
    type=PADDING,
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

    Bounds, so that a run takes seconds at most: --values and --filter of 1 MiB of text (1,048,576 bytes)
    and 100,000 values each; a window and an output of 100,000 values each; --padding 1,000 a side; numbers
    of 4,000 digits (a numerator or a denominator, read or worked out); 250,000 output values x window (the
    steps worked out, and what --explain keeps), 1,000 with a number of more than 100 digits, read or worked
    out.
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
