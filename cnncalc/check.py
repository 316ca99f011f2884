"""What `cnncalc check` verifies of a computed spec: its expectations, and that a framework can build it as written.

Pure: takes a spec and its report, returns diagnostics (errors fail the check; warnings fail it under --strict;
notes only inform).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from .config import axes
from .diagnostics import Diagnostic, error, in_file_order
from .formulas import effective_kernel, same_padding, transposed_same_padding
from .graph import INPUT
from .kinds import ByKind, layer_tree
from .record import Record
from .report import LayerResult, Report, Totals, walk
from .spec import (
    ACTIVATIONS,
    AXIS_LETTERS,
    AdaptivePool,
    BatchNorm,
    Conv,
    ConvTranspose,
    Dense,
    Expectation,
    GroupNorm,
    InstanceNorm,
    Layer,
    LayerNorm,
    Merge,
    Padding,
    PerAxis,
    Pool,
    PReLU,
    Repeat,
    Scale,
    Sides,
    Spec,
    SqueezeExcite,
    Upsample,
    Volume,
    every_axis,
)

# the volumes a merge joins, each with what to call it: the current tensor or a branch, and the outputs it names
Operands = Sequence[tuple[str, Volume]]
# what a framework says of a merge, given its row and operands (None where the rows are folded away) and the
# spec's rank: as (the severity, the option at fault, the reason)
JoinRule = Callable[[Merge, LayerResult | None, Operands | None, int], Iterator[tuple[str, str, str]]]


class Target(Record):
    """A framework `--target` names: what its messages call it, its rules per kind, and its rule on the tensors a
    merge joins (their shapes are in the report, not the spec)."""

    framework: str
    rules: ByKind
    joins: JoinRule


# each framework's rule per kind, given the layer and the spec's rank (1, 2 or 3 spatial axes): why it cannot
# build the layer as written, as (the option at fault, the reason)
PYTORCH_RULES = ByKind("check.PYTORCH_RULES")
KERAS_RULES = ByKind("check.KERAS_RULES")


def expectations(spec: Spec, overrides: Iterable[Expectation]) -> list[Expectation]:
    """The spec's `expect:` entries, each replaced by the command line's where it gives the same key."""
    merged = {e.key: e for e in spec.expect}
    merged.update((e.key, e) for e in overrides)
    return list(merged.values())


class Outcome(Record):
    """An expectation judged: what the report holds against it, and the failure where it does not hold."""

    expectation: Expectation
    found: Any  # a Volume, a count, or a field per axis
    problem: Diagnostic | None  # None: it holds


class Checked(Record):
    """What `check` found of one spec, in parts: each expectation judged, what `target` cannot build, and the
    report's warnings and note."""

    outcomes: tuple[Outcome, ...]
    unbuildable: tuple[Diagnostic, ...]  # empty without a target
    findings: tuple[Diagnostic, ...]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every failure and finding, in file order."""
        failures = [outcome.problem for outcome in self.outcomes if outcome.problem]
        return in_file_order([*failures, *self.unbuildable, *self.findings])


class Judged(Record):
    """One spec as `check` judged it, as a report for CI names it."""

    shown: str  # the spec as messages name it
    status: str  # "passed", "failed", or "invalid": it could not be read or computed
    input: Volume | None  # the input it was computed at; None where it was not
    checked: Checked | None  # None where it is invalid
    errors: tuple[Diagnostic, ...] = ()  # why it is invalid


def check(spec: Spec, report: Report, wanted: Iterable[Expectation], target: str | None = None) -> list[Diagnostic]:
    """Every expectation that does not hold, every layer `target` cannot build as written, and the report's
    warnings, and a note on the first conv or pool whose field is as large as the input."""
    return checked(spec, report, wanted, target).diagnostics


def checked(spec: Spec, report: Report, wanted: Iterable[Expectation], target: str | None = None) -> Checked:
    """As `check`, each part apart."""
    outcomes = tuple(judged(expectation, spec, report) for expectation in wanted)
    unbuildable = tuple(_unbuildable(spec, report, target)) if target else ()
    note = _whole_input_note(report)
    return Checked(outcomes, unbuildable, (*report.warnings, *([note] if note else [])))


def judged(expectation: Expectation, spec: Spec, report: Report) -> Outcome:
    """Whether `expectation` holds of the report, and what was found."""
    totals = report.totals
    key, value = expectation.key, expectation.value
    last = report.layers[-1]
    at_fault = last  # where a failure given on the command line is shown: the layer that decides it
    if key == "output":
        found: Any = totals.output
        if found == value:
            return Outcome(expectation, found, None)
        message = f"expected output {value}, found {found}"
    elif key in ("params", "trainable_params", "non_trainable_params"):
        found = getattr(totals, key)
        if found == value:
            return Outcome(expectation, found, None)
        what = key.replace("_", " ")
        hint = _statistics_hint(expectation, totals)
        message = f"expected {what} {value:,}, found {found:,} ({found - value:+,}){hint}"
    elif key in ("max_params", "max_macs"):
        measure = "params" if key == "max_params" else "macs"
        found = getattr(totals, measure)
        if found <= value:
            return Outcome(expectation, found, None)
        at_fault = max(report.layers, key=lambda row: getattr(row, measure))
        largest = getattr(at_fault, measure)
        unit = "params" if measure == "params" else "MACs"
        share = "here" if expectation.loc is None else f"in layer {at_fault.path} ({at_fault.kind})"
        message = f"{key}: at most {value:,} {unit}, found {found:,}, {largest:,} of them {share}"
    else:  # receptive_field: at least this, at the last layer
        found = totals.receptive_field
        wanted = value * len(found) if len(value) == 1 else value
        if len(wanted) != len(found):
            axis_count = "1 axis" if len(found) == 1 else f"{len(found)} axes"
            message = (
                f"receptive_field: {'x'.join(map(str, value))} gives {len(value)} sizes, the input has {axis_count}: "
                f"give one size, or {len(found)}"
            )
        elif all(r >= v for r, v in zip(found, wanted, strict=True)):
            return Outcome(expectation, found, None)
        else:
            message = f"receptive_field: at least {axes(wanted, ' x ')}, found {axes(found, ' x ')}"
    loc = expectation.loc or at_fault.layer.loc or spec.input_loc
    problem = error(
        "expect", message, loc, None if expectation.loc else at_fault.path, None if expectation.loc else at_fault.kind
    )
    return Outcome(expectation, found, problem)


# the other of the two counts, as a spec's `expect:` and as the command line name it
_OTHER_COUNT = {
    "params": ("trainable_params", "--expect-trainable-params"),
    "trainable_params": ("params", "--expect-params"),
}


def _statistics_hint(expectation: Expectation, totals: Totals) -> str:
    """Where a count misses by exactly batchnorm's statistics, the other count was meant: PyTorch's parameters()
    leave the statistics out (they are buffers), Keras's total counts them. Say so, and name the key to use."""
    statistics, value = totals.non_trainable_params, expectation.value
    if not statistics or expectation.key not in _OTHER_COUNT:
        return ""
    key, flag = _OTHER_COUNT[expectation.key]
    use = f"expect {key}: {value}" if expectation.loc else f"give {flag} {value}"
    if expectation.key == "params" and totals.params - value == statistics:
        return (
            f": {totals.trainable_params:,} trainable + {statistics:,} batchnorm statistics, which PyTorch keeps as "
            f"buffers, not parameters: for its count, {use}"
        )
    if expectation.key == "trainable_params" and value - totals.trainable_params == statistics:
        return f": {value:,} counts the {statistics:,} batchnorm statistics too, as Keras's total does: for that, {use}"
    return ""


