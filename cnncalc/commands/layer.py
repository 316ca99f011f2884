"""One layer at the prompt: `cnncalc conv`, `pool`, `dense` and `pad`, without writing a spec."""

from __future__ import annotations

from typing import Any

import click

from ..cli import MAX_SIZE, Command, PaddingType, PairType, Size, VolumeType, at_rank, clipped, size_of, sizes_in
from ..diagnostics import SpecError
from ..documents import document, json_text, query_dict
from ..engine import analyse
from ..explain import explain, fc_view
from ..formulas import ceil_div, conv_output, effective_kernel, padding_for
from ..output import write_text
from ..render import render_query
from ..spec import (
    AXIS_LETTERS,
    UPSAMPLE_MODES,
    Conv,
    ConvTranspose,
    Dense,
    Flatten,
    Layer,
    PerAxis,
    Pool,
    Sides,
    Spec,
    Upsample,
    Volume,
)
from ..terminal import copy_to_stderr, paint_lines, say

# the options of a query's layer given per axis, and the flags that set them; every window is `-f` / `--kernel`
_WINDOW = "'-f' / '--kernel'"
_PER_AXIS = {
    "kernel": _WINDOW,
    "size": "'--size'",
    "stride": "'-s' / '--stride'",
    "dilation": "'-d' / '--dilation'",
    "output_padding": "'--output-padding'",
    "scale": "'--scale'",
    "padding": "'-p' / '--padding'",
}


def _at_rank(layer: Layer, volume: Volume, flags: dict[str, str] | None = None) -> Layer:
    """The layer with its sizes read at the volume's rank: `-f 3` is 3x3 on an image, 3x3x3 on a clip. `flags`
    names the options of the query that sets a field otherwise (a pool's window, its `size`, is `-f`)."""
    rank, changes = volume.rank, dict[str, Any]()
    named = {**_PER_AXIS, **(flags or {})}
    for field in layer._fields:
        value = getattr(layer, field)
        if field not in _PER_AXIS or not isinstance(value, tuple):
            continue
        sides = field == "padding"
        read = at_rank(value, rank, sides)
        if read is None:
            written = (",".join if sides else "x".join)(map(str, value))
            letters = "x".join(AXIS_LETTERS[rank].upper())
            wanted = f"p, one per axis ({rank}) or two per axis ({2 * rank})" if sides else f"one, or {letters}"
            axes = "1 spatial axis" if rank == 1 else f"{rank} spatial axes"
            raise click.BadParameter(
                f"{written!r}: the {volume} volume has {axes}: write {wanted}",
                param_hint=named[field],
            )
        changes[field] = read
    return layer._replace(**changes)


def _show(
    layer: Layer,
    volume: Volume,
    explained: bool,
    output_format: str,
    flattened: bool = False,
    flags: dict[str, str] | None = None,
) -> None:
    """Compute one layer on `volume` and print it; an impossible layer is a usage error (exit 2)."""
    layer = _at_rank(layer, volume, flags)
    layers: tuple[Layer, ...] = (Flatten(), layer) if flattened else (layer,)
    try:
        report = analyse(Spec(volume, layers))
    except SpecError as exc:
        raise click.UsageError("; ".join(d.message for d in exc.diagnostics)) from None
    result = report.layers[-1]
    lines = explain(result) + fc_view(result) if explained else None
    if flattened:
        # shown as asked: the volume given, flattened on the way in
        lines = [f"flatten: {volume} -> {result.input}", *lines] if lines is not None else None
        result = result._replace(input=volume)
    if output_format == "json":
        write_text(json_text(query_dict(result, report.warnings, lines)))
    else:
        say(paint_lines(render_query(result, report.warnings, lines)), nl=False)
    copy_to_stderr(report.warnings)  # in the output already: on standard error too, where that is no terminal


# sizes given per axis, read at the volume's rank
AXES = PairType(message="{clipped}: write one positive integer, or one per axis as HxW", per_axis=True)
PADDING = PaddingType(
    message="{clipped}: write same, valid, p, one per axis (ph,pw) or two per axis (top,bottom,left,right)",
    per_axis=True,
)
EXPLAIN = click.option("--explain", is_flag=True, help="Show the lecture's formulas with the numbers put in.")
FORMAT = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)


