"""A spec as a self-contained PyTorch module: an `nn.Module` and `build()`, exact to cnncalc's numbers.

Pure: a spec and its report in, Python source text out; nothing here imports torch. Every `in_channels` and
`in_features` comes from the report, so the module is explicit, not lazy, and built for the spec's input size.
The model's children map one-to-one to the spec's rows at every depth: a conv with its activation or its padding
module is one `nn.Sequential`, a repeat is an `nn.Sequential` of every repetition's rows, a residual is
`Residual(layers, shortcut=..., activation=...)`, an add, concat or multiply of branches is `Add(branch, ...)`,
`Concat(branch, ...)` or `Multiply(branch, ...)`, and one of the current tensor and earlier outputs (`with`) is
`Join(kind, centre=...)`. A list where a layer reads an earlier output by name (`from`, `with`), or whose outputs
are read so, is a `Graph`: an nn.Sequential that keeps those outputs by their layers' paths, passes them to the
layers that read them, and on to the Graphs inside it (a repeat's rows). A residual's or a merge's lists reading a
name from outside the block are refused: those classes pass no earlier outputs in.

Where PyTorch's own padding cannot say what cnncalc computes (`same` at a stride above 1, even kernels, padding
that differs on the two sides of an axis), the padding goes in front as a module: zeros for a conv, -inf for a max
pool (which never picks it, as PyTorch pads max pooling), zeros for an average pool (which counts them in the
window, as cnncalc and PyTorch's default `count_include_pad=True` do). Where a transposed conv cuts more from one
side of an axis than the other, ConvTranspose2d cuts the smaller on both and a negative nn.ZeroPad2d crops the rest
after it; a crop is a negative nn.ZeroPad2d too. A layer that cannot be written exactly is refused with a located
error, never approximated.

A spec of 1-D or 3-D maps is written with the modules of its rank (nn.Conv1d, nn.MaxPool3d, nn.ZeroPad1d, ...),
its maps (N, C, L) or (N, C, D, H, W), and its bilinear up-sampling linear or trilinear.
"""

from __future__ import annotations

import keyword
import re
import textwrap
import unicodedata
from collections.abc import Iterator, Sequence

from . import graph
from .check import too_large, too_large_input
from .diagnostics import Diagnostic, SpecError, error, in_file_order
from .formulas import pool_output
from .kinds import BLOCKS, KINDS, ByKind, is_block, repetitions
from .record import Record
from .report import LayerResult, Report, walk
from .spec import (
    ACTIVATIONS,
    AXIS_LETTERS,
    AXIS_NAMES,
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
    PerAxis,
    Pool,
    PReLU,
    Repeat,
    Residual,
    Scale,
    Sides,
    Spec,
    SqueezeExcite,
    Upsample,
    Volume,
    ZeroPad,
)

TARGETS = ("pytorch",)
WIDTH = 88  # the exported code's lines, as ruff and black format them by default
DOCSTRING_WIDTH = 112  # the exported classes' docstrings, their indent aside

# the module for each activation kind; softmax over dim 1, the channels of a map (N, C, ...) and the features of (N, n)
ACTIVATION_MODULES = {
    "relu": "nn.ReLU()",
    "relu6": "nn.ReLU6()",
    "leakyrelu": "nn.LeakyReLU()",
    "elu": "nn.ELU()",
    "gelu": "nn.GELU()",
    "silu": "nn.SiLU()",
    "mish": "nn.Mish()",
    "hardswish": "nn.Hardswish()",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "hardsigmoid": "nn.Hardsigmoid()",
    "softmax": "nn.Softmax(dim=1)",
}

# a tensor's form: "map" is (N, C, H, W), (N, C, L) in 1-D, (N, C, D, H, W) in 3-D; "vector" is (N, n), what
# nn.Flatten and nn.Linear give
MAP, VECTOR = "map", "vector"

# the sides of each rank's padding and cuts, in cnncalc's order: before and after, per axis in axis order
SIDE_NAMES = {
    1: ("before", "after"),
    2: ("top", "bottom", "left", "right"),
    3: ("front", "back", "top", "bottom", "left", "right"),
}
# the mode of nn.Upsample that cnncalc's bilinear is at each rank
LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}
# the padding after the input, by its sides' names
_TRAILING_SIDES = {1: "trailing", 2: "bottom or right", 3: "back, bottom or right"}
# the size of an axis as the notes write it
_SIZE_LETTERS = {1: "l", 2: "h", 3: "h"}


def _map_shape(rank: int) -> str:
    """A map's PyTorch shape in letters: (N, C, H, W) in 2-D."""
    return f"(N, C, {', '.join(AXIS_LETTERS[rank].upper())})"


def _extent(rank: int) -> str:
    """A map's spatial size in words: `h x w`, `d x h x w`, `length`."""
    return AXIS_NAMES[1][0] if rank == 1 else " x ".join(AXIS_LETTERS[rank])


def _docstring(text: str) -> str:
    """A class's docstring, wrapped as this module's own are."""
    lines = textwrap.wrap(f'"""{text}"""', DOCSTRING_WIDTH, break_on_hyphens=False)
    return "\n".join(f"    {line}" for line in lines)


def _wrapped(text: str, width: int) -> list[str]:
    """Text in lines of at most `width` where the words allow, never broken inside brackets: `(N, c, d, h, w)`."""
    words = re.findall(r"\S*\([^)]*\)\S*|\S+", text)
    lines = words[:1]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _channel_norm_class(rank: int) -> str:
    last = ", ".join(map(str, (0, *range(2, rank + 2), 1)))
    first = ", ".join(map(str, (0, rank + 1, *range(1, rank + 1))))
    like = "ConvNeXt's LayerNorm2d" if rank == 2 else f"ConvNeXt's LayerNorm2d in {rank}-D"
    return f'''
class ChannelNorm(nn.LayerNorm):
    """LayerNorm over the channels at each position of an {_map_shape(rank)} map ({like})."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute({last})).permute({first})
'''


def _scale_class(rank: int) -> str:
    ones = ", ".join("1" * rank)
    return f'''
class Scale(nn.Module):
    """A learned factor per channel (ConvNeXt's layer scale), of an {_map_shape(rank)} map or an (N, C) vector."""

    def __init__(self, channels: int, vector: bool = False, initial: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,) if vector else (channels, {ones}), initial))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight
'''


def _squeeze_excite_class(rank: int) -> str:
    return f'''
class SqueezeExcitation(nn.Module):
    """The map times a gate per channel made from its global average (torchvision's SqueezeExcitation)."""

    def __init__(self, channels: int, squeeze: int, activation: nn.Module, gate: nn.Module) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool{rank}d(1)
        self.fc1 = nn.Conv{rank}d(channels, squeeze, 1)
        self.fc2 = nn.Conv{rank}d(squeeze, channels, 1)
        self.activation = activation
        self.scale_activation = gate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
'''


