"""ONNX models for the import tests, made two ways.

`from_spec` exports a spec through PyTorch: `cnncalc export --to pytorch`, the module's `build()` in training
mode (in eval mode the TorchScript exporter folds each batchnorm into the conv before it), then
`torch.onnx.export` with the TorchScript exporter, training mode kept and nothing folded. The other functions make
small graphs node by node with `onnx.helper`: one per operator the import reads, and one per graph it must refuse.

Needs onnx; `from_spec` needs torch too, imported when it runs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy
import onnx
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

from cnncalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))

DEFAULT_OPSET = 17
CONSTANT_PREFIX = "const_"  # the initializers `Graph` makes that are no weights
# numbers the modules exported specs are imported as, one per import
_modules = itertools.count(1)


class NotExportable(Exception):
    """PyTorch cannot write the model as ONNX; the message is the first line of the exporter's."""


def pytorch_module(spec: str | Path, directory: Path) -> Path:
    """`cnncalc export --to pytorch` of `spec` (a file, or YAML text) into `directory`; the module's path."""
    directory.mkdir(parents=True, exist_ok=True)
    module = directory / "model.py"
    is_text = isinstance(spec, str) and "\n" in spec
    argument = "-" if is_text else str(spec)
    result = CliRunner().invoke(
        cli, ["export", argument, "--to", "pytorch", "-o", str(module)], input=str(spec) if is_text else None
    )
    if result.exit_code != 0:
        raise ValueError(f"cnncalc export failed ({result.exit_code}): {result.stderr or result.exception}")
    return module


def example_input(module_text: str) -> tuple[int, ...]:
    """The shape of the example input the exported module's `__main__` section runs: (1, C, H, W) in 2-D."""
    main = module_text.split('if __name__ == "__main__":', 1)[1]
    found = re.search(r"torch\.randn\(([0-9,\s]+)\)", main)
    if found is None:
        raise ValueError("the exported module has no example input")
    return tuple(int(size) for size in found.group(1).split(","))


def from_spec(spec: str | Path, directory: Path, name: str = "model") -> Path:
    """The ONNX file of `spec` (a file, or YAML text), exported through PyTorch into `directory`.

    Raises NotExportable where PyTorch cannot write the model as ONNX.
    """
    import torch

    module_path = pytorch_module(spec, directory)
    loaded = importlib.util.spec_from_file_location(f"cnncalc_exported_{next(_modules)}", module_path)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    torch.manual_seed(0)
    model = module.build()
    model.train()
    example = torch.randn(*example_input(module_path.read_text()))
    path = directory / f"{name}.onnx"
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                model,
                (example,),
                str(path),
                dynamo=False,
                training=torch.onnx.TrainingMode.TRAINING,
                do_constant_folding=False,
            )
        except Exception as exc:
            lines = str(exc).strip().splitlines() or [type(exc).__name__]
            raise NotExportable(lines[0].split(". Please")[0]) from None
    return path


def op_types(model: onnx.ModelProto) -> list[str]:
    """The op type of every node of the model's graph, in order."""
    return [node.op_type for node in model.graph.node]


def weight_count(model: onnx.ModelProto) -> int:
    """The values of the model's floating-point initializers, its weights and batchnorm statistics; `Graph`'s
    constants (named `const_*`: a clip's bounds, a dropout's ratio, a resize's scales) left out."""
    floats = {TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16}
    total = 0
    for tensor in model.graph.initializer:
        if tensor.data_type in floats and not tensor.name.startswith(CONSTANT_PREFIX):
            total += int(numpy.prod(tensor.dims, dtype=numpy.int64))
    return total


# -- graphs made node by node -------------------------------------------------------------------------------------


