"""The lecture's formulas with a layer's numbers put in: how each number of the summary was found.

Pure: takes a computed row (`LayerResult`) and returns lines of text; the numbers themselves come from the
engine, and each line shows the arithmetic that reproduces them.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor, gcd

from .exact import decimal, significant
from .fields import Field
from .formulas import ceil_div, effective_kernel, transposed_same_padding
from .kinds import BLOCKS, ByKind
from .report import LayerResult, dense_view
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
    Layer,
    LayerNorm,
    Merge,
    Pair,
    Pool,
    PReLU,
    Repeat,
    Residual,
    Scale,
    SqueezeExcite,
    Upsample,
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


@EXPLAIN.register("layernorm")
def _layernorm(layer: LayerNorm, result: LayerResult) -> list[str]:
    c = result.input.c
    return [
        f"params = 2*{c} (a scale and a shift per channel) = {result.params:,}: the mean and variance are taken "
        f"over the {c:,} channels at each position as it runs, none kept"
    ]


@EXPLAIN.register("groupnorm")
def _groupnorm(layer: GroupNorm, result: LayerResult) -> list[str]:
    c = result.input.c
    return [
        f"params = 2*{c} (a scale and a shift per channel) = {result.params:,}: each of the {layer.groups} groups of "
        f"{c // layer.groups} channels normalised by its mean and variance over the whole map, as it runs",
        *_STATISTICS,
    ]


@EXPLAIN.register("instancenorm")
def _instancenorm(layer: InstanceNorm, result: LayerResult) -> list[str]:
    c = result.input.c
    learned = "a scale and a shift per channel learned" if layer.affine else "nothing learned (not affine)"
    params = f"2*{c} = {result.params:,}" if layer.affine else "0"
    return [
        f"params = {params}: each channel normalised by its mean and variance over the whole map, {learned}",
        *_STATISTICS,
    ]


@EXPLAIN.register("squeeze_excite")
def _squeeze_excite(layer: SqueezeExcite, result: LayerResult) -> list[str]:
    c, s = result.input.c, layer.squeeze
    between = f", {layer.activation}" if layer.activation else ""
    return [
        f"gate = {layer.gate}(conv 1x1 {s} -> {c}{between}(conv 1x1 {c} -> {s}(globalavgpool(x)))): 1 x 1 x {c}, "
        f"times the map: output {result.output}",
        f"params = 2*{c}*{s} + {s} + {c} = {result.params:,}: the two 1x1 convs' weights and biases",
        f"MACs = 2*{c}*{s} = {result.macs:,}: the two 1x1 convs on the 1 x 1 x {c} average",
        *_STATISTICS,
    ]


_STATISTICS = [
    "the whole map's statistics reach every output: its receptive field holds every input pixel the map sees; the "
    "local field holds them constant"
]


@EXPLAIN.register("scale")
def _scale(layer: Scale, result: LayerResult) -> list[str]:
    return [f"params = c = {result.params:,}: one learned factor per channel"]


@EXPLAIN.register("prelu")
def _prelu(layer: PReLU, result: LayerResult) -> list[str]:
    if layer.per_channel:
        return [f"params = c = {result.params:,}: a learned slope below zero per channel"]
    return ["params = 1: one learned slope below zero for the whole map"]


@EXPLAIN.register("channelshuffle")
def _channelshuffle(layer: ChannelShuffle, result: LayerResult) -> list[str]:
    g, c = layer.groups, result.input.c
    return [
        f"channels read as {g} groups of {c // g} and interleaved: channel g*{c // g} + i goes to i*{g} + g; params = 0"
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


@EXPLAIN.register("convtranspose")
def _convtranspose(layer: ConvTranspose, result: LayerResult) -> list[str]:
    assert result.padding is not None
    h, w, c = result.input
    k = result.output.c
    fh, fw = layer.kernel
    grouped = layer.groups != 1
    weights = f"{fh}*{fw}*{c}" + (f"/{layer.groups}" if grouped else "")
    letters = "kh*kw*c" + ("/g" if grouped else "")
    params = (
        f"params = K * ({letters}) + K = {k} * ({weights}) + {k} = {result.params:,}"
        if layer.bias
        else f"params = K * ({letters}) = {k} * ({weights}) = {result.params:,}"
    )
    filters, filters_letters = (f"({k}/{layer.groups})", "(K/g)") if grouped else (str(k), "K")
    return [
        *_transposed_sizes(layer, result),
        f"output = h' x w' x K = {result.output}: one channel per filter",
        params,
        f"MACs = h*w*c * {filters_letters}*kh*kw = {h}*{w}*{c} * {filters}*{fh}*{fw} = {result.macs:,}: "
        "each input value meets every weight of its filters",
    ]


def _transposed_sizes(layer: ConvTranspose, result: LayerResult) -> list[str]:
    """h' and w' from `(h - 1) s - (p_before + p_after) + d (k - 1) + output_padding + 1`, with SAME's cut first."""
    assert result.padding is not None
    per_axis = [
        (
            result.input[axis],
            layer.kernel[axis],
            layer.stride[axis],
            layer.dilation[axis],
            result.padding[2 * axis],
            result.padding[2 * axis + 1],
            layer.output_padding[axis],
            result.output[axis],
        )
        for axis in range(2)
    ]
    same_axes = per_axis[0] == per_axis[1]
    lines = []
    axes = [("h", per_axis[0])] if same_axes else list(zip("hw", per_axis, strict=True))
    for letter, (size, kernel, stride, dilation, before, after, extra, out) in axes:
        label = "h' = w'" if same_axes else f"{letter}'"
        if layer.padding == "same":
            cut = sum(transposed_same_padding(kernel, stride, dilation))
            lines.append(
                f"SAME: {label} = {letter} s = {size}*{stride} = {out}; padding = d (k - 1) + 1 - s = "
                f"{dilation}*({kernel} - 1) + 1 - {stride} = {cut}: {before} before, {after} after"
            )
        lines.append(
            f"{label} = ({letter} - 1) s - (p_before + p_after) + d (k - 1) + output_padding + 1 = "
            f"({size} - 1)*{stride} - ({before} + {after}) + {dilation}*({kernel} - 1) + {extra} + 1 = {out}"
        )
    return lines


