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
    AdaptivePool,
    BatchNorm,
    ChannelShuffle,
    Conv,
    ConvTranspose,
    Crop,
    Dense,
    Dropout,
    DropPath,
    Flatten,
    GlobalPool,
    GroupNorm,
    InstanceNorm,
    Layer,
    LayerNorm,
    Merge,
    Pool,
    PReLU,
    Repeat,
    Residual,
    Scale,
    SqueezeExcite,
    Upsample,
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


# what every layer may take besides its kind's options, beside the kind or among them: the record field each fills
COMMON = {"name": "name", "from": "source"}
# the options whose record field is named otherwise (`with` is a Python keyword)
FIELDS = {"with": "merged"}


class Kind(Record):
    """A layer kind: the record the loader builds for it, its options (besides `name`), and what it is."""

    name: str
    record: type[Layer]
    options: tuple[Option, ...]
    doc: str
    # the option that says how many times in a row a block applies its lists (a repeat's `times`); None: once
    repeated_by: str | None = None

    @staticmethod
    def field(option: str) -> str:
        """The record field an option fills."""
        return FIELDS.get(option, option)

    @property
    def lists(self) -> tuple[Option, ...]:
        """The options that hold layers: a block has some, a leaf none."""
        known = _HELD.get(self.name)
        if known is not None and known[0] is self:  # asked for every layer of every walk: kept, for this very kind
            return known[1]
        held = tuple(option for option in self.options if option.value in LISTS)
        _HELD[self.name] = (self, held)
        return held


_HELD: dict[str, tuple[Kind, tuple[Option, ...]]] = {}  # per kind's name: the kind, and its `lists`


# the values options take, each read by the loader's parser of that name and described by the schema's definition
VALUES = (
    "positive_integer",
    "natural",
    "per_axis",
    "natural_per_axis",
    "padding",
    "sides",
    "boolean",
    "activation",
    "rate",
    "upsample_mode",
    "crop_mode",
    "gate",
    "counts",
    "names",
    "text",
)
# the values that are lists of layers, and how the paths of their rows go on from their block's (`3` -> `3.2`,
# `3.s1`, `3.b2.1`); `branches` is a list of such lists
LISTS = {"layers": ".", "shortcut": ".s", "branches": ".b{}."}

