"""Conv <-> fully connected: a classifier's dense layers as convolutions, which can slide, and back.

A dense layer after a flatten of an h x w x c volume is a conv with an h x w kernel and `units` filters; a dense
layer on a vector is a 1 x 1 conv. Both have the same parameters and MACs, and the same output, 1 x 1 x units.
Pure: a spec and its report in, a new spec with a comment per converted layer out.
"""

from __future__ import annotations

from .diagnostics import shown
from .engine import LayerResult, Report
from .record import Record
from .spec import Concat, Conv, Dense, Flatten, GlobalPool, Layer, Repeat, Residual, Spec


class Converted(Record):
    spec: Spec
    comments: dict[int, str]  # id(layer) -> where it came from
    notes: list[str]  # what was left as it was, and why


class CannotConvert(Exception):
    """A network the conversion cannot carry over; `result` is the layer that stops it."""

    def __init__(self, message: str, result: LayerResult) -> None:
        super().__init__(message)
        self.result = result


def _label(result: LayerResult) -> str:
    name = f" {shown(result.name)}" if result.name else ""
    return f"layer {result.path} ({result.kind}{name})"


def to_conv(spec: Spec, report: Report) -> Converted:
    """Every dense layer as a conv; the flatten before the first goes."""
    layers: list[Layer] = []
    comments: dict[int, str] = {}
    flattened: LayerResult | None = None  # the flatten whose dense layer has not come yet
    for layer, row in zip(spec.layers, report.layers, strict=True):
        if isinstance(layer, (Repeat, Residual, Concat)) and _holds(layer, (Dense, Flatten)):
            raise CannotConvert("a dense layer or flatten inside a block is not converted", row)
        if isinstance(layer, GlobalPool) and _dense_follows(spec.layers, row.number):
            raise CannotConvert(
                f"{layer.kind} pools whatever map it is given, so the converted network could not slide over a larger "
                "input; replace it by an avgpool or maxpool of a fixed size first",
                row,
            )
        if isinstance(layer, Flatten):
            flattened = row
            continue
        if isinstance(layer, Dense):
            if flattened is not None:
                h, w, _ = flattened.input
                conv = Conv(kind="conv", filters=layer.units, kernel=(h, w), bias=layer.bias,
                            activation=layer.activation, name=layer.name)  # fmt: skip
                where = f"after the flatten of {flattened.input} (layer {flattened.path})"
                comments[id(conv)] = f"was {_label(row)}, {where}"
                flattened = None
            else:
                conv = Conv(kind="conv", filters=layer.units, kernel=(1, 1), bias=layer.bias,
                            activation=layer.activation, name=layer.name)  # fmt: skip
                comments[id(conv)] = f"was {_label(row)}: a dense layer on a vector is a 1 x 1 conv"
            layers.append(conv)
            continue
        if flattened is not None and not _elementwise(layer):
            raise CannotConvert(
                f"{layer.kind} between the flatten and the dense layer acts on the flat vector: it cannot move before "
                "a conv",
                row,
            )
        layers.append(layer)
    if flattened is not None:
        # a flatten with no dense layer after it: a conv network keeps its volume as it is
        raise CannotConvert("a flatten with no dense layer after it cannot be carried over", flattened)
    name = f"{spec.name} (fully convolutional)" if spec.name else None
    return Converted(spec._replace(layers=tuple(layers), name=name), comments, [])


def to_dense(spec: Spec, report: Report) -> Converted:
    """Every conv whose filter covers its whole input, unpadded, as a dense layer (after a flatten where needed)."""
    layers: list[Layer] = []
    comments: dict[int, str] = {}
    notes: list[str] = []
    for layer, row in zip(spec.layers, report.layers, strict=True):
        if not isinstance(layer, Conv):
            if isinstance(layer, (Repeat, Residual, Concat)) and _holds(layer, (Conv,)):
                notes.append(f"{_label(row)}: kept as it is: the convs inside a block are not converted")
            layers.append(layer)
            continue
        h, w, _ = row.input
        why = _not_dense(layer, row)
        if why:
            notes.append(f"{_label(row)}: kept as a conv: {why}")
            layers.append(layer)
            continue
        dense = Dense(kind="dense", units=layer.filters, bias=layer.bias, activation=layer.activation, name=layer.name)
        if (h, w) != (1, 1):
            flatten = Flatten()
            comments[id(flatten)] = f"for {_label(row)}: its {h} x {w} filter covered the whole {row.input} input"
            layers.append(flatten)
        comments[id(dense)] = f"was {_label(row)}"
        layers.append(dense)
    name = spec.name.removesuffix(" (fully convolutional)") if spec.name else None
    return Converted(spec._replace(layers=tuple(layers), name=name), comments, notes)


def _not_dense(layer: Conv, row: LayerResult) -> str:
    """Why a conv is not a dense layer, or nothing where it is one."""
    h, w, _ = row.input
    if layer.kernel != (h, w):
        return f"its {layer.kernel[0]} x {layer.kernel[1]} filter does not cover its {h} x {w} input"
    if row.padding and any(row.padding):
        return "it pads its input"
    if layer.dilation != (1, 1):
        return "it is dilated"
    if layer.groups != 1:
        return "its groups join only part of the input to each output"
    return ""


def _holds(layer: Layer, kinds: tuple[type, ...]) -> bool:
    inner: tuple[Layer, ...] = ()
    if isinstance(layer, (Repeat, Residual)):
        inner = layer.layers + (layer.shortcut if isinstance(layer, Residual) else ())
    elif isinstance(layer, Concat):
        inner = tuple(item for branch in layer.branches for item in branch)
    return any(isinstance(item, kinds) or _holds(item, kinds) for item in inner)


def _dense_follows(layers: tuple[Layer, ...], number: int) -> bool:
    return any(isinstance(layer, Dense) for layer in layers[number:])


def _elementwise(layer: Layer) -> bool:
    """Layers that act on each value alone, and so stand as well before a conv as after a flatten."""
    from .spec import Activation, Dropout

    return isinstance(layer, (Activation, Dropout))