@EXPLAIN.register("upsample")
def _upsample(layer: Upsample, result: LayerResult) -> list[str]:
    (h, w, _), (out_h, out_w, _) = result.input, result.output
    if layer.scale is not None:
        sh, sw = layer.scale
        sizes = [f"h' = w' = h * scale = {h}*{sh} = {out_h}"]
        if (h, sh) != (w, sw):
            sizes = [f"h' = h * sh = {h}*{sh} = {out_h}", f"w' = w * sw = {w}*{sw} = {out_w}"]
        lines = [*sizes, f"output = h' x w' x c = {result.output}: up-sampling keeps the channels"]
    else:
        lines = [f"output = size x c = {result.output}: the size given, up-sampling keeps the channels"]
    if (h, out_h) == (w, out_w):
        lines.append(_source(layer, h, out_h, "", ("h", "H")))
    else:
        lines += [
            _source(layer, h, out_h, " (height)", ("h", "H")),
            _source(layer, w, out_w, " (width)", ("w", "W")),
        ]
    return [*lines, "params = 0: up-sampling learns nothing"]


def _source(layer: Upsample, size: int, out: int, axis: str, letters: tuple[str, str]) -> str:
    """The input pixels the middle output of an axis reads, as PyTorch's interpolation finds them."""
    small, big = letters
    o = out // 2
    if layer.mode == "nearest":
        exact = Fraction(o * size, out)
        steps = "" if exact.denominator == 1 else f" = floor({number(exact)})"
        return (
            f"nearest{axis}: output o = {o} reads input floor(o {small} / {big}) = floor({o}*{size}/{out}){steps} = "
            f"{floor(exact)}"
        )
    if layer.align_corners and out == 1:
        return f"bilinear{axis}, corners aligned: the single output, at x = 0*({size} - 1) = 0: reads input 0"
    if layer.align_corners:
        x = Fraction(o * (size - 1), out - 1)
        source = f"x = o ({small} - 1) / ({big} - 1) = {o}*({size} - 1)/({out} - 1)"
        mode = "bilinear, corners aligned"
    else:
        x = Fraction(2 * o + 1, 2) * size / out - Fraction(1, 2)
        source = f"x = (o + 1/2) {small} / {big} - 1/2 = ({o} + 1/2)*{size}/{out} - 1/2"
        mode = "bilinear"
    low = floor(x)
    high = min(low + 1, size - 1)
    if x == low or high == low:
        read = f"input {low}"
    else:
        read = f"inputs {low} and {high}, weighted {number(1 - (x - low))} and {number(x - low)}"
    return f"{mode}{axis}: output o = {o} reads the inputs around {source} = {number(x)}: {read}"


