"""Each leaf kind's rule: the output volume, the parameters and MACs, the padding applied and the windows the
receptive field goes through, for one input volume. Problems are reported through `problem`; a window that does
not fit raises ShapeError."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .fields import Taps
from .formulas import (
    AXES,
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
    Pair,
    Pool,
    PReLU,
    Scale,
    Sides,
    SqueezeExcite,
    Upsample,
    Volume,
    ZeroPad,
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
    n = volume.h * volume.w * volume.c
    if (volume.h, volume.w) != (1, 1):
        problem("dense-volume", f"dense needs a 1 x 1 x n input, got {volume}: add `flatten` before it")
    trainable = layer.units * n + (layer.units if layer.bias else 0)
    return Step(Volume(1, 1, layer.units), trainable, 0, n * layer.units, reads_flattened=True)


@STEPS.register("globalavgpool", "globalmaxpool")
def _global_pool(layer: GlobalPool, volume: Volume, problem: Problem) -> Step:
    return Step(Volume(1, 1, volume.c), whole_map=True, reads_flattened=True)


@STEPS.register("flatten")
def _flatten(layer: Flatten, volume: Volume, problem: Problem) -> Step:
    return Step(Volume(1, 1, volume.h * volume.w * volume.c), flattens=True)


@STEPS.register("zeropad")
def _zeropad(layer: ZeroPad, volume: Volume, problem: Problem) -> Step:
    top, bottom, left, right = layer.padding
    # as a 1 x 1 window stepping by 1 over the padded map: the field moves, and grows by nothing
    return Step(
        Volume(volume.h + top + bottom, volume.w + left + right, volume.c),
        padding=layer.padding,
        windows=(Taps.sliding(1, 1, top), Taps.sliding(1, 1, left)),
    )


@STEPS.register("crop")
def _crop(layer: Crop, volume: Volume, problem: Problem) -> Step:
    sides = _cut(layer, volume, problem)
    top, bottom, left, right = sides
    # as a 1 x 1 window stepping by 1 from `top`: the field moves, and grows by nothing
    return Step(
        Volume(volume.h - top - bottom, volume.w - left - right, volume.c),
        windows=(Taps.sliding(1, 1, -top), Taps.sliding(1, 1, -left)),
    )


def _cut(layer: Crop, volume: Volume, problem: Problem) -> Sides:
    """What a crop cuts from each side; ShapeError where it cuts the whole map or more."""
    if layer.sides is not None:
        if layer.size is not None or layer.offset is not None:
            both = "size" if layer.size is not None else "offset"
            raise ShapeError(f"crop takes `sides`, or `size` and `offset`, not both: drop `{both}`", "sides")
        top, bottom, left, right = layer.sides
        for axis, (before, after) in enumerate(((top, bottom), (left, right))):
            if before + after >= volume[axis]:
                raise ShapeError(
                    f"{AXES[axis]}: cutting {before} + {after} leaves nothing of the input's {volume[axis]}", "sides"
                )
        return layer.sides
    if layer.size is None:
        raise ShapeError("crop needs `size` (with `offset`, or centred) or `sides`")
    cuts = []
    for axis in range(2):
        kept, size = layer.size[axis], volume[axis]
        if kept > size:
            raise ShapeError(f"{AXES[axis]}: cannot keep {kept} of the input's {size}", "size")
        before = (size - kept) // 2 if layer.offset is None else layer.offset[axis]
        if before + kept > size:
            raise ShapeError(
                f"{AXES[axis]}: {kept} from offset {before} ends at {before + kept}, past the input's {size}",
                "offset",
            )
        cuts += [before, size - kept - before]
    return cuts[0], cuts[1], cuts[2], cuts[3]


@STEPS.register("upsample")
def _upsample(layer: Upsample, volume: Volume, problem: Problem) -> Step:
    if (layer.scale is None) == (layer.size is None):
        given = "both" if layer.scale is not None else "neither"
        raise ShapeError(
            f"upsample takes `scale` or `size`, one of them; {given} given", "size" if given == "both" else None
        )
    if layer.align_corners and layer.mode == "nearest":
        problem("align-corners", "align_corners goes with `mode: bilinear` only", option="align_corners")
    sizes = layer.size or (volume.h * layer.scale[0], volume.w * layer.scale[1])  # type: ignore[index]
    if layer.mode == "nearest":
        windows = tuple(Taps.nearest(volume[axis], sizes[axis]) for axis in range(2))
    else:
        windows = tuple(Taps.linear(volume[axis], sizes[axis], layer.align_corners) for axis in range(2))
    return Step(Volume(sizes[0], sizes[1], volume.c), windows=windows)


@STEPS.register("adaptiveavgpool", "adaptivemaxpool")
def _adaptive_pool(layer: AdaptivePool, volume: Volume, problem: Problem) -> Step:
    windows = tuple(Taps.adaptive(volume[axis], layer.size[axis]) for axis in range(2))
    return Step(Volume(layer.size[0], layer.size[1], volume.c), windows=windows)


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
    elif volume.c // layer.groups * volume.h * volume.w == 1:
        problem(
            "groupnorm-one",
            f"needs more than one value per group: {layer.groups} groups of one channel on a 1 x 1 map would each "
            "be normalised over its one value (PyTorch refuses it for a single sample)",
            option="groups",
        )
    return Step(volume, 2 * volume.c, statistics=True)


@STEPS.register("instancenorm")
def _instancenorm(layer: InstanceNorm, volume: Volume, problem: Problem) -> Step:
    if (volume.h, volume.w) == (1, 1):
        problem(
            "instancenorm-1x1",
            "needs more than one position: on a 1 x 1 map each channel would be normalised over its one value "
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
    layer: Conv | Pool, volume: Volume, kernel: Pair, dilation: Pair, problem: Problem, option: str, ceil: bool = False
) -> tuple[Axis, Axis]:
    """Both axes of a conv or pool resolved, and a warning where the floor leaves input out; ShapeError naming
    `option`, the window's, where the window does not fit."""
    axes = []
    for axis in range(2):
        padding = layer.padding
        mode = padding if isinstance(padding, str) else (padding[2 * axis], padding[2 * axis + 1])
        try:
            axes.append(resolve_axis(volume[axis], kernel[axis], layer.stride[axis], dilation[axis], mode, ceil))
        except ShapeError as exc:
            raise ShapeError(str(exc), option) from None
    h, w = axes
    spans = [effective_kernel(kernel[axis], dilation[axis]) for axis in range(2)]
    floored = [
        (name, f"({volume[axis] + a.pad_before + a.pad_after} - {spans[axis]}) / {layer.stride[axis]}", a.out,
         a.unused, unit)
        for axis, (a, name, unit) in enumerate(zip(axes, AXES, ("row", "column"), strict=True))
        # a stride wider than the window skips rows between windows anyway: a tail no wider is no news
        if a.unused > max(layer.stride[axis] - spans[axis], 0)
    ]  # fmt: skip
    if len(floored) == 2 and floored[0][1:4] == floored[1][1:4]:
        floored = [("height and width", *floored[0][1:4], "row and column")]
    for name, division, out, unused, unit in floored:
        count = (
            f"input {unit} is"
            if unused == 1
            else f"{unused} input {unit.replace('row', 'rows').replace('column', 'columns')} are"
        )
        problem(
            "floor",
            f"{name}: {division} is not whole, so the output is floored to {out} and the last {count} left out",
            "warning",
            "stride",
        )
    return h, w


