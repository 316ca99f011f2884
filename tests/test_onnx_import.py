"""`cnncalc import`: ONNX graphs read as specs, every number checked.

- Round trip: each shipped spec, exported to PyTorch and then to ONNX (`onnx_models.from_spec`), is imported back,
  and the imported spec's report must be the original's computation, number for number (see `Dataflow`).
- Generated networks (Hypothesis): stacks of convs, pools, batchnorms, relus, residual and concat blocks at ranks
  1 to 3, exported and imported alike.
- One small graph per operator the import reads (`onnx_models`), against a spec written by hand whose output and
  parameters are first checked against what ONNX itself runs (its reference evaluator) and the model's weights.
- The refusals: an operator with no layer, a size not known before running, two outputs, a concat on a spatial
  axis, each naming the node, its op type and what it would need, all at once; `skip_unknown`.
- Bad files through the command line: one error, exit code 2, no traceback; and no onnx imported by a command
  that reads no ONNX.

The tests that need the importer (`cnncalc.onnx_import`) skip while it does not exist and run once it does; the
whole file skips without onnx, and the exports without torch.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest

pytest.importorskip("onnx")

import numpy
import onnx
import onnx_models
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnncalc import onnx_import
from cnncalc.cli import cli
from cnncalc.diagnostics import SpecError
from cnncalc.engine import analyse
from cnncalc.fields import Field, Fields, Jumps, Taps, Window, with_whole
from cnncalc.loader import load, load_file
from cnncalc.report import LayerResult, Report, walk
from cnncalc.spec import ACTIVATIONS, PerAxis, Volume

ROOT = Path(__file__).resolve().parent.parent
SPECS = {path.stem: path for path in onnx_models.SPECS}


# the op types of the graphs PyTorch 2.13's TorchScript exporter writes for the shipped specs, in
# training mode, nothing folded (opset 20): what the import meets in practice
EXPORTED_OP_TYPES = {
    "Add", "AveragePool", "BatchNormalization", "Cast", "Concat", "Constant", "ConstantOfShape", "Conv",
    "ConvTranspose", "Div", "Dropout", "Flatten", "Gather", "Gelu", "Gemm", "GlobalAveragePool", "HardSigmoid",
    "HardSwish", "LayerNormalization", "Less", "MaxPool", "Mul", "Pad", "RandomUniformLike", "Relu", "Reshape",
    "Shape", "Sigmoid", "Slice", "Softmax", "Split", "Sub", "Tanh", "Transpose", "Unsqueeze",
}  # fmt: skip


def import_onnx(path: Path, input_volume: Volume | None = None, skip_unknown: bool = False) -> str:
    """The importer's spec text for the model at `path`."""
    return onnx_import.import_onnx(str(path), input_volume, skip_unknown)


def imported_report(path: Path, input_volume: Volume | None = None, skip_unknown: bool = False) -> Report:
    text = import_onnx(path, input_volume, skip_unknown)
    try:
        return analyse(load(text))
    except SpecError as exc:
        raise AssertionError(f"the imported spec does not compute: {exc}\n{text}") from None


def spec(input: Sequence[int], *layers: str) -> str:
    """A spec's text: its input, and a layer a line (flow style)."""
    return f"input: {list(input)}\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)