def _channel_shuffle_class(rank: int) -> str:
    return '''
class ChannelShuffle(nn.Module):
    """The channels in `groups` groups, taken one from each in turn: nn.ChannelShuffle written out, as torchvision's
    ShuffleNet writes it, which ONNX can export."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, *rest = x.shape
        x = x.reshape(n, self.groups, c // self.groups, *rest)
        return x.transpose(1, 2).reshape(n, c, *rest)
'''


def _droppath_class(rank: int) -> str:
    return '''
class DropPath(nn.Module):
    """Stochastic depth: while training, each sample's whole tensor dropped with probability `rate` and the rest
    scaled by 1 / (1 - rate); the identity at inference."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = 1 - self.rate
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep
'''


# the leaf kinds PyTorch has no module of its own for: each a class of its own, written for the maps' rank
_LEAF_CLASSES = {
    "layernorm": _channel_norm_class,
    "scale": _scale_class,
    "squeeze_excite": _squeeze_excite_class,
    "droppath": _droppath_class,
    "channelshuffle": _channel_shuffle_class,
}

_RESIDUAL_CLASS = '''
class Residual(nn.Module):
    """A residual block: layers(x) + shortcut(x), then the activation; no shortcut is the identity."""

    def __init__(
        self,
        layers: nn.Module,
        shortcut: nn.Module | None = None,
        activation: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.layers = layers
        self.shortcut = nn.Identity() if shortcut is None else shortcut
        self.activation = nn.Identity() if activation is None else activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.layers(x) + self.shortcut(x))
'''


def _concat_class(rank: int) -> str:
    return f'''
class Concat(nn.Module):
    """A concat block: each branch on the same input, the outputs stacked on the channels."""

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # dim 1: the channels of {_map_shape(rank)}, the features of (N, n)
        return torch.cat([branch(x) for branch in self.branches], dim=1)
'''


def _split_concat_class(rank: int) -> str:
    return f'''
class Concat(nn.Module):
    """A concat block: each branch on the same input, or (`split`) on its own slice of the channels, the outputs
    stacked on the channels."""

    def __init__(self, *branches: nn.Module, split: list[int] | None = None) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.split = split

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # dim 1: the channels of {_map_shape(rank)}, the features of (N, n)
        inputs = torch.split(x, self.split, dim=1) if self.split else [x] * len(self.branches)
        return torch.cat([branch(part) for branch, part in zip(self.branches, inputs)], dim=1)
'''


def _add_class(rank: int) -> str:
    return '''
class Add(nn.Module):
    """An add block: each branch on the same input, the outputs added."""

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        total, *others = [branch(x) for branch in self.branches]
        for other in others:
            total = total + other
        return total
'''


def _multiply_class(rank: int) -> str:
    axes = ", ".join(AXIS_LETTERS[rank])
    doc = _docstring(
        f"A multiply block: each branch on the same input, the outputs multiplied (broadcast: each of c, {axes} equal "
        f"or 1, as cnncalc's {axes}, c)."
    )
    return f"""
class Multiply(nn.Module):
{doc}

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        product, *others = [branch(x) for branch in self.branches]
        for other in others:
            product = product * other
        return product
"""


# how Join cuts each earlier output to the input's size around its centre, at each rank
_CENTRE_CUTS = {
    1: """
            length = tensors[0].shape[2]
            for k, tensor in enumerate(tensors[1:], start=1):
                start = (tensor.shape[2] - length) // 2
                tensors[k] = tensor[:, :, start : start + length]""",
    2: """
            h, w = tensors[0].shape[2:]
            for k, tensor in enumerate(tensors[1:], start=1):
                top, left = (tensor.shape[2] - h) // 2, (tensor.shape[3] - w) // 2
                tensors[k] = tensor[:, :, top : top + h, left : left + w]""",
    3: """
            d, h, w = tensors[0].shape[2:]
            for k, tensor in enumerate(tensors[1:], start=1):
                front, top = (tensor.shape[2] - d) // 2, (tensor.shape[3] - h) // 2
                left = (tensor.shape[4] - w) // 2
                tensors[k] = tensor[:, :, front : front + d, top : top + h, left : left + w]""",
}


def _join_class(rank: int) -> str:
    dims = rank + 2
    axes = ", ".join(AXIS_LETTERS[rank])
    as_map = ", ".join(("N", "n", *"1" * rank))
    expand = ", ".join((":", ":", *("None",) * rank))
    doc = _docstring(
        "The input joined with the earlier outputs Graph passes after it: by `kind`, added, stacked on the channels, "
        f"or multiplied (broadcast: each of c, {axes} equal or 1). With `centre`, each earlier output is first cut to "
        f"the input's {_extent(rank)} around its centre, floor(cut / 2) before. A vector (N, n) meets maps as the "
        f"({as_map}) map it is; `as_map` joins vectors as such maps too."
    )
    return f"""
class Join(nn.Module):
{doc}

    def __init__(self, kind: str, centre: bool = False, as_map: bool = False) -> None:
        super().__init__()
        self.kind = kind
        self.centre = centre
        self.as_map = as_map

    def forward(self, x: torch.Tensor, *joined: torch.Tensor) -> torch.Tensor:
        tensors = [x, *joined]
        if self.as_map or any(tensor.dim() == {dims} for tensor in tensors):
            tensors = [tensor[{expand}] if tensor.dim() == 2 else tensor for tensor in tensors]
        if self.centre and tensors[0].dim() == {dims}:{_CENTRE_CUTS[rank]}
        if self.kind == "concat":
            # dim 1: the channels of {_map_shape(rank)}, the features of (N, n)
            return torch.cat(tensors, dim=1)
        result, *others = tensors
        for other in others:
            result = result + other if self.kind == "add" else result * other
        return result
"""


_GRAPH_CLASS = '''
class Graph(nn.Sequential):
    """Layers in order, as nn.Sequential, but a layer may read an earlier output other than the previous one.

    Outputs are known by their layers' paths, `prefix` and the number as the comments give them, and the network's
    input as "input". `sources`: a layer's path -> the output it reads instead of the previous one; `joins`: a
    Join's path -> the outputs joined to its input. The outputs read here or in a Graph inside are kept, and a
    Graph inside is given those kept outside it.
    """

    def __init__(
        self,
        *layers: nn.Module,
        prefix: str = "",
        sources: dict[str, str] | None = None,
        joins: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        super().__init__(*layers)
        self.paths = [f"{prefix}{number}" for number in range(1, len(layers) + 1)]
        self.sources = sources or {}
        self.joins = joins or {}
        graphs = [module for module in self.modules() if isinstance(module, Graph)]
        read = {path for graph in graphs for path in graph.sources.values()}
        read |= {path for graph in graphs for paths in graph.joins.values() for path in paths}
        self.kept = read & set(self.paths)

    def forward(self, x: torch.Tensor, saved: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        saved = {"input": x} if saved is None else dict(saved)
        for path, layer in zip(self.paths, self):
            if path in self.sources:
                x = saved[self.sources[path]]
            if isinstance(layer, Graph):
                x = layer(x, saved)
            else:
                x = layer(x, *(saved[joined] for joined in self.joins.get(path, ())))
            if path in self.kept:
                saved[path] = x
        return x
'''