def _unbuildable(spec: Spec, report: Report, target: str) -> Iterator[Diagnostic]:
    if target not in TARGETS:
        raise ValueError(f"unknown check target {target!r}: use one of {', '.join(TARGETS)}")
    framework, rules, joins = TARGETS[target]
    rank = spec.input.rank
    for path, layer in layer_tree(spec.layers):
        for option, reason in rules.of(layer)(layer, rank):
            loc = layer.option_locs.get(option, layer.loc)
            yield error(f"target-{target}", reason, loc, path, layer.kind)
    yield from _merges(spec, report, target, joins)
    if oversized := too_large_input(spec.input):
        yield error(f"target-{target}", f"{framework}: {oversized}", spec.input_loc)
    for row in walk(report.layers):
        if oversized := too_large(row):
            yield error(f"target-{target}", f"{framework}: {oversized}", row.layer.loc, row.path, row.kind)


MAX_ELEMENTS = 2**63 - 1  # a tensor's element count is an int64 in PyTorch and TensorFlow


def too_large_input(volume: Volume) -> str | None:
    """Why a framework cannot hold the input `volume` (see `too_large`); else None."""
    elements = volume.elements
    if elements > MAX_ELEMENTS:
        return f"the input of {elements:,} elements is more than a tensor holds ({MAX_ELEMENTS:,})"
    return None