@EXPLAIN.register("crop")
def _crop(layer: Crop, result: LayerResult) -> list[str]:
    cuts = _crop_sides(layer, result)
    per_axis = [(result.input[axis], result.output[axis], cuts[2 * axis], cuts[2 * axis + 1]) for axis in range(2)]
    # per axis: its letter, its sides' names, and what the lines call them
    names = [("h", "top", "bottom", ("h'", "top", "bottom")), ("w", "left", "right", ("w'", "left", "right"))]
    if per_axis[0] == per_axis[1]:
        per_axis, names = per_axis[:1], [("h", "top", "bottom", ("h' = w'", "top = left", "bottom = right"))]
    lines = []
    for (size, out, before, after), (letter, first, last, labels) in zip(per_axis, names, strict=True):
        label, first_label, last_label = labels
        if layer.sides is not None:
            lines.append(f"{label} = {letter} - {first} - {last} = {size} - {before} - {after} = {out}")
            continue
        if layer.offset is not None:
            placed = f"{first_label} = {before}: the offset given"
        else:
            placed = f"{first_label} = floor(({letter} - {letter}') / 2) = floor(({size} - {out}) / 2) = {before}"
        kept = f"{last_label} = {letter} - {letter}' - {first} = {size} - {out} - {before} = {after}"
        lines.append(f"{placed}; {kept}")
    return [
        *lines,
        f"output = h' x w' x c = {result.output}: the part kept, every channel",
        "params = 0: cropping learns nothing",
    ]


def _crop_sides(layer: Crop, result: LayerResult) -> tuple[int, int, int, int]:
    """What a crop cut from each side: its sides, or the rows around the size kept (centred where no offset)."""
    if layer.sides is not None:
        return layer.sides
    cuts = []
    for axis in range(2):
        size, kept = result.input[axis], result.output[axis]
        before = (size - kept) // 2 if layer.offset is None else layer.offset[axis]
        cuts += [before, size - kept - before]
    return cuts[0], cuts[1], cuts[2], cuts[3]


@EXPLAIN.register("adaptiveavgpool", "adaptivemaxpool")
def _adaptive_pool(layer: AdaptivePool, result: LayerResult) -> list[str]:
    (h, w, _), (out_h, out_w, _) = result.input, result.output
    if (h, out_h) == (w, out_w):
        windows = [_adaptive_windows(h, out_h, "", "h")]
    else:
        windows = [_adaptive_windows(h, out_h, "height: ", "h"), _adaptive_windows(w, out_w, "width: ", "w")]
    return [
        f"output = size x c = {result.output}: the size given, pooling keeps the channels",
        *windows,
        "params = 0: pooling learns nothing",
    ]