class _Node(Record):
    """An expression: `head` alone, or the call `head(args)`, laid out on one line where it fits; `brackets` other
    than a call's make it a literal (head "" and `{}` a dict, its entries written as leaves)."""

    head: str
    args: tuple[_Arg, ...] | None = None
    brackets: str = "()"


class _Arg(Record):
    node: _Node
    comments: tuple[str, ...] = ()
    keyword: str | None = None


def _call(head: str, *args: _Node | _Arg) -> _Node:
    return _Node(head, tuple(arg if isinstance(arg, _Arg) else _Arg(arg) for arg in args))


def _flat(node: _Node) -> str | None:
    """The node on one line, or None where a comment needs lines of its own."""
    if node.args is None:
        return node.head
    parts = []
    for arg in node.args:
        inner = _flat(arg.node)
        if inner is None or arg.comments:
            return None
        parts.append(f"{arg.keyword}={inner}" if arg.keyword else inner)
    return f"{node.head}{node.brackets[0]}{', '.join(parts)}{node.brackets[1]}"


def _render(node: _Node, indent: int, prefix: str = "", suffix: str = "") -> list[str]:
    """The node's lines at `indent`; a call that does not fit has an argument a line, each with a trailing comma."""
    pad = " " * indent
    flat = _flat(node)
    if node.args is None or (flat is not None and len(pad + prefix + flat + suffix) <= WIDTH):
        return [f"{pad}{prefix}{flat}{suffix}"]
    lines = [f"{pad}{prefix}{node.head}{node.brackets[0]}"]
    for arg in node.args:
        lines += [f"{pad}    # {comment}" for comment in arg.comments]
        lines += _render(arg.node, indent + 4, f"{arg.keyword}=" if arg.keyword else "", ",")
    return [*lines, f"{pad}{node.brackets[1]}{suffix}"]


def _module(head: str, *args: str) -> _Node:
    """A call whose arguments are given as text: `_module("nn.Linear", "400", "120")`."""
    return _call(head, *(_Node(arg) for arg in args))


def _size(values: PerAxis) -> str:
    """A value per axis as PyTorch takes it: one number where they are all alike, else a tuple."""
    return str(values[0]) if len(set(values)) == 1 else f"({', '.join(map(str, values))})"


def _ones(values: PerAxis) -> bool:
    return all(value == 1 for value in values)


def _torch_sides(sides: Sides) -> Sides:
    """cnncalc's sides (before and after, per axis in axis order) in PyTorch's padding order: the last axis first."""
    pairs = [sides[start : start + 2] for start in range(0, len(sides), 2)]
    return tuple(side for pair in reversed(pairs) for side in pair)


def _pad(module: str, sides: Sides, *args: str) -> _Node:
    """A padding module of the sides' rank, say `nn.ZeroPad2d((left, right, top, bottom))`, from cnncalc's sides."""
    rank = len(sides) // 2
    order = f"({', '.join(map(str, _torch_sides(sides)))})"
    return _Node(f"nn.{module}{rank}d({', '.join((order, *args))})")


def _sides_text(sides: Sides) -> str:
    """Sides as a note gives them: `(1, 2, 0, 1) top, bottom, left, right`."""
    return f"({', '.join(map(str, sides))}) {', '.join(SIDE_NAMES[len(sides) // 2])}"


def _text(value: object) -> str:
    """A name or path from the spec, safe in a comment: no line breaks or other unprintables."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(value))


def _docstring_text(value: object) -> str:
    return _text(value).replace("\\", "\\\\").replace('"', '\\"')


def tensor_shape(volume: Volume, form: str) -> str:
    """The PyTorch shape of a cnncalc volume: (N, c, h, w) (as many sizes as it has axes), or (N, n) as a vector."""
    if form == VECTOR:
        return f"(N, {volume.elements})"
    return f"(N, {', '.join(map(str, (volume.c, *volume.spatial)))})"


# the names the exported module defines or imports besides the network's class
_TAKEN = {"Residual", "Add", "Concat", "Multiply", "Join", "Graph", "build", "torch", "nn"}


def class_name(name: str | None) -> str:
    """A Python class name for the network: "LeNet-5" gives LeNet5, "Réseau N°2" ReseauN2, "深層 net" 深層Net.

    Words are the runs of letters and digits, each capitalised and joined. A Latin letter with marks or in a
    compatibility form (é, the ligature ﬁ, a full-width letter) is written as its ASCII letters; any other letter
    Python takes in a name (ø, Ω, 深, ガ) stays as it is, and every decimal digit is written 0 to 9.
    """
    words = re.findall(r"[^\W_]+", "".join(map(_plain, unicodedata.normalize("NFKC", name or ""))))
    candidate = unicodedata.normalize("NFKC", "".join(word[:1].upper() + word[1:] for word in words))
    if candidate[:1].isdigit():
        candidate = f"Net{candidate}"
    if not candidate.isidentifier():
        candidate = "Network"
    if keyword.iskeyword(candidate) or candidate in _TAKEN:
        candidate += "Network"
    return candidate


def _plain(char: str) -> str:
    """A character of a name as the class name writes it: ASCII where it is a letter with marks or a digit."""
    if char.isdecimal():
        return str(unicodedata.decimal(char))
    base = "".join(part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part))
    return base if base.isascii() and base.isalnum() else char


def to_pytorch(spec: Spec, report: Report, source: str | None = None) -> str:
    """The spec as a Python module defining its network (an `nn.Sequential` subclass, a Graph where its layers read
    outputs by name) and `build() -> nn.Module`.

    `report` is `analyse(spec)`, unfolded. Raise SpecError, one located error per layer, where a layer cannot be
    written exactly.
    """
    if any(row.folded for row in walk(report.layers)):
        raise ValueError("export needs every row: analyse the spec without a depth")
    totals = report.totals
    links = _Links(report.layers)
    output = tensor_shape(totals.output, form_after(report.layers, MAP, links))
    writer = _Writer(links)
    for row, option, name, block in links.walled:
        writer.refuse(
            row,
            f"reads {name!r} from outside the {block.kind} block this layer is in: export passes earlier outputs "
            "into a repeat's layers, not into a residual's or a merge's",
            option,
        )
    children = writer.path(report.layers, MAP, None)
    top = links.is_graph(report.layers)
    if top:
        children += links.wiring(report.layers)
    refused = list(writer.refused.values())
    if oversized := too_large_input(spec.input):
        refused.append(error("export", f"cannot export exactly: PyTorch: {oversized}", spec.input_loc))
    if refused:
        raise SpecError(in_file_order(refused))
    network = class_name(spec.name)
    title = _docstring_text(spec.name or "A network")
    v = spec.input
    letters = AXIS_LETTERS[v.rank]
    given = f"so the input is {tensor_shape(v, MAP)}; after a flatten, a vector of n is (N, n)."
    channels_first = [
        f"PyTorch is channels first: where cnncalc writes a volume {' x '.join(letters)} x c, the tensor here is",
        f"(N, c, {', '.join(letters)}), {given}",
    ]
    if len(channels_first[0]) > WIDTH:
        channels_first = _wrapped(" ".join(channels_first), WIDTH)
    buffers = f";\nbatchnorm's running statistics add {totals.non_trainable_params:,} in buffers"
    header = [
        f'"""{title}: a PyTorch model exported by cnncalc.',
        "",
        *([f"From {_docstring_text(source)}."] if source else []),
        f"Built for a {v} input: every size and padding here is worked out for it.",
        "",
        *channels_first,
        "The model's children map one-to-one to the spec's layers: model[0] is layer 1, and so on",
        "inside blocks (a repeat holds every repetition's layers in turn). Each child's comment gives",
        "its path as `cnncalc summary` numbers it, its kind and name, and the output cnncalc computed.",
        *(
            [
                "A layer that reads an earlier output by name (`from`, `with` in the spec) is given it by",
                "Graph, which keeps that output by its layer's path.",
            ]
            if writer.graphs
            else []
        ),
        "",
        f"Parameters: {totals.trainable_params:,}, as sum(p.numel() for p in model.parameters()) counts them"
        + (buffers if totals.non_trainable_params else "")
        + ".",
        '"""',
        "",
        "import torch",
        "from torch import nn",
    ]
    used: dict[str, list[LayerResult]] = {}
    for row in walk(report.layers):
        used.setdefault(row.kind, []).append(row)
    # each class once, by the order the block kinds are declared in
    texts = [text for kind in BLOCKS if kind in used for text in CLASSES[kind](used[kind], v.rank)]
    texts = [*(write(v.rank) for kind, write in _LEAF_CLASSES.items() if kind in used), *texts]
    classes = list(dict.fromkeys([*texts, *([_GRAPH_CLASS] if writer.graphs else [])]))
    network_class = [
        f"class {network}({'Graph' if top else 'nn.Sequential'}):",
        f'    """{title}: input {tensor_shape(v, MAP)}, output {output}."""',
        "",
        "    def __init__(self) -> None:",
        *_render(_Node("super().__init__", tuple(children)), 8),
    ]
    build = [
        "def build() -> nn.Module:",
        # an unnamed spec's title is already a phrase with its article
        f'    """A freshly initialised {title}."""' if spec.name else '    """A freshly initialised network."""',
        f"    return {network}()",
    ]
    main = [
        'if __name__ == "__main__":',
        "    model = build().eval()",
        "    with torch.no_grad():",
        f"        output = model(torch.randn({', '.join(map(str, (1, v.c, *v.spatial)))}))",
        "    print(tuple(output.shape), sum(p.numel() for p in model.parameters()))",
    ]
    sections = ["\n".join(header), *classes, *("\n".join(lines) for lines in (network_class, build, main))]
    return "\n\n\n".join(section.strip("\n") for section in sections) + "\n"


