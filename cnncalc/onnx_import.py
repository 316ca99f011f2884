"""A cnncalc spec from an ONNX graph: each node that computes on the map becomes a layer named after it.

Needs the optional `onnx` package (`pip install 'cnncalc[onnx]'`), imported here only. The graph is read once,
its shapes inferred by ONNX itself; the small subgraphs that compute sizes (Shape, Gather, Concat, ... feeding a
Pad, a Slice or a Reshape) are evaluated here on their constants, and every other node is translated by its op
type (`TRANSLATE`). A layer reads the previous layer's output, or names the node whose output it reads
(`from`); a merge names the others (`with`). Nothing is guessed: an op with no counterpart, or a size not known
before running the graph, stops the import with an error naming every such node at once, unless
`skip_unknown` keeps those that provably keep their input's shape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from .diagnostics import Diagnostic, SpecError, error, warning
from .record import Record
from .spec import ACTIVATIONS, Volume
from .writer import comment, scalar

# a model larger than this is refused before it is read: every weight of it would be parsed into memory
MAX_MODEL_BYTES = 2 * 1024**3
# the values a size computation may hold (a Shape's, a Pad's pads): more is no size, and is not evaluated
MAX_FOLDED_VALUES = 4096


class _Refused(Exception):
    """A node that has no counterpart: what it would need."""


class Layer(Record):
    """One layer of the spec being written: its kind, its options, its name, and what it reads."""

    kind: str
    options: dict[str, Any]
    name: str
    source: str | None  # the layer whose output it reads, where that is not the previous one
    merged: tuple[str, ...] = ()
    layers: tuple[Layer, ...] = ()  # a residual block's, recovered (see `onnx_blocks`)
    shortcut: tuple[Layer, ...] = ()


def onnx_module() -> Any:
    """The `onnx` package, or a SpecError saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise SpecError([error("onnx", "reading ONNX needs the onnx package: pip install 'cnncalc[onnx]'")]) from None
    return onnx


def import_onnx(path: str, input_volume: Volume | None = None, skip_unknown: bool = False) -> str:
    """The spec's YAML text for the ONNX model at `path`; SpecError with every problem found."""
    onnx = onnx_module()
    model = _read(onnx, path)
    importer = _Importer(onnx, model, input_volume, skip_unknown)
    from .onnx_blocks import recovered

    layers = recovered(importer.layers())
    return _written(path, model, importer.input, layers, importer.warnings)


