"""The lecture's formulas with a layer's numbers put in: how each number of the summary was found.

Pure: takes a computed row (`LayerResult`) and returns lines of text; the numbers themselves come from the
engine, and each line shows the arithmetic that reproduces them.
"""

from __future__ import annotations

from fractions import Fraction

from .exact import decimal, significant
from .fields import Field
from .formulas import ceil_div, effective_kernel
from .kinds import ByKind
from .report import LayerResult, dense_view
from .spec import (
    ACTIVATIONS,
    Activation,
    BatchNorm,
    Concat,
    Conv,
    Dense,
    Dropout,
    Flatten,
    GlobalPool,
    Layer,
    Pair,
    Pool,
    Repeat,
    Residual,
    ZeroPad,
)


def number(value: Fraction | int) -> str:
    """An exact value: `54.25` where the decimal ends, `1024/9` where it does not."""
    value = Fraction(value)
    written = decimal(value)
    if written is not None:
        return written
    return f"{value.numerator}/{value.denominator} (about {significant(value)})"


def explain(result: LayerResult) -> list[str]:
    """The formulas behind one row: output size, padding, parameters, MACs, receptive field."""
    # the formulas print the layer's own options: its record, read through its kind's entry
    lines: list[str] = EXPLAIN[result.kind](result.layer, result)
    return lines + _field(result)


# each kind's formulas, before its receptive field's
EXPLAIN = ByKind("explain.EXPLAIN")


@EXPLAIN.register("conv")
def _conv(layer: Conv, result: LayerResult) -> list[str]:
    fh, fw = layer.kernel
    c = result.input.c
    weights = f"{fh}*{fw}*{c}" + (f"/{layer.groups}" if layer.groups != 1 else "")
    per_filter = f"({weights} + 1)" if layer.bias else weights
    oh, ow, k = result.output
    return [
        *_window_sizes(result),
        f"output = h' x w' x K = {result.output}: one channel per filter",
        f"params = K * {per_filter} = {k} * {per_filter} = {result.params:,}",
        f"MACs = h'*w'*K * {weights} = {oh}*{ow}*{k} * {weights} = {result.macs:,}",
    ]


@EXPLAIN.register("maxpool", "avgpool")
def _pool(layer: Pool, result: LayerResult) -> list[str]:
    return [
        *_window_sizes(result),
        f"output = h' x w' x c = {result.output}: pooling keeps the channels",
        "params = 0: pooling learns nothing",
    ]


@EXPLAIN.register("dense")
def _dense(layer: Dense, result: LayerResult) -> list[str]:
    n = result.input.c
    bias = f"({n} + 1)" if layer.bias else f"{n}"
    return [f"params = {layer.units} * {bias} = {result.params:,}", f"MACs = {n} * {layer.units} = {result.macs:,}"]


@EXPLAIN.register("batchnorm")
def _batchnorm(layer: BatchNorm, result: LayerResult) -> list[str]:
    c = result.input.c
    return [
        f"params = 2*{c} trainable (gamma, beta) + 2*{c} non-trainable (moving mean and variance) = {result.params:,}"
    ]


@EXPLAIN.register("flatten")
def _flatten(layer: Flatten, result: LayerResult) -> list[str]:
    h, w, c = result.input
    return [f"output = 1 x 1 x ({h}*{w}*{c}) = {result.output}: a vector of {result.output.c:,}"]


@EXPLAIN.register("globalavgpool", "globalmaxpool")
def _global_pool(layer: GlobalPool, result: LayerResult) -> list[str]:
    return [f"output = 1 x 1 x {result.output.c}: one value per channel of the {result.input} input"]


@EXPLAIN.register("zeropad")
def _zeropad(layer: ZeroPad, result: LayerResult) -> list[str]:
    top, bottom, left, right = layer.padding
    (h, w, _), (out_h, out_w, _) = result.input, result.output
    sizes = [f"h' = w' = {h} + {top} + {bottom} = {out_h}"]
    if (h, top, bottom) != (w, left, right):
        sizes = [f"h' = {h} + {top} + {bottom} = {out_h}", f"w' = {w} + {left} + {right} = {out_w}"]
    return [
        *sizes,
        f"output = h' x w' x c = {result.output}: the map framed in zeros",
        "params = 0: padding learns nothing",
    ]


