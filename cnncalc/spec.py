"""The parsed spec: typed, immutable layer records that remember where they came from.

Records are tuples with named fields (see `record`): immutable like frozen dataclasses, and far cheaper to define
when a quick query starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .record import Record

if TYPE_CHECKING:
    from .diagnostics import Diagnostic


class Location(Record):
    """A 1-based line and column in the spec file."""

    line: int
    column: int


class Volume(tuple[int, ...]):
    """An activation volume, channels last as the lecture writes it: h x w x c; l x c in 1-D, d x h x w x c in 3-D.

    A tuple of its sizes, the spatial axes first and the channels last: `Volume(224, 224, 3)`.
    """

    __slots__ = ()

    def __new__(cls, *sizes: int) -> Volume:
        return tuple.__new__(cls, sizes)

    def __getnewargs__(self) -> tuple[int, ...]:
        return tuple(self)

    @property
    def c(self) -> int:
        return self[-1]

    @property
    def spatial(self) -> tuple[int, ...]:
        """The sizes along the spatial axes, channels left out."""
        return tuple(self[:-1])

    @property
    def rank(self) -> int:
        """How many spatial axes: 1, 2 or 3."""
        return len(self) - 1

    @property
    def elements(self) -> int:
        count = 1
        for size in self:
            count *= size
        return count

    @property
    def is_point(self) -> bool:
        """One position: a vector, 1 x ... x 1 x c."""
        return all(size == 1 for size in self[:-1])

    def with_channels(self, c: int) -> Volume:
        return Volume(*self[:-1], c)

    def channels_last(self) -> Volume | None:
        """The volume most likely meant where these sizes look written channels first, as PyTorch writes a tensor
        (3 x 224 x 224 for 224 x 224 x 3); else None.

        They look so where the first size is 1, 3 or 4 (grey, RGB, RGBA) and every other is at least 16: a map
        that few rows high and that wide is rare, while a small map of many channels (1 x 1 x 512, 4 x 4 x 512)
        is an ordinary one and is left alone.
        """
        if self[0] in (1, 3, 4) and all(size >= 16 for size in self[1:]):
            return Volume(*self[1:], self[0])
        return None

    def __str__(self) -> str:
        return " x ".join(map(str, self))

    def __repr__(self) -> str:
        return f"Volume({', '.join(map(str, self))})"


# a value per spatial axis, in axis order (height, then width)
PerAxis = tuple[int, ...]
# zero padding or cuts: before and after, per axis in axis order (top, bottom, left, right in 2-D)
Sides = tuple[int, ...]
# "same", "valid", or explicit zero padding of every side
Padding = str | Sides

RANKS = (1, 2, 3)
# each rank's axes, by name and by letter
AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
AXIS_LETTERS = {1: "l", 2: "hw", 3: "dhw"}
# each axis's sides, by rank
SIDE_NAMES = {
    1: (("before", "after"),),
    2: (("top", "bottom"), ("left", "right")),
    3: (("front", "back"), ("top", "bottom"), ("left", "right")),
}


def every_axis(names: tuple[str, ...]) -> str:
    """`height and width`; `depth, height and width`."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def vector(rank: int, channels: int) -> Volume:
    """A vector at that rank: 1 x ... x 1 x n."""
    return Volume(*(1,) * rank, channels)


# where each option's value was written; empty for records built in code
_NONE: Mapping[str, Location] = MappingProxyType({})

ACTIVATIONS = (
    "relu",
    "relu6",
    "leakyrelu",
    "elu",
    "gelu",
    "silu",
    "mish",
    "hardswish",
    "tanh",
    "sigmoid",
    "hardsigmoid",
    "softmax",
)


class Conv(Record):
    kind: str  # "conv"
    filters: int
    kernel: PerAxis
    stride: PerAxis = (1, 1)
    padding: Padding = "valid"
    dilation: PerAxis = (1, 1)
    groups: int = 1
    bias: bool = True
    activation: str | None = None
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class Pool(Record):
    kind: str  # "maxpool" or "avgpool"
    size: PerAxis
    stride: PerAxis
    padding: Padding = "valid"
    ceil: bool = False
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class GlobalPool(Record):
    kind: str  # "globalavgpool" or "globalmaxpool": one value per channel
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class Flatten(Record):
    kind: str = "flatten"
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class Dense(Record):
    kind: str  # "dense"
    units: int
    bias: bool = True
    activation: str | None = None
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class BatchNorm(Record):
    kind: str = "batchnorm"
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class ZeroPad(Record):
    """Zeros around the map: `padding` rows and columns on each side (top, bottom, left, right)."""

    kind: str  # "zeropad"
    padding: Sides
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class PReLU(Record):
    """A leaky ReLU whose slope below zero is learned: one slope for the map, or (`per_channel`) one per channel."""

    kind: str  # "prelu"
    per_channel: bool = False
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class LayerNorm(Record):
    """Normalisation over the channels at each position (a channels-last LayerNorm): a scale and a shift per
    channel are learned, no statistics kept."""

    kind: str  # "layernorm"
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class GroupNorm(Record):
    """Normalisation over each group of channels, the whole map at once: a scale and a shift per channel learned."""

    kind: str  # "groupnorm"
    groups: int
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class InstanceNorm(Record):
    """Normalisation of each channel over the whole map; `affine`: a scale and a shift per channel learned."""

    kind: str  # "instancenorm"
    affine: bool = False
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


