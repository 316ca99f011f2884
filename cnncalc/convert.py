"""Conv <-> fully connected: a classifier's dense layers as convolutions, which can slide, and back.

A dense layer after a flatten of an h x w x c volume is a conv with an h x w kernel and `units` filters; a dense
layer on a vector is a 1 x 1 conv. Both have the same parameters and MACs, and the same output, 1 x 1 x units.
Pure: a spec and its report in, a new spec with a comment per converted layer out.
"""

from __future__ import annotations

from collections.abc import Callable

from .diagnostics import shown
from .graph import references
from .kinds import ByKind, children, layer_tree
from .record import Record
from .report import LayerResult, Report
from .spec import (
    ACTIVATIONS,
    AdaptivePool,
    Conv,
    Crop,
    Dense,
    Flatten,
    GlobalPool,
    Layer,
    PReLU,
    Spec,
    Upsample,
)


class Converted(Record):
    spec: Spec
    comments: dict[int, str]  # id(layer) -> where it came from
    notes: list[str]  # what was left as it was, and why
    unchanged: str = ""  # where no layer changed, why: "has no dense layer"


class CannotConvert(Exception):
    """A network the conversion cannot carry over; `result` is the layer that stops it."""

    def __init__(self, message: str, result: LayerResult) -> None:
        super().__init__(message)
        self.result = result


def _label(result: LayerResult) -> str:
    name = f" {shown(result.name)}" if result.name else ""
    return f"layer {result.path} ({result.kind}{name})"


class _Writing:
    """A converted spec being written: its layers so far, a comment on some, notes on what was kept as it was, and
    the flatten whose dense layer has not come yet."""

    def __init__(self, given: tuple[Layer, ...]) -> None:
        self.given = given  # the spec's own layers, to look ahead in
        self.layers: list[Layer] = []
        self.comments: dict[int, str] = {}  # id(layer) -> where it came from
        self.notes: list[str] = []
        self.flattened: LayerResult | None = None


def to_conv(spec: Spec, report: Report) -> Converted:
    """Every dense layer as a conv; the flatten before the first goes."""
    out = _Writing(spec.layers)
    for layer, row in zip(spec.layers, report.layers, strict=True):
        TO_CONV.of(layer)(out, layer, row)
    if out.flattened is not None:
        # a flatten with no dense layer after it: a conv network keeps its volume as it is
        raise CannotConvert("a flatten with no dense layer after it cannot be carried over", out.flattened)
    if _same_layers(out.layers, spec.layers):
        # a name that says "fully convolutional" would claim a change that was never made
        return Converted(spec, {}, out.notes, "has no dense layer")
    name = f"{spec.name} (fully convolutional)" if spec.name else None
    return Converted(spec._replace(layers=tuple(out.layers), name=name), out.comments, out.notes)


def to_dense(spec: Spec, report: Report) -> Converted:
    """Every conv whose filter covers its whole input, unpadded, as a dense layer (after a flatten where needed)."""
    out = _Writing(spec.layers)
    for layer, row in zip(spec.layers, report.layers, strict=True):
        TO_DENSE.of(layer)(out, layer, row)
    if _same_layers(out.layers, spec.layers):
        return Converted(spec, {}, out.notes, "has no conv whose filter covers its whole input")
    name = spec.name.removesuffix(" (fully convolutional)") if spec.name else None
    return Converted(spec._replace(layers=tuple(out.layers), name=name), out.comments, out.notes)


def _same_layers(written: list[Layer], given: tuple[Layer, ...]) -> bool:
    """Whether every layer was kept as it is, none converted or dropped."""
    return len(written) == len(given) and all(a is b for a, b in zip(written, given, strict=True))


def _holds(block: Layer, table: ByKind, *rules: Callable[..., None]) -> bool:
    """Whether `block` holds, at any depth, a layer whose entry in `table` is one of `rules`."""
    return any(table.of(item) in rules for _, held in children(block) for _, item in layer_tree(held))


# -- to_conv: what it does with each of the spec's own layers -------------------------------------------------

TO_CONV = ByKind("convert.TO_CONV")


