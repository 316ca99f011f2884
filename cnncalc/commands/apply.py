"""`cnncalc apply`: pooling, convolution, transposed convolution or up-sampling on real values, exactly, for checking
by hand."""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
from click.core import ParameterSource

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


OPERATIONS = ["maxpool", "avgpool", "conv", "convtranspose", "upsample"]  # values.OPERATIONS, not imported
MODES = ["nearest", "bilinear"]  # values.MODES
# the operations each option goes with; a refusal names them
TAKEN_BY = {
    "--size": ("maxpool", "avgpool", "upsample"),
    "--stride": ("maxpool", "avgpool", "conv", "convtranspose"),
    "--padding": ("maxpool", "avgpool", "conv", "convtranspose"),
    "--ceil": ("maxpool", "avgpool"),
    "--filter": ("conv", "convtranspose"),
    "--bias": ("conv", "convtranspose"),
    "--output-padding": ("convtranspose",),
    "--dilation": ("convtranspose",),
    "--scale": ("upsample",),
    "--mode": ("upsample",),
    "--align-corners": ("upsample",),
}
OUTPUT_PADDING = PairType(
    "N|HxW",
    "{value!r} is not an output padding: write 0, 1, or 1x0 for height and width",
    blanks=" \t\n\r\f\v",
    minimum=0,
)


