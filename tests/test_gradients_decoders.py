"""The exact receptive fields of decoders, measured by back-propagation in PyTorch.

After an upsample or a transposed conv, outputs see windows of different sizes: cnncalc gives each output `o` of a
row its window `fields[axis].at(o)`, the first and the last input pixel it depends on, as a map that repeats every
`period` outputs, `shift` pixels further on. Here PyTorch measures them: the network is built in float64 with every
weight 1, max pools as average pools (a max sends its gradient to one pixel of its window, an average to all) and
no activations, so the gradient of output `o` with respect to the input is positive exactly on the pixels `o`
depends on. For every output of two whole periods, the first and the last row (column, plane) with a non-zero
gradient must be cnncalc's window; the windows a period apart `shift` apart; the widest of a period the receptive
field, `shift / period` the jump and minus the first output's first pixel the effective padding. The decoders are
drawn at every rank: 2-D, and 1-D and 3-D ones (linear and trilinear interpolation for `bilinear`), the 3-D maps a
few dozen positions wide.

cnncalc's field ignores the borders: the input extends for ever, padding positions being positions too. PyTorch's
maps end: padding has no input behind it, and its upsampling clamps its source positions at the border. So only
outputs that never reach a border are measured: an output is checked where every position it reads, layer by
layer back to the input, lies inside that layer's map, as `reads` finds by following each layer's rule as PyTorch
documents it (integers and fractions only). The inputs are large enough that two periods of such outputs exist.

PyTorch computes in floating point what the field takes as exact, and it shows at two places (see the tests at
the end): a bilinear weight that is exactly 0 (the source a whole pixel) comes out as ~1e-16 for some sizes, so
networks with bilinear upsampling count as non-zero only gradients above 1e-12 of the largest (every weight of
these networks is a product of ones, averages and bilinear fractions: the smallest true gradient is many orders
above); and nearest upsampling to a `size` finds its source as floor(o * float32(h / H)), one pixel short where
float32 rounds h / H down and o h / H is whole, so the generated decoders take such sizes only where float32
rounds h / H up or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from math import floor, gcd
from typing import NamedTuple, Protocol

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

pytest.importorskip("torch")

import torch
import torch_reference  # needs torch

from cnncalc.engine import analyse
from cnncalc.fields import Field, Ratio
from cnncalc.kinds import rebuilt
from cnncalc.loader import load
from cnncalc.report import LayerResult
from cnncalc.spec import AdaptivePool, Layer, Pool, Spec


class Limits(NamedTuple):
    """What the generated decoders of a rank go through: maps of `low` to `high` positions along each axis, from an
    input of `start` positions or so, and at most `budget` for the product of the layers' own periods per axis (two
    periods of outputs are measured). 3-D maps stay small: each output measured is a sample of the batch."""

    low: int
    high: int
    start: tuple[int, int]
    budget: int


LIMITS = {1: Limits(8, 160, (28, 44), 36), 2: Limits(8, 160, (28, 44), 36), 3: Limits(6, 32, (12, 20), 8)}
TINY = 1e-12  # a bilinear weight PyTorch finds where it is exactly 0 is ~1e-16 of the largest gradient
# the generated decoders at ranks 1 and 3, beside the 2-D ones
DECODERS_1D, DECODERS_3D = 150, 100


def examples(n: int) -> settings:
    """`n` cases in the default profile, ten times as many in the thorough one."""
    profile = settings.default
    assert profile is not None
    return settings(max_examples=n * profile.max_examples // 100)


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """Small tensors: one thread is faster than waking a pool of them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# -- each layer's own map along one axis, as PyTorch computes it --------------------------------------------


class Map(Protocol):
    def reads(self, o: int) -> list[int]:
        """The input positions output `o` reads (the input extending for ever)."""
        ...


class Sliding(NamedTuple):
    """A conv or a pool: output `o` reads `o s - before + t d` for each tap `t` below `k`."""

    kernel: int
    stride: int
    dilation: int
    before: int

    def reads(self, o: int) -> list[int]:
        return [o * self.stride - self.before + t * self.dilation for t in range(self.kernel)]


class Moved(NamedTuple):
    """A zeropad (`by` is minus its top) or a crop (`by` is its top): output `o` is input `o + by`."""

    by: int

    def reads(self, o: int) -> list[int]:
        return [o + self.by]


