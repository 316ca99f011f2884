"""A `torch.nn` model built from a parsed spec, one module per spec layer, to check cnncalc against PyTorch.

Nothing here computes a size: every output volume comes from a real forward pass, so the only arithmetic is
TensorFlow's SAME split, which PyTorch has no module for at a stride above 1 (it is done at run time, as TF does).
Weights and linear layers are lazy: PyTorch infers every `in_channels` and `in_features` on the first forward.
Blocks are modules too: a repeat is its layers built afresh for each repetition, a residual adds its two paths, a
concat stacks its branches' channels; a concat of mismatched shapes fails in PyTorch itself, an add of them here
(PyTorch's `+` would broadcast).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional

from cnncalc.loader import load_file
from cnncalc.spec import (
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
    Spec,
    Volume,
    ZeroPad,
)

NEG_INF = float("-inf")
Sides = tuple[int, int, int, int]  # top, bottom, left, right


class Unsupported(Exception):
    """A layer PyTorch cannot express, e.g. `ceil` with padding that differs on the two sides of an axis."""


def same_split(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME along one axis: `out = ceil(h / s)`; the padding needed, the odd pixel after."""
    out = -(-size // stride)
    span = dilation * (kernel - 1) + 1
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


class SamePad(nn.Module):
    """TensorFlow's SAME padding, worked out from the input it is given, filled with `value`."""

    def __init__(
        self, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int], value: float
    ) -> None:
        super().__init__()
        self.kernel, self.stride, self.dilation, self.value = kernel, stride, dilation, value
        self.applied: Sides | None = None  # top, bottom, left, right, on the last forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = same_split(x.shape[-2], self.kernel[0], self.stride[0], self.dilation[0])
        left, right = same_split(x.shape[-1], self.kernel[1], self.stride[1], self.dilation[1])
        self.applied = (top, bottom, left, right)
        return functional.pad(x, (left, right, top, bottom), value=self.value)

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}, stride={self.stride}, dilation={self.dilation}, value={self.value}"