@click.command(
    cls=Command, epilog='\b\nExample: cnncalc apply maxpool --size 2 --values "1 3 10 0; 8 4 2 9; 7 2 1 3; 1 1 0 4"'
)
@click.argument("operation", type=click.Choice(OPERATIONS))
@click.option(
    "--values",
    "values_matrix",
    type=MatrixType(),
    metavar="MATRIX|FILE|-",
    required=True,
    help='The input: "1 3 10 0; 8 4 2 9" (rows split by ; or newlines), a file with one row a line, or -.',
)
@click.option(
    "--size",
    type=PAIR,
    metavar="N|HxW",
    help="Pools: the window, 2 or 2x3. Upsample, instead of --scale: the output's height and width.",
)
@click.option(
    "--stride", type=PAIR, metavar="N|HxW", help="The step between windows (default: the size; conv, convtranspose: 1)."
)
@click.option(
    "--padding",
    type=PADDING,
    metavar="N|same|valid",
    default="0",
    show_default=True,
    help="Zeros on every side: N, same, valid. Convtranspose: cut from each side of the output, as PyTorch's.",
)
@click.option("--ceil", is_flag=True, help="Pools: keep a last window that hangs past the input (PyTorch ceil_mode).")
@click.option(
    "--filter",
    "filter_matrix",
    type=MatrixType(),
    metavar="MATRIX|FILE|-",
    help='Conv, convtranspose: the filter, e.g. "1 0 -1; 1 0 -1; 1 0 -1".',
)
@click.option(
    "--bias", type=NumberType(), metavar="NUMBER", help="Conv, convtranspose: a number added to every output value."
)
@click.option(
    "--output-padding",
    type=OUTPUT_PADDING,
    metavar="N|HxW",
    help="Convtranspose: rows and columns added after the last output (default 0); below the stride or the dilation.",
)
@click.option(
    "--dilation", type=PAIR, metavar="N|HxW", help="Convtranspose: the spacing of the filter's taps (default 1)."
)
@click.option("--scale", type=PAIR, metavar="N|HxW", help="Upsample: the factor, 2 or 2x3.")
@click.option("--mode", type=click.Choice(MODES), help="Upsample: nearest (the default) or bilinear.")
@click.option("--align-corners", is_flag=True, help="Upsample, bilinear: output o reads input o (h - 1) / (H - 1).")
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
    output_padding: tuple[int, int] | None,
    dilation: tuple[int, int] | None,
    scale: tuple[int, int] | None,
    mode: str | None,
    align_corners: bool,
    explain: bool,
    output_format: str,
) -> None:
    """Pool, convolve, transposed-convolve or up-sample a matrix of numbers, exactly, as PyTorch does: for
    checking work by hand.

    OPERATION is maxpool, avgpool, conv, convtranspose or upsample. Values are integers, decimals (0.5) or
    fractions (1/3), kept exact: the output prints integers as integers, other values as exact decimals (5.25)
    or fractions (1/3), in the notation --values reads ("8 10; 7 4").

    A conv is a cross-correlation, as the frameworks compute it (the filter is not flipped), with zero padding;
    max pooling pads with -inf, so padding never wins; average pooling counts padding in the window (PyTorch's
    count_include_pad).

    convtranspose is PyTorch's ConvTranspose2d, one channel: input value x[i][j] adds x[i][j] w[a][b] to
    out[i s - p + a d][j s - p + b d] for every tap w[a][b] of the filter, then the bias is added; the output is
    (h - 1) s - 2p + d (k - 1) + output_padding + 1. --padding p is cut from each side of the output (valid is
    0; same is Keras's, output h s, the d (k - 1) + 1 - s cut split with the odd one after), and
    --output-padding must be below the stride or the dilation, as PyTorch requires.

    upsample is PyTorch's nn.Upsample, by --scale or to --size: nearest reads input floor(o h / H), worked out
    exactly (PyTorch works it out in float32, and at some sizes, 2 up-sampled to 82 among them, reads one input
    lower where o h / H is whole); bilinear weighs the two inputs around x = (o + 1/2) h / H - 1/2,
    clamped at 0 and the upper one at the last input, or around x = o (h - 1) / (H - 1) with --align-corners.

    JSON gives the output and its shape, values as integers or, where not whole, as strings ("5.25", "1/3");
    --explain adds every window (convtranspose, upsample: every output value's terms, each input value with
    its place and its weight).

    Bounds, so that a run takes seconds at most: --values and --filter of 1 MiB of text (1,048,576 bytes)
    and 100,000 values each; a window and an output of 100,000 values each; --padding 1,000 a side; numbers
    of 4,000 digits (a numerator or a denominator, read or worked out); 250,000 output values x window (the
    steps worked out, and what --explain keeps), 1,000 with a number of more than 100 digits, read or worked
    out; likewise 250,000 input values x filter plus output values for convtranspose, and 250,000 output values
    for a nearest upsample, 250,000 weights and products (2 for each of up to 4 sources of each output value)
    for a bilinear one.
    Exit codes: 0 done, 2 bad input.

    \b
    Example: cnncalc apply conv --values image.txt --filter "1 0 -1; 1 0 -1; 1 0 -1" --explain
    Example: cnncalc apply convtranspose --values "1 2; 3 4" --filter "1 1; 1 1" --stride 2 --explain
    Example: cnncalc apply upsample --values "1 2; 3 4" --scale 2 --mode bilinear
    """
    from .. import values

    ctx = click.get_current_context()
    given = {
        "--size": size is not None,
        "--stride": stride is not None,
        "--padding": ctx.get_parameter_source("padding") is not ParameterSource.DEFAULT,
        "--ceil": ceil,
        "--filter": filter_matrix is not None,
        "--bias": bias is not None,
        "--output-padding": output_padding is not None,
        "--dilation": dilation is not None,
        "--scale": scale is not None,
        "--mode": mode is not None,
        "--align-corners": align_corners,
    }
    if operation in ("conv", "convtranspose"):
        if filter_matrix is None:
            raise click.UsageError(f'{operation} needs --filter, e.g. --filter "1 0 -1; 1 0 -1; 1 0 -1"')
        if size is not None:
            raise click.UsageError(f"{operation} takes its size from --filter: leave out --size")
        if ceil and operation == "conv":
            raise click.UsageError("--ceil is for pools: a conv floors, as the frameworks do")
    for option, operations in TAKEN_BY.items():
        if given[option] and operation not in operations:
            takers = " and ".join([", ".join(operations[:-1]), operations[-1]] if operations[1:] else operations)
            raise click.UsageError(
                f"{operation} takes no {option} (only {takers} {'do' if operations[1:] else 'does'})"
            )
    if operation in ("maxpool", "avgpool") and size is None:
        raise click.UsageError(f"{operation} needs --size, e.g. --size 2")
    if operation == "upsample":
        if scale is None and size is None:
            raise click.UsageError("upsample needs --scale or --size, e.g. --scale 2 or --size 5x7")
        if scale is not None and size is not None:
            raise click.UsageError("upsample takes --scale or --size, not both: --size is the output's")
        if align_corners and mode != "bilinear":
            raise click.UsageError("--align-corners goes with --mode bilinear only: nearest has no corners to align")
    try:
        applied = values.apply(
            operation,
            values_matrix,
            size,
            stride,
            0 if operation == "upsample" else padding,
            ceil,
            filter_matrix,
            0 if bias is None else bias,
            output_padding=output_padding,
            dilation=dilation,
            scale=scale,
            mode=mode,
            align_corners=align_corners,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if output_format == "json":
        from ..documents import document, json_text
        from ..output import write_text

        write_text(json_text(document("apply", values.as_json(applied, windows=explain))))
    elif explain:
        for line in values.explain(applied):
            click.echo(line)
        click.echo(f"out = {values.format_matrix(applied.output)}")
    else:
        click.echo(values.format_matrix(applied.output))