def _read(onnx: Any, path: str) -> Any:
    """The model at `path` (an onnx.ModelProto), its weights' bytes left where an external data file holds them."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise SpecError([error("read", f"cannot read the model: {exc.strerror or exc}")]) from None
    if size > MAX_MODEL_BYTES:
        raise SpecError([error("read", f"{size:,} bytes: more than the {MAX_MODEL_BYTES:,} an import reads")])
    if size == 0:
        raise SpecError([error("read", "an empty file: no ONNX model")])
    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError, and whatever else a file that is no model raises
        raise SpecError(
            [error("read", f"not an ONNX model (a truncated or other file?): {_first_line(exc)}")]
        ) from None
    if not model.graph.node:
        raise SpecError([error("read", "not an ONNX model, or one whose graph has no nodes")])
    missing = _missing_external_data(model, os.path.dirname(path))
    if missing:
        raise SpecError([error("read", f"the model keeps its weights in {missing}, which is missing beside it")])
    return model


def _missing_external_data(model: Any, directory: str) -> str | None:
    """The first external data file the model names that is not there; None where all are (or none is named)."""
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location" and not os.path.isfile(os.path.join(directory, entry.value)):
                return str(entry.value)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


class _Importer:
    def __init__(self, onnx: Any, model: Any, input_volume: Volume | None, skip_unknown: bool) -> None:
        self.onnx = onnx
        self.skip_unknown = skip_unknown
        self.problems: list[str] = []
        self.warnings: list[Diagnostic] = []
        graph = model.graph
        self.initializers = {tensor.name: tensor for tensor in graph.initializer}
        inputs = [value for value in graph.input if value.name not in self.initializers]
        if len(inputs) != 1:
            names = ", ".join(value.name for value in inputs)
            raise SpecError([error("onnx", f"the graph takes {len(inputs)} inputs ({names}): cnncalc takes one")])
        if len(graph.output) != 1:
            names = ", ".join(value.name for value in graph.output)
            raise SpecError(
                [error("onnx", f"the graph gives {len(graph.output)} outputs ({names}): cnncalc follows one")]
            )
        self.input_name = inputs[0].name
        self.output_name = graph.output[0].name
        if input_volume is not None:
            _set_input(inputs[0], input_volume)
        given = _dims(inputs[0])
        if given is None or len(given) - 2 not in (1, 2, 3) or any(d is None for d in given[1:]):
            shown = "?" if given is None else " x ".join("?" if d is None else str(d) for d in given)
            raise SpecError(
                [
                    error(
                        "onnx",
                        f"the input {self.input_name!r} is {shown} (batch, channels, then the spatial axes): give "
                        "its size with --input, e.g. --input 224x224x3",
                    )
                ]
            )
        if input_volume is None:
            self.input = Volume(*(d for d in given[2:] if d is not None), given[1] or 1)
        else:
            self.input = input_volume
        self.opsets = list(model.opset_import)
        self.constants: dict[str, Any] = {}  # the values known before running the graph, by tensor name
        self.folded: set[str] = set()  # the nodes evaluated here, by their first output
        model = self.skeleton(model)
        self.graph = self.inferred(model)
        # the sizes a subgraph computes (a Pad's pads from Shape, Gather, Concat, ...) are known once evaluated:
        # ONNX's inference, run again with them as constants, then knows the shapes after them
        for _ in range(8):
            before = len(self.folded)
            for node in model.graph.node:
                if node.output[0] not in self.folded and self.fold(node):
                    self.folded.add(node.output[0])
            if len(self.folded) == before:
                break
            self.graph = self.inferred(self.with_constants(model))
        self.consumers: dict[str, list[Any]] = {}
        for node in self.graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.sources: dict[str, str | None] = {self.input_name: "input"}  # tensor -> the layer it comes from
        self.names: set[str] = {"input"}
        self.written: list[Layer] = []
        self.current: str | None = "input"  # the layer whose output the next layer reads by default
        self.silu: set[str] = set()  # the Mul nodes that make x * sigmoid(x) of a Sigmoid before them
        self.absorbed: set[str] = set()  # the Add nodes that are a dense layer's bias
        self.channels_last: dict[str, bool] = {}  # the tensors transposed to channels last, for a layernorm
        # the random masks of stochastic depth, as a model exported for training draws them, and the rate each drops
        self.masks: dict[str, float | None] = {}

    def inferred(self, model: Any) -> Any:
        """The graph with every shape ONNX's inference finds, and those shapes, by tensor name."""
        try:
            graph = self.onnx.shape_inference.infer_shapes(model, data_prop=True).graph
        except Exception as exc:
            raise SpecError(
                [error("onnx", f"ONNX's shape inference fails on this graph: {_first_line(exc)}")]
            ) from None
        self.shapes: dict[str, tuple[int | None, ...] | None] = {}
        for value in (*graph.input, *graph.value_info, *graph.output):
            self.shapes[value.name] = _dims(value)
        for tensor in self.initializers.values():
            self.shapes[tensor.name] = tuple(tensor.dims)
        self.shapes[self.input_name] = (1, self.input.c, *self.input.spatial)
        return graph

    def skeleton(self, model: Any) -> Any:
        """The model with its large weights left out, each an input of its shape instead: what ONNX's inference
        needs of them, without copying megabytes of numbers at every run of it."""
        copy = self.onnx.ModelProto()
        copy.CopyFrom(model)
        small = [tensor for tensor in copy.graph.initializer if _count(tensor.dims) <= MAX_FOLDED_VALUES]
        large = [tensor for tensor in copy.graph.initializer if _count(tensor.dims) > MAX_FOLDED_VALUES]
        del copy.graph.initializer[:]
        copy.graph.initializer.extend(small)
        declared = {value.name for value in copy.graph.input}
        for tensor in large:
            if tensor.name not in declared:
                copy.graph.input.append(
                    self.onnx.helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims))
                )
        return copy

    def with_constants(self, model: Any) -> Any:
        """The model with the nodes evaluated so far replaced by their values."""
        copy = self.onnx.ModelProto()
        copy.CopyFrom(model)
        kept = [node for node in model.graph.node if node.output[0] not in self.folded]
        read = {name for node in kept for name in node.input}
        del copy.graph.node[:]
        copy.graph.node.extend(kept)
        for name, value in self.constants.items():
            if name in read and name not in self.initializers:
                copy.graph.initializer.append(self.onnx.numpy_helper.from_array(value, name))
        return copy

    # -- values known before running ------------------------------------------------------------------------------

    def constant(self, name: str) -> Any:
        """The value of a tensor known without running the graph (numpy), or None."""
        if name in self.constants:
            return self.constants[name]
        if name in self.initializers:
            tensor = self.initializers[name]
            if _count(tensor.dims) > MAX_FOLDED_VALUES:
                return None
            value = self.onnx.numpy_helper.to_array(tensor)
            self.constants[name] = value
            return value
        return None

    def fold(self, node: Any) -> bool:
        """Evaluate a node computing sizes from known values; whether it could."""
        import numpy

        if node.op_type == "Constant":
            value = self.onnx.helper.get_attribute_value(node.attribute[0])
            if isinstance(value, self.onnx.TensorProto):
                value = self.onnx.numpy_helper.to_array(value)
            self.constants[node.output[0]] = numpy.asarray(value)
            return True
        if node.op_type == "Shape":
            shape = self.shapes.get(node.input[0])
            if shape is None or any(d is None for d in shape):
                return False
            self.constants[node.output[0]] = numpy.array(shape, dtype=numpy.int64)[_shape_range(node, len(shape))]
            return True
        if node.op_type not in _FOLDABLE:
            return False
        values = [self.constant(name) if name else None for name in node.input]
        if any(value is None for name, value in zip(node.input, values, strict=True) if name):
            return False
        if any(value.size > MAX_FOLDED_VALUES for value in values if value is not None):
            return False
        try:
            from onnx.reference import ReferenceEvaluator

            graph = self.onnx.helper.make_graph(
                [node],
                "fold",
                [self.onnx.helper.make_tensor_value_info(name, 1, None) for name in node.input if name],
                [self.onnx.helper.make_tensor_value_info(name, 1, None) for name in node.output],
            )
            evaluator = ReferenceEvaluator(self.onnx.helper.make_model(graph, opset_imports=self.opsets))
            found = evaluator.run(None, {name: value for name, value in zip(node.input, values, strict=True) if name})
        except Exception:
            return False
        for name, value in zip(node.output, found, strict=True):
            self.constants[name] = numpy.asarray(value)
        return True

    # -- the walk over the graph ------------------------------------------------------------------------------------

    def layers(self) -> list[Layer]:
        broken: set[str] = set()  # the outputs of refused nodes: what reads them is not reported again
        for node in self.graph.node:
            if self.fold(node):
                continue
            if any(name in broken for name in node.input):
                # after a refused node, only ops with no layer at all are news
                if node.op_type not in TRANSLATE and not (self.skip_unknown and self.keeps_shape(node)):
                    label = node.name or node.output[0]
                    self.problems.append(f"node {label!r} ({node.op_type}): cnncalc has no layer for {node.op_type}")
                broken.update(node.output)
                continue
            if self.mask(node):
                continue
            translate = TRANSLATE.get(node.op_type)
            try:
                if translate is None:
                    raise _Refused(f"cnncalc has no layer for {node.op_type}")
                translate(self, node)
            except (_Refused, KeyError, IndexError, ValueError, TypeError) as refused:
                refused = refused if isinstance(refused, _Refused) else _Refused(f"attributes it can read ({refused})")
                if self.skip_unknown and self.keeps_shape(node) and any(name in self.sources for name in node.input):
                    self.warnings.append(
                        warning(
                            "onnx-skipped",
                            f"node {node.name or node.output[0]!r} ({node.op_type}): {refused}; kept as a layer that "
                            "changes nothing, as its output has its input's shape",
                        )
                    )
                    self.alias(node)
                else:
                    self.problems.append(f"node {node.name or node.output[0]!r} ({node.op_type}): {refused}")
                    broken.update(node.output)
        if self.problems:
            raise SpecError([error("onnx", problem) for problem in self.problems])
        source = self.sources.get(self.output_name)
        if source != self.current:
            raise SpecError(
                [
                    error(
                        "onnx",
                        f"the graph's output {self.output_name!r} is not the last layer's: cnncalc follows one path "
                        "to its end",
                    )
                ]
            )
        return self.written

    def mask(self, node: Any) -> bool:
        """A node drawing or shaping a random mask (stochastic depth in training); whether it is one."""
        if node.op_type in ("RandomUniformLike", "RandomUniform", "Bernoulli"):
            self.masks[node.output[0]] = None
            return True
        drawn = [name for name in node.input if name in self.masks]
        if not drawn or node.op_type not in ("Less", "Greater", "Cast", "Div", "Floor", "Add", "Sub", "Mul"):
            return False
        others = [name for name in node.input if name and name not in self.masks]
        if any(self.constant(name) is None for name in others):
            return False  # the map times a mask: a layer (see _merge)
        rate = self.masks[drawn[0]]
        if node.op_type == "Less" and others:  # uniform < keep: kept with that probability
            rate = round(1 - float(self.constant(others[0])), 6)
        elif node.op_type == "Greater" and others:
            rate = round(float(self.constant(others[0])), 6)
        self.masks[node.output[0]] = rate
        return True

    def keeps_shape(self, node: Any) -> bool:
        data = [name for name in node.input if name and self.constant(name) is None]
        if len(data) != 1 or len(node.output) < 1:
            return False
        before, after = self.shapes.get(data[0]), self.shapes.get(node.output[0])
        return before is not None and before == after and None not in before

    def data_inputs(self, node: Any) -> list[str]:
        """The node's inputs that the map flows through (not weights or sizes); at least one."""
        found = [name for name in node.input if name and name in self.sources]
        if not found:
            raise _Refused("an input that the network's input flows into")
        return found

    def shape(self, name: str) -> tuple[int, ...]:
        shape = self.shapes.get(name)
        if shape is None or any(d is None for d in shape):
            raise _Refused(f"a static shape for {name!r} (ONNX's shape inference could not find one)")
        return tuple(d for d in shape if d is not None)

    def alias(self, node: Any, index: int = 0) -> None:
        """A node that passes its input on as it is (Identity, a layout Transpose): its output is its input's."""
        data = self.data_inputs(node)
        if not data:
            raise _Refused("an input that comes from the network's input")
        self.sources[node.output[0]] = self.sources[data[index]]

    def emit(
        self,
        kind: str,
        options: dict[str, Any],
        node_name: str,
        source_tensor: str | None = None,
        output: str | None = None,
        merged: Sequence[str] = (),
    ) -> None:
        """Write a layer reading `source_tensor`, giving the tensor `output`."""
        name = self.unique(node_name)
        reads = self.sources.get(source_tensor) if source_tensor is not None else self.current
        source = None if reads == self.current else reads
        self.written.append(Layer(kind, options, name, source, tuple(merged)))
        self.current = name
        if output is not None:
            self.sources[output] = name

    def unique(self, node_name: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", _module_path(node_name)).strip("_.-") or "node"
        name, number = base, 1
        while name in self.names:
            number += 1
            name = f"{base}_{number}"
        self.names.add(name)
        return name

    def leaf(self, node: Any, kind: str, options: dict[str, Any] | None = None) -> None:
        data = list({self.sources[name]: name for name in reversed(self.data_inputs(node))}.values())
        if len(data) != 1:
            raise _Refused(f"one input from the map, got {len(data)}")
        self.emit(kind, options or {}, node.name or node.output[0], data[0], node.output[0])

    def activation(self, node: Any, kind: str) -> None:
        """An activation: the `activation` of the conv or dense layer just before it where only it reads that
        layer's output (as a spec writes `conv: {..., activation: relu}`), else a layer of its own."""
        data = self.data_inputs(node)[0]
        last = self.written[-1] if self.written else None
        if (
            last is not None
            and self.sources[data] == last.name == self.current
            and last.kind in ("conv", "dense", "convtranspose")
            and "activation" not in last.options
            and kind in ACTIVATIONS
            and len([n for n in self.consumers.get(data, []) if not _part_of(n, node)]) == 1
        ):
            last.options["activation"] = kind
            self.sources[node.output[0]] = last.name
            return
        self.leaf(node, kind)

    def spatial(self, node: Any) -> int:
        shape = self.shape(self.data_inputs(node)[0])
        if len(shape) - 2 not in (1, 2, 3):
            raise _Refused(f"a batch, channels and 1 to 3 spatial axes, got a tensor of {len(shape)} axes")
        return len(shape) - 2


def _module_path(node_name: str) -> str:
    """A node's name as the module it comes from: `/layer1/layer1.0/conv1/Conv` is `layer1.0.conv1`, as
    PyTorch's exporter names nodes by their module's scope; any other name as it is."""
    parts = [part for part in node_name.split("/") if part]
    if len(parts) < 2:
        return node_name
    parts = parts[:-1]  # the op type, numbered where a module holds several
    dotted = ""
    for part in parts:
        dotted = part if not dotted or part.startswith(dotted + ".") else f"{dotted}.{part}"
    return dotted


def _part_of(reader: Any, node: Any) -> bool:
    """Whether `reader` is the Sigmoid of the SiLU that `node` completes: x * sigmoid(x) reads x twice."""
    return reader.op_type == "Sigmoid" and reader.output[0] in node.input


def _set_input(value: Any, volume: Volume) -> None:
    dims = value.type.tensor_type.shape.dim
    wanted = (1, volume.c, *volume.spatial)
    del dims[:]
    for size in wanted:
        dims.add().dim_value = size


def _dims(value: Any) -> tuple[int | None, ...] | None:
    tensor = value.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)