class Transposed(NamedTuple):
    """A transposed conv cutting `before` from its top: input `i` goes to outputs `i s - before + t d`."""

    kernel: int
    stride: int
    dilation: int
    before: int

    def reads(self, o: int) -> list[int]:
        spots = [o + self.before - t * self.dilation for t in range(self.kernel)]
        return sorted(spot // self.stride for spot in spots if spot % self.stride == 0)


class Nearest(NamedTuple):
    """Nearest upsampling from `size` to `out`: output `o` copies input floor(o size / out)."""

    size: int
    out: int

    def reads(self, o: int) -> list[int]:
        return [o * self.size // self.out]


class Linear(NamedTuple):
    """Linear interpolation from `size` to `out`: output `o` mixes the two pixels around its source `x`, one alone
    where `x` is whole (the other's weight is 0). PyTorch's source: `(o + 1/2) size / out - 1/2`, or with
    align_corners `o (size - 1) / (out - 1)`."""

    size: int
    out: int
    align_corners: bool

    def reads(self, o: int) -> list[int]:
        if self.align_corners:
            x = Fraction(o * (self.size - 1), self.out - 1) if self.out > 1 else Fraction(0)
        else:
            x = (o + Fraction(1, 2)) * Fraction(self.size, self.out) - Fraction(1, 2)
        first = floor(x)
        return [first] if x == first else [first, first + 1]


class Adaptive(NamedTuple):
    """An adaptive pool from `size` to `out`: output `i` reads floor(i size / out) to ceil((i + 1) size / out) - 1."""

    size: int
    out: int

    def reads(self, o: int) -> list[int]:
        return list(range(o * self.size // self.out, -(-(o + 1) * self.size // self.out)))


def depends_on(maps: Sequence[Map], sizes: Sequence[int], o: int) -> list[int] | None:
    """The input positions output `o` of the last layer depends on, read back layer by layer; None where one of the
    layers reads outside the map it is given (`sizes[i]` is layer i's input size): a border, where PyTorch's map
    ends and cnncalc's field goes on."""
    positions = {o}
    for layer, size in zip(reversed(maps), reversed(sizes), strict=True):
        positions = {i for p in positions for i in layer.reads(p)}
        if any(not 0 <= i < size for i in positions):
            return None
    return sorted(positions)


# -- generated decoders ---------------------------------------------------------------------------------------


class Drawn(NamedTuple):
    """A layer of a generated decoder: its YAML, and along each axis its map, its output size and its own period."""

    yaml: str
    maps: tuple[Map, ...]
    sizes: tuple[int, ...]
    periods: tuple[int, ...]


def listed(values: Sequence[int]) -> str:
    return f"[{', '.join(map(str, values))}]"


def axes(draw: st.DrawFn, values: Sequence[int]) -> str:
    """One value per axis as the spec writes it: one integer where all axes agree (now and then), else a list."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return str(values[0])
    return listed(values)


def sides_text(draw: st.DrawFn, sides: Sequence[int]) -> str:
    """Before and after per axis as p, one per axis ([ph, pw] in 2-D) or all the sides, the shortest form mostly."""
    if len(set(sides)) == 1 and draw(st.booleans()):
        return str(sides[0])
    if sides[::2] == sides[1::2] and draw(st.booleans()):
        return listed(sides[::2])
    return listed(sides)


@st.composite
def padded(draw: st.DrawFn, rank: int, high: int) -> str | tuple[int, ...]:
    """`valid`, `same`, or before and after per axis, at most `high` (written in any of their forms later)."""
    form = draw(st.sampled_from(["valid", "same", "alike", "sides"]))
    if form in ("valid", "same"):
        return form
    if form == "alike":
        return tuple(p for _ in range(rank) for p in [draw(st.integers(0, high))] * 2)
    return tuple(draw(st.integers(0, high)) for _ in range(2 * rank))


def same_split(size: int, span: int, stride: int) -> tuple[int, int]:
    """TensorFlow's SAME: out = ceil(h / s), the padding needed split with the odd pixel after."""
    total = max((-(-size // stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


@st.composite
def conv_or_pool(draw: st.DrawFn, sizes: tuple[int, ...], limits: Limits) -> Drawn:
    rank = len(sizes)
    kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool"]))
    pool = kind != "conv"
    kernel = [draw(st.integers(2 if pool else 1, 3 if pool else 5)) for _ in range(rank)]
    stride = [draw(st.integers(1, 2)) if size >= 3 * limits.low else 1 for size in sizes]
    dilation = [1] * rank if pool else [draw(st.sampled_from([1, 1, 2])) for _ in range(rank)]
    # a pool pads at most half its window on every side
    padding = draw(padded(rank, min(kernel) // 2 if pool else 3))
    maps, out = [], []
    for axis, size in enumerate(sizes):
        k, s, d = kernel[axis], stride[axis], dilation[axis]
        span = d * (k - 1) + 1
        if isinstance(padding, tuple):
            before, after = padding[2 * axis], padding[2 * axis + 1]
        elif padding == "same":
            before, after = same_split(size, span, s)
        else:
            before, after = 0, 0
        maps.append(Sliding(k, s, d, before))
        out.append((size + before + after - span) // s + 1)
    written = padding if isinstance(padding, str) else sides_text(draw, padding)
    if pool:
        text = f"{kind}: {{size: {axes(draw, kernel)}, stride: {axes(draw, stride)}, padding: {written}}}"
    else:
        text = (
            f"conv: {{filters: 1, kernel: {axes(draw, kernel)}, stride: {axes(draw, stride)}, "
            f"dilation: {axes(draw, dilation)}, padding: {written}}}"
        )
    return Drawn(text, tuple(maps), tuple(out), (1,) * rank)


@st.composite
def zeropad_or_crop(draw: st.DrawFn, sizes: tuple[int, ...]) -> Drawn:
    rank = len(sizes)
    if draw(st.booleans()):
        sides = [draw(st.integers(0, 3)) for _ in range(2 * rank)]
        out = tuple(size + sides[2 * axis] + sides[2 * axis + 1] for axis, size in enumerate(sizes))
        maps = tuple(Moved(-before) for before in sides[::2])
        return Drawn(f"zeropad: {{padding: {sides_text(draw, sides)}}}", maps, out, (1,) * rank)
    form = draw(st.sampled_from(["sides", "offset", "centred"]))
    if form == "sides":
        sides = [draw(st.integers(0, 3)) for _ in range(2 * rank)]
        text = f"crop: {{sides: {sides_text(draw, sides)}}}"
    else:
        cuts = [draw(st.integers(0, 5)) for _ in range(rank)]
        kept = [size - cut for size, cut in zip(sizes, cuts, strict=True)]
        if form == "offset":
            tops = [draw(st.integers(0, cut)) for cut in cuts]
            text = f"crop: {{size: {axes(draw, kept)}, offset: {axes(draw, tops)}}}"
        else:  # centred: floor(cut / 2) before, the odd pixel after
            tops = [cut // 2 for cut in cuts]
            text = f"crop: {{size: {axes(draw, kept)}}}"
        sides = [side for top, cut in zip(tops, cuts, strict=True) for side in (top, cut - top)]
    out = tuple(size - sides[2 * axis] - sides[2 * axis + 1] for axis, size in enumerate(sizes))
    return Drawn(text, tuple(Moved(before) for before in sides[::2]), out, (1,) * rank)


@st.composite
def transposed_conv(draw: st.DrawFn, sizes: tuple[int, ...], budgets: tuple[int, ...], limits: Limits) -> Drawn:
    """Any kernel, stride (up to 4, past the kernel too), dilation, output_padding and cut."""
    rank = len(sizes)
    kernel = [draw(st.integers(1, 5)) for _ in range(rank)]
    stride = [
        draw(st.integers(1, min(4, budget, limits.high // size))) for size, budget in zip(sizes, budgets, strict=True)
    ]
    dilation = [draw(st.sampled_from([1, 1, 1, 2, 3])) for _ in range(rank)]
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    padding = draw(padded(rank, 3))
    if padding == "same" and any(span < s for span, s in zip(spans, stride, strict=True)):
        padding = "valid"  # `same` cuts k - s: it needs the kernel at least as wide as the stride
    if padding == "same" or draw(st.booleans()):
        extra = [0] * rank
    else:  # below the stride or the dilation, as PyTorch requires
        extra = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)]
    maps, out = [], []
    for axis, size in enumerate(sizes):
        k, s, d, span = kernel[axis], stride[axis], dilation[axis], spans[axis]
        if isinstance(padding, tuple):
            before, after = padding[2 * axis], padding[2 * axis + 1]
        elif padding == "same":  # Keras's: out h s, the k - s cut with the odd pixel after
            before, after = (span - s) // 2, (span - s) - (span - s) // 2
        else:
            before, after = 0, 0
        maps.append(Transposed(k, s, d, before))
        out.append((size - 1) * s + span + extra[axis] - before - after)
    written = padding if isinstance(padding, str) else sides_text(draw, padding)
    options = [f"filters: 1, kernel: {axes(draw, kernel)}, stride: {axes(draw, stride)}, padding: {written}"]
    if any(d != 1 for d in dilation) or draw(st.booleans()):
        options.append(f"dilation: {axes(draw, dilation)}")
    if any(extra) or draw(st.booleans()):
        options.append(f"output_padding: {axes(draw, extra)}")
    return Drawn(f"convtranspose: {{{', '.join(options)}}}", tuple(maps), tuple(out), tuple(stride))


def float32_rounds_up(size: int, out: int) -> bool:
    """Whether PyTorch's float32 `size / out` (its nearest upsampling's scale) is at least the exact ratio: where
    it is below, floor(o * scale) is one short wherever o size / out is whole (see the module's docstring)."""
    scale = torch.tensor(size, dtype=torch.float32) / torch.tensor(out, dtype=torch.float32)
    return Fraction(scale.item()) >= Fraction(size, out) or out in (size, 2 * size)


def resize_period(mode: str, align_corners: bool, size: int, out: int) -> int:
    """How many outputs before the sources come round to the same phase of the input."""
    if mode == "bilinear" and align_corners:
        return (out - 1) // gcd(size - 1, out - 1) if out > 1 else 1
    return out // gcd(size, out)


@st.composite
def upsample(draw: st.DrawFn, sizes: tuple[int, ...], budgets: tuple[int, ...], limits: Limits) -> Drawn:
    """Nearest or bilinear (linear in 1-D, trilinear in 3-D; align_corners both ways), by a scale or to a size that
    is no multiple of the input's."""
    mode = draw(st.sampled_from(["nearest", "bilinear"]))
    align = mode == "bilinear" and draw(st.booleans())
    by_scale = draw(st.booleans())
    outs, periods = [], []
    for size, budget in zip(sizes, budgets, strict=True):
        if by_scale:
            fits = [
                f for f in (1, 2, 3) if size * f <= limits.high and resize_period(mode, align, size, size * f) <= budget
            ]
            out = size * draw(st.sampled_from(fits))
        else:
            fits = [
                out
                for out in range(size + 1, min(3 * size, limits.high) + 1)
                if resize_period(mode, align, size, out) <= min(budget, out // 4)
                and (mode == "bilinear" or float32_rounds_up(size, out))
            ]
            out = draw(st.sampled_from(fits)) if fits else size
        outs.append(out)
        periods.append(resize_period(mode, align, size, out))
    if by_scale:
        options = [f"scale: {axes(draw, [out // size for out, size in zip(outs, sizes, strict=True)])}"]
    else:
        options = [f"size: {listed(outs)}"]
    if mode == "bilinear" or draw(st.booleans()):
        options.append(f"mode: {mode}")
    if align or (mode == "bilinear" and draw(st.booleans())):
        options.append(f"align_corners: {str(align).lower()}")
    if mode == "nearest":
        maps: tuple[Map, ...] = tuple(Nearest(size, out) for size, out in zip(sizes, outs, strict=True))
    else:
        maps = tuple(Linear(size, out, align) for size, out in zip(sizes, outs, strict=True))
    return Drawn(f"upsample: {{{', '.join(options)}}}", maps, tuple(outs), tuple(periods))


@st.composite
def adaptive_pool(draw: st.DrawFn, sizes: tuple[int, ...], budgets: tuple[int, ...], limits: Limits) -> Drawn:
    """To a size that mostly does not divide the input's: windows of two sizes, overlapping or not."""
    kind = draw(st.sampled_from(["adaptiveavgpool", "adaptivemaxpool"]))
    outs = []
    for size, budget in zip(sizes, budgets, strict=True):
        fits = [
            out for out in range(max(limits.low, size // 2), size + 4) if out // gcd(size, out) <= min(budget, out // 4)
        ]
        outs.append(draw(st.sampled_from(fits)) if fits else size)
    maps = tuple(Adaptive(size, out) for size, out in zip(sizes, outs, strict=True))
    periods = tuple(out // gcd(size, out) for size, out in zip(sizes, outs, strict=True))
    return Drawn(f"{kind}: {{size: {axes(draw, outs)}}}", maps, tuple(outs), periods)


class Decoder(NamedTuple):
    text: str
    input: tuple[int, ...]
    layers: tuple[Drawn, ...]

    @property
    def rank(self) -> int:
        return len(self.input)

    def sizes(self, axis: int) -> list[int]:
        """The input size of every layer along `axis`."""
        return [self.input[axis], *(layer.sizes[axis] for layer in self.layers[:-1])]

    def maps(self, axis: int) -> list[Map]:
        return [layer.maps[axis] for layer in self.layers]


UP = ("convtranspose", "upsample", "adaptive")


def measurable(start: tuple[int, ...], layers: Sequence[Drawn], periods: tuple[int, ...]) -> bool:
    """Whether the last layer has two periods (at most `periods`) of outputs in a row that reach no border."""
    decoder = Decoder("", start, tuple(layers))
    return all(
        len(interior_run(decoder.maps(axis), decoder.sizes(axis), layers[-1].sizes[axis])) >= 2 * periods[axis]
        for axis in range(decoder.rank)
    )


DRAWERS = {
    "convtranspose": transposed_conv,
    "upsample": upsample,
    "adaptive": adaptive_pool,
}


@st.composite
def decoders(draw: st.DrawFn, rank: int) -> Decoder:
    """At `rank`, 2 to 6 layers drawn, one that up-samples at least: transposed convs, upsampling, crops, zeropads,
    adaptive pools, convs and pools before and after them; those that would leave a map outside the rank's limits,
    the product of the layers' own periods past its budget on an axis, or too few outputs to measure, are left
    out."""
    limits = LIMITS[rank]
    sizes = tuple(draw(st.integers(*limits.start)) for _ in range(rank))
    start = sizes
    kinds = draw(st.lists(st.sampled_from([*UP, *UP, "conv", "conv", "crop"]), min_size=2, max_size=6))
    if not set(kinds) & set(UP[:2]):
        kinds[draw(st.integers(0, len(kinds) - 1))] = draw(st.sampled_from(UP[:2]))
    layers: list[Drawn] = []
    periods = (1,) * rank
    for kind in kinds:
        budgets = tuple(limits.budget // period for period in periods)
        if kind in DRAWERS:
            layer = draw(DRAWERS[kind](sizes, budgets, limits))
        elif kind == "conv":
            layer = draw(conv_or_pool(sizes, limits))
        else:
            layer = draw(zeropad_or_crop(sizes))
        after = tuple(period * own for period, own in zip(periods, layer.periods, strict=True))
        if not all(limits.low <= size <= limits.high for size in layer.sizes) or not measurable(
            start, [*layers, layer], after
        ):
            continue  # it would leave too small a map or too large, or too few outputs to measure: left out
        layers.append(layer)
        sizes, periods = layer.sizes, after
    if not layers:
        maps = tuple(Nearest(size, 2 * size) for size in start)
        layers.append(Drawn("upsample: {scale: 2}", maps, tuple(2 * size for size in start), (2,) * rank))
    lines = [f"input: {listed([*start, 1])}", "layers:", *(f"  - {layer.yaml}" for layer in layers)]
    return Decoder("\n".join(lines) + "\n", start, tuple(layers))


# -- measuring --------------------------------------------------------------------------------------------------


def as_average(layer: Layer) -> Layer:
    """A max pool sends its gradient to one input of each window; an average pool, with the same windows, to all."""
    if isinstance(layer, Pool):
        return layer._replace(kind="avgpool")
    if isinstance(layer, AdaptivePool):
        return layer._replace(kind="adaptiveavgpool")
    return rebuilt(layer, as_average)


def model(spec: Spec) -> torch.nn.Sequential:
    """The spec's network in float64, every weight 1, max pools as average pools."""
    modules = torch_reference.build(spec._replace(layers=tuple(map(as_average, spec.layers))))
    network = torch.nn.Sequential(*modules).double()
    with torch.no_grad():  # the lazy modules take their shapes from a first pass
        network(torch.zeros(1, spec.input.c, *spec.input.spatial, dtype=torch.float64))
        for parameter in network.parameters():
            parameter.fill_(1.0)
    return network


Window = tuple[int, int] | None


def noted(what: str) -> None:
    """Counted in Hypothesis's statistics, where a generated case runs (the worked examples run without it)."""
    if currently_in_test_context():
        event(what)


def measured_windows(
    network: torch.nn.Module, spec: Spec, outputs: Sequence[tuple[int, ...]], tiny: float
) -> list[tuple[Window, ...]]:
    """For each output (its position along every axis), the first and last input position along each axis with a
    non-zero gradient (above `tiny` of the largest, where not 0): one backward pass, each output in its own sample
    of the batch."""
    x = torch.zeros(len(outputs), spec.input.c, *spec.input.spatial, dtype=torch.float64, requires_grad=True)
    y = network(x)
    picked = torch.zeros_like(y)
    for sample, at in enumerate(outputs):
        index: tuple[int | slice, ...] = (sample, slice(None), *at)
        picked[index] = 1.0
    (grad,) = torch.autograd.grad((y * picked).sum(), x)
    found = []
    for sample in grad.abs().sum(dim=1):
        largest = float(sample.max())
        seen = sample > tiny * largest if largest > 0 else sample > 0
        residue = (sample > 0) & ~seen
        if residue.any():
            noted("a bilinear weight PyTorch finds ~1e-16 where it is 0: left out")
            # far apart: what is left out is float residue, what is kept the product of true weights
            assert float(sample[residue].max()) < 1e-14 * largest < 1e-6 * float(sample[seen].min())
        found.append(tuple(_ends(seen, axis) for axis in range(seen.dim())))
    return found


def _ends(seen: torch.Tensor, axis: int) -> Window:
    """The first and last position along `axis` where `seen` holds anywhere across the other axes."""
    where = seen.movedim(axis, 0).reshape(seen.shape[axis], -1).any(dim=1).nonzero().flatten()
    return None if len(where) == 0 else (int(where[0]), int(where[-1]))


def interior_run(maps: Sequence[Map], sizes: Sequence[int], out: int) -> list[int]:
    """The longest run of consecutive outputs (of `out`) that never reach a border."""
    best: list[int] = []
    run: list[int] = []
    for o in range(out):
        run = [*run, o] if depends_on(maps, sizes, o) is not None else []
        best = run if len(run) > len(best) else best
    return best


def as_fraction(jump: int | Ratio) -> Fraction:
    return Fraction(jump.num, jump.den) if isinstance(jump, Ratio) else Fraction(jump)


def check_axis(row: LayerResult, axis: int, windows: dict[int, Window], text: str) -> None:
    """The measured windows of consecutive outputs, a period of them at least, against the row's field: each
    window, the windows a period on `shift` further, the widest of a period, the jump, the effective padding."""
    field: Field = row.fields[axis]
    period, shift = field.period, field.shift
    where = f"axis {axis} of\n{text}"
    for o, window in windows.items():
        assert window == field.at(o), f"output {o}: the gradient reaches {window}, cnncalc: {field.at(o)}, {where}"
    for o, window in windows.items():
        later = windows.get(o + period)
        if window is not None and later is not None:
            assert later == (window[0] + shift, window[1] + shift), f"output {o} and {o + period}, {where}"
    one_period = {o: window for o, window in windows.items() if o < min(windows) + period and window is not None}
    widest = max((high - low + 1 for low, high in one_period.values()), default=0)
    assert widest == row.receptive_field[axis], (
        f"the widest window {widest}, cnncalc's RF {row.receptive_field}, {where}"
    )
    assert as_fraction(row.jump[axis]) == Fraction(shift, period), f"jump {row.jump}, {where}"
    # minus the first pixel of output 0's window, or of the first output of the period that has one
    if one_period:
        o = min(one_period, key=lambda o: o % period)
        padding = -(one_period[o][0] - o // period * shift)
        assert padding == row.effective_padding[axis], f"P {padding}, cnncalc {row.effective_padding}, {where}"


def check_decoder(text: str, maps: Sequence[list[Map]], sizes: Sequence[list[int]], every: bool = False) -> None:
    """Two periods of the last row's outputs that reach no border (or `every` one of them), on each axis, measured
    against cnncalc's field. Each output of one axis is measured at outputs of the other axes that see some pixel
    (else the gradient would be 0 everywhere)."""
    spec = load(text)
    last = analyse(spec).layers[-1]
    rank = spec.input.rank
    runs = []
    for axis in range(rank):
        run, period = interior_run(maps[axis], sizes[axis], last.output[axis]), last.fields[axis].period
        assert len(run) >= period, (
            f"axis {axis}: only {len(run)} outputs in a row reach no border, a period is {period}: the input is too "
            f"small for the test\n{text}"
        )
        first = len(run) // 2 - min(len(run), 2 * period) // 2
        runs.append(run if every else run[first : first + 2 * period])
    # where no output of an axis sees a pixel (a transposed conv's gaps that a strided conv steps over), the
    # gradient is 0 everywhere: that axis is measured, and the others cannot be
    seeing = [[o for o in run if depends_on(maps[axis], sizes[axis], o)] for axis, run in enumerate(runs)]
    partners = [found[0] if found else run[0] for found, run in zip(seeing, runs, strict=True)]
    outputs = [(*partners[:axis], o, *partners[axis + 1 :]) for axis in range(rank) for o in runs[axis]]
    measured = measured_windows(model(spec), spec, outputs, TINY if "bilinear" in text else 0.0)
    start = 0
    for axis, run in enumerate(runs):
        windows = measured[start : start + len(run)]
        start += len(run)
        if all(seeing[other] for other in range(rank) if other != axis) or not seeing[axis]:
            check_axis(last, axis, {o: window[axis] for o, window in zip(run, windows, strict=True)}, text)
    if not all(seeing):
        noted("no output sees a pixel")


# -- worked examples -------------------------------------------------------------------------------------------


class Example(NamedTuple):
    """A decoder, alike along every axis: the input's side, the layers (YAML, and the map along one axis), and the
    windows of outputs 0 to period - 1, worked by hand from the maps (the input extending for ever)."""

    side: int
    layers: tuple[tuple[str, Map], ...]
    windows: tuple[Window, ...]


EXAMPLES = [
    # U-Net's up-step: output o of the 2x2 transposed conv is pixel o // 2's; two 3x3 convs then read o to o + 4:
    # pixels o // 2 to (o + 4) // 2, 3 of them, the same for o = 2m and 2m + 1
    pytest.param(
        Example(
            30,
            (
                ("convtranspose: {filters: 1, kernel: 2, stride: 2}", Transposed(2, 2, 1, 0)),
                ("conv: {filters: 1, kernel: 3}", Sliding(3, 1, 1, 0)),
                ("conv: {filters: 1, kernel: 3}", Sliding(3, 1, 1, 0)),
            ),
            ((0, 2), (0, 2)),
        ),
        id="unet-up-step",
    ),
    # DCGAN's step (k 4, s 2, cut 1): o = 2m reads taps 1 and 3, pixels m - 1 and m; o = 2m + 1 taps 0 and 2,
    # pixels m and m + 1. Two steps: output 0 reads outputs -1 and 0 of the first, [-1, 0] both; output 1 reads 0
    # and 1, [-1, 0] and [0, 1]; output 2 the same; output 3 reads 1 and 2, [0, 1] both: 2, 3, 3, 2 pixels
    pytest.param(
        Example(
            24,
            (
                ("convtranspose: {filters: 1, kernel: 4, stride: 2, padding: 1}", Transposed(4, 2, 1, 1)),
                ("convtranspose: {filters: 1, kernel: 4, stride: 2, padding: 1}", Transposed(4, 2, 1, 1)),
            ),
            ((-1, 0), (-1, 1), (-1, 1), (0, 1)),
        ),
        id="dcgan-steps",
    ),
    # the stride past the kernel: pixel i goes to output 3 i alone; outputs 1 and 2 of every 3 receive nothing
    pytest.param(
        Example(
            24, (("convtranspose: {filters: 1, kernel: 1, stride: 3}", Transposed(1, 3, 1, 0)),), ((0, 0), None, None)
        ),
        id="transposed-stride-past-kernel",
    ),
    # dilation 2 at stride 2: taps 0, 2 and 4 apart land on the even outputs only: output 0 reads pixels 0, -1, -2
    pytest.param(
        Example(
            24,
            (("convtranspose: {filters: 1, kernel: 3, stride: 2, dilation: 2}", Transposed(3, 2, 2, 0)),),
            ((-2, 0), None),
        ),
        id="transposed-dilation-stride",
    ),
    # dilation 3 at stride 2: output 0 = 2 i + 3 t for taps 0 and 2 (pixels 0, -3), output 1 for taps 1 and 3
    # (pixels -1, -4): every output reads 2 pixels 3 apart
    pytest.param(
        Example(
            24,
            (
                (
                    "convtranspose: {filters: 1, kernel: 4, stride: 2, dilation: 3, output_padding: 1}",
                    Transposed(4, 2, 3, 0),
                ),
            ),
            ((-3, 0), (-4, -1)),
        ),
        id="transposed-dilation-3-stride-2",
    ),
    # Keras's same: 4 - 2 = 2 cut, 1 before: DCGAN's step
    pytest.param(
        Example(
            24,
            (("convtranspose: {filters: 1, kernel: 4, stride: 2, padding: same}", Transposed(4, 2, 1, 1)),),
            ((-1, 0), (0, 1)),
        ),
        id="transposed-same",
    ),
    # a 2x2 conv after a 2x nearest upsample reads o // 2 and (o + 1) // 2: 1 pixel, then 2
    pytest.param(
        Example(
            24,
            (("upsample: {scale: 2}", Nearest(24, 48)), ("conv: {filters: 1, kernel: 2}", Sliding(2, 1, 1, 0))),
            ((0, 0), (0, 1)),
        ),
        id="nearest-then-conv",
    ),
    # scale 3 bilinear: the source (o + 1/2) / 3 - 1/2 = (o - 1) / 3 is -1/3, 0, 1/3: output 1 copies pixel 0
    pytest.param(
        Example(20, (("upsample: {scale: 3, mode: bilinear}", Linear(20, 60, False)),), ((-1, 0), (0, 0), (0, 1))),
        id="bilinear-3",
    ),
    # align_corners from 21 to 41: the source o 20 / 40 = o / 2, whole at every other output
    pytest.param(
        Example(
            21,
            (("upsample: {size: 41, mode: bilinear, align_corners: true}", Linear(21, 41, True)),),
            ((0, 0), (0, 1)),
        ),
        id="bilinear-align-corners",
    ),
    # from 36 to 44 the source is (o + 1/2) 36 / 44 - 1/2 = (9 o - 1) / 11: whole at o = 5, 16, 27, 38 (pixels 4,
    # 13, 22, 31), which read it alone; PyTorch gives pixel 32 a float residue of ~1e-16 from output 38: TINY
    pytest.param(
        Example(
            36,
            (("upsample: {size: 44, mode: bilinear}", Linear(36, 44, False)),),
            ((-1, 0), (0, 1), (1, 2), (2, 3), (3, 4), (4, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9)),
        ),
        id="bilinear-residue",
    ),
    # align_corners from 37 to 57: the source o 36 / 56 = 9 o / 14, pixels floor and ceil of it (one where whole,
    # at every 14th output); PyTorch leaves residue from output 42 on pixel 28
    pytest.param(
        Example(
            37,
            (("upsample: {size: 57, mode: bilinear, align_corners: true}", Linear(37, 57, True)),),
            tuple((9 * o // 14, -(-9 * o // 14)) for o in range(14)),
        ),
        id="bilinear-align-corners-residue",
    ),
    # nearest from 20 to 30: output o copies floor(2 o / 3)
    pytest.param(
        Example(20, (("upsample: {size: 30}", Nearest(20, 30)),), ((0, 0), (0, 0), (1, 1))), id="nearest-to-size"
    ),
    # an adaptive pool from 30 to 12: output i averages floor(5 i / 2) to ceil(5 (i + 1) / 2) - 1: 0-2, 2-4, 5-7...
    pytest.param(
        Example(30, (("adaptiveavgpool: {size: 12}", Adaptive(30, 12)),), ((0, 2), (2, 4))), id="adaptive-pool"
    ),
    # bilinear x2 (output 2m reads m - 1 and m, 2m + 1 reads m and m + 1), a crop 3 on, a transposed conv (2n
    # reads n, 2n + 1 reads n and n + 1), a zeropad 2 back and a 2-wide pool: output y reads pixels n + 3 and
    # n + 4 of the upsampled map, n = (y - 2) // 2, so 3 pixels where n + 3 is even, 2 where it is odd
    pytest.param(
        Example(
            20,
            (
                ("upsample: {scale: 2, mode: bilinear}", Linear(20, 40, False)),
                ("crop: {size: 33, offset: 3}", Moved(3)),
                ("convtranspose: {filters: 1, kernel: 3, stride: 2, padding: 1}", Transposed(3, 2, 1, 1)),
                ("zeropad: {padding: 2}", Moved(-2)),
                ("maxpool: {size: 2, stride: 1}", Sliding(2, 1, 1, 0)),
            ),
            ((0, 2), (0, 2), (1, 2), (1, 2)),
        ),
        id="mixed",
    ),
]


@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("decoder", EXAMPLES)
def test_worked_examples_windows_are_where_the_gradient_reaches(decoder: Example, rank: int) -> None:
    text = "\n".join([f"input: {listed([decoder.side] * rank + [1])}", "layers:"])
    text += "".join(f"\n  - {yaml}" for yaml, _ in decoder.layers) + "\n"
    report = analyse(load(text))
    for field in report.layers[-1].fields:
        assert (field.period, [field.at(o) for o in range(field.period)]) == (
            len(decoder.windows),
            list(decoder.windows),
        )
    sizes = [decoder.side, *(row.output[0] for row in report.layers[:-1])]
    maps = [layer for _, layer in decoder.layers]
    check_decoder(text, [maps] * rank, [sizes] * rank, every=True)


@examples(150)
@given(decoders(2))
def test_every_window_of_a_decoder_is_where_the_gradient_reaches(decoder: Decoder) -> None:
    check_generated(decoder)


@examples(DECODERS_1D)
@given(decoders(1))
def test_every_window_of_a_1d_decoder_is_where_the_gradient_reaches(decoder: Decoder) -> None:
    check_generated(decoder)


@examples(DECODERS_3D)
@given(decoders(3))
def test_every_window_of_a_3d_decoder_is_where_the_gradient_reaches(decoder: Decoder) -> None:
    check_generated(decoder)


def check_generated(decoder: Decoder) -> None:
    """A generated decoder's sizes, then its windows along every axis."""
    event(f"{len(decoder.layers)} layers")
    report = analyse(load(decoder.text))
    # the decoder's own reading of the sizes is PyTorch's: it must be cnncalc's too, row by row
    assert [row.output.spatial for row in report.layers] == [layer.sizes for layer in decoder.layers]
    last = report.layers[-1]
    event(f"period {max(field.period for field in last.fields)}")
    axes_of = range(decoder.rank)
    check_decoder(decoder.text, [decoder.maps(axis) for axis in axes_of], [decoder.sizes(axis) for axis in axes_of])


# -- where PyTorch's floating point departs from the exact windows ---------------------------------------------


def single_axis_windows(module: torch.nn.Module, size: int) -> list[list[float]]:
    """The gradient of each output of a 1-wide map with respect to its `size` inputs."""
    x = torch.zeros(1, 1, size, 1, dtype=torch.float64, requires_grad=True)
    y = module(x)
    rows = []
    for o in range(y.shape[2]):
        (grad,) = torch.autograd.grad(y[0, 0, o, 0], x, retain_graph=True)
        rows.append(grad[0, 0, :, 0].tolist())
    return rows


def test_pytorchs_bilinear_weights_that_should_be_0_are_only_nearly_0() -> None:
    """From 7 to 25 (align_corners false), output 12's source is (12 + 1/2) 7 / 25 - 1/2 = 3, a whole pixel:
    cnncalc's window is pixel 3 alone; PyTorch gives pixel 4 a weight of ~4e-16. Hence TINY."""
    module = torch.nn.Upsample(size=(25, 1), mode="bilinear", align_corners=False)
    weights = single_axis_windows(module, 7)[12]
    assert weights[3] == pytest.approx(1.0)
    assert 0 < weights[4] < TINY
    field = analyse(load("input: [7, 7, 1]\nlayers:\n  - upsample: {size: 25, mode: bilinear}\n")).layers[0].fields[0]
    assert field.at(12) == (3, 3)


@pytest.mark.xfail(
    strict=True,
    reason="PyTorch's nearest upsampling to a size takes floor(o * float32(h / H)): from 14 to 46, float32(14 / 46) "
    "is below 14 / 46, so output 23 copies pixel 6 where floor(23 * 14 / 46) = 7, cnncalc's window",
)
def test_pytorchs_nearest_to_a_size_copies_floor_o_h_over_h() -> None:
    module = torch.nn.Upsample(size=(46, 1), mode="nearest")
    weights = single_axis_windows(module, 14)[23]
    field = analyse(load("input: [14, 14, 1]\nlayers:\n  - upsample: {size: 46}\n")).layers[0].fields[0]
    assert field.at(23) == (7, 7)
    assert weights.index(1.0) == 7
