"""Each ONNX operator's translation into a spec's layer, by op type (`TRANSLATE`): its attributes, its weights'
shapes and the sizes around it read into the options of the layer it becomes. An operator that cannot be read
exactly raises Untranslatable, saying what it would need."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .onnx_import import Untranslatable, count

if TYPE_CHECKING:
    from .onnx_import import _Importer


def _attributes(node: Any) -> dict[str, Any]:
    import onnx

    return {attribute.name: onnx.helper.get_attribute_value(attribute) for attribute in node.attribute}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# -- each op type's translation ---------------------------------------------------------------------------------------

TRANSLATE: dict[str, Callable[[_Importer, Any], None]] = {}


def _registers(*op_types: str) -> Callable[[Callable[[_Importer, Any], None]], Callable[[_Importer, Any], None]]:
    def register(function: Callable[[_Importer, Any], None]) -> Callable[[_Importer, Any], None]:
        for op_type in op_types:
            TRANSLATE[op_type] = function
        return function

    return register


def _per_axis(values: Sequence[int]) -> Any:
    values = [int(value) for value in values]
    return values[0] if len(set(values)) == 1 else values


def _sides(pads: Sequence[int], rank: int) -> Any:
    """ONNX's pads (every axis's start, then every axis's end) as a spec's: p, one per axis, or two per axis."""
    begins, ends = [int(p) for p in pads[:rank]], [int(p) for p in pads[rank:]]
    if begins == ends:
        return _per_axis(begins)
    return [side for pair in zip(begins, ends, strict=True) for side in pair]


def _padding(node: Any, importer: _Importer, rank: int, kernel: Sequence[int], strides: Sequence[int]) -> Any:
    attributes = _attributes(node)
    auto_pad = _text(attributes.get("auto_pad", "NOTSET"))
    if auto_pad == "VALID":
        return "valid"
    if auto_pad == "SAME_UPPER":
        return "same"
    if auto_pad == "SAME_LOWER":
        # the odd pixel before, not after as TensorFlow's SAME: explicit sides, from the shapes
        given = importer.shape(importer.data_inputs(node)[0])[2:]
        dilations = attributes.get("dilations", [1] * rank)
        sides = []
        for size, k, s, d in zip(given, kernel, strides, dilations, strict=True):
            out = -(-size // s)
            total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
            sides.append((total - total // 2, total // 2))
        return [side for pair in sides for side in pair]
    pads = attributes.get("pads", [0] * (2 * rank))
    return _sides(pads, rank)


@_registers("Conv")
def _conv(importer: _Importer, node: Any) -> None:
    rank = importer.spatial(node)
    weight = importer.shape(node.input[1])
    attributes = _attributes(node)
    kernel = list(attributes.get("kernel_shape", weight[2:]))
    strides = list(attributes.get("strides", [1] * rank))
    options: dict[str, Any] = {"filters": int(weight[0]), "kernel": _per_axis(kernel)}
    if set(strides) != {1}:
        options["stride"] = _per_axis(strides)
    padding = _padding(node, importer, rank, kernel, strides)
    if padding not in (0, "valid"):
        options["padding"] = padding
    dilations = list(attributes.get("dilations", [1] * rank))
    if set(dilations) != {1}:
        options["dilation"] = _per_axis(dilations)
    if attributes.get("group", 1) != 1:
        options["groups"] = int(attributes["group"])
    if len(node.input) < 3 or not node.input[2]:
        options["bias"] = False
    importer.leaf(node, "conv", options)


@_registers("ConvTranspose")
def _convtranspose(importer: _Importer, node: Any) -> None:
    rank = importer.spatial(node)
    weight = importer.shape(node.input[1])
    attributes = _attributes(node)
    if "output_shape" in attributes:
        raise Untranslatable("pads or output_padding instead of output_shape")
    groups = int(attributes.get("group", 1))
    kernel = list(attributes.get("kernel_shape", weight[2:]))
    strides = list(attributes.get("strides", [1] * rank))
    options: dict[str, Any] = {"filters": int(weight[1]) * groups, "kernel": _per_axis(kernel)}
    if set(strides) != {1}:
        options["stride"] = _per_axis(strides)
    auto_pad = _text(attributes.get("auto_pad", "NOTSET"))
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        raise Untranslatable(
            "explicit pads instead of auto_pad SAME (ONNX's and Keras's SAME split the cut differently)"
        )
    pads = attributes.get("pads", [0] * (2 * rank))
    if any(pads):
        options["padding"] = _sides(pads, rank)
    extra = list(attributes.get("output_padding", [0] * rank))
    if any(extra):
        options["output_padding"] = _per_axis(extra)
    dilations = list(attributes.get("dilations", [1] * rank))
    if set(dilations) != {1}:
        options["dilation"] = _per_axis(dilations)
    if groups != 1:
        options["groups"] = groups
    if len(node.input) < 3 or not node.input[2]:
        options["bias"] = False
    importer.leaf(node, "convtranspose", options)


@_registers("MaxPool", "AveragePool")
def _pool(importer: _Importer, node: Any) -> None:
    rank = importer.spatial(node)
    attributes = _attributes(node)
    if len(node.output) > 1 and node.output[1]:
        raise Untranslatable("no indices output")
    kernel = list(attributes["kernel_shape"])
    strides = list(attributes.get("strides", [1] * rank))
    if set(attributes.get("dilations", [1])) != {1}:
        raise Untranslatable("a pool without dilations")
    options: dict[str, Any] = {"size": _per_axis(kernel), "stride": _per_axis(strides)}
    padding = _padding(node, importer, rank, kernel, strides)
    if padding not in (0, "valid"):
        options["padding"] = padding
    if attributes.get("ceil_mode", 0):
        options["ceil"] = True
    importer.leaf(node, "maxpool" if node.op_type == "MaxPool" else "avgpool", options)


@_registers("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(importer: _Importer, node: Any) -> None:
    importer.leaf(node, "globalavgpool" if node.op_type == "GlobalAveragePool" else "globalmaxpool")


@_registers("ReduceMean", "ReduceMax")
def _reduce(importer: _Importer, node: Any) -> None:
    rank = importer.spatial(node)
    attributes = _attributes(node)
    axes = attributes.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        found = importer.constant(node.input[1])
        axes = None if found is None else [int(a) for a in found]
    if axes is None or sorted(a % (rank + 2) for a in axes) != list(range(2, rank + 2)):
        raise Untranslatable("a mean or max over every spatial axis (a global pool)")
    if not attributes.get("keepdims", 1):
        raise Untranslatable("keepdims=1")
    importer.leaf(node, "globalavgpool" if node.op_type == "ReduceMean" else "globalmaxpool")


@_registers("Flatten")
def _flatten(importer: _Importer, node: Any) -> None:
    if _attributes(node).get("axis", 1) != 1:
        raise Untranslatable("axis 1: the batch kept, everything else in one vector")
    importer.leaf(node, "flatten")


@_registers("Reshape")
def _reshape(importer: _Importer, node: Any) -> None:
    given = importer.shape(importer.data_inputs(node)[0])
    out = importer.shape(node.output[0])
    if len(out) == 2 and out[0] == given[0]:
        importer.leaf(node, "flatten")
        return
    shuffle = _shuffle_from(importer, node, given, out)
    if shuffle is None:
        raise Untranslatable(
            "a reshape to (batch, n), a flatten, or to (batch, g, c / g, ...) then a Transpose of those two axes and a "
            "Reshape back, a channel shuffle"
        )
    back = shuffle[-1]
    importer.leaf(node, "channelshuffle", {"groups": out[1]})
    importer.sources[back.output[0]] = importer.sources[node.output[0]]
    importer.absorbed.update(other.name or other.output[0] for other in shuffle)


def _shuffle_from(importer: _Importer, node: Any, given: Sequence[int], out: Sequence[int]) -> tuple[Any, Any] | None:
    """The Transpose and the Reshape after `node` that make with it a channel shuffle (torchvision's: the channels
    as (g, c / g), those two axes swapped, and back); None where they do not."""
    if len(out) != len(given) + 1 or out[0] != given[0] or out[1] * out[2] != given[1] or out[3:] != given[2:]:
        return None
    after = importer.consumers.get(node.output[0], [])
    if len(after) != 1 or after[0].op_type != "Transpose":
        return None
    transpose = after[0]
    if list(_attributes(transpose).get("perm", [])) != [0, 2, 1, *range(3, len(out))]:
        return None
    after = importer.consumers.get(transpose.output[0], [])
    if len(after) != 1 or after[0].op_type != "Reshape" or importer.shapes.get(after[0].output[0]) != tuple(given):
        return None
    return transpose, after[0]


@_registers("Split")
def _split(importer: _Importer, node: Any) -> None:
    (data,) = importer.data_inputs(node)
    shape = importer.shape(data)
    if _attributes(node).get("axis", 0) % len(shape) != 1:
        raise Untranslatable("a split of the channels (axis 1)")
    sizes = [importer.shape(name)[1] for name in node.output]
    label = node.name or node.output[0]
    # each part a layer of its own for now: `onnx_blocks` makes the concat its parts meet at one with `split`
    importer.split(node, data, [{"of": label, "index": index, "split": sizes} for index in range(len(sizes))])


@_registers("Gemm")
def _gemm(importer: _Importer, node: Any) -> None:
    attributes = _attributes(node)
    if attributes.get("transA", 0):
        raise Untranslatable("transA=0")
    weight = importer.shape(node.input[1])
    units = weight[0] if attributes.get("transB", 0) else weight[1]
    options: dict[str, Any] = {"units": int(units)}
    if len(node.input) < 3 or not node.input[2]:
        options["bias"] = False
    importer.leaf(node, "dense", options)


@_registers("MatMul")
def _matmul(importer: _Importer, node: Any) -> None:
    if len(importer.data_inputs(node)) != 1 or node.input[1] not in importer.initializers:
        raise Untranslatable("a weight matrix as its second input")
    weight = importer.shape(node.input[1])
    given = importer.shape(node.input[0])
    if len(weight) != 2 or len(given) != 2:
        raise Untranslatable("a vector times a matrix (a dense layer)")
    consumers = importer.consumers.get(node.output[0], [])
    bias = len(consumers) == 1 and consumers[0].op_type == "Add" and _bias_of(importer, consumers[0], int(weight[1]))
    importer.leaf(node, "dense", {"units": int(weight[1])} if bias else {"units": int(weight[1]), "bias": False})
    if bias:
        importer.sources[consumers[0].output[0]] = importer.sources[node.output[0]]
        importer.absorbed.add(consumers[0].name or consumers[0].output[0])


def _bias_of(importer: _Importer, node: Any, units: int) -> bool:
    other = [name for name in node.input if name in importer.initializers]
    return len(other) == 1 and count(importer.initializers[other[0]].dims) == units


_ACTIVATIONS = {
    "Relu": "relu",
    "LeakyRelu": "leakyrelu",
    "Elu": "elu",
    "Gelu": "gelu",
    "Tanh": "tanh",
    "HardSigmoid": "hardsigmoid",
    "HardSwish": "hardswish",
    "Mish": "mish",
    "Softmax": "softmax",
}


@_registers(*_ACTIVATIONS)
def _activation(importer: _Importer, node: Any) -> None:
    importer.activation(node, _ACTIVATIONS[node.op_type])


@_registers("Sigmoid")
def _sigmoid(importer: _Importer, node: Any) -> None:
    consumers = importer.consumers.get(node.output[0], [])
    # x * sigmoid(x), as PyTorch exports SiLU: one layer, at the multiply
    if (
        len(consumers) == 1
        and consumers[0].op_type == "Mul"
        and set(consumers[0].input) == {node.input[0], node.output[0]}
    ):
        importer.silu.add(consumers[0].name or consumers[0].output[0])
        importer.sources[node.output[0]] = importer.sources[node.input[0]]
        return
    importer.activation(node, "sigmoid")


@_registers("Clip")
def _clip(importer: _Importer, node: Any) -> None:
    attributes = _attributes(node)
    low = attributes.get("min")
    high = attributes.get("max")
    if len(node.input) > 1 and node.input[1]:
        found = importer.constant(node.input[1])
        low = None if found is None else float(found)
    if len(node.input) > 2 and node.input[2]:
        found = importer.constant(node.input[2])
        high = None if found is None else float(found)
    if (low, high) != (0.0, 6.0):
        raise Untranslatable("a clip to [0, 6] (relu6)")
    importer.activation(node, "relu6")


@_registers("PRelu")
def _prelu(importer: _Importer, node: Any) -> None:
    slopes = count(importer.shape(node.input[1]))
    importer.leaf(node, "prelu", {"per_channel": True} if slopes > 1 else {})


@_registers("BatchNormalization")
def _batchnorm(importer: _Importer, node: Any) -> None:
    importer.leaf(node, "batchnorm")


@_registers("InstanceNormalization")
def _instancenorm(importer: _Importer, node: Any) -> None:
    learned = node.input[1] in importer.initializers
    importer.leaf(node, "instancenorm", {"affine": True} if learned else {})


@_registers("GroupNormalization")
def _groupnorm(importer: _Importer, node: Any) -> None:
    importer.leaf(node, "groupnorm", {"groups": int(_attributes(node)["num_groups"])})


@_registers("LayerNormalization")
def _layernorm(importer: _Importer, node: Any) -> None:
    shape = importer.shape(importer.data_inputs(node)[0])
    axis = _attributes(node).get("axis", -1) % len(shape)
    if axis != len(shape) - 1 or not importer.channels_last.get(importer.data_inputs(node)[0], False):
        raise Untranslatable("a norm over the channels at each position: a Transpose to channels last before it")
    importer.leaf(node, "layernorm")
    importer.channels_last[node.output[0]] = True


@_registers("Transpose")
def _transpose(importer: _Importer, node: Any) -> None:
    data = importer.data_inputs(node)
    if len(data) != 1:
        raise Untranslatable("one input from the map")
    rank = len(importer.shape(data[0]))
    permutation = list(_attributes(node).get("perm", []))
    to_last = [0, *range(2, rank), 1]
    to_first = [0, rank - 1, *range(1, rank - 1)]
    if permutation == to_last and not importer.channels_last.get(data[0], False):
        importer.channels_last[node.output[0]] = True
    elif permutation == to_first and importer.channels_last.get(data[0], False):
        importer.channels_last[node.output[0]] = False
    else:
        raise Untranslatable("a Transpose of the channels to the last axis and back, around a per-position op")
    importer.alias(node)


@_registers("Dropout")
def _dropout(importer: _Importer, node: Any) -> None:
    ratio = _attributes(node).get("ratio")
    if ratio is None and len(node.input) > 1 and node.input[1]:
        found = importer.constant(node.input[1])
        ratio = None if found is None else float(found)
    importer.leaf(node, "dropout", {"rate": round(float(0.5 if ratio is None else ratio), 6)})


@_registers("Identity")
def _identity(importer: _Importer, node: Any) -> None:
    importer.alias(node)


@_registers("Pad")
def _pad(importer: _Importer, node: Any) -> None:
    data = importer.data_inputs(node)
    attributes = _attributes(node)
    if _text(attributes.get("mode", "constant")) != "constant":
        raise Untranslatable("constant padding (zeros)")
    pads = attributes.get("pads")
    if pads is None and len(node.input) > 1:
        found = importer.constant(node.input[1])
        pads = None if found is None else [int(p) for p in found]
    if pads is None:
        raise Untranslatable("pads known before running the graph")
    shape = importer.shape(data[0])
    rank = len(shape)
    if len(node.input) > 3 and node.input[3]:  # opset 18: pads for the axes listed only
        axes = importer.constant(node.input[3])
        if axes is None:
            raise Untranslatable("axes known before running the graph")
        listed = [int(axis) % rank for axis in axes]
        full = [0] * (2 * rank)
        for index, axis in enumerate(listed):
            full[axis], full[rank + axis] = pads[index], pads[len(listed) + index]
        pads = full
    if len(pads) != 2 * rank or pads[0] or pads[1] or pads[rank] or pads[rank + 1]:
        raise Untranslatable("padding on the spatial axes only")
    spatial = [int(p) for p in (*pads[2:rank], *pads[rank + 2 :])]
    added, cut = [max(p, 0) for p in spatial], [max(-p, 0) for p in spatial]
    if any(cut) and any(added):
        raise Untranslatable("padding that adds on every side or cuts on every side (PyTorch's negative padding crops)")
    if any(cut):  # a negative pad cuts, as PyTorch's ZeroPad2d crops
        importer.leaf(node, "crop", {"sides": _sides(cut, rank - 2)})
    else:
        importer.leaf(node, "zeropad", {"padding": _sides(added, rank - 2)})


@_registers("Slice")
def _slice(importer: _Importer, node: Any) -> None:
    data = importer.data_inputs(node)
    given, out = importer.shape(data[0]), importer.shape(node.output[0])
    if given[:2] != out[:2]:
        raise Untranslatable("a crop of the spatial axes (the batch and channels kept)")
    starts = importer.constant(node.input[1]) if len(node.input) > 1 else None
    axes = importer.constant(node.input[3]) if len(node.input) > 3 and node.input[3] else None
    steps = importer.constant(node.input[4]) if len(node.input) > 4 and node.input[4] else None
    if starts is None or (steps is not None and any(int(s) != 1 for s in steps)):
        raise Untranslatable("starts known before running the graph, and steps of 1")
    axes = list(range(len(starts))) if axes is None else [int(a) % len(given) for a in axes]
    begins = [0] * len(given)
    for axis, start in zip(axes, starts, strict=True):
        start = int(start)
        begins[axis] = max(start + given[axis], 0) if start < 0 else min(start, given[axis])
    cut = [begins[axis] for axis in range(2, len(given))]
    cut += [given[axis] - out[axis] - begins[axis] for axis in range(2, len(given))]
    last = importer.written[-1] if importer.written else None
    if (
        last is not None
        and last.kind == "crop"
        and importer.sources[data[0]] == last.name == importer.current
        and len(importer.consumers.get(data[0], [])) == 1
    ):
        # `x[:, :, a:b, c:d]` is a Slice per axis: one crop
        last.options["sides"] = _sides([a + b for a, b in zip(last.options["cut"], cut, strict=True)], len(given) - 2)
        last.options["cut"] = [a + b for a, b in zip(last.options["cut"], cut, strict=True)]
        importer.sources[node.output[0]] = last.name
        return
    importer.leaf(node, "crop", {"sides": _sides(cut, len(given) - 2), "cut": cut})


@_registers("Resize", "Upsample")
def _resize(importer: _Importer, node: Any) -> None:
    data = importer.data_inputs(node)
    attributes = _attributes(node)
    given, out = importer.shape(data[0]), importer.shape(node.output[0])
    if given[:2] != out[:2]:
        raise Untranslatable("a resize of the spatial axes only")
    mode = _text(attributes.get("mode", "nearest"))
    transform = _text(attributes.get("coordinate_transformation_mode", "half_pixel"))
    options: dict[str, Any] = {}
    if mode == "linear":
        options["mode"] = "bilinear"
        if transform == "align_corners":
            options["align_corners"] = True
        elif transform not in ("half_pixel", "pytorch_half_pixel"):
            raise Untranslatable(f"half_pixel or align_corners coordinates, got {transform}")
    elif mode == "nearest":
        nearest = _text(attributes.get("nearest_mode", "round_prefer_floor"))
        if transform != "asymmetric" or nearest != "floor":
            raise Untranslatable("nearest as PyTorch's: asymmetric coordinates, nearest_mode floor")
    else:
        raise Untranslatable("nearest or linear interpolation")
    factors = [o // g for g, o in zip(given[2:], out[2:], strict=True)]
    if all(g * f == o for g, f, o in zip(given[2:], factors, out[2:], strict=True)):
        options = {"scale": _per_axis(factors), **options}
    else:
        options = {"size": list(out[2:]), **options}
    importer.leaf(node, "upsample", options)


@_registers("Add", "Mul", "Concat", "Sum", "Div", "Sub")
def _merge(importer: _Importer, node: Any) -> None:
    data = importer.data_inputs(node)
    label = node.name or node.output[0]
    if node.op_type == "Mul" and label in importer.silu:
        importer.activation(node, "silu")
        return
    drawn = [name for name in node.input if name in importer.masks]
    if drawn and node.op_type == "Mul":
        rate = importer.masks[drawn[0]]
        importer.leaf(node, "droppath", {} if rate is None else {"rate": rate})
        return
    if len(data) == 1:
        # the map with a constant: a learned factor per channel (layer scale), or arithmetic that keeps the shape
        others = [name for name in node.input if name and name not in importer.sources]
        learned = [name for name in others if name in importer.initializers]
        channels = importer.shape(data[0])[1]
        if node.op_type == "Mul" and learned and count(importer.initializers[learned[0]].dims) == channels:
            importer.leaf(node, "scale")
            return
        if importer.shape(data[0]) == importer.shape(node.output[0]) and not learned:
            importer.alias(node)
            return
        raise Untranslatable("two maps, or the map and a per-channel factor")
    if node.op_type in ("Div", "Sub"):
        raise Untranslatable("the map and a constant (a layer for two maps divided or subtracted, cnncalc has none)")
    if node.op_type == "Concat":
        shape = importer.shape(node.output[0])
        if _attributes(node).get("axis", 1) % len(shape) != 1:
            raise Untranslatable("a concat along the channels (axis 1)")
    kind = {"Add": "add", "Sum": "add", "Mul": "multiply", "Concat": "concat"}[node.op_type]
    sources = [importer.sources[name] for name in data]
    first = data[0]
    if kind != "concat" and importer.current in sources:
        # the current tensor first, as an add or a multiply is the same either way: fewer names to read
        first = data[sources.index(importer.current)]
    others = [importer.sources[name] for name in data if name != first] if kind != "concat" else sources[1:]
    names = tuple(str(name) for name in others)
    importer.emit(kind, {}, label, first, node.output[0], merged=names)
