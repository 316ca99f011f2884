"""The computation: volumes, parameters, MACs and receptive fields, layer by layer.

Pure functions over the records of `spec`; no I/O, no click, no rich, no yaml.
Every size is an exact integer, computed per axis (height, then width).
"""

# annotations stay eager here: NamedTuple would compile every string annotation at start-up
from collections.abc import Callable
from typing import NamedTuple

from .diagnostics import Diagnostic, SpecError, error, warning
from .spec import (
    Activation,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    GlobalPool,
    Layer,
    Pair,
    Pool,
    Sides,
    Spec,
    Volume,
)

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
AXES = ("height", "width")


# reports a problem with the layer at hand: (code, message, severity, option), located at the option if given
Problem = Callable[..., None]


class ShapeError(ValueError):
    """A layer that cannot be applied to its input, e.g. a kernel larger than the padded input."""


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The span a dilated kernel covers: `d (f - 1) + 1`."""
    return dilation * (kernel - 1) + 1


def conv_output(
    size: int, kernel: int, stride: int = 1, pad_before: int = 0, pad_after: int = 0, dilation: int = 1
) -> int:
    """`floor((h + p_before + p_after - k) / s) + 1`, the lecture's `(h + 2p - f) / s + 1`."""
    k = effective_kernel(kernel, dilation)
    padded = size + pad_before + pad_after
    if padded < k:
        raise ShapeError(_too_large(size, kernel, dilation, pad_before, pad_after))
    # floor, as the frameworks do: a last partial window is dropped
    return (padded - k) // stride + 1


def pool_output(
    size: int, kernel: int, stride: int, pad_before: int = 0, pad_after: int = 0, ceil: bool = False
) -> int:
    """A pooling window count; with `ceil` the last window may hang past the padded input (PyTorch `ceil_mode`)."""
    if not ceil:
        return conv_output(size, kernel, stride, pad_before, pad_after)
    out = -(-(size + pad_before + pad_after - kernel) // stride) + 1
    # PyTorch drops a last window that would start beyond the input and its leading padding
    if (out - 1) * stride >= size + pad_before:
        out -= 1
    if out < 1:
        raise ShapeError(_too_large(size, kernel, 1, pad_before, pad_after))
    return out


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME: `out = ceil(h / s)`, the padding it needs split with the odd one after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - size, 0)
    return total // 2, total - total // 2


def _too_large(size: int, kernel: int, dilation: int, pad_before: int, pad_after: int) -> str:
    k = effective_kernel(kernel, dilation)
    span = f"kernel {kernel}" if dilation == 1 else f"dilated kernel {k} (kernel {kernel}, dilation {dilation})"
    padded = (
        f"{size + pad_before + pad_after} ({size} + {pad_before} + {pad_after})"
        if pad_before or pad_after
        else str(size)
    )
    return f"{span} is larger than the padded input {padded}"


class Axis(NamedTuple):
    """One axis of a windowed layer, resolved: output size, padding applied, and rows the floor drops."""

    out: int
    pad_before: int
    pad_after: int
    unused: int