def _sides(h: Axis, w: Axis) -> Sides:
    return (h.pad_before, h.pad_after, w.pad_before, w.pad_after)


@STEPS.register("conv")
def _conv(layer: Conv, volume: Volume, problem: Problem) -> Step:
    if volume.c % layer.groups or layer.filters % layer.groups:
        problem(
            "groups",
            f"groups {layer.groups} must divide both the input channels ({volume.c}) and the filters ({layer.filters})",
            option="groups",
        )
    h, w = _windowed(layer, volume, layer.kernel, layer.dilation, problem, "kernel")
    fh, fw = layer.kernel
    weights_per_filter = fh * fw * (volume.c // layer.groups)
    trainable = layer.filters * weights_per_filter + (layer.filters if layer.bias else 0)
    windows = tuple(
        Taps.sliding(f, s, a.pad_before, d)
        for f, d, s, a in zip(layer.kernel, layer.dilation, layer.stride, (h, w), strict=True)
    )
    return Step(
        Volume(h.out, w.out, layer.filters),
        trainable,
        0,
        h.out * w.out * layer.filters * weights_per_filter,
        _sides(h, w),
        windows,
        reads_flattened=True,
    )


@STEPS.register("convtranspose")
def _convtranspose(layer: ConvTranspose, volume: Volume, problem: Problem) -> Step:
    if volume.c % layer.groups or layer.filters % layer.groups:
        problem(
            "groups",
            f"groups {layer.groups} must divide both the input channels ({volume.c}) and the filters ({layer.filters})",
            option="groups",
        )
    sizes, cuts, windows = [], [], []
    for axis in range(2):
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
    fh, fw = layer.kernel
    per_input = fh * fw * (layer.filters // layer.groups)
    trainable = volume.c * per_input + (layer.filters if layer.bias else 0)
    return Step(
        Volume(sizes[0], sizes[1], layer.filters),
        trainable,
        0,
        volume.h * volume.w * volume.c * per_input,  # every input pixel times its filter, as fvcore counts
        (cuts[0], cuts[1], cuts[2], cuts[3]),
        tuple(windows),
        reads_flattened=True,
    )


@STEPS.register("maxpool", "avgpool")
def _pool(layer: Pool, volume: Volume, problem: Problem) -> Step:
    if layer.ceil and layer.padding == "same":
        problem("ceil-same", "ceil goes with explicit padding only, not with `same`", option="ceil")
    if not isinstance(layer.padding, str):
        limits = (layer.size[0] // 2,) * 2 + (layer.size[1] // 2,) * 2
        if any(p > limit for p, limit in zip(layer.padding, limits, strict=True)):
            problem(
                "pool-padding",
                f"pool padding {_padding_text(layer.padding)} is more than half the window "
                f"{layer.size[0]}x{layer.size[1]} (at most {limits[0]}, {limits[2]}); PyTorch refuses it",
                option="padding",
            )
    h, w = _windowed(layer, volume, layer.size, (1, 1), problem, "size", layer.ceil)
    windows = tuple(Taps.sliding(f, s, a.pad_before) for f, s, a in zip(layer.size, layer.stride, (h, w), strict=True))
    return Step(Volume(h.out, w.out, volume.c), padding=_sides(h, w), windows=windows)


def _padding_text(sides: Sides) -> str:
    top, bottom, left, right = sides
    if top == bottom == left == right:
        return str(top)
    return f"({top}, {bottom}, {left}, {right})"
