"""The computation: volumes, parameters, MACs and receptive fields, layer by layer.

Pure functions over the records of `spec`; no I/O, no click, no rich, no yaml.
Every size is an exact integer, computed per axis (height, then width).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol

from .diagnostics import Diagnostic, SpecError, error, in_file_order, warning
from .record import Record
from .spec import (
    Activation,
    BatchNorm,
    Concat,
    Conv,
    Dense,
    Dropout,
    Flatten,
    GlobalPool,
    Layer,
    Location,
    Pair,
    Pool,
    Repeat,
    Residual,
    Sides,
    Spec,
    Volume,
)

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
MAX_FIELD = 2**62  # past this a receptive field or jump is no longer a number of pixels worth reporting
# past this a volume is no tensor anything could hold (a framework's end at 2**63): channels doubled by a concat in
# every repetition get there, and would go on to numbers too long to print
MAX_ELEMENTS = 2**256
# rows a report keeps unless asked for more (`--depth`): a longer table is read by no one, and slow to draw
MAX_ROWS = 10_000
AXES = ("height", "width")


if TYPE_CHECKING:  # a Protocol class costs start-up time; the annotations below name it as a string

    class Problem(Protocol):
        """Reports a problem with the layer at hand, located at `option` where it is given."""

        def __call__(self, code: str, message: str, severity: str = "error", option: str | None = None) -> None: ...


class ShapeError(ValueError):
    """A layer that cannot be applied to its input, e.g. a kernel larger than the padded input."""


def ceil_div(a: int, b: int) -> int:
    """`ceil(a / b)` in integers, negative `a` included."""
    return -(-a // b)


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
    size: int, kernel: int, stride: int, pad_before: int = 0, pad_after: int = 0, ceil: bool = False, dilation: int = 1
) -> int:
    """A pooling window count; with `ceil` the last window may hang past the padded input (PyTorch `ceil_mode`)."""
    if not ceil:
        return conv_output(size, kernel, stride, pad_before, pad_after, dilation)
    out = ceil_div(size + pad_before + pad_after - effective_kernel(kernel, dilation), stride) + 1
    # PyTorch drops a last window that would start beyond the input and its leading padding
    if (out - 1) * stride >= size + pad_before:
        out -= 1
    if out < 1:
        raise ShapeError(_too_large(size, kernel, dilation, pad_before, pad_after))
    return out


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME: `out = ceil(h / s)`, the padding it needs split with the odd one after."""
    out = ceil_div(size, stride)
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


class Axis(Record):
    """One axis of a windowed layer, resolved: output size, padding applied, and input rows the floor drops."""

    out: int
    pad_before: int
    pad_after: int
    unused: int


def resolve_axis(
    size: int, kernel: int, stride: int, dilation: int, padding: str | tuple[int, int], ceil: bool = False
) -> Axis:
    """One axis of a conv or pool: `padding` is `same`, `valid` or (before, after)."""
    if padding == "same":
        before, after = same_padding(size, kernel, stride, dilation)
        return Axis(ceil_div(size, stride), before, after, 0)
    before, after = padding if isinstance(padding, tuple) else (0, 0)
    if ceil:
        return Axis(pool_output(size, kernel, stride, before, after, ceil=True, dilation=dilation), before, after, 0)
    out = conv_output(size, kernel, stride, before, after, dilation)
    # the last window stops short of the padded input's end; what it leaves of the real input goes unused
    leftover = (size + before + after - effective_kernel(kernel, dilation)) % stride
    return Axis(out, before, after, max(leftover - after, 0))


class Field(Record):
    """The receptive field along one axis (Araujo et al., Distill 2019): size r, jump j, effective padding p.

    The first output sees the input pixels from -p to -p + r - 1; neighbouring outputs are j pixels apart.
    """

    r: int = 1
    j: int = 1
    p: int = 0

    def window(self, kernel: int, stride: int, pad_before: int) -> Field:
        """Through a conv or pool: `r += (k - 1) j`, `p += p_before j`, then `j *= s`."""
        return Field(self.r + (kernel - 1) * self.j, self.j * stride, self.p + pad_before * self.j)

    def whole(self, size: int) -> Field:
        """Through a filter covering all `size` positions: a global pool, or a dense layer after flatten."""
        return Field(self.r + (size - 1) * self.j, self.j, self.p)


Fields = tuple[Field, Field]


