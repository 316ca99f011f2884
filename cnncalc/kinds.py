"""The layer kinds of the spec format, each declared once: its record, its options, the layers it holds.

The loader reads a kind's options from here, the JSON Schema describes them from here (editors show its
sentences), and
every walk over a spec's tree goes through `children`. Each consumer (the engine's rules, the config text,
`--explain`, `draw`, `export`, the framework rules, `convert`) keeps its own table of what it does per kind, a
`ByKind`; a test fails, naming the table, when one of them lacks a kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .record import Record
from .spec import (
    ACTIVATIONS,
    Activation,
    BatchNorm,
    Concat,
    Conv,
    Dense,
    Dropout,
    Flatten,
    GlobalPool,
    Layer,
    Pool,
    Repeat,
    Residual,
    ZeroPad,
)

F = TypeVar("F")  # what a table holds per kind: mostly a function

MAX_INT = 2**31 - 1  # the largest size any option takes: the frameworks' int32 sizes


class Option(Record):
    """One option of a kind: the value it takes, by name (see `VALUES`), whether it must be given, what it means."""

    name: str
    value: str
    required: bool = False
    doc: str = ""
    same_as: str | None = None  # left out, it takes the value of that option (a pool's stride, its size)


class Kind(Record):
    """A layer kind: the record the loader builds for it, its options (besides `name`), and what it is."""

    name: str
    record: type[Layer]
    options: tuple[Option, ...]
    doc: str
    # the option that says how many times in a row a block applies its lists (a repeat's `times`); None: once
    repeated_by: str | None = None

    @property
    def lists(self) -> tuple[Option, ...]:
        """The options that hold layers: a block has some, a leaf none."""
        return tuple(option for option in self.options if option.value in LISTS)


# the values options take, each read by the loader's parser of that name and described by the schema's definition
VALUES = ("positive_integer", "natural", "pair", "padding", "sides", "boolean", "activation", "rate", "text")
# the values that are lists of layers, and how the paths of their rows go on from their block's (`3` -> `3.2`,
# `3.s1`, `3.b2.1`); `branches` is a list of such lists
LISTS = {"layers": ".", "shortcut": ".s", "branches": ".b{}."}

_ACTIVATION = Option("activation", "activation", doc="Applied to the output: one of the activation kinds, or none.")
_BIAS = Option("bias", "boolean", doc="Whether the layer adds a bias to each output.")
_CONV = (
    Option("filters", "positive_integer", True, "The number of filters K: the output's channels."),
    Option("kernel", "pair", True, "The filter: an integer, or [fh, fw]."),
    Option("stride", "pair", doc="The step between windows: an integer or [sh, sw]."),
    Option(
        "padding",
        "padding",
        doc="Zero padding: `valid` (none), `same` (out = ceil(h / s), the odd pixel at the bottom/right), "
        "p on every side, [ph, pw] or [top, bottom, left, right].",
    ),
    Option("dilation", "pair", doc="The spacing of the filter's taps: the effective kernel is d (f - 1) + 1."),
    Option(
        "groups",
        "positive_integer",
        doc="Must divide the input channels and the filters; c groups make a depthwise conv.",
    ),
    _BIAS,
    _ACTIVATION,
)
_POOL = (
    Option("size", "pair", True, "The window: an integer or [height, width]."),
    Option(
        "stride",
        "pair",
        doc="The step between windows: an integer or [sh, sw]; the window size if left out.",
        same_as="size",
    ),
    Option("padding", "padding", doc="As for conv; explicit padding at most half the window."),
    Option("ceil", "boolean", doc="Round the output size up (PyTorch's ceil_mode); with explicit padding only."),
)
_LAYERS = Option("layers", "layers", True, "The layers, applied in order.")

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "conv",
            Conv,
            _CONV,
            "A convolution of K filters: output floor((h + top + bottom - k) / s) + 1 per axis, K channels; "
            "params K (fh fw c / groups) + K.",
        ),
        Kind("maxpool", Pool, _POOL, "The largest value in each window, per channel; no parameters."),
        Kind("avgpool", Pool, _POOL, "The mean of each window, per channel; no parameters."),
        Kind("globalavgpool", GlobalPool, (), "The mean of each channel: output 1 x 1 x c."),
        Kind("globalmaxpool", GlobalPool, (), "The largest value of each channel: output 1 x 1 x c."),
        Kind("flatten", Flatten, (), "Output 1 x 1 x (h w c): a vector of n is the volume 1 x 1 x n."),
        Kind(
            "dense",
            Dense,
            (Option("units", "positive_integer", True, "The number of outputs."), _BIAS, _ACTIVATION),
            "A fully connected layer: params units (n + 1); its input must be 1 x 1 x n (`flatten` a volume first).",
        ),
        Kind(
            "zeropad",
            ZeroPad,
            (
                Option(
                    "padding",
                    "sides",
                    True,
                    "The zeros added: p on every side, [ph, pw] or [top, bottom, left, right].",
                ),
            ),
            "Zeros around the map: output (h + top + bottom) x (w + left + right) x c; no parameters.",
        ),
        Kind("batchnorm", BatchNorm, (), "Batch normalisation: 2c trainable and 2c non-trainable parameters."),
        Kind(
            "dropout",
            Dropout,
            (Option("rate", "rate", doc="The fraction of values dropped while training: 0 <= rate < 1."),),
            "No shape change, no parameters.",
        ),
        *(
            Kind(name, Activation, (), f"The {name} activation: no shape change, no parameters.")
            for name in ACTIVATIONS
        ),
        Kind(
            "repeat",
            Repeat,
            (Option("times", "positive_integer", True, "How many times the layers are applied in a row."), _LAYERS),
            "Its layers applied `times` times in a row.",
            repeated_by="times",
        ),
        Kind(
            "residual",
            Residual,
            (
                _LAYERS._replace(doc="The main path: the layers, applied in order."),
                Option("shortcut", "shortcut", doc="The shortcut's layers; none or [] is the identity."),
                _ACTIVATION._replace(doc="Applied after the add: one of the activation kinds, or none."),
            ),
            "layers(x) + shortcut(x), whose shapes must be equal, then the activation.",
        ),
        Kind(
            "concat",
            Concat,
            (
                Option(
                    "branches",
                    "branches",
                    True,
                    "Two or more lists of layers, each applied to the block's input; [] is the identity.",
                ),
            ),
            "Branches applied to the same input, their outputs stacked along the channels; h and w must agree.",
        ),
    )
}

# the kinds that hold layers, and the others: what a consumer's table must cover
BLOCKS: tuple[str, ...] = tuple(name for name, kind in KINDS.items() if kind.lists)
LEAVES: tuple[str, ...] = tuple(name for name in KINDS if name not in BLOCKS)


def children(layer: Layer) -> Iterator[tuple[str, tuple[Layer, ...]]]:
    """Each list of layers `layer` holds, in order, with how its rows' paths go on from the block's own."""
    for option in KINDS[layer.kind].lists:
        held = getattr(layer, option.name)
        if option.value == "branches":
            for number, branch in enumerate(held, start=1):
                yield LISTS["branches"].format(number), branch
        else:
            yield LISTS[option.value], held


def is_block(layer: Layer) -> bool:
    return bool(KINDS[layer.kind].lists)


def repetitions(layer: Layer) -> int:
    """How many times a block applies its lists in a row: a repeat's `times`, once for any other."""
    option = KINDS[layer.kind].repeated_by
    return int(getattr(layer, option)) if option else 1