def invoke(*args: str) -> tuple[int, str, str]:
    """A command run in-process: its exit code, standard output and standard error; an exception it lets out (a
    traceback, run from the shell) fails the test."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


# -- the comparison: the same computation, number for number ---------------------------------------------------------

# kinds that are one operation at the numbers' level: an adaptive pool whose windows are all alike exports as a plain
# pool, and one to 1 x 1 as a global pool
FAMILIES = {
    "adaptiveavgpool": "avgpool",
    "globalavgpool": "avgpool",
    "adaptivemaxpool": "maxpool",
    "globalmaxpool": "maxpool",
}
WINDOWED = {"conv", "maxpool", "avgpool"}
NO_OPS = {"dropout", "droppath"}
UNORDERED = {"add", "multiply"}
MERGES = {"add", "concat", "multiply"}
FUSED_ACTIVATION = {"conv", "convtranspose", "dense"}
GATES = {"sigmoid", "hardsigmoid"}


class Node(NamedTuple):
    """One operation of a network: what it outputs, learns and computes, the field of its output, what it reads."""

    kind: str
    output: Volume
    trainable: int
    non_trainable: int
    macs: int
    field: tuple[PerAxis, Jumps, PerAxis]  # receptive field, jump and effective padding per axis
    inputs: tuple[int, ...] = ()

    @property
    def counts(self) -> tuple[str, Volume, int, int, int]:
        return self.kind, self.output, self.trainable, self.non_trainable, self.macs

    def __str__(self) -> str:
        field, jump, padding = self.field
        return (
            f"{self.kind} {self.output} params {self.trainable}+{self.non_trainable} MACs {self.macs} "
            f"RF {field} jump {tuple(map(str, jump))} P {padding}"
        )


def field_of(row: LayerResult) -> tuple[PerAxis, Jumps, PerAxis]:
    return row.receptive_field, row.jump, row.effective_padding


def shown(fields: Fields, whole: tuple[Window | None, ...]) -> tuple[PerAxis, Jumps, PerAxis]:
    """r, j and P of fields, with what the statistics of whole maps bring (as the engine shows a row's)."""
    seen = [with_whole(field, window) for field, window in zip(fields, whole, strict=True)]
    return tuple(f.r for f in seen), tuple(f.j for f in seen), tuple(f.p for f in seen)


class Dataflow:
    """A report as the graph of operations it computes, in a form that does not depend on how the layers are
    grouped, so that an imported spec can be compared with the spec it was exported from.

    A spec lists one order of its operations and groups them as it likes: a residual's layers and its shortcut, a
    merge's branches, or the same operations written flat with named skips (`from`, `with`), as an import writes
    them. Rows cannot be matched one for one in the order written, as independent paths may come in either order,
    and a block's row adds up rows the other spec has no block for. What does not depend on the grouping is the
    dataflow graph: every operation, with its numbers (kind, output, trainable and non-trainable parameters, MACs,
    receptive field, jump, effective padding), and the operations it reads, in order where order matters (a
    concat), as a multiset where it does not (an add, a multiply). Two reports are the same computation when these
    graphs are the same, node for node: every node's numbers, merges included, and the whole graph's shape.

    Both sides are first brought to one form, by rules that change no number of the report and apply to both alike:

    - a conv's, a transposed conv's or a dense layer's `activation` is a node of its own, as ONNX has it; a
      residual is its layers and shortcut meeting in an add node, then its activation; a concat's `split` is a node
      per slice; a merge's `crop: centre` is a crop node on each input it cuts;
    - kinds that compute alike are one kind: an adaptive or global pool is a pool (`FAMILIES`);
    - dropout and droppath are dropped: they change nothing of the numbers, and a droppath of rate 0 leaves no node
      in the exported graph at all; so is a crop that cuts nothing, and a flatten of what is a vector already (the
      export writes one before a dense layer on a 1 x 1 x n map);
    - zero padding read only by convs or pools goes into them (PyTorch's padding cannot say every padding cnncalc
      takes, so an export puts a padding layer in front, and the exporter makes one padding of two alike on the
      same input: WaveNet's gates; the convs' numbers and fields are the same either way), and a crop that only cuts
      a transposed conv's or a pool's output goes into it (the export's way of cutting unevenly);
    - an add whose only reader is another add is part of it (ONNX adds two at a time), and so for multiplies and
      concats;
    - two operations without parameters that compute the same from the same inputs (two branches of one max
      pool) are one: the exporter computes them once;
    - a multiply of a map by a gate made from its global average (pool, 1 x 1 conv, activation, 1 x 1 conv,
      sigmoid) is one squeeze-and-excitation node, its parameters and MACs the sum of its parts'.

    One number is left out of the comparison: the activation memory (`totals.activation_elements`), which counts
    every layer's output tensor and so depends on how the computation is split into layers (a squeeze-and-excitation
    is one row of a spec and six ONNX nodes).
    """

    def __init__(self, report: Report) -> None:
        rank = report.input.rank
        self.nodes: dict[int, Node] = {}
        # per node of the spec's own rows, its fields before the statistics of whole maps, and those statistics' reach
        self.fields: dict[int, tuple[Fields, tuple[Window | None, ...]]] = {}
        identity = tuple(Field.affine(1, 1, 0) for _ in range(rank))
        start = self.add(Node("input", report.input, 0, 0, 0, ((1,) * rank, (1,) * rank, (0,) * rank)))
        self.fields[start] = (identity, (None,) * rank)
        self.output = self.sequence(report.layers, start, {"input": start})
        self.simplify()

    def add(self, node: Node) -> int:
        key = len(self.nodes)  # nodes are made before any is taken away
        self.nodes[key] = node
        return key

    def row_node(self, row: LayerResult, kind: str, inputs: tuple[int, ...], costs: bool = True) -> int:
        """A node with a row's numbers (its parameters and MACs only where `costs`)."""
        counts = (row.trainable_params, row.non_trainable_params, row.macs) if costs else (0, 0, 0)
        key = self.add(Node(FAMILIES.get(kind, kind), row.output, *counts, field_of(row), inputs))
        self.fields[key] = (row.local or row.fields, row.whole)
        return key

    def sequence(self, rows: Sequence[LayerResult], current: int, scope: dict[str, int]) -> int:
        """The nodes of rows applied in order from node `current`; the last one's key. Names are seen as the engine
        sees them: those of this list so far and of the lists around it."""
        scope = dict(scope)
        for row in rows:
            layer = row.layer
            if layer.source is not None:
                current = scope[layer.source]
            current = self.block(row, current, scope) if row.is_block else self.leaf(row, current)
            if layer.name is not None:
                scope[layer.name] = current
        return current

    def leaf(self, row: LayerResult, current: int) -> int:
        layer: Any = row.layer
        if row.kind == "squeeze_excite":
            return self.row_node(row, f"squeeze_excite({layer.activation or 'none'}, {layer.gate})", (current,))
        key = self.row_node(row, row.kind, (current,))
        if row.kind in FUSED_ACTIVATION and layer.activation:
            key = self.row_node(row, layer.activation, (key,), costs=False)
        return key

    def block(self, row: LayerResult, current: int, scope: dict[str, int]) -> int:
        layer: Any = row.layer
        if row.kind == "repeat":
            body = len(layer.layers)
            for start in range(0, len(row.layers), body):
                current = self.sequence(row.layers[start : start + body], current, scope)
            return current
        if row.kind == "residual":
            main = self.sequence(row.layers, current, scope)
            shortcut = self.sequence(row.shortcut, current, scope)
            key = self.row_node(row, "add", (main, shortcut), costs=False)
            if layer.activation:
                key = self.row_node(row, layer.activation, (key,), costs=False)
            return key
        assert row.kind in MERGES, row.kind
        if layer.branches:
            starts = [current] * len(layer.branches)
            if layer.split is not None:
                starts = [self.split(current, channels) for channels in layer.split]
            inputs = tuple(
                self.sequence(branch, start, scope) for branch, start in zip(row.branches, starts, strict=True)
            )
        else:
            named = [scope[name] for name in layer.merged]
            if layer.crop == "centre":
                named = [self.centred(key, self.nodes[current].output) for key in named]
            inputs = (current, *named)
        return self.row_node(row, row.kind, inputs, costs=False)

    def split(self, current: int, channels: int) -> int:
        """A concat's slice of `channels` channels of the node's output."""
        node = self.nodes[current]
        key = self.add(Node("split", node.output.with_channels(channels), 0, 0, 0, node.field, (current,)))
        self.fields[key] = self.fields[current]
        return key

    def centred(self, key: int, like: Volume) -> int:
        """The node's output cut to `like`'s size around its centre (a merge's `crop: centre`), as a crop node."""
        node = self.nodes[key]
        if node.output.spatial == like.spatial:
            return key
        fields, whole = self.fields[key]
        cuts = [(size - kept) // 2 for size, kept in zip(node.output.spatial, like.spatial, strict=True)]
        cut = tuple(field.through(Taps.sliding(1, 1, -before)) for field, before in zip(fields, cuts, strict=True))
        crop = self.add(Node("crop", like.with_channels(node.output.c), 0, 0, 0, shown(cut, whole), (key,)))
        self.fields[crop] = (cut, whole)
        return crop

    # -- one form for both sides ------------------------------------------------------------------------------------

    def readers(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {key: [] for key in self.nodes}
        for key, node in self.nodes.items():
            for source in node.inputs:
                found[source].append(key)
        return found

    def redirect(self, old: int, new: int) -> None:
        """Node `old` gone, its readers reading node `new` instead."""
        del self.nodes[old]
        for key, node in self.nodes.items():
            if old in node.inputs:
                self.nodes[key] = node._replace(inputs=tuple(new if k == old else k for k in node.inputs))
        if self.output == old:
            self.output = new

    def simplify(self) -> None:
        while self.simplified_once():
            pass

    def simplified_once(self) -> bool:
        """Apply the first rule that applies, anywhere; whether one did."""
        readers = self.readers()
        for key, node in sorted(self.nodes.items()):
            first = self.nodes[node.inputs[0]] if node.inputs else None
            if first is not None and (
                node.kind in NO_OPS or (node.kind in ("crop", "flatten") and node.output == first.output)
            ):
                self.redirect(key, node.inputs[0])
                return True
            alone = len(readers[key]) == 1 and key != self.output
            reader = self.nodes[readers[key][0]] if alone else None
            if (
                node.kind == "zeropad"
                and readers[key]
                and key != self.output
                and all(self.nodes[k].kind in WINDOWED for k in readers[key])
            ):
                self.redirect(key, node.inputs[0])
                return True
            if (
                node.kind == "crop"
                and first is not None
                and first.kind in ("convtranspose", "maxpool", "avgpool")
                and readers[node.inputs[0]] == [key]
                and node.inputs[0] != self.output
            ):
                source = node.inputs[0]
                self.nodes[source] = first._replace(output=node.output, field=node.field)
                self.redirect(key, source)
                return True
            if node.kind in MERGES and reader is not None and reader.kind == node.kind:
                outer = readers[key][0]
                inputs = [k for source in reader.inputs for k in (node.inputs if source == key else (source,))]
                self.nodes[outer] = reader._replace(inputs=tuple(inputs))
                del self.nodes[key]
                return True
            if node.kind == "multiply" and self.gated(key, readers):
                return True
        return self.merged_twins()

    def merged_twins(self) -> bool:
        """Make two operations without parameters that compute the same thing from the same inputs one; whether
        two were found."""
        seen: dict[tuple[object, ...], int] = {}
        for key, node in sorted(self.nodes.items()):
            if node.trainable or node.non_trainable or not node.inputs:
                continue
            inputs = sorted(node.inputs) if node.kind in UNORDERED else list(node.inputs)
            twin = seen.setdefault((node.counts, node.field, tuple(inputs)), key)
            if twin != key:
                self.redirect(key, twin)
                return True
        return False

    def gated(self, key: int, readers: dict[int, list[int]]) -> bool:
        """Make the multiply `key` one squeeze-and-excitation node where it is one; whether it was."""
        node = self.nodes[key]
        if len(node.inputs) != 2:
            return False
        for mapped, gate in (node.inputs, node.inputs[::-1]):
            chain: list[int] = []  # from the gate back to the pool
            at = gate
            while at != mapped and len(chain) < 6:
                if readers[at] != [chain[-1] if chain else key] or len(self.nodes[at].inputs) != 1:
                    break
                chain.append(at)
                at = self.nodes[at].inputs[0]
            kinds = [self.nodes[k].kind for k in chain]
            if at != mapped or len(kinds) not in (4, 5) or kinds[0] not in GATES or kinds[-1] != "avgpool":
                continue
            if self.nodes[chain[-1]].output.spatial != (1,) * node.output.rank:
                continue
            between = kinds[2] if len(kinds) == 5 else "none"
            if kinds[1] != "conv" or kinds[-2] != "conv" or (len(kinds) == 5 and between not in ACTIVATIONS):
                continue
            parts = [self.nodes[k] for k in chain]
            self.nodes[key] = node._replace(
                kind=f"squeeze_excite({between}, {kinds[0]})",
                trainable=sum(part.trainable for part in parts),
                non_trainable=sum(part.non_trainable for part in parts),
                macs=sum(part.macs for part in parts),
                inputs=(mapped,),
            )
            for part in chain:
                del self.nodes[part]
            return True
        return False

    # -- comparing ---------------------------------------------------------------------------------------------------

    def signatures(self, table: dict[tuple[object, ...], int]) -> dict[int, int]:
        """Per node, a number standing for the node and everything it reads, alike in both graphs where `table` is
        shared: equal numbers, equal computations."""
        found: dict[int, int] = {}
        for key in sorted(self.nodes):
            node = self.nodes[key]
            inputs = [found[source] for source in node.inputs]
            if node.kind in UNORDERED:
                inputs.sort()
            found[key] = table.setdefault((node.counts, node.field, tuple(inputs)), len(table))
        return found

    def describe(self, key: int) -> str:
        node = self.nodes[key]
        reads = "; ".join(str(self.nodes[source]) for source in node.inputs)
        return f"{node}\n      reading: {reads or 'nothing'}"


def assert_same_computation(expected: Report, actual: Report) -> None:
    """The two reports compute the same network, number for number (see `Dataflow`), with equal totals."""
    wanted, got = expected.totals, actual.totals
    for name in ("trainable_params", "non_trainable_params", "macs", "output", "receptive_field", "jump"):
        assert getattr(got, name) == getattr(wanted, name), (
            f"totals.{name}: {getattr(got, name)} != {getattr(wanted, name)}"
        )
    ours, theirs = Dataflow(expected), Dataflow(actual)
    wanted_counts = Counter(node.counts for node in ours.nodes.values())
    got_counts = Counter(node.counts for node in theirs.nodes.values())
    missing, extra = wanted_counts - got_counts, got_counts - wanted_counts
    assert not missing and not extra, (
        "the operations differ:\n  missing: " + "\n           ".join(map(str, missing.elements()))
        + "\n  extra:   " + "\n           ".join(map(str, extra.elements()))
    )  # fmt: skip
    table: dict[tuple[object, ...], int] = {}
    mine, yours = ours.signatures(table), theirs.signatures(table)
    if Counter(mine.values()) == Counter(yours.values()) and mine[ours.output] == yours[theirs.output]:
        return
    # the first operation, in order of computation, that the other graph has nowhere with the same inputs
    only_mine, only_yours = set(mine.values()) - set(yours.values()), set(yours.values()) - set(mine.values())
    first = min((key for key, number in mine.items() if number in only_mine), default=ours.output)
    other = min((key for key, number in yours.items() if number in only_yours), default=theirs.output)
    raise AssertionError(
        "the same operations, computed differently:\n"
        f"  expected: {ours.describe(first)}\n  imported: {theirs.describe(other)}"
    )


# -- the comparison itself -------------------------------------------------------------------------------------------


def report_of(text: str) -> Report:
    return analyse(load(text))


GATED = spec(
    [9, 9, 8],
    "conv: {filters: 8, kernel: 3, stride: 2}",
    "squeeze_excite: {squeeze: 3, gate: hardsigmoid}",
    "conv: {filters: 4, kernel: 3}",
)
GATED_FLAT = spec(
    [9, 9, 8],
    "conv: {filters: 8, kernel: 3, stride: 2, name: x}",
    "globalavgpool",
    "conv: {filters: 3, kernel: 1}",
    "relu",
    "conv: {filters: 8, kernel: 1}",
    "hardsigmoid",
    "multiply: {with: [x]}",
    "conv: {filters: 4, kernel: 3}",
)
RESIDUAL = spec(
    [8, 8, 4],
    "conv: {filters: 4, kernel: 3, padding: [0, 1, 0, 1], stride: 2, activation: relu}",
    "residual: {layers: [{conv: {filters: 4, kernel: 3, padding: 1}}, batchnorm], activation: relu}",
    "add: {branches: [[], [relu], [{conv: {filters: 4, kernel: 1}}]]}",
    "dropout",
)
RESIDUAL_FLAT = spec(
    [8, 8, 4],
    "zeropad: {padding: [0, 1, 0, 1]}",
    "conv: {filters: 4, kernel: 3, stride: 2, name: a}",
    "relu: {name: b}",
    "conv: {filters: 4, kernel: 3, padding: 1}",
    "batchnorm",
    "add: {with: [b]}",
    "relu: {name: c}",
    "conv: {filters: 4, kernel: 1, name: d}",
    "relu: {from: c}",
    "add: {with: [d], name: e}",
    "add: {from: c, with: [e]}",
)


@pytest.mark.parametrize(
    ("grouped", "flat"),
    [
        (GATED, GATED_FLAT),
        (RESIDUAL, RESIDUAL_FLAT),
        (
            spec([5, 5, 3], "globalavgpool", "dense: {units: 4}"),
            spec([5, 5, 3], "globalavgpool", "flatten", "dense: {units: 4}"),
        ),
    ],
    ids=["squeeze-excite", "residual", "flatten-of-a-vector"],
)
def test_the_comparison_takes_the_same_computation_grouped_otherwise(grouped: str, flat: str) -> None:
    assert_same_computation(report_of(grouped), report_of(flat))
    assert_same_computation(report_of(flat), report_of(grouped))


@pytest.mark.parametrize(
    "changed",
    [
        RESIDUAL.replace("padding: [0, 1, 0, 1]", "padding: [1, 0, 1, 0]"),  # same numbers but the padding
        RESIDUAL.replace("[[], [relu], [{conv", "[[], [], [relu, {conv"),  # a relu moved to another path
        RESIDUAL.replace(
            "[{conv: {filters: 4, kernel: 3, padding: 1}}, batchnorm]",
            "[batchnorm, {conv: {filters: 4, kernel: 3, padding: 1}}]",
        ),
        GATED.replace("gate: hardsigmoid", "gate: sigmoid"),
    ],
    ids=["padding", "branch", "order", "gate"],
)
def test_the_comparison_tells_a_different_computation(changed: str) -> None:
    original = RESIDUAL if "residual" in changed else GATED
    flat = RESIDUAL_FLAT if original is RESIDUAL else GATED_FLAT
    assert changed != original
    with pytest.raises(AssertionError):
        assert_same_computation(report_of(flat), report_of(changed))


def test_the_comparison_tells_a_concat_in_another_order() -> None:
    first = spec(
        [6, 6, 2],
        "concat: {branches: [[{conv: {filters: 3, kernel: 1}}], [{conv: {filters: 3, kernel: 3, padding: 1}}]]}",
    )
    second = spec(
        [6, 6, 2],
        "concat: {branches: [[{conv: {filters: 3, kernel: 3, padding: 1}}], [{conv: {filters: 3, kernel: 1}}]]}",
    )
    with pytest.raises(AssertionError, match="computed differently"):
        assert_same_computation(report_of(first), report_of(second))


# -- the shipped specs, exported through PyTorch ---------------------------------------------------------------------


class Exports:
    """Each shipped spec exported to ONNX once for all the tests here: its path."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.done: dict[str, Path] = {}

    def __call__(self, name: str) -> Path:
        if name not in self.done:
            self.done[name] = onnx_models.from_spec(SPECS[name], self.directory / name, name)
        return self.done[name]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exports]:
    pytest.importorskip("torch")
    directory = tmp_path_factory.mktemp("onnx-exports")
    yield Exports(directory)
    shutil.rmtree(directory, ignore_errors=True)  # VGG's and FCN's weights: half a gigabyte each


def test_the_specs_are_there() -> None:
    assert len(SPECS) >= 24 and "lenet5" in SPECS


@pytest.mark.parametrize("name", list(SPECS))
def test_every_shipped_spec_exports_to_onnx(name: str, exports: Exports) -> None:
    model = onnx.load(str(exports(name)))
    onnx.checker.check_model(model)
    # every weight and batchnorm statistic is an initializer, nothing else is: the spec's parameters, all of them
    assert onnx_models.weight_count(model) == analyse(load_file(str(SPECS[name]))).totals.params


def test_the_exported_graphs_use_these_ops(exports: Exports) -> None:
    found: Counter[str] = Counter()
    for name in SPECS:
        found.update(onnx_models.op_types(onnx.load(str(exports(name)), load_external_data=False)))
    assert set(found) == EXPORTED_OP_TYPES, sorted(found.items())


def rates(report: Report) -> list[tuple[str, float]]:
    """The dropouts and droppaths that drop anything, with their rates, in order: an exported graph has a node for
    each (a droppath of rate 0 is no node)."""
    return [(row.kind, float(getattr(row.layer, "rate", 0))) for row in walk(report.layers) if row.kind in NO_OPS]


@pytest.mark.parametrize("name", list(SPECS))
def test_a_shipped_spec_comes_back_from_onnx_with_every_number(name: str, exports: Exports) -> None:
    original = analyse(load_file(str(SPECS[name])))
    imported = imported_report(exports(name))
    assert_same_computation(original, imported)
    dropping = [(kind, rate) for kind, rate in rates(original) if rate > 0]
    assert [kind for kind, _ in rates(imported)] == [kind for kind, _ in dropping]
    assert [rate for _, rate in rates(imported)] == pytest.approx([rate for _, rate in dropping], abs=1e-6)


@pytest.mark.parametrize("command", ["summary", "rf", "check", "draw"])
def test_the_commands_read_an_onnx_file(command: str, exports: Exports, tmp_path: Path) -> None:
    path = exports("lenet5")
    args = [command, str(path)] + (["-o", str(tmp_path / "lenet5.svg")] if command == "draw" else [])
    code, stdout, stderr = invoke(*args)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    if command == "summary":
        assert "params: 61,706" in stdout and "receptive field: 32, jump 4" in stdout


def test_summary_of_an_onnx_file_is_the_specs(exports: Exports) -> None:
    import json

    code, onnx_json, stderr = invoke("summary", str(exports("resnet18")), "--format", "json")
    assert code == 0, stderr
    _, spec_json, _ = invoke("summary", str(SPECS["resnet18"]), "--format", "json")
    from_onnx, from_spec = json.loads(onnx_json)["totals"], json.loads(spec_json)["totals"]
    assert from_onnx == from_spec


def test_import_writes_the_spec_to_a_file(exports: Exports, tmp_path: Path) -> None:
    written = tmp_path / "lenet5.yaml"
    code, stdout, stderr = invoke("import", str(exports("lenet5")), "-o", str(written))
    assert code == 0, stderr
    assert stdout == ""
    assert_same_computation(analyse(load_file(str(SPECS["lenet5"]))), analyse(load_file(str(written))))


# -- generated networks ----------------------------------------------------------------------------------------------


@st.composite
def networks(draw: st.DrawFn) -> str:
    """A spec: a stack of convs, pools, batchnorms, relus, residual and concat blocks at rank 1, 2 or 3."""
    rank = draw(st.sampled_from([1, 2, 2, 3]))
    size = draw(st.integers(6, 8 if rank == 3 else 16))
    channels = draw(st.integers(1, 4))
    given = [size] * rank + [channels]
    layers: list[str] = []

    def convolved(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
        if padding == "same":
            return -(-size // stride)
        before, after = (int(p) for p in padding.strip("[]").split(",")[:2]) if "[" in padding else (int(padding),) * 2
        return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1

    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["conv", "conv", "pool", "batchnorm", "relu", "residual", "concat"]))
        if kind == "conv":
            kernel, stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
            sides = draw(st.tuples(st.integers(0, 2), st.integers(0, 2)))
            padding = draw(st.sampled_from(["same", "0", str(sides[0]), f"{list(sides * rank)}".replace(" ", "")]))
            filters = draw(st.integers(1, 6))
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0 and filters % g == 0]))
            out = convolved(size, kernel, stride, dilation, padding)
            if out < 1:
                continue
            options = (
                f"filters: {filters}, kernel: {kernel}, stride: {stride}, dilation: {dilation}, padding: {padding}"
            )
            options += f", groups: {groups}, bias: {draw(st.booleans())}".lower()
            if draw(st.booleans()):
                options += ", activation: relu"
            layers.append(f"conv: {{{options}}}")
            size, channels = out, filters
        elif kind == "pool":
            window = draw(st.integers(2, 3))
            stride = draw(st.integers(1, window))
            pad = draw(st.integers(0, window // 2))
            ceil = draw(st.booleans())
            if size + 2 * pad < window:
                continue
            out = (size + 2 * pad - window + (stride - 1 if ceil else 0)) // stride + 1
            if ceil and (out - 1) * stride >= size + pad:
                out -= 1
            pool = draw(st.sampled_from(["maxpool", "avgpool"]))
            layers.append(f"{pool}: {{size: {window}, stride: {stride}, padding: {pad}, ceil: {str(ceil).lower()}}}")
            size = out
        elif kind == "relu":
            layers.append(kind)
        elif kind == "batchnorm":
            if size > 1:  # a batchnorm that trains needs more than one value per channel
                layers.append(kind)
        elif kind == "residual":
            stride = draw(st.integers(1, 2))
            if -(-size // stride) == 1:
                continue
            filters = draw(st.integers(1, 6))
            body = [
                f"{{conv: {{filters: {filters}, kernel: 3, stride: {stride}, padding: 1, bias: false}}}}",
                "batchnorm",
                "relu",
            ]
            body += [f"{{conv: {{filters: {filters}, kernel: 3, padding: 1}}}}"]
            shortcut = "[]"
            if stride > 1 or filters != channels or draw(st.booleans()):
                shortcut = f"[{{conv: {{filters: {filters}, kernel: 1, stride: {stride}}}}}]"
            activation = draw(st.sampled_from(["relu", "none"]))
            layers.append(f"residual: {{layers: [{', '.join(body)}], shortcut: {shortcut}, activation: {activation}}}")
            size, channels = -(-size // stride), filters
        else:
            branches, total = [], 0
            for _ in range(draw(st.integers(2, 3))):
                branch = draw(st.sampled_from(["identity", "1x1", "3x3", "pool"]))
                filters = draw(st.integers(1, 4))
                if branch == "identity":
                    branches.append("[]")
                    total += channels
                elif branch == "1x1":
                    branches.append(f"[{{conv: {{filters: {filters}, kernel: 1}}}}]")
                    total += filters
                elif branch == "3x3":
                    branches.append(f"[{{conv: {{filters: {filters}, kernel: 3, padding: 1}}}}, relu]")
                    total += filters
                else:
                    branches.append("[{maxpool: {size: 3, stride: 1, padding: 1}}]")
                    total += channels
            layers.append(f"concat: {{branches: [{', '.join(branches)}]}}")
            channels = total
    assume(layers)
    return spec(given, *layers)


@given(networks())
@settings(max_examples=30 * settings().max_examples // 100)  # 30 in the default profile
def test_a_generated_network_comes_back_from_onnx(text: str) -> None:
    pytest.importorskip("torch")
    try:
        original = analyse(load(text))
    except SpecError:
        assume(False)
        raise
    with tempfile.TemporaryDirectory(prefix="cnncalc-onnx-") as folder:
        path = onnx_models.from_spec(text, Path(folder))
        imported = imported_report(path)
    assert imported.totals.receptive_field == original.totals.receptive_field
    assert_same_computation(original, imported)


# -- one small graph per operator ------------------------------------------------------------------------------------


class Case(NamedTuple):
    """A graph, and a spec written by hand that computes what it does."""

    model: Callable[[], onnx.ModelProto]
    expected: str
    input_volume: Volume | None = None
    runs: bool = True  # whether ONNX's reference evaluator runs it (not a grouped ConvTranspose): else its inference


M = onnx_models
CONV_3x3 = "conv: {filters: 4, kernel: 3}"
CONV_3x3_NO_BIAS = "conv: {filters: 4, kernel: 3, bias: false}"
RESIZED_CONV = "conv: {filters: 2, kernel: 3, bias: false}"
ACTIVATIONS_BY_OP = [
    ("Relu", "relu", 17, {}),
    ("LeakyRelu", "leakyrelu", 17, {"alpha": 0.1}),
    ("Sigmoid", "sigmoid", 17, {}),
    ("Tanh", "tanh", 17, {}),
    ("Softmax", "softmax", 17, {"axis": 1}),
    ("HardSigmoid", "hardsigmoid", 17, {"alpha": 1 / 6, "beta": 0.5}),
    ("HardSwish", "hardswish", 17, {}),
    ("Elu", "elu", 17, {}),
    ("Gelu", "gelu", 20, {}),
    ("Mish", "mish", 18, {}),
]
CASES: dict[str, Case] = {
    "conv pads": Case(
        lambda: M.conv([1, 3, 9, 10], 4, [3, 3], strides=[2, 2], pads=[1, 2, 0, 1]),
        spec([9, 10, 3], "conv: {filters: 4, kernel: 3, stride: 2, padding: [1, 0, 2, 1]}"),
    ),
    "conv dilations groups": Case(
        lambda: M.conv([1, 4, 10, 9], 6, [3, 2], group=2, bias=False, dilations=[2, 1], strides=[1, 2]),
        spec(
            [10, 9, 4], "conv: {filters: 6, kernel: [3, 2], stride: [1, 2], dilation: [2, 1], groups: 2, bias: false}"
        ),
    ),
    "conv depthwise": Case(
        lambda: M.conv([1, 4, 7, 7], 4, [3, 3], group=4, pads=[1, 1, 1, 1]),
        spec([7, 7, 4], "conv: {filters: 4, kernel: 3, padding: 1, groups: 4}"),
    ),
    "conv SAME_UPPER": Case(
        lambda: M.conv([1, 3, 9, 10], 4, [4, 4], strides=[2, 2], auto_pad="SAME_UPPER"),
        spec([9, 10, 3], "conv: {filters: 4, kernel: 4, stride: 2, padding: same}"),
    ),
    "conv SAME_LOWER": Case(
        lambda: M.conv([1, 3, 9, 10], 4, [4, 4], strides=[2, 2], auto_pad="SAME_LOWER"),
        spec([9, 10, 3], "conv: {filters: 4, kernel: 4, stride: 2, padding: [2, 1, 1, 1]}"),
    ),
    "conv VALID": Case(
        lambda: M.conv([1, 3, 9, 10], 4, [3, 3], strides=[2, 2], auto_pad="VALID"),
        spec([9, 10, 3], "conv: {filters: 4, kernel: 3, stride: 2}"),
    ),
    "conv 1-D causal": Case(
        lambda: M.conv([1, 2, 20], 3, [3], dilations=[4], pads=[8, 0]),
        spec([20, 2], "conv: {filters: 3, kernel: 3, dilation: 4, padding: [8, 0]}"),
    ),
    "conv 3-D": Case(
        lambda: M.conv([1, 2, 5, 6, 7], 4, [3, 3, 3], strides=[1, 2, 2], pads=[1, 1, 1, 1, 1, 1]),
        spec([5, 6, 7, 2], "conv: {filters: 4, kernel: 3, stride: [1, 2, 2], padding: 1}"),
    ),
    "conv 3-D sides": Case(
        lambda: M.conv([1, 2, 5, 6, 7], 3, [2, 3, 3], pads=[0, 1, 2, 1, 0, 0]),
        spec([5, 6, 7, 2], "conv: {filters: 3, kernel: [2, 3, 3], padding: [0, 1, 1, 0, 2, 0]}"),
    ),
    "convtranspose": Case(
        lambda: M.conv_transpose([1, 3, 5, 5], 4, [3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
        spec([5, 5, 3], "convtranspose: {filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1}"),
    ),
    "convtranspose sides dilations": Case(
        lambda: M.conv_transpose([1, 4, 5, 6], 6, [3, 3], strides=[2, 1], pads=[1, 0, 2, 1], dilations=[1, 2]),
        spec(
            [5, 6, 4], "convtranspose: {filters: 6, kernel: 3, stride: [2, 1], padding: [1, 2, 0, 1], dilation: [1, 2]}"
        ),
    ),
    "convtranspose groups": Case(
        lambda: M.conv_transpose([1, 4, 5, 6], 6, [3, 3], group=2, strides=[2, 2], pads=[0, 1, 1, 0]),
        spec([5, 6, 4], "convtranspose: {filters: 6, kernel: 3, stride: 2, padding: [0, 1, 1, 0], groups: 2}"),
        runs=False,
    ),
    "convtranspose 1-D": Case(
        lambda: M.conv_transpose([1, 2, 7], 3, [4], bias=False, strides=[3], output_padding=[2]),
        spec([7, 2], "convtranspose: {filters: 3, kernel: 4, stride: 3, output_padding: 2, bias: false}"),
    ),
    "maxpool pads": Case(
        lambda: M.single("MaxPool", [1, 3, 9, 9], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        spec([9, 9, 3], "maxpool: {size: 3, stride: 2, padding: 1}"),
    ),
    "maxpool ceil": Case(
        lambda: M.single("MaxPool", [1, 3, 8, 8], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        spec([8, 8, 3], "maxpool: {size: 3, stride: 2, ceil: true}"),
    ),
    # ONNX's shape inference (opsets before 22) keeps a last window that starts in the padding; running, ONNX
    # drops it, as PyTorch and cnncalc do: 3 x 4, not 4 x 5
    "avgpool ceil pads": Case(
        lambda: M.single(
            "AveragePool",
            [1, 3, 5, 7],
            kernel_shape=[2, 2],
            strides=[2, 2],
            pads=[1, 1, 1, 1],
            ceil_mode=1,
            count_include_pad=1,
        ),
        spec([5, 7, 3], "avgpool: {size: 2, stride: 2, padding: 1, ceil: true}"),
    ),
    "avgpool 1-D": Case(
        lambda: M.single("AveragePool", [1, 2, 11], kernel_shape=[3], strides=[2]),
        spec([11, 2], "avgpool: {size: 3, stride: 2}"),
    ),
    "maxpool 3-D": Case(
        lambda: M.single("MaxPool", [1, 2, 4, 6, 6], kernel_shape=[1, 2, 2], strides=[1, 2, 2]),
        spec([4, 6, 6, 2], "maxpool: {size: [1, 2, 2]}"),
    ),
    "globalavgpool": Case(lambda: M.single("GlobalAveragePool", [1, 3, 7, 6]), spec([7, 6, 3], "globalavgpool")),
    "globalmaxpool": Case(lambda: M.single("GlobalMaxPool", [1, 3, 7, 6]), spec([7, 6, 3], "globalmaxpool")),
    "reducemean opset 17": Case(lambda: M.reduce_mean([1, 3, 7, 6], 17), spec([7, 6, 3], "globalavgpool")),
    "reducemean opset 18": Case(lambda: M.reduce_mean([1, 3, 7, 6], 18), spec([7, 6, 3], "globalavgpool")),
    "gemm transB": Case(lambda: M.dense([1, 3, 4, 4], 5, True), spec([4, 4, 3], "flatten", "dense: {units: 5}")),
    "gemm": Case(lambda: M.dense([1, 3, 4, 4], 5, False), spec([4, 4, 3], "flatten", "dense: {units: 5}")),
    "matmul add": Case(lambda: M.matmul_add([1, 3, 4, 4], 5), spec([4, 4, 3], "flatten", "dense: {units: 5}")),
    "batchnorm": Case(
        lambda: M.batchnorm([1, 3, 6, 6]),
        spec([6, 6, 3], "conv: {filters: 4, kernel: 3, padding: 1, bias: false}", "batchnorm"),
    ),
    **{
        op_type: Case(
            lambda op_type=op_type, opset=opset, attributes=attributes: M.activation(  # type: ignore[misc]
                op_type, [1, 3, 6, 6], opset, **attributes
            ),
            spec([6, 6, 3], CONV_3x3, kind),
        )
        for op_type, kind, opset, attributes in ACTIVATIONS_BY_OP
    },
    "clip 0 6": Case(lambda: M.clip([1, 3, 6, 6], 0.0, 6.0), spec([6, 6, 3], CONV_3x3_NO_BIAS, "relu6")),
    "prelu per channel": Case(lambda: M.prelu([1, 3, 6, 6], True), spec([6, 6, 3], "prelu: {per_channel: true}")),
    "prelu": Case(lambda: M.prelu([1, 3, 6, 6], False), spec([6, 6, 3], "prelu")),
    "dropout training": Case(
        lambda: M.dropout([1, 3, 6, 6], 0.3, True), spec([6, 6, 3], CONV_3x3_NO_BIAS, "dropout: {rate: 0.3}", "relu")
    ),
    "dropout inference": Case(
        lambda: M.dropout([1, 3, 6, 6], 0.3, False), spec([6, 6, 3], CONV_3x3_NO_BIAS, "dropout: {rate: 0.3}", "relu")
    ),
    "identity": Case(
        lambda: M.identity([1, 3, 8, 8]),
        spec([8, 8, 3], CONV_3x3_NO_BIAS, "conv: {filters: 2, kernel: 3, bias: false}"),
    ),
    "add": Case(
        lambda: M.residual([1, 3, 6, 6]),
        spec(
            [6, 6, 3],
            "residual: {layers: [{conv: {filters: 3, kernel: 3, padding: 1, bias: false}}], activation: relu}",
        ),
    ),
    "concat": Case(
        lambda: M.concat([1, 3, 6, 6]),
        spec(
            [6, 6, 3],
            "concat: {branches: [[{conv: {filters: 3, kernel: 1, bias: false}}], "
            "[{conv: {filters: 5, kernel: 3, padding: 1, bias: false}}]]}",
        ),
    ),
    "split concat": Case(
        lambda: M.split_concat([1, 6, 5, 5], [2, 4]),
        spec([5, 5, 6], "concat: {split: [2, 4], branches: [[], [{conv: {filters: 4, kernel: 1, bias: false}}]]}"),
    ),
    "split concat opset 18 three parts": Case(
        lambda: M.split_concat([1, 6, 5, 5], [2, 2, 2], opset=18),
        spec(
            [5, 5, 6],
            "concat: {split: [2, 2, 2], branches: [[], [{conv: {filters: 2, kernel: 1, bias: false}}], "
            "[{conv: {filters: 2, kernel: 1, bias: false}}]]}",
        ),
    ),
    "channel shuffle": Case(
        lambda: M.channel_shuffle([1, 6, 5, 4], 3),
        spec([5, 4, 6], "conv: {filters: 6, kernel: 1, bias: false}", "channelshuffle: {groups: 3}"),
    ),
    "channel shuffle 1-D": Case(
        lambda: M.channel_shuffle([1, 8, 7], 2),
        spec([7, 8], "conv: {filters: 8, kernel: 1, bias: false}", "channelshuffle: {groups: 2}"),
    ),
    "mul gate": Case(
        lambda: M.gate([1, 3, 8, 8]),
        spec(
            [8, 8, 3],
            "conv: {filters: 6, kernel: 3, bias: false}",
            "multiply: {branches: [[], [globalavgpool, {conv: {filters: 2, kernel: 1}}, relu, "
            "{conv: {filters: 6, kernel: 1}}, sigmoid]]}",
        ),
    ),
    "pad opset 17": Case(
        lambda: M.pad([1, 3, 6, 6], [0, 0, 1, 2, 0, 0, 3, 4]), spec([6, 6, 3], "zeropad: {padding: [1, 3, 2, 4]}")
    ),
    "pad opset 18 axes": Case(
        lambda: M.pad([1, 3, 6, 6], [1, 2, 3, 4], opset=18, axes=[2, 3]),
        spec([6, 6, 3], "zeropad: {padding: [1, 3, 2, 4]}"),
    ),
    "pad 1-D": Case(lambda: M.pad([1, 2, 9], [0, 0, 2, 0, 0, 1]), spec([9, 2], "zeropad: {padding: [2, 1]}")),
    "resize nearest scales": Case(
        lambda: M.resize(
            [1, 3, 5, 6],
            "nearest",
            scales=[1, 1, 2, 3],
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        ),
        spec([5, 6, 3], "upsample: {scale: [2, 3]}", RESIZED_CONV),
    ),
    "resize nearest sizes": Case(
        lambda: M.resize(
            [1, 3, 5, 6],
            "nearest",
            sizes=[1, 3, 7, 9],
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        ),
        spec([5, 6, 3], "upsample: {size: [7, 9]}", RESIZED_CONV),
    ),
    "resize linear sizes align corners": Case(
        lambda: M.resize([1, 3, 5, 6], "linear", sizes=[1, 3, 11, 9], coordinate_transformation_mode="align_corners"),
        spec([5, 6, 3], "upsample: {size: [11, 9], mode: bilinear, align_corners: true}", RESIZED_CONV),
    ),
    "resize linear scales": Case(
        lambda: M.resize(
            [1, 3, 5, 6], "linear", scales=[1, 1, 2, 2], coordinate_transformation_mode="pytorch_half_pixel"
        ),
        spec([5, 6, 3], "upsample: {scale: 2, mode: bilinear}", RESIZED_CONV),
    ),
    "resize opset 18 axes": Case(
        lambda: M.resize(
            [1, 3, 5, 6],
            "nearest",
            scales=[2, 2],
            opset=18,
            axes=[2, 3],
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        ),
        spec([5, 6, 3], "upsample: {scale: 2}", RESIZED_CONV),
    ),
    "layernorm": Case(
        lambda: M.layernorm([1, 3, 6, 6]),
        spec(
            [6, 6, 3],
            "conv: {filters: 5, kernel: 3, bias: false}",
            "layernorm",
            "conv: {filters: 2, kernel: 1, bias: false}",
        ),
    ),
    "dynamic size with an input": Case(
        M.dynamic,
        spec([16, 16, 3], "conv: {filters: 8, kernel: 3, stride: 2, bias: false}", "maxpool: {size: 2}"),
        Volume(16, 16, 3),
    ),
}


def run_shape(model: onnx.ModelProto, input_volume: Volume | None) -> tuple[int, ...]:
    """The output's shape when ONNX's reference evaluator runs the model on random values."""
    from onnx.reference import ReferenceEvaluator

    if input_volume is None:
        shape = [dim.dim_value for dim in model.graph.input[0].type.tensor_type.shape.dim]
    else:
        shape = [1, input_volume.c, *input_volume.spatial]
    values = numpy.random.default_rng(0).standard_normal(shape).astype(numpy.float32)
    with numpy.errstate(all="ignore"):
        outputs = ReferenceEvaluator(model).run(None, {"input": values})
    first = outputs[0] if isinstance(outputs, list) else next(iter(outputs.values()))
    return tuple(numpy.asarray(first).shape)


def as_volume(shape: Sequence[int], rank: int) -> Volume:
    """An ONNX tensor's shape, (1, C, *spatial) or (1, n), as cnncalc's channels-last volume."""
    if len(shape) == 2:
        return Volume(*([1] * rank), shape[1])
    return Volume(*shape[2:], shape[1])


@pytest.mark.parametrize("name", list(CASES))
def test_the_expected_spec_is_what_onnx_runs(name: str) -> None:
    """The hand-written specs are right: the output ONNX's own evaluator gives, and the model's weights."""
    case = CASES[name]
    model = case.model()
    onnx.checker.check_model(model, full_check=True)
    expected = report_of(case.expected)
    if case.runs:
        shape = run_shape(model, case.input_volume)
    else:
        shape = tuple(dim.dim_value for dim in model.graph.output[0].type.tensor_type.shape.dim)
    assert as_volume(shape, expected.input.rank) == expected.totals.output
    assert onnx_models.weight_count(model) == expected.totals.params


@pytest.mark.parametrize("name", list(CASES))
def test_an_op_imports_as_the_spec_that_computes_it(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    path = onnx_models.save(case.model(), tmp_path / "model.onnx")
    assert_same_computation(report_of(case.expected), imported_report(path, case.input_volume))


@pytest.mark.parametrize("training", [True, False])
def test_a_dropout_is_a_layer(training: bool, tmp_path: Path) -> None:
    path = onnx_models.save(onnx_models.dropout([1, 3, 6, 6], 0.3, training), tmp_path / "model.onnx")
    kinds = [row.kind for row in imported_report(path).layers]
    assert kinds == ["conv", "dropout", "relu"]


def test_an_opset_18_model_and_its_opset_17_twin_import_alike(tmp_path: Path) -> None:
    older = onnx_models.save(onnx_models.pad([1, 3, 6, 6], [0, 0, 1, 2, 0, 0, 3, 4]), tmp_path / "17.onnx")
    newer = onnx_models.save(onnx_models.pad([1, 3, 6, 6], [1, 2, 3, 4], opset=18, axes=[2, 3]), tmp_path / "18.onnx")
    assert_same_computation(imported_report(older), imported_report(newer))


# -- refusals --------------------------------------------------------------------------------------------------------


def refusal(path: Path, input_volume: Volume | None = None, skip_unknown: bool = False) -> str:
    """Every message of the import's SpecError, a line each."""
    with pytest.raises(SpecError) as refused:
        import_onnx(path, input_volume, skip_unknown)
    diagnostics = refused.value.diagnostics
    assert diagnostics and all(diagnostic.severity == "error" for diagnostic in diagnostics)
    return "\n".join(diagnostic.subject for diagnostic in diagnostics)


def says_it_has_no_layer(message: str) -> bool:
    return any(word in message.lower() for word in ("no layer", "not supported", "unsupported", "cannot"))


def test_an_op_with_no_layer_is_refused_by_name_and_op_type(tmp_path: Path) -> None:
    message = refusal(onnx_models.save(onnx_models.lstm(), tmp_path / "lstm.onnx"))
    line = next(line for line in message.splitlines() if "lstm" in line)
    assert "LSTM" in line and says_it_has_no_layer(line), message


def test_every_op_with_no_layer_is_named_at_once_and_no_other(tmp_path: Path) -> None:
    message = refusal(onnx_models.save(onnx_models.two_unknown(), tmp_path / "two.onnx"))
    named = {name for name in ("conv_in", "topk_op", "relu_mid", "cumsum_op", "pool_out") if name in message}
    assert named == {"topk_op", "cumsum_op"}, message
    assert "TopK" in message and "CumSum" in message


def test_skip_unknown_keeps_no_op_that_changes_the_shape(tmp_path: Path) -> None:
    message = refusal(onnx_models.save(onnx_models.two_unknown(), tmp_path / "two.onnx"), skip_unknown=True)
    assert "topk_op" in message and "TopK" in message, message
    assert "cumsum_op" not in message, message


@pytest.mark.parametrize("op_type", ["Sin", "Erf"])
def test_skip_unknown_keeps_an_op_that_keeps_the_shape_with_a_warning(op_type: str, tmp_path: Path) -> None:
    path = onnx_models.save(onnx_models.unknown_between_convs(op_type), tmp_path / "odd.onnx")
    message = refusal(path)
    assert "odd" in message and op_type in message, message
    expected = spec([8, 8, 3], CONV_3x3_NO_BIAS, "conv: {filters: 2, kernel: 3, bias: false}")
    assert_same_computation(report_of(expected), imported_report(path, skip_unknown=True))
    code, stdout, stderr = invoke("import", str(path), "--skip-unknown")
    assert code == 0, stderr
    warnings = [line for line in stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "odd" in warnings[0] and op_type in warnings[0], stderr
    assert_same_computation(report_of(expected), report_of(stdout))


def test_a_size_known_only_when_running_needs_the_input_size(tmp_path: Path) -> None:
    message = refusal(onnx_models.save(onnx_models.dynamic(), tmp_path / "dynamic.onnx"))
    assert "--input" in message, message


def test_the_input_size_can_be_given_on_the_command_line(tmp_path: Path) -> None:
    path = onnx_models.save(onnx_models.dynamic(), tmp_path / "dynamic.onnx")
    code, stdout, stderr = invoke("import", str(path), "--input", "16x16x3")
    assert code == 0, stderr
    assert_same_computation(report_of(CASES["dynamic size with an input"].expected), report_of(stdout))


def test_two_graph_outputs_are_refused_naming_both(tmp_path: Path) -> None:
    message = refusal(onnx_models.save(onnx_models.two_outputs(), tmp_path / "two.onnx"))
    assert "conv_out" in message and "relu_out" in message, message


def test_a_concat_on_a_spatial_axis_is_refused(tmp_path: Path) -> None:
    message = refusal(onnx_models.save(onnx_models.concat([1, 3, 6, 6], axis=2), tmp_path / "concat.onnx"))
    line = next(line for line in message.splitlines() if "joined" in line)
    assert "Concat" in line and "axis" in line, message


def test_a_split_whose_parts_meet_out_of_order_is_refused(tmp_path: Path) -> None:
    model = onnx_models.split_concat([1, 6, 5, 5], [2, 4], swapped=True)
    message = refusal(onnx_models.save(model, tmp_path / "split.onnx"))
    assert "'split' (Split)" in message and "in order" in message, message


def test_a_split_of_a_spatial_axis_is_refused(tmp_path: Path) -> None:
    graph = onnx_models.Graph([1, 3, 6, 6])
    graph.node("Split", graph.constant([2, 4]), name="split", outputs=2, axis=2)
    graph.node("Concat", reads=["split_out", "split_out1"], name="joined", axis=2)
    message = refusal(onnx_models.save(graph.model(), tmp_path / "split.onnx"))
    line = next(line for line in message.splitlines() if "'split'" in line)
    assert "(Split)" in line and "axis 1" in line, message


def test_a_reshape_and_transpose_that_are_no_shuffle_are_refused(tmp_path: Path) -> None:
    # the groups' axes kept in place, a spatial axis swapped instead: no channel shuffle
    model = onnx_models.channel_shuffle([1, 6, 5, 4], 3, perm=[0, 1, 2, 4, 3])
    message = refusal(onnx_models.save(model, tmp_path / "reshape.onnx"))
    line = next(line for line in message.splitlines() if "'grouped'" in line)
    assert "(Reshape)" in line and "channel shuffle" in line, message


# -- files that are no model, through the command line ---------------------------------------------------------------


def truncated(directory: Path) -> Path:
    whole = onnx_models.conv([1, 3, 8, 8], 4, [3, 3]).SerializeToString()
    path = directory / "cut.onnx"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def text_file(directory: Path) -> Path:
    path = directory / "notes.onnx"
    path.write_text("input: [32, 32, 3]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n")
    return path


def empty(directory: Path) -> Path:
    path = directory / "empty.onnx"
    path.write_bytes(b"")
    return path


def missing(directory: Path) -> Path:
    return directory / "absent.onnx"


def without_its_data(directory: Path) -> Path:
    path = onnx_models.external_data(directory)
    (directory / "weights.bin").unlink()
    return path


BAD_FILES = {
    "truncated": truncated,
    "text": text_file,
    "empty": empty,
    "missing": missing,
    "external data missing": without_its_data,
}


@pytest.mark.parametrize("command", ["import", "summary"])
@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_a_bad_file_is_one_clear_error(bad: str, command: str, tmp_path: Path) -> None:
    path = BAD_FILES[bad](tmp_path)
    code, stdout, stderr = invoke(command, str(path))
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert code == 2, stderr
    assert stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and path.name in lines[0], stderr


def test_an_external_data_model_with_its_data_imports(tmp_path: Path) -> None:
    path = onnx_models.external_data(tmp_path)
    expected = spec([8, 8, 3], "conv: {filters: 4, kernel: 3}")
    assert_same_computation(report_of(expected), imported_report(path))


NO_ONNX = """\
import sys
from cnncalc.cli import main
code = main(sys.argv[1:])
print(f"exit {code} onnx {'onnx' in sys.modules} importer {'cnncalc.onnx_import' in sys.modules}", file=sys.stderr)
"""


def run_cnncalc(*args: str) -> str:
    """The last line a cnncalc command run in a new Python prints to standard error: its exit code, and whether onnx
    and the importer were imported."""
    done = subprocess.run(
        [sys.executable, "-c", NO_ONNX, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    return done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "args",
    [
        ["summary", "specs/lenet5.yaml"],
        ["rf", "specs/lenet5.yaml"],
        ["check", "specs/lenet5.yaml"],
        ["export", "specs/lenet5.yaml"],
        ["draw", "specs/lenet5.yaml"],
        ["convert", "specs/lenet5.yaml", "--to", "conv"],
        ["conv", "32x32x3", "-k", "8", "-f", "3"],
    ],
    ids=lambda args: args[0],
)
def test_a_command_that_reads_no_onnx_imports_no_onnx(args: list[str]) -> None:
    assert run_cnncalc(*args) == "exit 0 onnx False importer False"


def test_a_command_that_reads_onnx_imports_it(tmp_path: Path) -> None:
    path = onnx_models.save(onnx_models.conv([1, 3, 8, 8], 4, [3, 3]), tmp_path / "conv.onnx")
    assert run_cnncalc("summary", str(path)) == "exit 0 onnx True importer True"


FACTORY = """
import torch


def small():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 10),
    )


def not_a_model():
    return 42
"""


def test_a_factory_is_built_exported_and_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    (tmp_path / "my_models.py").write_text(FACTORY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke("import", "my_models:small", "--input", "32x32x3")
    assert code == 0, err
    report = analyse(load(out))
    # 8 (3*3*3 + 1) + 2*8 + 2*8 statistics + 10 (8 + 1): the module's parameters and batchnorm buffers
    assert (report.totals.trainable_params, report.totals.non_trainable_params) == (224 + 16 + 90, 16)
    # the global pool reads all 16 x 16 outputs, 2 apart: r = 3 + (16 - 1) * 2 = 33, the padding's row included
    assert report.totals.output == (1, 1, 10) and report.totals.receptive_field == (33, 33)
    assert "my_models:small" in out.splitlines()[0]
    assert {path.name for path in tmp_path.iterdir()} <= {"my_models.py", "__pycache__"}  # nothing written here


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import", "my_models:small"], "give its input's size with --input"),
        (["import", "my_models:not_a_model", "--input", "8x8x3"], "returned a int, not a torch.nn.Module"),
        (["import", "my_models:missing", "--input", "8x8x3"], "AttributeError"),
    ],
)
def test_a_factory_that_cannot_be_built_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    pytest.importorskip("torch")
    (tmp_path / "my_models.py").write_text(FACTORY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke(*argv)
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err