@click.command(cls=Command, epilog="Example: cnncalc conv 32x32x3 -k 16 -f 3 -s 2 -p same --explain")
@click.argument("volume", type=VolumeType(), metavar="HxWxC")
@click.option("-k", "--filters", type=Size(), required=True, help="K, the number of filters.")
@click.option("-f", "--kernel", type=AXES, required=True, help="f, the filter size: 3, or 3x5.")
@click.option("-s", "--stride", type=AXES, default="1", show_default=True, help="s: 2, or 2x1.")
@click.option("-p", "--padding", type=PADDING, default="valid", show_default=True, help="p: same, valid, 1, ...")
@click.option("-d", "--dilation", type=AXES, default="1", show_default=True)
@click.option("-g", "--groups", type=Size(), default=1, show_default=True)
@click.option("--bias/--no-bias", default=True, show_default=True)
@EXPLAIN
@FORMAT
def conv(
    volume: Volume,
    filters: int,
    kernel: PerAxis,
    stride: PerAxis,
    padding: str | Sides,
    dilation: PerAxis,
    groups: int,
    bias: bool,
    explain: bool,
    output_format: str,
) -> None:
    """A convolution on a volume: its output, the padding applied, parameters, MACs and receptive field.

    Any rank: a signal LxC (16000x1, with -p 4,0 for causal padding) or a clip DxHxWxC (16x112x112x3); every size
    then takes one value for all axes, or one per axis.
    """
    layer = Conv(
        kind="conv",
        filters=filters,
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
    )
    _show(layer, volume, explain, output_format)


@click.command(cls=Command, epilog="Example: cnncalc convtranspose 28x28x64 -k 32 -f 2 -s 2 --explain")
@click.argument("volume", type=VolumeType(), metavar="HxWxC")
@click.option("-k", "--filters", type=Size(), required=True, help="K, the number of filters.")
@click.option("-f", "--kernel", type=AXES, required=True, help="f, the filter size: 3, or 3x5.")
@click.option("-s", "--stride", type=AXES, default="1", show_default=True, help="s: 2, or 2x1.")
@click.option(
    "-p", "--padding", type=PADDING, default="valid", show_default=True,
    help="Cut from the output, as PyTorch's padding: 1, 1x0, ...; valid is 0; same gives h s, as Keras's.",
)  # fmt: skip
@click.option(
    "--output-padding",
    type=PairType(message="{clipped}: write one integer >= 0, or one per axis as HxW", minimum=0, per_axis=True),
    default="0",
    show_default=True,
    help="Added after the last output: below the stride or the dilation.",
)
@click.option("-d", "--dilation", type=AXES, default="1", show_default=True)
@click.option("-g", "--groups", type=Size(), default=1, show_default=True)
@click.option("--bias/--no-bias", default=True, show_default=True)
@EXPLAIN
@FORMAT
def convtranspose(
    volume: Volume,
    filters: int,
    kernel: PerAxis,
    stride: PerAxis,
    padding: str | Sides,
    output_padding: PerAxis,
    dilation: PerAxis,
    groups: int,
    bias: bool,
    explain: bool,
    output_format: str,
) -> None:
    """A transposed convolution on a volume: its output, the cut applied, parameters, MACs and receptive field."""
    layer = ConvTranspose(
        kind="convtranspose",
        filters=filters,
        kernel=kernel,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
    )
    _show(layer, volume, explain, output_format)


@click.command(cls=Command, epilog="Example: cnncalc upsample 7x7x512 --scale 2")
@click.argument("volume", type=VolumeType(), metavar="HxWxC")
@click.option("--scale", type=AXES, help="The factor: 2, or 2x3.")
@click.option("--size", type=AXES, help="Instead of --scale, the output's height and width: 14, or 14x20.")
@click.option("--mode", type=click.Choice(UPSAMPLE_MODES), default="nearest", show_default=True)
@click.option("--align-corners", is_flag=True, help="Bilinear only: output o reads input o (h - 1) / (H - 1).")
@EXPLAIN
@FORMAT
def upsample(
    volume: Volume,
    scale: PerAxis | None,
    size: PerAxis | None,
    mode: str,
    align_corners: bool,
    explain: bool,
    output_format: str,
) -> None:
    """Up-sampling of a volume, by a factor or to a size: its output, and which input pixels each output reads."""
    if (scale is None) == (size is None):
        raise click.UsageError("give --scale or --size, one of them")
    layer = Upsample(kind="upsample", scale=scale, size=size, mode=mode, align_corners=align_corners)
    _show(layer, volume, explain, output_format)


