"""Each leaf kind's rule: the output volume, the parameters and MACs, the padding applied and the windows the
receptive field goes through, for one input volume. Problems are reported through `problem`; a window that does
not fit raises ShapeError."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .fields import Taps
from .formulas import (
    Axis,
    ShapeError,
    effective_kernel,
    resolve_axis,
    transposed_output,
    transposed_same_padding,
)
from .kinds import ByKind
from .record import Record
from .spec import (
    ACTIVATIONS,
    AXIS_NAMES,
    Activation,
    AdaptivePool,
    BatchNorm,
    ChannelShuffle,
    Conv,
    ConvTranspose,
    Crop,
    Dense,
    Dropout,
    DropPath,
    Flatten,
    GlobalPool,
    GroupNorm,
    InstanceNorm,
    LayerNorm,
    PerAxis,
    Pool,
    PReLU,
    Scale,
    Sides,
    SqueezeExcite,
    Upsample,
    Volume,
    ZeroPad,
    every_axis,
    vector,
)

if TYPE_CHECKING:  # a Protocol class costs start-up time; the annotations below name it as a string

    class Problem(Protocol):
        """Reports a problem with the layer at hand, located at `option` where it is given."""

        def __call__(self, code: str, message: str, severity: str = "error", option: str | None = None) -> None: ...


class Step(Record):
    """What a leaf layer does to one input volume."""

    output: Volume
    trainable: int = 0
    non_trainable: int = 0
    macs: int = 0
    padding: Sides | None = None
    windows: tuple[Taps, ...] = ()  # per axis, the input positions each output reads
    # how it sees the map, beyond its windows: every position at once (a global pool); as a flatten, each position
    # folded into the channels; reading those channels, so every position a flatten before it folded (conv, dense)
    whole_map: bool = False
    flattens: bool = False
    reads_flattened: bool = False
    # statistics of the whole map (a group or instance norm, a squeeze-and-excitation gate) reach every output from
    # every position; its local field sets them aside
    statistics: bool = False


# each leaf kind's rule
STEPS = ByKind("steps.STEPS", covers="leaves")


@STEPS.register("dense")
def _dense(layer: Dense, volume: Volume, problem: Problem) -> Step:
    n = volume.elements
    if not volume.is_point:
        problem("dense-volume", f"dense needs a {_point(volume)} x n input, got {volume}: add `flatten` before it")
    trainable = layer.units * n + (layer.units if layer.bias else 0)
    return Step(vector(volume.rank, layer.units), trainable, 0, n * layer.units, reads_flattened=True)


@STEPS.register("globalavgpool", "globalmaxpool")
def _global_pool(layer: GlobalPool, volume: Volume, problem: Problem) -> Step:
    return Step(vector(volume.rank, volume.c), whole_map=True, reads_flattened=True)


@STEPS.register("flatten")
def _flatten(layer: Flatten, volume: Volume, problem: Problem) -> Step:
    return Step(vector(volume.rank, volume.elements), flattens=True)


@STEPS.register("zeropad")
def _zeropad(layer: ZeroPad, volume: Volume, problem: Problem) -> Step:
    sides = layer.padding
    sizes = (size + sides[2 * axis] + sides[2 * axis + 1] for axis, size in enumerate(volume.spatial))
    # as a 1 x 1 window stepping by 1 over the padded map: the field moves, and grows by nothing
    return Step(
        Volume(*sizes, volume.c),
        padding=sides,
        windows=tuple(Taps.sliding(1, 1, before) for before in sides[::2]),
    )


@STEPS.register("crop")
def _crop(layer: Crop, volume: Volume, problem: Problem) -> Step:
    sides = _cut(layer, volume, problem)
    sizes = (size - sides[2 * axis] - sides[2 * axis + 1] for axis, size in enumerate(volume.spatial))
    # as a 1 x 1 window stepping by 1 from the first side's cut: the field moves, and grows by nothing
    return Step(Volume(*sizes, volume.c), windows=tuple(Taps.sliding(1, 1, -before) for before in sides[::2]))


def _cut(layer: Crop, volume: Volume, problem: Problem) -> Sides:
    """What a crop cuts from each side; ShapeError where it cuts the whole map or more."""
    if layer.sides is not None:
        if layer.size is not None or layer.offset is not None:
            both = "size" if layer.size is not None else "offset"
            raise ShapeError(f"crop takes `sides`, or `size` and `offset`, not both: drop `{both}`", "sides")
        names = AXIS_NAMES[volume.rank]
        for axis, size in enumerate(volume.spatial):
            before, after = layer.sides[2 * axis : 2 * axis + 2]
            if before + after >= size:
                cutting = f"cutting {before} + {after} leaves nothing of the input's {size}"
                raise ShapeError(f"{names[axis]}: {cutting}", "sides")
        return layer.sides
    if layer.size is None:
        raise ShapeError("crop needs `size` (with `offset`, or centred) or `sides`")
    cuts: list[int] = []
    names = AXIS_NAMES[volume.rank]
    for axis, size in enumerate(volume.spatial):
        kept = layer.size[axis]
        if kept > size:
            raise ShapeError(f"{names[axis]}: cannot keep {kept} of the input's {size}", "size")
        before = (size - kept) // 2 if layer.offset is None else layer.offset[axis]
        if before + kept > size:
            raise ShapeError(
                f"{names[axis]}: {kept} from offset {before} ends at {before + kept}, past the input's {size}",
                "offset",
            )
        cuts += [before, size - kept - before]
    return tuple(cuts)


@STEPS.register("upsample")
def _upsample(layer: Upsample, volume: Volume, problem: Problem) -> Step:
    if (layer.scale is None) == (layer.size is None):
        given = "both" if layer.scale is not None else "neither"
        raise ShapeError(
            f"upsample takes `scale` or `size`, one of them; {given} given", "size" if given == "both" else None
        )
    if layer.align_corners and layer.mode == "nearest":
        problem("align-corners", "align_corners goes with `mode: bilinear` only", option="align_corners")
    spatial = volume.spatial
    scale = layer.scale or ()
    sizes = layer.size or tuple(size * factor for size, factor in zip(spatial, scale, strict=True))
    if layer.mode == "nearest":
        windows = tuple(Taps.nearest(size, out) for size, out in zip(spatial, sizes, strict=True))
    else:
        windows = tuple(Taps.linear(size, out, layer.align_corners) for size, out in zip(spatial, sizes, strict=True))
    return Step(Volume(*sizes, volume.c), windows=windows)


@STEPS.register("adaptiveavgpool", "adaptivemaxpool")
def _adaptive_pool(layer: AdaptivePool, volume: Volume, problem: Problem) -> Step:
    windows = tuple(Taps.adaptive(size, out) for size, out in zip(volume.spatial, layer.size, strict=True))
    return Step(Volume(*layer.size, volume.c), windows=windows)


@STEPS.register("batchnorm")
def _batchnorm(layer: BatchNorm, volume: Volume, problem: Problem) -> Step:
    # gamma and beta are learned; the moving mean and variance are not (Keras counts them, PyTorch keeps buffers)
    return Step(volume, 2 * volume.c, 2 * volume.c)


@STEPS.register("layernorm")
def _layernorm(layer: LayerNorm, volume: Volume, problem: Problem) -> Step:
    # a scale and a shift per channel; its statistics are each position's own, computed as it runs
    return Step(volume, 2 * volume.c)


@STEPS.register("groupnorm")
def _groupnorm(layer: GroupNorm, volume: Volume, problem: Problem) -> Step:
    if volume.c % layer.groups:
        problem("groups", f"groups {layer.groups} must divide the input channels ({volume.c})", option="groups")
    elif volume.c // layer.groups == 1 and volume.is_point:
        problem(
            "groupnorm-one",
            f"needs more than one value per group: {layer.groups} groups of one channel on a {_point(volume)} map "
            "would each "
            "be normalised over its one value (PyTorch refuses it for a single sample)",
            option="groups",
        )
    return Step(volume, 2 * volume.c, statistics=True)


@STEPS.register("instancenorm")
def _instancenorm(layer: InstanceNorm, volume: Volume, problem: Problem) -> Step:
    if volume.is_point:
        problem(
            "instancenorm-1x1",
            f"needs more than one position: on a {_point(volume)} map each channel would be normalised over its one "
            "value "
            "(PyTorch refuses it)",
        )
    return Step(volume, 2 * volume.c if layer.affine else 0, statistics=True)


@STEPS.register("squeeze_excite")
def _squeeze_excite(layer: SqueezeExcite, volume: Volume, problem: Problem) -> Step:
    c, s = volume.c, layer.squeeze
    # the 1 x 1 convs c -> s and s -> c, with bias, on the 1 x 1 x c global average: a MAC per weight
    return Step(volume, 2 * c * s + s + c, 0, 2 * c * s, statistics=True)


@STEPS.register("scale")
def _scale(layer: Scale, volume: Volume, problem: Problem) -> Step:
    return Step(volume, volume.c)


@STEPS.register("prelu")
def _prelu(layer: PReLU, volume: Volume, problem: Problem) -> Step:
    return Step(volume, volume.c if layer.per_channel else 1)


@STEPS.register("channelshuffle")
def _channelshuffle(layer: ChannelShuffle, volume: Volume, problem: Problem) -> Step:
    if volume.c % layer.groups:
        problem("groups", f"groups {layer.groups} must divide the input channels ({volume.c})", option="groups")
    return Step(volume)


@STEPS.register("dropout", "droppath", *ACTIVATIONS)
def _elementwise(layer: Dropout | DropPath | Activation, volume: Volume, problem: Problem) -> Step:
    return Step(volume)


def _windowed(
    layer: Conv | Pool,
    volume: Volume,
    kernel: PerAxis,
    dilation: PerAxis,
    problem: Problem,
    option: str,
    ceil: bool = False,
) -> tuple[Axis, ...]:
    """Every axis of a conv or pool resolved, and a warning where the floor leaves input out; ShapeError naming
    `option`, the window's, where the window does not fit."""
    axes = []
    padding = layer.padding
    for axis, size in enumerate(volume.spatial):
        mode = padding if isinstance(padding, str) else (padding[2 * axis], padding[2 * axis + 1])
        try:
            axes.append(resolve_axis(size, kernel[axis], layer.stride[axis], dilation[axis], mode, ceil))
        except ShapeError as exc:
            raise ShapeError(str(exc), option) from None
    if any(a.unused for a in axes):
        _floored(layer, volume, kernel, dilation, axes, problem)
    return tuple(axes)