def _adaptive_windows(size: int, out: int, axis: str, letter: str) -> str:
    """PyTorch's windows `[floor(i h / n), ceil((i + 1) h / n))` along one axis: the second's bounds, and the sizes
    of one period of them."""
    shown = 8
    i = 1 if out > 1 else 0
    start, end = i * size // out, ceil_div((i + 1) * size, out)
    period = out // gcd(size, out)
    sizes = [ceil_div((index + 1) * size, out) - index * size // out for index in range(period)]
    if out == 1:
        windows = "one window, the whole map"
    elif out == size:
        windows = "every window 1 wide: the identity"
    elif len(set(sizes)) == 1:
        windows = f"every window {sizes[0]} wide"
    else:
        more = ", ..." if period > shown else ""
        windows = f"windows {', '.join(map(str, sizes[:shown]))}{more} wide, the same again every {period} outputs"
    return (
        f"{axis}windows [floor(i {letter} / n), ceil((i + 1) {letter} / n)), window {i}: start = "
        f"floor({i}*{size}/{out}) = {start}; end = ceil({i + 1}*{size}/{out}) = {end}; size = {end} - {start} = "
        f"{end - start}: {windows}"
    )


@EXPLAIN.register("dropout", "droppath", *ACTIVATIONS)
def _no_formula(layer: Dropout | DropPath | Activation, result: LayerResult) -> list[str]:
    return []


@EXPLAIN.register("repeat")
def _repeat(layer: Repeat, result: LayerResult) -> list[str]:
    return [f"{layer.times} times its layers: params {result.params:,}, MACs {result.macs:,}"]


@EXPLAIN.register("residual")
def _residual(layer: Residual, result: LayerResult) -> list[str]:
    return [f"output = layers(x) + shortcut(x) = {result.output}; params and MACs: the sums of its layers"]


@EXPLAIN.register("concat")
def _concat(layer: Merge, result: LayerResult) -> list[str]:
    if layer.merged:
        return [_joined(layer, result, "stacked along the channels")]
    channels = " + ".join(str(c) for c in _branch_channels(result))
    lines = [f"output channels = {channels} = {result.output.c}" if channels else f"output = {result.output}"]
    if layer.split:
        slices = " + ".join(map(str, layer.split))
        lines.insert(0, f"input channels = {slices} = {result.input.c}: a slice for each branch, in order")
    return lines


@EXPLAIN.register("add", "multiply")
def _elementwise_merge(layer: Merge, result: LayerResult) -> list[str]:
    how = "added" if layer.kind == "add" else "multiplied, each axis equal or 1 in either (broadcast)"
    if layer.merged:
        return [_joined(layer, result, how)]
    return [f"output = the {len(layer.branches)} branches' outputs {how} = {result.output}"]


def _joined(layer: Merge, result: LayerResult, how: str) -> str:
    named = ", ".join(repr(name) for name in layer.merged)
    h, w, _ = result.input
    cut = f", cut to {h} x {w} around the centre," if layer.crop else ""
    return f"the current tensor ({result.input}) and {named}{cut} {how}: {result.output}"


# the window of each kind that slides one: its size, dilation and stride per axis; None for the others
WINDOWS = ByKind("explain.WINDOWS")


@WINDOWS.register("conv")
def _conv_window(layer: Conv) -> tuple[Pair, Pair, Pair]:
    return layer.kernel, layer.dilation, layer.stride


@WINDOWS.register("maxpool", "avgpool")
def _pool_window(layer: Pool) -> tuple[Pair, Pair, Pair]:
    return layer.size, (1, 1), layer.stride


@WINDOWS.register("convtranspose")
def _transposed_window(layer: ConvTranspose) -> tuple[Pair, Pair, Pair]:
    # at stride 1 a conv over the map padded by d (k - 1) - p, so r += (k - 1) j; at any other stride its outputs
    # see windows of different sizes, shown as such (`_uneven`)
    return layer.kernel, layer.dilation, layer.stride


@WINDOWS.register(
    "zeropad",
    "upsample",
    "crop",
    "adaptiveavgpool",
    "adaptivemaxpool",
    "dense",
    "batchnorm",
    "layernorm",
    "groupnorm",
    "instancenorm",
    "squeeze_excite",
    "scale",
    "flatten",
    "globalavgpool",
    "globalmaxpool",
    "dropout",
    "droppath",
    *ACTIVATIONS,
    "prelu",
    "channelshuffle",
    "repeat",
    "residual",
    "add",
    "concat",
    "multiply",
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
    layer = result.layer
    given = layer.split if isinstance(layer, Merge) and layer.split else [result.input.c] * len(result.branches)
    return [branch[-1].output.c if branch else c for branch, c in zip(result.branches, given, strict=True)]


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
    """r and j after the layer: r = r_in + (k - 1) j_in, j = j_in s; or the windows themselves, where its outputs
    see windows of different sizes."""
    layer = result.layer
    lines = []
    if all(field.even for field in (*result.field_in, *result.fields)):
        alike = (
            result.field_in[0] == result.field_in[1]
            and _same_window(result)
            and (result.fields[0].r, result.fields[0].j) == (result.fields[1].r, result.fields[1].j)
        )
    else:  # uneven fields are shown as they are
        alike = result.fields[0] == result.fields[1]
    axes = [("", 0)] if alike else [(" (h)", 0), (" (w)", 1)]
    for suffix, axis in axes:
        field_in, field = result.field_in[axis], result.fields[axis]
        r, j = field.r, field.j
        sliding = WINDOWS[result.kind](layer)
        if not field_in.even or not field.even or not isinstance(field_in.j, int) or not isinstance(j, int):
            if field != field_in:  # a layer that keeps the windows (batchnorm, relu) says nothing of them
                lines.append(_uneven(field, suffix))
        elif sliding:
            window, dilation, strides = sliding
            k = effective_kernel(window[axis], dilation[axis])
            stride = strides[axis]
            if (field_in.r + (k - 1) * field_in.j, field_in.j * stride) == (r, j):
                lines.append(
                    f"r{suffix} = {field_in.r} + ({k} - 1) * {field_in.j} = {r}; j = {field_in.j} * {stride} = {j}"
                )
            else:  # it read every position a flatten before it folded into the channels
                lines.append(_uneven(field, suffix))
        elif r != field_in.r or (j != field_in.j and result.kind not in BLOCKS):
            lines.append(_widened(field_in, field, suffix, result.kind in BLOCKS))
    if result.local is not None:
        local = " x ".join(dict.fromkeys(str(r) for r in result.local_receptive_field))
        padding = " x ".join(dict.fromkeys(str(p) for p in result.local_effective_padding))
        lines.append(f"local field, the statistics of whole maps held constant: r = {local}, P = {padding}")
    return lines


def _widened(field_in: Field, field: Field, suffix: str, block: bool) -> str:
    """r and j after a layer whose outputs each read `span` positions, `step` apart, of a map whose every output
    sees alike."""
    assert isinstance(field_in.j, int) and isinstance(field.j, int)
    r_in, j_in, r, j = field_in.r, field_in.j, field.r, field.j
    if j_in == 0:  # every output of its input sees the same pixels (an axis up-sampled from a single one)
        return _uneven(field, suffix)
    span, apart = divmod(r - r_in, j_in)
    step, off = divmod(j, j_in)
    if apart or off:
        return _uneven(field, suffix)
    span += 1
    if step == 1 or block:
        # a filter over the whole map: a global pool, or a dense layer after flatten; a block's row keeps this line
        return f"r{suffix} = {r_in} + ({span} - 1) * {j_in} = {r}: a filter over the whole {span}-wide map"
    return (
        f"r{suffix} = {r_in} + ({span} - 1) * {j_in} = {r}; j = {j_in} * {step} = {j}: each output reads {span} of "
        f"its input's positions, the next output {step} further on"
    )


def _uneven(field: Field, suffix: str) -> str:
    """A field whose outputs see windows of different sizes: the windows of one period, and what they come to."""
    shown = 4
    if field.period == 1:
        return f"r{suffix} = {field.r}; j = {field.j}: every output sees {field.r} input pixels"
    windows = []
    for o in range(min(field.period, shown)):
        window = field.at(o)
        windows.append(f"{o}: none" if window is None else f"{o}: {window[0]} to {window[1]}")
    more = ", ..." if field.period > shown else ""
    pixels = "pixel" if field.shift == 1 else "pixels"
    return (
        f"r{suffix} = {field.r}: the widest window, carried output by output, not by r += (k - 1) j; "
        f"j = {field.j}: the windows repeat every {field.period} outputs, {field.shift} input {pixels} on "
        f"({', '.join(windows)}{more})"
    )


def _same_window(result: LayerResult) -> bool:
    layer = result.layer
    sliding: tuple[Pair, Pair, Pair] | None = WINDOWS[result.kind](layer)
    if sliding is None:
        return result.receptive_field[0] == result.receptive_field[1] and result.jump[0] == result.jump[1]
    window, dilation, stride = sliding
    return window[0] == window[1] and stride[0] == stride[1] and dilation[0] == dilation[1]