class LayerResult(Record):
    """One row of the summary: what a layer or a block outputs, what it learns, what it sees."""

    number: int  # 1-based position among its siblings
    path: str  # "3"; "3.2" inside block 3, "3.s1" in its shortcut, "3.b2.1" in its second branch
    depth: int  # 0 for the spec's own layers, 1 inside a block, ...
    layer: Layer
    output: Volume
    trainable_params: int = 0
    non_trainable_params: int = 0
    macs: int = 0
    receptive_field: Pair = (1, 1)
    jump: Pair = (1, 1)
    effective_padding: Pair = (0, 0)
    padding: Sides | None = None  # the zero padding applied, for windowed layers
    # the field is at least as large as the input: the outputs near the centre see all of it
    covers_input: tuple[bool, bool] = (False, False)
    # a block's own rows: its layers (every repetition's, for a repeat), a residual's shortcut, a concat's
    # branches; none where `analyse(depth=...)` folded them into the block
    layers: tuple[LayerResult, ...] = ()
    shortcut: tuple[LayerResult, ...] = ()
    branches: tuple[tuple[LayerResult, ...], ...] = ()
    folded: bool = False
    # what the layer starts from, for explaining its numbers: its input volume and the field of that input
    input: Volume = Volume(1, 1, 1)
    field_in: Fields = (Field(), Field())

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

    @property
    def flops(self) -> int:
        """FLOPs as 2 x MACs (one multiply and one add each)."""
        return 2 * self.macs


class DenseView(Record):
    """A conv as the dense layer it replaces (the lecture's conv <-> fully-connected view)."""

    dense_params: int  # a dense layer joining the same volumes: (h w c)(h' w' K) weights + h' w' K biases
    connections: int  # the inputs the conv's outputs really read: h' w' K f f c / groups
    inputs_per_output: int  # f f c / groups


def dense_view(result: LayerResult) -> DenseView | None:
    """The numbers that show a conv's sparsity and sharing; None for any other layer."""
    layer = result.layer
    if not isinstance(layer, Conv):
        return None
    h, w, c = result.input
    oh, ow, k = result.output
    per_output = layer.kernel[0] * layer.kernel[1] * c // layer.groups
    outputs = oh * ow * k
    return DenseView(h * w * c * outputs + outputs, outputs * per_output, per_output)


def walk(results: Iterable[LayerResult]) -> Iterator[LayerResult]:
    """Every row kept, a block before its own: layers, then shortcut, then branches in order."""
    for result in results:
        yield result
        yield from walk(result.layers)
        yield from walk(result.shortcut)
        for branch in result.branches:
            yield from walk(branch)


class Totals(Record):
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


class Report(Record):
    name: str | None
    input: Volume
    layers: tuple[LayerResult, ...]
    totals: Totals
    warnings: tuple[Diagnostic, ...]
    kept_depth: int | None = None  # rows of blocks nested deeper than this are folded into their block's row


class Memory(Record):
    param_bytes: int
    activation_bytes: int


def memory(report: Report, batch: int = 1, dtype: str = "float32") -> Memory:
    """Bytes for the parameters, and for every activation (input and all outputs) of a batch."""
    size = DTYPE_BYTES[dtype]
    return Memory(report.totals.params * size, report.totals.activation_elements * batch * size)


def merge(paths: Sequence[Fields], names: Sequence[str]) -> tuple[Fields, list[str]]:
    """The field where paths meet (an add, a concat): the union of what they see, and what does not line up.

    Real networks line their paths up (equal jumps, equal centres), and then the union is the largest field.
    """
    merged = []
    mismatches = []
    for axis, axis_name in enumerate(AXES):
        fields = [path[axis] for path in paths]
        start = min(-f.p for f in fields)
        end = max(-f.p + f.r - 1 for f in fields)
        # the first output's centre, (start + end) / 2, doubled to stay an integer
        centres = [f.r - 1 - 2 * f.p for f in fields]
        if len({f.j for f in fields}) > 1:
            found = ", ".join(f"{name} {f.j}" for name, f in zip(names, fields, strict=True))
            mismatches.append(f"{axis_name}: the jumps differ: {found}")
        elif len(set(centres)) > 1:
            # how far apart, not where: a repeated block that misaligns its paths says the same in every repetition
            found = ", ".join(
                f"{name} off by {_halves(c - centres[0])}"
                for name, c in zip(names[1:], centres[1:], strict=True)
                if c != centres[0]
            )
            mismatches.append(f"{axis_name}: the first outputs' fields are centred apart: {found} from {names[0]}")
        merged.append(Field(end - start + 1, max(f.j for f in fields), -start))
    if len(mismatches) == 2 and mismatches[0].split(": ", 1)[1] == mismatches[1].split(": ", 1)[1]:
        mismatches = ["height and width: " + mismatches[0].split(": ", 1)[1]]
    return (merged[0], merged[1]), mismatches


