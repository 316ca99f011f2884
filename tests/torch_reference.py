"""A `torch.nn` model built from a parsed spec, one module per spec layer, to check cnncalc against PyTorch.

The modules are of the spec's rank: Conv1d, MaxPool1d, BatchNorm1d... for an input `[L, C]`, the 2d ones for
`[H, W, C]`, the 3d ones for `[D, H, W, C]`; a batch is (N, C, *spatial), and `volume` reads it back as cnncalc
writes it, channels last.

Nothing here computes a size: every output volume comes from a real forward pass, so the only arithmetic is
TensorFlow's SAME split, which PyTorch has no module for at a stride above 1 (it is done at run time, as TF does).
Weights and linear layers are lazy: PyTorch infers every `in_channels` and `in_features` on the first forward.
Blocks are modules too: a repeat is its layers built afresh for each repetition, a residual adds its two paths, a
concat stacks its branches' channels; a concat of mismatched shapes fails in PyTorch itself, an add of them here
(PyTorch's `+` would broadcast).

The decoder layers: a transposed conv is PyTorch's own where it cuts alike on both sides of every axis, else (sides
that differ, or Keras's `same`, whose odd pixel is cut after) a transposed conv with no padding followed by a slice
(`Cut`); an upsample is nn.Upsample (`bilinear` is PyTorch's linear, bilinear or trilinear, by rank); an adaptive
pool PyTorch's own. PyTorch has no crop layer: `CropLayer` slices, the kept part centred as TensorFlow centres it
(floor(cut / 2) before) where no offset is given.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn import functional

from cnncalc.loader import load_file
from cnncalc.spec import (
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
    Spec,
    SqueezeExcite,
    Upsample,
    Volume,
    ZeroPad,
)

NEG_INF = float("-inf")
PerAxis = tuple[int, ...]  # one value per spatial axis, in axis order
Sides = tuple[int, ...]  # before and after, per axis in axis order: top, bottom, left, right in 2-D

# each rank's modules
CONVS: dict[int, type[nn.Conv1d | nn.Conv2d | nn.Conv3d]] = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
LAZY_CONVS: dict[int, type[nn.Module]] = {1: nn.LazyConv1d, 2: nn.LazyConv2d, 3: nn.LazyConv3d}
TRANSPOSED: dict[int, type[nn.ConvTranspose1d | nn.ConvTranspose2d | nn.ConvTranspose3d]] = {
    1: nn.ConvTranspose1d,
    2: nn.ConvTranspose2d,
    3: nn.ConvTranspose3d,
}
LAZY_TRANSPOSED: dict[int, type[nn.Module]] = {
    1: nn.LazyConvTranspose1d,
    2: nn.LazyConvTranspose2d,
    3: nn.LazyConvTranspose3d,
}
MAX_POOLS: dict[int, type[nn.Module]] = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
AVG_POOLS: dict[int, type[nn.Module]] = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}
ADAPTIVE_MAX: dict[int, type[nn.Module]] = {1: nn.AdaptiveMaxPool1d, 2: nn.AdaptiveMaxPool2d, 3: nn.AdaptiveMaxPool3d}
ADAPTIVE_AVG: dict[int, type[nn.Module]] = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}
CONSTANT_PADS: dict[int, type[nn.Module]] = {1: nn.ConstantPad1d, 2: nn.ConstantPad2d, 3: nn.ConstantPad3d}
ZERO_PADS: dict[int, type[nn.Module]] = {1: nn.ZeroPad1d, 2: nn.ZeroPad2d, 3: nn.ZeroPad3d}
BATCH_NORMS: dict[int, type[nn.Module]] = {1: nn.LazyBatchNorm1d, 2: nn.LazyBatchNorm2d, 3: nn.LazyBatchNorm3d}
INSTANCE_NORMS: dict[int, type[nn.Module]] = {1: nn.InstanceNorm1d, 2: nn.InstanceNorm2d, 3: nn.InstanceNorm3d}
# cnncalc's `bilinear`: interpolation along every axis
LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


def torch_order(sides: Sides) -> Sides:
    """Sides in axis order (before and after, per axis) as F.pad takes them, the last axis first; and back."""
    pairs = [sides[at : at + 2] for at in range(0, len(sides), 2)]
    return tuple(side for pair in reversed(pairs) for side in pair)


class Unsupported(Exception):
    """A layer PyTorch cannot express, e.g. `ceil` with padding that differs on the two sides of an axis."""


def same_split(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME along one axis: `out = ceil(h / s)`; the padding needed, the odd pixel after."""
    out = -(-size // stride)
    span = dilation * (kernel - 1) + 1
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


class SamePad(nn.Module):
    """TensorFlow's SAME padding along every axis, worked out from the input it is given, filled with `value`."""

    def __init__(self, kernel: PerAxis, stride: PerAxis, dilation: PerAxis, value: float) -> None:
        super().__init__()
        self.kernel, self.stride, self.dilation, self.value = kernel, stride, dilation, value
        self.applied: Sides | None = None  # before and after per axis, on the last forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sides: list[int] = []
        for size, k, s, d in zip(x.shape[2:], self.kernel, self.stride, self.dilation, strict=True):
            sides += same_split(size, k, s, d)
        self.applied = tuple(sides)
        return functional.pad(x, torch_order(self.applied), value=self.value)

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}, stride={self.stride}, dilation={self.dilation}, value={self.value}"