def _count(dims: Sequence[int]) -> int:
    count = 1
    for dim in dims:
        count *= dim
    return count


def _shape_range(node: Any, rank: int) -> slice:
    attributes = {attribute.name: attribute.i for attribute in node.attribute}
    return slice(attributes.get("start", 0), attributes.get("end", rank))


_FOLDABLE = frozenset(
    {
        "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Reshape", "Transpose", "Mul", "Sub", "Add",
        "Div", "ConstantOfShape", "Range", "Equal", "Where", "Expand", "Neg", "Floor", "Ceil", "Min", "Max", "Identity",
    }
)  # fmt: skip


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
        raise _Refused("pads or output_padding instead of output_shape")
    groups = int(attributes.get("group", 1))
    kernel = list(attributes.get("kernel_shape", weight[2:]))
    strides = list(attributes.get("strides", [1] * rank))
    options: dict[str, Any] = {"filters": int(weight[1]) * groups, "kernel": _per_axis(kernel)}
    if set(strides) != {1}:
        options["stride"] = _per_axis(strides)
    auto_pad = _text(attributes.get("auto_pad", "NOTSET"))
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        raise _Refused("explicit pads instead of auto_pad SAME (ONNX's and Keras's SAME split the cut differently)")
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
        raise _Refused("no indices output")
    kernel = list(attributes["kernel_shape"])
    strides = list(attributes.get("strides", [1] * rank))
    if set(attributes.get("dilations", [1])) != {1}:
        raise _Refused("a pool without dilations")
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
        raise _Refused("a mean or max over every spatial axis (a global pool)")
    if not attributes.get("keepdims", 1):
        raise _Refused("keepdims=1")
    importer.leaf(node, "globalavgpool" if node.op_type == "ReduceMean" else "globalmaxpool")