class _Writer:
    """One pass over the report's rows, each written as a PyTorch expression; the layers refused are collected."""

    def __init__(self, links: _Links) -> None:
        self.links = links
        # a layer refused once, however many repetitions or paths it turns up in
        self.refused: dict[tuple[object, str], Diagnostic] = {}
        self.graphs = False  # whether a list is written as a Graph

    def path(self, rows: Sequence[LayerResult], form: str, want: str | None) -> list[_Arg]:
        """The rows in order from a tensor of `form`; the last one made to give a `want` tensor, if given."""
        args = []
        for number, row in enumerate(rows, start=1):
            if row.path in self.links.sources:
                form = self.links.forms[self.links.sources[row.path]]
            arg, form = self.row(row, form, want if number == len(rows) else None)
            args.append(arg)
        self.graphs = self.graphs or self.links.is_graph(rows)
        return args

    def sequence(self, rows: Sequence[LayerResult], form: str, want: str | None) -> _Node:
        """Rows as one module: an nn.Sequential, or a Graph where outputs are read by name."""
        args = self.path(rows, form, want)
        if self.links.is_graph(rows):
            return _call("Graph", *args, *self.links.wiring(rows))
        return _call("nn.Sequential", *args)

    def row(self, row: LayerResult, form: str, want: str | None) -> tuple[_Arg, str]:
        """One row as an argument of its parent: the expression, its comments, and the form of its output."""
        if reason := too_large(row):
            self.refuse(row, f"PyTorch: {reason}")
        layer = row.layer
        name = f" {_text(layer.name)}" if layer.name else ""
        notes: list[str] = []
        times = ""
        if is_block(layer):
            # a block's paths are made to give the form wanted of it themselves
            out = want or FORMS.of(layer)(row, form, self.links)
            node = BLOCK_MODULES.of(layer)(self, row, layer, form, out)
            if KINDS[layer.kind].repeated_by:
                times = f" x{repetitions(layer)}"
        else:
            modules, out = self.leaf(row, form, notes)
            if want and want != out:
                modules.append(_reshape(row.output, want))
                out = want
            node = modules[0] if len(modules) == 1 else _call("nn.Sequential", *modules)
        notes[:0] = self.links.notes(row)
        heading = f"{row.path} {layer.kind}{name}{times}"
        comment = f"{heading}: out {row.output}, tensor {tensor_shape(row.output, out)}"
        return _Arg(node, (comment, *notes)), out

    def leaf(self, row: LayerResult, form: str, notes: list[str]) -> tuple[list[_Node], str]:
        """The modules of one layer, in order, and the form of their output; notes say why where it is not plain."""
        layer = row.layer
        modules: list[_Node] = []
        takes = TAKES.of(layer)()
        if takes and form != takes:
            # a spatial layer after a flatten: the vector of n as the 1 x 1 x n volume it is in cnncalc; a dense
            # layer on a 1 x 1 x n map: the map flattened
            modules.append(_reshape(row.input, takes))
            form = takes
        modules += MODULES.of(layer)(self, row, layer, form, notes)
        return modules, FORMS.of(layer)(row, form, self.links)

    def branch(
        self, rows: Sequence[LayerResult], given: Volume, form: str, out: str, empty: str = "nn.Identity()"
    ) -> _Node:
        """A path of a block as one module: an nn.Sequential of its rows; with no rows, the identity or a reshape."""
        if rows:
            return self.sequence(rows, form, out)
        if form != out:
            # no rows, and a tensor of the other form where the paths meet: the same numbers, reshaped
            return _reshape(given, out)
        return _Node(empty)

    def refuse(self, row: LayerResult, reason: str, option: str | None = None) -> _Node:
        """Note that `row` cannot be written exactly, at the option at fault where there is one; a stand-in node."""
        loc = row.layer.option_locs.get(option, row.layer.loc) if option else row.layer.loc
        key = (loc, reason)
        if key not in self.refused:
            self.refused[key] = error("export", f"cannot export exactly: {reason}", loc, row.path, row.layer.kind)
        return _Node("nn.Identity()")

    def activation(self, row: LayerResult, kind: str, option: str | None = "activation") -> _Node:
        """The module of an activation kind; `option`: the layer's option that names it, None for the layer itself."""
        module = ACTIVATION_MODULES.get(kind)
        if module is None:
            return self.refuse(row, f"no PyTorch module for the activation {kind!r}", option)
        return _Node(module)