def _halves(count: int) -> str:
    """`count` halves of a pixel, signed and exact: `+1`, `-0.5`, `+1,048,576`."""
    return ("-" if count < 0 else "+") + f"{abs(count) // 2:,}" + (".5" if count % 2 else "")


class _State(Record):
    volume: Volume
    fields: Fields
    # after a flatten, the fields a layer mixing the channels will have: each channel is one input position
    flattened: Fields | None = None


class _Run(Record):
    """A list of layers applied: the rows kept, where it leaves off, and what it costs."""

    results: tuple[LayerResult, ...]
    state: _State
    trainable: int
    non_trainable: int
    macs: int


class _Ahead(Record):
    """What the repetitions still to come of a repeat add up to, computed in one step."""

    state: _State  # where the last of them leaves off
    costs: tuple[int, int, int]  # trainable, non-trainable parameters, MACs
    elements: int
    peak: int  # the largest field size, jump or padding any of their layers reaches (at most)


class _Repetition(Record):
    """What one repetition of a repeat's layers did: enough to tell whether the next ones will do the same."""

    before: _State
    after: _State
    seen: dict[tuple[str, str, Location | None, str], int]  # the problems it reported, and how often
    elements: int
    costs: tuple[int, int, int]  # trainable, non-trainable parameters, MACs
    peak: int  # the largest field size, jump or padding any of its layers reached

    @staticmethod
    def of(before: _State, run: _Run, reported: list[tuple[Any, int]], elements: int, peak: int) -> _Repetition:
        seen: dict[Any, int] = {}
        for key, count in reported:
            seen[key] = seen.get(key, 0) + count
        return _Repetition(before, run.state, seen, elements, (run.trainable, run.non_trainable, run.macs), peak)

    def growth(self) -> tuple[tuple[int, int], ...]:
        """Per axis, how much it adds to the receptive field and to the effective padding."""
        return tuple(
            (out.r - into.r, out.p - into.p) for into, out in zip(self.before.fields, self.after.fields, strict=True)
        )

    def stretch(self) -> tuple[int, int, int]:
        """How many rows, columns and channels it adds to the volume."""
        (h, w, c), (out_h, out_w, out_c) = self.before.volume, self.after.volume
        return out_h - h, out_w - w, out_c - c

    def steady_after(self, last: _Repetition | None) -> bool:
        """Whether it repeats `last` exactly: same volumes, jumps, costs and problems, the field growing alike.

        The layers then see the same input again, up to where the field lies: so will every later repetition.
        """
        return (
            last is not None
            and self.before.volume == last.before.volume
            and self.after.volume == last.after.volume
            and self.before.flattened is None
            and self.after.flattened is None
            and _jumps(self.before) == _jumps(self.after) == _jumps(last.before)
            and self.growth() == last.growth()
            and self.costs == last.costs
            and self.elements == last.elements
            and self.seen == last.seen
        )

    def peak_after(self, times: int) -> int:
        """The largest field value the last of `times` more repetitions like this one reaches (at most)."""
        return self.peak + times * max(0, *(change for axis in self.growth() for change in axis))

    def after_more(self, times: int) -> _State | None:
        """The state after `times` more repetitions like this one; None where a field could pass MAX_FIELD on the
        way (computed one by one, they stop with an error at the layer that passes it)."""
        if self.peak_after(times) > MAX_FIELD:
            return None
        fields = tuple(
            Field(out.r + r * times, out.j, out.p + p * times)
            for out, (r, p) in zip(self.after.fields, self.growth(), strict=True)
        )
        return _State(self.after.volume, (fields[0], fields[1]))

    def steady(self, times: int) -> _Ahead | None:
        """`times` more repetitions, each the same as this one (see `steady_after`); None as for `after_more`."""
        state = self.after_more(times)
        if state is None:
            return None
        costs = (self.costs[0] * times, self.costs[1] * times, self.costs[2] * times)
        return _Ahead(state, costs, self.elements * times, self.peak_after(times))

    def widening(self, earlier: Sequence[_Repetition], times: int) -> _Ahead | None:
        """`times` more repetitions of a body that grows evenly (`_grows_evenly`), where this one and the three
        before it (the last of `earlier`) widened the map alike; None where they did not, or as for `after_more`.

        Alike: the same rows and columns added (none taken), the channels kept, the same jumps, field growth,
        parameters and problems, and MACs and elements changing by the same second difference. Each layer's output
        is its input plus a constant, so repetition i's input is affine in i, and its MACs and elements (products
        of two sides, times constants) are quadratics in i: the last three values give them exactly. A map that
        does not shrink fits every kernel it fitted; kept channels keep every layer's channels, and parameters.
        """
        run = (*earlier[-3:], self)
        rows, columns, channels = self.stretch()
        macs = [repetition.costs[2] for repetition in run]
        elements = [repetition.elements for repetition in run]
        alike = (
            len(run) == 4
            and rows >= 0
            and columns >= 0
            and channels == 0
            and all(one.after == next_one.before for one, next_one in pairwise(run))
            and all(
                repetition.before.flattened is None
                and repetition.after.flattened is None
                and _jumps(repetition.before) == _jumps(repetition.after) == _jumps(self.after)
                and repetition.stretch() == self.stretch()
                and repetition.growth() == self.growth()
                and repetition.costs[:2] == self.costs[:2]
                and repetition.seen == self.seen
                for repetition in run
            )
            and len(set(_second_differences(macs))) == len(set(_second_differences(elements))) == 1
        )
        state = self.after_more(times) if alike else None
        if state is None:
            return None
        h, w, c = self.after.volume
        trainable, non_trainable, _ = self.costs
        return _Ahead(
            state._replace(volume=Volume(h + rows * times, w + columns * times, c)),
            (trainable * times, non_trainable * times, _sum_ahead(macs, times)),
            _sum_ahead(elements, times),
            self.peak_after(times),
        )