@_registers("Flatten")
def _flatten(importer: _Importer, node: Any) -> None:
    if _attributes(node).get("axis", 1) != 1:
        raise _Refused("axis 1: the batch kept, everything else in one vector")
    importer.leaf(node, "flatten")


@_registers("Reshape")
def _reshape(importer: _Importer, node: Any) -> None:
    given = importer.shape(importer.data_inputs(node)[0])
    out = importer.shape(node.output[0])
    if len(out) == 2 and out[0] == given[0]:
        importer.leaf(node, "flatten")
        return
    raise _Refused("a reshape to (batch, n), a flatten")


@_registers("Gemm")
def _gemm(importer: _Importer, node: Any) -> None:
    attributes = _attributes(node)
    if attributes.get("transA", 0):
        raise _Refused("transA=0")
    weight = importer.shape(node.input[1])
    units = weight[0] if attributes.get("transB", 0) else weight[1]
    options: dict[str, Any] = {"units": int(units)}
    if len(node.input) < 3 or not node.input[2]:
        options["bias"] = False
    importer.leaf(node, "dense", options)


@_registers("MatMul")
def _matmul(importer: _Importer, node: Any) -> None:
    if len(importer.data_inputs(node)) != 1 or node.input[1] not in importer.initializers:
        raise _Refused("a weight matrix as its second input")
    weight = importer.shape(node.input[1])
    given = importer.shape(node.input[0])
    if len(weight) != 2 or len(given) != 2:
        raise _Refused("a vector times a matrix (a dense layer)")
    consumers = importer.consumers.get(node.output[0], [])
    bias = len(consumers) == 1 and consumers[0].op_type == "Add" and _bias_of(importer, consumers[0], int(weight[1]))
    importer.leaf(node, "dense", {"units": int(weight[1])} if bias else {"units": int(weight[1]), "bias": False})
    if bias:
        importer.sources[consumers[0].output[0]] = importer.sources[node.output[0]]
        importer.absorbed.add(consumers[0].name or consumers[0].output[0])