@EXPLAIN.register("dropout", *ACTIVATIONS)
def _no_formula(layer: Dropout | Activation, result: LayerResult) -> list[str]:
    return []


@EXPLAIN.register("repeat")
def _repeat(layer: Repeat, result: LayerResult) -> list[str]:
    return [f"{layer.times} times its layers: params {result.params:,}, MACs {result.macs:,}"]


@EXPLAIN.register("residual")
def _residual(layer: Residual, result: LayerResult) -> list[str]:
    return [f"output = layers(x) + shortcut(x) = {result.output}; params and MACs: the sums of its layers"]


@EXPLAIN.register("concat")
def _concat(layer: Concat, result: LayerResult) -> list[str]:
    channels = " + ".join(str(c) for c in _branch_channels(result))
    return [f"output channels = {channels} = {result.output.c}" if channels else f"output = {result.output}"]


# the window of each kind that slides one: its size, dilation and stride per axis; None for the others
WINDOWS = ByKind("explain.WINDOWS")


@WINDOWS.register("conv")
def _conv_window(layer: Conv) -> tuple[Pair, Pair, Pair]:
    return layer.kernel, layer.dilation, layer.stride


@WINDOWS.register("maxpool", "avgpool")
def _pool_window(layer: Pool) -> tuple[Pair, Pair, Pair]:
    return layer.size, (1, 1), layer.stride


@WINDOWS.register(
    "zeropad",
    "dense",
    "batchnorm",
    "flatten",
    "globalavgpool",
    "globalmaxpool",
    "dropout",
    *ACTIVATIONS,
    "repeat",
    "residual",
    "concat",
)
def _no_window(layer: Layer) -> None:
    return None


def fc_view(result: LayerResult) -> list[str]:
    """A conv as the dense layer it replaces: fewer connections (sparsity), and those few sharing weights."""
    view = dense_view(result)
    layer = result.layer
    if view is None or not isinstance(layer, Conv):
        return []
    h, w, c = result.input
    oh, ow, k = result.output
    fh, fw = layer.kernel
    inputs = f"{fh}*{fw}*{c}" + (f"/{layer.groups}" if layer.groups != 1 else "")
    dense_weights = view.dense_params - oh * ow * k
    return [
        f"as a dense layer from {result.input} to {result.output}: ({h}*{w}*{c}) * ({oh}*{ow}*{k}) = "
        f"{dense_weights:,} weights and {oh * ow * k:,} biases",
        f"sparsity: each of the {oh * ow * k:,} outputs sees {inputs} = {view.inputs_per_output:,} inputs, "
        f"{view.connections:,} connections in all: {number(Fraction(dense_weights, view.connections))} times "
        "fewer than dense",
        f"sharing: the {k} filters serve all {oh}*{ow} = {oh * ow:,} positions, so {result.trainable_params:,} "
        f"parameters make the {view.connections:,} connections: "
        f"{number(Fraction(view.connections, k * view.inputs_per_output))} times fewer weights than connections",
    ]


def _branch_channels(result: LayerResult) -> list[int]:
    if result.folded:
        return []
    return [branch[-1].output.c if branch else result.input.c for branch in result.branches]