def rebuilt(layer: Layer, each: Callable[[Layer], Layer]) -> Layer:
    """`layer` with `each` applied to every layer of every list it holds; a leaf as it is."""
    changes: dict[str, Any] = {}
    for option in KINDS[layer.kind].lists:
        held = getattr(layer, option.name)
        if option.value == "branches":
            changes[option.name] = tuple(tuple(map(each, branch)) for branch in held)
        else:
            changes[option.name] = tuple(map(each, held))
    return layer._replace(**changes) if changes else layer


def layer_tree(layers: tuple[Layer, ...], prefix: str = "") -> Iterator[tuple[str, Layer]]:
    """Every layer record with its path, blocks before their own, each repeated body once."""
    for number, layer in enumerate(layers, start=1):
        path = f"{prefix}{number}"
        yield path, layer
        for suffix, held in children(layer):
            yield from layer_tree(held, path + suffix)


def instances(layers: tuple[Layer, ...]) -> int:
    """How many layers the engine computes for `layers`: each block counts itself and all it holds."""
    return sum(1 + repetitions(layer) * sum(instances(held) for _, held in children(layer)) for layer in layers)


# every consumer's table, to be checked complete
TABLES: list[ByKind] = []


class ByKind(dict[str, Any]):
    """What one consumer does for each kind, keyed by the kind's name: filled by `register`, read by `of`.

    `covers` says which kinds it must hold: "all", "leaves" or "blocks". A kind a consumer cannot handle is an
    entry too, one that says so (a located error), never a silent gap. Kinds that share a record (the pools, the
    activations) are each registered by name, so that a new kind is missing from every table until it is added.
    """

    def __init__(self, name: str, covers: str = "all") -> None:
        super().__init__()
        self.name = name
        self.covers = covers
        TABLES.append(self)

    def register(self, *kinds: str) -> Callable[[F], F]:
        def add(entry: F) -> F:
            for kind in kinds:
                if kind in self:
                    raise ValueError(f"{self.name}: {kind!r} is registered twice")
                self[kind] = entry
            return entry

        return add

    def of(self, layer: Layer) -> Any:
        return self[layer.kind]

    def missing(self) -> list[str]:
        """The kinds this table should hold and does not."""
        wanted = {"all": tuple(KINDS), "leaves": LEAVES, "blocks": BLOCKS}[self.covers]
        return [kind for kind in wanted if kind not in self]