@TO_CONV.register("dense")
def _dense_as_conv(out: _Writing, layer: Dense, row: LayerResult) -> None:
    flattened, out.flattened = out.flattened, None
    rank = row.input.rank
    if flattened is not None:
        kernel = flattened.input.spatial
        comment = f"was {_label(row)}, after the flatten of {flattened.input} (layer {flattened.path})"
    else:
        kernel = (1,) * rank
        comment = f"was {_label(row)}: a dense layer on a vector is a {_map(kernel)} conv"
    # it reads what the flatten read, where the flatten read an earlier layer by name
    source = layer.source or (flattened.layer.source if flattened is not None else None)
    conv = Conv(
        kind="conv",
        filters=layer.units,
        kernel=kernel,
        stride=(1,) * rank,
        dilation=(1,) * rank,
        bias=layer.bias,
        activation=layer.activation,
        name=layer.name,
        source=source,
    )
    out.comments[id(conv)] = comment
    out.layers.append(conv)


@TO_CONV.register("flatten")
def _flatten_into_conv(out: _Writing, layer: Flatten, row: LayerResult) -> None:
    # it goes: the dense layer after it becomes a conv whose kernel covers the volume it flattened
    out.flattened = row


@TO_CONV.register(*ACTIVATIONS, "dropout", "droppath")
def _elementwise(out: _Writing, layer: Layer, row: LayerResult) -> None:
    # it acts on each value alone (a drop path on each sample whole), and so stands as well before a conv as after
    # a flatten
    out.layers.append(layer)


@TO_CONV.register("groupnorm", "instancenorm", "squeeze_excite")
def _statistics_kept(out: _Writing, layer: Layer, row: LayerResult) -> None:
    _kept(out, layer, row)
    out.notes.append(
        f"{_label(row)}: kept: its statistics are the whole map's, so on a larger input the converted network's "
        "answers are not each window's own"
    )


@TO_CONV.register("prelu")
def _prelu_to_conv(out: _Writing, layer: PReLU, row: LayerResult) -> None:
    # one slope for every value acts on each alone; a slope per channel of the flat vector has no place on a map
    (_kept if layer.per_channel else _elementwise)(out, layer, row)


@TO_CONV.register(
    "conv",
    "convtranspose",
    "maxpool",
    "avgpool",
    "zeropad",
    "batchnorm",
    "layernorm",
    "scale",
    "channelshuffle",
)
def _kept(out: _Writing, layer: Layer, row: LayerResult) -> None:
    if out.flattened is not None:
        raise CannotConvert(
            f"{layer.kind} between the flatten and the dense layer acts on the flat vector: it cannot move before "
            "a conv",
            row,
        )
    out.layers.append(layer)


@TO_CONV.register("globalavgpool", "globalmaxpool")
def _global_pool(out: _Writing, layer: GlobalPool, row: LayerResult) -> None:
    if _feeds_a_dense_layer(out, row):
        raise CannotConvert(
            f"{layer.kind} pools whatever map it is given, so the converted network could not slide over a larger "
            "input; replace it by an avgpool or maxpool of a fixed size first",
            row,
        )
    _kept(out, layer, row)


