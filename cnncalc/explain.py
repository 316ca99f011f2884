"""The lecture's formulas with a layer's numbers put in: how each number of the summary was found.

Pure: takes a computed row (`LayerResult`) and returns lines of text; the numbers themselves come from the
engine, and each line shows the arithmetic that reproduces them.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor, gcd
from typing import TypeVar

from .exact import decimal, significant
from .fields import Field
from .formulas import ceil_div, effective_kernel, transposed_same_padding
from .kinds import BLOCKS, ByKind
from .report import LayerResult, dense_view
from .spec import (
    ACTIVATIONS,
    AXIS_LETTERS,
    AXIS_NAMES,
    SIDE_NAMES,
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
    PerAxis,
    Pool,
    PReLU,
    Repeat,
    Residual,
    Scale,
    Sides,
    SqueezeExcite,
    Upsample,
    Volume,
    ZeroPad,
)
from .words import counted


def number(value: Fraction | int) -> str:
    """An exact value: `54.25` where the decimal ends, `1024/9` where it does not."""
    value = Fraction(value)
    written = decimal(value)
    if written is not None:
        return written
    return f"{value.numerator}/{value.denominator} (about {significant(value)})"


_Values = TypeVar("_Values", bound=tuple[int, ...])  # one axis's numbers in a formula


def _letters(volume: Volume) -> str:
    """The letters of a volume's axes: `hw`; `l` in 1-D, `dhw` in 3-D."""
    return AXIS_LETTERS[volume.rank]


def _primes(volume: Volume, between: str) -> str:
    """The output's sizes by letter: `h' x w'`, `h'*w'`."""
    return between.join(f"{letter}'" for letter in _letters(volume))


def _ones(volume: Volume) -> str:
    """A vector's map at the volume's rank: `1 x 1`."""
    return " x ".join("1" * volume.rank)


def _product(sizes: tuple[int, ...]) -> str:
    return "*".join(map(str, sizes))


def _by_axis(volume: Volume, per_axis: list[_Values]) -> list[tuple[str, _Values]]:
    """Each axis's letter and values, or one entry labelled `h' = w'` where every axis has the same values."""
    letters = _letters(volume)
    if len(per_axis) > 1 and all(values == per_axis[0] for values in per_axis):
        return [(" = ".join(f"{letter}'" for letter in letters), per_axis[0])]
    return [(f"{letter}'", values) for letter, values in zip(letters, per_axis, strict=True)]


def explain(result: LayerResult) -> list[str]:
    """The formulas behind one row: output size, padding, parameters, MACs, receptive field."""
    # the formulas print the layer's own options: its record, read through its kind's entry
    lines: list[str] = EXPLAIN[result.kind](result.layer, result)
    return lines + _field(result)


# each kind's formulas, before its receptive field's
EXPLAIN = ByKind("explain.EXPLAIN")


@EXPLAIN.register("conv")
def _conv(layer: Conv, result: LayerResult) -> list[str]:
    c = result.input.c
    weights = f"{_product(layer.kernel)}*{c}" + (f"/{layer.groups}" if layer.groups != 1 else "")
    per_filter = f"({weights} + 1)" if layer.bias else weights
    out, k = result.output, result.output.c
    return [
        *_window_sizes(result),
        f"output = {_primes(out, ' x ')} x K = {result.output}: one channel per filter",
        f"params = K * {per_filter} = {k} * {per_filter} = {result.params:,}",
        f"MACs = {_primes(out, '*')}*K * {weights} = {_product(out.spatial)}*{k} * {weights} = {result.macs:,}",
    ]