def form_after(rows: Sequence[LayerResult], form: str, links: _Links) -> str:
    """The form of the tensor the rows give, from a tensor of `form`; each output's form kept in `links`."""
    for row in rows:
        if row.path in links.sources:
            form = links.forms[links.sources[row.path]]
        form = FORMS.of(row.layer)(row, form, links)
        links.forms[row.path] = form
    return form


class _Links:
    """The earlier outputs rows read by name (`from`, `with`), each as the path of the row that gives it (`input`:
    the network's input); the form of every output; and the references export cannot write."""

    def __init__(self, rows: Sequence[LayerResult]) -> None:
        self.sources: dict[str, str] = {}  # a row's path -> the output it reads instead of the previous row's
        self.joins: dict[str, tuple[str, ...]] = {}  # a merge's path -> the outputs `with` joins to its input
        self.forms: dict[str, str] = {graph.INPUT: MAP}  # an output's path -> its tensor's form
        # the names read inside a residual or a merge but bound outside it: the row, its option, the name, the block
        self.walled: list[tuple[LayerResult, str, str, LayerResult]] = []
        self._resolve(rows, {graph.INPUT: graph.INPUT}, {})
        self.read = {*self.sources.values(), *(path for paths in self.joins.values() for path in paths)}

    def _resolve(self, rows: Sequence[LayerResult], seen: dict[str, str], walls: dict[str, LayerResult]) -> None:
        """The names `rows` read, found among `seen` (name -> path), as the engine scopes them; `walls`: the names
        bound outside the innermost residual or merge that holds `rows`, with that block."""
        scope = dict(seen)
        for row in rows:
            layer = row.layer
            for option, name in graph.references(layer):
                if name in walls:
                    self.walled.append((row, option, name, walls[name]))
            if layer.source is not None:
                self.sources[row.path] = scope[layer.source]
            if isinstance(layer, Merge) and layer.merged:
                self.joins[row.path] = tuple(scope[name] for name in layer.merged)
            inner = walls if KINDS[layer.kind].repeated_by else dict.fromkeys(scope, row)
            for held in _scopes(row):
                self._resolve(held, scope, inner)
            if layer.name is not None:
                scope[layer.name] = row.path

    def targets(self, path: str) -> tuple[str, ...]:
        """The outputs the row at `path` reads by name."""
        source = self.sources.get(path)
        return ((source,) if source is not None else ()) + self.joins.get(path, ())

    def is_graph(self, rows: Sequence[LayerResult]) -> bool:
        """Whether a list is written as a Graph: a row reads an output by name, is read so, or holds rows that read
        one from outside it (a Graph passes what it keeps to the Graphs inside)."""
        if not self.read:
            return False
        return any(
            self.targets(row.path)
            or row.path in self.read
            or any(not target.startswith(f"{row.path}.") for held in _held(row) for target in self.targets(held.path))
            for row in rows
        )

    def notes(self, row: LayerResult) -> list[str]:
        """What a row reads by name, as its comment says it."""
        layer = row.layer
        notes = []
        if layer.source is not None:
            notes.append(f"from {self.named(layer.source, self.sources[row.path])}, not the previous output")
        if isinstance(layer, Merge) and layer.merged:
            named = ", ".join(map(self.named, layer.merged, self.joins[row.path]))
            cut = f", each cut to this {_extent(row.input.rank)} around its centre" if layer.crop == "centre" else ""
            notes.append(f"with {named}{cut}")
        return notes

    @staticmethod
    def named(name: str, path: str) -> str:
        return f"{_text(name)} (the network's input)" if path == graph.INPUT else f"{_text(name)} (layer {path})"

    def wiring(self, rows: Sequence[LayerResult]) -> list[_Arg]:
        """A Graph's keywords: its rows' paths' prefix, and the outputs they read."""
        prefix = re.sub(r"\d+$", "", rows[0].path)
        sources = {row.path: self.sources[row.path] for row in rows if row.path in self.sources}
        joins = {row.path: self.joins[row.path] for row in rows if row.path in self.joins}
        args = [_Arg(_Node(f'"{prefix}"'), keyword="prefix")] if prefix else []
        if sources:
            entries = [_Node(f'"{path}": "{source}"') for path, source in sources.items()]
            args.append(_Arg(_Node("", tuple(map(_Arg, entries)), "{}"), keyword="sources"))
        if joins:
            entries = [_Node(f'"{path}": {_strings(joined)}') for path, joined in joins.items()]
            args.append(_Arg(_Node("", tuple(map(_Arg, entries)), "{}"), keyword="joins"))
        return args


def _strings(texts: Sequence[str]) -> str:
    """A tuple of strings as Python writes it: `("a",)`, `("a", "b")`."""
    quoted = [f'"{text}"' for text in texts]
    return f"({', '.join(quoted)}{',' if len(quoted) == 1 else ''})"


def _scopes(row: LayerResult) -> list[tuple[LayerResult, ...]]:
    """The lists of rows a block holds, each read in a scope of its own: a repeat's repetitions one by one."""
    if KINDS[row.kind].repeated_by:
        size = len(row.layers) // row.times
        return [row.layers[start : start + size] for start in range(0, len(row.layers), size or 1)]
    return [held for held in (row.layers, row.shortcut, *row.branches) if held]


def _held(row: LayerResult) -> Iterator[LayerResult]:
    """Every row a block holds, at any depth."""
    yield from walk((*row.layers, *row.shortcut, *(held for branch in row.branches for held in branch)))


# -- per kind: the form of the tensor it leaves, and the form a leaf takes ------------------------------

# the leaf kinds whose modules take a map (N, C, ...) and give one
_MAP_KINDS = (
    "channelshuffle",
    "instancenorm",
    "squeeze_excite",
    "conv",
    "convtranspose",
    "maxpool",
    "avgpool",
    "adaptiveavgpool",
    "adaptivemaxpool",
    "globalavgpool",
    "globalmaxpool",
    "zeropad",
    "upsample",
    "crop",
)

# the form of the tensor a row leaves, from a tensor of `form`
FORMS = ByKind("export.FORMS")


@FORMS.register(*_MAP_KINDS)
def _a_map(row: LayerResult, form: str, links: _Links) -> str:
    return MAP


@FORMS.register("flatten", "dense")
def _a_vector(row: LayerResult, form: str, links: _Links) -> str:
    return VECTOR


@FORMS.register("batchnorm", "layernorm", "groupnorm", "scale", "dropout", "droppath", *ACTIVATIONS, "prelu")
def _as_given(row: LayerResult, form: str, links: _Links) -> str:
    return form


@FORMS.register("repeat")
def _as_its_rows_leave(row: LayerResult, form: str, links: _Links) -> str:
    return form_after(row.layers, form, links)