@TO_CONV.register("adaptiveavgpool", "adaptivemaxpool")
def _to_a_size(out: _Writing, layer: AdaptivePool | Upsample | Crop, row: LayerResult) -> None:
    """A layer whose output has its size whatever the input's: dropped where it leaves the spec's own map as it is
    (else it would bring a larger input down to that size too, and the converted network could not slide);
    refused before a dense layer otherwise."""
    size = row.input.spatial
    read = layer.name is not None and any(
        name == layer.name for _, later in layer_tree(out.given) for _, name in references(later)
    )
    if size == row.output.spatial and not read and layer.source is None:
        out.notes.append(
            f"{_label(row)}: dropped: at the spec's input it leaves its {_map(size)} map as it is, and kept it "
            f"would bring a larger input down to {_map(size)}: the converted network could not slide"
        )
        return
    if _feeds_a_dense_layer(out, row):
        verb = {"upsample": "resizes", "crop": "crops"}.get(layer.kind, "pools")
        instead = "replace it by an avgpool or maxpool of a fixed size first"
        if layer.kind in ("upsample", "crop"):
            instead = f"give it a fixed {'scale' if layer.kind == 'upsample' else 'sides'} instead"
        elif all(given % out == 0 for given, out in zip(size, row.output.spatial, strict=True)):
            pool = "an avgpool" if layer.kind == "adaptiveavgpool" else "a maxpool"
            window = ", ".join(str(given // out) for given, out in zip(size, row.output.spatial, strict=True))
            instead = f"replace it by {pool} of size [{window}], which gives the same here"
        raise CannotConvert(
            f"{layer.kind} {verb} whatever map it is given to {_map(row.output.spatial)}, so the converted network "
            "could not "
            f"slide over a larger input; {instead}",
            row,
        )
    _kept(out, layer, row)


@TO_CONV.register("upsample", "crop")
def _resized(out: _Writing, layer: Upsample | Crop, row: LayerResult) -> None:
    # by a scale, or by sides cut, it does to a larger input what it does to the spec's; to a size, it does not
    if layer.size is None:
        _kept(out, layer, row)
    else:
        _to_a_size(out, layer, row)


def _feeds_a_dense_layer(out: _Writing, row: LayerResult) -> bool:
    """Whether a dense layer comes after the row, among the spec's own layers: the classifier it feeds."""
    return any(TO_CONV.of(later) is _dense_as_conv for later in out.given[row.number :])


@TO_CONV.register("repeat", "residual", "add", "concat", "multiply")
def _block_to_conv(out: _Writing, layer: Layer, row: LayerResult) -> None:
    if _holds(layer, TO_CONV, _dense_as_conv, _flatten_into_conv):
        raise CannotConvert("a dense layer or flatten inside a block is not converted", row)
    _kept(out, layer, row)


# -- to_dense: what it does with each of the spec's own layers ------------------------------------------------

TO_DENSE = ByKind("convert.TO_DENSE")


@TO_DENSE.register("conv")
def _conv_as_dense(out: _Writing, layer: Conv, row: LayerResult) -> None:
    size = row.input.spatial
    why = _not_dense(layer, row)
    if why:
        out.notes.append(f"{_label(row)}: kept as a conv: {why}")
        out.layers.append(layer)
        return
    flat = not row.input.is_point
    dense = Dense(
        kind="dense",
        units=layer.filters,
        bias=layer.bias,
        activation=layer.activation,
        name=layer.name,
        source=None if flat else layer.source,
    )
    if flat:
        flatten = Flatten(source=layer.source)
        out.comments[id(flatten)] = f"for {_label(row)}: its {_map(size)} filter covered the whole {row.input} input"
        out.layers.append(flatten)
    out.comments[id(dense)] = f"was {_label(row)}"
    out.layers.append(dense)


@TO_DENSE.register(
    "convtranspose",
    "maxpool",
    "avgpool",
    "adaptiveavgpool",
    "adaptivemaxpool",
    "globalavgpool",
    "globalmaxpool",
    "zeropad",
    "upsample",
    "crop",
    "flatten",
    "dense",
    "batchnorm",
    "layernorm",
    "groupnorm",
    "instancenorm",
    "squeeze_excite",
    "scale",
    "dropout",
    "droppath",
    *ACTIVATIONS,
    "prelu",
    "channelshuffle",
)
def _as_it_is(out: _Writing, layer: Layer, row: LayerResult) -> None:
    out.layers.append(layer)


@TO_DENSE.register("repeat", "residual", "add", "concat", "multiply")
def _block_to_dense(out: _Writing, layer: Layer, row: LayerResult) -> None:
    if _holds(layer, TO_DENSE, _conv_as_dense):
        out.notes.append(f"{_label(row)}: kept as it is: the convs inside a block are not converted")
    out.layers.append(layer)


def _not_dense(layer: Conv, row: LayerResult) -> str:
    """Why a conv is not a dense layer, or nothing where it is one."""
    size = row.input.spatial
    if layer.kernel != size:
        return f"its {_map(layer.kernel)} filter does not cover its {_map(size)} input"
    if row.padding and any(row.padding):
        return "it pads its input"
    if any(d != 1 for d in layer.dilation):
        return "it is dilated"
    if layer.groups != 1:
        return "its groups join only part of the input to each output"
    return ""


def _map(sizes: tuple[int, ...]) -> str:
    """`7 x 7`: a map's or a filter's size along each axis."""
    return " x ".join(map(str, sizes))
