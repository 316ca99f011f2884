"""What `cnncalc check` verifies of a computed spec: its expectations, and that a framework can build it as written.

Pure: takes a spec and its report, returns diagnostics (errors fail the check; warnings fail it under --strict;
notes only inform).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .config import axes
from .diagnostics import Diagnostic, error, in_file_order
from .formulas import same_padding
from .kinds import ByKind, layer_tree
from .record import Record
from .report import LayerResult, Report, walk
from .spec import (
    ACTIVATIONS,
    BatchNorm,
    Conv,
    Dense,
    Expectation,
    Layer,
    Padding,
    Pair,
    Pool,
    Sides,
    Spec,
    Volume,
)


class Target(Record):
    """A framework `--target` names: what its messages call it, and its rules per kind."""

    framework: str
    rules: ByKind


# each framework's rule per kind: why it cannot build a layer as written, as (the option at fault, the reason)
PYTORCH_RULES = ByKind("check.PYTORCH_RULES")
KERAS_RULES = ByKind("check.KERAS_RULES")
TARGETS: dict[str, Target] = {"pytorch": Target("PyTorch", PYTORCH_RULES), "keras": Target("Keras", KERAS_RULES)}


def expectations(spec: Spec, overrides: Iterable[Expectation]) -> list[Expectation]:
    """The spec's `expect:` entries, each replaced by the command line's where it gives the same key."""
    merged = {e.key: e for e in spec.expect}
    merged.update((e.key, e) for e in overrides)
    return list(merged.values())


def check(spec: Spec, report: Report, wanted: Iterable[Expectation], target: str | None = None) -> list[Diagnostic]:
    """Every expectation that does not hold, every layer `target` cannot build as written, and the report's
    warnings, and a note on the first conv or pool whose field is as large as the input."""
    found = [problem for expectation in wanted if (problem := _unmet(expectation, spec, report))]
    if target:
        found += _unbuildable(spec, report, target)
    found += report.warnings
    if note := _whole_input_note(report):
        found.append(note)
    return in_file_order(found)


def _unmet(expectation: Expectation, spec: Spec, report: Report) -> Diagnostic | None:
    totals = report.totals
    key, value = expectation.key, expectation.value
    last = report.layers[-1]
    at_fault = last  # where a failure given on the command line is shown: the layer that decides it
    if key == "output":
        if totals.output == value:
            return None
        message = f"expected output {value}, found {totals.output}"
    elif key in ("params", "trainable_params", "non_trainable_params"):
        actual = getattr(totals, key)
        if actual == value:
            return None
        what = key.replace("_", " ")
        message = f"expected {what} {value:,}, found {actual:,} ({actual - value:+,})"
    elif key in ("max_params", "max_macs"):
        measure = "params" if key == "max_params" else "macs"
        actual = getattr(totals, measure)
        if actual <= value:
            return None
        at_fault = max(report.layers, key=lambda row: getattr(row, measure))
        largest = getattr(at_fault, measure)
        unit = "params" if measure == "params" else "MACs"
        share = "here" if expectation.loc is None else f"in layer {at_fault.path} ({at_fault.kind})"
        message = f"{key}: at most {value:,} {unit}, found {actual:,}, {largest:,} of them {share}"
    else:  # receptive_field: at least this, at the last layer
        if all(r >= v for r, v in zip(totals.receptive_field, value, strict=True)):
            return None
        message = f"receptive_field: at least {axes(value, ' x ')}, found {axes(totals.receptive_field, ' x ')}"
    loc = expectation.loc or at_fault.layer.loc or spec.input_loc
    return error(
        "expect", message, loc, None if expectation.loc else at_fault.path, None if expectation.loc else at_fault.kind
    )


def _unbuildable(spec: Spec, report: Report, target: str) -> Iterator[Diagnostic]:
    if target not in TARGETS:
        raise ValueError(f"unknown check target {target!r}: use one of {', '.join(TARGETS)}")
    framework, rules = TARGETS[target]
    for path, layer in layer_tree(spec.layers):
        for option, reason in rules.of(layer)(layer):
            loc = layer.option_locs.get(option, layer.loc)
            yield error(f"target-{target}", reason, loc, path, layer.kind)
    if oversized := too_large_input(spec.input):
        yield error(f"target-{target}", f"{framework}: {oversized}", spec.input_loc)
    for row in walk(report.layers):
        if oversized := too_large(row):
            yield error(f"target-{target}", f"{framework}: {oversized}", row.layer.loc, row.path, row.kind)


MAX_ELEMENTS = 2**63 - 1  # a tensor's element count is an int64 in PyTorch and TensorFlow


def too_large_input(volume: Volume) -> str | None:
    """Why a framework cannot hold the input `volume` (see `too_large`); else None."""
    elements = volume.h * volume.w * volume.c
    if elements > MAX_ELEMENTS:
        return f"the input of {elements:,} elements is more than a tensor holds ({MAX_ELEMENTS:,})"
    return None


def too_large(row: LayerResult) -> str | None:
    """Why a framework cannot make `row`'s output or weights, a tensor of more than MAX_ELEMENTS elements; else None.

    Sizes of at most 2**31 - 1 each can still multiply past it: a flatten of 2,147,483,647 cubed, a dense on that.
    """
    elements = row.output.h * row.output.w * row.output.c
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
    return layer.filters * layer.kernel[0] * layer.kernel[1] * (given.c // layer.groups)


@WEIGHTS.register("dense")
def _dense_weights(layer: Dense, given: Volume) -> int:
    return layer.units * given.h * given.w * given.c


@WEIGHTS.register("batchnorm")
def _per_channel(layer: BatchNorm, given: Volume) -> int:
    # never the first to be too large: its output, h w c elements, is looked at before
    return given.c


@WEIGHTS.register(
    "maxpool",
    "avgpool",
    "globalavgpool",
    "globalmaxpool",
    "flatten",
    "zeropad",
    "dropout",
    *ACTIVATIONS,
    "repeat",
    "residual",
    "concat",
)
def _no_weights(layer: Layer, given: Volume) -> int:
    # a block's weights are its layers', each a row of its own
    return 0


# the kinds with no sliding window: both frameworks build them whatever their options say (a block's rules are
# its layers'), and the whole-input note does not speak of them
_NO_WINDOW = (
    "dense",
    "batchnorm",
    "flatten",
    "globalavgpool",
    "globalmaxpool",
    "zeropad",
    "dropout",
    *ACTIVATIONS,
    "repeat",
    "residual",
    "concat",
)


@PYTORCH_RULES.register(*_NO_WINDOW)
@KERAS_RULES.register(*_NO_WINDOW)
def _as_written(layer: Layer) -> Iterator[tuple[str, str]]:
    return iter(())


def _asymmetric(padding: Padding) -> bool:
    return isinstance(padding, tuple) and (padding[0] != padding[1] or padding[2] != padding[3])


# -- PyTorch ---------------------------------------------------------------------------------------------------

_PYTORCH_POOLS = {"maxpool": "MaxPool2d", "avgpool": "AvgPool2d"}


@PYTORCH_RULES.register("conv")
def _pytorch_conv(layer: Conv) -> Iterator[tuple[str, str]]:
    if layer.padding == "same" and layer.stride != (1, 1):
        yield "padding", "PyTorch: Conv2d takes padding='same' only at stride 1; pad with nn.ZeroPad2d in front"
    if _asymmetric(layer.padding):
        yield "padding", "PyTorch: Conv2d pads both sides of an axis alike; put nn.ZeroPad2d in front"


@PYTORCH_RULES.register("maxpool", "avgpool")
def _pytorch_pool(layer: Pool) -> Iterator[tuple[str, str]]:
    name = _PYTORCH_POOLS[layer.kind]
    if layer.padding == "same":
        yield "padding", f"PyTorch: {name} has no padding='same'; give the padding explicitly"
    elif _asymmetric(layer.padding):
        yield "padding", f"PyTorch: {name} pads both sides of an axis alike"


# -- Keras -----------------------------------------------------------------------------------------------------

_KERAS_POOLS = {"maxpool": "MaxPooling2D", "avgpool": "AveragePooling2D"}


@KERAS_RULES.register("conv")
def _keras_conv(layer: Conv) -> Iterator[tuple[str, str]]:
    yield from _keras_padding("Conv2D", layer.padding, layer.stride, layer.kernel, layer.dilation)
    if layer.stride != (1, 1) and layer.dilation != (1, 1):
        yield "dilation", "Keras: Conv2D refuses strides above 1 together with a dilation_rate above 1"


@KERAS_RULES.register("maxpool", "avgpool")
def _keras_pool(layer: Pool) -> Iterator[tuple[str, str]]:
    yield from _keras_padding(_KERAS_POOLS[layer.kind], layer.padding, layer.stride, layer.size, (1, 1))
    if layer.ceil:
        yield "ceil", "Keras: pooling has no ceil mode"


def _keras_padding(
    name: str, padding: Padding, stride: Pair, window: Pair, dilation: Pair
) -> Iterator[tuple[str, str]]:
    if isinstance(padding, tuple) and any(padding):
        hint = _keras_padding_hint(padding, stride, window, dilation)
        yield "padding", f"Keras: {name} takes only padding 'valid' or 'same'; {hint}"


def _keras_padding_hint(padding: Sides, stride: Pair, window: Pair, dilation: Pair) -> str:
    """At stride 1, SAME pads k - 1 in all, the odd one after, whatever the input: say when that is what is written."""
    # whatever the input: so an input of 1 finds the same split as any other
    same = tuple(side for f, d in zip(window, dilation, strict=True) for side in same_padding(1, f, 1, d))
    if stride == (1, 1) and padding == same:
        return "here padding: same gives the same zeros"
    return "put ZeroPadding2D in front"


# whether a kind slides a window over the map: the layers the note on a field as large as the input speaks of
SLIDES = ByKind("check.SLIDES")


@SLIDES.register("conv", "maxpool", "avgpool")
def _slides(layer: Layer) -> bool:
    return True


@SLIDES.register(*_NO_WINDOW)
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
    size = f"{report.input.h} x {report.input.w}"
    message = f"the receptive field ({field} pixels) is as large as the {size} input from here on"
    if first.folded:
        message = f"the receptive field grows as large as the {size} input within this block ({field} pixels after it)"
    return Diagnostic("note", "whole-input", message, first.layer.loc, first.path, first.kind)