def _bias_of(importer: _Importer, node: Any, units: int) -> bool:
    other = [name for name in node.input if name in importer.initializers]
    return len(other) == 1 and _count(importer.initializers[other[0]].dims) == units


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
        raise _Refused("a clip to [0, 6] (relu6)")
    importer.activation(node, "relu6")


@_registers("PRelu")
def _prelu(importer: _Importer, node: Any) -> None:
    slopes = _count(importer.shape(node.input[1]))
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
        raise _Refused("a norm over the channels at each position: a Transpose to channels last before it")
    importer.leaf(node, "layernorm")
    importer.channels_last[node.output[0]] = True


@_registers("Transpose")
def _transpose(importer: _Importer, node: Any) -> None:
    data = importer.data_inputs(node)
    if len(data) != 1:
        raise _Refused("one input from the map")
    rank = len(importer.shape(data[0]))
    permutation = list(_attributes(node).get("perm", []))
    to_last = [0, *range(2, rank), 1]
    to_first = [0, rank - 1, *range(1, rank - 1)]
    if permutation == to_last and not importer.channels_last.get(data[0], False):
        importer.channels_last[node.output[0]] = True
    elif permutation == to_first and importer.channels_last.get(data[0], False):
        importer.channels_last[node.output[0]] = False
    else:
        raise _Refused("a Transpose of the channels to the last axis and back, around a per-position op")
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
        raise _Refused("constant padding (zeros)")
    pads = attributes.get("pads")
    if pads is None and len(node.input) > 1:
        found = importer.constant(node.input[1])
        pads = None if found is None else [int(p) for p in found]
    if pads is None:
        raise _Refused("pads known before running the graph")
    shape = importer.shape(data[0])
    rank = len(shape)
    if len(node.input) > 3 and node.input[3]:  # opset 18: pads for the axes listed only
        axes = importer.constant(node.input[3])
        if axes is None:
            raise _Refused("axes known before running the graph")
        listed = [int(axis) % rank for axis in axes]
        full = [0] * (2 * rank)
        for index, axis in enumerate(listed):
            full[axis], full[rank + axis] = pads[index], pads[len(listed) + index]
        pads = full
    if len(pads) != 2 * rank or pads[0] or pads[1] or pads[rank] or pads[rank + 1]:
        raise _Refused("padding on the spatial axes only")
    spatial = [int(p) for p in (*pads[2:rank], *pads[rank + 2 :])]
    added, cut = [max(p, 0) for p in spatial], [max(-p, 0) for p in spatial]
    if any(cut) and any(added):
        raise _Refused("padding that adds on every side or cuts on every side (PyTorch's negative padding crops)")
    if any(cut):  # a negative pad cuts, as PyTorch's ZeroPad2d crops
        importer.leaf(node, "crop", {"sides": _sides(cut, rank - 2)})
    else:
        importer.leaf(node, "zeropad", {"padding": _sides(added, rank - 2)})