class Refuse(nn.Module):
    """A layer PyTorch refuses to build, as a module that refuses to run: `run` then says at which row."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise self.error


class Cut(nn.Module):
    """Positions cut from a map's sides, before and after along every axis: a transposed conv's padding where
    PyTorch's (alike on both sides of an axis) cannot express it, and a crop. Like PyTorch's own layers, it refuses
    to leave nothing."""

    def __init__(self, sides: Sides) -> None:
        super().__init__()
        self.sides = sides
        self.applied: Sides | None = sides

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sizes = tuple(x.shape[2:])
        assert len(self.sides) == 2 * len(sizes), f"sides {self.sides} for a map of {sizes}"
        kept = []
        for axis, size in enumerate(sizes):
            before, after = self.sides[2 * axis], self.sides[2 * axis + 1]
            if before + after >= size:
                shown = " x ".join(map(str, sizes))
                raise RuntimeError(f"cutting {self.sides} (before and after, per axis) leaves nothing of {shown}")
            kept.append(slice(before, size - after))
        index: tuple[slice, ...] = (slice(None), slice(None), *kept)
        return x[index]

    def extra_repr(self) -> str:
        return f"sides={self.sides}"


class TransposedSame(Cut):
    """Keras's `same` for a transposed conv, after a transposed conv with no padding: the output is h s. Its
    (h - 1) s + d (k - 1) + 1 outputs are cut to h s as TensorFlow's conv2d_transpose cuts them, the padding of the
    conv it is the gradient of (SAME from h s to h: (k - s) in all, the odd pixel after), along every axis."""

    def __init__(self, kernel: PerAxis, stride: PerAxis, dilation: PerAxis) -> None:
        cuts: list[int] = []
        for k, s, d in zip(kernel, stride, dilation, strict=True):
            total = d * (k - 1) + 1 - s
            if total < 0:
                # Keras pads with zeros then (the output is still h s); PyTorch has no module for that
                raise Unsupported(f"`same` with a dilated kernel {d * (k - 1) + 1} narrower than its stride {s}")
            cuts += [total // 2, total - total // 2]
        super().__init__(tuple(cuts))


class CropLayer(Cut):
    """A crop to `size` at `offset` (the first position kept, per axis), centred where no offset is given, or by
    `sides`: the rule how much to cut is worked out from the input it is given."""

    def __init__(self, layer: Crop) -> None:
        super().__init__(())
        self.layer = layer
        self.applied = None

    def forward(self, x: torch.Tensor, env: Env | None = None) -> torch.Tensor:
        layer = self.layer
        if layer.like is not None:  # the size of an earlier output, by name
            if layer.size is not None or layer.sides is not None:
                raise RuntimeError("a crop like another takes no size or sides")
            like = (env or {})[layer.like]
            layer = layer._replace(size=tuple(like.shape[2:]), like=None)
        if layer.sides is not None and (layer.size is not None or layer.offset is not None):
            raise RuntimeError("a crop by sides takes no size or offset")
        if layer.sides is not None:
            self.sides = layer.sides
        elif layer.size is None:
            raise RuntimeError("a crop needs a size or sides")
        else:
            cuts: list[int] = []
            for axis, size in enumerate(x.shape[2:]):
                kept = layer.size[axis]
                if kept > size:
                    raise RuntimeError(f"cannot keep {kept} of {size}")
                before = (size - kept) // 2 if layer.offset is None else layer.offset[axis]
                if before + kept > size:
                    raise RuntimeError(f"cannot keep {kept} from {before} of {size}")
                cuts += [before, size - kept - before]
            self.sides = tuple(cuts)
        self.applied = self.sides
        return super().forward(x)


class ToVector(nn.Module):
    """A vector of n as cnncalc writes it at `rank`, the volume 1 x ... x 1 x n: (N, n, 1, ..., 1)."""

    def __init__(self, rank: int) -> None:
        super().__init__()
        self.rank = rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1, *(1,) * self.rank)

    def extra_repr(self) -> str:
        return f"rank={self.rank}"


_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "leakyrelu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "mish": nn.Mish,
    "hardswish": nn.Hardswish,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "hardsigmoid": nn.Hardsigmoid,
    # over the channels, the axis cnncalc's volumes put last
    "softmax": lambda: nn.Softmax(dim=1),
}


def activation(name: str) -> nn.Module:
    """The element-wise function `name` (one of cnncalc's ACTIVATIONS)."""
    return _ACTIVATIONS[name]()


class PerChannel(nn.Module):
    """A module made for the channels of the first input it sees (as PyTorch's lazy modules are, where a module
    has no lazy form): `make(c)`."""

    def __init__(self, make: Callable[[int], nn.Module]) -> None:
        super().__init__()
        self.make = make
        self.module: nn.Module | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.module is None:
            self.module = self.make(x.shape[1])
        return self.module(x)  # type: ignore[no-any-return]


class SqueezeExcitation(nn.Module):
    """x times gate(conv(activation(conv(mean of x over the map)))), the convs 1 x 1 (of the map's rank) with bias,
    as torchvision's."""

    def __init__(self, channels: int, squeeze: int, between: str | None, gate: str, rank: int = 2) -> None:
        super().__init__()
        self.fc1, self.fc2 = CONVS[rank](channels, squeeze, 1), CONVS[rank](squeeze, channels, 1)
        self.between = activation(between) if between else nn.Identity()
        self.gate = activation(gate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=tuple(range(2, x.dim())), keepdim=True)
        return x * self.gate(self.fc2(self.between(self.fc1(mean))))  # type: ignore[no-any-return]


class ChannelsLast(nn.Module):
    """A module over the last dimension (nn.LayerNorm) applied to the channels of an (N, C, *spatial) map."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x.movedim(1, -1)).movedim(-1, 1)  # type: ignore[no-any-return]


class ChannelFactor(nn.Module):
    """A learned factor per channel of an (N, C, *spatial) map."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight.reshape(-1, *(1,) * (x.dim() - 2))


class Add(nn.Module):
    """A residual block: `layers(x) + shortcut(x)`, then its activation; an empty shortcut is the identity."""

    def __init__(self, layers: nn.Module, shortcut: nn.Module, after: nn.Module | None) -> None:
        super().__init__()
        self.layers, self.shortcut = layers, shortcut
        self.after = after if after is not None else nn.Identity()

    def forward(self, x: torch.Tensor, env: Env | None = None) -> torch.Tensor:
        # an empty chain returns its input: the identity shortcut
        main, shortcut = call(self.layers, x, env or {}), call(self.shortcut, x, env or {})
        if main.shape != shortcut.shape:
            # `+` would broadcast a 1 x 1 map or a single channel over the other path: a residual adds equals only
            raise RuntimeError(f"cannot add: the layers give {tuple(main.shape)}, the shortcut {tuple(shortcut.shape)}")
        return self.after(main + shortcut)  # type: ignore[no-any-return]


Env = dict[str, torch.Tensor]


def spec_layer(module: nn.Module) -> Any:
    """The spec layer a row's module was built for; None for a module that is no row's."""
    return module.__dict__.get("spec_layer")


def call(module: nn.Module, x: torch.Tensor, env: Env) -> torch.Tensor:
    """A row's module on `x`; the modules that read earlier outputs by name get the names seen so far."""
    if isinstance(module, (Chain, Add, ChannelConcat, Join, CropLayer)):
        return module(x, env)  # type: ignore[no-any-return]
    return module(x)  # type: ignore[no-any-return]


class Chain(nn.Module):
    """A list of rows applied in order, each to the previous row's output or (`from`) to an earlier one by name; a
    named row's output kept for the rows after it, and for the blocks among them."""

    def __init__(self, modules: Sequence[nn.Module]) -> None:
        super().__init__()
        self.rows = nn.ModuleList(modules)

    def forward(self, x: torch.Tensor, env: Env | None = None) -> torch.Tensor:
        seen = dict(env or {})
        for module in self.rows:
            layer = spec_layer(module)  # none for a repetition of a repeat's rows
            if layer is not None and layer.source is not None:
                x = seen[layer.source]
            x = call(module, x, seen)
            if layer is not None and layer.name is not None:
                seen[layer.name] = x
        return x


def _joined(kind: str, tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    if kind == "concat":
        # (N, C, *spatial): channels are dimension 1; torch.cat refuses tensors whose spatial sizes differ
        return torch.cat(list(tensors), dim=1)
    first = tensors[0]
    for other in tensors[1:]:
        if kind == "add":
            if other.shape != first.shape:  # `+` would broadcast: an add joins equals only
                raise RuntimeError(f"cannot add {tuple(first.shape)} and {tuple(other.shape)}")
            first = first + other
        else:  # torch broadcasts (N, C, *spatial) axis by axis, as numpy does
            first = first * other
    return first


class ChannelConcat(nn.Module):
    """A merge block: every branch applied to the same input, the outputs joined (stacked along the channels,
    added or multiplied)."""

    def __init__(self, branches: Iterable[nn.Module], kind: str = "concat", split: Sequence[int] | None = None) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.kind = kind
        self.split = split

    def forward(self, x: torch.Tensor, env: Env | None = None) -> torch.Tensor:
        # a split concat: branch i on its slice of the channels, which must add up to them all
        inputs = torch.split(x, list(self.split), dim=1) if self.split else [x] * len(self.branches)
        if len(inputs) != len(self.branches):
            raise RuntimeError(f"{len(inputs)} slices of the channels for {len(self.branches)} branches")
        parts = [call(branch, part, env or {}) for branch, part in zip(self.branches, inputs, strict=True)]
        return _joined(self.kind, parts)


class Join(nn.Module):
    """A merge of named outputs (`with`): the current tensor, then each named one, cut around its centre to the
    current tensor's spatial sizes where `centre`."""

    def __init__(self, kind: str, names: Sequence[str], centre: bool) -> None:
        super().__init__()
        self.kind, self.names, self.centre = kind, tuple(names), centre

    def forward(self, x: torch.Tensor, env: Env) -> torch.Tensor:
        others = [env[name] for name in self.names]
        if self.centre:
            sizes = tuple(x.shape[2:])
            cut = []
            for other in others:
                cuts = [big - small for big, small in zip(other.shape[2:], sizes, strict=True)]
                if any(extra < 0 for extra in cuts):
                    raise RuntimeError(f"cannot cut {tuple(other.shape)} to {' x '.join(map(str, sizes))}")
                kept = (slice(extra // 2, extra // 2 + size) for extra, size in zip(cuts, sizes, strict=True))
                index: tuple[slice, ...] = (slice(None), slice(None), *kept)
                cut.append(other[index])
            others = cut
        return _joined(self.kind, [x, *others])


def _padding(
    padding: str | Sides, kernel: PerAxis, stride: PerAxis, dilation: PerAxis, value: float
) -> tuple[list[nn.Module], PerAxis]:
    """A padding module to put in front (if any), and the padding left to the layer, alike on both sides of each
    axis (one value per axis)."""
    rank = len(kernel)
    if isinstance(padding, str):
        # the loader allows "valid" and "same" only
        return ([SamePad(kernel, stride, dilation, value)] if padding == "same" else []), (0,) * rank
    assert len(padding) == 2 * rank, f"padding {padding} for a kernel {kernel}"
    before, after = padding[::2], padding[1::2]
    if before == after:
        return [], tuple(before)
    # PyTorch's layers pad both sides alike; F.pad takes the last axis first
    return [CONSTANT_PADS[rank](torch_order(padding), value)], (0,) * rank


def layer_module(layer: object, path: str = "", paths: dict[str, nn.Module] | None = None, rank: int = 2) -> nn.Module:
    """The PyTorch module for one spec layer, of `rank` spatial axes; a conv or dense layer's activation comes with
    it.

    A block's module holds a module for each of its rows; `paths`, if given, gets every module by its row's path,
    numbered as cnncalc numbers its rows: "3.2" (layer 2 of block 3; a repeat's instances numbered on across its
    repetitions), "3.s1" (the shortcut's first layer), "3.b2.1" (the first layer of the second branch).
    """
    if isinstance(layer, Repeat):
        # each repetition reads its own names
        repetitions = [
            Chain(_modules(layer.layers, f"{path}.", paths, rank, first=repetition * len(layer.layers) + 1))
            for repetition in range(layer.times)
        ]
        return _record(Chain(repetitions), layer, path, paths)
    if isinstance(layer, Residual):
        after = activation(layer.activation) if layer.activation else None
        main = Chain(_modules(layer.layers, f"{path}.", paths, rank))
        shortcut = Chain(_modules(layer.shortcut, f"{path}.s", paths, rank))
        return _record(Add(main, shortcut, after), layer, path, paths)
    if isinstance(layer, Merge):
        if layer.merged:
            return _record(Join(layer.kind, layer.merged, layer.crop == "centre"), layer, path, paths)
        branches = [Chain(_modules(branch, f"{path}.b{k}.", paths, rank)) for k, branch in enumerate(layer.branches, 1)]
        return _record(ChannelConcat(branches, layer.kind, layer.split), layer, path, paths)
    return _record(_leaf_module(layer, rank), layer, path, paths)


def _record(module: nn.Module, layer: object, path: str, paths: dict[str, nn.Module] | None) -> nn.Module:
    module.__dict__["spec_layer"] = layer  # what `Chain` reads (see `spec_layer`): the row's `from` and `name`
    if paths is not None:
        paths[path] = module
    return module


def _modules(
    layers: Sequence[Layer], prefix: str, paths: dict[str, nn.Module] | None, rank: int, first: int = 1
) -> list[nn.Module]:
    return [layer_module(layer, f"{prefix}{number}", paths, rank) for number, layer in enumerate(layers, start=first)]


def _leaf_module(layer: object, rank: int) -> nn.Module:
    if isinstance(layer, Conv):
        pad, native = _padding(layer.padding, layer.kernel, layer.stride, layer.dilation, 0.0)
        conv = LAZY_CONVS[rank](
            layer.filters,
            layer.kernel,
            stride=layer.stride,
            padding=native,
            dilation=layer.dilation,
            groups=layer.groups,
            bias=layer.bias,
        )
        return nn.Sequential(*pad, conv, *([activation(layer.activation)] if layer.activation else []))
    if isinstance(layer, ConvTranspose):
        return nn.Sequential(*_transposed(layer, rank), *([activation(layer.activation)] if layer.activation else []))
    if isinstance(layer, Upsample):
        mode = LINEAR_MODES[rank] if layer.mode == "bilinear" else layer.mode
        # PyTorch takes align_corners with the interpolating modes only, and refuses it with nearest
        align = layer.align_corners if layer.mode == "bilinear" or layer.align_corners else None
        scale = None if layer.scale is None else tuple(float(factor) for factor in layer.scale)
        return nn.Upsample(size=layer.size, scale_factor=scale, mode=mode, align_corners=align)
    if isinstance(layer, Crop):
        return CropLayer(layer)
    if isinstance(layer, AdaptivePool):
        return (ADAPTIVE_MAX if layer.kind == "adaptivemaxpool" else ADAPTIVE_AVG)[rank](layer.size)
    if isinstance(layer, Pool):
        is_max = layer.kind == "maxpool"
        # max pooling never picks a padded value: pad with -inf, as PyTorch's own padding does
        pad, native = _padding(layer.padding, layer.size, layer.stride, (1,) * rank, NEG_INF if is_max else 0.0)
        if pad and layer.ceil:
            raise Unsupported(f"{layer.kind} with ceil and padding {layer.padding!r}: PyTorch pads both sides alike")
        pool_type = MAX_POOLS[rank] if is_max else AVG_POOLS[rank]
        pool = pool_type(layer.size, stride=layer.stride, padding=native, ceil_mode=layer.ceil)
        return nn.Sequential(*pad, pool)
    if isinstance(layer, GlobalPool):
        return (ADAPTIVE_MAX if layer.kind == "globalmaxpool" else ADAPTIVE_AVG)[rank](1)
    if isinstance(layer, Flatten):
        return nn.Sequential(nn.Flatten(), ToVector(rank))
    if isinstance(layer, Dense):
        # flattens whatever it is given: cnncalc asks for a 1 x ... x 1 x n input, so a spec says `flatten` first
        linear = nn.LazyLinear(layer.units, bias=layer.bias)
        act = [activation(layer.activation)] if layer.activation else []
        return nn.Sequential(nn.Flatten(), linear, ToVector(rank), *act)
    if isinstance(layer, ZeroPad):
        return nn.Sequential(ZERO_PADS[rank](torch_order(layer.padding)))
    if isinstance(layer, BatchNorm):
        return BATCH_NORMS[rank]()
    if isinstance(layer, LayerNorm):
        return PerChannel(lambda c: ChannelsLast(nn.LayerNorm(c)))
    if isinstance(layer, GroupNorm):
        return PerChannel(lambda c: nn.GroupNorm(layer.groups, c))
    if isinstance(layer, InstanceNorm):
        return PerChannel(lambda c: INSTANCE_NORMS[rank](c, affine=layer.affine))
    if isinstance(layer, SqueezeExcite):
        return PerChannel(lambda c: SqueezeExcitation(c, layer.squeeze, layer.activation, layer.gate, rank))
    if isinstance(layer, Scale):
        return PerChannel(ChannelFactor)
    if isinstance(layer, PReLU):
        # PyTorch's slopes go along dimension 1, the channels
        return PerChannel(lambda c: nn.PReLU(c if layer.per_channel else 1))
    if isinstance(layer, ChannelShuffle):
        return nn.ChannelShuffle(layer.groups)
    if isinstance(layer, Dropout):
        return nn.Dropout(layer.rate)
    if isinstance(layer, DropPath):
        return nn.Identity()  # torchvision's StochasticDepth at inference
    if isinstance(layer, Activation):
        return activation(layer.kind)
    raise Unsupported(f"no PyTorch module for layer kind {getattr(layer, 'kind', layer)!r}")


def _transposed(layer: ConvTranspose, rank: int) -> list[nn.Module]:
    """A transposed conv of `rank`, its padding PyTorch's own where it cuts alike on both sides of each axis; else
    none, and a Cut after it. Where PyTorch's own padding leaves no output, a transposed conv refuses or returns an
    empty map depending on the backend it picks (the batch size, the kernel): a Cut of nothing after it refuses
    always."""
    padding = layer.padding
    cut: list[nn.Module] = [Cut((0,) * 2 * rank)]
    native: PerAxis = (0,) * rank
    if padding == "same":
        if any(layer.output_padding):
            # Keras's rule is then another: (h - 1) s + k - 2 floor(k / 2) + output_padding
            raise Unsupported("`same` with output_padding: the output is h s, or Keras's other rule")
        cut = [TransposedSame(layer.kernel, layer.stride, layer.dilation)]
    elif not isinstance(padding, str):  # sides; `valid` cuts nothing
        before, after = padding[::2], padding[1::2]
        if before == after:
            native = tuple(before)
        else:
            cut = [Cut(padding)]
    if layer.filters % layer.groups:
        # a transposed conv refuses this when built; the lazy one, built without its input channels, does not, and
        # without a bias runs, giving (filters // groups) groups of outputs
        return [Refuse(ValueError("out_channels must be divisible by groups"))]
    conv = LAZY_TRANSPOSED[rank](
        layer.filters,
        layer.kernel,
        stride=layer.stride,
        padding=native,
        output_padding=layer.output_padding,
        groups=layer.groups,
        bias=layer.bias,
        dilation=layer.dilation,
    )
    return [conv, *cut]


def build(spec: Spec, paths: dict[str, nn.Module] | None = None) -> list[nn.Module]:
    """One module per top-level layer of `spec`, in evaluation mode (batchnorm uses its running statistics).

    `paths`, if given, gets the module of every row, blocks' inner rows included, by the row's path.
    """
    return [module.eval() for module in _modules(spec.layers, "", paths, spec.input.rank)]


def volume(x: torch.Tensor) -> Volume:
    """An (N, C, *spatial) batch's volume as cnncalc writes it, channels last: l x c, h x w x c or d x h x w x c."""
    assert 3 <= x.dim() <= 5, f"expected an (N, C, *spatial) tensor of 1 to 3 spatial axes, got {tuple(x.shape)}"
    return Volume(*x.shape[2:], x.shape[1])


def forward(modules: Sequence[nn.Module], input: Volume, batch: int = 2) -> list[Volume]:
    """Run a random batch through the modules one at a time, each reading the previous output or an earlier one by
    name (`input`: the network's input); every layer's output volume, in order."""
    x = torch.randn(batch, input.c, *input.spatial)
    seen: Env = {"input": x}
    outputs = []
    with torch.no_grad():
        for module in modules:
            layer = spec_layer(module)
            if layer.source is not None:
                x = seen[layer.source]
            x = call(module, x, seen)
            if layer.name is not None:
                seen[layer.name] = x
            outputs.append(volume(x))
    return outputs


def trainable_params(module: nn.Module) -> int:
    """What PyTorch learns: its parameters, buffers aside (a lazy module has them once it has seen an input)."""
    return sum(p.numel() for p in module.parameters())


def running_stats(module: nn.Module) -> int:
    """Batchnorm's running mean and variance: buffers in PyTorch, Keras's non-trainable params."""
    return sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in module.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None and m.running_var is not None
    )


# the modules that pad both sides of each axis alike, by their `padding`
PADDED = (*CONVS.values(), *TRANSPOSED.values(), *MAX_POOLS.values(), *AVG_POOLS.values())
# the modules whose padding a row records: the windowed layers', and zeropad's own; a transposed conv's cut
WINDOWED = (*PADDED, *ZERO_PADS.values())


def applied_padding(module: nn.Module) -> Sides:
    """The padding a conv or pool module applied on its last forward, all parts together: before and after, per axis
    in axis order (top, bottom, left, right in 2-D); for a transposed conv, what it cut from its output (PyTorch's
    `padding`). Empty for a module that pads nothing."""
    sides: Sides = ()
    for part in module.modules():
        if isinstance(part, (SamePad, Cut)):  # Cut: a transposed conv's cut that PyTorch's padding cannot express
            assert part.applied is not None, f"{type(part).__name__} has not seen an input yet"
            found = part.applied
        elif isinstance(part, (*CONSTANT_PADS.values(), *PADDED)):  # a zeropad's is a constant pad's
            padding = part.padding
            assert isinstance(padding, tuple), "build() gives every pad, conv and pool its padding as a tuple"
            if isinstance(part, PADDED):  # one per axis, on both sides
                found = tuple(side for per_axis in padding for side in (per_axis, per_axis))
            else:  # F.pad's order: the last axis first
                found = torch_order(padding)
        else:
            continue
        sides = tuple(a + b for a, b in zip(sides, found, strict=True)) if sides else found
    return sides


class Run(NamedTuple):
    """What PyTorch makes of a spec, by row path (every depth): output volume, parameters, running statistics."""

    outputs: dict[str, Volume]
    trainable: dict[str, int]
    running: dict[str, int]  # batchnorm's running mean and variance
    padding: dict[str, Sides]  # before and after per axis; for the windowed layers (conv, pool) and zeropad only
    top_level: list[str]  # the paths of the spec's own layers, in order
    macs: dict[str, int]  # multiply-accumulates of the convs and linear layers the row holds, batch 1


class Refused(RuntimeError):
    """PyTorch refused to run the model: `path` is the row whose module raised (the innermost one), `kind` its
    layer's kind."""

    def __init__(self, path: str, cause: Exception, kind: str | None = None) -> None:
        super().__init__(f"row {path}: {type(cause).__name__}: {cause}")
        self.path, self.kind = path, kind


def run(spec: Spec) -> Run:
    """Build the spec's model and run one sample through it, each row's output caught as it passes.

    Where PyTorch refuses (a kernel larger than its input, groups that do not divide, an add or a concat of
    unequal shapes), `Refused` says at which row.
    """
    paths: dict[str, nn.Module] = {}
    modules = build(spec, paths)
    outputs: dict[str, Volume] = {}
    entered: list[str] = []  # the rows whose modules are running, outermost first
    for path, module in paths.items():

        def enter(_module: nn.Module, _input: object, path: str = path) -> None:
            entered.append(path)

        def catch(_module: nn.Module, _input: object, output: torch.Tensor, path: str = path) -> None:
            # a block's own output: a repeat's is its last instance's, a residual's the sum after its activation
            outputs[path] = volume(output)
            entered.pop()

        module.register_forward_pre_hook(enter)
        module.register_forward_hook(catch)
    macs: dict[nn.Module, int] = {}

    def count(module: nn.Module, input: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if isinstance(module, (*CONVS.values(), *TRANSPOSED.values(), nn.Linear)):
            _count_macs(macs, module, input, output)

    # every module's, those made as the first input arrives (a squeeze-and-excitation's convs) too
    counting = nn.modules.module.register_module_forward_hook(count)
    try:
        forward(modules, spec.input, batch=1)
    except (RuntimeError, ValueError) as exc:
        raise Refused(entered[-1], exc, getattr(spec_layer(paths[entered[-1]]), "kind", None)) from exc
    finally:
        counting.remove()
    # a conv's or pool's own module holds the conv or pool itself; a block's holds only other rows' modules
    windowed = {path for path, module in paths.items() if any(isinstance(m, WINDOWED) for m in module.children())}
    return Run(
        outputs,
        {path: trainable_params(module) for path, module in paths.items()},
        {path: running_stats(module) for path, module in paths.items()},
        {path: applied_padding(paths[path]) for path in windowed},
        [str(number) for number in range(1, len(modules) + 1)],
        {path: sum(macs.get(part, 0) for part in module.modules()) for path, module in paths.items()},
    )


def _count_macs(
    macs: dict[nn.Module, int], module: nn.Module, input: tuple[torch.Tensor, ...], output: torch.Tensor
) -> None:
    """A conv's or linear layer's multiply-accumulates, from its real weights: a MAC per weight per output position;
    a transposed conv's, a MAC per weight per input position (each input pixel spreads its filter), as fvcore counts."""
    weight = module.weight
    assert isinstance(weight, torch.Tensor)
    positions = 1  # batch 1: one sample
    if isinstance(module, tuple(CONVS.values())):
        positions = output[0, 0].numel()
    elif isinstance(module, tuple(TRANSPOSED.values())):
        positions = input[0][0, 0].numel()
    macs[module] = weight.numel() * positions


@functools.cache
def run_file(path: Path) -> Run:
    """`run` of a spec file, once per file: VGG19 is 143M parameters."""
    return run(load_file(str(path)))
