"""A layer's configuration as the table's `config` column says it, and the pieces of number text it is made of:
`64 3x3 /2 same(0,1,0,1)`, `x2`, `add identity relu`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .kinds import ByKind
from .spec import (
    ACTIVATIONS,
    AdaptivePool,
    ChannelShuffle,
    Conv,
    ConvTranspose,
    Crop,
    Dense,
    Dropout,
    DropPath,
    GroupNorm,
    InstanceNorm,
    Layer,
    Merge,
    Pool,
    PReLU,
    Repeat,
    Residual,
    Sides,
    SqueezeExcite,
    Upsample,
    ZeroPad,
)


def padding_text(mode: object, sides: Sides | None) -> str:
    """`same(0,1,0,1)` for an asymmetric SAME, `pad 1` for an even one, nothing where none is applied."""
    if sides is None or not any(sides):
        return "same" if mode == "same" else ""
    even = len(set(sides)) == 1
    amounts = str(sides[0]) if even else ",".join(map(str, sides))
    if mode == "same":
        return f"same({amounts})"
    return f"pad {amounts}" if even else f"pad({amounts})"


if TYPE_CHECKING:
    from .fields import Ratio


def axes(values: tuple[int | Ratio, ...], sep: str = "x") -> str:
    """`7` where every axis agrees, `7x5` where they differ; thousands separated."""
    first = values[0]
    if all(value == first for value in values):
        return f"{first:,}"
    return sep.join(f"{value:,}" for value in values)


def sizes(values: tuple[int, ...]) -> str:
    """A window or a size along every axis: `3x3`, `3x3x3`; `k3` in 1-D, where a lone number would read as a count."""
    return "x".join(map(str, values)) if len(values) > 1 else f"k{values[0]}"


def _set(values: tuple[int, ...], default: int = 1) -> bool:
    return any(value != default for value in values)


def phrase(layer: Layer, padding: Sides | None) -> str:
    """A layer's resolved hyper-parameters in one short phrase, e.g. `64 3x3 /2 same(0,1,0,1)`; `padding` is the
    padding the engine applied (a report row's `config`)."""
    parts: list[str] = CONFIG.of(layer)(layer, padding)
    return " ".join(part for part in parts if part)


# each kind's phrase, as its parts
CONFIG = ByKind("config.CONFIG")


@CONFIG.register("conv")
def _conv(layer: Conv, padding: Sides | None) -> list[str]:
    return [
        f"{layer.filters}",
        *_window(layer, layer.kernel, padding),
        f"dil {axes(layer.dilation)}" if _set(layer.dilation) else "",
        f"groups {layer.groups}" if layer.groups != 1 else "",
        *_bias_and_activation(layer),
    ]


@CONFIG.register("maxpool", "avgpool")
def _pool(layer: Pool, padding: Sides | None) -> list[str]:
    return [*_window(layer, layer.size, padding), "ceil" if layer.ceil else ""]


def _window(layer: Conv | ConvTranspose | Pool, window: tuple[int, ...], padding: Sides | None) -> list[str]:
    stride = f"/{axes(layer.stride)}" if _set(layer.stride) else ""
    return [sizes(window), stride, padding_text(layer.padding, padding)]


def _bias_and_activation(layer: Conv | ConvTranspose | Dense) -> list[str]:
    return ["" if layer.bias else "no bias", layer.activation or ""]


@CONFIG.register("convtranspose")
def _convtranspose(layer: ConvTranspose, padding: Sides | None) -> list[str]:
    extra = layer.output_padding
    return [
        f"{layer.filters}",
        *_window(layer, layer.kernel, padding),
        f"out+{axes(extra)}" if _set(extra, 0) else "",
        f"dil {axes(layer.dilation)}" if _set(layer.dilation) else "",
        f"groups {layer.groups}" if layer.groups != 1 else "",
        *_bias_and_activation(layer),
    ]


@CONFIG.register("upsample")
def _upsample(layer: Upsample, padding: Sides | None) -> list[str]:
    to = f"x{axes(layer.scale)}" if layer.scale else f"to {'x'.join(map(str, layer.size or ()))}"
    return [to, layer.mode, "align corners" if layer.align_corners else ""]


@CONFIG.register("crop")
def _crop(layer: Crop, padding: Sides | None) -> list[str]:
    if layer.sides is not None:
        return [padding_text("sides", layer.sides)]
    kept = "x".join(map(str, layer.size)) if layer.size else ""
    return [kept, f"at {','.join(map(str, layer.offset))}" if layer.offset else "centred"]


@CONFIG.register("adaptiveavgpool", "adaptivemaxpool")
def _adaptive(layer: AdaptivePool, padding: Sides | None) -> list[str]:
    return [f"to {'x'.join(map(str, layer.size))}"]


@CONFIG.register("dense")
def _dense(layer: Dense, padding: Sides | None) -> list[str]:
    return [f"{layer.units}", *_bias_and_activation(layer)]


@CONFIG.register("zeropad")
def _zeropad(layer: ZeroPad, padding: Sides | None) -> list[str]:
    return [padding_text("sides", layer.padding)]


@CONFIG.register("dropout", "droppath")
def _dropout(layer: Dropout | DropPath, padding: Sides | None) -> list[str]:
    return [f"rate {layer.rate:g}"]


@CONFIG.register("prelu")
def _prelu(layer: PReLU, padding: Sides | None) -> list[str]:
    return ["per channel" if layer.per_channel else ""]


@CONFIG.register("channelshuffle", "groupnorm")
def _groups(layer: ChannelShuffle | GroupNorm, padding: Sides | None) -> list[str]:
    return [f"{layer.groups} groups"]


@CONFIG.register("instancenorm")
def _instancenorm(layer: InstanceNorm, padding: Sides | None) -> list[str]:
    return ["affine" if layer.affine else ""]


@CONFIG.register("squeeze_excite")
def _squeeze_excite(layer: SqueezeExcite, padding: Sides | None) -> list[str]:
    return [f"squeeze {layer.squeeze}", layer.activation or "", layer.gate]


@CONFIG.register("globalavgpool", "globalmaxpool", "flatten", "batchnorm", "layernorm", "scale", *ACTIVATIONS)
def _nothing_to_set(layer: Layer, padding: Sides | None) -> list[str]:
    return []


@CONFIG.register("repeat")
def _repeat(layer: Repeat, padding: Sides | None) -> list[str]:
    return [f"x{layer.times}"]


@CONFIG.register("residual")
def _residual(layer: Residual, padding: Sides | None) -> list[str]:
    return ["add" if layer.shortcut else "add identity", layer.activation or ""]


@CONFIG.register("add", "concat", "multiply")
def _merge(layer: Merge, padding: Sides | None) -> list[str]:
    if layer.merged:
        return [f"with {', '.join(layer.merged)}", "crop centre" if layer.crop else ""]
    split = f"split {','.join(map(str, layer.split))}" if layer.split else ""
    return [f"{len(layer.branches)} branches", split]