@click.command(cls=Command, epilog="Example: cnncalc pool 4x4x6 -f 2 --kind avg")
@click.argument("volume", type=VolumeType(), metavar="HxWxC")
@click.option("-f", "--kernel", "--size", "size", type=AXES, required=True, help="f, the window: 2, or 2x3.")
@click.option("-s", "--stride", type=AXES, help="Default: the window size.")
@click.option("-p", "--padding", type=PADDING, default="valid", show_default=True)
@click.option("--kind", type=click.Choice(["max", "avg"]), default="max", show_default=True)
@click.option("--ceil", is_flag=True, help="PyTorch's ceil_mode: keep a last partial window.")
@EXPLAIN
@FORMAT
def pool(
    volume: Volume,
    size: PerAxis,
    stride: PerAxis | None,
    padding: str | Sides,
    kind: str,
    ceil: bool,
    explain: bool,
    output_format: str,
) -> None:
    """A pooling window on a volume: its output (the channels stay), the padding applied and receptive field."""
    layer = Pool(kind=f"{kind}pool", size=size, stride=stride or size, padding=padding, ceil=ceil)
    _show(layer, volume, explain, output_format, flags={"size": _WINDOW})


class InputsType(click.ParamType):  # type: ignore[type-arg]
    """The inputs of a dense layer: `400`, or a volume `5x5x16` that is flattened first."""

    name = "N|HxWxC"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Volume:
        text = str(value).strip()
        if text.isascii() and text.isdigit() and 1 <= size_of(text) <= MAX_SIZE:
            return Volume(1, 1, int(text))
        return VolumeType(channels_first_warning=False).convert(value, param, ctx)  # flattened: any order counts alike


@click.command(cls=Command, epilog="Example: cnncalc dense 400 --units 120")
@click.argument("inputs", type=InputsType(), metavar="N|HxWxC")
@click.option("--units", type=Size(), required=True, help="The number of neurons.")
@click.option("--bias/--no-bias", default=True, show_default=True)
@EXPLAIN
@FORMAT
def dense(inputs: Volume, units: int, bias: bool, explain: bool, output_format: str) -> None:
    """A fully connected layer: `units (n + 1)` parameters; a volume is flattened first."""
    flattened = not inputs.is_point
    _show(Dense(kind="dense", units=units, bias=bias), inputs, explain, output_format, flattened)


class SideType(Size):
    """One side of pad's input, a whole number: a size per axis (`32x24`) is answered one axis at a time."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        sizes = sizes_in(str(value).strip()) if isinstance(value, str) else []
        if len(sizes) > 1:
            self.fail(
                f"{clipped(value)} is a size per axis: SIZE is one side of the input, a whole number such as"
                f" {sizes[0]}; run pad once more for an axis of another size",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


@click.command(cls=Command, epilog="Example: cnncalc pad 32 --kernel 4 --stride 2")
@click.argument("size", type=SideType())
@click.option("-f", "--kernel", type=Size(), required=True, help="f, the filter size.")
@click.option("-s", "--stride", type=Size(), default=1, show_default=True)
@click.option("-d", "--dilation", type=Size(), default=1, show_default=True)
@click.option("--output", type=Size(), help="The output size wanted (default: SAME's).")
@FORMAT
def pad(size: int, kernel: int, stride: int, dilation: int, output: int | None, output_format: str) -> None:
    """Which zero padding gives SAME's output, ceil(size / stride), or the output asked for.

    SIZE is one side of the input: the same answer holds for height and width.
    """
    k = effective_kernel(kernel, dilation)
    if output is None:
        wanted = ceil_div(size, stride)
        how = f"SAME: ceil({size} / {stride}) = {wanted}"
    else:
        wanted = output
        how = f"the output asked for, {wanted}"
    found = padding_for(size, kernel, stride, wanted, dilation)
    if found is None:
        smallest = conv_output(size, kernel, stride, dilation=dilation)
        raise click.UsageError(
            f"no padding gives {wanted}: with none the output is already {smallest}, and padding only adds to it"
        )
    before, after = found
    total = before + after
    produced = conv_output(size, kernel, stride, before, after, dilation)
    assert produced == wanted, (produced, wanted)
    formula = f"({size} + {before} + {after} - {k}) / {stride} + 1"
    if output_format == "json":
        data = {"size": size, "kernel": kernel, "stride": stride, "dilation": dilation, "output": wanted,
                "padding": [before, after], "total": total}  # fmt: skip
        write_text(json_text(document("pad", data)))
        return
    lines = [f"{how}: pad {total} in all, {before} before and {after} after"]
    if output is None and before == after and stride == 1 and k % 2:
        lines.append(f"p = (f - 1) / 2 = ({k} - 1) / 2 = {before} on each side")
    elif before != after:
        lines.append("an odd total: the extra row goes after (bottom/right), as TensorFlow and PyTorch put it")
    remainder = (size + total - k) % stride
    lines.append(
        f"check: floor({formula.replace(' + 1', '')}) + 1 = {produced}"
        if remainder
        else f"check: {formula} = {produced}"
    )
    click.echo("\n".join(lines))