class ToVector(nn.Module):
    """A vector of n as cnncalc writes it, the volume 1 x 1 x n: (N, n, 1, 1)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1, 1, 1)


_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leakyrelu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    # over the channels, the axis cnncalc's volumes put last
    "softmax": lambda: nn.Softmax(dim=1),
}


def activation(name: str) -> nn.Module:
    """The element-wise function `name` (one of cnncalc's ACTIVATIONS)."""
    return _ACTIVATIONS[name]()


class Add(nn.Module):
    """A residual block: `layers(x) + shortcut(x)`, then its activation; an empty shortcut is the identity."""

    def __init__(self, layers: nn.Sequential, shortcut: nn.Sequential, after: nn.Module | None) -> None:
        super().__init__()
        self.layers, self.shortcut = layers, shortcut
        self.after = after if after is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # an empty nn.Sequential returns its input: the identity shortcut
        main, shortcut = self.layers(x), self.shortcut(x)
        if main.shape != shortcut.shape:
            # `+` would broadcast a 1 x 1 map or a single channel over the other path: a residual adds equals only
            raise RuntimeError(f"cannot add: the layers give {tuple(main.shape)}, the shortcut {tuple(shortcut.shape)}")
        return self.after(main + shortcut)  # type: ignore[no-any-return]


class ChannelConcat(nn.Module):
    """A concat block: every branch applied to the same input, the outputs stacked along the channels."""

    def __init__(self, branches: Iterable[nn.Sequential]) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (N, C, H, W): channels are dimension 1; torch.cat refuses branches whose h or w differ
        return torch.cat([branch(x) for branch in self.branches], dim=1)


def _padding(
    padding: str | Sides,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    value: float,
) -> tuple[list[nn.Module], tuple[int, int]]:
    """A padding module to put in front (if any), and the symmetric (height, width) padding left to the layer."""
    if isinstance(padding, str):
        # the loader allows "valid" and "same" only
        return ([SamePad(kernel, stride, dilation, value)] if padding == "same" else []), (0, 0)
    top, bottom, left, right = padding
    if top == bottom and left == right:
        return [], (top, left)
    # PyTorch's layers pad both sides alike; F.pad's order is (left, right, top, bottom)
    return [nn.ConstantPad2d((left, right, top, bottom), value)], (0, 0)


def layer_module(layer: object, path: str = "", paths: dict[str, nn.Module] | None = None) -> nn.Module:
    """The PyTorch module for one spec layer; a conv or dense layer's activation comes with it.

    A block's module holds a module for each of its rows; `paths`, if given, gets every module by its row's path,
    numbered as cnncalc numbers its rows: "3.2" (layer 2 of block 3; a repeat's instances numbered on across its
    repetitions), "3.s1" (the shortcut's first layer), "3.b2.1" (the first layer of the second branch).
    """
    if isinstance(layer, Repeat):
        instances = [
            module
            for repetition in range(layer.times)
            for module in _modules(layer.layers, f"{path}.", paths, first=repetition * len(layer.layers) + 1)
        ]
        return _record(nn.Sequential(*instances), path, paths)
    if isinstance(layer, Residual):
        after = activation(layer.activation) if layer.activation else None
        main = nn.Sequential(*_modules(layer.layers, f"{path}.", paths))
        shortcut = nn.Sequential(*_modules(layer.shortcut, f"{path}.s", paths))
        return _record(Add(main, shortcut, after), path, paths)
    if isinstance(layer, Concat):
        branches = [
            nn.Sequential(*_modules(branch, f"{path}.b{k}.", paths)) for k, branch in enumerate(layer.branches, 1)
        ]
        return _record(ChannelConcat(branches), path, paths)
    return _record(_leaf_module(layer), path, paths)


def _record(module: nn.Module, path: str, paths: dict[str, nn.Module] | None) -> nn.Module:
    if paths is not None:
        paths[path] = module
    return module


def _modules(
    layers: Sequence[Layer], prefix: str, paths: dict[str, nn.Module] | None, first: int = 1
) -> list[nn.Module]:
    return [layer_module(layer, f"{prefix}{number}", paths) for number, layer in enumerate(layers, start=first)]


def _leaf_module(layer: object) -> nn.Module:
    if isinstance(layer, Conv):
        pad, (ph, pw) = _padding(layer.padding, layer.kernel, layer.stride, layer.dilation, 0.0)
        conv = nn.LazyConv2d(
            layer.filters,
            layer.kernel,
            stride=layer.stride,
            padding=(ph, pw),
            dilation=layer.dilation,
            groups=layer.groups,
            bias=layer.bias,
        )
        return nn.Sequential(*pad, conv, *([activation(layer.activation)] if layer.activation else []))
    if isinstance(layer, Pool):
        is_max = layer.kind == "maxpool"
        # max pooling never picks a padded value: pad with -inf, as PyTorch's own padding does
        pad, (ph, pw) = _padding(layer.padding, layer.size, layer.stride, (1, 1), NEG_INF if is_max else 0.0)
        if pad and layer.ceil:
            raise Unsupported(f"{layer.kind} with ceil and padding {layer.padding!r}: PyTorch pads both sides alike")
        pool_type = nn.MaxPool2d if is_max else nn.AvgPool2d
        pool = pool_type(layer.size, stride=layer.stride, padding=(ph, pw), ceil_mode=layer.ceil)
        return nn.Sequential(*pad, pool)
    if isinstance(layer, GlobalPool):
        return nn.AdaptiveMaxPool2d(1) if layer.kind == "globalmaxpool" else nn.AdaptiveAvgPool2d(1)
    if isinstance(layer, Flatten):
        return nn.Sequential(nn.Flatten(), ToVector())
    if isinstance(layer, Dense):
        # flattens whatever it is given: cnncalc asks for a 1 x 1 x n input, so a spec says `flatten` first
        linear = nn.LazyLinear(layer.units, bias=layer.bias)
        act = [activation(layer.activation)] if layer.activation else []
        return nn.Sequential(nn.Flatten(), linear, ToVector(), *act)
    if isinstance(layer, ZeroPad):
        top, bottom, left, right = layer.padding
        return nn.Sequential(nn.ZeroPad2d((left, right, top, bottom)))
    if isinstance(layer, BatchNorm):
        return nn.LazyBatchNorm2d()
    if isinstance(layer, Dropout):
        return nn.Dropout(layer.rate)
    if isinstance(layer, Activation):
        return activation(layer.kind)
    raise Unsupported(f"no PyTorch module for layer kind {getattr(layer, 'kind', layer)!r}")


def build(spec: Spec, paths: dict[str, nn.Module] | None = None) -> list[nn.Module]:
    """One module per top-level layer of `spec`, in evaluation mode (batchnorm uses its running statistics).

    `paths`, if given, gets the module of every row, blocks' inner rows included, by the row's path.
    """
    return [module.eval() for module in _modules(spec.layers, "", paths)]


def volume(x: torch.Tensor) -> Volume:
    """An (N, C, H, W) batch's volume as cnncalc writes it, h x w x c."""
    assert x.dim() == 4, f"expected an (N, C, H, W) tensor, got shape {tuple(x.shape)}"
    _, c, h, w = x.shape
    return Volume(h, w, c)


def forward(modules: Sequence[nn.Module], input: Volume, batch: int = 2) -> list[Volume]:
    """Run a random batch through the modules one at a time; every layer's output volume, in order."""
    x = torch.randn(batch, input.c, input.h, input.w)
    outputs = []
    with torch.no_grad():
        for module in modules:
            x = module(x)
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


def applied_padding(module: nn.Module) -> Sides:
    """The padding a conv or pool module applied on its last forward, all parts together: top, bottom, left, right."""
    sides = [0, 0, 0, 0]
    for part in module.modules():
        if isinstance(part, SamePad):
            assert part.applied is not None, "SamePad has not seen an input yet"
            found = part.applied
        elif isinstance(part, nn.ConstantPad2d):
            left, right, top, bottom = part.padding
            found = (top, bottom, left, right)
        elif isinstance(part, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            padding = part.padding
            assert isinstance(padding, tuple), "build() gives every conv and pool a (height, width) padding"
            ph, pw = padding
            found = (ph, ph, pw, pw)
        else:
            continue
        sides = [a + b for a, b in zip(sides, found, strict=True)]
    return sides[0], sides[1], sides[2], sides[3]


# the modules whose padding a row records: the windowed layers', and zeropad's own
WINDOWED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.ZeroPad2d)


class Run(NamedTuple):
    """What PyTorch makes of a spec, by row path (every depth): output volume, parameters, running statistics."""

    outputs: dict[str, Volume]
    trainable: dict[str, int]
    running: dict[str, int]  # batchnorm's running mean and variance
    padding: dict[str, Sides]  # top, bottom, left, right; for the windowed layers (conv, pool) and zeropad only
    top_level: list[str]  # the paths of the spec's own layers, in order
    macs: dict[str, int]  # multiply-accumulates of the convs and linear layers the row holds, batch 1


class Refused(RuntimeError):
    """PyTorch refused to run the model: `path` is the row whose module raised (the innermost one)."""

    def __init__(self, path: str, cause: Exception) -> None:
        super().__init__(f"row {path}: {type(cause).__name__}: {cause}")
        self.path = path


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
    for module in {part for path_module in paths.values() for part in path_module.modules()}:
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            module.register_forward_hook(functools.partial(_count_macs, macs))
    try:
        forward(modules, spec.input, batch=1)
    except (RuntimeError, ValueError) as exc:
        raise Refused(entered[-1], exc) from exc
    # a conv's or pool's own module holds the nn.Conv2d or pool itself; a block's holds only other rows' modules
    windowed = {path for path, module in paths.items() if any(isinstance(m, WINDOWED) for m in module.children())}
    return Run(
        outputs,
        {path: trainable_params(module) for path, module in paths.items()},
        {path: running_stats(module) for path, module in paths.items()},
        {path: applied_padding(paths[path]) for path in windowed},
        [str(number) for number in range(1, len(modules) + 1)],
        {path: sum(macs.get(part, 0) for part in module.modules()) for path, module in paths.items()},
    )


def _count_macs(macs: dict[nn.Module, int], module: nn.Module, _input: object, output: torch.Tensor) -> None:
    """A conv's or linear layer's multiply-accumulates, from its real weights: a MAC per weight per output position."""
    weight = module.weight
    assert isinstance(weight, torch.Tensor)
    positions = output[0, 0].numel() if isinstance(module, nn.Conv2d) else 1  # batch 1: one sample
    macs[module] = weight.numel() * positions


@functools.cache
def run_file(path: Path) -> Run:
    """`run` of a spec file, once per file: VGG19 is 143M parameters."""
    return run(load_file(str(path)))