def _window_sizes(result: LayerResult) -> list[str]:
    """h' and w' from the lecture's (h + 2p - f) / s + 1, with SAME's padding found first."""
    layer = result.layer
    assert isinstance(layer, (Conv, Pool)) and result.padding is not None
    window, dilation, _ = WINDOWS[result.kind](layer)
    ceil = isinstance(layer, Pool) and layer.ceil
    lines = []
    per_axis = []
    for axis, name in enumerate(("h", "w")):
        size, stride, out = result.input[axis], layer.stride[axis], result.output[axis]
        before, after = result.padding[2 * axis], result.padding[2 * axis + 1]
        per_axis.append((name, size, window[axis], dilation[axis], stride, before, after, out))
    same_axes = per_axis[0][1:] == per_axis[1][1:]
    for name, size, kernel, dilation_, stride, before, after, out in per_axis[:1] if same_axes else per_axis:
        label = "h' = w'" if same_axes else f"{name}'"
        k = effective_kernel(kernel, dilation_)
        dilated = f"k = d (f - 1) + 1 = {dilation_}*({kernel} - 1) + 1 = {k}: the dilated window"
        if dilation_ != 1 and dilated not in lines:
            lines.append(dilated)
        if layer.padding == "same":
            total = before + after
            needed = f"max(({out} - 1)*{stride} + {k} - {size}, 0)"
            lines.append(
                f"SAME: {label} = ceil({size} / {stride}) = {out}; padding = {needed} = {total}: "
                f"{before} before, {after} after"
            )
        pads = f"2*{before}" if before == after else f"{before} + {after}"
        top = size + before + after - k
        division = f"({size} + {pads} - {k}) / {stride}"
        if ceil:
            whole = ceil_div(top, stride) + 1
            quotient = f"{top // stride}" if top % stride == 0 else f"ceil({number(Fraction(top, stride))})"
            line = f"{label} = ceil({division}) + 1 = {quotient} + 1 = {whole}"
            if whole != out:
                line += f", less the last window, which would start past the input: {out}"
            lines.append(line)
        elif top % stride == 0:
            lines.append(f"{label} = {division} + 1 = {top // stride} + 1 = {out}")
        else:
            lines.append(
                f"{label} = floor({division}) + 1 = floor({number(Fraction(top, stride))}) + 1 = {out}: "
                "the last partial window is dropped"
            )
    return lines


def _field(result: LayerResult) -> list[str]:
    """r and j after the layer: r = r_in + (k - 1) j_in, j = j_in s."""
    layer = result.layer
    lines = []
    axes = (
        [("", 0)] if result.field_in[0] == result.field_in[1] and _same_window(result) else [(" (h)", 0), (" (w)", 1)]
    )
    for suffix, axis in axes:
        field_in = result.field_in[axis]
        r, j = result.receptive_field[axis], result.jump[axis]
        sliding = WINDOWS[result.kind](layer)
        if not field_in.even or not result.fields[axis].even:
            lines.append(_uneven(result.fields[axis], suffix))
        elif sliding:
            window, dilation, strides = sliding
            k = effective_kernel(window[axis], dilation[axis])
            stride = strides[axis]
            lines.append(
                f"r{suffix} = {field_in.r} + ({k} - 1) * {field_in.j} = {r}; j = {field_in.j} * {stride} = {j}"
            )
        elif r != field_in.r and isinstance(field_in.j, int):
            # a filter over the whole map: a global pool, or a dense layer after flatten
            span = (r - field_in.r) // field_in.j + 1
            lines.append(
                f"r{suffix} = {field_in.r} + ({span} - 1) * {field_in.j} = {r}: a filter over the whole {span}-wide map"
            )
    return lines


def _uneven(field: Field, suffix: str) -> str:
    """A field whose outputs see windows of different sizes: the windows of one period, and what they come to."""
    shown = 4
    windows = []
    for o in range(min(field.period, shown)):
        window = field.at(o)
        windows.append(f"{o}: none" if window is None else f"{o}: {window[0]} to {window[1]}")
    more = f", ... (every {field.period} outputs, {field.shift} pixels on)" if field.period > shown else ""
    if field.period == 1:
        return f"r{suffix} = {field.r}; j = {field.j}: every output sees {field.r} input pixels"
    return (
        f"r{suffix} = {field.r}, j = {field.j}: windows carried output by output, not by r += (k - 1) j; they "
        f"repeat every {field.period} outputs, {field.shift} input pixels on ({'; '.join(windows)}{more}); "
        "r is the widest"
    )


def _same_window(result: LayerResult) -> bool:
    layer = result.layer
    sliding: tuple[Pair, Pair, Pair] | None = WINDOWS[result.kind](layer)
    if sliding is None:
        return result.receptive_field[0] == result.receptive_field[1]
    window, dilation, stride = sliding
    return window[0] == window[1] and stride[0] == stride[1] and dilation[0] == dilation[1]