@EXPLAIN.register("maxpool", "avgpool")
def _pool(layer: Pool, result: LayerResult) -> list[str]:
    return [
        *_window_sizes(result),
        f"output = {_primes(result.output, ' x ')} x c = {result.output}: pooling keeps the channels",
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
    groups = f"each of the {layer.groups} groups" if layer.groups > 1 else "the 1 group"
    return [
        f"params = 2*{c} (a scale and a shift per channel) = {result.params:,}: {groups} of "
        f"{counted(c // layer.groups, 'channel', separated=False)} normalised by its mean and variance over the whole "
        "map, as it runs",
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
    point, ones = "x".join("1" * result.input.rank), _ones(result.input)
    return [
        f"gate = {layer.gate}(conv {point} {s} -> {c}{between}(conv {point} {c} -> {s}(globalavgpool(x)))): "
        f"{ones} x {c}, times the map: output {result.output}",
        f"params = 2*{c}*{s} + {s} + {c} = {result.params:,}: the two {point} convs' weights and biases",
        f"MACs = 2*{c}*{s} = {result.macs:,}: the two {point} convs on the {ones} x {c} average",
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
        f"channels read as {counted(g, 'group', separated=False)} of {c // g} and interleaved: channel g*{c // g} + i "
        f"goes to i*{g} + g; params = 0"
    ]


@EXPLAIN.register("flatten")
def _flatten(layer: Flatten, result: LayerResult) -> list[str]:
    given = result.input
    return [f"output = {_ones(given)} x ({_product(given)}) = {result.output}: a vector of {result.output.c:,}"]


@EXPLAIN.register("globalavgpool", "globalmaxpool")
def _global_pool(layer: GlobalPool, result: LayerResult) -> list[str]:
    ones = _ones(result.input)
    return [f"output = {ones} x {result.output.c}: one value per channel of the {result.input} input"]


@EXPLAIN.register("zeropad")
def _zeropad(layer: ZeroPad, result: LayerResult) -> list[str]:
    sides, given = layer.padding, result.input
    per_axis: list[tuple[int, ...]] = [
        (size, sides[2 * axis], sides[2 * axis + 1], result.output[axis]) for axis, size in enumerate(given.spatial)
    ]
    sizes = [
        f"{label} = {size} + {before} + {after} = {out}"
        for label, (size, before, after, out) in _by_axis(given, per_axis)
    ]
    return [
        *sizes,
        f"output = {_primes(given, ' x ')} x c = {result.output}: the map framed in zeros",
        "params = 0: padding learns nothing",
    ]


@EXPLAIN.register("convtranspose")
def _convtranspose(layer: ConvTranspose, result: LayerResult) -> list[str]:
    assert result.padding is not None
    given, c = result.input, result.input.c
    k = result.output.c
    grouped = layer.groups != 1
    weights = f"{_product(layer.kernel)}*{c}" + (f"/{layer.groups}" if grouped else "")
    kernel_letters = "*".join(f"k{letter}" for letter in _letters(given)) if given.rank > 1 else "k"
    letters = f"{kernel_letters}*c" + ("/g" if grouped else "")
    params = (
        f"params = K * ({letters}) + K = {k} * ({weights}) + {k} = {result.params:,}"
        if layer.bias
        else f"params = K * ({letters}) = {k} * ({weights}) = {result.params:,}"
    )
    filters, filters_letters = (f"({k}/{layer.groups})", "(K/g)") if grouped else (str(k), "K")
    return [
        *_transposed_sizes(layer, result),
        f"output = {_primes(given, ' x ')} x K = {result.output}: one channel per filter",
        params,
        f"MACs = {'*'.join(_letters(given))}*c * {filters_letters}*{kernel_letters} = {_product(given)} * "
        f"{filters}*{_product(layer.kernel)} = {result.macs:,}: "
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
        for axis in range(result.input.rank)
    ]
    lines = []
    for label, values in _by_axis(result.input, per_axis):
        size, kernel, stride, dilation, before, after, extra, out = values
        letter = label[0]
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
    given, letters = result.input, _letters(result.input)
    if layer.scale is not None:
        per_axis: list[tuple[int, ...]] = [
            (size, factor, result.output[axis])
            for axis, (size, factor) in enumerate(zip(given.spatial, layer.scale, strict=True))
        ]
        sizes = [
            f"{label} = {label[0]} * scale = {size}*{factor} = {out}" if " = " in label or given.rank == 1
            else f"{label} = {label[0]} * s{label[0]} = {size}*{factor} = {out}"
            for label, (size, factor, out) in _by_axis(given, per_axis)
        ]  # fmt: skip
        lines = [*sizes, f"output = {_primes(given, ' x ')} x c = {result.output}: up-sampling keeps the channels"]
    else:
        lines = [f"output = size x c = {result.output}: the size given, up-sampling keeps the channels"]
    pairs = list(zip(given.spatial, result.output.spatial, strict=True))
    if all(pair == pairs[0] for pair in pairs):
        letter = letters[0] if given.rank == 1 else "h"
        lines.append(_source(layer, *pairs[0], "", (letter, letter.upper()), given.rank))
    else:
        names = AXIS_NAMES[given.rank]
        lines += [
            _source(layer, size, out, f" ({names[axis]})", (letters[axis], letters[axis].upper()), given.rank)
            for axis, (size, out) in enumerate(pairs)
        ]
    return [*lines, "params = 0: up-sampling learns nothing"]


_INTERPOLATION = {1: "linear", 2: "bilinear", 3: "trilinear"}


def _source(layer: Upsample, size: int, out: int, axis: str, letters: tuple[str, str], rank: int = 2) -> str:
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
        return (
            f"{_INTERPOLATION[rank]}{axis}, corners aligned: the single output, at x = 0*({size} - 1) = 0: reads "
            "input 0"
        )
    if layer.align_corners:
        x = Fraction(o * (size - 1), out - 1)
        source = f"x = o ({small} - 1) / ({big} - 1) = {o}*({size} - 1)/({out} - 1)"
        mode = f"{_INTERPOLATION[rank]}, corners aligned"
    else:
        x = Fraction(2 * o + 1, 2) * size / out - Fraction(1, 2)
        source = f"x = (o + 1/2) {small} / {big} - 1/2 = ({o} + 1/2)*{size}/{out} - 1/2"
        mode = _INTERPOLATION[rank]
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
    rank = result.input.rank
    per_axis = [(result.input[axis], result.output[axis], cuts[2 * axis], cuts[2 * axis + 1]) for axis in range(rank)]
    # per axis: its letter, its sides' names, and what the lines call them
    sides = SIDE_NAMES[rank]
    names = [
        (letter, first, last, (f"{letter}'", first, last))
        for letter, (first, last) in zip(AXIS_LETTERS[rank], sides, strict=True)
    ]
    if rank > 1 and all(values == per_axis[0] for values in per_axis):
        labels = (
            " = ".join(f"{letter}'" for letter in AXIS_LETTERS[rank]),
            " = ".join(first for first, _ in sides),
            " = ".join(last for _, last in sides),
        )
        per_axis, names = per_axis[:1], [(names[0][0], names[0][1], names[0][2], labels)]
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


def _crop_sides(layer: Crop, result: LayerResult) -> Sides:
    """What a crop cut from each side: its sides, or the rows around the size kept (centred where no offset)."""
    if layer.sides is not None:
        return layer.sides
    cuts = []
    for axis in range(result.input.rank):
        size, kept = result.input[axis], result.output[axis]
        before = (size - kept) // 2 if layer.offset is None else layer.offset[axis]
        cuts += [before, size - kept - before]
    return tuple(cuts)


@EXPLAIN.register("adaptiveavgpool", "adaptivemaxpool")
def _adaptive_pool(layer: AdaptivePool, result: LayerResult) -> list[str]:
    given = result.input
    pairs = list(zip(given.spatial, result.output.spatial, strict=True))
    letters, names = _letters(given), AXIS_NAMES[given.rank]
    if all(pair == pairs[0] for pair in pairs):
        windows = [_adaptive_windows(*pairs[0], "", letters[0] if given.rank == 1 else "h")]
    else:
        windows = [
            _adaptive_windows(size, out, f"{names[axis]}: ", letters[axis]) for axis, (size, out) in enumerate(pairs)
        ]
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
    return [f"{counted(layer.times, 'time')} its layers: params {result.params:,}, MACs {result.macs:,}"]


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
    size = " x ".join(map(str, result.input.spatial))
    cut = f", cut to {size} around the centre," if layer.crop else ""
    return f"the current tensor ({result.input}) and {named}{cut} {how}: {result.output}"


# the window of each kind that slides one: its size, dilation and stride per axis; None for the others
WINDOWS = ByKind("explain.WINDOWS")


@WINDOWS.register("conv")
def _conv_window(layer: Conv) -> tuple[PerAxis, PerAxis, PerAxis]:
    return layer.kernel, layer.dilation, layer.stride


@WINDOWS.register("maxpool", "avgpool")
def _pool_window(layer: Pool) -> tuple[PerAxis, PerAxis, PerAxis]:
    return layer.size, (1,) * len(layer.size), layer.stride


@WINDOWS.register("convtranspose")
def _transposed_window(layer: ConvTranspose) -> tuple[PerAxis, PerAxis, PerAxis]:
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
    given, out = result.input, result.output
    k, outputs = out.c, out.elements
    positions = outputs // k
    inputs = f"{_product(layer.kernel)}*{given.c}" + (f"/{layer.groups}" if layer.groups != 1 else "")
    dense_weights = view.dense_params - outputs
    spread = f"{_product(out.spatial)} = " if out.rank > 1 else ""
    # each filter serves every position; one filter, or one position, is said in the singular
    filters = f"the {counted(k, 'filter', separated=False)} {'serves' if k == 1 else 'serve'}"
    where = f"all {spread}{positions:,} positions" if positions > 1 else f"the {spread}1 position"
    params = f"{counted(result.trainable_params, 'parameter')} {'makes' if result.trainable_params == 1 else 'make'}"
    outputs_see = f"each of the {outputs:,} outputs sees" if outputs > 1 else "the 1 output sees"
    return [
        f"as a dense layer from {given} to {out}: ({_product(given)}) * ({_product(out)}) = "
        f"{dense_weights:,} weights and {counted(outputs, 'bias', 'biases')}",
        f"sparsity: {outputs_see} {inputs} = {counted(view.inputs_per_output, 'input')}, "
        f"{counted(view.connections, 'connection')} in all: "
        + _fewer(Fraction(dense_weights, view.connections), "than dense", "as many as dense"),
        f"sharing: {filters} {where}, so {params} the {counted(view.connections, 'connection')}: "
        + _fewer(
            Fraction(view.connections, k * view.inputs_per_output),
            "weights than connections",
            "as many weights as connections",
        ),
    ]


def _fewer(ratio: Fraction, than: str, alike: str) -> str:
    """`4 times fewer ...`, or where there are no fewer (one position, one output), `alike`."""
    return alike if ratio == 1 else f"{number(ratio)} times fewer {than}"


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
    for axis in range(result.input.rank):
        size, stride, out = result.input[axis], layer.stride[axis], result.output[axis]
        before, after = result.padding[2 * axis], result.padding[2 * axis + 1]
        per_axis.append((size, window[axis], dilation[axis], stride, before, after, out))
    for label, values in _by_axis(result.input, per_axis):
        size, kernel, dilation_, stride, before, after, out = values
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
    first_in, first = result.field_in[0], result.fields[0]
    if all(field.even for field in (*result.field_in, *result.fields)):
        alike = (
            all(field == first_in for field in result.field_in)
            and _same_window(result)
            and all((field.r, field.j) == (first.r, first.j) for field in result.fields)
        )
    else:  # uneven fields are shown as they are
        alike = all(field == first for field in result.fields)
    if alike and result.kind in BLOCKS and all(field.even for field in result.fields):
        # a block's rows may widen each axis their own way (3 x 1, then 1 x 3), to the same field
        alike = len({_composed(result, axis, "") for axis in range(result.input.rank)}) == 1
    letters = _letters(result.input)
    axes = [("", 0)] if alike or len(letters) == 1 else [(f" ({letter})", axis) for axis, letter in enumerate(letters)]
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
        elif result.kind in BLOCKS:
            if (r, j) != (field_in.r, field_in.j):
                lines.append(_composed(result, axis, suffix))
        elif r != field_in.r or j != field_in.j:
            lines.append(_widened(field_in, field, suffix))
    if result.local is not None:
        local, padding = (
            str(values[0]) if len(set(values)) == 1 else " x ".join(map(str, values))
            for values in (result.local_receptive_field, result.local_effective_padding)
        )
        lines.append(f"local field, the statistics of whole maps held constant: r = {local}, P = {padding}")
    return lines


def _widened(field_in: Field, field: Field, suffix: str) -> str:
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
    if step == 1:
        # a filter over the whole map: a global pool, or a dense layer after flatten
        return f"r{suffix} = {r_in} + ({span} - 1) * {j_in} = {r}: a filter over the whole {span}-wide map"
    return (
        f"r{suffix} = {r_in} + ({span} - 1) * {j_in} = {r}; j = {j_in} * {step} = {j}: each output reads {span} of "
        f"its input's positions, the next output {step} further on"
    )


def _paths(result: LayerResult) -> list[tuple[str, tuple[LayerResult, ...]]]:
    """A block's paths from its input to its output, each named, with its rows: a repeat's rows (every
    repetition's), a residual's layers and shortcut (none: the identity), a merge's branches."""
    if result.kind == "repeat":
        return [("its rows", result.layers)]
    if result.kind == "residual":
        return [("its layers", result.layers), ("its shortcut", result.shortcut)]
    return [(f"branch {k}", branch) for k, branch in enumerate(result.branches, 1)]


def _widenings(r_in: int, rows: tuple[LayerResult, ...], axis: int) -> list[int]:
    """What each row of a path adds to the field along an axis, in turn; the rows that add nothing left out."""
    added, before = [], r_in
    for row in rows:
        r = row.fields[axis].r
        if r != before:
            added.append(r - before)
        before = r
    return added


def _terms(added: list[int]) -> str:
    """A path's widenings as a sum, three or more equal ones in a row as a product: `8 + 8`, `6*16 + 32`; `0`."""
    runs: list[tuple[int, int]] = []
    for value in added:
        if runs and runs[-1][1] == value:
            runs[-1] = (runs[-1][0] + 1, value)
        else:
            runs.append((1, value))
    parts = [f"{count}*{value}" if count > 2 else " + ".join([str(value)] * count) for count, value in runs]
    return " + ".join(parts).replace("+ -", "- ") if parts else "0"


def _composed(result: LayerResult, axis: int, suffix: str) -> str:
    """r and j after a block: its rows' fields composed, each row widening what the one before it saw, and its
    paths' fields united; never one window's arithmetic, which no block has."""
    field_in, field = result.field_in[axis], result.fields[axis]
    assert isinstance(field_in.j, int) and isinstance(field.j, int)
    r_in, r, j_in, j = field_in.r, field.r, field_in.j, field.j
    jump = f"; j = {j_in} * {number(Fraction(j, j_in))} = {j}" if j != j_in and j_in else ""
    layer = result.layer
    if isinstance(layer, Merge) and layer.merged:
        named = ", ".join(repr(name) for name in layer.merged)
        return (
            f"r{suffix} = {r}{jump}: the union of the windows of the current tensor (r {r_in}) and of {named}, "
            "each output reading what both read"
        )
    if result.folded:
        if result.kind == "repeat":
            times = f"{result.times:,} repetitions of " if result.times > 1 else ""
            what = f"{times}its rows composed, each row widening the field it reads"
        elif result.kind == "residual":
            what = "its layers composed row by row, united with its shortcut's window"
        else:
            what = f"its {len(_branches(layer))} branches, each composed row by row, united"
        return (
            f"r{suffix} = {r_in} + {r - r_in} = {r}{jump}: not one filter but {what} "
            f"(folded: --depth {result.depth + 1} shows each row's part)"
        )
    paths = [(name, _widenings(r_in, rows, axis)) for name, rows in _paths(result)]
    if len(paths) == 1:
        ((name, added),) = paths
        if r_in + sum(added) == r:
            return f"r{suffix} = {r_in} + {_terms(added)} = {r}{jump}: {name} composed, each term one row's widening"
    widest = max(sum(added) for _, added in paths)
    if len(paths) > 1 and r_in + widest == r:
        if len(paths) == 2:
            first, second = (name + ("'" if name.endswith("s") else "'s") for name, _ in paths)
            names = f"the wider of {first} and {second} fields"
        else:
            names = f"the widest of its {len(paths)} branches' fields"
        return (
            f"r{suffix} = {r_in} + max({', '.join(_terms(added) for _, added in paths)}) = {r}{jump}: {names}, each "
            "composed row by row: its window holds the others'"
        )
    sums = ", ".join(f"{name}: {r_in} + {_terms(added)}" for name, added in paths)
    return (
        f"r{suffix} = {r}{jump}: the union of its paths' windows ({sums}), which are not centred alike: wider than "
        "the widest"
    )


def _branches(layer: Layer) -> tuple[tuple[Layer, ...], ...]:
    return layer.branches if isinstance(layer, Merge) else ()


def _uneven(field: Field, suffix: str) -> str:
    """A field whose outputs see windows of different sizes: the windows of one period, and what they come to."""
    shown = 4
    if field.period == 1:
        seen = counted(field.r, "input pixel", separated=False)
        return f"r{suffix} = {field.r}; j = {field.j}: every output sees {seen}"
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
    sliding: tuple[PerAxis, PerAxis, PerAxis] | None = WINDOWS[result.kind](layer)
    if sliding is None:
        return len(set(result.receptive_field)) == 1 and len(set(result.jump)) == 1
    window, dilation, stride = sliding
    return len(set(window)) == len(set(stride)) == len(set(dilation)) == 1