class Graph:
    """An ONNX graph made node by node from one input named `input`: each node reads the last node's output
    unless it is told what to read."""

    def __init__(self, shape: Sequence[int | str], opset: int = DEFAULT_OPSET, name: str = "net") -> None:
        self.input = helper.make_tensor_value_info("input", TensorProto.FLOAT, list(shape))
        self.opset = opset
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.last = "input"
        self.generator = numpy.random.default_rng(0)

    def weight(self, *shape: int, positive: bool = False) -> str:
        """A new float initializer of `shape`, random values (`positive`: above 0, a variance); its name."""
        name = f"weight_{len(self.initializers)}"
        values = self.generator.standard_normal(shape).astype(numpy.float32)
        if positive:
            values = numpy.abs(values) + numpy.float32(0.5)
        self.initializers.append(numpy_helper.from_array(values, name))
        return name

    def constant(self, values: Sequence[float] | float, dtype: type = numpy.int64) -> str:
        """A new initializer holding `values` (int64 unless told); its name."""
        name = f"{CONSTANT_PREFIX}{len(self.initializers)}"
        self.initializers.append(numpy_helper.from_array(numpy.array(values, dtype=dtype), name))
        return name

    def node(
        self,
        op_type: str,
        *inputs: str,
        reads: str | Sequence[str] | None = None,
        name: str | None = None,
        outputs: int = 1,
        **attributes: Any,
    ) -> str:
        """A node of `op_type` reading `reads` (the last output where None), then `inputs`; its first output's
        name, which becomes the last output."""
        name = name or f"{op_type.lower()}_{len(self.nodes) + 1}"
        first = [self.last] if reads is None else [reads] if isinstance(reads, str) else list(reads)
        names = [f"{name}_out"] + [f"{name}_out{k}" for k in range(1, outputs)]
        self.nodes.append(helper.make_node(op_type, [*first, *inputs], names, name=name, **attributes))
        self.last = names[0]
        return names[0]

    def model(self, outputs: Sequence[str] | None = None) -> onnx.ModelProto:
        """The model, its outputs `outputs` (the last output where None), their shapes as ONNX infers them."""
        values = [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in outputs or [self.last]]
        graph = helper.make_graph(self.nodes, self.name, [self.input], values, self.initializers)
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", self.opset)], producer_name="cnncalc tests"
        )
        inferred = onnx.shape_inference.infer_shapes(model)
        del model.graph.output[:]
        model.graph.output.extend(inferred.graph.output)
        return model


def save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.save_model(model, str(path))
    return path


def single(
    op_type: str,
    shape: Sequence[int | str],
    weights: Sequence[Sequence[int]] = (),
    opset: int = DEFAULT_OPSET,
    **attributes: Any,
) -> onnx.ModelProto:
    """One node of `op_type` on the input, with a random initializer of each shape in `weights`."""
    graph = Graph(shape, opset)
    graph.node(op_type, *(graph.weight(*dims) for dims in weights), **attributes)
    return graph.model()