@FORMS.register("residual")
def _where_added(row: LayerResult, form: str, links: _Links) -> str:
    return _meet([form_after(row.layers, form, links), form_after(row.shortcut, form, links)])


@FORMS.register("add", "concat", "multiply")
def _where_merged(row: LayerResult, form: str, links: _Links) -> str:
    if row.path in links.joins:
        return _meet([form, *(links.forms[path] for path in links.joins[row.path])])
    return _meet([form_after(branch, form, links) for branch in row.branches])


# the form a leaf's modules take their input in, reshaped to it where it comes in the other; None: either
TAKES = ByKind("export.TAKES", covers="leaves")


@TAKES.register(*_MAP_KINDS)
def _takes_a_map() -> str | None:
    return MAP


@TAKES.register("dense")
def _takes_a_vector() -> str | None:
    return VECTOR


@TAKES.register("flatten", "batchnorm", "layernorm", "groupnorm", "scale", "dropout", "droppath", *ACTIVATIONS, "prelu")
def _takes_either() -> str | None:
    return None


# -- per leaf kind: its modules ----------------------------------------------------------------------

# a leaf's modules, in order, from a tensor of `form` (the form TAKES asks for); `notes` say why where it is not
# plain. A kind with no exact module registers `_no_module`: a located error, never a stand-in.
MODULES = ByKind("export.MODULES", covers="leaves")


def _no_module(writer: _Writer, row: LayerResult, layer: Layer, form: str, notes: list[str]) -> list[_Node]:
    """The entry of a kind PyTorch has no module for: the layer refused where it is."""
    return [writer.refuse(row, f"no PyTorch module for the layer kind {layer.kind!r}")]


def _padded_sides(row: LayerResult) -> Sides:
    """The padding a windowed row applies, or cuts, on every side; zeros where it has none."""
    return row.padding or (0,) * (2 * row.input.rank)


