"""The parsed spec: typed, immutable layer records that remember where they came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Union


class Location(NamedTuple):
    """A 1-based line and column in the spec file."""

    line: int
    column: int


class Volume(NamedTuple):
    """An activation volume, channels last as the lecture writes it: h x w x c."""

    h: int
    w: int
    c: int

    def __str__(self) -> str:
        return f"{self.h} x {self.w} x {self.c}"


Pair = tuple[int, int]
Sides = tuple[int, int, int, int]  # top, bottom, left, right
# "same", "valid", or explicit zero padding of the four sides
Padding = Union[str, Sides]

ACTIVATIONS = ("relu", "leakyrelu", "elu", "gelu", "silu", "tanh", "sigmoid", "softmax")


@dataclass(frozen=True, kw_only=True)
class Layer:
    """What every layer has: its kind, an optional name and where the spec wrote it."""

    kind: str
    name: str | None = None
    loc: Location | None = None


@dataclass(frozen=True, kw_only=True)
class Conv(Layer):
    filters: int
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Padding = "valid"
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = True
    activation: str | None = None


@dataclass(frozen=True, kw_only=True)
class Pool(Layer):
    """maxpool or avgpool; the kind says which."""

    size: Pair
    stride: Pair
    padding: Padding = "valid"
    ceil: bool = False


@dataclass(frozen=True, kw_only=True)
class GlobalPool(Layer):
    """globalavgpool or globalmaxpool: one value per channel."""


@dataclass(frozen=True, kw_only=True)
class Flatten(Layer):
    pass


@dataclass(frozen=True, kw_only=True)
class Dense(Layer):
    units: int
    bias: bool = True
    activation: str | None = None


@dataclass(frozen=True, kw_only=True)
class BatchNorm(Layer):
    pass


@dataclass(frozen=True, kw_only=True)
class Dropout(Layer):
    rate: float = 0.5


@dataclass(frozen=True, kw_only=True)
class Activation(Layer):
    """An element-wise activation; the kind names the function."""


@dataclass(frozen=True)
class Spec:
    """A whole architecture: the input volume and the layers applied to it in order."""

    input: Volume
    layers: tuple[Layer, ...]
    name: str | None = None
    description: str | None = None
    # what the spec must add up to; read by `check`, left alone by `summary`
    expect: dict[str, Any] | None = None
    input_loc: Location | None = None