@_registers("Slice")
def _slice(importer: _Importer, node: Any) -> None:
    data = importer.data_inputs(node)
    given, out = importer.shape(data[0]), importer.shape(node.output[0])
    if given[:2] != out[:2]:
        raise _Refused("a crop of the spatial axes (the batch and channels kept)")
    starts = importer.constant(node.input[1]) if len(node.input) > 1 else None
    axes = importer.constant(node.input[3]) if len(node.input) > 3 and node.input[3] else None
    steps = importer.constant(node.input[4]) if len(node.input) > 4 and node.input[4] else None
    if starts is None or (steps is not None and any(int(s) != 1 for s in steps)):
        raise _Refused("starts known before running the graph, and steps of 1")
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
        raise _Refused("a resize of the spatial axes only")
    mode = _text(attributes.get("mode", "nearest"))
    transform = _text(attributes.get("coordinate_transformation_mode", "half_pixel"))
    options: dict[str, Any] = {}
    if mode == "linear":
        options["mode"] = "bilinear"
        if transform == "align_corners":
            options["align_corners"] = True
        elif transform not in ("half_pixel", "pytorch_half_pixel"):
            raise _Refused(f"half_pixel or align_corners coordinates, got {transform}")
    elif mode == "nearest":
        nearest = _text(attributes.get("nearest_mode", "round_prefer_floor"))
        if transform != "asymmetric" or nearest != "floor":
            raise _Refused("nearest as PyTorch's: asymmetric coordinates, nearest_mode floor")
    else:
        raise _Refused("nearest or linear interpolation")
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
    if label in importer.absorbed:
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
        if node.op_type == "Mul" and learned and _count(importer.initializers[learned[0]].dims) == channels:
            importer.leaf(node, "scale")
            return
        if importer.shape(data[0]) == importer.shape(node.output[0]) and not learned:
            importer.alias(node)
            return
        raise _Refused("two maps, or the map and a per-channel factor")
    if node.op_type in ("Div", "Sub"):
        raise _Refused("the map and a constant (a layer for two maps divided or subtracted, cnncalc has none)")
    if node.op_type == "Concat":
        shape = importer.shape(node.output[0])
        if _attributes(node).get("axis", 1) % len(shape) != 1:
            raise _Refused("a concat along the channels (axis 1)")
    kind = {"Add": "add", "Sum": "add", "Mul": "multiply", "Concat": "concat"}[node.op_type]
    sources = [importer.sources[name] for name in data]
    first = data[0]
    if kind != "concat" and importer.current in sources:
        # the current tensor first, as an add or a multiply is the same either way: fewer names to read
        first = data[sources.index(importer.current)]
    others = [importer.sources[name] for name in data if name != first] if kind != "concat" else sources[1:]
    names = tuple(str(name) for name in others)
    importer.emit(kind, {}, label, first, node.output[0], merged=names)