def _own_and_surplus(sides: Sides) -> tuple[PerAxis, Sides]:
    """Per axis, the smaller side's amount, which PyTorch's own padding gives on both sides; and what is left over
    on each side."""
    own = tuple(min(sides[start : start + 2]) for start in range(0, len(sides), 2))
    return own, tuple(side - own[k // 2] for k, side in enumerate(sides))


@MODULES.register("conv")
def _conv(writer: _Writer, row: LayerResult, layer: Conv, form: str, notes: list[str]) -> list[_Node]:
    rank = row.input.rank
    sides = _padded_sides(row)
    modules = []
    options = [f"kernel_size={_size(layer.kernel)}"]
    if not _ones(layer.stride):
        options.append(f"stride={_size(layer.stride)}")
    if sides[0::2] == sides[1::2]:
        if any(sides):
            options.append(f"padding={_size(sides[0::2])}")
    else:
        # a conv pads both sides of an axis alike: every side goes in front, the conv itself pads nothing
        modules.append(_pad("ZeroPad", sides))
    if not _ones(layer.dilation):
        options.append(f"dilation={_size(layer.dilation)}")
    if layer.groups != 1:
        options.append(f"groups={layer.groups}")
    if not layer.bias:
        options.append("bias=False")
    front = f"Conv{rank}d pads both sides of an axis alike, so nn.ZeroPad{rank}d pads in front" if modules else None
    notes += _padding_notes(row, layer.padding, layer.stride, front)
    modules.append(_module(f"nn.Conv{rank}d", str(row.input.c), str(layer.filters), *options))
    if layer.activation:
        modules.append(writer.activation(row, layer.activation))
    return modules


@MODULES.register("convtranspose")
def _convtranspose(writer: _Writer, row: LayerResult, layer: ConvTranspose, form: str, notes: list[str]) -> list[_Node]:
    """A transposed conv; where it cuts more from one side of an axis, the rest is cropped after it.

    ConvTranspose2d (1d, 3d) cuts its padding from both sides of an axis alike, after output_padding is added at the
    end: so cutting the smaller side's amount there and the surplus with a negative nn.ZeroPad2d (1d, 3d) keeps
    cnncalc's outputs.
    """
    rank = row.input.rank
    sides = _padded_sides(row)
    own, surplus = _own_and_surplus(sides)
    options = [f"kernel_size={_size(layer.kernel)}"]
    if not _ones(layer.stride):
        options.append(f"stride={_size(layer.stride)}")
    if any(own):
        options.append(f"padding={_size(own)}")
    if any(layer.output_padding):
        options.append(f"output_padding={_size(layer.output_padding)}")
    if layer.groups != 1:
        options.append(f"groups={layer.groups}")
    if not layer.bias:
        options.append("bias=False")
    if not _ones(layer.dilation):
        options.append(f"dilation={_size(layer.dilation)}")
    modules = [_module(f"nn.ConvTranspose{rank}d", str(row.input.c), str(layer.filters), *options)]
    if layer.padding == "same":
        notes.append(f"same: {_SIZE_LETTERS[rank]} s outputs, the k - s cut {_sides_text(sides)}")
    elif any(surplus):
        notes.append(f"cut {_sides_text(sides)}")
    if any(surplus):
        modules.append(_pad("ZeroPad", tuple(-side for side in surplus)))
        notes.append(
            f"ConvTranspose{rank}d cuts both sides of an axis alike, so a negative nn.ZeroPad{rank}d crops the rest"
        )
    if layer.activation:
        modules.append(writer.activation(row, layer.activation))
    return modules


@MODULES.register("maxpool", "avgpool")
def _pool(writer: _Writer, row: LayerResult, layer: Pool, form: str, notes: list[str]) -> list[_Node]:
    """A max or average pool; padding PyTorch's own cannot give goes in front, a window too many is cropped.

    Per axis, the pool pads the smaller side's amount on both sides and the surplus goes in front: so with
    `ceil`, PyTorch's rule for dropping a last window (one that starts past the input and its leading padding)
    sees the same input and leading padding as cnncalc's, where the surplus is before the input.
    """
    rank = row.input.rank
    is_max = layer.kind == "maxpool"
    own, surplus = _own_and_surplus(_padded_sides(row))
    modules = []
    if any(surplus):
        # max pooling never picks -inf, as PyTorch pads it; average pooling counts zeros, as cnncalc does
        modules.append(_pad("ConstantPad", surplus, 'float("-inf")') if is_max else _pad("ZeroPad", surplus))
    options = [_size(layer.size)]
    if layer.stride != layer.size:
        options.append(f"stride={_size(layer.stride)}")
    if any(own):
        options.append(f"padding={_size(own)}")
    if layer.ceil:
        options.append("ceil_mode=True")
    if not is_max and (any(own) or any(surplus)):
        options.append("count_include_pad=True")
    modules.append(_module(f"nn.MaxPool{rank}d" if is_max else f"nn.AvgPool{rank}d", *options))
    padded = [size + surplus[2 * axis] + surplus[2 * axis + 1] for axis, size in enumerate(row.input.spatial)]
    extra = [
        # PyTorch pads both sides alike
        pool_output(padded[axis], layer.size[axis], layer.stride[axis], own[axis], own[axis], layer.ceil) - out
        for axis, out in enumerate(row.output.spatial)
    ]
    if any(e not in (0, 1) for e in extra):  # never, by the rule above: a refusal rather than a wrong model
        given = " x ".join(str(out + e) for out, e in zip(row.output.spatial, extra, strict=True))
        why = f"PyTorch would give {given}, cnncalc {row.output}"
        modules.append(writer.refuse(row, f"the pooled map differs: {why}"))
    elif any(extra):
        # negative padding crops: the last window, which starts in the trailing padding, cnncalc drops
        modules.append(_pad("ZeroPad", tuple(side for e in extra for side in (0, -e))))
        notes += [
            f"ceil_mode keeps a last window that starts in the {_TRAILING_SIDES[rank]} padding, which cnncalc",
            f"drops (as PyTorch does with its own padding): the negative nn.ZeroPad{rank}d crops it",
        ]
    fill = "-inf, which max never picks" if is_max else "zeros, counted as cnncalc counts padding"
    front = f"a pool pads both sides alike, so the surplus goes in front: {fill}" if any(surplus) else None
    notes[:0] = _padding_notes(row, layer.padding, layer.stride, front)
    return modules


@MODULES.register("globalavgpool", "globalmaxpool")
def _global_pool(writer: _Writer, row: LayerResult, layer: GlobalPool, form: str, notes: list[str]) -> list[_Node]:
    pool = "Max" if layer.kind == "globalmaxpool" else "Avg"
    return [_Node(f"nn.Adaptive{pool}Pool{row.input.rank}d(1)")]


@MODULES.register("adaptiveavgpool", "adaptivemaxpool")
def _adaptive_pool(writer: _Writer, row: LayerResult, layer: AdaptivePool, form: str, notes: list[str]) -> list[_Node]:
    pool = "Max" if layer.kind == "adaptivemaxpool" else "Avg"
    return [_module(f"nn.Adaptive{pool}Pool{row.input.rank}d", _size(layer.size))]


@MODULES.register("flatten")
def _flatten(writer: _Writer, row: LayerResult, layer: Flatten, form: str, notes: list[str]) -> list[_Node]:
    given = row.input
    if form == MAP and given.c > 1 and not given.is_point:
        axes = ", ".join(AXIS_LETTERS[given.rank])
        notes.append(f"in PyTorch's order (c, {axes}); channels-last frameworks take ({axes}, c)")
    return [_Node("nn.Flatten()")]


@MODULES.register("dense")
def _dense(writer: _Writer, row: LayerResult, layer: Dense, form: str, notes: list[str]) -> list[_Node]:
    given = row.input
    bias = [] if layer.bias else ["bias=False"]
    modules = [_module("nn.Linear", str(given.elements), str(layer.units), *bias)]
    if layer.activation:
        modules.append(writer.activation(row, layer.activation))
    return modules


@MODULES.register("batchnorm")
def _batchnorm(writer: _Writer, row: LayerResult, layer: BatchNorm, form: str, notes: list[str]) -> list[_Node]:
    given = row.input
    if form == VECTOR:
        return [_Node(f"nn.BatchNorm1d({given.elements})")]
    return [_Node(f"nn.BatchNorm{given.rank}d({given.c})")]


@MODULES.register("layernorm")
def _layernorm(writer: _Writer, row: LayerResult, layer: LayerNorm, form: str, notes: list[str]) -> list[_Node]:
    if form == VECTOR:
        return [_Node(f"nn.LayerNorm({row.input.c})")]
    return [_Node(f"ChannelNorm({row.input.c})")]


@MODULES.register("groupnorm")
def _groupnorm(writer: _Writer, row: LayerResult, layer: GroupNorm, form: str, notes: list[str]) -> list[_Node]:
    return [_Node(f"nn.GroupNorm({layer.groups}, {row.input.c})")]


@MODULES.register("instancenorm")
def _instancenorm(writer: _Writer, row: LayerResult, layer: InstanceNorm, form: str, notes: list[str]) -> list[_Node]:
    return [_Node(f"nn.InstanceNorm{row.input.rank}d({row.input.c}{', affine=True' if layer.affine else ''})")]


@MODULES.register("squeeze_excite")
def _squeeze_excite(
    writer: _Writer, row: LayerResult, layer: SqueezeExcite, form: str, notes: list[str]
) -> list[_Node]:
    between = writer.activation(row, layer.activation) if layer.activation else _Node("nn.Identity()")
    gate = writer.activation(row, layer.gate, option="gate")
    return [_Node(f"SqueezeExcitation({row.input.c}, {layer.squeeze}, {between.head}, {gate.head})")]


@MODULES.register("scale")
def _scale(writer: _Writer, row: LayerResult, layer: Scale, form: str, notes: list[str]) -> list[_Node]:
    return [_Node(f"Scale({row.input.c}, vector=True)" if form == VECTOR else f"Scale({row.input.c})")]


@MODULES.register("prelu")
def _prelu(writer: _Writer, row: LayerResult, layer: PReLU, form: str, notes: list[str]) -> list[_Node]:
    # PyTorch's slopes are along dimension 1: the channels of a map, the values of a vector
    return [_Node(f"nn.PReLU({row.input.c})" if layer.per_channel else "nn.PReLU()")]


@MODULES.register("droppath")
def _droppath(writer: _Writer, row: LayerResult, layer: DropPath, form: str, notes: list[str]) -> list[_Node]:
    return [_Node(f"DropPath({float(layer.rate)!r})")]


@MODULES.register("channelshuffle")
def _channelshuffle(
    writer: _Writer, row: LayerResult, layer: ChannelShuffle, form: str, notes: list[str]
) -> list[_Node]:
    return [_Node(f"ChannelShuffle({layer.groups})")]


@MODULES.register("zeropad")
def _zeropad(writer: _Writer, row: LayerResult, layer: ZeroPad, form: str, notes: list[str]) -> list[_Node]:
    return [_pad("ZeroPad", layer.padding)]


@MODULES.register("upsample")
def _upsample(writer: _Writer, row: LayerResult, layer: Upsample, form: str, notes: list[str]) -> list[_Node]:
    """Up-sampling by the layer's factor, or to its output's size where the factor is not whole.

    PyTorch's `nearest` works out floor(o / s) in float32, and at some factors (41 is the first) picks the pixel
    before; `nearest-exact`, floor((o + 1/2) / s), is never near a whole number there, and picks as cnncalc does.
    """
    given, out = row.input.spatial, row.output.spatial
    whole = all(o % g == 0 for g, o in zip(given, out, strict=True))
    factors = layer.scale or tuple(o // g for g, o in zip(given, out, strict=True))
    if layer.mode == "nearest" and whole:
        notes.append("nearest-exact: floor(o / s) at a whole factor, as cnncalc's nearest; PyTorch's nearest slips")
        return [_module("nn.Upsample", f"scale_factor={_size(factors)}", 'mode="nearest-exact"')]
    target = f"scale_factor={_size(layer.scale)}" if layer.scale else f"size={_size(out)}"
    if layer.mode == "nearest":
        size = _SIZE_LETTERS[row.input.rank]
        slip = "where it is whole, it may pick the pixel before"
        notes.append(f"PyTorch works out floor(o {size} / {size.upper()}) in float32: {slip}")
        return [_module("nn.Upsample", target, 'mode="nearest"')]
    # align_corners written even when false: it decides which inputs each output reads
    mode = f'mode="{LINEAR_MODES[row.input.rank]}"'
    return [_module("nn.Upsample", target, mode, f"align_corners={layer.align_corners}")]


@MODULES.register("crop")
def _crop(writer: _Writer, row: LayerResult, layer: Crop, form: str, notes: list[str]) -> list[_Node]:
    sides = _crop_sides(row, layer)
    notes.append(f"negative padding crops: {_sides_text(sides)}")
    return [_pad("ZeroPad", tuple(-side for side in sides))]


def _crop_sides(row: LayerResult, layer: Crop) -> Sides:
    """What a crop cuts from each side of its input: its `sides`, or around the `size` kept from `offset`."""
    if layer.sides is not None:
        return layer.sides
    cuts: list[int] = []
    for axis, (size, kept) in enumerate(zip(row.input.spatial, row.output.spatial, strict=True)):
        before = (size - kept) // 2 if layer.offset is None else layer.offset[axis]
        cuts += [before, size - kept - before]
    return tuple(cuts)


@MODULES.register("dropout")
def _dropout(writer: _Writer, row: LayerResult, layer: Dropout, form: str, notes: list[str]) -> list[_Node]:
    return [_Node(f"nn.Dropout({float(layer.rate)!r})")]


@MODULES.register(*ACTIVATIONS)
def _activation(writer: _Writer, row: LayerResult, layer: Activation, form: str, notes: list[str]) -> list[_Node]:
    return [writer.activation(row, layer.kind, option=None)]


# -- per block kind: its module, and the class that module needs -------------------------------------

# a block's module, from a tensor of `form`, its paths made to give an `out` tensor
BLOCK_MODULES = ByKind("export.BLOCK_MODULES", covers="blocks")


@BLOCK_MODULES.register("repeat")
def _repeated(writer: _Writer, row: LayerResult, layer: Repeat, form: str, out: str) -> _Node:
    return writer.sequence(row.layers, form, out)


@BLOCK_MODULES.register("residual")
def _added(writer: _Writer, row: LayerResult, layer: Residual, form: str, out: str) -> _Node:
    args = [_Arg(writer.branch(row.layers, row.input, form, out, "nn.Sequential()"))]
    if row.shortcut or form != out:
        args.append(_Arg(writer.branch(row.shortcut, row.input, form, out), keyword="shortcut"))
    if layer.activation:
        args.append(_Arg(writer.activation(row, layer.activation), keyword="activation"))
    return _call("Residual", *args)


# the class of each merge kind's branches form; the `with` form is a Join
_MERGE_CLASSES = {
    "add": ("Add", _add_class),
    "concat": ("Concat", _concat_class),
    "multiply": ("Multiply", _multiply_class),
}


@BLOCK_MODULES.register("add", "concat", "multiply")
def _merged(writer: _Writer, row: LayerResult, layer: Merge, form: str, out: str) -> _Node:
    if not layer.branches:
        options = [f'"{layer.kind}"']
        if layer.crop == "centre":
            options.append("centre=True")
        if out != _where_merged(row, form, writer.links):  # vectors joined where a map is wanted
            options.append("as_map=True")
        return _module("Join", *options)
    given = row.input
    inputs = [given.with_channels(c) for c in layer.split] if layer.split else [given] * len(row.branches)
    split = [_Arg(_Node(f"[{', '.join(map(str, layer.split))}]"), keyword="split")] if layer.split else []
    return _call(
        _MERGE_CLASSES[layer.kind][0],
        *(
            _Arg(writer.branch(branch, volume, form, out), (f"branch {k}",))
            for k, (branch, volume) in enumerate(zip(row.branches, inputs, strict=True), start=1)
        ),
        *split,
    )


# the classes the modules of a block kind's rows need defined in the exported module, for maps of a rank, none for
# torch's own (a Graph, which any list may need, aside)
CLASSES = ByKind("export.CLASSES", covers="blocks")


@CLASSES.register("repeat")
def _torchs_own(rows: Sequence[LayerResult], rank: int) -> list[str]:
    return []  # nn.Sequential


@CLASSES.register("residual")
def _residual_class(rows: Sequence[LayerResult], rank: int) -> list[str]:
    return [_RESIDUAL_CLASS]


@CLASSES.register("add", "concat", "multiply")
def _merge_classes(rows: Sequence[LayerResult], rank: int) -> list[str]:
    forms = {bool(row.branches) for row in rows}
    branched = _MERGE_CLASSES[rows[0].kind][1]
    if any(getattr(row.layer, "split", None) for row in rows):
        branched = _split_concat_class
    return [branched(rank)] * (True in forms) + [_join_class(rank)] * (False in forms)


def _padding_notes(row: LayerResult, padding: object, stride: PerAxis, front: str | None) -> list[str]:
    """What a layer pads where PyTorch's own padding does not say it; `front`: why a module pads in front."""
    if row.padding is None:
        return []
    sides = _sides_text(row.padding)
    notes = []
    if padding == "same":
        # at stride 1 the padding is k - 1 whatever the size; at a larger stride it follows the size
        notes.append(f"same: ceil({_SIZE_LETTERS[row.input.rank]} / s) outputs, padding {sides}")
        if not _ones(stride):
            size = f"for this {' x '.join(map(str, row.input.spatial))} input"
            # on a line of its own where six sides make the line long
            notes[-1:] = [f"{notes[-1]}, {size}"] if row.input.rank < 3 else [notes[-1], size]
    elif front:
        notes.append(f"padding {sides}")
    return notes + ([front] if front else [])


def _meet(forms: Sequence[str]) -> str:
    """Where paths meet (an add, a concat) their tensors must have one form: a vector joins maps as 1 x 1."""
    return forms[0] if len(set(forms)) == 1 else MAP


def _reshape(volume: Volume, want: str) -> _Node:
    """A 1 x 1 x n volume turned to the other form: (N, n) to (N, n, 1, 1) (a 1 for each axis), or back."""
    if want == VECTOR:
        return _Node("nn.Flatten()")
    return _Node(f"nn.Unflatten(1, ({', '.join(map(str, (volume.elements, *(1,) * volume.rank)))}))")


def export(spec: Spec, report: Report, target: str = "pytorch", source: str | None = None) -> str:
    """The spec written for `target` (one of TARGETS)."""
    if target != "pytorch":
        raise ValueError(f"unknown export target {target!r}: use one of {', '.join(TARGETS)}")
    return to_pytorch(spec, report, source)
