"""A cnncalc spec from an ONNX graph: each node that computes on the map becomes a layer.

Needs the optional `onnx` package (`pip install 'cnncalc[onnx]'`), imported by this and the other `onnx_*`
modules only. The graph is read once, its shapes inferred by ONNX itself; the small subgraphs that compute sizes
(Shape, Gather, Concat, ... feeding a Pad, a Slice or a Reshape) are evaluated here on their constants, and every
other node is translated by its op type (`onnx_ops.TRANSLATE`). A layer reads the previous layer's output, or
names the layer whose output it reads (`from`); a merge names the others (`with`). `onnx_blocks` then recovers
the blocks, and `onnx_spec` writes the text. Nothing is guessed: an op with no counterpart, or a size not known
before running the graph, stops the import with an error naming every such node at once, unless `skip_unknown`
keeps those that provably keep their input's shape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from .diagnostics import Diagnostic, SpecError, error, warning
from .record import Record
from .spec import ACTIVATIONS, Volume

# a model larger than this is refused before it is read: every weight of it would be parsed into memory
MAX_MODEL_BYTES = 2 * 1024**3
# the values a size computation may hold (a Shape's, a Pad's pads): more is no size, and is not evaluated
MAX_FOLDED_VALUES = 4096


class Untranslatable(Exception):
    """A node that has no counterpart in a spec: what it would need."""


class Layer(Record):
    """One layer of the spec being written: its kind, its options, its name, and what it reads."""

    kind: str
    options: dict[str, Any]
    name: str
    source: str | None  # the layer whose output it reads, where that is not the previous one
    merged: tuple[str, ...] = ()
    # a block's own lists, recovered (see `onnx_blocks`): a residual's or a repeat's layers, a residual's shortcut,
    # the branches of an add, a concat or a multiply
    layers: tuple[Layer, ...] = ()
    shortcut: tuple[Layer, ...] = ()
    branches: tuple[tuple[Layer, ...], ...] = ()


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
    from .onnx_blocks import recovered, unmet_splits
    from .onnx_spec import written

    layers = recovered(importer.layers())
    unmet = unmet_splits(layers)
    if unmet:
        raise SpecError(
            [
                error(
                    "onnx",
                    f"node {name!r} (Split): its parts do not meet again at one Concat, in order, each on a path of "
                    "its own (a concat with `split`): cnncalc has no layer for a part of the channels",
                )
                for name in unmet
            ]
        )
    return written(path, model, importer.input, layers, importer.warnings)


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
        self.absorbed: set[str] = set()  # the nodes a layer before stands for: a dense layer's bias, a shuffle's
        self.parts: dict[str, Layer] = {}  # the parts of a split that no layer has read yet, by name
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
        small = [tensor for tensor in copy.graph.initializer if count(tensor.dims) <= MAX_FOLDED_VALUES]
        large = [tensor for tensor in copy.graph.initializer if count(tensor.dims) > MAX_FOLDED_VALUES]
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
            if count(tensor.dims) > MAX_FOLDED_VALUES:
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
        from .onnx_ops import TRANSLATE

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
            if self.mask(node) or (node.name or node.output[0]) in self.absorbed:
                continue
            translate = TRANSLATE.get(node.op_type)
            try:
                if translate is None:
                    raise Untranslatable(f"cnncalc has no layer for {node.op_type}")
                translate(self, node)
            except (Untranslatable, KeyError, IndexError, ValueError, TypeError) as found:
                refused = (
                    found if isinstance(found, Untranslatable) else Untranslatable(f"attributes it can read ({found})")
                )
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
            raise Untranslatable("an input that the network's input flows into")
        return found

    def shape(self, name: str) -> tuple[int, ...]:
        shape = self.shapes.get(name)
        if shape is None or any(d is None for d in shape):
            raise Untranslatable(f"a static shape for {name!r} (ONNX's shape inference could not find one)")
        return tuple(d for d in shape if d is not None)

    def alias(self, node: Any, index: int = 0) -> None:
        """A node that passes its input on as it is (Identity, a layout Transpose): its output is its input's."""
        data = self.data_inputs(node)
        if not data:
            raise Untranslatable("an input that comes from the network's input")
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
        # a split's parts are written where they are first read, each right before its path
        for part in [*(other for other in merged if other in self.parts), *([reads] if reads in self.parts else [])]:
            self.write(self.parts.pop(part))
        self.write(Layer(kind, options, name, reads, tuple(merged)))
        if output is not None:
            self.sources[output] = name

    def write(self, layer: Layer) -> None:
        """Add `layer`, reading the layer its `source` names: by that name only where it is not the last one."""
        self.written.append(layer._replace(source=None if layer.source == self.current else layer.source))
        self.current = layer.name

    def split(self, node: Any, data: str, options: list[dict[str, Any]]) -> None:
        """A node whose outputs are parts of `data`: each a layer with its `options`, written when first read."""
        for output, part in zip(node.output, options, strict=True):
            name = self.unique(f"{node.name or node.output[0]}.{part['index']}")
            self.parts[name] = Layer("part", part, name, self.sources[data])
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
            raise Untranslatable(f"one input from the map, got {len(data)}")
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
            raise Untranslatable(f"a batch, channels and 1 to 3 spatial axes, got a tensor of {len(shape)} axes")
        return len(shape) - 2


def _module_path(node_name: str) -> str:
    """A node's name as the module it comes from: `/layer1/layer1.0/conv1/Conv` is `layer1.0.conv1`, as
    PyTorch's exporter names nodes by their module's scope; any other name as it is."""
    parts = [part for part in node_name.split("/") if part]
    if len(parts) < 2:
        return node_name
    parts = parts[:-1]  # the op type, numbered where a module holds several
    # each scope is named from its parent's module down (`branches.0` then `branches.0.0`): the later replaces it
    dotted, last = "", ""
    for part in parts:
        if last and part.startswith(last + "."):
            dotted = dotted.removesuffix(last) + part
        else:
            dotted = f"{dotted}.{part}" if dotted else part
        last = part
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


def count(dims: Sequence[int]) -> int:
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