def _written(path: str, model: Any, volume: Volume, layers: Sequence[Layer], warnings: Sequence[Diagnostic]) -> str:
    """The spec's text: where it came from, the input, and a layer a line, named and reading as the graph does."""
    producer = model.producer_name + (f" {model.producer_version}" if model.producer_version else "")
    lines = [
        comment(f"imported by `cnncalc import` from {os.path.basename(path)}"
                + (f", made by {producer}" if producer.strip() else "") + f", opset {_opset(model)}"),
        comment("each layer is named after the ONNX node it stands for"),
    ]  # fmt: skip
    for found in warnings:
        lines.append(comment(f"warning: {found.message}"))
    name = model.graph.name if model.graph.name not in _EXPORTERS_NAMES else os.path.splitext(os.path.basename(path))[0]
    if name:
        lines.append(f"name: {scalar(name)}")
    lines.append(f"input: {scalar(tuple(volume))}")
    lines.append("layers:")
    lines += _layer_lines(layers, "  ", _read_by(layers))
    return "\n".join(lines) + "\n"


def _read_by(layers: Sequence[Layer]) -> set[str]:
    """The names some layer reads (`from`, `with`), in blocks too: only those are written."""
    found: set[str] = set()
    for layer in layers:
        found.update(layer.merged)
        if layer.source:
            found.add(layer.source)
        found |= _read_by(layer.layers) | _read_by(layer.shortcut)
    return found


def _layer_lines(layers: Sequence[Layer], indent: str, read_by: set[str]) -> list[str]:
    lines = []
    for layer in layers:
        options = {key: value for key, value in layer.options.items() if key != "cut"}
        if layer.name in read_by:
            options = {"name": layer.name, **options}
        if layer.source is not None:
            options["from"] = layer.source
        if layer.merged:
            options["with"] = list(layer.merged)
        written = ", ".join(f"{key}: {_value(value)}" for key, value in options.items())
        if layer.kind != "residual":
            lines.append(f"{indent}- {layer.kind}: {{{written}}}" if written else f"{indent}- {layer.kind}")
            continue
        lines.append(f"{indent}- residual:")
        inner = indent + "    "
        lines += [f"{inner}{key}: {_value(value)}" for key, value in options.items()]
        lines.append(f"{inner}layers:")
        lines += _layer_lines(layer.layers, inner + "  ", read_by)
        if layer.shortcut:
            lines.append(f"{inner}shortcut:")
            lines += _layer_lines(layer.shortcut, inner + "  ", read_by)
    return lines


# the names exporters give every graph, which say nothing of the network
_EXPORTERS_NAMES = frozenset({"", "main_graph", "torch_jit", "torch-jit-export", "tf2onnx"})


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return scalar(value)


def _opset(model: Any) -> int:
    return max((entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")), default=0)