_ACTIVATION = Option("activation", "activation", doc="Applied to the output: one of the activation kinds, or none.")
_BIAS = Option("bias", "boolean", doc="Whether the layer adds a bias to each output.")
_CONV = (
    Option("filters", "positive_integer", True, "The number of filters K: the output's channels."),
    Option("kernel", "per_axis", True, "The filter: an integer, or one per axis ([fh, fw]; [fd, fh, fw] in 3-D)."),
    Option("stride", "per_axis", doc="The step between windows: an integer, or one per axis ([sh, sw])."),
    Option(
        "padding",
        "padding",
        doc="Zero padding: `valid` (none), `same` (out = ceil(h / s), the odd pixel at the bottom/right), "
        "p on every side, one per axis ([ph, pw]) or two per axis ([top, bottom, left, right]; [before, after] in "
        "1-D: `[2, 0]` is causal padding).",
    ),
    Option("dilation", "per_axis", doc="The spacing of the filter's taps: the effective kernel is d (f - 1) + 1."),
    Option(
        "groups",
        "positive_integer",
        doc="Must divide the input channels and the filters; c groups make a depthwise conv.",
    ),
    _BIAS,
    _ACTIVATION,
)
_POOL = (
    Option("size", "per_axis", True, "The window: an integer, or one per axis ([height, width])."),
    Option(
        "stride",
        "per_axis",
        doc="The step between windows: an integer, or one per axis; the window size if left out.",
        same_as="size",
    ),
    Option("padding", "padding", doc="As for conv; explicit padding at most half the window."),
    Option("ceil", "boolean", doc="Round the output size up (PyTorch's ceil_mode); with explicit padding only."),
)
_CONV_TRANSPOSE = (
    *_CONV[:3],
    Option(
        "padding",
        "padding",
        doc="Cut from the output, as PyTorch's padding: p on every side, one per axis or two per axis; "
        "`valid` is 0; `same` gives h s (Keras), the k - s cut split as TensorFlow splits it, the odd one after.",
    ),
    Option(
        "output_padding",
        "natural_per_axis",
        doc="Added after the last output, to reach sizes a stride leaves ambiguous: each below the stride or the "
        "dilation.",
    ),
    *_CONV[4:],
)
_ADAPTIVE = (Option("size", "per_axis", True, "The output's size: an integer, or one per axis ([height, width])."),)
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
        Kind(
            "convtranspose",
            ConvTranspose,
            _CONV_TRANSPOSE,
            "A transposed convolution: output (h - 1) s - (top + bottom) + d (k - 1) + output_padding + 1 per axis, "
            "K channels; params K (fh fw c / groups) + K.",
        ),
        Kind("maxpool", Pool, _POOL, "The largest value in each window, per channel; no parameters."),
        Kind("avgpool", Pool, _POOL, "The mean of each window, per channel; no parameters."),
        Kind(
            "adaptiveavgpool",
            AdaptivePool,
            _ADAPTIVE,
            "The mean over each of size x size windows placed as PyTorch places them: output n x n x c.",
        ),
        Kind(
            "adaptivemaxpool",
            AdaptivePool,
            _ADAPTIVE,
            "The largest value in each of size x size windows placed as PyTorch places them: output n x n x c.",
        ),
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
                    "The zeros added: p on every side, one per axis ([ph, pw]) or two per axis "
                    "([top, bottom, left, right]).",
                ),
            ),
            "Zeros around the map: output (h + top + bottom) x (w + left + right) x c; no parameters.",
        ),
        Kind(
            "upsample",
            Upsample,
            (
                Option(
                    "scale",
                    "per_axis",
                    doc="The factor: an integer, or one per axis ([sh, sw]); or give `size` instead.",
                ),
                Option("size", "per_axis", doc="The output's size, one per axis ([h, w]); or give `scale` instead."),
                Option(
                    "mode",
                    "upsample_mode",
                    doc="`nearest` (output o copies input floor(o h / H), as PyTorch's) or `bilinear` (linear in 1-D, "
                    "trilinear in 3-D).",
                ),
                Option(
                    "align_corners",
                    "boolean",
                    doc="Bilinear only: the corners' pixels aligned, output o reading input o (h - 1) / (H - 1).",
                ),
            ),
            "Up-sampling: output (h scale) x (w scale) x c, or size x c; no parameters.",
        ),
        Kind(
            "crop",
            Crop,
            (
                Option("size", "per_axis", doc="The size kept, one per axis ([h, w])."),
                Option(
                    "offset",
                    "natural_per_axis",
                    doc="Where the kept part starts, one per axis ([top, left]); centred where left out "
                    "(floor(cut / 2) before).",
                ),
                Option(
                    "like", "text", doc="Instead of `size`, the size (h x w) of an earlier layer's output, by name."
                ),
                Option(
                    "sides",
                    "sides",
                    doc="Instead of `size` and `offset`, what is cut: p on every side, one per axis ([ph, pw]) or two "
                    "per axis ([top, bottom, left, right]).",
                ),
            ),
            "Part of the map kept: output size x c (or h - top - bottom); no parameters.",
        ),
        Kind("batchnorm", BatchNorm, (), "Batch normalisation: 2c trainable and 2c non-trainable parameters."),
        Kind(
            "layernorm",
            LayerNorm,
            (),
            "Normalisation over the channels at each position (ConvNeXt's LayerNorm2d): 2c trainable parameters, "
            "no statistics kept.",
        ),
        Kind(
            "groupnorm",
            GroupNorm,
            (
                Option(
                    "groups",
                    "positive_integer",
                    True,
                    "The groups of channels, each normalised over the whole map: must divide the channels.",
                ),
            ),
            "Group normalisation: 2c trainable parameters; its statistics are the whole map's, so every output "
            "depends on every input.",
        ),
        Kind(
            "instancenorm",
            InstanceNorm,
            (Option("affine", "boolean", doc="Whether a scale and a shift per channel are learned."),),
            "Each channel normalised over the whole map: 0 parameters, or 2c with `affine`; every output depends on "
            "every input.",
        ),
        Kind("scale", Scale, (), "A learned factor per channel (ConvNeXt's layer scale): c parameters."),
        Kind(
            "squeeze_excite",
            SqueezeExcite,
            (
                Option("squeeze", "positive_integer", True, "The bottleneck's channels."),
                Option("activation", "activation", doc="Between the two 1 x 1 convs: an activation kind, or none."),
                Option("gate", "gate", doc="`sigmoid` or `hardsigmoid`: makes the gate of values from 0 to 1."),
            ),
            "Squeeze-and-excitation: the map times a gate per channel, made from its global average by 1 x 1 convs "
            "to `squeeze` channels and back (with bias): params 2 c squeeze + squeeze + c, MACs 2 c squeeze.",
        ),
        Kind(
            "dropout",
            Dropout,
            (Option("rate", "rate", doc="The fraction of values dropped while training: 0 <= rate < 1."),),
            "No shape change, no parameters.",
        ),
        Kind(
            "droppath",
            DropPath,
            (Option("rate", "rate", doc="The probability a sample's whole tensor is dropped: 0 <= rate < 1."),),
            "Stochastic depth: the identity at inference; no shape change, no parameters.",
        ),
        *(
            Kind(name, Activation, (), f"The {name} activation: no shape change, no parameters.")
            for name in ACTIVATIONS
        ),
        Kind(
            "prelu",
            PReLU,
            (Option("per_channel", "boolean", doc="One learned slope per channel, not one for the whole map."),),
            "A leaky ReLU whose slope below zero is learned: 1 parameter, or c per channel.",
        ),
        Kind(
            "channelshuffle",
            ChannelShuffle,
            (Option("groups", "positive_integer", True, "The groups the channels are in: must divide them."),),
            "The channels of g groups interleaved (ShuffleNet's channel shuffle): no parameters.",
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
        *(
            Kind(
                name,
                Merge,
                (
                    Option(
                        "branches",
                        "branches",
                        doc="Two or more lists of layers, each applied to the block's input; [] is the identity. "
                        "Or give `with`.",
                    ),
                    Option(
                        "with",
                        "names",
                        doc="Instead of `branches`, the names of earlier layers whose outputs are joined to the "
                        "current tensor, in that order (`input` is the network's input).",
                    ),
                    Option(
                        "crop",
                        "crop_mode",
                        doc="With `with`: `centre` cuts every larger input to the current tensor's h x w around its "
                        "centre (floor(cut / 2) before), as U-Net's skips are cut.",
                    ),
                    *more,
                ),
                doc,
            )
            for name, doc, more in (
                ("add", "Tensors added: their shapes must be equal.", ()),
                (
                    "concat",
                    "Tensors stacked along the channels: h and w must agree. Branches applied to the same input (or "
                    "each to its slice of the channels, with `split`), or the current tensor and earlier outputs by "
                    "name.",
                    (
                        Option(
                            "split",
                            "counts",
                            doc="With `branches`: the channels each branch reads, in order, one count per branch "
                            "summing to the input's (ShuffleNet's channel split).",
                        ),
                    ),
                ),
                ("multiply", "Tensors multiplied, each axis equal or 1 in either (broadcast, as numpy does).", ()),
            )
        ),
    )
}

# the kinds that hold layers, and the others: what a consumer's table must cover
BLOCKS: tuple[str, ...] = tuple(name for name, kind in KINDS.items() if kind.lists)
LEAVES: tuple[str, ...] = tuple(name for name in KINDS if name not in BLOCKS)
_BLOCK_KINDS = frozenset(BLOCKS)


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
    return layer.kind in _BLOCK_KINDS


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


def instance_counts(layers: tuple[Layer, ...]) -> tuple[int, int]:
    """`instances` in two parts: the layers that are not blocks, and the blocks, every repetition counted."""
    leaves = blocks = 0
    for layer in layers:
        held = [instance_counts(inner) for _, inner in children(layer)]
        if not KINDS[layer.kind].lists:
            leaves += 1
            continue
        blocks += 1
        leaves += repetitions(layer) * sum(inner[0] for inner in held)
        blocks += repetitions(layer) * sum(inner[1] for inner in held)
    return leaves, blocks


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