# the input's units along each axis, one and many
_UNITS = {1: (("position", "positions"),), 2: (("row", "rows"), ("column", "columns"))}
_UNITS[3] = (("plane", "planes"), *_UNITS[2])


def _floored(
    layer: Conv | Pool, volume: Volume, kernel: PerAxis, dilation: PerAxis, axes: list[Axis], problem: Problem
) -> None:
    """A warning where the floor leaves the last input rows (or columns, planes) out."""
    spans = [effective_kernel(k, d) for k, d in zip(kernel, dilation, strict=True)]
    names = AXIS_NAMES[volume.rank]
    floored = [
        (names[axis], f"({volume[axis] + a.pad_before + a.pad_after} - {spans[axis]}) / {layer.stride[axis]}", a.out,
         a.unused, _UNITS[volume.rank][axis])
        for axis, a in enumerate(axes)
        # a stride wider than the window skips rows between windows anyway: a tail no wider is no news
        if a.unused > max(layer.stride[axis] - spans[axis], 0)
    ]  # fmt: skip
    if len(floored) == volume.rank > 1 and len({found[1:4] for found in floored}) == 1:
        units = [found[4] for found in floored]
        joined = (every_axis(tuple(one for one, _ in units)), every_axis(tuple(many for _, many in units)))
        floored = [(every_axis(names), *floored[0][1:4], joined)]
    for name, division, out, unused, unit in floored:
        # one row and one column are two things: `are`, as for more
        one = f"input {unit[0]} {'are' if ' and ' in unit[0] else 'is'}"
        count = one if unused == 1 else f"{unused} input {unit[1]} are"
        problem(
            "floor",
            f"{name}: {division} is not whole, so the output is floored to {out} and the last {count} left out",
            "warning",
            "stride",
        )


