"""What `cnncalc check` verifies of a computed spec: its expectations, and that a framework can build it as written.

Pure: takes a spec and its report, returns diagnostics (errors fail the check; warnings fail it under --strict;
notes only inform).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from .config import axes
from .diagnostics import Diagnostic, error, in_file_order
from .formulas import effective_kernel, same_padding, transposed_same_padding
from .graph import INPUT
from .kinds import ByKind, layer_tree
from .record import Record
from .report import LayerResult, Report, walk
from .spec import (
    ACTIVATIONS,
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
    Pair,
    Pool,
    PReLU,
    Repeat,
    Scale,
    Sides,
    Spec,
    SqueezeExcite,
    Upsample,
    Volume,
)

# the volumes a merge joins, each with what to call it: the current tensor or a branch, and the outputs it names
Operands = Sequence[tuple[str, Volume]]
# what a framework says of a merge, given its row and operands (None where the rows are folded away): as
# (the severity, the option at fault, the reason)
JoinRule = Callable[[Merge, LayerResult | None, Operands | None], Iterator[tuple[str, str, str]]]


class Target(Record):
    """A framework `--target` names: what its messages call it, its rules per kind, and its rule on the tensors a
    merge joins (their shapes are in the report, not the spec)."""

    framework: str
    rules: ByKind
    joins: JoinRule


# each framework's rule per kind: why it cannot build a layer as written, as (the option at fault, the reason)
PYTORCH_RULES = ByKind("check.PYTORCH_RULES")
KERAS_RULES = ByKind("check.KERAS_RULES")


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
    framework, rules, joins = TARGETS[target]
    for path, layer in layer_tree(spec.layers):
        for option, reason in rules.of(layer)(layer):
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


@WEIGHTS.register("convtranspose")
def _convtranspose_weights(layer: ConvTranspose, given: Volume) -> int:
    # (c, K / groups, fh, fw) in PyTorch
    return given.c * (layer.filters // layer.groups) * layer.kernel[0] * layer.kernel[1]


@WEIGHTS.register("squeeze_excite")
def _squeeze_excite_weights(layer: SqueezeExcite, given: Volume) -> int:
    return layer.squeeze * given.c


@WEIGHTS.register("dense")
def _dense_weights(layer: Dense, given: Volume) -> int:
    return layer.units * given.h * given.w * given.c


@WEIGHTS.register("batchnorm", "layernorm", "groupnorm", "instancenorm", "scale", "prelu")
def _per_channel(layer: BatchNorm | LayerNorm | GroupNorm | InstanceNorm | Scale | PReLU, given: Volume) -> int:
    # never the first to be too large: its output, h w c elements, is looked at before
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
_NO_KERAS_LAYER = {
    "scale": "Keras: no layer of its own: keras.applications.convnext writes a LayerScale layer",
    "droppath": "Keras: no layer of its own: keras.applications.convnext writes a StochasticDepth layer",
    "channelshuffle": "Keras: no layer of its own: a Reshape to (h, w, g, c / g), a Permute and a Reshape back",
    "squeeze_excite": "Keras: no layer of its own: GlobalAveragePooling2D(keepdims=True), two 1x1 Conv2D and a "
    "Multiply",
}


@PYTORCH_RULES.register(*_NO_WINDOW, *_NO_KERAS_LAYER)
@KERAS_RULES.register(*_NO_WINDOW)
def _as_written(layer: Layer) -> Iterator[tuple[str, str]]:
    return iter(())


@KERAS_RULES.register(*_NO_KERAS_LAYER)
def _keras_has_no_layer(layer: Layer) -> Iterator[tuple[str, str]]:
    yield "", _NO_KERAS_LAYER[layer.kind]


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


_CROP_AFTER = "give the smaller side as padding and crop the rest with a negative nn.ZeroPad2d after"


@PYTORCH_RULES.register("convtranspose")
def _pytorch_convtranspose(layer: ConvTranspose) -> Iterator[tuple[str, str]]:
    if layer.padding == "same":
        cut = _transposed_same_cut(layer)
        if cut is None:
            return  # a kernel narrower than the stride: cnncalc refuses `same` itself
        if _asymmetric(cut):
            sides = "({}, {}, {}, {}) top, bottom, left, right".format(*cut)
            yield "padding", f"PyTorch: ConvTranspose2d has no padding='same', here a cut of {sides}; {_CROP_AFTER}"
        else:
            same = cut[0] if cut[0] == cut[2] else f"({cut[0]}, {cut[2]})"
            yield "padding", f"PyTorch: ConvTranspose2d has no padding='same'; here padding={same} cuts the same"
    elif _asymmetric(layer.padding):
        yield "padding", f"PyTorch: ConvTranspose2d cuts both sides of an axis alike; {_CROP_AFTER}"


@PYTORCH_RULES.register("upsample", "adaptiveavgpool", "adaptivemaxpool")
def _pytorch_builds(layer: Layer) -> Iterator[tuple[str, str]]:
    # nn.Upsample and the adaptive pools take every option cnncalc does
    return iter(())


def _transposed_same_cut(layer: ConvTranspose) -> Sides | None:
    """What `same` cuts from a transposed conv's output, whatever the input: k - s per axis, the odd one after; None
    where the kernel is narrower than the stride."""
    per_axis = list(zip(layer.kernel, layer.stride, layer.dilation, strict=True))
    if any(effective_kernel(k, d) < s for k, s, d in per_axis):
        return None
    (top, bottom), (left, right) = (transposed_same_padding(k, s, d) for k, s, d in per_axis)
    return top, bottom, left, right


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


@KERAS_RULES.register("convtranspose")
def _keras_convtranspose(layer: ConvTranspose) -> Iterator[tuple[str, str]]:
    if isinstance(layer.padding, tuple) and any(layer.padding):
        if layer.output_padding == (0, 0) and layer.padding == _transposed_same_cut(layer):
            hint = "here padding: same gives the same cut"
        else:
            hint = "give padding 'valid' and put Cropping2D after"
        yield "padding", f"Keras: Conv2DTranspose takes only padding 'valid' or 'same'; {hint}"
    if any(extra >= s for extra, s in zip(layer.output_padding, layer.stride, strict=True)):
        yield "output_padding", "Keras: Conv2DTranspose takes output_padding below the stride only"
    if layer.stride != (1, 1) and layer.dilation != (1, 1):
        yield "dilation", "Keras: Conv2DTranspose refuses strides above 1 together with a dilation_rate above 1"
    if layer.groups != 1:
        yield "groups", "Keras: Conv2DTranspose has no groups"


@KERAS_RULES.register("upsample")
def _keras_upsample(layer: Upsample) -> Iterator[tuple[str, str]]:
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


@KERAS_RULES.register("adaptiveavgpool", "adaptivemaxpool")
def _keras_adaptive_pool(layer: AdaptivePool) -> Iterator[tuple[str, str]]:
    if layer.size == (1, 1):
        return  # a global pool: GlobalAveragePooling2D or GlobalMaxPooling2D with keepdims=True
    pool = "AveragePooling2D" if layer.kind == "adaptiveavgpool" else "MaxPooling2D"
    yield (
        "size",
        f"Keras: no adaptive pooling; {pool} with pool_size = strides = h / n gives it where n divides h, and where "
        "the map is already n x n it is the identity: leave it out",
    )


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


# -- merges ----------------------------------------------------------------------------------------------------

_KERAS_MERGES = {"add": "Add", "concat": "Concatenate", "multiply": "Multiply"}


def _pytorch_joins(layer: Merge, row: LayerResult | None, operands: Operands | None) -> Iterator[tuple[str, str, str]]:
    # torch.add, torch.cat and torch.mul in forward(), slicing the cut inputs there: PyTorch joins as written
    return iter(())


def _keras_joins(layer: Merge, row: LayerResult | None, operands: Operands | None) -> Iterator[tuple[str, str, str]]:
    merge = _KERAS_MERGES[layer.kind]
    if layer.merged and layer.crop is not None:
        if row is None or operands is None:
            yield "error", "crop", f"Keras: {merge} does not crop: cut each larger input with Cropping2D in front"
        else:
            kept = row.input
            cuts = [
                f"{label} ({volume.h} x {volume.w}) with Cropping2D({_cropping(volume, kept)})"
                for label, volume in operands[1:]
                if (volume.h, volume.w) != (kept.h, kept.w)
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
    """Keras's Cropping2D argument that cuts `volume` to `kept`'s h x w around its centre, floor(cut / 2) before."""
    (top, bottom), (left, right) = ((cut // 2, cut - cut // 2) for cut in (volume.h - kept.h, volume.w - kept.w))
    if (top, left) != (bottom, right):
        return f"(({top}, {bottom}), ({left}, {right}))"
    return str(top) if top == left else f"({top}, {left})"


TARGETS: dict[str, Target] = {
    "pytorch": Target("PyTorch", PYTORCH_RULES, _pytorch_joins),
    "keras": Target("Keras", KERAS_RULES, _keras_joins),
}


def _merges(spec: Spec, report: Report, target: str, joins: JoinRule) -> Iterator[Diagnostic]:
    """What `joins` says of every merge: of its row, with the shapes it joins, where the report kept it; else of the
    layer alone. Said once per place and message, however many repetitions repeat it."""
    said = set()
    kept = set()
    for row, seen in named_rows(report.layers):
        if not isinstance(row.layer, Merge):
            continue
        kept.add(row.path)
        for severity, option, reason in joins(row.layer, row, _operands(row, seen, report.input)):
            loc = row.layer.option_locs.get(option, row.layer.loc)
            if (loc, reason) not in said:
                said.add((loc, reason))
                yield Diagnostic(severity, f"target-{target}", reason, loc, row.path, row.kind)
    for path, layer in layer_tree(spec.layers):
        if isinstance(layer, Merge) and path not in kept:
            for severity, option, reason in joins(layer, None, None):
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
    # to 1 x 1, a global pool: its field is always the whole input
    return layer.size != (1, 1)


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
    size = f"{report.input.h} x {report.input.w}"
    message = f"the receptive field ({field} pixels) is as large as the {size} input from here on"
    if first.folded:
        message = f"the receptive field grows as large as the {size} input within this block ({field} pixels after it)"
    return Diagnostic("note", "whole-input", message, first.layer.loc, first.path, first.kind)