def resolve_axis(
    size: int, kernel: int, stride: int, dilation: int, padding: str | tuple[int, int], ceil: bool = False
) -> Axis:
    if padding == "same":
        before, after = same_padding(size, kernel, stride, dilation)
        return Axis(-(-size // stride), before, after, 0)
    before, after = padding if isinstance(padding, tuple) else (0, 0)
    if ceil:
        return Axis(pool_output(size, kernel, stride, before, after, ceil=True), before, after, 0)
    out = conv_output(size, kernel, stride, before, after, dilation)
    return Axis(out, before, after, (size + before + after - effective_kernel(kernel, dilation)) % stride)


class LayerResult(NamedTuple):
    """One row of the summary: what a layer outputs, what it learns, what it sees."""

    number: int  # 1-based position in the spec
    layer: Layer
    output: Volume
    trainable_params: int = 0
    non_trainable_params: int = 0
    macs: int = 0
    receptive_field: Pair = (1, 1)
    jump: Pair = (1, 1)
    effective_padding: Pair = (0, 0)
    padding: Sides | None = None  # the zero padding applied, for windowed layers
    covers_input: tuple[bool, bool] = (False, False)  # the first output's field spans the whole input

    @property
    def kind(self) -> str:
        return self.layer.kind

    @property
    def name(self) -> str | None:
        return self.layer.name

    @property
    def params(self) -> int:
        """Keras's "Total params": trainable plus batchnorm's moving statistics."""
        return self.trainable_params + self.non_trainable_params


class Totals(NamedTuple):
    trainable_params: int
    non_trainable_params: int
    macs: int
    output: Volume
    receptive_field: Pair
    jump: Pair
    activation_elements: int  # input plus every layer's output, one sample

    @property
    def params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    @property
    def flops(self) -> int:
        """FLOPs as 2 x MACs (one multiply and one add each)."""
        return 2 * self.macs


class Report(NamedTuple):
    name: str | None
    input: Volume
    layers: tuple[LayerResult, ...]
    totals: Totals
    warnings: tuple[Diagnostic, ...]


class Memory(NamedTuple):
    param_bytes: int
    activation_bytes: int


def memory(report: Report, batch: int = 1, dtype: str = "float32") -> Memory:
    """Bytes for the parameters, and for every activation (input and all outputs) of a batch."""
    size = DTYPE_BYTES[dtype]
    return Memory(report.totals.params * size, report.totals.activation_elements * batch * size)


class _Field:
    """Receptive-field state along one axis (Araujo et al., Distill 2019): field r, jump j, effective padding P."""

    __slots__ = ("j", "p", "r")

    def __init__(self) -> None:
        self.r, self.j, self.p = 1, 1, 0

    def window(self, kernel: int, stride: int, pad_before: int) -> None:
        self.p += pad_before * self.j
        self.r += (kernel - 1) * self.j
        self.j *= stride

    def whole(self, size: int) -> None:
        """A filter covering all `size` positions: a global pool, or a dense layer after flatten."""
        self.r += (size - 1) * self.j


def analyse(spec: Spec) -> Report:
    """Compute every layer of `spec`; raise SpecError listing all errors found."""
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    fields = (_Field(), _Field())
    volume = spec.input
    flattened: Pair | None = None  # the spatial size a flatten folded into channels, until a layer mixes it
    results: list[LayerResult] = []
    elements = volume.h * volume.w * volume.c

    for index, layer in enumerate(spec.layers, start=1):
        problem = _reporter(layer, index, errors, warnings)
        try:
            step = _step(layer, volume, problem)
        except ShapeError as exc:
            problem("shape", str(exc), option="kernel" if isinstance(layer, Conv) else "size")
            break
        if isinstance(layer, Flatten):
            flattened = flattened or (volume.h, volume.w)
        elif isinstance(layer, (Conv, Dense, GlobalPool)) and flattened:
            # a channel-mixing layer after flatten sees every position the flatten folded together
            for field, size in zip(fields, flattened, strict=True):
                field.whole(size)
            flattened = None
        if isinstance(layer, GlobalPool):
            for field, size in zip(fields, (volume.h, volume.w), strict=True):
                field.whole(size)
        if step.windows:
            for field, (kernel, stride, pad_before) in zip(fields, step.windows, strict=True):
                field.window(kernel, stride, pad_before)
        volume = step.output
        elements += volume.h * volume.w * volume.c
        results.append(
            LayerResult(
                number=index,
                layer=layer,
                output=volume,
                trainable_params=step.trainable,
                non_trainable_params=step.non_trainable,
                macs=step.macs,
                receptive_field=(fields[0].r, fields[1].r),
                jump=(fields[0].j, fields[1].j),
                effective_padding=(fields[0].p, fields[1].p),
                padding=step.padding,
                covers_input=(
                    fields[0].r - fields[0].p >= spec.input.h,
                    fields[1].r - fields[1].p >= spec.input.w,
                ),
            )
        )

    if errors:
        raise SpecError(errors)
    totals = Totals(
        trainable_params=sum(r.trainable_params for r in results),
        non_trainable_params=sum(r.non_trainable_params for r in results),
        macs=sum(r.macs for r in results),
        output=volume,
        receptive_field=(fields[0].r, fields[1].r),
        jump=(fields[0].j, fields[1].j),
        activation_elements=elements,
    )
    return Report(spec.name, spec.input, tuple(results), totals, tuple(warnings))


def _reporter(layer: Layer, index: int, errors: list[Diagnostic], warnings: list[Diagnostic]) -> Problem:
    """Report problems with one layer, located at the layer."""

    def problem(code: str, message: str, severity: str = "error", option: str | None = None) -> None:
        loc = layer.option_locs.get(option, layer.loc) if option else layer.loc
        found = (error if severity == "error" else warning)(code, message, loc, index, layer.kind)
        (errors if severity == "error" else warnings).append(found)

    return problem


class _Step(NamedTuple):
    output: Volume
    trainable: int = 0
    non_trainable: int = 0
    macs: int = 0
    padding: Sides | None = None
    windows: tuple[tuple[int, int, int], ...] = ()  # per axis: effective kernel, stride, padding before


def _step(layer: Layer, volume: Volume, problem: Problem) -> _Step:
    if isinstance(layer, Conv):
        return _conv(layer, volume, problem)
    if isinstance(layer, Pool):
        return _pool(layer, volume, problem)
    if isinstance(layer, Dense):
        n = volume.h * volume.w * volume.c
        if (volume.h, volume.w) != (1, 1):
            problem("dense-volume", f"dense needs a 1 x 1 x n input, got {volume}: add `flatten` before it")
        return _Step(
            Volume(1, 1, layer.units), layer.units * n + (layer.units if layer.bias else 0), 0, n * layer.units
        )
    if isinstance(layer, GlobalPool):
        return _Step(Volume(1, 1, volume.c))
    if isinstance(layer, Flatten):
        return _Step(Volume(1, 1, volume.h * volume.w * volume.c))
    if isinstance(layer, BatchNorm):
        # gamma and beta are learned; the moving mean and variance are not (Keras counts them, PyTorch keeps buffers)
        return _Step(volume, 2 * volume.c, 2 * volume.c)
    if isinstance(layer, (Dropout, Activation)):
        return _Step(volume)
    raise TypeError(f"no rule for layer kind {layer.kind!r}")


def _windowed(layer: Conv | Pool, volume: Volume, kernel: Pair, dilation: Pair, problem: Problem) -> tuple[Axis, Axis]:
    ceil = isinstance(layer, Pool) and layer.ceil
    axes = []
    for axis in range(2):
        padding = layer.padding
        mode = padding if isinstance(padding, str) else (padding[2 * axis], padding[2 * axis + 1])
        axes.append(resolve_axis(volume[axis], kernel[axis], layer.stride[axis], dilation[axis], mode, ceil))
    h, w = axes
    floored = [
        (name, f"({volume[axis] + a.pad_before + a.pad_after} - {effective_kernel(kernel[axis], dilation[axis])})"
         f" / {layer.stride[axis]}", a.out, a.unused, unit)
        for axis, (a, name, unit) in enumerate(zip(axes, AXES, ("row", "column"), strict=True))
        if a.unused
    ]  # fmt: skip
    if len(floored) == 2 and floored[0][1:4] == floored[1][1:4]:
        floored = [("height and width", *floored[0][1:4], "row and column")]
    for name, division, out, unused, unit in floored:
        count = f"{unit}" if unused == 1 else f"{unused} {unit.replace('row', 'rows').replace('column', 'columns')}"
        problem(
            "floor",
            f"{name}: {division} is not whole, so the output is floored to {out} and the last {count}"
            " of the padded input are left out",
            "warning",
            "stride",
        )
    return h, w


def _sides(h: Axis, w: Axis) -> Sides:
    return (h.pad_before, h.pad_after, w.pad_before, w.pad_after)


def _conv(layer: Conv, volume: Volume, problem: Problem) -> _Step:
    if volume.c % layer.groups or layer.filters % layer.groups:
        problem(
            "groups",
            f"groups {layer.groups} must divide both the input channels ({volume.c}) and the filters ({layer.filters})",
            option="groups",
        )
    h, w = _windowed(layer, volume, layer.kernel, layer.dilation, problem)
    fh, fw = layer.kernel
    weights_per_filter = fh * fw * (volume.c // layer.groups)
    trainable = layer.filters * weights_per_filter + (layer.filters if layer.bias else 0)
    windows = tuple(
        (effective_kernel(f, d), s, a.pad_before)
        for f, d, s, a in zip(layer.kernel, layer.dilation, layer.stride, (h, w), strict=True)
    )
    return _Step(
        Volume(h.out, w.out, layer.filters),
        trainable,
        0,
        h.out * w.out * layer.filters * weights_per_filter,
        _sides(h, w),
        windows,
    )


def _pool(layer: Pool, volume: Volume, problem: Problem) -> _Step:
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
    h, w = _windowed(layer, volume, layer.size, (1, 1), problem)
    windows = tuple((f, s, a.pad_before) for f, s, a in zip(layer.size, layer.stride, (h, w), strict=True))
    return _Step(Volume(h.out, w.out, volume.c), padding=_sides(h, w), windows=windows)


def _padding_text(sides: Sides) -> str:
    top, bottom, left, right = sides
    if top == bottom == left == right:
        return str(top)
    return f"({top}, {bottom}, {left}, {right})"