def too_large(row: LayerResult) -> str | None:
    """Why a framework cannot make `row`'s output or weights, a tensor of more than MAX_ELEMENTS elements; else None.

    Sizes of at most 2**31 - 1 each can still multiply past it: a flatten of 2,147,483,647 cubed, a dense on that.
    """
    elements = row.output.elements
    if elements > MAX_ELEMENTS:
        return f"its output of {elements:,} elements is more than a tensor holds ({MAX_ELEMENTS:,})"
    weights = WEIGHTS.of(row.layer)(row.layer, row.input)
    if weights > MAX_ELEMENTS:
        return f"its weights, {weights:,} of them, are more than a tensor holds ({MAX_ELEMENTS:,})"
    return None


# the elements of each kind's largest weight tensor, given its input volume
WEIGHTS = ByKind("check.WEIGHTS")


@WEIGHTS.register("conv")
def _conv_weights(layer: Conv, given: Volume) -> int:
    return layer.filters * math.prod(layer.kernel) * (given.c // layer.groups)


@WEIGHTS.register("convtranspose")
def _convtranspose_weights(layer: ConvTranspose, given: Volume) -> int:
    # (c, K / groups, *kernel) in PyTorch
    return given.c * (layer.filters // layer.groups) * math.prod(layer.kernel)


@WEIGHTS.register("squeeze_excite")
def _squeeze_excite_weights(layer: SqueezeExcite, given: Volume) -> int:
    return layer.squeeze * given.c


@WEIGHTS.register("dense")
def _dense_weights(layer: Dense, given: Volume) -> int:
    return layer.units * given.elements


@WEIGHTS.register("batchnorm", "layernorm", "groupnorm", "instancenorm", "scale", "prelu")
def _per_channel(layer: BatchNorm | LayerNorm | GroupNorm | InstanceNorm | Scale | PReLU, given: Volume) -> int:
    # never the first to be too large: its output, of every element of its input, is looked at before
    return given.c


@WEIGHTS.register(
    "maxpool",
    "avgpool",
    "adaptiveavgpool",
    "adaptivemaxpool",
    "globalavgpool",
    "globalmaxpool",
    "flatten",
    "zeropad",
    "upsample",
    "crop",
    "dropout",
    "droppath",
    *ACTIVATIONS,
    "channelshuffle",
    "repeat",
    "residual",
    "add",
    "concat",
    "multiply",
)
def _no_weights(layer: Layer, given: Volume) -> int:
    # a block's weights are its layers', each a row of its own
    return 0


# the kinds with no sliding window: both frameworks build them whatever their options say (a block's rules are
# its layers', a merge's are on the shapes it joins: see `_merges`), and the whole-input note does not speak of them
_NO_WINDOW = (
    "dense",
    "batchnorm",
    "layernorm",
    "groupnorm",
    "instancenorm",
    "flatten",
    "globalavgpool",
    "globalmaxpool",
    "zeropad",
    "crop",
    "dropout",
    *ACTIVATIONS,
    "prelu",
    "repeat",
    "residual",
    "add",
    "concat",
    "multiply",
)


# and the kinds with no window that Keras has no layer of its own for: its applications write them as custom layers
# (filled in per rank: `axes` the spatial axes' letters, `rank` the layer names' digit, `ones` a 1 x ... x 1 kernel)
_NO_KERAS_LAYER = {
    "scale": "Keras: no layer of its own: keras.applications.convnext writes a LayerScale layer",
    "droppath": "Keras: no layer of its own: keras.applications.convnext writes a StochasticDepth layer",
    "channelshuffle": "Keras: no layer of its own: a Reshape to ({axes}, g, c / g), a Permute and a Reshape back",
    "squeeze_excite": "Keras: no layer of its own: GlobalAveragePooling{rank}D(keepdims=True), two {ones} Conv{rank}D "
    "and a Multiply",
}


@PYTORCH_RULES.register(*_NO_WINDOW, *_NO_KERAS_LAYER)
@KERAS_RULES.register(*_NO_WINDOW)
def _as_written(layer: Layer, rank: int) -> Iterator[tuple[str, str]]:
    return iter(())


@KERAS_RULES.register(*_NO_KERAS_LAYER)
def _keras_has_no_layer(layer: Layer, rank: int) -> Iterator[tuple[str, str]]:
    ones = "x".join("1" * rank) if rank > 1 else "kernel-1"
    yield "", _NO_KERAS_LAYER[layer.kind].format(axes=", ".join(AXIS_LETTERS[rank]), rank=rank, ones=ones)


def _asymmetric(padding: Padding) -> bool:
    """Explicit padding that differs on the two sides of an axis."""
    return isinstance(padding, tuple) and any(padding[i] != padding[i + 1] for i in range(0, len(padding), 2))


def _all_ones(values: PerAxis) -> bool:
    return all(value == 1 for value in values)


def _per_axis(values: Sequence[int]) -> str:
    """A value per axis as an argument: `1` where every axis agrees, else `(1, 2)`."""
    return str(values[0]) if len(set(values)) == 1 else f"({', '.join(map(str, values))})"


# -- PyTorch ---------------------------------------------------------------------------------------------------

_PYTORCH_POOLS = {"maxpool": "MaxPool", "avgpool": "AvgPool"}


@PYTORCH_RULES.register("conv")
def _pytorch_conv(layer: Conv, rank: int) -> Iterator[tuple[str, str]]:
    conv, pad = f"Conv{rank}d", f"nn.ZeroPad{rank}d"
    if layer.padding == "same" and not _all_ones(layer.stride):
        yield "padding", f"PyTorch: {conv} takes padding='same' only at stride 1; pad with {pad} in front"
    if _asymmetric(layer.padding):
        yield "padding", f"PyTorch: {conv} pads both sides of an axis alike; put {pad} in front"


@PYTORCH_RULES.register("maxpool", "avgpool")
def _pytorch_pool(layer: Pool, rank: int) -> Iterator[tuple[str, str]]:
    name = f"{_PYTORCH_POOLS[layer.kind]}{rank}d"
    if layer.padding == "same":
        yield "padding", f"PyTorch: {name} has no padding='same'; give the padding explicitly"
    elif _asymmetric(layer.padding):
        yield "padding", f"PyTorch: {name} pads both sides of an axis alike"


_CROP_AFTER = "give the smaller side as padding and crop the rest with a negative nn.ZeroPad{rank}d after"
# the sides a cut lists, in its order
_SIDE_NAMES = {1: "before, after", 2: "top, bottom, left, right", 3: "front, back, top, bottom, left, right"}


@PYTORCH_RULES.register("convtranspose")
def _pytorch_convtranspose(layer: ConvTranspose, rank: int) -> Iterator[tuple[str, str]]:
    name, crop_after = f"ConvTranspose{rank}d", _CROP_AFTER.format(rank=rank)
    if layer.padding == "same":
        cut = _transposed_same_cut(layer)
        if cut is None:
            return  # a kernel narrower than the stride: cnncalc refuses `same` itself
        if _asymmetric(cut):
            sides = f"({', '.join(map(str, cut))}) {_SIDE_NAMES[rank]}"
            yield "padding", f"PyTorch: {name} has no padding='same', here a cut of {sides}; {crop_after}"
        else:
            yield "padding", f"PyTorch: {name} has no padding='same'; here padding={_per_axis(cut[::2])} cuts the same"
    elif _asymmetric(layer.padding):
        yield "padding", f"PyTorch: {name} cuts both sides of an axis alike; {crop_after}"


@PYTORCH_RULES.register("upsample", "adaptiveavgpool", "adaptivemaxpool")
def _pytorch_builds(layer: Layer, rank: int) -> Iterator[tuple[str, str]]:
    # nn.Upsample (`bilinear` is its mode 'linear' in 1-D, 'trilinear' in 3-D) and the adaptive pools of every rank
    # take every option cnncalc does
    return iter(())


def _transposed_same_cut(layer: ConvTranspose) -> Sides | None:
    """What `same` cuts from a transposed conv's output, whatever the input: k - s per axis, the odd one after; None
    where the kernel is narrower than the stride."""
    per_axis = list(zip(layer.kernel, layer.stride, layer.dilation, strict=True))
    if any(effective_kernel(k, d) < s for k, s, d in per_axis):
        return None
    return tuple(side for k, s, d in per_axis for side in transposed_same_padding(k, s, d))


# -- Keras -----------------------------------------------------------------------------------------------------

_KERAS_POOLS = {"maxpool": "MaxPooling", "avgpool": "AveragePooling"}


@KERAS_RULES.register("conv")
def _keras_conv(layer: Conv, rank: int) -> Iterator[tuple[str, str]]:
    name = f"Conv{rank}D"
    if rank != 1 or layer.padding != _causal_padding(layer):  # else Conv1D's padding='causal'
        yield from _keras_padding(name, rank, layer.padding, layer.stride, layer.kernel, layer.dilation)
    if not _all_ones(layer.stride) and not _all_ones(layer.dilation):
        yield "dilation", f"Keras: {name} refuses strides above 1 together with a dilation_rate above 1"


def _causal_padding(layer: Conv) -> Sides:
    """Keras's `causal` for a 1-D conv: d (k - 1) zeros before, none after, at any stride."""
    return (layer.dilation[0] * (layer.kernel[0] - 1), 0)


@KERAS_RULES.register("maxpool", "avgpool")
def _keras_pool(layer: Pool, rank: int) -> Iterator[tuple[str, str]]:
    name = f"{_KERAS_POOLS[layer.kind]}{rank}D"
    yield from _keras_padding(name, rank, layer.padding, layer.stride, layer.size, (1,) * rank)
    if layer.ceil:
        yield "ceil", "Keras: pooling has no ceil mode"


@KERAS_RULES.register("convtranspose")
def _keras_convtranspose(layer: ConvTranspose, rank: int) -> Iterator[tuple[str, str]]:
    name = f"Conv{rank}DTranspose"
    if isinstance(layer.padding, tuple) and any(layer.padding):
        if not any(layer.output_padding) and layer.padding == _transposed_same_cut(layer):
            hint = "here padding: same gives the same cut"
        else:
            hint = f"give padding 'valid' and put Cropping{rank}D after"
        yield "padding", f"Keras: {name} takes only padding 'valid' or 'same'; {hint}"
    if any(extra >= s for extra, s in zip(layer.output_padding, layer.stride, strict=True)):
        yield "output_padding", f"Keras: {name} takes output_padding below the stride only"
    if not _all_ones(layer.stride) and not _all_ones(layer.dilation):
        yield "dilation", f"Keras: {name} refuses strides above 1 together with a dilation_rate above 1"
    if layer.groups != 1:
        yield "groups", f"Keras: {name} has no groups"


@KERAS_RULES.register("upsample")
def _keras_upsample(layer: Upsample, rank: int) -> Iterator[tuple[str, str]]:
    if rank != 2:
        yield from _keras_upsample_not_2d(layer, rank)
        return
    if layer.size is not None:
        if layer.mode == "nearest":
            other = "Resizing's 'nearest' picks floor((o + 1/2) h / H), not floor(o h / H)"
        else:
            other = "else Resizing(interpolation='bilinear')"
        yield (
            "size",
            f"Keras: UpSampling2D takes integer factors, not a `size`: give it H / h where that is whole; {other}",
        )
    if layer.align_corners and layer.mode == "bilinear":
        yield "align_corners", "Keras: UpSampling2D and Resizing have no align_corners: they sample half-pixel centres"


def _keras_upsample_not_2d(layer: Upsample, rank: int) -> Iterator[tuple[str, str]]:
    """UpSampling1D and UpSampling3D repeat each value by integer factors, and Resizing takes images alone."""
    name = f"UpSampling{rank}D"
    if layer.size is not None:
        factors = every_axis(tuple(f"{letter.upper()} / {letter}" for letter in AXIS_LETTERS[rank]))
        what, whole = ("an integer factor", "that is") if rank == 1 else ("integer factors", "each is")
        yield "size", f"Keras: {name} takes {what}, not a `size`: give it {factors} where {whole} whole"
    if layer.mode == "bilinear":
        mode = "linear" if rank == 1 else "trilinear"
        yield (
            "mode",
            f"Keras: {name} only repeats values: it has no {mode} interpolation, and Resizing takes images only",
        )


# how fixed windows give an adaptive pool to n, where they do
_FIXED_WINDOWS = {
    1: "l / n gives it where n divides l, and where the map is already n long",
    2: "h / n gives it where n divides h, and where the map is already n x n",
    3: "(d / n1, h / n2, w / n3) gives it where each n divides its axis, and where the map is already n1 x n2 x n3",
}


@KERAS_RULES.register("adaptiveavgpool", "adaptivemaxpool")
def _keras_adaptive_pool(layer: AdaptivePool, rank: int) -> Iterator[tuple[str, str]]:
    if _all_ones(layer.size):
        return  # a global pool: GlobalAveragePooling1D/2D/3D or GlobalMaxPooling1D/2D/3D with keepdims=True
    pool = f"{'AveragePooling' if layer.kind == 'adaptiveavgpool' else 'MaxPooling'}{rank}D"
    yield (
        "size",
        f"Keras: no adaptive pooling; {pool} with pool_size = strides = {_FIXED_WINDOWS[rank]} it is the identity: "
        "leave it out",
    )


def _keras_padding(
    name: str, rank: int, padding: Padding, stride: PerAxis, window: PerAxis, dilation: PerAxis
) -> Iterator[tuple[str, str]]:
    if isinstance(padding, tuple) and any(padding):
        # Conv1D alone takes 'causal' too
        modes = "'valid', 'same' or 'causal'" if name == "Conv1D" else "'valid' or 'same'"
        hint = _keras_padding_hint(padding, stride, window, dilation, rank)
        yield "padding", f"Keras: {name} takes only padding {modes}; {hint}"


def _keras_padding_hint(padding: Sides, stride: PerAxis, window: PerAxis, dilation: PerAxis, rank: int) -> str:
    """At stride 1, SAME pads k - 1 in all, the odd one after, whatever the input: say when that is what is written."""
    # whatever the input: so an input of 1 finds the same split as any other
    same = tuple(side for f, d in zip(window, dilation, strict=True) for side in same_padding(1, f, 1, d))
    if _all_ones(stride) and padding == same:
        return "here padding: same gives the same zeros"
    return f"put ZeroPadding{rank}D in front"


# -- merges ----------------------------------------------------------------------------------------------------

_KERAS_MERGES = {"add": "Add", "concat": "Concatenate", "multiply": "Multiply"}


def _pytorch_joins(
    layer: Merge, row: LayerResult | None, operands: Operands | None, rank: int
) -> Iterator[tuple[str, str, str]]:
    # torch.add, torch.cat and torch.mul in forward(), slicing the cut inputs there: PyTorch joins as written
    return iter(())


def _keras_joins(
    layer: Merge, row: LayerResult | None, operands: Operands | None, rank: int
) -> Iterator[tuple[str, str, str]]:
    merge = _KERAS_MERGES[layer.kind]
    cropping = f"Cropping{rank}D"
    if layer.merged and layer.crop is not None:
        if row is None or operands is None:
            yield "error", "crop", f"Keras: {merge} does not crop: cut each larger input with {cropping} in front"
        else:
            kept = row.input
            cuts = [
                f"{label} ({' x '.join(map(str, volume.spatial))}) with {cropping}({_cropping(volume, kept)})"
                for label, volume in operands[1:]
                if volume.spatial != kept.spatial
            ]
            if cuts:
                yield "error", "crop", f"Keras: {merge} does not crop: cut {', '.join(cuts)} in front"
    if layer.kind == "multiply" and row is not None and operands is not None:
        stretched = list(dict.fromkeys(f"{label} ({volume})" for label, volume in operands if volume != row.output))
        if stretched:
            yield (
                "note",
                "with" if layer.merged else "branches",
                f"Keras: Multiply broadcasts {' and '.join(stretched)} to {row.output}: its documentation asks for "
                "inputs of one shape, but it stretches an axis of 1 as numpy does (as keras.applications' "
                "squeeze-and-excitation blocks do)",
            )


def _cropping(volume: Volume, kept: Volume) -> str:
    """Keras's Cropping1D/2D/3D argument that cuts `volume` to `kept`'s spatial sizes around its centre,
    floor(cut / 2) before: one number, one per axis, or (before, after) per axis."""
    sides = [(cut // 2, cut - cut // 2) for cut in (v - k for v, k in zip(volume.spatial, kept.spatial, strict=True))]
    if any(before != after for before, after in sides):
        pairs = [f"({before}, {after})" for before, after in sides]
        return pairs[0] if len(pairs) == 1 else f"({', '.join(pairs)})"
    return _per_axis([before for before, _ in sides])


TARGETS: dict[str, Target] = {
    "pytorch": Target("PyTorch", PYTORCH_RULES, _pytorch_joins),
    "keras": Target("Keras", KERAS_RULES, _keras_joins),
}


def _merges(spec: Spec, report: Report, target: str, joins: JoinRule) -> Iterator[Diagnostic]:
    """What `joins` says of every merge: of its row, with the shapes it joins, where the report kept it; else of the
    layer alone. Said once per place and message, however many repetitions repeat it."""
    said = set()
    kept = set()
    rank = spec.input.rank
    for row, seen in named_rows(report.layers):
        if not isinstance(row.layer, Merge):
            continue
        kept.add(row.path)
        for severity, option, reason in joins(row.layer, row, _operands(row, seen, report.input), rank):
            loc = row.layer.option_locs.get(option, row.layer.loc)
            if (loc, reason) not in said:
                said.add((loc, reason))
                yield Diagnostic(severity, f"target-{target}", reason, loc, row.path, row.kind)
    for path, layer in layer_tree(spec.layers):
        if isinstance(layer, Merge) and path not in kept:
            for severity, option, reason in joins(layer, None, None, rank):
                yield Diagnostic(
                    severity, f"target-{target}", reason, layer.option_locs.get(option, layer.loc), path, layer.kind
                )


def _operands(row: LayerResult, seen: Mapping[str, LayerResult | None], given: Volume) -> Operands | None:
    """The volumes a merge's row joins; None where its branches' rows are folded into it."""
    layer = row.layer
    assert isinstance(layer, Merge)
    if layer.merged:
        named = [(repr(name), given if (found := seen.get(name)) is None else found.output) for name in layer.merged]
        return [("the current tensor", row.input), *named]
    if row.folded:
        return None
    return [
        (f"branch {number}", branch[-1].output if branch else row.input)
        for number, branch in enumerate(row.branches, start=1)
    ]


def named_rows(
    rows: Sequence[LayerResult], scope: Mapping[str, LayerResult | None] | None = None
) -> Iterator[tuple[LayerResult, Mapping[str, LayerResult | None]]]:
    """Every row kept, a block before its own (as `walk`), with the rows it can read by name (`from`, a merge's
    `with`): the named rows before it in its list and in the lists around it, as the engine sees them; `input`,
    the network's input, is None. The mapping changes as the walk goes on: read it before taking the next row."""
    seen = dict({INPUT: None} if scope is None else scope)
    for row in rows:
        yield row, seen
        for held in _row_lists(row):
            yield from named_rows(held, seen)
        if row.name is not None:
            seen[row.name] = row


def _row_lists(row: LayerResult) -> Iterator[tuple[LayerResult, ...]]:
    """A block's lists of rows, each read on its own: a repeat's every repetition, a residual's layers and shortcut,
    a merge's branches."""
    if isinstance(row.layer, Repeat):
        body = len(row.layer.layers)
        for start in range(0, len(row.layers), body):
            yield row.layers[start : start + body]
    else:
        yield row.layers
        yield row.shortcut
        yield from row.branches


# whether a kind slides a window over the map: the layers the note on a field as large as the input speaks of
SLIDES = ByKind("check.SLIDES")


@SLIDES.register("conv", "convtranspose", "maxpool", "avgpool")
def _slides(layer: Layer) -> bool:
    return True


@SLIDES.register("adaptiveavgpool", "adaptivemaxpool")
def _pools_in_windows(layer: AdaptivePool) -> bool:
    # to 1 x ... x 1, a global pool: its field is always the whole input
    return not _all_ones(layer.size)


@SLIDES.register(*_NO_WINDOW, *_NO_KERAS_LAYER, "upsample")
def _sees_no_window(layer: Layer) -> bool:
    return False


def _whole_input_note(report: Report) -> Diagnostic | None:
    """The first conv or pool whose field is as large as the input: deep networks do this on purpose. (Or the
    folded block it lies in, for a report too long to keep every row.)"""
    first: LayerResult | None = next(
        (
            row
            for row in walk(report.layers)
            if (SLIDES.of(row.layer)(row.layer) or row.folded) and all(row.covers_input)
        ),
        None,
    )
    if first is None:
        return None
    field = axes(first.receptive_field, " x ")
    size = " x ".join(map(str, report.input.spatial))
    pixels = "pixel" if field == "1" else "pixels"
    message = f"the receptive field ({field} {pixels}) is as large as the {size} input from here on"
    if first.folded:
        message = f"the receptive field grows as large as the {size} input within this block ({field} pixels after it)"
    return Diagnostic("note", "whole-input", message, first.layer.loc, first.path, first.kind)
