"""The lecture's formulas with a layer's numbers put in: how each number of the summary was found.

Pure: takes a computed row (`LayerResult`) and returns lines of text; the numbers themselves come from the
engine, and each line shows the arithmetic that reproduces them.
"""

from __future__ import annotations

from fractions import Fraction

from .engine import LayerResult, ceil_div, dense_view, effective_kernel
from .exact import decimal, significant
from .spec import BatchNorm, Concat, Conv, Dense, Flatten, GlobalPool, Pool, Repeat, Residual


def number(value: Fraction | int) -> str:
    """An exact value: `54.25` where the decimal ends, `1024/9` where it does not."""
    value = Fraction(value)
    written = decimal(value)
    if written is not None:
        return written
    return f"{value.numerator}/{value.denominator} (about {significant(value)})"


def explain(result: LayerResult) -> list[str]:
    """The formulas behind one row: output size, padding, parameters, MACs, receptive field."""
    layer = result.layer
    lines: list[str] = []
    if isinstance(layer, (Conv, Pool)):
        lines += _window_sizes(result)
        lines.append(_output_line(result))
        lines += _parameters(result)
    elif isinstance(layer, Dense):
        n = result.input.c
        bias = f"({n} + 1)" if layer.bias else f"{n}"
        lines.append(f"params = {layer.units} * {bias} = {result.params:,}")
        lines.append(f"MACs = {n} * {layer.units} = {result.macs:,}")
    elif isinstance(layer, BatchNorm):
        c = result.input.c
        lines.append(
            f"params = 2*{c} trainable (gamma, beta) + 2*{c} non-trainable (moving mean and variance) = "
            f"{result.params:,}"
        )
    elif isinstance(layer, Flatten):
        h, w, c = result.input
        lines.append(f"output = 1 x 1 x ({h}*{w}*{c}) = {result.output}: a vector of {result.output.c:,}")
    elif isinstance(layer, GlobalPool):
        lines.append(f"output = 1 x 1 x {result.output.c}: one value per channel of the {result.input} input")
    elif isinstance(layer, Repeat):
        lines.append(f"{layer.times} times its layers: params {result.params:,}, MACs {result.macs:,}")
    elif isinstance(layer, Residual):
        lines.append(f"output = layers(x) + shortcut(x) = {result.output}; params and MACs: the sums of its layers")
    elif isinstance(layer, Concat):
        channels = " + ".join(str(c) for c in _branch_channels(result))
        lines.append(f"output channels = {channels} = {result.output.c}" if channels else f"output = {result.output}")
    lines += _field(result)
    return lines


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
    window = layer.kernel if isinstance(layer, Conv) else layer.size
    dilation = layer.dilation if isinstance(layer, Conv) else (1, 1)
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


def _output_line(result: LayerResult) -> str:
    if isinstance(result.layer, Conv):
        return f"output = h' x w' x K = {result.output}: one channel per filter"
    return f"output = h' x w' x c = {result.output}: pooling keeps the channels"


def _parameters(result: LayerResult) -> list[str]:
    layer = result.layer
    if not isinstance(layer, Conv):
        return ["params = 0: pooling learns nothing"]
    fh, fw = layer.kernel
    c = result.input.c
    weights = f"{fh}*{fw}*{c}" + (f"/{layer.groups}" if layer.groups != 1 else "")
    per_filter = f"({weights} + 1)" if layer.bias else weights
    oh, ow, k = result.output
    return [
        f"params = K * {per_filter} = {k} * {per_filter} = {result.params:,}",
        f"MACs = h'*w'*K * {weights} = {oh}*{ow}*{k} * {weights} = {result.macs:,}",
    ]


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
        if isinstance(layer, (Conv, Pool)):
            window = layer.kernel if isinstance(layer, Conv) else layer.size
            dilation = layer.dilation[axis] if isinstance(layer, Conv) else 1
            k = effective_kernel(window[axis], dilation)
            stride = layer.stride[axis]
            lines.append(
                f"r{suffix} = {field_in.r} + ({k} - 1) * {field_in.j} = {r}; j = {field_in.j} * {stride} = {j}"
            )
        elif r != field_in.r and field_in.j:
            # a filter over the whole map: a global pool, or a dense layer after flatten
            span = (r - field_in.r) // field_in.j + 1
            lines.append(
                f"r{suffix} = {field_in.r} + ({span} - 1) * {field_in.j} = {r}: a filter over the whole {span}-wide map"
            )
    return lines


def _same_window(result: LayerResult) -> bool:
    layer = result.layer
    if isinstance(layer, Conv):
        return (
            layer.kernel[0] == layer.kernel[1]
            and layer.stride[0] == layer.stride[1]
            and layer.dilation[0] == layer.dilation[1]
        )
    if isinstance(layer, Pool):
        return layer.size[0] == layer.size[1] and layer.stride[0] == layer.stride[1]
    return result.receptive_field[0] == result.receptive_field[1]
