"""The report: a row per layer (what it outputs, learns and sees), the totals, and the memory they take."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .config import phrase
from .diagnostics import Diagnostic
from .fields import Field, Fields, Jumps, Span, Window, first_span
from .kinds import KINDS, repetitions
from .record import Record
from .spec import Conv, Layer, PerAxis, Sides, Volume

# the version of every JSON document cnncalc writes (`summary`, `rf`, the queries, `apply`)
# 2: a jump may be a fraction, written "1/2"; 3: every command's JSON is one kind of document, named in `document`
SCHEMA_VERSION = 3
DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


class LayerResult(Record):
    """One row of the summary: what a layer or a block outputs, what it learns, what it sees."""

    number: int  # 1-based position among its siblings
    path: str  # "3"; "3.2" inside block 3, "3.s1" in its shortcut, "3.b2.1" in its second branch
    depth: int  # 0 for the spec's own layers, 1 inside a block, ...
    layer: Layer
    output: Volume
    trainable_params: int = 0
    non_trainable_params: int = 0
    macs: int = 0
    receptive_field: PerAxis = (1, 1)
    jump: Jumps = (1, 1)  # a fraction of a pixel after up-sampling
    effective_padding: PerAxis = (0, 0)
    padding: Sides | None = None  # the zero padding applied, for windowed layers
    # the field is at least as large as the input: the outputs near the centre see all of it
    covers_input: tuple[bool, ...] = (False, False)
    # a block's own rows: its layers (every repetition's, for a repeat), a residual's shortcut, a concat's
    # branches; none where `analyse(depth=...)` folded them into the block
    layers: tuple[LayerResult, ...] = ()
    shortcut: tuple[LayerResult, ...] = ()
    branches: tuple[tuple[LayerResult, ...], ...] = ()
    folded: bool = False
    # what the layer starts from, for explaining its numbers: its input volume and the field of that input
    input: Volume = Volume(1, 1, 1)
    field_in: Fields = (Field(), Field())
    fields: Fields = (Field(), Field())  # the field of its output, window by window
    # where statistics of a whole map (a group norm's, a gate's) reach its outputs, its field with them set aside
    # (None where they reach none), and per axis the input pixels they bring to every output, first and last
    local: Fields | None = None
    whole: tuple[Window | None, ...] = (None, None)

    @property
    def kind(self) -> str:
        return self.layer.kind

    @property
    def name(self) -> str | None:
        return self.layer.name

    @property
    def config(self) -> str:
        """Its resolved hyper-parameters in one short phrase: `64 3x3 /2 same(0,1,0,1)`, `x2`."""
        return phrase(self.layer, self.padding)

    @property
    def times(self) -> int:
        """How many times in a row it applies its rows: a repeat's `times`, 1 for any other layer."""
        return repetitions(self.layer)

    @property
    def is_block(self) -> bool:
        """Whether it holds rows of its own (a repeat, a residual, a concat), folded or not."""
        return bool(KINDS[self.kind].lists)

    @property
    def local_receptive_field(self) -> PerAxis:
        """The receptive field with the statistics of whole maps held constant (a gate, a group norm's mean)."""
        return tuple(field.r for field in self.local or self.fields)

    @property
    def local_effective_padding(self) -> PerAxis:
        return tuple(field.p for field in self.local or self.fields)

    @property
    def uneven(self) -> bool:
        """Whether its outputs see windows of different sizes (after up-sampling): RF is then the widest."""
        return not all(field.alike for field in self.fields)

    @property
    def params(self) -> int:
        """Keras's "Total params": trainable plus batchnorm's moving statistics."""
        return self.trainable_params + self.non_trainable_params

    @property
    def flops(self) -> int:
        """FLOPs as 2 x MACs (one multiply and one add each)."""
        return 2 * self.macs


def jumps(pair: Jumps) -> list[int | str]:
    """A pair of jumps as JSON: integers, and a fraction as the text `1/2`."""
    return [jump if isinstance(jump, int) else str(jump) for jump in pair]


def first_field(result: LayerResult, size: Volume) -> tuple[Span, ...]:
    """Per axis, where the first output of `result` sees the input of `size`: its span, and how much is padding."""
    return tuple(first_span(field, length) for field, length in zip(result.fields, size, strict=False))


class DenseView(Record):
    """A conv as the dense layer it replaces (the lecture's conv <-> fully-connected view)."""

    dense_params: int  # a dense layer joining the same volumes: (h w c)(h' w' K) weights + h' w' K biases
    connections: int  # the inputs the conv's outputs really read: h' w' K f f c / groups
    inputs_per_output: int  # f f c / groups


def dense_view(result: LayerResult) -> DenseView | None:
    """The numbers that show a conv's sparsity and sharing; None for any other layer."""
    layer = result.layer
    if not isinstance(layer, Conv):
        return None
    per_output = result.input.c // layer.groups
    for size in layer.kernel:
        per_output *= size
    outputs = result.output.elements
    return DenseView(result.input.elements * outputs + outputs, outputs * per_output, per_output)


def walk(results: Iterable[LayerResult]) -> Iterator[LayerResult]:
    """Every row kept, a block before its own: layers, then shortcut, then branches in order."""
    for result in results:
        yield result
        yield from walk(result.layers)
        yield from walk(result.shortcut)
        for branch in result.branches:
            yield from walk(branch)


class Totals(Record):
    trainable_params: int
    non_trainable_params: int
    macs: int
    output: Volume
    receptive_field: PerAxis
    jump: Jumps
    activation_elements: int  # input plus every layer's output, one sample

    @property
    def params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    @property
    def flops(self) -> int:
        """FLOPs as 2 x MACs (one multiply and one add each)."""
        return 2 * self.macs


class Report(Record):
    name: str | None
    input: Volume
    layers: tuple[LayerResult, ...]
    totals: Totals
    warnings: tuple[Diagnostic, ...]
    kept_depth: int | None = None  # rows of blocks nested deeper than this are folded into their block's row


class Memory(Record):
    param_bytes: int
    activation_bytes: int


def memory(report: Report, batch: int = 1, dtype: str = "float32") -> Memory:
    """Bytes for the parameters, and for every activation (input and all outputs) of a batch."""
    size = DTYPE_BYTES[dtype]
    return Memory(report.totals.params * size, report.totals.activation_elements * batch * size)