def _second_differences(values: Sequence[int]) -> list[int]:
    return [a - 2 * b + c for a, b, c in zip(values, values[1:], values[2:], strict=False)]


def _sum_ahead(values: Sequence[int], times: int) -> int:
    """`f(1) + ... + f(times)` for the quadratic `f` whose `f(-2), f(-1), f(0)` are the last three `values`.

    With `d` its last difference and `s` its second, `f(k) = f(0) + k d + s k (k + 1) / 2`; summed over k, in
    integers: `k (k + 1)` is even, and `k (k + 1) (k + 2)` a multiple of 6.
    """
    before_last, last_but_one, last = values[-3:]
    d = last - last_but_one
    s = last - 2 * last_but_one + before_last
    return times * last + d * (times * (times + 1) // 2) + s * (times * (times + 1) * (times + 2) // 6)


def _grows_evenly(layers: Iterable[Layer]) -> bool:
    """Whether `layers` make of any map they apply to that map plus a constant number of rows and columns.

    A window stepping by 1 gives `(h + p_before + p_after - k) // 1 + 1` (nothing floored; `same` keeps h, and
    `ceil` has no partial window to add), and widens the field and its padding by constants whatever the map; a layer
    that sees the whole map (flatten, dense, a global pool) does neither.
    """
    # a kind left out is computed one repetition at a time: slower, never wrong
    return all(_EVENLY.get(type(layer), _never)(layer) for layer in layers)


def _never(layer: Any) -> bool:
    return False


def _always(layer: Any) -> bool:
    return True


def _steps_by_one(layer: Conv | Pool) -> bool:
    return layer.stride == (1, 1)


# per record, whether it grows evenly (see _grows_evenly); blocks do where all they hold does
_EVENLY: dict[type[Any], Callable[[Any], bool]] = {
    Conv: _steps_by_one,
    Pool: _steps_by_one,
    BatchNorm: _always,
    Dropout: _always,
    Activation: _always,
    Repeat: lambda layer: _grows_evenly(layer.layers),
    Residual: lambda layer: _grows_evenly(layer.layers) and _grows_evenly(layer.shortcut),
    Concat: lambda layer: all(_grows_evenly(branch) for branch in layer.branches),
    Dense: _never,
    Flatten: _never,
    GlobalPool: _never,
}


def _jumps(state: _State) -> tuple[int, int]:
    return state.fields[0].j, state.fields[1].j


class _Stop(Exception):
    """A layer whose output cannot be known: nothing after it can be computed."""


def analyse(spec: Spec, depth: int | None = None) -> Report:
    """Compute every layer of `spec`; raise SpecError listing all errors found.

    `depth` keeps the rows of blocks nested at most that deep (0: the spec's own layers only); deeper rows
    are computed and counted in their block's totals, but not kept.
    """
    analysis = _Analysis(spec.input, depth)
    try:
        run = analysis.sequence(spec.layers, _State(spec.input, (Field(), Field())), "", 0)
    except _Stop:
        raise SpecError(analysis.found("error")) from None
    if analysis.errors:
        raise SpecError(analysis.found("error"))
    h, w = run.state.fields
    totals = Totals(
        trainable_params=run.trainable,
        non_trainable_params=run.non_trainable,
        macs=run.macs,
        output=run.state.volume,
        receptive_field=(h.r, w.r),
        jump=(h.j, w.j),
        activation_elements=analysis.elements,
    )
    return Report(spec.name, spec.input, run.results, totals, tuple(analysis.found("warning")), depth)


def row_count(layers: Sequence[Layer], keep_depth: int | None = None, depth: int = 0) -> int:
    """How many rows a report of `layers` has, keeping the rows of blocks nested at most `keep_depth` deep."""
    rows = len(layers)
    if keep_depth is not None and depth + 1 > keep_depth:
        return rows
    for layer in layers:
        if isinstance(layer, Repeat):
            rows += layer.times * row_count(layer.layers, keep_depth, depth + 1)
        elif isinstance(layer, Residual):
            rows += row_count(layer.layers, keep_depth, depth + 1) + row_count(layer.shortcut, keep_depth, depth + 1)
        elif isinstance(layer, Concat):
            rows += sum(row_count(branch, keep_depth, depth + 1) for branch in layer.branches)
    return rows


def fitting_depth(layers: Sequence[Layer], max_rows: int) -> int | None:
    """The deepest `keep_depth` at which a report of `layers` has at most `max_rows` rows: None where all of them
    fit, 0 where even the spec's own layers and blocks are more, None again where folding would not help."""
    rows = row_count(layers)
    if rows <= max_rows:
        return None
    depth = 0
    while row_count(layers, depth + 1) <= max_rows:
        depth += 1
    return depth if row_count(layers, depth) < rows else None


class _Analysis:
    """One pass over a spec's tree of layers, collecting errors and warnings as it goes."""

    def __init__(self, input_volume: Volume, keep_depth: int | None) -> None:
        self.input = input_volume
        self.keep_depth = keep_depth
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        # a problem of a repeated layer is one report, however many repetitions have it: (where, what) -> count
        self.seen: dict[tuple[str, str, Location | None, str], int] = {}
        self.said: dict[Diagnostic, tuple[str, str, Location | None, str]] = {}
        # every problem reported, in order, while a folded repeat watches for its repetitions to settle
        self.log: list[tuple[tuple[str, str, Location | None, str], int]] = []
        self.watching = 0
        self.peak = 0  # the largest field size, jump or padding reached so far (see _Repetition)
        self.elements = input_volume.h * input_volume.w * input_volume.c

    def found(self, severity: str) -> list[Diagnostic]:
        """The errors or warnings in file order, each once, saying in how many repetitions it came up."""
        found = []
        for diagnostic in self.errors if severity == "error" else self.warnings:
            key = self.said[diagnostic]
            if self.seen[key] > 1:  # said once for all: the repetition it was first seen in is no news
                diagnostic = diagnostic._replace(message=f"{key[3]} (in {self.seen[key]:,} repetitions)")
            found.append(diagnostic)
        return in_file_order(found)

    def sequence(
        self, layers: Sequence[Layer], state: _State, prefix: str, depth: int, first: int = 1, note: str = ""
    ) -> _Run:
        """Apply `layers` in order from `state`, their rows numbered from `first` under the path `prefix`."""
        keep = self.keep_depth is None or depth <= self.keep_depth
        results = []
        trainable = non_trainable = macs = 0
        for number, layer in enumerate(layers, start=first):
            path = f"{prefix}{number}"
            if isinstance(layer, (Repeat, Residual, Concat)):
                result, state = self.block(layer, state, number, path, depth, note)
            else:
                result, state = self.leaf(layer, state, number, path, depth, note)
            trainable += result.trainable_params
            non_trainable += result.non_trainable_params
            macs += result.macs
            if keep:
                results.append(result)
        return _Run(tuple(results), state, trainable, non_trainable, macs)

    def reporter(self, layer: Layer, path: str, note: str) -> Problem:
        """Report problems with one layer, located at the option at fault where there is one."""

        def problem(code: str, message: str, severity: str = "error", option: str | None = None) -> None:
            loc = layer.option_locs.get(option, layer.loc) if option else layer.loc
            key = (severity, code, loc, message)
            self.seen[key] = self.seen.get(key, 0) + 1
            if self.watching:
                self.log.append((key, 1))
            if self.seen[key] == 1:
                found = (error if severity == "error" else warning)(code, note + message, loc, path, layer.kind)
                (self.errors if severity == "error" else self.warnings).append(found)
                self.said[found] = key

        return problem

    def result(
        self, number: int, path: str, depth: int, layer: Layer, before: _State, after: _State, **more: Any
    ) -> LayerResult:
        h, w = after.fields
        return LayerResult(
            number,
            path,
            depth,
            layer,
            after.volume,
            receptive_field=(h.r, w.r),
            jump=(h.j, w.j),
            effective_padding=(h.p, w.p),
            covers_input=(h.r >= self.input.h, w.r >= self.input.w),
            input=before.volume,
            field_in=before.fields,
            **more,
        )

    def leaf(
        self, layer: Layer, state: _State, number: int, path: str, depth: int, note: str
    ) -> tuple[LayerResult, _State]:
        problem = self.reporter(layer, path, note)
        volume, fields, flattened = state
        try:
            step = _step(layer, volume, problem)
        except ShapeError as exc:
            problem("shape", str(exc), option="kernel" if isinstance(layer, Conv) else "size")
            raise _Stop from None
        if isinstance(layer, Flatten):
            flattened = flattened or (fields[0].whole(volume.h), fields[1].whole(volume.w))
        elif isinstance(layer, (Conv, Dense, GlobalPool)) and flattened:
            # a layer mixing channels after a flatten sees every position the flatten folded together
            fields, flattened = flattened, None
        if isinstance(layer, GlobalPool):
            fields = (fields[0].whole(volume.h), fields[1].whole(volume.w))
        if step.windows:
            (kh, sh, ph), (kw, sw, pw) = step.windows
            fields = (fields[0].window(kh, sh, ph), fields[1].window(kw, sw, pw))
        peak = max(max(field) for field in fields)
        if peak > MAX_FIELD:
            # strides that go on multiplying on a 1 x 1 map: the numbers mean nothing, and grow without end
            problem(
                "field", f"the receptive field or its jump passes {MAX_FIELD:,} input pixels: nothing can see that far"
            )
            raise _Stop
        self.peak = max(self.peak, peak)
        out = step.output
        self.counted(out, problem)
        after = _State(out, fields, flattened)
        result = self.result(
            number,
            path,
            depth,
            layer,
            state,
            after,
            trainable_params=step.trainable,
            non_trainable_params=step.non_trainable,
            macs=step.macs,
            padding=step.padding,
        )
        return result, after

    def block(
        self, layer: Repeat | Residual | Concat, state: _State, number: int, path: str, depth: int, note: str
    ) -> tuple[LayerResult, _State]:
        problem = self.reporter(layer, path, note)
        before = state
        rows: tuple[LayerResult, ...] = ()
        shortcut: tuple[LayerResult, ...] = ()
        branches: tuple[tuple[LayerResult, ...], ...] = ()
        if isinstance(layer, Repeat):
            run = self.repeat(layer, state, path, depth, note)
            runs, state, rows = [run], run.state, run.results
        elif isinstance(layer, Residual):
            main = self.sequence(layer.layers, state, f"{path}.", depth + 1, note=note)
            short = self.sequence(layer.shortcut, state, f"{path}.s", depth + 1, note=note)
            runs = [main, short]
            if main.state.volume != short.state.volume:
                identity = " (identity)" if not layer.shortcut else ""
                problem(
                    "residual-shape",
                    f"cannot add: the layers give {main.state.volume}, the shortcut{identity} gives "
                    f"{short.state.volume}",
                )
            state = self.meet(runs, ("layers", "shortcut"), main.state.volume, problem)
            rows, shortcut = main.results, short.results
        else:
            runs = [
                self.sequence(branch, state, f"{path}.b{k}.", depth + 1, note=note)
                for k, branch in enumerate(layer.branches, start=1)
            ]
            volumes = [run.state.volume for run in runs]
            if len({(v.h, v.w) for v in volumes}) > 1:
                shapes = ", ".join(f"branch {k} gives {v}" for k, v in enumerate(volumes, start=1))
                problem("concat-shape", f"cannot concatenate: height and width differ: {shapes}")
            total = Volume(volumes[0].h, volumes[0].w, sum(v.c for v in volumes))
            state = self.meet(runs, [f"branch {k}" for k in range(1, len(runs) + 1)], total, problem)
            branches = tuple(run.results for run in runs)
        return self.result(
            number,
            path,
            depth,
            layer,
            before,
            state,
            trainable_params=sum(run.trainable for run in runs),
            non_trainable_params=sum(run.non_trainable for run in runs),
            macs=sum(run.macs for run in runs),
            layers=rows,
            shortcut=shortcut,
            branches=branches,
            folded=self.keep_depth is not None and depth + 1 > self.keep_depth,
        ), state

    def repeat(self, layer: Repeat, state: _State, path: str, depth: int, note: str) -> _Run:
        """Apply a repeat's layers `times` times in a row; folded (rows not kept), the repetitions that will do as the
        ones just before them did are added up in one step."""
        folded = self.keep_depth is not None and depth + 1 > self.keep_depth
        # a map that grows in every repetition never repeats itself, but a body that grows evenly sums up all the same
        even = folded and _grows_evenly(layer.layers)
        results: list[LayerResult] = []
        trainable = non_trainable = macs = 0
        done: list[_Repetition] = []  # the last repetitions computed, in a row
        self.watching += folded
        repetition = 0
        while repetition < layer.times:
            first = repetition * len(layer.layers) + 1
            where = f"repetition {repetition + 1} of {layer.times}: " if layer.times > 1 else ""
            logged, elements, peak = len(self.log), self.elements, self.peak
            self.peak = 0
            run = self.sequence(layer.layers, state, f"{path}.", depth + 1, first, note + where)
            this_peak, self.peak = self.peak, max(peak, self.peak)
            results.extend(run.results)
            trainable += run.trainable
            non_trainable += run.non_trainable
            macs += run.macs
            repetition += 1
            if not folded:
                state = run.state
                continue
            this = _Repetition.of(state, run, self.log[logged:], self.elements - elements, this_peak)
            left = layer.times - repetition
            if this.steady_after(done[-1] if done else None):
                ahead = this.steady(left)
            else:
                ahead = this.widening(done, left) if even else None
            if ahead is None:
                done = [*done[-2:], this]
                state = run.state
                continue
            self.elements += ahead.elements
            for key, count in this.seen.items():
                self.seen[key] += count * left
                self.log.append((key, count * left))  # for a repeat around this one
            self.peak = max(self.peak, ahead.peak)
            trainable += ahead.costs[0]
            non_trainable += ahead.costs[1]
            macs += ahead.costs[2]
            state = ahead.state
            break
        self.watching -= folded
        if not self.watching:
            self.log.clear()
        return _Run(tuple(results), state, trainable, non_trainable, macs)

    def counted(self, volume: Volume, problem: Problem) -> None:
        """Count a new tensor's elements; past MAX_ELEMENTS, a located error, and nothing after it is computed."""
        elements = volume.h * volume.w * volume.c
        if elements > MAX_ELEMENTS:
            problem("size", f"its output of {volume} passes 2**256 elements: no tensor holds that")
            raise _Stop
        self.elements += elements

    def meet(self, runs: list[_Run], names: Sequence[str], volume: Volume, problem: Problem) -> _State:
        """Paths meeting in a new tensor (an add, a concat): its field, and a warning where they do not line up."""
        fields, mismatches = merge([run.state.fields for run in runs], names)
        # a 1 x 1 map has a single output: there is nothing to line up
        if mismatches and (volume.h, volume.w) != (1, 1):
            problem(
                "rf-misaligned",
                f"the receptive fields where the paths meet do not line up ({'; '.join(mismatches)}); "
                "the field shown is their union",
                "warning",
            )
        self.counted(volume, problem)
        # a flatten still waiting for a layer to mix its positions, on any path, waits on
        flattened = next((run.state.flattened for run in runs if run.state.flattened), None)
        return _State(volume, fields, flattened)


class _Step(Record):
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