def _sides(axes: tuple[Axis, ...]) -> Sides:
    return tuple(side for a in axes for side in (a.pad_before, a.pad_after))


def _point(volume: Volume) -> str:
    """`1 x 1`, as the map of a vector at its rank."""
    return " x ".join("1" * volume.rank)


@STEPS.register("conv")
def _conv(layer: Conv, volume: Volume, problem: Problem) -> Step:
    if volume.c % layer.groups or layer.filters % layer.groups:
        problem(
            "groups",
            f"groups {layer.groups} must divide both the input channels ({volume.c}) and the filters ({layer.filters})",
            option="groups",
        )
    axes = _windowed(layer, volume, layer.kernel, layer.dilation, problem, "kernel")
    weights_per_filter = _product(layer.kernel) * (volume.c // layer.groups)
    trainable = layer.filters * weights_per_filter + (layer.filters if layer.bias else 0)
    windows = tuple(
        Taps.sliding(f, s, a.pad_before, d)
        for f, d, s, a in zip(layer.kernel, layer.dilation, layer.stride, axes, strict=True)
    )
    out = Volume(*(a.out for a in axes), layer.filters)
    return Step(out, trainable, 0, out.elements * weights_per_filter, _sides(axes), windows, reads_flattened=True)


@STEPS.register("convtranspose")
def _convtranspose(layer: ConvTranspose, volume: Volume, problem: Problem) -> Step:
    if volume.c % layer.groups or layer.filters % layer.groups:
        problem(
            "groups",
            f"groups {layer.groups} must divide both the input channels ({volume.c}) and the filters ({layer.filters})",
            option="groups",
        )
    sizes, cuts, windows = [], [], []
    for axis in range(volume.rank):
        k, s, d, extra = layer.kernel[axis], layer.stride[axis], layer.dilation[axis], layer.output_padding[axis]
        padding = layer.padding
        if padding == "same":
            if extra:
                raise ShapeError("`same` takes no output_padding: its output is h s", "output_padding")
            before, after = transposed_same_padding(k, s, d)
        elif isinstance(padding, str):  # valid
            before = after = 0
        else:
            before, after = padding[2 * axis], padding[2 * axis + 1]
        sizes.append(transposed_output(volume[axis], k, s, before, after, d, extra))
        cuts += [before, after]
        windows.append(Taps.transposed(k, s, before, d))
    per_input = _product(layer.kernel) * (layer.filters // layer.groups)
    trainable = volume.c * per_input + (layer.filters if layer.bias else 0)
    return Step(
        Volume(*sizes, layer.filters),
        trainable,
        0,
        volume.elements * per_input,  # every input pixel times its filter, as fvcore counts
        tuple(cuts),
        tuple(windows),
        reads_flattened=True,
    )


@STEPS.register("maxpool", "avgpool")
def _pool(layer: Pool, volume: Volume, problem: Problem) -> Step:
    if layer.ceil and layer.padding == "same":
        problem("ceil-same", "ceil goes with explicit padding only, not with `same`", option="ceil")
    if not isinstance(layer.padding, str):
        limits = tuple(size // 2 for size in layer.size)
        if any(p > limits[index // 2] for index, p in enumerate(layer.padding)):
            problem(
                "pool-padding",
                f"pool padding {_padding_text(layer.padding)} is more than half the window "
                f"{'x'.join(map(str, layer.size))} (at most {', '.join(map(str, limits))}); PyTorch refuses it",
                option="padding",
            )
    axes = _windowed(layer, volume, layer.size, (1,) * volume.rank, problem, "size", layer.ceil)
    windows = tuple(Taps.sliding(f, s, a.pad_before) for f, s, a in zip(layer.size, layer.stride, axes, strict=True))
    return Step(Volume(*(a.out for a in axes), volume.c), padding=_sides(axes), windows=windows)


def _padding_text(sides: Sides) -> str:
    if len(set(sides)) == 1:
        return str(sides[0])
    return f"({', '.join(map(str, sides))})"


def _product(sizes: PerAxis) -> int:
    count = 1
    for size in sizes:
        count *= size
    return count