GATES = ("sigmoid", "hardsigmoid")


class SqueezeExcite(Record):
    """A gate per channel from the whole map (Hu et al.'s squeeze-and-excitation): the map multiplied by
    `gate(conv(activation(conv(globalavgpool(x)))))`, the 1 x 1 convs to `squeeze` channels and back, with bias."""

    kind: str  # "squeeze_excite"
    squeeze: int
    activation: str | None = "relu"
    gate: str = "sigmoid"
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class Scale(Record):
    """A learned factor per channel (ConvNeXt's layer scale)."""

    kind: str  # "scale"
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class DropPath(Record):
    """Stochastic depth: while training, a sample's whole tensor dropped with probability `rate`; the identity at
    inference."""

    kind: str  # "droppath"
    rate: float = 0.0
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class ChannelShuffle(Record):
    """The channels, in `groups` groups, interleaved: channel g (c / groups) + i goes to i groups + g."""

    kind: str  # "channelshuffle"
    groups: int
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class ConvTranspose(Record):
    """A transposed convolution ("deconvolution"): each input pixel spreads a k x k filter over the output, s apart."""

    kind: str  # "convtranspose"
    filters: int
    kernel: PerAxis
    stride: PerAxis = (1, 1)
    padding: Padding = "valid"  # cut from the output: as PyTorch's padding; `same` gives h s, as Keras's
    output_padding: PerAxis = (0, 0)
    dilation: PerAxis = (1, 1)
    groups: int = 1
    bias: bool = True
    activation: str | None = None
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


UPSAMPLE_MODES = ("nearest", "bilinear")


class Upsample(Record):
    """Up-sampling by `scale`, or to `size` (one of them), by nearest neighbour or bilinear interpolation."""

    kind: str  # "upsample"
    scale: PerAxis | None = None
    size: PerAxis | None = None
    mode: str = "nearest"
    align_corners: bool = False
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class Crop(Record):
    """The map cut to `size`, placed at `offset` (centred where left out), or cut by `sides`."""

    kind: str  # "crop"
    size: PerAxis | None = None
    offset: PerAxis | None = None
    like: str | None = None  # instead of `size`: the h x w of an earlier layer's output, by name
    sides: Sides | None = None
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class AdaptivePool(Record):
    """A pool to a fixed `size`, its windows placed as PyTorch's adaptive pools place them."""

    kind: str  # "adaptiveavgpool" or "adaptivemaxpool"
    size: PerAxis
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class Dropout(Record):
    kind: str = "dropout"
    rate: float = 0.5
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class Activation(Record):
    kind: str  # the function: relu, tanh, ...
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class Repeat(Record):
    """Its layers applied `times` times in a row."""

    kind: str  # "repeat"
    times: int
    layers: tuple[Layer, ...]
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


class Residual(Record):
    """`layers(x) + shortcut(x)`, then an optional activation; no shortcut layers is the identity."""

    kind: str  # "residual"
    layers: tuple[Layer, ...]
    shortcut: tuple[Layer, ...] = ()
    activation: str | None = None
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


MERGES = ("add", "concat", "multiply")
CROP_MODES = ("centre",)


class Merge(Record):
    """Tensors joined (`add`, `concat` along the channels, `multiply`): the outputs of `branches` applied to the
    same input, or the current tensor and the earlier outputs named in `merged` (the spec's `with`)."""

    kind: str  # "add", "concat" or "multiply"
    branches: tuple[tuple[Layer, ...], ...] = ()
    merged: tuple[str, ...] = ()
    crop: str | None = None  # "centre": every larger input cut to the current tensor's h x w around its centre
    split: tuple[int, ...] | None = None  # a concat's: branch i reads the i-th slice of the channels, this wide
    name: str | None = None
    source: str | None = None  # `from`: the earlier output it reads, by name, instead of the previous row's
    loc: Location | None = None
    option_locs: Mapping[str, Location] = _NONE


# every layer record has `kind`, `name`, `loc` (where the spec wrote it) and `option_locs`
Layer = (
    Conv
    | ConvTranspose
    | Pool
    | AdaptivePool
    | GlobalPool
    | Flatten
    | Dense
    | BatchNorm
    | LayerNorm
    | GroupNorm
    | InstanceNorm
    | SqueezeExcite
    | Scale
    | Dropout
    | DropPath
    | Activation
    | PReLU
    | ChannelShuffle
    | ZeroPad
    | Upsample
    | Crop
    | Repeat
    | Residual
    | Merge
)


class Expectation(Record):
    """One thing a spec must add up to, e.g. `max_params: 70k`; from the spec's `expect:` or the command line."""

    key: str  # output, params, trainable_params, non_trainable_params, max_params, max_macs, receptive_field
    value: Any  # a Volume, a count, or a (height, width) field
    loc: Location | None = None  # None: given on the command line


class Spec(Record):
    """A whole architecture: the input volume and the layers applied to it in order."""

    input: Volume
    layers: tuple[Layer, ...]
    name: str | None = None
    description: str | None = None
    # what the spec must add up to: read by `check`, left alone by `summary`
    expect: tuple[Expectation, ...] = ()
    input_loc: Location | None = None
    # what reading it found worth a word, though nothing is wrong (an input that looks channels-first)
    warnings: tuple[Diagnostic, ...] = ()