def conv(
    shape: Sequence[int | str],
    filters: int,
    kernel: Sequence[int],
    group: int = 1,
    bias: bool = True,
    opset: int = DEFAULT_OPSET,
    **attributes: Any,
) -> onnx.ModelProto:
    """A Conv of `filters` filters of `kernel` (one size per spatial axis), attributes as ONNX names them."""
    channels = int(shape[1])
    weights = [(filters, channels // group, *kernel)] + ([(filters,)] if bias else [])
    return single("Conv", shape, weights, opset, kernel_shape=list(kernel), group=group, **attributes)


def conv_transpose(
    shape: Sequence[int],
    filters: int,
    kernel: Sequence[int],
    group: int = 1,
    bias: bool = True,
    opset: int = DEFAULT_OPSET,
    **attributes: Any,
) -> onnx.ModelProto:
    """A ConvTranspose: its weight is (C, filters / group, *kernel)."""
    weights = [(shape[1], filters // group, *kernel)] + ([(filters,)] if bias else [])
    return single("ConvTranspose", shape, weights, opset, kernel_shape=list(kernel), group=group, **attributes)


def dense(shape: Sequence[int], units: int, trans_b: bool, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """Flatten, then a Gemm of `units` outputs: its weight (units, n) with transB, (n, units) without."""
    graph = Graph(shape, opset)
    graph.node("Flatten", axis=1)
    features = int(numpy.prod(shape[1:]))
    weight = graph.weight(units, features) if trans_b else graph.weight(features, units)
    graph.node("Gemm", weight, graph.weight(units), transB=int(trans_b))
    return graph.model()


def matmul_add(shape: Sequence[int], units: int, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """Flatten, then MatMul by a (n, units) weight and Add of a bias: a dense layer as some exporters write it."""
    graph = Graph(shape, opset)
    graph.node("Flatten", axis=1)
    graph.node("MatMul", graph.weight(int(numpy.prod(shape[1:])), units))
    graph.node("Add", graph.weight(units))
    return graph.model()


def batchnorm(shape: Sequence[int], opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """A conv, then BatchNormalization (scale, bias, mean, variance: 4 c values)."""
    graph = Graph(shape, opset)
    channels = 4
    graph.node("Conv", graph.weight(channels, shape[1], 3, 3), kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    statistics = [graph.weight(channels) for _ in range(3)] + [graph.weight(channels, positive=True)]
    graph.node("BatchNormalization", *statistics, epsilon=1e-5)
    return graph.model()


def activation(op_type: str, shape: Sequence[int], opset: int = DEFAULT_OPSET, **attributes: Any) -> onnx.ModelProto:
    """A 3 x 3 conv of 4 filters, then the activation `op_type`."""
    graph = Graph(shape, opset)
    graph.node("Conv", graph.weight(4, shape[1], 3, 3), graph.weight(4), kernel_shape=[3, 3])
    graph.node(op_type, **attributes)
    return graph.model()


def clip(shape: Sequence[int], low: float, high: float, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """A conv, then Clip with its bounds as inputs (opset 11 on)."""
    graph = Graph(shape, opset)
    graph.node("Conv", graph.weight(4, shape[1], 3, 3), kernel_shape=[3, 3])
    graph.node("Clip", graph.constant(low, numpy.float32), graph.constant(high, numpy.float32))
    return graph.model()


def prelu(shape: Sequence[int], per_channel: bool, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """PRelu with one slope per channel ((c, 1, 1), broadcast) or one for the map."""
    graph = Graph(shape, opset)
    graph.node("PRelu", graph.weight(shape[1], 1, 1) if per_channel else graph.weight(1))
    return graph.model()


def dropout(shape: Sequence[int], ratio: float, training: bool, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """A conv, then Dropout with its ratio and training mode as inputs and its mask as a second output, as the
    TorchScript exporter writes it in training mode."""
    graph = Graph(shape, opset)
    graph.node("Conv", graph.weight(4, shape[1], 3, 3), kernel_shape=[3, 3])
    graph.node("Dropout", graph.constant(ratio, numpy.float32), graph.constant(training, numpy.bool_), outputs=2)
    graph.node("Relu")
    return graph.model()


def identity(shape: Sequence[int], opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """A conv, Identity, a conv."""
    graph = Graph(shape, opset)
    graph.node("Conv", graph.weight(4, shape[1], 3, 3), kernel_shape=[3, 3])
    graph.node("Identity")
    graph.node("Conv", graph.weight(2, 4, 3, 3), kernel_shape=[3, 3])
    return graph.model()


def residual(shape: Sequence[int], opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """The input plus a same-padded conv of it, then Relu: a residual block."""
    graph = Graph(shape, opset)
    channels = shape[1]
    body = graph.node("Conv", graph.weight(channels, channels, 3, 3), kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    graph.node("Add", reads=["input", body])
    graph.node("Relu")
    return graph.model()


def concat(shape: Sequence[int], axis: int = 1, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """Two convs of the input, 3 and 5 filters, each keeping its size, joined by Concat along `axis`."""
    graph = Graph(shape, opset)
    channels = shape[1]
    first = graph.node("Conv", graph.weight(3, channels, 1, 1), reads="input", name="branch_a", kernel_shape=[1, 1])
    second = graph.node(
        "Conv", graph.weight(5 if axis == 1 else 3, channels, 3, 3), reads="input", name="branch_b",
        kernel_shape=[3, 3], pads=[1, 1, 1, 1],
    )  # fmt: skip
    graph.node("Concat", reads=[first, second], name="joined", axis=axis)
    return graph.model()


def split_concat(
    shape: Sequence[int], sizes: Sequence[int], opset: int = DEFAULT_OPSET, swapped: bool = False
) -> onnx.ModelProto:
    """The channels split in parts of `sizes` (opset 18: in equal parts, `num_outputs`), the first as it is, the
    others each through a 1 x 1 conv keeping its channels, concatenated again (`swapped`: the last part first)."""
    graph = Graph(shape, opset)
    if opset >= 18:
        graph.node("Split", name="split", outputs=len(sizes), axis=1, num_outputs=len(sizes))
    else:
        graph.node("Split", graph.constant(sizes), name="split", outputs=len(sizes), axis=1)
    parts = ["split_out"] + [f"split_out{k}" for k in range(1, len(sizes))]
    ends = [parts[0]] + [
        graph.node("Conv", graph.weight(size, size, 1, 1), reads=part, kernel_shape=[1, 1])
        for part, size in zip(parts[1:], sizes[1:], strict=True)
    ]
    graph.node("Concat", reads=ends[::-1] if swapped else ends, name="joined", axis=1)
    return graph.model()


def channel_shuffle(shape: Sequence[int], groups: int, perm: Sequence[int] | None = None) -> onnx.ModelProto:
    """A conv keeping the channels, then torchvision's shuffle: a Reshape to (n, g, c / g, ...), a Transpose of
    those two axes (or `perm`), and a Reshape back."""
    graph = Graph(shape, DEFAULT_OPSET)
    n, channels, *rest = shape
    ones = [1] * len(rest)
    graph.node("Conv", graph.weight(channels, channels, *ones), kernel_shape=ones)
    graph.node("Reshape", graph.constant([n, groups, channels // groups, *rest]), name="grouped")
    spatial = list(range(3, len(shape) + 1))
    graph.node("Transpose", name="swapped", perm=list(perm or [0, 2, 1, *spatial]))
    graph.node("Reshape", graph.constant(list(shape)), name="shuffled")
    return graph.model()


def gate(shape: Sequence[int], opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """A conv, and its map times a gate per channel made from its global average: Mul broadcasting (1, c, 1, 1)."""
    graph = Graph(shape, opset)
    channels = 6
    mapped = graph.node("Conv", graph.weight(channels, shape[1], 3, 3), kernel_shape=[3, 3])
    graph.node("GlobalAveragePool")
    graph.node("Conv", graph.weight(2, channels, 1, 1), graph.weight(2), kernel_shape=[1, 1])
    graph.node("Relu")
    graph.node("Conv", graph.weight(channels, 2, 1, 1), graph.weight(channels), kernel_shape=[1, 1])
    gated = graph.node("Sigmoid")
    graph.node("Mul", reads=[mapped, gated])
    return graph.model()


def pad(
    shape: Sequence[int], pads: Sequence[int], opset: int = DEFAULT_OPSET, axes: Sequence[int] | None = None
) -> onnx.ModelProto:
    """A constant Pad of zeros, `pads` in ONNX's order (every axis's start, then every axis's end); with `axes`
    (opset 18 on), `pads` are those axes' only."""
    graph = Graph(shape, opset)
    inputs = [graph.constant(pads), graph.constant(0.0, numpy.float32)]
    if axes is not None:
        inputs.append(graph.constant(axes))
    graph.node("Pad", *inputs, mode="constant")
    return graph.model()


def reduce_mean(shape: Sequence[int], opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """ReduceMean over every spatial axis, dimensions kept: a global average pool. Its axes are an attribute
    before opset 18 and an input from it on."""
    graph = Graph(shape, opset)
    axes = list(range(2, len(shape)))
    if opset < 18:
        graph.node("ReduceMean", axes=axes, keepdims=1)
    else:
        graph.node("ReduceMean", graph.constant(axes), keepdims=1)
    return graph.model()


def resize(
    shape: Sequence[int],
    mode: str,
    scales: Sequence[float] | None = None,
    sizes: Sequence[int] | None = None,
    opset: int = DEFAULT_OPSET,
    **attributes: Any,
) -> onnx.ModelProto:
    """Resize by `scales` or to `sizes` (every axis, batch and channels included), then a 3 x 3 conv."""
    graph = Graph(shape, opset)
    roi = ""
    scale_input = graph.constant(scales, numpy.float32) if scales is not None else ""
    inputs = [roi, scale_input] + ([graph.constant(sizes)] if sizes is not None else [])
    graph.node("Resize", *inputs, mode=mode, **attributes)
    graph.node("Conv", graph.weight(2, shape[1], 3, 3), kernel_shape=[3, 3])
    return graph.model()


def layernorm(shape: Sequence[int], opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """A conv, then LayerNormalization over the channels at each position: Transpose to channels last, normalise
    the last axis, Transpose back (ConvNeXt's LayerNorm2d as PyTorch exports it)."""
    graph = Graph(shape, opset)
    channels = 5
    graph.node("Conv", graph.weight(channels, shape[1], 3, 3), kernel_shape=[3, 3])
    graph.node("Transpose", perm=[0, 2, 3, 1])
    graph.node("LayerNormalization", graph.weight(channels), graph.weight(channels), axis=-1, epsilon=1e-6)
    graph.node("Transpose", perm=[0, 3, 1, 2])
    graph.node("Conv", graph.weight(2, channels, 1, 1), kernel_shape=[1, 1])
    return graph.model()


# -- graphs the import must refuse, or take only with --skip-unknown -----------------------------------------------


def lstm(opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """An LSTM on a (1, 4, 8) tensor (sequence 1, batch 4, 8 features): an op cnncalc has no layer for."""
    graph = Graph([1, 4, 8], opset)
    hidden = 5
    graph.node(
        "LSTM", graph.weight(1, 4 * hidden, 8), graph.weight(1, 4 * hidden, hidden), name="lstm", hidden_size=hidden,
        outputs=3,
    )  # fmt: skip
    return graph.model()


def two_unknown(opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """A conv, TopK (changes the shape), a relu, CumSum (keeps it), a global pool: two ops with no layer."""
    graph = Graph([1, 3, 8, 8], opset)
    graph.node("Conv", graph.weight(4, 3, 3, 3), kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv_in")
    graph.node("TopK", graph.constant([4]), name="topk_op", axis=3, outputs=2)
    graph.node("Relu", name="relu_mid")
    graph.node("CumSum", graph.constant(2), name="cumsum_op")
    graph.node("GlobalAveragePool", name="pool_out")
    return graph.model()


def unknown_between_convs(op_type: str = "Sin", opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """A conv, an op with no layer that keeps the shape (Sin, Erf), a conv."""
    graph = Graph([1, 3, 8, 8], opset)
    graph.node("Conv", graph.weight(4, 3, 3, 3), kernel_shape=[3, 3], name="conv_a")
    graph.node(op_type, name="odd")
    graph.node("Conv", graph.weight(2, 4, 3, 3), kernel_shape=[3, 3], name="conv_b")
    return graph.model()


def dynamic(opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """A conv and a pool on an input of unknown batch, height and width: (N, 3, H, W)."""
    graph = Graph(["N", 3, "H", "W"], opset)
    graph.node("Conv", graph.weight(8, 3, 3, 3), kernel_shape=[3, 3], strides=[2, 2], name="conv")
    graph.node("MaxPool", kernel_shape=[2, 2], strides=[2, 2], name="pool")
    return graph.model()


def two_outputs(opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """A conv and a relu, both graph outputs."""
    graph = Graph([1, 3, 8, 8], opset)
    mapped = graph.node("Conv", graph.weight(4, 3, 3, 3), kernel_shape=[3, 3], name="conv")
    activated = graph.node("Relu", name="relu")
    return graph.model([mapped, activated])


def external_data(directory: Path) -> Path:
    """A conv model saved with its weights in `weights.bin` beside it; the model's path."""
    model = conv([1, 3, 8, 8], 4, [3, 3])
    path = directory / "external.onnx"
    onnx.save_model(
        model,
        str(path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="weights.bin",
        size_threshold=0,
    )
    return path
